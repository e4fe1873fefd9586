//! Project tasks. `cargo xtask codegen [--check]`, `cargo xtask openapi`, `cargo xtask test [ARGS]`.

mod publish;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;
use wechat_card_codegen::{Mode, run};

const USAGE: &str = "usage: cargo xtask codegen [--check] [--root DIR] | cargo xtask openapi [--root DIR] | cargo xtask package | cargo xtask test [ARGS]

  codegen          regenerate src/generated/ and tests/conformance/ from spec/
  codegen --check  change nothing; fail if the generated files are stale
  openapi          regenerate only docs/openapi.json (codegen writes and checks it too)
  package          the crate as published: docs without warnings, cargo publish --dry-run,
                   the quick start and `cargo install` of the sandbox from the tarball,
                   docs/openapi.json validated and its examples sent to that sandbox
                   (part of a whole `test` run)
  --root DIR       work on the repository at DIR instead of this one
  test [ARGS]      the whole test suite on any machine: provides a redis-server for the
                   fleet tests (installing it with apt-get where it can), then runs
                   `cargo test --workspace --all-features [ARGS]`";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // xtask lives one level below the workspace root; `--root DIR` points elsewhere
    // (a scratch copy of the repository).
    let mut root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default();
    if let Some(i) = args.iter().position(|a| a == "--root") {
        let Some(dir) = args.get(i + 1).cloned() else {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        };
        root = PathBuf::from(dir);
        args.drain(i..i + 2);
    }
    if args.iter().map(String::as_str).eq(["package"]) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        return match publish::check(&root, &cargo) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xtask package: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("test") {
        return test::run(&root, &args[1..]);
    }
    if args.iter().map(String::as_str).eq(["openapi"]) {
        return match wechat_card_codegen::write_openapi(&root) {
            Ok(changed) => {
                let what = if changed { "updated" } else { "up to date" };
                eprintln!(
                    "openapi: {} {what}",
                    wechat_card_codegen::emit::OPENAPI_PATH
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("openapi: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let mode = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["codegen"] => Mode::Write,
        ["codegen", "--check"] => Mode::Check,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    match run(&root, mode) {
        Ok(report) if mode == Mode::Write && !report.is_clean() => {
            print!("updated:\n{report}");
            eprintln!("codegen: done in {:.0?}", started.elapsed());
            ExitCode::SUCCESS
        }
        Ok(_) => {
            eprintln!("codegen: up to date ({:.0?})", started.elapsed());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("codegen: {e}");
            ExitCode::FAILURE
        }
    }
}
