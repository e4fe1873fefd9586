//! Checking requests before they leave the machine.
//!
//! Every request type implements [`Validate`] (generated from the constraints in
//! `spec/`). The clients run it before fetching a token or opening a connection; a
//! request that breaks any rule gives [`Error::InvalidRequest`](crate::Error) listing
//! every violation with its field path, and nothing is sent.

use std::fmt;
use time::Date;

mod constraint;
mod rules;

pub use constraint::{Constrained, Constraint};

use rules::DateRangeFault;
// The sandbox counts days as WeChat does.
#[cfg(feature = "sandbox")]
pub(crate) use rules::{CHINA, china_date};
pub use rules::{china_today, parse_date};

/// A value that knows the rules of its fields.
pub trait Validate {
    /// Records every rule this value breaks into `checker`.
    fn validate(&self, checker: &mut Checker);

    /// Checks the value as of `today` (a China date); `Ok` when it breaks no rule.
    fn check(&self, today: Date) -> Result<(), Vec<Violation>> {
        let mut checker = Checker::new(today);
        self.validate(&mut checker);
        checker.finish()
    }
}

/// An absent field breaks no rule of its own (`required` is checked by its parent).
impl<T: Validate> Validate for Option<T> {
    fn validate(&self, checker: &mut Checker) {
        if let Some(v) = self {
            v.validate(checker);
        }
    }
}

impl<T: Validate> Validate for Box<T> {
    fn validate(&self, checker: &mut Checker) {
        (**self).validate(checker);
    }
}

/// Each element is checked at its index (`list[2].field`).
impl<T: Validate> Validate for Vec<T> {
    fn validate(&self, checker: &mut Checker) {
        for (i, item) in self.iter().enumerate() {
            item.validate(&mut checker.at_index(i));
        }
    }
}

/// One broken rule: where, and which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Path of the field in the request: `count`, `status_list[2]`,
    /// `member_card.base_info.notice`; for a rule between fields, the fields in braces.
    pub field: String,
    pub rule: Rule,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.field, self.rule)
    }
}

/// A rule of the spec and how the value broke it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// A required field is absent, or a required text is empty.
    Required,
    /// A described field was put into `extra` (set it with its setter instead).
    InExtra,
    MaxBytes {
        max: usize,
        actual: usize,
    },
    /// At most `max` 汉字, i.e. 3·`max` UTF-8 bytes (see spec/README.md).
    MaxChars {
        max: usize,
        actual_bytes: usize,
    },
    /// Not a `YYYY-MM-DD` calendar date.
    DateFormat {
        actual: String,
    },
    Min {
        min: i64,
        actual: i64,
    },
    Max {
        max: i64,
        actual: i64,
    },
    MinItems {
        min: usize,
        actual: usize,
    },
    MaxItems {
        max: usize,
        actual: usize,
    },
    /// The endpoint accepts only some values here.
    OneOf {
        allowed: Vec<String>,
        actual: String,
    },
    /// A value of an enum that the docs do not list.
    UnknownEnumValue {
        enum_name: &'static str,
        actual: String,
    },
    ExactlyOneOf {
        fields: &'static [&'static str],
        present: usize,
    },
    AtMostOneOf {
        fields: &'static [&'static str],
        present: usize,
    },
    /// The begin date is after the end date.
    DateOrder {
        begin: String,
        end: String,
    },
    /// Not in the documented format (a colour name, …): `expected` says which.
    Format {
        expected: &'static str,
        actual: String,
    },
    /// The date window is longer than WeChat allows.
    MaxDays {
        max: i64,
        actual: i64,
    },
    /// Statistics of today (China time) or later are not available.
    BeforeToday {
        actual: String,
        today: String,
    },
    /// The value cannot be encoded as JSON (only possible through `extra`).
    Encoding {
        message: String,
    },
    /// A file of a type the endpoint does not accept.
    ContentType {
        allowed: Vec<String>,
        actual: String,
    },
    /// Two numbers in the wrong order (`begin_time` after `end_time`).
    Order {
        lower: &'static str,
        higher: &'static str,
        strict: bool,
    },
    /// Several lists together hold too many items.
    MaxTotalItems {
        fields: &'static [&'static str],
        max: usize,
        actual: usize,
    },
    /// A conditional rule of the spec: `expected` says what was wanted, `because` why.
    Check {
        expected: &'static str,
        because: &'static str,
    },
}

