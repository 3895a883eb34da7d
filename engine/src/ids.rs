//! Ids as people see them: one spelling for ids that look the same.
//!
//! Ids are compared as strings, but `café` may be written as one `é` or as `e` and a
//! combining accent, and both look alike on screen. Every id is brought to Unicode
//! Normalization Form C when a file is read and when a client sends one, so the two are one
//! id.

use std::borrow::Cow;

use unicode_normalization::{UnicodeNormalization, is_nfc};

/// The NFC form of an id; borrowed when it already is (every ASCII id is).
pub(crate) fn nfc(id: &str) -> Cow<'_, str> {
    if id.is_ascii() || is_nfc(id) {
        Cow::Borrowed(id)
    } else {
        Cow::Owned(id.nfc().collect())
    }
}

/// Brings an id to NFC in place.
pub(crate) fn to_nfc(id: &mut String) {
    if let Cow::Owned(normal) = nfc(id) {
        *id = normal;
    }
}

/// The NFC form of an owned id.
pub(crate) fn into_nfc(mut id: String) -> String {
    to_nfc(&mut id);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfc_joins_a_letter_and_its_accent() {
        let decomposed = "cafe\u{301}";
        assert_eq!(nfc(decomposed), "caf\u{e9}");
        assert!(matches!(nfc("caf\u{e9}"), Cow::Borrowed(_)));
        assert!(matches!(nfc("plain-ascii"), Cow::Borrowed(_)));
        assert_eq!(into_nfc(decomposed.to_owned()), "caf\u{e9}");
    }
}
