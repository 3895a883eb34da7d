//! What every bundled escalation tells the customer before they reach a person.

use stepwise_engine::{Node, check_paths};
use stepwise_tests::flows_dir;

/// Scammers pose as support; customers who are about to talk to a person must read this.
const NEVER_ASKS: &str = "Support will **never** ask for your password, 2FA codes";

#[test]
fn every_bundled_escalation_says_support_never_asks_for_secrets() {
    let report = check_paths(&[flows_dir()]);
    let mut missing = Vec::new();
    let mut escalations = 0;
    for flow in report.catalog.iter() {
        for (id, node) in &flow.raw().nodes {
            if let Node::Escalate { text, .. } = node {
                escalations += 1;
                if !text.contains(NEVER_ASKS) {
                    missing.push(format!("{}: {id}", flow.id()));
                }
            }
        }
    }
    assert!(
        escalations >= 18,
        "expected the bundled escalations, found {escalations}"
    );
    assert!(
        missing.is_empty(),
        "escalations without the warning: {missing:?}"
    );
}
