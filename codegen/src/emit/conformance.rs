//! Conformance tests from the spec's examples, and negative tests from its constraints.
//!
//! For each example: a mock WeChat asserts method, path, access_token and body, and the
//! reply must decode fully typed and encode back to the example. For each constraint of
//! a request: one request that breaks exactly it must be rejected, naming the field and
//! the rule, with nothing sent. Both for the async and the blocking client.

use super::names::*;
use super::values;
use super::{GeneratedFile, render};
use crate::examples;
use crate::ir::*;
use heck::ToSnakeCase;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashSet};

pub fn files(api: &Api) -> Vec<GeneratedFile> {
    let mods: Vec<_> = api.groups.iter().map(|g| ident(&g.name)).collect();
    #[rustfmt::skip]
    let events_mod = api.events.as_ref().map(|_| quote! { #[rustfmt::skip] mod events; });
    let main = quote! {
        //! Conformance tests generated from `spec/api/*.yaml`: every documented example
        //! against a mock WeChat, and every request constraint broken once.

        #[path = "../support/mod.rs"]
        mod support;

        #(#[rustfmt::skip] mod #mods;)*
        #events_mod
    };
    let mut files = vec![GeneratedFile {
        path: "tests/conformance/main.rs".into(),
        text: render("spec/api/", main),
    }];
    for g in &api.groups {
        files.push(GeneratedFile {
            path: format!("tests/conformance/{}.rs", g.name),
            text: render(&format!("spec/api/{}.yaml", g.name), group(api, g)),
        });
    }
    files
}

/// A documented example as a test case.
struct Positive {
    fn_name: proc_macro2::Ident,
    tokens: TokenStream,
}

/// A request breaking one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// Today's date in China (the `before_today` rule).
    Today,
    /// A text of this many bytes (a file over its size limit).
    Bytes(usize),
}

pub struct Negative {
    pub name: String,
    pub request: Value,
    /// A value only known at run time (today's date, a large file), and where it goes.
    pub runtime: Option<(String, Runtime)>,
    pub field: String,
    pub rule: &'static str,
}

/// A request with one value exactly at a limit of the spec: the docs allow it, so it
/// must pass validation.
pub struct Edge {
    /// (model, field, rule): each is tested once, from the first example it fits.
    key: (String, String, &'static str),
    pub field: String,
    pub rule: &'static str,
    pub request: Value,
}

/// For each example, in turn, each limit reachable from its request set exactly at its
/// bound (at most N bytes: N bytes; at most N items: N items; …); a limit is tested
/// with the first example that reaches it (a member card's fields with the member-card
/// example). Only cases the spec checker accepts as a whole are kept (a limit may clash
/// with another rule).
pub fn edges<'a>(api: &Api, e: &'a Endpoint) -> Edges<'a> {
    let today = examples::china_today();
    let mut tested = HashSet::new();
    let mut reached = BTreeSet::new();
    let mut out = Vec::new();
    for x in &e.examples {
        let mut walker = Walker {
            api,
            out: Vec::new(),
            edges: Vec::new(),
            seen: HashSet::new(),
            names: HashSet::new(),
            prefix: e.id.clone(),
        };
        walker.model(&e.request, &x.request, "", "", &mut HashSet::new());
        reached.extend(
            walker
                .edges
                .iter()
                .map(|edge| (edge.key.clone(), edge.field.clone())),
        );
        // A row sets one value over the example: the limit, or the smallest object
        // holding it where the example lacks the field.
        let mut rows = Vec::new();
        for edge in walker.edges {
            if tested.contains(&edge.key)
                || !examples::check(api, &e.request, &edge.request, today).is_empty()
            {
                continue;
            }
            let mut patches = Vec::new();
            edits(&x.request, &edge.request, "", &mut patches);
            if patches.is_empty() {
                // The example itself sits at the bound (and passes).
                tested.insert(edge.key);
                continue;
            }
            let Ok([(pointer, Some(value))]) = <[_; 1]>::try_from(patches) else {
                continue;
            };
            tested.insert(edge.key);
            rows.push(Row {
                field: edge.field,
                rule: edge.rule,
                pointer,
                value,
            });
        }
        if !rows.is_empty() {
            out.push((x, rows));
        }
    }
    // Bounds no example reaches as a whole: the limit would break another rule there
    // (a card type of its own, with no example). Said in the test, not dropped silently.
    let mut untested: Vec<String> = reached
        .into_iter()
        .filter(|(key, _)| !tested.contains(key))
        .map(|((_, _, rule), field)| format!("`{field}` {rule}"))
        .collect();
    untested.dedup();
    Edges {
        tests: out,
        untested,
    }
}

