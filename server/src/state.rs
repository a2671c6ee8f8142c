//! The state every handler can reach, cloned cheaply per request.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::{
    auth::{jwt::TokenKeys, password::PasswordHasher},
    config::Config,
    db::Db,
    events::Events,
    services::reset_requests::ResetRequests,
};

/// Shared by all requests. Sub-states are extracted with [`FromRef`], so a handler asks
/// only for what it uses.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub keys: Arc<TokenKeys>,
    pub passwords: PasswordHasher,
    pub leptos_options: LeptosOptions,
    /// Password-reset requests, handed to the task that mails the links.
    pub reset_requests: ResetRequests,
    /// Live updates: where writes publish and `GET /events` streams subscribe.
    pub events: Events,
}
