//! `courses`: the catalog. A course belongs to a provider; imports match
//! on the provider's own identifier (`external_id`), so importing the same
//! catalog twice updates rather than duplicates.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// A course.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "courses")]
pub struct Model {
    /// Course id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The provider.
    pub provider_id: Uuid,
    /// The provider's own identifier, unique per provider.
    pub external_id: Option<String>,
    /// Short name for addresses, unique.
    #[sea_orm(unique)]
    pub slug: String,
    /// Title.
    pub title: String,
    /// One or two sentences.
    pub summary: String,
    /// Markdown.
    pub description: String,
    /// `beginner`, `intermediate` or `advanced`.
    pub level: String,
    /// BCP 47 language tag.
    pub language: String,
    /// Estimated minutes to complete.
    pub duration_minutes: i32,
    /// `draft`, `review` or `published`.
    pub status: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// Milliseconds since the epoch.
    pub updated_at: i64,
    /// First publication, milliseconds since the epoch.
    pub published_at: Option<i64>,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "courses",
    about: "Courses",
    columns: &[
        ColumnDecl::not_personal("id", "course id"),
        ColumnDecl::not_personal("provider_id", "provider id"),
        ColumnDecl::not_personal("external_id", "the provider's course identifier"),
        ColumnDecl::not_personal("slug", "course short name"),
        ColumnDecl::not_personal("title", "course title"),
        ColumnDecl::not_personal("summary", "course summary"),
        ColumnDecl::not_personal("description", "course description"),
        ColumnDecl::not_personal("level", "course level"),
        ColumnDecl::not_personal("language", "course language"),
        ColumnDecl::not_personal("duration_minutes", "course duration"),
        ColumnDecl::not_personal("status", "publishing state"),
        ColumnDecl::not_personal("created_at", "when the course was created"),
        ColumnDecl::not_personal("updated_at", "when the course last changed"),
        ColumnDecl::not_personal("published_at", "when the course was published"),
    ],
};
