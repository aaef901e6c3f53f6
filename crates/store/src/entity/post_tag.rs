//! `post_tags`: the hashtags of each post, for the page per tag.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `post_tags`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "post_tags")]
pub struct Model {
    /// The tag, lower case, without `#`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub tag: String,
    /// The post.
    #[sea_orm(primary_key, auto_increment = false)]
    pub post_id: Uuid,
    /// The post's author.
    pub author_id: Uuid,
    /// The post's time.
    pub created_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const TAG: PersonalField = PersonalField {
    category: Category::SocialContent,
    purpose: "Listing your post on the page of each hashtag it uses",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "post_tags",
    about: "Hashtags of your posts",
    columns: &[
        ColumnDecl::personal("tag", TAG),
        ColumnDecl::personal("post_id", TAG),
        ColumnDecl::subject("author_id"),
        ColumnDecl::personal("created_at", TAG),
    ],
};
