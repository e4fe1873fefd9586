//! Arbitrary replies, any status, to a JSON endpoint, a non-idempotent one and an image
//! endpoint: a value or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wechat_card::card::CardGetRequest;
use wechat_card::code::CodeConsumeRequest;
use wechat_card::distribute::DistributeShowQrcodeRequest;
use wechat_card::response::decode;

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data.split_first() {
        Some((s, rest)) => (200 + u16::from(*s) * 2, rest),
        None => (200, data),
    };
    let _ = decode::<CardGetRequest>(status, Some("application/json"), body);
    let _ = decode::<CodeConsumeRequest>(status, None, body);
    let _ = decode::<DistributeShowQrcodeRequest>(status, Some("image/jpeg"), body);
});
