//! The control API as another language drives it: plain HTTP and JSON, no type of the
//! crate's clients. A coupon's whole life on the standalone server, a member card's
//! activation form, the two tickets of `getticket`, and the strict reading of bodies.

use super::binary_server::SandboxBinary;
use super::net::{Http, free_port};
use serde_json::{Value, json};
use wechat_card::sandbox::Sandbox;

/// The standalone server, killed when dropped (even by a failed assertion).
/// `wechat-card-sandbox --manual-review` on a free port, once it says it listens.
fn start_server() -> (SandboxBinary, Http) {
    let port = free_port();
    let server = SandboxBinary::start(&["--port", &port.to_string(), "--manual-review"]);
    let first = &server.banner;
    assert!(first.contains("listening"), "{first}");
    (server, Http::new(format!("http://127.0.0.1:{port}")))
}

/// A discount card, as a Python or Node test would write it.
fn discount_card() -> Value {
    json!({"card": {"card_type": "DISCOUNT", "discount": {
        "base_info": {
            "logo_url": "http://mmbiz.qpic.cn/logo.png",
            "code_type": "CODE_TYPE_QRCODE",
            "brand_name": "微信餐厅",
            "title": "9折优惠券",
            "color": "Color010",
            "notice": "到店使用",
            "description": "凭此券到店消费享9折优惠",
            "date_info": {"type": "DATE_TYPE_FIX_TERM", "fixed_term": 30, "fixed_begin_term": 0},
            "sku": {"quantity": 10}
        },
        "discount": 10
    }}})
}

/// The access token, from the appid and secret the `credentials` action gives.
fn access_token(http: &Http) -> String {
    let (status, credentials) = http.get("/sandbox/credentials");
    assert_eq!(status, 200, "{credentials}");
    let (appid, secret) = (&credentials["appid"], &credentials["secret"]);
    let path = format!(
        "/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        appid.as_str().unwrap(),
        secret.as_str().unwrap()
    );
    let (_, token) = http.get(&path);
    token["access_token"].as_str().expect("a token").to_owned()
}

#[test]
fn a_coupons_life_over_plain_http() {
    let (_server, http) = start_server();
    let token = access_token(&http);
    let created = http.api("/card/create", &token, discount_card());
    let card_id = created["card_id"].as_str().expect("a card_id").to_owned();
    let status = |http: &Http| {
        let card = http.api("/card/get", &token, json!({"card_id": card_id}));
        card["card"]["discount"]["base_info"]["status"].clone()
    };
    assert_eq!(status(&http), "CARD_STATUS_NOT_VERIFY");
    let early = http.post_raw(
        "/sandbox/claim",
        &json!({"openid": "o_py", "card_id": card_id}).to_string(),
    );
    assert_ne!(early.1["errcode"], 0, "an unapproved card is not claimed");

    http.action("approve", json!({"card_id": card_id}));
    assert_eq!(status(&http), "CARD_STATUS_VERIFY_OK");
    let claimed = http.action("claim", json!({"openid": "o_py", "card_id": card_id}));
    let code = claimed["code"].as_str().expect("a code");

    let got = http.api(
        "/card/code/get",
        &token,
        json!({"code": code, "card_id": card_id}),
    );
    assert_eq!(
        (&got["user_card_status"], &got["openid"]),
        (&json!("NORMAL"), &json!("o_py"))
    );
    let consumed = http.api("/card/code/consume", &token, json!({"code": code}));
    assert_eq!(consumed["errcode"], 0, "{consumed}");
    let again = http.api("/card/code/consume", &token, json!({"code": code}));
    assert_eq!(again["errcode"], 40099, "consumed once: {again}");
    let got = http.api("/card/code/get", &token, json!({"code": code}));
    assert_eq!(got["user_card_status"], "CONSUMED", "{got}");
    let stock = http.action("stock", json!({"card_id": card_id}));
    assert_eq!(
        (&stock["remaining"], &stock["consumed"]),
        (&json!(9), &json!(1))
    );

    let (status, counters) = http.get("/sandbox/counters");
    assert_eq!(status, 200);
    assert_eq!(counters["token_requests"], 1, "{counters}");
    assert_eq!(counters["tokens_issued"], 1, "{counters}");
    let requests = &counters["requests"];
    assert_eq!(
        (
            &requests["card.create"],
            &requests["card.get"],
            &requests["code.get"],
            &requests["code.consume"]
        ),
        (&json!(1), &json!(2), &json!(2), &json!(2)),
        "{counters}"
    );
    assert_eq!(requests["token.get"], 1, "{counters}");
    assert_eq!(counters["faults_fired"], 0, "{counters}");
}

