//! Return codes, enums and objects (fields, their shapes and constraints, object
//! rules): everything a model is made of.

use super::*;

impl Loader {
    /// Return codes, from `spec/errcodes.yaml` (`ctx`), which every spec needs.
    pub(super) fn errcodes(&mut self, ctx: &Ctx, file: Option<raw::ErrCodesFile>) {
        let Some(file) = file else {
            ctx.error("", "missing: every spec needs its return codes");
            return;
        };
        let mut seen_codes = HashSet::new();
        let mut seen_names = HashSet::new();
        for c in file.codes {
            let field = format!("code {}", c.code);
            if !seen_codes.insert(c.code) {
                ctx.error(field.clone(), "duplicate code");
            }
            if !seen_names.insert(c.name.clone()) || c.name == "Unknown" {
                ctx.error(
                    field.clone(),
                    format!("duplicate or reserved name `{}`", c.name),
                );
            }
            if !is_pascal(&c.name) {
                ctx.error(field.clone(), "names are PascalCase");
            }
            if !["OFF", "MIR", "SDK", "OBS"].contains(&c.source.as_str()) {
                ctx.error(field, "source is one of OFF, MIR, SDK, OBS");
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

    /// Declares every enum (whole: an enum refers to nothing) and every type name of
    /// `spec/types/`; returns the objects, to lower once every name is known.
    pub(super) fn declare_types(
        &mut self,
        files: Vec<(Ctx, String, raw::TypesFile)>,
    ) -> Vec<(Ctx, String, String, raw::Object)> {
        let mut objects = Vec::new();
        for (ctx, stem, file) in files {
            self.api_type_files.push(stem.clone());
            for (name, value) in file.enums {
                let ctx = ctx.at(format!("enum `{name}`"));
                if let Some(e) = decode::<raw::Enum>(value, &ctx) {
                    self.enum_def(&ctx, &stem, name, e);
                }
            }
            for (name, value) in file.types {
                let ctx = ctx.at(format!("type `{name}`"));
                if !is_pascal(&name) {
                    ctx.error("", "type names are PascalCase");
                }
                if !self.names.insert(name.clone()) {
                    ctx.error("", format!("duplicate type name `{name}`"));
                    continue;
                }
                if let Some(obj) = decode::<raw::Object>(value, &ctx) {
                    objects.push((ctx, stem.clone(), name, obj));
                }
            }
        }
        objects
    }

    pub(super) fn enum_def(&mut self, ctx: &Ctx, file: &str, name: String, e: raw::Enum) {
        if !is_pascal(&name) {
            ctx.error("", "enum names are PascalCase");
        }
        if !self.names.insert(name.clone()) {
            ctx.error("", format!("duplicate type name `{name}`"));
            return;
        }
        if e.values.is_empty() {
            ctx.error("values", "an enum needs at least one value");
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
                    ctx.error(field, format!("value must be {want}"));
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
                    ctx.error(field, "integer values need a `name`");
                    continue;
                }
            };
            if !is_pascal(&rust) || rust == "Unknown" {
                ctx.error(
                    field.clone(),
                    format!("variant name `{rust}` must be PascalCase and not `Unknown`"),
                );
            }
            if variants.iter().any(|x| x.reads(&wire) || x.rust == rust) {
                ctx.error(
                    field,
                    format!("duplicate value or variant name ({wire} / {rust})"),
                );
                continue;
            }
            let mut also = Vec::new();
            for alias in &v.also {
                let alias = match alias {
                    // An integer enum reads "1" as 1 already: only integers make sense.
                    serde_yaml::Value::String(_) if is_int => {
                        ctx.error(&field, "`also` of an integer enum lists integers");
                        continue;
                    }
                    serde_yaml::Value::String(s) => Value::String(s.clone()),
                    serde_yaml::Value::Number(n) if n.as_i64().is_some() => {
                        Value::from(n.as_i64().unwrap())
                    }
                    _ => {
                        ctx.error(&field, "`also` lists strings or integers");
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
                    ctx.error(&field, format!("`also` value {alias} is taken"));
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
    pub(super) fn object(
        &mut self,
        ctx: &Ctx,
        path: &str,
        name: String,
        obj: raw::Object,
        home: Home,
        inline: bool,
    ) -> String {
        let fields = self.fields(ctx, path, &name, obj.fields, &home);
        let rules = self.rules(ctx, path, &fields, obj.rules);
        let encoding = match obj.encoding.as_deref() {
            None | Some("json") => Encoding::Json,
            Some("multipart") => Encoding::Multipart,
            Some(other) => {
                ctx.error(
                    join(path, "encoding"),
                    format!("`{other}`: json or multipart"),
                );
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
    ) -> Vec<Field> {
        let mut fields: Vec<Field> = Vec::new();
        for (wire, raw::Field(spec)) in raw_fields {
            let fpath = join(path, &wire);
            let rust = spec
                .rust_name
                .clone()
                .unwrap_or_else(|| wire.to_snake_case());
            if !is_snake(&rust) {
                ctx.error(
                    fpath.clone(),
                    format!("Rust name `{rust}` is not snake_case; set `rust_name`"),
                );
            }
            if rust == "extra" {
                ctx.error(
                    fpath.clone(),
                    "`extra` is reserved for undocumented fields; set `rust_name`",
                );
            }
            if fields.iter().any(|f| f.rust == rust) {
                ctx.error(
                    fpath.clone(),
                    format!("two fields map to the Rust name `{rust}`"),
                );
            }
            let (required, secret) = (spec.required, spec.secret);
            if secret && spec.ty != "string" {
                ctx.error(fpath.clone(), "`secret` applies to string fields only");
            }
            let (doc, note) = (spec.doc.clone(), spec.note.clone());
            let Some(shape) = self.shape(ctx, &fpath, parent, &wire, spec, home) else {
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
    pub(super) fn shape(
        &mut self,
        ctx: &Ctx,
        fpath: &str,
        parent: &str,
        wire: &str,
        mut spec: raw::FieldSpec,
        home: &Home,
    ) -> Option<Shape> {
        let err = |msg: String| ctx.error(fpath, msg);
        if spec.ty != "object"
            && (spec.fields.is_some() || spec.name.is_some() || spec.rules.is_some())
        {
            err("`fields`, `name` and `rules` only apply to `type: object`".into());
        }
        if spec.ty != "list" && spec.items.is_some() {
            err("`items` only applies to `type: list`".into());
        }
        let ty = match spec.ty.as_str() {
            "string" => Ty::String,
            "int" => Ty::Int,
            "bool" => Ty::Bool,
            "json" => Ty::Json,
            "file" => Ty::File,
            "list" => {
                let Some(items) = spec.items.take() else {
                    err("a list needs `items`".into());
                    return None;
                };
                let raw::Field(item) = *items;
                if item.required {
                    err("`required` does not apply to list items".into());
                }
                let inner = self.shape(ctx, &format!("{fpath}[]"), parent, wire, item, home)?;
                Ty::List(Box::new(inner))
            }
            "object" => {
                let Some(fields) = spec.fields.take() else {
                    err("an inline object needs `fields`".into());
                    return None;
                };
                let name = spec
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("{parent}{}", wire.to_upper_camel_case()));
                if !is_pascal(&name) {
                    err(format!("type name `{name}` is not PascalCase"));
                }
                if !self.names.insert(name.clone()) {
                    err(format!(
                        "the inline object's type name `{name}` is already taken; set `name`"
                    ));
                    return None;
                }
                let obj = raw::Object {
                    name: None,
                    doc: spec.doc.clone(),
                    fields,
                    rules: spec.rules.take().unwrap_or_default(),
                    encoding: None,
                };
                Ty::Model(self.object(ctx, fpath, name, obj, home.clone(), true))
            }
            other if self.enums.contains_key(other) => Ty::Enum(other.to_owned()),
            other if self.names.contains(other) => Ty::Model(other.to_owned()),
            other => {
                err(format!(
                    "unknown type `{other}` (not a scalar type and not defined in spec/types/)"
                ));
                return None;
            }
        };
        let mut checks = Vec::new();
        if (spec.required || spec.non_empty) && ty == Ty::String {
            checks.push(Check::NonEmpty);
        } else if spec.non_empty {
            err("`non_empty` applies to string fields only".into());
        }
        let kind_ok = |k: &str| match k {
            "string" => ty == Ty::String,
            "string or file" => ty == Ty::String || ty == Ty::File,
            "file" => ty == Ty::File,
            "int" => ty == Ty::Int,
            "list" => matches!(ty, Ty::List(_)),
            _ => false,
        };
        let mut want = |key: &str, kind: &str, check: Option<Check>| {
            if let Some(check) = check {
                if kind_ok(kind) {
                    checks.push(check);
                } else {
                    err(format!("`{key}` applies to {kind} fields only"));
                }
            }
        };
        want(
            "max_bytes",
            "string or file",
            spec.max_bytes.map(Check::MaxBytes),
        );
        want("max_chars", "string", spec.max_chars.map(Check::MaxChars));
        match spec.format.as_deref() {
            None => {}
            Some("date") => want("format", "string", Some(Check::Date)),
            Some("color") => want("format", "string", Some(Check::Color)),
            Some(other) => err(format!("unknown format `{other}` (known: date, color)")),
        }
        want("min", "int", spec.min.map(Check::Min));
        want("max", "int", spec.max.map(Check::Max));
        want("min_items", "list", spec.min_items.map(Check::MinItems));
        want("max_items", "list", spec.max_items.map(Check::MaxItems));
        if let (Some(min), Some(max)) = (spec.min, spec.max) {
            if min > max {
                err(format!("min {min} > max {max}"));
            }
        }
        want(
            "content_types",
            "file",
            spec.content_types.map(Check::ContentTypes),
        );
        if let Some(values) = spec.one_of {
            let mut wire_values = Vec::new();
            for v in &values {
                match yaml_to_json(v) {
                    Ok(v) => wire_values.push(v),
                    Err(e) => err(format!("one_of: {e}")),
                }
            }
            // Not on bools: the validators have no bool form of `one_of`.
            let allowed = |v: &Value| ty != Ty::Bool && fits(&self.enums, &ty, v);
            if wire_values.is_empty() {
                err("one_of needs at least one value".into());
            } else if let Some(bad) = wire_values.iter().find(|v| !allowed(v)) {
                err(format!(
                    "one_of value {bad} is not a value of this field's type"
                ));
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
    ) -> Vec<Rule> {
        let rpath = join(path, "rules");
        let field = |name: &str| -> Option<&Field> {
            let f = fields.iter().find(|f| f.wire == name);
            if f.is_none() {
                ctx.error(
                    rpath.clone(),
                    format!("names `{name}`, which is not a field of this object"),
                );
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
                ctx.error(
                    rpath.clone(),
                    "each rule has exactly one key: exactly_one_of, at_most_one_of, \
                     date_range, order, max_total_items or check",
                );
                continue;
            }
            if let Some(r) = rule.order {
                let int = |n: &str| field(n).is_some_and(|f| f.shape.ty == Ty::Int);
                if int(&r.lower) && int(&r.higher) {
                    rules.push(Rule::Order {
                        lower: r.lower,
                        higher: r.higher,
                        strict: r.strict,
                    });
                } else {
                    ctx.error(rpath.clone(), "order names two int fields");
                }
            }
            if let Some(r) = rule.max_total_items {
                let lists = r
                    .fields
                    .iter()
                    .all(|n| field(n).is_some_and(|f| matches!(f.shape.ty, Ty::List(_))));
                if lists && r.fields.len() >= 2 {
                    rules.push(Rule::MaxTotalItems {
                        fields: r.fields,
                        max: r.max,
                    });
                } else {
                    ctx.error(
                        rpath.clone(),
                        "max_total_items names two or more list fields",
                    );
                }
            }
            if let Some(r) = rule.check {
                // Only the first step is checked here: nested models may not be lowered
                // yet. `check_rule_paths` checks whole paths once everything is.
                let path = |p: &str| -> FieldPath {
                    let steps: FieldPath = p.split('.').map(str::to_owned).collect();
                    field(&steps[0]);
                    steps
                };
                let pairs = |m: IndexMap<String, serde_yaml::Value>| {
                    let mut out = Vec::new();
                    for (p, v) in m {
                        match yaml_to_json(&v) {
                            Ok(v) => out.push((path(&p), v)),
                            Err(e) => ctx.error(rpath.clone(), format!("`{p}`: {e}")),
                        }
                    }
                    out
                };
                let when = pairs(r.when);
                let equal = pairs(r.equal);
                let not_equal = pairs(r.not_equal);
                let present = r.present.iter().map(|p| path(p)).collect();
                let absent = r.absent.iter().map(|p| path(p)).collect();
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
                    ctx.error(
                        rpath.clone(),
                        "a check needs present, absent, equal or not_equal",
                    );
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
                    ctx.error(rpath.clone(), format!("{key} needs at least two fields"));
                } else if names.iter().all(|n| field(n).is_some_and(|f| !f.required)) {
                    rules.push(if exactly {
                        Rule::ExactlyOneOf(names)
                    } else {
                        Rule::AtMostOneOf(names)
                    });
                } else {
                    ctx.error(rpath.clone(), format!("{key} names optional fields only"));
                }
            }
            if let Some(r) = rule.date_range {
                let dated = |n: &str| {
                    field(n).is_some_and(|f| f.required && f.shape.checks.contains(&Check::Date))
                };
                let (b, e) = (dated(&r.begin), dated(&r.end));
                if !(b && e) {
                    ctx.error(
                        rpath.clone(),
                        "date_range names two required `format: date` fields",
                    );
                } else if r.max_days.is_some_and(|n| n < 0) {
                    ctx.error(rpath.clone(), "max_days must not be negative");
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
