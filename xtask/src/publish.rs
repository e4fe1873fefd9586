//! `cargo xtask package`: the crate as users get it, checked (and run by `cargo xtask
//! test` after the suite).
//!
//! 1. `cargo doc --all-features --no-deps`, warnings as errors (what docs.rs builds);
//! 2. `cargo publish --dry-run`: the crate packages, and the tarball builds on its own;
//! 3. the tarball, unpacked in a scratch directory, runs the README's quick start
//!    (`cargo run --features sandbox --example quickstart`), and the same file runs as
//!    the example of a project that depends on the crate (the README's way);
//! 4. the sandbox binary installs from it with `cargo install` and answers HTTP;
//! 5. `docs/openapi.json` is valid OpenAPI (openapi-spec-validator, pinned, installed in
//!    a virtualenv under target/ when the machine lacks it) and every operation's
//!    example goes through that installed sandbox
//!    (`examples/other-languages/openapi_examples.py`), with every documented request
//!    and reply, and every reply of the sandbox, validated against its schema by
//!    `jsonschema` (the validator's own dependency).
//!
//! Everything builds into the workspace's target directory (dev profile, `cargo install
//! --debug`), so the dependencies the suite built are reused, not built again.

use super::test::{Needed, ensure};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CRATE: &str = "wechat-card";
const SANDBOX_BIN: &str = "wechat-card-sandbox";
/// The validator CI runs, pinned so that a new release cannot fail a build by itself.
const VALIDATOR: (&str, &str) = ("openapi-spec-validator", "0.9.0");

const PYTHON: Needed = Needed {
    program: "python3",
    packages: &["python3", "python3-venv"],
    by: "the OpenAPI checks",
    other_systems: "macOS: brew install python",
};

