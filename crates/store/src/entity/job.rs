//! `jobs`: the durable job queue. Payloads hold ids, never personal values,
//! so the queue needs no erasure of its own.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// A queued job.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    /// Job id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// What to do (`sessions.purge_expired`, …).
    pub kind: String,
    /// JSON arguments: ids and settings only.
    pub payload: String,
    /// At most one pending job per key (used for scheduled work).
    #[sea_orm(unique)]
    pub unique_key: Option<String>,
    /// `pending` or `dead`.
    pub status: String,
    /// Not before this time.
    pub run_at: i64,
    /// A worker holds the job until then; 0 when free.
    pub locked_until: i64,
    /// Tries so far.
    pub attempts: i32,
    /// Tries before the job is dead.
    pub max_attempts: i32,
    /// The last failure, for operators.
    pub last_error: Option<String>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "jobs",
    about: "Background work waiting to run",
    columns: &[
        ColumnDecl::not_personal("id", "random job id"),
        ColumnDecl::not_personal("kind", "name of the task"),
        ColumnDecl::not_personal(
            "payload",
            "ids and settings only; personal values are never queued",
        ),
        ColumnDecl::not_personal("unique_key", "name of a scheduled task"),
        ColumnDecl::not_personal("status", "queue state"),
        ColumnDecl::not_personal("run_at", "queue timing"),
        ColumnDecl::not_personal("locked_until", "queue timing"),
        ColumnDecl::not_personal("attempts", "retry count"),
        ColumnDecl::not_personal("max_attempts", "retry limit"),
        ColumnDecl::not_personal(
            "last_error",
            "error text from code; never contains personal values",
        ),
        ColumnDecl::not_personal("created_at", "queue timing"),
    ],
};
