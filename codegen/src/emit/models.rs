//! Structs and enums: the data types, their builders, validators and `Model` impls.

use super::names::*;
use crate::ir::*;
use proc_macro2::{Literal, TokenStream};
use quote::quote;
use std::collections::BTreeSet;

/// The models of one file in reading order: each root followed by its inline objects.
pub fn file_models<'a>(api: &'a Api, roots: impl IntoIterator<Item = &'a str>) -> Vec<&'a Model> {
    let mut out = Vec::new();
    add_models(api, roots, &mut out);
    out
}

/// Appends to `out` the models of `roots` it does not hold yet, in reading order. A
/// file built in several calls thus emits each struct once, even where a later root
/// reaches an earlier one's inline object.
pub fn add_models<'a>(
    api: &'a Api,
    roots: impl IntoIterator<Item = &'a str>,
    out: &mut Vec<&'a Model>,
) {
    for root in roots {
        let mut stack = vec![root];
        while let Some(name) = stack.pop() {
            let model = api.model(name);
            if out.iter().any(|m| m.name == model.name) {
                continue;
            }
            out.push(model);
            // Inline children (same home, generated names) follow their parent.
            let children: Vec<&str> = model
                .fields
                .iter()
                .filter_map(|f| inline_child(api, model, &f.shape.ty))
                .collect();
            stack.extend(children.into_iter().rev());
        }
    }
}

fn inline_child<'a>(api: &'a Api, parent: &Model, ty: &'a Ty) -> Option<&'a str> {
    match ty.leaf() {
        Ty::Model(m) if api.model(m).inline && api.model(m).home == parent.home => Some(m),
        _ => None,
    }
}

/// Names of models and enums a model's fields refer to.
pub fn references(model: &Model, out: &mut BTreeSet<String>) {
    for f in &model.fields {
        if let Ty::Model(m) | Ty::Enum(m) = f.shape.ty.leaf() {
            out.insert(m.clone());
        }
    }
}

