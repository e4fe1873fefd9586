//! Every row of the tables in `docs/migrating.md` names calls that exist.
//!
//! The last cell of each table row is read for what it names — handler methods
//! (`client.card().change_stock(`), client methods (`client.card_ticket()`), paths
//! (`wechat_card::jssdk::card_signature`) and types with their functions or variants
//! (`CardUpdateRequest::new`, `CardType::Groupon`) — and each is looked up in the
//! crate's sources: a handler method in its handler's `impl` block, anything else as a
//! public item of its module or of the crate. A row of the method tables must name at
//! least one, unless it says the call is not covered. Setters (`.card_id(..)`) are not
//! looked up: their receiver's type is not written in the row.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// The crate's sources, indexed: path (from `src/`) → the public items it declares
/// (`fn`, `struct`, `enum`, …, by name), its enums' variants (`CardType::Groupon`) and
/// `Type::default` where it implements `Default`.
struct Sources {
    items: BTreeMap<String, HashSet<String>>,
    variants: HashSet<String>,
    texts: BTreeMap<String, String>,
}

impl Sources {
    fn load() -> Sources {
        fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let name = path
                        .strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    out.insert(name, std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut texts = BTreeMap::new();
        walk(&root, &root, &mut texts);
        const KINDS: &[&str] = &["fn", "struct", "enum", "trait", "type", "mod", "const"];
        let mut items = BTreeMap::new();
        let mut variants = HashSet::new();
        for (path, text) in &texts {
            let mut declared = HashSet::new();
            let mut in_enum: Option<String> = None;
            for line in text.lines() {
                let trimmed = line.trim_start();
                if let Some(name) = &in_enum {
                    if line.starts_with('}') {
                        in_enum = None;
                    } else if !trimmed.starts_with("///") && !trimmed.starts_with('#') {
                        let variant = ident_at(trimmed, 0);
                        if !variant.is_empty() {
                            variants.insert(format!("{name}::{variant}"));
                        }
                    }
                    continue;
                }
                // `Type::default()` comes from a trait: `impl Default for Type`.
                if let Some(ty) = trimmed.strip_prefix("impl Default for ") {
                    variants.insert(format!("{}::default", ident_at(ty, 0)));
                }
                let Some(rest) = trimmed.strip_prefix("pub ") else {
                    continue;
                };
                let rest = rest
                    .trim_start_matches("async ")
                    .trim_start_matches("const fn ");
                let (kind, rest) = rest.split_once(' ').unwrap_or_default();
                let name = ident_at(rest, 0);
                let kind = if trimmed.starts_with("pub const fn ") {
                    "fn"
                } else {
                    kind
                };
                if KINDS.contains(&kind) && !name.is_empty() {
                    if kind == "enum" && line.starts_with("pub enum") {
                        in_enum = Some(name.clone());
                    }
                    declared.insert(name);
                }
            }
            items.insert(path.clone(), declared);
        }
        Sources {
            items,
            variants,
            texts,
        }
    }

    /// A public item named `name` in `files` (all files when empty).
    fn has_item(&self, files: &[String], name: &str) -> bool {
        self.items
            .iter()
            .filter(|(path, _)| files.is_empty() || files.contains(path))
            .any(|(_, declared)| declared.contains(name))
    }

    /// The files of module `path` (`jssdk`, `push::events`, a generated group).
    fn module(&self, path: &[&str]) -> Vec<String> {
        let joined = path.join("/");
        let generated = match path {
            ["types"] => "generated/types/".to_owned(),
            [group] => format!("generated/{group}.rs"),
            _ => String::from("\0"),
        };
        self.texts
            .keys()
            .filter(|k| {
                **k == format!("{joined}.rs")
                    || k.starts_with(&format!("{joined}/"))
                    || k.starts_with(&generated)
            })
            .cloned()
            .collect()
    }

    /// The text of `impl <Handler><'_> { … }` in the generated async handlers.
    fn handler_block(&self, handler: &str) -> Option<&str> {
        let text = self.texts.get("generated/client.rs")?;
        // `client.<handler>()` returns `<Handler>Handler`.
        let accessor = format!("pub fn {handler}(&self) -> ");
        let start = text.find(&accessor)? + accessor.len();
        let ty: String = text[start..]
            .chars()
            .take_while(|c| c.is_alphanumeric())
            .collect();
        let open = text.find(&format!("impl {ty}<'_> {{"))?;
        let end = text[open + 1..]
            .find("\nimpl ")
            .map_or(text.len(), |e| open + 1 + e);
        Some(&text[open..end])
    }

    /// What a cell names that does not exist.
    fn missing(&self, cell: &str) -> (usize, Vec<String>) {
        let mut named = 0;
        let mut missing = Vec::new();
        for span in code_spans(cell) {
            for name in names(&span) {
                named += 1;
                if !self.exists(&name) {
                    missing.push(name.to_string());
                }
            }
        }
        (named, missing)
    }

    fn exists(&self, name: &Name) -> bool {
        match name {
            Name::HandlerMethod(handler, method) => self.handler_block(handler).is_some_and(|b| {
                b.contains(&format!("pub async fn {method}("))
                    || b.contains(&format!("pub fn {method}("))
            }),
            Name::ClientMethod(method) => self.has_item(&[], method),
            Name::Path(segments) => {
                let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
                // The longest prefix that is a module; the rest, items within it.
                (1..segments.len()).rev().any(|n| {
                    let files = self.module(&segments[..n]);
                    !files.is_empty()
                        && segments[n..]
                            .iter()
                            .take(1)
                            .all(|item| self.has_item(&files, item) || self.reexported(item))
                }) || segments.len() == 1 && self.has_item(&[], segments[0])
            }
            Name::TypeItem(ty, item) => {
                let variant = item.chars().next().is_some_and(|c| c.is_ascii_uppercase());
                self.has_item(&[], ty)
                    && match variant {
                        true => self.variants.contains(&format!("{ty}::{item}")),
                        false => {
                            self.has_item(&[], item)
                                || self.variants.contains(&format!("{ty}::{item}"))
                        }
                    }
            }
        }
    }

    /// Re-exported at the crate root (`pub use …::{Name}`).
    fn reexported(&self, item: &str) -> bool {
        self.texts.get("lib.rs").is_some_and(|lib| {
            lib.lines()
                .filter(|l| l.trim_start().starts_with("pub use"))
                .any(|l| l.contains(item))
        })
    }
}

/// Something a row names.
#[derive(Debug, Clone, PartialEq)]
enum Name {
    /// `client.<handler>().<method>(`
    HandlerMethod(String, String),
    /// `client.<method>(`
    ClientMethod(String),
    /// `wechat_card::a::b`
    Path(Vec<String>),
    /// `Type::item`
    TypeItem(String, String),
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Name::HandlerMethod(h, m) => write!(f, "client.{h}().{m}"),
            Name::ClientMethod(m) => write!(f, "client.{m}"),
            Name::Path(p) => write!(f, "wechat_card::{}", p.join("::")),
            Name::TypeItem(t, i) => write!(f, "{t}::{i}"),
        }
    }
}

