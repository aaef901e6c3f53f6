//! Member accounts: sign-up, password checks, changes. Email and display
//! name are encrypted under the member's data key before they reach the
//! database; the email is found again through its blind index.

use crate::entity::{credential, member};
use crate::{Store, StoreError, from_ms};
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Utc};
use lyceum_core::domain::{DisplayName, Email, MemberId, NewPassword, Role, SubjectId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use std::sync::LazyLock;

const EMAIL_CTX: &str = "members.email";
const NAME_CTX: &str = "members.display_name";
const EMAIL_INDEX: &str = "member-email";

/// A member account as the rest of Lyceum sees it: decrypted and typed.
#[derive(Debug, Clone)]
pub struct Member {
    /// The id.
    pub id: MemberId,
    /// Their email address.
    pub email: Email,
    /// The name they show.
    pub display_name: DisplayName,
    /// What the account may do.
    pub role: Role,
    /// When they signed up.
    pub created_at: DateTime<Utc>,
}

/// Accounts read in the last few seconds, decrypted. Every signed-in
/// request needs the account; this saves a query, a key look-up and two
/// decryptions per request. Entries live [`MemberCache::TTL`]; a change
/// made through this node drops its entry at once, and other nodes see it
/// within the TTL. Session checks are never cached, so signing out takes
/// effect everywhere immediately.
#[derive(Debug, Default, Clone)]
pub struct MemberCache {
    inner: std::sync::Arc<
        std::sync::Mutex<std::collections::HashMap<MemberId, (Member, std::time::Instant)>>,
    >,
}

impl MemberCache {
    /// How long an entry is trusted.
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(30);
    const MAX: usize = 50_000;

    fn get(&self, id: MemberId) -> Option<Member> {
        let map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&id)
            .filter(|(_, at)| at.elapsed() < Self::TTL)
            .map(|(m, _)| m.clone())
    }

    fn put(&self, m: &Member) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= Self::MAX {
            map.retain(|_, (_, at)| at.elapsed() < Self::TTL);
            if map.len() >= Self::MAX {
                map.clear();
            }
        }
        map.insert(m.id, (m.clone(), std::time::Instant::now()));
    }

    pub(crate) fn forget(&self, id: MemberId) {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }
}

/// What a new account needs.
#[derive(Debug)]
pub struct NewMember {
    /// Email address.
    pub email: Email,
    /// Display name.
    pub display_name: DisplayName,
    /// Chosen password.
    pub password: NewPassword,
    /// Role.
    pub role: Role,
}

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum SignUpError {
    /// An account with that email exists.
    #[error("an account with this email address already exists")]
    EmailTaken,
    /// Setup was already done by someone else.
    #[error("an operator account already exists")]
    OperatorExists,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for SignUpError {
    fn from(e: sea_orm::DbErr) -> Self {
        SignUpError::Store(e.into())
    }
}

/// argon2id with the OWASP Password Storage Cheat Sheet's first
/// recommended setting: 19 MiB of memory, 2 passes, 1 lane.
pub(crate) fn hasher() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters"),
    )
}

/// A hash of a random password with the same parameters. Checking a
/// password against it costs what a real check costs, so "no such
/// account" takes as long as "wrong password" and timing does not reveal
/// who has an account.
pub(crate) static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(uuid::Uuid::new_v4().to_string().as_bytes(), &salt)
        .expect("hashing a fixed-size input cannot fail")
        .to_string()
});

async fn hash_password(password: NewPassword) -> Result<String, StoreError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| StoreError::Corrupt(format!("argon2: {e}")))
    })
    .await?
}

pub(crate) async fn verify(password: &str, phc: String) -> Result<bool, StoreError> {
    let password = password.to_owned();
    Ok(tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&phc) else {
            return false;
        };
        hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await?)
}

/// Account use cases over the store.
#[derive(Debug)]
pub struct Accounts<'a> {
    store: &'a Store,
}

