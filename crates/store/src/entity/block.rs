//! `blocks`: a member who blocked another. Neither sees the other's
//! profile, posts or comments, and neither can message or connect.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `blocks`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "blocks")]
pub struct Model {
    /// Who blocked.
    #[sea_orm(primary_key, auto_increment = false)]
    pub blocker_id: Uuid,
    /// Who was blocked.
    #[sea_orm(primary_key, auto_increment = false)]
    pub blocked_id: Uuid,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const BLK: PersonalField = PersonalField {
    category: Category::Connections,
    purpose: "Keeping members you blocked away from you",
    basis: LawfulBasis::LegitimateInterest,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "blocks",
    about: "Members you blocked",
    columns: &[
        ColumnDecl::subject("blocker_id"),
        ColumnDecl::subject("blocked_id"),
        ColumnDecl::personal("created_at", BLK),
    ],
};
