//! Local network helpers shared by the test crates.

#![allow(dead_code)] // each test crate uses a different part

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
