//! The action table against the parsers: the keys `--help` and the docs show are the
//! keys each body takes.

use super::*;
use crate::sandbox::SandboxBuilder;

fn engine() -> Arc<Engine> {
    let (engine, _queue) = SandboxBuilder::default().engine(([127, 0, 0, 1], 9).into());
    engine
}

async fn run(engine: &Arc<Engine>, action: &Action, body: &str) -> Outcome {
    let body = Bytes::from(body.to_owned());
    match action.run {
        Now(run) => run(engine, &body),
        Later(run) => run(engine.clone(), body).await,
    }
}

/// The keys serde lists after an unknown one: "expected one of `a`, `b`",
/// "expected `a`", or "there are no fields".
fn listed_keys(message: &str) -> Vec<String> {
    let Some((_, expected)) = message.split_once("expected ") else {
        return Vec::new();
    };
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_table_shows_each_bodys_keys() {
    let engine = engine();
    // (A fault's keys depend on its kind: `faults/json.rs` tests them, kind by kind.)
    for action in actions().iter().filter(|a| a.name != "fault") {
        let Err(Refusal::Request(e)) = run(&engine, action, r#"{"zz_unknown": 0}"#).await else {
            panic!("{} took an unknown key", action.name);
        };
        let mut listed = listed_keys(e.message());
        let mut shown: Vec<String> = action
            .keys
            .split(", ")
            .filter(|k| !k.is_empty())
            .map(|k| k.trim_end_matches('?').to_owned())
            .collect();
        listed.sort();
        shown.sort();
        assert_eq!(listed, shown, "{}: {}", action.name, e.message());
    }
}

#[tokio::test]
async fn an_empty_body_is_refused_exactly_when_a_key_is_required() {
    let engine = engine();
    for action in actions() {
        let required = action
            .keys
            .split(", ")
            .any(|k| !k.is_empty() && !k.ends_with('?'));
        let refused = matches!(run(&engine, action, "").await, Err(Refusal::Request(_)));
        assert_eq!(refused, required, "{}", action.name);
    }
}

#[test]
fn names_are_unique_and_only_bodiless_actions_answer_get() {
    let mut names = names();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), actions().len());
    assert!(actions().iter().all(|a| !a.get || a.keys.is_empty()));
}
