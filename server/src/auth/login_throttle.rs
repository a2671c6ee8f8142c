//! Failed-login lockout (`API.md`, "Abuse limits").
//!
//! After `max_failures` failed logins for one email from one client address within the
//! window, that pair is refused (429) until the oldest of those failures leaves the
//! window, even with the right password. Counts live in the database, so every instance
//! sees the same ones.
//!
//! An attempt is counted *before* its password is checked: it claims one of the pair's
//! `max_failures` numbered slots ([`reserve`]), either by inserting `(pair, slot)` under
//! a unique index or by taking over a slot whose failure has left the window with a
//! conditional `UPDATE … WHERE failed_at <= cutoff`. The database hands each slot to one
//! claimant only (PostgreSQL re-checks the `WHERE` of a concurrent update after the row
//! lock; SQLite runs one writer at a time), so of a burst of simultaneous attempts at most
//! `max_failures` get as far as bcrypt and the rest are 429 without costing a hash. A wrong
//! password leaves its slot taken: that row *is* the failure. A right one clears the pair.
//! A check that could not run (the hashing queue is full) gives its slot back, and so does
//! one whose caller went away before it answered (a dropped connection, a client timeout):
//! such an attempt told nobody anything, and a user on a bad network must not lock
//! themselves out by retrying.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, TryInsertResult, sea_query::Expr,
};
use uuid::Uuid;

use app::domain::Email;

use crate::{
    config::LoginThrottle,
    db::{self, Db},
    digest,
    entities::login_failure,
    error::ApiError,
};

/// A slot of the pair as its query reads it: by column name, not as a tuple, because
/// rows from SQLite (`db::sqlite`) find their columns by name only.
#[derive(FromQueryResult)]
struct TakenSlot {
    slot: i32,
    failed_at: DateTime<Utc>,
}

/// One email (as a key, see [`email_key`]) from one client address.
#[derive(Clone, Copy, Debug)]
pub struct Attempt<'a> {
    pub email_key: &'a str,
    pub client_ip: &'a str,
}

/// The key an email is counted under: its normalised form when that is a valid address
/// that fits the column, else `sha256:` and the hex digest of the trimmed, lower-cased
/// input. A hash has no `@`, so it can never be mistaken for an address; and it is
/// always 71 characters, however long or odd (NUL bytes, combining marks) the input was.
/// Lower-casing can make text longer (`İ` becomes two characters), which is why the
/// length is checked after it.
#[must_use]
pub fn email_key(typed: &str) -> String {
    match Email::parse(typed) {
        Ok(email) => key_for_normalized(&email.normalized()),
        Err(_) => hashed(&typed.trim().to_lowercase()),
    }
}

/// The key of an already normalised email, such as a stored account's.
#[must_use]
pub fn key_for_normalized(normalized: &str) -> String {
    if normalized.chars().count() <= Email::MAX_LEN && !normalized.contains('\0') {
        normalized.to_owned()
    } else {
        hashed(normalized)
    }
}

/// The key the password-reset requests for a (normalised) email are counted under. Its
/// own prefix keeps them apart from failed logins: asking for a reset must not lock
/// anyone out of signing in, nor a successful sign-in reset the count of requests.
#[must_use]
pub fn reset_request_key(normalized: &str) -> String {
    format!("reset:{}", hashed(normalized))
}

fn hashed(text: &str) -> String {
    format!("sha256:{}", digest::sha256_hex(text.as_bytes()))
}

/// A claimed slot: the attempt is counted. Dropping it keeps it counted (a failure);
/// [`Reservation::release`] gives it back.
#[derive(Debug)]
#[must_use = "a reservation is a counted attempt; release it if the check did not run"]
pub struct Reservation {
    id: Uuid,
}

impl Reservation {
    /// Un-counts the attempt, for a check that could not run.
    ///
    /// # Errors
    /// [`ApiError::Database`] if the delete fails.
    pub async fn release(self, db: &impl ConnectionTrait) -> Result<(), ApiError> {
        login_failure::Entity::delete_by_id(self.id)
            .exec(db)
            .await?;
        Ok(())
    }
}

/// Counts an attempt for the pair before its password is checked (see the module docs).
///
/// # Errors
/// [`ApiError::RateLimited`] with the seconds until the pair may try again when all its
/// slots hold failures within the window; [`ApiError::Database`] if a query fails.
pub async fn reserve(
    db: &impl ConnectionTrait,
    throttle: LoginThrottle,
    attempt: Attempt<'_>,
) -> Result<Reservation, ApiError> {
    let max = i32::try_from(throttle.max_failures).unwrap_or(i32::MAX);
    // Each lost race means another attempt took a slot, and only `max` can be taken; the
    // bound only matters if successful logins keep emptying the pair meanwhile. Giving up
    // answers 429, never an extra password check.
    let rounds = throttle.max_failures.min(32) + 2;
    for _ in 0..rounds {
        let now = db::now();
        let cutoff = now - window(throttle);
        let slots: Vec<(i32, DateTime<Utc>)> = login_failure::Entity::find()
            .select_only()
            .column(login_failure::Column::Slot)
            .column(login_failure::Column::FailedAt)
            .filter(login_failure::Column::EmailKey.eq(attempt.email_key))
            .filter(login_failure::Column::ClientIp.eq(attempt.client_ip))
            .order_by_asc(login_failure::Column::Slot)
            .into_model::<TakenSlot>()
            .all(db)
            .await?
            .into_iter()
            .map(|taken| (taken.slot, taken.failed_at))
            .collect();
        let id = Uuid::new_v4();
        let claimed = if let Some((slot, _)) = slots.iter().find(|(_, at)| *at <= cutoff) {
            take_over(db, attempt, *slot, id, now, cutoff).await?
        } else if let Some(slot) = (0..max).find(|n| !slots.iter().any(|(s, _)| s == n)) {
            insert(db, attempt, slot, id, now).await?
        } else {
            return Err(ApiError::RateLimited(retry_after(&slots, now, throttle)));
        };
        if claimed {
            return Ok(Reservation { id });
        }
    }
    Err(ApiError::RateLimited(1))
}

