//! Endpoint groups: endpoints, their request encodings and shortcuts.

use super::*;

impl Loader {
    /// GET requests are query parameters; multipart requests are form parts. Both
    /// carry scalars only (and multipart, files); files appear nowhere else.
    pub(super) fn request_encoding(&mut self, ctx: &Ctx, request: &str, method: Method) {
        let model = &mut self.models[request];
        if method == Method::Get {
            if model.encoding == Encoding::Multipart {
                ctx.error("request.encoding", "a GET has no body to encode");
            }
            model.encoding = Encoding::Query;
        } else if model.encoding == Encoding::Multipart && method != Method::Post {
            ctx.error("request.encoding", "multipart is for POST");
        }
        let encoding = model.encoding;
        for f in &model.fields {
            let flat = matches!(f.shape.ty, Ty::String | Ty::Int | Ty::Bool | Ty::Enum(_));
            let ok = match encoding {
                Encoding::Json => f.shape.ty != Ty::File,
                Encoding::Query => flat,
                Encoding::Multipart => flat || f.shape.ty == Ty::File,
            };
            if !ok {
                let what = match encoding {
                    Encoding::Json => "a file field needs `encoding: multipart`",
                    Encoding::Query => {
                        "a GET request's fields are query parameters: strings, ints, bools or enums"
                    }
                    Encoding::Multipart => {
                        "multipart parts are strings, ints, bools, enums or files"
                    }
                };
                ctx.error(format!("request.{}", f.wire), what);
            }
        }
    }

    pub(super) fn shortcuts(
        &self,
        ctx: &Ctx,
        request: &str,
        raw: Vec<raw::Shortcut>,
    ) -> Vec<Shortcut> {
        let model = &self.models[request];
        let mut out: Vec<Shortcut> = Vec::new();
        for (i, s) in raw.into_iter().enumerate() {
            let at = format!("shortcuts[{i}]");
            if !is_snake(&s.name) || out.iter().any(|x| x.name == s.name) {
                ctx.error(
                    at.clone(),
                    format!("`{}` must be snake_case and unique", s.name),
                );
            }
            let mut set = Vec::new();
            for (k, v) in s.set {
                match yaml_to_json(&v) {
                    Ok(v) => set.push((k, v)),
                    Err(e) => ctx.error(format!("{at}.set.{k}"), e),
                }
            }
            let mut signed = Vec::new();
            for (arg, sg) in s.signed {
                let at = format!("{at}.signed.{arg}");
                if !s.args.contains(&arg) || model.field(&arg).is_some() {
                    ctx.error(
                        at.clone(),
                        "a signed argument is named in `args` and is no request field",
                    );
                }
                // Each side an optional int that no other argument or fixed value fills.
                for side in [&sg.positive, &sg.negative] {
                    let ok = model.field(side).is_some_and(|f| {
                        f.shape.ty == Ty::Int
                            && !f.required
                            && !s.args.contains(side)
                            && !set.iter().any(|(k, _)| k == side)
                    });
                    if !ok || sg.positive == sg.negative {
                        ctx.error(
                            at.clone(),
                            format!("`{side}` must be an optional int field of the request, filled by nothing else"),
                        );
                    }
                }
                signed.push(Signed {
                    arg,
                    positive: sg.positive,
                    negative: sg.negative,
                });
            }
            let keyed = self.keyed(ctx, &at, model, &s.args, s.keyed);
            let own = |name: &String| {
                signed.iter().any(|x: &Signed| &x.arg == name)
                    || keyed
                        .as_ref()
                        .is_some_and(|k| &k.arg == name || &k.wrap == name)
            };
            for name in s
                .args
                .iter()
                .filter(|a| !own(a))
                .chain(set.iter().map(|(k, _)| k))
            {
                if model.field(name).is_none() {
                    ctx.error(
                        at.clone(),
                        format!("`{name}` is not a field of the request"),
                    );
                }
            }
            // The handlers write fixed values as literals of the field's type.
            for (k, v) in &set {
                if let Some(f) = model.field(k) {
                    if !fits(&self.enums, &f.shape.ty, v) {
                        ctx.error(
                            format!("{at}.set.{k}"),
                            format!("{v} is not a value of this field's type"),
                        );
                    }
                }
            }
            for f in model.fields.iter().filter(|f| f.required) {
                if !s.args.contains(&f.wire) && !set.iter().any(|(k, _)| k == &f.wire) {
                    ctx.error(
                        at.clone(),
                        format!("the required `{}` is neither an arg nor set", f.wire),
                    );
                }
            }
            out.push(Shortcut {
                name: s.name,
                summary: s.summary,
                args: s.args,
                set,
                signed,
                keyed,
            });
        }
        out
    }

