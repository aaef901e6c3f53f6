//! `signing_keys`: the instance's Ed25519 credential keys. The secret half
//! is sealed by the instance key. Retired keys stay, so credentials they
//! signed still verify as this instance's.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// A signing key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    /// Key id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The 32-byte Ed25519 public key.
    #[sea_orm(unique)]
    pub public_key: Vec<u8>,
    /// The secret key, sealed by the instance key.
    pub sealed_secret: Vec<u8>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// When it stopped signing; it still verifies.
    pub retired_at: Option<i64>,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "signing_keys",
    about: "Credential signing keys",
    columns: &[
        ColumnDecl::not_personal("id", "key id"),
        ColumnDecl::not_personal("public_key", "public key"),
        ColumnDecl::not_personal("sealed_secret", "sealed secret key"),
        ColumnDecl::not_personal("created_at", "when the key was made"),
        ColumnDecl::not_personal("retired_at", "when the key was retired"),
    ],
};
