//! The console: a page at `GET /` showing the sandbox's state as it stands (cards
//! drawn like WeChat card faces, users and their codes, the push log, the clock,
//! the fault plans), with forms for the common actions (`POST /console/<action>`,
//! `forms`). Server-rendered and read on every request: reload to see changes, or
//! open `/?watch=N` to have the browser reload every N seconds.
//!
//! Everything that came from a request (titles, brand names, openids, codes, URLs)
//! goes through [`esc`]: the page is HTML written with `write!`, so nothing else
//! stands between a card titled `<script>` and the browser.

mod cards;
mod forms;
mod sections;

pub(super) use forms::submit;

use super::Engine;
use super::world::{CardSnapshot, CodeSnapshot};
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::fmt::{self, Write};
use std::sync::Arc;

/// Text made safe for HTML content and quoted attribute values.
pub(super) struct Escaped<'a>(&'a str);

/// `text`, HTML-escaped when formatted.
pub(super) fn esc(text: &str) -> Escaped<'_> {
    Escaped(text)
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

/// What the query asks of the page.
#[derive(Default)]
struct View {
    /// A refusal carried back from a form (`?error=`).
    error: Option<String>,
    /// Reload every so many seconds (`?watch=N`, 1 to 3600), for a page left open
    /// while a test runs: live without JavaScript.
    watch: Option<u32>,
}

impl View {
    fn from_query(query: Option<&str>) -> View {
        let mut view = View::default();
        for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match &*key {
                "error" => view.error = Some(value.into_owned()),
                "watch" => view.watch = value.parse().ok().filter(|s| (1..=3600).contains(s)),
                _ => {}
            }
        }
        view
    }
}

/// `GET /`: the page.
pub(super) async fn page(State(engine): State<Arc<Engine>>, RawQuery(query): RawQuery) -> Response {
    let view = View::from_query(query.as_deref());
    let mut html = String::with_capacity(16 * 1024);
    // Writing into a String cannot fail.
    let _ = render(&mut html, &engine, &view);
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

fn render(out: &mut String, engine: &Engine, view: &View) -> fmt::Result {
    let cards: Vec<CardSnapshot> = engine.world.card_snapshots();
    let codes: Vec<CodeSnapshot> = engine.world.code_snapshots();
    out.write_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")?;
    if let Some(seconds) = view.watch {
        write!(out, "<meta http-equiv=\"refresh\" content=\"{seconds}\">")?;
    }
    write!(
        out,
        "<title>wechat-card sandbox</title><style>{STYLE}</style></head><body>\
         <h1>wechat-card sandbox</h1>"
    )?;
    match view.watch {
        Some(seconds) => write!(
            out,
            "<p id=\"watch\">Reloading every {seconds} s. <a href=\"/\">Stop</a></p>"
        )?,
        None => out.write_str(
            "<p id=\"watch\">Reload to see changes, or <a href=\"/?watch=2\">watch</a> \
             (reloads every 2 s).</p>",
        )?,
    }
    if let Some(error) = &view.error {
        write!(out, "<p class=\"error\" id=\"error\">{}</p>", esc(error))?;
    }
    sections::clock(out, engine)?;
    cards::cards(out, &cards)?;
    forms::forms(out, &cards, &codes)?;
    sections::users(out, &cards, &codes)?;
    sections::codes(out, &cards, &codes)?;
    sections::invoices(out, &engine.world.invoice_snapshots())?;
    sections::pushes(out, engine)?;
    sections::faults(out, engine)?;
    out.write_str("</body></html>")
}

/// The title of `card_id`, for tables that name cards.
fn title_of<'c>(cards: &'c [CardSnapshot], card_id: &str) -> &'c str {
    cards
        .iter()
        .find(|c| c.card_id == card_id)
        .and_then(|c| c.base_info.title.as_deref())
        .unwrap_or("")
}

/// A Unix-seconds instant as China (UTC+8) local time.
fn china_time(unix: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(crate::validate::CHINA);
    format!(
        "{} {:02}:{:02}:{:02}",
        at.date(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

const STYLE: &str = "\
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#f4f4f4}\
section{margin-bottom:2em}h2{border-bottom:1px solid #ccc}\
.cards{display:flex;flex-wrap:wrap;gap:1em}\
.card{width:20em;border-radius:10px;color:#fff;padding:1em;box-shadow:0 2px 6px #0004}\
.card .logo{width:48px;height:48px;border-radius:50%;background:#fff;vertical-align:middle}\
.card .brand{display:inline-block;margin-left:.5em;vertical-align:middle}\
.card .title{font-size:1.4em;margin:.6em 0 .2em}.card .meta{font-size:.8em;opacity:.9}\
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}\
form{display:inline-block;background:#fff;border:1px solid #ccc;padding:.5em;margin:0 .5em .5em 0}\
.error{background:#fdd;border:1px solid #c66;padding:.5em}";

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escaping_leaves_no_markup() {
        let escaped = esc(r#"<script>alert("x & 'y'")</script>"#).to_string();
        assert_eq!(
            escaped,
            "&lt;script&gt;alert(&quot;x &amp; &#39;y&#39;&quot;)&lt;/script&gt;"
        );
        assert_eq!(esc("微信餐厅").to_string(), "微信餐厅");
    }
}
