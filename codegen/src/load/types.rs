//! Return codes, enums and objects (fields, their shapes and constraints, object
//! rules): everything a model is made of.

use super::*;

impl Loader {
    pub(super) fn errcodes(&mut self, file: raw::ErrCodesFile, errors: &mut Vec<SpecError>) {
        let ctx = Ctx {
            file: "spec/errcodes.yaml".into(),
            location: String::new(),
        };
        let mut seen_codes = HashSet::new();
        let mut seen_names = HashSet::new();
        for c in file.codes {
            let field = format!("code {}", c.code);
            if !seen_codes.insert(c.code) {
                errors.push(ctx.err(field.clone(), "duplicate code"));
            }
            if !seen_names.insert(c.name.clone()) || c.name == "Unknown" {
                errors.push(ctx.err(
                    field.clone(),
                    format!("duplicate or reserved name `{}`", c.name),
                ));
            }
            if !is_pascal(&c.name) {
                errors.push(ctx.err(field.clone(), "names are PascalCase"));
            }
            if !["OFF", "MIR", "SDK", "OBS"].contains(&c.source.as_str()) {
                errors.push(ctx.err(field, "source is one of OFF, MIR, SDK, OBS"));
            }
            self.errcodes.push(ErrCodeDef {
                code: c.code,
                name: c.name,
                meaning: c.meaning,
                source: c.source,
                hint: c.hint,
            });
        }
        self.errcodes.sort_by_key(|c| c.code);
    }

    pub(super) fn enum_def(
        &mut self,
        ctx: &Ctx,
        file: &str,
        name: String,
        e: raw::Enum,
        errors: &mut Vec<SpecError>,
    ) {
        if !is_pascal(&name) {
            errors.push(ctx.err("", "enum names are PascalCase"));
        }
        if !self.names.insert(name.clone()) {
            errors.push(ctx.err("", format!("duplicate type name `{name}`")));
            return;
        }
        if e.values.is_empty() {
            errors.push(ctx.err("values", "an enum needs at least one value"));
        }
        let is_int = e.repr == raw::EnumRepr::Int;
        let mut variants: Vec<Variant> = Vec::new();
        for (i, v) in e.values.into_iter().enumerate() {
            let field = format!("values[{i}]");
            let wire = match (&v.value, is_int) {
                (serde_yaml::Value::String(s), false) => Value::String(s.clone()),
                (serde_yaml::Value::Number(n), true) if n.as_i64().is_some() => {
                    Value::from(n.as_i64().unwrap())
                }
                _ => {
                    let want = if is_int {
                        "an integer (repr: int)"
                    } else {
                        "a string"
                    };
                    errors.push(ctx.err(field, format!("value must be {want}")));
                    continue;
                }
            };
            let rust = match (&v.name, &wire) {
                (Some(n), _) => n.clone(),
                (None, Value::String(s)) => {
                    let bare = e
                        .strip_prefix
                        .as_deref()
                        .and_then(|p| s.strip_prefix(p))
                        .unwrap_or(s);
                    bare.to_upper_camel_case()
                }
                (None, _) => {
                    errors.push(ctx.err(field, "integer values need a `name`"));
                    continue;
                }
            };
            if !is_pascal(&rust) || rust == "Unknown" {
                errors.push(ctx.err(
                    field.clone(),
                    format!("variant name `{rust}` must be PascalCase and not `Unknown`"),
                ));
            }
            if variants.iter().any(|x| x.reads(&wire) || x.rust == rust) {
                errors.push(ctx.err(
                    field,
                    format!("duplicate value or variant name ({wire} / {rust})"),
                ));
                continue;
            }
            let mut also = Vec::new();
            for alias in &v.also {
                let alias = match alias {
                    // An integer enum reads "1" as 1 already: only integers make sense.
                    serde_yaml::Value::String(_) if is_int => {
                        errors.push(ctx.err(&field, "`also` of an integer enum lists integers"));
                        continue;
                    }
                    serde_yaml::Value::String(s) => Value::String(s.clone()),
                    serde_yaml::Value::Number(n) if n.as_i64().is_some() => {
                        Value::from(n.as_i64().unwrap())
                    }
                    _ => {
                        errors.push(ctx.err(&field, "`also` lists strings or integers"));
                        continue;
                    }
                };
                // A string enum reads a number by its text (`1` and `"1"` alike).
                let text = |v: &Value| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let same = |v: &Value| v == &alias || (!is_int && text(v) == text(&alias));
                let taken = same(&wire)
                    || also.iter().any(same)
                    || variants
                        .iter()
                        .any(|x| same(&x.wire) || x.also.iter().any(same));
                if taken {
                    errors.push(ctx.err(&field, format!("`also` value {alias} is taken")));
                    continue;
                }
                also.push(alias);
            }
            variants.push(Variant {
                wire,
                rust,
                doc: v.doc,
                also,
            });
        }
        self.enums.insert(
            name.clone(),
            EnumDef {
                name,
                doc: e.doc,
                is_int,
                variants,
                file: file.to_owned(),
            },
        );
    }

