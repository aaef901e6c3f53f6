//! `credentials`: the ways a member proves who they are. One row per
//! credential, so passwords, passkeys and TOTP secrets sit side by side and
//! a member can hold several passkeys.

use lyceum_core::domain::datamap::*;
use sea_orm::entity::prelude::*;

/// A credential row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credentials")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The member the credential belongs to.
    pub member_id: Uuid,
    /// `password`, `passkey` or `totp`.
    pub kind: String,
    /// For a password, the argon2id PHC string; for a passkey, the
    /// serialised public key; for TOTP, the secret encrypted under the
    /// member's data key.
    pub secret: Vec<u8>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// Last successful use.
    pub last_used_at: Option<i64>,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The password kind.
pub const PASSWORD: &str = "password";

const SIGN_IN: &str = "Checking that it is you when you sign in";

/// What each column holds.
pub const DATA_MAP: TableDecl = TableDecl {
    table: "credentials",
    about: "Passwords, passkeys and second factors",
    columns: &[
        ColumnDecl::not_personal("id", "random row id"),
        ColumnDecl::subject("member_id"),
        ColumnDecl::not_personal("kind", "which type of credential the row is"),
        ColumnDecl::personal(
            "secret",
            PersonalField {
                category: Category::Credentials,
                purpose: SIGN_IN,
                basis: LawfulBasis::Contract,
                retention: Retention::WhileAccountOpen,
                erase: EraseAction::Delete,
                is_encrypted: false,
            },
        ),
        ColumnDecl::personal(
            "created_at",
            PersonalField {
                category: Category::Credentials,
                purpose: SIGN_IN,
                basis: LawfulBasis::Contract,
                retention: Retention::WhileAccountOpen,
                erase: EraseAction::Delete,
                is_encrypted: false,
            },
        ),
        ColumnDecl::personal(
            "last_used_at",
            PersonalField {
                category: Category::Credentials,
                purpose: "Showing you when each way of signing in was last used",
                basis: LawfulBasis::LegitimateInterest,
                retention: Retention::WhileAccountOpen,
                erase: EraseAction::Delete,
                is_encrypted: false,
            },
        ),
    ],
};
