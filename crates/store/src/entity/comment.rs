//! `comments`: comments on posts and replies to comments (one level). The
//! text is encrypted under the author's key.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `comments`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "comments")]
pub struct Model {
    /// Comment id (time-ordered).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The post.
    pub post_id: Uuid,
    /// The comment this replies to.
    pub parent_id: Option<Uuid>,
    /// The author.
    pub author_id: Uuid,
    /// The text, encrypted.
    pub body_ciphertext: Vec<u8>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// When it was last edited.
    pub edited_at: Option<i64>,
    /// When a moderator removed it (the author still sees it, marked).
    pub removed_at: Option<i64>,
    /// Likes.
    pub like_count: i32,
    /// Celebrates.
    pub celebrate_count: i32,
    /// Loves.
    pub love_count: i32,
    /// Insightfuls.
    pub insightful_count: i32,
    /// Curiouses.
    pub curious_count: i32,
    /// Replies.
    pub reply_count: i32,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const CMT: PersonalField = PersonalField {
    category: Category::SocialContent,
    purpose: "Showing your comments under the post, to those who can see the post",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Anonymise,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "comments",
    about: "Your comments",
    columns: &[
        ColumnDecl::not_personal("id", "comment id"),
        ColumnDecl::personal("post_id", CMT),
        ColumnDecl::personal("parent_id", CMT),
        ColumnDecl::subject("author_id"),
        ColumnDecl::personal(
            "body_ciphertext",
            PersonalField {
                is_encrypted: true,
                ..CMT
            },
        ),
        ColumnDecl::personal("created_at", CMT),
        ColumnDecl::personal("edited_at", CMT),
        ColumnDecl::personal("removed_at", CMT),
        ColumnDecl::not_personal("like_count", "a count of others' reactions"),
        ColumnDecl::not_personal("celebrate_count", "a count of others' reactions"),
        ColumnDecl::not_personal("love_count", "a count of others' reactions"),
        ColumnDecl::not_personal("insightful_count", "a count of others' reactions"),
        ColumnDecl::not_personal("curious_count", "a count of others' reactions"),
        ColumnDecl::not_personal("reply_count", "a count of others' replies"),
    ],
};

/// A comment others replied to stays, emptied, so the replies keep their
/// place under it.
pub const TOMBSTONE: TombstoneDecl = TombstoneDecl {
    table: "comments",
    replies: "comments",
    reply_to: "parent_id",
    reply_author: "author_id",
    blank: &[
        ("body_ciphertext", Blank::Bytes),
        ("edited_at", Blank::Null),
        ("removed_at", Blank::Null),
    ],
    with: &[],
};
