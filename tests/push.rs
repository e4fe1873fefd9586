//! Property tests of the safe-mode entry points: whatever arrives, the answer is a
//! message or an error naming the rule, never a panic; what we encrypt, WeChat's
//! algorithm decrypts.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use proptest::prelude::*;
use wechat_card::jssdk::card_signature;
use wechat_card::push::{PushError, SafeMode, check_fresh, verify_url_signature};

const TOKEN: &str = "spamtest";
const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = "wx2c2769f8efd9abc2";

fn safe() -> SafeMode {
    SafeMode::new(TOKEN, KEY, APPID).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Arbitrary text as Encrypt, correctly signed so that it reaches the decryption.
    #[test]
    fn any_signed_text_is_an_error_or_a_message(encrypt in ".{0,300}", timestamp in "[0-9]{1,12}", nonce in "[a-z0-9]{0,16}") {
        let signature = card_signature([TOKEN, timestamp.as_str(), nonce.as_str(), encrypt.as_str()]);
        let _ = safe().decrypt(&signature, &timestamp, &nonce, &encrypt);
    }

    /// Arbitrary bytes of whole AES blocks: they decrypt to garbage, which must be refused.
    #[test]
    fn any_signed_ciphertext_is_an_error_or_a_message(blocks in proptest::collection::vec(any::<[u8; 16]>(), 0..40)) {
        let encrypt = BASE64.encode(blocks.concat());
        let signature = card_signature([TOKEN, "1", "n", encrypt.as_str()]);
        match safe().decrypt(&signature, "1", "n", &encrypt) {
            Ok(_) => {}
            Err(PushError::Malformed(_) | PushError::WrongAppId { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error {other}"),
        }
    }

    #[test]
    fn any_signature_is_checked_without_panicking(signature in ".{0,64}", timestamp in ".{0,20}", nonce in ".{0,20}") {
        let _ = verify_url_signature(TOKEN, &timestamp, &nonce, &signature);
        let _ = check_fresh(&timestamp, std::time::SystemTime::now(), std::time::Duration::from_secs(300));
    }

    #[test]
    fn any_key_is_accepted_or_refused_by_rule(key in ".{0,60}") {
        if let Err(e) = SafeMode::new(TOKEN, &key, APPID) {
            prop_assert!(e.to_string().contains("EncodingAESKey"));
        }
    }

    /// Every message round-trips, whatever its content and size.
    #[test]
    fn every_message_round_trips(message in ".{0,500}", timestamp in "[0-9]{10}", nonce in "[a-z0-9]{1,16}") {
        let s = safe();
        let (encrypt, signature) = s.encrypt(&message, &timestamp, &nonce);
        prop_assert_eq!(s.decrypt(&signature, &timestamp, &nonce, &encrypt).unwrap(), message);
    }
}
