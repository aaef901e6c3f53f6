//! `course_sections`: the chapters of a course.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// A section.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_sections")]
pub struct Model {
    /// Section id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The course.
    pub course_id: Uuid,
    /// Order within the course.
    pub position: i32,
    /// Title.
    pub title: String,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "course_sections",
    about: "Course sections",
    columns: &[
        ColumnDecl::not_personal("id", "section id"),
        ColumnDecl::not_personal("course_id", "course id"),
        ColumnDecl::not_personal("position", "section order"),
        ColumnDecl::not_personal("title", "section title"),
    ],
};
