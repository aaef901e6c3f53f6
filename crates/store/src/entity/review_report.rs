//! `review_reports`: who reported which review, so one learner counts
//! once. A review reported by three learners is hidden until a moderator
//! looks at it.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One report.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "review_reports")]
pub struct Model {
    /// The review.
    #[sea_orm(primary_key, auto_increment = false)]
    pub review_id: Uuid,
    /// The learner who reported it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject_id: Uuid,
    /// Milliseconds since the epoch.
    pub at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const REPORT: PersonalField = PersonalField {
    category: Category::SocialContent,
    purpose: "Counting your report of a review once, so reviews are hidden only when several people report them",
    basis: LawfulBasis::LegitimateInterest,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "review_reports",
    about: "Reviews you reported",
    columns: &[
        ColumnDecl::personal("review_id", REPORT),
        ColumnDecl::subject("subject_id"),
        ColumnDecl::personal("at", REPORT),
    ],
};
