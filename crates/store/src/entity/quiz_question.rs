//! `quiz_questions`: a quiz's questions with their answers. The answers
//! are read only to grade a submission; no page or API response carries
//! them before the learner has answered.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// A question.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quiz_questions")]
pub struct Model {
    /// Question id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The quiz lesson.
    pub lesson_id: Uuid,
    /// Order within the quiz.
    pub position: i32,
    /// The question.
    pub prompt: String,
    /// The choices, a JSON array of strings.
    pub choices: String,
    /// Index of the right choice.
    pub answer: i32,
    /// Why that is the answer, shown after grading.
    pub explanation: String,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "quiz_questions",
    about: "Quiz questions",
    columns: &[
        ColumnDecl::not_personal("id", "question id"),
        ColumnDecl::not_personal("lesson_id", "lesson id"),
        ColumnDecl::not_personal("position", "question order"),
        ColumnDecl::not_personal("prompt", "question text"),
        ColumnDecl::not_personal("choices", "answer choices"),
        ColumnDecl::not_personal("answer", "the right choice"),
        ColumnDecl::not_personal("explanation", "answer explanation"),
    ],
};
