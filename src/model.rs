//! What every generated model shares.

use serde::de::{self, Deserializer, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// A generated model: reports what it holds that the spec does not describe.
///
/// WeChat documents fewer fields than it sends, so replies are never rejected for an
/// unknown field or enum value: unknown fields land in each struct's `extra`, unknown
/// enum values in the enum's `Unknown` variant. [`Model::unknown_fields`] lists them,
/// for logging or to spot that the spec needs an update.
pub trait Model {
    /// Appends the path of every unknown field or enum value below `path`.
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>);

    /// Paths of every unknown field or enum value (`card.discount.base_info.new_field`).
    fn unknown_fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_unknown("", &mut out);
        out
    }
}

/// A generated struct, with its `extra` map of undocumented fields.
pub trait Object: Model {
    fn extra_mut(&mut self) -> &mut Map<String, Value>;
}

macro_rules! opaque_model {
    ($($t:ty),*) => { $(impl Model for $t { fn collect_unknown(&self, _: &str, _: &mut Vec<String>) {} })* };
}
// `Value` is the spec's `json` type: untyped on purpose, so nothing in it is unknown.
opaque_model!(String, i64, bool, Value);

impl<T: Model> Model for Option<T> {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        if let Some(v) = self {
            v.collect_unknown(path, out);
        }
    }
}

impl<T: Model> Model for Box<T> {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        (**self).collect_unknown(path, out);
    }
}

impl<T: Model> Model for Vec<T> {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        for (i, v) in self.iter().enumerate() {
            v.collect_unknown(&format!("{path}[{i}]"), out);
        }
    }
}

/// `path.key`, or `key` at the root.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Reports the keys of a struct's `extra` map as unknown fields.
pub fn collect_extra(extra: &Map<String, Value>, path: &str, out: &mut Vec<String>) {
    out.extend(extra.keys().map(|k| join(path, k)));
}

/// Deserializes a string enum without allocating for known values.
pub fn deserialize_str_enum<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> From<&'a str>,
{
    struct StrVisitor<T>(std::marker::PhantomData<T>);
    impl<T: for<'a> From<&'a str>> Visitor<'_> for StrVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            Ok(T::from(v))
        }
    }
    deserializer.deserialize_str(StrVisitor(std::marker::PhantomData))
}