pub fn model(api: &Api, model: &Model) -> TokenStream {
    let name = ident(&model.name);
    let doc = doc_attrs(
        model
            .doc
            .as_deref()
            .unwrap_or(&format!("`{}`.", model.name)),
    );
    let fields = model.fields.iter().map(|f| {
        let rust = ident(&f.rust);
        let ty = field_type(&f.shape.ty);
        let doc = doc_attrs(&field_doc(model, f));
        // Wire names and "absent is not sent" live in the field table (`Fields`).
        match f.plain {
            true => quote! { #doc pub #rust: #ty, },
            false => quote! { #doc pub #rust: Option<#ty>, },
        }
    });
    let builder = model.request_side.then(|| builder(model));
    let validate = model.request_side.then(|| validate(api, model));
    let has_secret = model.fields.iter().any(|f| f.secret);
    let derive_debug = (!has_secret).then(|| quote!(Debug,));
    let debug = has_secret.then(|| secret_debug(model));
    // Requests: only where `new()` takes nothing (a struct with required fields is
    // built with them). Replies: always, as every field may be absent; the sandbox
    // builds its replies from it (`..Default::default()`).
    let all_optional = model.fields.iter().all(|f| !f.plain);
    let takes_nothing = !model.fields.iter().any(|f| f.required);
    let derive_default =
        (all_optional && (takes_nothing || !model.request_side)).then(|| quote!(Default,));
    let response = model
        .is_response_root
        .then(|| quote!(crate::response::json_reply!(#name);));
    // A struct without described fields needs no field table of its own.
    let (fields_impl, object) = match model.fields.is_empty() {
        true => (None, quote!(object!(#name, only_extra);)),
        false => (
            Some(super::fields::fields_impl(model)),
            quote!(object!(#name);),
        ),
    };
    quote! {
        #doc
        #[derive(#derive_debug #derive_default Clone, PartialEq)]
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
            /// Fields the spec does not describe, kept and sent as they are ([`Extra`](crate::model::Extra)).
            pub extra: serde_json::Map<String, serde_json::Value>,
        }

        #builder

        #validate

        #fields_impl

        #object

        #response

        #debug
    }
}

/// `Debug` that prints `***` for secret fields (app secret, access_token, ticket).
fn secret_debug(model: &Model) -> TokenStream {
    let name = ident(&model.name);
    let name_str = &model.name;
    let fields = model.fields.iter().map(|f| {
        let (rust, label) = (ident(&f.rust), &f.rust);
        if f.secret {
            quote!(.field(#label, &"***"))
        } else {
            quote!(.field(#label, &self.#rust))
        }
    });
    quote! {
        impl std::fmt::Debug for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(#name_str)
                    #(#fields)*
                    .field("extra", &self.extra)
                    .finish()
            }
        }
    }
}

/// How a constructor or setter takes a value of this type, and how it stores it.
pub(super) fn parameter(ty: &Ty, arg: &proc_macro2::Ident) -> (TokenStream, TokenStream) {
    match ty {
        Ty::String => (quote!(impl Into<String>), quote!(#arg.into())),
        Ty::List(inner) if inner.ty == Ty::String => (
            quote!(impl IntoIterator<Item = impl Into<String>>),
            quote!(#arg.into_iter().map(Into::into).collect()),
        ),
        Ty::List(inner) => {
            let item = rust_type(&inner.ty);
            (
                quote!(impl IntoIterator<Item = #item>),
                quote!(#arg.into_iter().collect()),
            )
        }
        // Nested objects are boxed in the struct, but taken by value.
        Ty::Model(_) => (rust_type(ty), quote!(Box::new(#arg))),
        other => (rust_type(other), quote!(#arg)),
    }
}

/// `new()` with the required fields, and a setter for every other `Option` field.
fn builder(model: &Model) -> TokenStream {
    let name = ident(&model.name);
    let new = constructor(model);
    // A field named after a keyword (`r#type`) gets its setter written out: the
    // macro's doc link cannot name it.
    let is_keyword = |f: &&Field| ident(&f.rust).to_string().starts_with("r#");
    let keyword_setters = model
        .fields
        .iter()
        .filter(|f| !f.plain)
        .filter(is_keyword)
        .map(|f| {
            let field = ident(&f.rust);
            let (ty, store) = parameter(&f.shape.ty, &field);
            let doc = doc_attrs(&format!("Sets [`{0}`](Self::{0}).", f.rust));
            quote! {
                #doc
                pub fn #field(mut self, #field: #ty) -> Self {
                    self.#field = Some(#store);
                    self
                }
            }
        });
    // One line per setter: the runtime's `setters!` writes each method from its type.
    let setters: Vec<TokenStream> = model
        .fields
        .iter()
        .filter(|f| !f.plain && !is_keyword(f))
        .map(|f| {
            let field = ident(&f.rust);
            let ty = match &f.shape.ty {
                Ty::Model(_) => {
                    let ty = rust_type(&f.shape.ty);
                    quote!(Box<#ty>)
                }
                other => rust_type(other),
            };
            quote!(#field: #ty,)
        })
        .collect();
    let setters = (!setters.is_empty()).then(|| quote!(setters!(#name { #(#setters)* });));
    quote! {
        impl #name {
            #new

            #(#keyword_setters)*
        }

        #setters
    }
}

/// `new()`: the docs' required fields are its arguments, however many.
fn constructor(model: &Model) -> TokenStream {
    let required: Vec<&Field> = model.fields.iter().filter(|f| f.required).collect();
    let params = required.iter().map(|f| {
        let arg = ident(&f.rust);
        let (ty, _) = parameter(&f.shape.ty, &arg);
        quote!(#arg: #ty)
    });
    // Each required argument stored in its field; the others start empty.
    let inits = required.iter().map(|f| {
        let field = ident(&f.rust);
        let (_, store) = parameter(&f.shape.ty, &field);
        // Shorthand where the argument is stored as it is.
        if !f.plain {
            quote!(#field: Some(#store),)
        } else if field == store.to_string() {
            quote!(#field,)
        } else {
            quote!(#field: #store,)
        }
    });
    let all_optional = model.fields.iter().all(|f| !f.plain);
    let body = match (all_optional, required.is_empty()) {
        // (Such a model derives `Default`.)
        (true, true) => quote!(Self::default()),
        (true, false) => quote!(Self { #(#inits)* ..Self::slots() }),
        (false, _) => {
            let empty = model.fields.iter().filter(|f| !f.required).map(|f| {
                let field = ident(&f.rust);
                quote!(#field: None,)
            });
            quote!(Self { #(#inits)* #(#empty)* extra: Extra::new() })
        }
    };
    let doc = match required.is_empty() {
        true => "An empty value; set fields with the setters.".to_owned(),
        false => {
            let list: Vec<String> = required.iter().map(|f| format!("`{}`", f.wire)).collect();
            format!(
                "A value with the required {}; set the others with the setters.",
                list.join(", ")
            )
        }
    };
    let doc = doc_attrs(&doc);
    let allow = (required.len() > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    quote! {
        #doc
        #allow
        pub fn new(#(#params),*) -> Self {
            #body
        }
    }
}

fn validate(api: &Api, model: &Model) -> TokenStream {
    let name = ident(&model.name);
    // Each field with rules: its constraints as data, and its type's own rules.
    let fields = model.fields.iter().filter_map(|f| {
        let wire = &f.wire;
        let field = ident(&f.rust);
        if !has_rules(&f.shape) {
            return None;
        }
        let rules = constraints(api, &f.shape);
        let value = match f.plain {
            true => quote!(Some(&self.#field)),
            false => quote!(self.#field.as_ref()),
        };
        Some(quote!(c.field(#wire, #value, &[#(#rules),*]);))
    });
    let rules = model.rules.iter().map(|rule| object_rule(api, model, rule));
    // First, required fields set and none given again through `extra` (it would go out
    // twice, unchecked); then each field's rules.
    let described = (!model.fields.is_empty()).then(|| quote!(c.described_fields(self);));
    let fields: Vec<TokenStream> = described.into_iter().chain(fields).collect();
    let rules: Vec<TokenStream> = rules.collect();
    if fields.is_empty() && rules.is_empty() {
        return quote! {
            impl Validate for #name {
                /// No rules: every value of the type is valid.
                fn validate(&self, _: &mut Checker) {}
            }
        };
    }
    quote! {
        impl Validate for #name {
            fn validate(&self, c: &mut Checker) {
                #(#fields)*
                #(#rules)*
            }
        }
    }
}

/// One rule between a model's fields, as a call on the checker.
fn object_rule(api: &Api, model: &Model, rule: &Rule) -> TokenStream {
    match rule {
        Rule::ExactlyOneOf(names) | Rule::AtMostOneOf(names) => {
            let method = match rule {
                Rule::ExactlyOneOf(_) => quote!(exactly_one_of),
                _ => quote!(at_most_one_of),
            };
            let present = names.iter().map(|n| {
                let f = model.field(n).expect("checked by the loader");
                let field = ident(&f.rust);
                quote!(self.#field.is_some())
            });
            quote!(c.#method(&[#(#names),*], &[#(#present),*]);)
        }
        Rule::DateRange {
            begin,
            end,
            max_days,
            before_today,
        } => {
            let rust = |n: &String| ident(&model.field(n).expect("checked").rust);
            let (b, e) = (rust(begin), rust(end));
            let max = match max_days {
                Some(n) => {
                    let n = Literal::i64_unsuffixed(*n);
                    quote!(Some(#n))
                }
                None => quote!(None),
            };
            quote!(c.date_range((#begin, &self.#b), (#end, &self.#e), #max, #before_today);)
        }
        Rule::Order {
            lower,
            higher,
            strict,
        } => {
            let value = |n: &String| {
                let f = model.field(n).expect("checked");
                let field = ident(&f.rust);
                if f.plain {
                    quote!(Some(self.#field))
                } else {
                    quote!(self.#field)
                }
            };
            let (l, h) = (value(lower), value(higher));
            quote!(c.order((#lower, #l), (#higher, #h), #strict);)
        }
        Rule::MaxTotalItems { fields, max } => {
            let lens = fields.iter().map(|n| {
                let f = model.field(n).expect("checked");
                let field = ident(&f.rust);
                if f.plain {
                    quote!(self.#field.len())
                } else {
                    quote!(self.#field.as_ref().map_or(0, Vec::len))
                }
            });
            let max = Literal::usize_unsuffixed(*max as usize);
            quote!(c.max_total_items(&[#(#fields),*], #(#lens)+*, #max);)
        }
        Rule::Check(check) => check_rule(api, model, check),
    }
}

/// Whether a value has rules: constraints of its own or of its elements, or a type
/// with rules (a nested object, an enum's listed values).
pub(super) fn has_rules(shape: &Shape) -> bool {
    !shape.checks.is_empty()
        || match &shape.ty {
            Ty::Enum(_) | Ty::Model(_) => true,
            Ty::List(inner) => has_rules(inner),
            _ => false,
        }
}

/// A value's constraints, as the runtime's `Constraint` values (`MaxBytes(32)`); a
/// list's element constraints as `Each(&[..])`.
fn constraints(api: &Api, shape: &Shape) -> Vec<TokenStream> {
    let usize_lit = |n: &u64| Literal::usize_unsuffixed(*n as usize);
    let mut out: Vec<TokenStream> = shape
        .checks
        .iter()
        .map(|check| match check {
            Check::NonEmpty => quote!(NonEmpty),
            Check::MaxBytes(n) => {
                let n = usize_lit(n);
                quote!(MaxBytes(#n))
            }
            Check::MaxChars(n) => {
                let n = usize_lit(n);
                quote!(MaxChars(#n))
            }
            Check::Date => quote!(Date),
            Check::Color => quote!(Color),
            Check::Decimal => quote!(Decimal),
            Check::Min(n) => {
                let n = Literal::i64_unsuffixed(*n);
                quote!(Min(#n))
            }
            Check::Max(n) => {
                let n = Literal::i64_unsuffixed(*n);
                quote!(Max(#n))
            }
            Check::MinItems(n) => {
                let n = usize_lit(n);
                quote!(MinItems(#n))
            }
            Check::MaxItems(n) => {
                let n = usize_lit(n);
                quote!(MaxItems(#n))
            }
            Check::ContentTypes(types) => quote!(ContentType(&[#(#types),*])),
            Check::OneOf(values) => {
                let is_int = match &shape.ty {
                    Ty::Enum(e) => api.enums[e].is_int,
                    ty => *ty == Ty::Int,
                };
                match is_int {
                    true => {
                        let ints = values
                            .iter()
                            .filter_map(|x| x.as_i64())
                            .map(Literal::i64_unsuffixed);
                        quote!(OneOfInt(&[#(#ints),*]))
                    }
                    false => {
                        let strs = values.iter().filter_map(|x| x.as_str());
                        quote!(OneOfStr(&[#(#strs),*]))
                    }
                }
            }
        })
        .collect();
    if let Ty::List(inner) = &shape.ty {
        let each = constraints(api, inner);
        if !each.is_empty() {
            out.push(quote!(Each(&[#(#each),*])));
        }
    }
    out
}

pub fn enumeration(def: &EnumDef) -> TokenStream {
    let name = ident(&def.name);
    let doc = doc_attrs(def.doc.as_deref().unwrap_or(&format!("`{}`.", def.name)));
    let variants = def.variants.iter().map(variant);
    let (unknown_ty, wire_ty) = if def.is_int {
        (quote!(i64), quote!(i64))
    } else {
        (quote!(String), quote!(&str))
    };
    let to_wire = def.variants.iter().map(|v| {
        let rust = ident(&v.rust);
        let lit = wire_literal(&v.wire);
        quote!(Self::#rust => #lit,)
    });
    // Old wire forms are read as the value they name (a string enum reads them by
    // their text: `1` and `"1"` alike).
    let from_wire = def.variants.iter().map(|v| {
        let rust = ident(&v.rust);
        let lits = std::iter::once(&v.wire)
            .chain(&v.also)
            .map(|w| match (w, def.is_int) {
                (serde_json::Value::Number(n), false) => {
                    let text = n.to_string();
                    quote!(#text)
                }
                (w, _) => wire_literal(w),
            });
        quote!(#(#lits)|* => Self::#rust,)
    });
    let (accessor, unknown_arm, from_other, kind) = match def.is_int {
        true => (
            quote!(as_i64),
            quote!(Self::Unknown(n) => *n,),
            quote!(other => Self::Unknown(other),),
            quote!(int),
        ),
        false => (
            quote!(as_str),
            quote!(Self::Unknown(s) => s,),
            quote!(other => Self::Unknown(other.to_owned()),),
            quote!(str),
        ),
    };
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
            /// A value the docs did not list when this crate was generated, kept as sent.
            Unknown(#unknown_ty),
        }

        impl #name {
            /// The value as sent on the wire.
            pub fn #accessor(&self) -> #wire_ty {
                match self {
                    #(#to_wire)*
                    #unknown_arm
                }
            }
        }

        impl From<#wire_ty> for #name {
            fn from(value: #wire_ty) -> Self {
                match value {
                    #(#from_wire)*
                    #from_other
                }
            }
        }

        spec_enum!(#name, #kind);
    }
}

/// A variant, documented with its wire value.
fn variant(v: &Variant) -> TokenStream {
    let rust = ident(&v.rust);
    let wire = match &v.wire {
        serde_json::Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    };
    let doc = doc_attrs(&match &v.doc {
        Some(d) => format!("{wire}: {d}"),
        None => wire,
    });
    quote!(#doc #rust,)
}

fn wire_literal(wire: &serde_json::Value) -> TokenStream {
    match wire {
        serde_json::Value::String(s) => quote!(#s),
        other => {
            let n = Literal::i64_unsuffixed(other.as_i64().unwrap_or_default());
            quote!(#n)
        }
    }
}

/// A place in the model, reached through a dotted path: a plain place expression while
/// every step is required, an `Option<&T>` once one is optional.
enum Place {
    Direct(TokenStream),
    Optional(TokenStream),
}

fn place(api: &Api, model: &Model, path: &[String]) -> (Place, Ty) {
    let fields = api
        .path_fields(&model.name, path)
        .expect("checked by the loader");
    let mut place = Place::Direct(quote!(self));
    for f in &fields {
        let field = ident(&f.rust);
        place = match (place, f.plain) {
            (Place::Direct(p), true) => Place::Direct(quote!(#p.#field)),
            (Place::Direct(p), false) => Place::Optional(quote!(#p.#field.as_ref())),
            (Place::Optional(p), true) => Place::Optional(quote!(#p.map(|v| &v.#field))),
            (Place::Optional(p), false) => {
                Place::Optional(quote!(#p.and_then(|v| v.#field.as_ref())))
            }
        };
    }
    (
        place,
        fields.last().expect("paths are not empty").shape.ty.clone(),
    )
}

/// `value at path == wire value`, as a bool expression.
/// With `negate`, the opposite (`!=`), written the way clippy prefers.
fn equals(
    api: &Api,
    model: &Model,
    path: &[String],
    value: &serde_json::Value,
    negate: bool,
) -> TokenStream {
    let (place, ty) = place(api, model, path);
    // How the value compares with the wire value: `by_ref` for method calls, `by_val`
    // for plain comparisons (a place of type `T`, or `v: &T` and `*v`).
    let (op, direct_negate) = match negate {
        true => (quote!(!=), true),
        false => (quote!(==), false),
    };
    let compare = |by_ref: TokenStream, by_val: TokenStream| match (&ty, value) {
        (Ty::Enum(e), v) if api.enums[e].is_int => {
            let n = Literal::i64_unsuffixed(v.as_i64().unwrap_or_default());
            quote!(#by_ref.as_i64() #op #n)
        }
        (Ty::Enum(_), v) => {
            let s = v.as_str().unwrap_or_default();
            quote!(#by_ref.as_str() #op #s)
        }
        (Ty::Bool, serde_json::Value::Bool(b)) if *b != direct_negate => quote!(#by_val),
        (Ty::Bool, _) => quote!(!#by_val),
        (Ty::Int, v) => {
            let n = Literal::i64_unsuffixed(v.as_i64().unwrap_or_default());
            quote!(#by_val #op #n)
        }
        (_, v) => {
            let s = v.as_str().unwrap_or_default();
            quote!(#by_ref #op #s)
        }
    };
    match place {
        Place::Direct(p) => compare(p.clone(), p),
        Place::Optional(p) => {
            let test = compare(quote!(v), quote!(*v));
            if negate {
                quote!(#p.is_none_or(|v| #test))
            } else {
                quote!(#p.is_some_and(|v| #test))
            }
        }
    }
}

/// Whether the value at `path` is set (`want_set`) or not.
fn is_set(api: &Api, model: &Model, path: &[String], want_set: bool) -> TokenStream {
    if let [only] = path {
        // A field of this object: `self.x.is_some()` reads better than via `as_ref()`.
        let f = model.field(only).expect("checked by the loader");
        let field = ident(&f.rust);
        return match (f.plain, want_set) {
            (true, set) => quote!(#set),
            (false, true) => quote!(self.#field.is_some()),
            (false, false) => quote!(self.#field.is_none()),
        };
    }
    match (place(api, model, path).0, want_set) {
        (Place::Direct(_), set) => quote!(#set),
        (Place::Optional(p), true) => quote!(#p.is_some()),
        (Place::Optional(p), false) => quote!(#p.is_none()),
    }
}

fn check_rule(api: &Api, model: &Model, check: &CheckRule) -> TokenStream {
    // Several assertions share the reason: named once.
    let shared =
        check.present.len() + check.absent.len() + check.equal.len() + check.not_equal.len() > 1;
    let text = &check.because;
    let because = match shared {
        true => quote!(because),
        false => quote!(#text),
    };
    let mut asserts = Vec::new();
    for p in &check.present {
        let (at, ok) = (dotted(p), is_set(api, model, p, true));
        asserts.push(quote!(c.check(#at, #ok, "must be set", #because);));
    }
    for p in &check.absent {
        let (at, unset) = (dotted(p), is_set(api, model, p, false));
        asserts.push(quote!(c.check(#at, #unset, "must not be set", #because);));
    }
    for (p, v) in &check.equal {
        let (at, eq, expected) = (
            dotted(p),
            equals(api, model, p, v, false),
            format!("must be {}", wire_display(v)),
        );
        asserts.push(quote!(c.check(#at, #eq, #expected, #because);));
    }
    for (p, v) in &check.not_equal {
        let (at, eq, expected) = (
            dotted(p),
            equals(api, model, p, v, true),
            format!("must not be {}", wire_display(v)),
        );
        asserts.push(quote!(c.check(#at, #eq, #expected, #because);));
    }
    let name_it = shared.then(|| quote!(let because = #text;));
    if check.when.is_empty() {
        return match shared {
            true => quote!({ #name_it #(#asserts)* }),
            false => quote!(#(#asserts)*),
        };
    }
    let conditions = check.when.iter().map(|(p, v)| match v {
        serde_json::Value::Null => is_set(api, model, p, false),
        v => equals(api, model, p, v, false),
    });
    quote! {
        if #(#conditions)&&* {
            #name_it
            #(#asserts)*
        }
    }
}

/// The type a field is stored as: nested objects are boxed. The card models nest deep
/// and wide (a `Card` holds eleven card types, each with a `BaseInfo` of sixty fields);
/// stored inline, every move of a decoded reply copied kilobytes, and decoding spent
/// half its time in `memmove`.
pub(super) fn field_type(ty: &Ty) -> TokenStream {
    match ty {
        Ty::Model(_) => {
            let inner = rust_type(ty);
            quote!(Box<#inner>)
        }
        other => rust_type(other),
    }
}
