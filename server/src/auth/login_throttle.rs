//! Failed-login lockout (`API.md`, "Abuse limits").
//!
//! After `max_failures` failed logins for one email from one client address within the
//! window, that pair is refused (429) until the oldest of those failures leaves the
//! window, even with the right password. Counts live in the database, so every instance
//! sees the same ones. A locked pair adds no rows, so a pair never holds more than
//! `max_failures` of them; older rows are deleted as new ones arrive.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::{config::LoginThrottle, db, entities::login_failure, error::ApiError};

/// One email from one client address.
#[derive(Clone, Copy, Debug)]
pub struct Attempt<'a> {
    pub email_normalized: &'a str,
    pub client_ip: &'a str,
}

/// `Some(seconds)` until the pair may try again, if it is locked out now.
///
/// # Errors
/// [`ApiError::Database`] if the query fails.
pub async fn lockout_remaining(
    db: &impl ConnectionTrait,
    throttle: LoginThrottle,
    attempt: Attempt<'_>,
) -> Result<Option<u64>, ApiError> {
    let now = db::now();
    let window = window(throttle);
    let recent: Vec<DateTime<Utc>> = login_failure::Entity::find()
        .select_only()
        .column(login_failure::Column::FailedAt)
        .filter(login_failure::Column::EmailNormalized.eq(attempt.email_normalized))
        .filter(login_failure::Column::ClientIp.eq(attempt.client_ip))
        .filter(login_failure::Column::FailedAt.gt(now - window))
        .order_by_desc(login_failure::Column::FailedAt)
        .limit(u64::from(throttle.max_failures))
        .into_tuple()
        .all(db)
        .await?;
    if recent.len() < throttle.max_failures as usize {
        return Ok(None);
    }
    // The lock lifts when the oldest of the last `max_failures` failures leaves the window.
    let oldest = recent.last().copied().unwrap_or(now);
    let remaining = (oldest + window - now).num_milliseconds();
    Ok(Some(
        u64::try_from((remaining + 999) / 1000).unwrap_or(0).max(1),
    ))
}

/// Counts one failed login for the pair, and forgets its failures that left the window.
///
/// # Errors
/// [`ApiError::Database`] if a write fails.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    throttle: LoginThrottle,
    attempt: Attempt<'_>,
) -> Result<(), ApiError> {
    let now = db::now();
    login_failure::Entity::insert(login_failure::ActiveModel {
        id: Set(Uuid::new_v4()),
        email_normalized: Set(attempt.email_normalized.to_owned()),
        client_ip: Set(attempt.client_ip.to_owned()),
        failed_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::EmailNormalized.eq(attempt.email_normalized))
        .filter(login_failure::Column::ClientIp.eq(attempt.client_ip))
        .filter(login_failure::Column::FailedAt.lte(now - window(throttle)))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets the pair's failures: a successful login resets the count.
///
/// # Errors
/// [`ApiError::Database`] if the delete fails.
pub async fn clear(db: &impl ConnectionTrait, attempt: Attempt<'_>) -> Result<(), ApiError> {
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::EmailNormalized.eq(attempt.email_normalized))
        .filter(login_failure::Column::ClientIp.eq(attempt.client_ip))
        .exec(db)
        .await?;
    Ok(())
}

fn window(throttle: LoginThrottle) -> Duration {
    Duration::from_std(throttle.window).unwrap_or(Duration::MAX)
}
