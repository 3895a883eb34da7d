//! The domain's synonyms: words and phrases that name one thing ("2FA", "Google
//! Authenticator", "two-factor"), each group known by a concept. Flows are indexed with the
//! concepts their texts name beside their words, and a query looks for the concepts it
//! names as well as its words, so "selfie check failed" finds the flow that says "facial
//! recognition" and "liveness".

use std::collections::HashMap;

use super::analysis::Analysis;

/// Words and phrases that name one thing, as a customer or a writer may put it.
pub struct Group {
    /// What the group names; the concept's term in the index.
    pub name: &'static str,
    /// Its words and phrases, analysed like any text.
    pub phrases: &'static [&'static str],
}

const fn group(name: &'static str, phrases: &'static [&'static str]) -> Group {
    Group { name, phrases }
}

/// The groups in English.
pub const ENGLISH: &[Group] = &[
    group(
        "2fa",
        &[
            "2fa",
            "two factor",
            "two-factor",
            "2 factor",
            "second factor",
            "mfa",
            "multi-factor",
            "2-step verification",
            "two-step verification",
            "authenticator",
            "google authenticator",
            "google auth",
            "authentication app",
            "authenticator app",
            "totp",
            "otp",
        ],
    ),
    group(
        "kyc",
        &[
            "kyc",
            "identity verification",
            "verify my identity",
            "verify your identity",
            "id verification",
            "selfie",
            "liveness",
            "face verification",
            "facial recognition",
            "face recognition",
            "face scan",
            "face check",
            "facial",
        ],
    ),
    group(
        "seed",
        &[
            "seed phrase",
            "seed",
            "recovery phrase",
            "secret phrase",
            "backup phrase",
            "secret recovery phrase",
            "mnemonic",
            "mnemonic phrase",
            "12 words",
            "24 words",
        ],
    ),
    group(
        "memo",
        &[
            "memo",
            "tag",
            "destination tag",
            "memo id",
            "payment id",
            "xrp",
            "ripple",
            "xlm",
            "stellar",
            "eos",
            "atom",
            "cosmos",
            "hbar",
        ],
    ),
    group(
        "network",
        &[
            "network",
            "wrong network",
            "chain",
            "blockchain",
            "bep20",
            "bep2",
            "erc20",
            "trc20",
            "spl",
            "bsc",
            "bnb smart chain",
            "bnb chain",
            "binance smart chain",
            "ethereum",
            "tron",
            "polygon",
            "matic",
            "arbitrum",
            "optimism",
            "solana",
            "avalanche",
            "avax",
        ],
    ),
    group(
        "coin",
        &[
            "coin",
            "token",
            "crypto",
            "cryptocurrency",
            "usdt",
            "tether",
            "usdc",
            "btc",
            "bitcoin",
            "eth",
        ],
    ),
    group(
        "withdraw",
        &["withdraw", "withdrawal", "withdrew", "cash out"],
    ),
    group("deposit", &["deposit", "top up", "topped up"]),
    group(
        "arrive",
        &[
            "receive",
            "received",
            "arrive",
            "arrived",
            "credited",
            "show up",
            "showing up",
            "got",
            "reached",
        ],
    ),
    group(
        "pending",
        &[
            "pending",
            "stuck",
            "processing",
            "delayed",
            "taking long",
            "on hold",
        ],
    ),
    group(
        "fail",
        &[
            "fail",
            "failed",
            "failing",
            "rejected",
            "declined",
            "error",
            "unsuccessful",
        ],
    ),
    group(
        "restricted",
        &[
            "restricted",
            "restriction",
            "frozen",
            "freeze",
            "suspended",
            "blocked",
            "limited",
            "banned",
            "disabled",
        ],
    ),
    group(
        "hacked",
        &[
            "hacked",
            "hacker",
            "compromised",
            "unauthorised",
            "unauthorized",
            "suspicious activity",
            "suspicious login",
            "someone logged in",
            "someone logged into",
            "account takeover",
        ],
    ),
    group(
        "scam",
        &[
            "scam",
            "scammed",
            "scammer",
            "fraud",
            "fraudster",
            "cheated",
            "ripped off",
            "conned",
        ],
    ),
    group(
        "sms",
        &[
            "sms",
            "text message",
            "texts",
            "phone number",
            "mobile number",
            "cell number",
        ],
    ),
    group(
        "dispute",
        &[
            "dispute",
            "appeal",
            "complaint",
            "complain",
            "report the order",
        ],
    ),
    group(
        "affiliate",
        &[
            "affiliate",
            "referral",
            "refer",
            "partner",
            "ambassador",
            "influencer",
            "commission",
        ],
    ),
    group(
        "block-trade",
        &[
            "rfq",
            "request for quote",
            "block trade",
            "block trading",
            "multi-leg",
            "multi leg",
        ],
    ),
    group("password", &["password", "passcode", "passphrase", "pin"]),
    group(
        "impersonation",
        &[
            "impersonation",
            "impersonator",
            "pretending",
            "fake support",
            "fake agent",
        ],
    ),
];

/// The groups in German, used beside the English ones: German customers write "2FA" and
/// "Seed-Phrase" too, and flows not yet translated are searched in English.
pub const GERMAN: &[Group] = &[
    group(
        "2fa",
        &[
            "zwei-faktor",
            "zwei faktor",
            "authentifizierung",
            "authenticator",
        ],
    ),
    group(
        "kyc",
        &[
            "identitätsprüfung",
            "verifizierung",
            "gesichtserkennung",
            "selfie",
        ],
    ),
    group(
        "seed",
        &[
            "seed-phrase",
            "wiederherstellungsphrase",
            "mnemonic",
            "geheimphrase",
        ],
    ),
    group(
        "scam",
        &[
            "betrug",
            "betrogen",
            "betrüger",
            "abzocke",
            "abgezockt",
            "reingelegt",
        ],
    ),
    group(
        "hacked",
        &[
            "gehackt",
            "kompromittiert",
            "fremder zugriff",
            "verdächtige aktivitäten",
        ],
    ),
    group(
        "dispute",
        &["streitfall", "beschwerde", "einspruch", "reklamation"],
    ),
    group("release", &["freigeben", "freigegeben", "freigabe", "frei"]),
    group(
        "pay",
        &["zahlung", "bezahlt", "zahlen", "geld", "überweisung"],
    ),
    group("restricted", &["gesperrt", "eingeschränkt", "eingefroren"]),
    group("withdraw", &["auszahlung", "abhebung", "auszahlen"]),
    group("deposit", &["einzahlung", "einzahlen"]),
];

/// The groups searched in a language.
pub fn groups(locale: &str) -> Vec<&'static Group> {
    let primary = locale.split(['-', '_']).next().unwrap_or("");
    let mut groups: Vec<&Group> = ENGLISH.iter().collect();
    if primary.eq_ignore_ascii_case("de") {
        groups.extend(GERMAN);
    }
    groups
}

