//! The README's coverage paragraph against `spec/`: the endpoint and group counts it
//! states are the spec's, and it names every group — no hand-kept number goes stale.

use std::path::Path;

/// (group, endpoints) for each `spec/api/<group>.yaml`.
fn spec_groups() -> Vec<(String, usize)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/api");
    let mut groups: Vec<(String, usize)> = std::fs::read_dir(&dir)
        .expect("spec/api")
        .map(|entry| {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
            let group = yaml["group"].as_str().expect("a group name").to_owned();
            let endpoints = yaml["endpoints"].as_sequence().expect("endpoints").len();
            (group, endpoints)
        })
        .collect();
    groups.sort();
    groups
}

/// The README's paragraph that starts with `Coverage:`, on one line.
fn coverage_paragraph() -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let start = readme.find("\nCoverage:").expect("a Coverage: paragraph");
    let paragraph = &readme[start + 1..];
    let end = paragraph.find("\n\n").unwrap_or(paragraph.len());
    paragraph[..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_readme_states_the_specs_coverage() {
    let groups = spec_groups();
    let endpoints: usize = groups.iter().map(|(_, n)| n).sum();
    let paragraph = coverage_paragraph();
    let stated = format!("{endpoints} endpoints in {} groups", groups.len());
    assert!(
        paragraph.contains(&stated),
        "the README's coverage should say \"{stated}\": {paragraph}"
    );
    for (group, _) in &groups {
        assert!(
            paragraph.contains(&format!("`{group}`")),
            "the README's coverage does not name the group `{group}`: {paragraph}"
        );
    }
}
