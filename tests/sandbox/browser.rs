//! The console in a real browser (headless Chromium, see `support/chromium.rs`): the
//! page renders the state the test made — card faces in their colours, review states,
//! users, codes, the clock — and its forms, submitted from the page, change the state,
//! as the Rust API sees it; watched (`/?watch=1`), it follows changes made elsewhere. It also takes the screenshot for the docs: always into
//! the test's scratch directory, and into `$WECHAT_CARD_CONSOLE_SCREENSHOT` when set
//! (`docs/console.png` is made that way).

use super::cards::discount_card;
use super::chromium::Chromium;
use serde_json::json;
use std::time::Duration;
use wechat_card::card::CardGetRequest;
use wechat_card::sandbox::{Fault, FaultPlan, Sandbox, Stock};
use wechat_card::types::CardStatus;

/// The page's width: the docs' screenshot is this wide.
const WIDTH: u32 = 1280;

#[test]
fn the_console_renders_the_state_and_its_forms_change_it_in_a_browser() {
    let sandbox = Sandbox::builder().review(None).start_blocking().unwrap();
    let client = sandbox.blocking_client().unwrap();
    let create = |color: &str| {
        let mut request = discount_card(100);
        let discount = request.card.discount.as_mut().unwrap();
        discount.base_info.as_mut().unwrap().color = Some(color.into());
        client.card().create(&request).unwrap().card_id.unwrap()
    };
    let live = create("Color010");
    sandbox.approve(&live).unwrap();
    let alice = sandbox.user("oAlice").claim(&live).unwrap();
    let pending = create("Color090");
    // A fault that nothing below triggers, for the faults table.
    let plan = FaultPlan::new(Fault::ErrCode(45009)).endpoint("card.batch_get");
    sandbox.faults().add(plan);

    let mut page = Chromium::start(WIDTH, 900);
    page.open(&format!("{}/", sandbox.url()));

    // Rendered: each card as a face in its colour (Color010 is #63b359, Color090
    // #dd6549), with its review state; the user, the code, the clock, the fault.
    let face = |id: &str| format!("document.getElementById('card-{id}')");
    let background = |id: &str| format!("getComputedStyle({}).backgroundColor", face(id));
    assert_eq!(page.eval(&background(&live)), json!("rgb(99, 179, 89)"));
    assert_eq!(page.eval(&background(&pending)), json!("rgb(221, 101, 73)"));
    let status = |id: &str| format!("{}.querySelector('.status').textContent", face(id));
    assert_eq!(page.eval(&status(&live)), json!("CARD_STATUS_VERIFY_OK"));
    assert_eq!(
        page.eval(&status(&pending)),
        json!("CARD_STATUS_NOT_VERIFY")
    );
    let title = page.eval(&format!(
        "{}.querySelector('.title').textContent",
        face(&live)
    ));
    assert_eq!(title, json!("9折优惠券"));
    let users = page.eval("document.getElementById('users').innerText");
    assert!(users.as_str().unwrap().contains("oAlice"), "{users}");
    let row = page.eval(&format!(
        "document.getElementById('code-{alice}').innerText"
    ));
    assert!(row.as_str().unwrap().contains("NORMAL"), "{row}");
    let clock = page.eval("document.getElementById('clock').innerText");
    let today = sandbox.today().to_string();
    assert!(
        clock.as_str().unwrap().contains(&today),
        "{clock} on {today}"
    );
    let fault = page.eval("document.getElementById('fault-1').innerText");
    assert!(
        fault.as_str().unwrap().contains("card.batch_get"),
        "{fault}"
    );

    let shot = page.screenshot();
    assert_eq!(&shot[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let size = |at: usize| u32::from_be_bytes(shot[at..at + 4].try_into().unwrap());
    // As wide as the window (less a scrollbar), as tall as the whole page.
    assert!(
        (WIDTH - 20..=WIDTH).contains(&size(16)),
        "width {}",
        size(16)
    );
    let height = page.eval("document.documentElement.scrollHeight");
    assert_eq!(json!(size(20)), height, "the whole page's height");
    std::fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("console.png"),
        &shot,
    )
    .unwrap();
    if let Ok(path) = std::env::var("WECHAT_CARD_CONSOLE_SCREENSHOT") {
        std::fs::write(path, &shot).unwrap();
    }

    // Approve, from the page: the page and the API see the verdict.
    submit(&mut page, "approve", &[("card_id", &pending)]);
    page.wait_for(&format!("{} === 'CARD_STATUS_VERIFY_OK'", status(&pending)));
    let card = client.card().get(&CardGetRequest::new(&pending)).unwrap();
    let base = card.card.unwrap().discount.unwrap().base_info.unwrap();
    assert_eq!(base.status, Some(CardStatus::VerifyOk));

    // Claim as a user, from the page.
    submit(
        &mut page,
        "claim",
        &[("openid", "oBrowser"), ("card_id", &pending)],
    );
    page.wait_for("document.getElementById('users').innerText.includes('oBrowser')");
    let stock = Stock {
        remaining: 99,
        claimed: 1,
        consumed: 0,
    };
    assert_eq!(sandbox.stock(&pending), Some(stock));

    // Consume Alice's code, from the page.
    submit(&mut page, "consume", &[("code", &alice)]);
    page.wait_for(&format!(
        "document.getElementById('code-{alice}').innerText.includes('CONSUMED')"
    ));
    assert_eq!(sandbox.stock(&live).unwrap().consumed, 1);

    // Advance the clock a day, from the page.
    let before = sandbox.today();
    submit(&mut page, "advance_clock", &[("seconds", "86400")]);
    let tomorrow = before + Duration::from_secs(86_400);
    page.wait_for(&format!(
        "document.getElementById('clock').innerText.includes('{tomorrow}')"
    ));
    assert_eq!(sandbox.today(), tomorrow);

    // Watched, the page follows what happens elsewhere without being touched.
    page.open(&format!("{}/?watch=1", sandbox.url()));
    let created_elsewhere = create("Color050");
    page.wait_for(&format!("{} !== null", face(&created_elsewhere)));
}

/// Fills the page's form for `action` with `fields` and submits it as a user would
/// (its submit button, so the browser's own form handling runs).
fn submit(page: &mut Chromium, action: &str, fields: &[(&str, &str)]) {
    let fill: String = fields
        .iter()
        .map(|(name, value)| format!("form.elements[{}].value = {};", json!(name), json!(value)))
        .collect();
    let script = format!(
        "(() => {{ const form = document.querySelector('form[action=\"/console/{action}\"]'); \
         {fill} form.querySelector('button').click(); return true; }})()"
    );
    assert_eq!(page.eval(&script), json!(true), "{action}");
}