impl Rule {
    /// The rule's short name, as in spec/README.md (`max_bytes`, `one_of`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Rule::Required => "required",
            Rule::InExtra => "extra",
            Rule::MaxBytes { .. } => "max_bytes",
            Rule::MaxChars { .. } => "max_chars",
            Rule::DateFormat { .. } | Rule::Format { .. } => "format",
            Rule::Min { .. } => "min",
            Rule::Max { .. } => "max",
            Rule::MinItems { .. } => "min_items",
            Rule::MaxItems { .. } => "max_items",
            Rule::OneOf { .. } => "one_of",
            Rule::UnknownEnumValue { .. } => "enum",
            Rule::ExactlyOneOf { .. } => "exactly_one_of",
            Rule::AtMostOneOf { .. } => "at_most_one_of",
            Rule::DateOrder { .. } => "date_order",
            Rule::MaxDays { .. } => "max_days",
            Rule::BeforeToday { .. } => "before_today",
            Rule::Encoding { .. } => "encoding",
            Rule::ContentType { .. } => "content_type",
            Rule::Order { .. } => "order",
            Rule::MaxTotalItems { .. } => "max_total_items",
            Rule::Check { .. } => "check",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Required => write!(f, "is required and must not be empty"),
            Rule::InExtra => write!(
                f,
                "is a described field: set it on the request, not through `extra`"
            ),
            Rule::Encoding { message } => write!(f, "cannot be encoded as JSON: {message}"),
            Rule::MaxBytes { .. }
            | Rule::MaxChars { .. }
            | Rule::DateFormat { .. }
            | Rule::Format { .. }
            | Rule::Min { .. }
            | Rule::Max { .. }
            | Rule::MinItems { .. }
            | Rule::MaxItems { .. }
            | Rule::OneOf { .. }
            | Rule::UnknownEnumValue { .. }
            | Rule::ContentType { .. } => self.fmt_value_rule(f),
            Rule::ExactlyOneOf { .. }
            | Rule::AtMostOneOf { .. }
            | Rule::Order { .. }
            | Rule::MaxTotalItems { .. }
            | Rule::DateOrder { .. }
            | Rule::MaxDays { .. }
            | Rule::BeforeToday { .. }
            | Rule::Check { .. } => self.fmt_object_rule(f),
        }
    }
}

impl Rule {
    /// A rule on one value: its size, format, bounds or allowed values.
    fn fmt_value_rule(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::MaxBytes { max, actual } => {
                write!(f, "must be at most {max} bytes, got {actual}")
            }
            Rule::MaxChars { max, actual_bytes } => {
                write!(
                    f,
                    "must be at most {max} 汉字 ({} UTF-8 bytes), got {actual_bytes} bytes",
                    rules::hanzi_bytes(*max)
                )
            }
            Rule::DateFormat { actual } => {
                write!(f, "must be a date written YYYY-MM-DD, got {actual:?}")
            }
            Rule::Format { expected, actual } => write!(f, "must be {expected}, got {actual:?}"),
            Rule::Min { min, actual } => write!(f, "must be at least {min}, got {actual}"),
            Rule::Max { max, actual } => write!(f, "must be at most {max}, got {actual}"),
            Rule::MinItems { min, actual } => {
                write!(f, "must have at least {min} items, got {actual}")
            }
            Rule::MaxItems { max, actual } => {
                write!(f, "must have at most {max} items, got {actual}")
            }
            Rule::OneOf { allowed, actual } => {
                write!(f, "must be one of {}, got {actual}", allowed.join(", "))
            }
            Rule::UnknownEnumValue { enum_name, actual } => {
                write!(f, "{actual:?} is not a documented {enum_name} value")
            }
            Rule::ContentType { allowed, actual } => {
                write!(
                    f,
                    "must be a file of type {}, got {actual}",
                    allowed.join(" or ")
                )
            }
            other => unreachable!("{} is not a rule on one value", other.name()),
        }
    }

    /// A rule between the fields of an object (a date window's among them).
    fn fmt_object_rule(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::ExactlyOneOf { fields, present } => {
                write!(
                    f,
                    "exactly one of {} must be set, {present} are",
                    fields.join(", ")
                )
            }
            Rule::AtMostOneOf { fields, present } => {
                write!(
                    f,
                    "at most one of {} may be set, {present} are",
                    fields.join(", ")
                )
            }
            Rule::Order {
                lower,
                higher,
                strict,
            } => {
                let op = if *strict { "before" } else { "at most" };
                write!(f, "`{lower}` must be {op} `{higher}`")
            }
            Rule::MaxTotalItems {
                fields,
                max,
                actual,
            } => {
                write!(
                    f,
                    "{} may hold {max} items in all, got {actual}",
                    fields.join(" and ")
                )
            }
            Rule::DateOrder { begin, end } => write!(f, "begins on {begin}, after the end {end}"),
            Rule::MaxDays { max, actual } => {
                write!(f, "spans {actual} days, at most {max} are allowed")
            }
            Rule::BeforeToday { actual, today } => {
                write!(
                    f,
                    "is {actual}; it must be before today ({today}, China time): today's data is not ready"
                )
            }
            Rule::Check { expected, because } => write!(f, "{expected}: {because}"),
            other => unreachable!("{} is not a rule between fields", other.name()),
        }
    }
}

