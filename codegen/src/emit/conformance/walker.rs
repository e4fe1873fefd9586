//! The cases of an endpoint's validation tests, found by walking its request model
//! over its examples: for each rule, one request that breaks it (a negative), and for
//! each limit, one request exactly at its bound (an edge, which must pass).

use super::shapes::*;
use super::table::{Lists, Patch, Row, edits};
use crate::examples;
use crate::ir::*;
use heck::ToSnakeCase;
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};

/// A value only known when the test runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runtime {
    /// Today's date in China (the `before_today` rule).
    Today,
    /// A text of this many bytes (a file over its size limit).
    Bytes(usize),
}

/// A request breaking one rule.
struct Negative {
    name: String,
    request: Value,
    /// A value only known at run time (today's date, a large file), and where it goes.
    runtime: Option<(String, Runtime)>,
    field: String,
    rule: &'static str,
}

impl Negative {
    /// The row that turns `base` into this request: its edits, then the value only
    /// known at run time.
    fn row(&self, base: &Value) -> Row {
        let mut patches = edits(base, &self.request, Lists::ByItem);
        match &self.runtime {
            Some((pointer, Runtime::Today)) => patches.push(Patch::SetToday(pointer.clone())),
            Some((pointer, Runtime::Bytes(len))) => {
                patches.push(Patch::Set(pointer.clone(), Value::from("a".repeat(*len))))
            }
            None => {}
        }
        Row {
            field: self.field.clone(),
            rule: self.rule,
            patches,
        }
    }
}

/// A request with one value exactly at a limit of the spec: the docs allow it, so it
/// must pass validation.
struct Edge {
    /// (model, field, rule): each is tested once, from the first example it fits.
    key: (String, String, &'static str),
    field: String,
    rule: &'static str,
    request: Value,
}

/// The positive cases of an endpoint: rows over each example, and what no example
/// reaches.
pub struct Edges<'a> {
    pub tests: Vec<(&'a Example, Vec<Row>)>,
    pub untested: Vec<String>,
}

/// For each example, in turn, each limit reachable from its request set exactly at its
/// bound (at most N bytes: N bytes; at most N items: N items; …); a limit is tested
/// with the first example that reaches it (a member card's fields with the member-card
/// example). Only cases the spec checker accepts as a whole are kept (a limit may clash
/// with another rule).
pub fn edges<'a>(api: &Api, e: &'a Endpoint) -> Edges<'a> {
    let today = crate::rules::china_today();
    let mut tested = HashSet::new();
    let mut reached = BTreeSet::new();
    let mut out = Vec::new();
    for x in &e.examples {
        let mut walker = Walker::new(api, e);
        walker.model(&e.request, &x.request, "", "", &mut HashSet::new());
        reached.extend(
            walker
                .edges
                .iter()
                .map(|edge| (edge.key.clone(), edge.field.clone())),
        );
        // A row sets one value over the example: the limit (a list counts as one
        // value), or the smallest object holding it where the example lacks the field.
        let mut rows = Vec::new();
        for edge in walker.edges {
            if tested.contains(&edge.key)
                || !examples::check(api, &e.request, &edge.request, today).is_empty()
            {
                continue;
            }
            let value_set = edits(&x.request, &edge.request, Lists::Whole);
            if value_set.is_empty() {
                // The example itself sits at the bound (and passes).
                tested.insert(edge.key);
                continue;
            }
            if !matches!(value_set[..], [Patch::Set(..)]) {
                continue;
            }
            tested.insert(edge.key);
            rows.push(Row {
                field: edge.field,
                rule: edge.rule,
                patches: edits(&x.request, &edge.request, Lists::ByItem),
            });
        }
        if !rows.is_empty() {
            out.push((x, rows));
        }
    }
    // Bounds no example reaches as a whole: the limit would break another rule there
    // (a card type of its own, with no example). Said in the test, not dropped silently.
    let mut untested: Vec<String> = reached
        .into_iter()
        .filter(|(key, _)| !tested.contains(key))
        .map(|((_, _, rule), field)| format!("`{field}` {rule}"))
        .collect();
    untested.dedup();
    Edges {
        tests: out,
        untested,
    }
}

