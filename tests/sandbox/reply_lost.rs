//! The faults an idempotency-aware client exists for: a consume whose reply is lost,
//! late, cut short or trickled took effect; one reset or answered 5xx did not. Both
//! clients say the outcome is unknown, never send the consume again, and the check
//! the error recommends finds the truth.

use super::cards::{create_discount, discount_card};
use std::time::Duration;
use wechat_card::Error;
use wechat_card::code::CodeConsumeRequest;
use wechat_card::error::TimeoutPhase;
use wechat_card::sandbox::{Fault, FaultPlan, Sandbox};
use wechat_card::types::UserCardStatus;

/// A client's timeout: shorter than the late and trickled replies below.
const TIMEOUT: Duration = Duration::from_millis(400);

/// Every fault that may hit a consume, and whether the consume takes effect under it.
fn consume_faults() -> Vec<(Fault, bool)> {
    [
        Fault::Reset,
        Fault::DropConnection,
        Fault::ServerError {
            status: 503,
            errcode: -1,
        },
        Fault::ReplyLost,
        Fault::ReplyLate(Duration::from_millis(1_500)),
        Fault::TruncatedBody,
        Fault::TruncatedChunked,
        Fault::Trickle {
            bytes: 4,
            every: Duration::from_millis(200),
        },
    ]
    .into_iter()
    .map(|fault| (fault, fault.takes_effect()))
    .collect()
}

/// What a consume hit by `fault` must fail with: an error that says the outcome is
/// unknown and how to check, and that it timed out when the reply was slow.
fn assert_outcome_unknown(fault: Fault, err: &Error) {
    let check = err
        .outcome_check()
        .unwrap_or_else(|| panic!("{fault:?}: the outcome is unknown: {err}"));
    assert!(check.contains("CONSUMED"), "{fault:?}: {check}");
    let slow = matches!(fault, Fault::ReplyLate(_) | Fault::Trickle { .. });
    assert_eq!(err.is_timeout(), slow, "{fault:?}: {err}");
    if let Fault::ServerError { .. } = fault {
        assert_eq!(
            err.errcode(),
            Some(wechat_card::ErrCode::SystemBusy),
            "{err}"
        );
    } else {
        assert!(
            matches!(
                err,
                Error::Transport {
                    maybe_sent: true,
                    idempotent: false,
                    ..
                }
            ),
            "{fault:?}: {err:?}"
        );
        assert!(err.to_string().contains("outcome is unknown"), "{err}");
    }
}

/// The story, async: consume's reply is lost; the client says the outcome is unknown,
/// does not consume again, and `code().get_unchecked` shows the code consumed.
#[tokio::test]
async fn a_consume_whose_reply_was_lost_went_through_once_and_the_check_says_so() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_discount(&client, 5).await;
    let code = sandbox.user("o_alice").claim(&card_id).unwrap();
    let plan = FaultPlan::new(Fault::ReplyLost).endpoint("code.consume");
    sandbox.faults().add(plan.times(1));

    let err = client
        .code()
        .consume(&CodeConsumeRequest::new(&code))
        .await
        .unwrap_err();
    assert_outcome_unknown(Fault::ReplyLost, &err);

    assert_eq!(
        sandbox.faults().calls("code.consume"),
        1,
        "sent once, never again"
    );
    assert_eq!(
        sandbox.stock(&card_id).unwrap().consumed,
        1,
        "it went through"
    );
    let found = client.code().get_unchecked(&code).await.unwrap();
    assert_eq!(found.user_card_status, Some(UserCardStatus::Consumed));
}

/// The story, blocking: the reply comes after the client's timeout.
#[cfg(feature = "blocking")]
#[test]
fn a_blocking_consume_whose_reply_came_too_late_went_through_once() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let client = wechat_card::blocking::Client::new(
        sandbox.config().timeout(TIMEOUT),
        sandbox.credentials(),
    )
    .unwrap();
    let card_id = client
        .card()
        .create(&discount_card(5))
        .unwrap()
        .card_id
        .unwrap();
    let code = sandbox.user("o_bob").claim(&card_id).unwrap();
    let late = Fault::ReplyLate(Duration::from_millis(1_500));
    sandbox
        .faults()
        .add(FaultPlan::new(late).endpoint("code.consume").times(1));

    let err = client
        .code()
        .consume(&CodeConsumeRequest::new(&code))
        .unwrap_err();
    assert_outcome_unknown(late, &err);
    assert_eq!(err.timeout_phase(), Some(TimeoutPhase::Wait), "{err}");

    assert_eq!(
        sandbox.faults().calls("code.consume"),
        1,
        "sent once, never again"
    );
    assert_eq!(
        sandbox.stock(&card_id).unwrap().consumed,
        1,
        "it went through"
    );
    let found = client.code().get_unchecked(&code).unwrap();
    assert_eq!(found.user_card_status, Some(UserCardStatus::Consumed));
}

/// Every fault kind on a consume, through the async client.
#[tokio::test]
async fn every_fault_on_a_consume_leaves_the_check_to_tell_async() {
    let sandbox = Sandbox::start().await.unwrap();
    let client =
        wechat_card::Client::new(sandbox.config().timeout(TIMEOUT), sandbox.credentials()).unwrap();
    let card_id = create_discount(&client, 10).await;
    for (i, (fault, takes_effect)) in consume_faults().into_iter().enumerate() {
        let code = sandbox.user(format!("o_{i}")).claim(&card_id).unwrap();
        let before = sandbox.faults().calls("code.consume");
        let plan = FaultPlan::new(fault)
            .endpoint("code.consume")
            .call(before + 1);
        sandbox.faults().add(plan);
        let err = client
            .code()
            .consume(&CodeConsumeRequest::new(&code))
            .await
            .unwrap_err();
        assert_outcome_unknown(fault, &err);
        assert_eq!(
            sandbox.faults().calls("code.consume"),
            before + 1,
            "{fault:?}: once"
        );
        let found = client.code().get_unchecked(&code).await.unwrap();
        assert_eq!(
            found.user_card_status,
            Some(expected(takes_effect)),
            "{fault:?}"
        );
    }
}

/// Every fault kind on a consume, through the blocking client.
#[cfg(feature = "blocking")]
#[test]
fn every_fault_on_a_consume_leaves_the_check_to_tell_blocking() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let client = wechat_card::blocking::Client::new(
        sandbox.config().timeout(TIMEOUT),
        sandbox.credentials(),
    )
    .unwrap();
    let card_id = client
        .card()
        .create(&discount_card(10))
        .unwrap()
        .card_id
        .unwrap();
    for (i, (fault, takes_effect)) in consume_faults().into_iter().enumerate() {
        let code = sandbox.user(format!("o_{i}")).claim(&card_id).unwrap();
        let before = sandbox.faults().calls("code.consume");
        let plan = FaultPlan::new(fault)
            .endpoint("code.consume")
            .call(before + 1);
        sandbox.faults().add(plan);
        let err = client
            .code()
            .consume(&CodeConsumeRequest::new(&code))
            .unwrap_err();
        assert_outcome_unknown(fault, &err);
        assert_eq!(
            sandbox.faults().calls("code.consume"),
            before + 1,
            "{fault:?}: once"
        );
        let found = client.code().get_unchecked(&code).unwrap();
        assert_eq!(
            found.user_card_status,
            Some(expected(takes_effect)),
            "{fault:?}"
        );
    }
}

fn expected(takes_effect: bool) -> UserCardStatus {
    match takes_effect {
        true => UserCardStatus::Consumed,
        false => UserCardStatus::Normal,
    }
}
