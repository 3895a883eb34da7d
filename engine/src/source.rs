//! Reading flow files: size limit, UTF-8, and the text kept for diagnostics.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The text of one flow file and the name it is reported under.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as the user gave it (or as found in a directory).
    pub path: PathBuf,
    /// The whole file.
    pub text: Arc<str>,
}

impl Source {
    /// A source from text in memory (tests, uploads).
    pub fn new(path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> Source {
        Source {
            path: path.into(),
            text: text.into(),
        }
    }

    /// Reads a flow file.
    pub fn read(path: &Path) -> std::io::Result<Source> {
        let text = std::fs::read_to_string(path)?;
        Ok(Source::new(path, text))
    }
}
