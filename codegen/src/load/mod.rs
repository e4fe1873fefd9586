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
use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::rc::Rc;

mod checks;
mod endpoints;
mod events;
mod object_rules;
mod types;

use checks::{check_examples, check_rule_paths, mark_request_side, mark_response_side};
use events::{check_events, events_ir};
use object_rules::object_rules;

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

/// The problems found so far. Every [`Ctx`] reports into the same list, so the
/// loader's functions report as they go and return only what they built.
type Reported = Rc<RefCell<Vec<SpecError>>>;

/// Where a problem is: the file and the part of it being lowered (an endpoint, a
/// type); and where it goes.
#[derive(Clone)]
struct Ctx {
    file: String,
    location: String,
    reported: Reported,
}

impl Ctx {
    /// The top of `file`.
    fn new(reported: &Reported, file: impl Into<String>) -> Ctx {
        Ctx {
            file: file.into(),
            location: String::new(),
            reported: reported.clone(),
        }
    }

    /// Another part of the same file.
    fn at(&self, location: impl Into<String>) -> Ctx {
        Ctx {
            location: location.into(),
            ..self.clone()
        }
    }

    /// Reports a problem with `field` (a path within this location; empty for the
    /// location itself).
    fn error(&self, field: impl Into<String>, message: impl Into<String>) {
        self.reported.borrow_mut().push(SpecError {
            file: self.file.clone(),
            location: self.location.clone(),
            field: field.into(),
            message: message.into(),
        });
    }
}

/// Decodes a YAML value into `T`, reporting the path of the offending key.
fn decode<T: DeserializeOwned>(value: serde_yaml::Value, ctx: &Ctx) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => Some(v),
        Err(e) => {
            let path = e.path().to_string();
            let field = if path == "." { String::new() } else { path };
            ctx.error(field, e.into_inner().to_string());
            None
        }
    }
}

pub fn yaml_to_json(value: &serde_yaml::Value) -> Result<Value, String> {
    serde_json::to_value(value).map_err(|e| format!("not representable as JSON: {e}"))
}

/// Loads and checks a whole spec.
pub fn load(files: &[SourceFile]) -> Result<Api, SpecErrors> {
    let reported = Reported::default();
    let spec = SpecFiles::parse(files, &reported);
    let mut loader = Loader::default();
    loader.errcodes(&Ctx::new(&reported, "spec/errcodes.yaml"), spec.errcodes);
    // Every type and enum name is learnt before any body is lowered, so references
    // resolve in any order.
    for (ctx, stem, name, obj) in loader.declare_types(spec.types) {
        loader.object(&ctx, "", name, obj, Home::Types(stem), false);
    }
    let groups = loader.groups(spec.groups);
    let origins = std::mem::take(&mut loader.model_origin);
    let mut api = loader.into_api(groups, spec.events.map(events_ir));
    // Each stage assumes the one before it found nothing wrong.
    let clean = || reported.borrow().is_empty();
    if clean() {
        check_rule_paths(&api, &origins);
    }
    if clean() {
        mark_request_side(&mut api);
        mark_response_side(&mut api);
        check_examples(&api, &Ctx::new(&reported, ""));
    }
    let errors = reported.take();
    if errors.is_empty() {
        Ok(api)
    } else {
        Err(SpecErrors(errors))
    }
}

/// The spec's files, parsed and sorted by kind.
#[derive(Default)]
struct SpecFiles {
    errcodes: Option<raw::ErrCodesFile>,
    /// Each with its stem (`card` for `spec/types/card.yaml`).
    types: Vec<(Ctx, String, raw::TypesFile)>,
    groups: Vec<(Ctx, raw::GroupFile)>,
    events: Option<raw::EventsFile>,
}

impl SpecFiles {
    fn parse(files: &[SourceFile], reported: &Reported) -> SpecFiles {
        let mut sorted: Vec<&SourceFile> = files.iter().collect();
        sorted.sort_by(|a, b| a.path.cmp(&b.path));
        let mut spec = SpecFiles::default();
        for file in sorted {
            let ctx = Ctx::new(reported, &file.path);
            if let Some(value) = parse_yaml(&ctx, &file.text) {
                spec.add(ctx, value);
            }
        }
        spec
    }

    /// Sorts a parsed file by its path: `errcodes.yaml`, `events.yaml`, `types/*.yaml` or
    /// `api/*.yaml` under `spec/`.
    fn add(&mut self, ctx: Ctx, value: serde_yaml::Value) {
        let rel = ctx.file.strip_prefix("spec/").unwrap_or(&ctx.file);
        let stem = rel
            .rsplit('/')
            .next()
            .unwrap_or(rel)
            .trim_end_matches(".yaml")
            .to_owned();
        let yaml = rel.ends_with(".yaml");
        if rel == "errcodes.yaml" {
            self.errcodes = decode::<raw::ErrCodesFile>(value, &ctx);
        } else if rel.starts_with("types/") && yaml {
            if let Some(t) = decode::<raw::TypesFile>(value, &ctx) {
                self.types.push((ctx, stem, t));
            }
        } else if rel.starts_with("api/") && yaml {
            if let Some(g) = decode::<raw::GroupFile>(value, &ctx) {
                if g.group != stem {
                    ctx.error(
                        "group",
                        format!("`{}` must equal the file name `{stem}`", g.group),
                    );
                }
                self.groups.push((ctx, g));
            }
        } else if rel == "events.yaml" {
            if let Some(f) = decode::<raw::EventsFile>(value, &ctx) {
                check_events(&ctx, &f);
                self.events = Some(f);
            }
        } else {
            ctx.error(
                "",
                "not a spec file: expected errcodes.yaml, events.yaml, types/*.yaml or api/*.yaml",
            );
        }
    }
}

/// A file's YAML, with `<<` merge keys applied.
fn parse_yaml(ctx: &Ctx, text: &str) -> Option<serde_yaml::Value> {
    let mut value: serde_yaml::Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            ctx.error("", format!("not valid YAML: {e}"));
            return None;
        }
    };
    if let Err(e) = value.apply_merge() {
        ctx.error("", format!("bad `<<` merge key: {e}"));
        return None;
    }
    Some(value)
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

impl Loader {
    /// What was lowered, as the IR (not yet checked as a whole).
    fn into_api(self, groups: Vec<Group>, events: Option<Events>) -> Api {
        let mut type_files = self.api_type_files;
        type_files.sort();
        Api {
            errcodes: self.errcodes,
            enums: self.enums,
            models: self.models,
            type_files,
            groups,
            events,
        }
    }
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
