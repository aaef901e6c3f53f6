//! `members`: accounts of people who signed up with an email address.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// A member row. Email and display name are ciphertext under the member's
/// data key; `email_index` is the blind index used to find the row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "members")]
pub struct Model {
    /// The member id, also their data subject id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// HMAC of the normalised email.
    #[sea_orm(unique)]
    pub email_index: Vec<u8>,
    /// The email, encrypted.
    pub email_ciphertext: Vec<u8>,
    /// The display name, encrypted.
    pub display_name_ciphertext: Vec<u8>,
    /// `member` or `operator`.
    pub role: String,
    /// `active` or `closed`.
    pub status: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// When the member closed the account; erasure completes within the grace period.
    pub closed_at: Option<i64>,
    /// Since when the member has paused all optional processing (GDPR Art.
    /// 18 restriction); empty when not paused.
    pub processing_paused_at: Option<i64>,
}

/// No relations are navigated through SeaORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const ACCOUNT: &str = "Running your account: signing you in and showing your name where you choose";

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "members",
    about: "Member accounts",
    columns: &[
        ColumnDecl::subject("id"),
        ColumnDecl::personal(
            "email_index",
            PersonalField {
                category: Category::Contact,
                purpose: "Finding your account when you sign in, without storing your email in readable form",
                basis: LawfulBasis::Contract,
                retention: Retention::WhileAccountOpen,
                erase: EraseAction::Delete,
                is_encrypted: false,
            },
        ),
        ColumnDecl::personal(
            "email_ciphertext",
            PersonalField {
                category: Category::Contact,
                purpose: "Signing you in and security messages about your account",
                basis: LawfulBasis::Contract,
                retention: Retention::WhileAccountOpen,
                erase: EraseAction::CryptoShred,
                is_encrypted: true,
            },
        ),
        ColumnDecl::personal(
            "display_name_ciphertext",
            PersonalField {
                category: Category::Identity,
                purpose: ACCOUNT,
                basis: LawfulBasis::Contract,
                retention: Retention::WhileAccountOpen,
                erase: EraseAction::CryptoShred,
                is_encrypted: true,
            },
        ),
        ColumnDecl::personal(
            "role",
            PersonalField {
                category: Category::Technical,
                purpose: "Deciding what your account may do",
                basis: LawfulBasis::Contract,
                retention: Retention::WhileAccountOpen,
                erase: EraseAction::Delete,
                is_encrypted: false,
            },
        ),
        ColumnDecl::personal(
            "status",
            PersonalField {
                category: Category::Technical,
                purpose: "Knowing whether your account is open or closing",
                basis: LawfulBasis::Contract,
                retention: Retention::WhileAccountOpen,
                erase: EraseAction::Delete,
                is_encrypted: false,
            },
        ),
        ColumnDecl::personal(
            "created_at",
            PersonalField {
                category: Category::Technical,
                purpose: ACCOUNT,
                basis: LawfulBasis::Contract,
                retention: Retention::WhileAccountOpen,
                erase: EraseAction::Delete,
                is_encrypted: false,
            },
        ),
        ColumnDecl::personal(
            "closed_at",
            PersonalField {
                category: Category::Technical,
                purpose: "Erasing your account on time after you close it",
                basis: LawfulBasis::LegalObligation,
                retention: Retention::WhileAccountOpen,
                erase: EraseAction::Delete,
                is_encrypted: false,
            },
        ),
        ColumnDecl::personal(
            "processing_paused_at",
            PersonalField {
                category: Category::Consents,
                purpose: "Remembering that you paused all optional processing of your data",
                basis: LawfulBasis::LegalObligation,
                retention: Retention::WhileAccountOpen,
                erase: EraseAction::Delete,
                is_encrypted: false,
            },
        ),
    ],
};
