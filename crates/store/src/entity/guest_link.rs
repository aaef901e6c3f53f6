//! `guest_links`: a member's choice to carry a guest learner's history
//! (their library card's progress and certificates) into their account.
//! The guest's records stay the guest's; the link makes the member's
//! learning pages show them. Deleting the link restores a pure guest.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One link.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "guest_links")]
pub struct Model {
    /// The guest (one member at most).
    #[sea_orm(primary_key, auto_increment = false)]
    pub guest_id: Uuid,
    /// The member.
    #[sea_orm(indexed)]
    pub member_id: Uuid,
    /// Milliseconds since the epoch.
    pub linked_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "guest_links",
    about: "Library cards linked to a member account",
    columns: &[
        ColumnDecl::subject("guest_id"),
        ColumnDecl::subject("member_id"),
        ColumnDecl::personal(
            "linked_at",
            PersonalField {
                category: Category::Learning,
                purpose: "Showing the learning you did with your library card in your member account, \
                          because you asked for it",
                basis: LawfulBasis::Consent,
                retention: Retention::WhileAccountOpen,
                erase: EraseAction::Delete,
                is_encrypted: false,
            },
        ),
    ],
};
