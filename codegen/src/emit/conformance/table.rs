//! The validation cases as text tables over an example, one row a line, which
//! `tests/support/mod.rs` parses (its module docs give the format):
//!
//! ```text
//! card.groupon.base_info.title | max_chars | /card/groupon/base_info/title = "券" * 10
//! ```
//!
//! A table sits in the test as a raw string literal, which prettyplease prints
//! verbatim: rows stay one a line however long, and the columns stay aligned.

use super::shapes::pointer_join;
use proc_macro2::TokenStream;
use serde_json::Value;

/// One case over an example: the field and rule validation must name, and the edits
/// that make the request from the example.
pub struct Row {
    pub field: String,
    pub rule: &'static str,
    pub patches: Vec<Patch>,
}

/// One edit of an example at a JSON pointer.
pub enum Patch {
    Set(String, Value),
    /// Today's date in China, known only when the test runs.
    SetToday(String),
    Remove(String),
}

/// How [`edits`] treats a list that changed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Lists {
    /// Replaced whole.
    Whole,
    /// Item by item where the list keeps its length: `/openid/0 = ""` says which
    /// item a row breaks; a list that grows or shrinks is still replaced whole.
    ByItem,
}

/// The edits that turn `base` into `new`: new keys and changed leaves at the highest
/// level where they differ, and the keys `new` lacks as removals.
pub fn edits(base: &Value, new: &Value, lists: Lists) -> Vec<Patch> {
    let mut out = Vec::new();
    edits_at(base, new, "", lists, &mut out);
    out
}

fn edits_at(base: &Value, new: &Value, pointer: &str, lists: Lists, out: &mut Vec<Patch>) {
    match (base, new) {
        (Value::Object(b), Value::Object(n)) => {
            for k in b.keys().filter(|k| !n.contains_key(*k)) {
                out.push(Patch::Remove(pointer_join(pointer, k)));
            }
            for (k, v) in n {
                let at = pointer_join(pointer, k);
                match b.get(k) {
                    Some(old) if old == v => {}
                    Some(old) => edits_at(old, v, &at, lists, out),
                    None => out.push(Patch::Set(at, v.clone())),
                }
            }
        }
        (Value::Array(b), Value::Array(n)) if lists == Lists::ByItem && b.len() == n.len() => {
            for (i, (old, v)) in b.iter().zip(n).enumerate() {
                if old != v {
                    edits_at(old, v, &format!("{pointer}/{i}"), lists, out);
                }
            }
        }
        _ if base != new => out.push(Patch::Set(pointer.to_owned(), new.clone())),
        _ => {}
    }
}

/// A run of one character at least this long is written `"a" * 129`: a reader sees
/// the length a limit is about, not a wall of `a`.
const MIN_RUN: usize = 8;

/// A rule over many fields names them all (`card.{groupon, cash, …}`): a field longer
/// than this overflows its column rather than widen it for every row.
const MAX_FIELD_WIDTH: usize = 64;

/// Rows sit one level deeper than the statement that reads them (in a test's body),
/// and the closing quote at the statement's level.
const ROW_INDENT: &str = "        ";
const END_INDENT: &str = "    ";

/// The rows as one raw string literal, a row a line with the field and rule columns
/// aligned, indented to sit under the call that reads them.
pub fn table(rows: &[Row]) -> TokenStream {
    let field_width = rows
        .iter()
        .map(|r| r.field.chars().count())
        .filter(|&width| width <= MAX_FIELD_WIDTH)
        .max()
        .unwrap_or(0);
    let rule_width = rows.iter().map(|r| r.rule.len()).max().unwrap_or(0);
    let mut text = String::from("\n");
    for row in rows {
        text.push_str(ROW_INDENT);
        text.push_str(&row.line(field_width, rule_width));
        text.push('\n');
    }
    text.push_str(END_INDENT);
    raw_string(&text)
}

/// One row as a raw string literal, for a single case; spaced from the quotes, which
/// an empty string at its end would otherwise run into (`= """#`).
pub fn single(row: &Row) -> TokenStream {
    raw_string(&format!(" {} ", row.line(0, 0)))
}

impl Row {
    /// `field | rule | patches`, the first two columns padded to their widths; the
    /// patches as `pointer = value` or `pointer removed`, separated by `;`.
    fn line(&self, field_width: usize, rule_width: usize) -> String {
        for text in [self.field.as_str(), self.rule] {
            assert!(
                !text.contains(['|', '\n']),
                "internal error: `{text}` would break its table's columns"
            );
        }
        let patches: Vec<String> = self.patches.iter().map(Patch::text).collect();
        format!(
            "{:field_width$} | {:rule_width$} | {}",
            self.field,
            self.rule,
            patches.join("; ")
        )
    }
}

impl Patch {
    fn text(&self) -> String {
        let pointer = match self {
            Patch::Set(p, _) | Patch::SetToday(p) | Patch::Remove(p) => p,
        };
        // The table reader takes the pointer up to the first space and does not look
        // inside it for quotes or separators.
        assert!(
            !pointer.contains(|c: char| c.is_whitespace() || c == '"' || c == ';'),
            "internal error: the pointer `{pointer}` cannot be written in a table row"
        );
        match self {
            Patch::Set(_, value) => format!("{pointer} = {}", value_text(value)),
            Patch::SetToday(_) => format!("{pointer} = today"),
            Patch::Remove(_) => format!("{pointer} removed"),
        }
    }
}

/// JSON on one line, with a long run of one character as `"a" * 129`.
fn value_text(value: &Value) -> String {
    let joined = |parts: Vec<String>| parts.join(", ");
    match value {
        Value::String(s) => match single_char_run(s) {
            Some((c, n)) if n >= MIN_RUN => format!("{} * {n}", Value::from(c.to_string())),
            _ => value.to_string(),
        },
        Value::Array(items) => format!("[{}]", joined(items.iter().map(value_text).collect())),
        Value::Object(map) => {
            let entries = map
                .iter()
                .map(|(k, v)| format!("{}: {}", Value::from(k.as_str()), value_text(v)));
            format!("{{{}}}", joined(entries.collect()))
        }
        _ => value.to_string(),
    }
}

/// `Some((c, n))` if `s` is `c` repeated `n` times.
fn single_char_run(s: &str) -> Option<(char, usize)> {
    let c = s.chars().next()?;
    s.chars().all(|x| x == c).then(|| (c, s.chars().count()))
}

/// A raw string literal of `text`, with as many `#` as it needs (`"#10AD61"`, a
/// colour, needs two).
fn raw_string(text: &str) -> TokenStream {
    let mut hashes = String::from("#");
    while text.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    format!("r{hashes}\"{text}\"{hashes}")
        .parse()
        .expect("a raw string literal")
}
