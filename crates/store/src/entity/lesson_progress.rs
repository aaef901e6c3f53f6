//! `lesson_progress`: per lesson, whether the learner finished it and,
//! for a quiz, their best score.

use super::enrolment::LEARNING;
use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// Progress in one lesson.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lesson_progress")]
pub struct Model {
    /// The enrolment.
    #[sea_orm(primary_key, auto_increment = false)]
    pub enrolment_id: Uuid,
    /// The lesson.
    #[sea_orm(primary_key, auto_increment = false)]
    pub lesson_id: Uuid,
    /// The learner.
    pub subject_id: Uuid,
    /// When the lesson was finished (a quiz: passed).
    pub completed_at: Option<i64>,
    /// A quiz's best score in percent.
    pub score: Option<i32>,
    /// Quiz attempts.
    pub attempts: i32,
    /// Milliseconds since the epoch.
    pub updated_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "lesson_progress",
    about: "Your progress in lessons",
    columns: &[
        ColumnDecl::personal("enrolment_id", LEARNING),
        ColumnDecl::personal("lesson_id", LEARNING),
        ColumnDecl::subject("subject_id"),
        ColumnDecl::personal("completed_at", LEARNING),
        ColumnDecl::personal("score", LEARNING),
        ColumnDecl::personal("attempts", LEARNING),
        ColumnDecl::personal("updated_at", LEARNING),
    ],
};
