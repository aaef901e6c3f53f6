//! `breach_subjects`: who a breach affected, so each of them can be told
//! (GDPR Art. 34) on their own privacy page.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One person affected by one breach.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "breach_subjects")]
pub struct Model {
    /// The incident.
    #[sea_orm(primary_key, auto_increment = false)]
    pub breach_id: Uuid,
    /// The data subject.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject_id: Uuid,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "breach_subjects",
    about: "Breaches that affected your data",
    columns: &[
        ColumnDecl::personal(
            "breach_id",
            PersonalField {
                category: Category::Technical,
                purpose: "Telling you about a breach that affected your data",
                basis: LawfulBasis::LegalObligation,
                retention: Retention::WhileAccountOpen,
                erase: EraseAction::Delete,
                is_encrypted: false,
            },
        ),
        ColumnDecl::subject("subject_id"),
    ],
};
