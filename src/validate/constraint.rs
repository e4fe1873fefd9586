//! The rules of one value as data ([`Constraint`]), and what each means for each
//! type of value ([`Constrained`]): generated validators list them per field.

use super::{Checker, Validate};

/// A rule of one value as the spec states it. Generated validators list a field's
/// rules as data (`c.field("notice", self.notice.as_ref(), &[NonEmpty, MaxChars(16)])`);
/// what each means is here and in [`Checker`], once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Constraint {
    /// A required text is not empty.
    NonEmpty,
    /// UTF-8 bytes of a text, or bytes of a file.
    MaxBytes(usize),
    /// 汉字 of a text (3 bytes each, see spec/README.md).
    MaxChars(usize),
    /// A `YYYY-MM-DD` date.
    Date,
    /// A card colour name (`Color010`).
    Color,
    /// A decimal with at most two places, optionally negative (`135.90`, `-10.00`).
    Decimal,
    Min(i64),
    Max(i64),
    MinItems(usize),
    MaxItems(usize),
    /// One of these wire values (a text or string enum).
    OneOfStr(&'static [&'static str]),
    /// One of these wire values (an integer or integer enum).
    OneOfInt(&'static [i64]),
    /// A file of one of these MIME types.
    ContentType(&'static [&'static str]),
    /// The rules of each element of a list.
    Each(&'static [Constraint]),
}

/// A value that [`Constraint`]s apply to. A rule that does not fit the type is refused
/// by the generator's loader; were one to slip through, debug builds (the tests) stop
/// on it rather than pass it silently.
pub trait Constrained {
    fn constrain(&self, c: &mut Checker, rule: &Constraint);
}

impl Constrained for String {
    fn constrain(&self, c: &mut Checker, rule: &Constraint) {
        match *rule {
            Constraint::NonEmpty => c.non_empty(self),
            Constraint::MaxBytes(max) => c.max_bytes(self, max),
            Constraint::MaxChars(max) => c.max_chars(self, max),
            Constraint::Date => c.date(self),
            Constraint::Color => c.color(self),
            Constraint::Decimal => c.decimal(self),
            Constraint::OneOfStr(allowed) => c.one_of_str(self, allowed),
            other => misapplied(other, "text"),
        }
    }
}

impl Constrained for i64 {
    fn constrain(&self, c: &mut Checker, rule: &Constraint) {
        match *rule {
            Constraint::Min(min) => c.min(*self, min),
            Constraint::Max(max) => c.max(*self, max),
            Constraint::OneOfInt(allowed) => c.one_of_int(*self, allowed),
            other => misapplied(other, "an integer"),
        }
    }
}

impl Constrained for crate::FilePart {
    fn constrain(&self, c: &mut Checker, rule: &Constraint) {
        match *rule {
            Constraint::MaxBytes(max) => c.max_size(self.bytes.len(), max),
            Constraint::ContentType(allowed) => c.content_type(&self.content_type, allowed),
            other => misapplied(other, "a file"),
        }
    }
}

impl<T: Constrained> Constrained for Vec<T> {
    fn constrain(&self, c: &mut Checker, rule: &Constraint) {
        match *rule {
            Constraint::MinItems(min) => c.min_items(self.len(), min),
            Constraint::MaxItems(max) => c.max_items(self.len(), max),
            Constraint::Each(rules) => {
                for (i, item) in self.iter().enumerate() {
                    let c = &mut c.at_index(i);
                    rules.iter().for_each(|rule| item.constrain(c, rule));
                }
            }
            other => misapplied(other, "a list"),
        }
    }
}

impl<T: Constrained> Constrained for Box<T> {
    fn constrain(&self, c: &mut Checker, rule: &Constraint) {
        (**self).constrain(c, rule);
    }
}

/// Scalars and untyped JSON: no rules of their own beyond their [`Constraint`]s.
macro_rules! no_nested_rules {
    ($($t:ty),*) => { $(impl Validate for $t { fn validate(&self, _: &mut Checker) {} })* };
}
no_nested_rules!(String, i64, bool, serde_json::Value, crate::FilePart);

impl Constrained for bool {
    fn constrain(&self, _: &mut Checker, _: &Constraint) {}
}

impl Constrained for serde_json::Value {
    fn constrain(&self, _: &mut Checker, _: &Constraint) {}
}

/// A rule given to a type it does not fit (see [`Constrained`]).
fn misapplied(rule: Constraint, to: &str) {
    debug_assert!(false, "{rule:?} does not apply to {to}");
}
