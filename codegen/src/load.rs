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

/// The card events: unique names, known field types, and every documented example is
/// the event it is filed under and uses only the fields the spec lists.
fn check_events(ctx: &Ctx, file: &raw::EventsFile, errors: &mut Vec<SpecError>) {
    if file.delivery.timeout_seconds == 0 {
        errors.push(ctx.err(
            "delivery.timeout_seconds",
            "WeChat allows some time to reply: more than 0",
        ));
    }
    let check_fields = |ctx: &Ctx, fields: &[raw::EventField], errors: &mut Vec<SpecError>| {
        let mut seen = std::collections::HashSet::new();
        for f in fields {
            if !matches!(f.ty.as_str(), "string" | "integer" | "flag") {
                errors.push(ctx.err(
                    &f.name,
                    format!("type `{}`: expected string, integer or flag", f.ty),
                ));
            }
            if !is_pascal(&f.name) {
                errors.push(ctx.err(&f.name, "XML element names are PascalCase"));
            }
            if !seen.insert(f.name.as_str()) {
                errors.push(ctx.err(&f.name, "listed twice"));
            }
            match (&f.values, &f.enum_name) {
                (Some(_), Some(name)) if f.ty == "string" && is_pascal(name) => {}
                (None, None) => {}
                _ => errors.push(ctx.err(
                    &f.name,
                    "`values` needs `enum` (a PascalCase name), on a string field, and the reverse",
                )),
            }
        }
    };
    check_fields(
        &Ctx {
            location: "envelope".into(),
            ..ctx.clone()
        },
        &file.envelope,
        errors,
    );
    let envelope: std::collections::HashSet<&str> =
        file.envelope.iter().map(|f| f.name.as_str()).collect();
    let (mut events, mut names) = (
        std::collections::HashSet::new(),
        std::collections::HashSet::new(),
    );
    for e in &file.events {
        let ctx = Ctx {
            location: format!("event `{}`", e.event),
            ..ctx.clone()
        };
        if !events.insert(e.event.as_str()) {
            errors.push(ctx.err("event", "duplicate event"));
        }
        if !is_pascal(&e.name) || !names.insert(e.name.as_str()) {
            errors.push(ctx.err(
                "name",
                format!("`{}` must be a unique PascalCase name", e.name),
            ));
        }
        check_fields(&ctx, &e.fields, errors);
        for f in &e.fields {
            if envelope.contains(f.name.as_str()) {
                errors.push(ctx.err(&f.name, "already in the envelope"));
            }
        }
        let known: std::collections::HashSet<&str> = envelope
            .iter()
            .copied()
            .chain(e.fields.iter().map(|f| f.name.as_str()))
            .chain(["xml"])
            .collect();
        for x in &e.examples {
            let field = format!("examples.{}", x.name);
            if element_value(&x.xml, "Event") != Some(e.event.as_str()) {
                errors.push(ctx.err(&field, format!("the example is not a `{}` event", e.event)));
            }
            for f in &e.fields {
                let Some(values) = &f.values else { continue };
                if let Some(v) = element_value(&x.xml, &f.name) {
                    if !v.is_empty() && !values.contains(&v.to_owned()) {
                        errors.push(ctx.err(
                            &field,
                            format!("<{}> is `{v}`, not one of its values", f.name),
                        ));
                    }
                }
            }
            for tag in element_names(&x.xml) {
                if !known.contains(tag) {
                    errors.push(ctx.err(
                        &field,
                        format!("<{tag}> is neither in the envelope nor a field of this event"),
                    ));
                }
            }
        }
    }
    // An enumeration is generated once, by name: every use must list the same values,
    // and the name must not be taken by a generated type.
    let mut taken: std::collections::HashSet<&str> = ["Envelope", "CardEvent", "UnknownEvent"]
        .into_iter()
        .chain(file.events.iter().map(|e| e.name.as_str()))
        .collect();
    let mut enums: std::collections::HashMap<&str, &Vec<String>> = Default::default();
    let uses = file
        .envelope
        .iter()
        .map(|f| ("envelope".to_owned(), f))
        .chain(
            file.events
                .iter()
                .flat_map(|e| e.fields.iter().map(|f| (format!("event `{}`", e.event), f))),
        );
    for (location, f) in uses {
        let (Some(name), Some(values)) = (&f.enum_name, &f.values) else {
            continue;
        };
        let ctx = Ctx {
            location,
            ..ctx.clone()
        };
        match enums.get(name.as_str()) {
            Some(first) if *first != values => errors.push(ctx.err(
                &f.name,
                format!("enum `{name}` is listed elsewhere with other values"),
            )),
            Some(_) => {}
            None if !taken.insert(name.as_str()) => errors.push(ctx.err(
                &f.name,
                format!("enum `{name}` is the name of another generated type"),
            )),
            None => {
                enums.insert(name.as_str(), values);
            }
        }
    }
}

