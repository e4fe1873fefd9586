//! The fault kinds on the wire, as any HTTP client sees them (raw TCP, no client
//! library to smooth things over), and the fault actions other languages use:
//! `/sandbox/fault` (strict), `/sandbox/faults`, `/sandbox/clear_faults`.

use serde_json::{Value, json};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use wechat_card::sandbox::{Fault, FaultPlan, Sandbox};

/// What came back on one connection: the bytes, how reading ended, how long it took.
struct Raw {
    bytes: Vec<u8>,
    ended: Result<(), ErrorKind>,
    took: Duration,
}

impl Raw {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    fn head_and_body(&self) -> (String, Vec<u8>) {
        let at = self
            .bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no head: {}", self.text()));
        let head = String::from_utf8_lossy(&self.bytes[..at]).to_lowercase();
        (head, self.bytes[at + 4..].to_vec())
    }

    fn content_length(&self) -> usize {
        let (head, _) = self.head_and_body();
        let line = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "));
        line.expect("a content-length").trim().parse().unwrap()
    }
}

/// `GET /cgi-bin/token` for `appid` on a fresh connection, read until the server
/// closes it.
fn token_get(sandbox: &Sandbox, appid: &str) -> Raw {
    let credentials = super::net::sandbox_action(&sandbox.url(), "credentials", json!({}));
    let secret = credentials["secret"].as_str().unwrap();
    let mut tcp = TcpStream::connect(sandbox.url().trim_start_matches("http://")).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let request = format!(
        "GET /cgi-bin/token?grant_type=client_credential&appid={appid}&secret={secret} HTTP/1.1\r\nhost: sandbox\r\nconnection: close\r\n\r\n"
    );
    let started = Instant::now();
    tcp.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    let ended = loop {
        match tcp.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e) => break Err(e.kind()),
        }
    };
    let took = started.elapsed();
    Raw { bytes, ended, took }
}

/// `GET /cgi-bin/token` for the sandbox's own appid.
fn token_get_ours(sandbox: &Sandbox) -> Raw {
    token_get(sandbox, sandbox.credentials().appid())
}

/// A sandbox whose next token.get gets `fault`.
fn sandbox_with(fault: Fault) -> Sandbox {
    let sandbox = Sandbox::start_blocking().unwrap();
    sandbox
        .faults()
        .add(FaultPlan::new(fault).endpoint("token.get").times(1));
    sandbox
}

#[test]
fn reset_and_drop_answer_nothing_and_change_nothing() {
    let sandbox = sandbox_with(Fault::Reset);
    let raw = token_get_ours(&sandbox);
    assert!(raw.bytes.is_empty(), "{}", raw.text());
    assert_eq!(raw.ended, Err(ErrorKind::ConnectionReset), "a TCP RST");
    assert_eq!(sandbox.tokens_issued(), 0, "the endpoint never ran");

    let sandbox = sandbox_with(Fault::DropConnection);
    let raw = token_get_ours(&sandbox);
    assert!(raw.bytes.is_empty(), "{}", raw.text());
    assert_eq!(raw.ended, Ok(()), "a plain close");
    assert_eq!(sandbox.tokens_issued(), 0, "the endpoint never ran");
}

#[test]
fn a_lost_reply_answers_nothing_but_the_call_took_effect() {
    let sandbox = sandbox_with(Fault::ReplyLost);
    let raw = token_get_ours(&sandbox);
    assert!(raw.bytes.is_empty(), "{}", raw.text());
    assert_eq!(sandbox.tokens_issued(), 1, "the endpoint ran");
}

#[test]
fn a_server_error_is_a_5xx_with_a_json_body() {
    let fault = Fault::ServerError {
        status: 502,
        errcode: -1,
    };
    let sandbox = sandbox_with(fault);
    let raw = token_get_ours(&sandbox);
    let (head, body) = raw.head_and_body();
    assert!(head.starts_with("http/1.1 502"), "{head}");
    assert!(head.contains("application/json"), "{head}");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errcode"], -1, "{body}");
    assert_eq!(sandbox.tokens_issued(), 0, "the endpoint never ran");
}

#[test]
fn truncated_replies_stop_mid_json_after_the_call_took_effect() {
    let sandbox = sandbox_with(Fault::TruncatedBody);
    let raw = token_get_ours(&sandbox);
    let (_, body) = raw.head_and_body();
    assert!(
        !body.is_empty() && body.len() < raw.content_length(),
        "{}",
        raw.text()
    );
    assert!(
        serde_json::from_slice::<Value>(&body).is_err(),
        "cut mid-JSON"
    );
    assert_eq!(sandbox.tokens_issued(), 1, "the endpoint ran");

    let sandbox = sandbox_with(Fault::TruncatedChunked);
    let raw = token_get_ours(&sandbox);
    let (head, body) = raw.head_and_body();
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert!(
        !body.is_empty() && !body.ends_with(b"0\r\n\r\n"),
        "no last chunk: {}",
        raw.text()
    );
    assert_eq!(sandbox.tokens_issued(), 1, "the endpoint ran");
}

