//! The rustdoc of a handler method: summary, link, constraints, errcodes,
//! idempotency, notes and a compiled example.

use super::names::*;
use super::values;
use crate::ir::*;
use proc_macro2::TokenStream;
use std::collections::BTreeSet;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Async,
    Blocking,
}

/// The blocking side's doc: the summary and where the rest is. The checks, errors,
/// idempotency and the example are written once, on the async method; the link goes
/// to the request type, which every feature set builds (no dead link either way).
fn blocking_doc(api: &Api, summary: &str, e: &Endpoint, method: &str) -> String {
    let request = public_path(api, &e.request).replacen("wechat_card", "crate", 1);
    format!(
        "{summary}\n\nThe blocking form of the async client's `{method}`, documented there once \
         (checks, errors, idempotency, an example); sends [`{}`]({request}).",
        e.request
    )
}

pub fn method_doc(api: &Api, e: &Endpoint, flavour: Flavour) -> TokenStream {
    match flavour {
        Flavour::Blocking => doc_attrs(&blocking_doc(api, &e.summary, e, &e.id)),
        Flavour::Async => doc_attrs(&method_text(api, e)),
    }
}

fn method_text(api: &Api, e: &Endpoint) -> String {
    let flavour = Flavour::Async;
    let request = api.model(&e.request);
    let method = match e.method {
        Method::Get => "GET",
        Method::Post => "POST",
    };
    let mut d = format!("{}\n\n", e.summary);
    if let Some(desc) = &e.description {
        d += &format!("{}\n\n", desc.trim_end());
    }
    d += &format!(
        "`{method} {}` · [official documentation]({}) · spec: `spec/api/{}.yaml`, endpoint `{}`\n\n",
        e.path, e.doc, e.group, e.id
    );

    d += "# Checked before sending\n\n";
    let mut lines = Vec::new();
    constraint_lines(api, request, "", &mut lines, &mut BTreeSet::new());
    if lines.is_empty() {
        d += "Nothing beyond the types.\n\n";
    } else {
        d += "A request that breaks any of these gives [`Error::InvalidRequest`](crate::Error::InvalidRequest) \
              and is not sent:\n\n";
        for l in lines {
            d += &format!("- {l}\n");
        }
        d += "\n";
    }

    d += "# Errors\n\n";
    if e.errcodes.is_empty() {
        d += "The docs name no specific return code; any non-zero errcode is [`Error::Api`](crate::Error::Api).\n\n";
    } else {
        d += "Return codes the docs name for this call ([`Error::Api`](crate::Error::Api)):\n\n";
        for code in &e.errcodes {
            let def = api.errcode(*code).expect("checked by the loader");
            let hint = def
                .hint
                .as_deref()
                .map(|h| format!(" — {h}"))
                .unwrap_or_default();
            d += &format!(
                "- `{code}` [`ErrCode::{}`](crate::ErrCode::{}): {}{hint}\n",
                def.name, def.name, def.meaning
            );
        }
        d += "\n";
    }

    d += "# Idempotency\n\n";
    d += if e.idempotent {
        "Idempotent: sending the same request again is harmless.\n\n"
    } else {
        "**Not idempotent.** This crate never re-sends it once it may have reached WeChat. If the \
         outcome is unknown (a timeout after sending, see [`Error::Transport`](crate::Error::Transport)), \
         check before sending it again: "
    };
    if let Some(check) = &e.check_outcome {
        d += &format!("{check}.\n\n");
    }

    if !e.notes.is_empty() {
        d += "# Notes\n\n";
        for n in &e.notes {
            d += &format!("- {n}\n");
        }
        d += "\n";
    }

    d += "# Example\n\n";
    d += &example(api, e, flavour);
    d
}

/// One line per constraint of the request's own fields and rules; nested models are
/// listed once, by type.
fn constraint_lines(
    api: &Api,
    model: &Model,
    path: &str,
    out: &mut Vec<String>,
    seen: &mut BTreeSet<String>,
) {
    if !seen.insert(model.name.clone()) {
        return;
    }
    for f in &model.fields {
        let fpath = crate::load::join(path, &f.wire);
        let mut rules: Vec<String> = f.shape.checks.iter().map(Check::describe).collect();
        let mut ty = &f.shape.ty;
        if let Ty::List(inner) = ty {
            rules.extend(
                inner
                    .checks
                    .iter()
                    .map(|c| format!("each {}", c.describe())),
            );
            ty = &inner.ty;
        }
        if let Ty::Enum(en) = ty {
            rules.push(format!("a documented [`{en}`]({}) value", link(api, en)));
        }
        if !rules.is_empty() {
            out.push(format!("`{fpath}`: {}", rules.join("; ")));
        }
        if let Ty::Model(m) = ty {
            let nested = api.model(m);
            if nested.home == model.home && nested.inline {
                constraint_lines(api, nested, &fpath, out, seen);
            } else if has_constraints(api, nested, &mut BTreeSet::new()) {
                out.push(format!("`{fpath}`: the rules of [`{m}`]({})", link(api, m)));
            }
        }
    }
    for r in &model.rules {
        let at = if path.is_empty() {
            String::new()
        } else {
            format!("`{path}`: ")
        };
        out.push(format!("{at}{}", r.describe()));
    }
}

