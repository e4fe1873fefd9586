//! Rust expressions for example values: the builder calls that produce a documented
//! request (`CodeGetRequest::new("123").check_consume(true)`), used in rustdoc examples
//! and conformance tests, the requests the shortcut methods build, and `json!` literals.

use super::names::*;
use crate::ir::*;
use proc_macro2::{Literal, TokenStream};
use quote::quote;
use serde_json::Value;
use std::collections::BTreeSet;

/// The builder expression that produces `value` as a `model`; records the type names
/// it uses (for `use` lines).
pub fn build(api: &Api, model: &str, value: &Value, uses: &mut BTreeSet<String>) -> TokenStream {
    uses.insert(model.to_owned());
    let m = api.model(model);
    let name = ident(&m.name);
    let map = value.as_object().cloned().unwrap_or_default();
    let args: Vec<TokenStream> = m
        .fields
        .iter()
        .filter(|f| f.required)
        .map(|f| {
            arg(
                api,
                &f.shape.ty,
                map.get(&f.wire).unwrap_or(&Value::Null),
                uses,
            )
        })
        .collect();
    let mut setters = Vec::new();
    for f in m.fields.iter().filter(|f| !f.required) {
        if let Some(v) = map.get(&f.wire) {
            let setter = ident(&f.rust);
            let a = arg(api, &f.shape.ty, v, uses);
            setters.push(quote!(.#setter(#a)));
        }
    }
    // Keys of no field (a keyed shortcut's undescribed value) go through `extra`.
    let extra: Vec<TokenStream> = map
        .iter()
        .filter(|(k, _)| m.field(k).is_none())
        .map(|(k, v)| {
            let v = json(v);
            quote!(built.extra.insert(#k.into(), serde_json::json!(#v));)
        })
        .collect();
    if extra.is_empty() {
        return quote!(#name::new(#(#args),*) #(#setters)*);
    }
    quote!({
        let mut built = #name::new(#(#args),*) #(#setters)*;
        #(#extra)*
        built
    })
}

pub fn arg(api: &Api, ty: &Ty, v: &Value, uses: &mut BTreeSet<String>) -> TokenStream {
    match (ty, v) {
        (Ty::String, Value::String(s)) => quote!(#s),
        (Ty::Int, Value::Number(n)) => {
            let lit = Literal::i64_unsuffixed(n.as_i64().unwrap_or_default());
            quote!(#lit)
        }
        (Ty::Bool, Value::Bool(b)) => quote!(#b),
        (Ty::File, v) => {
            let text = |k: &str| {
                v.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let (name, content_type, bytes) =
                (text("filename"), text("content_type"), text("bytes"));
            quote!(wechat_card::FilePart::new(#name, #content_type, #bytes))
        }
        (Ty::Json, v) => {
            let j = json(v);
            quote!(serde_json::json!(#j))
        }
        (Ty::List(inner), Value::Array(items)) if items.is_empty() => {
            let item = empty_list_item(&inner.ty, uses);
            quote!(Vec::<#item>::new())
        }
        (Ty::List(inner), Value::Array(items)) => {
            let items = items.iter().map(|x| arg(api, &inner.ty, x, uses));
            quote!([#(#items),*])
        }
        (Ty::Model(m), v) => build(api, m, v, uses),
        (Ty::Enum(e), v) => {
            uses.insert(e.clone());
            let def = &api.enums[e];
            let variant = def
                .variants
                .iter()
                .find(|x| &x.wire == v)
                .expect("examples are checked");
            let (e, var) = (ident(e), ident(&variant.rust));
            quote!(#e::#var)
        }
        _ => unreachable!("examples are checked against the spec before emitting"),
    }
}

fn empty_list_item(ty: &Ty, uses: &mut BTreeSet<String>) -> TokenStream {
    if let Ty::Model(n) | Ty::Enum(n) = ty {
        uses.insert(n.clone());
    }
    rust_type(ty)
}

/// The tokens of a `json!` macro argument for `value`.
pub fn json(value: &Value) -> TokenStream {
    match value {
        Value::Null => quote!(null),
        Value::Bool(b) => quote!(#b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let lit = Literal::i64_unsuffixed(i);
                quote!(#lit)
            } else {
                let lit = Literal::f64_unsuffixed(n.as_f64().unwrap_or_default());
                quote!(#lit)
            }
        }
        Value::String(s) => quote!(#s),
        Value::Array(items) => {
            let items = items.iter().map(json);
            quote!([#(#items),*])
        }
        Value::Object(map) => {
            let entries = map.iter().map(|(k, v)| {
                let v = json(v);
                quote!(#k: #v)
            });
            quote!({ #(#entries),* })
        }
    }
}

/// A scalar or enum wire value as an expression usable inside the crate (shortcuts'
/// fixed values).
pub fn arg_in_crate(api: &Api, ty: &Ty, v: &Value) -> TokenStream {
    match (ty, v) {
        (Ty::Enum(e), v) => {
            let def = &api.enums[e];
            let variant = def
                .variants
                .iter()
                .find(|x| &x.wire == v)
                .expect("checked by the loader");
            let (e, var) = (ident(e), ident(&variant.rust));
            quote!(crate::types::#e::#var)
        }
        (ty, v) => arg(api, ty, v, &mut BTreeSet::new()),
    }
}

/// The request a shortcut sends: its arguments and fixed values through the builders.
pub fn shortcut_request(api: &Api, e: &Endpoint, s: &Shortcut) -> TokenStream {
    let model = api.model(&e.request);
    let module = ident(&e.group);
    let request = ident(&e.request);
    let value = |f: &Field| -> TokenStream {
        if s.args.contains(&f.wire) {
            let arg = ident(&f.rust);
            quote!(#arg)
        } else {
            let v = &s.set.iter().find(|(k, _)| k == &f.wire).expect("checked").1;
            arg_in_crate(api, &f.shape.ty, v)
        }
    };
    let given = |f: &&Field| s.args.contains(&f.wire) || s.set.iter().any(|(k, _)| k == &f.wire);
    let required = model.fields.iter().filter(|f| f.required).map(&value);
    let setters = model
        .fields
        .iter()
        .filter(|f| !f.required)
        .filter(given)
        .map(|f| {
            let (setter, v) = (ident(&f.rust), value(f));
            quote!(.#setter(#v))
        });
    quote!(crate::#module::#request::new(#(#required),*) #(#setters)*)
}
