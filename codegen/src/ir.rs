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
    /// The card events pushed as XML, when `spec/events.yaml` exists.
    pub events: Option<Events>,
}

#[derive(Debug, Clone)]
pub struct ErrCodeDef {
    pub code: i64,
    pub name: String,
    pub meaning: String,
    /// One of [`ERR_ACTIONS`] (checked by the loader).
    pub action: String,
    pub source: String,
    pub hint: Option<String>,
}

/// What a caller does about a return code: the `action` values of `errcodes.yaml`, each
/// with its `ErrAction` variant, the variant's doc and the words errors and the docs use.
pub struct ErrActionDef {
    pub value: &'static str,
    pub variant: &'static str,
    pub doc: &'static str,
    /// Imperative, for `Error`'s message and the table in `docs/errcodes.md`.
    pub says: &'static str,
}

pub const ERR_ACTIONS: &[ErrActionDef] = &[
    ErrActionDef {
        value: "renew_token",
        variant: "RenewToken",
        doc: "The access_token is invalid or expired: get a new one and send the call again. \
              The clients do this once by themselves for cached credentials; a static token \
              cannot be renewed.",
        says: "renew the access_token, then send again",
    },
    ErrActionDef {
        value: "retry_later",
        variant: "RetryLater",
        doc: "WeChat is busy or a quota or frequency limit is reached: the same request may \
              succeed later (after a pause, the next minute, or the next day; a daily quota \
              can be cleared with `quota.clear`). Never in a tight loop, and a non-idempotent \
              call only after checking whether it took effect.",
        says: "retry later (not in a loop)",
    },
    ErrActionDef {
        value: "fix_request",
        variant: "FixRequest",
        doc: "The request is wrong (a parameter, an id, a missing field, the wrong order of \
              calls): sending it again unchanged fails again. Change it first.",
        says: "fix the request; sending it unchanged fails again",
    },
    ErrActionDef {
        value: "never_retry",
        variant: "NeverRetry",
        doc: "A final state: the code is consumed, the card deleted, the stock used up, the \
              message already sent, the time window passed. No retry can succeed; handle it \
              as an outcome.",
        says: "do not retry: the state is final",
    },
    ErrActionDef {
        value: "contact_wechat",
        variant: "ContactWechat",
        doc: "The account lacks a permission or its setup must change (the API IP whitelist, \
              an administrator's confirmation, a frozen account or secret): only the account's \
              owner can fix it, on the WeChat platform (mp.weixin.qq.com) or with WeChat.",
        says: "change the account's setup or permissions on the WeChat platform",
    },
];

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
    /// Reachable from a reply: no field is required when received, so every field is
    /// an `Option` (see [`Field::plain`]).
    pub response_side: bool,
    /// The reply of an endpoint (errcode and errmsg are stripped into `extra` then removed).
    pub is_response_root: bool,
    /// How a request is put on the wire (requests only; `Json` otherwise).
    pub encoding: Encoding,
}

impl Model {
    /// The field with this wire name.
    pub fn field(&self, wire: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.wire == wire)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// A JSON body (POST).
    Json,
    /// Query parameters (GET).
    Query,
    /// `multipart/form-data` parts (POST).
    Multipart,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub wire: String,
    pub rust: String,
    /// Required when we send it (requests). Received replies may lack any field.
    pub required: bool,
    /// Stored as a plain `T` rather than `Option<T>`: required, and in a model that is
    /// only ever sent. Set by the loader once it knows which models replies reach.
    pub plain: bool,
    pub doc: Option<String>,
    pub note: Option<String>,
    /// A credential: hidden by `Debug`, scrubbed from errors.
    pub secret: bool,
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
    /// A multipart file part.
    File,
    List(Box<Shape>),
    Model(String),
    Enum(String),
}

impl Ty {
    /// The element type, through any number of lists (`Vec<Vec<T>>` -> `T`).
    pub fn leaf(&self) -> &Ty {
        match self {
            Ty::List(inner) => inner.ty.leaf(),
            other => other,
        }
    }
}

