//! The JSON bodies of the HTTP API, exactly as `API.md` spells them.
//!
//! Request types hold raw strings: the server parses them into [`crate::domain`] values,
//! so a bad field becomes a 422 that names it rather than a serde error. Response types
//! are built from database rows on the server and read by the browser's API client.
//! Under `ssr` they also describe themselves to the OpenAPI document.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "ssr")]
use utoipa::{IntoParams, ToSchema};

/// Reads an optional request field that, when present, must hold a value: `API.md` says
/// a field sent as `null` is invalid, never read as absent. Serde's `Option` would take
/// `null` for `None`; with `#[serde(default, deserialize_with = "present")]` an absent
/// field is `None` and `null` is the inner type's error, which names the field (a 422).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Reads a response's timestamp with chrono's RFC 3339 parser, the form the server
/// writes every timestamp in. chrono's own `Deserialize` also takes the looser forms
/// through its general-purpose format parser, whose code the browser's bundle would
/// carry for nothing (BENCHMARKS.md, "Page weight").
fn rfc3339<'de, D>(deserializer: D) -> Result<DateTime<Utc>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let text = String::deserialize(deserializer)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|_| {
            serde::de::Error::invalid_value(
                serde::de::Unexpected::Str(&text),
                &"an RFC 3339 timestamp",
            )
        })
}

/// Every error response: a sentence for people and a code for programs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct ErrorBody {
    /// What went wrong, for a person.
    pub detail: String,
    /// One of the machine codes of `API.md` ([`ErrorBody::CODES`]).
    #[cfg_attr(feature = "ssr", schema(schema_with = error_code_schema))]
    pub code: String,
}

impl ErrorBody {
    /// Every machine code of `API.md`, in its order.
    pub const CODES: &'static [&'static str] = &[
        "invalid_credentials",
        "invalid_token",
        "token_expired",
        "session_revoked",
        "refresh_reused",
        "validation_error",
        "malformed_body",
        "unsupported_media_type",
        "payload_too_large",
        "not_found",
        "method_not_allowed",
        "conflict",
        "rate_limited",
        "invalid_reset_token",
        "unavailable",
        "internal",
    ];
}

/// `code` as an enum of [`ErrorBody::CODES`]; each response of the document narrows it to
/// the codes that response can carry.
#[cfg(feature = "ssr")]
fn error_code_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(ErrorBody::CODES.iter().copied()))
        .build()
}

/// `POST /users`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct RegisterRequest {
    /// Trimmed; compared case-insensitively.
    #[cfg_attr(feature = "ssr", schema(schema_with = crate::domain::Email::schema))]
    pub email: String,
    /// 8–128 characters, used exactly as given.
    #[cfg_attr(feature = "ssr", schema(schema_with = crate::domain::Password::schema))]
    pub password: String,
}

/// `POST /login` as JSON (the OAuth2 form with `username` is accepted too).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// `POST /refresh` and `POST /logout`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// `PUT /users/me/password`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct ChangePasswordRequest {
    pub current_password: String,
    #[cfg_attr(feature = "ssr", schema(schema_with = crate::domain::Password::schema))]
    pub new_password: String,
}

/// `DELETE /users/me`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct DeleteAccountRequest {
    pub password: String,
}

/// `POST /password-reset`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct PasswordResetRequest {
    /// The account's email, as for sign-in.
    #[cfg_attr(feature = "ssr", schema(schema_with = crate::domain::Email::schema))]
    pub email: String,
}

/// The answer to `POST /password-reset`: the same whether or not the account exists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct PasswordResetAccepted {
    /// What happens next, for a person.
    pub detail: String,
}

/// `POST /password-reset/confirm`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct PasswordResetConfirm {
    /// The `token` of the link in the mail.
    pub token: String,
    /// 8–128 characters, as at sign-up.
    #[cfg_attr(feature = "ssr", schema(schema_with = crate::domain::Password::schema))]
    pub new_password: String,
}

