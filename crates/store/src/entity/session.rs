//! `sessions`: server-side sessions. The cookie holds a random token; the
//! row is keyed by the token's SHA-256, so a copy of the database cannot be
//! used to take over a session.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// A session row. `member_id` is empty for the short anonymous session
/// that carries the CSRF token of the sign-in and sign-up forms.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// SHA-256 of the cookie token.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: Vec<u8>,
    /// The signed-in member, if any.
    #[sea_orm(indexed)]
    pub member_id: Option<Uuid>,
    /// The signed-in guest learner, if any.
    #[sea_orm(indexed)]
    pub guest_id: Option<Uuid>,
    /// On a shared computer: the session ends after this much inactivity.
    pub idle_timeout_ms: Option<i64>,
    /// The CSRF token for forms in this session.
    pub csrf_token: String,
    /// Whether the person said this is a shared computer.
    pub is_shared_device: bool,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// Last request, to the nearest few minutes.
    pub last_seen_at: i64,
    /// When the session ends regardless of use.
    #[sea_orm(indexed)]
    pub expires_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const KEEP_SIGNED_IN: PersonalField = PersonalField {
    category: Category::Technical,
    purpose: "Keeping you signed in, and letting you sign out everywhere",
    basis: LawfulBasis::Contract,
    retention: Retention::UntilExpiry,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "sessions",
    about: "Signed-in sessions",
    columns: &[
        ColumnDecl::not_personal(
            "token_hash",
            "hash of a random token; identifies the session, not the person",
        ),
        ColumnDecl::subject("member_id"),
        ColumnDecl::subject("guest_id"),
        ColumnDecl::personal("idle_timeout_ms", KEEP_SIGNED_IN),
        ColumnDecl::not_personal("csrf_token", "random token that protects forms"),
        ColumnDecl::personal("is_shared_device", KEEP_SIGNED_IN),
        ColumnDecl::personal("created_at", KEEP_SIGNED_IN),
        ColumnDecl::personal("last_seen_at", KEEP_SIGNED_IN),
        ColumnDecl::personal("expires_at", KEEP_SIGNED_IN),
    ],
};
