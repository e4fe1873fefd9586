//! Object rules (`rules:` of an object): rules between its fields, one function per
//! kind of rule.

use super::*;

/// Lowers the `rules` of the object at `path`, whose fields are `fields`.
pub(super) fn object_rules(
    ctx: &Ctx,
    path: &str,
    fields: &[Field],
    raw_rules: Vec<raw::Rule>,
) -> Vec<Rule> {
    let rules = ObjectRules {
        ctx,
        at: join(path, "rules"),
        fields,
    };
    raw_rules
        .into_iter()
        .filter_map(|r| rules.rule(r))
        .collect()
}

/// The rules of one object: where they are, and the fields they may name.
struct ObjectRules<'a> {
    ctx: &'a Ctx,
    /// `…rules`, where every problem with a rule is reported.
    at: String,
    fields: &'a [Field],
}

impl ObjectRules<'_> {
    fn error(&self, message: impl Into<String>) {
        self.ctx.error(self.at.clone(), message);
    }

    /// The field a rule names, if the object has it.
    fn field(&self, name: &str) -> Option<&Field> {
        let f = self.fields.iter().find(|f| f.wire == name);
        if f.is_none() {
            self.error(format!(
                "names `{name}`, which is not a field of this object"
            ));
        }
        f
    }

    /// A rule is a map with exactly one key, its kind.
    fn rule(&self, rule: raw::Rule) -> Option<Rule> {
        let raw::Rule {
            exactly_one_of,
            at_most_one_of,
            date_range,
            order,
            max_total_items,
            check,
        } = rule;
        let kinds = [
            exactly_one_of.is_some(),
            at_most_one_of.is_some(),
            date_range.is_some(),
            order.is_some(),
            max_total_items.is_some(),
            check.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() != 1 {
            self.error(
                "each rule has exactly one key: exactly_one_of, at_most_one_of, \
                 date_range, order, max_total_items or check",
            );
            return None;
        }
        if let Some(r) = order {
            self.order(r)
        } else if let Some(r) = max_total_items {
            self.max_total_items(r)
        } else if let Some(r) = check {
            self.check(r)
        } else if let Some(names) = exactly_one_of {
            self.one_of(names, true)
        } else if let Some(names) = at_most_one_of {
            self.one_of(names, false)
        } else {
            date_range.and_then(|r| self.date_range(r))
        }
    }

    /// `order`: two int fields.
    fn order(&self, r: raw::OrderRule) -> Option<Rule> {
        let int = |n: &str| self.field(n).is_some_and(|f| f.shape.ty == Ty::Int);
        if int(&r.lower) && int(&r.higher) {
            Some(Rule::Order {
                lower: r.lower,
                higher: r.higher,
                strict: r.strict,
            })
        } else {
            self.error("order names two int fields");
            None
        }
    }

    /// `max_total_items`: two or more list fields.
    fn max_total_items(&self, r: raw::MaxTotalItemsRule) -> Option<Rule> {
        let lists = r.fields.iter().all(|n| {
            self.field(n)
                .is_some_and(|f| matches!(f.shape.ty, Ty::List(_)))
        });
        if lists && r.fields.len() >= 2 {
            Some(Rule::MaxTotalItems {
                fields: r.fields,
                max: r.max,
            })
        } else {
            self.error("max_total_items names two or more list fields");
            None
        }
    }

    /// `check`: a conditional rule over dotted paths, asserting at least something.
    fn check(&self, r: raw::CheckRule) -> Option<Rule> {
        let when = self.path_values(r.when);
        let equal = self.path_values(r.equal);
        let not_equal = self.path_values(r.not_equal);
        let present = r.present.iter().map(|p| self.path(p)).collect();
        let absent = r.absent.iter().map(|p| self.path(p)).collect();
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
            self.error("a check needs present, absent, equal or not_equal");
            None
        } else {
            Some(Rule::Check(check))
        }
    }

    /// A dotted path of a `check`. Only the first step is checked here: nested models
    /// may not be lowered yet. `check_rule_paths` checks whole paths once everything is.
    fn path(&self, p: &str) -> FieldPath {
        let steps: FieldPath = p.split('.').map(str::to_owned).collect();
        self.field(&steps[0]);
        steps
    }

    /// `path: value` pairs of a `check` (`when`, `equal`, `not_equal`).
    fn path_values(&self, pairs: IndexMap<String, serde_yaml::Value>) -> Vec<(FieldPath, Value)> {
        let mut out = Vec::new();
        for (p, v) in pairs {
            match yaml_to_json(&v) {
                Ok(v) => out.push((self.path(&p), v)),
                Err(e) => self.error(format!("`{p}`: {e}")),
            }
        }
        out
    }

    /// `exactly_one_of` (`exactly`) or `at_most_one_of`: two or more optional fields.
    fn one_of(&self, names: Vec<String>, exactly: bool) -> Option<Rule> {
        let key = if exactly {
            "exactly_one_of"
        } else {
            "at_most_one_of"
        };
        if names.len() < 2 {
            self.error(format!("{key} needs at least two fields"));
        } else if names
            .iter()
            .all(|n| self.field(n).is_some_and(|f| !f.required))
        {
            return Some(if exactly {
                Rule::ExactlyOneOf(names)
            } else {
                Rule::AtMostOneOf(names)
            });
        } else {
            self.error(format!("{key} names optional fields only"));
        }
        None
    }

    /// `date_range`: two required date fields, and a length that is not negative.
    fn date_range(&self, r: raw::DateRangeRule) -> Option<Rule> {
        let dated = |n: &str| {
            self.field(n)
                .is_some_and(|f| f.required && f.shape.checks.contains(&Check::Date))
        };
        let (b, e) = (dated(&r.begin), dated(&r.end));
        if !(b && e) {
            self.error("date_range names two required `format: date` fields");
            None
        } else if r.max_days.is_some_and(|n| n < 0) {
            self.error("max_days must not be negative");
            None
        } else {
            Some(Rule::DateRange {
                begin: r.begin,
                end: r.end,
                max_days: r.max_days,
                before_today: r.before_today,
            })
        }
    }
}
