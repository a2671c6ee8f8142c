//! Password-reset tokens: issuing one, spending them, and trading one for a new password.
//!
//! A token is 16 random bytes (128 bits, the contract's floor) from the thread's CSPRNG, sent as base64url; the
//! database keeps only its SHA-256, so a leaked table opens no account. A user has at most
//! one live token: issuing deletes the older ones, and so do a confirmation and every
//! password change ([`spend_all`]). Confirming claims the token by deleting its row on the
//! condition that it has not expired, in the transaction that sets the password: of two
//! confirmations with one token, exactly one deletes the row and the other is refused.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Duration;
use rand::RngCore;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

use app::{domain::Password, dto::TokenPair};

use crate::{
    auth::{
        jwt::TokenKeys,
        password::{PasswordHash, PasswordHasher},
        sessions,
    },
    db::{self, Db},
    entities::{password_reset_token, user},
    error::ApiError,
    events::Events,
};

/// Random bytes in a token: 128 bits, beyond guessing within a link's lifetime, and
/// short (22 characters) so that the link stays on one line of the plain-text mail, which
/// then goes out as 7-bit text that a developer can copy from the log.
const TOKEN_BYTES: usize = 16;

/// Issues a new token for `user`, valid for `ttl`, spending any older one. Returns the
/// token itself, which exists nowhere else from now on but in the mail.
///
/// # Errors
/// [`ApiError::Database`] if the transaction fails.
#[tracing::instrument(skip(db))]
pub async fn issue(db: &Db, user: Uuid, ttl: std::time::Duration) -> Result<String, ApiError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let now = db::now();
    let txn = db.begin().await?;
    spend_all(&txn, user).await?;
    password_reset_token::Entity::insert(password_reset_token::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user),
        token_hash: Set(hash(&token)),
        created_at: Set(now),
        expires_at: Set(now + Duration::from_std(ttl).unwrap_or(Duration::MAX)),
    })
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(token)
}

/// Spends every reset token of `user`: a newer request, a confirmation or a password
/// change makes the links already mailed useless.
///
/// # Errors
/// [`ApiError::Database`] if the delete fails.
pub async fn spend_all(db: &impl ConnectionTrait, user: Uuid) -> Result<(), ApiError> {
    password_reset_token::Entity::delete_many()
        .filter(password_reset_token::Column::UserId.eq(user))
        .exec(db)
        .await?;
    Ok(())
}

/// Sets the password of the token's user, revokes all their sessions and opens a new one,
/// spending the token — all in one transaction.
///
/// # Errors
/// [`ApiError::InvalidResetToken`] for a token that is unknown, spent or expired;
/// [`ApiError::Unavailable`] when the hashing queue is full (the token stays valid);
/// [`ApiError::Database`].
#[tracing::instrument(skip_all)]
pub async fn confirm(
    db: &Db,
    events: &Events,
    hasher: &PasswordHasher,
    keys: &TokenKeys,
    token: &str,
    new_password: &Password,
    user_agent: Option<&str>,
) -> Result<TokenPair, ApiError> {
    let token_hash = hash(token);
    // A cheap look first, so that a bad token costs no bcrypt run.
    let found = password_reset_token::Entity::find()
        .filter(password_reset_token::Column::TokenHash.eq(token_hash.as_str()))
        .filter(password_reset_token::Column::ExpiresAt.gt(db::now()))
        .one(db)
        .await?
        .ok_or(ApiError::InvalidResetToken)?;
    let PasswordHash(password_hash) = hasher.hash(new_password.expose()).await?;
    let mut txn = events.begin(db).await?;
    // The claim: only one confirmation deletes the row, and only before it expires.
    let claimed = password_reset_token::Entity::delete_many()
        .filter(password_reset_token::Column::Id.eq(found.id))
        .filter(password_reset_token::Column::ExpiresAt.gt(db::now()))
        .exec(txn.conn())
        .await?
        .rows_affected
        == 1;
    if !claimed {
        return Err(ApiError::InvalidResetToken);
    }
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(password_hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(db::now()))
        .filter(user::Column::Id.eq(found.user_id))
        .exec(txn.conn())
        .await?;
    spend_all(txn.conn(), found.user_id).await?;
    sessions::revoke_all(&mut txn, found.user_id).await?;
    let pair = sessions::start(txn.conn(), keys, found.user_id, user_agent).await?;
    txn.commit().await?;
    Ok(pair)
}

/// Hex SHA-256 of a token: how it is stored and looked up. Any text hashes to 64 hex
/// digits, so whatever a client sends (NUL bytes, megabytes) is a harmless query.
fn hash(token: &str) -> String {
    crate::digest::sha256_hex(token.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::hash;

    #[test]
    fn every_token_hashes_to_64_hex_digits() {
        for token in ["", "a", "nul\0", &"x".repeat(100_000)] {
            let digest = hash(token);
            assert_eq!(digest.len(), 64);
            assert!(digest.bytes().all(|b| b.is_ascii_hexdigit()));
        }
        assert_ne!(hash("a"), hash("b"));
    }
}
