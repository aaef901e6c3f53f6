//! `static_patrons`: the card list of a small library that has no SIP2
//! server. The library gives card numbers and argon2 hashes of PINs; the
//! card number is kept only as the same keyed pseudonym a guest gets, so
//! this table names no card either.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One card on a library's list.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "static_patrons")]
pub struct Model {
    /// The library.
    #[sea_orm(primary_key, auto_increment = false)]
    pub library_id: Uuid,
    /// HMAC of the normalised card number under the library's secret.
    #[sea_orm(primary_key, auto_increment = false)]
    pub pseudonym: Vec<u8>,
    /// The PIN's argon2 hash (PHC string), as the library gave it.
    pub pin_hash: String,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const CARD_LIST: PersonalField = PersonalField {
    category: Category::Credentials,
    purpose: "Checking a card and PIN for a library that has no card system we can ask",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "static_patrons",
    about: "Card lists of libraries without a card system",
    columns: &[
        ColumnDecl::not_personal("library_id", "library id"),
        ColumnDecl::personal("pseudonym", CARD_LIST),
        ColumnDecl::personal("pin_hash", CARD_LIST),
    ],
};
