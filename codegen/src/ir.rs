//! The checked, resolved model of the spec that the emitters read.
//!
//! Every name here is resolved: a `Ty::Model` names an entry of `Api::models`, a
//! `Ty::Enum` one of `Api::enums`. Inline objects of the YAML have become named models.

use indexmap::IndexMap;
use serde_json::Value;

#[derive(Debug)]
pub struct Api {
    pub errcodes: Vec<ErrCodeDef>,
    pub enums: IndexMap<String, EnumDef>,
    /// Every struct: named types, requests, responses and inline objects.
    pub models: IndexMap<String, Model>,
    /// Stems of `spec/types/*.yaml`, sorted.
    pub type_files: Vec<String>,
    /// Sorted by name.
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone)]
pub struct ErrCodeDef {
    pub code: i64,
    pub name: String,
    pub meaning: String,
    pub source: String,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Home {
    /// Defined in `spec/types/<file>.yaml`.
    Types(String),
    /// Defined by an endpoint of `spec/api/<group>.yaml`.
    Group(String),
}

#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub doc: Option<String>,
    pub fields: Vec<Field>,
    pub rules: Vec<Rule>,
    pub home: Home,
    /// Declared inline (`type: object` on a field); emitted right after its parent.
    pub inline: bool,
    /// Reachable from a request: gets a constructor, setters and a validator.
    pub request_side: bool,
    /// The reply of an endpoint (errcode and errmsg are stripped into `extra` then removed).
    pub is_response_root: bool,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub wire: String,
    pub rust: String,
    pub required: bool,
    pub doc: Option<String>,
    pub note: Option<String>,
    pub shape: Shape,
}

/// A value's type and the constraints on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub ty: Ty,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    String,
    Int,
    Bool,
    Json,
    List(Box<Shape>),
    Model(String),
    Enum(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// From `required: true` on a string.
    NonEmpty,
    MaxBytes(u64),
    MaxChars(u64),
    Date,
    Min(i64),
    Max(i64),
    MinItems(u64),
    MaxItems(u64),
    /// Wire values (strings or integers).
    OneOf(Vec<Value>),
}

impl Check {
    /// The rule's name, as the runtime's `Rule::name()` reports it.
    pub fn rule_name(&self) -> &'static str {
        match self {
            Check::NonEmpty => "required",
            Check::MaxBytes(_) => "max_bytes",
            Check::MaxChars(_) => "max_chars",
            Check::Date => "format",
            Check::Min(_) => "min",
            Check::Max(_) => "max",
            Check::MinItems(_) => "min_items",
            Check::MaxItems(_) => "max_items",
            Check::OneOf(_) => "one_of",
        }
    }

    /// How the rustdoc states the constraint.
    pub fn describe(&self) -> String {
        match self {
            Check::NonEmpty => "required, not empty".into(),
            Check::MaxBytes(n) => format!("at most {n} bytes"),
            Check::MaxChars(n) => format!("at most {n} 汉字 ({} UTF-8 bytes)", n * 3),
            Check::Date => "a date, exactly `YYYY-MM-DD`".into(),
            Check::Min(n) => format!("≥ {n}"),
            Check::Max(n) => format!("≤ {n}"),
            Check::MinItems(n) => format!("at least {n} items"),
            Check::MaxItems(n) => format!("at most {n} items"),
            Check::OneOf(values) => {
                let list: Vec<String> = values.iter().map(wire_display).collect();
                format!("one of {}", list.join(", "))
            }
        }
    }
}

/// `"X"` for strings, `3` for numbers: how a wire value reads in docs and messages.
pub fn wire_display(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    ExactlyOneOf(Vec<String>),
    AtMostOneOf(Vec<String>),
    DateRange {
        begin: String,
        end: String,
        max_days: Option<i64>,
        before_today: bool,
    },
}

impl Rule {
    pub fn describe(&self) -> String {
        let list = |fields: &[String]| {
            fields
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Rule::ExactlyOneOf(fields) => format!("exactly one of {}", list(fields)),
            Rule::AtMostOneOf(fields) => format!("at most one of {}", list(fields)),
            Rule::DateRange {
                begin,
                end,
                max_days,
                before_today,
            } => {
                let mut s = format!("`{begin}` ≤ `{end}`");
                if let Some(n) = max_days {
                    s += &format!(", at most {n} days apart");
                }
                if *before_today {
                    s += &format!(", `{end}` before today (China time)");
                }
                s
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct EnumDef {
    pub name: String,
    pub doc: Option<String>,
    pub is_int: bool,
    pub variants: Vec<Variant>,
    pub file: String,
}

#[derive(Debug, Clone)]
pub struct Variant {
    /// A JSON string or integer.
    pub wire: Value,
    pub rust: String,
    pub doc: Option<String>,
}

#[derive(Debug)]
pub struct Group {
    pub name: String,
    pub title: String,
    pub doc: String,
    pub endpoints: Vec<Endpoint>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

#[derive(Debug)]
pub struct Endpoint {
    pub group: String,
    pub id: String,
    pub summary: String,
    pub description: Option<String>,
    pub doc: String,
    pub method: Method,
    pub path: String,
    pub idempotent: bool,
    pub request: String,
    pub response: String,
    pub errcodes: Vec<i64>,
    pub notes: Vec<String>,
    pub examples: Vec<Example>,
}

impl Endpoint {
    /// `code.get`: the id used in errors, logs and test names.
    pub fn full_id(&self) -> String {
        format!("{}.{}", self.group, self.id)
    }
}

#[derive(Debug, Clone)]
pub struct Example {
    pub name: String,
    pub source: String,
    pub request: Value,
    pub response: Value,
}

impl Example {
    /// The errcode of an error example (a reply whose errcode is not 0).
    pub fn errcode(&self) -> Option<i64> {
        self.response
            .get("errcode")
            .and_then(Value::as_i64)
            .filter(|&code| code != 0)
    }
}

impl Api {
    pub fn model(&self, name: &str) -> &Model {
        &self.models[name]
    }

    pub fn errcode(&self, code: i64) -> Option<&ErrCodeDef> {
        self.errcodes.iter().find(|e| e.code == code)
    }
}
