//! The card events of `spec/events.yaml`: checked against their own examples, then
//! turned into the IR.

use super::*;
use std::collections::HashMap;

/// The card events: unique names, known field types, and every documented example is
/// the event it is filed under and uses only the fields the spec lists.
pub(super) fn check_events(ctx: &Ctx, file: &raw::EventsFile) {
    if file.delivery.timeout_seconds == 0 {
        ctx.error(
            "delivery.timeout_seconds",
            "WeChat allows some time to reply: more than 0",
        );
    }
    check_fields(&ctx.at("envelope"), &file.envelope);
    let envelope: HashSet<&str> = file.envelope.iter().map(|f| f.name.as_str()).collect();
    let (mut events, mut names) = (HashSet::new(), HashSet::new());
    for e in &file.events {
        let ctx = ctx.at(format!("event `{}`", e.event));
        if !events.insert(e.event.as_str()) {
            ctx.error("event", "duplicate event");
        }
        if !is_pascal(&e.name) || !names.insert(e.name.as_str()) {
            ctx.error(
                "name",
                format!("`{}` must be a unique PascalCase name", e.name),
            );
        }
        check_fields(&ctx, &e.fields);
        for f in &e.fields {
            if envelope.contains(f.name.as_str()) {
                ctx.error(&f.name, "already in the envelope");
            }
        }
        check_event_examples(&ctx, e, &envelope);
    }
    check_enums(ctx, file);
}

/// The fields of the envelope or of one event: known types, XML names as WeChat writes
/// them (PascalCase; the invoice pushes use snake_case, `fpqqlsh`, `tax_no`), each once, and `values` only with an `enum` name.
fn check_fields(ctx: &Ctx, fields: &[raw::EventField]) {
    let mut seen = HashSet::new();
    for f in fields {
        if !matches!(f.ty.as_str(), "string" | "integer" | "flag") {
            ctx.error(
                &f.name,
                format!("type `{}`: expected string, integer or flag", f.ty),
            );
        }
        if !is_pascal(&f.name) && !is_snake(&f.name) {
            ctx.error(&f.name, "XML element names are PascalCase or snake_case");
        }
        if !seen.insert(f.name.as_str()) {
            ctx.error(&f.name, "listed twice");
        }
        match (&f.values, &f.enum_name) {
            (Some(_), Some(name)) if f.ty == "string" && is_pascal(name) => {}
            (None, None) => {}
            _ => ctx.error(
                &f.name,
                "`values` needs `enum` (a PascalCase name), on a string field, and the reverse",
            ),
        }
    }
}

/// Each example of an event is that event, uses its documented values, and holds only
/// elements of the envelope or the event.
fn check_event_examples(ctx: &Ctx, e: &raw::Event, envelope: &HashSet<&str>) {
    let known: HashSet<&str> = envelope
        .iter()
        .copied()
        .chain(e.fields.iter().map(|f| f.name.as_str()))
        .chain(["xml"])
        .collect();
    for x in &e.examples {
        let field = format!("examples.{}", x.name);
        if element_value(&x.xml, "Event") != Some(e.event.as_str()) {
            ctx.error(&field, format!("the example is not a `{}` event", e.event));
        }
        for f in &e.fields {
            let Some(values) = &f.values else { continue };
            if let Some(v) = element_value(&x.xml, &f.name) {
                if !v.is_empty() && !values.contains(&v.to_owned()) {
                    ctx.error(
                        &field,
                        format!("<{}> is `{v}`, not one of its values", f.name),
                    );
                }
            }
        }
        for tag in element_names(&x.xml) {
            if !known.contains(tag) {
                ctx.error(
                    &field,
                    format!("<{tag}> is neither in the envelope nor a field of this event"),
                );
            }
        }
    }
}

/// An enumeration is generated once, by name: every use must list the same values,
/// and the name must not be taken by a generated type.
fn check_enums(ctx: &Ctx, file: &raw::EventsFile) {
    let mut taken: HashSet<&str> = ["Envelope", "CardEvent", "UnknownEvent"]
        .into_iter()
        .chain(file.events.iter().map(|e| e.name.as_str()))
        .collect();
    let mut enums: HashMap<&str, &Vec<String>> = HashMap::new();
    let uses = file
        .envelope
        .iter()
        .map(|f| ("envelope".to_owned(), f))
        .chain(
            file.events
                .iter()
                .flat_map(|e| e.fields.iter().map(|f| (format!("event `{}`", e.event), f))),
        );
    for (location, f) in uses {
        let (Some(name), Some(values)) = (&f.enum_name, &f.values) else {
            continue;
        };
        let ctx = ctx.at(location);
        match enums.get(name.as_str()) {
            Some(first) if *first != values => ctx.error(
                &f.name,
                format!("enum `{name}` is listed elsewhere with other values"),
            ),
            Some(_) => {}
            None if !taken.insert(name.as_str()) => ctx.error(
                &f.name,
                format!("enum `{name}` is the name of another generated type"),
            ),
            None => {
                enums.insert(name.as_str(), values);
            }
        }
    }
}

pub(super) fn events_ir(file: raw::EventsFile) -> crate::ir::Events {
    use crate::ir::{EventDef, EventField, EventFieldType};
    let field = |f: raw::EventField| EventField {
        ty: match f.ty.as_str() {
            "integer" => EventFieldType::Integer,
            "flag" => EventFieldType::Flag,
            _ => EventFieldType::String,
        },
        required: f.required,
        doc: f.doc,
        values: f
            .values
            .zip(f.enum_name)
            .map(|(values, name)| (name, values)),
        xml: f.name,
    };
    crate::ir::Events {
        timeout_seconds: file.delivery.timeout_seconds,
        retries: file.delivery.retries,
        envelope: file.envelope.into_iter().map(field).collect(),
        events: file
            .events
            .into_iter()
            .map(|e| EventDef {
                wire: e.event,
                name: e.name,
                doc: e.doc,
                fields: e.fields.into_iter().map(field).collect(),
                examples: e.examples.into_iter().map(|x| (x.name, x.xml)).collect(),
            })
            .collect(),
    }
}

/// The text of the first `<name>` element, CDATA or not, trimmed (the docs' own
/// examples put spaces around CDATA).
fn element_value<'x>(xml: &'x str, name: &str) -> Option<&'x str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let inner = xml[start..].split(&format!("</{name}>")).next()?.trim();
    let inner = match inner.strip_prefix("<![CDATA[") {
        Some(rest) => rest.strip_suffix("]]>")?,
        None => inner,
    };
    Some(inner.trim())
}

/// The names of the elements opened in an XML text (`<Name>` and `<Name attr…>`).
fn element_names(xml: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if rest.starts_with(['/', '!', '?']) {
            continue;
        }
        let end = rest
            .find(|c: char| c == '>' || c == '/' || c.is_whitespace())
            .unwrap_or(rest.len());
        if end > 0 {
            names.push(&rest[..end]);
        }
    }
    names
}
