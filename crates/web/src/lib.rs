//! Lyceum's HTTP layer: the HTML pages, the JSON API under `/api/v1`,
//! sessions, security middleware and the operations endpoints.
//!
//! Handlers stay thin: they extract input, call one use case (in
//! [`auth`] or the store), and map the result to a page or JSON. Errors are
//! one [`error::AppError`], answered as a problem document by the API and
//! as an HTML page by the pages.

pub mod api;
pub mod auth;
pub mod breaches;
pub mod collections;
pub mod error;
pub mod export;
pub mod extract;
pub mod instructors;
pub mod learning_api;
pub mod learning_pages;
pub mod library_api;
pub mod library_pages;
pub mod markdown;
pub mod network_api;
pub mod network_pages;
pub mod notice;
pub mod oidc;
pub mod ops;
pub mod pages;
pub mod password_reset;
pub mod patrons;
pub mod post_images;
pub mod providers;
pub mod questions;
pub mod search;
pub mod security;
pub mod session;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Request;
use axum::middleware::from_fn;
use axum::response::{IntoResponse, Response};
use lyceum_store::Store;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use security::{Limit, RateLimiter};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

/// Rate limits on authentication. `max = 0` turns a limit off (for load
/// tests only).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct RateLimits {
    /// Sign-in attempts per client address.
    pub signin_per_ip: Limit,
    /// Sign-in attempts per account (and password changes per member).
    pub signin_per_account: Limit,
    /// Sign-ups per client address.
    pub signup_per_ip: Limit,
    /// Card sign-in attempts per card (counted by pseudonym), so a PIN
    /// cannot be guessed.
    pub patron_per_card: Limit,
    /// Card sign-in attempts per library, so many cards cannot be tried
    /// at once against one library's system.
    pub patron_per_library: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            signin_per_ip: Limit {
                max: 30,
                window_secs: 60,
            },
            signin_per_account: Limit {
                max: 10,
                window_secs: 15 * 60,
            },
            signup_per_ip: Limit {
                max: 10,
                window_secs: 3600,
            },
            patron_per_card: Limit {
                max: 8,
                window_secs: 15 * 60,
            },
            patron_per_library: Limit {
                max: 600,
                window_secs: 60,
            },
        }
    }
}

/// Settings of the HTTP layer.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct WebConfig {
    /// Mark the cookie `Secure` (set when Lyceum is served over HTTPS).
    pub secure_cookies: bool,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Authentication rate limits.
    pub rate_limits: RateLimits,
    /// Reverse proxies whose `X-Forwarded-For` is believed (for rate
    /// limits). Empty: the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The address people reach this instance at (`https://learn.example.org`),
    /// for links that leave it, such as the OpenID Connect return address.
    /// Unset: taken from the request's Host header.
    pub public_url: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            max_body_bytes: 64 * 1024,
            rate_limits: RateLimits::default(),
            trusted_proxies: Vec::new(),
            public_url: None,
        }
    }
}

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Storage: databases, keyring, job queue and the clock.
    pub store: Store,
    /// HTTP settings.
    pub config: Arc<WebConfig>,
    /// Authentication attempt counters, in memory only.
    pub limiter: Arc<RateLimiter>,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
    /// Everyone outside the instance who may receive personal data, as
    /// the operator configured them; the privacy notice lists them.
    pub recipients: Arc<Vec<lyceum_store::ledger::Recipient>>,
    /// The operator's retention settings, as the privacy notice states them.
    pub retention: lyceum_store::retention::RetentionConfig,
    /// Whether this instance sends email (a mail relay is configured).
    pub sends_mail: bool,
    /// One SIP2 client (with its pooled connection) per library.
    pub sip2: Arc<patrons::Sip2Clients>,
    /// OpenID Connect: the HTTP client and discovered provider metadata.
    pub oidc: Arc<oidc::OidcClient>,
    /// Media files (lesson videos): a local directory, or in memory until
    /// one is configured.
    pub media: lyceum_media::Media,
    /// The catalog's search index on this node.
    pub search: Arc<search::CatalogSearch>,
    /// Published course outlines, briefly (see `learning_pages::published_course`).
    pub courses: Arc<learning_pages::CourseCache>,
    /// Set once the first operator exists, so the home page stops asking
    /// the database (it never goes back to false).
    set_up: Arc<AtomicBool>,
}