/// The `code` spans of a Markdown cell.
fn code_spans(cell: &str) -> Vec<String> {
    cell.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_owned())
        .collect()
}

fn ident_at(text: &str, from: usize) -> String {
    text[from..]
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// What a code span names (see the module docs). Names of std and serde_json are not
/// the crate's and are skipped.
fn names(span: &str) -> Vec<Name> {
    const FOREIGN: &[&str] = &[
        "Arc", "Box", "Some", "Ok", "Err", "Option", "Result", "Vec", "String",
    ];
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = span[at..].find("client.") {
        let start = at + i + "client.".len();
        at = start;
        // `blocking::Client::new(..)` or `wxCard.client.` are not calls on our client.
        let before = span[..start - "client.".len()].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == ':') {
            continue;
        }
        let first = ident_at(span, start);
        let after = start + first.len();
        if first.is_empty() || !span[after..].starts_with('(') {
            continue;
        }
        let rest = &span[after..];
        if rest.starts_with("().") {
            let method = ident_at(span, after + 3);
            // `client.card_ticket().await?…` is a client method awaited, not a handler.
            if !method.is_empty() && method != "await" {
                out.push(Name::HandlerMethod(first, method));
                continue;
            }
        }
        out.push(Name::ClientMethod(first));
    }
    let mut at = 0;
    while let Some(i) = span[at..].find("wechat_card::") {
        let mut pos = at + i + "wechat_card::".len();
        let mut segments = Vec::new();
        loop {
            let seg = ident_at(span, pos);
            if seg.is_empty() {
                break;
            }
            pos += seg.len();
            segments.push(seg);
            if span[pos..].starts_with("::") {
                pos += 2;
            } else {
                break;
            }
        }
        at = pos;
        if !segments.is_empty() {
            out.push(Name::Path(segments));
        }
    }
    // `Type::item`, not inside a `wechat_card::` path (looked up above).
    let bytes = span.as_bytes();
    for (i, _) in span.match_indices("::") {
        let ty_start = span[..i]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |p| p + 1);
        let ty = &span[ty_start..i];
        let in_path = ty_start >= 2 && &bytes[ty_start - 2..ty_start] == b"::";
        let pascal = ty.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && ty.chars().nth(1).is_some_and(|c| c.is_ascii_lowercase());
        let item = ident_at(span, i + 2);
        if pascal && !in_path && !item.is_empty() && !FOREIGN.contains(&ty) {
            out.push(Name::TypeItem(ty.to_owned(), item));
        }
    }
    out
}

