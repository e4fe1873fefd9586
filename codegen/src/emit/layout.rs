//! From tokens to the text of a generated file: prettyplease, then the layout
//! touches it lacks (blank lines between items, `setters!` one field per line).

use super::{GeneratedFile, HEADER};
use proc_macro2::TokenStream;
use quote::quote;

pub(super) fn file(path: &str, source: &str, tokens: TokenStream) -> GeneratedFile {
    GeneratedFile {
        path: path.to_owned(),
        text: render(source, tokens),
    }
}

/// Pretty-prints a file with the @generated header.
pub fn render(source: &str, tokens: TokenStream) -> String {
    let parsed: syn::File = match syn::parse2(tokens.clone()) {
        Ok(f) => f,
        Err(e) => panic!("the emitter produced invalid Rust for {source}: {e}\n{tokens}"),
    };
    let body = spaced(&one_line_rows(&lay_out_setters(&prettyplease::unparse(
        &parsed,
    ))));
    format!("{HEADER}\n// Source: {source}\n\n{body}")
}

/// `setters!(Name { field: Type, .. });` one field per line. (prettyplease prints a
/// macro's input as a paragraph of tokens, `Box < BaseInfo >`.)
fn lay_out_setters(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut pending: Option<String> = None;
    for line in code.lines() {
        let call = match pending.take() {
            Some(mut call) => {
                call.push(' ');
                call.push_str(line.trim());
                call
            }
            None if line.starts_with("setters!(") => line.to_owned(),
            None => {
                out.push_str(line);
                out.push('\n');
                continue;
            }
        };
        match call.ends_with(");") {
            true => out.push_str(&setters_call(&call)),
            false => pending = Some(call),
        }
    }
    out
}

/// One `setters!` call, from prettyplease's tokens to one field per line.
fn setters_call(call: &str) -> String {
    let tokens = call.split_whitespace().collect::<Vec<_>>().join(" ");
    let inner = tokens
        .trim_start_matches("setters!(")
        .trim_end_matches(");")
        .trim();
    let (name, fields) = inner.split_once('{').expect("setters!(Name { .. })");
    let fields = fields.trim().trim_end_matches('}');
    let mut out = format!("setters!({} {{\n", name.trim());
    let mut depth = 0;
    let mut field = String::new();
    for c in fields.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth == 0 {
            let compact = field
                .trim()
                .replace(" : ", ": ")
                .replace(" :: ", "::")
                .replace(" < ", "<")
                .replace(" >", ">");
            if !compact.is_empty() {
                out += &format!("    {compact},\n");
            }
            field.clear();
        } else {
            field.push(c);
        }
    }
    out + "});\n"
}

/// `sandbox_agrees!(case, "group.endpoint", group.endpoint);` on one line, as a table
/// row (prettyplease wraps a long macro call as a paragraph of tokens).
fn one_line_rows(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut pending: Option<String> = None;
    for line in code.lines() {
        let row = match pending.take() {
            Some(row) => row + " " + line.trim(),
            None if line.trim_start().starts_with("sandbox_agrees!(") => line.to_owned(),
            None => {
                out.push_str(line);
                out.push('\n');
                continue;
            }
        };
        match row.ends_with(");") {
            true => {
                let indent = &row[..row.len() - row.trim_start().len()];
                let tokens = row.split_whitespace().collect::<Vec<_>>().join(" ");
                let tokens = tokens
                    .replace("( ", "(")
                    .replace(" .", ".")
                    .replace(" )", ")");
                out.push_str(&format!("{indent}{tokens}\n"));
            }
            false => pending = Some(row),
        }
    }
    out
}

/// prettyplease keeps items back to back; a blank line between items (and between
/// the members of an impl) reads like hand-written code.
fn spaced(code: &str) -> String {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = String::with_capacity(code.len() + code.len() / 8);
    // Inside a `use` statement that spans lines (`use crate::{` … `};`).
    let mut in_use = false;
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        out.push('\n');
        let Some(next) = lines.get(i + 1) else { break };
        let indent = line.len() - line.trim_start().len();
        let next_indent = next.len() - next.trim_start().len();
        let (this, following) = (line.trim(), next.trim());
        let opens_use = indent == 0 && this.starts_with("use ") && !this.ends_with(';');
        let ends_use = indent == 0
            && (this.starts_with("use ") && this.ends_with(';') || in_use && this == "};");
        in_use = (in_use || opens_use) && !ends_use;
        let closes = this == "}" || this == "};";
        let starts_item =
            next_indent == indent && !following.starts_with('}') && !following.is_empty();
        // Only at file and impl/mod level (indents 0 and 4), not inside bodies.
        let after_item = closes && starts_item && indent <= 4 && !ends_use;
        // Module docs, then `use` lines, then items, each block apart.
        let after_docs = this.starts_with("//!") && !following.starts_with("//!");
        let after_uses = ends_use && !following.starts_with("use ");
        if after_item || after_docs || after_uses {
            out.push('\n');
        }
    }
    out
}

/// Formats an expression on its own, for rustdoc examples.
pub fn format_expr(expr: TokenStream) -> String {
    let file: syn::File = syn::parse2(quote!(fn f() { #expr }))
        .unwrap_or_else(|e| panic!("the emitter produced an invalid expression: {e}\n{expr}"));
    let text = prettyplease::unparse(&file);
    let lines: Vec<&str> = text.lines().collect();
    lines[1..lines.len() - 1]
        .iter()
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}
