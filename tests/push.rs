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

mod receiver {
    use super::*;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};
    use wechat_card::push::Receiver;

    const NOW: u64 = 1_409_735_669;

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW)
    }

    fn signed_query(timestamp: &str, nonce: &str) -> String {
        let signature = card_signature([TOKEN, timestamp, nonce]);
        format!("signature={signature}&timestamp={timestamp}&nonce={nonce}&openid=oUser")
    }

    /// `message` encrypted at `timestamp`, and the query that signs it: (query, Encrypt).
    fn encrypted(message: &str, timestamp: &str) -> (String, String) {
        let (encrypt, msg_signature) = safe().encrypt(message, timestamp, "n1");
        let query = format!(
            "{}&encrypt_type=aes&msg_signature={msg_signature}",
            signed_query(timestamp, "n1")
        );
        (query, encrypt)
    }

    fn safe_push(message: &str) -> (String, String) {
        let (query, encrypt) = encrypted(message, &NOW.to_string());
        let body = format!(
            "<xml>\n  <ToUserName><![CDATA[gh_1]]></ToUserName>\n  <Encrypt><![CDATA[{encrypt}]]></Encrypt>\n</xml>"
        );
        (query, body)
    }

    fn safe_receiver() -> Receiver {
        Receiver::safe_mode(TOKEN, KEY, APPID).unwrap()
    }

    #[test]
    fn a_plain_push_is_authenticated_and_returned() {
        let body = "<xml><Event><![CDATA[user_del_card]]></Event></xml>";
        let query = signed_query(&NOW.to_string(), "n1");
        let xml = Receiver::plain(TOKEN)
            .open_at(&query, body.as_bytes(), now())
            .unwrap();
        assert_eq!(xml, body);
        // With a leading '?', as some frameworks hand it over.
        assert!(
            Receiver::plain(TOKEN)
                .open_at(&format!("?{query}"), body.as_bytes(), now())
                .is_ok()
        );
    }

    #[test]
    fn a_safe_mode_push_is_decrypted() {
        let (query, body) = safe_push("<xml><Event><![CDATA[user_get_card]]></Event></xml>");
        let xml = safe_receiver()
            .open_at(&query, body.as_bytes(), now())
            .unwrap();
        assert_eq!(xml, "<xml><Event><![CDATA[user_get_card]]></Event></xml>");
    }

    #[test]
    fn a_forged_signature_is_rejected() {
        let query = signed_query(&NOW.to_string(), "n1").replace("nonce=n1", "nonce=n2");
        let err = Receiver::plain(TOKEN)
            .open_at(&query, b"<xml/>", now())
            .unwrap_err();
        assert_eq!(err, PushError::BadSignature { which: "signature" });
    }

    #[test]
    fn a_replayed_push_is_rejected() {
        let (query, body) = safe_push("<xml/>");
        let later = now() + Duration::from_secs(3_600);
        let err = safe_receiver()
            .open_at(&query, body.as_bytes(), later)
            .unwrap_err();
        assert!(
            matches!(err, PushError::Stale { max_secs: 300, .. }),
            "{err}"
        );
        // A receiver may widen the window.
        let patient = safe_receiver().max_age(Duration::from_secs(7_200));
        assert!(patient.open_at(&query, body.as_bytes(), later).is_ok());
    }

    #[test]
    fn a_tampered_ciphertext_is_rejected() {
        let (query, body) = safe_push("<xml/>");
        let start = body.find("<Encrypt><![CDATA[").unwrap() + "<Encrypt><![CDATA[".len();
        let mut tampered = body.clone();
        let flipped = if &body[start..start + 1] == "A" {
            "B"
        } else {
            "A"
        };
        tampered.replace_range(start..start + 1, flipped);
        let err = safe_receiver()
            .open_at(&query, tampered.as_bytes(), now())
            .unwrap_err();
        assert_eq!(
            err,
            PushError::BadSignature {
                which: "msg_signature"
            }
        );
    }

    #[test]
    fn another_accounts_push_is_rejected() {
        let (query, body) = safe_push("<xml/>");
        let other = Receiver::safe_mode(TOKEN, KEY, "wx0000000000000000").unwrap();
        let err = other.open_at(&query, body.as_bytes(), now()).unwrap_err();
        assert!(matches!(err, PushError::WrongAppId { .. }), "{err}");
    }

    #[test]
    fn modes_cannot_be_mixed() {
        let plain_query = signed_query(&NOW.to_string(), "n1");
        let err = safe_receiver()
            .open_at(&plain_query, b"<xml/>", now())
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("plain push to a safe-mode receiver"),
            "{err}"
        );
        let (query, body) = safe_push("<xml/>");
        let err = Receiver::plain(TOKEN)
            .open_at(&query, body.as_bytes(), now())
            .unwrap_err();
        assert!(matches!(err, PushError::Config(_)), "{err}");
    }

    #[test]
    fn missing_parameters_and_bad_bodies_are_named() {
        let err = Receiver::plain(TOKEN)
            .open_at("timestamp=1&nonce=2", b"", now())
            .unwrap_err();
        assert!(err.to_string().contains("`signature`"), "{err}");
        let (query, _) = safe_push("<xml/>");
        for body in [
            "",
            "<xml><ToUserName>x</ToUserName></xml>",
            "<xml><Encrypt>abc",
            "not xml at all <",
        ] {
            let err = safe_receiver()
                .open_at(&query, body.as_bytes(), now())
                .unwrap_err();
            assert!(matches!(err, PushError::Malformed(_)), "{body:?}: {err}");
        }
        let err = safe_receiver()
            .open_at(&query, &[0xff, 0xfe], now())
            .unwrap_err();
        assert!(err.to_string().contains("UTF-8"), "{err}");
    }

    #[test]
    fn encrypt_may_be_escaped_text_rather_than_cdata() {
        let (query, encrypt) = encrypted("<xml/>", &NOW.to_string());
        // '+' and '/' need no escaping, but an escaped character must be read back.
        let escaped = encrypt.replacen('+', "&#43;", 1);
        let body = format!("<xml><Encrypt>{escaped}</Encrypt></xml>");
        assert_eq!(
            safe_receiver()
                .open_at(&query, body.as_bytes(), now())
                .unwrap(),
            "<xml/>"
        );
        // An <Encrypt> nested deeper is not the message's.
        let nested = format!("<xml><Other><Encrypt>{encrypt}</Encrypt></Other></xml>");
        assert!(
            safe_receiver()
                .open_at(&query, nested.as_bytes(), now())
                .is_err()
        );
    }

    #[test]
    fn url_verification_returns_echostr() {
        let query = format!(
            "{}&echostr=5837397520665436492",
            signed_query("1409735669", "n1")
        );
        assert_eq!(
            Receiver::plain(TOKEN).verify_url(&query).unwrap(),
            "5837397520665436492"
        );
        let forged = query.replace("nonce=n1", "nonce=n9");
        assert!(Receiver::plain(TOKEN).verify_url(&forged).is_err());
        // Signed, but without an echostr: nothing to answer with.
        assert!(
            Receiver::plain(TOKEN)
                .verify_url(&signed_query("1", "n1"))
                .is_err()
        );
    }

    #[test]
    fn the_receiver_returns_typed_events() {
        // The wall clock: Receiver::event checks freshness against it.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string();
        let body = format!(
            "<xml><ToUserName>gh</ToUserName><FromUserName>oUser</FromUserName><CreateTime>{now}</CreateTime><MsgType>event</MsgType><Event>user_del_card</Event><CardId>pCard</CardId><UserCardCode>123</UserCardCode></xml>"
        );
        let (query, encrypt) = encrypted(&body, &now);
        let wrapped = format!("<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
        match safe_receiver().event(&query, wrapped.as_bytes()).unwrap() {
            wechat_card::push::events::CardEvent::UserDelCard(e) => assert_eq!(e.card_id, "pCard"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn debug_hides_the_token() {
        let shown = format!("{:?}", safe_receiver());
        assert!(
            !shown.contains(TOKEN) && !shown.contains("abcdefghij"),
            "{shown}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1_000))]

        /// Any body behind a valid signature: a message or an error, never a panic.
        #[test]
        fn any_body_is_an_error_or_a_message(body in proptest::collection::vec(any::<u8>(), 0..400), text in ".{0,300}") {
            let ts = NOW.to_string();
            let query = format!("{}&encrypt_type=aes&msg_signature=0", signed_query(&ts, "n1"));
            let _ = safe_receiver().open_at(&query, &body, now());
            let _ = safe_receiver().open_at(&query, text.as_bytes(), now());
            let wrapped = format!("<xml><Encrypt>{text}</Encrypt></xml>");
            let _ = safe_receiver().open_at(&query, wrapped.as_bytes(), now());
            let _ = Receiver::plain(TOKEN).open_at(&signed_query(&ts, "n1"), &body, now());
        }

        #[test]
        fn any_query_is_an_error_or_a_message(query in ".{0,200}") {
            let _ = safe_receiver().open_at(&query, b"<xml/>", now());
            let _ = Receiver::plain(TOKEN).verify_url(&query);
        }
    }
}

mod events {
    use wechat_card::push::PushError;
    use wechat_card::push::events::{CardEvent, ConsumeSource, UserConsumeCard};

    const CONSUMED: &str = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName><CreateTime>1472551036</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[user_consume_card]]></Event><CardId><![CDATA[pCard]]></CardId><UserCardCode><![CDATA[12312312]]></UserCardCode><ConsumeSource><![CDATA[FROM_API]]></ConsumeSource></xml>";

    #[test]
    fn a_card_event_is_typed() {
        let event = CardEvent::parse(CONSUMED).unwrap();
        let CardEvent::UserConsumeCard(UserConsumeCard {
            envelope,
            card_id,
            user_card_code,
            consume_source,
            ..
        }) = &event
        else {
            panic!("{event:?}");
        };
        assert_eq!(
            (envelope.from_user_name.as_str(), envelope.create_time),
            ("oUser", 1472551036)
        );
        assert_eq!(card_id, "pCard");
        assert_eq!(user_card_code.as_deref(), Some("12312312"));
        assert_eq!(consume_source, &Some(ConsumeSource::FromApi));
        assert_eq!(event.envelope().unwrap().event, "user_consume_card");
    }

    #[test]
    fn an_unknown_event_is_kept_as_xml() {
        let xml = CONSUMED.replace("user_consume_card", "user_scan_product");
        match CardEvent::parse(&xml).unwrap() {
            CardEvent::Unknown(unknown) => {
                assert_eq!(unknown.event, "user_scan_product");
                assert_eq!(unknown.xml, xml);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn undocumented_values_are_kept() {
        let xml = CONSUMED.replace("FROM_API", "FROM_SOMEWHERE_NEW");
        let CardEvent::UserConsumeCard(e) = CardEvent::parse(&xml).unwrap() else {
            panic!()
        };
        let source = e.consume_source.unwrap();
        assert_eq!(source, ConsumeSource::Unknown("FROM_SOMEWHERE_NEW".into()));
        assert_eq!(source.as_str(), "FROM_SOMEWHERE_NEW");
    }

    #[test]
    fn new_elements_are_kept_in_extra() {
        let xml = CONSUMED.replace("</xml>", "<NewField>1</NewField></xml>");
        let event = CardEvent::parse(&xml).unwrap();
        assert_eq!(event.extra(), &[("NewField".to_owned(), "1".to_owned())]);
    }

    #[test]
    fn missing_or_mistyped_fields_are_named() {
        let no_card = CONSUMED.replace("<CardId><![CDATA[pCard]]></CardId>", "");
        let err = CardEvent::parse(&no_card).unwrap_err();
        assert_eq!(
            err,
            PushError::Malformed("user_consume_card: <CardId> is required".into())
        );
        let bad_time = CONSUMED.replace("1472551036", "yesterday");
        let err = CardEvent::parse(&bad_time).unwrap_err();
        assert!(
            err.to_string().contains("<CreateTime> must be an integer"),
            "{err}"
        );
        let gift = "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>user_gifting_card</Event><CardId>p</CardId><IsReturnBack>2</IsReturnBack></xml>";
        let err = CardEvent::parse(gift).unwrap_err();
        assert!(
            err.to_string().contains("<IsReturnBack> must be 0 or 1"),
            "{err}"
        );
        assert!(matches!(
            CardEvent::parse("<xml><CardId>"),
            Err(PushError::Malformed(_))
        ));
        // A described element given twice is refused: which one would be meant? (An
        // empty first one once let the second slip into `extra`.)
        let twice = CONSUMED.replace(
            "</xml>",
            "<LocationName></LocationName><LocationName>x</LocationName></xml>",
        );
        let err = CardEvent::parse(&twice).unwrap_err();
        assert_eq!(
            err.to_string(),
            "push rejected: user_consume_card: <LocationName> is given more than once"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]

        #[test]
        fn any_xml_is_an_event_or_an_error(xml in ".{0,400}") {
            let _ = CardEvent::parse(&xml);
            let _ = CardEvent::parse(&format!("<xml><Event>user_del_card</Event>{xml}</xml>"));
        }

        // Whatever parses writes back (to_xml) to the same event.
        #[test]
        fn what_parses_writes_back(fields in proptest::collection::vec(("(CardId|UserCardCode|IsChatRoom|CreateTime|New|[A-Za-z]{1,8})", ".{0,30}"), 0..8)) {
            let mut xml = String::from("<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>user_gifting_card</Event>");
            for (name, text) in &fields {
                xml.push_str(&format!("<{name}>{}</{name}>", quick_xml::escape::escape(text.as_str())));
            }
            xml.push_str("</xml>");
            if let Ok(event) = CardEvent::parse(&xml) {
                proptest::prop_assert_eq!(CardEvent::parse(&event.to_xml()).unwrap(), event);
            }
        }

        // Text goes out in CDATA whatever it holds (`]]>`, `<`, `&`, Chinese) and comes
        // back the same; reading trims, as the docs' own examples need.
        #[test]
        fn any_event_text_round_trips(code in ".{0,40}", outer in ".{0,40}", extra in ".{0,40}", time in proptest::num::i64::ANY) {
            let mut event = match CardEvent::parse(CONSUMED).unwrap() {
                CardEvent::UserConsumeCard(e) => e,
                other => panic!("{other:?}"),
            };
            event.envelope.create_time = time;
            event.user_card_code = Some(code.trim().to_owned());
            event.outer_str = Some(format!("]]>{}", outer.trim()));
            event.consume_source = Some(ConsumeSource::Unknown(outer.trim().to_owned()));
            event.extra = vec![("NewField".into(), extra.trim().to_owned())];
            let event = CardEvent::UserConsumeCard(event);
            proptest::prop_assert_eq!(CardEvent::parse(&event.to_xml()).unwrap(), event);
        }
    }
}
