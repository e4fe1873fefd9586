//! The console at `/` as a browser sees it: plain HTTP, HTML and form posts. The page
//! shows the cards, users, codes, push log, clock and faults; its forms change the
//! state (seen on the page and through the Rust API); and what users typed is escaped.

use super::cards::discount_card;
use super::net::free_port;
use std::time::{Duration, Instant};
use wechat_card::card::{CardCreateRequest, CardGetRequest};
use wechat_card::sandbox::{Fault, FaultPlan, PushTarget, Sandbox, Stock};
use wechat_card::ticket::TicketBoardingPassCheckinRequest;
use wechat_card::types::{
    BaseInfo, BoardingPassCard, Card, CardStatus, CardType, CodeType, DateInfo, DateType,
    DiscountCard, Sku,
};

/// A browser that does not follow redirects, so the form replies can be checked.
struct Browser {
    agent: ureq::Agent,
    base: String,
}

impl Browser {
    fn new(sandbox: &Sandbox) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        Browser {
            agent,
            base: sandbox.url(),
        }
    }

    /// `GET path`: the HTML.
    fn page(&self, path: &str) -> String {
        let mut reply = self
            .agent
            .get(&format!("{}{path}", self.base))
            .call()
            .unwrap();
        assert_eq!(reply.status(), 200);
        let content_type = reply.headers()["content-type"].to_str().unwrap();
        assert!(content_type.starts_with("text/html"), "{content_type}");
        reply.body_mut().read_to_string().unwrap()
    }

    /// Posts a form to `/console/<action>`: the status and the `Location` header.
    fn post(&self, action: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let mut reply = self
            .agent
            .post(&format!("{}/console/{action}", self.base))
            .send_form(fields.iter().copied())
            .unwrap();
        let location = reply
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let status = reply.status().as_u16();
        let _ = reply.body_mut().read_to_string();
        (status, location)
    }

    /// Posts a form the sandbox must accept: a 303 back to `/`.
    fn submit(&self, action: &str, fields: &[(&str, &str)]) {
        assert_eq!(self.post(action, fields), (303, "/".to_owned()), "{action}");
    }
}

/// A coupon with a title and brand name of the creator's choosing.
fn coupon(brand: &str, title: &str) -> CardCreateRequest {
    let base = BaseInfo::new(
        "http://mmbiz.qpic.cn/logo.png",
        CodeType::Qrcode,
        brand,
        title,
        "Color090",
        "到店使用",
        "凭此券到店消费",
        DateInfo::new(DateType::FixTerm)
            .fixed_term(0)
            .fixed_begin_term(0),
        Sku::new(5),
    );
    CardCreateRequest::new(Card::new(CardType::Discount).discount(DiscountCard::new(base, 10)))
}

#[test]
fn the_console_shows_the_state_and_its_forms_change_it() {
    let sandbox = Sandbox::builder().review(None).start_blocking().unwrap();
    let client = sandbox.blocking_client().unwrap();
    let browser = Browser::new(&sandbox);
    // Pushes go to a port nobody listens on: each fails at once and is logged.
    let dead = format!("http://127.0.0.1:{}/wechat", free_port());
    let target = PushTarget::plain(dead, "token")
        .retries(0)
        .timeout(Duration::from_secs(1));
    sandbox.push_events_to(target).unwrap();
    let card_id = client
        .card()
        .create(&discount_card(100))
        .unwrap()
        .card_id
        .unwrap();

    a_new_card_shows_as_its_face(&browser, &card_id);

    // Review waits for a verdict: the approve form gives it.
    browser.submit("approve", &[("card_id", &card_id)]);
    assert!(browser.page("/").contains("CARD_STATUS_VERIFY_OK"));
    let card = client.card().get(&CardGetRequest::new(&card_id)).unwrap();
    let discount = card.card.unwrap().discount.unwrap();
    assert_eq!(
        discount.base_info.unwrap().status,
        Some(CardStatus::VerifyOk)
    );

    // One user claims through the Rust API, another through the form.
    let alice = sandbox.user("oAlice").claim(&card_id).unwrap();
    browser.submit("claim", &[("openid", "oBob"), ("card_id", &card_id)]);
    let stock = Stock {
        remaining: 98,
        claimed: 2,
        consumed: 0,
    };
    assert_eq!(sandbox.stock(&card_id), Some(stock));

    browser.submit("consume", &[("code", &alice)]);
    assert_eq!(sandbox.stock(&card_id).unwrap().consumed, 1);
    let page = browser.page("/");
    assert!(page.contains("stock: 98 remaining · 2 claimed · 1 consumed"));
    assert!(page.contains("<code class=\"openid\">oAlice</code>"));
    assert!(page.contains("<code class=\"openid\">oBob</code>"));
    let alice_row = format!("<tr id=\"code-{alice}\">");
    let row = &page[page.find(&alice_row).expect("Alice's code")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("oAlice") && row.contains("CONSUMED"), "{row}");

    // A refusal comes back on the page; a form missing a field is a 400.
    let (status, location) = browser.post("consume", &[("code", &alice)]);
    assert_eq!(status, 303);
    assert!(location.starts_with("/?error="), "{location}");
    assert!(browser.page(&location).contains("class=\"error\""));
    assert_eq!(browser.post("claim", &[("card_id", &card_id)]).0, 400);
    assert_eq!(browser.post("no_such_action", &[]).0, 400);

    a_fault_shows_how_often_it_fired(&sandbox, &client, &browser, &card_id);

    // The clock moves a day.
    let today = sandbox.today();
    browser.submit("advance_clock", &[("seconds", "86400")]);
    assert_eq!(sandbox.today(), today.next_day().unwrap());
    let tomorrow = format!("<b id=\"today\">{}</b>", sandbox.today());
    assert!(browser.page("/").contains(&tomorrow));

    pushes_are_shown_not_taken(&sandbox, &browser);
}

