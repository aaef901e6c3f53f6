//! `qa_votes`: a learner marking a question or answer helpful, once each.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `qa_votes`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "qa_votes")]
pub struct Model {
    /// The question or answer.
    #[sea_orm(primary_key, auto_increment = false)]
    pub post_id: Uuid,
    /// Who.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject_id: Uuid,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const FIELD: PersonalField = PersonalField {
    category: Category::SocialContent,
    purpose: "Counting your helpful marks on questions and answers (others see only the count)",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "qa_votes",
    about: "Questions and answers you marked helpful",
    columns: &[
        ColumnDecl::personal("post_id", FIELD),
        ColumnDecl::subject("subject_id"),
        ColumnDecl::personal("created_at", FIELD),
    ],
};
