//! How text becomes search terms in one language: words split at anything that is not a
//! letter or a digit, lowercased, common words dropped, word forms stemmed ("withdrawals",
//! "withdrawing" → "withdraw") and accents folded, so a customer who types "eroffnen" finds
//! "eröffnen".

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer,
};

/// Longer "words" are not words a customer types (hashes, addresses); they are skipped.
const LONGEST_WORD: usize = 40;

/// Words a customer adds to a question that tell no flow apart, beside the language's own
/// stop words: pronouns, question words, and what the tokenizer leaves of "didn't".
const ENGLISH_EXTRA: &[&str] = &[
    "i", "me", "my", "mine", "we", "our", "you", "your", "he", "she", "his", "her", "do", "does",
    "did", "done", "how", "what", "why", "when", "where", "which", "who", "can", "could", "should",
    "would", "have", "has", "had", "am", "been", "so", "from", "about", "just", "please", "help",
    "t", "s", "ve", "ll", "re", "m", "d", "don", "didn", "doesn", "isn", "wasn", "hasn", "haven",
    "hadn", "won", "couldn", "shouldn", "aren", "weren",
];

/// The analyzer of one language.
#[derive(Clone)]
pub struct Analysis {
    analyzer: TextAnalyzer,
}

impl Analysis {
    /// The analysis for a language tag (`en`, `de-AT`): its stemmer and stop words where the
    /// search library has them, else words as they are.
    pub fn for_locale(locale: &str) -> Analysis {
        let language = language(locale);
        let extra = match language {
            Some(Language::English) => ENGLISH_EXTRA,
            _ => &[],
        };
        let mut builder = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(LONGEST_WORD))
            .filter(LowerCaser)
            .dynamic();
        if let Some(filter) = language.and_then(StopWordFilter::new) {
            builder = builder.filter_dynamic(filter);
        }
        builder = builder.filter_dynamic(StopWordFilter::remove(
            extra.iter().map(|w| (*w).to_owned()),
        ));
        if let Some(language) = language {
            builder = builder.filter_dynamic(Stemmer::new(language));
        }
        Analysis {
            analyzer: builder.filter_dynamic(AsciiFoldingFilter).build(),
        }
    }

    /// The terms of `text`, in order.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut analyzer = self.analyzer.clone();
        let mut stream = analyzer.token_stream(text);
        let mut terms = Vec::new();
        while stream.advance() {
            terms.push(stream.token().text.clone());
        }
        terms
    }
}

/// The stemmer's language for a language tag, by its primary subtag.
fn language(locale: &str) -> Option<Language> {
    let primary = locale.split(['-', '_']).next().unwrap_or("");
    Some(match primary.to_ascii_lowercase().as_str() {
        "en" => Language::English,
        "de" => Language::German,
        "da" => Language::Danish,
        "nl" => Language::Dutch,
        "fi" => Language::Finnish,
        "fr" => Language::French,
        "el" => Language::Greek,
        "hu" => Language::Hungarian,
        "it" => Language::Italian,
        "no" | "nb" | "nn" => Language::Norwegian,
        "pt" => Language::Portuguese,
        "ro" => Language::Romanian,
        "ru" => Language::Russian,
        "es" => Language::Spanish,
        "sv" => Language::Swedish,
        "tr" => Language::Turkish,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_words_lose_their_endings_and_their_filler() {
        let english = Analysis::for_locale("en");
        assert_eq!(
            english.terms("My withdrawals didn't arrive"),
            ["withdraw", "arriv"]
        );
        assert_eq!(english.terms("2FA BEP20"), ["2fa", "bep20"]);
    }

    #[test]
    fn german_is_stemmed_as_german_and_accents_fold() {
        let german = Analysis::for_locale("de-DE");
        assert_eq!(
            german.terms("Streitfall eröffnen"),
            german.terms("streitfall eroffnen")
        );
        assert!(german.terms("und ich").is_empty());
    }

    #[test]
    fn a_language_without_a_stemmer_keeps_its_words() {
        assert_eq!(Analysis::for_locale("ja").terms("Ab Cd"), ["ab", "cd"]);
    }
}
