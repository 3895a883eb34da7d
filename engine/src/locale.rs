//! Language tags: the language flows are written in, and the form tags are compared in.
//!
//! Apart from [`crate::translate`] so that flows and walks can name the source language
//! without depending on translations.

/// The language flows are written in.
pub const DEFAULT_LOCALE: &str = "en";

/// A language tag in the form used here (`de`, `pt-br`): lowercase, letters and digits in
/// parts joined by `-`, the first of two or three letters. `None` if it is not one.
pub fn normalize_locale(tag: &str) -> Option<String> {
    let tag = tag.trim().replace('_', "-").to_ascii_lowercase();
    let mut parts = tag.split('-');
    let primary = parts.next()?;
    let primary_ok =
        (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase());
    let rest_ok =
        parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    (primary_ok && rest_ok).then_some(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_are_normalised_or_refused() {
        assert_eq!(normalize_locale(" de_AT "), Some("de-at".to_owned()));
        assert_eq!(normalize_locale("x"), None);
        assert_eq!(normalize_locale("de-"), None);
        assert_eq!(normalize_locale("<script>"), None);
    }
}
