//! Values the case finder writes into an example: a value at a limit, one that breaks
//! it, the smallest valid value of a shape, and edits at a JSON pointer.

use crate::ir::*;
use serde_json::{Map, Value};

/// Sets the value at a dotted path below the object at `pointer`, creating absent
/// objects on the way with their smallest valid value.
pub(super) fn set_path(
    api: &Api,
    model: &str,
    doc: &mut Value,
    pointer: &str,
    path: &[String],
    value: Value,
) {
    let fields = api.path_fields(model, path).expect("checked by the loader");
    let mut at = pointer.to_owned();
    for (i, f) in fields.iter().enumerate() {
        at = pointer_join(&at, &f.wire);
        if i + 1 == fields.len() {
            set(doc, &at, value);
            return;
        }
        if doc.pointer(&at).is_none() {
            set(doc, &at, minimal(api, &f.shape));
        }
    }
}

pub(super) fn remove_path(doc: &mut Value, pointer: &str, path: &[String]) {
    let parent = path[..path.len() - 1]
        .iter()
        .fold(pointer.to_owned(), |p, step| pointer_join(&p, step));
    if let Some(obj) = doc.pointer_mut(&parent).and_then(Value::as_object_mut) {
        obj.remove(&path[path.len() - 1]);
    }
}

/// Another valid value of the same type, to break an `equal` assertion.
pub(super) fn different(api: &Api, ty: &Ty, v: &Value) -> Option<Value> {
    Some(match (ty, v) {
        (Ty::Int, v) => Value::from(v.as_i64()? + 1),
        (Ty::Bool, v) => Value::from(!v.as_bool()?),
        (Ty::Enum(e), v) => api.enums[e]
            .variants
            .iter()
            .map(|x| x.wire.clone())
            .find(|w| w != v)?,
        (_, v) => Value::from(format!("{}x", v.as_str()?)),
    })
}

/// A value exactly at the bound of `check`, which the check accepts.
pub(super) fn at_limit(
    api: &Api,
    shape: &Shape,
    check: &Check,
    current: Option<&Value>,
) -> Option<Value> {
    Some(match (check, &shape.ty) {
        (Check::MaxBytes(n), Ty::String) => Value::from("a".repeat(*n as usize)),
        (Check::MaxChars(n), Ty::String) => Value::from("券".repeat(*n as usize)),
        (Check::Min(n), _) => Value::from(*n),
        (Check::Max(n), _) => Value::from(*n),
        (Check::MinItems(n), _) if *n > 0 => {
            let item = item_of(api, shape, current)?;
            Value::Array(vec![item; *n as usize])
        }
        // A hundred items say as much as ten thousand.
        (Check::MaxItems(n), _) if *n <= 100 => {
            let item = item_of(api, shape, current)?;
            Value::Array(vec![item; *n as usize])
        }
        _ => return None,
    })
}

/// A value that breaks `check` (and, as far as possible, nothing else).
pub(super) fn breaking(
    api: &Api,
    shape: &Shape,
    check: &Check,
    current: Option<&Value>,
) -> Option<Value> {
    Some(match check {
        Check::NonEmpty => Value::from(""),
        Check::MaxBytes(n) => Value::from("a".repeat(*n as usize + 1)),
        Check::MaxChars(n) => Value::from("券".repeat(*n as usize + 1)),
        Check::Date => Value::from("2015/06/15"),
        Check::Color => Value::from("#10AD61"),
        Check::Decimal => Value::from("1.005"),
        Check::ContentTypes(_) => return None,
        Check::Min(n) => Value::from(n.checked_sub(1)?),
        Check::Max(n) => Value::from(n.checked_add(1)?),
        Check::MinItems(n) => {
            let item = item_of(api, shape, current)?;
            Value::Array(vec![item; (*n as usize).checked_sub(1)?])
        }
        Check::MaxItems(n) => {
            let item = item_of(api, shape, current)?;
            Value::Array(vec![item; *n as usize + 1])
        }
        Check::OneOf(allowed) => match &shape.ty {
            Ty::Enum(e) => api.enums[e]
                .variants
                .iter()
                .map(|v| v.wire.clone())
                .find(|w| !allowed.contains(w))?,
            Ty::Int => Value::from(allowed.iter().filter_map(Value::as_i64).max()? + 1),
            _ => Value::from("NOT_ALLOWED"),
        },
    })
}

