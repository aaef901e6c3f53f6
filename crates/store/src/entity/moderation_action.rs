//! `moderation_actions`: what a moderator did to a member's content or
//! account, with the reason the member sees, and their appeal.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `moderation_actions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "moderation_actions")]
pub struct Model {
    /// Action id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Whose content.
    pub owner_id: Uuid,
    /// The moderator.
    pub moderator_id: Uuid,
    /// post, comment, message or profile.
    pub target_kind: String,
    /// What was acted on.
    pub target_id: Uuid,
    /// removed, warned or restored.
    pub action: String,
    /// The rule it broke.
    pub reason: String,
    /// The moderator's words to the member.
    pub explanation: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// The member's appeal, encrypted (empty until they appeal).
    pub appeal_ciphertext: Vec<u8>,
    /// When they appealed.
    pub appealed_at: Option<i64>,
    /// upheld or reversed.
    pub appeal_outcome: Option<String>,
    /// When the appeal was decided.
    pub decided_at: Option<i64>,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const MOD: PersonalField = PersonalField {
    category: Category::SocialContent,
    purpose: "Telling you what moderators did about your content and why, and hearing your appeal",
    basis: LawfulBasis::LegitimateInterest,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "moderation_actions",
    about: "Moderation decisions about your content",
    columns: &[
        ColumnDecl::not_personal("id", "action id"),
        ColumnDecl::subject("owner_id"),
        ColumnDecl::not_personal(
            "moderator_id",
            "the staff account that acted, for accountability among staff; never shown to the member",
        ),
        ColumnDecl::personal("target_kind", MOD),
        ColumnDecl::personal("target_id", MOD),
        ColumnDecl::personal("action", MOD),
        ColumnDecl::personal("reason", MOD),
        ColumnDecl::personal("explanation", MOD),
        ColumnDecl::personal("created_at", MOD),
        ColumnDecl::personal(
            "appeal_ciphertext",
            PersonalField {
                is_encrypted: true,
                ..MOD
            },
        ),
        ColumnDecl::personal("appealed_at", MOD),
        ColumnDecl::personal("appeal_outcome", MOD),
        ColumnDecl::personal("decided_at", MOD),
    ],
};
