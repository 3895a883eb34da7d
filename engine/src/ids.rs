//! Ids as people see them: one spelling for ids that look the same, and the characters and
//! mixes of letters that make ids look the same when they are not.
//!
//! Ids are compared as strings, but `café` may be written as one `é` or as `e` and a
//! combining accent, and both look alike on screen. Every id is brought to Unicode
//! Normalization Form C when a file is read and when a client sends one, so the two are one
//! id. What normalisation cannot settle (a zero-width space, a right-to-left override, a
//! Cyrillic `а` among Latin letters) the checker reports, with the names found here.

use std::borrow::Cow;

use unicode_normalization::{UnicodeNormalization, is_nfc};

/// The NFC form of an id; borrowed when it already is (every ASCII id is).
pub fn nfc(id: &str) -> Cow<'_, str> {
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

/// Why a character may not stand in an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hidden {
    /// Changes the order text is shown in (U+202E…): an id can look like another.
    Bidi,
    /// Takes no room on screen (U+200B…).
    Invisible,
    /// A control character (U+0000–U+001F, U+007F–U+009F).
    Control,
    /// Any other format character: invisible, and meant for layout, not for names.
    Format,
    /// A space, tab, line break or other whitespace.
    Space,
}

impl Hidden {
    /// What it is, in a few words.
    pub(crate) fn what(self) -> &'static str {
        match self {
            Hidden::Bidi => "a bidirectional control",
            Hidden::Invisible => "an invisible character",
            Hidden::Control => "a control character",
            Hidden::Format => "an invisible format character",
            Hidden::Space => "whitespace",
        }
    }
}

/// Why `c` may not stand in an id, if it may not.
pub(crate) fn hidden(c: char) -> Option<Hidden> {
    // Tab, line breaks and U+0085 are both; the writer thinks of them as whitespace.
    if c.is_whitespace() {
        return Some(Hidden::Space);
    }
    if c.is_control() {
        return Some(Hidden::Control);
    }
    let hidden = match c {
        '\u{061C}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => Hidden::Bidi,
        '\u{00AD}'
        | '\u{034F}'
        | '\u{115F}'
        | '\u{1160}'
        | '\u{17B4}'
        | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200D}'
        | '\u{2060}'..='\u{2064}'
        | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{FFA0}'
        | '\u{E0100}'..='\u{E01EF}' => Hidden::Invisible,
        _ if is_format(c) => Hidden::Format,
        _ => return None,
    };
    Some(hidden)
}

/// Whether `c` is of general category Cf (format) and not named above, as of Unicode 16.
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{0600}'..='\u{0605}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{206A}'..='\u{206F}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// `c` by code point and, for the characters writers meet, by name: `U+200B ZERO WIDTH SPACE`.
pub(crate) fn describe(c: char) -> String {
    let code = format!("U+{:04X}", u32::from(c));
    match name(c) {
        Some(name) => format!("{code} {name}"),
        None => code,
    }
}

