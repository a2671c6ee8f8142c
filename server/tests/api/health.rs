use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_answers_200_while_the_process_runs() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn readyz_answers_200_while_the_database_answers() {
    let app = spawn_app().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn unknown_api_routes_get_a_json_404() {
    let app = spawn_app().await;
    for path in ["/api/v1/nope", "/api/v2/todos", "/api/anything"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let body: serde_json::Value = response.json().await.expect("JSON body");
        assert_eq!(body["code"], "not_found", "{path}");
        assert!(body["detail"].is_string(), "{path}");
    }
}

#[tokio::test]
async fn api_responses_are_not_cached_or_sniffed() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/nope").await;
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers.get("access-control-allow-origin").is_none());
}