/// One negative case per (model, field, rule) reachable from the endpoint's request,
/// built by breaking the first example, as a row over it. Each is proved against the
/// spec checker.
pub fn negatives(api: &Api, e: &Endpoint) -> Vec<Row> {
    let mut walker = Walker::new(api, e);
    let base = &e.examples[0].request;
    walker.model(&e.request, base, "", "", &mut HashSet::new());
    let today = crate::rules::china_today();
    for n in &walker.out {
        let mut request = n.request.clone();
        if let Some((pointer, runtime)) = &n.runtime {
            let value = match runtime {
                Runtime::Today => today.to_string(),
                Runtime::Bytes(n) => "a".repeat(*n),
            };
            *request
                .pointer_mut(pointer)
                .expect("pointer built by the walker") = Value::String(value);
        }
        let problems = examples::check(api, &e.request, &request, today);
        assert!(
            problems
                .iter()
                .any(|p| p.path == n.field && p.rule == n.rule),
            "internal error: negative case {} does not break `{}` {} (problems: {problems:?})",
            n.name,
            n.field,
            n.rule
        );
    }
    walker.out.iter().map(|n| n.row(base)).collect()
}

struct Walker<'a> {
    api: &'a Api,
    out: Vec<Negative>,
    edges: Vec<Edge>,
    /// (model, field, rule): a shared model's rule is tested once, where first reached.
    seen: HashSet<(String, String, &'static str)>,
    names: HashSet<String>,
    prefix: String,
}

impl<'a> Walker<'a> {
    fn new(api: &'a Api, e: &Endpoint) -> Self {
        Walker {
            api,
            out: Vec::new(),
            edges: Vec::new(),
            seen: HashSet::new(),
            names: HashSet::new(),
            prefix: e.id.clone(),
        }
    }

    fn push(
        &mut self,
        doc: Value,
        field: String,
        rule: &'static str,
        runtime: Option<(String, Runtime)>,
    ) {
        let stem = format!(
            "{}_rejects_{}_{rule}",
            self.prefix,
            field.replace(['{', '}'], "").to_snake_case()
        );
        let stem = if field.starts_with('{') || field.contains(".{") {
            let at = field
                .split('{')
                .next()
                .unwrap_or("")
                .trim_end_matches('.')
                .to_snake_case();
            if at.is_empty() {
                format!("{}_rejects_{rule}", self.prefix)
            } else {
                format!("{}_rejects_{at}_{rule}", self.prefix)
            }
        } else {
            stem
        };
        let mut name = stem.clone();
        let mut n = 2;
        while !self.names.insert(name.clone()) {
            name = format!("{stem}_{n}");
            n += 1;
        }
        self.out.push(Negative {
            name,
            request: doc,
            runtime,
            field,
            rule,
        });
    }

    /// Walks the object of model `name` found at `pointer` in `doc`.
    fn model(
        &mut self,
        name: &str,
        doc: &Value,
        pointer: &str,
        path: &str,
        stack: &mut HashSet<String>,
    ) {
        if !stack.insert(name.to_owned()) {
            return; // recursive types: one level is enough
        }
        let api = self.api;
        let model = api.model(name);
        let here = doc.pointer(pointer).cloned().unwrap_or(Value::Null);
        // Fields the example has first: breaking them changes the least.
        let mut fields: Vec<&Field> = model.fields.iter().collect();
        fields.sort_by_key(|f| here.get(&f.wire).is_none());
        for f in fields {
            let fpointer = pointer_join(pointer, &f.wire);
            let fpath = crate::load::join(path, &f.wire);
            let mut doc = doc.clone();
            if doc.pointer(&fpointer).is_none() {
                let minimal = minimal(api, &f.shape);
                set(&mut doc, &fpointer, minimal);
            }
            self.shape(name, &f.wire, &f.shape, &doc, &fpointer, &fpath, stack);
            // Required but an `Option` (the model is also received): leaving it out is
            // a rule of the validator, so it gets its case.
            let absent = (name.to_owned(), f.wire.clone(), "absent");
            if f.required && !f.plain && self.seen.insert(absent) {
                let mut d = doc.clone();
                if let Some(obj) = d.pointer_mut(pointer).and_then(Value::as_object_mut) {
                    obj.remove(&f.wire);
                    self.push(d, fpath, "required", None);
                }
            }
        }
        for rule in &model.rules {
            self.rule(name, rule, doc.clone(), pointer, path);
        }
        stack.remove(name);
    }

