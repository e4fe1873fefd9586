//! Checks a JSON value against a model of the spec, the way the generated validators
//! check a Rust value — plus what Rust types enforce by themselves (JSON types, unknown
//! keys, required fields).
//!
//! Used twice: the loader rejects documentation examples that break the spec, and the
//! test emitter proves each generated negative case breaks the rule it claims to.

use crate::ir::*;
use crate::rules::{self, DateRangeFault};
use serde_json::Value;
use time::Date;

type Object = serde_json::Map<String, Value>;

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Path of the offending value, `list[0].code`; empty for the object itself.
    pub path: String,
    /// The rule's name as the runtime reports it (`max_bytes`, `required`, …) or
    /// `schema` for what the Rust types enforce.
    pub rule: &'static str,
    pub message: String,
}

// Defined with the other rules in `crate::rules`; the conformance emitter names them
// through this module.
use crate::rules::parse_date;

/// Which way a value travels: what we send must meet every rule of the spec; what we
/// receive need only have the documented shape (see spec/README.md, "Directions").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Send,
    Receive,
}

/// A request as the generated validators check it.
pub fn check(api: &Api, model: &str, value: &Value, today: Date) -> Vec<Problem> {
    Walk::new(api, Direction::Send, today).run(model, value)
}

/// A reply: keys, JSON types and enum values only. WeChat may leave out a field it
/// requires of us, or send one beyond the limits it sets for requests.
pub fn check_reply(api: &Api, model: &str, value: &Value, today: Date) -> Vec<Problem> {
    Walk::new(api, Direction::Receive, today).run(model, value)
}

/// One walk of a JSON value down the spec's models, collecting what it breaks.
struct Walk<'a> {
    api: &'a Api,
    direction: Direction,
    /// The day `before_today` rules count from.
    today: Date,
    problems: Vec<Problem>,
}

impl<'a> Walk<'a> {
    fn new(api: &'a Api, direction: Direction, today: Date) -> Self {
        Walk {
            api,
            direction,
            today,
            problems: Vec::new(),
        }
    }

    fn run(mut self, model: &str, value: &Value) -> Vec<Problem> {
        self.model(model, value, "");
        self.problems
    }

    fn push(&mut self, path: &str, rule: &'static str, message: String) {
        self.problems.push(Problem {
            path: path.to_owned(),
            rule,
            message,
        });
    }

    fn model(&mut self, name: &str, value: &Value, path: &str) {
        let model = self.api.model(name);
        let Some(map) = value.as_object() else {
            self.push(path, "schema", format!("expected an object ({name})"));
            return;
        };
        for key in map.keys() {
            if model.field(key).is_none() {
                let message = format!("`{key}` is not a field of {name}");
                self.push(&crate::load::join(path, key), "schema", message);
            }
        }
        for f in &model.fields {
            self.field(f, map.get(&f.wire), path);
        }
        if self.direction == Direction::Send {
            for rule in &model.rules {
                self.rule(rule, value, map, path);
            }
        }
    }

    fn field(&mut self, f: &Field, value: Option<&Value>, path: &str) {
        let fpath = crate::load::join(path, &f.wire);
        match value {
            // A plain Rust field cannot be absent (the type says so); an `Option` one
            // is checked by the validator, like the runtime's `Rule::Required`.
            None if f.required && self.direction == Direction::Send => {
                let rule = if f.plain { "schema" } else { "required" };
                self.push(&fpath, rule, "required field missing".into())
            }
            None => {}
            Some(v) => self.shape(&f.shape, v, &fpath),
        }
    }