#[test]
fn a_member_fills_in_the_activation_form_over_http() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let http = Http::new(sandbox.url());
    let token = access_token(&http);
    let card = json!({"card": {"card_type": "MEMBER_CARD", "member_card": {
        "base_info": {
            "logo_url": "http://mmbiz.qpic.cn/logo.png",
            "code_type": "CODE_TYPE_TEXT",
            "brand_name": "微信餐厅",
            "title": "会员卡",
            "color": "Color010",
            "notice": "出示会员卡",
            "description": "会员到店消费享9折优惠",
            "date_info": {"type": "DATE_TYPE_PERMANENT"},
            "sku": {"quantity": 100}
        },
        "prerogative": "9折", "supply_bonus": false, "supply_balance": false
    }}});
    let created = http.api("/card/create", &token, card);
    let card_id = created["card_id"].as_str().expect("a card_id");
    http.action("claim", json!({"openid": "o_node", "card_id": card_id}));
    let form = http.action(
        "fill_activation_form",
        json!({"openid": "o_node", "card_id": card_id, "fields": [
            {"name": "USER_FORM_INFO_FLAG_MOBILE", "value": "13800000000"},
            {"name": "USER_FORM_INFO_FLAG_NAME", "value": "林"}
        ]}),
    );
    let ticket = form["activate_ticket"]
        .as_str()
        .expect("an activate_ticket");
    let info = http.api(
        "/card/membercard/activatetempinfo/get",
        &token,
        json!({"activate_ticket": ticket}),
    );
    assert_eq!(info["errcode"], 0, "{info}");
    let fields = &info["info"]["common_field_list"];
    assert_eq!(fields[0]["value"], "13800000000", "{info}");
    assert_eq!(fields[1]["name"], "USER_FORM_INFO_FLAG_NAME", "{info}");
}

#[test]
fn getticket_answers_each_type_with_its_own_ticket() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let http = Http::new(sandbox.url());
    let token = access_token(&http);
    let ticket = |kind: &str| {
        http.get(&format!(
            "/cgi-bin/ticket/getticket?access_token={token}{kind}"
        ))
        .1
    };
    let card = ticket("&type=wx_card");
    let jsapi = ticket("&type=jsapi");
    assert_eq!(
        (&card["errcode"], &jsapi["errcode"]),
        (&json!(0), &json!(0))
    );
    assert!(
        card["ticket"]
            .as_str()
            .unwrap()
            .starts_with("sandbox_card_ticket_")
    );
    assert!(
        jsapi["ticket"]
            .as_str()
            .unwrap()
            .starts_with("sandbox_jsapi_ticket_")
    );
    assert_eq!(jsapi["expires_in"], 7200);
    assert_eq!(ticket("&type=other")["errcode"], 40097);
    assert_eq!(ticket("")["errcode"], 40097);
    let untokened = http.get("/cgi-bin/ticket/getticket?type=jsapi").1;
    assert_eq!(untokened["errcode"], 41001, "the token is checked first");
}

/// One malformed request: the action, the body, and the status, error and field the
/// reply must carry (`None`: `"field": null`).
type Row = (
    &'static str,
    &'static str,
    u16,
    &'static str,
    Option<&'static str>,
);

