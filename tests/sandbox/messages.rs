//! Card messages: mass messages to openids, to a tag and to everyone, previews and
//! customer-service messages with a signed card_ext, each seen in the users' message
//! lists and claimed from there, and a mass message's status, with the async and the
//! blocking client.

use super::cards::{create_discount, discount_card};
use super::errcode;
use super::net::sandbox_action;
use serde_json::json;
use wechat_card::jssdk::{CardExtOptions, card_ext};
use wechat_card::message::{
    MessageMassGetRequest, MessageMassPreviewRequest, MessageMassSendRequest,
};
use wechat_card::sandbox::{MessageKind, Sandbox};
use wechat_card::types::{MassFilter, MassMsgStatus, WxCard};
use wechat_card::{ApiTicket, ErrCode};

/// The (msg_id, kind, card_id) of each message a user received.
fn received(sandbox: &Sandbox, openid: &str) -> Vec<(i64, MessageKind, String)> {
    let messages = sandbox.user(openid).messages();
    messages
        .into_iter()
        .map(|m| (m.msg_id, m.kind, m.card_id))
        .collect()
}

#[tokio::test]
async fn a_mass_message_reaches_the_openids_the_tag_or_everyone() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_discount(&client, 10).await;
    let card = || WxCard::new(&card_id);

    let sent = client
        .message()
        .mass_send_card(["o_alice", "o_bob"], card())
        .await
        .unwrap();
    let msg_id = sent.msg_id.expect("msg_id");
    let mass = (msg_id, MessageKind::Mass, card_id.clone());
    assert_eq!(received(&sandbox, "o_alice"), std::slice::from_ref(&mass));
    assert_eq!(received(&sandbox, "o_bob"), [mass]);
    // Without a clientmsgid, WeChat digests scope and content: the same send again is a repeat.
    let again = client
        .message()
        .mass_send_card(["o_bob", "o_alice"], card())
        .await;
    assert_eq!(errcode(again), ErrCode::ClientMsgIdExists);

    sandbox.user("o_carol").tag(7);
    // The wxcard example writes tag_id as a string, the others as a number: both work.
    let to_tag = MassFilter::new().is_to_all(false).tag_id(json!("7"));
    let tagged = client
        .message()
        .mass_send_all_card(to_tag, card())
        .await
        .unwrap();
    let tag_msg = tagged.msg_id.expect("msg_id");
    assert_ne!(tag_msg, msg_id, "msg ids are unique");
    assert_eq!(received(&sandbox, "o_carol").len(), 1);
    assert_eq!(received(&sandbox, "o_alice").len(), 1, "not in the tag");

    let everyone = MassFilter::new().is_to_all(true);
    let all = client
        .message()
        .mass_send_all_card(everyone, card())
        .await
        .unwrap();
    for openid in ["o_alice", "o_bob", "o_carol"] {
        let last = received(&sandbox, openid).pop().expect("a message");
        assert_eq!(last.0, all.msg_id.unwrap(), "{openid}");
    }

    // Claiming from the message is a claim of the card.
    let code = sandbox.user("o_carol").claim_from_message(tag_msg).unwrap();
    let stock = sandbox.stock(&card_id).unwrap();
    assert_eq!((stock.remaining, stock.claimed), (9, 1));
    assert!(!code.is_empty());
}

#[tokio::test]
async fn a_clientmsgid_is_sent_once() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_discount(&client, 10).await;
    let request = MessageMassSendRequest::new(["o_a", "o_b"], WxCard::new(&card_id), "wxcard")
        .clientmsgid("spring-sale-1");
    let sent = client.message().mass_send(&request).await.unwrap();
    let repeat = client.message().mass_send(&request).await.unwrap_err();
    assert_eq!(repeat.errcode(), Some(ErrCode::ClientMsgIdExists));
    assert_eq!(sandbox.user("o_a").messages().len(), 1);
    // The refusal names the job that went out: the way back after a lost reply.
    let named = repeat.reply_field("msg_id").and_then(|id| id.as_i64());
    assert_eq!(named, sent.msg_id);
    assert_eq!(
        repeat.reply_field("errcode"),
        None,
        "the envelope is not a detail"
    );
    // After a lost reply, the status query tells whether the job went out.
    let msg_id = named.unwrap().to_string();
    let status = client
        .message()
        .mass_get(&MessageMassGetRequest::new(&msg_id))
        .await
        .unwrap();
    assert_eq!(status.msg_status, Some(MassMsgStatus::SendSuccess));
    let never = client
        .message()
        .mass_get(&MessageMassGetRequest::new("42"))
        .await;
    assert_eq!(errcode(never), ErrCode::InvalidArgs);

    // What the client refuses, WeChat refuses with its own codes.
    let one = MessageMassSendRequest::new(["o_a"], WxCard::new(&card_id), "wxcard");
    let too_few = client.send_unchecked(&one).await;
    assert_eq!(errcode(too_few), ErrCode::InvalidOpenidListSize);
    let long = request.clone().clientmsgid("x".repeat(65));
    let too_long = client.send_unchecked(&long).await;
    assert_eq!(errcode(too_long), ErrCode::ClientMsgIdTooLong);
}

#[tokio::test]
async fn preview_by_openid_and_by_wechat_name() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_discount(&client, 10).await;
    let by_openid =
        MessageMassPreviewRequest::new(WxCard::new(&card_id), "wxcard").touser("o_dave");
    let reply = client.message().mass_preview(&by_openid).await.unwrap();
    let preview = (reply.msg_id.unwrap(), MessageKind::Preview, card_id.clone());
    assert_eq!(received(&sandbox, "o_dave"), [preview]);

    let by_name =
        MessageMassPreviewRequest::new(WxCard::new(&card_id), "wxcard").towxname("dave_w");
    let unknown = client.message().mass_preview(&by_name).await;
    assert_eq!(errcode(unknown), ErrCode::InvalidWechatName);
    sandbox.user("o_dave").set_wechat_name("dave_w");
    client.message().mass_preview(&by_name).await.unwrap();
    assert_eq!(received(&sandbox, "o_dave").len(), 2);
}

