//! Building the application from its [`Config`] and serving it.
//!
//! [`Application::build`] connects to the database, migrates it, binds the listener and
//! assembles the router; the integration tests call it with port 0 and talk to the
//! resulting server over a real socket.

use std::{net::SocketAddr, sync::Arc};

use axum::{Router, http::HeaderValue, middleware};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    cors::{AllowOrigin, CorsLayer},
    trace::TraceLayer,
};

use app::{App, shell};

use crate::{
    auth::{jwt::TokenKeys, password::PasswordHasher},
    config::Config,
    db::{self, Db, DbStartError},
    error::ApiError,
    events::Events,
    mail, routes,
    security_headers::{PagePolicy, security_headers},
    services::reset_requests::ResetRequests,
    state::AppState,
    static_files,
};

/// A server that is bound to its address and ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    address: SocketAddr,
    events: Events,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DbStartError),
    #[error("BCRYPT_COST: {0}")]
    Passwords(String),
    #[error("{0}")]
    Mail(String),
    #[error("{0}")]
    Events(String),
    #[error("LEPTOS_SITE_ADDR: cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
}

impl Application {
    /// Connects to and migrates the database, then binds `config.site_addr`.
    ///
    /// # Errors
    /// [`StartupError`] when the database is unusable or the address cannot be bound.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let db = db::connect_and_migrate(&config.database_url).await?;
        Self::build_with_db(config, db).await
    }

    /// Like [`Application::build`], on an already open and migrated database.
    ///
    /// # Errors
    /// [`StartupError::Bind`] when the address cannot be bound.
    pub async fn build_with_db(config: Config, db: Db) -> Result<Self, StartupError> {
        let listener = TcpListener::bind(config.site_addr)
            .await
            .map_err(|source| StartupError::Bind {
                address: config.site_addr,
                source,
            })?;
        let address = listener.local_addr().map_err(|source| StartupError::Bind {
            address: config.site_addr,
            source,
        })?;
        let mailer = mail::Mailer::new(&config.mail).map_err(StartupError::Mail)?;
        let reset_requests = ResetRequests::start(db.clone(), config.mail.clone(), mailer);
        let events = Events::start(&db, &config.database_url, config.live)
            .await
            .map_err(StartupError::Events)?;
        let state = AppState {
            db,
            reset_requests,
            events: events.clone(),
            keys: Arc::new(TokenKeys::new(&config.tokens)),
            passwords: PasswordHasher::new(&config.passwords)
                .await
                .map_err(|e| StartupError::Passwords(e.to_string()))?,
            leptos_options: config.leptos.clone(),
            config: Arc::new(config),
        };
        Ok(Self {
            listener,
            router: router(state),
            address,
            events,
        })
    }

    /// The address the server listens on (with the real port when 0 was asked for).
    #[must_use]
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The port the server listens on.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Serves requests until SIGINT or SIGTERM, then lets in-flight requests finish. Live
    /// update streams end at once: they would never finish on their own.
    ///
    /// # Errors
    /// An I/O error from the listener.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let events = self.events;
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            events.shut_down();
        })
        .await
    }
}

/// The whole application: pages and static files, health checks, and the API. Pages are
/// compressed as they are sent; the bundle was compressed when it was built.
pub fn router(state: AppState) -> Router {
    let leptos_options = state.leptos_options.clone();
    let watching = std::env::var_os("LEPTOS_WATCH").is_some();
    let page_policy = PagePolicy::new(watching.then_some(leptos_options.reload_port));
    let cors = cors_layer(&state.config.cors_allowed_origins);

    let separate_bundles = state.config.separate_bundles.clone();
    let pages = Router::new()
        .leptos_routes(&state, generate_route_list(App), {
            let options = leptos_options.clone();
            move || shell(options.clone(), &separate_bundles)
        })
        // A path no page has: the 404 page, whose only island is the one every page has.
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            |options| shell(options, &[]),
        ))
        .layer(CompressionLayer::new());

    let mut api = routes::api_router();
    if let Some(cors) = cors {
        api = api.layer(cors);
    }

    pages
        .merge(static_files::pkg_router(
            &leptos_options.site_root,
            &leptos_options.site_pkg_dir,
            leptos_options.hash_files,
        ))
        .merge(routes::health_router())
        .merge(api)
        .layer(middleware::from_fn_with_state(
            page_policy,
            security_headers,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(ApiError::Internal(
                "a handler panicked".to_owned(),
            ))
        }))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// CORS only for the origins listed in `CORS_ALLOWED_ORIGINS`; with none listed, no
/// `Access-Control-Allow-Origin` is ever sent.
fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods(tower_http::cors::Any)
            .allow_headers([
                axum::http::header::AUTHORIZATION,
                axum::http::header::CONTENT_TYPE,
            ]),
    )
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (what `kill` and orchestrators send).
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
