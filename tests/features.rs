//! The feature promise: the blocking client alone pulls in neither tokio nor reqwest.

use std::process::Command;

fn dependency_tree(features: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args([
        "tree",
        "--edges",
        "normal",
        "--prefix",
        "none",
        "--package",
        "wechat-card",
        "--no-default-features",
    ]);
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    let out = cmd
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn has(tree: &str, krate: &str) -> bool {
    tree.lines()
        .any(|l| l.split_whitespace().next() == Some(krate))
}

#[test]
fn blocking_alone_pulls_in_neither_tokio_nor_reqwest() {
    let tree = dependency_tree(&["blocking"]);
    assert!(has(&tree, "ureq"), "{tree}");
    assert!(
        !has(&tree, "tokio"),
        "tokio is a dependency of the blocking build:\n{tree}"
    );
    assert!(
        !has(&tree, "reqwest"),
        "reqwest is a dependency of the blocking build:\n{tree}"
    );
}

#[test]
fn async_is_reqwest_and_both_can_be_on() {
    let tree = dependency_tree(&["async"]);
    assert!(has(&tree, "reqwest") && !has(&tree, "ureq"), "{tree}");
    let both = dependency_tree(&["async", "blocking"]);
    assert!(has(&both, "reqwest") && has(&both, "ureq"), "{both}");
}
