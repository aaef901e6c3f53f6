//! The durable job queue, stored in the main database so a single-machine
//! install needs no broker. Jobs are claimed with a lease: a worker that
//! dies mid-job loses the lease and the job runs again, so handlers must be
//! idempotent (all of ours are: they delete or recompute).
//!
//! PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so several worker nodes
//! never wait on each other. SQLite has one writer at a time, so the same
//! single-statement `UPDATE … RETURNING` is already atomic there.

use crate::entity::job;
use crate::{Store, StoreError};
use lyceum_core::domain::JobId;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, Set,
    Statement,
};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Job {
    /// Its id.
    pub id: JobId,
    /// What to do.
    pub kind: String,
    /// Arguments.
    pub payload: serde_json::Value,
    /// Tries including this one.
    pub attempts: i32,
    /// Tries allowed.
    pub max_attempts: i32,
}

/// How long a worker may hold a job before others may take it again.
const LEASE_MS: i64 = 5 * 60 * 1000;
const DEFAULT_MAX_ATTEMPTS: i32 = 8;

/// The wait before retry `attempt` (1-based): 10 s, 20 s, 40 s … capped at an hour.
pub fn backoff_ms(attempt: i32) -> i64 {
    let exp = attempt.clamp(1, 20) - 1;
    (10_000i64 << exp).min(3_600_000)
}

/// The queue over the store.
#[derive(Debug)]
pub struct Queue<'a> {
    store: &'a Store,
}

