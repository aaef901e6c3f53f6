//! `lessons`: what a learner reads, watches or answers.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// A lesson.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lessons")]
pub struct Model {
    /// Lesson id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The course.
    pub course_id: Uuid,
    /// The section.
    pub section_id: Uuid,
    /// Order within the course.
    pub position: i32,
    /// Title.
    pub title: String,
    /// `article`, `video` or `quiz`.
    pub kind: String,
    /// Markdown: the article, or the introduction to a video or quiz.
    pub body: String,
    /// WebVTT captions of a video.
    pub captions: Option<String>,
    /// Estimated minutes.
    pub duration_minutes: i32,
    /// A quiz's pass mark in percent.
    pub pass_percent: Option<i32>,
    /// A video's key in media storage.
    pub media_key: Option<String>,
    /// A video's content type.
    pub media_type: Option<String>,
    /// A video's size in bytes.
    pub media_bytes: Option<i64>,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "lessons",
    about: "Lessons",
    columns: &[
        ColumnDecl::not_personal("id", "lesson id"),
        ColumnDecl::not_personal("course_id", "course id"),
        ColumnDecl::not_personal("section_id", "section id"),
        ColumnDecl::not_personal("position", "lesson order"),
        ColumnDecl::not_personal("title", "lesson title"),
        ColumnDecl::not_personal("kind", "lesson kind"),
        ColumnDecl::not_personal("body", "lesson text"),
        ColumnDecl::not_personal("captions", "video captions"),
        ColumnDecl::not_personal("duration_minutes", "lesson duration"),
        ColumnDecl::not_personal("pass_percent", "quiz pass mark"),
        ColumnDecl::not_personal("media_key", "video file key"),
        ColumnDecl::not_personal("media_type", "video content type"),
        ColumnDecl::not_personal("media_bytes", "video size"),
    ],
};
