//! The merchant's own records: a merchant number belongs to one pay-gift rule at most,
//! sub-merchants page by their last id, and a QR code without `expire_seconds` lasts a
//! year.

use super::cards::{create_discount, create_member_card};
use super::errcode;
use wechat_card::ErrCode;
use wechat_card::distribute::{DistributeCreateQrcodeRequest, QrcodeActionInfo, QrcodeCard};
use wechat_card::pay_gift::{
    PayGiftAddRequest, PayGiftBatchGetRequest, PayGiftDeleteRequest, PayGiftGetByIdRequest,
};
use wechat_card::sandbox::Sandbox;
use wechat_card::sub_merchant::{
    SubMerchantBatchGetRequest, SubMerchantGetRequest, SubMerchantSubmitRequest,
    SubMerchantUpdateRequest,
};
use wechat_card::types::{
    PayGiftBaseInfo, PayGiftMemberRule, PayGiftRule, PayGiftRuleType, QrActionName,
    SubMerchantStatus, SubMerchantSubmitInfo, SubMerchantUpdateInfo,
};

fn rule(card_id: &str, mchids: &[&str]) -> PayGiftAddRequest {
    let far = 4_102_444_800;
    PayGiftAddRequest::new(PayGiftRule::new(
        PayGiftRuleType::PayMemberCard,
        PayGiftBaseInfo::new(mchids.iter().copied(), 0, far),
        PayGiftMemberRule::new(card_id, 1, 10_000),
    ))
}

#[tokio::test]
async fn a_merchant_number_belongs_to_one_pay_gift_rule() {
    let sandbox = Sandbox::builder()
        .appid("wx_merchants")
        .start()
        .await
        .unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_member_card(&client).await;
    let pay_gift = client.pay_gift();

    let first = pay_gift
        .add(&rule(&card_id, &["100", "200"]))
        .await
        .unwrap();
    assert_eq!(first.succ_mchid_list.unwrap(), ["100", "200"]);
    let first_id = first.rule_id.unwrap();
    let second = pay_gift
        .add(&rule(&card_id, &["200", "300"]))
        .await
        .unwrap();
    assert_eq!(second.succ_mchid_list.unwrap(), ["300"]);
    let failed = &second.fail_mchid_list.unwrap()[0];
    assert_eq!(failed.mchid.as_deref(), Some("200"));
    assert_eq!(failed.occupy_rule_id, Some(first_id));
    assert_eq!(failed.occupy_appid.as_deref(), Some("wx_merchants"));

    // The rule keeps the numbers it got, with its status and times.
    let second_id = second.rule_id.unwrap();
    let got = pay_gift
        .get_by_id(&PayGiftGetByIdRequest::new(second_id))
        .await
        .unwrap();
    let base = got.rule_info.unwrap().base_info.unwrap();
    assert_eq!(base.mchid_list.unwrap(), ["300"]);
    assert_eq!(base.status.as_deref(), Some("RULE_STATUS_OK"));
    assert!(base.create_time.is_some() && base.update_time.is_some());

    // Deleting the holder frees its numbers.
    pay_gift
        .delete(&PayGiftDeleteRequest::new(first_id))
        .await
        .unwrap();
    let third = pay_gift.add(&rule(&card_id, &["200"])).await.unwrap();
    assert_eq!(third.succ_mchid_list.unwrap(), ["200"]);
    let listed = PayGiftBatchGetRequest::new(PayGiftRuleType::PayMemberCard, true, 0, 10);
    assert_eq!(
        pay_gift.batch_get(&listed).await.unwrap().total_count,
        Some(2)
    );

    // Only a member card is given after a payment.
    let discount = create_discount(&client, 10).await;
    assert_eq!(
        errcode(pay_gift.add(&rule(&discount, &["400"])).await),
        ErrCode::InvalidCardType
    );
}

#[tokio::test]
async fn sub_merchants_page_by_their_last_id_and_are_reviewed_again_after_an_update() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let sub_merchant = client.sub_merchant();
    let info = |name: &str| {
        SubMerchantSubmitInfo::new(
            name,
            "http://mmbiz.qpic.cn/logo.png",
            "media_1",
            4_102_444_800,
            1,
            101,
        )
    };
    let mut ids = Vec::new();
    for name in ["甲", "乙", "丙"] {
        let submitted = sub_merchant
            .submit(&SubMerchantSubmitRequest::new(info(name)))
            .await
            .unwrap()
            .info
            .unwrap();
        assert_eq!(submitted.status, Some(SubMerchantStatus::Checking));
        assert_eq!(submitted.begin_time, submitted.create_time);
        ids.push(submitted.merchant_id.unwrap());
    }

    let first = sub_merchant
        .batch_get(&SubMerchantBatchGetRequest::new(0, 2))
        .await
        .unwrap();
    let page: Vec<_> = first
        .info_list
        .unwrap()
        .iter()
        .map(|m| m.merchant_id.unwrap())
        .collect();
    assert_eq!(page, ids[..2]);
    assert_eq!(first.next_begin_id, Some(ids[1]));
    let rest = sub_merchant
        .batch_get(&SubMerchantBatchGetRequest::new(ids[1], 2))
        .await
        .unwrap();
    let page: Vec<_> = rest
        .info_list
        .unwrap()
        .iter()
        .map(|m| m.merchant_id.unwrap())
        .collect();
    assert_eq!(page, ids[2..]);

    let update = SubMerchantUpdateInfo::new(
        ids[0],
        "甲乙",
        "http://mmbiz.qpic.cn/logo2.png",
        "media_2",
        4_102_444_800,
        1,
        101,
    );
    let updated = sub_merchant
        .update(&SubMerchantUpdateRequest::new(update))
        .await
        .unwrap()
        .info
        .unwrap();
    assert_eq!(updated.brand_name.as_deref(), Some("甲乙"));
    let got = sub_merchant
        .get(&SubMerchantGetRequest::new(ids[0]))
        .await
        .unwrap();
    assert_eq!(got.info.unwrap().status, Some(SubMerchantStatus::Checking));
    assert_eq!(
        errcode(sub_merchant.get(&SubMerchantGetRequest::new(999_999)).await),
        ErrCode::InvalidArgs
    );
}

#[tokio::test]
async fn a_qr_code_without_expire_seconds_lasts_a_year() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_discount(&client, 10).await;
    let request = DistributeCreateQrcodeRequest::new(
        QrActionName::Card,
        QrcodeActionInfo::new().card(QrcodeCard::new().card_id(&card_id)),
    );
    let created = client.distribute().create_qrcode(&request).await.unwrap();
    assert_eq!(created.expire_seconds, Some(365 * 86_400));
    let ticket = created.ticket.unwrap();
    sandbox.user("o_alice").scan_qrcode(&ticket).unwrap();
    sandbox.advance_clock(std::time::Duration::from_secs(365 * 86_400));
    assert!(sandbox.user("o_bob").scan_qrcode(&ticket).is_err());
}
