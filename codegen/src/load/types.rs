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
                ctx.error(field.clone(), "source is one of OFF, MIR, SDK, OBS");
            }
            if !crate::ir::ERR_ACTIONS.iter().any(|a| a.value == c.action) {
                let values: Vec<_> = crate::ir::ERR_ACTIONS.iter().map(|a| a.value).collect();
                ctx.error(
                    field,
                    format!("action `{}` is not one of {}", c.action, values.join(", ")),
                );
            }
            self.errcodes.push(ErrCodeDef {
                code: c.code,
                name: c.name,
                meaning: c.meaning,
                action: c.action,
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
            let at = EnumValueAt {
                ctx,
                field: format!("values[{i}]"),
                is_int,
            };
            if let Some(variant) = at.variant(v, e.strip_prefix.as_deref(), &variants) {
                variants.push(variant);
            }
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
        let rules = object_rules(ctx, path, &fields, obj.rules);
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
        check_type_keys(ctx, fpath, &spec);
        let ty = match spec.ty.as_str() {
            "string" => Ty::String,
            "int" => Ty::Int,
            "bool" => Ty::Bool,
            "json" => Ty::Json,
            "file" => Ty::File,
            "list" => self.list(ctx, fpath, parent, wire, &mut spec, home)?,
            "object" => self.inline_object(ctx, fpath, parent, wire, &mut spec, home)?,
            other if self.enums.contains_key(other) => Ty::Enum(other.to_owned()),
            other if self.names.contains(other) => Ty::Model(other.to_owned()),
            other => {
                ctx.error(
                    fpath,
                    format!(
                        "unknown type `{other}` (not a scalar type and not defined in spec/types/)"
                    ),
                );
                return None;
            }
        };
        let checks = self.checks(ctx, fpath, spec, &ty);
        Some(Shape { ty, checks })
    }

    /// `type: list`: the shape of its `items`.
    fn list(
        &mut self,
        ctx: &Ctx,
        fpath: &str,
        parent: &str,
        wire: &str,
        spec: &mut raw::FieldSpec,
        home: &Home,
    ) -> Option<Ty> {
        let Some(items) = spec.items.take() else {
            ctx.error(fpath, "a list needs `items`");
            return None;
        };
        let raw::Field(item) = *items;
        if item.required {
            ctx.error(fpath, "`required` does not apply to list items");
        }
        let inner = self.shape(ctx, &format!("{fpath}[]"), parent, wire, item, home)?;
        Some(Ty::List(Box::new(inner)))
    }

    /// `type: object` with its `fields`: a model of its own, named after its parent
    /// and field unless it sets `name`.
    fn inline_object(
        &mut self,
        ctx: &Ctx,
        fpath: &str,
        parent: &str,
        wire: &str,
        spec: &mut raw::FieldSpec,
        home: &Home,
    ) -> Option<Ty> {
        let Some(fields) = spec.fields.take() else {
            ctx.error(fpath, "an inline object needs `fields`");
            return None;
        };
        let name = spec
            .name
            .clone()
            .unwrap_or_else(|| format!("{parent}{}", wire.to_upper_camel_case()));
        if !is_pascal(&name) {
            ctx.error(fpath, format!("type name `{name}` is not PascalCase"));
        }
        if !self.names.insert(name.clone()) {
            ctx.error(
                fpath,
                format!("the inline object's type name `{name}` is already taken; set `name`"),
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
        Some(Ty::Model(self.object(
            ctx,
            fpath,
            name,
            obj,
            home.clone(),
            true,
        )))
    }

    /// The constraints of a field of type `ty`, each on a kind of field it applies to.
    fn checks(&self, ctx: &Ctx, fpath: &str, spec: raw::FieldSpec, ty: &Ty) -> Vec<Check> {
        let mut checks = Vec::new();
        if (spec.required || spec.non_empty) && *ty == Ty::String {
            checks.push(Check::NonEmpty);
        } else if spec.non_empty {
            ctx.error(fpath, "`non_empty` applies to string fields only");
        }
        let mut want = |key: &str, kind: &str, check: Option<Check>| {
            if let Some(check) = check {
                if is_of_kind(ty, kind) {
                    checks.push(check);
                } else {
                    ctx.error(fpath, format!("`{key}` applies to {kind} fields only"));
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
            Some("decimal") => want("format", "string", Some(Check::Decimal)),
            Some(other) => ctx.error(
                fpath,
                format!("unknown format `{other}` (known: date, color, decimal)"),
            ),
        }
        want("min", "int", spec.min.map(Check::Min));
        want("max", "int", spec.max.map(Check::Max));
        want("min_items", "list", spec.min_items.map(Check::MinItems));
        want("max_items", "list", spec.max_items.map(Check::MaxItems));
        if let (Some(min), Some(max)) = (spec.min, spec.max) {
            if min > max {
                ctx.error(fpath, format!("min {min} > max {max}"));
            }
        }
        let content_types = spec.content_types.map(Check::ContentTypes);
        want("content_types", "file", content_types);
        if let Some(values) = spec.one_of {
            checks.extend(self.one_of(ctx, fpath, &values, ty));
        }
        checks
    }

    /// `one_of`: wire values of the field's type (not a bool: the validators have no
    /// bool form of it).
    fn one_of(
        &self,
        ctx: &Ctx,
        fpath: &str,
        values: &[serde_yaml::Value],
        ty: &Ty,
    ) -> Option<Check> {
        let mut wire_values = Vec::new();
        for v in values {
            match yaml_to_json(v) {
                Ok(v) => wire_values.push(v),
                Err(e) => ctx.error(fpath, format!("one_of: {e}")),
            }
        }
        let allowed = |v: &Value| *ty != Ty::Bool && fits(&self.enums, ty, v);
        if wire_values.is_empty() {
            ctx.error(fpath, "one_of needs at least one value");
        } else if let Some(bad) = wire_values.iter().find(|v| !allowed(v)) {
            ctx.error(
                fpath,
                format!("one_of value {bad} is not a value of this field's type"),
            );
        } else {
            return Some(Check::OneOf(wire_values));
        }
        None
    }
}

/// `fields`, `name` and `rules` belong to objects, `items` to lists.
fn check_type_keys(ctx: &Ctx, fpath: &str, spec: &raw::FieldSpec) {
    if spec.ty != "object" && (spec.fields.is_some() || spec.name.is_some() || spec.rules.is_some())
    {
        ctx.error(
            fpath,
            "`fields`, `name` and `rules` only apply to `type: object`",
        );
    }
    if spec.ty != "list" && spec.items.is_some() {
        ctx.error(fpath, "`items` only applies to `type: list`");
    }
}

/// Whether a field of type `ty` is of `kind`, as the constraints' messages name kinds
/// ("string or file", "int", …).
fn is_of_kind(ty: &Ty, kind: &str) -> bool {
    match kind {
        "string" => *ty == Ty::String,
        "string or file" => *ty == Ty::String || *ty == Ty::File,
        "file" => *ty == Ty::File,
        "int" => *ty == Ty::Int,
        "list" => matches!(ty, Ty::List(_)),
        _ => false,
    }
}

/// One value of an enum being lowered: where it is, and whether the enum is sent as
/// integers or as strings.
struct EnumValueAt<'a> {
    ctx: &'a Ctx,
    field: String,
    is_int: bool,
}

impl EnumValueAt<'_> {
    /// The variant of `v`, unless it is malformed or clashes with an `earlier` one.
    fn variant(
        &self,
        v: raw::EnumValue,
        strip_prefix: Option<&str>,
        earlier: &[Variant],
    ) -> Option<Variant> {
        let wire = self.wire(&v.value)?;
        let rust = self.rust_name(v.name, &wire, strip_prefix)?;
        if !is_pascal(&rust) || rust == "Unknown" {
            self.ctx.error(
                self.field.clone(),
                format!("variant name `{rust}` must be PascalCase and not `Unknown`"),
            );
        }
        if earlier.iter().any(|x| x.reads(&wire) || x.rust == rust) {
            self.ctx.error(
                &self.field,
                format!("duplicate value or variant name ({wire} / {rust})"),
            );
            return None;
        }
        let also = self.aliases(&v.also, &wire, earlier);
        Some(Variant {
            wire,
            rust,
            doc: v.doc,
            also,
        })
    }

    /// The value as sent: an integer or a string, as the enum's `repr` says.
    fn wire(&self, value: &serde_yaml::Value) -> Option<Value> {
        match (value, self.is_int) {
            (serde_yaml::Value::String(s), false) => Some(Value::String(s.clone())),
            (serde_yaml::Value::Number(n), true) if n.as_i64().is_some() => {
                Some(Value::from(n.as_i64().unwrap()))
            }
            _ => {
                let want = if self.is_int {
                    "an integer (repr: int)"
                } else {
                    "a string"
                };
                self.ctx.error(&self.field, format!("value must be {want}"));
                None
            }
        }
    }

    /// The variant's Rust name: its `name`, or a string value in UpperCamelCase
    /// (without the enum's `strip_prefix`).
    fn rust_name(
        &self,
        name: Option<String>,
        wire: &Value,
        strip_prefix: Option<&str>,
    ) -> Option<String> {
        match (name, wire) {
            (Some(n), _) => Some(n),
            (None, Value::String(s)) => {
                let bare = strip_prefix.and_then(|p| s.strip_prefix(p)).unwrap_or(s);
                Some(bare.to_upper_camel_case())
            }
            (None, _) => {
                self.ctx.error(&self.field, "integer values need a `name`");
                None
            }
        }
    }

    /// The old wire forms (`also`) read as this value: each one the enum can hold,
    /// and none that already reads as a value (this one's `wire` or an `earlier` one).
    fn aliases(&self, also: &[serde_yaml::Value], wire: &Value, earlier: &[Variant]) -> Vec<Value> {
        let mut aliases = Vec::new();
        for alias in also {
            let Some(alias) = self.alias(alias) else {
                continue;
            };
            if self.is_taken(&alias, wire, &aliases, earlier) {
                self.ctx
                    .error(&self.field, format!("`also` value {alias} is taken"));
                continue;
            }
            aliases.push(alias);
        }
        aliases
    }

    fn alias(&self, alias: &serde_yaml::Value) -> Option<Value> {
        match alias {
            // An integer enum reads "1" as 1 already: only integers make sense.
            serde_yaml::Value::String(_) if self.is_int => {
                self.ctx
                    .error(&self.field, "`also` of an integer enum lists integers");
                None
            }
            serde_yaml::Value::String(s) => Some(Value::String(s.clone())),
            serde_yaml::Value::Number(n) if n.as_i64().is_some() => {
                Some(Value::from(n.as_i64().unwrap()))
            }
            _ => {
                self.ctx
                    .error(&self.field, "`also` lists strings or integers");
                None
            }
        }
    }

    /// Whether `alias` already reads as a value: this one's, one of its other
    /// `aliases`, or an `earlier` variant's.
    fn is_taken(
        &self,
        alias: &Value,
        wire: &Value,
        aliases: &[Value],
        earlier: &[Variant],
    ) -> bool {
        // A string enum reads a number by its text (`1` and `"1"` alike).
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let same = |v: &Value| v == alias || (!self.is_int && text(v) == text(alias));
        same(wire)
            || aliases.iter().any(same)
            || earlier
                .iter()
                .any(|x| same(&x.wire) || x.also.iter().any(same))
    }
}
