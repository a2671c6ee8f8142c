//! A small real SMTP server for the tests: it speaks enough of RFC 5321 (EHLO/HELO, MAIL,
//! RCPT, DATA, RSET, NOOP, QUIT) for lettre to hand it a message over a real socket, and
//! passes each message it receives to the test. It offers no STARTTLS, so the server under
//! test sends in plain text, as `smtp://` allows for a server that offers none.

use std::time::Duration;

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    sync::mpsc,
};

/// One message as received.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    /// The `RCPT TO` addresses.
    pub recipients: Vec<String>,
    /// The message after DATA, dot-unstuffed.
    pub raw: String,
}

impl ReceivedMail {
    /// The parts of a multipart message as `(content type, decoded body)`, or the whole
    /// message as one part: what a mail program would show.
    pub fn parts(&self) -> Vec<(String, String)> {
        let boundary = self
            .raw
            .split_once("boundary=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(boundary, _)| format!("--{boundary}"));
        let chunks: Vec<&str> = match &boundary {
            Some(boundary) => self.raw.split(boundary.as_str()).skip(1).collect(),
            None => vec![self.raw.as_str()],
        };
        chunks
            .into_iter()
            .filter_map(|chunk| chunk.split_once("\n\n"))
            .map(|(headers, body)| {
                let headers = headers.to_ascii_lowercase();
                let content_type = headers
                    .lines()
                    .find_map(|l| l.strip_prefix("content-type:"))
                    .unwrap_or("")
                    .trim()
                    .to_owned();
                let body = if headers.contains("quoted-printable") {
                    decode_quoted_printable(body)
                } else {
                    body.to_owned()
                };
                (content_type, body)
            })
            .collect()
    }

    /// Every reset link in the message, in order, with the content type of its part.
    pub fn links(&self) -> Vec<(String, String)> {
        let mut links = Vec::new();
        for (content_type, text) in self.parts() {
            for (at, marker) in text.match_indices("/reset-password?token=") {
                let start = text[..at]
                    .rfind(|c: char| c.is_whitespace() || c == '"' || c == '>')
                    .map_or(0, |i| i + 1);
                let rest = &text[at + marker.len()..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                    .unwrap_or(rest.len());
                links.push((
                    content_type.clone(),
                    text[start..at + marker.len() + end].to_owned(),
                ));
            }
        }
        links
    }

    /// The token of the (first) reset link.
    pub fn token(&self) -> String {
        let links = self.links();
        let (_, link) = links.first().expect("a reset link in the mail");
        link.split_once("token=").expect("token").1.to_owned()
    }
}

/// A listening sink; messages arrive through [`MailSink::next_mail`].
pub struct MailSink {
    pub port: u16,
    received: mpsc::UnboundedReceiver<ReceivedMail>,
}

impl MailSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
        let port = listener.local_addr().expect("sink address").port();
        let (sender, received) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, sender.clone()));
            }
        });
        Self { port, received }
    }

    /// `SMTP_URL` for a server that should send here.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The next message, waiting up to ten seconds for it.
    pub async fn next_mail(&mut self) -> ReceivedMail {
        tokio::time::timeout(Duration::from_secs(10), self.received.recv())
            .await
            .expect("a mail within ten seconds")
            .expect("sink running")
    }

    /// Asserts that no message arrives within `wait`.
    pub async fn assert_no_mail(&mut self, wait: Duration) {
        if let Ok(Some(mail)) = tokio::time::timeout(wait, self.received.recv()).await {
            panic!("unexpected mail to {:?}", mail.recipients);
        }
    }
}

/// One SMTP conversation.
async fn serve(stream: TcpStream, deliver: mpsc::UnboundedSender<ReceivedMail>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut recipients = Vec::new();
    if write.write_all(b"220 sink ESMTP ready\r\n").await.is_err() {
        return;
    }
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line.get(..4).unwrap_or(&line).to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink greets you\r\n250 8BITMIME\r\n",
            "HELO" | "NOOP" => b"250 OK\r\n",
            "MAIL" | "RSET" => {
                recipients.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                let address = line
                    .split_once(':')
                    .map(|(_, a)| a.trim().trim_start_matches('<').trim_end_matches('>'))
                    .unwrap_or_default();
                recipients.push(address.to_owned());
                b"250 OK\r\n"
            }
            "DATA" => {
                if write.write_all(b"354 go ahead\r\n").await.is_err() {
                    return;
                }
                let mut raw = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line == "." {
                        break;
                    }
                    raw.push_str(line.strip_prefix('.').unwrap_or(&line));
                    raw.push('\n');
                }
                let _ = deliver.send(ReceivedMail {
                    recipients: std::mem::take(&mut recipients),
                    raw,
                });
                b"250 OK: queued\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => b"502 command not implemented\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// Undoes quoted-printable (RFC 2045 §6.7) on the whole text: soft line breaks go, `=XX`
/// becomes its byte. Plain 7-bit text passes unchanged.
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'=')
            .then(|| joined.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
