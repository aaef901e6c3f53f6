//! `reactions`: one reaction per member per post or comment.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `reactions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reactions")]
pub struct Model {
    /// The post or comment.
    #[sea_orm(primary_key, auto_increment = false)]
    pub target_id: Uuid,
    /// Who reacted.
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    /// The post (the target itself, or the comment's post).
    pub post_id: Uuid,
    /// like, celebrate, love, insightful or curious.
    pub kind: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const RX: PersonalField = PersonalField {
    category: Category::SocialContent,
    purpose: "Showing your reaction on a post or comment, and to its author who reacted",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "reactions",
    about: "Your reactions",
    columns: &[
        ColumnDecl::personal("target_id", RX),
        ColumnDecl::subject("member_id"),
        ColumnDecl::personal("post_id", RX),
        ColumnDecl::personal("kind", RX),
        ColumnDecl::personal("created_at", RX),
    ],
};
