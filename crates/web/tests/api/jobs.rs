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
        .expect("scheduling twice queues one job");
    assert_eq!(app.store.jobs().pending().await.expect("count"), 1);
    app.clock.advance(chrono::Duration::days(31));
    let bo = app.sign_up("bo@example.org", "Bo").await;
    assert_eq!(worker.run_due().await.expect("run"), 1);
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
