//! A sub-merchant's review ends (the `review_sub_merchant` action, or the `Sandbox`
//! methods): its status changes and the receiver gets `card_merchant_check_result`.

use super::{Server, TOKEN};
use wechat_card::ErrCode;
use wechat_card::push::Receiver;
use wechat_card::push::events::CardEvent;
use wechat_card::sandbox::{PushTarget, Sandbox, WECHAT_SENDER};
use wechat_card::sub_merchant::{
    SubMerchantGetRequest, SubMerchantSubmitRequest, SubMerchantUpdateRequest,
};
use wechat_card::types::{SubMerchantStatus, SubMerchantSubmitInfo, SubMerchantUpdateInfo};

fn info(brand: &str) -> SubMerchantSubmitInfo {
    SubMerchantSubmitInfo::new(
        brand,
        "http://mmbiz.qpic.cn/logo.png",
        "media_id_letter",
        4_102_444_800,
        1,
        101,
    )
}

async fn status(sandbox: &Sandbox, merchant_id: i64) -> SubMerchantStatus {
    let client = sandbox.client().unwrap();
    let got = client
        .sub_merchant()
        .get(&SubMerchantGetRequest::new(merchant_id))
        .await
        .unwrap();
    got.info.unwrap().status.unwrap()
}

#[tokio::test]
async fn review_of_a_sub_merchant_is_pushed_as_card_merchant_check_result() {
    let sandbox = Sandbox::start().await.unwrap();
    let server = Server::start(Receiver::plain(TOKEN), 0, None).await;
    sandbox
        .push_events_to(PushTarget::plain(&server.url, TOKEN))
        .unwrap();
    let client = sandbox.client().unwrap();
    let submit = |brand: &'static str| {
        let client = client.clone();
        async move {
            let reply = client
                .sub_merchant()
                .submit(&SubMerchantSubmitRequest::new(info(brand)))
                .await
                .unwrap();
            reply.info.unwrap().merchant_id.unwrap()
        }
    };
    let approved = submit("甲商户").await;
    let rejected = submit("乙商户").await;
    assert_eq!(
        status(&sandbox, approved).await,
        SubMerchantStatus::Checking
    );

    sandbox.approve_sub_merchant(approved).unwrap();
    // Said before: no second event.
    sandbox.approve_sub_merchant(approved).unwrap();
    sandbox
        .reject_sub_merchant(rejected, "授权函不清晰")
        .unwrap();
    assert_eq!(
        status(&sandbox, approved).await,
        SubMerchantStatus::Approved
    );
    assert_eq!(
        status(&sandbox, rejected).await,
        SubMerchantStatus::Rejected
    );

    // New data goes back to review, which can end the other way.
    client
        .sub_merchant()
        .update(&SubMerchantUpdateRequest::new(SubMerchantUpdateInfo::new(
            rejected,
            "乙商户",
            "http://mmbiz.qpic.cn/logo2.png",
            "media_id_letter2",
            4_102_444_800,
            1,
            101,
        )))
        .await
        .unwrap();
    assert_eq!(
        status(&sandbox, rejected).await,
        SubMerchantStatus::Checking
    );
    sandbox.approve_sub_merchant(rejected).unwrap();

    let deliveries = sandbox.flush_pushes().await;
    assert!(deliveries.iter().all(|d| d.delivered()), "{deliveries:#?}");
    let results: Vec<_> = server
        .events()
        .into_iter()
        .map(|event| match event {
            CardEvent::CardMerchantCheckResult(e) => {
                assert_eq!(e.envelope.from_user_name, WECHAT_SENDER);
                assert_eq!(e.envelope.to_user_name, sandbox.original_id());
                (e.merchant_id, e.is_pass, e.reason.unwrap_or_default())
            }
            other => panic!("unexpected event {other:?}"),
        })
        .collect();
    assert_eq!(
        results,
        [
            (approved, true, String::new()),
            (rejected, false, "授权函不清晰".to_owned()),
            (rejected, true, String::new()),
        ]
    );

    // An approved sub-merchant is not in review: rejecting it needs an update first.
    let err = sandbox
        .reject_sub_merchant(approved, "改主意了")
        .unwrap_err();
    assert_eq!(err.errcode(), Some(ErrCode::InvalidArgs), "{err}");

    // An unknown sub-merchant: refused as WeChat would, nothing pushed.
    let err = sandbox.approve_sub_merchant(999_999).unwrap_err();
    assert_eq!(err.errcode(), Some(ErrCode::InvalidArgs));
    assert!(sandbox.flush_pushes().await.is_empty());
}