fn events_ir(file: raw::EventsFile) -> crate::ir::Events {
    use crate::ir::{EventDef, EventField, EventFieldType};
    let field = |f: raw::EventField| EventField {
        ty: match f.ty.as_str() {
            "integer" => EventFieldType::Integer,
            "flag" => EventFieldType::Flag,
            _ => EventFieldType::String,
        },
        required: f.required,
        doc: f.doc,
        values: f
            .values
            .zip(f.enum_name)
            .map(|(values, name)| (name, values)),
        xml: f.name,
    };
    crate::ir::Events {
        timeout_seconds: file.delivery.timeout_seconds,
        retries: file.delivery.retries,
        envelope: file.envelope.into_iter().map(field).collect(),
        events: file
            .events
            .into_iter()
            .map(|e| EventDef {
                wire: e.event,
                name: e.name,
                doc: e.doc,
                fields: e.fields.into_iter().map(field).collect(),
                examples: e.examples.into_iter().map(|x| (x.name, x.xml)).collect(),
            })
            .collect(),
    }
}

/// The text of the first `<name>` element, CDATA or not, trimmed (the docs' own
/// examples put spaces around CDATA).
fn element_value<'x>(xml: &'x str, name: &str) -> Option<&'x str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let inner = xml[start..].split(&format!("</{name}>")).next()?.trim();
    let inner = match inner.strip_prefix("<![CDATA[") {
        Some(rest) => rest.strip_suffix("]]>")?,
        None => inner,
    };
    Some(inner.trim())
}

/// The names of the elements opened in an XML text (`<Name>` and `<Name attr…>`).
fn element_names(xml: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if rest.starts_with(['/', '!', '?']) {
            continue;
        }
        let end = rest
            .find(|c: char| c == '>' || c == '/' || c.is_whitespace())
            .unwrap_or(rest.len());
        if end > 0 {
            names.push(&rest[..end]);
        }
    }
    names
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

impl Loader {
    fn errcodes(&mut self, file: raw::ErrCodesFile, errors: &mut Vec<SpecError>) {
        let ctx = Ctx {
            file: "spec/errcodes.yaml".into(),
            location: String::new(),
        };
        let mut seen_codes = HashSet::new();
        let mut seen_names = HashSet::new();
        for c in file.codes {
            let field = format!("code {}", c.code);
            if !seen_codes.insert(c.code) {
                errors.push(ctx.err(field.clone(), "duplicate code"));
            }
            if !seen_names.insert(c.name.clone()) || c.name == "Unknown" {
                errors.push(ctx.err(
                    field.clone(),
                    format!("duplicate or reserved name `{}`", c.name),
                ));
            }
            if !is_pascal(&c.name) {
                errors.push(ctx.err(field.clone(), "names are PascalCase"));
            }
            if !["OFF", "MIR", "SDK", "OBS"].contains(&c.source.as_str()) {
                errors.push(ctx.err(field, "source is one of OFF, MIR, SDK, OBS"));
            }
            self.errcodes.push(ErrCodeDef {
                code: c.code,
                name: c.name,
                meaning: c.meaning,
                source: c.source,
                hint: c.hint,
            });
        }
        self.errcodes.sort_by_key(|c| c.code);
    }

    fn enum_def(
        &mut self,
        ctx: &Ctx,
        file: &str,
        name: String,
        e: raw::Enum,
        errors: &mut Vec<SpecError>,
    ) {
        if !is_pascal(&name) {
            errors.push(ctx.err("", "enum names are PascalCase"));
        }
        if !self.names.insert(name.clone()) {
            errors.push(ctx.err("", format!("duplicate type name `{name}`")));
            return;
        }
        if e.values.is_empty() {
            errors.push(ctx.err("values", "an enum needs at least one value"));
        }
        let is_int = e.repr == raw::EnumRepr::Int;
        let mut variants: Vec<Variant> = Vec::new();
        for (i, v) in e.values.into_iter().enumerate() {
            let field = format!("values[{i}]");
            let wire = match (&v.value, is_int) {
                (serde_yaml::Value::String(s), false) => Value::String(s.clone()),
                (serde_yaml::Value::Number(n), true) if n.as_i64().is_some() => {
                    Value::from(n.as_i64().unwrap())
                }
                _ => {
                    let want = if is_int {
                        "an integer (repr: int)"
                    } else {
                        "a string"
                    };
                    errors.push(ctx.err(field, format!("value must be {want}")));
                    continue;
                }
            };
            let rust = match (&v.name, &wire) {
                (Some(n), _) => n.clone(),
                (None, Value::String(s)) => {
                    let bare = e
                        .strip_prefix
                        .as_deref()
                        .and_then(|p| s.strip_prefix(p))
                        .unwrap_or(s);
                    bare.to_upper_camel_case()
                }
                (None, _) => {
                    errors.push(ctx.err(field, "integer values need a `name`"));
                    continue;
                }
            };
            if !is_pascal(&rust) || rust == "Unknown" {
                errors.push(ctx.err(
                    field.clone(),
                    format!("variant name `{rust}` must be PascalCase and not `Unknown`"),
                ));
            }
            if variants.iter().any(|x| x.reads(&wire) || x.rust == rust) {
                errors.push(ctx.err(
                    field,
                    format!("duplicate value or variant name ({wire} / {rust})"),
                ));
                continue;
            }
            let mut also = Vec::new();
            for alias in &v.also {
                let alias = match alias {
                    // An integer enum reads "1" as 1 already: only integers make sense.
                    serde_yaml::Value::String(_) if is_int => {
                        errors.push(ctx.err(&field, "`also` of an integer enum lists integers"));
                        continue;
                    }
                    serde_yaml::Value::String(s) => Value::String(s.clone()),
                    serde_yaml::Value::Number(n) if n.as_i64().is_some() => {
                        Value::from(n.as_i64().unwrap())
                    }
                    _ => {
                        errors.push(ctx.err(&field, "`also` lists strings or integers"));
                        continue;
                    }
                };
                // A string enum reads a number by its text (`1` and `"1"` alike).
                let text = |v: &Value| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let same = |v: &Value| v == &alias || (!is_int && text(v) == text(&alias));
                let taken = same(&wire)
                    || also.iter().any(same)
                    || variants
                        .iter()
                        .any(|x| same(&x.wire) || x.also.iter().any(same));
                if taken {
                    errors.push(ctx.err(&field, format!("`also` value {alias} is taken")));
                    continue;
                }
                also.push(alias);
            }
            variants.push(Variant {
                wire,
                rust,
                doc: v.doc,
                also,
            });
        }
        self.enums.insert(
            name.clone(),
            EnumDef {
                name,
                doc: e.doc,
                is_int,
                variants,
                file: file.to_owned(),
            },
        );
    }

