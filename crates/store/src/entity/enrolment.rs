//! `enrolments`: who takes which course, where they left off, and when
//! they finished. Keyed by the data subject, a member or a guest learner,
//! so a guest's learning stays theirs when they detach a card from an
//! account, and goes with their key when they are erased.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// An enrolment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enrolments")]
pub struct Model {
    /// Enrolment id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The course.
    pub course_id: Uuid,
    /// The learner: a member or a guest.
    pub subject_id: Uuid,
    /// The library a guest learns through.
    pub library_id: Option<Uuid>,
    /// Milliseconds since the epoch.
    pub enrolled_at: i64,
    /// The lesson to resume at.
    pub last_lesson_id: Option<Uuid>,
    /// Milliseconds since the epoch.
    pub last_active_at: i64,
    /// When every lesson was done.
    pub completed_at: Option<i64>,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Learning records: kept while the account is open (for a guest, until
/// the library's guest retention ends), erased with the learner.
pub const LEARNING: PersonalField = PersonalField {
    category: Category::Learning,
    purpose: "Keeping your place in the courses you take, and recording which you finished",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "enrolments",
    about: "Your courses",
    columns: &[
        ColumnDecl::not_personal("id", "enrolment id"),
        ColumnDecl::personal("course_id", LEARNING),
        ColumnDecl::subject("subject_id"),
        ColumnDecl::personal("library_id", LEARNING),
        ColumnDecl::personal("enrolled_at", LEARNING),
        ColumnDecl::personal("last_lesson_id", LEARNING),
        ColumnDecl::personal("last_active_at", LEARNING),
        ColumnDecl::personal("completed_at", LEARNING),
    ],
};
