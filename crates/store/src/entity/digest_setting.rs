//! `digest_settings`: how often a member who turned on email digests gets
//! one, and when the last was sent.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `digest_settings`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "digest_settings")]
pub struct Model {
    /// The member.
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    /// `daily` or `weekly`.
    pub frequency: String,
    /// When the last digest was sent (milliseconds since the epoch).
    pub last_sent_at: Option<i64>,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const DIGEST: PersonalField = PersonalField {
    category: Category::Technical,
    purpose: "Sending the email digest you asked for, as often as you chose",
    basis: LawfulBasis::Consent,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "digest_settings",
    about: "Your email digest settings",
    columns: &[
        ColumnDecl::subject("member_id"),
        ColumnDecl::personal("frequency", DIGEST),
        ColumnDecl::personal("last_sent_at", DIGEST),
    ],
};
