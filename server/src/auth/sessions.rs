//! Sessions: one per login on one device, and the refresh-token chain behind it.
//!
//! The session row holds the `jti` of the one refresh token that may be used next. A
//! refresh swaps it for a new one with a single conditional `UPDATE … WHERE refresh_jti =
//! <presented>`: the database, not process memory, decides which of several concurrent
//! refreshes wins, so this holds across server instances. The losers then find their token
//! to be the immediate predecessor: within the grace window they get the winner's pair
//! (re-signed from the stored claims, so byte for byte the same token); after it, or for
//! any older token, it is reuse, and the whole session is revoked. The window is measured
//! on the database's clock ([`db::database_now`]), the one clock all instances share.
//!
//! Every revocation publishes `session_revoked` for the user in its own transaction (when
//! it revoked anything), so that the user's live-update streams look up their sessions
//! and the ones that ended stop at once, on every instance.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select,
    sea_query::{Expr, Query},
};
use uuid::Uuid;

use app::dto::{self, TokenPair};

use super::{
    UncheckedSession,
    jwt::{Claims, TokenKeys, TokenKind},
};
use crate::{
    db::{self, Db},
    entities::session,
    error::{ApiError, TokenRejection},
    events::{EventTxn, Events, Kind},
};

/// The most characters of a `User-Agent` we keep.
const USER_AGENT_MAX_CHARS: usize = 512;

/// Opens a session for `user` and returns its first token pair.
///
/// # Errors
/// [`ApiError::Database`] if the session cannot be stored.
#[tracing::instrument(skip(db, keys))]
pub async fn start(
    db: &impl ConnectionTrait,
    keys: &TokenKeys,
    user: Uuid,
    user_agent: Option<&str>,
) -> Result<TokenPair, ApiError> {
    let now = db::now();
    let refresh = Claims::new(
        TokenKind::Refresh,
        user,
        Uuid::new_v4(),
        Uuid::new_v4(),
        now.timestamp(),
        now.timestamp() + keys.refresh_ttl,
    );
    session::Entity::insert(session::ActiveModel {
        id: Set(refresh.sid),
        user_id: Set(user),
        refresh_jti: Set(refresh.jti),
        refresh_issued_at: Set(refresh.iat),
        refresh_expires_at: Set(refresh.exp),
        previous_refresh_jti: Set(None),
        rotated_at: Set(None),
        user_agent: Set(user_agent.map(clean_user_agent)),
        created_at: Set(now),
        last_used_at: Set(now),
        revoked_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    token_pair(keys, &refresh, now)
}

/// Spends `refresh_token` and returns the session's next pair (see the module docs).
///
/// # Errors
/// A 401 [`ApiError::Token`]: `Invalid`/`Expired` for a bad token, `SessionRevoked` for
/// a signed-out session, `RefreshReused` for a spent token (the session is then revoked).
#[tracing::instrument(skip_all)]
pub async fn refresh(
    db: &Db,
    events: &Events,
    keys: &TokenKeys,
    refresh_token: &str,
) -> Result<TokenPair, ApiError> {
    let presented = keys
        .verify(TokenKind::Refresh, refresh_token)
        .map_err(ApiError::Token)?;
    // The database's clock, not this instance's: the grace window is an interval between
    // a rotation (maybe on another instance) and now, and two clocks would let a skewed
    // instance stretch it. So the rotation time is stamped and compared on one clock.
    let now = db::database_now(db).await?;
    let next = Claims::new(
        TokenKind::Refresh,
        presented.sub,
        presented.sid,
        Uuid::new_v4(),
        now.timestamp(),
        now.timestamp() + keys.refresh_ttl,
    );
    let rotated = session::Entity::update_many()
        .col_expr(session::Column::RefreshJti, Expr::value(next.jti))
        .col_expr(session::Column::RefreshIssuedAt, Expr::value(next.iat))
        .col_expr(session::Column::RefreshExpiresAt, Expr::value(next.exp))
        .col_expr(
            session::Column::PreviousRefreshJti,
            Expr::value(Some(presented.jti)),
        )
        .col_expr(session::Column::RotatedAt, Expr::value(Some(now)))
        .col_expr(session::Column::LastUsedAt, Expr::value(now))
        .filter(session::Column::Id.eq(presented.sid))
        .filter(session::Column::UserId.eq(presented.sub))
        .filter(session::Column::RefreshJti.eq(presented.jti))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if rotated {
        return token_pair(keys, &next, now);
    }

    // Not the current token (or the session is gone): find out which case this is.
    let Some(current) = session::Entity::find_by_id(presented.sid)
        .filter(session::Column::UserId.eq(presented.sub))
        .one(db)
        .await?
    else {
        return Err(ApiError::Token(TokenRejection::SessionRevoked));
    };
    if current.revoked_at.is_some() {
        // A spent token stays a spent token after the session ends: of ten concurrent
        // replays, the ones that arrive after the first has revoked the session are reuse
        // too. The session's last token, though, was simply signed out.
        return Err(ApiError::Token(if current.refresh_jti == presented.jti {
            TokenRejection::SessionRevoked
        } else {
            TokenRejection::RefreshReused
        }));
    }
    if within_grace(&current, presented.jti, now, keys.reuse_grace) {
        let refresh = Claims::new(
            TokenKind::Refresh,
            current.user_id,
            current.id,
            current.refresh_jti,
            current.refresh_issued_at,
            current.refresh_expires_at,
        );
        return token_pair(keys, &refresh, now);
    }
    tracing::warn!(session = %current.id, "refresh token reuse: revoking the session");
    let mut txn = events.begin(db).await?;
    revoke(&mut txn, current.user_id, current.id).await?;
    txn.commit().await?;
    Err(ApiError::Token(TokenRejection::RefreshReused))
}

/// Whether `jti` is the token spent by the session's last rotation, presented again
/// within `grace_seconds` of it.
fn within_grace(
    session: &session::Model,
    jti: Uuid,
    now: DateTime<Utc>,
    grace_seconds: i64,
) -> bool {
    grace_seconds > 0
        && session.previous_refresh_jti == Some(jti)
        && session
            .rotated_at
            .is_some_and(|at| (now - at).num_milliseconds() <= grace_seconds * 1000)
}

/// Whether an access token of `session` for `user` may still be used: one primary-key
/// lookup, done on every authenticated request so that revocation takes effect at once.
///
/// # Errors
/// [`ApiError::Database`] if the lookup fails.
pub async fn is_live(
    db: &impl ConnectionTrait,
    session: Uuid,
    user: Uuid,
) -> Result<bool, ApiError> {
    let caller = UncheckedSession {
        user_id: user,
        session_id: session,
    };
    Ok(find_live(caller).one(db).await?.is_some())
}

/// The condition that `caller`'s session is live, to add to a query about the caller's
/// own rows: `EXISTS (SELECT 1 FROM sessions WHERE id = … AND user_id = … AND revoked_at
/// IS NULL)`. A query that finds nothing with it is a signed-out session (a 401) where
/// the row must exist for a live session ([`live_session`]), and either that or a
/// missing row where it need not ([`missing_row`]).
#[must_use]
pub fn live_condition(caller: UncheckedSession) -> Expr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(session::Entity)
            .and_where(session::Column::Id.eq(caller.session_id))
            .and_where(session::Column::UserId.eq(caller.user_id))
            .and_where(session::Column::RevokedAt.is_null())
            .to_owned(),
    )
}

