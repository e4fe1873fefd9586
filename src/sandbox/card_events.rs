//! The events the sandbox pushes, filled in as WeChat fills them: every element its
//! documented example carries is present (empty or 0 when it does not apply), so a
//! receiver sees what it will see in production.

use crate::push::events::*;

/// The envelope, with `<Event>` set to `event`'s wire name.
fn named(envelope: Envelope, event: &str) -> Envelope {
    Envelope {
        event: event.into(),
        ..envelope
    }
}

/// `card_pass_check` or `card_not_pass_check`.
pub(super) fn reviewed(envelope: Envelope, card_id: &str, refused: Option<&str>) -> CardEvent {
    match refused {
        None => CardEvent::CardPassCheck(CardPassCheck {
            envelope: named(envelope, CardPassCheck::EVENT),
            card_id: card_id.into(),
            refuse_reason: None,
            extra: Vec::new(),
        }),
        Some(reason) => CardEvent::CardNotPassCheck(CardNotPassCheck {
            envelope: named(envelope, CardNotPassCheck::EVENT),
            card_id: card_id.into(),
            refuse_reason: Some(reason.into()),
            extra: Vec::new(),
        }),
    }
}

/// How a user came by a code.
pub(super) enum Claim<'a> {
    /// From the card's page, a QR code or `wx.addCard`, with the channel's outer_str.
    Direct { outer_str: Option<&'a str> },
    /// Accepted from `friend`, whose code was `old_code`.
    Gift { friend: &'a str, old_code: &'a str },
}

/// `user_get_card`.
pub(super) fn claimed(envelope: Envelope, card_id: &str, code: &str, how: Claim) -> CardEvent {
    let (gift, friend, old_code, outer_str) = match how {
        Claim::Direct { outer_str } => (false, "", "", outer_str.unwrap_or_default()),
        Claim::Gift { friend, old_code } => (true, friend, old_code, ""),
    };
    CardEvent::UserGetCard(UserGetCard {
        envelope: named(envelope, UserGetCard::EVENT),
        card_id: card_id.into(),
        is_give_by_friend: Some(gift),
        user_card_code: Some(code.into()),
        friend_user_name: Some(friend.into()),
        outer_id: Some(0),
        old_user_card_code: Some(old_code.into()),
        outer_str: Some(outer_str.into()),
        is_restore_member_card: Some(false),
        is_recommend_by_friend: Some(false),
        union_id: None,
        extra: Vec::new(),
    })
}

/// `user_gifting_card`, from the giver.
pub(super) fn gifted(envelope: Envelope, card_id: &str, code: &str, friend: &str) -> CardEvent {
    CardEvent::UserGiftingCard(UserGiftingCard {
        envelope: named(envelope, UserGiftingCard::EVENT),
        card_id: card_id.into(),
        user_card_code: Some(code.into()),
        is_return_back: Some(false),
        friend_user_name: Some(friend.into()),
        is_chat_room: Some(false),
        extra: Vec::new(),
    })
}

/// `user_del_card`.
pub(super) fn deleted(envelope: Envelope, card_id: &str, code: &str) -> CardEvent {
    CardEvent::UserDelCard(UserDelCard {
        envelope: named(envelope, UserDelCard::EVENT),
        card_id: card_id.into(),
        user_card_code: Some(code.into()),
        extra: Vec::new(),
    })
}

/// `user_consume_card` for a redemption through code/consume.
pub(super) fn consumed_by_api(envelope: Envelope, card_id: &str, code: &str) -> CardEvent {
    CardEvent::UserConsumeCard(UserConsumeCard {
        envelope: named(envelope, UserConsumeCard::EVENT),
        card_id: card_id.into(),
        user_card_code: Some(code.into()),
        consume_source: Some(ConsumeSource::FromApi),
        location_name: Some(String::new()),
        staff_open_id: Some(String::new()),
        verify_code: Some(String::new()),
        remark_amount: Some(String::new()),
        outer_str: Some(String::new()),
        extra: Vec::new(),
    })
}