/// The positive cases of an endpoint: rows over each example, and what no example
/// reaches.
pub struct Edges<'a> {
    pub tests: Vec<(&'a Example, Vec<Row>)>,
    pub untested: Vec<String>,
}

/// One value set at one pointer of an example.
pub struct Row {
    pub field: String,
    pub rule: &'static str,
    pub pointer: String,
    pub value: Value,
}

/// The edits that turn the base example into a negative case, as `support::set` /
/// `support::remove` calls; a value only known at run time last.
fn patches(base: &Value, n: &Negative) -> Vec<TokenStream> {
    let mut out = Vec::new();
    edits(base, &n.request, "", &mut out);
    let mut out: Vec<TokenStream> = out
        .into_iter()
        .map(|(pointer, value)| match value {
            Some(v) => {
                let v = value_expr(&v);
                quote!(support::set(#pointer, #v))
            }
            None => quote!(support::remove(#pointer)),
        })
        .collect();
    match &n.runtime {
        Some((pointer, Runtime::Today)) => {
            out.push(quote!(support::set(#pointer, support::today())))
        }
        Some((pointer, Runtime::Bytes(len))) => {
            out.push(quote!(support::set(#pointer, serde_json::Value::from("a".repeat(#len)))))
        }
        None => {}
    }
    out
}

/// `(pointer, value)` edits that turn `base` into `new`: new keys and changed leaves at
/// the highest level where they differ (lists are replaced whole), and the keys `new`
/// lacks as removals (`None`).
fn edits(base: &Value, new: &Value, pointer: &str, out: &mut Vec<(String, Option<Value>)>) {
    match (base, new) {
        (Value::Object(b), Value::Object(n)) => {
            for k in b.keys().filter(|k| !n.contains_key(*k)) {
                out.push((pointer_join(pointer, k), None));
            }
            for (k, v) in n {
                let at = pointer_join(pointer, k);
                match b.get(k) {
                    Some(old) if old == v => {}
                    Some(old) => edits(old, v, &at, out),
                    None => out.push((at, Some(v.clone()))),
                }
            }
        }
        _ if base != new => out.push((pointer.to_owned(), Some(new.clone()))),
        _ => {}
    }
}

/// A JSON value as Rust: long runs of one character as `repeat`, the rest as `json!`.
fn value_expr(v: &Value) -> TokenStream {
    if let Value::String(s) = v {
        let mut chars = s.chars();
        if let Some(c) = chars.next() {
            let n = s.chars().count();
            if n > 16 && chars.all(|x| x == c) {
                let (c, n) = (c.to_string(), Literal::usize_unsuffixed(n));
                return quote!(serde_json::Value::from(#c.repeat(#n)));
            }
        }
    }
    let json = values::json(v);
    quote!(serde_json::json!(#json))
}

/// One test per example that reaches a limit: every limit at its bound is accepted.
/// Validation does not depend on the client flavour, so it runs once, without a client.
fn edge_tests(api: &Api, e: &Endpoint) -> Vec<TokenStream> {
    let edges = edges(api, e);
    let untested = &edges.untested;
    edges
        .tests
        .iter()
        .enumerate()
        .map(|(i, (x, rows))| edge_test(e, x, rows, (i == 0).then_some(untested)))
        .collect()
}

/// `untested` goes with the first example's test.
fn edge_test(
    e: &Endpoint,
    x: &Example,
    rows: &[Row],
    untested: Option<&Vec<String>>,
) -> TokenStream {
    let base = &x.request;
    let rows = rows.iter().map(|row| {
        let (field, rule, pointer, value) =
            (&row.field, row.rule, &row.pointer, value_expr(&row.value));
        quote!((#field, #rule, #pointer, #value))
    });
    let name = match untested {
        Some(_) => format_ident!("{}_accepts_every_limit", e.id),
        None => format_ident!("{}_{}_accepts_every_limit", e.id, x.name),
    };
    let mut doc = format!(
        "{}: each limit reached from the `{}` example, exactly at its bound, passes validation.",
        e.full_id(),
        x.name
    );
    if let Some(untested) = untested.filter(|u| !u.is_empty()) {
        doc.push_str(&format!(
            "\n\nNot reached from any example without breaking another rule there (a card \
             type with no example of its own, an order between two fields): {}.",
            untested.join(", ")
        ));
    }
    let request = ident(&e.request);
    let base = values::json(base);
    quote! {
        #[doc = #doc]
        #[test]
        fn #name() {
            let base = serde_json::json!(#base);
            support::accepts_limits::<#request>(base, &[#(#rows),*]);
        }
    }
}

fn group(api: &Api, g: &Group) -> TokenStream {
    let mut uses = BTreeSet::new();
    let mut cases = Vec::new();
    let mut tests_async = Vec::new();
    let mut tests_blocking = Vec::new();
    for e in &g.endpoints {
        let request_ty = ident(&e.request);
        uses.insert(e.request.clone());
        let (group, method) = (ident(&e.group), ident(&e.id));
        for x in &e.examples {
            let p = positive(api, e, x, &mut uses);
            let case = &p.fn_name;
            cases.push(p.tokens);
            let check = if e.response.is_some() {
                quote!(check_reply)
            } else {
                quote!(check_binary)
            };
            tests_async.push(quote! {
                #[tokio::test]
                async fn #case() {
                    let case = super::#case();
                    let mock = support::Mock::start(&case).await;
                    let reply = mock.client().#group().#method(&case.request).await;
                    mock.#check(reply, &case).await;
                }
            });
            tests_blocking.push(quote! {
                #[test]
                fn #case() {
                    let case = super::#case();
                    let mock = support::BlockingMock::start(&case);
                    let reply = mock.client().#group().#method(&case.request);
                    mock.#check(reply, &case);
                }
            });
        }
        for s in &e.shortcuts {
            let (case, call) = shortcut_case(api, e, s, &mut uses);
            let name = format_ident!("shortcut_{}", s.name);
            let check = if e.response.is_some() {
                quote!(check_reply)
            } else {
                quote!(check_binary)
            };
            cases.push(case);
            tests_async.push(quote! {
                #[tokio::test]
                async fn #name() {
                    let case = super::#name();
                    let mock = support::Mock::start(&case).await;
                    let reply = mock.client().#group().#call.await;
                    mock.#check(reply, &case).await;
                }
            });
            tests_blocking.push(quote! {
                #[test]
                fn #name() {
                    let case = super::#name();
                    let mock = support::BlockingMock::start(&case);
                    let reply = mock.client().#group().#call;
                    mock.#check(reply, &case);
                }
            });
        }
        cases.extend(edge_tests(api, e));
        let negatives = negatives(api, e);
        if let Some(first) = negatives.first() {
            let base = &e.examples[0].request;
            let rows = negatives.iter().map(|n| {
                let (field, rule) = (&n.field, n.rule);
                let patches = patches(base, n);
                quote!(.row(#field, #rule, &[#(#patches),*]))
            });
            let name = format_ident!("{}_rejects_each_broken_rule", e.id);
            let doc = format!(
                "{}: each rule of the request, broken once over the first example, is refused \
                 naming the field and the rule.",
                e.full_id()
            );
            let base_json = values::json(base);
            cases.push(quote! {
                #[doc = #doc]
                #[test]
                fn #name() {
                    let base = serde_json::json!(#base_json);
                    support::Rejects::<#request_ty>::over(base) #(#rows)*;
                }
            });
            // Through each client once: refused before anything is sent.
            let case = format_ident!("{}_is_not_sent", e.id);
            let (field, rule) = (&first.field, first.rule);
            let patches = patches(base, first);
            cases.push(quote! {
                fn #case() -> support::Negative<#request_ty> {
                    let base = serde_json::json!(#base_json);
                    support::Rejects::<#request_ty>::over(base).negative(#field, #rule, &[#(#patches),*])
                }
            });
            tests_async.push(quote! {
                #[tokio::test]
                async fn #case() {
                    let case = super::#case();
                    let mock = support::Mock::silent().await;
                    let result = mock.client().#group().#method(&case.request).await;
                    mock.check_rejected(result, &case).await;
                }
            });
            tests_blocking.push(quote! {
                #[test]
                fn #case() {
                    let case = super::#case();
                    let mock = support::BlockingMock::silent();
                    let result = mock.client().#group().#method(&case.request);
                    mock.check_rejected(result, &case);
                }
            });
        }
    }
    let imports = uses.iter().map(|u| {
        let path: syn::Path = syn::parse_str(&public_path(api, u)).expect("a valid path");
        quote!(use #path;)
    });
    quote! {
        use crate::support;
        #(#imports)*

        #(#cases)*

        #[cfg(feature = "async")]
        mod async_client {
            use crate::support;

            #(#tests_async)*
        }

        #[cfg(feature = "blocking")]
        mod blocking_client {
            use crate::support;

            #(#tests_blocking)*
        }
    }
}

fn positive(api: &Api, e: &Endpoint, x: &Example, uses: &mut BTreeSet<String>) -> Positive {
    let fn_name = format_ident!("{}_{}", e.id, x.name);
    let build = values::build(api, &e.request, &x.request, uses);
    let doc = format!("{} — example `{}` ({}).", e.full_id(), x.name, x.source);
    let tokens = case(api, e, &fn_name, &doc, build, &x.request, &x.response);
    Positive { fn_name, tokens }
}

/// A `support::Case` function: the request, what the mock expects, and its reply.
fn case(
    api: &Api,
    e: &Endpoint,
    fn_name: &proc_macro2::Ident,
    doc: &str,
    request: TokenStream,
    body: &Value,
    reply: &Value,
) -> TokenStream {
    let request_ty = ident(&e.request);
    let (body, reply) = (values::json(body), values::json(reply));
    let method = match e.method {
        Method::Get => "GET",
        Method::Post => "POST",
    };
    let encoding = match api.model(&e.request).encoding {
        Encoding::Json => quote!(support::Encoding::Json),
        Encoding::Query => quote!(support::Encoding::Query),
        Encoding::Multipart => quote!(support::Encoding::Multipart),
    };
    let path = &e.path;
    let needs_token = e.needs_token;
    let fixed = e.fixed_query.iter().map(|(k, v)| quote!((#k, #v)));
    quote! {
        #[doc = #doc]
        fn #fn_name() -> support::Case<#request_ty> {
            support::Case {
                request: #request,
                method: #method,
                path: #path,
                fixed_query: &[#(#fixed),*],
                needs_token: #needs_token,
                encoding: #encoding,
                body: serde_json::json!(#body),
                reply: serde_json::json!(#reply),
            }
        }
    }
}

/// A shortcut's case (the request it must send, built through the builders) and the
/// call that sends it.
fn shortcut_case(
    api: &Api,
    e: &Endpoint,
    s: &Shortcut,
    uses: &mut BTreeSet<String>,
) -> (TokenStream, TokenStream) {
    let args = super::docs::shortcut_arg_values(api, e, s);
    let mut body = Map::new();
    for (f, v) in &args {
        body.insert(f.wire.clone(), v.clone());
    }
    for (k, v) in &s.set {
        body.insert(k.clone(), v.clone());
    }
    let body = Value::Object(body);
    let build = values::build(api, &e.request, &body, uses);
    let arg_exprs = args
        .iter()
        .map(|(f, v)| values::arg(api, &f.shape.ty, v, uses));
    let name = ident(&s.name);
    let call = quote!(#name(#(#arg_exprs),*));
    let fn_name = format_ident!("shortcut_{}", s.name);
    let doc = format!(
        "{}: the shortcut `{}` sends exactly its arguments and fixed values.",
        e.full_id(),
        s.name
    );
    let reply = &e
        .examples
        .iter()
        .find(|x| x.errcode().is_none())
        .unwrap_or(&e.examples[0])
        .response;
    (case(api, e, &fn_name, &doc, build, &body, reply), call)
}

/// One negative case per (model, field, rule) reachable from the endpoint's request,
/// built by breaking the first example. Each is proved against the spec checker.
pub fn negatives(api: &Api, e: &Endpoint) -> Vec<Negative> {
    let mut walker = Walker {
        api,
        out: Vec::new(),
        edges: Vec::new(),
        seen: HashSet::new(),
        names: HashSet::new(),
        prefix: e.id.clone(),
    };
    let base = e.examples[0].request.clone();
    walker.model(&e.request, &base, "", "", &mut HashSet::new());
    let today = examples::china_today();
    for n in &walker.out {
        let mut request = n.request.clone();
        if let Some((pointer, runtime)) = &n.runtime {
            let value = match runtime {
                Runtime::Today => today.to_string(),
                Runtime::Bytes(n) => "a".repeat(*n),
            };
            *request
                .pointer_mut(pointer)
                .expect("pointer built by the walker") = Value::String(value);
        }
        let problems = examples::check(api, &e.request, &request, today);
        assert!(
            problems
                .iter()
                .any(|p| p.path == n.field && p.rule == n.rule),
            "internal error: negative case {} does not break `{}` {} (problems: {problems:?})",
            n.name,
            n.field,
            n.rule
        );
    }
    walker.out
}

struct Walker<'a> {
    api: &'a Api,
    out: Vec<Negative>,
    edges: Vec<Edge>,
    /// (model, field, rule): a shared model's rule is tested once, where first reached.
    seen: HashSet<(String, String, &'static str)>,
    names: HashSet<String>,
    prefix: String,
}

fn pointer_join(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"))
}

impl Walker<'_> {
    fn push(
        &mut self,
        doc: Value,
        field: String,
        rule: &'static str,
        runtime: Option<(String, Runtime)>,
    ) {
        let stem = format!(
            "{}_rejects_{}_{rule}",
            self.prefix,
            field.replace(['{', '}'], "").to_snake_case()
        );
        let stem = if field.starts_with('{') || field.contains(".{") {
            let at = field
                .split('{')
                .next()
                .unwrap_or("")
                .trim_end_matches('.')
                .to_snake_case();
            if at.is_empty() {
                format!("{}_rejects_{rule}", self.prefix)
            } else {
                format!("{}_rejects_{at}_{rule}", self.prefix)
            }
        } else {
            stem
        };
        let mut name = stem.clone();
        let mut n = 2;
        while !self.names.insert(name.clone()) {
            name = format!("{stem}_{n}");
            n += 1;
        }
        self.out.push(Negative {
            name,
            request: doc,
            runtime,
            field,
            rule,
        });
    }

    /// Walks the object of model `name` found at `pointer` in `doc`.
    fn model(
        &mut self,
        name: &str,
        doc: &Value,
        pointer: &str,
        path: &str,
        stack: &mut HashSet<String>,
    ) {
        if !stack.insert(name.to_owned()) {
            return; // recursive types: one level is enough
        }
        let api = self.api;
        let model = api.model(name);
        let here = doc.pointer(pointer).cloned().unwrap_or(Value::Null);
        // Fields the example has first: breaking them changes the least.
        let mut fields: Vec<&Field> = model.fields.iter().collect();
        fields.sort_by_key(|f| here.get(&f.wire).is_none());
        for f in fields {
            let fpointer = pointer_join(pointer, &f.wire);
            let fpath = crate::load::join(path, &f.wire);
            let mut doc = doc.clone();
            if doc.pointer(&fpointer).is_none() {
                let minimal = minimal(api, &f.shape);
                set(&mut doc, &fpointer, minimal);
            }
            self.shape(name, &f.wire, &f.shape, &doc, &fpointer, &fpath, stack);
            // Required but an `Option` (the model is also received): leaving it out is
            // a rule of the validator, so it gets its case.
            let absent = (name.to_owned(), f.wire.clone(), "absent");
            if f.required && !f.plain && self.seen.insert(absent) {
                let mut d = doc.clone();
                if let Some(obj) = d.pointer_mut(pointer).and_then(Value::as_object_mut) {
                    obj.remove(&f.wire);
                    self.push(d, fpath, "required", None);
                }
            }
        }
        for rule in &model.rules {
            self.rule(name, rule, doc.clone(), pointer, path);
        }
        stack.remove(name);
    }

    #[allow(clippy::too_many_arguments)]
    fn shape(
        &mut self,
        model: &str,
        wire: &str,
        shape: &Shape,
        doc: &Value,
        pointer: &str,
        path: &str,
        stack: &mut HashSet<String>,
    ) {
        let api = self.api;
        for check in &shape.checks {
            let rule = check.rule_name();
            if !self.seen.insert((model.to_owned(), wire.to_owned(), rule)) {
                continue;
            }
            if let Some(limit) = at_limit(api, shape, check, doc.pointer(pointer)) {
                let mut d = doc.clone();
                set(&mut d, pointer, limit);
                self.edges.push(Edge {
                    key: (model.to_owned(), wire.to_owned(), rule),
                    field: path.to_owned(),
                    rule,
                    request: d,
                });
            }
            if shape.ty == Ty::File {
                // A file breaks its rules through its parts; its size only at run time
                // (a megabyte does not belong in a test's source).
                let mut d = doc.clone();
                match check {
                    Check::MaxBytes(n) => {
                        let at = format!("{pointer}/bytes");
                        self.push(
                            d,
                            path.to_owned(),
                            rule,
                            Some((at, Runtime::Bytes(*n as usize + 1))),
                        );
                    }
                    Check::ContentTypes(_) => {
                        set(
                            &mut d,
                            &format!("{pointer}/content_type"),
                            Value::from("text/plain"),
                        );
                        self.push(d, path.to_owned(), rule, None);
                    }
                    _ => {}
                }
            } else if let Some(bad) = breaking(api, shape, check, doc.pointer(pointer)) {
                let mut d = doc.clone();
                set(&mut d, pointer, bad);
                self.push(d, path.to_owned(), rule, None);
            }
        }
        match &shape.ty {
            Ty::Enum(e)
                if self
                    .seen
                    .insert((model.to_owned(), wire.to_owned(), "enum")) =>
            {
                let bad = if api.enums[e].is_int {
                    Value::from(987_654)
                } else {
                    Value::from("UNDOCUMENTED_VALUE")
                };
                let mut d = doc.clone();
                set(&mut d, pointer, bad);
                self.push(d, path.to_owned(), "enum", None);
            }
            Ty::Model(m) => self.model(m, doc, pointer, path, stack),
            Ty::List(inner) => {
                let mut d = doc.clone();
                if d.pointer(pointer)
                    .and_then(Value::as_array)
                    .is_none_or(Vec::is_empty)
                {
                    set(&mut d, pointer, Value::Array(vec![minimal(api, inner)]));
                }
                let item_pointer = format!("{pointer}/0");
                self.shape(
                    model,
                    &format!("{wire}[]"),
                    inner,
                    &d,
                    &item_pointer,
                    &format!("{path}[0]"),
                    stack,
                );
            }
            _ => {}
        }
    }

    fn rule(&mut self, model: &str, rule: &Rule, doc: Value, pointer: &str, path: &str) {
        let api = self.api;
        let key = |r: &'static str| (model.to_owned(), String::new(), r);
        match rule {
            Rule::ExactlyOneOf(names) | Rule::AtMostOneOf(names) => {
                let (rule_name, count) = match rule {
                    Rule::ExactlyOneOf(_) => ("exactly_one_of", 0),
                    _ => ("at_most_one_of", 2),
                };
                if !self.seen.insert(key(rule_name)) {
                    return;
                }
                let m = api.model(model);
                let mut d = doc;
                let Some(obj) = d.pointer_mut(pointer).and_then(Value::as_object_mut) else {
                    return;
                };
                for n in names {
                    obj.remove(n);
                }
                for n in names.iter().take(count) {
                    let f = m.field(n).expect("checked");
                    obj.insert(n.clone(), minimal(api, &f.shape));
                }
                self.push(d, examples::rule_path(path, names), rule_name, None);
            }
            Rule::DateRange {
                begin,
                end,
                max_days,
                before_today,
            } => {
                let (bp, ep) = (pointer_join(pointer, begin), pointer_join(pointer, end));
                let (bpath, epath) = (crate::load::join(path, begin), crate::load::join(path, end));
                let date = |p: &str| {
                    doc.pointer(p)
                        .and_then(Value::as_str)
                        .and_then(examples::parse_date)
                };
                let (Some(b), Some(e)) = (date(&bp), date(&ep)) else {
                    return;
                };
                if self.seen.insert(key("date_order")) {
                    let mut d = doc.clone();
                    set(&mut d, &bp, Value::from(e.to_string()));
                    set(&mut d, &ep, Value::from(b.to_string()));
                    if b == e {
                        set(
                            &mut d,
                            &bp,
                            Value::from(e.next_day().unwrap_or(e).to_string()),
                        );
                    }
                    self.push(d, bpath, "date_order", None);
                }
                if let Some(n) = max_days {
                    if self.seen.insert(key("max_days")) {
                        let mut d = doc.clone();
                        let begin = e - time::Duration::days(n + 1);
                        set(&mut d, &bp, Value::from(begin.to_string()));
                        self.push(d, epath.clone(), "max_days", None);
                    }
                }
                if *before_today && self.seen.insert(key("before_today")) {
                    // The end date becomes today at run time; the begin date stays in the
                    // past so that only this rule breaks.
                    self.push(doc, epath, "before_today", Some((ep, Runtime::Today)));
                }
            }
            Rule::Order {
                lower,
                higher,
                strict,
            } => {
                if !self.seen.insert((model.to_owned(), lower.clone(), "order")) {
                    return;
                }
                let (lp, hp) = (pointer_join(pointer, lower), pointer_join(pointer, higher));
                let h = doc.pointer(&hp).and_then(Value::as_i64).unwrap_or(1);
                let mut d = doc;
                set(&mut d, &hp, Value::from(h));
                set(&mut d, &lp, Value::from(if *strict { h } else { h + 1 }));
                self.push(d, crate::load::join(path, lower), "order", None);
            }
            Rule::MaxTotalItems { fields, max } => {
                if !self
                    .seen
                    .insert((model.to_owned(), fields.join(","), "max_total_items"))
                {
                    return;
                }
                let m = api.model(model);
                let first = m.field(&fields[0]).expect("checked");
                let Some(item) = item_of(
                    api,
                    &first.shape,
                    doc.pointer(&pointer_join(pointer, &fields[0])),
                ) else {
                    return;
                };
                let mut d = doc;
                set(
                    &mut d,
                    &pointer_join(pointer, &fields[0]),
                    Value::Array(vec![item; *max as usize + 1]),
                );
                for f in &fields[1..] {
                    set(&mut d, &pointer_join(pointer, f), Value::Array(Vec::new()));
                }
                self.push(
                    d,
                    examples::rule_path(path, fields),
                    "max_total_items",
                    None,
                );
            }
            Rule::Check(check) => self.check_rule(model, check, doc, pointer, path),
        }
    }

    /// One case per assertion of a `check` rule: make its condition true, then break
    /// the assertion.
    fn check_rule(
        &mut self,
        model: &str,
        check: &CheckRule,
        doc: Value,
        pointer: &str,
        path: &str,
    ) {
        let api = self.api;
        let mut base = doc;
        for (p, v) in &check.when {
            match v {
                Value::Null => remove_path(&mut base, pointer, p),
                v => set_path(api, model, &mut base, pointer, p, v.clone()),
            }
        }
        let mut cases: Vec<(FieldPath, Value)> = Vec::new();
        let mut with = |p: &FieldPath, edit: &dyn Fn(&mut Value)| {
            let mut d = base.clone();
            edit(&mut d);
            cases.push((p.clone(), d));
        };
        for p in &check.present {
            with(p, &|d| remove_path(d, pointer, p));
        }
        for p in &check.absent {
            let last = api.path_fields(model, p).expect("checked")[p.len() - 1]
                .shape
                .clone();
            with(p, &|d| {
                set_path(api, model, d, pointer, p, minimal(api, &last))
            });
        }
        for (p, v) in &check.equal {
            let ty = api.path_fields(model, p).expect("checked")[p.len() - 1]
                .shape
                .ty
                .clone();
            let Some(other) = different(api, &ty, v) else {
                continue;
            };
            with(p, &|d| set_path(api, model, d, pointer, p, other.clone()));
        }
        for (p, v) in &check.not_equal {
            with(p, &|d| set_path(api, model, d, pointer, p, v.clone()));
        }
        for (p, d) in cases {
            let at = dotted(&p);
            if self
                .seen
                .insert((model.to_owned(), format!("{at}:{}", check.because), "check"))
            {
                self.push(d, crate::load::join(path, &at), "check", None);
            }
        }
    }
}

/// Sets the value at a dotted path below the object at `pointer`, creating absent
/// objects on the way with their smallest valid value.
fn set_path(api: &Api, model: &str, doc: &mut Value, pointer: &str, path: &[String], value: Value) {
    let fields = api.path_fields(model, path).expect("checked by the loader");
    let mut at = pointer.to_owned();
    for (i, f) in fields.iter().enumerate() {
        at = pointer_join(&at, &f.wire);
        if i + 1 == fields.len() {
            set(doc, &at, value);
            return;
        }
        if doc.pointer(&at).is_none() {
            set(doc, &at, minimal(api, &f.shape));
        }
    }
}

fn remove_path(doc: &mut Value, pointer: &str, path: &[String]) {
    let parent = path[..path.len() - 1]
        .iter()
        .fold(pointer.to_owned(), |p, step| pointer_join(&p, step));
    if let Some(obj) = doc.pointer_mut(&parent).and_then(Value::as_object_mut) {
        obj.remove(&path[path.len() - 1]);
    }
}

/// Another valid value of the same type, to break an `equal` assertion.
fn different(api: &Api, ty: &Ty, v: &Value) -> Option<Value> {
    Some(match (ty, v) {
        (Ty::Int, v) => Value::from(v.as_i64()? + 1),
        (Ty::Bool, v) => Value::from(!v.as_bool()?),
        (Ty::Enum(e), v) => api.enums[e]
            .variants
            .iter()
            .map(|x| x.wire.clone())
            .find(|w| w != v)?,
        (_, v) => Value::from(format!("{}x", v.as_str()?)),
    })
}

/// A value exactly at the bound of `check`, which the check accepts.
fn at_limit(api: &Api, shape: &Shape, check: &Check, current: Option<&Value>) -> Option<Value> {
    Some(match (check, &shape.ty) {
        (Check::MaxBytes(n), Ty::String) => Value::from("a".repeat(*n as usize)),
        (Check::MaxChars(n), Ty::String) => Value::from("券".repeat(*n as usize)),
        (Check::Min(n), _) => Value::from(*n),
        (Check::Max(n), _) => Value::from(*n),
        (Check::MinItems(n), _) if *n > 0 => {
            let item = item_of(api, shape, current)?;
            Value::Array(vec![item; *n as usize])
        }
        // A hundred items say as much as ten thousand.
        (Check::MaxItems(n), _) if *n <= 100 => {
            let item = item_of(api, shape, current)?;
            Value::Array(vec![item; *n as usize])
        }
        _ => return None,
    })
}

/// A value that breaks `check` (and, as far as possible, nothing else).
fn breaking(api: &Api, shape: &Shape, check: &Check, current: Option<&Value>) -> Option<Value> {
    Some(match check {
        Check::NonEmpty => Value::from(""),
        Check::MaxBytes(n) => Value::from("a".repeat(*n as usize + 1)),
        Check::MaxChars(n) => Value::from("券".repeat(*n as usize + 1)),
        Check::Date => Value::from("2015/06/15"),
        Check::Color => Value::from("#10AD61"),
        Check::ContentTypes(_) => return None,
        Check::Min(n) => Value::from(n.checked_sub(1)?),
        Check::Max(n) => Value::from(n.checked_add(1)?),
        Check::MinItems(n) => {
            let item = item_of(api, shape, current)?;
            Value::Array(vec![item; (*n as usize).checked_sub(1)?])
        }
        Check::MaxItems(n) => {
            let item = item_of(api, shape, current)?;
            Value::Array(vec![item; *n as usize + 1])
        }
        Check::OneOf(allowed) => match &shape.ty {
            Ty::Enum(e) => api.enums[e]
                .variants
                .iter()
                .map(|v| v.wire.clone())
                .find(|w| !allowed.contains(w))?,
            Ty::Int => Value::from(allowed.iter().filter_map(Value::as_i64).max()? + 1),
            _ => Value::from("NOT_ALLOWED"),
        },
    })
}

fn item_of(api: &Api, shape: &Shape, current: Option<&Value>) -> Option<Value> {
    let Ty::List(inner) = &shape.ty else {
        return None;
    };
    current
        .and_then(|c| c.get(0))
        .cloned()
        .or_else(|| Some(minimal(api, inner)))
}

/// The smallest valid value of a shape: used to fill what the example leaves out.
pub fn minimal(api: &Api, shape: &Shape) -> Value {
    let one_of = shape.checks.iter().find_map(|c| match c {
        Check::OneOf(values) => values.first().cloned(),
        _ => None,
    });
    if let Some(v) = one_of {
        return v;
    }
    match &shape.ty {
        Ty::String if shape.checks.contains(&Check::Date) => Value::from("2015-06-15"),
        Ty::String if shape.checks.contains(&Check::Color) => Value::from("Color010"),
        Ty::String => Value::from("x"),
        Ty::Int => {
            let min = shape.checks.iter().find_map(|c| {
                if let Check::Min(n) = c {
                    Some(*n)
                } else {
                    None
                }
            });
            Value::from(min.unwrap_or(0).max(0))
        }
        Ty::Bool => Value::from(false),
        Ty::Json => Value::Object(Map::new()),
        Ty::File => {
            let content_type = shape.checks.iter().find_map(|c| match c {
                Check::ContentTypes(types) => types.first().cloned(),
                _ => None,
            });
            serde_json::json!({
                "filename": "upload.png",
                "content_type": content_type.unwrap_or_else(|| "image/png".into()),
                "bytes": "x",
            })
        }
        Ty::List(inner) => {
            let n = shape.checks.iter().find_map(|c| {
                if let Check::MinItems(n) = c {
                    Some(*n)
                } else {
                    None
                }
            });
            Value::Array(vec![minimal(api, inner); n.unwrap_or(0) as usize])
        }
        Ty::Enum(e) => api.enums[e].variants[0].wire.clone(),
        Ty::Model(m) => {
            let model = api.model(m);
            let mut obj = Map::new();
            for f in model.fields.iter().filter(|f| f.required) {
                obj.insert(f.wire.clone(), minimal(api, &f.shape));
            }
            for rule in &model.rules {
                if let Rule::ExactlyOneOf(names) = rule {
                    let f = model.field(&names[0]).expect("checked");
                    obj.insert(f.wire.clone(), minimal(api, &f.shape));
                }
            }
            Value::Object(obj)
        }
    }
}

/// Sets the value at a JSON pointer, creating missing objects on the way.
fn set(doc: &mut Value, pointer: &str, value: Value) {
    if pointer.is_empty() {
        *doc = value;
        return;
    }
    let (parent, last) = pointer.rsplit_once('/').expect("a JSON pointer");
    let last = last.replace("~1", "/").replace("~0", "~");
    if doc.pointer(parent).is_none() {
        set(doc, parent, Value::Object(Map::new()));
    }
    match doc.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(last, value);
        }
        Some(Value::Array(items)) => {
            let i: usize = last.parse().expect("an index");
            if i < items.len() {
                items[i] = value;
            } else {
                items.push(value);
            }
        }
        _ => {}
    }
}
