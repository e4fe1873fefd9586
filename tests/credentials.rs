//! Credentials and resilience, for both clients, against a scripted mock WeChat:
//! single-flight token fetches, renewal on rejected tokens, retries, the card ticket,
//! refresh ahead of expiry, and secrets kept out of tracing output.

#[path = "support/fake.rs"]
mod fake;

use fake::{APP_SECRET, FakeWeChat, capture, card, serve_blocking, start};
use std::sync::atomic::Ordering;
use std::time::Duration;
use wechat_card::card::CardModifyStockRequest;
use wechat_card::code::CodeConsumeRequest;
use wechat_card::{AppCredentials, ErrCode, Error, StaticToken};

use fake::{app, config};

#[cfg(feature = "async")]
mod asynchronous {
    use super::*;
    use wechat_card::Client;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_hundred_callers_on_a_cold_cache_cause_one_token_request() {
        let fake = FakeWeChat::new(7200);
        let server = start(&fake).await;
        let client = Client::new(config(&server), app()).unwrap();
        // Collected first: every task is running before any is awaited.
        let calls: Vec<_> = (0..100)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.card().get(&card()).await })
            })
            .collect();
        for call in futures_join(calls).await {
            call.expect("every call succeeds");
        }
        assert_eq!(
            fake.issued.load(Ordering::SeqCst),
            1,
            "exactly one token request"
        );
        assert_eq!(fake.business_calls.load(Ordering::SeqCst), 100);
    }

    #[tokio::test]
    async fn a_rejected_token_is_renewed_with_force_refresh_and_the_call_sent_once_more() {
        let fake = FakeWeChat::new(7200);
        let server = start(&fake).await;
        let client = Client::new(config(&server), app()).unwrap();
        client.card().get(&card()).await.unwrap();
        fake.revoke_all(); // WeChat now rejects TOKEN-1
        // Even a non-idempotent call: WeChat refused it, so resending cannot duplicate it.
        client
            .code()
            .consume(&CodeConsumeRequest::new("123"))
            .await
            .unwrap();
        assert_eq!(fake.issued.load(Ordering::SeqCst), 2);
        assert_eq!(
            fake.forced.load(Ordering::SeqCst),
            0,
            "normal mode handed back a new token: nothing to force"
        );
        // card.get once, consume once: the attempt with the rejected token never got past it.
        assert_eq!(fake.business_calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_token_handed_back_after_its_rejection_is_forced_out() {
        let fake = FakeWeChat::new(7200);
        let server = start(&fake).await;
        let client = Client::new(config(&server), app()).unwrap();
        client.card().get(&card()).await.unwrap();
        fake.refuse_current_in_calls();
        client.card().get(&card()).await.unwrap();
        assert_eq!(
            (
                fake.issued.load(Ordering::SeqCst),
                fake.forced.load(Ordering::SeqCst)
            ),
            (3, 1),
            "first fetch, normal mode (the same token again), then force_refresh"
        );
    }

    #[tokio::test]
    async fn a_token_rejected_twice_is_an_error_not_a_loop() {
        let fake = FakeWeChat::new(7200);
        let server = start(&fake).await;
        let client = Client::new(config(&server), app()).unwrap();
        fake.then_reply(&[42001, 42001]);
        let err = client.card().get(&card()).await.unwrap_err();
        assert_eq!(err.errcode(), Some(ErrCode::AccessTokenExpired));
        assert_eq!(
            fake.business_calls.load(Ordering::SeqCst),
            2,
            "one renewal, one resend"
        );
    }

    #[tokio::test]
    async fn a_static_token_is_not_renewed() {
        let fake = FakeWeChat::new(7200);
        let server = start(&fake).await;
        let client = Client::new(config(&server), StaticToken::new("NOT-ISSUED")).unwrap();
        let err = client.card().get(&card()).await.unwrap_err();
        assert_eq!(err.errcode(), Some(ErrCode::InvalidCredential));
        assert_eq!(fake.issued.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn idempotent_calls_are_retried_on_system_busy() {
        let fake = FakeWeChat::new(7200);
        let server = start(&fake).await;
        let client = Client::new(config(&server), app()).unwrap();
        fake.then_reply(&[-1, -1]);
        client
            .card()
            .get(&card())
            .await
            .expect("the third attempt succeeds");
        assert_eq!(fake.business_calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn retries_are_bounded() {
        let fake = FakeWeChat::new(7200);
        let server = start(&fake).await;
        let client = Client::new(config(&server), app()).unwrap();
        fake.then_reply(&[-1, -1, -1, -1]);
        let err = client.card().get(&card()).await.unwrap_err();
        assert_eq!(err.errcode(), Some(ErrCode::SystemBusy));
        assert_eq!(
            fake.business_calls.load(Ordering::SeqCst),
            3,
            "1 attempt + max_retries 2"
        );
    }

    #[tokio::test]
    async fn non_idempotent_calls_and_rate_limits_are_never_retried() {
        let fake = FakeWeChat::new(7200);
        let server = start(&fake).await;
        let client = Client::new(config(&server), app()).unwrap();
        fake.then_reply(&[-1]);
        let err = client
            .card()
            .modify_stock(&CardModifyStockRequest::new("c").increase_stock_value(1))
            .await
            .unwrap_err();
        assert_eq!(err.errcode(), Some(ErrCode::SystemBusy));
        assert_eq!(
            fake.business_calls.load(Ordering::SeqCst),
            1,
            "modifystock is not re-sent"
        );
        let text = err.to_string();
        assert!(
            text.contains("the outcome is unknown") && text.contains("card().get(..)"),
            "{text}"
        );
        fake.then_reply(&[45009]);
        let err = client.card().get(&card()).await.unwrap_err();
        assert_eq!(err.errcode(), Some(ErrCode::RateLimited));
        assert_eq!(
            fake.business_calls.load(Ordering::SeqCst),
            2,
            "45009 is surfaced, not hammered"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_card_ticket_is_cached_single_flight_and_renewable() {
        let fake = FakeWeChat::new(7200);
        let server = start(&fake).await;
        let client = Client::new(config(&server), app()).unwrap();
        let tickets: Vec<_> = (0..50)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.card_ticket().await })
            })
            .collect();
        let tickets: Vec<_> = futures_join(tickets)
            .await
            .into_iter()
            .map(|t| t.unwrap())
            .collect();
        assert!(tickets.iter().all(|t| t.expose() == "TICKET-1"));
        assert_eq!(fake.tickets.load(Ordering::SeqCst), 1);
        assert_eq!(fake.issued.load(Ordering::SeqCst), 1);
        client.invalidate_card_ticket().await.unwrap();
        assert_eq!(client.card_ticket().await.unwrap().expose(), "TICKET-2");
        let ext = client
            .card_ext("card", wechat_card::jssdk::CardExtOptions::new())
            .await
            .unwrap();
        assert_eq!(ext.signature.len(), 40);
        assert!(!format!("{:?}", client.card_ticket().await.unwrap()).contains("TICKET"));
    }

    #[tokio::test]
    async fn tokens_are_refreshed_ahead_of_expiry() {
        let fake = FakeWeChat::new(2); // two-second tokens: refreshed after one second
        let server = start(&fake).await;
        let client =
            Client::new(config(&server).refresh_ahead(Duration::from_secs(1)), app()).unwrap();
        client.card().get(&card()).await.unwrap();
        client.card().get(&card()).await.unwrap();
        assert_eq!(fake.issued.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        client.card().get(&card()).await.unwrap();
        assert_eq!(
            fake.issued.load(Ordering::SeqCst),
            2,
            "refreshed before WeChat would reject it"
        );
    }

    #[tokio::test]
    async fn a_wrong_secret_is_a_credentials_error_without_the_secret() {
        let fake = FakeWeChat::new(7200);
        let server = start(&fake).await;
        let client = Client::new(
            config(&server),
            AppCredentials::new("wx1", "WRONG-SECRET-xyz"),
        )
        .unwrap();
        let err = client.card().get(&card()).await.unwrap_err();
        assert!(matches!(err, Error::Credentials { .. }), "{err}");
        assert!(err.to_string().contains("40125"), "{err}");
        assert!(!format!("{err} {err:?}").contains("WRONG-SECRET-xyz"));
        assert_eq!(fake.business_calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn tracing_records_calls_and_never_a_secret() {
        let fake = FakeWeChat::new(7200);
        let server = start(&fake).await;
        let (subscriber, output) = capture();
        let _guard = tracing::subscriber::set_default(subscriber);
        let client = Client::new(config(&server), app()).unwrap();
        client.card().get(&card()).await.unwrap();
        fake.revoke_all();
        client.card().get(&card()).await.unwrap();
        fake.then_reply(&[-1, -1, -1]);
        let _ = client.card().get(&card()).await;
        let _ = client.card_ticket().await.unwrap();
        let text = output.lock().unwrap().clone();
        assert!(text.contains("wechat_card.call"), "{text}");
        assert!(text.contains("endpoint=\"card.get\""), "{text}");
        assert!(text.contains("endpoint=\"token.stable\""), "{text}");
        assert!(text.contains("errcode=-1"), "{text}");
        assert!(text.contains("latency_ms="), "{text}");
        for secret in [APP_SECRET, "TOKEN-1", "TOKEN-2", "TICKET-1"] {
            assert!(
                !text.contains(secret),
                "`{secret}` appeared in the tracing output:\n{text}"
            );
        }
    }

    /// Joins spawned tasks without an extra dependency.
    async fn futures_join<T: Send + 'static>(
        handles: impl IntoIterator<Item = tokio::task::JoinHandle<T>>,
    ) -> Vec<T> {
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.expect("the task did not panic"));
        }
        out
    }
}

#[cfg(feature = "blocking")]
mod blocking {
    use super::*;
    use wechat_card::blocking::Client;

    #[test]
    fn a_hundred_threads_on_a_cold_cache_cause_one_token_request() {
        let fake = FakeWeChat::new(7200);
        let (_rt, server) = serve_blocking(&fake);
        let client = Client::new(config(&server), app()).unwrap();
        let threads: Vec<_> = (0..100)
            .map(|_| {
                let client = client.clone();
                std::thread::spawn(move || client.card().get(&card()))
            })
            .collect();
        for t in threads {
            t.join().unwrap().expect("every call succeeds");
        }
        assert_eq!(
            fake.issued.load(Ordering::SeqCst),
            1,
            "exactly one token request"
        );
    }

    #[test]
    fn a_rejected_token_is_renewed_and_the_call_sent_once_more() {
        let fake = FakeWeChat::new(7200);
        let (_rt, server) = serve_blocking(&fake);
        let client = Client::new(config(&server), app()).unwrap();
        client.card().get(&card()).unwrap();
        fake.revoke_all();
        client
            .code()
            .consume(&CodeConsumeRequest::new("123"))
            .unwrap();
        assert_eq!(
            (
                fake.issued.load(Ordering::SeqCst),
                fake.forced.load(Ordering::SeqCst)
            ),
            (2, 0)
        );
    }

    #[test]
    fn classic_tokens_and_retries() {
        let fake = FakeWeChat::new(7200);
        let (_rt, server) = serve_blocking(&fake);
        let client = Client::new(config(&server), app().classic()).unwrap();
        fake.then_reply(&[-1]);
        client.card().get(&card()).unwrap();
        assert_eq!(fake.business_calls.load(Ordering::SeqCst), 2);
        fake.then_reply(&[-1]);
        let err = client
            .code()
            .consume(&CodeConsumeRequest::new("123"))
            .unwrap_err();
        assert_eq!(
            err.errcode(),
            Some(ErrCode::SystemBusy),
            "consume is never re-sent"
        );
        assert_eq!(fake.business_calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn the_card_ticket_is_shared_by_threads() {
        let fake = FakeWeChat::new(7200);
        let (_rt, server) = serve_blocking(&fake);
        let client = Client::new(config(&server), app()).unwrap();
        let threads: Vec<_> = (0..20)
            .map(|_| {
                let client = client.clone();
                std::thread::spawn(move || client.card_ticket().map(|t| t.expose().to_owned()))
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap().unwrap(), "TICKET-1");
        }
        assert_eq!(fake.tickets.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn tracing_never_shows_a_secret() {
        let fake = FakeWeChat::new(7200);
        let (_rt, server) = serve_blocking(&fake);
        let (subscriber, output) = capture();
        tracing::subscriber::with_default(subscriber, || {
            let client = Client::new(config(&server), app()).unwrap();
            client.card().get(&card()).unwrap();
            fake.then_reply(&[40001]);
            client.card().get(&card()).unwrap();
        });
        let text = output.lock().unwrap().clone();
        assert!(
            text.contains("endpoint=\"card.get\"") && text.contains("attempts="),
            "{text}"
        );
        for secret in [APP_SECRET, "TOKEN-1", "TOKEN-2"] {
            assert!(
                !text.contains(secret),
                "`{secret}` appeared in the tracing output:\n{text}"
            );
        }
    }
}
