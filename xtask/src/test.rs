//! `cargo xtask test`: the whole suite with everything it needs, on a fresh machine.
//!
//! The fleet tests (tests/fleet.rs) need a real `redis-server`, the console's browser
//! test (tests/sandbox/browser.rs) a headless Chromium. This task finds them
//! (installing Debian's packages with apt-get when it runs as root and a binary is
//! missing, or saying how to install it otherwise), starts redis on a free loopback
//! port, names both to the tests (`WECHAT_CARD_TEST_REDIS`,
//! `WECHAT_CARD_TEST_CHROMIUM`), runs the suite and stops redis.
//! Then (a whole run only) it checks the library in the other feature sets users build
//! — default and blocking-only — with warnings as errors: the suite runs with all
//! features, which hides code only another set leaves unused. Last, the crate as it
//! would be published (`publish.rs`: docs, package, quick start and sandbox binary from
//! the tarball, the OpenAPI description).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

pub fn run(root: &Path, args: &[String]) -> ExitCode {
    // A Chromium named by the caller is theirs to provide.
    let chromium = std::env::var("WECHAT_CARD_TEST_CHROMIUM").ok();
    let needed = [Some(&REDIS), chromium.is_none().then_some(&CHROMIUM)];
    if let Err(e) = needed.into_iter().flatten().try_for_each(ensure) {
        eprintln!("xtask test: {e}");
        return ExitCode::FAILURE;
    }
    let redis = match Redis::start() {
        Ok(redis) => redis,
        Err(e) => {
            eprintln!("xtask test: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("xtask test: redis-server on {}", redis.url);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .current_dir(root)
        .args(["test", "--workspace", "--all-features"])
        .args(args)
        .env("WECHAT_CARD_TEST_REDIS", &redis.url)
        .env(
            "WECHAT_CARD_TEST_CHROMIUM",
            chromium.as_deref().unwrap_or(CHROMIUM.program),
        )
        .status();
    drop(redis);
    let status = match status {
        Ok(s) if s.success() && args.is_empty() => check_feature_sets(root, &cargo),
        other => other,
    };
    // And (a whole run only) the crate as it would be published: docs, package, the
    // quick start and the sandbox binary from the tarball, the OpenAPI description.
    let status = match status {
        Ok(s) if s.success() && args.is_empty() => match crate::publish::check(root, &cargo) {
            Ok(()) => Ok(s),
            Err(e) => {
                eprintln!("xtask package: {e}");
                return ExitCode::FAILURE;
            }
        },
        other => other,
    };
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => ExitCode::from(s.code().unwrap_or(1).clamp(1, 255) as u8),
        Err(e) => {
            eprintln!("xtask test: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The library alone in each feature set other than all, warnings as errors (passed to
/// this crate only: its dependencies build as they always do).
fn check_feature_sets(root: &Path, cargo: &str) -> std::io::Result<std::process::ExitStatus> {
    let sets: [&[&str]; 2] = [&[], &["--no-default-features", "--features", "blocking"]];
    let mut last = None;
    for set in sets {
        eprintln!("xtask test: warnings in the library with {set:?}");
        let status = Command::new(cargo)
            .current_dir(root)
            .args(["rustc", "--lib", "--profile", "check", "-p", "wechat-card"])
            .args(set)
            .args(["--", "-D", "warnings"])
            .status()?;
        if !status.success() {
            return Ok(status);
        }
        last = Some(status);
    }
    Ok(last.expect("feature sets to check"))
}

/// A program the tests need, and the Debian packages that provide it (and what makes it
/// useful: the CJK font for the console's screenshot).
pub(crate) struct Needed {
    pub(crate) program: &'static str,
    pub(crate) packages: &'static [&'static str],
    pub(crate) by: &'static str,
    pub(crate) other_systems: &'static str,
}

const REDIS: Needed = Needed {
    program: "redis-server",
    packages: &["redis-server"],
    by: "the fleet tests",
    other_systems: "macOS: brew install redis",
};

const CHROMIUM: Needed = Needed {
    program: "chromium",
    packages: &["chromium", "fonts-wqy-microhei"],
    by: "the console's browser test",
    other_systems: "or name any Chromium or Chrome binary in WECHAT_CARD_TEST_CHROMIUM",
};

/// `needed.program` on the PATH, installed with apt-get if it can be.
pub(crate) fn ensure(needed: &Needed) -> Result<(), String> {
    if found(needed.program) {
        return Ok(());
    }
    let packages = needed.packages.join(" ");
    let how = format!(
        "install it (Debian/Ubuntu: apt-get install {packages}; {}) and run this again",
        needed.other_systems
    );
    let program = needed.program;
    if !(found("apt-get") && is_root()) {
        return Err(format!("{program} is needed by {}: {how}", needed.by));
    }
    eprintln!("xtask test: installing {packages} with apt-get");
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let install = [
        &["install", "-y", "-qq", "--no-install-recommends"][..],
        needed.packages,
    ]
    .concat();
    if apt(&["update", "-qq"]) && apt(&install) {
        Ok(())
    } else {
        Err(format!("apt-get could not install {packages}: {how}"))
    }
}

fn found(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// A `redis-server` child on a free loopback port, stopped on drop.
struct Redis {
    url: String,
    child: Child,
}

impl Redis {
    fn start() -> Result<Redis, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start redis-server: {e}"))?;
        let redis = Redis {
            url: format!("redis://127.0.0.1:{port}"),
            child,
        };
        let started = Instant::now();
        while !pong(port) {
            if started.elapsed() > Duration::from_secs(10) {
                return Err("redis-server did not answer PING within 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(redis)
    }
}

fn pong(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
