//! A fleet sharing one appid through Redis (feature `redis`), against a real
//! `redis-server`: `cargo xtask test` starts one and names it in `WECHAT_CARD_TEST_REDIS`;
//! without it each test starts its own (redis-server must be installed).
//!
//! Each client here has its own `RedisStore` and its own in-process cache, as separate
//! processes would.

#![cfg(all(feature = "redis", feature = "blocking", feature = "async"))]

#[path = "support/fake.rs"]
mod fake;
#[path = "support/net.rs"]
mod net;

use fake::{APP_SECRET, FakeWeChat, card, serve_blocking};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use wechat_card::store::{RedisStore, StoredToken, TokenStore};
use wechat_card::{AppCredentials, Config};
use wiremock::MockServer;

/// A Redis for one test: the CI's, or a `redis-server` child killed on drop.
struct Redis {
    url: String,
    child: Option<Child>,
}

impl Redis {
    fn start() -> Redis {
        if let Ok(url) = std::env::var("WECHAT_CARD_TEST_REDIS") {
            return Redis { url, child: None };
        }
        let port = net::free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is needed for the fleet tests: run `cargo xtask test`, which provides one, or install it (apt-get install redis-server)");
        let url = format!("redis://127.0.0.1:{port}");
        let client = redis::Client::open(url.as_str()).unwrap();
        let started = Instant::now();
        while client.get_connection().is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Redis {
            url,
            child: Some(child),
        }
    }

    fn store(&self) -> Arc<RedisStore> {
        Arc::new(RedisStore::new(&self.url).expect("a valid Redis URL"))
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// An appid of its own per test, so tests sharing the CI's Redis never meet.
fn appid(test: &str) -> String {
    format!("wx-fleet-{test}-{}", std::process::id())
}

fn config(server: &MockServer) -> Config {
    Config::new()
        .all_hosts(server.uri())
        .lock_ttl(Duration::from_millis(800))
}

#[test]
fn eight_blocking_clients_on_a_cold_cache_share_one_token() {
    let redis = Redis::start();
    let fake = FakeWeChat::new(7200);
    let (_rt, server) = serve_blocking(&fake);
    let appid = appid("blocking");
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let app = AppCredentials::new(appid.clone(), APP_SECRET).store(redis.store());
            let client = wechat_card::blocking::Client::new(config(&server), app).unwrap();
            std::thread::spawn(move || {
                (0..5).try_for_each(|_| client.card().get(&card()).map(drop))
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap().expect("every call succeeds");
    }
    assert_eq!(
        fake.issued.load(Ordering::SeqCst),
        1,
        "one token request for the whole fleet"
    );
    assert_eq!(fake.business_calls.load(Ordering::SeqCst), 40);
}

#[test]
fn eight_async_clients_on_a_cold_cache_share_one_token() {
    let redis = Redis::start();
    let fake = FakeWeChat::new(7200);
    let (rt, server) = serve_blocking(&fake);
    let appid = appid("async");
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let app = AppCredentials::new(appid.clone(), APP_SECRET).store(redis.store());
            wechat_card::Client::new(config(&server), app).unwrap()
        })
        .collect();
    rt.block_on(async {
        let calls: Vec<_> = clients
            .into_iter()
            .map(|client| tokio::spawn(async move { client.card().get(&card()).await }))
            .collect();
        for call in calls {
            call.await.unwrap().expect("every call succeeds");
        }
    });
    assert_eq!(
        fake.issued.load(Ordering::SeqCst),
        1,
        "one token request for the whole fleet"
    );
}

#[test]
fn a_dead_lock_holder_delays_the_others_only_until_its_lock_expires() {
    let redis = Redis::start();
    let fake = FakeWeChat::new(7200);
    let (_rt, server) = serve_blocking(&fake);
    let appid = appid("dead");
    // Another holder (its own store, its own connection: to Redis, another process)
    // takes the refresh lock and goes away without releasing it or storing a token:
    // it died holding the lock.
    let key = format!("wechat-card:{appid}:access_token:lock");
    assert!(
        redis
            .store()
            .try_lock(&key, "a-process-that-died", Duration::from_millis(800))
            .unwrap()
    );
    assert!(
        !redis
            .store()
            .try_lock(&key, "someone-else", Duration::from_secs(1))
            .unwrap(),
        "the lock is held"
    );

    let started = Instant::now();
    let app = AppCredentials::new(appid, APP_SECRET).store(redis.store());
    let client = wechat_card::blocking::Client::new(config(&server), app).unwrap();
    client
        .card()
        .get(&card())
        .expect("another holder refreshes once the lock expires");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(600),
        "it waited for the lock ({waited:?})"
    );
    assert!(
        waited < Duration::from_secs(5),
        "but not much longer ({waited:?})"
    );
    assert_eq!(fake.issued.load(Ordering::SeqCst), 1);
}

#[test]
fn a_live_holder_s_token_is_used_without_fetching() {
    let redis = Redis::start();
    let fake = FakeWeChat::new(7200);
    let (_rt, server) = serve_blocking(&fake);
    let appid = appid("live");
    let store = redis.store();
    let key = format!("wechat-card:{appid}:access_token");
    assert!(
        store
            .try_lock(
                &format!("{key}:lock"),
                "another-process",
                Duration::from_secs(5)
            )
            .unwrap()
    );

    // The other process finishes its refresh while this client waits.
    let finisher = {
        let (store, key, valid) = (store.clone(), key.clone(), fake.valid.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            valid
                .lock()
                .unwrap()
                .insert("TOKEN-FROM-ANOTHER-PROCESS".into());
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64;
            let token = StoredToken {
                value: "TOKEN-FROM-ANOTHER-PROCESS".into(),
                expires_at_ms: now + 7_200_000,
                refresh_at_ms: now + 6_900_000,
            };
            store.put(&key, &token).unwrap();
            store
                .unlock(&format!("{key}:lock"), "another-process")
                .unwrap();
        })
    };
    let client = wechat_card::blocking::Client::new(
        config(&server),
        AppCredentials::new(appid, APP_SECRET).store(store),
    )
    .unwrap();
    client.card().get(&card()).unwrap();
    finisher.join().unwrap();
    assert_eq!(
        fake.issued.load(Ordering::SeqCst),
        0,
        "the other process's token was used"
    );
}

#[test]
fn a_token_rejected_in_one_process_is_replaced_for_all() {
    let redis = Redis::start();
    let fake = FakeWeChat::new(7200);
    let (_rt, server) = serve_blocking(&fake);
    let appid = appid("rejected");
    let client = || {
        let app = AppCredentials::new(appid.clone(), APP_SECRET).store(redis.store());
        wechat_card::blocking::Client::new(config(&server), app).unwrap()
    };
    let (a, b) = (client(), client());
    a.card().get(&card()).unwrap();
    b.card().get(&card()).unwrap();
    assert_eq!(fake.issued.load(Ordering::SeqCst), 1);

    fake.revoke_all(); // WeChat rejects TOKEN-1 from now on
    a.card().get(&card()).expect("a renews and resends");
    b.card()
        .get(&card())
        .expect("b finds a's new token in Redis");
    assert_eq!(
        fake.issued.load(Ordering::SeqCst),
        2,
        "one renewal for both"
    );
    // Normal mode already handed back a new token: no force_refresh was needed.
    assert_eq!(fake.forced.load(Ordering::SeqCst), 0);
}
