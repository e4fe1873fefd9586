//! The state beside the cards: the clock, users and their card packs, every code,
//! the event-push log and the fault plans.

use super::{china_time, esc, title_of};
use crate::sandbox::Engine;
use crate::sandbox::faults::json::report_to_json;
use crate::sandbox::world::{CardSnapshot, CodeSnapshot, InvoiceSnapshot};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::{self, Write};

pub(super) fn clock(out: &mut String, engine: &Engine) -> fmt::Result {
    let clock = &engine.context.clock;
    let now_ms = clock.now_ms();
    write!(
        out,
        "<section id=\"clock\"><h2>Clock</h2><p>Sandbox time <b>{time}</b> (China), \
         Unix {unix}; China date <b id=\"today\">{today}</b>.</p></section>",
        time = china_time((now_ms / 1000) as i64),
        unix = now_ms / 1000,
        today = clock.china_today(),
    )
}

/// Each user and the codes they hold or held (a card pack).
pub(super) fn users(
    out: &mut String,
    cards: &[CardSnapshot],
    codes: &[CodeSnapshot],
) -> fmt::Result {
    let mut packs: BTreeMap<&str, Vec<&CodeSnapshot>> = BTreeMap::new();
    for code in codes {
        packs.entry(&code.openid).or_default().push(code);
    }
    write!(
        out,
        "<section id=\"users\"><h2>Users ({})</h2>",
        packs.len()
    )?;
    if packs.is_empty() {
        out.write_str("<p>No user holds a card yet.</p>")?;
    }
    out.write_str("<ul>")?;
    for (openid, pack) in packs {
        write!(out, "<li><code class=\"openid\">{}</code>: ", esc(openid))?;
        for (i, code) in pack.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(
                out,
                "{sep}{title} (<code>{code}</code> {status})",
                title = esc(title_of(cards, &code.card_id)),
                code = esc(&code.code),
                status = esc(code.status.as_str()),
            )?;
        }
        out.write_str("</li>")?;
    }
    out.write_str("</ul></section>")
}

/// Every code ever given out and its status now.
pub(super) fn codes(
    out: &mut String,
    cards: &[CardSnapshot],
    codes: &[CodeSnapshot],
) -> fmt::Result {
    write!(
        out,
        "<section id=\"codes\"><h2>Codes ({})</h2><table><tr><th>code</th><th>card</th>\
         <th>openid</th><th>status</th><th>claimed</th><th>set by the merchant</th></tr>",
        codes.len()
    )?;
    for code in codes {
        write!(
            out,
            "<tr id=\"code-{code}\"><td><code>{code}</code></td><td>{title} <code>{card_id}</code></td>\
             <td><code>{openid}</code></td><td class=\"status\">{status}</td><td>{claimed}</td>\
             <td class=\"details\">{details}</td></tr>",
            code = esc(&code.code),
            title = esc(title_of(cards, &code.card_id)),
            card_id = esc(&code.card_id),
            openid = esc(&code.openid),
            status = esc(code.status.as_str()),
            claimed = china_time((code.claimed_ms / 1000) as i64),
            details = esc(code.details.as_deref().unwrap_or("")),
        )?;
    }
    out.write_str("</table></section>")
}

/// Every electronic invoice in a card package (电子发票) and its reimbursement status.
pub(super) fn invoices(out: &mut String, invoices: &[InvoiceSnapshot]) -> fmt::Result {
    write!(
        out,
        "<section id=\"invoices\"><h2>Invoices ({})</h2>",
        invoices.len()
    )?;
    if invoices.is_empty() {
        return out.write_str("<p>No invoice in a card package yet.</p></section>");
    }
    out.write_str(
        "<table><tr><th>code</th><th>card</th><th>openid</th><th>title</th><th>payee</th>\
         <th>fee (yuan)</th><th>status</th></tr>",
    )?;
    for invoice in invoices {
        write!(
            out,
            "<tr id=\"invoice-{code}\"><td><code>{code}</code></td><td><code>{card_id}</code></td>\
             <td><code>{openid}</code></td><td>{title}</td><td>{payee}</td><td>{fee}</td>\
             <td class=\"status\">{status}</td></tr>",
            code = esc(&invoice.code),
            card_id = esc(&invoice.card_id),
            openid = esc(&invoice.openid),
            title = esc(&invoice.title),
            payee = esc(&invoice.payee),
            fee = yuan(invoice.fee),
            status = esc(invoice.status.as_str()),
        )?;
    }
    out.write_str("</table></section>")
}

