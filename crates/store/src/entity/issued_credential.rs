//! `issued_credentials`: the Open Badges 3.0 credential signed for each
//! completed course, so the learner can download the same one again. It
//! names the course, never the person.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// An issued credential.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "issued_credentials")]
pub struct Model {
    /// Credential id (`urn:uuid:` in the document).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The learner.
    pub subject_id: Uuid,
    /// The course.
    pub course_id: Uuid,
    /// Milliseconds since the epoch.
    pub issued_at: i64,
    /// The key that signed it.
    pub signing_key_id: Uuid,
    /// The signed JSON document.
    pub document: String,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const CERTIFICATE: PersonalField = PersonalField {
    category: Category::Learning,
    purpose: "Giving you a signed certificate of the courses you finished, which you can download again",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "issued_credentials",
    about: "Your certificates",
    columns: &[
        ColumnDecl::not_personal("id", "credential id"),
        ColumnDecl::subject("subject_id"),
        ColumnDecl::personal("course_id", CERTIFICATE),
        ColumnDecl::personal("issued_at", CERTIFICATE),
        ColumnDecl::not_personal("signing_key_id", "signing key id"),
        ColumnDecl::personal("document", CERTIFICATE),
    ],
};
