//! Rust names and type expressions for IR items, and the `use` lines that bring
//! them into a generated file.

use crate::ir::*;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use std::collections::BTreeSet;

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

/// `use` lines for the types a file refers to but does not define.
pub fn imports(
    api: &Api,
    defined: &BTreeSet<String>,
    referenced: &BTreeSet<String>,
    module: &TokenStream,
) -> TokenStream {
    let paths = referenced
        .iter()
        .filter(|r| !defined.contains(*r))
        .map(|r| {
            let home = home_module(api, r);
            // Inside `types`, siblings are reached through the parent module.
            let module = match home.to_string() == module.to_string() {
                true => "super".to_owned(),
                false => home.to_string().replace(' ', ""),
            };
            format!("{module}::{r}")
        });
    grouped_uses(paths)
}

/// `use` items for full paths (`crate::types::Card`): one per module, its names in
/// braces, as rustfmt groups them; modules in order.
pub fn grouped_uses(paths: impl IntoIterator<Item = String>) -> TokenStream {
    let mut by_module: std::collections::BTreeMap<String, Vec<proc_macro2::Ident>> =
        Default::default();
    for path in paths {
        let (module, name) = path.rsplit_once("::").expect("a path with a module");
        by_module
            .entry(module.to_owned())
            .or_default()
            .push(ident(name));
    }
    let uses = by_module.into_iter().map(|(module, names)| {
        let module: syn::Path = syn::parse_str(&module).expect("a module path");
        match names.as_slice() {
            [one] => quote!(use #module::#one;),
            _ => quote!(use #module::{#(#names),*};),
        }
    });
    quote!(#(#uses)*)
}

pub fn runtime_imports(models: &[&Model], has_enums: bool) -> TokenStream {
    let validate = models.iter().any(|m| m.request_side).then(|| {
        quote!(
            use crate::validate::{Checker, Validate};
        )
    });
    // The constraint names (`MaxBytes(32)`) where a validator lists any.
    let constraints = models
        .iter()
        .filter(|m| m.request_side)
        .flat_map(|m| &m.fields)
        .any(|f| {
            !f.shape.checks.is_empty() || matches!(&f.shape.ty, Ty::List(i) if !i.checks.is_empty())
        })
        .then(|| {
            quote!(
                use crate::validate::Constraint::*;
            )
        });
    let spec_enum = has_enums.then(|| {
        quote!(
            use crate::model::spec_enum;
        )
    });
    // (A file whose structs all lack described fields uses `object!` alone.)
    let tables = models
        .iter()
        .any(|m| !m.fields.is_empty())
        .then(|| quote!(Extra, Fields, Reader, Visit,));
    let setters = models
        .iter()
        .any(|m| m.request_side && m.fields.iter().any(|f| !f.plain))
        .then(|| {
            quote!(
                use crate::model::setters;
            )
        });
    let structs = (!models.is_empty()).then(|| {
        quote! {
            use crate::model::{object, #tables};
            #setters
        }
    });
    quote! {
        #structs
        #validate
        #constraints
        #spec_enum
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

/// A group's handler type: `CodeHandler` for `code`, in both clients.
pub fn handler_type(group: &str) -> Ident {
    use heck::ToUpperCamelCase;
    ident(&format!("{}Handler", group.to_upper_camel_case()))
}

/// The Rust type of an endpoint's reply, as a path from the crate root.
pub fn response_type(e: &Endpoint) -> TokenStream {
    match &e.response {
        Some(name) => {
            let (module, name) = (ident(&e.group), ident(name));
            quote!(#module::#name)
        }
        None => quote!(Binary),
    }
}

/// `use` lines of a file that names every group's types as `card::CardGetRequest`
/// (the handlers, the sandbox's operations), and the crate items it names.
pub fn group_imports(api: &Api, items: &[&str]) -> TokenStream {
    let groups = api.groups.iter().map(|g| ident(&g.name));
    let binary = api
        .groups
        .iter()
        .flat_map(|g| &g.endpoints)
        .any(|e| e.response.is_none())
        .then(|| quote!(Binary,));
    let items = items.iter().map(|i| ident(i));
    quote!(use crate::{#(#groups,)* #binary #(#items,)*};)
}

/// The Rust type of a shape (without the `Option` of optional fields).
pub fn rust_type(ty: &Ty) -> TokenStream {
    match ty {
        Ty::String => quote!(String),
        Ty::Int => quote!(i64),
        Ty::Bool => quote!(bool),
        Ty::Json => quote!(serde_json::Value),
        Ty::File => quote!(crate::FilePart),
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
pub fn field_doc(model: &Model, field: &Field) -> String {
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
    match (field.required, field.plain, model.request_side) {
        (true, true, _) => rules.insert(0, "required".into()),
        // An `Option`: the model is also read from replies, which may lack it.
        (true, false, true) => rules.insert(0, "required when sent; a reply may lack it".into()),
        (true, false, false) => rules.insert(
            0,
            "documented in every reply; `None` if WeChat left it out (see `missing_fields`)".into(),
        ),
        _ => {}
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
    let mut in_code = false;
    let text: Vec<String> = text
        .lines()
        .map(|line| {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
            }
            if in_code {
                line.to_owned()
            } else {
                escape_source_tags(line)
            }
        })
        .collect();
    let text = text.join("\n");
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

/// The spec cites sources in brackets (`[OFF]`, `[MIR §5]`); rustdoc would read them as
/// intra-doc links. Escapes every `[..]` that is neither a Markdown link (`[text](url)`)
/// nor a code link (`` [`Item`] ``).
fn escape_source_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find(']');
        let is_link = match close {
            Some(c) => {
                after.starts_with('`')
                    || after[c + 1..].starts_with('(')
                    || open > 0 && rest[..open].ends_with('\\')
            }
            None => true,
        };
        match close {
            Some(c) if !is_link => {
                out.push_str("\\[");
                out.push_str(&after[..c]);
                out.push_str("\\]");
                rest = &after[c + 1..];
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::escape_source_tags;

    #[test]
    fn source_tags_are_escaped_links_are_not() {
        assert_eq!(
            escape_source_tags("said [OFF] and [MIR §5]"),
            r"said \[OFF\] and \[MIR §5\]"
        );
        let links = "see [`ErrCode`](crate::ErrCode), [`Card`] and [docs](https://x)";
        assert_eq!(escape_source_tags(links), links);
        assert_eq!(
            escape_source_tags("unclosed [ bracket"),
            "unclosed [ bracket"
        );
    }
}
