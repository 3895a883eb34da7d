//! What every command prints: diagnostics in colour on a terminal (unless `NO_COLOR`), text on
//! standard output that a closed pipe cannot turn into a panic, and errors.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use stepwise_engine::{Diagnostic, Style};

/// The style for diagnostics on a stream: colour on a terminal, unless `NO_COLOR` is set.
pub fn style(terminal: bool) -> Style {
    // https://no-color.org: a non-empty NO_COLOR turns colour off.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if terminal && !no_color {
        Style::Colour
    } else {
        Style::Plain
    }
}

/// Prints diagnostics on standard error, as `stepwise check` does.
pub fn print_diagnostics(diagnostics: &[&Diagnostic]) {
    let style = style(std::io::stderr().is_terminal());
    let mut err = std::io::stderr().lock();
    for d in diagnostics {
        let _ = writeln!(err, "{}", d.render(style));
    }
}

/// Prints an error and returns the failing exit code.
pub fn fail(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr().lock(), "error: {message}");
    ExitCode::FAILURE
}

/// Writes text to standard output; a closed pipe (`stepwise … | head`) is not worth a panic.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}
