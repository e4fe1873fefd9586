//! The signatures WeChat puts on a push: `signature` over the server token, timestamp
//! and nonce (every push, and the server URL verification), and the freshness of that
//! timestamp. Safe mode's `msg_signature` is the same SHA-1 over one more value, checked
//! in [`super::crypto`].

use super::PushError;
use crate::jssdk::card_signature;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Checks the `signature` WeChat adds to every push and to the server URL verification.
///
/// ```
/// use wechat_card::push::verify_url_signature;
///
/// let signature = wechat_card::jssdk::card_signature(["mytoken", "1409735669", "1320562132"]);
/// assert!(verify_url_signature("mytoken", "1409735669", "1320562132", &signature).is_ok());
/// assert!(verify_url_signature("mytoken", "1409735670", "1320562132", &signature).is_err());
/// ```
pub fn verify_url_signature(
    token: &str,
    timestamp: &str,
    nonce: &str,
    signature: &str,
) -> Result<(), PushError> {
    let expected = card_signature([token, timestamp, nonce]);
    match same(&expected, signature) {
        true => Ok(()),
        false => Err(PushError::BadSignature { which: "signature" }),
    }
}

/// The server URL verification (plain mode): WeChat sends `signature`, `timestamp`,
/// `nonce` and `echostr` as a GET; answer with `echostr` unchanged if the signature holds.
///
/// ```
/// use wechat_card::push::answer_url_verification;
///
/// let signature = wechat_card::jssdk::card_signature(["mytoken", "1409735669", "1320562132"]);
/// let reply = answer_url_verification("mytoken", "1409735669", "1320562132", &signature, "shr5ch")?;
/// assert_eq!(reply, "shr5ch");
/// # Ok::<(), wechat_card::push::PushError>(())
/// ```
pub fn answer_url_verification<'a>(
    token: &str,
    timestamp: &str,
    nonce: &str,
    signature: &str,
    echostr: &'a str,
) -> Result<&'a str, PushError> {
    verify_url_signature(token, timestamp, nonce, signature)?;
    Ok(echostr)
}

/// Rejects a push whose `timestamp` is more than `max_age` away from `now`: WeChat
/// retries within seconds, so an old signed message is a replay.
pub fn check_fresh(timestamp: &str, now: SystemTime, max_age: Duration) -> Result<(), PushError> {
    let sent: i64 = timestamp.parse().map_err(|_| {
        PushError::Malformed(format!(
            "timestamp {timestamp:?} is not a number of seconds"
        ))
    })?;
    let now = match now.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(_) => 0,
    };
    let age = now.saturating_sub(sent);
    if age.unsigned_abs() > max_age.as_secs() {
        return Err(PushError::Stale {
            timestamp: sent,
            age_secs: age,
            max_secs: max_age.as_secs(),
        });
    }
    Ok(())
}

/// Compares two signatures without stopping at the first difference.
pub(super) fn same(expected: &str, given: &str) -> bool {
    let (a, b) = (
        expected.as_bytes(),
        given.trim().to_ascii_lowercase().into_bytes(),
    );
    a.len() == b.len() && a.iter().zip(&b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    // From WeChat's published worked example (the WXBizMsgCrypt sample).
    const TOKEN: &str = "spamtest";
    const TIMESTAMP: &str = "1409735669";
    const NONCE: &str = "1320562132";

    #[test]
    fn url_signature_and_handshake() {
        let sig = card_signature([TOKEN, TIMESTAMP, NONCE]);
        assert!(verify_url_signature(TOKEN, TIMESTAMP, NONCE, &sig).is_ok());
        assert!(verify_url_signature(TOKEN, TIMESTAMP, NONCE, &sig.to_uppercase()).is_ok());
        assert_eq!(
            verify_url_signature("other", TIMESTAMP, NONCE, &sig),
            Err(PushError::BadSignature { which: "signature" })
        );
        assert_eq!(
            answer_url_verification(TOKEN, TIMESTAMP, NONCE, &sig, "echo").unwrap(),
            "echo"
        );
        assert!(answer_url_verification(TOKEN, TIMESTAMP, NONCE, "0", "echo").is_err());
    }

    #[test]
    fn stale_and_future_timestamps_are_rejected() {
        let now = UNIX_EPOCH + Duration::from_secs(1_409_735_669);
        let window = Duration::from_secs(300);
        assert!(check_fresh("1409735669", now, window).is_ok());
        assert!(check_fresh("1409735400", now, window).is_ok());
        let err = check_fresh("1409735000", now, window).unwrap_err();
        assert!(
            matches!(err, PushError::Stale { age_secs: 669, .. }),
            "{err}"
        );
        assert!(check_fresh("1409736669", now, window).is_err());
        assert!(matches!(
            check_fresh("yesterday", now, window),
            Err(PushError::Malformed(_))
        ));
    }
}