const MALFORMED: &[Row] = &[
    (
        "advance_clock",
        r#"{"seconds": "60"}"#,
        400,
        "invalid_body",
        Some("seconds"),
    ),
    (
        "advance_clock",
        r#"{"seconds": -1}"#,
        400,
        "invalid_body",
        Some("seconds"),
    ),
    (
        "advance_clock",
        r#"{"seconds": 60"#,
        400,
        "invalid_body",
        None,
    ),
    ("advance_clock", "[60]", 400, "invalid_body", None),
    ("advance_clock", "{}", 400, "invalid_body", Some("seconds")),
    (
        "claim",
        r#"{"openid": "o", "card_id": "p", "cardid": "p"}"#,
        400,
        "invalid_body",
        Some("cardid"),
    ),
    (
        "claim",
        r#"{"openid": 5, "card_id": "p"}"#,
        400,
        "invalid_body",
        Some("openid"),
    ),
    (
        "claim",
        r#"{"card_id": "p"}"#,
        400,
        "invalid_body",
        Some("openid"),
    ),
    (
        "fill_activation_form",
        r#"{"openid": "o", "card_id": "p", "fields": [{"name": "x"}]}"#,
        400,
        "invalid_body",
        Some("fields[0].value"),
    ),
    (
        "fill_activation_form",
        r#"{"openid": "o", "card_id": "p", "fields": {"x": "y"}}"#,
        400,
        "invalid_body",
        Some("fields"),
    ),
    (
        "push_events_to",
        r#"{"url": "http://x", "token": "t", "retries": -1}"#,
        400,
        "invalid_body",
        Some("retries"),
    ),
    (
        "fault",
        r#"{"kind": "explode"}"#,
        400,
        "invalid_body",
        Some("kind"),
    ),
    (
        "credentials",
        r#"{"appid": "x"}"#,
        400,
        "invalid_body",
        Some("appid"),
    ),
    ("no_such_action", "{}", 404, "unknown_action", None),
];

#[test]
fn malformed_requests_are_refused_naming_the_field() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let http = Http::new(sandbox.url());
    for (action, body, status, error, field) in MALFORMED {
        let (got, reply) = http.post_raw(&format!("/sandbox/{action}"), body);
        let row = format!("{action} {body} -> {got} {reply}");
        assert_eq!(got, *status, "{row}");
        assert_eq!(reply["error"], *error, "{row}");
        assert_eq!(reply["field"], json!(field), "{row}");
        assert!(
            reply["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{row}"
        );
        assert!(reply.get("errcode").is_none(), "{row}");
    }
    let (_, wrong_type) = http.post_raw("/sandbox/advance_clock", r#"{"seconds": "60"}"#);
    assert_eq!(
        wrong_type["message"],
        "invalid type: string \"60\", expected a non-negative integer"
    );
}

#[test]
fn unknown_actions_wrong_methods_and_missing_images_answer_json() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let http = Http::new(sandbox.url());
    let (status, unknown) = http.post_raw("/sandbox/claim_card", "{}");
    assert_eq!(status, 404);
    assert_eq!(unknown["action"], "claim_card");
    let known = unknown["known_actions"].as_array().unwrap();
    assert!(
        known.contains(&json!("claim")) && known.contains(&json!("counters")),
        "{unknown}"
    );
    let (status, get_claim) = http.get("/sandbox/claim");
    assert_eq!(
        (status, &get_claim["error"]),
        (405, &json!("method_not_allowed"))
    );
    let (status, counters) = http.post_raw("/sandbox/counters", "");
    assert_eq!(
        (status, &counters["errcode"]),
        (200, &json!(0)),
        "an empty body is {{}}"
    );
    let (status, image) = http.get("/sandbox/media/nothing.png");
    assert_eq!((status, &image["error"]), (404, &json!("not_found")));
}

#[test]
fn help_lists_every_action() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_wechat-card-sandbox"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for action in wechat_card::sandbox::actions() {
        assert!(
            help.contains(&format!("  {} ", action.name())),
            "{}",
            action.name()
        );
    }
    assert!(help.contains("fill_activation_form") && help.contains("counters"));
}

