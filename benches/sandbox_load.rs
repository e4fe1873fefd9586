//! The sandbox binary under load: 20,000 WeChat API calls at concurrency 256, over
//! plain HTTP as another language's client would send them. `cargo bench --bench
//! sandbox_load`; BENCHMARKS.md reports what it prints (latency p50/p90/p99/max,
//! throughput, and the binary's peak resident size from `/proc/<pid>/status`).
//!
//! The mix is read-mostly, with writes that take the world's lock: per ten calls, five
//! `card/get`, two `card/batchget`, two `card/getcolors` and one `card/modifystock`.

#[path = "../tests/support/binary.rs"]
mod binary;
#[allow(dead_code)] // the tests' cards; this uses one
#[path = "../tests/support/cards.rs"]
mod cards;

use binary::SandboxBinary;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CALLS: usize = 20_000;
const CONCURRENCY: usize = 256;

fn main() {
    let binary = SandboxBinary::start(&["--port", "0", "--review-seconds", "0"]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let report = runtime.block_on(run(&binary.url()));
    report.print(peak_rss_kib(binary.pid()));
}

/// `VmHWM` of a process: the most memory it held at once.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What every call needs: the address, a token, a card.
struct Setup {
    http: reqwest::Client,
    url: String,
    token: String,
    card_id: String,
}

async fn setup(url: &str) -> Setup {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("an HTTP client");
    let credentials: Value = post(&http, &format!("{url}/sandbox/credentials"), &json!({})).await;
    let token = http.get(format!(
        "{url}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        credentials["appid"].as_str().expect("an appid"),
        credentials["secret"].as_str().expect("a secret"),
    ));
    let token = read(token).await.expect("a token");
    let token = token["access_token"].as_str().expect("a token").to_owned();
    let card = serde_json::to_value(cards::discount_card(1_000_000)).expect("card JSON");
    let created: Value = post(
        &http,
        &format!("{url}/card/create?access_token={token}"),
        &card,
    )
    .await;
    let card_id = created["card_id"].as_str().expect("a card id").to_owned();
    Setup {
        http,
        url: url.to_owned(),
        token,
        card_id,
    }
}

async fn post(http: &reqwest::Client, url: &str, body: &Value) -> Value {
    read(json_post(http, url, body)).await.expect("a reply")
}

/// A POST with a JSON body.
fn json_post(http: &reqwest::Client, url: &str, body: &Value) -> reqwest::RequestBuilder {
    http.post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
}

/// Sends a request and reads its JSON reply.
async fn read(request: reqwest::RequestBuilder) -> Result<Value, String> {
    let body = request
        .send()
        .await
        .map_err(|e| e.to_string())?
        .bytes()
        .await
        .map_err(|e| e.to_string())?;
    serde_json::from_slice(&body).map_err(|e| e.to_string())
}

/// The `i`-th call of the mix; `Err` names what went wrong.
async fn call(setup: &Setup, i: usize) -> Result<(), String> {
    let (url, token, card_id) = (&setup.url, &setup.token, &setup.card_id);
    let http = &setup.http;
    let request = match i % 10 {
        0..=4 => json_post(
            http,
            &format!("{url}/card/get?access_token={token}"),
            &json!({ "card_id": card_id }),
        ),
        5 | 6 => json_post(
            http,
            &format!("{url}/card/batchget?access_token={token}"),
            &json!({ "offset": 0, "count": 10 }),
        ),
        7 | 8 => http.get(format!("{url}/card/getcolors?access_token={token}")),
        _ => json_post(
            http,
            &format!("{url}/card/modifystock?access_token={token}"),
            &json!({ "card_id": card_id, "increase_stock_value": 1 }),
        ),
    };
    let reply = read(request).await?;
    match reply["errcode"].as_i64() {
        Some(0) | None => Ok(()),
        Some(code) => Err(format!("errcode {code}: {}", reply["errmsg"])),
    }
}

struct Report {
    latencies: Vec<Duration>,
    errors: Vec<String>,
    wall: Duration,
}

async fn run(url: &str) -> Report {
    let setup = Arc::new(setup(url).await);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (setup, next) = (setup.clone(), next.clone());
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), Vec::new());
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= CALLS {
                        break;
                    }
                    let begun = Instant::now();
                    if let Err(e) = call(&setup, i).await {
                        errors.push(e);
                    }
                    latencies.push(begun.elapsed());
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::with_capacity(CALLS), Vec::new());
    for worker in workers {
        let (l, e) = worker.await.expect("a worker finishes");
        latencies.extend(l);
        errors.extend(e);
    }
    let wall = started.elapsed();
    latencies.sort();
    Report {
        latencies,
        errors,
        wall,
    }
}

impl Report {
    fn percentile(&self, p: f64) -> Duration {
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i]
    }

    fn print(&self, peak_rss_kib: Option<u64>) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{} calls at concurrency {CONCURRENCY} in {:.2} s ({:.0} calls/s), {} errors",
            self.latencies.len(),
            self.wall.as_secs_f64(),
            self.latencies.len() as f64 / self.wall.as_secs_f64(),
            self.errors.len(),
        );
        println!(
            "latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            ms(self.percentile(0.50)),
            ms(self.percentile(0.90)),
            ms(self.percentile(0.99)),
            ms(self.percentile(1.0)),
        );
        match peak_rss_kib {
            Some(kib) => println!("sandbox peak resident size {:.1} MiB", kib as f64 / 1024.0),
            None => println!("sandbox peak resident size: not readable here (no /proc)"),
        }
        if let Some(first) = self.errors.first() {
            println!("first error: {first}");
        }
    }
}
