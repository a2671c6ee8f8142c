//! One typed function per API endpoint the app uses.

use serde::{Deserialize, de::IgnoredAny};
use uuid::Uuid;

use super::{
    ApiError,
    client::{AuthorizedCall, PublicCall},
    refresh, tokens,
};
use crate::dto::{
    ChangePasswordRequest, DeleteAccountRequest, Deleted, LoginRequest, NewTodo,
    PasswordResetAccepted, PasswordResetConfirm, PasswordResetRequest, RegisterRequest, Session,
    StatusFilter, Todo, TodoList, TodoPatch, ToggleAll, TokenPair, Updated,
};

/// What the browser reads of a [`crate::dto::User`]: the email, which the header shows.
/// The id and the creation time are shown nowhere, and reading them would put a UUID and
/// an RFC 3339 parser into the signed-out pages' bundle (BENCHMARKS.md, "Page weight",
/// step 10). Other fields of the body are skipped.
#[derive(Clone, Debug, Deserialize)]
pub struct UserEmail {
    pub email: String,
}

/// Creates an account. The new user in the answer is not read: signing in comes next.
///
/// # Errors
/// The server's 409/422, or a network failure.
pub async fn register(email: String, password: String) -> Result<(), ApiError> {
    PublicCall::post("/users")
        .json(&RegisterRequest { email, password })
        .fetch::<IgnoredAny>()
        .await
        .map(drop)
}

/// Signs in and stores the new pair.
///
/// # Errors
/// `invalid_credentials`, `rate_limited`, or a network failure.
pub async fn login(email: String, password: String) -> Result<(), ApiError> {
    let pair: TokenPair = PublicCall::post("/login")
        .json(&LoginRequest { email, password })
        .fetch()
        .await?;
    tokens::store(&pair);
    Ok(())
}

/// Asks for a password-reset link by mail. The answer is the same whether or not the
/// account exists.
///
/// # Errors
/// `validation_error` for a malformed email, `rate_limited`, or a network failure.
pub async fn request_password_reset(email: String) -> Result<PasswordResetAccepted, ApiError> {
    PublicCall::post("/password-reset")
        .json(&PasswordResetRequest { email })
        .fetch()
        .await
}

/// Sets a new password with the token of a reset link, and stores the pair of the new
/// session: the person is signed in (every other session of the account is signed out).
///
/// # Errors
/// `invalid_reset_token` for a link that expired or was used, `validation_error` for
/// an invalid password, or a network failure.
pub async fn confirm_password_reset(token: String, new_password: String) -> Result<(), ApiError> {
    let pair: TokenPair = PublicCall::post("/password-reset/confirm")
        .json(&PasswordResetConfirm {
            token,
            new_password,
        })
        .fetch()
        .await?;
    tokens::store(&pair);
    Ok(())
}

/// Forgets the tokens in every tab and ends this session on the server (best effort).
pub async fn logout() {
    refresh::sign_out().await;
}

/// The signed-in user's email.
///
/// # Errors
/// As any authenticated call.
pub async fn me() -> Result<UserEmail, ApiError> {
    AuthorizedCall::get("/users/me").fetch().await
}

/// Changes the password; this tab continues in the new session.
///
/// # Errors
/// 403 for a wrong current password, 422 for an invalid new one.
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), ApiError> {
    let pair: TokenPair = AuthorizedCall::put("/users/me/password")
        .json(&ChangePasswordRequest {
            current_password,
            new_password,
        })
        .fetch()
        .await?;
    tokens::store(&pair);
    Ok(())
}

/// Deletes the account and forgets the tokens.
///
/// # Errors
/// 403 for a wrong password.
pub async fn delete_account(password: String) -> Result<(), ApiError> {
    AuthorizedCall::delete("/users/me")
        .json(&DeleteAccountRequest { password })
        .execute()
        .await?;
    refresh::forget_session().await;
    Ok(())
}

/// The user's signed-in sessions.
///
/// # Errors
/// As any authenticated call.
pub async fn sessions() -> Result<Vec<Session>, ApiError> {
    AuthorizedCall::get("/sessions").fetch().await
}

/// Signs one session out.
///
/// # Errors
/// 404 when it is not the user's.
pub async fn revoke_session(id: Uuid) -> Result<(), ApiError> {
    AuthorizedCall::delete(&format!("/sessions/{id}"))
        .execute()
        .await
}

/// Signs out everywhere, this tab included.
///
/// # Errors
/// As any authenticated call.
pub async fn revoke_all_sessions() -> Result<(), ApiError> {
    AuthorizedCall::delete("/sessions").execute().await?;
    tokens::clear();
    Ok(())
}

/// All of the user's todos (the API's maximum page holds 1000).
///
/// # Errors
/// As any authenticated call.
pub async fn todos(filter: StatusFilter) -> Result<TodoList, ApiError> {
    let status = match filter {
        StatusFilter::All => "all",
        StatusFilter::Active => "active",
        StatusFilter::Completed => "completed",
    };
    AuthorizedCall::get(&format!("/todos?status={status}"))
        .fetch()
        .await
}

/// Adds a todo. `idempotency_key` names this one creation: sending it again with the
/// same key (after a lost answer) creates nothing more and answers the same todo.
///
/// # Errors
/// 422 for an invalid title.
pub async fn create_todo(
    title: String,
    completed: bool,
    idempotency_key: &str,
) -> Result<Todo, ApiError> {
    AuthorizedCall::post("/todos")
        .json(&NewTodo {
            title,
            completed: completed.then_some(true),
        })
        .idempotency_key(idempotency_key)
        .fetch()
        .await
}

/// Changes a todo.
///
/// # Errors
/// 404 when it is gone, 422 for an invalid title.
pub async fn update_todo(id: Uuid, patch: TodoPatch) -> Result<Todo, ApiError> {
    AuthorizedCall::patch(&format!("/todos/{id}"))
        .json(&patch)
        .fetch()
        .await
}

/// Deletes a todo.
///
/// # Errors
/// 404 when it is gone.
pub async fn delete_todo(id: Uuid) -> Result<(), ApiError> {
    AuthorizedCall::delete(&format!("/todos/{id}"))
        .execute()
        .await
}

/// Marks every todo done or not done.
///
/// # Errors
/// As any authenticated call.
pub async fn toggle_all(completed: bool) -> Result<Updated, ApiError> {
    AuthorizedCall::patch("/todos")
        .json(&ToggleAll { completed })
        .fetch()
        .await
}

/// Deletes the completed todos.
///
/// # Errors
/// As any authenticated call.
pub async fn clear_completed() -> Result<Deleted, ApiError> {
    AuthorizedCall::delete("/todos?status=completed")
        .fetch()
        .await
}
