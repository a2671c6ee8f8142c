//! The API's answers for requests no handler takes: an unknown path (404), a known path
//! with the wrong method (405, which axum answers itself with an `Allow` header and an
//! empty body), or a body the framework refused before any handler ran.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::error::ApiError;

/// `404` for any `/api` path without a route.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// Gives the API's JSON body to error responses that the framework produced without one,
/// keeping their status and headers (notably `Allow` on a 405).
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::UnsupportedMediaType("This media type is not accepted here.".to_owned())
        }
        s if s.is_client_error() => ApiError::MalformedBody("The request is malformed.".to_owned()),
        _ => ApiError::Internal(format!("unhandled {status} response")),
    };
    let (mut parts, _) = response.into_parts();
    let json = error.into_response();
    let (json_parts, body) = json.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.status = json_parts.status;
    Response::from_parts(parts, body)
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}
