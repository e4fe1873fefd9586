//! Rust names and type expressions for IR items.

use crate::ir::*;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// An identifier, raw (`r#type`) when the name is a Rust keyword.
pub fn ident(name: &str) -> Ident {
    if syn::parse_str::<Ident>(name).is_ok() {
        Ident::new(name, Span::call_site())
    } else {
        Ident::new_raw(name, Span::call_site())
    }
}

/// Where a model or enum lives, as a path from the crate root.
pub fn home_module(api: &Api, type_name: &str) -> TokenStream {
    if let Some(model) = api.models.get(type_name) {
        match &model.home {
            Home::Types(_) => quote!(crate::types),
            Home::Group(g) => {
                let g = ident(g);
                quote!(crate::#g)
            }
        }
    } else {
        quote!(crate::types)
    }
}

/// The path users write: `wechat_card::types::DateInfo`, `wechat_card::code::CodeGetRequest`.
pub fn public_path(api: &Api, type_name: &str) -> String {
    let module = match api.models.get(type_name).map(|m| &m.home) {
        Some(Home::Group(g)) => g.clone(),
        _ => "types".to_owned(),
    };
    format!("wechat_card::{module}::{type_name}")
}

/// The Rust type of a shape (without the `Option` of optional fields).
pub fn rust_type(ty: &Ty) -> TokenStream {
    match ty {
        Ty::String => quote!(String),
        Ty::Int => quote!(i64),
        Ty::Bool => quote!(bool),
        Ty::Json => quote!(serde_json::Value),
        Ty::List(inner) => {
            let inner = rust_type(&inner.ty);
            quote!(Vec<#inner>)
        }
        // Bare: every file imports the types it refers to.
        Ty::Model(name) | Ty::Enum(name) => {
            let name = ident(name);
            quote!(#name)
        }
    }
}

/// The rustdoc lines of a field: its doc, constraints and note.
pub fn field_doc(field: &Field) -> String {
    let mut doc = field.doc.clone().unwrap_or_default();
    let mut rules: Vec<String> = field
        .shape
        .checks
        .iter()
        .filter(|c| **c != Check::NonEmpty)
        .map(Check::describe)
        .collect();
    if let Ty::List(inner) = &field.shape.ty {
        rules.extend(
            inner
                .checks
                .iter()
                .map(|c| format!("each {}", c.describe())),
        );
    }
    if field.required {
        rules.insert(0, "required".into());
    }
    if !rules.is_empty() {
        if !doc.is_empty() {
            doc.push_str("\n\n");
        }
        doc.push_str(&format!("*{}.*", capitalize(&rules.join("; "))));
    }
    if let Some(note) = &field.note {
        doc.push_str(&format!("\n\nNote: {note}"));
    }
    doc
}

pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// `#[doc = ".."]` attributes, one per line, so prettyplease prints `///` comments.
pub fn doc_attrs(text: &str) -> TokenStream {
    let lines = text.trim_end().lines().map(|line| {
        let line = if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        quote!(#[doc = #line])
    });
    quote!(#(#lines)*)
}
