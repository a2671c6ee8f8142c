//! Sending mail: over SMTP when `SMTP_URL` is set, else into the log.
//!
//! Sending never happens on a request's path (see [`crate::services::reset_requests`]), and
//! it never fails loudly: a mail server that is down, refuses us or does not answer within
//! [`SMTP_TIMEOUT`](crate::config::SMTP_TIMEOUT) per step (and [`SEND_DEADLINE`] in all) costs one `error` line in the
//! log, and the mail is dropped — not queued or retried. For a reset link that is the
//! right trade: the person sees no mail and asks again, and a retry hours later would
//! arrive after the link expired anyway.

mod reset;

use std::time::Duration;

use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub use reset::reset_mail;

use crate::config::MailSettings;

/// The longest one mail may take to send, all steps together.
pub const SEND_DEADLINE: Duration = Duration::from_secs(30);

/// Where mail goes.
#[derive(Clone, Debug)]
pub enum Mailer {
    /// An SMTP server.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// The server's log, whole, at `info` level: with `SMTP_URL` unset a developer still
    /// gets the link.
    Log,
}

impl Mailer {
    /// The mailer the settings ask for.
    ///
    /// # Errors
    /// A sentence naming `SMTP_URL` when its host cannot be used for TLS (the
    /// configuration already checked this, so only a hand-built config gets here).
    pub fn new(settings: &MailSettings) -> Result<Self, String> {
        match &settings.smtp {
            None => Ok(Self::Log),
            Some(server) => server
                .transport()
                .map(Self::Smtp)
                .map_err(|e| format!("SMTP_URL: {e}")),
        }
    }

    /// Sends `message`, logging the outcome; never fails (see the module docs).
    pub async fn send(&self, message: Message) {
        let to = message
            .envelope()
            .to()
            .first()
            .map(|to| to.domain().to_owned())
            .unwrap_or_default();
        match self {
            Self::Log => {
                let text = String::from_utf8_lossy(&message.formatted()).into_owned();
                tracing::info!("SMTP_URL is not set; this mail is logged, not sent:\n{text}");
            }
            Self::Smtp(transport) => {
                match tokio::time::timeout(SEND_DEADLINE, transport.send(message)).await {
                    Ok(Ok(_)) => tracing::info!(to_domain = %to, "mail sent"),
                    Ok(Err(e)) => {
                        tracing::error!(to_domain = %to, error = %e, "mail not sent; dropped");
                    }
                    Err(_) => tracing::error!(
                        to_domain = %to,
                        "mail not sent within {SEND_DEADLINE:?}; dropped"
                    ),
                }
            }
        }
    }
}