    /// Lowers an object (and its inline objects) into models; returns its name.
    #[allow(clippy::too_many_arguments)] // the lowering context, passed down as is
    fn object(
        &mut self,
        ctx: &Ctx,
        path: &str,
        name: String,
        obj: raw::Object,
        home: Home,
        inline: bool,
        errors: &mut Vec<SpecError>,
    ) -> String {
        let fields = self.fields(ctx, path, &name, obj.fields, &home, errors);
        let rules = self.rules(ctx, path, &fields, obj.rules, errors);
        let encoding = match obj.encoding.as_deref() {
            None | Some("json") => Encoding::Json,
            Some("multipart") => Encoding::Multipart,
            Some(other) => {
                errors.push(ctx.err(
                    join(path, "encoding"),
                    format!("`{other}`: json or multipart"),
                ));
                Encoding::Json
            }
        };
        self.model_origin.insert(name.clone(), ctx.clone());
        self.models.insert(
            name.clone(),
            Model {
                name: name.clone(),
                doc: obj.doc,
                fields,
                rules,
                home,
                inline,
                request_side: false,
                response_side: false,
                is_response_root: false,
                encoding,
            },
        );
        name
    }

    fn fields(
        &mut self,
        ctx: &Ctx,
        path: &str,
        parent: &str,
        raw_fields: IndexMap<String, raw::Field>,
        home: &Home,
        errors: &mut Vec<SpecError>,
    ) -> Vec<Field> {
        let mut fields: Vec<Field> = Vec::new();
        for (wire, raw::Field(spec)) in raw_fields {
            let fpath = join(path, &wire);
            let rust = spec
                .rust_name
                .clone()
                .unwrap_or_else(|| wire.to_snake_case());
            if !is_snake(&rust) {
                errors.push(ctx.err(
                    fpath.clone(),
                    format!("Rust name `{rust}` is not snake_case; set `rust_name`"),
                ));
            }
            if rust == "extra" {
                errors.push(ctx.err(
                    fpath.clone(),
                    "`extra` is reserved for undocumented fields; set `rust_name`",
                ));
            }
            if fields.iter().any(|f| f.rust == rust) {
                errors.push(ctx.err(
                    fpath.clone(),
                    format!("two fields map to the Rust name `{rust}`"),
                ));
            }
            let (required, secret) = (spec.required, spec.secret);
            if secret && spec.ty != "string" {
                errors.push(ctx.err(fpath.clone(), "`secret` applies to string fields only"));
            }
            let (doc, note) = (spec.doc.clone(), spec.note.clone());
            let Some(shape) = self.shape(ctx, &fpath, parent, &wire, spec, home, errors) else {
                continue;
            };
            fields.push(Field {
                wire,
                rust,
                required,
                plain: false,
                doc,
                note,
                secret,
                shape,
            });
        }
        fields
    }

