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
