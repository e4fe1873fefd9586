//! A struct's field table (the runtime's `crate::model::Fields`): how it is read from
//! JSON — a match from key to slot, driven by the runtime's one loop — and the walk
//! over its fields that serialising, the `Model` reports and validation share.

use super::models::field_type;
use super::names::*;
use crate::ir::*;
use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// The `impl Fields` of a struct with at least one described field.
pub(super) fn fields_impl(model: &Model) -> TokenStream {
    let name = ident(&model.name);
    let read = read_body(model);
    let (slots_ty, slots, build) = match model.fields.iter().all(|f| !f.plain) {
        true => (quote!(Self), self_slots(model), self_build()),
        false => tuple_slots(model),
    };
    let visits = model.fields.iter().map(|f| {
        let (rust, wire) = (ident(&f.rust), &f.wire);
        match f.required {
            true => quote!(v.required(#wire, &self.#rust);),
            false => quote!(v.field(#wire, &self.#rust);),
        }
    });
    quote! {
        impl Fields for #name {
            type Slots = #slots_ty;

            fn slots() -> Self::Slots {
                #slots
            }

            fn read(slots: &mut Self::Slots, r: &mut impl Reader) {
                #read
            }

            #build

            fn visit(&self, v: &mut impl Visit) {
                #(#visits)*
            }
        }
    }
}

/// Where a field's value waits while the struct is read: the struct's own field when
/// every field is an `Option`, else a tuple slot (tuples of at most 12, which is as far
/// as `Default` goes: `slots.1.0` is the 13th field).
fn slot(model: &Model, i: usize) -> TokenStream {
    let f = &model.fields[i];
    if model.fields.iter().all(|f| !f.plain) {
        let rust = ident(&f.rust);
        return quote!(slots.#rust);
    }
    let (outer, inner) = (
        Literal::usize_unsuffixed(i / 12),
        Literal::usize_unsuffixed(i % 12),
    );
    match model.fields.len() > 12 {
        true => quote!(slots.#outer.#inner),
        false => quote!(slots.#inner),
    }
}

/// A match from the key to its slot (one field: an `if`, as clippy prefers).
fn read_body(model: &Model) -> TokenStream {
    if let [only] = model.fields.as_slice() {
        let (wire, slot) = (&only.wire, slot(model, 0));
        return quote! {
            if r.key() == #wire {
                r.fill(&mut #slot);
            }
        };
    }
    let arms = model.fields.iter().enumerate().map(|(i, f)| {
        let (wire, slot) = (&f.wire, slot(model, i));
        quote!(#wire => r.fill(&mut #slot),)
    });
    quote! {
        match r.key() {
            #(#arms)*
            _ => {}
        }
    }
}

/// The empty struct, its own slots.
fn self_slots(model: &Model) -> TokenStream {
    if !model.fields.iter().any(|f| f.required) {
        return quote!(Self::default());
    }
    // Required when sent, so no public `Default`: the empty value is spelled out.
    let fields = model.fields.iter().map(|f| {
        let rust = ident(&f.rust);
        quote!(#rust: None,)
    });
    quote!(Self { #(#fields)* extra: Extra::new() })
}

fn self_build() -> TokenStream {
    quote! {
        fn build<E: serde::de::Error>(slots: Self, extra: Extra) -> Result<Self, E> {
            Ok(Self { extra, ..slots })
        }
    }
}

/// A struct with plain (non-`Option`) fields waits in a tuple of `Option`s; building
/// it checks its plain fields arrived.
fn tuple_slots(model: &Model) -> (TokenStream, TokenStream, TokenStream) {
    let types: Vec<TokenStream> = model
        .fields
        .iter()
        .map(|f| {
            let ty = field_type(&f.shape.ty);
            quote!(Option<#ty>)
        })
        .collect();
    let slots_ty = match types.len() > 12 {
        true => {
            let chunks = types.chunks(12).map(|c| quote!((#(#c,)*)));
            quote!((#(#chunks,)*))
        }
        false => quote!((#(#types,)*)),
    };
    let inits = model.fields.iter().enumerate().map(|(i, f)| {
        let (rust, wire, slot) = (ident(&f.rust), &f.wire, slot(model, i));
        match f.plain {
            true => quote!(#rust: #slot.ok_or_else(|| E::missing_field(#wire))?,),
            false => quote!(#rust: #slot,),
        }
    });
    let build = quote! {
        fn build<E: serde::de::Error>(slots: Self::Slots, extra: Extra) -> Result<Self, E> {
            Ok(Self { #(#inits)* extra })
        }
    };
    (slots_ty, quote!(Default::default()), build)
}
