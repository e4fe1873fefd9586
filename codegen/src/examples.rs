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

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Path of the offending value, `list[0].code`; empty for the object itself.
    pub path: String,
    /// The rule's name as the runtime reports it (`max_bytes`, `required`, …) or
    /// `schema` for what the Rust types enforce.
    pub rule: &'static str,
    pub message: String,
}

// The emitters reach the shared date rules through this module.
pub use crate::rules::{china_today, parse_date};

/// Which way a value travels: what we send must meet every rule of the spec; what we
/// receive need only have the documented shape (see spec/README.md, "Directions").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Send,
    Receive,
}

/// A request as the generated validators check it.
pub fn check(api: &Api, model: &str, value: &Value, today: Date) -> Vec<Problem> {
    let mut out = Vec::new();
    check_model(api, model, value, "", Direction::Send, today, &mut out);
    out
}

/// A reply: keys, JSON types and enum values only. WeChat may leave out a field it
/// requires of us, or send one beyond the limits it sets for requests.
pub fn check_reply(api: &Api, model: &str, value: &Value, today: Date) -> Vec<Problem> {
    let mut out = Vec::new();
    check_model(api, model, value, "", Direction::Receive, today, &mut out);
    out
}

fn push(out: &mut Vec<Problem>, path: &str, rule: &'static str, message: String) {
    out.push(Problem {
        path: path.to_owned(),
        rule,
        message,
    });
}