/// Takes over `slot` if its failure is still outside the window when the row is written.
async fn take_over(
    db: &impl ConnectionTrait,
    attempt: Attempt<'_>,
    slot: i32,
    id: Uuid,
    now: DateTime<Utc>,
    cutoff: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let updated = login_failure::Entity::update_many()
        .col_expr(login_failure::Column::Id, Expr::value(id))
        .col_expr(login_failure::Column::FailedAt, Expr::value(now))
        .filter(login_failure::Column::EmailKey.eq(attempt.email_key))
        .filter(login_failure::Column::ClientIp.eq(attempt.client_ip))
        .filter(login_failure::Column::Slot.eq(slot))
        .filter(login_failure::Column::FailedAt.lte(cutoff))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Claims the never-used `slot`, unless a concurrent attempt claimed it first.
async fn insert(
    db: &impl ConnectionTrait,
    attempt: Attempt<'_>,
    slot: i32,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let result = login_failure::Entity::insert(login_failure::ActiveModel {
        id: Set(id),
        email_key: Set(attempt.email_key.to_owned()),
        client_ip: Set(attempt.client_ip.to_owned()),
        slot: Set(slot),
        failed_at: Set(now),
    })
    .on_conflict_do_nothing_on([
        login_failure::Column::EmailKey,
        login_failure::Column::ClientIp,
        login_failure::Column::Slot,
    ])
    .exec_without_returning(db)
    .await?;
    Ok(matches!(result, TryInsertResult::Inserted(1)))
}

/// Seconds until the oldest failure of a full pair leaves the window (at least 1).
fn retry_after(slots: &[(i32, DateTime<Utc>)], now: DateTime<Utc>, throttle: LoginThrottle) -> u64 {
    let oldest = slots.iter().map(|(_, at)| *at).min().unwrap_or(now);
    let remaining = (oldest + window(throttle) - now).num_milliseconds();
    u64::try_from((remaining + 999) / 1000).unwrap_or(0).max(1)
}

/// Forgets the pair's failures: a successful login resets the count.
///
/// # Errors
/// [`ApiError::Database`] if the delete fails.
pub async fn clear(db: &impl ConnectionTrait, attempt: Attempt<'_>) -> Result<(), ApiError> {
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::EmailKey.eq(attempt.email_key))
        .filter(login_failure::Column::ClientIp.eq(attempt.client_ip))
        .exec(db)
        .await?;
    Ok(())
}

/// Checks a password under the lockout: counts the attempt first, runs `check`, and then
/// keeps the count (wrong password), clears the pair (right password), or gives the count
/// back (the check could not run, e.g. the hashing queue is full).
///
/// # Errors
/// [`ApiError::RateLimited`] when the pair is locked out, without running `check`; the
/// error of `check`; or [`ApiError::Database`].
pub async fn checked<F>(
    db: &Db,
    throttle: LoginThrottle,
    attempt: Attempt<'_>,
    check: F,
) -> Result<bool, ApiError>
where
    F: Future<Output = Result<bool, ApiError>>,
{
    let mut pending = CheckUnderWay {
        db: db.clone(),
        reservation: Some(reserve(db, throttle, attempt).await?),
    };
    let outcome = check.await;
    // Answered: from here on the attempt counts as its outcome says.
    let reservation = pending.reservation.take();
    match outcome {
        Ok(true) => {
            clear(db, attempt).await?;
            Ok(true)
        }
        Ok(false) => Ok(false),
        Err(e) => {
            if let Some(reservation) = reservation
                && let Err(release) = reservation.release(db).await
            {
                tracing::error!(error = %release, "could not give back a login attempt");
            }
            Err(e)
        }
    }
}

/// A counted attempt whose check has not answered yet. If the request is dropped meanwhile
/// (its caller went away), the attempt is given back in the background: a `Drop` cannot
/// wait for the database.
struct CheckUnderWay {
    db: Db,
    reservation: Option<Reservation>,
}

impl Drop for CheckUnderWay {
    fn drop(&mut self) {
        let Some(reservation) = self.reservation.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let db = self.db.clone();
        runtime.spawn(async move {
            if let Err(error) = reservation.release(&db).await {
                tracing::error!(%error, "could not give back an abandoned login attempt");
            }
        });
    }
}

fn window(throttle: LoginThrottle) -> Duration {
    Duration::from_std(throttle.window).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::{email_key, key_for_normalized};

    #[test]
    fn a_valid_email_is_keyed_by_its_normalised_form() {
        assert_eq!(email_key("  Ada@Example.COM "), "ada@example.com");
        assert_eq!(key_for_normalized("ada@example.com"), "ada@example.com");
    }

    #[test]
    fn keys_always_fit_the_column_whatever_was_typed() {
        let growing = format!("{}@example.com", "İ".repeat(240));
        let cases = [
            growing.as_str(),
            "nul\u{0}@example.com",
            "no-at-sign",
            "",
            &"x".repeat(10_000),
        ];
        for typed in cases {
            let key = email_key(typed);
            assert!(key.chars().count() <= 254, "{typed:?}");
            assert!(!key.contains('\0'), "{typed:?}");
        }
        assert_eq!(email_key(&growing), email_key(&growing.to_uppercase()));
        assert!(email_key("no-at-sign").starts_with("sha256:"));
    }
}