/// A documented enum of the spec (generated), as the checker sees it.
pub trait SpecEnum {
    /// The enum's Rust name, for messages.
    const NAME: &'static str;
    /// `false` for a value the docs do not list (kept in the `Unknown` variant).
    fn is_known(&self) -> bool;
    /// The value as sent on the wire, for messages.
    fn wire(&self) -> String;
}

/// Collects violations while generated `validate` methods walk a request.
///
/// Field-level checks apply to the current path; [`Checker::at`] and
/// [`Checker::at_index`] descend.
#[derive(Debug)]
pub struct Checker {
    path: String,
    today: Date,
    violations: Vec<Violation>,
}

impl Checker {
    /// A checker for requests sent on `today` (a China date, see [`china_today`]).
    pub fn new(today: Date) -> Self {
        Checker {
            path: String::new(),
            today,
            violations: Vec::new(),
        }
    }

    /// `Ok` when nothing was broken.
    pub fn finish(self) -> Result<(), Vec<Violation>> {
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(self.violations)
        }
    }

    fn push(&mut self, rule: Rule) {
        self.violations.push(Violation {
            field: self.path.clone(),
            rule,
        });
    }

    fn push_at(&mut self, field: &str, rule: Rule) {
        let field = crate::model::join(&self.path, field);
        self.violations.push(Violation { field, rule });
    }

    /// Descends into the field `name` of the current object until the returned
    /// scope is dropped: `let c = &mut c.at("code");`.
    pub fn at(&mut self, name: &str) -> Scope<'_> {
        let len = self.path.len();
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(name);
        Scope { checker: self, len }
    }

    /// Descends into element `i` of the current list until the scope is dropped.
    pub fn at_index(&mut self, i: usize) -> Scope<'_> {
        use std::fmt::Write;
        let len = self.path.len();
        let _ = write!(self.path, "[{i}]");
        Scope { checker: self, len }
    }

    /// A field's value, when set: its [`Constraint`]s, then the rules of its type (a
    /// nested object, a list of them, an enum's listed values).
    pub fn field<T: Constrained + Validate>(
        &mut self,
        field: &str,
        value: Option<&T>,
        rules: &[Constraint],
    ) {
        if let Some(value) = value {
            let c = &mut self.at(field);
            rules.iter().for_each(|rule| value.constrain(c, rule));
            value.validate(c);
        }
    }

    /// The fields the docs require are set (a model that replies also carry has them
    /// as `Option`s), and none is given again through `extra`: there it would reach
    /// the wire unchecked, and twice if also set.
    pub fn described_fields<T: crate::model::Fields + crate::model::Object>(&mut self, value: &T) {
        struct Described<'a, 'c> {
            extra: &'a serde_json::Map<String, serde_json::Value>,
            checker: &'c mut Checker,
        }
        impl crate::model::Visit for Described<'_, '_> {
            fn field<T: crate::model::Model + serde::Serialize>(
                &mut self,
                key: &'static str,
                _: &T,
            ) {
                if self.extra.contains_key(key) {
                    self.checker.push_at(key, Rule::InExtra);
                }
            }
            fn required<T: crate::model::Model + serde::Serialize>(
                &mut self,
                key: &'static str,
                value: &T,
            ) {
                if value.is_absent() {
                    self.checker.push_at(key, Rule::Required);
                }
                self.field(key, value);
            }
        }
        value.visit(&mut Described {
            extra: value.extra(),
            checker: self,
        });
    }

    pub fn non_empty(&mut self, value: &str) {
        if value.is_empty() {
            self.push(Rule::Required);
        }
    }

    pub fn max_bytes(&mut self, value: &str, max: usize) {
        if value.len() > max {
            self.push(Rule::MaxBytes {
                max,
                actual: value.len(),
            });
        }
    }

    /// See spec/README.md, "Counting 汉字": N 汉字 are 3·N UTF-8 bytes.
    pub fn max_chars(&mut self, value: &str, max: usize) {
        if !rules::fits_hanzi(value, max) {
            self.push(Rule::MaxChars {
                max,
                actual_bytes: value.len(),
            });
        }
    }

    pub fn date(&mut self, value: &str) {
        if parse_date(value).is_none() {
            self.push(Rule::DateFormat {
                actual: value.to_owned(),
            });
        }
    }

    /// A card colour name: `Color` and three digits (card/getcolors lists them).
    pub fn color(&mut self, value: &str) {
        if !rules::is_color_name(value) {
            self.push(Rule::Format {
                expected: "a colour name from card/getcolors (Color010 … Color100)",
                actual: value.to_owned(),
            });
        }
    }

    pub fn decimal(&mut self, value: &str) {
        if !rules::is_decimal2(value) {
            self.push(Rule::Format {
                expected: "a decimal with at most two places (135.90, 0.17, -10.00)",
                actual: value.to_owned(),
            });
        }
    }

    pub fn min(&mut self, value: i64, min: i64) {
        if value < min {
            self.push(Rule::Min { min, actual: value });
        }
    }

    pub fn max(&mut self, value: i64, max: i64) {
        if value > max {
            self.push(Rule::Max { max, actual: value });
        }
    }

    pub fn min_items(&mut self, len: usize, min: usize) {
        if len < min {
            self.push(Rule::MinItems { min, actual: len });
        }
    }

    pub fn max_items(&mut self, len: usize, max: usize) {
        if len > max {
            self.push(Rule::MaxItems { max, actual: len });
        }
    }

    pub fn one_of_str(&mut self, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            let allowed = allowed.iter().map(|s| s.to_string()).collect();
            self.push(Rule::OneOf {
                allowed,
                actual: value.to_owned(),
            });
        }
    }

    pub fn one_of_int(&mut self, value: i64, allowed: &[i64]) {
        if !allowed.contains(&value) {
            let allowed = allowed.iter().map(|n| n.to_string()).collect();
            self.push(Rule::OneOf {
                allowed,
                actual: value.to_string(),
            });
        }
    }

    /// Requests may only carry documented enum values.
    pub fn known<E: SpecEnum>(&mut self, value: &E) {
        if !value.is_known() {
            self.push(Rule::UnknownEnumValue {
                enum_name: E::NAME,
                actual: value.wire(),
            });
        }
    }

    /// A file's size (`max_bytes` on a `file` field).
    pub fn max_size(&mut self, len: usize, max: usize) {
        if len > max {
            self.push(Rule::MaxBytes { max, actual: len });
        }
    }

    pub fn content_type(&mut self, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            let allowed = allowed.iter().map(|s| s.to_string()).collect();
            self.push(Rule::ContentType {
                allowed,
                actual: value.to_owned(),
            });
        }
    }

    /// `lower < higher` (or `≤` when not strict) when both are set.
    pub fn order(
        &mut self,
        (lower, l): (&'static str, Option<i64>),
        (higher, h): (&'static str, Option<i64>),
        strict: bool,
    ) {
        if let (Some(l), Some(h)) = (l, h) {
            if !rules::in_order(l, h, strict) {
                self.push_at(
                    lower,
                    Rule::Order {
                        lower,
                        higher,
                        strict,
                    },
                );
            }
        }
    }

    pub fn max_total_items(&mut self, fields: &'static [&'static str], total: usize, max: usize) {
        if total > max {
            let at = format!("{{{}}}", fields.join(", "));
            self.push_at(
                &at,
                Rule::MaxTotalItems {
                    fields,
                    max,
                    actual: total,
                },
            );
        }
    }

    /// Records a broken conditional rule at `path` (relative to the current object).
    pub fn check(&mut self, path: &str, ok: bool, expected: &'static str, because: &'static str) {
        if !ok {
            self.push_at(path, Rule::Check { expected, because });
        }
    }

    pub fn exactly_one_of(&mut self, fields: &'static [&'static str], present: &[bool]) {
        let count = present.iter().filter(|p| **p).count();
        if count != 1 {
            let at = format!("{{{}}}", fields.join(", "));
            self.push_at(
                &at,
                Rule::ExactlyOneOf {
                    fields,
                    present: count,
                },
            );
        }
    }

    pub fn at_most_one_of(&mut self, fields: &'static [&'static str], present: &[bool]) {
        let count = present.iter().filter(|p| **p).count();
        if count > 1 {
            let at = format!("{{{}}}", fields.join(", "));
            self.push_at(
                &at,
                Rule::AtMostOneOf {
                    fields,
                    present: count,
                },
            );
        }
    }

    /// `begin ≤ end`, `end − begin ≤ max_days`, and `end` before today when asked.
    /// Dates that do not parse are reported by [`Checker::date`] on their own field.
    pub fn date_range(
        &mut self,
        (begin_field, begin): (&str, &str),
        (end_field, end): (&str, &str),
        max_days: Option<i64>,
        before_today: bool,
    ) {
        let (Some(b), Some(e)) = (parse_date(begin), parse_date(end)) else {
            return;
        };
        let today = before_today.then_some(self.today);
        for fault in rules::date_range_faults(b, e, max_days, today) {
            let (field, rule) = match fault {
                DateRangeFault::Reversed => (
                    begin_field,
                    Rule::DateOrder {
                        begin: begin.to_owned(),
                        end: end.to_owned(),
                    },
                ),
                DateRangeFault::TooLong { days, max } => {
                    (end_field, Rule::MaxDays { max, actual: days })
                }
                DateRangeFault::NotBeforeToday => (
                    end_field,
                    Rule::BeforeToday {
                        actual: end.to_owned(),
                        today: self.today.to_string(),
                    },
                ),
            };
            self.push_at(field, rule);
        }
    }
}

