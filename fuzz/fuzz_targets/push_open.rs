//! Arbitrary query strings and bodies at a safe-mode receiver, including bodies that
//! pass the signature check (so the decryption and XML reading are reached).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;
use std::time::{Duration, UNIX_EPOCH};
use wechat_card::push::{Receiver, SafeMode};

const TOKEN: &str = "spamtest";
const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = "wx2c2769f8efd9abc2";

// Built once, not per input: key decoding is not what is being fuzzed.
static RECEIVER: LazyLock<Receiver> =
    LazyLock::new(|| Receiver::safe_mode(TOKEN, KEY, APPID).expect("the example's settings"));
static SAFE: LazyLock<SafeMode> =
    LazyLock::new(|| SafeMode::new(TOKEN, KEY, APPID).expect("the example's settings"));

fuzz_target!(|data: &[u8]| {
    let receiver = &*RECEIVER;
    let now = UNIX_EPOCH + Duration::from_secs(1_409_735_669);
    let (query, body) = data.split_at(data.len() / 3);
    let _ = receiver.open_at(&String::from_utf8_lossy(query), body, now);

    // The same bytes as a correctly signed Encrypt value.
    let encrypt = String::from_utf8_lossy(body);
    let msg_signature =
        wechat_card::jssdk::card_signature([TOKEN, "1409735669", "n", encrypt.as_ref()]);
    let signature = wechat_card::jssdk::card_signature([TOKEN, "1409735669", "n"]);
    let signed = format!(
        "signature={signature}&timestamp=1409735669&nonce=n&encrypt_type=aes&msg_signature={msg_signature}"
    );
    let wrapped = format!("<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
    let _ = receiver.open_at(&signed, wrapped.as_bytes(), now);
    let _ = SAFE.decrypt(&msg_signature, "1409735669", "n", &encrypt);
});