fn check_model(
    api: &Api,
    name: &str,
    value: &Value,
    path: &str,
    direction: Direction,
    today: Date,
    out: &mut Vec<Problem>,
) {
    let model = api.model(name);
    let Some(map) = value.as_object() else {
        push(out, path, "schema", format!("expected an object ({name})"));
        return;
    };
    for key in map.keys() {
        if model.field(key).is_none() {
            push(
                out,
                &crate::load::join(path, key),
                "schema",
                format!("`{key}` is not a field of {name}"),
            );
        }
    }
    for f in &model.fields {
        let fpath = crate::load::join(path, &f.wire);
        match map.get(&f.wire) {
            // A plain Rust field cannot be absent (the type says so); an `Option` one
            // is checked by the validator, like the runtime's `Rule::Required`.
            None if f.required && direction == Direction::Send => {
                let rule = if f.plain { "schema" } else { "required" };
                push(out, &fpath, rule, "required field missing".into())
            }
            None => {}
            Some(v) => check_shape(api, &f.shape, v, &fpath, direction, today, out),
        }
    }
    if direction == Direction::Receive {
        return;
    }
    for rule in &model.rules {
        let present = |names: &[String]| {
            names
                .iter()
                .filter(|n| map.contains_key(n.as_str()))
                .count()
        };
        match rule {
            Rule::ExactlyOneOf(names) if present(names) != 1 => {
                push(
                    out,
                    &rule_path(path, names),
                    "exactly_one_of",
                    format!("{} present", present(names)),
                );
            }
            Rule::AtMostOneOf(names) if present(names) > 1 => {
                push(
                    out,
                    &rule_path(path, names),
                    "at_most_one_of",
                    format!("{} present", present(names)),
                );
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
                        push(
                            out,
                            &crate::load::join(path, lower),
                            "order",
                            format!("{l} must be {op} {higher} {h}"),
                        );
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
                    push(
                        out,
                        &rule_path(path, fields),
                        "max_total_items",
                        format!("{total} items, at most {max}"),
                    );
                }
            }
            Rule::Check(c) => {
                for (p, problem) in check_rule(value, c) {
                    push(out, &crate::load::join(path, &dotted(&p)), "check", problem);
                }
            }
            Rule::DateRange {
                begin,
                end,
                max_days,
                before_today,
            } => {
                let date = |k: &str| map.get(k).and_then(Value::as_str).and_then(parse_date);
                let (Some(b), Some(e)) = (date(begin), date(end)) else {
                    continue;
                };
                let (bpath, epath) = (crate::load::join(path, begin), crate::load::join(path, end));
                let cutoff = before_today.then_some(today);
                for fault in rules::date_range_faults(b, e, *max_days, cutoff) {
                    match fault {
                        DateRangeFault::Reversed => {
                            push(out, &bpath, "date_order", format!("{b} is after {end} {e}"))
                        }
                        DateRangeFault::TooLong { days, max } => push(
                            out,
                            &epath,
                            "max_days",
                            format!("{days} days after {begin}, at most {max}"),
                        ),
                        DateRangeFault::NotBeforeToday => push(
                            out,
                            &epath,
                            "before_today",
                            format!("{e} is not before today {today}"),
                        ),
                    }
                }
            }
            _ => {}
        }
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

fn check_shape(
    api: &Api,
    shape: &Shape,
    v: &Value,
    path: &str,
    direction: Direction,
    today: Date,
    out: &mut Vec<Problem>,
) {
    match &shape.ty {
        Ty::String if !v.is_string() => {
            return push(out, path, "schema", "expected a string".into());
        }
        Ty::Int if !v.is_i64() => return push(out, path, "schema", "expected an integer".into()),
        Ty::Bool if !v.is_boolean() => {
            return push(out, path, "schema", "expected true or false".into());
        }
        Ty::List(_) if !v.is_array() => return push(out, path, "schema", "expected a list".into()),
        Ty::List(inner) => {
            for (i, item) in v.as_array().into_iter().flatten().enumerate() {
                check_shape(
                    api,
                    inner,
                    item,
                    &format!("{path}[{i}]"),
                    direction,
                    today,
                    out,
                );
            }
        }
        Ty::Model(m) => check_model(api, m, v, path, direction, today, out),
        Ty::File => {
            let ok = v.as_object().is_some_and(|m| {
                m.len() == 3
                    && ["filename", "content_type", "bytes"]
                        .iter()
                        .all(|k| m.get(*k).is_some_and(Value::is_string))
            });
            if !ok {
                return push(
                    out,
                    path,
                    "schema",
                    "a file is `{ filename, content_type, bytes }` (strings)".into(),
                );
            }
        }
        Ty::Enum(e) => {
            let def = &api.enums[e];
            let alias = direction == Direction::Receive && def.variants.iter().any(|x| x.reads(v));
            if !alias && (def.is_int && !v.is_i64() || !def.is_int && !v.is_string()) {
                return push(out, path, "schema", format!("expected a value of {e}"));
            }
            // Old wire forms are read from replies, never sent.
            let known = match direction {
                Direction::Send => def.variants.iter().any(|x| &x.wire == v),
                Direction::Receive => def.variants.iter().any(|x| x.reads(v)),
            };
            if !known {
                push(
                    out,
                    path,
                    "enum",
                    format!("{v} is not a documented value of {e}"),
                );
            }
        }
        _ => {}
    }
    if direction == Direction::Receive {
        return;
    }
    for check in &shape.checks {
        let broken = match (check, v) {
            (Check::NonEmpty, Value::String(s)) => s.is_empty(),
            (Check::MaxBytes(n), Value::String(s)) => s.len() as u64 > *n,
            (Check::MaxBytes(n), Value::Object(file)) => file_bytes(file) as u64 > *n,
            (Check::ContentTypes(types), Value::Object(file)) => !types
                .iter()
                .any(|t| file.get("content_type").and_then(Value::as_str) == Some(t)),
            (Check::MaxChars(n), Value::String(s)) => !rules::fits_hanzi(s, *n as usize),
            (Check::Date, Value::String(s)) => parse_date(s).is_none(),
            (Check::Color, Value::String(s)) => !rules::is_color_name(s),
            (Check::Min(n), Value::Number(x)) => x.as_i64().is_some_and(|x| x < *n),
            (Check::Max(n), Value::Number(x)) => x.as_i64().is_some_and(|x| x > *n),
            (Check::MinItems(n), Value::Array(a)) => (a.len() as u64) < *n,
            (Check::MaxItems(n), Value::Array(a)) => a.len() as u64 > *n,
            (Check::OneOf(values), v) => !values.contains(v),
            _ => false,
        };
        if broken {
            push(
                out,
                path,
                check.rule_name(),
                format!("{v} breaks the rule: {}", check.describe()),
            );
        }
    }
}

/// The size of a file value's bytes (written as text in examples).
fn file_bytes(file: &serde_json::Map<String, Value>) -> usize {
    file.get("bytes")
        .and_then(Value::as_str)
        .map_or(0, str::len)
}
