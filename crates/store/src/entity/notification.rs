//! `notifications`: in-app notices (a reaction, a comment, a mention, a
//! connection request). Kept 90 days. Both the person notified and the
//! person who acted are data subjects of the row.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `notifications`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    /// Notification id (time-ordered).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Who is notified.
    pub member_id: Uuid,
    /// Who acted.
    pub actor_id: Option<Uuid>,
    /// What happened.
    pub kind: String,
    /// The post concerned.
    pub post_id: Option<Uuid>,
    /// The comment concerned.
    pub comment_id: Option<Uuid>,
    /// The course concerned.
    pub course_id: Option<Uuid>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// When it was seen.
    pub read_at: Option<i64>,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const NOTE: PersonalField = PersonalField {
    category: Category::SocialContent,
    purpose: "Telling you in the app about activity that concerns you",
    basis: LawfulBasis::Contract,
    retention: Retention::DaysAfterLastUse(90),
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "notifications",
    about: "Your notifications",
    columns: &[
        ColumnDecl::not_personal("id", "notification id"),
        ColumnDecl::subject("member_id"),
        ColumnDecl::subject("actor_id"),
        ColumnDecl::personal("kind", NOTE),
        ColumnDecl::personal("post_id", NOTE),
        ColumnDecl::personal("comment_id", NOTE),
        ColumnDecl::personal("course_id", NOTE),
        ColumnDecl::personal("created_at", NOTE),
        ColumnDecl::personal("read_at", NOTE),
    ],
};