    /// A shortcut's keyed argument: its enum's values, lowercased, name request fields
    /// (objects with no required field) that hold the `wrap` argument, of one type.
    fn keyed(
        &self,
        ctx: &Ctx,
        at: &str,
        model: &Model,
        args: &[String],
        raw: IndexMap<String, raw::Keyed>,
    ) -> Option<Keyed> {
        if raw.len() > 1 {
            ctx.error(format!("{at}.keyed"), "at most one keyed argument");
        }
        let (arg, k) = raw.into_iter().next()?;
        let at = format!("{at}.keyed.{arg}");
        for name in [&arg, &k.wrap] {
            if !args.contains(name) || model.field(name).is_some() {
                ctx.error(
                    at.clone(),
                    format!("`{name}` must be named in `args` and be no request field"),
                );
            }
        }
        let Some(def) = self.enums.get(&k.enum_name) else {
            ctx.error(at, format!("`{}` is not an enum", k.enum_name));
            return None;
        };
        let mut arms = Vec::new();
        let mut wrap_ty: Option<Ty> = None;
        for v in &def.variants {
            let Some(key) = v.wire.as_str().map(str::to_lowercase) else {
                ctx.error(at.clone(), "a keyed enum has string values");
                return None;
            };
            let Some(f) = model.field(&key) else {
                continue; // sent through `extra`
            };
            let inner = match &f.shape.ty {
                Ty::Model(name) => self.models.get(name),
                _ => None,
            };
            let ty = inner.and_then(|m| {
                let no_required = m.fields.iter().all(|x| !x.required);
                m.field(&k.wrap)
                    .filter(|_| no_required)
                    .map(|w| w.shape.ty.clone())
            });
            match (ty, &wrap_ty) {
                (Some(ty), Some(seen)) if &ty != seen => ctx.error(
                    at.clone(),
                    format!(
                        "`{key}.{}` is not of the type the other fields hold",
                        k.wrap
                    ),
                ),
                (Some(ty), _) => wrap_ty = Some(ty),
                (None, _) => ctx.error(
                    at.clone(),
                    format!(
                        "`{key}` must be an object of optional fields, `{}` among them",
                        k.wrap
                    ),
                ),
            }
            arms.push((v.wire.clone(), key));
        }
        let Some(wrap_ty) = wrap_ty else {
            ctx.error(at, "no value of the enum names a request field");
            return None;
        };
        Some(Keyed {
            arg,
            enum_name: k.enum_name,
            wrap: k.wrap,
            wrap_ty,
            arms,
        })
    }

    /// The endpoint groups of `spec/api/`, sorted by name.
    pub(super) fn groups(&mut self, files: Vec<(Ctx, raw::GroupFile)>) -> Vec<Group> {
        let mut groups: Vec<Group> = files
            .into_iter()
            .filter_map(|(ctx, g)| self.group(&ctx, g))
            .collect();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        groups
    }

