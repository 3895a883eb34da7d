//! `stepwise lsp`: a Language Server Protocol server for flow files, over stdio.
//!
//! An editor opens a `*.ron` file of a flows directory (a flow, its `.scenarios.ron` or a
//! `<locale>.ron` translation); the server checks the whole directory with the open
//! documents' unsaved text in place of the saved one, and publishes the same diagnostics
//! `stepwise check` and `stepwise test` print, for every file of the directory they fall
//! in. On top of the engine's index of where every id stands it answers go to definition,
//! references, rename, completion, hover, quick fixes, the outline and code lenses.
//!
//! - `transport`: the protocol's framing, forgiving of bad messages;
//! - `uri`, `position`: `file:` URIs and UTF-16 positions;
//! - `workspace`: a flows directory read and checked, open documents in place;
//! - `symbols`: every id of a directory and where it stands, the one index the features read;
//! - `diagnostics`, `navigate`, `complete`, `hover`, `actions`, `outline`: the features.
//!
//! The engine does the checking; this crate only asks it and translates the answers.

mod actions;
mod complete;
mod diagnostics;
mod hover;
mod navigate;
mod outline;
mod position;
mod symbols;
mod transport;
mod uri;
mod workspace;

use std::collections::{BTreeSet, HashMap};
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionProviderCapability, CompletionOptions, InitializeResult, OneOf,
    PublishDiagnosticsParams, RenameOptions, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind, Uri, WorkDoneProgressOptions,
};
use serde_json::Value;

use crate::transport::Incoming;
use crate::workspace::{Directory, Role};

/// The LSP error code for a request the server understood but could not carry out.
const REQUEST_FAILED: i32 = -32803;

/// Serves one client on stdin and stdout until it says `exit` or goes away.
pub fn run_stdio() -> io::Result<()> {
    let stdin = io::stdin();
    let stdout = io::stdout();
    serve(&mut stdin.lock(), &mut stdout.lock())
}

/// Serves one client on `input` and `output` until it says `exit` or the input ends; an
/// `exit` not preceded by `shutdown` is an error, as the protocol asks.
pub fn serve(input: &mut impl BufRead, output: &mut impl Write) -> io::Result<()> {
    let mut server = Server::default();
    loop {
        match transport::read(input)? {
            Incoming::End => return Ok(()),
            Incoming::Malformed(why) => {
                transport::write_parse_error(output, ErrorCode::ParseError as i32, &why)?;
            }
            Incoming::Message(message) => {
                let (replies, exit) = server.handle(message);
                for reply in replies {
                    transport::write(output, reply)?;
                }
                if exit {
                    // The protocol: exit without shutdown first is a failure (status 1).
                    if !server.shutting_down {
                        return Err(io::Error::other("the client said exit before shutdown"));
                    }
                    return Ok(());
                }
            }
        }
    }
}

/// A document the editor has open.
struct Document {
    uri: Uri,
    text: Arc<str>,
}

/// The server's state between messages.
#[derive(Default)]
struct Server {
    initialized: bool,
    shutting_down: bool,
    /// Open documents by path.
    open: HashMap<PathBuf, Document>,
    /// Each flows directory as last checked.
    directories: HashMap<PathBuf, Directory>,
    /// The files of each directory that diagnostics were last published for.
    published: HashMap<PathBuf, BTreeSet<PathBuf>>,
}

/// Why a request about a document cannot be answered.
enum Refusal {
    /// Not a file of a flows directory.
    Outside(String),
    /// Over the size limit.
    TooLarge(String),
}

impl Server {
    /// Handles one message: the replies and notifications to send, and whether to stop.
    fn handle(&mut self, message: Message) -> (Vec<Message>, bool) {
        match message {
            Message::Request(request) => (vec![self.request(request)], false),
            Message::Notification(notification) => {
                if notification.method == note::Exit::METHOD {
                    return (Vec::new(), true);
                }
                (self.notification(notification), false)
            }
            // The server sends no requests, so a response answers nothing.
            Message::Response(_) => (Vec::new(), false),
        }
    }

    fn request(&mut self, request: Request) -> Message {
        let id = request.id.clone();
        if request.method == req::Initialize::METHOD {
            self.initialized = true;
            return ok(id, initialize_result());
        }
        if !self.initialized {
            return error(
                id,
                ErrorCode::ServerNotInitialized as i32,
                "the server is not initialized yet".into(),
            );
        }
        if request.method == req::Shutdown::METHOD {
            self.shutting_down = true;
            return ok(id, Value::Null);
        }
        if self.shutting_down {
            return error(
                id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".into(),
            );
        }
        match self.answer(&request.method, request.params) {
            Ok(result) => ok(id, result),
            Err((code, message)) => error(id, code, message),
        }
    }

