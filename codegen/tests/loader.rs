//! The loader rejects bad specs, naming file, endpoint and field.

use wechat_card_codegen::{SourceFile, SpecError, generate, load::load};

const ERRCODES: &str = "codes:\n  - { code: 40056, name: InvalidCode, meaning: 不合法的Code码, action: fix_request, source: OFF }\n";

const TYPES: &str = r#"
types:
  Window:
    fields:
      begin_date: { type: string, required: true, format: date }
      end_date: { type: string, required: true, format: date }
    rules:
      - date_range: { begin: begin_date, end: end_date, max_days: 62 }
enums:
  Status:
    strip_prefix: S_
    values:
      - { value: S_OK, doc: fine }
      - { value: S_BAD }
"#;

/// A small valid group; tests replace parts of it.
const GROUP: &str = r#"
group: demo
title: Demo
doc: https://example.invalid/doc
endpoints:
  - id: get
    summary: get a code
    http: POST /card/code/get
    idempotent: true
    request:
      fields:
        code: { type: string, required: true, max_bytes: 20 }
        status: Status
        tags: { type: list, items: { type: string, max_chars: 2 }, max_items: 3 }
    response:
      fields:
        window: Window
    errcodes: [40056]
    examples:
      - name: ok
        source: test
        request: { code: "123", status: S_OK, tags: [a, 券] }
        response: { errcode: 0, errmsg: ok, window: { begin_date: "2015-06-15", end_date: "2015-06-30" } }
"#;

fn spec(group: &str) -> Vec<SourceFile> {
    vec![
        SourceFile {
            path: "spec/errcodes.yaml".into(),
            text: ERRCODES.into(),
        },
        SourceFile {
            path: "spec/types/common.yaml".into(),
            text: TYPES.into(),
        },
        SourceFile {
            path: "spec/api/demo.yaml".into(),
            text: group.into(),
        },
    ]
}

fn errors(files: &[SourceFile]) -> Vec<SpecError> {
    match load(files) {
        Ok(_) => panic!("the spec was accepted"),
        Err(e) => e.0,
    }
}

/// Exactly one error, in `file`, at `location`, on `field`, whose message contains `says`.
fn rejects(group: &str, file: &str, location: &str, field: &str, says: &str) {
    let errors = errors(&spec(group));
    let found = errors.iter().any(|e| {
        e.file == file && e.location == location && e.field == field && e.message.contains(says)
    });
    assert!(
        found,
        "no error {file}: {location}: {field}: …{says}… among {errors:#?}"
    );
}

#[test]
fn the_base_spec_loads_and_generates() {
    let files = generate(&spec(GROUP)).unwrap_or_else(|e| panic!("{e}"));
    let demo = files
        .iter()
        .find(|f| f.path == "src/generated/demo.rs")
        .expect("a group file");
    assert!(demo.text.starts_with("// @generated"));
    assert!(demo.text.contains("pub struct DemoGetRequest"));
    assert!(demo.text.contains("MaxBytes(20)"));
}

#[test]
fn unknown_key_in_a_field() {
    let bad = GROUP.replace("max_bytes: 20", "max_byte: 20");
    rejects(
        &bad,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "request.fields.code.max_byte",
        "unknown field `max_byte`",
    );
}

#[test]
fn unknown_key_on_an_endpoint() {
    let bad = GROUP.replace("idempotent: true", "idempotent: true\n    retries: 3");
    rejects(
        &bad,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "retries",
        "unknown field `retries`",
    );
}

#[test]
fn dangling_type_reference() {
    let bad = GROUP.replace("status: Status", "status: Statuss");
    rejects(
        &bad,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "request.status",
        "unknown type `Statuss`",
    );
}

#[test]
fn duplicate_endpoint_id() {
    let endpoint = &GROUP[GROUP.find("  - id: get").unwrap()..];
    let bad = format!("{GROUP}{endpoint}");
    rejects(
        &bad,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "id",
        "duplicate endpoint id `get`",
    );
}

#[test]
fn duplicate_type_name_across_files() {
    let mut files = spec(GROUP);
    files.push(SourceFile {
        path: "spec/types/more.yaml".into(),
        text: "types:\n  Window:\n    fields: {}\n".into(),
    });
    let errors = errors(&files);
    assert!(
        errors
            .iter()
            .any(|e| e.location == "type `Window`" && e.message.contains("duplicate")),
        "{errors:#?}"
    );
}

