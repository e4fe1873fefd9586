//! Snapshot of the emitters on a small fixture spec (`tests/fixture/`, see its README):
//! any change in what the generator writes shows here, on a few hundred lines, as a
//! failing test with the files that differ. Bless an intended change with
//! `cargo xtask codegen --root codegen/tests/fixture` and review the diff.

use std::path::Path;
use wechat_card_codegen::{Mode, run};

#[test]
fn the_fixture_spec_generates_its_committed_output() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixture");
    if let Err(e) = run(&fixture, Mode::Check) {
        panic!(
            "{e}\nIf the change is intended: cargo xtask codegen --root codegen/tests/fixture, \
             then review the diff of codegen/tests/fixture/"
        );
    }
}
