//! Files on disk: which file is which by its name (flows, their scenarios and their
//! translations live side by side in one directory), and reading one.
//!
//! Apart from the modules that read each kind, so that each can tell the others' files from
//! its own without importing them; and apart from [`crate::source`], so that a source needs
//! no diagnostics while a diagnostic shows its source.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic};
use crate::locale::normalize_locale;
use crate::source::{Source, Span};

/// The largest flow file read, in bytes. Bigger files are refused unread.
pub const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// The UTF-8 byte-order mark.
const BYTE_ORDER_MARK: &[u8] = b"\xef\xbb\xbf";

/// How a scenario file's name ends: `flows/<id>.scenarios.ron` holds the scenarios of
/// `flows/<id>.ron`.
pub const SCENARIO_SUFFIX: &str = ".scenarios.ron";

/// The name of a flows directory's settings file (see [`crate::Settings`]); never a flow.
pub const SETTINGS_FILE: &str = "stepwise.ron";

/// How the names of backups end (`a-flow.bak.ron`, `a-flow.de.old.ron`): editors and
/// writers leave them beside the flows, and they are neither flows nor translations (`bak`
/// would be read as a language), so they are not read.
pub const BACKUP_SUFFIXES: [&str; 4] = [".bak.ron", ".old.ron", ".orig.ron", ".backup.ron"];

/// Whether a file is a backup (see [`BACKUP_SUFFIXES`]).
pub fn is_backup(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    BACKUP_SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
}

/// The flow id and locale a translation file's name gives (`a-flow.de.ron` → `a-flow`,
/// `de`); `None` for flow files, scenario files, backups and anything else.
pub fn file_name_parts(path: &Path) -> Option<(String, String)> {
    if is_backup(path) {
        return None;
    }
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".ron")?;
    let (flow, locale) = stem.rsplit_once('.')?;
    if flow.is_empty() || flow.contains('.') {
        return None;
    }
    let locale = normalize_locale(locale)?;
    // The flow's id, in NFC as ids are compared.
    Some((crate::ids::nfc(flow).into_owned(), locale))
}

/// Whether a file is a flow: `*.ron`, but neither a scenario file, a translation nor a
/// backup.
pub fn is_flow_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name.ends_with(".ron")
        && name != SETTINGS_FILE
        && !name.ends_with(SCENARIO_SUFFIX)
        && !is_backup(path)
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

impl Source {
    /// Reads a flow file: at most [`MAX_FILE_SIZE`] bytes, which must be UTF-8.
    ///
    /// Anything else comes back as the diagnostic a writer reads (`unreadable`,
    /// `file-too-large`, `not-utf8`).
    pub fn read(path: &Path) -> Result<Source, Box<Diagnostic>> {
        let unreadable = |why: String| {
            Box::new(
                Diagnostic::new(
                    Code::Unreadable,
                    &Source::new(path, ""),
                    format!("cannot read `{}`: {why}", path.display()),
                )
                .with_help("check that the file exists and that you may read it"),
            )
        };
        let meta = std::fs::metadata(path).map_err(|e| unreadable(io_reason(&e)))?;
        // A FIFO or a device could block or never end; only plain files are flows.
        if !meta.is_file() {
            let what = if meta.is_dir() {
                "it is a directory"
            } else {
                "it is not a regular file"
            };
            return Err(unreadable(what.to_owned()));
        }
        let file = File::open(path).map_err(|e| unreadable(io_reason(&e)))?;
        let mut bytes = Vec::new();
        // Reading one byte past the limit tells "exactly the limit" from "too big"
        // without ever holding more than that in memory.
        file.take(MAX_FILE_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| unreadable(io_reason(&e)))?;
        if bytes.len() as u64 > MAX_FILE_SIZE {
            let size = meta.len().max(bytes.len() as u64);
            return Err(Box::new(
                Diagnostic::new(
                    Code::FileTooLarge,
                    &Source::new(path, ""),
                    format!(
                        "`{}` is too large: {} bytes, and a flow file may have at most 1 MiB ({} bytes)",
                        path.display(),
                        size,
                        MAX_FILE_SIZE
                    ),
                )
                .with_help("split the flow into smaller flows joined with `Link(flow: \"…\")`"),
            ));
        }
        Source::from_bytes(path, bytes)
    }