    /// Lowers an object (and its inline objects) into models; returns its name.
    #[allow(clippy::too_many_arguments)] // the lowering context, passed down as is
    pub(super) fn object(
        &mut self,
        ctx: &Ctx,
        path: &str,
        name: String,
        obj: raw::Object,
        home: Home,
        inline: bool,
        errors: &mut Vec<SpecError>,
    ) -> String {
        let fields = self.fields(ctx, path, &name, obj.fields, &home, errors);
        let rules = self.rules(ctx, path, &fields, obj.rules, errors);
        let encoding = match obj.encoding.as_deref() {
            None | Some("json") => Encoding::Json,
            Some("multipart") => Encoding::Multipart,
            Some(other) => {
                errors.push(ctx.err(
                    join(path, "encoding"),
                    format!("`{other}`: json or multipart"),
                ));
                Encoding::Json
            }
        };
        self.model_origin.insert(name.clone(), ctx.clone());
        self.models.insert(
            name.clone(),
            Model {
                name: name.clone(),
                doc: obj.doc,
                fields,
                rules,
                home,
                inline,
                request_side: false,
                response_side: false,
                is_response_root: false,
                encoding,
            },
        );
        name
    }

    pub(super) fn fields(
        &mut self,
        ctx: &Ctx,
        path: &str,
        parent: &str,
        raw_fields: IndexMap<String, raw::Field>,
        home: &Home,
        errors: &mut Vec<SpecError>,
    ) -> Vec<Field> {
        let mut fields: Vec<Field> = Vec::new();
        for (wire, raw::Field(spec)) in raw_fields {
            let fpath = join(path, &wire);
            let rust = spec
                .rust_name
                .clone()
                .unwrap_or_else(|| wire.to_snake_case());
            if !is_snake(&rust) {
                errors.push(ctx.err(
                    fpath.clone(),
                    format!("Rust name `{rust}` is not snake_case; set `rust_name`"),
                ));
            }
            if rust == "extra" {
                errors.push(ctx.err(
                    fpath.clone(),
                    "`extra` is reserved for undocumented fields; set `rust_name`",
                ));
            }
            if fields.iter().any(|f| f.rust == rust) {
                errors.push(ctx.err(
                    fpath.clone(),
                    format!("two fields map to the Rust name `{rust}`"),
                ));
            }
            let (required, secret) = (spec.required, spec.secret);
            if secret && spec.ty != "string" {
                errors.push(ctx.err(fpath.clone(), "`secret` applies to string fields only"));
            }
            let (doc, note) = (spec.doc.clone(), spec.note.clone());
            let Some(shape) = self.shape(ctx, &fpath, parent, &wire, spec, home, errors) else {
                continue;
            };
            fields.push(Field {
                wire,
                rust,
                required,
                plain: false,
                doc,
                note,
                secret,
                shape,
            });
        }
        fields
    }

