//! `wechat-card-sandbox --port N`: the sandbox as a standalone server, for teams
//! testing from other languages. Point their WeChat client's API host (and the
//! mp.weixin.qq.com host) at it; sandbox-only actions are under `POST /sandbox/…`
//! (`--help` lists them; docs/sandbox.md documents them).

use std::net::SocketAddr;
use std::time::Duration;
use wechat_card::sandbox::{PushTarget, Sandbox};

const USAGE: &str = "usage: wechat-card-sandbox [--port N] [--bind ADDR] [--appid ID] [--secret S] [--review-seconds N | --manual-review] [--seed N] [--token-lifetime-seconds N] [--daily-quota N] [--push-url URL --push-token T [--push-aes-key K]]";

/// The usage and every control action, from the table the server routes by.
fn help() -> String {
    let mut text = format!(
        "{USAGE}\n\nControl actions: POST /sandbox/<action> with a JSON object body (key? is optional);\n\
         a malformed body is an HTTP 400 {{\"error\", \"field\", \"message\"}}. See docs/sandbox.md.\n"
    );
    for action in wechat_card::sandbox::actions() {
        let keys = match action.keys() {
            "" => "(no body)".to_owned(),
            keys => format!("{{{keys}}}"),
        };
        let get = if action.methods() == "POST" {
            ""
        } else {
            " (GET too)"
        };
        text.push_str(&format!(
            "\n  {:<22}{keys}{get}\n  {:<22}{}\n",
            action.name(),
            "",
            action.summary()
        ));
    }
    text.push_str(
        "\nAnd GET /sandbox/media/<name>: an image uploaded with cgi-bin/media/uploadimg.\n",
    );
    text
}

fn main() {
    if let Err(message) = run() {
        eprintln!("wechat-card-sandbox: {message}\n{USAGE}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut builder = Sandbox::builder();
    let (mut bind, mut port) = ("127.0.0.1".to_owned(), 8848u16);
    let (mut push_url, mut push_token, mut push_key) = (None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--bind" => bind = value()?,
            "--appid" => builder = builder.appid(value()?),
            "--secret" => builder = builder.secret(value()?),
            "--seed" => {
                builder = builder.seed(value()?.parse().map_err(|e| format!("--seed: {e}"))?)
            }
            "--token-lifetime-seconds" => {
                let secs: u64 = value()?
                    .parse()
                    .map_err(|e| format!("--token-lifetime-seconds: {e}"))?;
                builder = builder.token_lifetime(Duration::from_secs(secs));
            }
            "--daily-quota" => {
                let calls = value()?
                    .parse()
                    .map_err(|e| format!("--daily-quota: {e}"))?;
                builder = builder.daily_quota(calls);
            }
            "--review-seconds" => {
                let secs: u64 = value()?
                    .parse()
                    .map_err(|e| format!("--review-seconds: {e}"))?;
                builder = builder.review(Some(Duration::from_secs(secs)));
            }
            "--manual-review" => builder = builder.review(None),
            "--push-url" => push_url = Some(value()?),
            "--push-token" => push_token = Some(value()?),
            "--push-aes-key" => push_key = Some(value()?),
            "--help" | "-h" => {
                println!("{}", help());
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let addr: SocketAddr = format!("{bind}:{port}")
        .parse()
        .map_err(|e| format!("address: {e}"))?;
    let sandbox = builder
        .addr(addr)
        .start_blocking()
        .map_err(|e| e.to_string())?;
    let target = match (push_url, push_token, push_key) {
        (None, None, None) => None,
        (Some(url), Some(token), None) => Some(PushTarget::plain(url, token)),
        (Some(url), Some(token), Some(key)) => Some(
            PushTarget::safe_mode(url, token, &key).map_err(|e| format!("--push-aes-key: {e}"))?,
        ),
        _ => return Err("--push-url and --push-token go together".into()),
    };
    let pushing = match target {
        Some(target) => {
            let line = format!("pushing card events to {target:?}\n");
            sandbox.push_events_to(target).map_err(|e| e.to_string())?;
            line
        }
        None => String::new(),
    };
    let credentials = sandbox.credentials();
    // One write, errors ignored: whoever started us may stop reading after the first
    // line, and the sandbox must keep serving rather than die of a closed stdout.
    let banner = format!(
        "wechat-card sandbox listening on {url}\nappid {appid}  (secret: POST {url}/sandbox/credentials)\nconsole: {url}/\n{pushing}",
        url = sandbox.url(),
        appid = credentials.appid(),
    );
    let mut stdout = std::io::stdout().lock();
    let _ = std::io::Write::write_all(&mut stdout, banner.as_bytes());
    let _ = std::io::Write::flush(&mut stdout);
    drop(stdout);
    // Serve until killed.
    loop {
        std::thread::park();
    }
}
