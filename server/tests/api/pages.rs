use crate::helpers::spawn_app;

/// The nonce named in a `script-src` directive.
fn csp_nonce(csp: &str) -> &str {
    let start = csp.find("'nonce-").expect("a nonce in script-src") + "'nonce-".len();
    let end = start + csp[start..].find('\'').expect("closing quote");
    &csp[start..end]
}

#[tokio::test]
async fn pages_carry_a_csp_whose_nonce_is_on_the_hydration_script() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .expect("ASCII header")
        .to_owned();
    for directive in [
        "'wasm-unsafe-eval'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let nonce = csp_nonce(&csp).to_owned();
    let html = response.text().await.expect("HTML");
    assert!(
        html.contains(&format!("<script type=\"module\" nonce=\"{nonce}\"")),
        "hydration script carries the nonce {nonce}"
    );
}

#[tokio::test]
async fn every_page_response_gets_a_fresh_nonce() {
    let app = spawn_app().await;
    let first = app.get("/").await.headers()["content-security-policy"].clone();
    let second = app.get("/").await.headers()["content-security-policy"].clone();
    assert_ne!(
        csp_nonce(first.to_str().unwrap()),
        csp_nonce(second.to_str().unwrap())
    );
}

#[tokio::test]
async fn pages_carry_the_security_headers() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/login",
        "/register",
        "/account",
        "/active",
        "/completed",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(
            headers["cross-origin-opener-policy"], "same-origin",
            "{path}"
        );
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }
}

#[tokio::test]
async fn unknown_pages_are_a_404_page() {
    let app = spawn_app().await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("Page not found"));
}
