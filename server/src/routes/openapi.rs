//! The OpenAPI document, assembled from the `#[utoipa::path]` of every handler that the
//! router serves, so the document cannot list a route that does not exist or miss one.
//!
//! What every operation shares is added here once, by [`ErrorResponses`], rather than
//! repeated on each handler: the answers of the body and query extractors (400, 413, 415,
//! 422), of the bearer extractor (401 with `WWW-Authenticate`), and of a failure on our
//! side (500), each with the error body narrowed to the `code` values it can carry.

use utoipa::{
    Modify, OpenApi,
    openapi::{
        Content, HeaderBuilder, ObjectBuilder, RefOr, Response, Type,
        path::{Operation, ParameterIn},
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use app::dto::{ErrorBody, StatusFilter};

/// The parts of the document that no handler describes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ticked API",
        version = "1",
        description = "Todos behind short-lived JWT access tokens and rotating refresh tokens. \
            Every error is `{\"detail\", \"code\"}`; 401 means exactly one thing: the token \
            (access, or refresh on /refresh) is missing, invalid, expired or revoked, and \
            carries `WWW-Authenticate: Bearer error=\"invalid_token\"` (RFC 6750). The one other \
            401 is a failed /login. A 429 (`rate_limited`: too many failed logins or wrong \
            password confirmations for one email from one address) and a 503 (`unavailable`: \
            too many password checks queued) carry `Retry-After`. A field sent as `null` is a \
            422: optional fields are left out. Bodies are at most 64 KiB (413). A known path \
            with another method answers 405 with `Allow`."
    ),
    components(schemas(StatusFilter)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Signing in and out, refreshing tokens"),
        (name = "users", description = "Accounts"),
        (name = "sessions", description = "Signed-in devices"),
        (name = "todos", description = "The caller's todos"),
        (name = "events", description = "Live updates: what changes in the caller's account, as Server-Sent Events"),
        (name = "health", description = "For load balancers and orchestrators"),
    )
)]
pub struct ApiDoc;

/// The document as served: the routes' own descriptions, the health checks (served beside
/// the API rather than under it, see `super::health_router`), and what every operation
/// shares ([`ErrorResponses`]). The shared statuses can only be added once the routes are
/// in, which is after `ApiDoc`'s own modifiers ran.
pub fn complete(mut document: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    document.servers = None;
    document.merge(super::health::router().into_openapi());
    ErrorResponses.modify(&mut document);
    document
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The `code` values each error status carries, wherever [`CODES_OF_PATH`] says nothing
/// more precise. A unit test holds [`crate::error::ApiError`] to this table.
pub(crate) const CODES_BY_STATUS: &[(&str, &[&str])] = &[
    ("400", &["malformed_body"]),
    (
        "401",
        &["invalid_token", "token_expired", "session_revoked"],
    ),
    ("403", &["invalid_credentials"]),
    ("404", &["not_found"]),
    ("409", &["conflict"]),
    ("413", &["payload_too_large"]),
    ("415", &["unsupported_media_type"]),
    ("422", &["validation_error"]),
    ("429", &["rate_limited"]),
    ("500", &["internal"]),
    ("503", &["unavailable"]),
];

/// The operations whose error of some status carries codes of its own: (path, status,
/// codes).
const CODES_OF_PATH: &[(&str, &str, &[&str])] = &[
    // A wrong email or password, as OAuth2's password flow answers it.
    ("/api/v1/login", "401", &["invalid_credentials"]),
    (
        "/api/v1/refresh",
        "401",
        &[
            "invalid_token",
            "token_expired",
            "session_revoked",
            "refresh_reused",
        ],
    ),
    // Expiry is ignored and signing out twice is fine: only a token that is not ours.
    ("/api/v1/logout", "401", &["invalid_token"]),
    // A reset link that is no good is a 400, never a 401: the client must not refresh.
    (
        "/api/v1/password-reset/confirm",
        "400",
        &["malformed_body", "invalid_reset_token"],
    ),
];

/// The statuses that the extractors and the error type answer on their own.
struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            if !path.starts_with("/api/") {
                continue;
            }
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                add_shared_statuses(operation);
                describe_errors(path, operation);
            }
        }
    }
}

/// Adds what the extractors of an operation can answer, keeping any description the
/// handler gave.
fn add_shared_statuses(operation: &mut Operation) {
    let mut add = |status: &str, description: &str| {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(Response::new(description)));
    };
    let has_body = operation.request_body.is_some();
    let has_query =
        operation.parameters.iter().flatten().any(
            |parameter| matches!(parameter, RefOr::T(p) if p.parameter_in == ParameterIn::Query),
        );
    let needs_token = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    if has_body {
        add("400", "The body is not the JSON (or form) it claims to be");
        add("413", "The body is over 64 KiB");
        add(
            "415",
            "The body is missing or not in a media type this operation takes",
        );
        add(
            "422",
            "A field is missing, of the wrong type, `null`, or invalid; the detail names it",
        );
    }
    if has_query {
        add("422", "A query parameter is invalid; the detail names it");
    }
    if needs_token {
        add(
            "401",
            "The access token is missing, invalid, expired, or of a session that has ended",
        );
    }
    add(
        "500",
        "A failure on our side (`internal`), logged; never caused by the request",
    );
}

