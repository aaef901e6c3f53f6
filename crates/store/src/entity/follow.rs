//! `follows`: a member following another member's public and members-only
//! posts.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `follows`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "follows")]
pub struct Model {
    /// Who follows.
    #[sea_orm(primary_key, auto_increment = false)]
    pub follower_id: Uuid,
    /// Who is followed.
    #[sea_orm(primary_key, auto_increment = false)]
    pub followee_id: Uuid,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const FOL: PersonalField = PersonalField {
    category: Category::Connections,
    purpose: "Showing you posts of members you follow",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "follows",
    about: "Members you follow and who follow you",
    columns: &[
        ColumnDecl::subject("follower_id"),
        ColumnDecl::subject("followee_id"),
        ColumnDecl::personal("created_at", FOL),
    ],
};