/// Whether a JSON value is a wire value of this type (rule, `one_of` and shortcut
/// values): scalars and enum values only.
pub fn fits(enums: &IndexMap<String, EnumDef>, ty: &Ty, value: &Value) -> bool {
    match ty {
        Ty::String => value.is_string(),
        Ty::Int => value.is_i64(),
        Ty::Bool => value.is_boolean(),
        Ty::Enum(e) => enums[e].variants.iter().any(|v| &v.wire == value),
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// From `required: true` on a string.
    NonEmpty,
    MaxBytes(u64),
    MaxChars(u64),
    Date,
    /// A card colour name: `Color` and three digits (`Color010`; see card/getcolors).
    Color,
    /// A decimal with at most two places, optionally negative (yuan amounts, tax rates).
    Decimal,
    Min(i64),
    Max(i64),
    MinItems(u64),
    MaxItems(u64),
    /// Wire values (strings or integers).
    OneOf(Vec<Value>),
    /// Accepted MIME types of a file.
    ContentTypes(Vec<String>),
}

impl Check {
    /// The rule's name, as the runtime's `Rule::name()` reports it.
    pub fn rule_name(&self) -> &'static str {
        match self {
            Check::NonEmpty => "required",
            Check::MaxBytes(_) => "max_bytes",
            Check::MaxChars(_) => "max_chars",
            Check::Date | Check::Color | Check::Decimal => "format",
            Check::Min(_) => "min",
            Check::Max(_) => "max",
            Check::MinItems(_) => "min_items",
            Check::MaxItems(_) => "max_items",
            Check::OneOf(_) => "one_of",
            Check::ContentTypes(_) => "content_type",
        }
    }

    /// How the rustdoc states the constraint.
    pub fn describe(&self) -> String {
        match self {
            Check::NonEmpty => "required, not empty".into(),
            Check::MaxBytes(n) => format!("at most {n} bytes"),
            Check::MaxChars(n) => format!(
                "at most {n} 汉字 ({} UTF-8 bytes)",
                crate::rules::hanzi_bytes(*n as usize)
            ),
            Check::Date => "a date, exactly `YYYY-MM-DD`".into(),
            Check::Color => "a colour name, `Color` and three digits (`Color010`)".into(),
            Check::Decimal => {
                "a decimal with at most two places (`135.90`, `0.17`, `-10.00`)".into()
            }
            Check::Min(n) => format!("≥ {n}"),
            Check::Max(n) => format!("≤ {n}"),
            Check::MinItems(n) => format!("at least {n} items"),
            Check::MaxItems(n) => format!("at most {n} items"),
            Check::OneOf(values) => {
                let list: Vec<String> = values.iter().map(wire_display).collect();
                format!("one of {}", list.join(", "))
            }
            Check::ContentTypes(types) => format!("of type {}", types.join(" or ")),
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
    Order {
        lower: String,
        higher: String,
        strict: bool,
    },
    MaxTotalItems {
        fields: Vec<String>,
        max: u64,
    },
    Check(CheckRule),
    DateRange {
        begin: String,
        end: String,
        max_days: Option<i64>,
        before_today: bool,
    },
}

/// A conditional rule; paths are wire names from the object down (`sku.quantity`).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRule {
    pub when: Vec<(FieldPath, Value)>,
    pub present: Vec<FieldPath>,
    pub absent: Vec<FieldPath>,
    pub equal: Vec<(FieldPath, Value)>,
    pub not_equal: Vec<(FieldPath, Value)>,
    pub because: String,
}

/// A dotted path of wire names through object fields.
pub type FieldPath = Vec<String>;

pub fn dotted(path: &[String]) -> String {
    path.join(".")
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
            Rule::Order {
                lower,
                higher,
                strict,
            } => {
                let op = if *strict { "<" } else { "≤" };
                format!("`{lower}` {op} `{higher}` when both are set")
            }
            Rule::MaxTotalItems { fields, max } => {
                format!("{} hold at most {max} items together", list(fields))
            }
            Rule::Check(c) => {
                let values = |pairs: &[(FieldPath, Value)], op: &str| {
                    pairs
                        .iter()
                        .map(|(p, v)| format!("`{}` {op} {}", dotted(p), wire_display(v)))
                        .collect::<Vec<_>>()
                };
                let mut parts = Vec::new();
                parts.extend(c.present.iter().map(|p| format!("`{}` set", dotted(p))));
                parts.extend(c.absent.iter().map(|p| format!("`{}` not set", dotted(p))));
                parts.extend(values(&c.equal, "="));
                parts.extend(values(&c.not_equal, "≠"));
                let when = values(&c.when, "=");
                let cond = if when.is_empty() {
                    String::new()
                } else {
                    format!("when {}: ", when.join(" and "))
                };
                format!("{cond}{} ({})", parts.join(", "), c.because)
            }
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
    /// Other wire forms WeChat accepts for this value (`1` for
    /// `DATE_TYPE_FIX_TIME_RANGE`): read as this value, never sent.
    pub also: Vec<Value>,
}

impl Variant {
    /// Whether `v` is this value, in its own or another documented wire form.
    pub fn reads(&self, v: &Value) -> bool {
        &self.wire == v || self.also.contains(v)
    }
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// `https://api.weixin.qq.com`
    Api,
    /// `https://mp.weixin.qq.com`
    Mp,
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
    /// Query parameters the path always carries (`type=wx_card`).
    pub fixed_query: Vec<(String, String)>,
    pub host: Host,
    /// Whether the client adds `access_token`.
    pub needs_token: bool,
    /// Whether the handlers get a `<id>_url` method: only for a GET whose URL holds no
    /// credential (no token, no secret field). Set by the loader, which also checks
    /// that the name clashes with no other method.
    pub url_method: bool,
    pub idempotent: bool,
    /// How to find out whether a non-idempotent call went through.
    pub check_outcome: Option<String>,
    pub request: String,
    /// The reply model, or `None` for a binary reply.
    pub response: Option<String>,
    pub shortcuts: Vec<Shortcut>,
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
pub struct Shortcut {
    pub name: String,
    pub summary: String,
    /// Request fields (wire names) taken as arguments, in order.
    pub args: Vec<String>,
    /// Request fields fixed to wire values.
    pub set: Vec<(String, Value)>,
    /// Arguments (named in `args`, not request fields) split by their sign.
    pub signed: Vec<Signed>,
    /// At most one argument (named in `args`, not a request field) that picks the field.
    pub keyed: Option<Keyed>,
}

/// A keyed shortcut argument: a value of `enum_name` puts `{wrap: <the wrap argument>}`
/// under the request field named by its lowercase wire value; a value without such a
/// field (an undescribed or unknown one) puts it under that key in `extra`.
#[derive(Debug, Clone)]
pub struct Keyed {
    pub arg: String,
    pub enum_name: String,
    /// The argument the picked object holds, under its own name.
    pub wrap: String,
    /// Its type: that of the `wrap` field of every picked object.
    pub wrap_ty: Ty,
    /// (enum value's wire form, request field) for each value that has a field.
    pub arms: Vec<(Value, String)>,
}

/// A signed shortcut argument: `n > 0` sets the field `positive` to `n`, `n < 0` the
/// field `negative` to `-n`, and 0 is refused (there is nothing to change).
#[derive(Debug, Clone)]
pub struct Signed {
    pub arg: String,
    pub positive: String,
    pub negative: String,
}

impl Shortcut {
    /// The signed argument named `arg`, if it is one.
    pub fn signed(&self, arg: &str) -> Option<&Signed> {
        self.signed.iter().find(|s| s.arg == arg)
    }

    /// Whether `arg` is an argument of the shortcut rather than a request field.
    pub fn is_own_arg(&self, arg: &str) -> bool {
        self.signed(arg).is_some()
            || self
                .keyed
                .as_ref()
                .is_some_and(|k| k.arg == arg || k.wrap == arg)
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

    /// The fields along a dotted path from `model`: every step but the last is a
    /// (non-list) object field. `Err` says what is wrong.
    pub fn path_fields(&self, model: &str, path: &[String]) -> Result<Vec<&Field>, String> {
        let mut current = self
            .models
            .get(model)
            .ok_or_else(|| format!("no model `{model}`"))?;
        let mut out = Vec::new();
        for (i, step) in path.iter().enumerate() {
            let field = current
                .field(step)
                .ok_or_else(|| format!("`{step}` is not a field of {}", current.name))?;
            out.push(field);
            if i + 1 < path.len() {
                match &field.shape.ty {
                    Ty::Model(m) => current = &self.models[m],
                    _ => {
                        return Err(format!(
                            "`{step}` is not an object field, so `{}` cannot go through it",
                            dotted(path)
                        ));
                    }
                }
            }
        }
        Ok(out)
    }

    pub fn errcode(&self, code: i64) -> Option<&ErrCodeDef> {
        self.errcodes.iter().find(|e| e.code == code)
    }
}

/// `spec/events.yaml`, checked.
#[derive(Debug, Clone)]
pub struct Events {
    /// WeChat's reply timeout, in seconds, and how many times it retries.
    pub timeout_seconds: u64,
    pub retries: u32,
    pub envelope: Vec<EventField>,
    pub events: Vec<EventDef>,
}

#[derive(Debug, Clone)]
pub struct EventDef {
    /// The wire value of `<Event>`.
    pub wire: String,
    /// The Rust type.
    pub name: String,
    pub doc: String,
    pub fields: Vec<EventField>,
    /// (name, xml) of the docs' examples.
    pub examples: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct EventField {
    /// The XML element name.
    pub xml: String,
    pub ty: EventFieldType,
    pub required: bool,
    pub doc: String,
    /// A documented enumeration: (Rust enum name, wire values).
    pub values: Option<(String, Vec<String>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventFieldType {
    String,
    Integer,
    Flag,
}
