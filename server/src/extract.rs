//! Extractors for API handlers whose rejections are [`ApiError`]s, so that a bad body or
//! query gets the contract's JSON error (400, 413, 415 or 422) instead of axum's plain text.

use axum::{
    body::Bytes,
    extract::{
        FromRequest, FromRequestParts, Query, Request,
        rejection::{JsonRejection, QueryRejection},
    },
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Response},
};
use serde::{Serialize, de::DeserializeOwned};

use crate::error::ApiError;

/// The largest request body the API reads (`API.md`: 64 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON body in, or JSON out.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<T, S> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        json_object(req, state).await.map(Self)
    }
}

/// Reads a JSON body that must be an object, as every request body of the API is.
///
/// serde reads a struct from an array of its fields too (`[]` for a struct whose fields
/// are all optional), so a body that is not an object is refused here, before serde sees
/// it: a 422 if it is JSON, a 400 if not.
///
/// # Errors
/// 415 without a JSON content type, 413 over the size limit, 400 for malformed JSON,
/// 422 for JSON that is not an object or whose fields are invalid.
pub async fn json_object<T, S>(req: Request, state: &S) -> Result<T, ApiError>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    if !has_json_content_type(req.headers()) {
        return Err(json_rejection(JsonRejection::MissingJsonContentType(
            Default::default(),
        )));
    }
    let bytes =
        Bytes::from_request(req, state)
            .await
            .map_err(|rejection| match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
                _ => ApiError::MalformedBody(rejection.body_text()),
            })?;
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{')
        && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok()
    {
        return Err(ApiError::Validation(
            "body: must be a JSON object".to_owned(),
        ));
    }
    axum::Json::<T>::from_bytes(&bytes)
        .map(|axum::Json(value)| value)
        .map_err(json_rejection)
}

/// `application/json`, or any `application/…+json`, as axum's own `Json` takes.
fn has_json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|subtype| subtype.ends_with("+json"))
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Sorts axum's JSON rejections into the contract's statuses.
pub fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => ApiError::Validation(data_error_detail(&e.body_text())),
        JsonRejection::JsonSyntaxError(e) => ApiError::MalformedBody(format!(
            "The body is not valid JSON: {}",
            strip_axum_prefix(&e.body_text())
        )),
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType(
            "Expected a body with Content-Type: application/json.".to_owned(),
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        other => ApiError::MalformedBody(other.body_text()),
    }
}

/// axum reports a type mismatch as "Failed to deserialize the JSON body into the target
/// type: title: invalid type: …"; the part after the prefix starts with the field's path,
/// which is what `API.md` asks the detail to name.
fn data_error_detail(text: &str) -> String {
    strip_axum_prefix(text).to_owned()
}

fn strip_axum_prefix(text: &str) -> &str {
    text.split_once("target type: ")
        .or_else(|| text.split_once("JSON body: "))
        .map_or(text, |(_, rest)| rest)
}

/// A query string, whose rejection is a 422 naming the parameter.
#[derive(Debug, Clone, Default)]
pub struct AppQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for AppQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|rejection: QueryRejection| {
                ApiError::Validation(
                    rejection
                        .body_text()
                        .split_once("query string: ")
                        .map_or_else(|| rejection.body_text(), |(_, rest)| rest.to_owned()),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::strip_axum_prefix;

    #[test]
    fn axum_prefix_is_removed_and_the_field_path_kept() {
        assert_eq!(
            strip_axum_prefix(
                "Failed to deserialize the JSON body into the target type: title: invalid type"
            ),
            "title: invalid type"
        );
        assert_eq!(strip_axum_prefix("no prefix here"), "no prefix here");
    }
}

/// The id in a route like `/todos/{id}`. Anything that is not a UUID (wrong shape, any
/// length, bad percent-encoding) is simply no such resource: a 404, the same as an id that
/// parses but does not exist, so ids give nothing away.
#[derive(Debug, Clone, Copy)]
pub struct IdPath(pub uuid::Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let params = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        let (_, raw) = params.iter().next().ok_or(ApiError::NotFound)?;
        uuid::Uuid::try_parse(raw)
            .map(Self)
            .map_err(|_| ApiError::NotFound)
    }
}
