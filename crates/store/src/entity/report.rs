//! `reports`: a member's report of a post, comment, message or profile. The
//! reporter's identity is never shown to the person reported nor in the
//! public log. A copy of the reported text (encrypted under the reporter's
//! key) lets moderators judge a message only its participants could read.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `reports`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reports")]
pub struct Model {
    /// Report id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Who reported.
    pub reporter_id: Uuid,
    /// Whose content was reported.
    pub owner_id: Uuid,
    /// post, comment, message or profile.
    pub target_kind: String,
    /// What was reported.
    pub target_id: Uuid,
    /// The reason chosen.
    pub reason: String,
    /// The reporter's words, encrypted (may be empty).
    pub details_ciphertext: Vec<u8>,
    /// The reported text as it was, encrypted under the reporter's key.
    pub excerpt_ciphertext: Vec<u8>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// open, actioned or dismissed.
    pub status: String,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const REP: PersonalField = PersonalField {
    category: Category::SocialContent,
    purpose: "Letting moderators act on what you reported; the person reported never learns who reported",
    basis: LawfulBasis::LegitimateInterest,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "reports",
    about: "What you reported",
    columns: &[
        ColumnDecl::not_personal("id", "report id"),
        ColumnDecl::subject("reporter_id"),
        ColumnDecl::personal("owner_id", REP),
        ColumnDecl::personal("target_kind", REP),
        ColumnDecl::personal("target_id", REP),
        ColumnDecl::personal("reason", REP),
        ColumnDecl::personal(
            "details_ciphertext",
            PersonalField {
                is_encrypted: true,
                ..REP
            },
        ),
        ColumnDecl::personal(
            "excerpt_ciphertext",
            PersonalField {
                is_encrypted: true,
                ..REP
            },
        ),
        ColumnDecl::personal("created_at", REP),
        ColumnDecl::not_personal("status", "where the report is in the moderators' queue"),
    ],
};
