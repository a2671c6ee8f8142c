//! The bundle under `/pkg`: the WASM, JS and CSS that cargo-leptos built, sent as the
//! brotli or gzip files made at build time (`cargo leptos build --release --precompress`),
//! never compressed per request.
//!
//! With content hashes in the file names (`hash-files`), a name never changes content, so
//! browsers and caches may keep a file for a year without asking again; a deploy changes
//! the names the pages point to. Without hashes (`cargo leptos watch`) the same names get
//! new content on every rebuild, so caches must ask each time.

use std::path::Path;

use axum::{
    Router,
    http::{HeaderValue, StatusCode, header},
    middleware,
    response::Response,
};
use tower_http::services::ServeDir;

/// A year, the longest `max-age` caches honour; `immutable` spares even the revalidation
/// that a reload would otherwise send.
const FOREVER: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
/// Use a stored copy only after the server confirms it is current.
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// Serves `site_root/pkg_dir` at `/pkg_dir`.
pub fn pkg_router<S>(site_root: &str, pkg_dir: &str, hashed_names: bool) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let files = ServeDir::new(Path::new(site_root).join(pkg_dir))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .nest_service(&format!("/{pkg_dir}"), files)
        .layer(middleware::map_response(
            move |response: Response| async move { with_cache_headers(response, hashed_names) },
        ))
}

/// `immutable` only for a file that was found under a hashed name: a 404 for a name that a
/// deploy has not finished writing must not be kept.
fn with_cache_headers(mut response: Response, hashed_names: bool) -> Response {
    let found = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        if hashed_names && found {
            FOREVER
        } else {
            REVALIDATE
        },
    );
    // The body depends on the request's Accept-Encoding: a shared cache must not hand the
    // brotli file to a client that asked for gzip.
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}