pub fn check(root: &Path, cargo: &str) -> Result<(), String> {
    // Where the suite built (so that nothing is built twice).
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));

    let started = Instant::now();
    step("cargo doc, warnings as errors");
    run(Command::new(cargo)
        .current_dir(root)
        .args([
            "doc",
            "-p",
            CRATE,
            "--all-features",
            "--no-deps",
            "--locked",
        ])
        .env("RUSTDOCFLAGS", "-D warnings"))?;
    timed("docs build without warnings", started);

    let started = Instant::now();
    // --allow-dirty: this checks what would be packaged, committed or not.
    step("cargo publish --dry-run (packages the crate and builds the tarball alone)");
    run(Command::new(cargo).current_dir(root).args([
        "publish",
        "--dry-run",
        "-p",
        CRATE,
        "--allow-dirty",
        "--locked",
    ]))?;
    run(Command::new(cargo).current_dir(root).args([
        "package",
        "--no-verify",
        "-p",
        CRATE,
        "--allow-dirty",
        "--locked",
    ]))?;
    timed("the crate packages and builds", started);

    // Outside the workspace, where the unpacked crate is a workspace of its own.
    let scratch = std::env::temp_dir().join(format!("wechat-card-package-{}", std::process::id()));
    let result = from_tarball(root, cargo, &target, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// Steps 3 to 5, in `scratch`.
fn from_tarball(root: &Path, cargo: &str, target: &Path, scratch: &Path) -> Result<(), String> {
    let started = Instant::now();
    let _ = std::fs::remove_dir_all(scratch);
    std::fs::create_dir_all(scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let version = package_version(root)?;
    let tarball = target.join(format!("package/{CRATE}-{version}.crate"));
    run(Command::new("tar")
        .arg("xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(scratch))?;
    let unpacked = scratch.join(format!("{CRATE}-{version}"));
    let quick_start = readme_first_command(root)?;
    step(&format!(
        "the README's quick start, `{}`, from the unpacked tarball",
        quick_start.join(" ")
    ));
    run(Command::new(cargo)
        .current_dir(&unpacked)
        .args(&quick_start[1..])
        .arg("--locked")
        .env("CARGO_TARGET_DIR", target)
        .stdout(Stdio::null()))?;
    timed("the quick start runs from the tarball", started);

    let started = Instant::now();
    step("the quick start as the example of a project that depends on the crate (README)");
    as_dependency(cargo, target, scratch, &unpacked)?;
    timed("the quick start runs as a dependent's example", started);

    let started = Instant::now();
    let installed = scratch.join("install");
    step("cargo install of the sandbox binary, from the unpacked tarball");
    run(Command::new(cargo)
        .current_dir(scratch)
        .args(["install", "--locked", "--debug", "--features", "sandbox"])
        .args(["--bin", SANDBOX_BIN, "--path"])
        .arg(&unpacked)
        .arg("--root")
        .arg(&installed)
        .arg("--target-dir")
        .arg(target))?;
    let sandbox = Sandbox::start(&installed.join("bin").join(SANDBOX_BIN))?;
    let reply = http(&sandbox.addr, "POST", "/sandbox/credentials")?;
    if !(reply.starts_with("HTTP/1.1 200") && reply.contains("\"appid\"")) {
        return Err(format!("the installed sandbox answered: {reply}"));
    }
    timed(
        &format!("the installed sandbox answers on {}", sandbox.addr),
        started,
    );

    let started = Instant::now();
    let python = validator(target)?;
    let openapi = root.join("docs/openapi.json");
    step("docs/openapi.json, by openapi-spec-validator");
    run(Command::new(&python)
        .args(["-m", "openapi_spec_validator"])
        .arg(&openapi))?;
    step(
        "every operation's example, through the installed sandbox, and every example and reply against its schema",
    );
    run(Command::new(&python)
        .arg(root.join("examples/other-languages/openapi_examples.py"))
        .arg("--schemas")
        .arg(format!("http://{}", sandbox.addr))
        .arg(&openapi))?;
    timed(
        "the OpenAPI description is valid and its examples pass",
        started,
    );
    Ok(())
}

/// A project of a user's, depending on the unpacked crate with what the README says
/// (`features = ["sandbox"]`, and tokio's macros), runs `examples/quickstart.rs` as its
/// own example: a dependency's examples do not run, so the README says to copy it, and
/// it must use nothing the crate depends on but the user does not (`time::…`).
fn as_dependency(
    cargo: &str,
    target: &Path,
    scratch: &Path,
    unpacked: &Path,
) -> Result<(), String> {
    let project = scratch.join("user-project");
    let write = |path: &str, text: &str| {
        let path = project.join(path);
        std::fs::create_dir_all(path.parent().expect("a file in the project"))
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    let crate_path = format!("{:?}", unpacked.display().to_string());
    write(
        "Cargo.toml",
        &format!(
            "[package]\nname = \"user-project\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nwechat-card = {{ path = {crate_path}, features = [\"sandbox\"] }}\n\
             tokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n\n[workspace]\n"
        ),
    )?;
    write("src/main.rs", "fn main() {}\n")?;
    let quickstart = std::fs::read_to_string(unpacked.join("examples/quickstart.rs"))
        .map_err(|e| format!("examples/quickstart.rs: {e}"))?;
    write("examples/quickstart.rs", &quickstart)?;
    // The crate's lock, so that the dependencies the steps before built are reused.
    let lock = std::fs::read_to_string(unpacked.join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    write("Cargo.lock", &lock)?;
    run(Command::new(cargo)
        .current_dir(&project)
        .args(["run", "--example", "quickstart"])
        .env("CARGO_TARGET_DIR", target)
        .stdout(Stdio::null()))
}

/// The first command of the README's first `sh` block (the quick start), without its
/// comment: what a reader runs first, so it must work from the published crate.
fn readme_first_command(root: &Path) -> Result<Vec<String>, String> {
    let readme =
        std::fs::read_to_string(root.join("README.md")).map_err(|e| format!("README.md: {e}"))?;
    let line = readme
        .split("```sh\n")
        .nth(1)
        .and_then(|block| block.lines().next())
        .ok_or("README.md has no sh block")?;
    let command = line.split('#').next().unwrap_or_default();
    let words: Vec<String> = command.split_whitespace().map(String::from).collect();
    match words.first().map(String::as_str) {
        Some("cargo") => Ok(words),
        _ => Err(format!(
            "README.md's first command is not a cargo command: {line}"
        )),
    }
}

fn step(what: &str) {
    eprintln!("xtask package: {what}");
}

fn timed(what: &str, started: Instant) {
    eprintln!("xtask package: {what} ({:.0?})", started.elapsed());
}

fn run(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("{shown} failed: {status}")),
        Err(e) => Err(format!("cannot run {shown}: {e}")),
    }
}

/// `version` of `[package]` in the root manifest (the tarball's name).
fn package_version(root: &Path) -> Result<String, String> {
    let manifest =
        std::fs::read_to_string(root.join("Cargo.toml")).map_err(|e| format!("Cargo.toml: {e}"))?;
    let package = manifest
        .split("\n[")
        .find(|table| table.starts_with("package]"))
        .ok_or("Cargo.toml has no [package]")?;
    package
        .lines()
        .find_map(|line| {
            let value = line
                .strip_prefix("version")?
                .trim_start()
                .strip_prefix('=')?;
            Some(value.trim().trim_matches('"').to_owned())
        })
        .ok_or_else(|| "[package] has no version".into())
}

/// A Python with the pinned validator: the machine's, or a virtualenv's under target/.
fn validator(target: &Path) -> Result<PathBuf, String> {
    ensure(&PYTHON)?;
    let (name, version) = VALIDATOR;
    let has_it = |python: &Path| {
        Command::new(python)
            .args(["-c", "import sys, importlib.metadata as m; sys.exit(m.version(sys.argv[1]) != sys.argv[2])"])
            .args([name, version])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let system = PathBuf::from("python3");
    if has_it(&system) {
        return Ok(system);
    }
    let venv = target.join("xtask-venv");
    let python = venv.join("bin/python3");
    if !has_it(&python) {
        eprintln!(
            "xtask package: installing {name}=={version} in {}",
            venv.display()
        );
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run(Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            &format!("{name}=={version}"),
        ]))?;
    }
    Ok(python)
}

/// The installed sandbox binary on a free port, killed on drop.
struct Sandbox {
    addr: String,
    child: Child,
}

impl Sandbox {
    fn start(binary: &Path) -> Result<Sandbox, String> {
        let mut child = Command::new(binary)
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        // Its first line: "wechat-card sandbox listening on http://127.0.0.1:PORT".
        let mut first = String::new();
        let stdout = child.stdout.take().expect("piped");
        let _ = BufReader::new(stdout).read_line(&mut first);
        let sandbox = Sandbox {
            addr: first
                .trim()
                .rsplit("http://")
                .next()
                .unwrap_or_default()
                .to_owned(),
            child,
        };
        if !first.contains("listening on http://") {
            return Err(format!("the installed sandbox printed {first:?}"));
        }
        Ok(sandbox)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request with an empty JSON body; the whole reply.
fn http(addr: &str, method: &str, path: &str) -> Result<String, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("{addr}: {e}"))?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("{addr}: {e}"))?;
    let mut reply = String::new();
    stream
        .read_to_string(&mut reply)
        .map_err(|e| format!("{addr}: {e}"))?;
    Ok(reply)
}