/// `caller`'s session, if it is live: the start of a query for the caller's first read
/// that joins what it reads to the session (see [`live_session`]).
#[must_use]
pub fn find_live(caller: UncheckedSession) -> Select<session::Entity> {
    session::Entity::find_by_id(caller.session_id)
        .filter(session::Column::UserId.eq(caller.user_id))
        .filter(session::Column::RevokedAt.is_null())
}

/// Nothing if `caller`'s session is live.
///
/// # Errors
/// [`TokenRejection::SessionRevoked`] when it is not; [`ApiError::Database`] if the
/// query fails.
pub async fn require_live(
    db: &impl ConnectionTrait,
    caller: UncheckedSession,
) -> Result<(), ApiError> {
    let found = find_live(caller).one(db).await?;
    live_session(caller, found).map(drop)
}

/// `input`, or the first error of a request whose session is not checked yet: the 401 of
/// a signed-out session comes before its input's own 400, 404 or 422, as on every route.
/// A handler that takes an [`UncheckedSession`] takes its other extractors as `Result`s
/// and passes what they made here, so that only an invalid request costs a lookup.
///
/// # Errors
/// [`TokenRejection::SessionRevoked`] for an invalid `input` of a signed-out session,
/// `input`'s own error for a live one; [`ApiError::Database`] if the lookup fails.
pub async fn valid_input<T>(
    db: &impl ConnectionTrait,
    caller: UncheckedSession,
    input: Result<T, ApiError>,
) -> Result<T, ApiError> {
    match input {
        Ok(input) => Ok(input),
        Err(invalid) => Err(require_live(db, caller).await.err().unwrap_or(invalid)),
    }
}

/// The error of a read or write of one of the caller's rows, filtered by
/// [`live_condition`], that found none: a signed-out session (401), or no such row
/// (404): [`TokenRejection::SessionRevoked`] or [`ApiError::NotFound`], or
/// [`ApiError::Database`] if the lookup fails. Only this path, the rare one, costs a
/// second lookup.
pub async fn missing_row(db: &impl ConnectionTrait, caller: UncheckedSession) -> ApiError {
    require_live(db, caller)
        .await
        .err()
        .unwrap_or(ApiError::NotFound)
}