    /// An object rule, on `value` (the object `map`, at `path`).
    fn rule(&mut self, rule: &Rule, value: &Value, map: &Object, path: &str) {
        let present = |names: &[String]| {
            names
                .iter()
                .filter(|n| map.contains_key(n.as_str()))
                .count()
        };
        match rule {
            Rule::ExactlyOneOf(names) if present(names) != 1 => {
                let message = format!("{} present", present(names));
                self.push(&rule_path(path, names), "exactly_one_of", message);
            }
            Rule::AtMostOneOf(names) if present(names) > 1 => {
                let message = format!("{} present", present(names));
                self.push(&rule_path(path, names), "at_most_one_of", message);
            }
            Rule::Order {
                lower,
                higher,
                strict,
            } => {
                let int = |k: &str| map.get(k).and_then(Value::as_i64);
                if let (Some(l), Some(h)) = (int(lower), int(higher)) {
                    if !rules::in_order(l, h, *strict) {
                        let op = if *strict { "<" } else { "≤" };
                        let message = format!("{l} must be {op} {higher} {h}");
                        self.push(&crate::load::join(path, lower), "order", message);
                    }
                }
            }
            Rule::MaxTotalItems { fields, max } => {
                let total: usize = fields
                    .iter()
                    .filter_map(|f| map.get(f))
                    .filter_map(Value::as_array)
                    .map(Vec::len)
                    .sum();
                if total as u64 > *max {
                    let message = format!("{total} items, at most {max}");
                    self.push(&rule_path(path, fields), "max_total_items", message);
                }
            }
            Rule::Check(c) => {
                for (p, problem) in check_rule(value, c) {
                    self.push(&crate::load::join(path, &dotted(&p)), "check", problem);
                }
            }
            Rule::DateRange {
                begin,
                end,
                max_days,
                before_today,
            } => self.date_range(map, path, (begin, end), *max_days, *before_today),
            _ => {}
        }
    }

    fn date_range(
        &mut self,
        map: &Object,
        path: &str,
        (begin, end): (&str, &str),
        max_days: Option<i64>,
        before_today: bool,
    ) {
        let date = |k: &str| map.get(k).and_then(Value::as_str).and_then(parse_date);
        let (Some(b), Some(e)) = (date(begin), date(end)) else {
            return;
        };
        let (bpath, epath) = (crate::load::join(path, begin), crate::load::join(path, end));
        let today = self.today;
        let cutoff = before_today.then_some(today);
        for fault in rules::date_range_faults(b, e, max_days, cutoff) {
            match fault {
                DateRangeFault::Reversed => {
                    self.push(&bpath, "date_order", format!("{b} is after {end} {e}"))
                }
                DateRangeFault::TooLong { days, max } => self.push(
                    &epath,
                    "max_days",
                    format!("{days} days after {begin}, at most {max}"),
                ),
                DateRangeFault::NotBeforeToday => self.push(
                    &epath,
                    "before_today",
                    format!("{e} is not before today {today}"),
                ),
            }
        }
    }

    /// A value of a field (or list item): its JSON type, then its constraints.
    fn shape(&mut self, shape: &Shape, v: &Value, path: &str) {
        if self.has_type(&shape.ty, v, path) && self.direction == Direction::Send {
            for check in &shape.checks {
                if breaks(check, v) {
                    let message = format!("{v} breaks the rule: {}", check.describe());
                    self.push(path, check.rule_name(), message);
                }
            }
        }
    }

    /// Whether `v` has the JSON type of `ty` (models, lists and enums checked within);
    /// a value of the wrong type is reported here and its constraints not checked.
    fn has_type(&mut self, ty: &Ty, v: &Value, path: &str) -> bool {
        let expected = match ty {
            Ty::String if !v.is_string() => "expected a string",
            Ty::Int if !v.is_i64() => "expected an integer",
            Ty::Bool if !v.is_boolean() => "expected true or false",
            Ty::List(_) if !v.is_array() => "expected a list",
            Ty::List(inner) => {
                for (i, item) in v.as_array().into_iter().flatten().enumerate() {
                    self.shape(inner, item, &format!("{path}[{i}]"));
                }
                return true;
            }
            Ty::Model(m) => {
                self.model(m, v, path);
                return true;
            }
            Ty::File if !is_file(v) => "a file is `{ filename, content_type, bytes }` (strings)",
            Ty::Enum(e) => return self.enum_value(e, v, path),
            _ => return true,
        };
        self.push(path, "schema", expected.into());
        false
    }