fn has_constraints(api: &Api, model: &Model, seen: &mut BTreeSet<String>) -> bool {
    if !seen.insert(model.name.clone()) {
        return false;
    }
    !model.rules.is_empty()
        || model.fields.iter().any(|f| {
            let mut ty = &f.shape.ty;
            let mut checks = !f.shape.checks.is_empty();
            if let Ty::List(inner) = ty {
                checks |= !inner.checks.is_empty();
                ty = &inner.ty;
            }
            checks
                || matches!(ty, Ty::Enum(_))
                || matches!(ty, Ty::Model(m) if has_constraints(api, api.model(m), seen))
        })
}

/// `use` lines for an example's imports (full paths), grouped as in generated code.
fn use_lines(imports: &[String]) -> String {
    let uses = grouped_uses(imports.iter().cloned());
    let file: syn::File = syn::parse2(uses).expect("use items");
    prettyplease::unparse(&file)
}

/// A compiled example built from the endpoint's first documented example.
fn example(api: &Api, e: &Endpoint, flavour: Flavour) -> String {
    let x = &e.examples[0];
    let mut uses = BTreeSet::new();
    let expr = values::build(api, &e.request, &x.request, &mut uses);
    // Formatted as a whole statement, so continuation lines indent from `let`.
    let statement = super::format_expr(quote::quote!(let request = #expr;));
    let mut imports: Vec<String> = uses.iter().map(|u| public_path(api, u)).collect();
    imports.sort();
    let dot_await = if flavour == Flavour::Async {
        ".await"
    } else {
        ""
    };
    let call = format!(
        "let reply = client.{}().{}(&request){dot_await}?;",
        e.group, e.id
    );
    let mut s = String::from("```\n");
    s += &use_lines(&imports);
    s += &sandbox_setup(e, &x.request, flavour);
    s += &format!("{statement}\n{call}\nprintln!(\"{{reply:?}}\");\n# Ok(())\n# }}\n```\n");
    s
}

/// Hidden lines that run an example against a sandbox prepared for it (the cards and
/// codes it names exist): the reader sees the call, the doctest runs it.
fn sandbox_setup(e: &Endpoint, request: &serde_json::Value, flavour: Flavour) -> String {
    let json = serde_json::to_string(request).unwrap_or_default();
    let hashes = "#".repeat(
        (1..)
            .find(|n| !json.contains(&format!("\"{}", "#".repeat(*n))))
            .unwrap_or(1),
    );
    let literal = format!("r{hashes}\"{json}\"{hashes}");
    let id = e.full_id();
    match flavour {
        Flavour::Async => format!(
            "# #[tokio::main(flavor = \"current_thread\")]\n\
             # async fn main() -> Result<(), wechat_card::Error> {{\n\
             # let sandbox = wechat_card::sandbox::Sandbox::for_example(\"{id}\", {literal}).await?;\n\
             # let client = sandbox.client()?; // `Client::new(Config::default(), credentials)` in production\n"
        ),
        Flavour::Blocking => format!(
            "# fn main() -> Result<(), wechat_card::Error> {{\n\
             # let sandbox = wechat_card::sandbox::Sandbox::for_example_blocking(\"{id}\", {literal})?;\n\
             # let client = sandbox.blocking_client()?;\n"
        ),
    }
}

/// An intra-doc link target that resolves from any generated module.
fn link(api: &Api, type_name: &str) -> String {
    public_path(api, type_name).replacen("wechat_card::", "crate::", 1)
}

/// One argument of a shortcut call in an example or test: its type, the value passed,
/// and the request field it fills with the value sent there (`None`: nothing is sent).
pub struct ArgValue {
    pub ty: Ty,
    pub value: serde_json::Value,
    pub sent: Option<(String, serde_json::Value)>,
}

/// The values a shortcut's example and test pass: the first example's, or the
/// smallest valid ones where the example has none. `sign` is 1 for the usual call. A
/// signed argument takes that sign (1 or -1; 0 passes 0, which fills nothing) and the
/// size of the example's field on that side. A keyed argument takes the value whose
/// field the example sets (or the first with a field); with -1, the first value with
/// no field of its own (sent through `extra`).
pub fn shortcut_arg_values(api: &Api, e: &Endpoint, s: &Shortcut, sign: i64) -> Vec<ArgValue> {
    let model = api.model(&e.request);
    let example = &e.examples[0].request;
    let value_of = |f: &Field| {
        example
            .get(&f.wire)
            .cloned()
            .unwrap_or_else(|| super::conformance::minimal(api, &f.shape))
    };
    let keyed = s.keyed.as_ref().map(|k| keyed_values(api, e, k, sign));
    s.args
        .iter()
        .map(|a| match s.signed(a) {
            None if keyed.as_ref().is_some_and(|(k, ..)| &k.arg == a) => {
                let (k, wire, ..) = keyed.as_ref().expect("just checked");
                ArgValue {
                    ty: Ty::Enum(k.enum_name.clone()),
                    value: wire.clone(),
                    sent: None,
                }
            }
            None if keyed.as_ref().is_some_and(|(k, ..)| &k.wrap == a) => {
                let (k, _, key, v) = keyed.as_ref().expect("just checked");
                let object = serde_json::json!({ k.wrap.clone(): v.clone() });
                ArgValue {
                    ty: k.wrap_ty.clone(),
                    value: v.clone(),
                    sent: Some((key.clone(), object)),
                }
            }
            Some(signed) => {
                let side = if sign < 0 {
                    &signed.negative
                } else {
                    &signed.positive
                };
                let f = model.field(side).expect("checked by the loader");
                let size = value_of(f).as_i64().filter(|n| *n > 0).unwrap_or(1);
                ArgValue {
                    ty: Ty::Int,
                    value: (sign.signum() * size).into(),
                    sent: (sign != 0).then(|| (f.wire.clone(), size.into())),
                }
            }
            None => {
                let f = model.field(a).expect("checked by the loader");
                let v = value_of(f);
                ArgValue {
                    ty: f.shape.ty.clone(),
                    value: v.clone(),
                    sent: Some((f.wire.clone(), v)),
                }
            }
        })
        .collect()
}

/// A keyed argument's value for `shortcut_arg_values`: the enum's wire value, the
/// key it fills, and the wrapped argument's value (the example's, under the first arm).
fn keyed_values<'a>(
    api: &Api,
    e: &Endpoint,
    k: &'a Keyed,
    sign: i64,
) -> (&'a Keyed, serde_json::Value, String, serde_json::Value) {
    let example = &e.examples[0].request;
    let arm = k
        .arms
        .iter()
        .find(|(_, field)| example.get(field).is_some())
        .unwrap_or(&k.arms[0]);
    let model = api.model(&e.request);
    let field = model.field(&arm.1).expect("checked by the loader");
    let Ty::Model(inner) = &field.shape.ty else {
        unreachable!("checked by the loader")
    };
    let wrapped = api
        .model(inner)
        .field(&k.wrap)
        .expect("checked by the loader");
    let value = example
        .get(&arm.1)
        .and_then(|o| o.get(&k.wrap))
        .cloned()
        .unwrap_or_else(|| super::conformance::minimal(api, &wrapped.shape));
    let undescribed = api.enums[&k.enum_name]
        .variants
        .iter()
        .find(|v| !k.arms.iter().any(|(wire, _)| wire == &v.wire));
    let wire = match (sign, undescribed) {
        (-1, Some(v)) => v.wire.clone(),
        _ => arm.0.clone(),
    };
    let key = wire.as_str().unwrap_or_default().to_lowercase();
    (k, wire, key, value)
}

pub fn shortcut_doc(api: &Api, e: &Endpoint, s: &Shortcut, flavour: Flavour) -> TokenStream {
    match flavour {
        Flavour::Blocking => doc_attrs(&blocking_doc(api, &s.summary, e, &s.name)),
        Flavour::Async => doc_attrs(&shortcut_text(api, e, s)),
    }
}

fn shortcut_text(api: &Api, e: &Endpoint, s: &Shortcut) -> String {
    let flavour = Flavour::Async;
    let mut d = format!("{}\n\n", s.summary);
    d += &format!(
        "A shortcut for [`{0}`](Self::{0}) (`{1}`)",
        e.id,
        e.full_id()
    );
    for signed in &s.signed {
        d += &format!(
            "; `{0}` > 0 sets `{1}` to `{0}`, `{0}` < 0 sets `{2}` to `-{0}`, and 0 is refused \
             (there is nothing to change)",
            signed.arg, signed.positive, signed.negative
        );
    }
    if let Some(k) = &s.keyed {
        let undescribed: Vec<String> = api.enums[&k.enum_name]
            .variants
            .iter()
            .filter(|v| !k.arms.iter().any(|(wire, _)| wire == &v.wire))
            .map(|v| format!("`{}`", v.wire.as_str().unwrap_or_default()))
            .collect();
        let undescribed = match undescribed.is_empty() {
            true => String::new(),
            false => format!("{}, or ", undescribed.join(", ")),
        };
        d += &format!(
            "; `{0}` picks the field that holds `{{\"{1}\": {1}}}`: the one named by its \
             lowercase value; a value with no field here ({undescribed}one the spec does not \
             know, `Unknown(..)`) puts it under that key through `extra`, the rest of the \
             request checked as usual",
            k.arg, k.wrap
        );
    }
    if s.set.is_empty() {
        d += ".\n\n";
    } else {
        let set: Vec<String> = s
            .set
            .iter()
            .map(|(k, v)| format!("`{k}` = {}", wire_display(v)))
            .collect();
        d += &format!(" with {}.\n\n", set.join(", "));
    }
    d += "Checked before sending, errors and idempotency: as for that method.\n\n# Example\n\n";
    let mut uses = BTreeSet::new();
    let args: Vec<String> = shortcut_arg_values(api, e, s, 1)
        .iter()
        .map(|a| super::format_expr(values::arg(api, &a.ty, &a.value, &mut uses)))
        .collect();
    let mut imports: Vec<String> = uses.iter().map(|u| public_path(api, u)).collect();
    imports.sort();
    let dot_await = if flavour == Flavour::Async {
        ".await"
    } else {
        ""
    };
    d += "```\n";
    d += &use_lines(&imports);
    d += &sandbox_setup(e, &e.examples[0].request, flavour);
    d += &format!(
        "let reply = client.{}().{}({}){dot_await}?;\n",
        e.group,
        s.name,
        args.join(", ")
    );
    d += "println!(\"{reply:?}\");\n# Ok(())\n# }\n```\n";
    d
}

/// The URL a token-free GET endpoint is reached at (default hosts), as the runtime
/// builds it: for docs and tests.
pub fn public_url(api: &Api, e: &Endpoint, request: &serde_json::Value) -> String {
    let host = match e.host {
        Host::Api => "https://api.weixin.qq.com",
        Host::Mp => "https://mp.weixin.qq.com",
    };
    let mut pairs: Vec<(String, String)> = e.fixed_query.clone();
    // In field order, as the generated `query()` sends them.
    let fields = &api.model(&e.request).fields;
    for (k, v) in fields
        .iter()
        .filter_map(|f| request.get(&f.wire).map(|v| (&f.wire, v)))
    {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        pairs.push((k.clone(), text));
    }
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect();
    let mut url = format!("{host}{}", e.path);
    if !query.is_empty() {
        url += &format!("?{}", query.join("&"));
    }
    url
}

/// Percent-encoding as the runtime does it (RFC 3986 unreserved characters kept).
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn url_doc(api: &Api, e: &Endpoint, flavour: Flavour) -> TokenStream {
    match flavour {
        Flavour::Blocking => {
            let summary = format!(
                "The URL of [`{0}`](Self::{0}), built locally: nothing is sent.",
                e.id
            );
            doc_attrs(&blocking_doc(api, &summary, e, &format!("{}_url", e.id)))
        }
        Flavour::Async => doc_attrs(&url_text(api, e)),
    }
}

fn url_text(api: &Api, e: &Endpoint) -> String {
    let flavour = Flavour::Async;
    let x = &e.examples[0];
    let mut uses = BTreeSet::new();
    let expr = super::format_expr(values::build(api, &e.request, &x.request, &mut uses));
    let mut d = format!(
        "The URL of [`{0}`](Self::{0}), built locally: nothing is sent. It needs no token, so it can \
         be handed to a browser or an `<img>` tag. The request is validated first.\n\n# Example\n\n",
        e.id
    );
    let client = match flavour {
        Flavour::Async => "wechat_card::Client",
        Flavour::Blocking => "wechat_card::blocking::Client",
    };
    d += "```\n";
    for u in &uses {
        d += &format!("use {};\n", public_path(api, u));
    }
    d += &format!(
        "# fn main() -> Result<(), wechat_card::Error> {{\n\
         # let client = {client}::new(wechat_card::Config::default(), wechat_card::StaticToken::new(\"ACCESS_TOKEN\"))?;\n\
         let url = client.{}().{}_url(&{expr})?;\n\
         assert_eq!(url, {:?});\n# Ok(())\n# }}\n```\n",
        e.group,
        e.id,
        public_url(api, e, &x.request)
    );
    d
}
