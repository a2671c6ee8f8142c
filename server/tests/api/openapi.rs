use crate::helpers::spawn_app;

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/users", "post"),
        ("/api/v1/login", "post"),
        ("/api/v1/refresh", "post"),
        ("/api/v1/logout", "post"),
        ("/api/v1/users/me", "get"),
        ("/api/v1/users/me", "delete"),
        ("/api/v1/users/me/password", "put"),
        ("/api/v1/sessions", "get"),
        ("/api/v1/sessions", "delete"),
        ("/api/v1/sessions/{id}", "delete"),
        ("/api/v1/todos", "get"),
        ("/api/v1/todos", "post"),
        ("/api/v1/todos", "patch"),
        ("/api/v1/todos", "delete"),
        ("/api/v1/todos/{id}", "get"),
        ("/api/v1/todos/{id}", "patch"),
        ("/api/v1/todos/{id}", "delete"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path}"
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn the_openapi_document_describes_the_limits_and_the_idempotency_key() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let paths = &doc["paths"];
    for (path, method, status) in [
        ("/api/v1/login", "post", "429"),
        ("/api/v1/login", "post", "503"),
        ("/api/v1/users/me/password", "put", "429"),
        ("/api/v1/users/me/password", "put", "503"),
        ("/api/v1/users/me", "delete", "429"),
        ("/api/v1/users/me", "delete", "503"),
    ] {
        let response = &paths[path][method]["responses"][status];
        assert!(
            response["headers"]["Retry-After"].is_object(),
            "{method} {path} {status}: {response}"
        );
    }
    let parameters = paths["/api/v1/todos"]["post"]["parameters"]
        .as_array()
        .expect("POST /todos parameters");
    assert!(
        parameters
            .iter()
            .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"),
        "{parameters:?}"
    );
    // Optional fields are left out, never null.
    let patch = &doc["components"]["schemas"]["TodoPatch"]["properties"];
    assert_eq!(patch["completed"]["type"], "boolean", "{patch}");
    assert_eq!(patch["title"]["type"], "string", "{patch}");
}
