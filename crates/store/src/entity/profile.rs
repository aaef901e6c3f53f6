//! `profiles`: a member's professional profile. Every section has its own
//! visibility, all starting at "only me"; the handle is the profile's
//! address. Written text is encrypted under the member's key.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// One row of `profiles`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "profiles")]
pub struct Model {
    /// The member.
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    /// The address of the profile (`/people/{handle}`).
    pub handle: String,
    /// One line about the member, encrypted.
    pub headline_ciphertext: Vec<u8>,
    /// A few paragraphs, encrypted.
    pub about_ciphertext: Vec<u8>,
    /// Skills, one per line, encrypted.
    pub skills_ciphertext: Vec<u8>,
    /// Who sees the headline.
    pub vis_headline: String,
    /// Who sees the about section.
    pub vis_about: String,
    /// Who sees experience.
    pub vis_experience: String,
    /// Who sees education.
    pub vis_education: String,
    /// Who sees skills.
    pub vis_skills: String,
    /// Who sees certificates earned here.
    pub vis_certificates: String,
    /// Who sees the list of connections.
    pub vis_connections: String,
    /// A page exists for people not signed in.
    pub is_public_page: bool,
    /// Search engines may index the public page.
    pub is_indexable: bool,
    /// Suggested to others as someone they may know.
    pub is_discoverable: bool,
    /// Members who are not connections may send a message request.
    pub allow_message_requests: bool,
    /// Connections' exports may include the email address.
    pub allow_email_download: bool,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// Milliseconds since the epoch.
    pub updated_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const PROFILE: PersonalField = PersonalField {
    category: Category::Profile,
    purpose: "Showing your profile to the people you chose, section by section",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

const SETTINGS: PersonalField = PersonalField {
    category: Category::Profile,
    purpose: "Remembering who may see each part of your profile and what you allow",
    basis: LawfulBasis::Contract,
    retention: Retention::WhileAccountOpen,
    erase: EraseAction::Delete,
    is_encrypted: false,
};

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "profiles",
    about: "Your profile and who may see each part of it",
    columns: &[
        ColumnDecl::subject("member_id"),
        ColumnDecl::personal("handle", PROFILE),
        ColumnDecl::personal(
            "headline_ciphertext",
            PersonalField {
                is_encrypted: true,
                ..PROFILE
            },
        ),
        ColumnDecl::personal(
            "about_ciphertext",
            PersonalField {
                is_encrypted: true,
                ..PROFILE
            },
        ),
        ColumnDecl::personal(
            "skills_ciphertext",
            PersonalField {
                is_encrypted: true,
                ..PROFILE
            },
        ),
        ColumnDecl::personal("vis_headline", SETTINGS),
        ColumnDecl::personal("vis_about", SETTINGS),
        ColumnDecl::personal("vis_experience", SETTINGS),
        ColumnDecl::personal("vis_education", SETTINGS),
        ColumnDecl::personal("vis_skills", SETTINGS),
        ColumnDecl::personal("vis_certificates", SETTINGS),
        ColumnDecl::personal("vis_connections", SETTINGS),
        ColumnDecl::personal("is_public_page", SETTINGS),
        ColumnDecl::personal("is_indexable", SETTINGS),
        ColumnDecl::personal("is_discoverable", SETTINGS),
        ColumnDecl::personal("allow_message_requests", SETTINGS),
        ColumnDecl::personal("allow_email_download", SETTINGS),
        ColumnDecl::personal("created_at", SETTINGS),
        ColumnDecl::personal("updated_at", SETTINGS),
    ],
};
