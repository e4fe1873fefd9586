//! Spec text -> checked `ir::Api`.
//!
//! Loading is pure: it takes the files' paths and contents, so tests can feed it
//! small in-memory specs. Every problem found is collected (not just the first), and
//! each names the file, the endpoint or type, and the field.

use crate::examples;
use crate::ir::*;
use crate::raw;
use heck::{ToSnakeCase, ToUpperCamelCase};
use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::fmt;

mod checks;
mod endpoints;
mod events;
mod types;

use checks::{check_examples, check_rule_paths, mark_request_side, mark_response_side};
use events::{check_events, events_ir};

/// One spec file: its path relative to the repository root (`spec/api/code.yaml`)
/// and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// A problem in the spec, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub file: String,
    /// `endpoint `get``, `type `DateInfo``, `enum `CardType``, or empty for file-level.
    pub location: String,
    /// The field path within the location, if any (`request.code`).
    pub field: String,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if !self.location.is_empty() {
            write!(f, ": {}", self.location)?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// All the problems of a spec that does not load.
#[derive(Debug)]
pub struct SpecErrors(pub Vec<SpecError>);

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the spec has {} problem(s):", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}

/// Where errors are reported while lowering one part of a file.
#[derive(Clone)]
struct Ctx {
    file: String,
    location: String,
}

impl Ctx {
    fn err(&self, field: impl Into<String>, message: impl Into<String>) -> SpecError {
        SpecError {
            file: self.file.clone(),
            location: self.location.clone(),
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Decodes a YAML value into `T`, reporting the path of the offending key.
fn decode<T: DeserializeOwned>(
    value: serde_yaml::Value,
    ctx: &Ctx,
    errors: &mut Vec<SpecError>,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => Some(v),
        Err(e) => {
            let path = e.path().to_string();
            let field = if path == "." { String::new() } else { path };
            errors.push(ctx.err(field, e.into_inner().to_string()));
            None
        }
    }
}

pub fn yaml_to_json(value: &serde_yaml::Value) -> Result<Value, String> {
    serde_json::to_value(value).map_err(|e| format!("not representable as JSON: {e}"))
}

/// Loads and checks a whole spec.
pub fn load(files: &[SourceFile]) -> Result<Api, SpecErrors> {
    let mut errors = Vec::new();
    let mut loader = Loader::default();

    let mut sorted: Vec<&SourceFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));

    // Pass 1: parse every file and learn every type and enum name, so references can
    // be resolved in any order.
    let mut type_files = Vec::new();
    let mut group_files = Vec::new();
    let mut errcode_file = None;
    let mut events_file = None;
    for file in sorted {
        let ctx = Ctx {
            file: file.path.clone(),
            location: String::new(),
        };
        let mut value: serde_yaml::Value = match serde_yaml::from_str(&file.text) {
            Ok(v) => v,
            Err(e) => {
                errors.push(ctx.err("", format!("not valid YAML: {e}")));
                continue;
            }
        };
        if let Err(e) = value.apply_merge() {
            errors.push(ctx.err("", format!("bad `<<` merge key: {e}")));
            continue;
        }
        let rel = file.path.strip_prefix("spec/").unwrap_or(&file.path);
        let stem = rel
            .rsplit('/')
            .next()
            .unwrap_or(rel)
            .trim_end_matches(".yaml")
            .to_owned();
        if rel == "errcodes.yaml" {
            errcode_file = decode::<raw::ErrCodesFile>(value, &ctx, &mut errors);
        } else if rel.starts_with("types/") && rel.ends_with(".yaml") {
            if let Some(t) = decode::<raw::TypesFile>(value, &ctx, &mut errors) {
                type_files.push((ctx, stem, t));
            }
        } else if rel.starts_with("api/") && rel.ends_with(".yaml") {
            if let Some(g) = decode::<raw::GroupFile>(value, &ctx, &mut errors) {
                if g.group != stem {
                    errors.push(ctx.err(
                        "group",
                        format!("`{}` must equal the file name `{stem}`", g.group),
                    ));
                }
                group_files.push((ctx, g));
            }
        } else if rel == "events.yaml" {
            if let Some(f) = decode::<raw::EventsFile>(value, &ctx, &mut errors) {
                check_events(&ctx, &f, &mut errors);
                events_file = Some(f);
            }
        } else {
            errors.push(ctx.err(
                "",
                "not a spec file: expected errcodes.yaml, events.yaml, types/*.yaml or api/*.yaml",
            ));
        }
    }

    match errcode_file {
        Some(f) => loader.errcodes(f, &mut errors),
        None => errors.push(SpecError {
            file: "spec/errcodes.yaml".into(),
            location: String::new(),
            field: String::new(),
            message: "missing: every spec needs its return codes".into(),
        }),
    }

    // Names first (pass 1b), bodies second (pass 2).
    let mut raw_types = Vec::new();
    for (ctx, stem, file) in type_files {
        loader.api_type_files.push(stem.clone());
        for (name, value) in file.enums {
            let ctx = Ctx {
                location: format!("enum `{name}`"),
                ..ctx.clone()
            };
            if let Some(e) = decode::<raw::Enum>(value, &ctx, &mut errors) {
                loader.enum_def(&ctx, &stem, name, e, &mut errors);
            }
        }
        for (name, value) in file.types {
            let ctx = Ctx {
                location: format!("type `{name}`"),
                ..ctx.clone()
            };
            if !is_pascal(&name) {
                errors.push(ctx.err("", "type names are PascalCase"));
            }
            if !loader.names.insert(name.clone()) {
                errors.push(ctx.err("", format!("duplicate type name `{name}`")));
                continue;
            }
            if let Some(obj) = decode::<raw::Object>(value, &ctx, &mut errors) {
                raw_types.push((ctx, stem.clone(), name, obj));
            }
        }
    }
    for (ctx, stem, name, obj) in raw_types {
        loader.object(&ctx, "", name, obj, Home::Types(stem), false, &mut errors);
    }

    let mut groups = Vec::new();
    for (ctx, g) in group_files {
        if let Some(group) = loader.group(&ctx, g, &mut errors) {
            groups.push(group);
        }
    }
    groups.sort_by(|a, b| a.name.cmp(&b.name));

    let origins = std::mem::take(&mut loader.model_origin);
    let mut api = Api {
        errcodes: loader.errcodes,
        enums: loader.enums,
        models: loader.models,
        type_files: loader.api_type_files,
        groups,
        events: events_file.map(events_ir),
    };
    api.type_files.sort();
    if errors.is_empty() {
        check_rule_paths(&api, &origins, &mut errors);
    }
    if errors.is_empty() {
        mark_request_side(&mut api);
        mark_response_side(&mut api);
        check_examples(&api, &mut errors);
    }
    if errors.is_empty() {
        Ok(api)
    } else {
        Err(SpecErrors(errors))
    }
}

#[derive(Default)]
struct Loader {
    errcodes: Vec<ErrCodeDef>,
    enums: IndexMap<String, EnumDef>,
    models: IndexMap<String, Model>,
    /// Every struct and enum name declared so far, for duplicate detection.
    names: HashSet<String>,
    api_type_files: Vec<String>,
    /// Where each model was declared, for messages about generated names.
    model_origin: BTreeMap<String, Ctx>,
}

fn is_pascal(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
}

fn is_snake(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

pub fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}
