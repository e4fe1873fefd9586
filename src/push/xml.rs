//! The XML of a push: [`Fields`] reads the top-level elements of a message (the
//! generated events in [`super::events`] take theirs out of it), [`XmlWriter`] writes
//! a message as WeChat does (their `to_xml`).

use super::PushError;
use std::fmt;

/// The direct children of a push's root element, as text (CDATA or escaped, trimmed:
/// the docs' own examples put spaces around CDATA). The generated events take their
/// fields out of it; whatever is left is what the spec does not describe.
///
/// Also the way to read an event this crate does not type:
///
/// ```
/// use wechat_card::push::{Fields, events::CardEvent};
///
/// let xml = "<xml><Event><![CDATA[new_card_event]]></Event><Detail>7</Detail></xml>";
/// let CardEvent::Unknown(event) = CardEvent::parse(xml)? else { unreachable!() };
/// assert_eq!(Fields::parse(&event.xml)?.get("Detail"), Some("7"));
/// # Ok::<(), wechat_card::push::PushError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// Reads the top-level fields of an XML message. Nested elements are kept whole
    /// under their own name, their text concatenated.
    pub fn parse(xml: &str) -> Result<Self, PushError> {
        use quick_xml::events::Event;
        let malformed =
            |e: &dyn fmt::Display| PushError::Malformed(format!("the body is not XML: {e}"));
        let mut reader = quick_xml::Reader::from_str(xml);
        let (mut depth, mut name, mut text) = (0usize, String::new(), String::new());
        let mut fields = Vec::new();
        loop {
            match reader.read_event().map_err(|e| malformed(&e))? {
                Event::Start(e) => {
                    depth += 1;
                    if depth == 2 {
                        name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                        text.clear();
                    }
                }
                Event::Empty(e) if depth == 1 => {
                    fields.push((
                        String::from_utf8_lossy(e.name().as_ref()).into_owned(),
                        String::new(),
                    ));
                }
                Event::End(_) => {
                    if depth == 2 {
                        fields.push((std::mem::take(&mut name), text.trim().to_owned()));
                    }
                    depth = depth.saturating_sub(1);
                }
                Event::Text(t) if depth >= 2 => {
                    let raw = t.decode().map_err(|e| malformed(&e))?;
                    text.push_str(&quick_xml::escape::unescape(&raw).map_err(|e| malformed(&e))?);
                }
                Event::CData(t) if depth >= 2 => {
                    text.push_str(&t.decode().map_err(|e| malformed(&e))?);
                }
                Event::GeneralRef(r) if depth >= 2 => {
                    let entity = format!("&{};", r.decode().map_err(|e| malformed(&e))?);
                    text.push_str(
                        &quick_xml::escape::unescape(&entity).map_err(|e| malformed(&e))?,
                    );
                }
                Event::Eof if depth == 0 => return Ok(Fields(fields)),
                Event::Eof => {
                    return Err(PushError::Malformed(
                        "the body is not XML: unclosed element".into(),
                    ));
                }
                _ => {}
            }
        }
    }

    /// The value of a field, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every field, in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

// The readers of the generated events (`push::events`): each takes the fields it
// describes out, typed, and what is left is its `extra`. Public for the generated code,
// hidden from the docs: users read with `get` and `iter`.
impl Fields {
    /// Removes a field (the generated events take each of theirs).
    #[doc(hidden)]
    pub fn take(&mut self, name: &str) -> Option<String> {
        let i = self.0.iter().position(|(k, _)| k == name)?;
        Some(self.0.remove(i).1)
    }

    /// A field the spec describes, if present: given twice, it is refused (which one
    /// would be meant?).
    #[doc(hidden)]
    pub fn text(&mut self, event: &str, name: &'static str) -> Result<Option<String>, PushError> {
        let value = self.take(name);
        if value.is_some() && self.get(name).is_some() {
            return Err(PushError::Malformed(format!(
                "{event}: <{name}> is given more than once"
            )));
        }
        Ok(value)
    }

    /// A required text field.
    #[doc(hidden)]
    pub fn string(&mut self, event: &str, name: &'static str) -> Result<String, PushError> {
        self.text(event, name)?.ok_or_else(|| missing(event, name))
    }

    /// An integer field, absent or empty as `None`.
    #[doc(hidden)]
    pub fn integer(&mut self, event: &str, name: &'static str) -> Result<Option<i64>, PushError> {
        match self.text(event, name)? {
            None => Ok(None),
            Some(v) if v.is_empty() => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                PushError::Malformed(format!("{event}: <{name}> must be an integer, got {v:?}"))
            }),
        }
    }

    /// A 0/1 flag (the gift card events write `true`/`false`), absent or empty as `None`.
    #[doc(hidden)]
    pub fn flag(&mut self, event: &str, name: &'static str) -> Result<Option<bool>, PushError> {
        match self.text(event, name)?.as_deref() {
            None | Some("") => Ok(None),
            Some("0" | "false") => Ok(Some(false)),
            Some("1" | "true") => Ok(Some(true)),
            Some(v) => Err(PushError::Malformed(format!(
                "{event}: <{name}> must be 0 or 1 (or false or true), got {v:?}"
            ))),
        }
    }
}

/// Writes a push message as WeChat does: `<xml>`, then one element per field — text in
/// CDATA, numbers and 0/1 flags bare. The generated events' `to_xml` use it.
pub(crate) struct XmlWriter(String);

impl XmlWriter {
    pub(crate) fn new() -> Self {
        XmlWriter(String::from("<xml>"))
    }

    /// A text field, in CDATA (a `]]>` inside is split across two sections).
    pub(crate) fn text(&mut self, name: &str, value: &str) {
        let value = value.replace("]]>", "]]]]><![CDATA[>");
        self.0
            .push_str(&format!("<{name}><![CDATA[{value}]]></{name}>"));
    }

    pub(crate) fn integer(&mut self, name: &str, value: i64) {
        self.0.push_str(&format!("<{name}>{value}</{name}>"));
    }

    pub(crate) fn flag(&mut self, name: &str, value: bool) {
        self.integer(name, i64::from(value));
    }

    pub(crate) fn finish(mut self) -> String {
        self.0.push_str("</xml>");
        self.0
    }
}

/// A required field is missing.
// Hidden: the generated events' error for an absent field (their `from_fields`).
#[doc(hidden)]
pub fn missing(event: &str, name: &str) -> PushError {
    PushError::Malformed(format!("{event}: <{name}> is required"))
}
