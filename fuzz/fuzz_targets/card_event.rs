//! Arbitrary text as a decrypted push: a typed event, an unknown one, or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wechat_card::push::events::CardEvent;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = CardEvent::parse(&text);
    let _ = CardEvent::parse(&format!("<xml><Event>user_get_card</Event>{text}</xml>"));
});