#[test]
fn example_breaking_a_limit() {
    let bad = GROUP.replace(r#"code: "123""#, r#"code: "123456789012345678901""#);
    rejects(
        &bad,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "examples.ok.request.code",
        "at most 20 bytes",
    );
}

#[test]
fn example_breaking_an_item_limit() {
    let bad = GROUP.replace("tags: [a, 券]", "tags: [a, 券券券]");
    rejects(
        &bad,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "examples.ok.request.tags[1]",
        "at most 2 汉字",
    );
}

#[test]
fn example_with_an_undeclared_field() {
    let bad = GROUP.replace("status: S_OK,", "status: S_OK, colour: red,");
    rejects(
        &bad,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "examples.ok.request.colour",
        "not a field",
    );
}

#[test]
fn example_missing_a_required_field() {
    let bad = GROUP.replace(r#"{ code: "123", "#, "{ ");
    rejects(
        &bad,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "examples.ok.request.code",
        "required field missing",
    );
}

#[test]
fn example_with_an_undocumented_enum_value() {
    let bad = GROUP.replace("status: S_OK", "status: S_MAYBE");
    rejects(
        &bad,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "examples.ok.request.status",
        "not a documented value",
    );
}

#[test]
fn a_reply_is_checked_for_shape_not_for_the_rules_of_requests() {
    // WeChat's replies break the limits it sets for requests (a 92-day window here)
    // and leave out what it requires of us: the example still loads…
    let wide = GROUP.replace(r#"end_date: "2015-06-30""#, r#"end_date: "2015-09-30""#);
    assert!(load(&spec(&wide)).is_ok());
    let sparse = GROUP.replace(
        r#"window: { begin_date: "2015-06-15", end_date: "2015-06-30" }"#,
        r#"window: { begin_date: "2015-06-15" }"#,
    );
    assert!(load(&spec(&sparse)).is_ok());
    // …but a key the spec does not describe, or a value of the wrong type, is an error.
    let unknown = GROUP.replace(
        r#"end_date: "2015-06-30""#,
        r#"end_date: "2015-06-30", stray: 1"#,
    );
    rejects(
        &unknown,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "examples.ok.response.window.stray",
        "not a field",
    );
    let mistyped = GROUP.replace(r#"end_date: "2015-06-30""#, "end_date: 20150630");
    rejects(
        &mistyped,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "examples.ok.response.window.end_date",
        "expected a string",
    );
}

#[test]
fn a_request_example_still_meets_every_rule() {
    let missing = GROUP.replace(r#"request: { code: "123", "#, "request: { ");
    rejects(
        &missing,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "examples.ok.request.code",
        "required field missing",
    );
}

#[test]
fn old_wire_forms_of_an_enum_value_are_unique() {
    let types = TYPES.replace(
        "{ value: S_OK, doc: fine }",
        "{ value: S_OK, also: [1, S_BAD], doc: fine }",
    );
    let files = |types: &str| {
        let mut files = spec(GROUP);
        files[1].text = types.into();
        files
    };
    let found = errors(&files(&types))
        .iter()
        .any(|e| e.message.contains("S_BAD"));
    assert!(found, "S_BAD is a value of its own");
    // A string enum reads 1 and "1" alike: one of them is enough.
    let twice = TYPES.replace(
        "{ value: S_OK, doc: fine }",
        "{ value: S_OK, also: [1, \"1\"], doc: fine }",
    );
    let found = errors(&files(&twice))
        .iter()
        .any(|e| e.message.contains("is taken"));
    assert!(found, "1 and \"1\" are one wire form");
    let ok = TYPES.replace(
        "{ value: S_OK, doc: fine }",
        "{ value: S_OK, also: [1], doc: fine }",
    );
    assert!(load(&files(&ok)).is_ok());
    let bad = TYPES.replace(
        "{ value: S_OK, doc: fine }",
        "{ value: S_OK, also: [[1]], doc: fine }",
    );
    assert!(
        errors(&files(&bad))
            .iter()
            .any(|e| e.message.contains("strings or integers"))
    );
}

#[test]
fn format_color_is_for_strings() {
    let bad = GROUP.replace("status: Status", "status: { type: int, format: color }");
    let found = errors(&spec(&bad))
        .iter()
        .any(|e| e.message.contains("format"));
    assert!(found);
    let unknown = GROUP.replace("status: Status", "status: { type: string, format: colour }");
    let found = errors(&spec(&unknown)).iter().any(|e| {
        e.message
            .contains("unknown format `colour` (known: date, color, decimal)")
    });
    assert!(found);
}

#[test]
fn error_example_with_an_unlisted_errcode() {
    let bad = GROUP.replace("response: { errcode: 0, errmsg: ok, window: { begin_date: \"2015-06-15\", end_date: \"2015-06-30\" } }", "response: { errcode: 12345, errmsg: nope }");
    rejects(
        &bad,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "examples.ok.response.errcode",
        "not in spec/errcodes.yaml",
    );
}

#[test]
fn errcode_not_in_the_table() {
    let bad = GROUP.replace("errcodes: [40056]", "errcodes: [40056, 99999]");
    rejects(
        &bad,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "errcodes",
        "99999 is not in spec/errcodes.yaml",
    );
}

#[test]
fn constraint_on_the_wrong_type() {
    let bad = GROUP.replace("status: Status", "status: { type: bool, max_bytes: 3 }");
    rejects(
        &bad,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "request.status",
        "`max_bytes` applies to string or file fields only",
    );
}

#[test]
fn rule_naming_a_missing_field() {
    let bad = GROUP.replace(
        "    response:\n",
        "      rules:\n        - at_most_one_of: [status, nope]\n    response:\n",
    );
    rejects(
        &bad,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "request.rules",
        "`nope`, which is not a field",
    );
}

#[test]
fn group_must_match_its_file() {
    let bad = GROUP.replace("group: demo", "group: other");
    rejects(
        &bad,
        "spec/api/demo.yaml",
        "",
        "group",
        "must equal the file name `demo`",
    );
}

#[test]
fn errors_are_all_reported_at_once() {
    let bad = GROUP.replace("max_bytes: 20", "max_byte: 20");
    let mut files = spec(&bad);
    files[1].text = TYPES.replace(
        "type: string, required: true, format: date }\n      end_date",
        "type: Nope }\n      end_date",
    );
    let errors = errors(&files);
    assert!(
        errors
            .iter()
            .any(|e| e.location == "type `Window`" && e.message.contains("unknown type `Nope`")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.location == "endpoint `get`" && e.message.contains("max_byte")),
        "{errors:#?}"
    );
}

#[test]
fn generation_is_deterministic() {
    let once = generate(&spec(GROUP)).unwrap();
    let twice = generate(&spec(GROUP)).unwrap();
    assert_eq!(once, twice);
}

const EVENTS: &str = r#"
delivery: { timeout_seconds: 5, retries: 3 }
envelope:
  - { name: FromUserName, type: string, doc: the user }
  - { name: CreateTime, type: integer, doc: when }
  - { name: MsgType, type: string, doc: event }
  - { name: Event, type: string, doc: which }
events:
  - event: user_del_card
    name: UserDelCard
    doc: A user deleted a card.
    source: https://example.invalid/events
    fields:
      - { name: CardId, type: string, required: true, doc: the card }
      - { name: IsChatRoom, type: flag, doc: "1 in a group chat" }
    examples:
      - name: official
        xml: "<xml><FromUserName><![CDATA[o1]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[user_del_card]]></Event><CardId><![CDATA[p1]]></CardId></xml>"
"#;

fn with_events(events: &str) -> Vec<SourceFile> {
    let mut files = spec(GROUP);
    files.push(SourceFile {
        path: "spec/events.yaml".into(),
        text: events.into(),
    });
    files
}

#[test]
fn events_load() {
    assert!(load(&with_events(EVENTS)).is_ok());
}

#[test]
fn an_event_example_must_use_only_listed_fields() {
    let bad = EVENTS
        .replace("<CardId>", "<CardID>")
        .replace("</CardId>", "</CardID>");
    let errors = errors(&with_events(&bad));
    assert!(
        errors.iter().any(|e| e.file == "spec/events.yaml"
            && e.location == "event `user_del_card`"
            && e.field == "examples.official"
            && e.message
                .contains("<CardID> is neither in the envelope nor a field")),
        "{errors:#?}"
    );
}

#[test]
fn an_event_enum_is_one_type() {
    let with_values = EVENTS.replace(
        "{ name: IsChatRoom, type: flag, doc: \"1 in a group chat\" }",
        "{ name: IsChatRoom, type: flag, doc: \"1 in a group chat\" }\n      - { name: Source, type: string, enum: Source, values: [A, B], doc: where }\n      - { name: Origin, type: string, enum: Source, values: [A], doc: whence }",
    );
    let errors = errors_of(&with_values);
    assert!(
        errors.iter().any(|e| e.field == "Origin"
            && e.message
                .contains("enum `Source` is listed elsewhere with other values")),
        "{errors:#?}"
    );
    let clash = with_values.replace(
        "enum: Source, values: [A]",
        "enum: UserDelCard, values: [A]",
    );
    let errors = errors_of(&clash);
    assert!(
        errors.iter().any(|e| e
            .message
            .contains("enum `UserDelCard` is the name of another generated type")),
        "{errors:#?}"
    );
    let same = with_values.replace("values: [A], doc: whence", "values: [A, B], doc: whence");
    assert!(load(&with_events(&same)).is_ok());
}

#[test]
fn delivery_is_required_and_allows_time_to_reply() {
    let errors = errors_of(&EVENTS.replace("timeout_seconds: 5", "timeout_seconds: 0"));
    assert!(
        errors
            .iter()
            .any(|e| e.field == "delivery.timeout_seconds" && e.message.contains("more than 0")),
        "{errors:#?}"
    );
    let errors = errors_of(&EVENTS.replace("delivery: { timeout_seconds: 5, retries: 3 }\n", ""));
    assert!(
        errors.iter().any(|e| e.message.contains("delivery")),
        "{errors:#?}"
    );
}

#[test]
fn an_event_example_must_be_its_event() {
    let bad = EVENTS.replace("CDATA[user_del_card]", "CDATA[user_get_card]");
    let errors = errors(&with_events(&bad));
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("not a `user_del_card` event")),
        "{errors:#?}"
    );
}

#[test]
fn event_fields_have_known_types_and_unknown_keys_are_refused() {
    let errors = errors(&with_events(&EVENTS.replace("type: flag", "type: bool")));
    assert!(
        errors
            .iter()
            .any(|e| e.field == "IsChatRoom"
                && e.message.contains("expected string, integer or flag")),
        "{errors:#?}"
    );
    let errors = errors_of(&EVENTS.replace(
        "doc: A user deleted a card.",
        "doc: A user deleted a card.\n    docs: typo",
    ));
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("unknown field `docs`")),
        "{errors:#?}"
    );
}

fn errors_of(events: &str) -> Vec<SpecError> {
    errors(&with_events(events))
}

#[test]
fn documented_values_need_an_enum_name_and_examples_must_use_them() {
    let with_values = EVENTS.replace(
        "- { name: IsChatRoom, type: flag, doc: \"1 in a group chat\" }",
        "- { name: IsChatRoom, type: flag, doc: \"1 in a group chat\" }\n      - { name: Source, type: string, enum: Source, values: [A, B], doc: where }",
    );
    assert!(load(&with_events(&with_values)).is_ok());
    let errors = errors_of(&with_values.replace("enum: Source, ", ""));
    assert!(
        errors
            .iter()
            .any(|e| e.field == "Source" && e.message.contains("`values` needs `enum`")),
        "{errors:#?}"
    );
    let bad_example = with_values.replace("</CardId>", "</CardId><Source>C</Source>");
    let errors = errors_of(&bad_example);
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("<Source> is `C`, not one of its values")),
        "{errors:#?}"
    );
}