#[test]
fn late_and_trickled_replies_arrive_whole_but_slowly() {
    let sandbox = sandbox_with(Fault::ReplyLate(Duration::from_millis(300)));
    let raw = token_get_ours(&sandbox);
    assert!(raw.took >= Duration::from_millis(300), "{:?}", raw.took);
    let (_, body) = raw.head_and_body();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert!(body["access_token"].is_string(), "{body}");

    let every = Duration::from_millis(20);
    let sandbox = sandbox_with(Fault::Trickle { bytes: 16, every });
    let raw = token_get_ours(&sandbox);
    let (_, body) = raw.head_and_body();
    assert_eq!(body.len(), raw.content_length());
    let pieces = body.len().div_ceil(16) as u32;
    assert!(
        raw.took >= every * (pieces - 1),
        "{:?} for {pieces} pieces",
        raw.took
    );
    serde_json::from_slice::<Value>(&body).expect("whole");
}

#[test]
fn token_requests_are_matched_by_the_appid_they_name() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let appid = sandbox.credentials().appid().to_owned();
    sandbox.faults().add(
        FaultPlan::new(Fault::Reset)
            .endpoint("token.get")
            .appid("wxsomeoneelse"),
    );
    let ours = token_get(&sandbox, &appid);
    assert!(ours.text().starts_with("HTTP/1.1 200"), "{}", ours.text());
    let theirs = token_get(&sandbox, "wxsomeoneelse");
    assert_eq!(theirs.ended, Err(ErrorKind::ConnectionReset));
    assert_eq!(sandbox.faults().plans()[0].fired, 1);
}

/// `POST {url}/sandbox/{action}`: the HTTP status and the JSON reply, whatever the
/// status.
fn post(url: &str, action: &str, body: &str) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut reply = agent
        .post(&format!("{url}/sandbox/{action}"))
        .header("content-type", "application/json")
        .send(body.as_bytes())
        .unwrap();
    let status = reply.status().as_u16();
    (
        status,
        serde_json::from_slice(&reply.body_mut().read_to_vec().unwrap()).unwrap(),
    )
}

#[test]
fn the_fault_actions_add_list_and_clear_and_refuse_a_wrong_body_by_name() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let url = sandbox.url();
    let refused = [
        (r#"{"kind": "gremlins"}"#, "kind"),
        (r#"{"kind": "reply_lost", "tims": 1}"#, "tims"),
        (r#"{"kind": "trickle", "bytes": "8"}"#, "bytes"),
        (r#"{"kind": "reset", "call": -1}"#, "call"),
        (r#"{"kind": "reply_late"}"#, "ms"),
        (r#"[1]"#, "body"),
    ];
    for (body, field) in refused {
        let (status, reply) = post(&url, "fault", body);
        assert_eq!(
            (status, reply["field"].as_str()),
            (400, Some(field)),
            "{body}: {reply}"
        );
        assert_eq!(reply["error"], "invalid_body", "{reply}");
    }
    // The keys of before still work.
    let old = r#"{"endpoint": "token.get", "kind": "errcode", "errcode": -1, "times": 1}"#;
    assert_eq!(post(&url, "fault", old).1["id"], 1);
    let new = json!({"endpoint": "token.get", "kind": "server_error", "status": 503, "call": 2, "appid": sandbox.credentials().appid()});
    assert_eq!(post(&url, "fault", &new.to_string()).1["id"], 2);

    let appid = sandbox.credentials().appid().to_owned();
    assert!(
        token_get(&sandbox, &appid)
            .text()
            .contains("\"errcode\":-1")
    );
    assert!(
        token_get(&sandbox, &appid)
            .text()
            .starts_with("HTTP/1.1 503")
    );
    assert!(token_get(&sandbox, &appid).text().contains("access_token"));

    let (status, listed) = post(&url, "faults", "{}");
    assert_eq!(status, 200);
    let plans = listed["plans"].as_array().unwrap();
    let summary: Vec<_> = plans.iter().map(|p| (&p["kind"], &p["fired"])).collect();
    assert_eq!(
        summary,
        [
            (&json!("errcode"), &json!(1)),
            (&json!("server_error"), &json!(1))
        ]
    );
    assert_eq!(plans[1]["call"], 2);
    assert_eq!(listed["calls"]["token.get"], 3);
    assert_eq!(post(&url, "counters", "").1["faults_fired"], 2);

    assert_eq!(post(&url, "clear_faults", "").0, 200);
    assert_eq!(post(&url, "faults", "").1["plans"], json!([]));
}

#[test]
fn the_binary_takes_a_token_lifetime() {
    let port = super::net::free_port();
    let server = super::binary_server::SandboxBinary::start(&[
        "--port",
        &port.to_string(),
        "--token-lifetime-seconds",
        "90",
    ]);
    let url = format!("http://127.0.0.1:{port}");
    let credentials = super::net::sandbox_action(&url, "credentials", json!({}));
    let token = ureq::get(&format!(
        "{url}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        credentials["appid"].as_str().unwrap(),
        credentials["secret"].as_str().unwrap()
    ))
    .call()
    .unwrap()
    .body_mut()
    .read_to_vec()
    .unwrap();
    let token: Value = serde_json::from_slice(&token).unwrap();
    drop(server);
    assert_eq!(token["expires_in"], 90, "{token}");
}
