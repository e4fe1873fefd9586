//! Conformance tests from the spec's examples, and negative tests from its constraints.
//!
//! For each example: a mock WeChat asserts method, path, access_token and body, and the
//! reply must decode fully typed and encode back to the example. For each constraint of
//! a request: one request that breaks exactly it must be rejected, naming the field and
//! the rule, with nothing sent. Both for the async and the blocking client.

mod shapes;
mod walker;

pub use shapes::minimal;

use super::names::*;
use super::values;
use super::{GeneratedFile, render};
use crate::ir::*;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::{Map, Value};
use shapes::pointer_join;
use std::collections::BTreeSet;
use walker::*;

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
