//! Safe mode (安全模式): the AES-256-CBC `Encrypt` of a push and its `msg_signature`.
//!
//! `Encrypt = Base64(AES-256-CBC(random 16 bytes ‖ length (4 bytes, big-endian) ‖
//! message ‖ appid))`; the key is `Base64(EncodingAESKey + "=")`, the IV its first 16
//! bytes, the padding PKCS#7 over 32-byte blocks.

use super::PushError;
use super::signature::same;
use crate::jssdk::card_signature;
use aes::Aes256;
use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::NoPadding};
use std::fmt;

/// WeChat pads to 32-byte blocks (PKCS#7 with k = 32), not AES's 16.
const PAD_BLOCK: usize = 32;
/// The random prefix and the length field before the message.
const HEADER: usize = 16 + 4;

/// Safe-mode (安全模式) decryption and encryption for one account: its server token,
/// EncodingAESKey and appid.
#[derive(Clone)]
pub struct SafeMode {
    token: String,
    key: [u8; 32],
    appid: String,
}

impl fmt::Debug for SafeMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SafeMode")
            .field("token", &"<redacted>")
            .field("key", &"<redacted>")
            .field("appid", &self.appid)
            .finish()
    }
}

impl SafeMode {
    /// `encoding_aes_key` is the 43-character EncodingAESKey from the account's server
    /// settings.
    pub fn new(
        token: impl Into<String>,
        encoding_aes_key: &str,
        appid: impl Into<String>,
    ) -> Result<Self, PushError> {
        let bad = || {
            PushError::Config(format!(
                "EncodingAESKey must be 43 Base64 characters (got {} characters that do not decode to 32 bytes)",
                encoding_aes_key.chars().count()
            ))
        };
        if encoding_aes_key.len() != 43 {
            return Err(bad());
        }
        // WeChat's keys leave non-zero bits after the last byte (the published example's
        // final "G" does), which a strict decoder refuses.
        let lenient = GeneralPurpose::new(
            &alphabet::STANDARD,
            GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
        );
        let bytes = lenient
            .decode(format!("{encoding_aes_key}="))
            .map_err(|_| bad())?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| bad())?;
        Ok(SafeMode {
            token: token.into(),
            key,
            appid: appid.into(),
        })
    }

    /// The appid messages must carry.
    pub fn appid(&self) -> &str {
        &self.appid
    }

    /// Checks `msg_signature` over `encrypt`, decrypts it and checks the appid; returns
    /// the plain XML message.
    pub fn decrypt(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypt: &str,
    ) -> Result<String, PushError> {
        let expected = card_signature([self.token.as_str(), timestamp, nonce, encrypt]);
        if !same(&expected, msg_signature) {
            return Err(PushError::BadSignature {
                which: "msg_signature",
            });
        }
        self.open(encrypt)
    }

    /// Decrypts `Encrypt` and checks the appid; the caller has checked the signature.
    fn open(&self, encrypt: &str) -> Result<String, PushError> {
        let mut data = BASE64
            .decode(encrypt.trim())
            .map_err(|_| PushError::Malformed("Encrypt is not Base64".into()))?;
        if data.is_empty() || data.len() % 16 != 0 {
            return Err(PushError::Malformed(format!(
                "Encrypt is {} bytes, not a whole number of AES blocks",
                data.len()
            )));
        }
        let decryptor = cbc::Decryptor::<Aes256>::new((&self.key).into(), self.key[..16].into());
        let plain = decryptor
            .decrypt_padded_mut::<NoPadding>(&mut data)
            .map_err(|_| PushError::Malformed("Encrypt does not decrypt".into()))?;
        let pad = *plain.last().unwrap_or(&0) as usize;
        if pad == 0 || pad > PAD_BLOCK || pad > plain.len() {
            return Err(PushError::Malformed(
                "padding is not PKCS#7 (wrong EncodingAESKey?)".into(),
            ));
        }
        let body = &plain[..plain.len() - pad];
        if body.len() < HEADER {
            return Err(PushError::Malformed("the message is too short".into()));
        }
        let length = u32::from_be_bytes([body[16], body[17], body[18], body[19]]) as usize;
        let rest = &body[HEADER..];
        if length > rest.len() {
            return Err(PushError::Malformed(format!(
                "the length field says {length} bytes, only {} follow",
                rest.len()
            )));
        }
        let (message, appid) = rest.split_at(length);
        if appid != self.appid.as_bytes() {
            return Err(PushError::WrongAppId {
                found: String::from_utf8_lossy(appid).chars().take(32).collect(),
            });
        }
        String::from_utf8(message.to_vec())
            .map_err(|_| PushError::Malformed("the message is not UTF-8".into()))
    }

    /// Encrypts a message as WeChat does (for replies in safe mode, and for the
    /// sandbox): returns `(Encrypt, msg_signature)`.
    pub fn encrypt(&self, message: &str, timestamp: &str, nonce: &str) -> (String, String) {
        let mut random = [0u8; 16];
        // WeChat's scheme fixes the IV; the random prefix only makes equal messages
        // encrypt differently. Without OS randomness a zero prefix still decrypts.
        let _ = getrandom::fill(&mut random);
        self.encrypt_with(random, message, timestamp, nonce)
    }

    fn encrypt_with(
        &self,
        random: [u8; 16],
        message: &str,
        timestamp: &str,
        nonce: &str,
    ) -> (String, String) {
        let mut data = Vec::with_capacity(HEADER + message.len() + self.appid.len() + PAD_BLOCK);
        data.extend_from_slice(&random);
        data.extend_from_slice(&(message.len() as u32).to_be_bytes());
        data.extend_from_slice(message.as_bytes());
        data.extend_from_slice(self.appid.as_bytes());
        let pad = PAD_BLOCK - data.len() % PAD_BLOCK;
        data.extend(std::iter::repeat_n(pad as u8, pad));
        let len = data.len();
        let encryptor = cbc::Encryptor::<Aes256>::new((&self.key).into(), self.key[..16].into());
        let sealed = encryptor
            .encrypt_padded_mut::<NoPadding>(&mut data, len)
            .expect("the data is padded to whole blocks");
        let encrypt = BASE64.encode(sealed);
        let signature = card_signature([self.token.as_str(), timestamp, nonce, encrypt.as_str()]);
        (encrypt, signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // WeChat's published worked example for safe mode (the WXBizMsgCrypt sample).
    const TOKEN: &str = "spamtest";
    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    const APPID: &str = "wx2c2769f8efd9abc2";
    const TIMESTAMP: &str = "1409735669";
    const NONCE: &str = "1320562132";
    const MSG_SIGNATURE: &str = "5d197aaffba7e9b25a30732f161a50dee96bd5fa";
    const ENCRYPT: &str = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=";
    const PLAIN: &str = "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[abcdteT]]></Content>\n<MsgId>6054768590064713728</MsgId>\n</xml>";

    fn safe() -> SafeMode {
        SafeMode::new(TOKEN, KEY, APPID).unwrap()
    }

    #[test]
    fn decrypts_wechats_worked_example() {
        let xml = safe()
            .decrypt(MSG_SIGNATURE, TIMESTAMP, NONCE, ENCRYPT)
            .unwrap();
        assert_eq!(xml, PLAIN);
    }

    #[test]
    fn encrypting_the_example_with_its_random_prefix_gives_wechats_bytes() {
        // The example's random prefix, read back from its decryption.
        let s = safe();
        let mut data = BASE64.decode(ENCRYPT).unwrap();
        let d = cbc::Decryptor::<Aes256>::new((&s.key).into(), s.key[..16].into());
        let plain = d.decrypt_padded_mut::<NoPadding>(&mut data).unwrap();
        let random: [u8; 16] = plain[..16].try_into().unwrap();
        let (encrypt, signature) = s.encrypt_with(random, PLAIN, TIMESTAMP, NONCE);
        assert_eq!(encrypt, ENCRYPT);
        assert_eq!(signature, MSG_SIGNATURE);
    }

    #[test]
    fn round_trips_and_uses_a_fresh_prefix() {
        let s = safe();
        let (a, sig) = s.encrypt("<xml>卡券</xml>", "1", "n");
        let (b, _) = s.encrypt("<xml>卡券</xml>", "1", "n");
        assert_ne!(a, b);
        assert_eq!(s.decrypt(&sig, "1", "n", &a).unwrap(), "<xml>卡券</xml>");
    }

    #[test]
    fn a_tampered_message_is_rejected_by_its_signature() {
        let mut tampered = ENCRYPT.to_owned();
        tampered.replace_range(0..1, "i");
        let err = safe()
            .decrypt(MSG_SIGNATURE, TIMESTAMP, NONCE, &tampered)
            .unwrap_err();
        assert_eq!(
            err,
            PushError::BadSignature {
                which: "msg_signature"
            }
        );
        // Another timestamp or nonce breaks the signature too.
        assert!(
            safe()
                .decrypt(MSG_SIGNATURE, "1409735670", NONCE, ENCRYPT)
                .is_err()
        );
        assert!(
            safe()
                .decrypt(MSG_SIGNATURE, TIMESTAMP, "1", ENCRYPT)
                .is_err()
        );
    }

    #[test]
    fn another_accounts_message_is_rejected_by_its_appid() {
        let other = SafeMode::new(TOKEN, KEY, "wx0000000000000000").unwrap();
        let err = other
            .decrypt(MSG_SIGNATURE, TIMESTAMP, NONCE, ENCRYPT)
            .unwrap_err();
        assert_eq!(
            err,
            PushError::WrongAppId {
                found: APPID.into()
            }
        );
        assert!(err.to_string().contains("not this account's"));
    }

    #[test]
    fn a_wrong_key_is_malformed_not_a_panic() {
        let wrong =
            SafeMode::new(TOKEN, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg", APPID).unwrap();
        let err = wrong
            .decrypt(MSG_SIGNATURE, TIMESTAMP, NONCE, ENCRYPT)
            .unwrap_err();
        assert!(
            matches!(err, PushError::Malformed(_) | PushError::WrongAppId { .. }),
            "{err}"
        );
    }

    #[test]
    fn malformed_input_is_an_error() {
        let s = safe();
        for encrypt in ["", "not base64!", "AAAA", &BASE64.encode([0u8; 31])] {
            let sig = card_signature([TOKEN, TIMESTAMP, NONCE, encrypt]);
            let err = s.decrypt(&sig, TIMESTAMP, NONCE, encrypt).unwrap_err();
            assert!(matches!(err, PushError::Malformed(_)), "{encrypt:?}: {err}");
        }
    }

    #[test]
    fn settings_are_checked() {
        for key in [
            "",
            "short",
            &format!("{KEY}A"),
            "*bcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        ] {
            let err = SafeMode::new(TOKEN, key, APPID).unwrap_err();
            assert!(
                err.to_string()
                    .contains("EncodingAESKey must be 43 Base64 characters"),
                "{err}"
            );
            assert!(!err.to_string().contains(KEY));
        }
    }

    #[test]
    fn debug_hides_the_token_and_key() {
        let shown = format!("{:?}", safe());
        assert!(
            !shown.contains(TOKEN) && !shown.contains("abcdefghij"),
            "{shown}"
        );
        assert!(shown.contains(APPID));
    }
}