impl<'a> Queue<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    fn row(
        &self,
        kind: &str,
        payload: &serde_json::Value,
        run_at: i64,
        unique_key: Option<String>,
    ) -> job::ActiveModel {
        job::ActiveModel {
            id: Set(JobId::new().0),
            kind: Set(kind.to_owned()),
            payload: Set(payload.to_string()),
            unique_key: Set(unique_key),
            status: Set("pending".to_owned()),
            run_at: Set(run_at),
            locked_until: Set(0),
            attempts: Set(0),
            max_attempts: Set(DEFAULT_MAX_ATTEMPTS),
            last_error: Set(None),
            created_at: Set(self.store.now_ms()),
        }
    }

    /// Adds a job to run at `run_at` (ms since the epoch).
    pub async fn enqueue(
        &self,
        kind: &str,
        payload: serde_json::Value,
        run_at: i64,
    ) -> Result<(), StoreError> {
        job::Entity::insert(self.row(kind, &payload, run_at, None))
            .exec(&self.store.writer)
            .await?;
        Ok(())
    }

    /// Adds a job inside the caller's transaction, so that it exists exactly
    /// when the work it stands for was committed.
    pub(crate) async fn enqueue_in(
        &self,
        tx: &impl ConnectionTrait,
        kind: &str,
        payload: serde_json::Value,
        run_at: i64,
    ) -> Result<JobId, StoreError> {
        let id = JobId::new();
        let mut row = self.row(kind, &payload, run_at, None);
        row.id = Set(id.0);
        job::Entity::insert(row).exec_without_returning(tx).await?;
        Ok(id)
    }

    /// Adds a job unless one with the same key is waiting; for scheduled work.
    pub async fn enqueue_unique(
        &self,
        key: &str,
        kind: &str,
        run_at: i64,
    ) -> Result<bool, StoreError> {
        let res = job::Entity::insert(self.row(
            kind,
            &serde_json::Value::Null,
            run_at,
            Some(key.to_owned()),
        ))
        .on_conflict(
            OnConflict::column(job::Column::UniqueKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&self.store.writer)
        .await?;
        Ok(res > 0)
    }

    /// Takes the next due job, if any, under a lease.
    pub async fn claim(&self) -> Result<Option<Job>, StoreError> {
        let now = self.store.now_ms();
        let backend = self.store.backend();
        // One statement, two dialects: only PostgreSQL needs (and has) SKIP LOCKED.
        let lock = if backend == DbBackend::Postgres {
            "FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let mut sql = format!(
            "UPDATE jobs SET locked_until = $1, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM jobs WHERE status = 'pending' AND run_at <= $2 AND locked_until <= $2 \
                         ORDER BY run_at, id LIMIT 1 {lock}) \
             RETURNING id, kind, payload, attempts, max_attempts"
        );
        if backend == DbBackend::Sqlite {
            // SQLite's numbered parameters are `?N`.
            sql = sql.replace('$', "?");
        }
        let stmt =
            Statement::from_sql_and_values(backend, sql, [(now + LEASE_MS).into(), now.into()]);
        let Some(row) = self.store.writer.query_one_raw(stmt).await? else {
            return Ok(None);
        };
        let payload: String = row.try_get("", "payload")?;
        Ok(Some(Job {
            id: JobId(row.try_get("", "id")?),
            kind: row.try_get("", "kind")?,
            payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
            attempts: row.try_get("", "attempts")?,
            max_attempts: row.try_get("", "max_attempts")?,
        }))
    }

    /// Marks a job done: it is removed.
    pub async fn complete(&self, id: JobId) -> Result<(), StoreError> {
        job::Entity::delete_by_id(id.0)
            .exec(&self.store.writer)
            .await?;
        Ok(())
    }

    /// Records a failure: the job runs again after a backoff, or is marked
    /// dead (and kept for operators) after its last try.
    pub async fn fail(&self, job: &Job, error: &str) -> Result<(), StoreError> {
        let now = self.store.now_ms();
        let mut update = job::Entity::update_many()
            .col_expr(
                job::Column::LastError,
                Expr::value(error.chars().take(2000).collect::<String>()),
            )
            .col_expr(job::Column::LockedUntil, Expr::value(0i64));
        if job.attempts >= job.max_attempts {
            update = update
                .col_expr(job::Column::Status, Expr::value("dead"))
                .col_expr(job::Column::UniqueKey, Expr::value(Option::<String>::None));
        } else {
            update = update.col_expr(
                job::Column::RunAt,
                Expr::value(now + backoff_ms(job.attempts)),
            );
        }
        update
            .filter(job::Column::Id.eq(job.id.0))
            .exec(&self.store.writer)
            .await?;
        Ok(())
    }

    /// Jobs waiting (due or not).
    pub async fn pending(&self) -> Result<u64, StoreError> {
        Ok(job::Entity::find()
            .filter(job::Column::Status.eq("pending"))
            .count(&self.store.db)
            .await?)
    }

    /// Jobs that failed for good.
    pub async fn dead(&self) -> Result<u64, StoreError> {
        Ok(job::Entity::find()
            .filter(job::Column::Status.eq("dead"))
            .count(&self.store.db)
            .await?)
    }
}

/// The future a handler returns: `Err` with a message (no personal values) to retry.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
/// A job handler.
pub type Handler = Arc<dyn Fn(Store, Job) -> HandlerFuture + Send + Sync>;

/// Work that recurs: a job of `kind` is kept queued every `every`.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The job kind, also its unique key.
    pub kind: &'static str,
    /// How often.
    pub every: Duration,
}

