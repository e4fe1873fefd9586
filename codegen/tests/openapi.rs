//! The OpenAPI description of the real spec holds every endpoint as the runtime sends
//! it: method, path, fixed query, token, encoding, examples. (Its validity as OpenAPI
//! 3.1 is checked by `cargo xtask test` with openapi-spec-validator; the fixture's
//! text by the snapshot.)

use serde_json::Value;
use std::path::Path;
use wechat_card_codegen::emit::OPENAPI_PATH;
use wechat_card_codegen::ir::{Encoding, Host, Method, Ty};
use wechat_card_codegen::{generate, load::load, read_spec};

fn real_spec() -> (wechat_card_codegen::ir::Api, Value) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let spec = read_spec(root).unwrap();
    let api = load(&spec).unwrap_or_else(|e| panic!("{e}"));
    let files = generate(&spec).unwrap();
    let file = files.iter().find(|f| f.path == OPENAPI_PATH).unwrap();
    (api, serde_json::from_str(&file.text).unwrap())
}

#[test]
fn every_endpoint_is_an_operation_as_the_client_sends_it() {
    let (api, doc) = real_spec();
    let mut operations = std::collections::BTreeSet::new();
    for e in api.groups.iter().flat_map(|g| &g.endpoints) {
        let method = match e.method {
            Method::Get => "get",
            Method::Post => "post",
        };
        let op = &doc["paths"][&e.path][method];
        assert!(
            op.is_object(),
            "{} has no operation {method} {}",
            e.full_id(),
            e.path
        );
        operations.insert(op["operationId"].as_str().unwrap().to_owned());
        // Stable: named after the endpoint, or after its path when a fixed query tells
        // the endpoints of that path apart (however many there are yet).
        let last = e.path.rsplit('/').next().unwrap();
        let stable = match e.fixed_query.is_empty() {
            true => format!("{}_{}", e.group, e.id),
            false => format!("{}_{last}", e.group),
        };
        assert_eq!(
            op["operationId"],
            stable.as_str(),
            "{}: operationId",
            e.full_id()
        );
        let named = op["x-endpoints"].as_array().unwrap();
        assert!(
            named.contains(&Value::from(e.full_id())),
            "{}: x-endpoints",
            e.full_id()
        );

        let token = op["security"] == serde_json::json!([{ "access_token": [] }]);
        assert_eq!(token, e.needs_token, "{}: security", e.full_id());
        let on_mp = op["servers"][0]["url"] == "https://mp.weixin.qq.com";
        assert_eq!(on_mp, e.host == Host::Mp, "{}: server", e.full_id());

        for (key, value) in &e.fixed_query {
            let param = op["parameters"]
                .as_array()
                .and_then(|ps| ps.iter().find(|p| p["name"] == key.as_str()))
                .unwrap_or_else(|| panic!("{}: no `{key}` parameter", e.full_id()));
            assert_eq!(param["required"], true);
            let values = param["schema"]["enum"].as_array().unwrap();
            assert!(
                values.contains(&Value::from(value.as_str())),
                "{}",
                e.full_id()
            );
        }

        if e.response.is_none() {
            // A file reply: bytes, as generators read them.
            let files = op["responses"]["200"]["content"].as_object().unwrap();
            let files = files.iter().filter(|(ty, _)| *ty != "application/json");
            assert!(files.clone().count() > 0, "{}: no file reply", e.full_id());
            for (ty, media) in files {
                assert_eq!(media["schema"]["format"], "binary", "{}: {ty}", e.full_id());
            }
        }

        let request = api.model(&e.request);
        let body = &op["requestBody"]["content"];
        match (e.method, request.encoding) {
            (Method::Get, _) => {
                assert!(body.is_null(), "{}: a GET has no body", e.full_id());
                for f in &request.fields {
                    let params = op["parameters"].as_array().unwrap();
                    let param = params.iter().find(|p| p["name"] == f.wire.as_str());
                    let param = param.unwrap_or_else(|| panic!("{}: {}", e.full_id(), f.wire));
                    assert_eq!(param["required"], f.required, "{}: {}", e.full_id(), f.wire);
                }
            }
            (Method::Post, Encoding::Multipart) => {
                assert!(body["multipart/form-data"].is_object(), "{}", e.full_id());
                // A file part is what generators read as a file (`format: binary`), not
                // a text part: the upload would carry no file name and no content type.
                let schema = &doc["components"]["schemas"][&request.name]["properties"];
                for f in request.fields.iter().filter(|f| f.shape.ty == Ty::File) {
                    assert_eq!(
                        schema[&f.wire]["format"],
                        "binary",
                        "{}: {}",
                        e.full_id(),
                        f.wire
                    );
                }
            }
            (Method::Post, _) => {
                let examples = &body["application/json"]["examples"];
                // Every documented request is there, as the docs write it.
                for x in &e.examples {
                    let found = examples
                        .as_object()
                        .unwrap()
                        .values()
                        .any(|ex| ex["value"] == x.request);
                    assert!(found, "{}: example {} missing", e.full_id(), x.name);
                }
            }
        }
    }
    let ops: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(ops, operations.len(), "operationIds are unique");
}

