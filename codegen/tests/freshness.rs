//! `cargo xtask codegen --check` semantics, and the repository's own freshness: this
//! test makes `cargo test` fail on stale generated files, as rust-analyzer does.

use std::fs;
use std::path::{Path, PathBuf};
use wechat_card_codegen::{Error, GeneratedFile, Mode, read_spec, run, sync};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("codegen/ is in the workspace")
        .to_owned()
}

#[test]
fn generated_files_are_fresh() {
    if let Err(e) = run(&workspace_root(), Mode::Check) {
        panic!("{e}");
    }
}

#[test]
fn the_real_spec_generates_the_same_twice() {
    let spec = read_spec(&workspace_root()).unwrap();
    let once = wechat_card_codegen::generate(&spec).unwrap_or_else(|e| panic!("{e}"));
    let twice = wechat_card_codegen::generate(&spec).unwrap();
    assert_eq!(once, twice);
}

/// A scratch directory removed at the end of the test.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("wechat-card-codegen-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn files() -> Vec<GeneratedFile> {
    vec![
        GeneratedFile {
            path: "src/generated/mod.rs".into(),
            text: "// a\n".into(),
        },
        GeneratedFile {
            path: "tests/conformance/main.rs".into(),
            text: "// b\n".into(),
        },
    ]
}

fn stale(result: Result<wechat_card_codegen::Report, Error>) -> wechat_card_codegen::Report {
    match result {
        Ok(report) => report,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn check_reports_missing_stale_and_extra_files() {
    let dir = Scratch::new("check");
    let root = &dir.0;

    let report = stale(sync(root, &files(), Mode::Check));
    assert_eq!(
        report.missing,
        ["src/generated/mod.rs", "tests/conformance/main.rs"]
    );
    assert!(
        !root.join("src/generated/mod.rs").exists(),
        "check mode writes nothing"
    );

    let report = stale(sync(root, &files(), Mode::Write));
    assert_eq!(report.missing.len(), 2);
    assert!(stale(sync(root, &files(), Mode::Check)).is_clean());

    fs::write(root.join("src/generated/mod.rs"), "// edited by hand\n").unwrap();
    fs::write(
        root.join("src/generated/old_group.rs"),
        "// no longer generated\n",
    )
    .unwrap();
    let report = stale(sync(root, &files(), Mode::Check));
    assert_eq!(report.changed, ["src/generated/mod.rs"]);
    assert_eq!(report.extra, ["src/generated/old_group.rs"]);

    stale(sync(root, &files(), Mode::Write));
    assert!(
        !root.join("src/generated/old_group.rs").exists(),
        "write mode removes stale files"
    );
    assert_eq!(
        fs::read_to_string(root.join("src/generated/mod.rs")).unwrap(),
        "// a\n"
    );
    assert!(stale(sync(root, &files(), Mode::Check)).is_clean());
}

#[test]
fn run_in_check_mode_fails_with_the_fix() {
    let dir = Scratch::new("run");
    let root = &dir.0;
    // Copy the real spec into an empty tree: everything is missing.
    let spec = read_spec(&workspace_root()).unwrap();
    for f in &spec {
        let path = root.join(&f.path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, &f.text).unwrap();
    }
    let err = run(root, Mode::Check).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Stale(_)), "{message}");
    assert!(
        message.contains("missing: src/generated/card.rs"),
        "{message}"
    );
    assert!(
        message.contains("run `cargo xtask codegen` and commit"),
        "{message}"
    );
    run(root, Mode::Write).unwrap();
    run(root, Mode::Check).unwrap();
}
