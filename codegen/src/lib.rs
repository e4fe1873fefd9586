//! The wechat-card generator: `spec/` (YAML) -> checked IR -> Rust files.
//!
//! ```text
//! read_spec ──> load::load ──> ir::Api ──> emit::generate ──> [GeneratedFile]
//!   (files)     (parse, resolve,            (models, descriptors,      │
//!                check examples)             handlers, tests)          ▼
//!                                                     sync (write or --check)
//! ```
//!
//! Everything but [`read_spec`] and [`sync`] is pure (text in, text out), so the
//! loader and emitters are tested on in-memory specs.

pub mod emit;
pub mod examples;
pub mod ir;
pub mod load;
mod raw;
/// The meaning of the spec's rules, shared with the runtime's validator (the file is
/// the runtime's own, included rather than depended on).
#[path = "../../src/validate/rules.rs"]
pub mod rules;

pub use emit::GeneratedFile;
pub use load::{SourceFile, SpecError, SpecErrors};

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Directories whose every file the generator owns: anything there it did not
/// generate is stale.
pub const GENERATED_DIRS: &[&str] = &["src/generated", "tests/conformance"];

/// Reads every `.yaml` file under `<root>/spec`, with paths relative to `root`.
pub fn read_spec(root: &Path) -> io::Result<Vec<SourceFile>> {
    let mut files = Vec::new();
    for path in walk(&root.join("spec"))? {
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = fs::read_to_string(&path)?;
            files.push(SourceFile {
                path: relative(root, &path),
                text,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn walk(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(walk(&path)?);
        } else {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Loads the spec and renders every generated file.
pub fn generate(files: &[SourceFile]) -> Result<Vec<GeneratedFile>, SpecErrors> {
    let api = load::load(files)?;
    Ok(emit::generate(&api))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write what changed, delete what is no longer generated.
    Write,
    /// Change nothing; fail if anything would change.
    Check,
}

/// What a run found different from the committed files.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub missing: Vec<String>,
    pub changed: Vec<String>,
    /// Files in a generated directory that the spec no longer produces.
    pub extra: Vec<String>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.changed.is_empty() && self.extra.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (what, files) in [
            ("missing", &self.missing),
            ("stale", &self.changed),
            ("not generated", &self.extra),
        ] {
            for file in files {
                writeln!(f, "  {what}: {file}")?;
            }
        }
        Ok(())
    }
}

#[derive(Debug)]
pub enum Error {
    Io(PathBuf, io::Error),
    Spec(SpecErrors),
    /// `--check` found differences.
    Stale(Report),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(path, e) => write!(f, "{}: {e}", path.display()),
            Error::Spec(e) => write!(f, "{e}"),
            Error::Stale(report) => {
                write!(
                    f,
                    "generated files are out of date:\n{report}run `cargo xtask codegen` and commit the result"
                )
            }
        }
    }
}

impl std::error::Error for Error {}

/// Generates from `<root>/spec` and writes (or, in check mode, compares) the output.
pub fn run(root: &Path, mode: Mode) -> Result<Report, Error> {
    let spec = read_spec(root).map_err(|e| Error::Io(root.join("spec"), e))?;
    let files = generate(&spec).map_err(Error::Spec)?;
    let report = sync(root, &files, mode)?;
    if mode == Mode::Check && !report.is_clean() {
        return Err(Error::Stale(report));
    }
    Ok(report)
}

/// Brings the generated directories in line with `files` (or reports how they differ).
pub fn sync(root: &Path, files: &[GeneratedFile], mode: Mode) -> Result<Report, Error> {
    let mut report = Report::default();
    for file in files {
        let path = root.join(&file.path);
        match fs::read_to_string(&path) {
            Ok(old) if old == file.text => continue,
            Ok(_) => report.changed.push(file.path.clone()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => report.missing.push(file.path.clone()),
            Err(e) => return Err(Error::Io(path, e)),
        }
        if mode == Mode::Write {
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir).map_err(|e| Error::Io(dir.to_owned(), e))?;
            }
            fs::write(&path, &file.text).map_err(|e| Error::Io(path.clone(), e))?;
        }
    }
    for dir in GENERATED_DIRS {
        for path in walk(&root.join(dir)).map_err(|e| Error::Io(root.join(dir), e))? {
            let rel = relative(root, &path);
            if !files.iter().any(|f| f.path == rel) {
                report.extra.push(rel);
                if mode == Mode::Write {
                    fs::remove_file(&path).map_err(|e| Error::Io(path.clone(), e))?;
                }
            }
        }
    }
    Ok(report)
}

/// `cargo xtask openapi`: (re)writes only the OpenAPI description, which [`run`] writes
/// with everything else. Returns whether the file changed.
pub fn write_openapi(root: &Path) -> Result<bool, Error> {
    let spec = read_spec(root).map_err(|e| Error::Io(root.join("spec"), e))?;
    let files = generate(&spec).map_err(Error::Spec)?;
    let openapi = files
        .into_iter()
        .find(|f| f.path == emit::OPENAPI_PATH)
        .expect("the generator writes the OpenAPI description");
    // Not through `sync` with this one file: it would delete every other
    // generated file as no longer generated.
    let path = root.join(&openapi.path);
    if fs::read_to_string(&path).is_ok_and(|old| old == openapi.text) {
        return Ok(false);
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::Io(dir.to_owned(), e))?;
    }
    fs::write(&path, &openapi.text).map_err(|e| Error::Io(path.clone(), e))?;
    Ok(true)
}
