//! `password_resets`: one row per password-reset link that can still be
//! used. The link's token is random and only its SHA-256 is kept; the row
//! is deleted when the link is used, when a newer link is asked for, or by
//! the scrubber once it has expired (an hour after it was made).

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// A reset link that may still be used.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "password_resets")]
pub struct Model {
    /// SHA-256 of the token in the link.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: Vec<u8>,
    /// The account.
    pub member_id: Uuid,
    /// When it was asked for (milliseconds since the epoch).
    pub created_at: i64,
    /// When the link stops working.
    pub expires_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const RESET: PersonalField = PersonalField {
    category: Category::Credentials,
    purpose: "Letting you set a new password when you forgot yours",
    basis: LawfulBasis::Contract,
    retention: Retention::UntilExpiry,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "password_resets",
    about: "Password-reset links you asked for",
    columns: &[
        ColumnDecl::personal("token_hash", RESET),
        ColumnDecl::subject("member_id"),
        ColumnDecl::personal("created_at", RESET),
        ColumnDecl::personal("expires_at", RESET),
    ],
};
