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

#[tokio::test]
async fn the_sqlite_memory_map_setting_reaches_every_connection() {
    // An operator's `sqlite_mmap_mb` is what each reader and the writer
    // use (the test store sets 64 MB); PostgreSQL has no such setting.
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = spawn_app().await;
    if app.is_postgres {
        return;
    }
    let store = &app.store;
    // A transaction holds its connection, so holding as many as the pool
    // has (five readers, one writer) reads the setting on each of them.
    for (name, db, size) in [("reader", &store.db, 5), ("writer", &store.writer, 1)] {
        let mut held = Vec::new();
        for _ in 0..size {
            let tx = db.begin().await.expect("a connection");
            let row = tx
                .query_one_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    "PRAGMA mmap_size",
                ))
                .await
                .expect("pragma")
                .expect("a row");
            let mapped: i64 = row.try_get_by_index(0).expect("a number");
            assert_eq!(mapped, 64 << 20, "{name}");
            held.push(tx);
        }
    }
}

#[tokio::test]
async fn connections_the_database_server_dropped_are_replaced_without_failing_a_request() {
    // A PostgreSQL restart or failover drops every connection a node
    // holds. Connections in steady use are not pinged before each
    // statement, but one idle for a second is, and is replaced if the
    // server has dropped it, so the requests after the server is back
    // succeed. SQLite has no server to lose.
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    if !app.is_postgres {
        return;
    }
    app.sign_up("before@example.org", "Before").await;
    // Every other connection to this app's two databases (data and
    // keyring: readers, the writer, the keyring's pool), as a restart
    // would.
    let row = app
        .store
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.store.db.get_database_backend(),
            "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
             WHERE datname LIKE current_database() || '%' AND pid <> pg_backend_pid()",
        ))
        .await
        .expect("terminate")
        .expect("a row");
    let terminated: i64 = row.try_get("", "n").expect("a count");
    assert!(terminated >= 2, "only {terminated} connections were open");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    // Signing up reads, writes and makes a key: every pool.
    for n in 0..3 {
        app.sign_up(&format!("after{n}@example.org"), "After").await;
    }
    let (status, _, body) = app.get_page(&client(), "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