    /// A source from bytes already read; they must be UTF-8. A byte-order mark at the
    /// start (Windows Notepad writes one) is dropped: it is invisible, and not RON.
    pub fn from_bytes(
        path: impl Into<PathBuf>,
        mut bytes: Vec<u8>,
    ) -> Result<Source, Box<Diagnostic>> {
        let path = path.into();
        if bytes.starts_with(BYTE_ORDER_MARK) {
            bytes.drain(..BYTE_ORDER_MARK.len());
        }
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Source::new(path, text)),
            Err(e) => {
                let offset = e.utf8_error().valid_up_to();
                let bad = e.as_bytes().get(offset).copied().unwrap_or_default();
                // The lossy text keeps every byte before the first bad one where it was,
                // so the offset still points at it; the bad byte becomes U+FFFD (3 bytes).
                let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let source = Source::new(path, lossy);
                let at = source.line_col(offset);
                let message = format!(
                    "`{}` is not valid UTF-8: byte 0x{bad:02x} at offset {offset} (line {}, column {})",
                    source.path.display(),
                    at.line,
                    at.column
                );
                Err(Box::new(
                    Diagnostic::new(Code::NotUtf8, &source, message)
                        .with_label(
                            Span::new(offset, offset + '\u{fffd}'.len_utf8()),
                            "not UTF-8",
                        )
                        .with_help("save the file as UTF-8"),
                ))
            }
        }
    }
}

/// The reason an I/O error gives, without Rust's "(os error 2)" suffix.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => {
            let text = e.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_owned(),
                None => text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_tell_flows_from_translations() {
        assert_eq!(
            file_name_parts(Path::new("flows/a-b.de.ron")),
            Some(("a-b".to_owned(), "de".to_owned()))
        );
        assert_eq!(
            file_name_parts(Path::new("a.pt-BR.ron")),
            Some(("a".to_owned(), "pt-br".to_owned()))
        );
        assert_eq!(file_name_parts(Path::new("a.ron")), None);
        assert_eq!(file_name_parts(Path::new("a.scenarios.ron")), None);
        assert!(is_flow_file(Path::new("flows/a.ron")));
        assert!(!is_flow_file(Path::new("flows/a.de.ron")));
        assert!(!is_flow_file(Path::new("flows/a.scenarios.ron")));
        assert!(!is_flow_file(Path::new("flows/stepwise.ron")));
    }

    #[test]
    fn backups_are_neither_flows_nor_translations() {
        for name in [
            "a.bak.ron",
            "a.old.ron",
            "a.de.old.ron",
            "a.scenarios.bak.ron",
        ] {
            let path = Path::new(name);
            assert!(is_backup(path), "{name}");
            assert!(!is_flow_file(path), "{name}");
            assert_eq!(file_name_parts(path), None, "{name}");
        }
        assert!(!is_backup(Path::new("bak.ron")));
        assert!(!is_backup(Path::new("a.bg.ron")));
    }

    #[test]
    fn a_byte_order_mark_is_dropped() {
        let source = Source::from_bytes("a.ron", b"\xef\xbb\xbfFlow()".to_vec()).expect("UTF-8");
        assert_eq!(&*source.text, "Flow()");
    }

    #[test]
    fn invalid_utf8_is_reported_at_the_first_bad_byte() {
        let Err(d) = Source::from_bytes("bad.ron", b"ab\ncd\xffef".to_vec()) else {
            panic!("invalid UTF-8 was accepted");
        };
        assert_eq!(d.code, Code::NotUtf8);
        assert!(
            d.message.contains("offset 5 (line 2, column 3)"),
            "{}",
            d.message
        );
        assert_eq!(d.primary.as_ref().map(|l| l.span.start), Some(5));
    }
}
