//! What is checked once everything is loaded: rule paths, which way each model
//! travels, and every documentation example against the spec.

use super::*;

/// `check` rules name dotted paths: every step must exist, and every value must be a
/// wire value of the field it is compared with.
pub(super) fn check_rule_paths(api: &Api, origins: &BTreeMap<String, Ctx>) {
    for model in api.models.values() {
        let ctx = &origins[&model.name];
        let at = format!("{}: rules", model.name);
        for rule in &model.rules {
            let Rule::Check(c) = rule else { continue };
            let paths = c.present.iter().chain(&c.absent);
            // `null` in `when` means "absent"; everywhere else a value is a wire value.
            let when = c.when.iter().filter(|(_, v)| !v.is_null());
            let valued = when.chain(&c.equal).chain(&c.not_equal);
            for (p, _) in c.when.iter().filter(|(_, v)| v.is_null()) {
                if let Err(e) = api.path_fields(&model.name, p) {
                    ctx.error(at.clone(), e);
                }
            }
            for p in paths {
                if let Err(e) = api.path_fields(&model.name, p) {
                    ctx.error(at.clone(), e);
                }
            }
            for (p, v) in valued {
                match api.path_fields(&model.name, p) {
                    Err(e) => ctx.error(at.clone(), e),
                    Ok(fields) => {
                        let last = fields.last().expect("paths are not empty");
                        if !fits(&api.enums, &last.shape.ty, v) {
                            ctx.error(at.clone(), format!("{v} is not a value of `{}`", dotted(p)));
                        }
                    }
                }
            }
        }
    }
}

/// Marks the models reachable from requests (they get builders and validators).
pub(super) fn mark_request_side(api: &mut Api) {
    let mut stack: Vec<String> = api
        .groups
        .iter()
        .flat_map(|g| g.endpoints.iter().map(|e| e.request.clone()))
        .collect();
    // Shared types are part of the public model: always buildable and checkable.
    stack.extend(
        api.models
            .values()
            .filter(|m| matches!(m.home, Home::Types(_)))
            .map(|m| m.name.clone()),
    );
    while let Some(name) = stack.pop() {
        let model = &mut api.models[&name];
        if model.request_side {
            continue;
        }
        model.request_side = true;
        for f in &model.fields {
            if let Ty::Model(m) = f.shape.ty.leaf() {
                stack.push(m.clone());
            }
        }
    }
}

/// Marks the models reachable from replies, and decides how each field is stored: a
/// plain `T` only where it is required and never received.
pub(super) fn mark_response_side(api: &mut Api) {
    let mut stack: Vec<String> = api
        .groups
        .iter()
        .flat_map(|g| g.endpoints.iter().filter_map(|e| e.response.clone()))
        .collect();
    while let Some(name) = stack.pop() {
        let model = &mut api.models[&name];
        if model.response_side {
            continue;
        }
        model.response_side = true;
        for f in &model.fields {
            if let Ty::Model(m) = f.shape.ty.leaf() {
                stack.push(m.clone());
            }
        }
    }
    for model in api.models.values_mut() {
        let received = model.response_side;
        for f in &mut model.fields {
            f.plain = f.required && !received;
        }
    }
}

/// Every documentation example must satisfy the spec's own schema.
pub(super) fn check_examples(api: &Api, root: &Ctx) {
    let today = crate::rules::china_today();
    for g in &api.groups {
        let file = format!("spec/api/{}.yaml", g.name);
        for e in &g.endpoints {
            let ctx = Ctx {
                file: file.clone(),
                ..root.at(format!("endpoint `{}`", e.id))
            };
            for x in &e.examples {
                let at = |part: &str| format!("examples.{}.{part}", x.name);
                for problem in examples::check(api, &e.request, &x.request, today) {
                    ctx.error(join(&at("request"), &problem.path), problem.message);
                }
                match x.response.get("errcode").map(|c| c.as_i64()) {
                    Some(None) => ctx.error(at("response.errcode"), "errcode must be an integer"),
                    Some(Some(code)) if code != 0 => {
                        if api.errcode(code).is_none() {
                            ctx.error(
                                at("response.errcode"),
                                format!("{code} is not in spec/errcodes.yaml"),
                            );
                        }
                        let extra = x
                            .response
                            .as_object()
                            .into_iter()
                            .flatten()
                            .map(|(k, _)| k.as_str());
                        for key in extra.filter(|k| *k != "errcode" && *k != "errmsg") {
                            ctx.error(
                                at("response"),
                                format!(
                                    "an error reply holds only errcode and errmsg, not `{key}`"
                                ),
                            );
                        }
                    }
                    _ if e.response.is_none() => {
                        // A binary reply: `{ content_type, bytes }`.
                        let ok = x.response.as_object().is_some_and(|m| {
                            m.len() == 2
                                && m.get("content_type").is_some_and(Value::is_string)
                                && m.get("bytes").is_some_and(Value::is_string)
                        });
                        if !ok {
                            ctx.error(
                                at("response"),
                                "a binary reply is `{ content_type, bytes }` (strings)",
                            );
                        }
                    }
                    _ => {
                        let mut body = x.response.clone();
                        if let Some(map) = body.as_object_mut() {
                            map.remove("errcode");
                            map.remove("errmsg");
                        }
                        let response = e
                            .response
                            .as_deref()
                            .expect("binary replies are handled above");
                        for problem in examples::check_reply(api, response, &body, today) {
                            ctx.error(join(&at("response"), &problem.path), problem.message);
                        }
                    }
                }
            }
        }
    }
}
