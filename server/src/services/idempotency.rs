//! `Idempotency-Key` on `POST /todos` (`API.md`): a create whose answer was lost may be
//! sent again, and creates nothing the second time.
//!
//! Each request with a key inserts `(user, key)` first, in the transaction that creates
//! the todo, with `ON CONFLICT DO NOTHING` on the unique index. The insert that wins
//! creates the todo; a concurrent one waits for the winner's transaction on that index
//! (PostgreSQL) or for the write lock (SQLite), conflicts, and then reads the winner's
//! row. So ten concurrent repeats create one todo, and all ten answer it.
//!
//! A repeat answers what the first request answered: 201 and the todo as it was
//! created, stored with the key. If the todo has since been changed or deleted, the
//! repeat still answers that snapshot and does not bring the todo back: the create did
//! happen, once, and later changes are other requests' doing. A key lives 24 hours;
//! expired keys of the user are deleted when they next send one.

use chrono::Duration;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TryInsertResult};
use uuid::Uuid;

use app::{domain::TodoTitle, dto};

use super::todos;
use crate::{
    auth::{UncheckedSession, sessions},
    db::{self, Db},
    entities::idempotency_key,
    error::ApiError,
    events::Events,
};

/// How long a key is remembered.
pub const KEY_LIFETIME_HOURS: i64 = 24;

/// A valid `Idempotency-Key`: 1 to 255 visible ASCII characters (RFC 5234 `VCHAR`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The header's name, as errors name it.
    pub const HEADER: &'static str = "Idempotency-Key";
    /// The most characters a key may have.
    pub const MAX_LEN: usize = 255;

    /// Parses the header's raw bytes.
    ///
    /// # Errors
    /// [`ApiError::Validation`] naming the header when it is empty, too long, or holds
    /// anything but visible ASCII.
    pub fn parse(raw: &[u8]) -> Result<Self, ApiError> {
        let valid = (1..=Self::MAX_LEN).contains(&raw.len())
            && raw.iter().all(|b| (0x21..=0x7e).contains(b));
        match std::str::from_utf8(raw) {
            Ok(key) if valid => Ok(Self(key.to_owned())),
            _ => Err(ApiError::Validation(format!(
                "{}: must be 1 to {} visible ASCII characters",
                Self::HEADER,
                Self::MAX_LEN
            ))),
        }
    }

    /// The key.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Creates the todo once per `(user, key)` (see the module docs). Only the request that
/// creates it publishes its `todo` event: a repeat changes nothing.
///
/// The session is checked first, on its own: this path is several statements anyway,
/// and a repeat must not answer a signed-out session.
///
/// # Errors
/// [`ApiError::Token`] for a signed-out session; [`ApiError::Validation`] naming the
/// header when the key was used with another body; [`ApiError::Database`] if a query
/// fails.
#[tracing::instrument(skip(db, events))]
pub async fn create_todo_once(
    db: &Db,
    events: &Events,
    caller: UncheckedSession,
    key: &IdempotencyKey,
    title: TodoTitle,
    completed: bool,
) -> Result<dto::Todo, ApiError> {
    sessions::require_live(db, caller).await?;
    let user = sessions::caller_id(caller);
    let fingerprint = fingerprint(&title, completed);
    let draft = todos::draft(user, title, completed);
    let answer: dto::Todo = draft.clone().into();
    let response = serde_json::to_string(&answer)
        .map_err(|e| ApiError::Internal(format!("serialising a todo: {e}")))?;
    let mut txn = events.begin(db).await?;
    // Writing first makes a SQLite transaction take the write lock at once, so it cannot
    // fail to upgrade later; and expired keys must go before the insert can reuse one.
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::UserId.eq(user))
        .filter(
            idempotency_key::Column::CreatedAt.lte(db::now() - Duration::hours(KEY_LIFETIME_HOURS)),
        )
        .exec(txn.conn())
        .await?;
    let claimed = idempotency_key::Entity::insert(idempotency_key::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user),
        key: Set(key.as_str().to_owned()),
        fingerprint: Set(fingerprint.clone()),
        todo_id: Set(draft.id),
        response: Set(response),
        created_at: Set(draft.created_at),
    })
    .on_conflict_do_nothing_on([
        idempotency_key::Column::UserId,
        idempotency_key::Column::Key,
    ])
    .exec_without_returning(txn.conn())
    .await?;
    if matches!(claimed, TryInsertResult::Inserted(1)) {
        todos::insert(&mut txn, draft).await?;
        txn.commit().await?;
        return Ok(answer);
    }
    txn.commit().await?;
    first_answer(db, user, key, &fingerprint).await
}

/// What the request that claimed the key answered, if this one is the same request.
async fn first_answer(
    db: &Db,
    user: Uuid,
    key: &IdempotencyKey,
    fingerprint: &str,
) -> Result<dto::Todo, ApiError> {
    let first = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::UserId.eq(user))
        .filter(idempotency_key::Column::Key.eq(key.as_str()))
        .one(db)
        .await?
        // Only a concurrent sign-out-and-delete of the account could take it away.
        .ok_or_else(|| ApiError::Conflict("The idempotency key is in use; retry.".to_owned()))?;
    if first.fingerprint != fingerprint {
        return Err(ApiError::Validation(format!(
            "{}: already used with a different request body",
            IdempotencyKey::HEADER
        )));
    }
    serde_json::from_str(&first.response)
        .map_err(|e| ApiError::Internal(format!("stored idempotent response: {e}")))
}

/// SHA-256 (hex) of the request as the server read it: the trimmed title and the
/// completed flag (absent and `false` are the same request).
fn fingerprint(title: &TodoTitle, completed: bool) -> String {
    let canonical = serde_json::json!([title.as_str(), completed]).to_string();
    crate::digest::sha256_hex(canonical.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::IdempotencyKey;

    #[test]
    fn keys_are_1_to_255_visible_ascii_characters() {
        assert!(IdempotencyKey::parse(b"a").is_ok());
        assert!(IdempotencyKey::parse("~".repeat(255).as_bytes()).is_ok());
        for bad in [
            &b""[..],
            "k".repeat(256).as_bytes(),
            b"with space",
            b"tab\there",
            "caf\u{e9}".as_bytes(),
            b"nul\0",
            b"del\x7f",
        ] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }
}