#[test]
fn a_sub_merchants_review_and_a_stores_card_over_http() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let http = Http::new(sandbox.url());
    let token = access_token(&http);
    let submitted = http.api(
        "/card/submerchant/submit",
        &token,
        json!({"info": {"brand_name": "aaaaaa", "logo_url": "http://mmbiz.xxxx", "protocol": "xxxxxxxxxx",
            "end_time": 4102444800_i64, "primary_category_id": 1, "secondary_category_id": 101}}),
    );
    let merchant_id = submitted["info"]["merchant_id"].as_i64().expect("an id");
    let status = |http: &Http| {
        let got = http.api(
            "/card/submerchant/get",
            &token,
            json!({"merchant_id": merchant_id}),
        );
        got["info"]["status"].clone()
    };
    assert_eq!(status(&http), "CHECKING");
    // A reason belongs to a rejection only.
    let (code, refused) = http.post_raw(
        "/sandbox/review_sub_merchant",
        &json!({"merchant_id": merchant_id, "pass": true, "reason": "x"}).to_string(),
    );
    assert_eq!(
        (code, &refused["field"]),
        (400, &json!("reason")),
        "{refused}"
    );
    http.action(
        "review_sub_merchant",
        json!({"merchant_id": merchant_id, "pass": false, "reason": "授权函不清晰"}),
    );
    assert_eq!(status(&http), "REJECTED");
    // Out of review, another verdict waits for an update; an empty reason is refused.
    let (_, not_in_review) = http.post_raw(
        "/sandbox/review_sub_merchant",
        &json!({"merchant_id": merchant_id, "pass": true}).to_string(),
    );
    assert_eq!(not_in_review["errcode"], 40097, "{not_in_review}");
    assert_eq!(status(&http), "REJECTED");
    let (code, empty) = http.post_raw(
        "/sandbox/review_sub_merchant",
        &json!({"merchant_id": merchant_id, "pass": false, "reason": " "}).to_string(),
    );
    assert_eq!((code, &empty["field"]), (400, &json!("reason")), "{empty}");
    let (_, unknown) = http.post_raw(
        "/sandbox/review_sub_merchant",
        &json!({"merchant_id": 424242, "pass": true}).to_string(),
    );
    assert_eq!(unknown["errcode"], 40097, "{unknown}");

    // A store added over HTTP takes a card.
    let card_id = http.api("/card/create", &token, discount_card())["card_id"].clone();
    let before = http.api("/card/storewxa/get", &token, json!({"poi_id": 1234567}));
    assert_eq!(before["errcode"], 40097, "{before}");
    let (code, bad_poi) = http.post_raw("/sandbox/add_store", &json!({"poi_id": 0}).to_string());
    assert_eq!(
        (code, &bad_poi["field"]),
        (400, &json!("poi_id")),
        "{bad_poi}"
    );
    http.action("add_store", json!({"poi_id": 1234567}));
    let set = http.api(
        "/card/storewxa/set",
        &token,
        json!({"poi_id": 1234567, "card_id": card_id}),
    );
    assert_eq!(set["errcode"], 0, "{set}");
    let got = http.api("/card/storewxa/get", &token, json!({"poi_id": 1234567}));
    assert_eq!(got["card_id"], card_id, "{got}");
}

/// Every action has its section in the reference other languages read: `docs/sandbox.md`
/// (`### \`name\``), or the faults guide for the fault actions.
#[test]
fn every_action_is_documented() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference = std::fs::read_to_string(root.join("docs/sandbox.md")).unwrap();
    let faults = std::fs::read_to_string(root.join("docs/sandbox-faults.md")).unwrap();
    let undocumented: Vec<&str> = wechat_card::sandbox::actions()
        .iter()
        .map(|a| a.name())
        .filter(|name| {
            let heading = format!("### `{name}`");
            let in_faults = name.contains("fault") && faults.contains(&format!("`{name}`"));
            !reference.contains(&heading) && !in_faults
        })
        .collect();
    assert!(
        undocumented.is_empty(),
        "not in docs/sandbox.md: {undocumented:?}"
    );
}
