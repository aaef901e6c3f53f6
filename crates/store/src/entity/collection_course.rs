//! `collection_courses`: the courses of a collection, in order. For a
//! learner's own collection the row names them too (`owner_id`), so their
//! export and erasure find it.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `collection_courses`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "collection_courses")]
pub struct Model {
    /// The collection.
    #[sea_orm(primary_key, auto_increment = false)]
    pub collection_id: Uuid,
    /// The course.
    #[sea_orm(primary_key, auto_increment = false)]
    pub course_id: Uuid,
    /// The learner whose collection it is (none for a library's path).
    pub owner_id: Option<Uuid>,
    /// Order, from 0.
    pub position: i32,
    /// Milliseconds since the epoch.
    pub added_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const MINE: PersonalField = PersonalField {
    category: Category::Learning,
    purpose: "Keeping the courses you put in your collections, in your order",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "collection_courses",
    about: "The courses in your collections",
    columns: &[
        ColumnDecl::personal("collection_id", MINE),
        ColumnDecl::personal("course_id", MINE),
        ColumnDecl::subject("owner_id"),
        ColumnDecl::personal("position", MINE),
        ColumnDecl::personal("added_at", MINE),
    ],
};
