//! Translations of a flow's texts, kept beside the flow in `<flow>.<locale>.ron` and keyed by
//! node, answer and detail ids, so the graph is written once and only its words are
//! translated.
//!
//! Each translated text carries the fingerprint of the source text it was made from; a
//! translation whose source text has changed since is *stale* and is not shown. A walk
//! sees a flow in a language through [`InLocale`], which swaps in every current
//! translation and falls back to the source text node by node, marking where it did.
//!
//! - [`parse`]: RON → [`Translation`], with where each entry stands;
//! - `rules`: missing, stale and orphaned translations as diagnostics;
//! - [`apply`]: a flow in another language;
//! - [`extract`]: writing or updating a translation file's skeleton.

pub mod apply;
pub mod extract;
pub mod parse;
mod rules;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diagnostic::Diagnostic;
use crate::flow::{Catalog, Flow, FlowSource, Version};
use crate::source::Source;

pub use rules::check;

/// The language flows are written in.
pub const DEFAULT_LOCALE: &str = "en";

/// The translations of one flow into one language, as written in its file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Translation")]
pub struct Translation {
    /// The flow's title.
    #[serde(default)]
    pub title: Option<Text>,
    /// The flow's summary.
    #[serde(default)]
    pub summary: Option<Text>,
    /// Words a customer might search for in this language; they replace the flow's tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Each node's texts, by node id.
    #[serde(default, deserialize_with = "parse::unique_keys")]
    pub nodes: IndexMap<String, NodeTexts>,
}

/// The translated texts of one node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeTexts {
    /// The node's Markdown text.
    #[serde(default)]
    pub text: Option<Text>,
    /// A question's answer labels, by answer id.
    #[serde(default, deserialize_with = "parse::unique_keys")]
    pub answers: IndexMap<String, Text>,
    /// An escalation's details, by detail id.
    #[serde(default, deserialize_with = "parse::unique_keys")]
    pub details: IndexMap<String, DetailTexts>,
}

/// The translated label and help of one detail to collect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailTexts {
    /// What the customer reads next to the field.
    #[serde(default)]
    pub label: Option<Text>,
    /// The hint on where to find it.
    #[serde(default)]
    pub help: Option<Text>,
}

/// One translated text and the fingerprint of the source text it translates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// The text in the file's language; empty while nobody has translated it.
    pub text: String,
    /// [`fingerprint`] of the source text it was translated from.
    pub source: String,
}

impl Text {
    /// The translation, if it is written and was made from `source`.
    pub fn of<'t>(text: Option<&'t Text>, source: &str) -> Option<&'t str> {
        text.filter(|t| !t.text.trim().is_empty() && t.source == fingerprint(source))
            .map(|t| t.text.as_str())
    }
}

/// A short hash of a source text: a translation keeps it to notice when the text changes.
pub fn fingerprint(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

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

/// The flow id and locale a translation file's name gives (`a-flow.de.ron` → `a-flow`,
/// `de`); `None` for flow files, scenario files and anything else.
pub fn file_name_parts(path: &Path) -> Option<(String, String)> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".ron")?;
    let (flow, locale) = stem.rsplit_once('.')?;
    if flow.is_empty() || flow.contains('.') {
        return None;
    }
    let locale = normalize_locale(locale)?;
    Some((flow.to_owned(), locale))
}

/// Whether a file is a flow: `*.ron`, but neither a scenario file nor a translation.
pub fn is_flow_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name.ends_with(".ron")
        && !name.ends_with(crate::scenario::SCENARIO_SUFFIX)
        && file_name_parts(path).is_none()
}

/// Where the translation of a flow file into a language is kept.
pub fn translation_path(flow_file: &Path, locale: &str) -> PathBuf {
    let stem = flow_file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    flow_file.with_file_name(format!("{stem}.{locale}.ron"))
}

/// Every translation that parsed, by flow and locale.
#[derive(Debug, Clone, Default)]
pub struct Translations {
    by_flow: BTreeMap<String, BTreeMap<String, Arc<Translation>>>,
}

impl Translations {
    /// Adds the translation of `flow` into `locale`.
    pub fn insert(&mut self, flow: &str, locale: &str, translation: Translation) {
        self.by_flow
            .entry(flow.to_owned())
            .or_default()
            .insert(locale.to_owned(), Arc::new(translation));
    }

    /// The translation of a flow into a locale, if there is one.
    pub fn get(&self, flow: &str, locale: &str) -> Option<&Translation> {
        self.by_flow.get(flow)?.get(locale).map(Arc::as_ref)
    }

