//! The recipients ledger (privacy invariant 6). Every disclosure of
//! personal data outside the instance goes through [`Store::disclose`],
//! which records recipient, purpose, categories and time *before* the data
//! is sent. Code that sends personal data any other way is a bug.
//!
//! Recipients are configured by the operator (name, country, purpose) and
//! listed on the privacy notice; a disclosure names one of them by key.

use crate::entity::disclosure;
use crate::{Store, StoreError, from_ms};
use chrono::{DateTime, Utc};
use lyceum_core::domain::SubjectId;
use lyceum_core::domain::datamap::Category;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};

/// A recipient the operator has configured.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Recipient {
    /// A short stable key (`mail-relay`).
    pub key: String,
    /// Who it is (`Example Mail Ltd`).
    pub name: String,
    /// Where it processes the data (`Ireland`).
    pub country: String,
    /// What it receives data for.
    pub purpose: String,
    /// When the recipient takes effect. Until then it is announced in the
    /// privacy changelog and nothing may be sent to it; people learn of a
    /// new recipient before it receives anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
}

impl Recipient {
    /// Whether data may be sent to it at `now`.
    pub fn is_in_effect(&self, now: DateTime<Utc>) -> bool {
        self.from.is_none_or(|f| f <= now)
    }
}

/// One recorded disclosure.
#[derive(Debug, Clone, Serialize)]
pub struct Disclosure {
    /// The recipient's key.
    pub recipient: String,
    /// Why.
    pub purpose: String,
    /// What kinds of data.
    pub categories: Vec<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Why a disclosure was refused.
#[derive(Debug, thiserror::Error)]
pub enum DisclosureError {
    /// The recipient is not in the instance's configuration.
    #[error("recipient {0:?} is not configured; add it to [[privacy.recipients]] first")]
    UnknownRecipient(String),
    /// The recipient is announced but not in effect yet.
    #[error("recipient {0:?} takes effect on {1}; nothing may be sent to it before then")]
    NotYetInEffect(String, DateTime<Utc>),
    /// Recording failed, so nothing was sent.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Sending failed after recording; the ledger keeps the attempt.
    #[error("sending failed: {0}")]
    Send(String),
}

impl Store {
    /// Records a disclosure, then runs `send`. If recording fails, nothing
    /// is sent. If sending fails, the record stays: the person is told of
    /// every attempt to send their data, not only the successful ones.
    pub async fn disclose<F, Fut>(
        &self,
        recipients: &[Recipient],
        subject: SubjectId,
        recipient: &str,
        purpose: &str,
        categories: &[Category],
        send: F,
    ) -> Result<(), DisclosureError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<(), String>>,
    {
        let Some(r) = recipients.iter().find(|r| r.key == recipient) else {
            return Err(DisclosureError::UnknownRecipient(recipient.to_owned()));
        };
        if let Some(from) = r.from
            && !r.is_in_effect(self.clock.now())
        {
            return Err(DisclosureError::NotYetInEffect(recipient.to_owned(), from));
        }
        self.record_disclosure(subject, recipient, purpose, categories)
            .await?;
        send().await.map_err(DisclosureError::Send)
    }

    /// Records a disclosure that happened as part of creating the subject
    /// itself (a library card check: until the library says the card is
    /// good, there is no guest to record it for, and a card that fails is
    /// kept nowhere). Everything else uses [`Store::disclose`].
    pub async fn record_disclosure(
        &self,
        subject: SubjectId,
        recipient: &str,
        purpose: &str,
        categories: &[Category],
    ) -> Result<(), StoreError> {
        let names: Vec<String> = categories
            .iter()
            .filter_map(|c| {
                serde_json::to_value(c)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
            })
            .collect();
        disclosure::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            subject_id: Set(subject.0),
            recipient: Set(recipient.to_owned()),
            purpose: Set(purpose.to_owned()),
            categories: Set(names.join(",")),
            at: Set(self.now_ms()),
        }
        .insert(&self.writer)
        .await?;
        Ok(())
    }

    /// A subject's ledger, oldest first.
    pub async fn disclosures(&self, subject: SubjectId) -> Result<Vec<Disclosure>, StoreError> {
        let rows = disclosure::Entity::find()
            .filter(disclosure::Column::SubjectId.eq(subject.0))
            .order_by_asc(disclosure::Column::At)
            .order_by_asc(disclosure::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| Disclosure {
                recipient: r.recipient,
                purpose: r.purpose,
                categories: r
                    .categories
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                at: from_ms(r.at),
            })
            .collect())
    }
}