    /// Resolves a field's type and constraints.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn shape(
        &mut self,
        ctx: &Ctx,
        fpath: &str,
        parent: &str,
        wire: &str,
        mut spec: raw::FieldSpec,
        home: &Home,
        errors: &mut Vec<SpecError>,
    ) -> Option<Shape> {
        let err = |errors: &mut Vec<SpecError>, msg: String| errors.push(ctx.err(fpath, msg));
        if spec.ty != "object"
            && (spec.fields.is_some() || spec.name.is_some() || spec.rules.is_some())
        {
            err(
                errors,
                "`fields`, `name` and `rules` only apply to `type: object`".into(),
            );
        }
        if spec.ty != "list" && spec.items.is_some() {
            err(errors, "`items` only applies to `type: list`".into());
        }
        let ty = match spec.ty.as_str() {
            "string" => Ty::String,
            "int" => Ty::Int,
            "bool" => Ty::Bool,
            "json" => Ty::Json,
            "file" => Ty::File,
            "list" => {
                let Some(items) = spec.items.take() else {
                    err(errors, "a list needs `items`".into());
                    return None;
                };
                let raw::Field(item) = *items;
                if item.required {
                    err(errors, "`required` does not apply to list items".into());
                }
                let inner =
                    self.shape(ctx, &format!("{fpath}[]"), parent, wire, item, home, errors)?;
                Ty::List(Box::new(inner))
            }
            "object" => {
                let Some(fields) = spec.fields.take() else {
                    err(errors, "an inline object needs `fields`".into());
                    return None;
                };
                let name = spec
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("{parent}{}", wire.to_upper_camel_case()));
                if !is_pascal(&name) {
                    err(errors, format!("type name `{name}` is not PascalCase"));
                }
                if !self.names.insert(name.clone()) {
                    err(
                        errors,
                        format!(
                            "the inline object's type name `{name}` is already taken; set `name`"
                        ),
                    );
                    return None;
                }
                let obj = raw::Object {
                    name: None,
                    doc: spec.doc.clone(),
                    fields,
                    rules: spec.rules.take().unwrap_or_default(),
                    encoding: None,
                };
                Ty::Model(self.object(ctx, fpath, name, obj, home.clone(), true, errors))
            }
            other if self.enums.contains_key(other) => Ty::Enum(other.to_owned()),
            other if self.names.contains(other) => Ty::Model(other.to_owned()),
            other => {
                err(
                    errors,
                    format!(
                        "unknown type `{other}` (not a scalar type and not defined in spec/types/)"
                    ),
                );
                return None;
            }
        };
        let mut checks = Vec::new();
        if (spec.required || spec.non_empty) && ty == Ty::String {
            checks.push(Check::NonEmpty);
        } else if spec.non_empty {
            err(errors, "`non_empty` applies to string fields only".into());
        }
        let kind_ok = |k: &str| match k {
            "string" => ty == Ty::String,
            "string or file" => ty == Ty::String || ty == Ty::File,
            "file" => ty == Ty::File,
            "int" => ty == Ty::Int,
            "list" => matches!(ty, Ty::List(_)),
            _ => false,
        };
        let mut want =
            |errors: &mut Vec<SpecError>, key: &str, kind: &str, check: Option<Check>| {
                if let Some(check) = check {
                    if kind_ok(kind) {
                        checks.push(check);
                    } else {
                        err(errors, format!("`{key}` applies to {kind} fields only"));
                    }
                }
            };
        want(
            errors,
            "max_bytes",
            "string or file",
            spec.max_bytes.map(Check::MaxBytes),
        );
        want(
            errors,
            "max_chars",
            "string",
            spec.max_chars.map(Check::MaxChars),
        );
        match spec.format.as_deref() {
            None => {}
            Some("date") => want(errors, "format", "string", Some(Check::Date)),
            Some("color") => want(errors, "format", "string", Some(Check::Color)),
            Some(other) => err(
                errors,
                format!("unknown format `{other}` (known: date, color)"),
            ),
        }
        want(errors, "min", "int", spec.min.map(Check::Min));
        want(errors, "max", "int", spec.max.map(Check::Max));
        want(
            errors,
            "min_items",
            "list",
            spec.min_items.map(Check::MinItems),
        );
        want(
            errors,
            "max_items",
            "list",
            spec.max_items.map(Check::MaxItems),
        );
        if let (Some(min), Some(max)) = (spec.min, spec.max) {
            if min > max {
                err(errors, format!("min {min} > max {max}"));
            }
        }
        want(
            errors,
            "content_types",
            "file",
            spec.content_types.map(Check::ContentTypes),
        );
        if let Some(values) = spec.one_of {
            let mut wire_values = Vec::new();
            for v in &values {
                match yaml_to_json(v) {
                    Ok(v) => wire_values.push(v),
                    Err(e) => err(errors, format!("one_of: {e}")),
                }
            }
            // Not on bools: the validators have no bool form of `one_of`.
            let allowed = |v: &Value| ty != Ty::Bool && fits(&self.enums, &ty, v);
            if wire_values.is_empty() {
                err(errors, "one_of needs at least one value".into());
            } else if let Some(bad) = wire_values.iter().find(|v| !allowed(v)) {
                err(
                    errors,
                    format!("one_of value {bad} is not a value of this field's type"),
                );
            } else {
                checks.push(Check::OneOf(wire_values));
            }
        }
        Some(Shape { ty, checks })
    }

    pub(super) fn rules(
        &self,
        ctx: &Ctx,
        path: &str,
        fields: &[Field],
        raw_rules: Vec<raw::Rule>,
        errors: &mut Vec<SpecError>,
    ) -> Vec<Rule> {
        let rpath = join(path, "rules");
        let field = |name: &str, errors: &mut Vec<SpecError>| -> Option<&Field> {
            let f = fields.iter().find(|f| f.wire == name);
            if f.is_none() {
                errors.push(ctx.err(
                    rpath.clone(),
                    format!("names `{name}`, which is not a field of this object"),
                ));
            }
            f
        };
        let mut rules = Vec::new();
        for rule in raw_rules {
            let kinds = [
                rule.exactly_one_of.is_some(),
                rule.at_most_one_of.is_some(),
                rule.date_range.is_some(),
                rule.order.is_some(),
                rule.max_total_items.is_some(),
                rule.check.is_some(),
            ];
            if kinds.iter().filter(|k| **k).count() != 1 {
                errors.push(ctx.err(
                    rpath.clone(),
                    "each rule has exactly one key: exactly_one_of, at_most_one_of, \
                     date_range, order, max_total_items or check",
                ));
                continue;
            }
            if let Some(r) = rule.order {
                let int = |n: &str, errors: &mut Vec<SpecError>| {
                    field(n, errors).is_some_and(|f| f.shape.ty == Ty::Int)
                };
                if int(&r.lower, errors) && int(&r.higher, errors) {
                    rules.push(Rule::Order {
                        lower: r.lower,
                        higher: r.higher,
                        strict: r.strict,
                    });
                } else {
                    errors.push(ctx.err(rpath.clone(), "order names two int fields"));
                }
            }
            if let Some(r) = rule.max_total_items {
                let lists = r
                    .fields
                    .iter()
                    .all(|n| field(n, errors).is_some_and(|f| matches!(f.shape.ty, Ty::List(_))));
                if lists && r.fields.len() >= 2 {
                    rules.push(Rule::MaxTotalItems {
                        fields: r.fields,
                        max: r.max,
                    });
                } else {
                    errors.push(ctx.err(
                        rpath.clone(),
                        "max_total_items names two or more list fields",
                    ));
                }
            }
            if let Some(r) = rule.check {
                // Only the first step is checked here: nested models may not be lowered
                // yet. `check_rule_paths` checks whole paths once everything is.
                let path = |p: &str, errors: &mut Vec<SpecError>| -> FieldPath {
                    let steps: FieldPath = p.split('.').map(str::to_owned).collect();
                    field(&steps[0], errors);
                    steps
                };
                let pairs = |m: IndexMap<String, serde_yaml::Value>,
                             errors: &mut Vec<SpecError>| {
                    let mut out = Vec::new();
                    for (p, v) in m {
                        match yaml_to_json(&v) {
                            Ok(v) => out.push((path(&p, errors), v)),
                            Err(e) => errors.push(ctx.err(rpath.clone(), format!("`{p}`: {e}"))),
                        }
                    }
                    out
                };
                let when = pairs(r.when, errors);
                let equal = pairs(r.equal, errors);
                let not_equal = pairs(r.not_equal, errors);
                let present = r.present.iter().map(|p| path(p, errors)).collect();
                let absent = r.absent.iter().map(|p| path(p, errors)).collect();
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
                    errors.push(ctx.err(
                        rpath.clone(),
                        "a check needs present, absent, equal or not_equal",
                    ));
                } else {
                    rules.push(Rule::Check(check));
                }
            }
            if let Some(names) = rule.exactly_one_of.or(rule.at_most_one_of.clone()) {
                let exactly = rule.at_most_one_of.is_none();
                let key = if exactly {
                    "exactly_one_of"
                } else {
                    "at_most_one_of"
                };
                if names.len() < 2 {
                    errors.push(ctx.err(rpath.clone(), format!("{key} needs at least two fields")));
                } else if names
                    .iter()
                    .all(|n| field(n, errors).is_some_and(|f| !f.required))
                {
                    rules.push(if exactly {
                        Rule::ExactlyOneOf(names)
                    } else {
                        Rule::AtMostOneOf(names)
                    });
                } else {
                    errors
                        .push(ctx.err(rpath.clone(), format!("{key} names optional fields only")));
                }
            }
            if let Some(r) = rule.date_range {
                let dated = |n: &str, errors: &mut Vec<SpecError>| {
                    field(n, errors)
                        .is_some_and(|f| f.required && f.shape.checks.contains(&Check::Date))
                };
                let (b, e) = (dated(&r.begin, errors), dated(&r.end, errors));
                if !(b && e) {
                    errors.push(ctx.err(
                        rpath.clone(),
                        "date_range names two required `format: date` fields",
                    ));
                } else if r.max_days.is_some_and(|n| n < 0) {
                    errors.push(ctx.err(rpath.clone(), "max_days must not be negative"));
                } else {
                    rules.push(Rule::DateRange {
                        begin: r.begin,
                        end: r.end,
                        max_days: r.max_days,
                        before_today: r.before_today,
                    });
                }
            }
        }
        rules
    }
}
