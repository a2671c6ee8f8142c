//! `/todos`: the caller's todos.
//!
//! Every handler here takes an [`UncheckedSession`]: the service checks the session in
//! the statement that does the work, and the handler takes its other extractors as
//! `Result`s, so that [`sessions::valid_input`] can answer a signed-out session's invalid
//! request with its 401 first, as on every other route.

use axum::{
    extract::{FromRequestParts, State},
    http::{StatusCode, request::Parts},
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use app::{
    domain::{PageCursor, PageLimit, TodoTitle},
    dto::{Deleted, ErrorBody, NewTodo, Todo, TodoList, TodoPatch, TodoQuery, ToggleAll, Updated},
};

use crate::{
    auth::{UncheckedSession, sessions},
    error::{ApiError, ApiResult},
    extract::{AppJson, AppQuery, IdPath},
    services::{
        idempotency::{self, IdempotencyKey},
        todos::{self, TodoChanges},
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create, toggle_all, clear_completed))
        .routes(routes!(get_one, update, delete))
}

/// A page of the caller's todos, oldest first. The counts are over all of them.
#[utoipa::path(
    get, path = "/todos", tag = "todos", security(("bearer" = [])),
    params(TodoQuery),
    responses(
        (status = 200, body = TodoList),
        (status = 401, body = ErrorBody),
        (status = 422, description = "Bad status, limit or cursor", body = ErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    caller: UncheckedSession,
    query: Result<AppQuery<TodoQuery>, ApiError>,
) -> ApiResult<AppJson<TodoList>> {
    let parsed = query.and_then(|AppQuery(query)| {
        let limit = PageLimit::parse(query.limit)?.get();
        let cursor = query.cursor.as_deref().map(PageCursor::parse).transpose()?;
        Ok((query.status.unwrap_or_default(), limit, cursor))
    });
    let (filter, limit, cursor) = sessions::valid_input(&state.db, caller, parsed).await?;
    Ok(AppJson(
        todos::list(&state.db, caller, filter, limit, cursor).await?,
    ))
}

/// Adds a todo at the end of the list. With an `Idempotency-Key`, a repeat of the same
/// request within 24 hours creates nothing and answers what the first one answered.
#[utoipa::path(
    post, path = "/todos", tag = "todos", security(("bearer" = [])),
    params(IdempotencyKeyParam),
    request_body = NewTodo,
    responses(
        (status = 201, description = "Created, or the first answer to this Idempotency-Key", body = Todo),
        (status = 401, body = ErrorBody),
        (status = 422, description = "Invalid title or completed, a malformed Idempotency-Key, or a key already used with another body; the detail names the field or header", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    caller: UncheckedSession,
    key: Result<IdempotencyKeyHeader, ApiError>,
    body: Result<AppJson<NewTodo>, ApiError>,
) -> ApiResult<(StatusCode, AppJson<Todo>)> {
    let parsed = key.and_then(|IdempotencyKeyHeader(key)| {
        let AppJson(body) = body?;
        let title = TodoTitle::parse(&body.title)?;
        Ok((key, title, body.completed.unwrap_or(false)))
    });
    let (key, title, completed) = sessions::valid_input(&state.db, caller, parsed).await?;
    let todo = match key {
        Some(key) => {
            idempotency::create_todo_once(&state.db, &state.events, caller, &key, title, completed)
                .await?
        }
        None => todos::create(&state.db, &state.events, caller, title, completed).await?,
    };
    Ok((StatusCode::CREATED, AppJson(todo)))
}

/// How the document describes the `Idempotency-Key` header, from the bounds that
/// [`IdempotencyKey::parse`] enforces.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // Only its description is used: the header is read by the extractor below.
struct IdempotencyKeyParam {
    #[param(rename = "Idempotency-Key", schema_with = idempotency_key_schema)]
    key: Option<String>,
}

fn idempotency_key_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .min_length(Some(1))
        .max_length(Some(IdempotencyKey::MAX_LEN))
        .pattern(Some(format!(
            "^[\\x21-\\x7E]{{1,{}}}$",
            IdempotencyKey::MAX_LEN
        )))
        .description(Some(format!(
            "1–{} visible ASCII characters. A repeat with the same key by the same user \
             within 24 hours creates nothing and answers 201 with the todo the first request \
             created (as it was then, even if it was changed or deleted since); the same key \
             with a different body is a 422.",
            IdempotencyKey::MAX_LEN
        )))
        .build()
}

/// The optional `Idempotency-Key` header; present but malformed (or sent twice) is a 422.
struct IdempotencyKeyHeader(Option<IdempotencyKey>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKeyHeader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut values = parts.headers.get_all(IdempotencyKey::HEADER).iter();
        let Some(value) = values.next() else {
            return Ok(Self(None));
        };
        if values.next().is_some() {
            return Err(ApiError::Validation(format!(
                "{}: send it once",
                IdempotencyKey::HEADER
            )));
        }
        IdempotencyKey::parse(value.as_bytes()).map(|key| Self(Some(key)))
    }
}

