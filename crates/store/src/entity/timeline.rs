//! `timeline`: each member's feed, filled when a post is written (fan-out
//! on write). It holds ids only; what is shown is checked against the
//! post's audience again when the feed is read.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `timeline`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "timeline")]
pub struct Model {
    /// Whose feed.
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    /// The post.
    #[sea_orm(primary_key, auto_increment = false)]
    pub post_id: Uuid,
    /// The post's author.
    pub author_id: Uuid,
    /// The post's time, for ordering.
    pub created_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const TL: PersonalField = PersonalField {
    category: Category::SocialContent,
    purpose: "Putting posts of your connections and of members you follow in your feed",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "timeline",
    about: "Which posts are in your feed",
    columns: &[
        ColumnDecl::subject("member_id"),
        ColumnDecl::personal("post_id", TL),
        ColumnDecl::personal("author_id", TL),
        ColumnDecl::personal("created_at", TL),
    ],
};