/// The table rows of a Markdown document: (section heading, row), separators left out.
fn table_rows(doc: &str) -> Vec<(String, Vec<String>)> {
    let mut heading = String::new();
    let mut rows = Vec::new();
    for line in doc.lines() {
        if line.starts_with('#') {
            heading = line.trim_start_matches('#').trim().to_owned();
        } else if line.starts_with('|') && !line.starts_with("|---") {
            let cells: Vec<String> = line
                .trim()
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect();
            rows.push((heading.clone(), cells));
        }
    }
    rows
}

#[test]
fn every_row_names_calls_that_exist() {
    let sources = Sources::load();
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/migrating.md");
    let doc = std::fs::read_to_string(doc_path).unwrap();
    let rows = table_rows(&doc);
    assert!(
        rows.len() > 100,
        "the tables were read: {} rows",
        rows.len()
    );
    let mut problems = Vec::new();
    let mut checked = 0;
    // The method tables (under "Method tables") map one old method per row.
    let method_tables = doc[doc.find("## Method tables").unwrap()..]
        .lines()
        .take_while(|l| !l.starts_with("## Behaviour"))
        .filter(|l| l.starts_with("### "))
        .map(|l| l.trim_start_matches('#').trim().to_owned())
        .collect::<Vec<_>>();
    for (heading, cells) in &rows {
        let Some(cell) = cells.last() else { continue };
        // A header row names no call.
        if cell == "wechat-card call" || cell == "wechat-card" || cell.starts_with("`client.raw(") {
            continue;
        }
        let (named, missing) = sources.missing(cell);
        checked += named;
        for name in missing {
            problems.push(format!(
                "{heading}: {} names `{name}`, which does not exist",
                cells[0]
            ));
        }
        let not_covered = cell.contains("Not covered") || cell.starts_with("none");
        if method_tables.contains(heading) && named == 0 && !not_covered {
            problems.push(format!("{heading}: {} names no call", cells[0]));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked > 200, "only {checked} names were looked up");
}

#[test]
fn the_check_finds_what_does_not_exist() {
    let sources = Sources::load();
    let cell = "`client.card().no_such_method(card_id)`, `client.no_such_method()`, \
                `wechat_card::jssdk::no_such_function([..])`, `NoSuchRequest::new(code)`, \
                `client.card().change_stock(card_id, -5)`, `wechat_card::jssdk::card_signature([..])`, \
                `CardModifyStockRequest::new(card_id)`, `client.card_ticket()`, `CardType::Groupon`, \
                `CardType::NoSuchType`";
    let (named, missing) = sources.missing(cell);
    assert_eq!(named, 10);
    assert_eq!(
        missing,
        [
            "client.card().no_such_method",
            "client.no_such_method",
            "wechat_card::jssdk::no_such_function",
            "NoSuchRequest::new",
            "CardType::NoSuchType",
        ]
    );
}
