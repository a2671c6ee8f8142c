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
        ("/api/v1/events", "get"),
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

/// Every `$ref` in `value`, recursively.
fn references(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value.as_str()) {
                    ("$ref", Some(target)) => found.push(target.to_owned()),
                    _ => references(value, found),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

async fn document() -> serde_json::Value {
    let app = spawn_app().await;
    app.get("/api/v1/openapi.json").await.json().await.unwrap()
}

/// The operations of the document, as `(path, method, operation)`.
fn operations(doc: &serde_json::Value) -> Vec<(String, String, serde_json::Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            found.push((path.clone(), method.clone(), operation.clone()));
        }
    }
    found
}

#[tokio::test]
async fn every_reference_in_the_document_resolves() {
    let doc = document().await;
    let mut found = Vec::new();
    references(&doc, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let pointer = target.strip_prefix('#').expect("a local reference");
        assert!(doc.pointer(pointer).is_some(), "{target} is dangling");
    }
}

#[tokio::test]
async fn the_health_checks_are_in_the_document() {
    let doc = document().await;
    assert!(doc["paths"]["/healthz"]["get"]["responses"]["200"].is_object());
    assert!(doc["paths"]["/readyz"]["get"]["responses"]["503"].is_object());
}

#[tokio::test]
async fn every_operation_lists_what_its_body_query_and_token_can_answer() {
    let doc = document().await;
    for (path, method, operation) in operations(&doc) {
        if !path.starts_with("/api/") {
            continue;
        }
        let responses = &operation["responses"];
        let mut expected = vec!["500"];
        if operation.get("requestBody").is_some() {
            expected.extend(["400", "413", "415", "422"]);
        }
        let takes_token = operation["security"]
            .as_array()
            .is_some_and(|s| !s.is_empty());
        if takes_token {
            expected.push("401");
        }
        for status in expected {
            let response = &responses[status];
            let codes =
                &response["content"]["application/json"]["schema"]["properties"]["code"]["enum"];
            assert!(
                codes.as_array().is_some_and(|c| !c.is_empty()),
                "{method} {path} {status}: {response}"
            );
        }
        if let Some(unauthorized) = responses.get("401") {
            assert!(
                unauthorized["headers"]["WWW-Authenticate"].is_object(),
                "{method} {path}"
            );
        }
        for status in ["429", "503"] {
            if let Some(response) = responses.get(status) {
                assert!(
                    response["headers"]["Retry-After"].is_object(),
                    "{method} {path} {status}"
                );
            }
        }
    }
    let body_codes = &doc["paths"]["/api/v1/todos"]["post"]["responses"]["400"]["content"]["application/json"]
        ["schema"]["properties"]["code"]["enum"];
    assert_eq!(body_codes, &serde_json::json!(["malformed_body"]));
}

#[tokio::test]
async fn the_request_schemas_carry_the_limits_of_the_domain_types() {
    use app::domain::{Email, PageCursor, PageLimit, Password, TodoTitle};
    let doc = document().await;
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["NewTodo"]["properties"]["title"]["pattern"],
        TodoTitle::pattern()
    );
    assert_eq!(
        schemas["TodoPatch"]["properties"]["title"]["pattern"],
        TodoTitle::pattern()
    );
    let email = &schemas["RegisterRequest"]["properties"]["email"];
    assert_eq!(email["pattern"], Email::pattern());
    assert_eq!(email["maxLength"], Email::MAX_LEN);
    for password in [
        &schemas["RegisterRequest"]["properties"]["password"],
        &schemas["ChangePasswordRequest"]["properties"]["new_password"],
    ] {
        assert_eq!(password["minLength"], Password::MIN_CHARS);
        assert_eq!(password["maxLength"], Password::MAX_CHARS);
    }
    let list = doc["paths"]["/api/v1/todos"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .clone();
    let parameter = |name: &str| list.iter().find(|p| p["name"] == name).unwrap().clone();
    assert_eq!(parameter("limit")["schema"]["minimum"], PageLimit::MIN);
    assert_eq!(parameter("limit")["schema"]["maximum"], PageLimit::MAX);
    assert_eq!(
        parameter("cursor")["schema"]["pattern"],
        PageCursor::pattern()
    );
    let clear = &doc["paths"]["/api/v1/todos"]["delete"]["parameters"][0];
    assert_eq!(clear["name"], "status");
    assert_eq!(clear["required"], true, "{clear}");
    assert_eq!(clear["schema"]["enum"], serde_json::json!(["completed"]));
}
