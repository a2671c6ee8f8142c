//! The mail settings of password reset (`API.md`, "Configuration"): where links point
//! (`PUBLIC_URL`), how mail leaves (`SMTP_URL`), who sends it (`MAIL_FROM`) and how long a
//! reset link lives (`PASSWORD_RESET_TTL_SECONDS`).
//!
//! `SMTP_URL` is checked as far as can be without connecting: its scheme, host, port and
//! TLS set-up. Whether the server answers is only learnt when a mail is sent, and a server
//! that is down then is logged, never fatal (see [`crate::mail`]). Error messages never
//! repeat the URL: it may hold a password.

use std::{net::SocketAddr, time::Duration};

use lettre::{
    AsyncSmtpTransport, Tokio1Executor,
    message::Mailbox,
    transport::smtp::{
        authentication::Credentials,
        client::{Tls, TlsParameters},
    },
};

use super::{ConfigError, Secret, values::Lookup};

/// Everything password-reset mail needs.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// The origin (and path prefix, if any) that links point to, without a trailing `/`.
    pub public_url: String,
    /// Where mail goes; `None` writes each mail to the log instead.
    pub smtp: Option<SmtpServer>,
    /// The `From` of every mail.
    pub from: Mailbox,
    /// How long a reset link can be used.
    pub reset_ttl: Duration,
}

/// An SMTP server to hand mail to, from `SMTP_URL`.
#[derive(Clone, Debug)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// User name and password, sent only inside TLS.
    pub credentials: Option<(String, Secret)>,
}

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtps://`: TLS from the first byte.
    Tls,
    /// `smtp://` without credentials: STARTTLS when the server offers it, plain otherwise
    /// (a local relay or a development server).
    StartTlsIfOffered,
    /// `smtp://` with credentials: STARTTLS or no connection, so that a password never
    /// crosses the network in the clear.
    StartTlsRequired,
}

/// How long one SMTP step (connecting, each command) may take before the send gives up.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

impl SmtpServer {
    /// The lettre transport for this server.
    ///
    /// # Errors
    /// When `host` is not a name TLS can verify (checked at start, see [`read`]).
    pub fn transport(
        &self,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
        let tls = TlsParameters::new(self.host.clone())?;
        let tls = match self.security {
            SmtpSecurity::Tls => Tls::Wrapper(tls),
            SmtpSecurity::StartTlsIfOffered => Tls::Opportunistic(tls),
            SmtpSecurity::StartTlsRequired => Tls::Required(tls),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT));
        if let Some((user, password)) = &self.credentials {
            let password = String::from_utf8_lossy(password.expose()).into_owned();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(builder.build())
    }
}

/// Reads the four mail settings.
pub(super) fn read(
    env: &Lookup<impl Fn(&str) -> Option<String>>,
    site_addr: SocketAddr,
) -> Result<MailSettings, ConfigError> {
    let public_url = match env.non_empty("PUBLIC_URL") {
        Some(url) => public_url(&url)?,
        None => format!("http://{site_addr}"),
    };
    let smtp = env
        .non_empty("SMTP_URL")
        .map(|v| smtp_server(&v))
        .transpose()?;
    let from = env
        .string_or("MAIL_FROM", "Ticked <no-reply@localhost>")
        .parse::<Mailbox>()
        .map_err(|_| {
            ConfigError::new(
                "MAIL_FROM",
                "expected an address like `Ticked <no-reply@example.com>`",
            )
        })?;
    Ok(MailSettings {
        public_url,
        smtp,
        from,
        reset_ttl: env.seconds("PASSWORD_RESET_TTL_SECONDS", 1800, 1)?,
    })
}

