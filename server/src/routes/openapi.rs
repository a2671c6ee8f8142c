//! The OpenAPI document, assembled from the `#[utoipa::path]` of every handler that the
//! router serves, so the document cannot list a route that does not exist or miss one.

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

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
            422: optional fields are left out."
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Signing in and out, refreshing tokens"),
        (name = "users", description = "Accounts"),
        (name = "sessions", description = "Signed-in devices"),
        (name = "todos", description = "The caller's todos"),
    )
)]
pub struct ApiDoc;

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
