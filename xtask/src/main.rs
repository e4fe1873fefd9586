//! Project tasks. `cargo xtask codegen [--check]`.

use std::path::PathBuf;
use std::process::ExitCode;
use wechat_card_codegen::{Mode, run};

const USAGE: &str = "usage: cargo xtask codegen [--check]

  codegen          regenerate src/generated/ and tests/conformance/ from spec/
  codegen --check  change nothing; fail if the generated files are stale";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["codegen"] => Mode::Write,
        ["codegen", "--check"] => Mode::Check,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    // xtask lives one level below the workspace root.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default();
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
