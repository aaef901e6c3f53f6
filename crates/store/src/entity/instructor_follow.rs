//! `instructor_follows`: a member following an instructor, to hear of
//! their new courses.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `instructor_follows`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "instructor_follows")]
pub struct Model {
    /// Who follows.
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    /// The instructor followed.
    #[sea_orm(primary_key, auto_increment = false)]
    pub instructor_id: Uuid,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const FOL: PersonalField = PersonalField {
    category: Category::Learning,
    purpose: "Telling you in the app when an instructor you follow publishes a course",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "instructor_follows",
    about: "Instructors you follow",
    columns: &[
        ColumnDecl::subject("member_id"),
        ColumnDecl::personal("instructor_id", FOL),
        ColumnDecl::personal("created_at", FOL),
    ],
};
