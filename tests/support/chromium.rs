//! A headless Chromium driven over the DevTools protocol, for the tests that need a
//! real browser (the sandbox's console). `cargo xtask test` installs Debian's
//! `chromium` when it is missing and names it in `WECHAT_CARD_TEST_CHROMIUM`; without
//! it, `chromium` on the PATH is used.
//!
//! The protocol is JSON over one WebSocket: commands carry an `id` and the reply
//! carries it back; events (no `id`) are skipped. One page, attached in "flat" mode,
//! so page commands travel on the browser's socket with the page's `sessionId`.

use serde_json::{Value, json};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tungstenite::WebSocket;
use tungstenite::stream::MaybeTlsStream;

pub struct Chromium {
    child: Child,
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    profile: PathBuf,
    next_id: u64,
    /// The page's session (commands without one go to the browser).
    session: Option<String>,
}

impl Chromium {
    /// Starts a headless Chromium with a page of `width` × `height` CSS pixels.
    pub fn start(width: u32, height: u32) -> Chromium {
        let program =
            std::env::var("WECHAT_CARD_TEST_CHROMIUM").unwrap_or_else(|_| "chromium".into());
        let profile = std::env::temp_dir().join(format!(
            "wechat-card-chromium-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&profile);
        let child = Command::new(&program)
            .args([
                "--headless",
                // Tests run as root in CI containers, where Chromium's sandbox cannot start.
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-port=0",
                &format!("--window-size={width},{height}"),
                &format!("--user-data-dir={}", profile.display()),
                "about:blank",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "{program} is needed for the console's browser test: run `cargo xtask test`, \
                     which installs it, or install it (apt-get install chromium): {e}"
                )
            });
        let url = devtools_url(&profile);
        let (socket, _) = tungstenite::connect(url.as_str()).expect("Chromium's DevTools socket");
        let mut chromium = Chromium {
            child,
            socket,
            profile,
            next_id: 0,
            session: None,
        };
        let target = chromium.call("Target.createTarget", json!({"url": "about:blank"}));
        let attached = chromium.call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        chromium.session = attached["sessionId"].as_str().map(str::to_owned);
        // The page is exactly this size (the window's scrollbar would take some width).
        let metrics =
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false});
        chromium.call("Emulation.setDeviceMetricsOverride", metrics);
        chromium
    }

    /// Sends a command and waits for its result (a protocol error fails the test).
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.try_call(method, params)
            .unwrap_or_else(|error| panic!("Chromium refused {method}: {error}"))
    }

    /// Sends a command: its result, or the protocol error (e.g. "Execution context was
    /// destroyed" while the page navigates).
    fn try_call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({"id": id, "method": method, "params": params});
        if let Some(session) = &self.session {
            command["sessionId"] = json!(session);
        }
        self.socket
            .send(tungstenite::Message::text(command.to_string()))
            .expect("send to Chromium");
        loop {
            let message = self.socket.read().expect("read from Chromium");
            let Ok(text) = message.to_text() else {
                continue;
            };
            let Ok(reply) = serde_json::from_str::<Value>(text) else {
                continue;
            };
            if reply["id"] != id {
                continue;
            }
            return match reply.get("error") {
                Some(error) => Err(error.clone()),
                None => Ok(reply["result"].clone()),
            };
        }
    }

    /// Opens `url` and waits until the page has loaded.
    pub fn open(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}));
        self.wait_for(&format!(
            "document.readyState === 'complete' && location.href === {}",
            json!(url)
        ));
    }

    /// The value of a JavaScript expression in the page (awaited if a promise).
    pub fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(exception) = result.get("exceptionDetails") {
            panic!("`{expression}` threw: {exception}");
        }
        result["result"]["value"].clone()
    }

    /// Waits (up to 10 s) until a JavaScript condition holds in the page.
    pub fn wait_for(&mut self, condition: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        // A navigation may replace the page between two checks (the old context is
        // destroyed, the new one not there yet): such a check counts as "not yet".
        let guarded = format!(
            "(() => {{ try {{ return !!({condition}); }} catch (e) {{ return false; }} }})()"
        );
        let params = json!({"expression": guarded, "returnByValue": true});
        while self
            .try_call("Runtime.evaluate", params.clone())
            .map_or(true, |r| r["result"]["value"] != json!(true))
        {
            assert!(Instant::now() < deadline, "never became true: {condition}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A PNG of the whole page, beyond the window's height.
    pub fn screenshot(&mut self) -> Vec<u8> {
        use base64::Engine as _;
        let shot = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        );
        let data = shot["data"].as_str().expect("a screenshot");
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .expect("base64 PNG")
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The browser's DevTools WebSocket URL, from the file Chromium writes in its profile
/// once it listens (port on the first line, path on the second).
fn devtools_url(profile: &std::path::Path) -> String {
    let file = profile.join("DevToolsActivePort");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(&file) {
            let mut lines = text.lines();
            if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                return format!("ws://127.0.0.1:{port}{path}");
            }
        }
        assert!(
            Instant::now() < deadline,
            "Chromium did not start listening"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
