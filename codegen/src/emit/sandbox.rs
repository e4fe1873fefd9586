//! The sandbox's routes: one `…Operations` trait per endpoint group, with one method
//! per endpoint, all required by `Operations` (so the compiler refuses a sandbox that
//! leaves one out, and the sandbox can implement each group in a file of its own), and
//! a `dispatch` that decodes each request as its endpoint is encoded and calls its
//! operation.

use super::names::*;
use crate::ir::*;
use heck::ToUpperCamelCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

fn operation_name(e: &Endpoint) -> proc_macro2::Ident {
    format_ident!("{}_{}", e.group, e.id)
}

/// How each field of a query or multipart request travels.
fn kinds(api: &Api, e: &Endpoint) -> TokenStream {
    let model = api.model(&e.request);
    if model.encoding == Encoding::Json {
        return quote!(&[]);
    }
    let entries = model.fields.iter().map(|f| {
        let wire = &f.wire;
        let kind = match &f.shape.ty {
            Ty::Int => quote!(Kind::Int),
            Ty::Bool => quote!(Kind::Bool),
            Ty::File => quote!(Kind::File),
            Ty::Enum(en) if api.enums[en].is_int => quote!(Kind::Int),
            _ => quote!(Kind::Text),
        };
        quote!((#wire, #kind))
    });
    quote!(&[#(#entries),*])
}

/// A group's trait: `CardOperations` for `card`.
fn group_trait_name(group: &str) -> proc_macro2::Ident {
    format_ident!("{}Operations", group.to_upper_camel_case())
}

/// One group's operations, one method per endpoint.
fn group_trait(group: &Group) -> TokenStream {
    let name = group_trait_name(&group.name);
    let doc = doc_attrs(&format!("The `{}` endpoints: {}.", group.name, group.title));
    let methods = group.endpoints.iter().map(|e| {
        let name = operation_name(e);
        let (module, request) = (ident(&e.group), ident(&e.request));
        let response = response_type(e);
        let doc = doc_attrs(&format!(
            "`{}` (`{:?} {}`): {}",
            e.full_id(),
            e.method,
            e.path,
            e.summary
        ));
        quote! {
            #doc
            fn #name(&self, request: #module::#request) -> Result<#response, Failure>;
        }
    });
    quote! {
        #doc
        pub trait #name {
            #(#methods)*
        }
    }
}

pub fn sandbox(api: &Api) -> TokenStream {
    let endpoints: Vec<&Endpoint> = api.groups.iter().flat_map(|g| &g.endpoints).collect();
    let group_traits = api.groups.iter().map(group_trait);
    let group_names = api.groups.iter().map(|g| group_trait_name(&g.name));
    // Endpoints sharing a method and path (setbizattr?action=…) are told apart by their
    // fixed query; the others route on the path alone, whatever the query.
    let shared = |e: &Endpoint| {
        let same = |o: &&&Endpoint| o.method == e.method && o.path == e.path;
        endpoints.iter().filter(same).count() > 1
    };
    let arms = endpoints.iter().map(|e| {
        let name = operation_name(e);
        let (module, request) = (ident(&e.group), ident(&e.request));
        let method = format_ident!("{}", format!("{:?}", e.method).to_upper_camel_case());
        let path = &e.path;
        let kinds = kinds(api, e);
        let run = if e.response.is_some() { quote!(run) } else { quote!(run_binary) };
        let guard = if shared(e) {
            let pairs = e.fixed_query.iter().map(|(k, v)| quote!((#k, #v)));
            quote!(if call.has_query(&[#(#pairs),*]))
        } else {
            quote!()
        };
        quote! {
            (Method::#method, #path) #guard => #run(context, call, #kinds, |r: #module::#request| operations.#name(r)).await,
        }
    });
    let imports = group_imports(api, &[]);
    let routes = endpoints.iter().map(|e| {
        let method = format_ident!("{}", format!("{:?}", e.method).to_upper_camel_case());
        let id = e.full_id();
        let path = if shared(e) {
            let query: Vec<String> = e
                .fixed_query
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!("{}?{}", e.path, query.join("&"))
        } else {
            e.path.clone()
        };
        quote!((Method::#method, #path, #id),)
    });
    quote! {
        //! The sandbox's routes, one per endpoint of `spec/api/`.

        #imports
        use crate::endpoint::Method;
        use crate::sandbox::runtime::{Call, Context, Failure, Kind, Reply, run, run_binary};

        /// The operations the sandbox implements: every endpoint of the spec, one trait
        /// per group. Each gets a request already authenticated and checked against the
        /// spec's rules.
        pub trait Operations: #(#group_names)+* + Send + Sync + 'static {}

        #(#group_traits)*

        /// Method, path and id of every endpoint `dispatch` routes (the sandbox counts
        /// requests by them); a path several endpoints share carries each one's fixed query.
        pub(crate) const ROUTES: &[(Method, &str, &str)] = &[
            #(#routes)*
        ];

        /// Routes a call to its endpoint's operation.
        pub(crate) async fn dispatch<O: Operations>(operations: &O, context: &Context, call: &Call) -> Reply {
            match (call.method, call.path.as_str()) {
                #(#arms)*
                _ => Reply::not_found(),
            }
        }
    }
}
