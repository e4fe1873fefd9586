//! Conformance tests from the spec's examples, and negative tests from its constraints.
//!
//! For each example: a mock WeChat asserts method, path, access_token and body, and the
//! reply must decode fully typed and encode back to the example. For each constraint of
//! a request: one request that breaks exactly it must be rejected, naming the field and
//! the rule, with nothing sent. Both for the async and the blocking client.
//!
//! The validation cases (`walker`) are rows over an example, written as text tables
//! (`table`) that the tests' support code reads.

mod shapes;
mod table;
mod walker;

pub use shapes::minimal;

use super::names::*;
use super::values;
use super::{GeneratedFile, render};
use crate::ir::*;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use table::Row;
use walker::{edges, negatives};

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

fn group(api: &Api, g: &Group) -> TokenStream {
    let mut file = GroupFile::default();
    for e in &g.endpoints {
        file.examples(api, e);
        file.shortcuts(api, e);
        file.items.extend(edge_tests(e, edges(api, e)));
        file.rejections(api, e);
    }
    file.into_tokens(api)
}

/// What a group's test file holds, gathered endpoint by endpoint.
#[derive(Default)]
struct GroupFile {
    /// Type names the file imports.
    uses: BTreeSet<String>,
    /// Type names the shortcut calls of the client tests name (imported there too).
    call_uses: BTreeSet<String>,
    /// The cases, and the tests that need no client, at the file's top level.
    items: Vec<TokenStream>,
    /// The tests through each client: the same ones for both.
    async_tests: Vec<TokenStream>,
    blocking_tests: Vec<TokenStream>,
    /// Each successful example against a sandbox seeded for it.
    sandbox_tests: Vec<TokenStream>,
}

/// What a client test's mock does, and what the test checks.
#[derive(Clone, Copy)]
enum Expect {
    /// The documented exchange, with a typed reply.
    Reply,
    /// The documented exchange, with a binary reply.
    Binary,
    /// Nothing may be sent: the client refuses the request.
    Refused,
}

impl Expect {
    fn documented(e: &Endpoint) -> Self {
        if e.response.is_some() {
            Expect::Reply
        } else {
            Expect::Binary
        }
    }
}

