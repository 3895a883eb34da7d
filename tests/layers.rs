//! The layers hold: dependencies point one way only (`stepwise` → `stepwise-app` →
//! `stepwise-engine`, `stepwise-store`), the engine and the store know nothing of each other,
//! and nothing below the HTTP face reaches an HTTP crate, even through another crate. The
//! language server (`stepwise-lsp`) depends on the engine only.
//! Inside the HTTP face, the API and the pages never import each other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Crates only the HTTP face may depend on.
const HTTP: &[&str] = &[
    "axum",
    "axum-core",
    "http",
    "http-body",
    "http-body-util",
    "hyper",
    "hyper-util",
    "tower",
    "tower-http",
    "tower-layer",
    "tower-service",
    "askama",
    "utoipa-axum",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The platform the tests run on, as rustc names it.
fn host() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = Command::new(rustc).arg("-vV").output().expect("rustc runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .expect("rustc names its host")
        .to_owned()
}

/// `cargo metadata` of the workspace, for this machine's platform.
fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // For this machine's platform only: the others' crates need not be downloaded.
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--filter-platform", &host()])
        .current_dir(workspace())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("cargo metadata is JSON")
}

/// Every crate each workspace crate builds with (normal and build dependencies, followed all
/// the way down), by crate name.
fn reach() -> BTreeMap<String, BTreeSet<String>> {
    let metadata = metadata();
    let names: BTreeMap<&str, &str> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["id"].as_str()?, p["name"].as_str()?)))
        .collect();
    // Dev-dependencies are the tests' business: a test may drive a real HTTP server.
    let edges: BTreeMap<&str, Vec<&str>> = metadata["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|node| {
            let deps = node["deps"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|dep| {
                    dep["dep_kinds"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|kind| {
                            kind["kind"].is_null() || kind["kind"].as_str() == Some("build")
                        })
                })
                .filter_map(|dep| dep["pkg"].as_str())
                .collect();
            Some((node["id"].as_str()?, deps))
        })
        .collect();
    let members = metadata["workspace_members"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    members
        .iter()
        .filter_map(Value::as_str)
        .map(|member| {
            let mut seen = BTreeSet::new();
            let mut stack = vec![member];
            while let Some(id) = stack.pop() {
                for &dep in edges.get(id).into_iter().flatten() {
                    if seen.insert(dep) {
                        stack.push(dep);
                    }
                }
            }
            let name = names.get(member).copied().unwrap_or(member).to_owned();
            let reached = seen
                .iter()
                .filter_map(|id| names.get(id))
                .map(|n| n.to_string());
            (name, reached.collect())
        })
        .collect()
}

fn refuse(reach: &BTreeMap<String, BTreeSet<String>>, krate: &str, forbidden: &[&str]) {
    let reached = reach
        .get(krate)
        .unwrap_or_else(|| panic!("{krate} is not in the workspace"));
    let found: Vec<&&str> = forbidden.iter().filter(|f| reached.contains(**f)).collect();
    assert!(found.is_empty(), "{krate} must not depend on {found:?}");
}

#[test]
fn every_crate_says_the_rust_it_needs() {
    let metadata = metadata();
    let members: BTreeSet<&str> = metadata["workspace_members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        if members.contains(package["id"].as_str().unwrap_or_default()) {
            // The code uses let chains, stable since 1.88.
            assert_eq!(package["rust_version"], "1.88", "{}", package["name"]);
        }
    }
}

#[test]
fn dependencies_point_one_way() {
    let reach = reach();
    let mut below_http = HTTP.to_vec();
    below_http.push("stepwise");
    refuse(&reach, "stepwise-app", &below_http);
    below_http.extend(["stepwise-app", "stepwise-engine"]);
    refuse(&reach, "stepwise-store", &below_http);
    below_http.retain(|c| *c != "stepwise-engine");
    below_http.extend(["stepwise-store", "tokio"]);
    refuse(&reach, "stepwise-engine", &below_http);
    // The language server stands on the engine alone: no application, store, HTTP or async.
    let mut beside_engine = HTTP.to_vec();
    beside_engine.extend(["stepwise", "stepwise-app", "stepwise-store", "tokio"]);
    refuse(&reach, "stepwise-lsp", &beside_engine);
    // And the layers are really used: the face calls the application, which calls both.
    for (krate, needs) in [
        ("stepwise", "stepwise-app"),
        ("stepwise-app", "stepwise-engine"),
        ("stepwise-app", "stepwise-store"),
        ("stepwise", "stepwise-lsp"),
        ("stepwise-lsp", "stepwise-engine"),
    ] {
        assert!(
            reach[krate].contains(needs),
            "{krate} should depend on {needs}"
        );
    }
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("a source directory")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn the_api_and_the_pages_never_import_each_other() {
    let server = workspace().join("server/src");
    for (dir, other) in [("api", "crate::web"), ("web", "crate::api")] {
        for file in sources(&server.join(dir)) {
            let text = std::fs::read_to_string(&file).expect("a readable source file");
            assert!(
                !text.contains(other),
                "{} uses {other}: share it through a module of the HTTP face instead",
                file.display()
            );
        }
    }
}