    /// The result of a request, or its error code and message.
    fn answer(&mut self, method: &str, params: Value) -> Result<Value, (i32, String)> {
        macro_rules! on {
            ($kind:ty, $handler:expr) => {{
                let params: <$kind as req::Request>::Params = parse(params)?;
                let result = $handler(self, params)?;
                serde_json::to_value(result).map_err(|e| internal(&e))
            }};
        }
        match method {
            req::GotoDefinition::METHOD => on!(
                req::GotoDefinition,
                |s: &mut Server, p: lsp_types::GotoDefinitionParams| {
                    let at = p.text_document_position_params;
                    s.at(&at.text_document.uri, at.position, navigate::definition)
                }
            ),
            req::References::METHOD => on!(
                req::References,
                |s: &mut Server, p: lsp_types::ReferenceParams| {
                    let at = p.text_document_position;
                    let declaration = p.context.include_declaration;
                    s.at(&at.text_document.uri, at.position, |dir, file, offset| {
                        navigate::references(dir, file, offset, declaration)
                    })
                }
            ),
            req::PrepareRenameRequest::METHOD => on!(
                req::PrepareRenameRequest,
                |s: &mut Server, p: lsp_types::TextDocumentPositionParams| {
                    s.at(&p.text_document.uri, p.position, navigate::prepare_rename)
                }
            ),
            req::Rename::METHOD => {
                on!(req::Rename, |s: &mut Server, p: lsp_types::RenameParams| {
                    let at = p.text_document_position;
                    let to = p.new_name;
                    s.at(&at.text_document.uri, at.position, |dir, file, offset| {
                        navigate::rename(dir, file, offset, &to)
                    })?
                    .transpose()
                    .map_err(|why| (REQUEST_FAILED, why))
                })
            }
            req::Completion::METHOD => on!(
                req::Completion,
                |s: &mut Server, p: lsp_types::CompletionParams| {
                    let at = p.text_document_position;
                    s.at(&at.text_document.uri, at.position, complete::complete)
                }
            ),
            req::HoverRequest::METHOD => on!(
                req::HoverRequest,
                |s: &mut Server, p: lsp_types::HoverParams| {
                    let at = p.text_document_position_params;
                    s.at(&at.text_document.uri, at.position, hover::hover)
                }
            ),
            req::CodeActionRequest::METHOD => on!(
                req::CodeActionRequest,
                |s: &mut Server, p: lsp_types::CodeActionParams| {
                    let range = p.range;
                    s.with(&p.text_document.uri, |dir, file| {
                        actions::actions(dir, file, range)
                    })
                }
            ),
            req::DocumentSymbolRequest::METHOD => on!(
                req::DocumentSymbolRequest,
                |s: &mut Server, p: lsp_types::DocumentSymbolParams| {
                    s.with(&p.text_document.uri, |_, file| {
                        lsp_types::DocumentSymbolResponse::Nested(outline::symbols(file))
                    })
                }
            ),
            req::CodeLensRequest::METHOD => on!(
                req::CodeLensRequest,
                |s: &mut Server, p: lsp_types::CodeLensParams| {
                    s.with(&p.text_document.uri, outline::lenses)
                }
            ),
            _ => Err((
                ErrorCode::MethodNotFound as i32,
                format!("`{method}` is not a method this server knows"),
            )),
        }
    }

    /// Runs `feature` on the directory and file of `uri` at `position`.
    fn at<T>(
        &mut self,
        uri: &Uri,
        position: lsp_types::Position,
        feature: impl FnOnce(&Directory, &workspace::File, usize) -> T,
    ) -> Result<T, (i32, String)> {
        self.with(uri, |dir, file| {
            let offset = file.lines.offset(position);
            feature(dir, file, offset)
        })
    }

    /// Runs `feature` on the directory and file of `uri`.
    fn with<T>(
        &mut self,
        uri: &Uri,
        feature: impl FnOnce(&Directory, &workspace::File) -> T,
    ) -> Result<T, (i32, String)> {
        let path = self.locate(uri).map_err(refused)?;
        let dir_path = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if !self.directories.contains_key(&dir_path) {
            let checked = Directory::check(&dir_path, &self.overlays());
            self.directories.insert(dir_path.clone(), checked);
        }
        let dir = &self.directories[&dir_path];
        let Some(file) = dir.file(&path) else {
            return Err(refused(Refusal::Outside(format!(
                "`{}` is not a file of its flows directory",
                path.display()
            ))));
        };
        if file.too_large {
            return Err(refused(Refusal::TooLarge(format!(
                "`{}` is {} bytes, more than the {} a flow file may hold",
                path.display(),
                file.source.text.len(),
                stepwise_engine::MAX_FILE_SIZE
            ))));
        }
        Ok(feature(dir, file))
    }

