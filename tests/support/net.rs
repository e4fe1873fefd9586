//! Local network helpers shared by the test crates.

#![allow(dead_code)] // each test crate uses a different part

use serde_json::{Value, json};

/// A local port that was free a moment ago (nothing listens on it now).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `POST {base}/sandbox/{action}` with a JSON body: the sandbox's actions as other
/// languages drive them. Returns the JSON reply.
pub fn sandbox_action(base: &str, action: &str, body: serde_json::Value) -> serde_json::Value {
    let mut reply = ureq::post(&format!("{base}/sandbox/{action}"))
        .header("content-type", "application/json")
        .send(body.to_string().as_bytes())
        .unwrap();
    serde_json::from_slice(&reply.body_mut().read_to_vec().unwrap()).unwrap()
}

/// A plain HTTP client for the sandbox's HTTP interface, as another language drives
/// it: hands back 4xx replies instead of failing on them.
pub struct Http {
    agent: ureq::Agent,
    base: String,
}

impl Http {
    pub fn new(base: String) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Http { agent, base }
    }

    fn read(mut reply: ureq::http::Response<ureq::Body>) -> (u16, Value) {
        let status = reply.status().as_u16();
        let text = reply.body_mut().read_to_string().unwrap();
        let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text:?}"));
        (status, value)
    }

    /// `POST path` with `body` sent as it is; the status and the JSON reply.
    pub fn post_raw(&self, path: &str, body: &str) -> (u16, Value) {
        let reply = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .send(body)
            .unwrap();
        Self::read(reply)
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        Self::read(
            self.agent
                .get(&format!("{}{path}", self.base))
                .call()
                .unwrap(),
        )
    }

    /// A control action that must succeed; its reply.
    pub fn action(&self, name: &str, body: Value) -> Value {
        let (status, reply) = self.post_raw(&format!("/sandbox/{name}"), &body.to_string());
        assert_eq!(
            (status, &reply["errcode"]),
            (200, &json!(0)),
            "{name}: {reply}"
        );
        reply
    }

    /// A WeChat API call with the access token; its reply (errcode 0 or not).
    pub fn api(&self, path: &str, token: &str, body: Value) -> Value {
        let path = format!("{path}?access_token={token}");
        let (status, reply) = self.post_raw(&path, &body.to_string());
        assert_eq!(status, 200, "{path}: {reply}");
        reply
    }
}