#[test]
fn request_models_state_what_json_schema_can_and_say_the_rest() {
    let (api, doc) = real_spec();
    let schemas = &doc["components"]["schemas"];
    for model in api.models.values() {
        let schema = &schemas[&model.name];
        assert_eq!(schema["type"], "object", "{}", model.name);
        let required: Vec<&str> = model
            .fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.wire.as_str())
            .collect();
        // Replies may lack any field: required only where no reply carries the model.
        let key = match model.response_side {
            true => "x-required-when-sent",
            false => "required",
        };
        if required.is_empty() {
            assert!(schema[key].is_null(), "{}", model.name);
        } else {
            assert_eq!(schema[key], serde_json::json!(required), "{}", model.name);
        }
    }
    for e in api.enums.values() {
        let values: Vec<Value> = e.variants.iter().map(|v| v.wire.clone()).collect();
        assert_eq!(schemas[&e.name]["enum"], Value::Array(values), "{}", e.name);
    }
    // A 汉字 limit: the byte bound as maxLength, the count as x-max-hanzi (notice: 16).
    let notice = &schemas["BaseInfo"]["properties"]["notice"];
    // (BaseInfo is read from replies too: the bound is a rule of requests.)
    assert_eq!(
        (
            notice["x-when-sent"]["maxLength"].as_u64(),
            notice["x-max-hanzi"].as_u64()
        ),
        (Some(48), Some(16))
    );
}

/// The keywords that constrain a value (rather than state its JSON type).
const CONSTRAINTS: &[&str] = &[
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "enum",
];

/// Where a property's schema (not following `$ref`s) constrains a value, or names an
/// enum without leaving room for values added later (an `anyOf` with a fallback).
fn strict_spots(path: &str, schema: &Value, enums: &[String], out: &mut Vec<String>) {
    for key in CONSTRAINTS {
        if schema.get(key).is_some() {
            out.push(format!("{path}: {key}"));
        }
    }
    // `int64` states the type's range; `date` is a rule of requests.
    if schema["format"] == "date" {
        out.push(format!("{path}: format date"));
    }
    if let Some(target) = schema["$ref"].as_str() {
        if enums.iter().any(|e| target.ends_with(&format!("/{e}"))) {
            out.push(format!("{path}: the closed enum {target}"));
        }
    }
    if let Some(items) = schema.get("items") {
        strict_spots(&format!("{path}/items"), items, enums, out);
    }
    if let Some(Value::Array(any)) = schema.get("anyOf") {
        let open = any.iter().any(|s| s.get("$ref").is_none());
        for (i, s) in any.iter().enumerate() {
            if !(open && s.get("$ref").is_some()) {
                strict_spots(&format!("{path}/anyOf/{i}"), s, enums, out);
            }
        }
    }
}

#[test]
fn models_that_replies_carry_constrain_nothing_and_keep_unknown_enum_values() {
    // WeChat's replies break the rules of requests (the docs' own card/get reply has a
    // `#10AD61` colour and an empty description) and carry enum values added later: a
    // generated client that checked a reply against the rules of requests would refuse
    // a success. Those rules are in `x-when-sent`, and each enum is open.
    let (api, doc) = real_spec();
    let schemas = &doc["components"]["schemas"];
    let enums: Vec<String> = api.enums.values().map(|e| e.name.clone()).collect();
    let mut strict = vec![];
    for model in api.models.values().filter(|m| m.response_side) {
        for f in &model.fields {
            let schema = &schemas[&model.name]["properties"][&f.wire];
            let path = format!("{}.{}", model.name, f.wire);
            strict_spots(&path, schema, &enums, &mut strict);
            let described = f.shape.checks.is_empty() || schema["x-when-sent"].is_object();
            assert!(described, "{path}: its rules are not in x-when-sent");
        }
    }
    assert!(
        strict.is_empty(),
        "reply-side schemas that refuse replies: {strict:#?}"
    );

    // A model only sent keeps every rule JSON Schema can state.
    let count = &schemas["CardBatchGetRequest"]["properties"]["count"];
    assert_eq!(count["maximum"], 50);
}