fn public_url(raw: &str) -> Result<String, ConfigError> {
    let problem = |what: &str| ConfigError::new("PUBLIC_URL", format!("{what}, got {raw:?}"));
    let url =
        url::Url::parse(raw).map_err(|_| problem("expected a URL like https://example.com"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(problem("expected an http:// or https:// URL with a host"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(problem("must have no query, fragment or user name"));
    }
    Ok(raw.trim_end_matches('/').to_owned())
}

fn smtp_server(raw: &str) -> Result<SmtpServer, ConfigError> {
    // Never echo `raw`: it may carry a password.
    let problem = |what: &str| ConfigError::new("SMTP_URL", what.to_owned());
    let url = url::Url::parse(raw)
        .map_err(|_| problem("expected smtp://host:port or smtps://user:password@host:port"))?;
    let tls = match url.scheme() {
        "smtp" => false,
        "smtps" => true,
        _ => return Err(problem("the scheme must be smtp:// or smtps://")),
    };
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| problem("has no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = url.port().unwrap_or(if tls { 465 } else { 25 });
    if port == 0 {
        return Err(problem("the port must be between 1 and 65535"));
    }
    if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
        return Err(problem("takes no path, query or fragment"));
    }
    let credentials = match (url.username(), url.password()) {
        ("", None) => None,
        (user, Some(password)) if !user.is_empty() => Some((
            decode(user).ok_or_else(|| problem("the user name is not valid UTF-8"))?,
            Secret::new(
                decode(password).ok_or_else(|| problem("the password is not valid UTF-8"))?,
            ),
        )),
        _ => return Err(problem("give both a user name and a password, or neither")),
    };
    let security = match (tls, credentials.is_some()) {
        (true, _) => SmtpSecurity::Tls,
        (false, true) => SmtpSecurity::StartTlsRequired,
        (false, false) => SmtpSecurity::StartTlsIfOffered,
    };
    let server = SmtpServer {
        host,
        port,
        security,
        credentials,
    };
    server
        .transport()
        .map_err(|_| problem("the host is not a name or address TLS can check"))?;
    Ok(server)
}

fn decode(text: &str) -> Option<String> {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{MailSettings, SmtpSecurity, read};
    use crate::config::{ConfigError, values::Lookup};

    fn settings(vars: &[(&str, &str)]) -> Result<MailSettings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        read(
            &Lookup::new(|k: &str| map.get(k).cloned()),
            "127.0.0.1:3000".parse().unwrap(),
        )
    }

    #[test]
    fn defaults_match_the_contract() {
        let mail = settings(&[]).unwrap();
        assert_eq!(mail.public_url, "http://127.0.0.1:3000");
        assert!(mail.smtp.is_none());
        assert_eq!(mail.from.to_string(), "Ticked <no-reply@localhost>");
        assert_eq!(mail.reset_ttl.as_secs(), 1800);
    }

    #[test]
    fn smtp_urls_choose_the_protection_their_credentials_need() {
        let plain = settings(&[("SMTP_URL", "smtp://127.0.0.1:1025")]).unwrap();
        let plain = plain.smtp.unwrap();
        assert_eq!(
            (plain.port, plain.security),
            (1025, SmtpSecurity::StartTlsIfOffered)
        );
        let login = settings(&[("SMTP_URL", "smtp://me:p%40ss@mail.example.com")]).unwrap();
        let login = login.smtp.unwrap();
        assert_eq!(
            (login.port, login.security),
            (25, SmtpSecurity::StartTlsRequired)
        );
        let (user, password) = login.credentials.unwrap();
        assert_eq!(
            (user.as_str(), password.expose()),
            ("me", b"p@ss".as_slice())
        );
        let tls = settings(&[("SMTP_URL", "smtps://me:secret@mail.example.com")]).unwrap();
        let tls = tls.smtp.unwrap();
        assert_eq!((tls.port, tls.security), (465, SmtpSecurity::Tls));
    }

    #[test]
    fn each_bad_value_names_its_variable_and_never_repeats_a_password() {
        let cases = [
            ("SMTP_URL", "mail.example.com"),
            ("SMTP_URL", "http://mail.example.com"),
            ("SMTP_URL", "smtp://"),
            ("SMTP_URL", "smtp://hunter2@mail.example.com:0"),
            ("SMTP_URL", "smtp://user:hunter2@mail.example.com:70000"),
            ("SMTP_URL", "smtp://user:hunter2@mail.example.com/path"),
            ("SMTP_URL", "smtps://:hunter2@mail.example.com"),
            ("PUBLIC_URL", "example.com"),
            ("PUBLIC_URL", "ftp://example.com"),
            ("PUBLIC_URL", "https://example.com/?a=b"),
            ("MAIL_FROM", "not an address"),
            ("PASSWORD_RESET_TTL_SECONDS", "0"),
            ("PASSWORD_RESET_TTL_SECONDS", "half an hour"),
        ];
        for (variable, value) in cases {
            let error = settings(&[(variable, value)]).expect_err(value);
            assert_eq!(error.variable, variable, "{value}");
            assert!(!error.to_string().contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn a_trailing_slash_of_the_public_url_is_dropped() {
        let mail = settings(&[("PUBLIC_URL", "https://todo.example.com/")]).unwrap();
        assert_eq!(mail.public_url, "https://todo.example.com");
    }
}
