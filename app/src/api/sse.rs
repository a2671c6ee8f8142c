//! Reading a `text/event-stream` body as it arrives, chunk by chunk.
//!
//! The browser's `EventSource` would do this for us, but it cannot send an
//! `Authorization` header, so the live stream is an ordinary `fetch` whose body is read
//! here. This is the part of the HTML standard's event-stream interpretation that the
//! API uses: `id`, `event` and `data` fields, comments, and the three line endings. It is
//! plain Rust over bytes (a chunk may end in the middle of a line, or of a character), so
//! it is tested natively.

/// One dispatched message of the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The last event id the stream set, as the standard keeps it: it carries over to
    /// later messages that do not set their own.
    pub id: Option<String>,
    /// `message` when the stream named no event type.
    pub event: String,
    pub data: String,
}

/// Turns chunks of the body into messages.
#[derive(Debug, Default)]
pub struct Parser {
    /// The bytes of a line not finished yet.
    line: Vec<u8>,
    /// A `\r` ended the last chunk: a `\n` opening the next one belongs to it.
    after_cr: bool,
    last_id: Option<String>,
    event: Option<String>,
    data: Option<String>,
}

impl Parser {
    /// Reads `chunk` and returns the messages it completed, in order.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Message> {
        let mut messages = Vec::new();
        for &byte in chunk {
            let after_cr = std::mem::take(&mut self.after_cr);
            match byte {
                b'\n' if after_cr => {}
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(message) = self.line_ended(&String::from_utf8_lossy(&line)) {
                        messages.push(message);
                    }
                }
                _ => self.line.push(byte),
            }
        }
        messages
    }

    fn line_ended(&mut self, line: &str) -> Option<Message> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None; // a comment: the server's keep-alive
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            "event" => self.event = Some(value.to_owned()),
            "data" => {
                // Each `data` line adds its value and a line feed; the last line feed
                // goes at dispatch, so several lines join with line feeds.
                let data = self.data.get_or_insert_with(String::new);
                data.push_str(value);
                data.push('\n');
            }
            _ => {} // `retry` and unknown fields
        }
        None
    }

    /// A blank line: the message gathered so far is complete. As in browsers, one
    /// without data is not dispatched (its `id` still counts).
    fn dispatch(&mut self) -> Option<Message> {
        let event = self.event.take();
        let mut data = self.data.take()?;
        data.pop(); // the line feed after the last `data` line
        Some(Message {
            id: self.last_id.clone(),
            event: event
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| "message".to_owned()),
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Message, Parser};

    fn message(id: Option<&str>, event: &str, data: &str) -> Message {
        Message {
            id: id.map(str::to_owned),
            event: event.to_owned(),
            data: data.to_owned(),
        }
    }

    #[test]
    fn a_whole_event_is_read() {
        let mut parser = Parser::default();
        let messages = parser.feed(b"id: 7\nevent: todo\ndata: {\"a\":1}\n\n");
        assert_eq!(messages, vec![message(Some("7"), "todo", "{\"a\":1}")]);
    }

    #[test]
    fn events_split_anywhere_across_chunks_are_read_the_same() {
        let stream = "id: 1\r\nevent: todo\r\ndata: {\"title\":\"café ☕\"}\r\n\r\n: keep-alive\r\n\r\nid: 2\revent: todos\rdata: {}\r\r";
        let whole = Parser::default().feed(stream.as_bytes());
        assert_eq!(
            whole,
            vec![
                message(Some("1"), "todo", "{\"title\":\"café ☕\"}"),
                message(Some("2"), "todos", "{}"),
            ]
        );
        for cut in 0..stream.len() {
            let mut parser = Parser::default();
            let mut messages = parser.feed(&stream.as_bytes()[..cut]);
            messages.extend(parser.feed(&stream.as_bytes()[cut..]));
            assert_eq!(messages, whole, "cut at byte {cut}");
        }
    }

    #[test]
    fn comments_and_events_without_data_dispatch_nothing() {
        let mut parser = Parser::default();
        assert!(parser.feed(b": connected\n\n: keep-alive\n\n").is_empty());
        assert!(parser.feed(b"id: 5\nevent: todo\n\n").is_empty());
        // The id of a message without data still counts for the next one.
        assert_eq!(
            parser.feed(b"event: resync\ndata: {}\n\n"),
            vec![message(Some("5"), "resync", "{}")]
        );
    }

    #[test]
    fn several_data_lines_join_with_line_feeds_and_the_default_type_is_message() {
        let mut parser = Parser::default();
        assert_eq!(
            parser.feed(b"data: a\ndata:b\ndata\n\n"),
            vec![message(None, "message", "a\nb\n")]
        );
    }

    #[test]
    fn unknown_fields_and_retry_are_ignored() {
        let mut parser = Parser::default();
        assert_eq!(
            parser.feed(b"retry: 1000\nfoo: bar\nevent: token_expired\ndata: {}\n\n"),
            vec![message(None, "token_expired", "{}")]
        );
    }
}
