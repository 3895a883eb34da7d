//! Starting and stopping the real binary: a broken flow file is reported and the good flows
//! are served; SIGTERM stops the server cleanly; a timeout or connection cap of zero, which
//! would refuse every client, is refused at start.

use crate::support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

#[test]
fn a_broken_flow_file_is_reported_and_the_good_ones_served() {
    let flows = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(support::fixtures()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, flows.path().join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        flows.path().join("broken.ron"),
        "Flow(id: \"broken\", title: ",
    )
    .unwrap();
    let store = tempfile::tempdir().unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .arg("--flows")
        .arg(flows.path())
        .arg("--store")
        .arg(format!("sqlite://{}", store.path().join("s.db").display()))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines, log) = std::sync::mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(serde_json::from_str(&line).unwrap_or(Value::String(line)));
        }
    });
    let mut seen = Vec::new();
    let serving = loop {
        let line = log.recv_timeout(Duration::from_secs(30)).unwrap();
        seen.push(line.clone());
        if line["fields"]["listen"].is_string() {
            break line;
        }
    };
    assert_eq!(serving["fields"]["flows"], 2, "{serving}");
    assert_eq!(serving["fields"]["errors"], 1, "{serving}");
    let problem = seen
        .iter()
        .find(|l| l["level"] == "ERROR")
        .unwrap_or_else(|| panic!("no error in {seen:?}"));
    assert!(
        problem["fields"]["file"]
            .as_str()
            .unwrap()
            .ends_with("broken.ron"),
        "{problem}"
    );
    assert!(problem["fields"]["line"].is_u64(), "{problem}");

    // SIGTERM: the server stops on its own, cleanly.
    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let rest: Vec<Value> = log.iter().collect();
    assert!(
        rest.iter()
            .any(|l| l["fields"]["message"] == "stepwise stopped"),
        "{rest:?}"
    );
}

#[test]
fn a_zero_timeout_or_connection_cap_is_refused_before_serving() {
    for (flag, value) in [
        ("--header-timeout", "0"),
        ("--body-timeout", "0"),
        ("--max-connections", "0"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_stepwise"))
            .args(["serve", "--listen", "127.0.0.1:0", flag, value])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{flag} {value}");
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(message.contains(flag), "{message}");
    }
}