    /// A value of the enum `e`: of its JSON type, and documented. Replies may also
    /// carry the old wire forms (`also`); requests never send them.
    fn enum_value(&mut self, e: &str, v: &Value, path: &str) -> bool {
        let def = &self.api.enums[e];
        let received = self.direction == Direction::Receive;
        let alias = received && def.variants.iter().any(|x| x.reads(v));
        if !alias && (def.is_int && !v.is_i64() || !def.is_int && !v.is_string()) {
            self.push(path, "schema", format!("expected a value of {e}"));
            return false;
        }
        let known = match self.direction {
            Direction::Send => def.variants.iter().any(|x| &x.wire == v),
            Direction::Receive => def.variants.iter().any(|x| x.reads(v)),
        };
        if !known {
            let message = format!("{v} is not a documented value of {e}");
            self.push(path, "enum", message);
        }
        true
    }
}

/// The value at a dotted path, if every step is present.
pub fn get_path<'v>(value: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, step| v.get(step))
}

/// The assertions of a `check` rule that `value` (the object) breaks, with why.
pub fn check_rule(value: &Value, c: &CheckRule) -> Vec<(FieldPath, String)> {
    // `null` in `when`: the field is absent.
    let applies = c.when.iter().all(|(p, v)| match v {
        Value::Null => get_path(value, p).is_none(),
        v => get_path(value, p) == Some(v),
    });
    if !applies {
        return Vec::new();
    }
    let mut out = Vec::new();
    for p in &c.present {
        if get_path(value, p).is_none() {
            out.push((p.clone(), format!("must be set: {}", c.because)));
        }
    }
    for p in &c.absent {
        if get_path(value, p).is_some() {
            out.push((p.clone(), format!("must not be set: {}", c.because)));
        }
    }
    for (p, v) in &c.equal {
        if get_path(value, p) != Some(v) {
            out.push((p.clone(), format!("must be {v}: {}", c.because)));
        }
    }
    for (p, v) in &c.not_equal {
        if get_path(value, p) == Some(v) {
            out.push((p.clone(), format!("must not be {v}: {}", c.because)));
        }
    }
    out
}

/// The path a one-of rule reports: the object's path with the field names.
pub fn rule_path(path: &str, names: &[String]) -> String {
    crate::load::join(path, &format!("{{{}}}", names.join(", ")))
}

/// Whether `v` breaks `check` (a check that does not apply to `v`'s JSON type, it
/// does not break: the type is reported on its own).
fn breaks(check: &Check, v: &Value) -> bool {
    match (check, v) {
        (Check::NonEmpty, Value::String(s)) => s.is_empty(),
        (Check::MaxBytes(n), Value::String(s)) => s.len() as u64 > *n,
        (Check::MaxBytes(n), Value::Object(file)) => file_bytes(file) as u64 > *n,
        (Check::ContentTypes(types), Value::Object(file)) => !types
            .iter()
            .any(|t| file.get("content_type").and_then(Value::as_str) == Some(t)),
        (Check::MaxChars(n), Value::String(s)) => !rules::fits_hanzi(s, *n as usize),
        (Check::Date, Value::String(s)) => parse_date(s).is_none(),
        (Check::Color, Value::String(s)) => !rules::is_color_name(s),
        (Check::Decimal, Value::String(s)) => !rules::is_decimal2(s),
        (Check::Min(n), Value::Number(x)) => x.as_i64().is_some_and(|x| x < *n),
        (Check::Max(n), Value::Number(x)) => x.as_i64().is_some_and(|x| x > *n),
        (Check::MinItems(n), Value::Array(a)) => (a.len() as u64) < *n,
        (Check::MaxItems(n), Value::Array(a)) => a.len() as u64 > *n,
        (Check::OneOf(values), v) => !values.contains(v),
        _ => false,
    }
}

/// A file as examples write it: `{ filename, content_type, bytes }`, all strings.
fn is_file(v: &Value) -> bool {
    v.as_object().is_some_and(|m| {
        m.len() == 3
            && ["filename", "content_type", "bytes"]
                .iter()
                .all(|k| m.get(*k).is_some_and(Value::is_string))
    })
}

/// The size of a file value's bytes (written as text in examples).
fn file_bytes(file: &Object) -> usize {
    file.get("bytes")
        .and_then(Value::as_str)
        .map_or(0, str::len)
}