impl AppState {
    /// The instance's public address without a trailing slash: the
    /// configured `public_url`, or else the request's host.
    pub fn public_base(&self, host: Option<&str>) -> String {
        match &self.config.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => {
                let scheme = if self.config.secure_cookies {
                    "https"
                } else {
                    "http"
                };
                format!("{scheme}://{}", host.unwrap_or("localhost"))
            }
        }
    }

    /// [`AppState::public_base`] for a request.
    pub fn base_url(&self, headers: &axum::http::HeaderMap) -> String {
        self.public_base(
            headers
                .get(axum::http::header::HOST)
                .and_then(|h| h.to_str().ok()),
        )
    }

    /// State over a store.
    pub fn new(store: Store, config: WebConfig) -> Self {
        Self {
            store,
            config: Arc::new(config),
            limiter: Arc::new(RateLimiter::default()),
            metrics: metrics_handle(),
            recipients: Arc::new(Vec::new()),
            retention: lyceum_store::retention::RetentionConfig::default(),
            sends_mail: false,
            sip2: Arc::new(patrons::Sip2Clients::default()),
            oidc: Arc::new(oidc::OidcClient::default()),
            media: lyceum_media::Media::in_memory(),
            courses: Arc::new(learning_pages::CourseCache::default()),
            search: Arc::new(
                search::CatalogSearch::new().expect("an empty in-memory index can always be made"),
            ),
            set_up: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Sets where media files live.
    pub fn with_media(mut self, media: lyceum_media::Media) -> Self {
        self.media = media;
        self
    }

    /// Sets the configured recipients.
    pub fn with_recipients(mut self, recipients: Vec<lyceum_store::ledger::Recipient>) -> Self {
        self.recipients = Arc::new(recipients);
        self
    }

    /// Says whether a mail relay is configured (email digests can be sent).
    pub fn with_mail(mut self, sends_mail: bool) -> Self {
        self.sends_mail = sends_mail;
        self
    }

    /// Sets the retention settings the notice states.
    pub fn with_retention(mut self, retention: lyceum_store::retention::RetentionConfig) -> Self {
        self.retention = retention;
        self
    }

    /// A recipient's name and country, for display.
    pub fn recipient_label(&self, key: &str) -> String {
        self.recipients
            .iter()
            .find(|r| r.key == key)
            .map(|r| format!("{} ({})", r.name, r.country))
            .unwrap_or_else(|| key.to_owned())
    }

    /// Whether the first operator account exists.
    pub async fn is_set_up(&self) -> Result<bool, lyceum_store::StoreError> {
        if self.set_up.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let yes = self.store.accounts().operator_exists().await?;
        if yes {
            self.set_up.store(true, Ordering::Relaxed);
        }
        Ok(yes)
    }

    pub(crate) fn mark_set_up(&self) {
        self.set_up.store(true, Ordering::Relaxed);
    }
}

/// The process-wide Prometheus recorder. A process has one metrics
/// registry; tests that start several apps in one process share it.
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first, in which
            // case this handle renders an empty page rather than crashing.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    Router::new()
        .merge(pages::router())
        .merge(password_reset::router())
        .merge(library_pages::router())
        .merge(learning_pages::router())
        .merge(instructors::router())
        .merge(questions::router())
        .merge(collections::router())
        .merge(providers::router())
        .merge(network_pages::router())
        .merge(breaches::router())
        .nest(
            "/api/v1",
            api::router()
                .merge(library_api::router())
                .merge(learning_api::router())
                .merge(instructors::api_router())
                .merge(questions::api_router())
                .merge(collections::api_router())
                .merge(search::api_router())
                .merge(providers::api_router())
                .merge(breaches::api_router())
                .merge(network_api::router())
                .merge(password_reset::api_router()),
        )
        .merge(ops::router())
        .route_layer(from_fn(security::metrics))
        .fallback(fallback)
        .layer(from_fn(security::same_origin))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(from_fn(security::headers))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a handler panicked");
            error::PageError(error::AppError::Internal("handler panicked".into())).into_response()
        }))
        .layer(from_fn(request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Wraps each request in a span carrying its id, so an error logged deep
/// inside can be matched to the response the client saw. Only the method
/// and the path are logged: paths hold ids, never personal values (and a
/// reset link's token is left out).
async fn request_span(req: Request<axum::body::Body>, next: axum::middleware::Next) -> Response {
    use tracing::Instrument;
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    // A password-reset link's path is a secret for its hour: logged
    // without the token.
    let path = req.uri().path();
    let path = if path.starts_with("/password/reset/") {
        "/password/reset/…"
    } else {
        path
    };
    let span = tracing::info_span!("request", id = %id, method = %req.method(), path = %path);
    async move {
        let res = next.run(req).await;
        tracing::debug!(status = res.status().as_u16(), "answered");
        res
    }
    .instrument(span)
    .await
}

async fn fallback(req: Request<axum::body::Body>) -> Response {
    let e = error::AppError::NotFound;
    if req.uri().path().starts_with("/api/") {
        error::ApiError(e).into_response()
    } else {
        error::PageError(e).into_response()
    }
}

/// Serves until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Live streams never finish by themselves; end them when stopping so
    // the graceful shutdown does not wait on open pages.
    let hub = state.store.hub.clone();
    let shutdown = async move {
        shutdown.await;
        hub.close();
    };
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
