//! Password reset by email: a member who forgot their password asks for a
//! link at their address; the link works once, for an hour, and only the
//! newest one works. Setting a new password through it signs the account
//! out everywhere and tells its owner by email.
//!
//! Whether an address has an account is never revealed: the answer to a
//! request is the same either way. The token travels in the job that sends
//! the email sealed under the member's own key (a copy of the jobs table
//! cannot be used to reset anyone's password), and the table keeps only
//! its hash.

use crate::digests::{DigestSender, OutgoingMail, SecurityEvent};
use crate::entity::password_reset;
use crate::{Store, StoreError};
use lyceum_core::domain::datamap::Category;
use lyceum_core::domain::{Email, MemberId, NewPassword, SubjectId};
use rand::RngCore as _;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

/// The job that emails one reset link.
pub const RESET_JOB_KIND: &str = "mail.password_reset";

/// How long a link works.
pub const RESET_VALID_MS: i64 = 3600 * 1000;

const TOKEN_CTX: &str = "password_resets.token";

/// Why a reset did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// Unknown, used, replaced or expired.
    #[error("This link to reset a password has expired or was already used. Ask for a new one.")]
    InvalidLink,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for ResetError {
    fn from(e: sea_orm::DbErr) -> Self {
        ResetError::Store(e.into())
    }
}

fn hash(token: &str) -> Vec<u8> {
    crate::sessions::hash_token(token)
}

impl Store {
    /// Asks for a reset link for the open account with this address, if
    /// there is one; earlier links stop working. The worker emails it.
    /// Returns nothing either way.
    pub async fn request_password_reset(&self, email: &Email) -> Result<(), StoreError> {
        let Some(member) = self.accounts().find_by_email(email).await? else {
            return Ok(());
        };
        let key = match self.keyring.get(SubjectId(member.0)).await {
            Ok(k) => k,
            Err(StoreError::KeyDestroyed) => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        let now = self.now_ms();
        let tx = self.writer.begin().await?;
        password_reset::Entity::delete_many()
            .filter(password_reset::Column::MemberId.eq(member.0))
            .exec(&tx)
            .await?;
        password_reset::ActiveModel {
            token_hash: Set(hash(&token)),
            member_id: Set(member.0),
            created_at: Set(now),
            expires_at: Set(now + RESET_VALID_MS),
        }
        .insert(&tx)
        .await?;
        tx.commit().await?;
        let sealed = key.encrypt(TOKEN_CTX, token.as_bytes());
        self.jobs()
            .enqueue(
                RESET_JOB_KIND,
                serde_json::json!({
                    "member": member.0,
                    "token": hex::encode(sealed),
                }),
                now,
            )
            .await
    }

    /// The account a reset link belongs to, while it works.
    pub async fn reset_link_owner(&self, token: &str) -> Result<Option<MemberId>, StoreError> {
        Ok(password_reset::Entity::find_by_id(hash(token))
            .one(&self.db)
            .await?
            .filter(|r| r.expires_at > self.now_ms())
            .map(|r| MemberId(r.member_id)))
    }

    /// Sets a new password through a reset link: the link is used up, every
    /// session ends, and (where email is sent) the owner is told.
    pub async fn reset_password(
        &self,
        token: &str,
        new: NewPassword,
        tell_by_email: bool,
    ) -> Result<MemberId, ResetError> {
        let row = password_reset::Entity::find_by_id(hash(token))
            .one(&self.writer)
            .await?
            .filter(|r| r.expires_at > self.now_ms())
            .ok_or(ResetError::InvalidLink)?;
        // Used up before the (slow) new hash is made, so two requests with
        // one link cannot both set a password.
        let used = password_reset::Entity::delete_many()
            .filter(password_reset::Column::MemberId.eq(row.member_id))
            .exec(&self.writer)
            .await?;
        if used.rows_affected == 0 {
            return Err(ResetError::InvalidLink);
        }
        let member = MemberId(row.member_id);
        self.accounts().set_password(member, new).await?;
        self.sessions().delete_all_for(member, None).await?;
        if tell_by_email {
            self.queue_security_mail(member, SecurityEvent::PasswordChanged)
                .await?;
        }
        Ok(member)
    }

    /// Sends a queued reset link: recorded in the member's ledger, then
    /// handed to the relay. Nothing is sent to an account erased or closed
    /// meanwhile, or for a link already replaced.
    pub async fn send_reset_mail(
        &self,
        sender: &DigestSender,
        payload: &serde_json::Value,
    ) -> Result<(), String> {
        let member = crate::digests::mail_member(payload, "a reset email without a member")?;
        let sealed = payload["token"]
            .as_str()
            .and_then(|t| hex::decode(t).ok())
            .ok_or("a reset email without its link")?;
        let key = match self.keyring.get(SubjectId(member.0)).await {
            Ok(k) => k,
            Err(StoreError::KeyDestroyed) => return Ok(()),
            Err(e) => return Err(e.to_string()),
        };
        let token = key
            .decrypt_string(TOKEN_CTX, &sealed)
            .map_err(|_| "a reset link that does not open".to_owned())?;
        if self
            .reset_link_owner(&token)
            .await
            .map_err(|e| e.to_string())?
            != Some(member)
        {
            return Ok(());
        }
        let Some(account) = self.mail_account(member).await? else {
            return Ok(());
        };
        let mail = OutgoingMail {
            to: account.email.as_str().to_owned(),
            subject: "Set a new Lyceum password".into(),
            body: format!(
                "Someone, probably you, asked to set a new password for the Lyceum \
                 account of this address.\n\n\
                 To choose a new password, open this link within an hour. It works once.\n\n\
                 {base}/password/reset/{token}\n\n\
                 If you did not ask, you need do nothing: your password stays as it is, \
                 and the link stops working in an hour.\n",
                base = sender.base_url
            ),
        };
        self.disclose(
            &sender.recipients,
            SubjectId(member.0),
            &sender.relay,
            "Sending you the link to set a new password you asked for",
            &[Category::Contact],
            || sender.mailer.send(mail),
        )
        .await
        .map_err(|e| e.to_string())
    }

    /// Deletes reset links that have expired.
    pub(crate) async fn purge_reset_links(&self, now: i64) -> Result<u64, StoreError> {
        Ok(password_reset::Entity::delete_many()
            .filter(password_reset::Column::ExpiresAt.lte(now))
            .exec(&self.writer)
            .await?
            .rows_affected)
    }
}
