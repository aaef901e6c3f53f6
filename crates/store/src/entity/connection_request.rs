//! `connection_requests`: a pending request to connect. The optional note
//! is encrypted under the sender's key. Both people are data subjects of
//! the row.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `connection_requests`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connection_requests")]
pub struct Model {
    /// Request id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Who asked.
    pub from_id: Uuid,
    /// Who was asked.
    pub to_id: Uuid,
    /// The note, encrypted under the sender's key (may be empty).
    pub note_ciphertext: Vec<u8>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// When the person asked chose to ignore it.
    pub ignored_at: Option<i64>,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const REQ: PersonalField = PersonalField {
    category: Category::Connections,
    purpose: "Delivering your connection request, and its note, to the person you asked",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "connection_requests",
    about: "Connection requests you sent or received",
    columns: &[
        ColumnDecl::not_personal("id", "request id"),
        ColumnDecl::subject("from_id"),
        ColumnDecl::subject("to_id"),
        ColumnDecl::personal(
            "note_ciphertext",
            PersonalField {
                is_encrypted: true,
                ..REQ
            },
        ),
        ColumnDecl::personal("created_at", REQ),
        ColumnDecl::personal("ignored_at", REQ),
    ],
};
