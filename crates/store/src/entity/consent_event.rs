//! `consent_events`: every grant and withdrawal, kept as a history so we
//! can show what a person agreed to, in which words, and when (GDPR Art.
//! 7(1)). The current answer is the latest event per purpose; no event
//! means no.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One grant or withdrawal.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_events")]
pub struct Model {
    /// Event id (UUIDv7, so ids sort by time).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The data subject.
    #[sea_orm(indexed)]
    pub subject_id: Uuid,
    /// The purpose's key.
    pub purpose: String,
    /// Granted (true) or withdrawn (false).
    pub granted: bool,
    /// Which wording was shown.
    pub wording_version: i32,
    /// Milliseconds since the epoch.
    pub at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const RECORD: PersonalField = PersonalField {
    category: Category::Consents,
    purpose: "Remembering and proving which optional features you turned on or off, and when",
    basis: LawfulBasis::LegalObligation,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "consent_events",
    about: "Your choices about optional features",
    columns: &[
        ColumnDecl::not_personal("id", "random event id"),
        ColumnDecl::subject("subject_id"),
        ColumnDecl::personal("purpose", RECORD),
        ColumnDecl::personal("granted", RECORD),
        ColumnDecl::personal("wording_version", RECORD),
        ColumnDecl::personal("at", RECORD),
    ],
};
