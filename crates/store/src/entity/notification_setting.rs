//! `notification_settings`: a member's choice for one kind of notification
//! (only changes from the default are stored).

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `notification_settings`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_settings")]
pub struct Model {
    /// The member.
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    /// The kind of notification.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// Shown in the app.
    pub is_enabled: bool,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const NSET: PersonalField = PersonalField {
    category: Category::Consents,
    purpose: "Remembering which notifications you turned off",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "notification_settings",
    about: "Your notification settings",
    columns: &[
        ColumnDecl::subject("member_id"),
        ColumnDecl::personal("kind", NSET),
        ColumnDecl::personal("is_enabled", NSET),
    ],
};
