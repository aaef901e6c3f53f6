//! Operations endpoints: liveness, readiness and Prometheus metrics. They
//! carry no personal data; metrics labels are route patterns and statuses.

use crate::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The operations routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok\n"
}

/// The databases answer and their migrations are current.
async fn readyz(State(state): State<AppState>) -> Response {
    if state.store.is_ready().await {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: database unreachable or migrations pending\n",
        )
            .into_response()
    }
}

/// Prometheus text format.
async fn metrics(State(state): State<AppState>) -> Response {
    if let (Ok(pending), Ok(dead)) = (
        state.store.jobs().pending().await,
        state.store.jobs().dead().await,
    ) {
        metrics::gauge!("lyceum_jobs_pending").set(pending as f64);
        metrics::gauge!("lyceum_jobs_dead").set(dead as f64);
    }
    let mut res = state.metrics.render().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res
}
