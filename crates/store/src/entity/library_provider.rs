//! `library_providers`: the partner providers whose courses a library
//! licenses for its patrons. The instance's own courses need no licence.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One licence.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "library_providers")]
pub struct Model {
    /// The library.
    #[sea_orm(primary_key, auto_increment = false)]
    pub library_id: Uuid,
    /// The provider.
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider_id: Uuid,
    /// Milliseconds since the epoch.
    pub added_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "library_providers",
    about: "Providers libraries license",
    columns: &[
        ColumnDecl::not_personal("library_id", "library id"),
        ColumnDecl::not_personal("provider_id", "provider id"),
        ColumnDecl::not_personal("added_at", "when the licence was added"),
    ],
};
