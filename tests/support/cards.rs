//! Cards the sandbox tests create (`tests/sandbox/`, `tests/sandbox_push/`).

use wechat_card::card::CardCreateRequest;
use wechat_card::types::{
    BaseInfo, Card, CardType, CodeType, DateInfo, DateType, DiscountCard, MemberCard, Sku,
};

/// A discount card valid for 30 days after the claim.
pub fn discount_card(stock: i64) -> CardCreateRequest {
    let base = BaseInfo::new(
        "http://mmbiz.qpic.cn/logo.png",
        CodeType::Qrcode,
        "微信餐厅",
        "9折优惠券",
        "Color010",
        "到店使用",
        "凭此券到店消费享9折优惠",
        DateInfo::new(DateType::FixTerm)
            .fixed_term(30)
            .fixed_begin_term(0),
        Sku::new(stock),
    )
    .get_limit(3)
    .location_id_list([218384742]);
    CardCreateRequest::new(Card::new(CardType::Discount).discount(DiscountCard::new(base, 10)))
}

pub fn member_card() -> CardCreateRequest {
    let base = BaseInfo::new(
        "http://mmbiz.qpic.cn/logo.png",
        CodeType::Text,
        "微信餐厅",
        "会员卡",
        "Color010",
        "出示会员卡",
        "会员到店消费享9折优惠",
        DateInfo::new(DateType::Permanent),
        Sku::new(100),
    );
    CardCreateRequest::new(
        Card::new(CardType::MemberCard).member_card(MemberCard::new(base, "9折", false, false)),
    )
}

/// Creates a [`discount_card`] with `stock` through `client`; its card_id.
pub async fn create_discount(client: &wechat_card::Client, stock: i64) -> String {
    client
        .card()
        .create(&discount_card(stock))
        .await
        .unwrap()
        .card_id
        .expect("card_id")
}

/// Creates a [`member_card`] through `client`; its card_id.
pub async fn create_member_card(client: &wechat_card::Client) -> String {
    client
        .card()
        .create(&member_card())
        .await
        .unwrap()
        .card_id
        .expect("card_id")
}