/// `caller`'s user id, for the statement that checks the session with
/// [`live_condition`] or [`find_live`], and for what follows once one has: a statement
/// that found nothing turns that into a rejection with [`live_session`] or
/// [`missing_row`].
#[must_use]
pub fn caller_id(caller: UncheckedSession) -> Uuid {
    caller.user_id
}

/// `found` (the result of a read filtered by [`live_condition`] or built on
/// [`find_live`]), or the 401 of a signed-out session when it is `None`.
///
/// # Errors
/// [`TokenRejection::SessionRevoked`] when nothing was found.
pub fn live_session<T>(caller: UncheckedSession, found: Option<T>) -> Result<T, ApiError> {
    found.ok_or_else(|| {
        tracing::debug!(session = %caller.session_id, "access token of a revoked session");
        ApiError::Token(TokenRejection::SessionRevoked)
    })
}

/// Revokes one session of `user`, in `txn`; revoking a revoked session changes nothing
/// and publishes nothing. Returns whether it was live.
///
/// # Errors
/// [`ApiError::Database`] if the update fails.
pub async fn revoke(txn: &mut EventTxn<'_>, user: Uuid, session: Uuid) -> Result<bool, ApiError> {
    let revoked = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(Some(db::now())))
        .filter(session::Column::Id.eq(session))
        .filter(session::Column::UserId.eq(user))
        .filter(session::Column::RevokedAt.is_null())
        .exec(txn.conn())
        .await?
        .rows_affected;
    announce(txn, user, revoked).await?;
    Ok(revoked > 0)
}

/// Revokes `session` if it belongs to `user`, in `txn`; `false` when it does not exist for
/// them. The update comes first: on SQLite a transaction that reads before it writes may
/// be refused the write lock.
///
/// # Errors
/// [`ApiError::Database`] if a query fails.
pub async fn revoke_owned(
    txn: &mut EventTxn<'_>,
    user: Uuid,
    session: Uuid,
) -> Result<bool, ApiError> {
    if revoke(txn, user, session).await? {
        return Ok(true);
    }
    // Not live: already signed out (fine, idempotent), or not theirs (not found).
    Ok(session::Entity::find_by_id(session)
        .filter(session::Column::UserId.eq(user))
        .one(txn.conn())
        .await?
        .is_some())
}

/// Revokes every session of `user`, in `txn`.
///
/// # Errors
/// [`ApiError::Database`] if the update fails.
pub async fn revoke_all(txn: &mut EventTxn<'_>, user: Uuid) -> Result<(), ApiError> {
    let revoked = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(Some(db::now())))
        .filter(session::Column::UserId.eq(user))
        .filter(session::Column::RevokedAt.is_null())
        .exec(txn.conn())
        .await?
        .rows_affected;
    announce(txn, user, revoked).await
}

/// Publishes `session_revoked` for `user` if `revoked` sessions ended. The event names no
/// session: each stream checks its own (see `events::stream`).
async fn announce(txn: &mut EventTxn<'_>, user: Uuid, revoked: u64) -> Result<(), ApiError> {
    if revoked > 0 {
        txn.publish(user, Kind::SessionRevoked, &serde_json::json!({}))
            .await?;
    }
    Ok(())
}

/// The live sessions of `user`, oldest first, with `current` marking `current_session`.
///
/// # Errors
/// [`ApiError::Database`] if the query fails.
pub async fn list(
    db: &impl ConnectionTrait,
    user: Uuid,
    current_session: Uuid,
) -> Result<Vec<dto::Session>, ApiError> {
    let now = db::now().timestamp();
    let rows = session::Entity::find()
        .filter(session::Column::UserId.eq(user))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::RefreshExpiresAt.gt(now))
        .order_by_asc(session::Column::CreatedAt)
        .order_by_asc(session::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|s| dto::Session {
            current: s.id == current_session,
            id: s.id,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            user_agent: s.user_agent,
        })
        .collect())
}

/// A fresh access token beside the refresh token of `refresh`.
fn token_pair(
    keys: &TokenKeys,
    refresh: &Claims,
    now: DateTime<Utc>,
) -> Result<TokenPair, ApiError> {
    let signing =
        |e: jsonwebtoken::errors::Error| ApiError::Internal(format!("signing a token: {e}"));
    Ok(TokenPair {
        access_token: keys
            .access_token(refresh.sub, refresh.sid, now)
            .map_err(signing)?,
        refresh_token: keys.sign(TokenKind::Refresh, refresh).map_err(signing)?,
        token_type: "bearer".to_owned(),
        expires_in: u64::try_from(keys.access_ttl).unwrap_or(0),
        refresh_expires_in: u64::try_from(refresh.exp - now.timestamp()).unwrap_or(0),
    })
}

/// A user agent fit to store and show: no control characters, bounded length.
fn clean_user_agent(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_control())
        .take(USER_AGENT_MAX_CHARS)
        .collect()
}
