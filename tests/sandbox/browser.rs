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

/// The state the test makes: an approved card with Alice's code, a card in review,
/// and a fault plan.
struct Scene {
    sandbox: Sandbox,
    live: String,
    pending: String,
    alice: String,
}

impl Scene {
    fn new() -> Scene {
        let sandbox = Sandbox::builder().review(None).start_blocking().unwrap();
        let live = create(&sandbox, "Color010");
        sandbox.approve(&live).unwrap();
        let alice = sandbox.user("oAlice").claim(&live).unwrap();
        let pending = create(&sandbox, "Color090");
        // A fault that nothing below triggers, for the faults table.
        let plan = FaultPlan::new(Fault::ErrCode(45009)).endpoint("card.batch_get");
        sandbox.faults().add(plan);
        Scene {
            sandbox,
            live,
            pending,
            alice,
        }
    }
}

/// A discount card of colour `color`; its id.
fn create(sandbox: &Sandbox, color: &str) -> String {
    let mut request = discount_card(100);
    let discount = request.card.discount.as_mut().unwrap();
    discount.base_info.as_mut().unwrap().color = Some(color.into());
    let client = sandbox.blocking_client().unwrap();
    client.card().create(&request).unwrap().card_id.unwrap()
}

/// JavaScript for a card's face on the page.
fn face(id: &str) -> String {
    format!("document.getElementById('card-{id}')")
}

/// JavaScript for the review state on a card's face.
fn status(id: &str) -> String {
    format!("{}.querySelector('.status').textContent", face(id))
}

/// JavaScript for the text of the element with id `id`.
fn text(id: &str) -> String {
    format!("document.getElementById('{id}').innerText")
}

#[test]
fn the_console_renders_the_state_and_its_forms_change_it_in_a_browser() {
    let scene = Scene::new();
    let mut page = Chromium::start(WIDTH, 900);
    page.open(&format!("{}/", scene.sandbox.url()));
    renders_the_state(&mut page, &scene);
    screenshot_for_the_docs(&mut page);
    forms_change_the_state(&mut page, &scene);

    // Watched, the page follows what happens elsewhere without being touched.
    page.open(&format!("{}/?watch=1", scene.sandbox.url()));
    let created_elsewhere = create(&scene.sandbox, "Color050");
    page.wait_for(&format!("{} !== null", face(&created_elsewhere)));
}

/// Each card as a face in its colour (Color010 is #63b359, Color090 #dd6549), with
/// its review state; the user, the code, the clock, the fault.
fn renders_the_state(page: &mut Chromium, scene: &Scene) {
    let Scene {
        sandbox,
        live,
        pending,
        alice,
    } = scene;
    let background = |id: &str| format!("getComputedStyle({}).backgroundColor", face(id));
    assert_eq!(page.eval(&background(live)), json!("rgb(99, 179, 89)"));
    assert_eq!(page.eval(&background(pending)), json!("rgb(221, 101, 73)"));
    assert_eq!(page.eval(&status(live)), json!("CARD_STATUS_VERIFY_OK"));
    assert_eq!(page.eval(&status(pending)), json!("CARD_STATUS_NOT_VERIFY"));
    let title = page.eval(&format!(
        "{}.querySelector('.title').textContent",
        face(live)
    ));
    assert_eq!(title, json!("9折优惠券"));
    let shown = |page: &mut Chromium, id: &str, what: &str| {
        let text = page.eval(&text(id));
        assert!(
            text.as_str().unwrap().contains(what),
            "{what} not in {text}"
        );
    };
    shown(page, "users", "oAlice");
    shown(page, &format!("code-{alice}"), "NORMAL");
    shown(page, "clock", &sandbox.today().to_string());
    shown(page, "fault-1", "card.batch_get");
}

/// A PNG of the whole page: always into the test's scratch directory, and into
/// `$WECHAT_CARD_CONSOLE_SCREENSHOT` when set.
fn screenshot_for_the_docs(page: &mut Chromium) {
    let shot = page.screenshot();
    assert_eq!(&shot[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let size = |at: usize| u32::from_be_bytes(shot[at..at + 4].try_into().unwrap());
    // As wide as the window (less a scrollbar), as tall as the whole page.
    let width = size(16);
    assert!((WIDTH - 20..=WIDTH).contains(&width), "width {width}");
    let height = page.eval("document.documentElement.scrollHeight");
    assert_eq!(json!(size(20)), height, "the whole page's height");
    let scratch = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("console.png");
    std::fs::write(scratch, &shot).unwrap();
    if let Ok(path) = std::env::var("WECHAT_CARD_CONSOLE_SCREENSHOT") {
        std::fs::write(path, &shot).unwrap();
    }
}

/// Approve, claim, consume and advance the clock from the page; the page and the Rust
/// API see each change.
fn forms_change_the_state(page: &mut Chromium, scene: &Scene) {
    let Scene {
        sandbox,
        live,
        pending,
        alice,
    } = scene;
    submit(page, "approve", &[("card_id", pending)]);
    page.wait_for(&format!("{} === 'CARD_STATUS_VERIFY_OK'", status(pending)));
    let client = sandbox.blocking_client().unwrap();
    let card = client.card().get(&CardGetRequest::new(pending)).unwrap();
    let base = card.card.unwrap().discount.unwrap().base_info.unwrap();
    assert_eq!(base.status, Some(CardStatus::VerifyOk));

    submit(
        page,
        "claim",
        &[("openid", "oBrowser"), ("card_id", pending)],
    );
    page.wait_for(&format!("{}.includes('oBrowser')", text("users")));
    let stock = Stock {
        remaining: 99,
        claimed: 1,
        consumed: 0,
    };
    assert_eq!(sandbox.stock(pending), Some(stock));

    submit(page, "consume", &[("code", alice)]);
    page.wait_for(&format!(
        "{}.includes('CONSUMED')",
        text(&format!("code-{alice}"))
    ));
    assert_eq!(sandbox.stock(live).unwrap().consumed, 1);

    let before = sandbox.today();
    submit(page, "advance_clock", &[("seconds", "86400")]);
    let tomorrow = before + Duration::from_secs(86_400);
    page.wait_for(&format!("{}.includes('{tomorrow}')", text("clock")));
    assert_eq!(sandbox.today(), tomorrow);
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
