//! `oidc_logins`: one row per OpenID Connect sign-in in progress, between
//! sending the patron to their library's identity provider and their
//! return. Holds only random values (the state's hash, the PKCE verifier
//! sealed by the instance key, the nonce); it is deleted on return, or by
//! the scrubber ten minutes after it was made. Kept in the database rather
//! than in memory so the return may land on any node.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// A sign-in in progress.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oidc_logins")]
pub struct Model {
    /// SHA-256 of the `state` parameter.
    #[sea_orm(primary_key, auto_increment = false)]
    pub state_hash: Vec<u8>,
    /// The library.
    pub library_id: Uuid,
    /// The PKCE code verifier, sealed by the instance key.
    pub verifier: Vec<u8>,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// Whether the patron chose "shared computer".
    pub is_shared_device: bool,
    /// When the attempt lapses.
    pub expires_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "oidc_logins",
    about: "Library account sign-ins in progress",
    columns: &[
        ColumnDecl::not_personal("state_hash", "hash of a random value"),
        ColumnDecl::not_personal("library_id", "library id"),
        ColumnDecl::not_personal("verifier", "a random value, sealed"),
        ColumnDecl::not_personal("nonce", "a random value"),
        ColumnDecl::not_personal("is_shared_device", "a choice made before anyone is known"),
        ColumnDecl::not_personal("expires_at", "when the attempt lapses"),
    ],
};