    /// The path of a document in a flows directory.
    fn locate(&self, uri: &Uri) -> Result<PathBuf, Refusal> {
        let Some(path) = uri::to_path(uri) else {
            return Err(Refusal::Outside(format!(
                "`{}` is not a file on disk: stepwise reads flows from `file:` URIs",
                uri.as_str()
            )));
        };
        if Role::of(&path).is_none() {
            return Err(Refusal::Outside(format!(
                "`{}` is not a flow, scenario or translation file (`*.ron`)",
                path.display()
            )));
        }
        let Some(dir) = path.parent() else {
            return Err(Refusal::Outside(format!(
                "`{}` is in no directory",
                path.display()
            )));
        };
        if !self.holds_flows(dir) {
            return Err(Refusal::Outside(format!(
                "`{}` is outside any flows directory: `{}` holds no flow files",
                path.display(),
                dir.display()
            )));
        }
        Ok(path)
    }

    /// Whether a directory holds a flow file, on disk or open.
    fn holds_flows(&self, dir: &Path) -> bool {
        let open = self
            .open
            .keys()
            .any(|p| p.parent() == Some(dir) && Role::of(p) == Some(Role::Flow));
        open || std::fs::read_dir(dir).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| Role::of(&e.path()) == Some(Role::Flow))
        })
    }

    fn overlays(&self) -> HashMap<PathBuf, Arc<str>> {
        self.open
            .iter()
            .map(|(path, doc)| (path.clone(), Arc::clone(&doc.text)))
            .collect()
    }

    fn notification(&mut self, notification: Notification) -> Vec<Message> {
        let method = notification.method.as_str();
        let params = notification.params;
        let changed: Option<Uri> = match method {
            note::DidOpenTextDocument::METHOD => {
                parse::<lsp_types::DidOpenTextDocumentParams>(params)
                    .ok()
                    .map(|p| {
                        self.set_text(&p.text_document.uri, p.text_document.text.into());
                        p.text_document.uri
                    })
            }
            note::DidChangeTextDocument::METHOD => {
                parse::<lsp_types::DidChangeTextDocumentParams>(params)
                    .ok()
                    .and_then(|p| {
                        // Full sync: the last change holds the whole text.
                        let text = p.content_changes.into_iter().next_back()?.text;
                        self.set_text(&p.text_document.uri, text.into());
                        Some(p.text_document.uri)
                    })
            }
            note::DidSaveTextDocument::METHOD => {
                parse::<lsp_types::DidSaveTextDocumentParams>(params)
                    .ok()
                    .map(|p| p.text_document.uri)
            }
            note::DidCloseTextDocument::METHOD => {
                parse::<lsp_types::DidCloseTextDocumentParams>(params)
                    .ok()
                    .map(|p| {
                        if let Some(path) = uri::to_path(&p.text_document.uri) {
                            self.open.remove(&path);
                        }
                        p.text_document.uri
                    })
            }
            note::DidChangeWatchedFiles::METHOD => {
                let dirs: Vec<PathBuf> = self.directories.keys().cloned().collect();
                return dirs.iter().flat_map(|d| self.recheck(d)).collect();
            }
            _ => None,
        };
        let Some(uri) = changed else {
            return Vec::new();
        };
        match self.locate(&uri) {
            Ok(path) => {
                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                self.recheck(&dir)
            }
            Err(Refusal::Outside(why) | Refusal::TooLarge(why)) => {
                if method == note::DidOpenTextDocument::METHOD {
                    vec![log(&why)]
                } else {
                    Vec::new()
                }
            }
        }
    }

    fn set_text(&mut self, uri: &Uri, text: Arc<str>) {
        if let Some(path) = uri::to_path(uri) {
            self.open.insert(
                path,
                Document {
                    uri: uri.clone(),
                    text,
                },
            );
        }
    }

    /// Checks a directory again and publishes its diagnostics, clearing those of files
    /// that have none any more.
    fn recheck(&mut self, dir: &Path) -> Vec<Message> {
        let checked = Directory::check(dir, &self.overlays());
        let mut messages = Vec::new();
        let mut now = BTreeSet::new();
        for file in &checked.files {
            let path = &file.source.path;
            let found = checked.diagnostics.get(path);
            let open = self.open.contains_key(path);
            if found.is_none() && !open {
                continue;
            }
            now.insert(path.clone());
            let diagnostics = found
                .into_iter()
                .flatten()
                .map(|d| diagnostics::to_lsp(file, d))
                .collect();
            if let Some(uri) = self.uri_of(path) {
                messages.push(publish(uri, diagnostics));
            }
        }
        // Diagnostics of files that could not be read at all.
        for (path, found) in &checked.diagnostics {
            if checked.file(path).is_none()
                && let Some(uri) = self.uri_of(path)
            {
                now.insert(path.clone());
                let diagnostics = found.iter().map(diagnostics::unplaced).collect();
                messages.push(publish(uri, diagnostics));
            }
        }
        let before = self.published.insert(dir.to_owned(), now.clone());
        for gone in before.unwrap_or_default().difference(&now) {
            if let Some(uri) = self.uri_of(gone) {
                messages.push(publish(uri, Vec::new()));
            }
        }
        self.directories.insert(dir.to_owned(), checked);
        messages
    }

    /// The URI the editor knows a path by, else one made from it.
    fn uri_of(&self, path: &Path) -> Option<Uri> {
        match self.open.get(path) {
            Some(doc) => Some(doc.uri.clone()),
            None => uri::from_path(path),
        }
    }
}

