//! `/api/docs`: a page for people, whose files Ticked serves itself.

use crate::helpers::spawn_app;

/// The `src` and `href` values of a page, in order.
fn linked_files(html: &str) -> Vec<String> {
    let mut links = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            rest = &rest[start + attribute.len()..];
            let end = rest.find('"').expect("closing quote");
            links.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    links
}

#[tokio::test]
async fn the_docs_page_is_html_whose_files_are_all_served_here() {
    let app = spawn_app().await;
    let response = app.get("/api/docs").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(!html.contains("<script>"), "no inline script: {html}");
    let files = linked_files(&html);
    assert!(
        files.iter().any(|f| f.ends_with("swagger-ui-bundle.js")),
        "{files:?}"
    );
    for file in &files {
        assert!(file.starts_with("/api/docs/"), "{file} is not served here");
        let response = app.get(file).await;
        assert_eq!(response.status(), 200, "{file}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let expected = match file.rsplit('.').next() {
            Some("js") => "javascript",
            Some("css") => "text/css",
            Some("png") => "image/png",
            other => panic!("unexpected file type {other:?}"),
        };
        assert!(content_type.contains(expected), "{file}: {content_type}");
        // API responses, like the page: never stored, and under the docs' policy.
        assert_eq!(response.headers()["cache-control"], "no-store", "{file}");
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{file}"
        );
        assert!(
            response.headers().contains_key("content-security-policy"),
            "{file}"
        );
        assert!(!response.bytes().await.unwrap().is_empty(), "{file}");
    }
}

#[tokio::test]
async fn the_docs_page_shows_our_document_and_loads_nothing_from_elsewhere() {
    let app = spawn_app().await;
    let initializer = app.get("/api/docs/swagger-initializer.js").await;
    assert_eq!(initializer.status(), 200);
    let script = initializer.text().await.unwrap();
    assert!(script.contains("/api/v1/openapi.json"), "{script}");
    // Swagger UI's validator badge would load an image from swagger.io.
    assert!(script.contains("\"validatorUrl\": \"none\""), "{script}");

    let page = app.get("/api/docs").await;
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    for directive in [
        "script-src 'self';",
        "connect-src 'self';",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");
}

/// The one inline `<style>` Swagger UI adds (its logo's) is allowed by its hash: the hash
/// in the policy must be that of the style in the files we serve.
#[tokio::test]
async fn the_docs_policy_allows_the_inline_style_of_the_files_we_serve() {
    use base64::Engine;
    use sha2::Digest;
    let app = spawn_app().await;
    let preset = app
        .get("/api/docs/swagger-ui-standalone-preset.js")
        .await
        .text()
        .await
        .unwrap();
    let marker = "createElement(\"style\",null,\"";
    let start = preset.find(marker).expect("the logo's <style>") + marker.len();
    let style = &preset[start..start + preset[start..].find('"').unwrap()];
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style));
    let policy = app.get("/api/docs").await.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains(&format!("style-src 'self' 'sha256-{hash}'")),
        "{policy}"
    );
}

#[tokio::test]
async fn an_unknown_docs_file_is_a_json_404() {
    let app = spawn_app().await;
    let response = app.get("/api/docs/no-such-file.js").await;
    crate::helpers::assert_error(response, 404, "not_found").await;
}
