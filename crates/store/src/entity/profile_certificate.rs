//! `profile_certificates`: courses whose certificate a member chose to show
//! on their profile.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `profile_certificates`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "profile_certificates")]
pub struct Model {
    /// The member.
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    /// The finished course.
    #[sea_orm(primary_key, auto_increment = false)]
    pub course_id: Uuid,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const CERT: PersonalField = PersonalField {
    category: Category::Profile,
    purpose: "Showing certificates you earned here on your profile, because you chose to",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "profile_certificates",
    about: "Certificates you show on your profile",
    columns: &[
        ColumnDecl::subject("member_id"),
        ColumnDecl::personal("course_id", CERT),
        ColumnDecl::personal("created_at", CERT),
    ],
};
