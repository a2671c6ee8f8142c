//! Answering `POST /password-reset` off the request's path.
//!
//! The handler only counts the request and queues the email; this module's task does the
//! rest — finds the account, issues a token, composes and sends the mail. So the answer
//! takes the same time whether or not the account exists (nothing about it is looked up
//! before answering), and a slow or dead mail server never holds a request.
//!
//! The queue is bounded ([`QUEUE_LENGTH`]) and so are concurrent sends ([`MAX_SENDING`]):
//! when mail cannot leave fast enough, new requests are dropped with a warning rather
//! than piling up in memory. Requests are handled in the order they came, so of two
//! requests for one account the later one's token is the live one.

use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc};

use crate::{config::MailSettings, db::Db, mail, services::users};

use super::password_reset;

/// Reset requests waiting for the task.
pub const QUEUE_LENGTH: usize = 256;
/// Mails being sent at once.
pub const MAX_SENDING: usize = 4;

/// Where handlers drop reset requests. Cloned into every request's state; the task ends
/// when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct ResetRequests {
    queue: mpsc::Sender<String>,
}

impl ResetRequests {
    /// Starts the task that handles the requests.
    #[must_use]
    pub fn start(db: Db, settings: MailSettings, mailer: mail::Mailer) -> Self {
        let (queue, requests) = mpsc::channel(QUEUE_LENGTH);
        tokio::spawn(run(requests, db, Arc::new(settings), Arc::new(mailer)));
        Self { queue }
    }

    /// Queues a request for the account of this (normalised) email, if there is one.
    pub fn submit(&self, email_normalized: String) {
        if self.queue.try_send(email_normalized).is_err() {
            tracing::warn!("password reset request dropped: the mail queue is full");
        }
    }
}

async fn run(
    mut requests: mpsc::Receiver<String>,
    db: Db,
    settings: Arc<MailSettings>,
    mailer: Arc<mail::Mailer>,
) {
    let sending = Arc::new(Semaphore::new(MAX_SENDING));
    while let Some(email) = requests.recv().await {
        let message = match prepare(&db, &settings, &email).await {
            Ok(Some(message)) => message,
            Ok(None) => continue,
            Err(e) => {
                tracing::error!(error = %e, "password reset request failed");
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&sending).acquire_owned().await else {
            return;
        };
        let mailer = Arc::clone(&mailer);
        tokio::spawn(async move {
            mailer.send(message).await;
            drop(permit);
        });
    }
}

/// The mail for the account of `email`, with a freshly issued token; `None` when there
/// is no such account.
async fn prepare(
    db: &Db,
    settings: &MailSettings,
    email: &str,
) -> Result<Option<lettre::Message>, crate::error::ApiError> {
    let Some(user) = users::find_by_email(db, email).await? else {
        return Ok(None);
    };
    let token = password_reset::issue(db, user.id, settings.reset_ttl).await?;
    let message = mail::reset_mail(settings, &user.email, &token);
    if message.is_none() {
        tracing::error!(user = %user.id, "cannot address a reset mail to this account's email");
    }
    Ok(message)
}
