//! `profile_entries`: a position (experience) or a course of study
//! (education) on a member's profile, encrypted under the member's key.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `profile_entries`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "profile_entries")]
pub struct Model {
    /// Entry id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The member.
    pub member_id: Uuid,
    /// `experience` or `education`.
    pub kind: String,
    /// Role or qualification, encrypted.
    pub title_ciphertext: Vec<u8>,
    /// Employer or school, encrypted.
    pub organisation_ciphertext: Vec<u8>,
    /// What it involved, encrypted (may be empty).
    pub description_ciphertext: Vec<u8>,
    /// First year.
    pub start_year: Option<i32>,
    /// Last year; none while current.
    pub end_year: Option<i32>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const PROFILE: PersonalField = PersonalField {
    category: Category::Profile,
    purpose: "Showing your profile to the people you chose, section by section",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "profile_entries",
    about: "Experience and education on your profile",
    columns: &[
        ColumnDecl::not_personal("id", "entry id"),
        ColumnDecl::subject("member_id"),
        ColumnDecl::personal("kind", PROFILE),
        ColumnDecl::personal(
            "title_ciphertext",
            PersonalField {
                is_encrypted: true,
                ..PROFILE
            },
        ),
        ColumnDecl::personal(
            "organisation_ciphertext",
            PersonalField {
                is_encrypted: true,
                ..PROFILE
            },
        ),
        ColumnDecl::personal(
            "description_ciphertext",
            PersonalField {
                is_encrypted: true,
                ..PROFILE
            },
        ),
        ColumnDecl::personal("start_year", PROFILE),
        ColumnDecl::personal("end_year", PROFILE),
        ColumnDecl::personal("created_at", PROFILE),
    ],
};
