//! `connections`: two members who accepted each other, stored once per
//! side.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `connections`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connections")]
pub struct Model {
    /// One side.
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    /// The other side.
    #[sea_orm(primary_key, auto_increment = false)]
    pub other_id: Uuid,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const CONN: PersonalField = PersonalField {
    category: Category::Connections,
    purpose: "Knowing who you are connected to, so each of you sees what the other shares with connections",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "connections",
    about: "Your connections",
    columns: &[
        ColumnDecl::subject("member_id"),
        ColumnDecl::subject("other_id"),
        ColumnDecl::personal("created_at", CONN),
    ],
};