    /// Resolves a field's type and constraints.
    #[allow(clippy::too_many_arguments)]
    fn shape(
        &mut self,
        ctx: &Ctx,
        fpath: &str,
        parent: &str,
        wire: &str,
        mut spec: raw::FieldSpec,
        home: &Home,
        errors: &mut Vec<SpecError>,
    ) -> Option<Shape> {
        let err = |errors: &mut Vec<SpecError>, msg: String| errors.push(ctx.err(fpath, msg));
        if spec.ty != "object"
            && (spec.fields.is_some() || spec.name.is_some() || spec.rules.is_some())
        {
            err(
                errors,
                "`fields`, `name` and `rules` only apply to `type: object`".into(),
            );
        }
        if spec.ty != "list" && spec.items.is_some() {
            err(errors, "`items` only applies to `type: list`".into());
        }
        let ty = match spec.ty.as_str() {
            "string" => Ty::String,
            "int" => Ty::Int,
            "bool" => Ty::Bool,
            "json" => Ty::Json,
            "file" => Ty::File,
            "list" => {
                let Some(items) = spec.items.take() else {
                    err(errors, "a list needs `items`".into());
                    return None;
                };
                let raw::Field(item) = *items;
                if item.required {
                    err(errors, "`required` does not apply to list items".into());
                }
                let inner =
                    self.shape(ctx, &format!("{fpath}[]"), parent, wire, item, home, errors)?;
                Ty::List(Box::new(inner))
            }
            "object" => {
                let Some(fields) = spec.fields.take() else {
                    err(errors, "an inline object needs `fields`".into());
                    return None;
                };
                let name = spec
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("{parent}{}", wire.to_upper_camel_case()));
                if !is_pascal(&name) {
                    err(errors, format!("type name `{name}` is not PascalCase"));
                }
                if !self.names.insert(name.clone()) {
                    err(
                        errors,
                        format!(
                            "the inline object's type name `{name}` is already taken; set `name`"
                        ),
                    );
                    return None;
                }
                let obj = raw::Object {
                    name: None,
                    doc: spec.doc.clone(),
                    fields,
                    rules: spec.rules.take().unwrap_or_default(),
                    encoding: None,
                };
                Ty::Model(self.object(ctx, fpath, name, obj, home.clone(), true, errors))
            }
            other if self.enums.contains_key(other) => Ty::Enum(other.to_owned()),
            other if self.names.contains(other) => Ty::Model(other.to_owned()),
            other => {
                err(
                    errors,
                    format!(
                        "unknown type `{other}` (not a scalar type and not defined in spec/types/)"
                    ),
                );
                return None;
            }
        };
        let mut checks = Vec::new();
        if (spec.required || spec.non_empty) && ty == Ty::String {
            checks.push(Check::NonEmpty);
        } else if spec.non_empty {
            err(errors, "`non_empty` applies to string fields only".into());
        }
        let kind_ok = |k: &str| match k {
            "string" => ty == Ty::String,
            "string or file" => ty == Ty::String || ty == Ty::File,
            "file" => ty == Ty::File,
            "int" => ty == Ty::Int,
            "list" => matches!(ty, Ty::List(_)),
            _ => false,
        };
        let mut want =
            |errors: &mut Vec<SpecError>, key: &str, kind: &str, check: Option<Check>| {
                if let Some(check) = check {
                    if kind_ok(kind) {
                        checks.push(check);
                    } else {
                        err(errors, format!("`{key}` applies to {kind} fields only"));
                    }
                }
            };
        want(
            errors,
            "max_bytes",
            "string or file",
            spec.max_bytes.map(Check::MaxBytes),
        );
        want(
            errors,
            "max_chars",
            "string",
            spec.max_chars.map(Check::MaxChars),
        );
        match spec.format.as_deref() {
            None => {}
            Some("date") => want(errors, "format", "string", Some(Check::Date)),
            Some("color") => want(errors, "format", "string", Some(Check::Color)),
            Some(other) => err(
                errors,
                format!("unknown format `{other}` (known: date, color)"),
            ),
        }
        want(errors, "min", "int", spec.min.map(Check::Min));
        want(errors, "max", "int", spec.max.map(Check::Max));
        want(
            errors,
            "min_items",
            "list",
            spec.min_items.map(Check::MinItems),
        );
        want(
            errors,
            "max_items",
            "list",
            spec.max_items.map(Check::MaxItems),
        );
        if let (Some(min), Some(max)) = (spec.min, spec.max) {
            if min > max {
                err(errors, format!("min {min} > max {max}"));
            }
        }
        want(
            errors,
            "content_types",
            "file",
            spec.content_types.map(Check::ContentTypes),
        );
        if let Some(values) = spec.one_of {
            let mut wire_values = Vec::new();
            for v in &values {
                match yaml_to_json(v) {
                    Ok(v) => wire_values.push(v),
                    Err(e) => err(errors, format!("one_of: {e}")),
                }
            }
            // Not on bools: the validators have no bool form of `one_of`.
            let allowed = |v: &Value| ty != Ty::Bool && fits(&self.enums, &ty, v);
            if wire_values.is_empty() {
                err(errors, "one_of needs at least one value".into());
            } else if let Some(bad) = wire_values.iter().find(|v| !allowed(v)) {
                err(
                    errors,
                    format!("one_of value {bad} is not a value of this field's type"),
                );
            } else {
                checks.push(Check::OneOf(wire_values));
            }
        }
        Some(Shape { ty, checks })
    }

    fn rules(
        &self,
        ctx: &Ctx,
        path: &str,
        fields: &[Field],
        raw_rules: Vec<raw::Rule>,
        errors: &mut Vec<SpecError>,
    ) -> Vec<Rule> {
        let rpath = join(path, "rules");
        let field = |name: &str, errors: &mut Vec<SpecError>| -> Option<&Field> {
            let f = fields.iter().find(|f| f.wire == name);
            if f.is_none() {
                errors.push(ctx.err(
                    rpath.clone(),
                    format!("names `{name}`, which is not a field of this object"),
                ));
            }
            f
        };
        let mut rules = Vec::new();
        for rule in raw_rules {
            let kinds = [
                rule.exactly_one_of.is_some(),
                rule.at_most_one_of.is_some(),
                rule.date_range.is_some(),
                rule.order.is_some(),
                rule.max_total_items.is_some(),
                rule.check.is_some(),
            ];
            if kinds.iter().filter(|k| **k).count() != 1 {
                errors.push(ctx.err(
                    rpath.clone(),
                    "each rule has exactly one key: exactly_one_of, at_most_one_of, \
                     date_range, order, max_total_items or check",
                ));
                continue;
            }
            if let Some(r) = rule.order {
                let int = |n: &str, errors: &mut Vec<SpecError>| {
                    field(n, errors).is_some_and(|f| f.shape.ty == Ty::Int)
                };
                if int(&r.lower, errors) && int(&r.higher, errors) {
                    rules.push(Rule::Order {
                        lower: r.lower,
                        higher: r.higher,
                        strict: r.strict,
                    });
                } else {
                    errors.push(ctx.err(rpath.clone(), "order names two int fields"));
                }
            }
            if let Some(r) = rule.max_total_items {
                let lists = r
                    .fields
                    .iter()
                    .all(|n| field(n, errors).is_some_and(|f| matches!(f.shape.ty, Ty::List(_))));
                if lists && r.fields.len() >= 2 {
                    rules.push(Rule::MaxTotalItems {
                        fields: r.fields,
                        max: r.max,
                    });
                } else {
                    errors.push(ctx.err(
                        rpath.clone(),
                        "max_total_items names two or more list fields",
                    ));
                }
            }
            if let Some(r) = rule.check {
                // Only the first step is checked here: nested models may not be lowered
                // yet. `check_rule_paths` checks whole paths once everything is.
                let path = |p: &str, errors: &mut Vec<SpecError>| -> FieldPath {
                    let steps: FieldPath = p.split('.').map(str::to_owned).collect();
                    field(&steps[0], errors);
                    steps
                };
                let pairs = |m: IndexMap<String, serde_yaml::Value>,
                             errors: &mut Vec<SpecError>| {
                    let mut out = Vec::new();
                    for (p, v) in m {
                        match yaml_to_json(&v) {
                            Ok(v) => out.push((path(&p, errors), v)),
                            Err(e) => errors.push(ctx.err(rpath.clone(), format!("`{p}`: {e}"))),
                        }
                    }
                    out
                };
                let when = pairs(r.when, errors);
                let equal = pairs(r.equal, errors);
                let not_equal = pairs(r.not_equal, errors);
                let present = r.present.iter().map(|p| path(p, errors)).collect();
                let absent = r.absent.iter().map(|p| path(p, errors)).collect();
                let check = CheckRule {
                    when,
                    present,
                    absent,
                    equal,
                    not_equal,
                    because: r.because,
                };
                if check.present.is_empty()
                    && check.absent.is_empty()
                    && check.equal.is_empty()
                    && check.not_equal.is_empty()
                {
                    errors.push(ctx.err(
                        rpath.clone(),
                        "a check needs present, absent, equal or not_equal",
                    ));
                } else {
                    rules.push(Rule::Check(check));
                }
            }
            if let Some(names) = rule.exactly_one_of.or(rule.at_most_one_of.clone()) {
                let exactly = rule.at_most_one_of.is_none();
                let key = if exactly {
                    "exactly_one_of"
                } else {
                    "at_most_one_of"
                };
                if names.len() < 2 {
                    errors.push(ctx.err(rpath.clone(), format!("{key} needs at least two fields")));
                } else if names
                    .iter()
                    .all(|n| field(n, errors).is_some_and(|f| !f.required))
                {
                    rules.push(if exactly {
                        Rule::ExactlyOneOf(names)
                    } else {
                        Rule::AtMostOneOf(names)
                    });
                } else {
                    errors
                        .push(ctx.err(rpath.clone(), format!("{key} names optional fields only")));
                }
            }
            if let Some(r) = rule.date_range {
                let dated = |n: &str, errors: &mut Vec<SpecError>| {
                    field(n, errors)
                        .is_some_and(|f| f.required && f.shape.checks.contains(&Check::Date))
                };
                let (b, e) = (dated(&r.begin, errors), dated(&r.end, errors));
                if !(b && e) {
                    errors.push(ctx.err(
                        rpath.clone(),
                        "date_range names two required `format: date` fields",
                    ));
                } else if r.max_days.is_some_and(|n| n < 0) {
                    errors.push(ctx.err(rpath.clone(), "max_days must not be negative"));
                } else {
                    rules.push(Rule::DateRange {
                        begin: r.begin,
                        end: r.end,
                        max_days: r.max_days,
                        before_today: r.before_today,
                    });
                }
            }
        }
        rules
    }

    /// GET requests are query parameters; multipart requests are form parts. Both
    /// carry scalars only (and multipart, files); files appear nowhere else.
    fn request_encoding(
        &mut self,
        ctx: &Ctx,
        request: &str,
        method: Method,
        errors: &mut Vec<SpecError>,
    ) {
        let model = &mut self.models[request];
        if method == Method::Get {
            if model.encoding == Encoding::Multipart {
                errors.push(ctx.err("request.encoding", "a GET has no body to encode"));
            }
            model.encoding = Encoding::Query;
        } else if model.encoding == Encoding::Multipart && method != Method::Post {
            errors.push(ctx.err("request.encoding", "multipart is for POST"));
        }
        let encoding = model.encoding;
        for f in &model.fields {
            let flat = matches!(f.shape.ty, Ty::String | Ty::Int | Ty::Bool | Ty::Enum(_));
            let ok = match encoding {
                Encoding::Json => f.shape.ty != Ty::File,
                Encoding::Query => flat,
                Encoding::Multipart => flat || f.shape.ty == Ty::File,
            };
            if !ok {
                let what = match encoding {
                    Encoding::Json => "a file field needs `encoding: multipart`",
                    Encoding::Query => {
                        "a GET request's fields are query parameters: strings, ints, bools or enums"
                    }
                    Encoding::Multipart => {
                        "multipart parts are strings, ints, bools, enums or files"
                    }
                };
                errors.push(ctx.err(format!("request.{}", f.wire), what));
            }
        }
    }

    fn shortcuts(
        &self,
        ctx: &Ctx,
        request: &str,
        raw: Vec<raw::Shortcut>,
        errors: &mut Vec<SpecError>,
    ) -> Vec<Shortcut> {
        let model = &self.models[request];
        let mut out: Vec<Shortcut> = Vec::new();
        for (i, s) in raw.into_iter().enumerate() {
            let at = format!("shortcuts[{i}]");
            if !is_snake(&s.name) || out.iter().any(|x| x.name == s.name) {
                errors.push(ctx.err(
                    at.clone(),
                    format!("`{}` must be snake_case and unique", s.name),
                ));
            }
            let mut set = Vec::new();
            for (k, v) in s.set {
                match yaml_to_json(&v) {
                    Ok(v) => set.push((k, v)),
                    Err(e) => errors.push(ctx.err(format!("{at}.set.{k}"), e)),
                }
            }
            for name in s.args.iter().chain(set.iter().map(|(k, _)| k)) {
                if model.field(name).is_none() {
                    errors.push(ctx.err(
                        at.clone(),
                        format!("`{name}` is not a field of the request"),
                    ));
                }
            }
            // The handlers write fixed values as literals of the field's type.
            for (k, v) in &set {
                if let Some(f) = model.field(k) {
                    if !fits(&self.enums, &f.shape.ty, v) {
                        errors.push(ctx.err(
                            format!("{at}.set.{k}"),
                            format!("{v} is not a value of this field's type"),
                        ));
                    }
                }
            }
            for f in model.fields.iter().filter(|f| f.required) {
                if !s.args.contains(&f.wire) && !set.iter().any(|(k, _)| k == &f.wire) {
                    errors.push(ctx.err(
                        at.clone(),
                        format!("the required `{}` is neither an arg nor set", f.wire),
                    ));
                }
            }
            out.push(Shortcut {
                name: s.name,
                summary: s.summary,
                args: s.args,
                set,
            });
        }
        out
    }

    fn group(
        &mut self,
        ctx: &Ctx,
        g: raw::GroupFile,
        errors: &mut Vec<SpecError>,
    ) -> Option<Group> {
        if !is_snake(&g.group) {
            errors.push(ctx.err("group", "group names are snake_case"));
        }
        if g.endpoints.is_empty() {
            errors.push(ctx.err("endpoints", "a group needs at least one endpoint"));
        }
        let mut endpoints: Vec<Endpoint> = Vec::new();
        for (i, value) in g.endpoints.into_iter().enumerate() {
            let id = value.get("id").and_then(|v| v.as_str()).map(str::to_owned);
            let location = match &id {
                Some(id) => format!("endpoint `{id}`"),
                None => format!("endpoints[{i}]"),
            };
            let ectx = Ctx {
                location,
                ..ctx.clone()
            };
            let Some(e) = decode::<raw::Endpoint>(value, &ectx, errors) else {
                continue;
            };
            if endpoints.iter().any(|x| x.id == e.id) {
                errors.push(ectx.err(
                    "id",
                    format!("duplicate endpoint id `{}` in group `{}`", e.id, g.group),
                ));
                continue;
            }
            if let Some(endpoint) = self.endpoint(&ectx, &g.group, &g.doc, e, errors) {
                endpoints.push(endpoint);
            }
        }
        // Every handler method of the group: endpoints, shortcuts and `<id>_url`.
        let mut methods: Vec<(String, String)> = Vec::new();
        for e in &endpoints {
            methods.push((e.id.clone(), format!("endpoint `{}`", e.id)));
            methods.extend(
                e.shortcuts
                    .iter()
                    .map(|s| (s.name.clone(), format!("shortcut of `{}`", e.id))),
            );
            if e.url_method {
                methods.push((format!("{}_url", e.id), format!("URL method of `{}`", e.id)));
            }
        }
        for (i, (name, what)) in methods.iter().enumerate() {
            if let Some((_, other)) = methods[..i].iter().find(|(n, _)| n == name) {
                errors.push(ctx.err(
                    "endpoints",
                    format!("handler method `{name}` of {what} clashes with {other}"),
                ));
            }
        }
        Some(Group {
            name: g.group,
            title: g.title,
            doc: g.doc,
            endpoints,
        })
    }

    fn endpoint(
        &mut self,
        ctx: &Ctx,
        group: &str,
        group_doc: &str,
        e: raw::Endpoint,
        errors: &mut Vec<SpecError>,
    ) -> Option<Endpoint> {
        if !is_snake(&e.id) {
            errors.push(ctx.err("id", "endpoint ids are snake_case"));
        }
        let (http, fixed_query) = match e.http.split_once('?') {
            Some((http, query)) => {
                let pairs = query.split('&').map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    (k.to_owned(), v.to_owned())
                });
                (http.to_owned(), pairs.collect())
            }
            None => (e.http.clone(), Vec::new()),
        };
        let host = match e.host.as_deref() {
            None | Some("api") => Host::Api,
            Some("mp") => Host::Mp,
            Some(other) => {
                errors.push(ctx.err("host", format!("`{other}`: api or mp")));
                Host::Api
            }
        };
        let needs_token = match e.auth.as_deref() {
            None | Some("access_token") => true,
            Some("none") => false,
            Some(other) => {
                errors.push(ctx.err("auth", format!("`{other}`: access_token or none")));
                true
            }
        };
        let (method, path) = match http.split_once(' ') {
            Some(("GET", p)) if p.starts_with('/') => (Method::Get, p.to_owned()),
            Some(("POST", p)) if p.starts_with('/') => (Method::Post, p.to_owned()),
            _ => {
                errors.push(ctx.err(
                    "http",
                    format!("`{}` is not `GET /path` or `POST /path`", e.http),
                ));
                return None;
            }
        };
        for code in &e.errcodes {
            if !self.errcodes.iter().any(|c| c.code == *code) {
                errors.push(ctx.err("errcodes", format!("{code} is not in spec/errcodes.yaml")));
            }
        }
        match (e.idempotent, &e.check_outcome) {
            (false, None) => errors.push(ctx.err(
                "check_outcome",
                "a non-idempotent endpoint must say how to check whether a call went through",
            )),
            (true, Some(_)) => {
                errors.push(ctx.err("check_outcome", "only non-idempotent endpoints need it"))
            }
            _ => {}
        }
        if e.examples.is_empty() {
            errors.push(ctx.err(
                "examples",
                "every endpoint needs at least one example from the docs",
            ));
        }
        let base = format!(
            "{}{}",
            group.to_upper_camel_case(),
            e.id.to_upper_camel_case()
        );
        let home = Home::Group(group.to_owned());
        let mut names = Vec::new();
        let response_object = match e.response {
            raw::Response::Object(obj) => Some(obj),
            raw::Response::Binary => None,
        };
        let parts = [("request", Some(e.request)), ("response", response_object)];
        for (part, obj) in parts {
            let Some(mut obj) = obj else {
                names.push(None);
                continue;
            };
            let name = obj
                .name
                .clone()
                .unwrap_or_else(|| format!("{base}{}", part.to_upper_camel_case()));
            if obj.doc.is_none() {
                let what = if part == "request" {
                    "The request of"
                } else {
                    "The reply of"
                };
                obj.doc = Some(format!("{what} `{group}.{}`: {}", e.id, e.summary));
            }
            if !self.names.insert(name.clone()) {
                errors.push(ctx.err(
                    part,
                    format!("type name `{name}` is already taken; set `name`"),
                ));
                return None;
            }
            if part == "response" && obj.encoding.is_some() {
                errors.push(ctx.err("response.encoding", "`encoding` applies to requests only"));
            }
            names.push(Some(self.object(
                ctx,
                part,
                name,
                obj,
                home.clone(),
                false,
                errors,
            )));
        }
        let response = names.pop()?;
        let request = names.pop()??;
        if let Some(r) = &response {
            self.models[r].is_response_root = true;
        }
        // A credential must never end up in a URL handed out.
        let url_method = method == Method::Get
            && !needs_token
            && !self.models[&request].fields.iter().any(|f| f.secret);
        self.request_encoding(ctx, &request, method, errors);
        let shortcuts = self.shortcuts(ctx, &request, e.shortcuts, errors);

        let mut examples: Vec<Example> = Vec::new();
        for (i, x) in e.examples.into_iter().enumerate() {
            let field = format!("examples[{i}]");
            if !is_snake(&x.name) || examples.iter().any(|y| y.name == x.name) {
                errors.push(ctx.err(
                    field.clone(),
                    format!("example name `{}` must be snake_case and unique", x.name),
                ));
            }
            match (yaml_to_json(&x.request), yaml_to_json(&x.response)) {
                (Ok(request), Ok(response)) => examples.push(Example {
                    name: x.name,
                    source: x.source,
                    request,
                    response,
                }),
                (Err(m), _) | (_, Err(m)) => errors.push(ctx.err(field, m)),
            }
        }
        Some(Endpoint {
            group: group.to_owned(),
            id: e.id,
            summary: e.summary,
            description: e.description,
            doc: e.doc.unwrap_or_else(|| group_doc.to_owned()),
            method,
            path,
            fixed_query,
            host,
            needs_token,
            url_method,
            idempotent: e.idempotent,
            check_outcome: e.check_outcome,
            request,
            response,
            shortcuts,
            errcodes: e.errcodes,
            notes: e.notes,
            examples,
        })
    }
}

