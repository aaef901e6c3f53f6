//! `qa_images`: pictures attached to questions and answers, in two sizes, re-encoded
//! without metadata and encrypted under the author's key, with the text
//! that describes them for people who cannot see them.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `qa_images`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "qa_images")]
pub struct Model {
    /// Picture id (time-ordered).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The question or answer.
    pub post_id: Uuid,
    /// The author.
    pub author_id: Uuid,
    /// Order within the question or answer.
    pub position: i32,
    /// The description, encrypted.
    pub alt_ciphertext: Vec<u8>,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Large size: width.
    pub width: i32,
    /// Large size: height.
    pub height: i32,
    /// The large file, encrypted.
    pub large_ciphertext: Vec<u8>,
    /// Small size: width.
    pub small_width: i32,
    /// Small size: height.
    pub small_height: i32,
    /// The small file, encrypted.
    pub small_ciphertext: Vec<u8>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const IMG: PersonalField = PersonalField {
    category: Category::SocialContent,
    purpose: "Showing the pictures in your questions and answers to the learners who can read them",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

const ENCRYPTED: PersonalField = PersonalField {
    is_encrypted: true,
    ..IMG
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "qa_images",
    about: "Pictures in your questions and answers",
    columns: &[
        ColumnDecl::not_personal("id", "picture id"),
        ColumnDecl::personal("post_id", IMG),
        ColumnDecl::subject("author_id"),
        ColumnDecl::not_personal("position", "order of pictures in a question or answer"),
        ColumnDecl::personal("alt_ciphertext", ENCRYPTED),
        ColumnDecl::not_personal("content_type", "file format"),
        ColumnDecl::not_personal("width", "picture size"),
        ColumnDecl::not_personal("height", "picture size"),
        ColumnDecl::personal("large_ciphertext", ENCRYPTED),
        ColumnDecl::not_personal("small_width", "picture size"),
        ColumnDecl::not_personal("small_height", "picture size"),
        ColumnDecl::personal("small_ciphertext", ENCRYPTED),
        ColumnDecl::personal("created_at", IMG),
    ],
};
