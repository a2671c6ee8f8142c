//! `/api/docs`: the OpenAPI document as a page for people (Swagger UI).
//!
//! Swagger UI's files come from the `utoipa-swagger-ui` crate with its `vendored` feature,
//! which takes the Swagger UI release from the `utoipa-swagger-ui-vendored` crate on
//! crates.io instead of downloading it from GitHub at build time, and embeds it in the
//! binary. Ticked serves every file itself, so the page loads nothing from elsewhere and
//! runs under a policy that allows only this origin's scripts
//! (`crate::security_headers`).

use std::sync::{Arc, LazyLock};

use axum::{
    Router,
    extract::Path,
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use utoipa_swagger_ui::Config;

use crate::{error::ApiError, state::AppState};

/// Where the page lives; its files are under it.
pub const PATH: &str = "/api/docs";

/// The page and its files.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(PATH, get(page))
        .route(&format!("{PATH}/"), get(page))
        .route(&format!("{PATH}/{{*file}}"), get(file))
}

/// Our own page rather than Swagger UI's `index.html`, whose relative links only work
/// below `/api/docs/`: every file is named by its absolute path, and there is no inline
/// script or style for the policy to refuse.
async fn page() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html>\n",
        "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<title>Ticked API</title>\n",
        "<link rel=\"stylesheet\" href=\"/api/docs/swagger-ui.css\">\n",
        "<link rel=\"stylesheet\" href=\"/api/docs/index.css\">\n",
        "<link rel=\"icon\" type=\"image/png\" href=\"/api/docs/favicon-32x32.png\">\n",
        "</head>\n<body>\n<div id=\"swagger-ui\"></div>\n",
        "<script src=\"/api/docs/swagger-ui-bundle.js\"></script>\n",
        "<script src=\"/api/docs/swagger-ui-standalone-preset.js\"></script>\n",
        "<script src=\"/api/docs/swagger-initializer.js\"></script>\n",
        "</body>\n</html>\n",
    ))
}

/// Swagger UI pointed at our document. The validator badge is off: it would load an
/// image from swagger.io.
static CONFIG: LazyLock<Arc<Config<'static>>> = LazyLock::new(|| {
    Arc::new(
        Config::new(["/api/v1/openapi.json"])
            .validator_url("none")
            .try_it_out_enabled(true),
    )
});

/// One of Swagger UI's files, with its media type.
async fn file(Path(file): Path<String>) -> Response {
    match utoipa_swagger_ui::serve(&file, Arc::clone(&CONFIG)) {
        Ok(Some(file)) => {
            let mut response = file.bytes.into_owned().into_response();
            if let Ok(content_type) = HeaderValue::from_str(&file.content_type) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, content_type);
            }
            response
        }
        Ok(None) => ApiError::NotFound.into_response(),
        Err(error) => ApiError::Internal(format!("Swagger UI: {error}")).into_response(),
    }
}
