//! Daily API quotas: past its limit an API answers 45009 (with a `rid` the error
//! carries and a message that says what to do), `quota.get` reports the counts and
//! `quota.clear` resets them.

use wechat_card::card::CardGetRequest;
use wechat_card::quota::{QuotaClearRequest, QuotaGetRequest};
use wechat_card::sandbox::Sandbox;
use wechat_card::{ErrAction, ErrCode, Error};

#[tokio::test]
async fn an_api_past_its_daily_quota_answers_45009_until_cleared() {
    let sandbox = Sandbox::builder().daily_quota(3).start().await.unwrap();
    let client = sandbox.client().unwrap();
    let request = CardGetRequest::new("pNoSuchCard");
    let get = || client.send(&request);
    for _ in 0..3 {
        // An unknown card: an error, but a call WeChat counts.
        let err = get().await.unwrap_err();
        assert_ne!(err.errcode(), Some(ErrCode::RateLimited), "{err}");
    }
    let err = get().await.unwrap_err();
    assert_eq!(err.errcode(), Some(ErrCode::RateLimited));
    assert_eq!(err.action(), Some(ErrAction::RetryLater));
    let rid = err.rid().expect("a rid").to_owned();
    assert!(matches!(&err, Error::Api { message, .. } if message.ends_with(&rid)));
    assert!(err.to_string().contains("what to do: retry later"), "{err}");

    let quota = client
        .quota()
        .get(&QuotaGetRequest::new("/card/get"))
        .await
        .unwrap()
        .quota
        .unwrap();
    assert_eq!(
        (quota.daily_limit, quota.used, quota.remain),
        (Some(3), Some(3), Some(0))
    );
    let unknown = client
        .quota()
        .get(&QuotaGetRequest::new("/cgi-bin/no/such/api"))
        .await
        .unwrap_err();
    assert_eq!(unknown.errcode(), Some(ErrCode::CgiPathNotFound));

    let appid = sandbox.credentials().appid().to_owned();
    client
        .quota()
        .clear(&QuotaClearRequest::new(&appid))
        .await
        .unwrap();
    let err = get().await.unwrap_err();
    assert_eq!(err.errcode(), Some(ErrCode::InvalidCardId), "{err}");
    let wrong = client
        .quota()
        .clear(&QuotaClearRequest::new("wx0000000000000000"))
        .await
        .unwrap_err();
    assert_eq!(wrong.errcode(), Some(ErrCode::InvalidAppId));
}

#[tokio::test]
async fn ten_clearings_a_month_then_48006() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let appid = sandbox.credentials().appid().to_owned();
    for _ in 0..10 {
        client
            .quota()
            .clear(&QuotaClearRequest::new(&appid))
            .await
            .unwrap();
    }
    let err = client
        .quota()
        .clear(&QuotaClearRequest::new(&appid))
        .await
        .unwrap_err();
    assert_eq!(err.errcode(), Some(ErrCode::ClearQuotaLimit));
    // Not idempotent: never retried on its own; the error names no unknown outcome.
    assert_eq!(sandbox.requests("quota.clear"), 11);
    assert_eq!(err.outcome_check(), None);
}
