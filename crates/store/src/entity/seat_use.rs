//! `seat_uses`: which guests used a seat in which month, so a library's
//! licence (N distinct patrons a month) can be honoured. A row lives until
//! the month after next; the monthly counts in `usage_counts` outlast it.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One guest active in one month.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "seat_uses")]
pub struct Model {
    /// The library.
    #[sea_orm(primary_key, auto_increment = false)]
    pub library_id: Uuid,
    /// `yyyymm`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: i32,
    /// The guest.
    #[sea_orm(primary_key, auto_increment = false)]
    pub guest_id: Uuid,
    /// When the row is deleted.
    pub expires_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "seat_uses",
    about: "Seats used under your library's licence",
    columns: &[
        ColumnDecl::not_personal("library_id", "library id"),
        ColumnDecl::personal(
            "month",
            PersonalField {
                category: Category::Learning,
                purpose: "Counting you once a month against your library's licence",
                basis: LawfulBasis::Contract,
                retention: Retention::UntilExpiry,
                erase: EraseAction::Delete,
                is_encrypted: false,
            },
        ),
        ColumnDecl::subject("guest_id"),
        ColumnDecl::not_personal("expires_at", "when the row is deleted"),
    ],
};
