//! `messages`: private messages. Each message is stored once per
//! participant, encrypted under that participant's key, so erasing one
//! person leaves the other's copy readable only by them.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `messages`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    /// Message copy id (time-ordered).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Whose copy.
    pub owner_id: Uuid,
    /// The other participant.
    pub peer_id: Uuid,
    /// Written by the owner.
    pub is_outgoing: bool,
    /// Sent by someone not connected, as a message request.
    pub is_request: bool,
    /// The text, encrypted under the owner's key.
    pub body_ciphertext: Vec<u8>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// When the owner read it.
    pub read_at: Option<i64>,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const MSG: PersonalField = PersonalField {
    category: Category::Messages,
    purpose: "Keeping your conversations for you",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "messages",
    about: "Your messages",
    columns: &[
        ColumnDecl::not_personal("id", "message id"),
        ColumnDecl::subject("owner_id"),
        ColumnDecl::personal("peer_id", MSG),
        ColumnDecl::personal("is_outgoing", MSG),
        ColumnDecl::personal("is_request", MSG),
        ColumnDecl::personal(
            "body_ciphertext",
            PersonalField {
                is_encrypted: true,
                ..MSG
            },
        ),
        ColumnDecl::personal("created_at", MSG),
        ColumnDecl::personal("read_at", MSG),
    ],
};