fn initialize_result() -> InitializeResult {
    InitializeResult {
        capabilities: ServerCapabilities {
            text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
            definition_provider: Some(OneOf::Left(true)),
            references_provider: Some(OneOf::Left(true)),
            rename_provider: Some(OneOf::Right(RenameOptions {
                prepare_provider: Some(true),
                work_done_progress_options: WorkDoneProgressOptions::default(),
            })),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec!["\"".into(), ":".into(), "(".into()]),
                ..CompletionOptions::default()
            }),
            hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
            code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
            document_symbol_provider: Some(OneOf::Left(true)),
            code_lens_provider: Some(lsp_types::CodeLensOptions {
                resolve_provider: Some(false),
            }),
            ..ServerCapabilities::default()
        },
        server_info: Some(ServerInfo {
            name: "stepwise".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    }
}

fn parse<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, (i32, String)> {
    serde_json::from_value(params).map_err(|e| {
        (
            ErrorCode::InvalidParams as i32,
            format!("the parameters are not as the method takes them: {e}"),
        )
    })
}

fn internal(e: &serde_json::Error) -> (i32, String) {
    (ErrorCode::InternalError as i32, e.to_string())
}

fn refused(refusal: Refusal) -> (i32, String) {
    match refusal {
        Refusal::Outside(why) => (ErrorCode::InvalidParams as i32, why),
        Refusal::TooLarge(why) => (REQUEST_FAILED, why),
    }
}

fn ok(id: RequestId, result: impl serde::Serialize) -> Message {
    match serde_json::to_value(result) {
        Ok(value) => Message::Response(Response {
            id,
            response_result: Ok(value),
        }),
        Err(e) => error(id, ErrorCode::InternalError as i32, e.to_string()),
    }
}

fn error(id: RequestId, code: i32, message: String) -> Message {
    Message::Response(Response::new_err(id, code, message))
}

fn publish(uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>) -> Message {
    Message::Notification(Notification::new(
        note::PublishDiagnostics::METHOD.into(),
        PublishDiagnosticsParams {
            uri,
            diagnostics,
            version: None,
        },
    ))
}

/// A message for the editor's log.
fn log(message: &str) -> Message {
    Message::Notification(Notification::new(
        note::LogMessage::METHOD.into(),
        lsp_types::LogMessageParams {
            typ: lsp_types::MessageType::WARNING,
            message: message.into(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(messages: &[&str]) -> Vec<u8> {
        messages
            .iter()
            .flat_map(|m| format!("Content-Length: {}\r\n\r\n{m}", m.len()).into_bytes())
            .collect()
    }

    fn run(messages: &[&str]) -> (io::Result<()>, String) {
        let input = frames(messages);
        let mut output = Vec::new();
        let result = serve(&mut &input[..], &mut output);
        (result, String::from_utf8_lossy(&output).into_owned())
    }

    #[test]
    fn shutdown_then_exit_ends_cleanly() {
        let (result, output) = run(&[
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#,
            r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#,
            r#"{"jsonrpc":"2.0","method":"exit"}"#,
        ]);
        assert!(result.is_ok());
        assert!(output.contains(r#""id":2,"result":null"#), "{output}");
    }

    #[test]
    fn exit_without_shutdown_is_a_failure() {
        let (result, _) = run(&[r#"{"jsonrpc":"2.0","method":"exit"}"#]);
        assert!(result.is_err());
    }

    #[test]
    fn a_request_before_initialize_is_refused() {
        let (_, output) =
            run(&[r#"{"jsonrpc":"2.0","id":1,"method":"textDocument/hover","params":{}}"#]);
        assert!(output.contains("-32002"), "{output}");
    }

    #[test]
    fn bad_parameters_are_an_error_not_a_crash() {
        let (_, output) = run(&[
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#,
            r#"{"jsonrpc":"2.0","id":2,"method":"textDocument/hover","params":{"x":1}}"#,
        ]);
        assert!(
            output.contains(r#""id":2,"error":{"code":-32602"#),
            "{output}"
        );
    }
}
