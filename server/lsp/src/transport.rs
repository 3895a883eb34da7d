//! The protocol's framing over a byte stream: `Content-Length` headers, then a JSON body.
//!
//! lsp-server's own reader stops at the first body that is not a message; this one answers
//! it with a parse error and reads on, so one bad message never takes the server down.

use std::io::{self, BufRead, Read, Write};

use lsp_server::Message;

/// The largest message body read. A bigger one is skipped unread and refused: a client
/// that sends one has a bug, and memory stays bounded.
pub const MAX_MESSAGE_SIZE: usize = 64 * 1024 * 1024;

/// The longest header line accepted.
const MAX_HEADER_LINE: usize = 8 * 1024;

/// What came in on the stream.
#[derive(Debug)]
pub enum Incoming {
    /// A well-formed message.
    Message(Message),
    /// A body that is not a JSON-RPC message; the error says why.
    Malformed(String),
    /// The stream ended.
    End,
}

/// Reads the next frame. Errors are the stream's own (a header that cannot be read, the
/// connection gone): after one the stream cannot be trusted to be in step.
pub fn read(input: &mut impl BufRead) -> io::Result<Incoming> {
    let mut length = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = input
            .by_ref()
            .take(MAX_HEADER_LINE as u64)
            .read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(Incoming::End);
        }
        if !line.ends_with(b"\n") {
            return Err(invalid("a header line is too long or unterminated"));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            break;
        }
        let Some((name, value)) = text.split_once(':') else {
            return Err(invalid(&format!("a header without a colon: {text:?}")));
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            let value = value.trim().parse::<usize>().map_err(|_| {
                invalid(&format!(
                    "Content-Length is not a number: {:?}",
                    value.trim()
                ))
            })?;
            length = Some(value);
        }
    }
    let Some(length) = length else {
        return Err(invalid("a message without Content-Length"));
    };
    if length > MAX_MESSAGE_SIZE {
        io::copy(&mut input.by_ref().take(length as u64), &mut io::sink())?;
        return Ok(Incoming::Malformed(format!(
            "the message is {length} bytes, more than the {MAX_MESSAGE_SIZE} accepted"
        )));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    Ok(match serde_json::from_slice::<Message>(&body) {
        Ok(message) => Incoming::Message(message),
        Err(e) => Incoming::Malformed(format!("not a JSON-RPC message: {e}")),
    })
}

/// Writes one message.
pub fn write(output: &mut impl Write, message: Message) -> io::Result<()> {
    message.write(output)?;
    output.flush()
}

/// Writes an error reply to a message whose id could not be read (`"id": null`).
pub fn write_parse_error(output: &mut impl Write, code: i32, message: &str) -> io::Result<()> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": code, "message": message },
    })
    .to_string();
    write!(output, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    output.flush()
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> Vec<u8> {
        format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }

    #[test]
    fn a_bad_body_is_reported_and_the_next_message_read() {
        let mut bytes = frame("{not json");
        bytes.extend(frame(r#"{"jsonrpc":"2.0","method":"exit"}"#));
        let mut input = &bytes[..];
        assert!(matches!(read(&mut input), Ok(Incoming::Malformed(_))));
        assert!(matches!(read(&mut input), Ok(Incoming::Message(_))));
        assert!(matches!(read(&mut input), Ok(Incoming::End)));
    }

    #[test]
    fn a_bad_header_is_an_error() {
        let mut input = &b"Content-Length: lots\r\n\r\n{}"[..];
        assert!(read(&mut input).is_err());
    }
}
