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
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, TransactionTrait,
};

/// The job kind that deletes an erased subject's rows.
pub const JOB_KIND: &str = "erasure.subject";

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

    /// Deletes every row that belongs to the subject, in one transaction.
    /// Tables whose subject column is their own `id` (the account itself)
    /// go last, after the rows that refer to them. Idempotent.
    pub async fn erase_rows(&self, subject: SubjectId) -> Result<u64, StoreError> {
        let mut tables: Vec<(&str, Vec<&str>)> = MAIN
            .iter()
            .map(|t| (t.table, t.subject_columns().collect::<Vec<_>>()))
            .filter(|(_, columns)| !columns.is_empty())
            .collect();
        tables.sort_by_key(|(_, columns)| columns.contains(&"id"));
        // Others' posts and comments the subject reacted to or commented
        // on: their counts are made exact again once the rows are gone.
        let touched = self.network().touched_by(subject).await?;
        let backend = self.backend();
        let id = subject.0;
        let deleted = self
            .writer
            .transaction::<_, u64, sea_orm::DbErr>(|tx| {
                Box::pin(async move {
                    let mut n = 0;
                    for t in TOMBSTONES {
                        n += leave_tombstones(tx, t, id).await?;
                    }
                    for (table, columns) in tables {
                        let mut any = Condition::any();
                        for column in columns {
                            any = any.add(Expr::col(Alias::new(column)).eq(id));
                        }
                        let stmt = Query::delete()
                            .from_table(Alias::new(table))
                            .cond_where(any)
                            .to_owned();
                        n += tx.execute(&stmt).await?.rows_affected();
                    }
                    Ok(n)
                })
            })
            .await
            .map_err(|e| match e {
                sea_orm::TransactionError::Connection(e)
                | sea_orm::TransactionError::Transaction(e) => e,
            })?;
        self.network().recount_all(&touched).await?;
        // Destroying again is harmless and covers a crash between queueing
        // the job and destroying the key.
        self.shred(subject).await?;
        if backend == DbBackend::Sqlite {
            // secure_delete zeroed the freed pages; move them out of the WAL too.
            self.writer
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE);")
                .await?;
        }
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
