//! The consent registry. Features ask [`Consents::has`] before processing
//! for an optional purpose; the answer is no unless the person said yes,
//! and their latest word counts.

use crate::entity::{consent_event, member};
use crate::{Store, StoreError, from_ms};
use chrono::{DateTime, Utc};
use lyceum_core::domain::{Purpose, SubjectId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// One recorded grant or withdrawal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentEvent {
    /// The purpose.
    pub purpose: Purpose,
    /// Granted or withdrawn.
    pub granted: bool,
    /// The wording version shown.
    pub wording_version: i32,
    /// When.
    pub at: DateTime<Utc>,
}

/// Where a person stands on one purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentState {
    /// The purpose.
    pub purpose: Purpose,
    /// Whether it is on now.
    pub granted: bool,
    /// The latest grant or withdrawal, if any.
    pub since: Option<DateTime<Utc>>,
    /// The wording version of the latest event.
    pub wording_version: Option<i32>,
}

/// The registry over the store.
#[derive(Debug)]
pub struct Consents<'a> {
    store: &'a Store,
}

impl<'a> Consents<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Records a grant (`true`) or withdrawal (`false`) of the current wording.
    pub async fn set(
        &self,
        subject: SubjectId,
        purpose: Purpose,
        granted: bool,
    ) -> Result<ConsentEvent, StoreError> {
        let now = self.store.now_ms();
        consent_event::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            subject_id: Set(subject.0),
            purpose: Set(purpose.key().to_owned()),
            granted: Set(granted),
            wording_version: Set(purpose.wording_version()),
            at: Set(now),
        }
        .insert(&self.store.writer)
        .await?;
        Ok(ConsentEvent {
            purpose,
            granted,
            wording_version: purpose.wording_version(),
            at: from_ms(now),
        })
    }

    /// Every event of a subject, oldest first (for the history and exports).
    pub async fn history(&self, subject: SubjectId) -> Result<Vec<ConsentEvent>, StoreError> {
        let rows = consent_event::Entity::find()
            .filter(consent_event::Column::SubjectId.eq(subject.0))
            .order_by_asc(consent_event::Column::At)
            .order_by_asc(consent_event::Column::Id)
            .all(&self.store.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(ConsentEvent {
                    purpose: Purpose::from_key(&r.purpose)?,
                    granted: r.granted,
                    wording_version: r.wording_version,
                    at: from_ms(r.at),
                })
            })
            .collect())
    }

    /// Where the subject stands on every purpose; no answer means no.
    pub async fn states(&self, subject: SubjectId) -> Result<Vec<ConsentState>, StoreError> {
        let history = self.history(subject).await?;
        Ok(Purpose::ALL
            .into_iter()
            .map(|purpose| {
                let last = history.iter().rev().find(|e| e.purpose == purpose);
                ConsentState {
                    purpose,
                    granted: last.is_some_and(|e| e.granted),
                    since: last.map(|e| e.at),
                    wording_version: last.map(|e| e.wording_version),
                }
            })
            .collect())
    }

    /// Since when the subject has paused all optional processing, if they have.
    pub async fn paused_since(
        &self,
        subject: SubjectId,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row = member::Entity::find_by_id(subject.0)
            .one(&self.store.db)
            .await?;
        Ok(row.and_then(|m| m.processing_paused_at).map(from_ms))
    }

    /// Pauses (GDPR Art. 18 restriction) or resumes all optional processing.
    /// While paused, [`Consents::has`] answers no for every purpose, whatever
    /// was granted; the choices themselves are kept for when it resumes.
    pub async fn set_paused(&self, subject: SubjectId, paused: bool) -> Result<(), StoreError> {
        let at = paused.then(|| self.store.now_ms());
        member::Entity::update_many()
            .col_expr(member::Column::ProcessingPausedAt, Expr::value(at))
            .filter(member::Column::Id.eq(subject.0))
            .exec(&self.store.writer)
            .await?;
        Ok(())
    }

    /// Whether the subject has consented to the purpose, now, and has not
    /// paused processing.
    pub async fn has(&self, subject: SubjectId, purpose: Purpose) -> Result<bool, StoreError> {
        if self.paused_since(subject).await?.is_some() {
            return Ok(false);
        }
        let last = consent_event::Entity::find()
            .filter(consent_event::Column::SubjectId.eq(subject.0))
            .filter(consent_event::Column::Purpose.eq(purpose.key()))
            .order_by_desc(consent_event::Column::At)
            .order_by_desc(consent_event::Column::Id)
            .one(&self.store.db)
            .await?;
        Ok(last.is_some_and(|e| e.granted))
    }
}
