//! `instructors`: the people credited on courses. An instructor may be a
//! member (then erasing the member removes the instructor page and every
//! credit) or a name a provider supplied with its catalog.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// An instructor.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "instructors")]
pub struct Model {
    /// Instructor id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Short name for the instructor's page, unique.
    #[sea_orm(unique)]
    pub slug: String,
    /// The name credited on courses.
    pub name: String,
    /// A short biography.
    pub bio: String,
    /// The provider that supplied the credit, if any.
    pub provider_id: Option<Uuid>,
    /// The member who is this instructor, if they have an account.
    pub member_id: Option<Uuid>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const CREDIT: PersonalField = PersonalField {
    category: Category::Profile,
    purpose: "Crediting you as the instructor of the courses you teach, on the course pages and your instructor page",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "instructors",
    about: "Instructors credited on courses",
    columns: &[
        ColumnDecl::not_personal("id", "instructor id"),
        ColumnDecl::personal("slug", CREDIT),
        ColumnDecl::personal("name", CREDIT),
        ColumnDecl::personal("bio", CREDIT),
        ColumnDecl::not_personal("provider_id", "provider id"),
        ColumnDecl::subject("member_id"),
        ColumnDecl::personal("created_at", CREDIT),
    ],
};