/// The base group with one shortcut of `get`.
fn with_shortcut(args: &str, set: &str) -> String {
    GROUP.replace(
        "    errcodes: [40056]\n",
        &format!(
            "    shortcuts:\n      - {{ name: get_fixed, summary: s, args: {args}, set: {set} }}\n    errcodes: [40056]\n"
        ),
    )
}

#[test]
fn shortcut_set_values_fit_their_fields() {
    assert!(load(&spec(&with_shortcut("[code]", "{ status: S_OK }"))).is_ok());
    rejects(
        &with_shortcut("[code]", "{ status: NOPE }"),
        "spec/api/demo.yaml",
        "endpoint `get`",
        "shortcuts[0].set.status",
        r#""NOPE" is not a value of this field's type"#,
    );
    rejects(
        &with_shortcut("[]", "{ code: 5 }"),
        "spec/api/demo.yaml",
        "endpoint `get`",
        "shortcuts[0].set.code",
        "5 is not a value of this field's type",
    );
}

#[test]
fn an_inline_type_named_by_a_later_endpoint_is_emitted_once() {
    let with_inline = GROUP.replace(
        "        tags:",
        "        filter: { type: object, fields: { since: { type: int } } }\n        tags:",
    );
    let later = r#"  - id: list
    summary: list codes
    http: POST /card/code/list
    idempotent: true
    request:
      fields:
        filter: DemoGetRequestFilter
    response:
      fields: {}
    examples:
      - name: ok
        source: test
        request: { filter: { since: 1 } }
        response: { errcode: 0, errmsg: ok }
"#;
    let files = generate(&spec(&format!("{with_inline}{later}"))).unwrap_or_else(|e| panic!("{e}"));
    let demo = files
        .iter()
        .find(|f| f.path == "src/generated/demo.rs")
        .expect("a group file");
    assert_eq!(
        demo.text
            .matches("pub struct DemoGetRequestFilter {")
            .count(),
        1,
        "{}",
        demo.text
    );
    assert!(demo.text.contains("pub struct DemoListRequest {"));
}

