//! Timestamps as people and documents read them.

use std::time::{Duration, UNIX_EPOCH};

pub use stepwise_store::now_millis;

/// A stored timestamp (milliseconds since the epoch) as RFC 3339.
pub fn rfc3339(millis: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap_or(0));
    humantime::format_rfc3339_millis(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }
}
