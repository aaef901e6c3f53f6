//! `course_skills`: the skills a course teaches, for the catalog's facet.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One skill of one course.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_skills")]
pub struct Model {
    /// The course.
    #[sea_orm(primary_key, auto_increment = false)]
    pub course_id: Uuid,
    /// The skill as written.
    #[sea_orm(primary_key, auto_increment = false)]
    pub skill: String,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "course_skills",
    about: "Skills courses teach",
    columns: &[
        ColumnDecl::not_personal("course_id", "course id"),
        ColumnDecl::not_personal("skill", "skill name"),
    ],
};