#[test]
fn a_signed_argument_splits_into_two_optional_ints() {
    // `code` is a required string: no side of a signed argument.
    let bad = GROUP.replace(
        "    errcodes: [40056]\n",
        "    shortcuts:\n      - { name: by, summary: s, args: [delta], signed: { delta: { positive: code, negative: tags } } }\n    errcodes: [40056]\n",
    );
    rejects(
        &bad,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "shortcuts[0].signed.delta",
        "`code` must be an optional int field of the request",
    );
    // A signed argument must be one of the shortcut's arguments.
    let bad = GROUP.replace(
        "    errcodes: [40056]\n",
        "    shortcuts:\n      - { name: by, summary: s, args: [code], signed: { delta: { positive: code, negative: tags } } }\n    errcodes: [40056]\n",
    );
    rejects(
        &bad,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "shortcuts[0].signed.delta",
        "a signed argument is named in `args`",
    );
}

/// The errors of the base spec with `errcodes` as its errcodes.yaml.
fn errcode_errors(errcodes: &str) -> Vec<SpecError> {
    let mut files = spec(GROUP);
    files[0].text = errcodes.into();
    errors(&files)
}

#[test]
fn errcode_without_an_action() {
    let errors = errcode_errors(&ERRCODES.replace("action: fix_request, ", ""));
    assert!(
        errors.iter().any(|e| e.file == "spec/errcodes.yaml"
            && e.message.contains("missing field `action`")),
        "{errors:#?}"
    );
}

