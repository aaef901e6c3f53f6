//! `posts`: what members write for their connections, all members or the
//! public. The text is encrypted under the author's key; counts are kept
//! exact in the same transaction as each reaction or comment.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `posts`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "posts")]
pub struct Model {
    /// Post id (time-ordered).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The author.
    pub author_id: Uuid,
    /// Who may see it.
    pub audience: String,
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
    /// Comments and replies.
    pub comment_count: i32,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const POST: PersonalField = PersonalField {
    category: Category::SocialContent,
    purpose: "Showing your posts to the audience you chose",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Anonymise,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "posts",
    about: "Your posts",
    columns: &[
        ColumnDecl::not_personal("id", "post id"),
        ColumnDecl::subject("author_id"),
        ColumnDecl::personal("audience", POST),
        ColumnDecl::personal(
            "body_ciphertext",
            PersonalField {
                is_encrypted: true,
                ..POST
            },
        ),
        ColumnDecl::personal("created_at", POST),
        ColumnDecl::personal("edited_at", POST),
        ColumnDecl::personal("removed_at", POST),
        ColumnDecl::not_personal("like_count", "a count of others' reactions"),
        ColumnDecl::not_personal("celebrate_count", "a count of others' reactions"),
        ColumnDecl::not_personal("love_count", "a count of others' reactions"),
        ColumnDecl::not_personal("insightful_count", "a count of others' reactions"),
        ColumnDecl::not_personal("curious_count", "a count of others' reactions"),
        ColumnDecl::not_personal("comment_count", "a count of others' comments"),
    ],
};

/// A post others commented on stays, emptied, so their comments keep
/// their place; its audience still bounds who reads them.
pub const TOMBSTONE: TombstoneDecl = TombstoneDecl {
    table: "posts",
    replies: "comments",
    reply_to: "post_id",
    reply_author: "author_id",
    blank: &[
        ("body_ciphertext", Blank::Bytes),
        ("edited_at", Blank::Null),
        ("removed_at", Blank::Null),
    ],
    with: &[
        ("post_tags", "post_id"),
        ("post_images", "post_id"),
        ("timeline", "post_id"),
    ],
};