    pub(super) fn group(&mut self, ctx: &Ctx, g: raw::GroupFile) -> Option<Group> {
        if !is_snake(&g.group) {
            ctx.error("group", "group names are snake_case");
        }
        if g.endpoints.is_empty() {
            ctx.error("endpoints", "a group needs at least one endpoint");
        }
        let mut endpoints: Vec<Endpoint> = Vec::new();
        for (i, value) in g.endpoints.into_iter().enumerate() {
            let id = value.get("id").and_then(|v| v.as_str()).map(str::to_owned);
            let location = match &id {
                Some(id) => format!("endpoint `{id}`"),
                None => format!("endpoints[{i}]"),
            };
            let ectx = ctx.at(location);
            let Some(e) = decode::<raw::Endpoint>(value, &ectx) else {
                continue;
            };
            if endpoints.iter().any(|x| x.id == e.id) {
                ectx.error(
                    "id",
                    format!("duplicate endpoint id `{}` in group `{}`", e.id, g.group),
                );
                continue;
            }
            if let Some(endpoint) = self.endpoint(&ectx, &g.group, &g.doc, e) {
                endpoints.push(endpoint);
            }
        }
        // Every handler method of the group: endpoints, shortcuts and `<id>_url`.
        let mut methods: Vec<(String, String)> = Vec::new();
        for e in &endpoints {
            methods.push((e.id.clone(), format!("endpoint `{}`", e.id)));
            methods.extend(
                e.shortcuts
                    .iter()
                    .map(|s| (s.name.clone(), format!("shortcut of `{}`", e.id))),
            );
            if e.url_method {
                methods.push((format!("{}_url", e.id), format!("URL method of `{}`", e.id)));
            }
        }
        for (i, (name, what)) in methods.iter().enumerate() {
            if let Some((_, other)) = methods[..i].iter().find(|(n, _)| n == name) {
                ctx.error(
                    "endpoints",
                    format!("handler method `{name}` of {what} clashes with {other}"),
                );
            }
        }
        Some(Group {
            name: g.group,
            title: g.title,
            doc: g.doc,
            endpoints,
        })
    }

    pub(super) fn endpoint(
        &mut self,
        ctx: &Ctx,
        group: &str,
        group_doc: &str,
        e: raw::Endpoint,
    ) -> Option<Endpoint> {
        if !is_snake(&e.id) {
            ctx.error("id", "endpoint ids are snake_case");
        }
        let (http, fixed_query) = split_fixed_query(&e.http);
        let host = host(ctx, e.host.as_deref());
        let needs_token = needs_token(ctx, e.auth.as_deref());
        let Some((method, path)) = method_and_path(&http) else {
            let message = format!("`{}` is not `GET /path` or `POST /path`", e.http);
            ctx.error("http", message);
            return None;
        };
        self.check_declarations(ctx, &e);
        // Requests and replies are named after the endpoint unless they set `name`.
        let base = format!(
            "{}{}",
            group.to_upper_camel_case(),
            e.id.to_upper_camel_case()
        );
        let what = format!("`{group}.{}`: {}", e.id, e.summary);
        let home = Home::Group(group.to_owned());
        let request = self.endpoint_model(ctx, &home, "request", (&base, &what), e.request)?;
        let response = match e.response {
            raw::Response::Object(obj) => {
                Some(self.endpoint_model(ctx, &home, "response", (&base, &what), obj)?)
            }
            raw::Response::Binary => None,
        };
        if let Some(r) = &response {
            self.models[r].is_response_root = true;
        }
        // A credential must never end up in a URL handed out.
        let url_method = method == Method::Get
            && !needs_token
            && !self.models[&request].fields.iter().any(|f| f.secret);
        self.request_encoding(ctx, &request, method);
        let shortcuts = self.shortcuts(ctx, &request, e.shortcuts);
        let examples = examples(ctx, e.examples);
        Some(Endpoint {
            group: group.to_owned(),
            id: e.id,
            summary: e.summary,
            description: e.description,
            doc: e.doc.unwrap_or_else(|| group_doc.to_owned()),
            method,
            path,
            fixed_query,
            host,
            needs_token,
            url_method,
            idempotent: e.idempotent,
            check_outcome: e.check_outcome,
            request,
            response,
            shortcuts,
            errcodes: e.errcodes,
            notes: e.notes,
            examples,
        })
    }