/// `card_sku_remind`.
pub(super) fn stock_low(envelope: Envelope, card_id: &str, detail: &str) -> CardEvent {
    CardEvent::CardSkuRemind(CardSkuRemind {
        envelope: named(envelope, CardSkuRemind::EVENT),
        card_id: card_id.into(),
        detail: Some(detail.into()),
        extra: Vec::new(),
    })
}

/// `user_view_card`: a member opened their card. `code` is the custom code, or empty.
pub(super) fn viewed(envelope: Envelope, card_id: &str, code: &str) -> CardEvent {
    CardEvent::UserViewCard(UserViewCard {
        envelope: named(envelope, UserViewCard::EVENT),
        card_id: card_id.into(),
        user_card_code: Some(code.into()),
        outer_str: Some(String::new()),
        extra: Vec::new(),
    })
}

/// `user_enter_session_from_card`: a user opened the account's chat from their card.
pub(super) fn entered_chat(envelope: Envelope, card_id: &str, code: &str) -> CardEvent {
    CardEvent::UserEnterSessionFromCard(UserEnterSessionFromCard {
        envelope: named(envelope, UserEnterSessionFromCard::EVENT),
        card_id: card_id.into(),
        user_card_code: Some(code.into()),
        extra: Vec::new(),
    })
}

/// `submit_membercard_user_info`: a member sent the activation form.
pub(super) fn member_info_submitted(envelope: Envelope, card_id: &str, code: &str) -> CardEvent {
    CardEvent::SubmitMembercardUserInfo(SubmitMembercardUserInfo {
        envelope: named(envelope, SubmitMembercardUserInfo::EVENT),
        card_id: card_id.into(),
        user_card_code: Some(code.into()),
        extra: Vec::new(),
    })
}

/// `update_member_card`: points or balance changed by `bonus` and `balance`.
pub(super) fn member_updated(
    envelope: Envelope,
    card_id: &str,
    code: &str,
    bonus: i64,
    balance: i64,
) -> CardEvent {
    CardEvent::UpdateMemberCard(UpdateMemberCard {
        envelope: named(envelope, UpdateMemberCard::EVENT),
        card_id: card_id.into(),
        user_card_code: Some(code.into()),
        modify_bonus: Some(bonus),
        modify_balance: Some(balance),
        extra: Vec::new(),
    })
}

/// `card_merchant_check_result`: a sub-merchant's review ended (`refused`: why not).
pub(super) fn merchant_reviewed(
    envelope: Envelope,
    merchant_id: i64,
    refused: Option<&str>,
) -> CardEvent {
    CardEvent::CardMerchantCheckResult(CardMerchantCheckResult {
        envelope: named(envelope, CardMerchantCheckResult::EVENT),
        merchant_id,
        is_pass: refused.is_none(),
        // The example carries <Reason> even when passed: empty then.
        reason: Some(refused.unwrap_or_default().into()),
        extra: Vec::new(),
    })
}

/// `giftcard_pay_done`, from the buyer.
pub(super) fn gift_card_paid(envelope: Envelope, page_id: &str, order_id: &str) -> CardEvent {
    CardEvent::GiftcardPayDone(GiftcardPayDone {
        envelope: named(envelope, GiftcardPayDone::EVENT),
        page_id: page_id.into(),
        order_id: order_id.into(),
        extra: Vec::new(),
    })
}

/// `giftcard_send_to_friend`, from the buyer.
pub(super) fn gift_card_sent(
    envelope: Envelope,
    page_id: &str,
    order_id: &str,
    chat_room: bool,
) -> CardEvent {
    CardEvent::GiftcardSendToFriend(GiftcardSendToFriend {
        envelope: named(envelope, GiftcardSendToFriend::EVENT),
        page_id: page_id.into(),
        order_id: order_id.into(),
        is_chat_room: Some(chat_room),
        is_return_back: Some(false),
        extra: Vec::new(),
    })
}