/// An amount in fen, written in yuan (any i64, negatives and i64::MIN included).
fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// The deliveries recorded since the last flush, as they stand (the page never
/// waits for pending ones, nor takes them from the next flush).
pub(super) fn pushes(out: &mut String, engine: &Engine) -> fmt::Result {
    let outbox = engine.outbox();
    let (pending, deliveries) = outbox.recorded();
    let target = if outbox.target().is_some() {
        "on"
    } else {
        "off"
    };
    write!(
        out,
        "<section id=\"pushes\"><h2>Event pushes</h2><p>Pushing {target}; {pending} queued; \
         {done} delivered or given up on since the last flush.</p>\
         <table><tr><th>event</th><th>from</th><th>CreateTime</th><th>attempts</th>\
         <th>HTTP status</th><th>outcome</th></tr>",
        done = deliveries.len(),
    )?;
    for delivery in &deliveries {
        let (event, from, created) = match delivery.event.envelope() {
            Some(e) => (e.event.as_str(), e.from_user_name.as_str(), e.create_time),
            None => ("?", "?", 0),
        };
        let status = delivery.status.map(|s| s.to_string()).unwrap_or_default();
        let outcome = delivery.error.as_deref().unwrap_or("delivered");
        write!(
            out,
            "<tr><td>{event}</td><td><code>{from}</code></td><td>{created}</td>\
             <td>{attempts}</td><td>{status}</td><td>{outcome}</td></tr>",
            event = esc(event),
            from = esc(from),
            created = china_time(created),
            attempts = delivery.attempts,
            outcome = esc(outcome),
        )?;
    }
    out.write_str("</table></section>")
}

/// The fault plans, the keys `/sandbox/fault` took, and how often each fired.
pub(super) fn faults(out: &mut String, engine: &Engine) -> fmt::Result {
    let plans = engine.context.faults.plans();
    write!(
        out,
        "<section id=\"faults\"><h2>Faults ({})</h2><table><tr><th>id</th><th>endpoint</th>\
         <th>fault</th><th>fired</th></tr>",
        plans.len()
    )?;
    for report in &plans {
        let Value::Object(mut keys) = report_to_json(report) else {
            continue;
        };
        // Shown in their own columns, or not at all when unset.
        for shown in ["id", "fired", "endpoint"] {
            keys.remove(shown);
        }
        keys.retain(|_, v| !v.is_null());
        let fault: Vec<String> = keys
            .iter()
            .map(|(key, value)| match value {
                Value::String(s) => format!("{key}={s}"),
                other => format!("{key}={other}"),
            })
            .collect();
        write!(
            out,
            "<tr id=\"fault-{id}\"><td>{id}</td><td><code>{endpoint}</code></td><td>{fault}</td>\
             <td class=\"fired\">{fired}</td></tr>",
            id = report.id,
            endpoint = esc(&report.plan.endpoint),
            fault = esc(&fault.join(" ")),
            fired = report.fired,
        )?;
    }
    out.write_str("</table></section>")
}

#[cfg(test)]
mod invoice_tests {
    use super::yuan;

    #[test]
    fn fen_are_written_in_yuan_whatever_the_number() {
        assert_eq!(yuan(15_900), "159.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(-1_234), "-12.34");
        assert_eq!(yuan(i64::MAX), "92233720368547758.07");
        assert_eq!(yuan(i64::MIN), "-92233720368547758.08");
    }
}
