//! The spec files as written: serde models of the YAML, strict about keys.
//!
//! Nothing here resolves names or checks meaning; that is `load/`. Every struct
//! denies unknown keys so that a typo in the spec is an error, not a silently
//! ignored constraint.

use indexmap::IndexMap;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupFile {
    pub group: String,
    pub title: String,
    pub doc: String,
    /// Kept as YAML so that each endpoint is decoded on its own and its errors can
    /// name it.
    pub endpoints: Vec<serde_yaml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub id: String,
    pub summary: String,
    pub description: Option<String>,
    pub doc: Option<String>,
    pub http: String,
    pub host: Option<String>,
    pub auth: Option<String>,
    pub idempotent: bool,
    pub check_outcome: Option<String>,
    pub request: Object,
    pub response: Response,
    #[serde(default)]
    pub errcodes: Vec<i64>,
    #[serde(default)]
    pub notes: Vec<String>,
    pub examples: Vec<Example>,
    #[serde(default)]
    pub shortcuts: Vec<Shortcut>,
}

/// A reply: an object, or the word `binary`.
#[derive(Debug)]
pub enum Response {
    Object(Object),
    Binary,
}

impl<'de> Deserialize<'de> for Response {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ResponseVisitor;
        impl<'de> Visitor<'de> for ResponseVisitor {
            type Value = Response;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object with `fields`, or `binary`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Response, E> {
                match v {
                    "binary" => Ok(Response::Binary),
                    other => Err(E::custom(format!(
                        "`{other}`: a reply is an object or `binary`"
                    ))),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Response, A::Error> {
                Object::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Response::Object)
            }
        }
        deserializer.deserialize_any(ResponseVisitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shortcut {
    pub name: String,
    pub summary: String,
    pub args: Vec<String>,
    #[serde(default)]
    pub set: IndexMap<String, serde_yaml::Value>,
    #[serde(default)]
    pub signed: IndexMap<String, Signed>,
    #[serde(default)]
    pub keyed: IndexMap<String, Keyed>,
}

/// A keyed argument of a shortcut: an enum whose value names the request field (its
/// lowercase wire value) that holds the argument `wrap`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keyed {
    #[serde(rename = "enum")]
    pub enum_name: String,
    pub wrap: String,
}

/// A signed argument of a shortcut: its sign picks the request field its size fills.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signed {
    pub positive: String,
    pub negative: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub name: String,
    pub source: String,
    pub request: serde_yaml::Value,
    pub response: serde_yaml::Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Object {
    pub name: Option<String>,
    pub doc: Option<String>,
    pub fields: IndexMap<String, Field>,
    #[serde(default)]
    pub rules: Vec<Rule>,
    pub encoding: Option<String>,
}

/// A field: either just a type name (`openid: string`) or a full map.
#[derive(Debug)]
pub struct Field(pub FieldSpec);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    #[serde(rename = "type")]
    pub ty: String,
    pub doc: Option<String>,
    pub note: Option<String>,
    #[serde(default)]
    pub required: bool,
    pub rust_name: Option<String>,
    pub items: Option<Box<Field>>,
    pub fields: Option<IndexMap<String, Field>>,
    pub name: Option<String>,
    pub rules: Option<Vec<Rule>>,
    pub max_bytes: Option<u64>,
    pub max_chars: Option<u64>,
    pub format: Option<String>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub one_of: Option<Vec<serde_yaml::Value>>,
    #[serde(default)]
    pub non_empty: bool,
    #[serde(default)]
    pub secret: bool,
    pub content_types: Option<Vec<String>>,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl<'de> Visitor<'de> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a type name or a map of field keys")
            }
            fn visit_str<E: de::Error>(self, ty: &str) -> Result<Field, E> {
                Ok(Field(FieldSpec {
                    ty: ty.to_owned(),
                    ..FieldSpec::default()
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Field, A::Error> {
                // Decoding through the same MapAccess keeps serde_path_to_error's path.
                FieldSpec::deserialize(de::value::MapAccessDeserializer::new(map)).map(Field)
            }
        }
        deserializer.deserialize_any(FieldVisitor)
    }
}

/// An object rule: a map with exactly one of these keys (checked by the loader; a
/// struct rather than an enum because serde_yaml's `Value` only drives enums from YAML
/// tags).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub exactly_one_of: Option<Vec<String>>,
    pub at_most_one_of: Option<Vec<String>>,
    pub date_range: Option<DateRangeRule>,
    pub order: Option<OrderRule>,
    pub max_total_items: Option<MaxTotalItemsRule>,
    pub check: Option<CheckRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRule {
    pub lower: String,
    pub higher: String,
    #[serde(default)]
    pub strict: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaxTotalItemsRule {
    pub fields: Vec<String>,
    pub max: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRule {
    #[serde(default)]
    pub when: IndexMap<String, serde_yaml::Value>,
    #[serde(default)]
    pub present: Vec<String>,
    #[serde(default)]
    pub absent: Vec<String>,
    #[serde(default)]
    pub equal: IndexMap<String, serde_yaml::Value>,
    #[serde(default)]
    pub not_equal: IndexMap<String, serde_yaml::Value>,
    pub because: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateRangeRule {
    pub begin: String,
    pub end: String,
    pub max_days: Option<i64>,
    #[serde(default)]
    pub before_today: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypesFile {
    #[serde(default)]
    pub types: IndexMap<String, serde_yaml::Value>,
    #[serde(default)]
    pub enums: IndexMap<String, serde_yaml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enum {
    pub doc: Option<String>,
    #[serde(default)]
    pub repr: EnumRepr,
    pub strip_prefix: Option<String>,
    pub values: Vec<EnumValue>,
}

#[derive(Debug, Default, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EnumRepr {
    #[default]
    String,
    Int,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    pub value: serde_yaml::Value,
    pub name: Option<String>,
    pub doc: Option<String>,
    /// Other wire forms of the same value (old docs), read as this value.
    #[serde(default)]
    pub also: Vec<serde_yaml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrCodesFile {
    pub codes: Vec<ErrCode>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrCode {
    pub code: i64,
    pub name: String,
    pub meaning: String,
    /// What a caller does about it: one of `ir::ERR_ACTIONS`.
    pub action: String,
    pub source: String,
    pub hint: Option<String>,
}

/// `spec/events.yaml`: the card events WeChat pushes as XML. `source` and `note` are
/// for the spec's readers, not the emitter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct EventsFile {
    pub delivery: Delivery,
    pub envelope: Vec<EventField>,
    pub events: Vec<Event>,
}

/// How WeChat delivers a push: the reply time it allows, and its retries.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    pub timeout_seconds: u64,
    pub retries: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct Event {
    /// The wire value of `<Event>`.
    pub event: String,
    /// The Rust type name.
    pub name: String,
    pub doc: String,
    pub source: String,
    pub note: Option<String>,
    #[serde(default)]
    pub fields: Vec<EventField>,
    #[serde(default)]
    pub examples: Vec<EventExample>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct EventField {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default)]
    pub required: bool,
    pub values: Option<Vec<String>>,
    /// The Rust enum for `values` (required with them).
    #[serde(rename = "enum")]
    pub enum_name: Option<String>,
    pub doc: String,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct EventExample {
    pub name: String,
    pub xml: String,
    pub source: Option<String>,
}