/// `giftcard_user_accept`, from the friend who accepted.
pub(super) fn gift_card_accepted(
    envelope: Envelope,
    page_id: &str,
    order_id: &str,
    chat_room: bool,
) -> CardEvent {
    CardEvent::GiftcardUserAccept(GiftcardUserAccept {
        envelope: named(envelope, GiftcardUserAccept::EVENT),
        page_id: page_id.into(),
        order_id: order_id.into(),
        is_chat_room: Some(chat_room),
        extra: Vec::new(),
    })
}

/// `user_authorize_invoice`, from the user who authorised (or not) the order; `app_id` is
/// the mini program that opened the page (empty for the other sources).
pub(super) fn invoice_authorized(
    envelope: Envelope,
    order_id: &str,
    authorised: bool,
    source: &str,
    app_id: &str,
) -> CardEvent {
    let (succ, fail) = if authorised {
        (order_id, "")
    } else {
        ("", order_id)
    };
    CardEvent::UserAuthorizeInvoice(UserAuthorizeInvoice {
        envelope: named(envelope, UserAuthorizeInvoice::EVENT),
        succ_order_id: Some(succ.into()),
        fail_order_id: Some(fail.into()),
        app_id: Some(app_id.into()),
        source: Some(source.into()),
        extra: Vec::new(),
    })
}

/// `cloud_invoice_invoiceresult_event`: a makeoutinvoice or clearoutinvoice request was
/// carried out (status 100, the documented example's).
pub(super) fn invoice_made_out(envelope: Envelope, fpqqlsh: &str, nsrsbh: &str) -> CardEvent {
    CardEvent::CloudInvoiceInvoiceresultEvent(CloudInvoiceInvoiceresultEvent {
        envelope: named(envelope, CloudInvoiceInvoiceresultEvent::EVENT),
        fpqqlsh: fpqqlsh.into(),
        status: 100,
        nsrsbh: nsrsbh.into(),
        extra: Vec::new(),
    })
}

/// `update_invoice_status`, from the invoice's holder.
pub(super) fn invoice_status(
    envelope: Envelope,
    card_id: &str,
    code: &str,
    status: &crate::types::InvoiceReimburseStatus,
) -> CardEvent {
    use crate::types::InvoiceReimburseStatus as S;
    let status = match status {
        S::Init => InvoiceStatusPushed::InvoiceReimburseInit,
        S::Lock => InvoiceStatusPushed::InvoiceReimburseLock,
        S::Closure => InvoiceStatusPushed::InvoiceReimburseClosure,
        S::Cancel => InvoiceStatusPushed::InvoiceReimburseCancel,
        S::Unknown(other) => InvoiceStatusPushed::Unknown(other.clone()),
    };
    CardEvent::UpdateInvoiceStatus(UpdateInvoiceStatus {
        envelope: named(envelope, UpdateInvoiceStatus::EVENT),
        status,
        card_id: card_id.into(),
        code: code.into(),
        extra: Vec::new(),
    })
}

/// `submit_invoice_title`, from the user who submitted the title.
pub(super) fn invoice_title_submitted(
    envelope: Envelope,
    title: &crate::invoice::InvoiceScanTitleResponse,
    attach: Option<&str>,
) -> CardEvent {
    let title_type = match title.title_type {
        Some(0) => InvoiceTitleType::InvoiceUserTitleBusinessType,
        _ => InvoiceTitleType::InvoiceUserTitlePersonType,
    };
    CardEvent::SubmitInvoiceTitle(SubmitInvoiceTitle {
        envelope: named(envelope, SubmitInvoiceTitle::EVENT),
        title: title.title.clone().unwrap_or_default(),
        tax_no: Some(title.tax_no.clone().unwrap_or_default()),
        addr: Some(title.addr.clone().unwrap_or_default()),
        phone: Some(title.phone.clone().unwrap_or_default()),
        bank_type: Some(title.bank_type.clone().unwrap_or_default()),
        bank_no: Some(title.bank_no.clone().unwrap_or_default()),
        attach: Some(attach.unwrap_or_default().into()),
        title_type,
        extra: Vec::new(),
    })
}
