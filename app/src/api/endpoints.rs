//! One typed function per API endpoint the app uses.

use uuid::Uuid;

use super::{ApiError, client::Call, tokens};
use crate::dto::{
    ChangePasswordRequest, DeleteAccountRequest, Deleted, LoginRequest, NewTodo, RefreshRequest,
    RegisterRequest, Session, StatusFilter, Todo, TodoList, TodoPatch, ToggleAll, TokenPair,
    Updated, User,
};

/// Creates an account.
///
/// # Errors
/// The server's 409/422, or a network failure.
pub async fn register(email: String, password: String) -> Result<User, ApiError> {
    Call::post("/users")
        .json(&RegisterRequest { email, password })
        .public()
        .fetch()
        .await
}

/// Signs in and stores the new pair.
///
/// # Errors
/// `invalid_credentials`, `rate_limited`, or a network failure.
pub async fn login(email: String, password: String) -> Result<(), ApiError> {
    let pair: TokenPair = Call::post("/login")
        .json(&LoginRequest { email, password })
        .public()
        .fetch()
        .await?;
    tokens::store(&pair);
    Ok(())
}

/// Ends this session on the server (best effort) and forgets the tokens in every tab.
pub async fn logout() {
    if let Some(refresh_token) = tokens::refresh_token() {
        let _ = Call::post("/logout")
            .json(&RefreshRequest { refresh_token })
            .public()
            .execute()
            .await;
    }
    tokens::clear();
}

/// The signed-in user.
///
/// # Errors
/// As any authenticated call.
pub async fn me() -> Result<User, ApiError> {
    Call::get("/users/me").fetch().await
}

/// Changes the password; this tab continues in the new session.
///
/// # Errors
/// 403 for a wrong current password, 422 for an invalid new one.
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), ApiError> {
    let pair: TokenPair = Call::put("/users/me/password")
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
    Call::delete("/users/me")
        .json(&DeleteAccountRequest { password })
        .execute()
        .await?;
    tokens::clear();
    Ok(())
}

/// The user's signed-in sessions.
///
/// # Errors
/// As any authenticated call.
pub async fn sessions() -> Result<Vec<Session>, ApiError> {
    Call::get("/sessions").fetch().await
}

/// Signs one session out.
///
/// # Errors
/// 404 when it is not the user's.
pub async fn revoke_session(id: Uuid) -> Result<(), ApiError> {
    Call::delete(&format!("/sessions/{id}")).execute().await
}

/// Signs out everywhere, this tab included.
///
/// # Errors
/// As any authenticated call.
pub async fn revoke_all_sessions() -> Result<(), ApiError> {
    Call::delete("/sessions").execute().await?;
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
    Call::get(&format!("/todos?status={status}")).fetch().await
}

/// Adds a todo.
///
/// # Errors
/// 422 for an invalid title.
pub async fn create_todo(title: String) -> Result<Todo, ApiError> {
    Call::post("/todos")
        .json(&NewTodo {
            title,
            completed: None,
        })
        .fetch()
        .await
}

/// Changes a todo.
///
/// # Errors
/// 404 when it is gone, 422 for an invalid title.
pub async fn update_todo(id: Uuid, patch: TodoPatch) -> Result<Todo, ApiError> {
    Call::patch(&format!("/todos/{id}"))
        .json(&patch)
        .fetch()
        .await
}

/// Deletes a todo.
///
/// # Errors
/// 404 when it is gone.
pub async fn delete_todo(id: Uuid) -> Result<(), ApiError> {
    Call::delete(&format!("/todos/{id}")).execute().await
}

/// Marks every todo done or not done.
///
/// # Errors
/// As any authenticated call.
pub async fn toggle_all(completed: bool) -> Result<Updated, ApiError> {
    Call::patch("/todos")
        .json(&ToggleAll { completed })
        .fetch()
        .await
}

/// Deletes the completed todos.
///
/// # Errors
/// As any authenticated call.
pub async fn clear_completed() -> Result<Deleted, ApiError> {
    Call::delete("/todos?status=completed").fetch().await
}
