//! Response headers that protect the page and the API (`API.md`, "Pages").
//!
//! Tokens live in `localStorage`, so a script injected into the page could read them; the
//! Content-Security-Policy is what keeps them home. Each page response gets a fresh nonce:
//! this middleware puts it in the request's extensions, where the Leptos shell finds it
//! and stamps it on the hydration script ([`app::CspNonce`]), and names it in the header.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, header},
    middleware::Next,
    response::Response,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use rand::RngCore;

use app::CspNonce;

/// The fixed parts of the page policy, built once at start.
#[derive(Clone, Debug)]
pub struct PagePolicy {
    /// Extra `connect-src` sources: `cargo leptos watch`'s live-reload socket, in
    /// development only.
    extra_connect_src: String,
}

impl PagePolicy {
    /// The policy for this process. Under `cargo leptos watch` (which sets `LEPTOS_WATCH`)
    /// the page may also open the live-reload web socket on `reload_port`.
    #[must_use]
    pub fn new(live_reload_port: Option<u32>) -> Arc<Self> {
        let extra_connect_src = live_reload_port
            .map(|port| format!(" ws://127.0.0.1:{port} ws://localhost:{port}"))
            .unwrap_or_default();
        Arc::new(Self { extra_connect_src })
    }

    fn header_for(&self, nonce: &str) -> String {
        format!(
            "default-src 'self'; \
             script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self'; \
             img-src 'self' data:; \
             font-src 'self'; \
             connect-src 'self'{}; \
             object-src 'none'; \
             base-uri 'none'; \
             form-action 'self'; \
             frame-ancestors 'none'",
            self.extra_connect_src
        )
    }
}

/// The policy of API responses: they are data, never a document to render.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The policy of the API's docs page (`/api/docs`, Swagger UI): scripts, styles and
/// images from this origin only, and no inline script (the page has none). The one
/// inline style allowed, by its hash, is the `<style>` of the Swagger logo that Swagger
/// UI 5.32's standalone preset draws; a test recomputes the hash from the file we serve,
/// so an upgrade that changes it fails there. `data:` images are Swagger UI's icons.
const DOCS_CSP: &str = "default-src 'none'; \
    script-src 'self'; \
    style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; \
    img-src 'self' data:; \
    font-src 'self'; \
    connect-src 'self'; \
    object-src 'none'; \
    base-uri 'none'; \
    form-action 'self'; \
    frame-ancestors 'none'";

/// Whether a path is the docs page or one of its files.
fn is_docs(path: &str) -> bool {
    path == "/api/docs" || path.starts_with("/api/docs/")
}

/// Adds the security headers to every response; a per-response nonce for pages.
pub async fn security_headers(
    State(policy): State<Arc<PagePolicy>>,
    mut request: Request,
    next: Next,
) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let is_docs = is_docs(request.uri().path());
    let nonce = (!is_api).then(new_nonce);
    if let Some(nonce) = &nonce {
        request.extensions_mut().insert(CspNonce(nonce.clone()));
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    set_nosniff(headers);
    if !is_api && is_bundle_file(headers) {
        // Never a document: the document headers (with a nonce no page will use) would
        // only add their bytes to each of the bundle's files. (The docs page's scripts
        // are API responses, and keep the API's headers.)
        return response;
    }
    set_document_policies(headers);
    if is_api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(if is_docs { DOCS_CSP } else { API_CSP }),
        );
    } else {
        // Pages carry a fresh nonce and may differ per request: a cache must ask each
        // time. The bundle under /pkg sets its own (static_files).
        if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        }
        if let Some(value) = nonce.and_then(|n| HeaderValue::from_str(&policy.header_for(&n)).ok())
        {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    response
}

/// Whether a response is a WASM module, a script or a style sheet, which a browser
/// never renders as a document: the CSP, referrer and opener policies of the document
/// that loads it are the ones that apply (API.md: "Every HTML response carries a CSP").
fn is_bundle_file(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|content_type| {
            ["application/wasm", "text/javascript", "text/css"]
                .iter()
                .any(|kind| content_type.starts_with(kind))
        })
}

fn set_nosniff(headers: &mut HeaderMap) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

fn set_document_policies(headers: &mut HeaderMap) {
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
}

/// 128 random bits, base64: unguessable, and fresh for every response.
fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::{PagePolicy, new_nonce};

    #[test]
    fn page_policy_allows_only_own_and_nonced_scripts() {
        let policy = PagePolicy::new(None).header_for("abc");
        assert!(policy.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'"));
        assert!(!policy.contains("unsafe-inline"));
        assert!(!policy.contains("unsafe-eval'") || policy.contains("wasm-unsafe-eval"));
        for directive in [
            "connect-src 'self';",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(directive), "{directive} in {policy}");
        }
    }

    #[test]
    fn live_reload_socket_is_allowed_only_when_watching() {
        assert!(
            PagePolicy::new(Some(3001))
                .header_for("n")
                .contains("ws://127.0.0.1:3001")
        );
        assert!(!PagePolicy::new(None).header_for("n").contains("ws:"));
    }

    #[test]
    fn the_docs_page_allows_only_own_scripts_and_never_inline_ones() {
        assert!(super::is_docs("/api/docs"));
        assert!(super::is_docs("/api/docs/swagger-ui-bundle.js"));
        assert!(!super::is_docs("/api/docsx"));
        assert!(!super::is_docs("/api/v1/todos"));
        assert!(super::DOCS_CSP.contains("script-src 'self';"));
        assert!(!super::DOCS_CSP.contains("nonce"));
        assert!(!super::DOCS_CSP.contains("unsafe"));
    }

    #[test]
    fn nonces_differ_between_responses() {
        assert_ne!(new_nonce(), new_nonce());
        assert!(new_nonce().len() >= 22);
    }
}