/// The card as created: its face, its review state, its stock.
fn a_new_card_shows_as_its_face(browser: &Browser, card_id: &str) {
    let page = browser.page("/");
    for shown in [
        "9折优惠券",
        "微信餐厅",
        "Color010",
        "#63b359",
        "http://mmbiz.qpic.cn/logo.png",
    ] {
        assert!(page.contains(shown), "{shown} missing");
    }
    assert!(page.contains(&format!("id=\"card-{card_id}\"")));
    assert!(page.contains("CARD_STATUS_NOT_VERIFY"));
    assert!(page.contains("valid for 30 days from the claim"));
    assert!(page.contains("stock: 100 remaining · 0 claimed · 0 consumed"));
}

/// An injected fault, and how often it fired.
fn a_fault_shows_how_often_it_fired(
    sandbox: &Sandbox,
    client: &wechat_card::blocking::Client,
    browser: &Browser,
    card_id: &str,
) {
    let plan = FaultPlan::new(Fault::ErrCode(45009))
        .endpoint("card.get")
        .times(1);
    sandbox.faults().add(plan);
    assert!(client.card().get(&CardGetRequest::new(card_id)).is_err());
    let page = browser.page("/");
    let row = &page[page.find("<tr id=\"fault-1\">").expect("the fault")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("card.get") && row.contains("errcode=45009"),
        "{row}"
    );
    assert!(row.contains("<td class=\"fired\">1</td>"), "{row}");
}

/// The push log shows each delivery as recorded, and leaves it to the next flush.
fn pushes_are_shown_not_taken(sandbox: &Sandbox, browser: &Browser) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let page = loop {
        let page = browser.page("/");
        if page.contains(" 0 queued;") || Instant::now() > deadline {
            break page;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Approved, claimed twice, consumed once.
    for event in ["card_pass_check", "user_get_card", "user_consume_card"] {
        assert!(
            page.contains(&format!("<td>{event}</td>")),
            "{event} missing"
        );
    }
    assert!(page.contains("<code>oAlice</code>"));
    let deliveries = sandbox.flush_pushes_blocking();
    assert_eq!(deliveries.len(), 4);
    assert!(deliveries.iter().all(|d| !d.delivered() && d.attempts == 1));
    assert!(
        browser
            .page("/")
            .contains("0 delivered or given up on since the last flush")
    );
}

#[test]
fn what_users_typed_is_escaped() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let client = sandbox.blocking_client().unwrap();
    let request = coupon("Tom & Jerry's", "<script>alert(1)</script>");
    let card_id = client.card().create(&request).unwrap().card_id.unwrap();
    sandbox.user("o<b>bold</b>").claim(&card_id).unwrap();

    let page = Browser::new(&sandbox).page("/");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("<script>"));
    assert!(page.contains("Tom &amp; Jerry&#39;s"));
    assert!(page.contains("o&lt;b&gt;bold&lt;/b&gt;"));
    assert!(!page.contains("<b>bold"));
    // Color090, from the colour table of basic/getcolors.
    assert!(page.contains("background:#dd6549"));
}

/// What the merchant set on a special ticket shows beside its code; a code of another
/// card type is refused.
#[test]
fn a_boarding_pass_shows_what_the_airline_set() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let client = sandbox.blocking_client().unwrap();
    let base = BaseInfo::new(
        "http://mmbiz.qpic.cn/logo.png",
        CodeType::Qrcode,
        "沙盒航空",
        "登机牌",
        "Color010",
        "请准时登机",
        "凭此登机牌登机",
        DateInfo::new(DateType::FixTerm)
            .fixed_term(1)
            .fixed_begin_term(0),
        Sku::new(10),
    );
    let pass = BoardingPassCard::new(
        base,
        "广州",
        "成都",
        "CE123",
        1_800_000_000,
        1_800_007_200,
        "空客A320",
    );
    let request = CardCreateRequest::new(Card::new(CardType::BoardingPass).boarding_pass(pass));
    let card_id = client.card().create(&request).unwrap().card_id.unwrap();
    sandbox.approve(&card_id).unwrap();
    let code = sandbox.user("oTraveller").claim(&card_id).unwrap();

    let checkin = TicketBoardingPassCheckinRequest::new(&code, "张三", "经济舱", "0231234567")
        .seat("21A")
        .gate("B12");
    client.ticket().boarding_pass_checkin(&checkin).unwrap();
    let page = Browser::new(&sandbox).page("/");
    let row = &page[page
        .find(&format!("<tr id=\"code-{code}\">"))
        .expect("the code")..];
    let row = &row[..row.find("</tr>").unwrap()];
    for shown in ["seat: &quot;21A&quot;", "gate: &quot;B12&quot;", "张三"] {
        assert!(row.contains(shown), "{shown} missing from {row}");
    }

    let discount = client
        .card()
        .create(&discount_card(10))
        .unwrap()
        .card_id
        .unwrap();
    sandbox.approve(&discount).unwrap();
    let other = sandbox.user("oTraveller").claim(&discount).unwrap();
    let refused = client
        .ticket()
        .boarding_pass_checkin(&TicketBoardingPassCheckinRequest::new(
            &other,
            "张三",
            "经济舱",
            "0231234567",
        ));
    let err = refused.expect_err("not a boarding pass");
    assert_eq!(
        err.errcode(),
        Some(wechat_card::ErrCode::InvalidCardType),
        "{err}"
    );
}