/// Gives every error response the error body, narrowed to the codes it can carry, and
/// the headers that go with its status.
fn describe_errors(path: &str, operation: &mut Operation) {
    for (status, response) in &mut operation.responses.responses {
        let RefOr::T(response) = response else {
            continue;
        };
        let codes = CODES_OF_PATH
            .iter()
            .find(|(p, s, _)| *p == path && s == status)
            .map(|(_, _, codes)| *codes)
            .or_else(|| {
                CODES_BY_STATUS
                    .iter()
                    .find(|(s, _)| s == status)
                    .map(|(_, codes)| *codes)
            });
        let Some(codes) = codes else {
            continue;
        };
        response.content.insert(
            "application/json".to_owned(),
            RefOr::T(Content::new(Some(error_body(codes)))),
        );
        match status.as_str() {
            "401" => {
                response.headers.insert(
                    "WWW-Authenticate".to_owned(),
                    RefOr::T(
                        HeaderBuilder::new()
                            .schema(Some(string()))
                            .description(Some(
                                "`Bearer error=\"invalid_token\", error_description=\"…\"` \
                                 (RFC 6750); `Bearer` alone after a failed /login",
                            ))
                            .build(),
                    ),
                );
            }
            "429" | "503" => {
                response
                    .headers
                    .entry("Retry-After".to_owned())
                    .or_insert_with(|| {
                        RefOr::T(
                            HeaderBuilder::new()
                                .schema(Some(
                                    ObjectBuilder::new()
                                        .schema_type(Type::Integer)
                                        .minimum(Some(0))
                                        .build(),
                                ))
                                .description(Some("Seconds after which to try again"))
                                .build(),
                        )
                    });
            }
            _ => {}
        }
    }
}

/// `{"detail", "code"}` with `code` one of `codes`.
fn error_body(codes: &[&str]) -> utoipa::openapi::Object {
    debug_assert!(codes.iter().all(|code| ErrorBody::CODES.contains(code)));
    ObjectBuilder::new()
        .property("detail", string())
        .required("detail")
        .property(
            "code",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(codes.iter().copied())),
        )
        .required("code")
        .build()
}

fn string() -> utoipa::openapi::Object {
    ObjectBuilder::new().schema_type(Type::String).build()
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::{CODES_BY_STATUS, CODES_OF_PATH};
    use crate::error::{ApiError, TokenRejection};
    use app::dto::ErrorBody;

    /// One of each kind of error the handlers can return.
    fn every_error() -> Vec<ApiError> {
        vec![
            ApiError::Validation(String::new()),
            ApiError::MalformedBody(String::new()),
            ApiError::UnsupportedMediaType(String::new()),
            ApiError::PayloadTooLarge,
            ApiError::WrongPassword,
            ApiError::Token(TokenRejection::Invalid),
            ApiError::Token(TokenRejection::Expired),
            ApiError::Token(TokenRejection::SessionRevoked),
            ApiError::NotFound,
            ApiError::Conflict(String::new()),
            ApiError::RateLimited(1),
            ApiError::Unavailable(1),
            ApiError::Internal(String::new()),
        ]
    }

    #[test]
    fn every_error_is_documented_under_its_status_with_its_code() {
        for error in every_error() {
            let status = error.status_code();
            let (_, codes) = CODES_BY_STATUS
                .iter()
                .find(|(s, _)| *s == status.as_str())
                .unwrap_or_else(|| panic!("{status} is not in the table"));
            assert!(codes.contains(&error.code()), "{error:?}");
        }
    }

    #[test]
    fn the_401s_of_login_and_refresh_carry_their_own_codes() {
        let codes_of = |path: &str| {
            CODES_OF_PATH
                .iter()
                .find(|(p, _, _)| *p == path)
                .map(|(_, status, codes)| (*status, *codes))
                .unwrap()
        };
        assert_eq!(
            ApiError::LoginFailed.status_code(),
            StatusCode::UNAUTHORIZED
        );
        assert!(
            codes_of("/api/v1/login")
                .1
                .contains(&ApiError::LoginFailed.code())
        );
        let reused = ApiError::Token(TokenRejection::RefreshReused);
        assert!(codes_of("/api/v1/refresh").1.contains(&reused.code()));
        let reset = codes_of("/api/v1/password-reset/confirm");
        assert_eq!(ApiError::InvalidResetToken.status_code().as_str(), reset.0);
        assert!(reset.1.contains(&ApiError::InvalidResetToken.code()));
    }

    #[test]
    fn every_documented_code_is_one_of_the_contract() {
        let own = CODES_OF_PATH.iter().map(|(_, _, codes)| *codes);
        for codes in CODES_BY_STATUS.iter().map(|(_, codes)| *codes).chain(own) {
            for code in codes {
                assert!(ErrorBody::CODES.contains(code), "{code}");
            }
        }
    }
}
