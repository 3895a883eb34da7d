//! The RON loader and checker: any bytes as a flow file, checked beside an intact bundled
//! flow (so the cross-flow rules run), with every diagnostic rendered as `stepwise check`
//! would. Never a panic.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use stepwise_engine::{Source, Style, check_sources};

/// The bundled flows, one of which goes beside the fuzzed file.
fn bundled() -> &'static [Source] {
    static BUNDLED: OnceLock<Vec<Source>> = OnceLock::new();
    BUNDLED.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows");
        let mut sources: Vec<Source> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.to_string_lossy().ends_with(".ron"))
                    .filter(|p| !p.to_string_lossy().ends_with(".scenarios.ron"))
                    .filter_map(|p| Some(Source::new(p.clone(), std::fs::read_to_string(&p).ok()?)))
                    .collect()
            })
            .unwrap_or_default();
        sources.sort_by(|a, b| a.path.cmp(&b.path));
        sources
    })
}

fuzz_target!(|data: &[u8]| {
    let (pick, text) = data.split_first().map_or((0, data), |(p, rest)| (*p, rest));
    let source = match Source::from_bytes("fuzzed.ron", text.to_vec()) {
        Ok(source) => source,
        Err(diagnostic) => {
            assert!(!diagnostic.render(Style::Plain).is_empty());
            return;
        }
    };
    let mut sources = vec![source];
    let bundled = bundled();
    if !bundled.is_empty() {
        sources.push(bundled[usize::from(pick) % bundled.len()].clone());
    }
    let report = check_sources(sources);
    for diagnostic in &report.diagnostics {
        assert!(!diagnostic.render(Style::Plain).is_empty());
        let _ = diagnostic.render(Style::Colour);
        serde_json::to_string(&diagnostic.to_json()).expect("a diagnostic as JSON");
    }
    let _ = report.summary();
});
