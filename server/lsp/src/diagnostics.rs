//! The engine's diagnostics as the protocol's: the same code, message and help, the range
//! in UTF-16 units, secondary labels as related information.

use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Position, Range,
};
use stepwise_engine::{Diagnostic, Severity};

use crate::uri;
use crate::workspace::File;

/// A diagnostic of `file`, placed in it.
pub fn to_lsp(file: &File, diagnostic: &Diagnostic) -> lsp_types::Diagnostic {
    let range = diagnostic
        .primary
        .as_ref()
        .map_or_else(Range::default, |label| file.lines.range(label.span));
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .secondary
        .iter()
        .filter_map(|label| {
            Some(DiagnosticRelatedInformation {
                location: Location::new(
                    uri::from_path(&file.source.path)?,
                    file.lines.range(label.span),
                ),
                message: label.text.clone(),
            })
        })
        .collect();
    lsp_types::Diagnostic {
        range,
        severity: Some(severity(diagnostic.severity)),
        code: Some(NumberOrString::String(diagnostic.code.as_str().into())),
        source: Some("stepwise".into()),
        message: message(diagnostic),
        related_information: (!related.is_empty()).then_some(related),
        ..lsp_types::Diagnostic::default()
    }
}

/// A diagnostic of a file that could not be read, at its start.
pub fn unplaced(diagnostic: &Diagnostic) -> lsp_types::Diagnostic {
    lsp_types::Diagnostic {
        range: Range::new(Position::new(0, 0), Position::new(0, 0)),
        severity: Some(severity(diagnostic.severity)),
        code: Some(NumberOrString::String(diagnostic.code.as_str().into())),
        source: Some("stepwise".into()),
        message: message(diagnostic),
        ..lsp_types::Diagnostic::default()
    }
}

/// The message, with the primary label and the help the terminal shows under it.
fn message(diagnostic: &Diagnostic) -> String {
    let mut message = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    message
}

fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
    }
}