#[test]
fn a_keyed_argument_names_object_fields_holding_its_wrap() {
    // `status` (S_OK, S_BAD) would key the fields `s_ok` and `s_bad`: there are none.
    let bad = GROUP.replace(
        "    errcodes: [40056]\n",
        "    shortcuts:\n      - { name: by, summary: s, args: [code, kind, what], keyed: { kind: { enum: Status, wrap: what } } }\n    errcodes: [40056]\n",
    );
    rejects(
        &bad,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "shortcuts[0].keyed.kind",
        "no value of the enum names a request field",
    );
    let bad = GROUP.replace(
        "    errcodes: [40056]\n",
        "    shortcuts:\n      - { name: by, summary: s, args: [code, kind, what], keyed: { kind: { enum: Nope, wrap: what } } }\n    errcodes: [40056]\n",
    );
    rejects(
        &bad,
        "spec/api/demo.yaml",
        "endpoint `get`",
        "shortcuts[0].keyed.kind",
        "`Nope` is not an enum",
    );
}

#[test]
fn errcode_with_an_unknown_action() {
    let errors = errcode_errors(&ERRCODES.replace("fix_request", "pray"));
    assert!(
        errors.iter().any(|e| e.file == "spec/errcodes.yaml"
            && e.field == "code 40056"
            && e.message
                .contains("action `pray` is not one of renew_token, retry_later")),
        "{errors:#?}"
    );
}

#[test]
fn every_errcode_is_in_the_generated_table_with_its_action() {
    let files = generate(&spec(GROUP)).unwrap_or_else(|e| panic!("{e}"));
    let table = files
        .iter()
        .find(|f| f.path == "docs/errcodes.md")
        .expect("the errcode table");
    assert!(
        table
            .text
            .contains("| 40056 | `InvalidCode` | 不合法的Code码 | `fix_request` |"),
        "{}",
        table.text
    );
}
