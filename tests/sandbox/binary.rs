//! The standalone server (`wechat-card-sandbox`): the API and the sandbox actions over
//! HTTP, as other languages drive them.

use super::binary_server::SandboxBinary;
use super::cards::discount_card;
use super::net::{free_port, sandbox_action};
use wechat_card::code::CodeConsumeRequest;

/// The standalone server: other languages drive it over HTTP.
#[cfg(feature = "blocking")]
#[test]
fn the_binary_serves_the_api_and_the_sandbox_actions() {
    let port = free_port();
    let server = start_the_binary(port);
    let url = format!("http://127.0.0.1:{port}");
    let credentials = sandbox_action(&url, "credentials", serde_json::json!({}));
    assert_eq!(credentials["appid"], "wxbinarytest0001");

    claim_and_consume_over_http(&url);
    pushes_are_attempted_and_reported(&url);
    drop(server);
}

/// Starts `wechat-card-sandbox` on `port`, pushing to a URL nobody listens at, and
/// waits until it says where it listens.
#[cfg(feature = "blocking")]
fn start_the_binary(port: u16) -> SandboxBinary {
    let dead = format!("http://127.0.0.1:{}/wechat", free_port());
    let server = SandboxBinary::start(&[
        "--port",
        &port.to_string(),
        "--appid",
        "wxbinarytest0001",
        "--secret",
        "binary-secret",
        "--daily-quota",
        "1000",
        // Nobody listens there: the pushes are attempted, and reported.
        "--push-url",
        &dead,
        "--push-token",
        "binary-token",
    ]);
    // It says where it listens once it does.
    let first = &server.banner;
    assert!(first.contains(&format!("127.0.0.1:{port}")), "{first}");
    server
}

/// The blocking client creates a card and consumes the code the `claim` action gave
/// out; a claim of an unknown card is refused with WeChat's errcode.
#[cfg(feature = "blocking")]
fn claim_and_consume_over_http(url: &str) {
    let post = |action: &str, body| sandbox_action(url, action, body);
    let config = wechat_card::Config::new().all_hosts(url);
    let app = wechat_card::AppCredentials::new("wxbinarytest0001", "binary-secret");
    let client = wechat_card::blocking::Client::new(config, app).unwrap();
    let card_id = client
        .card()
        .create(&discount_card(3))
        .unwrap()
        .card_id
        .expect("card_id");
    // --daily-quota sets each API's daily limit; the create counted against it.
    let quota = client
        .quota()
        .get(&wechat_card::quota::QuotaGetRequest::new("/card/create"))
        .unwrap()
        .quota
        .expect("quota");
    assert_eq!((quota.daily_limit, quota.used), (Some(1000), Some(1)));
    let claimed = post(
        "claim",
        serde_json::json!({"openid": "o_remote", "card_id": card_id}),
    );
    let code = claimed["code"].as_str().unwrap();
    client
        .code()
        .consume(&CodeConsumeRequest::new(code))
        .unwrap();
    let refused = post(
        "claim",
        serde_json::json!({"openid": "o_remote", "card_id": "nope"}),
    );
    assert_eq!(refused["errcode"], 40073);
}

/// `flush_pushes` reports each event pushed to the unreachable URL: tried 4 times.
#[cfg(feature = "blocking")]
fn pushes_are_attempted_and_reported(url: &str) {
    let flushed = sandbox_action(url, "flush_pushes", serde_json::json!({}));
    let events: Vec<_> = flushed["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["event"].as_str().unwrap(),
                d["attempts"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("card_pass_check", 4),
            ("user_get_card", 4),
            ("user_consume_card", 4)
        ]
    );
}