/// A user, as the user themself may see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct User {
    pub id: Uuid,
    pub email: String,
    #[serde(deserialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
}

/// What login, refresh and password change return.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: u64,
}

/// One login on one device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct Session {
    pub id: Uuid,
    #[serde(deserialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When the session last logged in or refreshed its tokens.
    #[serde(deserialize_with = "rfc3339")]
    pub last_used_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    /// Whether this is the session of the token that asked.
    pub current: bool,
}

/// A todo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct Todo {
    pub id: Uuid,
    pub title: String,
    pub completed: bool,
    #[serde(deserialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(deserialize_with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
}

/// `POST /todos`. Other fields (`id`, timestamps, an owner) are ignored.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct NewTodo {
    /// Trimmed, 1–500 characters, no control characters.
    #[cfg_attr(feature = "ssr", schema(schema_with = crate::domain::TodoTitle::schema))]
    pub title: String,
    /// Leave out for `false`; `null` is refused.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(nullable = false))]
    pub completed: Option<bool>,
}

/// `PATCH /todos/{id}`: only the fields given change.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct TodoPatch {
    /// Leave out to keep; `null` is refused.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "ssr",
        schema(schema_with = crate::domain::TodoTitle::schema)
    )]
    pub title: Option<String>,
    /// Leave out to keep; `null` is refused.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(nullable = false))]
    pub completed: Option<bool>,
}

/// `PATCH /todos`: mark every todo done or not done.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct ToggleAll {
    pub completed: bool,
}

/// How many todos a bulk change touched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct Updated {
    pub updated: u64,
}

/// How many todos a bulk delete removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct Deleted {
    pub deleted: u64,
}

/// Which todos a list shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    /// Every todo.
    #[default]
    All,
    /// Todos not yet done.
    Active,
    /// Todos done.
    Completed,
}

/// `GET /todos` query.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct TodoQuery {
    #[serde(default)]
    pub status: Option<StatusFilter>,
    /// 1–1000, default 1000.
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        param(schema_with = crate::domain::PageLimit::schema)
    )]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        param(schema_with = crate::domain::PageCursor::schema)
    )]
    pub cursor: Option<String>,
}

/// A page of todos, with counts over all of the user's todos whatever the filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(ToSchema))]
pub struct TodoList {
    pub items: Vec<Todo>,
    pub active_count: u64,
    pub completed_count: u64,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use uuid::Uuid;

    use super::Todo;

    fn todo_with(created_at: &str) -> String {
        format!(
            r#"{{"id":"{}","title":"x","completed":false,"created_at":"{created_at}","updated_at":"2026-12-07T15:00:00Z"}}"#,
            Uuid::nil()
        )
    }

    #[test]
    fn timestamps_read_back_as_the_server_writes_them() {
        let todo = Todo {
            id: Uuid::nil(),
            title: "x".to_owned(),
            completed: false,
            created_at: DateTime::from_timestamp_micros(1_764_460_800_123_456).unwrap(),
            updated_at: DateTime::from_timestamp(1_764_460_800, 0).unwrap(),
        };
        let json = serde_json::to_string(&todo).unwrap();
        assert_eq!(serde_json::from_str::<Todo>(&json).unwrap(), todo);
    }

    #[test]
    fn a_timestamp_with_an_offset_is_read_in_utc() {
        let todo: Todo = serde_json::from_str(&todo_with("2026-12-07T16:30:00+01:00")).unwrap();
        assert_eq!(
            todo.created_at,
            Utc.with_ymd_and_hms(2026, 12, 7, 15, 30, 0).unwrap()
        );
    }

    #[test]
    fn a_timestamp_that_is_not_rfc_3339_is_an_error() {
        for bad in ["2026-12-07 15:00:00", "yesterday", ""] {
            assert!(
                serde_json::from_str::<Todo>(&todo_with(bad)).is_err(),
                "{bad}"
            );
        }
    }
}
