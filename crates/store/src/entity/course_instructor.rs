//! `course_instructors`: who teaches which course, in credit order.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One credit.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_instructors")]
pub struct Model {
    /// The course.
    #[sea_orm(primary_key, auto_increment = false)]
    pub course_id: Uuid,
    /// The instructor.
    #[sea_orm(primary_key, auto_increment = false)]
    pub instructor_id: Uuid,
    /// Credit order.
    pub position: i32,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "course_instructors",
    about: "Instructor credits",
    columns: &[
        ColumnDecl::not_personal("course_id", "course id"),
        ColumnDecl::not_personal(
            "instructor_id",
            "instructor id (the name is in instructors)",
        ),
        ColumnDecl::not_personal("position", "credit order"),
    ],
};