/// Runs jobs from the queue with registered handlers.
#[derive(Clone)]
pub struct Worker {
    store: Store,
    handlers: HashMap<&'static str, Handler>,
    schedules: Vec<Schedule>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("kinds", &self.handlers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Worker {
    /// A worker with the built-in handlers and schedules.
    pub fn new(store: Store) -> Self {
        Self::with_retention(store, crate::retention::RetentionConfig::default())
    }

    /// A worker whose scrubber uses the operator's retention settings.
    pub fn with_retention(store: Store, retention: crate::retention::RetentionConfig) -> Self {
        let mut w = Self {
            store,
            handlers: HashMap::new(),
            schedules: Vec::new(),
        };
        w.register("retention.scrub", move |store, _job| {
            Box::pin(async move {
                store
                    .scrub(retention)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        });
        w.register(crate::erasure::JOB_KIND, |store, job| {
            Box::pin(async move {
                let subject = job.payload["subject"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .map(lyceum_core::domain::SubjectId)
                    .ok_or_else(|| "erasure job without a subject id".to_owned())?;
                store
                    .erase_rows(subject)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        });
        w.register(crate::learning::NEW_COURSES_JOB, |store, job| {
            Box::pin(async move {
                let courses: Vec<uuid::Uuid> =
                    serde_json::from_value(job.payload["courses"].clone())
                        .map_err(|e| format!("new-courses job without course ids: {e}"))?;
                store
                    .learning()
                    .notify_followers(&courses)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        });
        w.register(crate::network::FANOUT_JOB, |store, job| {
            Box::pin(async move {
                let post = job.payload["post"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| "fan-out job without a post id".to_owned())?;
                store
                    .network()
                    .fan_out(post)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        });
        w.register(crate::network::TRIM_JOB, |store, _job| {
            Box::pin(async move {
                store
                    .trim_timelines()
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        });
        w.schedules.push(Schedule {
            kind: "retention.scrub",
            every: Duration::from_secs(3600),
        });
        w.schedules.push(Schedule {
            kind: crate::network::TRIM_JOB,
            every: Duration::from_secs(3600),
        });
        w
    }

    /// Sends email (only where the operator configured a mail relay):
    /// security notices and password-reset links as they are queued, and
    /// digests that are due,
    /// checked every hour.
    pub fn with_mail(mut self, sender: crate::digests::DigestSender) -> Self {
        let security = sender.clone();
        self.register(crate::digests::SECURITY_JOB_KIND, move |store, job| {
            let sender = security.clone();
            Box::pin(async move { store.send_security_mail(&sender, &job.payload).await })
        });
        let resets = sender.clone();
        self.register(crate::password_reset::RESET_JOB_KIND, move |store, job| {
            let sender = resets.clone();
            Box::pin(async move { store.send_reset_mail(&sender, &job.payload).await })
        });
        self.register(crate::digests::JOB_KIND, move |store, _job| {
            let sender = sender.clone();
            Box::pin(async move {
                store
                    .send_digests(&sender)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        });
        self.schedules.push(Schedule {
            kind: crate::digests::JOB_KIND,
            every: Duration::from_secs(3600),
        });
        self
    }

    /// Adds a handler for a job kind.
    pub fn register<F>(&mut self, kind: &'static str, f: F)
    where
        F: Fn(Store, Job) -> HandlerFuture + Send + Sync + 'static,
    {
        self.handlers.insert(kind, Arc::new(f));
    }

    /// Makes sure every scheduled job has its next run queued.
    pub async fn ensure_schedules(&self) -> Result<(), StoreError> {
        for s in &self.schedules {
            let run_at = self.store.now_ms() + s.every.as_millis() as i64;
            self.store
                .jobs()
                .enqueue_unique(s.kind, s.kind, run_at)
                .await?;
        }
        Ok(())
    }

    /// Runs every job that is due now; returns how many ran.
    pub async fn run_due(&self) -> Result<usize, StoreError> {
        let mut ran = 0;
        while let Some(job) = self.store.jobs().claim().await? {
            ran += 1;
            let outcome = match self.handlers.get(job.kind.as_str()) {
                Some(h) => h(self.store.clone(), job.clone()).await,
                None => Err(format!("no handler for job kind {}", job.kind)),
            };
            match outcome {
                Ok(()) => self.store.jobs().complete(job.id).await?,
                Err(e) => {
                    tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed");
                    self.store.jobs().fail(&job, &e).await?;
                }
            }
        }
        Ok(ran)
    }

    /// Polls the queue until `shutdown` turns true.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.ensure_schedules().await {
                tracing::warn!(error = %e, "could not queue scheduled jobs");
            }
            if let Err(e) = self.run_due().await {
                tracing::warn!(error = %e, "job queue unavailable");
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.changed() => return,
            }
            if *shutdown.borrow() {
                return;
            }
        }
    }
}
