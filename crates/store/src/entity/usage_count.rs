//! `usage_counts`: a library's usage as counters (month, metric, one
//! dimension). Nothing here names or can be traced to a person: a counter
//! is incremented, never listed by who incremented it. Reports read only
//! this table and suppress small counts.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One counter.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_counts")]
pub struct Model {
    /// The library.
    #[sea_orm(primary_key, auto_increment = false)]
    pub library_id: Uuid,
    /// `yyyymm`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: i32,
    /// What is counted (`patrons_active`, `sign_ins`, …).
    #[sea_orm(primary_key, auto_increment = false)]
    pub metric: String,
    /// The breakdown value (a course id, a category, a provider), or `""`
    /// for the total.
    #[sea_orm(primary_key, auto_increment = false)]
    pub dimension: String,
    /// The count.
    pub count: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "usage_counts",
    about: "Library usage counters",
    columns: &[
        ColumnDecl::not_personal("library_id", "library id"),
        ColumnDecl::not_personal("month", "aggregate over all patrons"),
        ColumnDecl::not_personal("metric", "aggregate over all patrons"),
        ColumnDecl::not_personal("dimension", "aggregate over all patrons"),
        ColumnDecl::not_personal("count", "aggregate over all patrons"),
    ],
};