#[tokio::test]
async fn a_custom_message_with_a_card_ext_signed_right_or_wrong() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_discount(&client, 10).await;

    // Signed with the account's api_ticket, for Erin: delivered, and she claims it.
    let ext = client
        .card_ext(&card_id, CardExtOptions::new().openid("o_erin"))
        .await
        .unwrap();
    client
        .message()
        .send_card("o_erin", WxCard::signed(&card_id, &ext))
        .await
        .unwrap();
    let messages = sandbox.user("o_erin").messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].kind, MessageKind::Custom);
    assert_eq!(
        messages[0].card_ext.as_deref(),
        Some(ext.to_json().as_str())
    );
    sandbox
        .user("o_erin")
        .claim_from_message(messages[0].msg_id)
        .unwrap();

    // Signed with a ticket WeChat never issued, or for another user: refused, not delivered.
    let forged = card_ext(
        &ApiTicket::new("not-the-ticket"),
        &card_id,
        CardExtOptions::new(),
    );
    let wrong = client
        .message()
        .send_card("o_frank", WxCard::signed(&card_id, &forged))
        .await;
    assert_eq!(errcode(wrong), ErrCode::InvalidCardExt);
    let for_erin = client
        .message()
        .send_card("o_frank", WxCard::signed(&card_id, &ext))
        .await;
    assert_eq!(errcode(for_erin), ErrCode::InvalidCardExt);
    assert!(sandbox.user("o_frank").messages().is_empty());
}

#[tokio::test]
async fn only_an_approved_card_is_sent() {
    let sandbox = Sandbox::builder().review(None).start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = client
        .card()
        .create(&discount_card(10))
        .await
        .unwrap()
        .card_id
        .expect("card_id");
    let unapproved = client
        .message()
        .send_card("o_gina", WxCard::new(&card_id))
        .await;
    assert_eq!(errcode(unapproved), ErrCode::InvalidCardStatus);
    let unknown = client
        .message()
        .send_card("o_gina", WxCard::new("pNoSuchCard"))
        .await;
    assert_eq!(errcode(unknown), ErrCode::InvalidCardId);
    assert!(sandbox.user("o_gina").messages().is_empty());
}

/// The same flows with the blocking client, and the messages read over the control API.
#[cfg(feature = "blocking")]
#[test]
fn card_messages_blocking() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let client = sandbox.blocking_client().unwrap();
    let card_id = client
        .card()
        .create(&discount_card(10))
        .unwrap()
        .card_id
        .expect("card_id");
    let card = || WxCard::new(&card_id);

    let to_users = client
        .message()
        .mass_send_card(["o_hana", "o_ivan"], card())
        .unwrap();
    sandbox_action(
        &sandbox.url(),
        "tag_user",
        json!({"openid": "o_jo", "tag_id": 3}),
    );
    let to_tag = MassFilter::new().is_to_all(false).tag_id(json!(3));
    let tagged = client.message().mass_send_all_card(to_tag, card()).unwrap();
    let tag_msg = tagged.msg_id.unwrap().to_string();
    let status = client
        .message()
        .mass_get(&MessageMassGetRequest::new(tag_msg))
        .unwrap();
    assert_eq!(status.msg_status, Some(MassMsgStatus::SendSuccess));
    let preview = MessageMassPreviewRequest::new(card(), "wxcard").touser("o_jo");
    let previewed = client.message().mass_preview(&preview).unwrap();

    let ext = client
        .card_ext(&card_id, CardExtOptions::new().openid("o_hana"))
        .unwrap();
    client
        .message()
        .send_card("o_hana", WxCard::signed(&card_id, &ext))
        .unwrap();
    let forged = card_ext(&ApiTicket::new("forged"), &card_id, CardExtOptions::new());
    let refused = client
        .message()
        .send_card("o_ivan", WxCard::signed(&card_id, &forged));
    assert_eq!(errcode(refused), ErrCode::InvalidCardExt);

    let listed = |openid: &str| {
        let reply = sandbox_action(&sandbox.url(), "messages", json!({ "openid": openid }));
        assert_eq!(reply["errcode"], 0, "{reply}");
        reply["messages"].as_array().unwrap().clone()
    };
    let hana = listed("o_hana");
    assert_eq!(hana.len(), 2);
    assert_eq!(hana[0]["msg_id"], to_users.msg_id.unwrap());
    assert_eq!(hana[0]["kind"], "mass");
    assert_eq!(hana[1]["kind"], "custom");
    assert_eq!(hana[1]["card_ext"], ext.to_json());
    assert_eq!(
        listed("o_ivan").len(),
        1,
        "the forged card_ext was not delivered"
    );
    let jo = listed("o_jo");
    let ids: Vec<_> = jo.iter().map(|m| m["msg_id"].clone()).collect();
    assert_eq!(
        ids,
        [
            json!(tagged.msg_id.unwrap()),
            json!(previewed.msg_id.unwrap())
        ]
    );
    assert_eq!(jo[1]["kind"], "preview");

    let claimed = sandbox_action(
        &sandbox.url(),
        "claim_message",
        json!({"openid": "o_hana", "msg_id": hana[1]["msg_id"]}),
    );
    assert_eq!(claimed["errcode"], 0, "{claimed}");
    assert_eq!(sandbox.stock(&card_id).unwrap().claimed, 1);
}
