//! `breaches`: the operator's register of personal data breaches (GDPR
//! Art. 33(5)): what happened, which kinds of data, roughly how many
//! people, the consequences and the measures, and when the supervisory
//! authority and the people affected were told. Describes an incident,
//! not a person.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One incident.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "breaches")]
pub struct Model {
    /// Incident id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// A short title.
    pub title: String,
    /// What happened.
    pub description: String,
    /// Data map category keys affected, comma-separated.
    pub categories: String,
    /// People affected per category at the time of recording, as JSON.
    pub affected_counts: String,
    /// The likely consequences for the people affected.
    pub consequences: String,
    /// The measures taken or proposed.
    pub measures: String,
    /// When the operator became aware (the 72-hour clock starts here).
    pub detected_at: i64,
    /// When the supervisory authority was notified.
    pub authority_notified_at: Option<i64>,
    /// When the people affected were told (their notice shows from then).
    pub people_notified_at: Option<i64>,
    /// When the entry was made.
    pub created_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "breaches",
    about: "Breach register",
    columns: &[
        ColumnDecl::not_personal("id", "incident id"),
        ColumnDecl::not_personal("title", "describes an incident, written by the operator"),
        ColumnDecl::not_personal(
            "description",
            "describes an incident, written by the operator",
        ),
        ColumnDecl::not_personal("categories", "kinds of data, not data"),
        ColumnDecl::not_personal("affected_counts", "counts of people, not people"),
        ColumnDecl::not_personal("consequences", "describes an incident"),
        ColumnDecl::not_personal("measures", "describes an incident"),
        ColumnDecl::not_personal("detected_at", "incident time"),
        ColumnDecl::not_personal("authority_notified_at", "incident time"),
        ColumnDecl::not_personal("people_notified_at", "incident time"),
        ColumnDecl::not_personal("created_at", "incident time"),
    ],
};