    /// What an endpoint declares: return codes that the table lists, how to check
    /// whether a non-idempotent call went through, and examples.
    fn check_declarations(&self, ctx: &Ctx, e: &raw::Endpoint) {
        for code in &e.errcodes {
            if !self.errcodes.iter().any(|c| c.code == *code) {
                ctx.error("errcodes", format!("{code} is not in spec/errcodes.yaml"));
            }
        }
        match (e.idempotent, &e.check_outcome) {
            (false, None) => ctx.error(
                "check_outcome",
                "a non-idempotent endpoint must say how to check whether a call went through",
            ),
            (true, Some(_)) => ctx.error("check_outcome", "only non-idempotent endpoints need it"),
            _ => {}
        }
        if e.examples.is_empty() {
            ctx.error(
                "examples",
                "every endpoint needs at least one example from the docs",
            );
        }
    }

    /// Lowers the request or the reply (`part`) of an endpoint into a model, by
    /// default named `<base>Request` or `<base>Response` and documented as the request
    /// or reply of `what`.
    fn endpoint_model(
        &mut self,
        ctx: &Ctx,
        home: &Home,
        part: &str,
        (base, what): (&str, &str),
        mut obj: raw::Object,
    ) -> Option<String> {
        let name = obj
            .name
            .clone()
            .unwrap_or_else(|| format!("{base}{}", part.to_upper_camel_case()));
        if obj.doc.is_none() {
            let of = if part == "request" {
                "The request of"
            } else {
                "The reply of"
            };
            obj.doc = Some(format!("{of} {what}"));
        }
        if !self.names.insert(name.clone()) {
            ctx.error(
                part,
                format!("type name `{name}` is already taken; set `name`"),
            );
            return None;
        }
        if part == "response" && obj.encoding.is_some() {
            ctx.error("response.encoding", "`encoding` applies to requests only");
        }
        Some(self.object(ctx, part, name, obj, home.clone(), false))
    }
}

/// `POST /path?k=v&…`: the request line, and the query it always carries.
fn split_fixed_query(http: &str) -> (String, Vec<(String, String)>) {
    match http.split_once('?') {
        Some((http, query)) => {
            let pairs = query.split('&').map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (k.to_owned(), v.to_owned())
            });
            (http.to_owned(), pairs.collect())
        }
        None => (http.to_owned(), Vec::new()),
    }
}

/// `GET /path` or `POST /path`.
fn method_and_path(http: &str) -> Option<(Method, String)> {
    match http.split_once(' ') {
        Some(("GET", p)) if p.starts_with('/') => Some((Method::Get, p.to_owned())),
        Some(("POST", p)) if p.starts_with('/') => Some((Method::Post, p.to_owned())),
        _ => None,
    }
}

fn host(ctx: &Ctx, host: Option<&str>) -> Host {
    match host {
        None | Some("api") => Host::Api,
        Some("mp") => Host::Mp,
        Some(other) => {
            ctx.error("host", format!("`{other}`: api or mp"));
            Host::Api
        }
    }
}

/// `auth`: whether the call carries an access token.
fn needs_token(ctx: &Ctx, auth: Option<&str>) -> bool {
    match auth {
        None | Some("access_token") => true,
        Some("none") => false,
        Some(other) => {
            ctx.error("auth", format!("`{other}`: access_token or none"));
            true
        }
    }
}

/// The documented examples: uniquely named, and JSON.
fn examples(ctx: &Ctx, raw: Vec<raw::Example>) -> Vec<Example> {
    let mut examples: Vec<Example> = Vec::new();
    for (i, x) in raw.into_iter().enumerate() {
        let field = format!("examples[{i}]");
        if !is_snake(&x.name) || examples.iter().any(|y| y.name == x.name) {
            ctx.error(
                field.clone(),
                format!("example name `{}` must be snake_case and unique", x.name),
            );
        }
        match (yaml_to_json(&x.request), yaml_to_json(&x.response)) {
            (Ok(request), Ok(response)) => examples.push(Example {
                name: x.name,
                source: x.source,
                request,
                response,
            }),
            (Err(m), _) | (_, Err(m)) => ctx.error(field, m),
        }
    }
    examples
}
