//! The cards, each drawn like the face WeChat shows in a card pack: its colour,
//! logo, brand and title, validity, and what only the sandbox knows beside it —
//! review state and stock.

use super::{china_time, esc};
use crate::sandbox::world::{COLORS, CardSnapshot};
use crate::types::{DateInfo, DateType};
use std::fmt::{self, Write};

/// A transparent pixel, in place of a logo that does not load.
const BLANK: &str =
    "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

/// A colour name WeChat does not offer is drawn grey (its name still shows).
const UNKNOWN_COLOR: &str = "#999999";

pub(super) fn cards(out: &mut String, cards: &[CardSnapshot]) -> fmt::Result {
    write!(
        out,
        "<section id=\"cards\"><h2>Cards ({})</h2>",
        cards.len()
    )?;
    if cards.is_empty() {
        out.write_str("<p>No card yet: card/create makes one.</p>")?;
    }
    out.write_str("<div class=\"cards\">")?;
    for card in cards {
        face(out, card)?;
    }
    out.write_str("</div></section>")
}

fn face(out: &mut String, card: &CardSnapshot) -> fmt::Result {
    let base = &card.base_info;
    let color_name = text(&base.color);
    let color = COLORS
        .iter()
        .find(|(name, _)| *name == color_name)
        .map_or(UNKNOWN_COLOR, |(_, value)| value);
    write!(
        out,
        "<div class=\"card\" id=\"card-{id}\" data-color=\"{name}\" style=\"background:{color}\">",
        id = esc(&card.card_id),
        name = esc(color_name),
    )?;
    let logo = text(&base.logo_url);
    // Only web images: a logo_url is whatever the creator sent. One that does not load
    // (WeChat's image host seen from an offline machine) leaves the blank disc.
    if logo.starts_with("http://") || logo.starts_with("https://") {
        write!(
            out,
            "<img class=\"logo\" src=\"{}\" alt=\"\" onerror=\"this.onerror=null;this.src='{BLANK}'\">",
            esc(logo)
        )?;
    }
    write!(
        out,
        "<span class=\"brand\">{}</span><div class=\"title\">{}</div>",
        esc(text(&base.brand_name)),
        esc(text(&base.title)),
    )?;
    if !text(&base.sub_title).is_empty() {
        write!(
            out,
            "<div class=\"sub\">{}</div>",
            esc(text(&base.sub_title))
        )?;
    }
    write!(
        out,
        "<div class=\"validity\">{}</div>",
        esc(&validity(base.date_info.as_deref()))
    )?;
    write!(
        out,
        "<div class=\"meta\">{kind} · {color_name} {color}<br><code>{id}</code><br>\
         <span class=\"status\">{status}</span><br>\
         <span class=\"stock\">stock: {remaining} remaining · {claimed} claimed · {consumed} consumed</span></div></div>",
        kind = esc(card.card_type.as_str()),
        color_name = esc(color_name),
        id = esc(&card.card_id),
        status = esc(card.status.as_str()),
        remaining = card.remaining,
        claimed = card.claimed,
        consumed = card.consumed,
    )
}

/// A text field of the card, empty if not set.
fn text(field: &Option<String>) -> &str {
    field.as_deref().unwrap_or("")
}

/// When codes of the card are valid, from its `date_info`, in words.
fn validity(date: Option<&DateInfo>) -> String {
    let Some(date) = date else {
        return "validity ".to_owned();
    };
    match &date.r#type {
        Some(DateType::FixTimeRange) => format!(
            "valid {} to {}",
            date.begin_timestamp.map_or("?".into(), china_time),
            date.end_timestamp.map_or("?".into(), china_time),
        ),
        Some(DateType::FixTerm) => {
            let term = match date.fixed_term.unwrap_or(0) {
                0 => "the rest of the day".to_owned(),
                days => format!("{days} days"),
            };
            let begin = match date.fixed_begin_term.unwrap_or(0) {
                0 => "from the claim".to_owned(),
                days => format!("from {days} days after the claim"),
            };
            let common_end = date
                .end_timestamp
                .map(|end| format!(", at the latest {}", china_time(end)))
                .unwrap_or_default();
            format!("valid for {term} {begin}{common_end}")
        }
        Some(DateType::Permanent) => "valid permanently".to_owned(),
        other => format!("validity {}", other.as_ref().map_or("", |t| t.as_str())),
    }
}
