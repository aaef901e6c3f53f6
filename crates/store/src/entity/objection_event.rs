//! `objection_events`: every objection (GDPR Art. 21) and its withdrawal,
//! kept as a history like consents. The latest event per ground counts;
//! no event means no objection.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One objection or withdrawal of one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "objection_events")]
pub struct Model {
    /// Event id (UUIDv7, so ids sort by time).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The data subject.
    #[sea_orm(indexed)]
    pub subject_id: Uuid,
    /// The ground's key.
    pub ground: String,
    /// Objected (true) or withdrew the objection (false).
    pub objected: bool,
    /// Milliseconds since the epoch.
    pub at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const OBJECTION: PersonalField = PersonalField {
    category: Category::Consents,
    purpose: "Honouring your objections, and showing you when you made them",
    basis: LawfulBasis::LegalObligation,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "objection_events",
    about: "Your objections",
    columns: &[
        ColumnDecl::not_personal("id", "event id"),
        ColumnDecl::subject("subject_id"),
        ColumnDecl::personal("ground", OBJECTION),
        ColumnDecl::personal("objected", OBJECTION),
        ColumnDecl::personal("at", OBJECTION),
    ],
};
