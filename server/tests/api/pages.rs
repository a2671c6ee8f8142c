use crate::helpers::{spawn_app, spawn_app_with};

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
        // A page is made for its request (its nonce): never reused unasked.
        assert_eq!(headers["cache-control"], "no-cache", "{path}");
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }
}

/// The document shell writes the title and the icon; the browser's bundle has no code
/// for them.
#[tokio::test]
async fn every_page_names_its_title_and_icon_in_its_head() {
    let app = spawn_app().await;
    for path in ["/", "/login", "/account", "/no/such/page"] {
        let html = app.get(path).await.text().await.expect("HTML");
        let head = &html[..html.find("</head>").expect("a head")];
        assert!(head.contains("<title>Ticked</title>"), "{path}: {head}");
        assert!(
            head.contains(r#"rel="icon""#) && head.contains(r#"href="/favicon.ico""#),
            "{path}: {head}"
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

/// The bundle is sent as the build compressed it, chosen by the request's Accept-Encoding.
/// These names carry no content hash (no hash file beside the test binary), so caches
/// must ask again each time; hashed names and `immutable` are a browser test
/// (`end2end/tests/caching.spec.ts`), which runs the release build.
#[tokio::test]
async fn the_bundle_is_sent_precompressed_and_unhashed_names_are_revalidated() {
    let site = tempfile::tempdir().expect("temp dir");
    let pkg = site.path().join("pkg");
    std::fs::create_dir(&pkg).expect("pkg dir");
    for (file, content) in [
        ("ticked.wasm", "the raw module"),
        ("ticked.wasm.br", "its brotli file"),
        ("ticked.wasm.gz", "its gzip file"),
    ] {
        std::fs::write(pkg.join(file), content).expect("write");
    }
    let site_root = site.path().display().to_string();
    let app = spawn_app_with(&[("LEPTOS_SITE_ROOT", &site_root)]).await;
    let client = reqwest::Client::new();
    for (accept, encoding, body) in [
        ("gzip, deflate, br, zstd", Some("br"), "its brotli file"),
        ("gzip", Some("gzip"), "its gzip file"),
        ("identity", None, "the raw module"),
    ] {
        let response = client
            .get(format!("{}/pkg/ticked.wasm", app.address))
            .header("accept-encoding", accept)
            .send()
            .await
            .expect("response");
        assert_eq!(response.status(), 200, "{accept}");
        let headers = response.headers();
        assert_eq!(
            headers.get("content-encoding").map(|v| v.to_str().unwrap()),
            encoding,
            "{accept}"
        );
        assert_eq!(headers["content-type"], "application/wasm", "{accept}");
        assert_eq!(headers["cache-control"], "no-cache", "{accept}");
        // Not a document: nosniff, and none of the document policies' bytes.
        assert_eq!(headers["x-content-type-options"], "nosniff", "{accept}");
        for policy in [
            "content-security-policy",
            "referrer-policy",
            "cross-origin-opener-policy",
        ] {
            assert!(headers.get(policy).is_none(), "{policy} for {accept}");
        }
        assert_eq!(headers["vary"], "accept-encoding", "{accept}");
        assert_eq!(response.text().await.expect("body"), body, "{accept}");
    }

    let missing = client
        .get(format!("{}/pkg/ticked.0123abcd.wasm", app.address))
        .send()
        .await
        .expect("response");
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["cache-control"], "no-cache");
}
