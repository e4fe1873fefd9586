//! The generated clients side by side with hand-written calls, in one run, against one
//! local server (the sandbox). `cargo bench --bench client`; BENCHMARKS.md reports the
//! ratios of the medians.
//!
//! - a: async `client.card().get(..)` vs a hand-written reqwest call (and that call
//!   again, in another slot: the noise floor)
//! - b: the blocking client vs a hand-written ureq call (and again)
//! - c: 1,000 concurrent calls through one async client on a cold token cache vs the same
//!   with hand-written reqwest (token fetched once by hand); token requests are printed
//! - d: decoding the largest documented reply (a member card's card/get) into the
//!   generated types vs into `serde_json::Value`
//!
//! The hand-written calls do what a careful hand-written integration does: send the same
//! request, read the reply, decode it and check errcode.

use divan::{Bencher, black_box};
use serde_json::Value;
use std::sync::{Arc, OnceLock};
use wechat_card::card::{CardGetRequest, CardGetResponse};
use wechat_card::sandbox::Sandbox;

fn main() {
    divan::main();
}

struct Fixture {
    sandbox: Sandbox,
    /// Drives (a): one thread, so that a call is not also a trip between threads, whose
    /// scheduling noise on a small machine is larger than the difference measured.
    current_thread: tokio::runtime::Runtime,
    /// Drives (c), where the calls are meant to run in parallel. The sandbox has a
    /// runtime of its own.
    runtime: tokio::runtime::Runtime,
    card_id: String,
    /// A token fetched by hand, for the hand-written calls.
    token: String,
    client: wechat_card::Client,
    blocking: wechat_card::blocking::Client,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let sandbox = Sandbox::for_example_blocking(
            "card.get",
            r#"{"card_id": "pFS7Fjg8kV1IdDz01r4SQwMkuCKc"}"#,
        )
        .expect("a sandbox");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let current_thread = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = sandbox.client().unwrap();
        let token = current_thread
            .block_on(client.access_token())
            .unwrap()
            .expose()
            .to_owned();
        let blocking = sandbox.blocking_client().unwrap();
        Fixture {
            card_id: "pFS7Fjg8kV1IdDz01r4SQwMkuCKc".into(),
            sandbox,
            current_thread,
            runtime,
            token,
            client,
            blocking,
        }
    })
}

fn body(f: &Fixture) -> String {
    serde_json::json!({ "card_id": f.card_id }).to_string()
}

/// What a careful hand-written call does with the reply.
fn check(bytes: &[u8]) -> Value {
    let reply: Value = serde_json::from_slice(bytes).unwrap();
    assert_eq!(reply["errcode"], 0, "{reply}");
    reply
}

/// The two sides of (a) and (b) alternate: each timed call of one side follows an
/// untimed call of the other (divan's untimed input), so both see the same server,
/// connection and scheduler state. Run one after the other instead, the second bench
/// was 5-15 % slower whichever it was, on a 2-core machine.
const CALLS: u32 = 3000;

mod a_async_card_get {
    use super::*;

    struct Sides {
        request: CardGetRequest,
        http: reqwest::Client,
        url: String,
        body: String,
    }

    fn sides() -> Sides {
        let f = fixture();
        Sides {
            request: CardGetRequest::new(&f.card_id),
            http: reqwest::Client::new(),
            url: format!("{}/card/get?access_token={}", f.sandbox.url(), f.token),
            body: body(f),
        }
    }

    fn ours(s: &Sides) -> CardGetResponse {
        let f = fixture();
        f.current_thread
            .block_on(f.client.card().get(black_box(&s.request)))
            .unwrap()
    }

    fn hand_written(s: &Sides) -> Value {
        fixture().current_thread.block_on(async {
            let reply = s
                .http
                .post(&s.url)
                .header("content-type", "application/json")
                .body(black_box(s.body.clone()))
                .send()
                .await
                .unwrap();
            check(&reply.bytes().await.unwrap())
        })
    }

    #[divan::bench(sample_count = CALLS, sample_size = 1)]
    fn wechat_card(b: Bencher) {
        let s = sides();
        b.with_inputs(|| hand_written(&s))
            .bench_local_values(|_| ours(&s));
    }

    #[divan::bench(sample_count = CALLS, sample_size = 1)]
    fn hand_written_reqwest(b: Bencher) {
        let s = sides();
        b.with_inputs(|| ours(&s))
            .bench_local_values(|_| hand_written(&s));
    }

    /// The hand-written call again, in another slot of the run: its ratio to
    /// `hand_written_reqwest` is the noise floor of this comparison.
    #[divan::bench(sample_count = CALLS, sample_size = 1)]
    fn hand_written_reqwest_again(b: Bencher) {
        hand_written_reqwest(b);
    }
}

mod b_blocking_card_get {
    use super::*;

    struct Sides {
        request: CardGetRequest,
        agent: ureq::Agent,
        url: String,
        body: String,
    }

    fn sides() -> Sides {
        let f = fixture();
        Sides {
            request: CardGetRequest::new(&f.card_id),
            agent: ureq::Agent::new_with_defaults(),
            url: format!("{}/card/get?access_token={}", f.sandbox.url(), f.token),
            body: body(f),
        }
    }

    fn ours(s: &Sides) -> CardGetResponse {
        fixture()
            .blocking
            .card()
            .get(black_box(&s.request))
            .unwrap()
    }

