//! `spec/events.yaml` → `src/generated/events.rs` (one struct per card event and the
//! `CardEvent` enum, each readable and writable as XML) and `tests/conformance/events.rs`
//! (every documented example parses into its variant with nothing left over, and writes
//! back to the same event).

use super::names::{doc_attrs, ident};
use super::{GeneratedFile, render};
use crate::ir::{EventDef, EventField, EventFieldType, Events};
use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::quote;

const SOURCE: &str = "spec/events.yaml";

fn field_ident(f: &EventField) -> proc_macro2::Ident {
    ident(&f.xml.to_snake_case())
}

fn field_type(f: &EventField) -> TokenStream {
    let base = match f.ty {
        _ if f.values.is_some() => {
            let name = ident(&f.values.as_ref().expect("checked").0);
            quote!(#name)
        }
        EventFieldType::String => quote!(String),
        EventFieldType::Integer => quote!(i64),
        EventFieldType::Flag => quote!(bool),
    };
    match f.required {
        true => base,
        false => quote!(Option<#base>),
    }
}

/// Reads one field out of `fields` (a `crate::push::Fields`), by the field's type.
fn field_read(f: &EventField) -> TokenStream {
    let (name, id) = (&f.xml, field_ident(f));
    let read = match (f.ty, f.required) {
        _ if f.values.is_some() => {
            let e = ident(&f.values.as_ref().expect("checked").0);
            match f.required {
                true => quote!(#e::from_wire(fields.string(EVENT, #name)?)),
                false => quote!(fields.text(EVENT, #name)?.map(#e::from_wire)),
            }
        }
        (EventFieldType::String, true) => quote!(fields.string(EVENT, #name)?),
        (EventFieldType::String, false) => quote!(fields.text(EVENT, #name)?),
        (EventFieldType::Integer, true) => {
            quote!(fields.integer(EVENT, #name)?.ok_or_else(|| crate::push::missing(EVENT, #name))?)
        }
        (EventFieldType::Integer, false) => quote!(fields.integer(EVENT, #name)?),
        (EventFieldType::Flag, true) => {
            quote!(fields.flag(EVENT, #name)?.ok_or_else(|| crate::push::missing(EVENT, #name))?)
        }
        (EventFieldType::Flag, false) => quote!(fields.flag(EVENT, #name)?),
    };
    quote!(#id: #read,)
}

/// Writes one field into `xml` (a `crate::push::XmlWriter`) as WeChat writes it.
fn field_write(f: &EventField) -> TokenStream {
    let (name, id) = (&f.xml, field_ident(f));
    // (how to write it, the value when required, the value out of `Some(value)`)
    let (write, required, optional) = match f.ty {
        _ if f.values.is_some() => (
            quote!(text),
            quote!(self.#id.as_str()),
            quote!(value.as_str()),
        ),
        EventFieldType::String => (quote!(text), quote!(&self.#id), quote!(value)),
        EventFieldType::Integer => (quote!(integer), quote!(self.#id), quote!(*value)),
        EventFieldType::Flag => (quote!(flag), quote!(self.#id), quote!(*value)),
    };
    match f.required {
        true => quote!(xml.#write(#name, #required);),
        false => quote! {
            if let Some(value) = &self.#id {
                xml.#write(#name, #optional);
            }
        },
    }
}

fn field_decl(f: &EventField) -> TokenStream {
    let (id, ty) = (field_ident(f), field_type(f));
    let doc = doc_attrs(&format!("`<{}>`: {}", f.xml, f.doc));
    quote!(#doc pub #id: #ty,)
}

/// `src/generated/events.rs`: the envelope, the fields' enumerations, a struct per
/// event and the `CardEvent` enum over them.
pub fn file(events: &Events) -> GeneratedFile {
    let delivery = delivery_consts(events);
    let envelope = envelope(&events.envelope);
    let enums = field_enums(events);
    let structs = events.events.iter().map(event_struct);
    let card_event = card_event(&events.events);
    let tokens = quote! {
        //! The card events WeChat pushes to the account's server, typed. Read them with
        //! [`crate::push::events::CardEvent::parse`] or [`crate::push::Receiver::event`].

        use crate::push::{Fields, PushError, XmlWriter};

        #delivery

        #envelope

        #(#enums)*

        #(#structs)*

        #card_event
    };
    GeneratedFile {
        path: "src/generated/events.rs".into(),
        text: render(SOURCE, tokens),
    }
}

/// How WeChat delivers a push: how long it waits for the reply, how often it retries.
fn delivery_consts(events: &Events) -> TokenStream {
    let timeout_doc = doc_attrs(&format!(
        "WeChat drops the connection when there is no reply within {} s.",
        events.timeout_seconds
    ));
    let retries_doc = doc_attrs(&format!(
        "WeChat retries an unanswered push {} times, with the same message: de-duplicate \
         on `FromUserName` + `CreateTime`.",
        events.retries
    ));
    let timeout = proc_macro2::Literal::u64_unsuffixed(events.timeout_seconds);
    let retries = proc_macro2::Literal::u32_unsuffixed(events.retries);
    quote! {
        #timeout_doc
        pub const DELIVERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(#timeout);
        #retries_doc
        pub const DELIVERY_RETRIES: u32 = #retries;
    }
}

/// The fields every event carries, read and written like an event's own.
fn envelope(fields: &[EventField]) -> TokenStream {
    let envelope_decls = fields.iter().map(field_decl);
    let envelope_reads = fields.iter().map(field_read);
    let envelope_writes = fields.iter().map(field_write);
    quote! {
        /// The fields every pushed event carries.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Envelope {
            #(#envelope_decls)*
        }

        impl Envelope {
            fn from_fields(fields: &mut Fields) -> Result<Self, PushError> {
                const EVENT: &str = "the envelope";
                Ok(Envelope { #(#envelope_reads)* })
            }

            fn write(&self, xml: &mut XmlWriter) {
                #(#envelope_writes)*
            }
        }

    }
}

/// Each documented enumeration once, by name (the loader checked every use lists the
/// same values).
fn field_enums(events: &Events) -> Vec<TokenStream> {
    let mut enums = std::collections::BTreeMap::new();
    for f in events
        .envelope
        .iter()
        .chain(events.events.iter().flat_map(|e| &e.fields))
    {
        if let Some((name, values)) = &f.values {
            enums
                .entry(name.clone())
                .or_insert_with(|| (f.xml.clone(), values.clone()));
        }
    }
    enums
        .iter()
        .map(|(name, (xml, values))| value_enum(name, xml, values))
        .collect()
}

/// `CardEvent`, a variant per event, and `UnknownEvent` for the rest.
fn card_event(events: &[EventDef]) -> TokenStream {
    let variants = events.iter().map(|e| {
        let name = ident(&e.name);
        let doc = doc_attrs(&format!("`{}`: {}", e.wire, e.doc));
        quote!(#doc #name(#name),)
    });
    let methods = card_event_methods(events);
    quote! {
        /// An event this crate does not type (another card event, or not a card event):
        /// kept whole rather than refused.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct UnknownEvent {
            /// The `<Event>` value.
            pub event: String,
            /// The message as WeChat sent it (decrypted in safe mode).
            pub xml: String,
        }

        /// A card event, by its `<Event>`.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum CardEvent {
            #(#variants)*
            /// Any other event, kept as XML.
            Unknown(UnknownEvent),
        }

        #methods
    }
}

/// `CardEvent::{parse, envelope, extra, to_xml}`: a match arm per event in each.
fn card_event_methods(events: &[EventDef]) -> TokenStream {
    let arms = events.iter().map(|e| {
        let (name, wire) = (ident(&e.name), &e.wire);
        quote!(#wire => Some(CardEvent::#name(#name::from_fields(fields)?)),)
    });
    let envelope_arms = events.iter().map(|e| {
        let name = ident(&e.name);
        quote!(CardEvent::#name(e) => &e.envelope,)
    });
    let extra_arms = events.iter().map(|e| {
        let name = ident(&e.name);
        quote!(CardEvent::#name(e) => &e.extra,)
    });
    let to_xml_arms = events.iter().map(|e| {
        let name = ident(&e.name);
        quote!(CardEvent::#name(e) => e.to_xml(),)
    });
    quote! {
        impl CardEvent {
            /// Parses a plain (or decrypted) XML push. An event this crate does not know
            /// is [`CardEvent::Unknown`]; a known event with a missing or mistyped field
            /// is an error naming it.
            pub fn parse(xml: &str) -> Result<Self, PushError> {
                let fields = Fields::parse(xml)?;
                let event = fields.get("Event").unwrap_or_default().to_owned();
                let known = match event.as_str() {
                    #(#arms)*
                    _ => None,
                };
                Ok(match known {
                    Some(e) => e,
                    None => CardEvent::Unknown(UnknownEvent { event, xml: xml.to_owned() }),
                })
            }

            /// The envelope, for a known event (FromUserName, CreateTime: what WeChat's
            /// retries share).
            pub fn envelope(&self) -> Option<&Envelope> {
                Some(match self {
                    #(#envelope_arms)*
                    CardEvent::Unknown(_) => return None,
                })
            }

            /// Fields the spec does not describe, as (name, text), for a known event.
            pub fn extra(&self) -> &[(String, String)] {
                match self {
                    #(#extra_arms)*
                    CardEvent::Unknown(_) => &[],
                }
            }

            /// The event as WeChat pushes it, in plain XML (an unknown event as it came).
            /// `CardEvent::parse(&event.to_xml())` gives the event back.
            pub fn to_xml(&self) -> String {
                match self {
                    #(#to_xml_arms)*
                    CardEvent::Unknown(e) => e.xml.clone(),
                }
            }
        }
    }
}

/// A documented enumeration of an event field; values WeChat adds later are kept.
fn value_enum(name: &str, xml: &str, values: &[String]) -> TokenStream {
    use heck::ToUpperCamelCase;
    let name = ident(name);
    let variants: Vec<_> = values
        .iter()
        .map(|v| ident(&v.to_upper_camel_case()))
        .collect();
    let docs = values.iter().map(|v| doc_attrs(&format!("`{v}`")));
    let doc = doc_attrs(&format!("The documented values of `<{xml}>`."));
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum #name {
            #(#docs #variants,)*
            /// A value the docs do not list, kept as sent.
            Unknown(String),
        }

        impl #name {
            fn from_wire(value: String) -> Self {
                match value.as_str() {
                    #(#values => #name::#variants,)*
                    _ => #name::Unknown(value),
                }
            }

            /// The value as WeChat writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#name::#variants => #values,)*
                    #name::Unknown(value) => value,
                }
            }
        }
    }
}

fn event_struct(e: &EventDef) -> TokenStream {
    let name = ident(&e.name);
    let wire = &e.wire;
    let doc = doc_attrs(&format!("`{wire}`: {}", e.doc));
    let decls = e.fields.iter().map(field_decl);
    let reads = e.fields.iter().map(field_read);
    let writes = e.fields.iter().map(field_write);
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct #name {
            /// The fields every event carries.
            pub envelope: Envelope,
            #(#decls)*
            /// Elements the spec does not describe, as (name, text).
            pub extra: Vec<(String, String)>,
        }

        impl #name {
            /// The wire value of `<Event>`.
            pub const EVENT: &'static str = #wire;

            fn from_fields(mut fields: Fields) -> Result<Self, PushError> {
                const EVENT: &str = #wire;
                let envelope = Envelope::from_fields(&mut fields)?;
                Ok(#name {
                    envelope,
                    #(#reads)*
                    extra: fields.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect(),
                })
            }

            /// The event as WeChat pushes it, in plain XML: the envelope, the fields in
            /// the spec's order, then `extra`.
            pub fn to_xml(&self) -> String {
                let mut xml = XmlWriter::new();
                self.envelope.write(&mut xml);
                #(#writes)*
                for (name, value) in &self.extra {
                    xml.text(name, value);
                }
                xml.finish()
            }
        }
    }
}

pub fn tests(events: &Events) -> GeneratedFile {
    let cases = events.events.iter().flat_map(|e| {
        e.examples.iter().map(move |(example, xml)| {
            let name = ident(&e.name);
            let fn_name = ident(&format!("{}_{}", e.wire, example.to_snake_case()));
            quote! {
                #[test]
                fn #fn_name() {
                    let event = CardEvent::parse(#xml).unwrap();
                    let CardEvent::#name(typed) = &event else {
                        panic!("not {}: {event:?}", stringify!(#name));
                    };
                    assert_eq!(typed.envelope.event, #name::EVENT);
                    assert_eq!(event.extra(), &[] as &[(String, String)], "every element is typed");
                    assert_eq!(CardEvent::parse(&event.to_xml()).unwrap(), event, "to_xml round-trips");
                }
            }
        })
    });
    let tokens = quote! {
        //! Every documented example of `spec/events.yaml` parses into its event with no
        //! element left untyped, and writes back (`to_xml`) to the same event.

        use wechat_card::push::events::*;

        #(#cases)*
    };
    GeneratedFile {
        path: "tests/conformance/events.rs".into(),
        text: render(SOURCE, tokens),
    }
}