/// The Unicode name of the characters that most often slip into ids.
fn name(c: char) -> Option<Cow<'static, str>> {
    let name = match c {
        '\t' => "CHARACTER TABULATION",
        '\n' => "LINE FEED",
        '\r' => "CARRIAGE RETURN",
        ' ' => "SPACE",
        '\u{0085}' => "NEXT LINE",
        '\u{00A0}' => "NO-BREAK SPACE",
        '\u{00AD}' => "SOFT HYPHEN",
        '\u{034F}' => "COMBINING GRAPHEME JOINER",
        '\u{061C}' => "ARABIC LETTER MARK",
        '\u{1680}' => "OGHAM SPACE MARK",
        '\u{180E}' => "MONGOLIAN VOWEL SEPARATOR",
        '\u{2000}' => "EN QUAD",
        '\u{2001}' => "EM QUAD",
        '\u{2002}' => "EN SPACE",
        '\u{2003}' => "EM SPACE",
        '\u{2004}' => "THREE-PER-EM SPACE",
        '\u{2005}' => "FOUR-PER-EM SPACE",
        '\u{2006}' => "SIX-PER-EM SPACE",
        '\u{2007}' => "FIGURE SPACE",
        '\u{2008}' => "PUNCTUATION SPACE",
        '\u{2009}' => "THIN SPACE",
        '\u{200A}' => "HAIR SPACE",
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{200C}' => "ZERO WIDTH NON-JOINER",
        '\u{200D}' => "ZERO WIDTH JOINER",
        '\u{200E}' => "LEFT-TO-RIGHT MARK",
        '\u{200F}' => "RIGHT-TO-LEFT MARK",
        '\u{2028}' => "LINE SEPARATOR",
        '\u{2029}' => "PARAGRAPH SEPARATOR",
        '\u{202A}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202B}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202C}' => "POP DIRECTIONAL FORMATTING",
        '\u{202D}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202E}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{202F}' => "NARROW NO-BREAK SPACE",
        '\u{205F}' => "MEDIUM MATHEMATICAL SPACE",
        '\u{2060}' => "WORD JOINER",
        '\u{2061}' => "FUNCTION APPLICATION",
        '\u{2062}' => "INVISIBLE TIMES",
        '\u{2063}' => "INVISIBLE SEPARATOR",
        '\u{2064}' => "INVISIBLE PLUS",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{3000}' => "IDEOGRAPHIC SPACE",
        '\u{3164}' => "HANGUL FILLER",
        '\u{FEFF}' => "ZERO WIDTH NO-BREAK SPACE",
        '\u{FE00}'..='\u{FE0F}' => {
            let n = u32::from(c) - 0xFE00 + 1;
            return Some(Cow::Owned(format!("VARIATION SELECTOR-{n}")));
        }
        _ => return None,
    };
    Some(Cow::Borrowed(name))
}

/// An id as a message shows it: every character it may not hold written as a RON escape
/// (`\u{200b}`), so that the message neither hides nor reorders it. Spaces stay spaces.
pub(crate) fn shown(id: &str) -> Cow<'_, str> {
    if !id.chars().any(|c| c != ' ' && hidden(c).is_some()) {
        return Cow::Borrowed(id);
    }
    Cow::Owned(
        id.chars()
            .map(|c| match hidden(c) {
                Some(_) if c != ' ' => format!("\\u{{{:x}}}", u32::from(c)),
                _ => c.to_string(),
            })
            .collect(),
    )
}

/// The alphabets whose letters pass for one another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Script {
    Latin,
    Cyrillic,
    Greek,
}

impl Script {
    /// Its name, as a writer knows it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Script::Latin => "Latin",
            Script::Cyrillic => "Cyrillic",
            Script::Greek => "Greek",
        }
    }

    /// The script of a letter, if it is a letter of one of these three.
    fn of(c: char) -> Option<Script> {
        if !c.is_alphabetic() {
            return None;
        }
        match c {
            'A'..='Z'
            | 'a'..='z'
            | '\u{00AA}'
            | '\u{00BA}'
            | '\u{00C0}'..='\u{024F}'
            | '\u{0250}'..='\u{02AF}'
            | '\u{1E00}'..='\u{1EFF}'
            | '\u{2C60}'..='\u{2C7F}'
            | '\u{A720}'..='\u{A7FF}'
            | '\u{AB30}'..='\u{AB6F}'
            | '\u{FF21}'..='\u{FF3A}'
            | '\u{FF41}'..='\u{FF5A}' => Some(Script::Latin),
            '\u{0400}'..='\u{052F}'
            | '\u{1C80}'..='\u{1C8F}'
            | '\u{2DE0}'..='\u{2DFF}'
            | '\u{A640}'..='\u{A69F}' => Some(Script::Cyrillic),
            '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Some(Script::Greek),
            _ => None,
        }
    }
}