    #[allow(clippy::too_many_arguments)]
    fn shape(
        &mut self,
        model: &str,
        wire: &str,
        shape: &Shape,
        doc: &Value,
        pointer: &str,
        path: &str,
        stack: &mut HashSet<String>,
    ) {
        let api = self.api;
        for check in &shape.checks {
            let rule = check.rule_name();
            if !self.seen.insert((model.to_owned(), wire.to_owned(), rule)) {
                continue;
            }
            if let Some(limit) = at_limit(api, shape, check, doc.pointer(pointer)) {
                let mut d = doc.clone();
                set(&mut d, pointer, limit);
                self.edges.push(Edge {
                    key: (model.to_owned(), wire.to_owned(), rule),
                    field: path.to_owned(),
                    rule,
                    request: d,
                });
            }
            if shape.ty == Ty::File {
                self.break_file(check, doc, pointer, path);
            } else if let Some(bad) = breaking(api, shape, check, doc.pointer(pointer)) {
                let mut d = doc.clone();
                set(&mut d, pointer, bad);
                self.push(d, path.to_owned(), rule, None);
            }
        }
        match &shape.ty {
            Ty::Enum(e)
                if self
                    .seen
                    .insert((model.to_owned(), wire.to_owned(), "enum")) =>
            {
                let bad = if api.enums[e].is_int {
                    Value::from(987_654)
                } else {
                    Value::from("UNDOCUMENTED_VALUE")
                };
                let mut d = doc.clone();
                set(&mut d, pointer, bad);
                self.push(d, path.to_owned(), "enum", None);
            }
            Ty::Model(m) => self.model(m, doc, pointer, path, stack),
            Ty::List(inner) => {
                let mut d = doc.clone();
                if d.pointer(pointer)
                    .and_then(Value::as_array)
                    .is_none_or(Vec::is_empty)
                {
                    set(&mut d, pointer, Value::Array(vec![minimal(api, inner)]));
                }
                let item_pointer = format!("{pointer}/0");
                self.shape(
                    model,
                    &format!("{wire}[]"),
                    inner,
                    &d,
                    &item_pointer,
                    &format!("{path}[0]"),
                    stack,
                );
            }
            _ => {}
        }
    }

    /// A file breaks its rules through its parts; its size only at run time (a
    /// megabyte does not belong in a test's source).
    fn break_file(&mut self, check: &Check, doc: &Value, pointer: &str, path: &str) {
        let rule = check.rule_name();
        let mut d = doc.clone();
        match check {
            Check::MaxBytes(n) => {
                let at = format!("{pointer}/bytes");
                self.push(
                    d,
                    path.to_owned(),
                    rule,
                    Some((at, Runtime::Bytes(*n as usize + 1))),
                );
            }
            Check::ContentTypes(_) => {
                set(
                    &mut d,
                    &format!("{pointer}/content_type"),
                    Value::from("text/plain"),
                );
                self.push(d, path.to_owned(), rule, None);
            }
            _ => {}
        }
    }

    fn rule(&mut self, model: &str, rule: &Rule, doc: Value, pointer: &str, path: &str) {
        let at = Place {
            model,
            pointer,
            path,
        };
        match rule {
            Rule::ExactlyOneOf(names) => self.one_of(&at, names, "exactly_one_of", 0, doc),
            Rule::AtMostOneOf(names) => self.one_of(&at, names, "at_most_one_of", 2, doc),
            Rule::DateRange {
                begin,
                end,
                max_days,
                before_today,
            } => self.date_range(&at, (begin, end), *max_days, *before_today, doc),
            Rule::Order {
                lower,
                higher,
                strict,
            } => self.order(&at, lower, higher, *strict, doc),
            Rule::MaxTotalItems { fields, max } => self.max_total_items(&at, fields, *max, doc),
            Rule::Check(check) => self.check_rule(model, check, doc, pointer, path),
        }
    }

    /// `exactly_one_of` with none of the fields, `at_most_one_of` with two.
    fn one_of(
        &mut self,
        at: &Place,
        names: &[String],
        rule: &'static str,
        count: usize,
        doc: Value,
    ) {
        if !self.seen.insert(at.key(rule)) {
            return;
        }
        let api = self.api;
        let m = api.model(at.model);
        let mut d = doc;
        let Some(obj) = d.pointer_mut(at.pointer).and_then(Value::as_object_mut) else {
            return;
        };
        for n in names {
            obj.remove(n);
        }
        for n in names.iter().take(count) {
            let f = m.field(n).expect("checked");
            obj.insert(n.clone(), minimal(api, &f.shape));
        }
        self.push(d, examples::rule_path(at.path, names), rule, None);
    }

    /// The dates swapped; a range one day too long; an end date of today.
    fn date_range(
        &mut self,
        at: &Place,
        (begin, end): (&str, &str),
        max_days: Option<i64>,
        before_today: bool,
        doc: Value,
    ) {
        let (bp, ep) = (
            pointer_join(at.pointer, begin),
            pointer_join(at.pointer, end),
        );
        let (bpath, epath) = (
            crate::load::join(at.path, begin),
            crate::load::join(at.path, end),
        );
        let date = |p: &str| {
            doc.pointer(p)
                .and_then(Value::as_str)
                .and_then(crate::rules::parse_date)
        };
        let (Some(b), Some(e)) = (date(&bp), date(&ep)) else {
            return;
        };
        if self.seen.insert(at.key("date_order")) {
            let mut d = doc.clone();
            set(&mut d, &bp, Value::from(e.to_string()));
            set(&mut d, &ep, Value::from(b.to_string()));
            if b == e {
                set(
                    &mut d,
                    &bp,
                    Value::from(e.next_day().unwrap_or(e).to_string()),
                );
            }
            self.push(d, bpath, "date_order", None);
        }
        if let Some(n) = max_days {
            if self.seen.insert(at.key("max_days")) {
                let mut d = doc.clone();
                let begin = e - time::Duration::days(n + 1);
                set(&mut d, &bp, Value::from(begin.to_string()));
                self.push(d, epath.clone(), "max_days", None);
            }
        }
        if before_today && self.seen.insert(at.key("before_today")) {
            // The end date becomes today at run time; the begin date stays in the
            // past so that only this rule breaks.
            self.push(doc, epath, "before_today", Some((ep, Runtime::Today)));
        }
    }

