//! Health, readiness and metrics.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    // Operators can probe the process, the database and the counters.
    let app = spawn_app().await;
    assert_eq!(app.get_page(&client(), "/healthz").await.0, StatusCode::OK);
    let (status, _, body) = app.get_page(&client(), "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.get_page(&client(), "/signin").await;
    let (status, headers, body) = app.get_page(&client(), "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/plain")
    );
    assert!(body.contains("lyceum_http_requests_total"), "{body}");
    assert!(body.contains("route=\"/signin\""));
    assert!(body.contains("lyceum_jobs_pending"));
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_the_auth_operations() {
    // Clients can generate code from the served document.
    let app = spawn_app().await;
    let (status, doc) = app.get_json(&client(), "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        doc["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.1")
    );
    for path in ["/auth/signup", "/auth/signin", "/auth/signout", "/me"] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}
