//! `library_audit`: what library staff changed, and when. Patrons never
//! appear here: staff actions are about settings, never about a person.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One staff action.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "library_audit")]
pub struct Model {
    /// Entry id (UUIDv7, so ids sort by time).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The library.
    #[sea_orm(indexed)]
    pub library_id: Uuid,
    /// The staff member (or operator) who acted.
    pub actor_id: Uuid,
    /// What was done, in words (no personal data).
    pub action: String,
    /// Milliseconds since the epoch.
    pub at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const STAFF_ACTION: PersonalField = PersonalField {
    category: Category::Technical,
    purpose: "Keeping a record of who changed a library's settings",
    basis: LawfulBasis::LegitimateInterest,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "library_audit",
    about: "Library staff actions",
    columns: &[
        ColumnDecl::not_personal("id", "entry id"),
        ColumnDecl::not_personal("library_id", "library id"),
        ColumnDecl::subject("actor_id"),
        ColumnDecl::personal("action", STAFF_ACTION),
        ColumnDecl::personal("at", STAFF_ACTION),
    ],
};