/// An id whose letters come from more than one of Latin, Cyrillic and Greek.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mixed {
    /// The script most of its letters are in (Latin on a tie).
    pub main: Script,
    /// The script of `odd`.
    pub other: Script,
    /// The first letter that is not in the main script.
    pub odd: char,
}

/// Whether an id mixes letters of Latin, Cyrillic and Greek, and how. Ids in one of them
/// (`пароль`, `café`), or mixing one with digits and punctuation, do not.
pub(crate) fn mixed(id: &str) -> Option<Mixed> {
    if id.is_ascii() {
        return None;
    }
    let mut counts = [0usize; 3];
    for script in id.chars().filter_map(Script::of) {
        counts[script as usize] += 1;
    }
    if counts.iter().filter(|&&n| n > 0).count() < 2 {
        return None;
    }
    let scripts = [Script::Latin, Script::Cyrillic, Script::Greek];
    // `max_by_key` keeps the last of equals: go from Greek to Latin so Latin wins a tie.
    let main = scripts
        .into_iter()
        .rev()
        .max_by_key(|&s| counts[s as usize])
        .unwrap_or(Script::Latin);
    let (odd, other) = id
        .chars()
        .find_map(|c| Script::of(c).filter(|&s| s != main).map(|s| (c, s)))?;
    Some(Mixed { main, other, odd })
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

    #[test]
    fn hidden_characters_are_told_apart() {
        assert_eq!(hidden('\u{202E}'), Some(Hidden::Bidi));
        assert_eq!(hidden('\u{061C}'), Some(Hidden::Bidi));
        assert_eq!(hidden('\u{200B}'), Some(Hidden::Invisible));
        assert_eq!(hidden('\u{FE0F}'), Some(Hidden::Invisible));
        assert_eq!(hidden('\u{180E}'), Some(Hidden::Invisible));
        assert_eq!(hidden('\u{0007}'), Some(Hidden::Control));
        assert_eq!(hidden('\u{E0041}'), Some(Hidden::Format));
        assert_eq!(hidden(' '), Some(Hidden::Space));
        assert_eq!(hidden('\u{00A0}'), Some(Hidden::Space));
        for c in ['a', 'é', 'а', '-', '_', '.', '9', '中', 'ß'] {
            assert_eq!(hidden(c), None, "{c:?}");
        }
    }

    #[test]
    fn characters_are_described_by_code_point_and_name() {
        assert_eq!(describe('\u{200B}'), "U+200B ZERO WIDTH SPACE");
        assert_eq!(describe('\u{FE0F}'), "U+FE0F VARIATION SELECTOR-16");
        assert_eq!(describe('\u{0007}'), "U+0007");
        assert_eq!(describe('\u{E0041}'), "U+E0041");
    }

    #[test]
    fn ids_are_shown_with_hidden_characters_escaped() {
        assert_eq!(shown("a\u{200B}b"), "a\\u{200b}b");
        assert_eq!(shown("pass\u{202E}drow"), "pass\\u{202e}drow");
        assert_eq!(shown("two words"), "two words");
        assert!(matches!(shown("café"), Cow::Borrowed(_)));
    }

    #[test]
    fn mixed_scripts_name_the_odd_letter() {
        assert_eq!(
            mixed("p\u{430}ssword"),
            Some(Mixed {
                main: Script::Latin,
                other: Script::Cyrillic,
                odd: '\u{430}',
            })
        );
        // Mostly Cyrillic with one Latin `a`: the Latin letter is the odd one.
        assert_eq!(
            mixed("п\u{61}роль"),
            Some(Mixed {
                main: Script::Cyrillic,
                other: Script::Latin,
                odd: 'a',
            })
        );
        assert_eq!(mixed("\u{3bf}k").map(|m| m.other), Some(Script::Greek));
        for one in [
            "пароль",
            "пароль-2",
            "café",
            "password",
            "ελληνικά",
            "中文-faq",
        ] {
            assert_eq!(mixed(one), None, "{one}");
        }
    }
}
