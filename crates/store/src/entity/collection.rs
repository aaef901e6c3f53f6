//! `collections`: ordered lists of courses. A library's learning path
//! (`library_id` set: public, curated by its staff, titled in plain words)
//! or a learner's own collection (`owner_id` set: seen by them alone, its
//! title encrypted under their key).

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `collections`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "collections")]
pub struct Model {
    /// Id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The library whose path it is.
    pub library_id: Option<Uuid>,
    /// The learner whose collection it is.
    pub owner_id: Option<Uuid>,
    /// A library path's title (empty for a learner's collection).
    pub title: String,
    /// A learner's collection's title, encrypted (empty for a path).
    pub title_ciphertext: Vec<u8>,
    /// A library path's introduction (empty for a learner's collection).
    pub description: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// Milliseconds since the epoch.
    pub updated_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const MINE: PersonalField = PersonalField {
    category: Category::Learning,
    purpose: "Keeping the collections of courses you make for yourself",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "collections",
    about: "Your collections of courses",
    columns: &[
        ColumnDecl::not_personal("id", "collection id"),
        ColumnDecl::not_personal("library_id", "the library whose learning path it is"),
        ColumnDecl::subject("owner_id"),
        ColumnDecl::not_personal("title", "a library learning path's title"),
        ColumnDecl::personal(
            "title_ciphertext",
            PersonalField {
                is_encrypted: true,
                ..MINE
            },
        ),
        ColumnDecl::not_personal("description", "a library learning path's introduction"),
        ColumnDecl::personal("created_at", MINE),
        ColumnDecl::personal("updated_at", MINE),
    ],
};
