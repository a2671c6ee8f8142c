//! Accounts: creating, finding, re-keying and deleting users.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;

use app::{
    domain::{Email, Password},
    dto::{self, TokenPair},
};

use crate::{
    auth::{
        UncheckedSession,
        jwt::TokenKeys,
        login_throttle::{self, Attempt},
        password::{PasswordHash, PasswordHasher},
        sessions,
    },
    config::LoginThrottle,
    db::{self, Db},
    entities::user,
    error::ApiError,
    events::Events,
};

impl From<user::Model> for dto::User {
    fn from(user: user::Model) -> Self {
        Self {
            id: user.id,
            email: user.email,
            created_at: user.created_at,
        }
    }
}

/// Creates an account. The unique index on the normalised email decides whether the
/// address is taken, so two concurrent sign-ups with one address give one account and
/// one 409.
///
/// # Errors
/// [`ApiError::Conflict`] when the email is taken; [`ApiError::Database`] otherwise.
#[tracing::instrument(skip(db, hasher, password))]
pub async fn create(
    db: &impl ConnectionTrait,
    hasher: &PasswordHasher,
    email: &Email,
    password: &Password,
) -> Result<user::Model, ApiError> {
    let PasswordHash(password_hash) = hasher.hash(password.expose()).await?;
    let now = db::now();
    let model = user::Model {
        id: Uuid::now_v7(),
        email: email.as_str().to_owned(),
        email_normalized: email.normalized(),
        password_hash,
        created_at: now,
        updated_at: now,
    };
    user::Entity::insert(user::ActiveModel::from(model.clone()))
        .exec_without_returning(db)
        .await
        .map_err(|e| {
            ApiError::conflict_on_unique(e, "An account with this email already exists.")
        })?;
    Ok(model)
}

/// The user with this (normalised) email, if any.
///
/// # Errors
/// [`ApiError::Database`] if the query fails.
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email_normalized: &str,
) -> Result<Option<user::Model>, ApiError> {
    Ok(user::Entity::find()
        .filter(user::Column::EmailNormalized.eq(email_normalized))
        .one(db)
        .await?)
}

/// The caller's account, read in one statement with the check that their session is
/// live (see [`UncheckedSession`]).
///
/// # Errors
/// [`ApiError::Token`] (`session_revoked`) when the session was signed out or the
/// account deleted.
pub async fn get_for(
    db: &impl ConnectionTrait,
    caller: UncheckedSession,
) -> Result<user::Model, ApiError> {
    let found = user::Entity::find_by_id(sessions::caller_id(caller))
        .filter(sessions::live_condition(caller))
        .one(db)
        .await?;
    sessions::live_session(caller, found)
}

/// The user with this id. A valid access token whose user is gone means the account was
/// just deleted, which for the caller is a revoked session.
///
/// # Errors
/// [`ApiError::Token`] (`session_revoked`) when there is no such user.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<user::Model, ApiError> {
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::Token(
            crate::error::TokenRejection::SessionRevoked,
        ))
}

/// Checks a password given to confirm an action, under the failed-login lockout of the
/// user's email from `client_ip` (`API.md`, "Abuse limits"): a wrong password counts as a
/// failed login, and a locked-out pair is refused before any check, the right password
/// included. A wrong password is a 403, never a 401: the session stays valid.
///
/// # Errors
/// [`ApiError::RateLimited`] when the pair is locked out; [`ApiError::WrongPassword`]
/// when the password does not match; [`ApiError::Unavailable`] when the hashing queue
/// is full.
pub async fn confirm_password(
    db: &Db,
    hasher: &PasswordHasher,
    throttle: LoginThrottle,
    user: &user::Model,
    client_ip: &str,
    password: &str,
) -> Result<(), ApiError> {
    let email_key = login_throttle::key_for_normalized(&user.email_normalized);
    let attempt = Attempt {
        email_key: &email_key,
        client_ip,
    };
    let hash = PasswordHash(user.password_hash.clone());
    if login_throttle::checked(db, throttle, attempt, hasher.verify(password, &hash)).await? {
        Ok(())
    } else {
        Err(ApiError::WrongPassword)
    }
}

/// Sets a new password, revokes every session of the user, spends their reset tokens,
/// and opens a new session, all in one transaction: either all of it happens or none.
///
/// # Errors
/// [`ApiError::Database`] if the transaction fails.
#[tracing::instrument(skip(db, events, hasher, keys, new_password))]
pub async fn change_password(
    db: &Db,
    events: &Events,
    hasher: &PasswordHasher,
    keys: &TokenKeys,
    user_id: Uuid,
    new_password: &Password,
    user_agent: Option<&str>,
) -> Result<TokenPair, ApiError> {
    let PasswordHash(hash) = hasher.hash(new_password.expose()).await?;
    let mut txn = events.begin(db).await?;
    // The first statement writes, so on SQLite the transaction holds the write lock from
    // the start and cannot fail to upgrade later.
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(db::now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(txn.conn())
        .await?;
    sessions::revoke_all(&mut txn, user_id).await?;
    // Any password change makes the reset links already mailed useless.
    super::password_reset::spend_all(txn.conn(), user_id).await?;
    let pair = sessions::start(txn.conn(), keys, user_id, user_agent).await?;
    txn.commit().await?;
    Ok(pair)
}

/// Deletes the user; the database cascades to their todos, sessions and events. Their
/// live-update streams are told, and end.
///
/// # Errors
/// [`ApiError::Database`] if the delete fails.
#[tracing::instrument(skip(db, events))]
pub async fn delete(db: &Db, events: &Events, user_id: Uuid) -> Result<(), ApiError> {
    let mut txn = events.begin(db).await?;
    user::Entity::delete_by_id(user_id).exec(txn.conn()).await?;
    txn.signal_sessions_ended(user_id).await?;
    txn.commit().await
}
