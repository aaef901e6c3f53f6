//! Erasure (GDPR Art. 17), driven by the data map.
//!
//! Two steps. At once ([`Store::erase_now`]): every session ends and the
//! subject's key is destroyed, so every encrypted field of theirs, in the
//! database and in every backup, is unreadable from that moment. Then, in
//! the background ([`Store::erase_rows`], job `erasure.subject`): every row
//! of every table whose data map names a subject column is deleted for
//! that subject. No feature writes its own delete code; a new table is
//! covered as soon as it declares its subject column. Rows others replied
//! to (posts, comments, questions) stay as tombstones where their table
//! declares one ([`TOMBSTONES`]): emptied, with no author.

use crate::datamap::{MAIN, TOMBSTONES};
use crate::entity::{member, session};
use crate::{Store, StoreError};
use lyceum_core::domain::datamap::{Blank, ERASED_AUTHOR, TombstoneDecl};
use lyceum_core::domain::{MemberId, SubjectId};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, TransactionTrait,
};
use std::time::{Duration, Instant};

/// The job kind that deletes an erased subject's rows.
pub const JOB_KIND: &str = "erasure.subject";

/// Rows deleted per statement by [`Store::erase_rows`] (rows that go with
/// them through foreign keys, such as a post's reactions, come on top).
pub const ERASE_BATCH: u64 = 50;

/// After each batch, erasure pauses this many times as long as the batch
/// took, leaving the writer and the cores to everyone else: erasure is
/// background work with minutes to spare, and people using the service
/// meanwhile should not notice it.
pub const ERASE_PAUSE_FACTOR: u32 = 8;

/// Erasure pauses only this long after it starts; what is left after that
/// goes at full speed, so that even on a busy machine a heavy account is
/// gone within about a minute rather than whenever the pauses allow.
pub const ERASE_PACED_FOR: Duration = Duration::from_secs(50);

/// Spreads erasure's statements over time (see [`ERASE_PAUSE_FACTOR`] and
/// [`ERASE_PACED_FOR`]).
#[derive(Debug)]
pub(crate) struct Pacer {
    until: Instant,
    slowest: Duration,
}

impl Pacer {
    fn new() -> Self {
        Self {
            until: Instant::now() + ERASE_PACED_FOR,
            slowest: Duration::ZERO,
        }
    }

    /// After a statement that took `took`: pauses [`ERASE_PAUSE_FACTOR`]
    /// times as long, unless pacing time is over.
    pub(crate) async fn after(&mut self, took: Duration) {
        self.slowest = self.slowest.max(took);
        if Instant::now() < self.until {
            tokio::time::sleep(took * ERASE_PAUSE_FACTOR).await;
        }
    }
}

impl Store {
    /// The immediate part of erasure: sessions end, the account is marked
    /// closed, the key is destroyed, and the row deletion is queued.
    pub async fn erase_now(&self, subject: SubjectId) -> Result<(), StoreError> {
        let now = self.now_ms();
        session::Entity::delete_many()
            .filter(
                sea_orm::Condition::any()
                    .add(session::Column::MemberId.eq(subject.0))
                    .add(session::Column::GuestId.eq(subject.0)),
            )
            .exec(&self.writer)
            .await?;
        self.sessions_ended(None).await?;
        member::Entity::update_many()
            .col_expr(member::Column::Status, Expr::value("closed"))
            .col_expr(member::Column::ClosedAt, Expr::value(now))
            .filter(member::Column::Id.eq(subject.0))
            .exec(&self.writer)
            .await?;
        // Queued before the key goes: if the process dies in between, the
        // job still runs and the key is destroyed by it.
        self.jobs()
            .enqueue(JOB_KIND, serde_json::json!({ "subject": subject.0 }), now)
            .await?;
        self.shred(subject).await
    }