/// A shortcut's signed argument `arg` = `n` (spec/README.md, "Shortcuts"), as the two
/// fields it stands for: `n > 0` fills the first with `n`, `n < 0` the second with
/// `-n`. A 0 is refused, naming the argument: the change asked for is none.
pub fn split_signed<E: crate::endpoint::Endpoint>(
    arg: &str,
    n: i64,
) -> Result<(Option<i64>, Option<i64>), crate::Error> {
    let refuse = |rule| crate::Error::InvalidRequest {
        endpoint: E::ID,
        violations: vec![Violation {
            field: arg.to_owned(),
            rule,
        }],
    };
    match n {
        0 => Err(refuse(Rule::Check {
            expected: "must not be 0",
            because: "a change of 0 changes nothing; make no call",
        })),
        // -i64::MIN is no i64.
        i64::MIN => Err(refuse(Rule::Min {
            min: -i64::MAX,
            actual: n,
        })),
        n if n > 0 => Ok((Some(n), None)),
        n => Ok((None, Some(-n))),
    }
}

/// A keyed shortcut's value with no field of its own (spec/README.md, "Shortcuts"): a
/// card type the request does not describe (GENERAL_CARD, LUCKY_MONEY) or one WeChat
/// added later. `{wrap: value}` goes under the key's lowercase wire value, through
/// `extra`, as the docs key every type's object. The request is checked as usual —
/// `value` at `<key>.<wrap>` — but for its one-of rule over the described keys, which
/// cannot see this one: the key the request holds is exactly this one.
pub fn keyed_extra<E, K, V>(
    today: Date,
    request: &mut E,
    key: &K,
    wrap: &str,
    value: &V,
) -> Result<(), crate::Error>
where
    E: crate::endpoint::Endpoint + crate::model::Object + serde::Serialize,
    K: SpecEnum,
    V: serde::Serialize + Validate,
{
    let key = key.wire().to_lowercase();
    // A key the request already sends (`card_id`, a described type's object, one set
    // through `extra`) would be sent twice, and WeChat would read one of the two.
    let taken = match serde_json::to_value(&*request) {
        Ok(serde_json::Value::Object(sent)) => sent.contains_key(&key),
        _ => false,
    };
    let mut c = Checker::new(today);
    request.validate(&mut c);
    c.check(
        "",
        !key.is_empty() && !taken && !request.extra().contains_key(&key),
        "needs a key of its own",
        "an empty type, or one the request already sends (a field, or `extra`), names no \
         object to update",
    );
    value.validate(&mut c.at(&key).at(wrap));
    c.violations
        .retain(|v| !(v.rule.name() == "exactly_one_of" && v.field.starts_with('{')));
    let invalid = |violations| crate::Error::InvalidRequest {
        endpoint: E::ID,
        violations,
    };
    c.finish().map_err(invalid)?;
    let value = serde_json::to_value(value).map_err(|e| {
        invalid(vec![Violation {
            field: format!("{key}.{wrap}"),
            rule: Rule::Encoding {
                message: e.to_string(),
            },
        }])
    })?;
    let object = serde_json::Map::from_iter([(wrap.to_owned(), value)]);
    request.extra_mut().insert(key, object.into());
    Ok(())
}