    /// The locales a flow is translated into.
    pub fn locales_of(&self, flow: &str) -> impl Iterator<Item = &str> {
        self.by_flow
            .get(flow)
            .into_iter()
            .flat_map(|l| l.keys().map(String::as_str))
    }

    /// Every locale any flow is translated into, plus the default, sorted.
    pub fn locales(&self) -> BTreeSet<String> {
        self.by_flow
            .values()
            .flat_map(|l| l.keys().cloned())
            .chain(std::iter::once(DEFAULT_LOCALE.to_owned()))
            .collect()
    }

    /// The best locale to show for a language asked for: itself, else its language
    /// (`de` for `de-at`), if any flow is translated into it.
    pub fn supported(&self, asked: &str) -> Option<String> {
        let asked = normalize_locale(asked)?;
        let locales = self.locales();
        if locales.contains(&asked) {
            return Some(asked);
        }
        let primary = asked.split('-').next()?;
        locales.contains(primary).then(|| primary.to_owned())
    }
}

/// Reads and checks every translation file in `paths` (files, or directories searched for
/// `<flow>.<locale>.ron`) against the flows of `catalog`. Translations of flows in
/// `broken` (flows with errors of their own) are left alone: their flow's errors come first.
pub fn check_paths(
    paths: &[PathBuf],
    catalog: &Catalog,
    broken: &BTreeSet<String>,
) -> (Translations, Vec<Diagnostic>) {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            if let Ok(entries) = std::fs::read_dir(path) {
                files.extend(
                    entries
                        .flatten()
                        .map(|e| e.path())
                        .filter(|p| file_name_parts(p).is_some()),
                );
            }
        } else if file_name_parts(path).is_some() {
            files.push(path.clone());
        }
    }
    files.sort();
    files.dedup();
    let mut sources = Vec::new();
    let mut diagnostics = Vec::new();
    for file in files {
        match Source::read(&file) {
            Ok(source) => sources.push(source),
            Err(d) => diagnostics.push(*d),
        }
    }
    let (translations, found) = check_sources(&sources, catalog, broken);
    diagnostics.extend(found);
    (translations, diagnostics)
}

/// Checks translation files already read (see [`check_paths`]).
pub fn check_sources(
    sources: &[Source],
    catalog: &Catalog,
    broken: &BTreeSet<String>,
) -> (Translations, Vec<Diagnostic>) {
    let mut translations = Translations::default();
    let mut diagnostics = Vec::new();
    for source in sources {
        let Some((flow_id, locale)) = file_name_parts(&source.path) else {
            continue;
        };
        if broken.contains(&flow_id) {
            continue;
        }
        let parsed = match parse::parse(source) {
            Ok(parsed) => parsed,
            Err(d) => {
                diagnostics.push(*d);
                continue;
            }
        };
        match catalog.get(&flow_id) {
            Some(flow) => {
                rules::check(flow, &locale, &parsed, &mut diagnostics);
                translations.insert(&flow_id, &locale, parsed.translation);
            }
            None => diagnostics.push(rules::no_such_flow(&parsed, &flow_id, catalog)),
        }
    }
    (translations, diagnostics)
}

/// A [`FlowSource`] that gives every flow in one language: each text that has a current
/// translation is swapped in, the rest stay in the source language and are marked.
pub struct InLocale<'a, S: ?Sized> {
    src: &'a S,
    translations: &'a Translations,
    locale: &'a str,
    /// Flows already translated by this source: a walk asks for the same flow once per step
    /// of its history.
    made: Mutex<HashMap<(String, Version), Arc<Flow>>>,
}

impl<'a, S: FlowSource + ?Sized> InLocale<'a, S> {
    /// Flows from `src` in `locale`.
    pub fn new(src: &'a S, translations: &'a Translations, locale: &'a str) -> Self {
        InLocale {
            src,
            translations,
            locale,
            made: Mutex::default(),
        }
    }
}

impl<S: FlowSource + ?Sized> FlowSource for InLocale<'_, S> {
    fn flow(&self, id: &str, version: Option<&Version>) -> Option<Arc<Flow>> {
        let flow = self.src.flow(id, version)?;
        if self.locale == DEFAULT_LOCALE {
            return Some(flow);
        }
        let key = (id.to_owned(), flow.version().clone());
        if let Some(made) = self.made.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Some(made);
        }
        let translation = self.translations.get(id, self.locale);
        let made = Arc::new(apply::localize(&flow, self.locale, translation));
        if let Ok(mut memo) = self.made.lock() {
            memo.insert(key, Arc::clone(&made));
        }
        Some(made)
    }
}

#[cfg(test)]
mod tests;
