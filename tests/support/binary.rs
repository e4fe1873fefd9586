//! The standalone server, `wechat-card-sandbox`, as other languages run it.

#![allow(dead_code)] // each test crate uses a different part

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The binary, started with its flags; killed when dropped, so a failing test leaves
/// no server behind.
pub struct SandboxBinary {
    child: Child,
    /// The first line it printed: where it listens.
    pub banner: String,
}

impl SandboxBinary {
    /// Starts it with `args` and waits until it says where it listens.
    pub fn start(args: &[&str]) -> SandboxBinary {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wechat-card-sandbox"))
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the sandbox binary starts");
        let mut banner = String::new();
        BufReader::new(child.stdout.take().expect("its stdout"))
            .read_line(&mut banner)
            .expect("its banner");
        SandboxBinary { child, banner }
    }

    /// Where it listens (`http://127.0.0.1:PORT`), from its banner.
    pub fn url(&self) -> String {
        self.banner
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .expect("the banner names its URL")
            .to_owned()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for SandboxBinary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