pub(super) fn item_of(api: &Api, shape: &Shape, current: Option<&Value>) -> Option<Value> {
    let Ty::List(inner) = &shape.ty else {
        return None;
    };
    current
        .and_then(|c| c.get(0))
        .cloned()
        .or_else(|| Some(minimal(api, inner)))
}

/// The smallest valid value of a shape: used to fill what the example leaves out.
pub fn minimal(api: &Api, shape: &Shape) -> Value {
    let one_of = shape.checks.iter().find_map(|c| match c {
        Check::OneOf(values) => values.first().cloned(),
        _ => None,
    });
    if let Some(v) = one_of {
        return v;
    }
    match &shape.ty {
        Ty::String if shape.checks.contains(&Check::Date) => Value::from("2015-06-15"),
        Ty::String if shape.checks.contains(&Check::Color) => Value::from("Color010"),
        Ty::String if shape.checks.contains(&Check::Decimal) => Value::from("1.00"),
        Ty::String => Value::from("x"),
        Ty::Int => {
            let min = shape.checks.iter().find_map(|c| {
                if let Check::Min(n) = c {
                    Some(*n)
                } else {
                    None
                }
            });
            Value::from(min.unwrap_or(0).max(0))
        }
        Ty::Bool => Value::from(false),
        Ty::Json => Value::Object(Map::new()),
        Ty::File => {
            let content_type = shape.checks.iter().find_map(|c| match c {
                Check::ContentTypes(types) => types.first().cloned(),
                _ => None,
            });
            serde_json::json!({
                "filename": "upload.png",
                "content_type": content_type.unwrap_or_else(|| "image/png".into()),
                "bytes": "x",
            })
        }
        Ty::List(inner) => {
            let n = shape.checks.iter().find_map(|c| {
                if let Check::MinItems(n) = c {
                    Some(*n)
                } else {
                    None
                }
            });
            Value::Array(vec![minimal(api, inner); n.unwrap_or(0) as usize])
        }
        Ty::Enum(e) => api.enums[e].variants[0].wire.clone(),
        Ty::Model(m) => {
            let model = api.model(m);
            let mut obj = Map::new();
            for f in model.fields.iter().filter(|f| f.required) {
                obj.insert(f.wire.clone(), minimal(api, &f.shape));
            }
            for rule in &model.rules {
                if let Rule::ExactlyOneOf(names) = rule {
                    let f = model.field(&names[0]).expect("checked");
                    obj.insert(f.wire.clone(), minimal(api, &f.shape));
                }
            }
            Value::Object(obj)
        }
    }
}

/// Sets the value at a JSON pointer, creating missing objects on the way.
pub(super) fn set(doc: &mut Value, pointer: &str, value: Value) {
    if pointer.is_empty() {
        *doc = value;
        return;
    }
    let (parent, last) = pointer.rsplit_once('/').expect("a JSON pointer");
    let last = last.replace("~1", "/").replace("~0", "~");
    if doc.pointer(parent).is_none() {
        set(doc, parent, Value::Object(Map::new()));
    }
    match doc.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(last, value);
        }
        Some(Value::Array(items)) => {
            let i: usize = last.parse().expect("an index");
            if i < items.len() {
                items[i] = value;
            } else {
                items.push(value);
            }
        }
        _ => {}
    }
}
/// `pointer` extended by one key, escaped as RFC 6901 asks.
pub(super) fn pointer_join(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"))
}
