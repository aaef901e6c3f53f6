//! `qa_posts`: questions about a course (or one of its lessons) and their
//! answers. Peers see them without names unless the member chose to show
//! theirs; the words are encrypted under the writer's key.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// A question (no `question_id`) or an answer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "qa_posts")]
pub struct Model {
    /// Id (time-ordered).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The course.
    pub course_id: Uuid,
    /// The lesson a question is about, if one.
    pub lesson_id: Option<Uuid>,
    /// For an answer, its question.
    pub question_id: Option<Uuid>,
    /// Who wrote it (a member or a guest learner).
    pub author_id: Uuid,
    /// A question's title, encrypted (empty for answers).
    pub title_ciphertext: Vec<u8>,
    /// The words, encrypted.
    pub body_ciphertext: Vec<u8>,
    /// Whether peers see the member's name.
    pub shows_name: bool,
    /// `instructor` or `staff` when the course's instructor or its
    /// provider's staff wrote it.
    pub role: Option<String>,
    /// An answer the asker or the course's people accepted.
    pub is_accepted: bool,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// When course staff removed it.
    pub removed_at: Option<i64>,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const QA: PersonalField = PersonalField {
    category: Category::SocialContent,
    purpose: "Showing your questions and answers to the course's other learners, without your name unless you chose to show it",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Anonymise,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "qa_posts",
    about: "Your questions and answers on courses",
    columns: &[
        ColumnDecl::not_personal("id", "question or answer id"),
        ColumnDecl::personal("course_id", QA),
        ColumnDecl::personal("lesson_id", QA),
        ColumnDecl::personal("question_id", QA),
        ColumnDecl::subject("author_id"),
        ColumnDecl::personal(
            "title_ciphertext",
            PersonalField {
                is_encrypted: true,
                ..QA
            },
        ),
        ColumnDecl::personal(
            "body_ciphertext",
            PersonalField {
                is_encrypted: true,
                ..QA
            },
        ),
        ColumnDecl::personal("shows_name", QA),
        ColumnDecl::personal("role", QA),
        ColumnDecl::personal("is_accepted", QA),
        ColumnDecl::personal("created_at", QA),
        ColumnDecl::not_personal("removed_at", "when course staff removed it"),
    ],
};

/// A question others answered stays, emptied, so the answers (which other
/// learners may still need) keep their place.
pub const TOMBSTONE: TombstoneDecl = TombstoneDecl {
    table: "qa_posts",
    replies: "qa_posts",
    reply_to: "question_id",
    reply_author: "author_id",
    blank: &[
        ("title_ciphertext", Blank::Bytes),
        ("body_ciphertext", Blank::Bytes),
        ("shows_name", Blank::False),
        ("role", Blank::Null),
    ],
    with: &[("qa_images", "post_id")],
};