    /// The lower field above the higher one (or equal to it, when strict).
    fn order(&mut self, at: &Place, lower: &str, higher: &str, strict: bool, doc: Value) {
        if !self
            .seen
            .insert((at.model.to_owned(), lower.to_owned(), "order"))
        {
            return;
        }
        let (lp, hp) = (
            pointer_join(at.pointer, lower),
            pointer_join(at.pointer, higher),
        );
        let h = doc.pointer(&hp).and_then(Value::as_i64).unwrap_or(1);
        let mut d = doc;
        set(&mut d, &hp, Value::from(h));
        set(&mut d, &lp, Value::from(if strict { h } else { h + 1 }));
        self.push(d, crate::load::join(at.path, lower), "order", None);
    }

    /// One item too many in the first list, the others empty.
    fn max_total_items(&mut self, at: &Place, fields: &[String], max: u64, doc: Value) {
        if !self
            .seen
            .insert((at.model.to_owned(), fields.join(","), "max_total_items"))
        {
            return;
        }
        let api = self.api;
        let first = api.model(at.model).field(&fields[0]).expect("checked");
        let first_pointer = pointer_join(at.pointer, &fields[0]);
        let Some(item) = item_of(api, &first.shape, doc.pointer(&first_pointer)) else {
            return;
        };
        let mut d = doc;
        set(
            &mut d,
            &first_pointer,
            Value::Array(vec![item; max as usize + 1]),
        );
        for f in &fields[1..] {
            set(
                &mut d,
                &pointer_join(at.pointer, f),
                Value::Array(Vec::new()),
            );
        }
        self.push(
            d,
            examples::rule_path(at.path, fields),
            "max_total_items",
            None,
        );
    }

    /// One case per assertion of a `check` rule: make its condition true, then break
    /// the assertion.
    fn check_rule(
        &mut self,
        model: &str,
        check: &CheckRule,
        doc: Value,
        pointer: &str,
        path: &str,
    ) {
        let api = self.api;
        let mut base = doc;
        for (p, v) in &check.when {
            match v {
                Value::Null => remove_path(&mut base, pointer, p),
                v => set_path(api, model, &mut base, pointer, p, v.clone()),
            }
        }
        let mut cases: Vec<(FieldPath, Value)> = Vec::new();
        let mut with = |p: &FieldPath, edit: &dyn Fn(&mut Value)| {
            let mut d = base.clone();
            edit(&mut d);
            cases.push((p.clone(), d));
        };
        for p in &check.present {
            with(p, &|d| remove_path(d, pointer, p));
        }
        for p in &check.absent {
            let last = api.path_fields(model, p).expect("checked")[p.len() - 1]
                .shape
                .clone();
            with(p, &|d| {
                set_path(api, model, d, pointer, p, minimal(api, &last))
            });
        }
        for (p, v) in &check.equal {
            let ty = api.path_fields(model, p).expect("checked")[p.len() - 1]
                .shape
                .ty
                .clone();
            let Some(other) = different(api, &ty, v) else {
                continue;
            };
            with(p, &|d| set_path(api, model, d, pointer, p, other.clone()));
        }
        for (p, v) in &check.not_equal {
            with(p, &|d| set_path(api, model, d, pointer, p, v.clone()));
        }
        for (p, d) in cases {
            let at = dotted(&p);
            if self
                .seen
                .insert((model.to_owned(), format!("{at}:{}", check.because), "check"))
            {
                self.push(d, crate::load::join(path, &at), "check", None);
            }
        }
    }
}
/// Where a model's rules apply: the model, the JSON pointer to its object in the
/// request, and the path validation names.
struct Place<'a> {
    model: &'a str,
    pointer: &'a str,
    path: &'a str,
}

impl Place<'_> {
    /// The `seen` key of a rule of the whole object.
    fn key(&self, rule: &'static str) -> (String, String, &'static str) {
        (self.model.to_owned(), String::new(), rule)
    }
}
