//! An endpoint's `impl Endpoint`: method, path, query, body, idempotency, the
//! outcome check and what a documented success looks like.

use super::names::*;
use crate::ir::*;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The `impl Endpoint` of a request type: what the client needs to send it and to
/// read its reply.
pub(super) fn descriptor(api: &Api, e: &Endpoint) -> TokenStream {
    let model = api.model(&e.request);
    let request = ident(&e.request);
    let response = response_type_in_group(e);
    let id = e.full_id();
    let path = &e.path;
    let idempotent = e.idempotent;
    let method = match e.method {
        Method::Get => quote!(Method::Get),
        Method::Post => quote!(Method::Post),
    };
    let defaults = overridden_defaults(e);
    let reply_secrets = reply_secrets(api, e);
    let success = success_shape(api, e);
    let query = query_fn(model, e);
    let body = body_expr(model);
    let secrets = secrets_fn(model);
    let doc = doc_attrs(&format!("`{}`: {}", id, e.summary));
    quote! {
        #doc
        impl Endpoint for #request {
            const ID: &'static str = #id;
            const METHOD: Method = #method;
            const PATH: &'static str = #path;
            const IDEMPOTENT: bool = #idempotent;
            #defaults
            #reply_secrets
            #success
            type Response = #response;

            #query

            fn body(&self) -> Result<Body, serde_json::Error> {
                #body
            }

            #secrets
        }
    }
}

/// The reply type as the group's module names it (a binary reply is `crate::Binary`).
fn response_type_in_group(e: &Endpoint) -> TokenStream {
    match &e.response {
        Some(name) => {
            let name = ident(name);
            quote!(#name)
        }
        None => quote!(crate::Binary),
    }
}

/// The constants whose default (api host, a token, no outcome check) the endpoint
/// does not take.
fn overridden_defaults(e: &Endpoint) -> TokenStream {
    let host = (e.host == Host::Mp).then(|| {
        quote!(
            const HOST: Host = Host::Mp;
        )
    });
    let needs_token = (!e.needs_token).then(|| {
        quote!(
            const NEEDS_TOKEN: bool = false;
        )
    });
    let check_outcome = e
        .check_outcome
        .as_ref()
        .map(|c| quote!(const CHECK_OUTCOME: Option<&'static str> = Some(#c);));
    quote!(#host #needs_token #check_outcome)
}

/// `let name` or, when items are pushed after the `vec![..]`, `let mut name`.
fn vec_binding(name: &str, pushes: &[TokenStream]) -> TokenStream {
    let name = format_ident!("{name}");
    if pushes.is_empty() {
        quote!(let #name)
    } else {
        quote!(let mut #name)
    }
}

/// `fn query`: the fixed query and, for a GET, the request's fields.
fn query_fn(model: &Model, e: &Endpoint) -> Option<TokenStream> {
    // Required entries go straight into `vec![..]`; optional ones are pushed.
    let (mut first, mut then) = (Vec::new(), Vec::new());
    first.extend(
        e.fixed_query
            .iter()
            .map(|(k, v)| quote!((#k, #v.to_owned()))),
    );
    if model.encoding == Encoding::Query {
        for f in &model.fields {
            let (wire, field) = (&f.wire, ident(&f.rust));
            if f.plain {
                first.push(quote!((#wire, self.#field.to_string())));
            } else {
                then.push(
                    quote!(if let Some(v) = &self.#field { query.push((#wire, v.to_string())); }),
                );
            }
        }
    }
    if first.is_empty() && then.is_empty() {
        return None;
    }
    let binding = vec_binding("query", &then);
    Some(quote! {
        fn query(&self) -> Vec<(&'static str, String)> {
            #binding: Vec<(&'static str, String)> = vec![#(#first),*];
            #(#then)*
            query
        }
    })
}

/// The body of `fn body`, by the request's encoding.
fn body_expr(model: &Model) -> TokenStream {
    match model.encoding {
        Encoding::Json => quote!(Body::json(self)),
        Encoding::Query => quote!(Ok(Body::Empty)),
        Encoding::Multipart => multipart_body(model),
    }
}

/// One form part per field: files as files, the rest as text.
fn multipart_body(model: &Model) -> TokenStream {
    let part = |f: &Field, v: TokenStream| {
        let wire = &f.wire;
        match f.shape.ty {
            Ty::File => quote!(Part::file(#wire, #v)),
            _ => quote!(Part::text(#wire, #v)),
        }
    };
    let (mut first, mut then) = (Vec::new(), Vec::new());
    for f in &model.fields {
        let field = ident(&f.rust);
        if f.plain {
            first.push(part(f, quote!(&self.#field)));
        } else {
            let p = part(f, quote!(v));
            then.push(quote!(if let Some(v) = &self.#field { parts.push(#p); }));
        }
    }
    let binding = vec_binding("parts", &then);
    quote!({
        #binding = vec![#(#first),*];
        #(#then)*
        Ok(Body::Multipart(parts))
    })
}

/// `fn secrets`: the request's credentials, withheld from errors and logs.
fn secrets_fn(model: &Model) -> Option<TokenStream> {
    let fields: Vec<TokenStream> = model
        .fields
        .iter()
        .filter(|f| f.secret)
        .map(|f| {
            let field = ident(&f.rust);
            if f.plain {
                quote!(Some(self.#field.as_str()))
            } else {
                quote!(self.#field.as_deref())
            }
        })
        .collect();
    (!fields.is_empty()).then(|| {
        quote! {
            fn secrets(&self) -> Vec<&str> {
                [#(#fields),*].into_iter().flatten().collect()
            }
        }
    })
}

/// The wire names of the reply's fields that hold what `pick` selects.
fn reply_fields<'a>(api: &'a Api, e: &Endpoint, pick: fn(&Field) -> bool) -> Vec<&'a String> {
    e.response
        .as_deref()
        .map(|r| {
            api.model(r)
                .fields
                .iter()
                .filter(|f| pick(f))
                .map(|f| &f.wire)
                .collect()
        })
        .unwrap_or_default()
}

/// Credentials a reply carries (a new token): withheld from any error quoting it.
fn reply_secrets(api: &Api, e: &Endpoint) -> Option<TokenStream> {
    let secrets = reply_fields(api, e, |f| f.secret);
    (!secrets.is_empty())
        .then(|| quote!(const REPLY_SECRETS: &'static [&'static str] = &[#(#secrets),*];))
}

/// What every documented success reply carries: errcode 0 and the reply's required
/// fields (only said when every success example has an errcode).
fn success_shape(api: &Api, e: &Endpoint) -> Option<TokenStream> {
    let successes: Vec<&Example> = e
        .examples
        .iter()
        .filter(|x| x.errcode().is_none())
        .collect();
    let has_errcode = e.response.is_some()
        && !successes.is_empty()
        && successes
            .iter()
            .all(|x| x.response.get("errcode").is_some());
    has_errcode.then(|| {
        let fields = reply_fields(api, e, |f| f.required);
        let fields = (!fields.is_empty())
            .then(|| quote!(const SUCCESS_FIELDS: &'static [&'static str] = &[#(#fields),*];));
        quote! {
            const SUCCESS_HAS_ERRCODE: bool = true;
            #fields
        }
    })
}
