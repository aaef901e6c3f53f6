//! `providers`: who supplies courses. The instance's own library is one
//! provider; third-party content partners are others, and their courses
//! are labelled as partner content. Nothing here is about a person.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// A content provider.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "providers")]
pub struct Model {
    /// Provider id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Short name for addresses, unique.
    #[sea_orm(unique)]
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The provider's own web site.
    pub website: Option<String>,
    /// Who they are, in a sentence or two.
    pub description: String,
    /// A third-party content partner (true) or the instance's own (false).
    pub is_partner: bool,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "providers",
    about: "Course providers",
    columns: &[
        ColumnDecl::not_personal("id", "provider id"),
        ColumnDecl::not_personal("slug", "provider short name"),
        ColumnDecl::not_personal("name", "organisation name"),
        ColumnDecl::not_personal("website", "organisation web site"),
        ColumnDecl::not_personal("description", "organisation description"),
        ColumnDecl::not_personal("is_partner", "partner flag"),
        ColumnDecl::not_personal("created_at", "when the provider was added"),
    ],
};