/// The groups' phrases as terms, by their first term.
pub struct Synonyms {
    by_first: HashMap<String, Vec<(Vec<String>, usize)>>,
    concepts: Vec<String>,
}

impl Synonyms {
    /// The synonyms of a language, analysed as its texts are.
    pub fn new(analysis: &Analysis, groups: &[&Group]) -> Synonyms {
        let mut by_first: HashMap<String, Vec<(Vec<String>, usize)>> = HashMap::new();
        let mut concepts = Vec::new();
        for group in groups {
            // A concept named in two tables (English and German) is one concept.
            let term = format!("~{}", group.name);
            let concept = match concepts.iter().position(|c| *c == term) {
                Some(i) => i,
                None => {
                    concepts.push(term);
                    concepts.len() - 1
                }
            };
            for phrase in group.phrases {
                let terms = analysis.terms(phrase);
                if let Some(first) = terms.first() {
                    by_first
                        .entry(first.clone())
                        .or_default()
                        .push((terms, concept));
                }
            }
        }
        // The longest phrase first, so that "google authenticator" is one mention, not two.
        for phrases in by_first.values_mut() {
            phrases.sort_by_key(|(terms, _)| std::cmp::Reverse(terms.len()));
        }
        Synonyms { by_first, concepts }
    }

    /// The concepts `terms` name, one for each mention, in order. Its term ("~2fa") cannot
    /// be a word: analysed text holds only letters and digits.
    pub fn concepts(&self, terms: &[String]) -> Vec<&str> {
        let mut found = Vec::new();
        // Where the last mention of each concept ends: a phrase within it is the same mention.
        let mut covered: HashMap<usize, usize> = HashMap::new();
        for (at, term) in terms.iter().enumerate() {
            let Some(phrases) = self.by_first.get(term) else {
                continue;
            };
            for (phrase, concept) in phrases {
                let fits = terms
                    .get(at..at + phrase.len())
                    .is_some_and(|slice| slice == phrase.as_slice());
                if fits && covered.get(concept).is_none_or(|end| at >= *end) {
                    covered.insert(*concept, at + phrase.len());
                    found.push(self.concepts[*concept].as_str());
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concepts(locale: &str, text: &str) -> Vec<String> {
        let analysis = Analysis::for_locale(locale);
        let synonyms = Synonyms::new(&analysis, &groups(locale));
        synonyms
            .concepts(&analysis.terms(text))
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn every_way_of_naming_a_thing_names_its_concept() {
        assert_eq!(concepts("en", "2FA code"), ["~2fa"]);
        assert_eq!(concepts("en", "my Google Authenticator"), ["~2fa"]);
        assert_eq!(concepts("en", "selfie check"), ["~kyc"]);
        assert_eq!(
            concepts("en", "sent BEP20 instead of ERC20"),
            ["~network", "~network"]
        );
        assert_eq!(concepts("en", "lost my recovery phrases"), ["~seed"]);
    }

    #[test]
    fn a_phrase_must_be_whole_and_in_order() {
        assert!(concepts("en", "smart chain bnb").contains(&"~network".to_owned()));
        assert!(concepts("en", "phrase recovery").is_empty());
    }

    #[test]
    fn german_knows_its_own_words_and_the_english_ones() {
        assert_eq!(concepts("de", "Ich wurde betrogen"), ["~scam"]);
        assert_eq!(concepts("de", "2FA"), ["~2fa"]);
        assert!(concepts("en", "betrogen").is_empty());
    }
}
