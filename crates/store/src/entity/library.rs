//! `libraries`: the tenants. A library is an organisation, not a person;
//! nothing here is personal data. Its secrets (the key its patrons'
//! pseudonyms are computed with, and its SIP2 account password) are stored
//! wrapped by the instance key, so a copy of the database alone reveals
//! neither.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// A library.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "libraries")]
pub struct Model {
    /// Library id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Short name for addresses; unique.
    #[sea_orm(unique)]
    pub slug: String,
    /// Public name.
    pub name: String,
    /// Town or area, for the "choose your library" search.
    pub town: Option<String>,
    /// How patrons reach the library's staff (shown when seats run out or
    /// the card check is down).
    pub contact: String,
    /// `#rrggbb`, checked for contrast with white text.
    pub brand_colour: String,
    /// Seats per month; empty means unlimited.
    pub seats_per_month: Option<i32>,
    /// The consortium the library belongs to, if any.
    pub consortium: Option<String>,
    /// `sip2`, `static_list` or `disabled`.
    pub auth_method: String,
    /// SIP2 connection settings as JSON (no secrets).
    pub sip2_settings: Option<String>,
    /// The SIP2 account password, sealed by the instance key.
    pub sip2_password: Option<Vec<u8>>,
    /// OpenID Connect settings as JSON (no secrets).
    pub oidc_settings: Option<String>,
    /// The OpenID Connect client secret, sealed by the instance key.
    pub oidc_client_secret: Option<Vec<u8>>,
    /// Whether the sign-in form starts with "shared computer" ticked.
    pub shared_computer_default: bool,
    /// Minutes of inactivity after which a shared-computer session ends.
    pub idle_minutes: i32,
    /// Days a guest learner's data is kept after their last visit.
    pub guest_retention_days: i32,
    /// The library's logo (PNG, JPEG or WebP), if uploaded.
    pub logo: Option<Vec<u8>>,
    /// The logo's media type.
    pub logo_type: Option<String>,
    /// The pseudonym key, sealed by the instance key.
    pub pseudonym_secret: Vec<u8>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "libraries",
    about: "Libraries and their settings",
    columns: &[
        ColumnDecl::not_personal("id", "library id"),
        ColumnDecl::not_personal("slug", "the library's short name"),
        ColumnDecl::not_personal("name", "the library's name"),
        ColumnDecl::not_personal("town", "where the library is"),
        ColumnDecl::not_personal("contact", "the library's public contact line"),
        ColumnDecl::not_personal("brand_colour", "branding"),
        ColumnDecl::not_personal("seats_per_month", "the licence"),
        ColumnDecl::not_personal("consortium", "the library's consortium"),
        ColumnDecl::not_personal("auth_method", "how patrons sign in"),
        ColumnDecl::not_personal("sip2_settings", "the library system's address"),
        ColumnDecl::not_personal("sip2_password", "the library's own SIP2 account, sealed"),
        ColumnDecl::not_personal("oidc_settings", "the identity provider's address"),
        ColumnDecl::not_personal(
            "oidc_client_secret",
            "the library's own client secret, sealed",
        ),
        ColumnDecl::not_personal("shared_computer_default", "a setting"),
        ColumnDecl::not_personal("idle_minutes", "a setting"),
        ColumnDecl::not_personal("guest_retention_days", "a setting"),
        ColumnDecl::not_personal("pseudonym_secret", "the library's pseudonym key, sealed"),
        ColumnDecl::not_personal("logo", "branding"),
        ColumnDecl::not_personal("logo_type", "branding"),
        ColumnDecl::not_personal("created_at", "when the library was added"),
    ],
};
