use serde::Deserialize;

/// Why an API call did not succeed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The server answered with an error: its status, `code` and `detail` (`API.md`).
    #[error("{detail}")]
    Server {
        status: u16,
        code: String,
        detail: String,
    },
    /// The request never got an answer: offline, server down, connection reset. Not an
    /// authentication failure: nobody is signed out for it.
    #[error("Cannot reach the server. Check your connection and try again.")]
    Network,
    /// The tokens could not be renewed: the user has been signed out and sent to the
    /// sign-in page.
    #[error("Your session has ended. Please sign in again.")]
    SignedOut,
}

impl ApiError {
    /// The machine code of a server error (`validation_error`, `conflict`, …).
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Server { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The HTTP status of a server error.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Server { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether trying the same thing again later may work: no answer, a server error
    /// (5xx: a deploy, a database blip), or too many requests. The user stays signed in
    /// and what they did is kept, marked as not saved.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Network => true,
            Self::Server { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            Self::SignedOut => false,
        }
    }

    /// The field a 422 is about, when its detail starts with `field: …`.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Server {
                status: 422,
                detail,
                ..
            } => detail.split_once(':').map(|(f, _)| f.trim()),
            _ => None,
        }
    }

    /// Builds the error of a non-2xx response from its status and body text.
    #[must_use]
    pub fn from_response(status: u16, body: &str) -> Self {
        #[derive(Deserialize)]
        struct Body {
            detail: String,
            code: String,
        }
        match super::json::from_str::<Body>(body) {
            Some(Body { detail, code }) => Self::Server {
                status,
                code,
                detail,
            },
            None => Self::Server {
                status,
                code: "internal".to_owned(),
                detail: format!("The server answered {status}."),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ApiError;

    #[test]
    fn a_contract_error_body_is_read() {
        let error = ApiError::from_response(
            422,
            r#"{"detail":"title: must not be empty","code":"validation_error"}"#,
        );
        assert_eq!(error.code(), Some("validation_error"));
        assert_eq!(error.field(), Some("title"));
        assert_eq!(error.to_string(), "title: must not be empty");
    }

    #[test]
    fn any_other_body_still_gives_an_error() {
        let error = ApiError::from_response(502, "<html>Bad gateway</html>");
        assert_eq!(error.code(), Some("internal"));
        assert_eq!(error.status(), Some(502));
    }

    #[test]
    fn only_failures_worth_retrying_are_transient() {
        assert!(ApiError::Network.is_transient());
        assert!(ApiError::from_response(503, "").is_transient());
        assert!(ApiError::from_response(429, "").is_transient());
        assert!(!ApiError::from_response(422, "").is_transient());
        assert!(!ApiError::from_response(401, "").is_transient());
        assert!(!ApiError::SignedOut.is_transient());
    }
}
