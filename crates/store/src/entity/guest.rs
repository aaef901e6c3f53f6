//! `guests`: guest learners. A guest is a library patron known only by a
//! keyed pseudonym of their card: HMAC-SHA-256 under the library's own
//! secret. The card number, the PIN, a name or an email are never here.
//! Without the library's secret (sealed by the instance key) the pseudonym
//! cannot be linked back to a card, even by trying every card number.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// A guest learner.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "guests")]
pub struct Model {
    /// Guest id; also the data subject id of the guest's key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The library whose card it is.
    pub library_id: Uuid,
    /// HMAC of the normalised card number under the library's secret.
    pub pseudonym: Vec<u8>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// The guest's last sign-in.
    pub last_seen_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Guests are kept for the library's guest retention period after their
/// last visit (365 days unless the library chooses otherwise).
pub const GUEST: PersonalField = PersonalField {
    category: Category::Identity,
    purpose: "Recognising your library card on your next visit, so your progress is kept, \
              without knowing the card number",
    basis: LawfulBasis::Contract,
    retention: Retention::DaysAfterLastUse(365),
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "guests",
    about: "Guest learners (library card holders)",
    columns: &[
        ColumnDecl::subject("id"),
        ColumnDecl::not_personal("library_id", "library id"),
        ColumnDecl::personal("pseudonym", GUEST),
        ColumnDecl::personal("created_at", GUEST),
        ColumnDecl::personal("last_seen_at", GUEST),
    ],
};
