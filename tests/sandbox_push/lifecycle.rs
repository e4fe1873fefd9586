//! The lifecycle every push mode acts out and checks: review, claim, gift, consume,
//! delete and chat events, received exactly as the sandbox sent them.

use super::*;

pub(crate) fn name(event: &CardEvent) -> &str {
    &event.envelope().expect("a known event").event
}

/// Everything the issue names, through one receiver: review (both verdicts), claim,
/// gift, consume, delete — each received, authenticated and typed.
pub(crate) async fn lifecycle(sandbox: &Sandbox, server: &Server) {
    let ids = act_out_the_lifecycle(sandbox).await;
    let events = received_as_sent(sandbox, server).await;
    assert_review_events(&events, &ids);
    assert_claim_and_gift_events(&events, &ids);
    assert_consume_delete_and_chat_events(&events, &ids);
    assert_create_times_never_repeat(&events);
}

/// The cards and codes of `act_out_the_lifecycle`, which its events must name.
struct LifecycleIds {
    card_id: String,
    refused_id: String,
    /// Alice's first code, which she gives to Bob.
    code: String,
    /// The code Bob holds after the gift, and consumes.
    gifted: String,
    /// Alice's second code, which she deletes.
    second: String,
}

/// Two cards reviewed (one approved, one refused); Alice claims one and gives it to Bob,
/// who has it consumed; Alice claims a second and deletes it; Bob opens the chat from
/// the card.
async fn act_out_the_lifecycle(sandbox: &Sandbox) -> LifecycleIds {
    let client = sandbox.client().unwrap();
    let card_id = new_card(sandbox, 10).await;
    let refused_id = new_card(sandbox, 10).await;
    sandbox.approve(&card_id).unwrap();
    sandbox.reject_because(&refused_id, "图片不清晰").unwrap();

    let code = sandbox.user("o_alice").claim(&card_id).unwrap();
    let gifted = sandbox.user("o_alice").gift(&code, "o_bob").unwrap();
    client
        .code()
        .consume(&CodeConsumeRequest::new(&gifted))
        .await
        .unwrap();
    let second = sandbox.user("o_alice").claim(&card_id).unwrap();
    sandbox.user("o_alice").delete(&second).unwrap();
    // Alice gave one code away and deleted the other: no card to open the chat from.
    let alice = sandbox.user("o_alice").enter_chat_from_card(&card_id);
    assert!(alice.is_err(), "holds no code: {alice:?}");
    sandbox
        .user("o_bob")
        .enter_chat_from_card(&card_id)
        .unwrap();
    LifecycleIds {
        card_id,
        refused_id,
        code,
        gifted,
        second,
    }
}

/// Flushes the sandbox's pushes: each delivered at the first attempt, in the lifecycle's
/// order, and read by the receiver exactly as sent. Returns the events received.
async fn received_as_sent(sandbox: &Sandbox, server: &Server) -> Vec<CardEvent> {
    let deliveries = sandbox.flush_pushes().await;
    assert!(
        deliveries.iter().all(|d| d.delivered() && d.attempts == 1),
        "{deliveries:#?}"
    );
    let events = server.events();
    assert_eq!(
        events.iter().map(name).collect::<Vec<_>>(),
        [
            "card_pass_check",
            "card_not_pass_check",
            "user_get_card",
            "user_gifting_card",
            "user_get_card",
            "user_consume_card",
            "user_get_card",
            "user_del_card",
            "user_enter_session_from_card",
        ]
    );
    // What the receiver read is what the sandbox sent.
    let sent: Vec<_> = deliveries.into_iter().map(|d| d.event).collect();
    assert_eq!(events, sent);
    for event in &events {
        let envelope = event.envelope().unwrap();
        assert_eq!(envelope.to_user_name, sandbox.original_id());
        assert_eq!(envelope.msg_type, "event");
    }
    events
}

/// Events 0 and 1: the approval, from WeChat, and the refusal with its reason.
fn assert_review_events(events: &[CardEvent], ids: &LifecycleIds) {
    let CardEvent::CardPassCheck(pass) = &events[0] else {
        panic!()
    };
    assert_eq!(
        (pass.card_id.as_str(), pass.envelope.from_user_name.as_str()),
        (ids.card_id.as_str(), WECHAT_SENDER)
    );
    let CardEvent::CardNotPassCheck(fail) = &events[1] else {
        panic!()
    };
    assert_eq!(fail.card_id, ids.refused_id);
    assert_eq!(fail.refuse_reason.as_deref(), Some("图片不清晰"));
}

/// Events 2 to 4: Alice's claim, her gift to Bob, and Bob's new code from a friend.
fn assert_claim_and_gift_events(events: &[CardEvent], ids: &LifecycleIds) {
    let CardEvent::UserGetCard(claim) = &events[2] else {
        panic!()
    };
    assert_eq!(claim.envelope.from_user_name, "o_alice");
    assert_eq!(claim.card_id, ids.card_id);
    assert_eq!(claim.user_card_code.as_deref(), Some(ids.code.as_str()));
    assert_eq!(claim.is_give_by_friend, Some(false));

    let CardEvent::UserGiftingCard(gift) = &events[3] else {
        panic!()
    };
    assert_eq!(gift.envelope.from_user_name, "o_alice");
    assert_eq!(gift.user_card_code.as_deref(), Some(ids.code.as_str()));
    assert_eq!(gift.friend_user_name.as_deref(), Some("o_bob"));

    let CardEvent::UserGetCard(accepted) = &events[4] else {
        panic!()
    };
    assert_eq!(accepted.envelope.from_user_name, "o_bob");
    assert_eq!(accepted.is_give_by_friend, Some(true));
    assert_eq!(accepted.friend_user_name.as_deref(), Some("o_alice"));
    assert_eq!(
        accepted.old_user_card_code.as_deref(),
        Some(ids.code.as_str())
    );
    assert_eq!(
        accepted.user_card_code.as_deref(),
        Some(ids.gifted.as_str())
    );
}

/// Events 5, 7 and 8: Bob's code consumed through the API, Alice's second code deleted,
/// and Bob entering the chat from his card.
fn assert_consume_delete_and_chat_events(events: &[CardEvent], ids: &LifecycleIds) {
    let CardEvent::UserConsumeCard(consume) = &events[5] else {
        panic!()
    };
    assert_eq!(consume.envelope.from_user_name, "o_bob");
    assert_eq!(consume.user_card_code.as_deref(), Some(ids.gifted.as_str()));
    assert_eq!(consume.consume_source, Some(ConsumeSource::FromApi));

    let CardEvent::UserDelCard(delete) = &events[7] else {
        panic!()
    };
    assert_eq!(delete.user_card_code.as_deref(), Some(ids.second.as_str()));

    let CardEvent::UserEnterSessionFromCard(chat) = &events[8] else {
        panic!()
    };
    assert_eq!(chat.envelope.from_user_name, "o_bob");
    assert_eq!(chat.user_card_code.as_deref(), Some(ids.gifted.as_str()));
}

/// One sender never repeats a CreateTime, so de-duplication cannot merge two events.
fn assert_create_times_never_repeat(events: &[CardEvent]) {
    let alice: Vec<_> = events
        .iter()
        .map(|e| e.envelope().unwrap())
        .filter(|e| e.from_user_name == "o_alice")
        .map(|e| e.create_time)
        .collect();
    assert!(alice.windows(2).all(|w| w[0] < w[1]), "{alice:?}");
}