impl GroupFile {
    /// Each example through each client.
    fn examples(&mut self, api: &Api, e: &Endpoint) {
        self.uses.insert(e.request.clone());
        let method = ident(&e.id);
        for x in &e.examples {
            let p = positive(api, e, x, &mut self.uses);
            self.items.push(p.tokens);
            let call = quote!(#method(&case.request));
            self.client_tests(e, &p.fn_name, call, Expect::documented(e));
            if e.response.is_some() && x.errcode().is_none() {
                let (case, endpoint, group) = (&p.fn_name, e.full_id(), ident(&e.group));
                self.sandbox_tests
                    .push(quote!(sandbox_agrees!(#case, #endpoint, #group.#method);));
            }
        }
    }

    /// Each shortcut through each client: it must send the request its case builds.
    fn shortcuts(&mut self, api: &Api, e: &Endpoint) {
        for s in &e.shortcuts {
            // A signed argument is tried with each sign, and refused at 0.
            // A keyed argument is tried with a value that has a field and one that has not.
            let signs: &[(i64, &str)] = match (s.signed.is_empty(), &s.keyed) {
                (false, _) => &[(1, ""), (-1, "_negative"), (0, "_zero")],
                (true, Some(_)) => &[(1, ""), (-1, "_undescribed")],
                (true, None) => &[(1, "")],
            };
            for &(sign, suffix) in signs {
                let name = format_ident!("shortcut_{}{}", s.name, suffix);
                let (case, call) =
                    shortcut_case(api, e, s, sign, &name, &mut self.uses, &mut self.call_uses);
                self.items.push(case);
                let expect = match sign {
                    0 => Expect::Refused,
                    _ => Expect::documented(e),
                };
                self.client_tests(e, &name, call, expect);
            }
        }
    }

    /// Each rule broken once over the first example; the first row also through each
    /// client, which must refuse it before anything is sent.
    fn rejections(&mut self, api: &Api, e: &Endpoint) {
        let rows = negatives(api, e);
        let Some(first) = rows.first() else {
            return;
        };
        let request = ident(&e.request);
        let base = format_ident!("{}_{}", e.id, e.examples[0].name);
        let name = format_ident!("{}_rejects_each_broken_rule", e.id);
        let doc = format!(
            "{}: each rule of the request, broken once over the first example, is refused \
             naming the field and the rule.",
            e.full_id()
        );
        let table = table::table(&rows);
        self.items.push(quote! {
            #[doc = #doc]
            #[test]
            fn #name() {
                let broken_rules = #table;
                support::Rejects::<#request>::over(#base().body).rows(broken_rules);
            }
        });
        let case = format_ident!("{}_is_not_sent", e.id);
        let row = table::single(first);
        self.items.push(quote! {
            fn #case() -> support::Negative<#request> {
                let row = #row;
                support::Rejects::over(#base().body).negative(row)
            }
        });
        let method = ident(&e.id);
        let call = quote!(#method(&case.request));
        self.client_tests(e, &case, call, Expect::Refused);
    }

    /// The test of `case` through each client: `call` on the endpoint's group.
    fn client_tests(&mut self, e: &Endpoint, case: &Ident, call: TokenStream, expect: Expect) {
        let group = ident(&e.group);
        let (start, result, check) = match expect {
            Expect::Reply => (quote!(start(&case)), quote!(reply), quote!(check_reply)),
            Expect::Binary => (quote!(start(&case)), quote!(reply), quote!(check_binary)),
            Expect::Refused => (quote!(silent()), quote!(result), quote!(check_rejected)),
        };
        self.async_tests.push(quote! {
            #[tokio::test]
            async fn #case() {
                let case = super::#case();
                let mock = support::Mock::#start.await;
                let #result = mock.client().#group().#call.await;
                mock.#check(#result, &case).await;
            }
        });
        self.blocking_tests.push(quote! {
            #[test]
            fn #case() {
                let case = super::#case();
                let mock = support::BlockingMock::#start;
                let #result = mock.client().#group().#call;
                mock.#check(#result, &case);
            }
        });
    }

    fn into_tokens(self, api: &Api) -> TokenStream {
        let imports = grouped_uses(self.uses.iter().map(|u| public_path(api, u)));
        // The client tests' modules name what their shortcut calls build.
        let call_imports = (!self.call_uses.is_empty()).then(|| {
            let names = self.call_uses.iter().map(|u| ident(u));
            quote!(use super::{#(#names),*};)
        });
        let (items, async_tests, blocking_tests, sandbox_tests) = (
            self.items,
            self.async_tests,
            self.blocking_tests,
            self.sandbox_tests,
        );
        let sandbox = (!sandbox_tests.is_empty()).then(|| {
            quote! {
                /// Each documented reply against the sandbox's (see `support::documented`).
                #[cfg(feature = "async")]
                mod sandbox {
                    use crate::support::documented::sandbox_agrees;

                    #(#sandbox_tests)*
                }
            }
        });
        quote! {
            use crate::support;
            #imports

            #(#items)*

            #[cfg(feature = "async")]
            mod async_client {
                use crate::support;
                #call_imports

                #(#async_tests)*
            }

            #[cfg(feature = "blocking")]
            mod blocking_client {
                use crate::support;
                #call_imports

                #(#blocking_tests)*
            }

            #sandbox
        }
    }
}

/// One test per example that reaches a limit: every limit at its bound is accepted.
/// Validation does not depend on the client flavour, so it runs once, without a client.
fn edge_tests(e: &Endpoint, edges: walker::Edges) -> Vec<TokenStream> {
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
    let base = format_ident!("{}_{}", e.id, x.name);
    let table = table::table(rows);
    quote! {
        #[doc = #doc]
        #[test]
        fn #name() {
            let limits = #table;
            support::accepts_limits::<#request>(#base().body, limits);
        }
    }
}

/// A documented example as a test case.
struct Positive {
    fn_name: Ident,
    tokens: TokenStream,
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
    fn_name: &Ident,
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
/// call that sends it; with `sign` 0, the refusal of its signed argument's 0.
fn shortcut_case(
    api: &Api,
    e: &Endpoint,
    s: &Shortcut,
    sign: i64,
    fn_name: &Ident,
    uses: &mut BTreeSet<String>,
    call_uses: &mut BTreeSet<String>,
) -> (TokenStream, TokenStream) {
    let args = super::docs::shortcut_arg_values(api, e, s, sign);
    let mut body = Map::new();
    for (wire, v) in args.iter().filter_map(|a| a.sent.as_ref()) {
        body.insert(wire.clone(), v.clone());
    }
    for (k, v) in &s.set {
        body.insert(k.clone(), v.clone());
    }
    let body = Value::Object(body);
    let build = values::build(api, &e.request, &body, uses);
    let arg_exprs = args
        .iter()
        .map(|a| values::arg(api, &a.ty, &a.value, call_uses))
        .collect::<Vec<_>>();
    uses.extend(call_uses.iter().cloned());
    let name = ident(&s.name);
    let call = quote!(#name(#(#arg_exprs),*));
    if sign == 0 {
        let signed = &s.signed[0];
        let (request, arg) = (ident(&e.request), &signed.arg);
        let doc = format!(
            "{}: the shortcut `{}` refuses `{arg}` = 0, naming it, and sends nothing.",
            e.full_id(),
            s.name
        );
        let case = quote! {
            #[doc = #doc]
            fn #fn_name() -> support::Negative<#request> {
                support::Negative { request: #build, field: #arg.into(), rule: "check".into() }
            }
        };
        return (case, call);
    }
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
    (case(api, e, fn_name, &doc, build, &body, reply), call)
}
