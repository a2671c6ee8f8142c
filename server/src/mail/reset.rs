//! The password-reset mail: a plain-text part and an HTML part, both holding the link and
//! nothing else secret (no password, no account id).

use lettre::{
    Message,
    message::{Mailbox, MultiPart, SinglePart, header::ContentType},
};

use crate::config::MailSettings;

/// The mail that carries `token` to `to`, or `None` when `to` is not an address lettre
/// can send to (our email rules are looser than RFC 5321's in corners); the caller logs it.
#[must_use]
pub fn reset_mail(settings: &MailSettings, to: &str, token: &str) -> Option<Message> {
    let to: Mailbox = to.parse().ok()?;
    let link = format!("{}/reset-password?token={token}", settings.public_url);
    let minutes = settings.reset_ttl.as_secs().div_ceil(60);
    let text = format!(
        "Someone asked to reset the password of your Ticked account.\n\
         \n\
         To choose a new password, open this link within {minutes} minutes:\n\
         \n\
         {link}\n\
         \n\
         The link works once. If you did not ask for it, ignore this mail:\n\
         your password stays as it is.\n"
    );
    let href = escape(&link);
    let html = format!(
        "<!DOCTYPE html>\n<html><body>\n\
         <p>Someone asked to reset the password of your Ticked account.</p>\n\
         <p>To choose a new password, open this link within {minutes} minutes:</p>\n\
         <p><a href=\"{href}\">{href}</a></p>\n\
         <p>The link works once. If you did not ask for it, ignore this mail:\n\
         your password stays as it is.</p>\n\
         </body></html>\n"
    );
    Message::builder()
        .from(settings.from.clone())
        .to(to)
        .subject("Reset your Ticked password")
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html),
                ),
        )
        .ok()
}

/// Text made safe inside an HTML attribute or element.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::reset_mail;
    use crate::config::MailSettings;

    fn settings() -> MailSettings {
        MailSettings {
            public_url: "http://127.0.0.1:3000".to_owned(),
            smtp: None,
            from: "Ticked <no-reply@localhost>".parse().unwrap(),
            reset_ttl: Duration::from_secs(1800),
        }
    }

    #[test]
    fn the_mail_has_a_text_and_an_html_part_with_the_link() {
        let token = "A".repeat(22);
        let mail = reset_mail(&settings(), "ada@example.com", &token).unwrap();
        let raw = String::from_utf8(mail.formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/plain"), "{raw}");
        assert!(raw.contains("text/html"), "{raw}");
        // The text part stays 7-bit, so a developer can copy the link from the log.
        assert!(
            raw.contains(&format!(
                "http://127.0.0.1:3000/reset-password?token={token}"
            )),
            "{raw}"
        );
    }

    #[test]
    fn an_address_lettre_cannot_send_to_gives_no_mail() {
        assert!(reset_mail(&settings(), "not an address", "t").is_none());
    }
}
