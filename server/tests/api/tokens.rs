//! The token rules of `API.md`: every forged or mismatched token is a 401.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::helpers::{ACCESS_SECRET, REFRESH_SECRET, TestApp, TestUser, assert_error, spawn_app};

/// The claims of the access token `token`, decoded without checking (to copy them).
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(claims: &Value, secret: &str, alg: Algorithm) -> String {
    encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn with(claims: &Value, key: &str, value: Value) -> Value {
    let mut claims = claims.clone();
    claims[key] = value;
    claims
}

fn without(claims: &Value, key: &str) -> Value {
    let mut claims = claims.clone();
    claims.as_object_mut().unwrap().remove(key);
    claims
}

async fn me_status(app: &TestApp, token: &str, code: &str, why: &str) {
    let response = app.get_authed("/api/v1/users/me", token).await;
    assert_eq!(response.status(), 401, "{why}");
    let body = assert_error(response, 401, code).await;
    assert_eq!(body["code"], code, "{why}");
}

#[tokio::test]
async fn forged_and_mismatched_access_tokens_are_refused() {
    let app = spawn_app().await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    let genuine = claims_of(&tokens.access_token);
    let now = chrono::Utc::now().timestamp();
    let hs256 = |claims: &Value| sign(claims, ACCESS_SECRET, Algorithm::HS256);

    let unsigned = {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(genuine.to_string());
        format!("{header}.{payload}.")
    };
    let tampered = {
        let mut parts: Vec<String> = tokens.access_token.split('.').map(str::to_owned).collect();
        parts[1] =
            URL_SAFE_NO_PAD.encode(with(&genuine, "sub", json!(uuid::Uuid::new_v4())).to_string());
        parts.join(".")
    };
    let with_kid = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("attacker".into());
        header.jku = Some("https://attacker.example/keys".into());
        encode(
            &header,
            &genuine,
            &EncodingKey::from_secret(b"attacker-key-attacker-key-attacker"),
        )
        .unwrap()
    };
    let cases: Vec<(String, &str)> = vec![
        (unsigned, "alg none"),
        (
            sign(
                &genuine,
                "some-other-secret-some-other-secret",
                Algorithm::HS256,
            ),
            "wrong key",
        ),
        (
            sign(&genuine, ACCESS_SECRET, Algorithm::HS512),
            "HS512 with our key",
        ),
        (tampered, "tampered payload"),
        (with_kid, "key named by kid/jku"),
        (
            hs256(&with(&genuine, "nbf", json!(now + 3600))),
            "not yet valid",
        ),
        (
            hs256(&with(&genuine, "exp", json!((now + 3600).to_string()))),
            "string exp",
        ),
        (hs256(&with(&genuine, "sub", json!(42))), "number sub"),
        (hs256(&without(&genuine, "exp")), "no exp"),
        (hs256(&without(&genuine, "sub")), "no sub"),
        (hs256(&without(&genuine, "sid")), "no sid"),
        (hs256(&without(&genuine, "jti")), "no jti"),
        (
            hs256(&with(&genuine, "iss", json!("someone-else"))),
            "wrong iss",
        ),
        (
            hs256(&with(&genuine, "aud", json!("someone-else"))),
            "wrong aud",
        ),
        (
            hs256(&with(&genuine, "typ", json!("refresh"))),
            "typ refresh",
        ),
        (
            tokens.refresh_token.clone(),
            "refresh token as access token",
        ),
        (
            sign(&genuine, REFRESH_SECRET, Algorithm::HS256),
            "access claims with the refresh key",
        ),
        ("not.a.jwt".to_owned(), "garbage"),
    ];
    for (token, why) in &cases {
        me_status(&app, token, "invalid_token", why).await;
    }
}

#[tokio::test]
async fn an_expired_access_token_is_token_expired_and_leeway_is_at_most_5_seconds() {
    let app = spawn_app().await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    let claims = claims_of(&tokens.access_token);
    let now = chrono::Utc::now().timestamp();
    let expired = sign(
        &with(&claims, "exp", json!(now - 7)),
        ACCESS_SECRET,
        Algorithm::HS256,
    );
    me_status(&app, &expired, "token_expired", "expired 7 s ago").await;
    let within_leeway = sign(
        &with(&claims, "exp", json!(now - 1)),
        ACCESS_SECRET,
        Algorithm::HS256,
    );
    assert_eq!(
        app.get_authed("/api/v1/users/me", &within_leeway)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn an_access_token_is_not_a_refresh_token() {
    let app = spawn_app().await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    assert_error(
        app.refresh(&tokens.access_token).await,
        401,
        "invalid_token",
    )
    .await;
    let claims = with(&claims_of(&tokens.refresh_token), "typ", json!("access"));
    let retyped = sign(&claims, REFRESH_SECRET, Algorithm::HS256);
    assert_error(app.refresh(&retyped).await, 401, "invalid_token").await;
}
