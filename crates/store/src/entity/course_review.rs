//! `course_reviews`: a learner's rating (1–5) and words about a course
//! they are enrolled in. The words are encrypted under the learner's key,
//! so erasing the learner makes them unreadable everywhere; reviews show
//! as "a learner", never with a name.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// A review.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_reviews")]
pub struct Model {
    /// Review id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The course.
    pub course_id: Uuid,
    /// The learner.
    pub subject_id: Uuid,
    /// 1 to 5 stars.
    pub rating: i32,
    /// The words, encrypted under the learner's key (may be empty).
    pub body_ciphertext: Vec<u8>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// Milliseconds since the epoch.
    pub updated_at: i64,
    /// Reports from other learners.
    pub reports: i32,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const REVIEW: PersonalField = PersonalField {
    category: Category::SocialContent,
    purpose: "Showing other learners your rating and review of a course, without your name",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "course_reviews",
    about: "Your course reviews",
    columns: &[
        ColumnDecl::not_personal("id", "review id"),
        ColumnDecl::personal("course_id", REVIEW),
        ColumnDecl::subject("subject_id"),
        ColumnDecl::personal("rating", REVIEW),
        ColumnDecl::personal(
            "body_ciphertext",
            PersonalField {
                is_encrypted: true,
                ..REVIEW
            },
        ),
        ColumnDecl::personal("created_at", REVIEW),
        ColumnDecl::personal("updated_at", REVIEW),
        ColumnDecl::not_personal("reports", "how many times others reported it"),
    ],
};