    fn hand_written(s: &Sides) -> Value {
        let mut reply = s
            .agent
            .post(&s.url)
            .header("content-type", "application/json")
            .send(black_box(s.body.as_bytes()))
            .unwrap();
        check(&reply.body_mut().read_to_vec().unwrap())
    }

    #[divan::bench(sample_count = CALLS, sample_size = 1)]
    fn wechat_card(b: Bencher) {
        let s = sides();
        b.with_inputs(|| hand_written(&s))
            .bench_local_values(|_| ours(&s));
    }

    #[divan::bench(sample_count = CALLS, sample_size = 1)]
    fn hand_written_ureq(b: Bencher) {
        let s = sides();
        b.with_inputs(|| ours(&s))
            .bench_local_values(|_| hand_written(&s));
    }

    /// The hand-written call again, in another slot of the run: its ratio to
    /// `hand_written_ureq` is the noise floor of this comparison.
    #[divan::bench(sample_count = CALLS, sample_size = 1)]
    fn hand_written_ureq_again(b: Bencher) {
        hand_written_ureq(b);
    }
}

/// Calls in one sample of (c).
const CONCURRENT: usize = 1_000;

mod c_concurrent_cold_cache {
    use super::*;

    #[divan::bench(sample_count = 30, sample_size = 1)]
    fn wechat_card(b: Bencher) {
        let f = fixture();
        let before = f.sandbox.token_requests();
        let samples = std::sync::atomic::AtomicU64::new(0);
        b.bench(|| {
            samples.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            // A new client: its token cache is cold.
            let client = f.sandbox.client().unwrap();
            f.runtime.block_on(async {
                let calls: Vec<_> = (0..CONCURRENT)
                    .map(|_| {
                        let (client, id) = (client.clone(), f.card_id.clone());
                        tokio::spawn(
                            async move { client.card().get(&CardGetRequest::new(id)).await },
                        )
                    })
                    .collect();
                for call in calls {
                    call.await.unwrap().unwrap();
                }
            });
        });
        let fetches = f.sandbox.token_requests() - before;
        let samples = samples.into_inner();
        eprintln!(
            "c: wechat-card made {fetches} token request(s) in {samples} sample(s) of {CONCURRENT} calls"
        );
        assert_eq!(fetches, samples, "one token request per cold client");
    }

    #[divan::bench(sample_count = 30, sample_size = 1)]
    fn hand_written_reqwest(b: Bencher) {
        let f = fixture();
        let credentials = f.sandbox.credentials();
        // The secret as a hand-written client would have it (the crate never shows it).
        let secret = f.runtime.block_on(async {
            let reply = reqwest::Client::new()
                .post(format!("{}/sandbox/credentials", f.sandbox.url()))
                .send()
                .await
                .unwrap();
            check(&reply.bytes().await.unwrap())["secret"]
                .as_str()
                .unwrap()
                .to_owned()
        });
        b.bench(|| {
            let http = reqwest::Client::new();
            let base = f.sandbox.url();
            f.runtime.block_on(async {
                // Hand-written: fetch the token once, then fire the calls.
                let token_body = serde_json::json!({
                    "grant_type": "client_credential",
                    "appid": credentials.appid(),
                    "secret": secret,
                });
                let reply = http
                    .post(format!("{base}/cgi-bin/stable_token"))
                    .body(token_body.to_string())
                    .send()
                    .await
                    .unwrap();
                let token = check(&reply.bytes().await.unwrap())["access_token"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                let url = Arc::new(format!("{base}/card/get?access_token={token}"));
                let body = Arc::new(body(f));
                let calls: Vec<_> = (0..CONCURRENT)
                    .map(|_| {
                        let (http, url, body) = (http.clone(), url.clone(), body.clone());
                        tokio::spawn(async move {
                            let reply = http
                                .post(url.as_str())
                                .header("content-type", "application/json")
                                .body(body.as_str().to_owned())
                                .send()
                                .await
                                .unwrap();
                            check(&reply.bytes().await.unwrap())
                        })
                    })
                    .collect();
                for call in calls {
                    call.await.unwrap();
                }
            });
        });
    }
}

/// The largest documented reply: the member card example of card.get in spec/.
fn member_card_reply() -> &'static [u8] {
    static REPLY: OnceLock<Vec<u8>> = OnceLock::new();
    REPLY.get_or_init(|| {
        let spec: serde_yaml::Value = serde_yaml::from_str(
            &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/api/card.yaml"))
                .unwrap(),
        )
        .unwrap();
        let get = spec["endpoints"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|e| e["id"] == "get")
            .unwrap();
        let example = get["examples"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|x| x["name"] == "member_card")
            .unwrap();
        serde_json::to_vec(&serde_json::to_value(&example["response"]).unwrap()).unwrap()
    })
}

mod d_decode_member_card {
    use super::*;

    #[divan::bench]
    fn wechat_card_types(b: Bencher) {
        let bytes = member_card_reply();
        b.bench(|| serde_json::from_slice::<CardGetResponse>(black_box(bytes)).unwrap());
    }

    #[divan::bench]
    fn serde_json_value(b: Bencher) {
        let bytes = member_card_reply();
        b.bench(|| serde_json::from_slice::<Value>(black_box(bytes)).unwrap());
    }
}
