//! `disclosures`: the recipients ledger. One row each time personal data
//! of a subject leaves the instance, written before it is sent.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One disclosure.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "disclosures")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Whose data.
    #[sea_orm(indexed)]
    pub subject_id: Uuid,
    /// The recipient's key in the instance's configuration.
    pub recipient: String,
    /// Why it was sent.
    pub purpose: String,
    /// Data map categories sent, comma-separated.
    pub categories: String,
    /// Milliseconds since the epoch.
    pub at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const LEDGER: PersonalField = PersonalField {
    category: Category::Disclosures,
    purpose: "Telling you who outside this Lyceum received your data, when and why",
    basis: LawfulBasis::LegalObligation,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "disclosures",
    about: "Who received your data",
    columns: &[
        ColumnDecl::not_personal("id", "random row id"),
        ColumnDecl::subject("subject_id"),
        ColumnDecl::personal("recipient", LEDGER),
        ColumnDecl::personal("purpose", LEDGER),
        ColumnDecl::personal("categories", LEDGER),
        ColumnDecl::personal("at", LEDGER),
    ],
};