pub fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// `check` rules name dotted paths: every step must exist, and every value must be a
/// wire value of the field it is compared with.
fn check_rule_paths(api: &Api, origins: &BTreeMap<String, Ctx>, errors: &mut Vec<SpecError>) {
    for model in api.models.values() {
        let ctx = &origins[&model.name];
        let at = format!("{}: rules", model.name);
        for rule in &model.rules {
            let Rule::Check(c) = rule else { continue };
            let paths = c.present.iter().chain(&c.absent);
            // `null` in `when` means "absent"; everywhere else a value is a wire value.
            let when = c.when.iter().filter(|(_, v)| !v.is_null());
            let valued = when.chain(&c.equal).chain(&c.not_equal);
            for (p, _) in c.when.iter().filter(|(_, v)| v.is_null()) {
                if let Err(e) = api.path_fields(&model.name, p) {
                    errors.push(ctx.err(at.clone(), e));
                }
            }
            for p in paths {
                if let Err(e) = api.path_fields(&model.name, p) {
                    errors.push(ctx.err(at.clone(), e));
                }
            }
            for (p, v) in valued {
                match api.path_fields(&model.name, p) {
                    Err(e) => errors.push(ctx.err(at.clone(), e)),
                    Ok(fields) => {
                        let last = fields.last().expect("paths are not empty");
                        if !fits(&api.enums, &last.shape.ty, v) {
                            errors.push(
                                ctx.err(
                                    at.clone(),
                                    format!("{v} is not a value of `{}`", dotted(p)),
                                ),
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Marks the models reachable from requests (they get builders and validators).
fn mark_request_side(api: &mut Api) {
    let mut stack: Vec<String> = api
        .groups
        .iter()
        .flat_map(|g| g.endpoints.iter().map(|e| e.request.clone()))
        .collect();
    // Shared types are part of the public model: always buildable and checkable.
    stack.extend(
        api.models
            .values()
            .filter(|m| matches!(m.home, Home::Types(_)))
            .map(|m| m.name.clone()),
    );
    while let Some(name) = stack.pop() {
        let model = &mut api.models[&name];
        if model.request_side {
            continue;
        }
        model.request_side = true;
        for f in &model.fields {
            if let Ty::Model(m) = f.shape.ty.leaf() {
                stack.push(m.clone());
            }
        }
    }
}

/// Marks the models reachable from replies, and decides how each field is stored: a
/// plain `T` only where it is required and never received.
fn mark_response_side(api: &mut Api) {
    let mut stack: Vec<String> = api
        .groups
        .iter()
        .flat_map(|g| g.endpoints.iter().filter_map(|e| e.response.clone()))
        .collect();
    while let Some(name) = stack.pop() {
        let model = &mut api.models[&name];
        if model.response_side {
            continue;
        }
        model.response_side = true;
        for f in &model.fields {
            if let Ty::Model(m) = f.shape.ty.leaf() {
                stack.push(m.clone());
            }
        }
    }
    for model in api.models.values_mut() {
        let received = model.response_side;
        for f in &mut model.fields {
            f.plain = f.required && !received;
        }
    }
}

/// Every documentation example must satisfy the spec's own schema.
fn check_examples(api: &Api, errors: &mut Vec<SpecError>) {
    let today = examples::china_today();
    for g in &api.groups {
        let file = format!("spec/api/{}.yaml", g.name);
        for e in &g.endpoints {
            let ctx = Ctx {
                file: file.clone(),
                location: format!("endpoint `{}`", e.id),
            };
            for x in &e.examples {
                let at = |part: &str| format!("examples.{}.{part}", x.name);
                for problem in examples::check(api, &e.request, &x.request, today) {
                    errors.push(ctx.err(join(&at("request"), &problem.path), problem.message));
                }
                match x.response.get("errcode").map(|c| c.as_i64()) {
                    Some(None) => {
                        errors.push(ctx.err(at("response.errcode"), "errcode must be an integer"))
                    }
                    Some(Some(code)) if code != 0 => {
                        if api.errcode(code).is_none() {
                            errors.push(ctx.err(
                                at("response.errcode"),
                                format!("{code} is not in spec/errcodes.yaml"),
                            ));
                        }
                        let extra = x
                            .response
                            .as_object()
                            .into_iter()
                            .flatten()
                            .map(|(k, _)| k.as_str());
                        for key in extra.filter(|k| *k != "errcode" && *k != "errmsg") {
                            errors.push(ctx.err(
                                at("response"),
                                format!(
                                    "an error reply holds only errcode and errmsg, not `{key}`"
                                ),
                            ));
                        }
                    }
                    _ if e.response.is_none() => {
                        // A binary reply: `{ content_type, bytes }`.
                        let ok = x.response.as_object().is_some_and(|m| {
                            m.len() == 2
                                && m.get("content_type").is_some_and(Value::is_string)
                                && m.get("bytes").is_some_and(Value::is_string)
                        });
                        if !ok {
                            errors.push(ctx.err(
                                at("response"),
                                "a binary reply is `{ content_type, bytes }` (strings)",
                            ));
                        }
                    }
                    _ => {
                        let mut body = x.response.clone();
                        if let Some(map) = body.as_object_mut() {
                            map.remove("errcode");
                            map.remove("errmsg");
                        }
                        let response = e
                            .response
                            .as_deref()
                            .expect("binary replies are handled above");
                        for problem in examples::check_reply(api, response, &body, today) {
                            errors.push(
                                ctx.err(join(&at("response"), &problem.path), problem.message),
                            );
                        }
                    }
                }
            }
        }
    }
}