impl<'a> Accounts<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    fn email_index(&self, email: &Email) -> Vec<u8> {
        self.store
            .keyring
            .instance_key()
            .blind_index(EMAIL_INDEX, &email.normalised())
    }

    /// Whether the first operator has been created.
    pub async fn operator_exists(&self) -> Result<bool, StoreError> {
        let n = member::Entity::find()
            .filter(member::Column::Role.eq(Role::Operator.as_str()))
            .count(&self.store.db)
            .await?;
        Ok(n > 0)
    }

    /// Creates an account.
    pub async fn create(&self, new: NewMember) -> Result<Member, SignUpError> {
        let hash = hash_password(new.password.clone()).await?;
        self.create_inner(new, hash, false).await
    }

    /// Hashes a password once for [`Accounts::create_hashed`].
    pub async fn hash(password: NewPassword) -> Result<String, StoreError> {
        hash_password(password).await
    }

    /// Creates an account whose password hash was computed beforehand by
    /// [`Accounts::hash`] from `new.password`. For bulk loads (the load
    /// tool's datasets), where thousands of accounts share one password
    /// and hashing each would take minutes.
    pub async fn create_hashed(
        &self,
        new: NewMember,
        password_hash: String,
    ) -> Result<Member, SignUpError> {
        self.create_inner(new, password_hash, false).await
    }

    /// Creates the first operator at first-run setup; refuses when an
    /// operator exists already (two people racing through setup).
    pub async fn create_first_operator(&self, mut new: NewMember) -> Result<Member, SignUpError> {
        new.role = Role::Operator;
        let hash = hash_password(new.password.clone()).await?;
        self.create_inner(new, hash, true).await
    }

    async fn create_inner(
        &self,
        new: NewMember,
        hash: String,
        only_if_first_operator: bool,
    ) -> Result<Member, SignUpError> {
        let index = self.email_index(&new.email);
        if member::Entity::find()
            .filter(member::Column::EmailIndex.eq(index.clone()))
            .count(&self.store.db)
            .await?
            > 0
        {
            return Err(SignUpError::EmailTaken);
        }
        let id = MemberId::new();
        let now = self.store.now_ms();
        let key = self.store.keyring.create(SubjectId::from(id), now).await?;
        let row = member::ActiveModel {
            id: Set(id.0),
            email_index: Set(index),
            email_ciphertext: Set(key.encrypt(EMAIL_CTX, new.email.as_str().as_bytes())),
            display_name_ciphertext: Set(
                key.encrypt(NAME_CTX, new.display_name.as_str().as_bytes())
            ),
            role: Set(new.role.as_str().to_owned()),
            status: Set("active".to_owned()),
            created_at: Set(now),
            closed_at: Set(None),
            processing_paused_at: Set(None),
        };
        let role = new.role;
        let result = self
            .store
            .writer
            .transaction::<_, (), SignUpError>(|tx| {
                Box::pin(async move {
                    if only_if_first_operator
                        && member::Entity::find()
                            .filter(member::Column::Role.eq(Role::Operator.as_str()))
                            .count(tx)
                            .await?
                            > 0
                    {
                        return Err(SignUpError::OperatorExists);
                    }
                    row.insert(tx).await.map_err(|e| match e.sql_err() {
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                            SignUpError::EmailTaken
                        }
                        _ => SignUpError::from(e),
                    })?;
                    credential::ActiveModel {
                        id: Set(uuid::Uuid::now_v7()),
                        member_id: Set(id.0),
                        kind: Set(credential::PASSWORD.to_owned()),
                        secret: Set(hash.into_bytes()),
                        created_at: Set(now),
                        last_used_at: Set(None),
                    }
                    .insert(tx)
                    .await?;
                    Ok(())
                })
            })
            .await;
        match result {
            Ok(()) => Ok(Member {
                id,
                email: new.email,
                display_name: new.display_name,
                role,
                created_at: from_ms(now),
            }),
            Err(e) => {
                // The member row never landed: the key encrypts nothing.
                let _ = self.store.keyring.destroy(SubjectId::from(id)).await;
                Err(match e {
                    sea_orm::TransactionError::Connection(db) => SignUpError::from(db),
                    sea_orm::TransactionError::Transaction(e) => e,
                })
            }
        }
    }

    /// The oldest operator account, if any: changes made from the shell are
    /// recorded as theirs.
    pub async fn first_operator(&self) -> Result<Option<MemberId>, StoreError> {
        Ok(member::Entity::find()
            .filter(member::Column::Role.eq(Role::Operator.as_str()))
            .filter(member::Column::Status.eq("active"))
            .order_by_asc(member::Column::CreatedAt)
            .one(&self.store.db)
            .await?
            .map(|r| MemberId(r.id)))
    }

    /// The account with this email address, if any (for adding staff).
    pub async fn find_by_email(&self, email: &Email) -> Result<Option<MemberId>, StoreError> {
        let index = self.email_index(email);
        Ok(member::Entity::find()
            .filter(member::Column::EmailIndex.eq(index))
            .filter(member::Column::Status.eq("active"))
            .one(&self.store.db)
            .await?
            .map(|r| MemberId(r.id)))
    }

    /// Loads and decrypts an account.
    pub async fn get(&self, id: MemberId) -> Result<Option<Member>, StoreError> {
        if let Some(m) = self.store.members.get(id) {
            return Ok(Some(m));
        }
        let Some(row) = member::Entity::find_by_id(id.0).one(&self.store.db).await? else {
            return Ok(None);
        };
        let m = self.decode(row).await?;
        self.store.members.put(&m);
        Ok(Some(m))
    }

    /// Drops an account from this node's cache after it changed.
    pub fn forget(&self, id: MemberId) {
        self.store.members.forget(id);
    }

    async fn decode(&self, row: member::Model) -> Result<Member, StoreError> {
        let id = MemberId(row.id);
        let key = self.store.keyring.get(SubjectId::from(id)).await?;
        let corrupt = |what: &str| StoreError::Corrupt(format!("member {id}: {what}"));
        let email = key
            .decrypt_string(EMAIL_CTX, &row.email_ciphertext)
            .map_err(|_| corrupt("email"))?;
        let name = key
            .decrypt_string(NAME_CTX, &row.display_name_ciphertext)
            .map_err(|_| corrupt("name"))?;
        Ok(Member {
            id,
            email: Email::parse(&email).map_err(|_| corrupt("email format"))?,
            display_name: DisplayName::parse(&name).map_err(|_| corrupt("name format"))?,
            role: Role::from_stored(&row.role).ok_or_else(|| corrupt("role"))?,
            created_at: from_ms(row.created_at),
        })
    }

    /// Checks an email and password. Unknown email and wrong password take
    /// the same time and give the same answer: `None`.
    pub async fn verify_password(
        &self,
        email: &Email,
        password: &str,
    ) -> Result<Option<Member>, StoreError> {
        let index = self.email_index(email);
        let row = member::Entity::find()
            .filter(member::Column::EmailIndex.eq(index))
            .filter(member::Column::Status.eq("active"))
            .one(&self.store.db)
            .await?;
        let Some(row) = row else {
            verify(password, DUMMY_HASH.clone()).await?;
            return Ok(None);
        };
        let Some(cred) = self.password_credential(MemberId(row.id)).await? else {
            verify(password, DUMMY_HASH.clone()).await?;
            return Ok(None);
        };
        let phc = String::from_utf8(cred.secret)
            .map_err(|_| StoreError::Corrupt("password hash".into()))?;
        if !verify(password, phc).await? {
            return Ok(None);
        }
        credential::Entity::update_many()
            .col_expr(
                credential::Column::LastUsedAt,
                Expr::value(self.store.now_ms()),
            )
            .filter(credential::Column::Id.eq(cred.id))
            .exec(&self.store.writer)
            .await?;
        match self.decode(row).await {
            Ok(m) => Ok(Some(m)),
            // A row restored from a backup taken before its owner was
            // erased: the key is gone, so the account does not exist.
            Err(StoreError::KeyDestroyed) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn password_credential(
        &self,
        id: MemberId,
    ) -> Result<Option<credential::Model>, StoreError> {
        Ok(credential::Entity::find()
            .filter(credential::Column::MemberId.eq(id.0))
            .filter(credential::Column::Kind.eq(credential::PASSWORD))
            .one(&self.store.db)
            .await?)
    }

    /// Replaces the password after checking the current one. Returns
    /// `false` when the current password is wrong.
    pub async fn change_password(
        &self,
        id: MemberId,
        current: &str,
        new: NewPassword,
    ) -> Result<bool, StoreError> {
        let Some(cred) = self.password_credential(id).await? else {
            return Ok(false);
        };
        let phc = String::from_utf8(cred.secret.clone())
            .map_err(|_| StoreError::Corrupt("password hash".into()))?;
        if !verify(current, phc).await? {
            return Ok(false);
        }
        let hash = hash_password(new).await?;
        let mut active: credential::ActiveModel = cred.into();
        active.secret = Set(hash.into_bytes());
        active.created_at = Set(self.store.now_ms());
        active.update(&self.store.writer).await?;
        Ok(true)
    }

    /// Sets a new password without the current one (a reset through an
    /// emailed link, whose token the caller checked): replaces the password,
    /// or adds one to an account that had only passkeys.
    pub(crate) async fn set_password(
        &self,
        id: MemberId,
        new: NewPassword,
    ) -> Result<(), StoreError> {
        let hash = hash_password(new).await?.into_bytes();
        let now = self.store.now_ms();
        match self.password_credential(id).await? {
            Some(cred) => {
                let mut active: credential::ActiveModel = cred.into();
                active.secret = Set(hash);
                active.created_at = Set(now);
                active.update(&self.store.writer).await?;
            }
            None => {
                credential::ActiveModel {
                    id: Set(uuid::Uuid::now_v7()),
                    member_id: Set(id.0),
                    kind: Set(credential::PASSWORD.into()),
                    secret: Set(hash),
                    created_at: Set(now),
                    last_used_at: Set(None),
                }
                .insert(&self.store.writer)
                .await?;
            }
        }
        Ok(())
    }

    /// How many open operator accounts exist.
    pub async fn operator_count(&self) -> Result<u64, StoreError> {
        Ok(member::Entity::find()
            .filter(member::Column::Role.eq(Role::Operator.as_str()))
            .filter(member::Column::Status.eq("active"))
            .count(&self.store.db)
            .await?)
    }

    /// Checks a member's password (before erasure and other sensitive acts).
    pub async fn check_password(&self, id: MemberId, password: &str) -> Result<bool, StoreError> {
        let Some(cred) = self.password_credential(id).await? else {
            verify(password, DUMMY_HASH.clone()).await?;
            return Ok(false);
        };
        let phc = String::from_utf8(cred.secret)
            .map_err(|_| StoreError::Corrupt("password hash".into()))?;
        verify(password, phc).await
    }

    /// Counts accounts (for metrics and the demo).
    pub async fn count(&self) -> Result<u64, StoreError> {
        Ok(member::Entity::find().count(&self.store.db).await?)
    }
}