    /// Deletes every row that belongs to the subject. Tables whose
    /// subject column is their own `id` (the account itself) go last, after
    /// the rows that refer to them. Idempotent.
    ///
    /// The rows others replied to become tombstones first, in one
    /// transaction; the rest go [`ERASE_BATCH`] rows at a time, each batch a
    /// statement of its own followed by a pause ([`ERASE_PAUSE_FACTOR`],
    /// for the first [`ERASE_PACED_FOR`]), so that a heavy account
    /// (tens of thousands of posts, with their reactions) never holds the
    /// one SQLite writer for long and everyone else's requests go in
    /// between. The key is already
    /// destroyed, so what is left between batches is unreadable; if the
    /// process stops part way, the job runs again and finishes.
    pub async fn erase_rows(&self, subject: SubjectId) -> Result<u64, StoreError> {
        let mut tables: Vec<(&str, String, bool)> = MAIN
            .iter()
            .filter_map(|t| {
                let owns = t.subject_columns().any(|c| c == "id");
                Some((t.table, t.subject_condition()?, owns))
            })
            .collect();
        tables.sort_by_key(|(_, _, owns)| *owns);
        // Others' posts and comments the subject reacted to or commented
        // on: their counts are made exact again once the rows are gone.
        let started = Instant::now();
        let touched = self.network().touched_by(subject).await?;
        let backend = self.backend();
        let id = subject.0;
        let mut pacer = Pacer::new();
        let mut deleted = self
            .writer
            .transaction::<_, u64, sea_orm::DbErr>(|tx| {
                Box::pin(async move {
                    let mut n = 0;
                    for t in TOMBSTONES {
                        n += leave_tombstones(tx, t, id).await?;
                    }
                    Ok(n)
                })
            })
            .await
            .map_err(|e| match e {
                sea_orm::TransactionError::Connection(e)
                | sea_orm::TransactionError::Transaction(e) => e,
            })?;
        // Rows are picked by their physical address, which every table
        // has whatever its key: SQLite's rowid, PostgreSQL's ctid (valid
        // within the one statement that reads and deletes).
        let row = match backend {
            DbBackend::Postgres => "ctid",
            _ => "rowid",
        };
        for (table, condition, _) in tables {
            let sql = format!(
                "DELETE FROM {table} WHERE {row} IN (SELECT {row} FROM {table} WHERE {condition} LIMIT {ERASE_BATCH})"
            );
            loop {
                let batch = Instant::now();
                let n = self
                    .writer
                    .execute_raw(crate::network::statement(backend, &sql, vec![id.into()]))
                    .await?
                    .rows_affected();
                deleted += n;
                if n < ERASE_BATCH {
                    break;
                }
                pacer.after(batch.elapsed()).await;
            }
        }
        let deleted_in = started.elapsed();
        self.network().recount_all(&touched, &mut pacer).await?;
        let recounted_in = started.elapsed() - deleted_in;
        // Destroying again is harmless and covers a crash between queueing
        // the job and destroying the key.
        self.shred(subject).await?;
        let checkpoint = std::time::Instant::now();
        if backend == DbBackend::Sqlite {
            // secure_delete zeroed the freed pages; move them out of the WAL too.
            self.writer
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE);")
                .await?;
        }
        tracing::info!(
            rows = deleted,
            deleted_ms = deleted_in.as_millis() as u64,
            slowest_batch_ms = pacer.slowest.as_millis() as u64,
            recounted = touched.0.len() + touched.1.len(),
            recount_ms = recounted_in.as_millis() as u64,
            checkpoint_ms = checkpoint.elapsed().as_millis() as u64,
            "an erased person's rows are deleted"
        );
        self.members.forget(MemberId(subject.0));
        Ok(deleted)
    }
}

/// Empties the subject's rows of `t` that someone else replied to and
/// hands them to [`ERASED_AUTHOR`], deleting what goes with them; the
/// delete that follows then leaves them alone. Returns the rows changed.
async fn leave_tombstones(
    tx: &impl ConnectionTrait,
    t: &TombstoneDecl,
    id: uuid::Uuid,
) -> Result<u64, sea_orm::DbErr> {
    let Some(subject) = MAIN
        .iter()
        .find(|d| d.table == t.table)
        .and_then(|d| d.subject_column())
    else {
        return Ok(0);
    };
    let replied = || -> SelectStatement {
        let others = Query::select()
            .expr(Expr::val(1))
            .from_as(Alias::new(t.replies), Alias::new("r"))
            .and_where(
                Expr::col((Alias::new("r"), Alias::new(t.reply_to)))
                    .equals((Alias::new("o"), Alias::new("id"))),
            )
            .and_where(Expr::col((Alias::new("r"), Alias::new(t.reply_author))).ne(id))
            .to_owned();
        Query::select()
            .column((Alias::new("o"), Alias::new("id")))
            .from_as(Alias::new(t.table), Alias::new("o"))
            .and_where(Expr::col((Alias::new("o"), Alias::new(subject))).eq(id))
            .and_where(Expr::exists(others))
            .to_owned()
    };
    for (table, column) in t.with {
        let stmt = Query::delete()
            .from_table(Alias::new(*table))
            .and_where(Expr::col(Alias::new(*column)).in_subquery(replied()))
            .to_owned();
        tx.execute(&stmt).await?;
    }
    let mut update = Query::update();
    update
        .table(Alias::new(t.table))
        .value(Alias::new(subject), Expr::val(ERASED_AUTHOR));
    for (column, blank) in t.blank {
        let value = match blank {
            Blank::Bytes => Expr::val(Vec::<u8>::new()),
            Blank::Null => Expr::cust("NULL"),
            Blank::False => Expr::val(false),
        };
        update.value(Alias::new(*column), value);
    }
    update.and_where(Expr::col(Alias::new("id")).in_subquery(replied()));
    Ok(tx.execute(&update).await?.rows_affected())
}
