//! `notice_versions`: every version of the privacy notice that has been in
//! effect, with what it said, so the privacy changelog can show what
//! changed and when. Holds nothing about any person.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One version of the notice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notice_versions")]
pub struct Model {
    /// 1, 2, 3, …
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    /// SHA-256 of the snapshot.
    pub fingerprint: Vec<u8>,
    /// What the notice said, as JSON lines (fields, recipients, retention).
    pub snapshot: String,
    /// When it took effect (milliseconds since the epoch).
    pub published_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "notice_versions",
    about: "Versions of the privacy notice",
    columns: &[
        ColumnDecl::not_personal("version", "a version number"),
        ColumnDecl::not_personal("fingerprint", "a hash of the notice"),
        ColumnDecl::not_personal("snapshot", "what the notice said"),
        ColumnDecl::not_personal("published_at", "when the version took effect"),
    ],
};
