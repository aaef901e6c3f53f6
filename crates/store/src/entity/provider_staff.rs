//! `provider_staff`: the members who manage a content provider's catalog
//! (import, statistics). Operators add them.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One member managing one provider.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provider_staff")]
pub struct Model {
    /// The provider.
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider_id: Uuid,
    /// The member.
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    /// Milliseconds since the epoch.
    pub added_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const ROLE: PersonalField = PersonalField {
    category: Category::Technical,
    purpose: "Letting you manage the catalog of the content provider you work for",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "provider_staff",
    about: "Content providers you manage",
    columns: &[
        ColumnDecl::personal("provider_id", ROLE),
        ColumnDecl::subject("member_id"),
        ColumnDecl::personal("added_at", ROLE),
    ],
};
