//! `subject_keys` (in the keyring database): each data subject's data key,
//! wrapped by the instance key.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// A wrapped key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subject_keys")]
pub struct Model {
    /// The subject.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject_id: Uuid,
    /// The data key, encrypted with the instance key.
    pub wrapped_key: Vec<u8>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "subject_keys",
    about: "Encryption keys, one per person; destroying one erases that person's encrypted data everywhere",
    columns: &[
        ColumnDecl::subject("subject_id"),
        ColumnDecl::not_personal(
            "wrapped_key",
            "key material, itself encrypted; holds no information about the person",
        ),
        ColumnDecl::not_personal("created_at", "key age, for rotation"),
    ],
};