/// One todo.
#[utoipa::path(
    get, path = "/todos/{id}", tag = "todos", security(("bearer" = [])),
    params(("id" = String, Path, description = "Todo id")),
    responses((status = 200, body = Todo), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn get_one(
    State(state): State<AppState>,
    caller: UncheckedSession,
    id: Result<IdPath, ApiError>,
) -> ApiResult<AppJson<Todo>> {
    let IdPath(id) = sessions::valid_input(&state.db, caller, id).await?;
    Ok(AppJson(todos::get(&state.db, caller, id).await?))
}

/// Changes the fields given, and only those.
#[utoipa::path(
    patch, path = "/todos/{id}", tag = "todos", security(("bearer" = [])),
    params(("id" = String, Path, description = "Todo id")),
    request_body = TodoPatch,
    responses(
        (status = 200, body = Todo),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn update(
    State(state): State<AppState>,
    caller: UncheckedSession,
    id: Result<IdPath, ApiError>,
    body: Result<AppJson<TodoPatch>, ApiError>,
) -> ApiResult<AppJson<Todo>> {
    let parsed = id.and_then(|IdPath(id)| {
        let AppJson(body) = body?;
        let changes = TodoChanges {
            title: body.title.as_deref().map(TodoTitle::parse).transpose()?,
            completed: body.completed,
        };
        Ok((id, changes))
    });
    let (id, changes) = sessions::valid_input(&state.db, caller, parsed).await?;
    Ok(AppJson(
        todos::update(&state.db, &state.events, caller, id, changes).await?,
    ))
}

/// Deletes a todo.
#[utoipa::path(
    delete, path = "/todos/{id}", tag = "todos", security(("bearer" = [])),
    params(("id" = String, Path, description = "Todo id")),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn delete(
    State(state): State<AppState>,
    caller: UncheckedSession,
    id: Result<IdPath, ApiError>,
) -> ApiResult<StatusCode> {
    let IdPath(id) = sessions::valid_input(&state.db, caller, id).await?;
    todos::delete(&state.db, &state.events, caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Marks every todo completed, or every todo active; returns how many changed.
#[utoipa::path(
    patch, path = "/todos", tag = "todos", security(("bearer" = [])),
    request_body = ToggleAll,
    responses((status = 200, body = Updated), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn toggle_all(
    State(state): State<AppState>,
    caller: UncheckedSession,
    body: Result<AppJson<ToggleAll>, ApiError>,
) -> ApiResult<AppJson<Updated>> {
    let AppJson(body) = sessions::valid_input(&state.db, caller, body).await?;
    let updated =
        todos::set_all_completed(&state.db, &state.events, caller, body.completed).await?;
    Ok(AppJson(Updated { updated }))
}

/// `DELETE /todos?status=completed`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ClearQuery {
    /// Must be `completed`: deleting every todo at once is not offered.
    #[param(inline)]
    status: OnlyCompleted,
}

/// The one `status` that `DELETE /todos` takes; any other (or none) is a 422 naming it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum OnlyCompleted {
    Completed,
}

/// Deletes the completed todos; returns how many.
#[utoipa::path(
    delete, path = "/todos", tag = "todos", security(("bearer" = [])),
    params(ClearQuery),
    responses(
        (status = 200, body = Deleted),
        (status = 401, body = ErrorBody),
        (status = 422, description = "status is not `completed`", body = ErrorBody),
    )
)]
async fn clear_completed(
    State(state): State<AppState>,
    caller: UncheckedSession,
    query: Result<AppQuery<ClearQuery>, ApiError>,
) -> ApiResult<AppJson<Deleted>> {
    let AppQuery(ClearQuery {
        status: OnlyCompleted::Completed,
    }) = sessions::valid_input(&state.db, caller, query).await?;
    let deleted = todos::delete_completed(&state.db, &state.events, caller).await?;
    Ok(AppJson(Deleted { deleted }))
}
