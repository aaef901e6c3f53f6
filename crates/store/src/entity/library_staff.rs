//! `library_staff`: which member accounts administer which library.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One staff member of one library.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "library_staff")]
pub struct Model {
    /// The library.
    #[sea_orm(primary_key, auto_increment = false)]
    pub library_id: Uuid,
    /// The staff member's account.
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    /// `admin`.
    pub role: String,
    /// Milliseconds since the epoch.
    pub added_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const STAFF_ROLE: PersonalField = PersonalField {
    category: Category::Technical,
    purpose: "Letting library staff manage their library's settings and see its reports",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "library_staff",
    about: "Library staff roles",
    columns: &[
        ColumnDecl::not_personal("library_id", "library id"),
        ColumnDecl::subject("member_id"),
        ColumnDecl::personal("role", STAFF_ROLE),
        ColumnDecl::personal("added_at", STAFF_ROLE),
    ],
};
