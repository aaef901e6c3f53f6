//! The durable job queue, driven by the test clock.

use crate::helpers::*;
use lyceum_store::jobs::{Worker, backoff_ms};

#[tokio::test]
async fn a_claimed_job_is_not_handed_out_twice() {
    // Two workers asking at once: only one gets the job.
    let app = spawn_app().await;
    let now = app.store.now_ms();
    app.store
        .jobs()
        .enqueue("test.noop", serde_json::json!({"n": 1}), now)
        .await
        .expect("enqueue");
    let a = app.store.jobs().claim().await.expect("claim");
    let b = app.store.jobs().claim().await.expect("claim");
    assert!(a.is_some());
    assert!(b.is_none());
    assert_eq!(a.expect("job").payload["n"], 1);
}

#[tokio::test]
async fn a_failing_job_is_retried_with_backoff_then_kept_as_dead() {
    // A job whose handler fails runs again later, each time later still, and stops after its last try.
    let app = spawn_app().await;
    let mut worker = Worker::new(app.store.clone());
    worker.register("test.fail", |_, _| {
        Box::pin(async { Err("always fails".to_owned()) })
    });
    app.store
        .jobs()
        .enqueue("test.fail", serde_json::Value::Null, app.store.now_ms())
        .await
        .expect("enqueue");
    assert_eq!(worker.run_due().await.expect("run"), 1);
    // Not due again until the backoff passes.
    assert_eq!(worker.run_due().await.expect("run"), 0);
    for attempt in 1..8 {
        app.clock
            .advance(chrono::Duration::milliseconds(backoff_ms(attempt) + 1));
        assert_eq!(
            worker.run_due().await.expect("run"),
            1,
            "attempt {}",
            attempt + 1
        );
    }
    app.clock.advance(chrono::Duration::days(2));
    assert_eq!(worker.run_due().await.expect("run"), 0);
    assert_eq!(app.store.jobs().dead().await.expect("count"), 1);
}

#[tokio::test]
async fn a_job_held_by_a_crashed_worker_runs_again_after_its_lease() {
    // A worker that dies holding a job does not lose it.
    let app = spawn_app().await;
    app.store
        .jobs()
        .enqueue("test.noop", serde_json::Value::Null, app.store.now_ms())
        .await
        .expect("enqueue");
    assert!(app.store.jobs().claim().await.expect("claim").is_some());
    app.clock.advance(chrono::Duration::minutes(6));
    let again = app
        .store
        .jobs()
        .claim()
        .await
        .expect("claim")
        .expect("job is free again");
    assert_eq!(again.attempts, 2);
}

#[tokio::test]
async fn the_scheduled_purge_removes_expired_sessions() {
    // Expired sessions disappear when the hourly purge runs; live ones stay.
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let worker = Worker::new(app.store.clone());
    worker.ensure_schedules().await.expect("schedule");
    worker
        .ensure_schedules()
        .await
        .expect("scheduling twice queues each job once");
    // The scrubber and the timeline trim.
    assert_eq!(app.store.jobs().pending().await.expect("count"), 2);
    app.clock.advance(chrono::Duration::days(31));
    let bo = app.sign_up("bo@example.org", "Bo").await;
    assert_eq!(worker.run_due().await.expect("run"), 2);
    use sea_orm::{EntityTrait, PaginatorTrait};
    let left = lyceum_store::entity::session::Entity::find()
        .count(&app.store.db)
        .await
        .expect("count");
    assert_eq!(left, 1, "only Bo's fresh session remains");
    assert_eq!(
        app.get_json(&bo.client, "/api/v1/me").await.0,
        reqwest::StatusCode::OK
    );
    assert_eq!(
        app.get_json(&ann.client, "/api/v1/me").await.0,
        reqwest::StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_scrubber_removes_exactly_what_has_expired_per_category() {
    // Sessions go at their expiry; a closed account goes after the grace period, not a day before.
    use lyceum_store::entity::member;
    use lyceum_store::retention::RetentionConfig;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let bo = app.sign_up("bo@example.org", "Bo").await;
    let (_, bo_me) = app.get_json(&bo.client, "/api/v1/me").await;
    let bo_id: uuid::Uuid = bo_me["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("id");
    // Bo's account was closed but its erasure job never ran (a crash, a failed job).
    member::Entity::update_many()
        .col_expr(member::Column::Status, Expr::value("closed"))
        .col_expr(member::Column::ClosedAt, Expr::value(app.store.now_ms()))
        .filter(member::Column::Id.eq(bo_id))
        .exec(&app.store.writer)
        .await
        .expect("close");
    let config = RetentionConfig::default();
    let count_members = || member::Entity::find().count(&app.store.db);

    app.clock.advance(chrono::Duration::days(29));
    let report = app.store.scrub(config).await.expect("scrub");
    assert_eq!(
        (report.expired_sessions, report.erased_accounts),
        (0, 0),
        "nothing has expired after 29 days"
    );
    assert_eq!(count_members().await.expect("count"), 2);
    assert_eq!(
        app.get_json(&ann.client, "/api/v1/me").await.0,
        reqwest::StatusCode::OK
    );

    app.clock.advance(chrono::Duration::days(2));
    let report = app.store.scrub(config).await.expect("scrub");
    assert_eq!(
        report.erased_accounts, 1,
        "the closed account is gone after 30 days"
    );
    assert_eq!(
        report.expired_sessions, 2,
        "both 30-day sessions have expired"
    );
    assert_eq!(count_members().await.expect("count"), 1);
    assert_eq!(
        app.get_json(&ann.client, "/api/v1/me").await.0,
        reqwest::StatusCode::UNAUTHORIZED
    );
    assert!(matches!(
        app.store
            .keyring
            .get(lyceum_core::domain::SubjectId(bo_id))
            .await,
        Err(lyceum_store::StoreError::KeyDestroyed)
    ));
    // Ann's account itself stays: it is open.
    let (s, _, _) = app
        .post_json(
            &client(),
            "/api/v1/auth/signin",
            serde_json::json!({"email": "ann@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::OK);
}

#[tokio::test]
async fn an_operator_may_keep_closed_accounts_for_less_time() {
    // With a 7-day grace period, a closed account is erased on day 8.
    use lyceum_store::entity::member;
    use lyceum_store::retention::RetentionConfig;
    use sea_orm::{EntityTrait, PaginatorTrait, sea_query::Expr};
    let app = spawn_app().await;
    app.sign_up("bo@example.org", "Bo").await;
    member::Entity::update_many()
        .col_expr(member::Column::Status, Expr::value("closed"))
        .col_expr(member::Column::ClosedAt, Expr::value(app.store.now_ms()))
        .exec(&app.store.writer)
        .await
        .expect("close");
    app.clock.advance(chrono::Duration::days(8));
    let report = app
        .store
        .scrub(RetentionConfig {
            closed_account_days: 7,
            ..RetentionConfig::default()
        })
        .await
        .expect("scrub");
    assert_eq!(report.erased_accounts, 1);
    assert_eq!(
        member::Entity::find()
            .count(&app.store.db)
            .await
            .expect("count"),
        0
    );
}
