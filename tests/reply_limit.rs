//! A 200 MB reply is refused at the limit, in both clients, without the process
//! growing by more than a few MiB. One test alone in its binary, so that the peak
//! resident size it reads (VmHWM) is its own.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;
use wechat_card::card::CardGetRequest;
use wechat_card::{Config, Error, RetryPolicy, StaticToken};

const HUGE: usize = 200 << 20;

/// Serves every connection a 200 MB JSON-ish reply, announced (`Content-Length`) or
/// not (read until the connection closes), streamed 64 KiB at a time until the client
/// hangs up.
fn huge_server(announced: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                let _ = stream.read(&mut buf);
                let length = match announced {
                    true => format!("Content-Length: {HUGE}\r\n"),
                    false => "Connection: close\r\n".to_owned(),
                };
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{length}\r\n{{\"errcode\":0,\"pad\":\""
                );
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let chunk = vec![b'x'; 64 << 10];
                let mut sent = 0;
                while sent < HUGE && stream.write_all(&chunk).is_ok() {
                    sent += chunk.len();
                }
            });
        }
    });
    format!("http://{addr}")
}

/// The process's peak resident size so far, in KiB (Linux).
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn config(url: &str) -> Config {
    Config::new()
        .all_hosts(url)
        .timeout(Duration::from_secs(20))
        .retry(RetryPolicy::none())
}

fn assert_too_large(result: Result<impl std::fmt::Debug, Error>) {
    let err = result.expect_err("refused");
    assert!(matches!(err, Error::Decode { .. }), "{err}");
    assert!(err.to_string().contains("Config::max_reply_bytes"), "{err}");
}

#[test]
fn a_200_mb_reply_is_refused_at_the_limit_in_a_few_mib() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Warm up: both clients built and used once, so what follows measures the reply.
    let warm = huge_server(true);
    let async_client =
        |url: &str| wechat_card::Client::new(config(url), StaticToken::new("T")).unwrap();
    let blocking_client =
        |url: &str| wechat_card::blocking::Client::new(config(url), StaticToken::new("T")).unwrap();
    assert_too_large(rt.block_on(async_client(&warm).card().get(&CardGetRequest::new("p1"))));
    assert_too_large(
        blocking_client(&warm)
            .card()
            .get(&CardGetRequest::new("p1")),
    );
    let idle = peak_kib();

    for announced in [true, false] {
        let url = huge_server(announced);
        assert_too_large(rt.block_on(async_client(&url).card().get(&CardGetRequest::new("p1"))));
        let url = huge_server(announced);
        assert_too_large(blocking_client(&url).card().get(&CardGetRequest::new("p1")));
    }
    let grown_mib = peak_kib().saturating_sub(idle) as f64 / 1024.0;
    // Read up to the 4 MiB limit at most: the peak may grow by that, plus buffers.
    println!("peak resident size grew by {grown_mib:.1} MiB over the idle process");
    assert!(
        grown_mib < 12.0,
        "a refused reply grew the process by {grown_mib:.1} MiB"
    );
}
