//! Erasure (GDPR Art. 17), driven by the data map.
//!
//! Two steps. At once ([`Store::erase_now`]): every session ends and the
//! subject's key is destroyed, so every encrypted field of theirs, in the
//! database and in every backup, is unreadable from that moment. Then, in
//! the background ([`Store::erase_rows`], job `erasure.subject`): every row
//! of every table whose data map names a subject column is deleted for
//! that subject. No feature writes its own delete code; a new table is
//! covered as soon as it declares its subject column.

use crate::datamap::MAIN;
use crate::entity::{member, session};
use crate::{Store, StoreError};
use lyceum_core::domain::{MemberId, SubjectId};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query};
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