/// A [`Checker`] descended into a field or element; ascends again when dropped.
#[derive(Debug)]
pub struct Scope<'a> {
    checker: &'a mut Checker,
    len: usize,
}

impl std::ops::Deref for Scope<'_> {
    type Target = Checker;
    fn deref(&self) -> &Checker {
        self.checker
    }
}

impl std::ops::DerefMut for Scope<'_> {
    fn deref_mut(&mut self) -> &mut Checker {
        self.checker
    }
}

impl Drop for Scope<'_> {
    fn drop(&mut self) {
        self.checker.path.truncate(self.len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_strict() {
        assert!(parse_date("2015-06-15").is_some());
        for bad in [
            "2015-6-15",
            "2015/06/15",
            "2015-02-30",
            "15-06-2015",
            "2015-06-15 ",
            "２０１５-06-15",
            "",
        ] {
            assert!(parse_date(bad).is_none(), "{bad:?} parsed");
        }
    }

    #[test]
    fn hanzi_count_as_three_bytes() {
        let mut c = Checker::new(parse_date("2020-01-01").unwrap());
        c.at("notice").max_chars(&"券".repeat(16), 16);
        c.at("title").max_chars(&"a".repeat(27), 9);
        assert_eq!(c.finish(), Ok(()));
        let mut c = Checker::new(parse_date("2020-01-01").unwrap());
        c.at("notice").max_chars(&"券".repeat(17), 16);
        let v = c.finish().unwrap_err();
        assert_eq!(
            v[0].to_string(),
            "`notice` must be at most 16 汉字 (48 UTF-8 bytes), got 51 bytes"
        );
    }

    #[test]
    fn paths_nest_and_unwind() {
        let mut c = Checker::new(parse_date("2020-01-01").unwrap());
        {
            let c = &mut c.at("member_card");
            c.at("base_info").at("notice").non_empty("");
            c.at("list").at_index(2).max_bytes("abc", 2);
        }
        c.at("count").max(51, 50);
        let fields: Vec<String> = c
            .finish()
            .unwrap_err()
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(
            fields,
            [
                "member_card.base_info.notice",
                "member_card.list[2]",
                "count"
            ]
        );
    }

    #[test]
    fn date_window() {
        let today = parse_date("2015-07-01").unwrap();
        let run = |b: &str, e: &str| {
            let mut c = Checker::new(today);
            c.date_range(("begin_date", b), ("end_date", e), Some(62), true);
            c.finish()
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|v| (v.field, v.rule.name()))
                .collect::<Vec<_>>()
        };
        assert!(
            run("2015-04-29", "2015-06-30").is_empty(),
            "62 days apart is allowed"
        );
        assert_eq!(
            run("2015-04-28", "2015-06-30"),
            [("end_date".to_string(), "max_days")]
        );
        assert_eq!(
            run("2015-06-30", "2015-06-15"),
            [("begin_date".to_string(), "date_order")]
        );
        assert_eq!(
            run("2015-06-15", "2015-07-01"),
            [("end_date".to_string(), "before_today")]
        );
    }
}
