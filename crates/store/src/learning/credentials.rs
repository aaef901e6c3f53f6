//! Course credentials: the instance's Ed25519 signing keys (sealed by the
//! instance key, rotated without invalidating what old keys signed) and
//! the Open Badges 3.0 credential issued once per finished course.

use super::{Learner, Learning, LearningError};
use crate::entity::{course, enrolment, issued_credential, signing_key};
use crate::{StoreError, from_ms};
use chrono::{DateTime, Utc};
use lyceum_core::credential::{Achievement, IssuerKey, achievement_credential, did_key};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use uuid::Uuid;

const SEAL_CONTEXT: &str = "credential-signing-key";

/// A signing key as anyone may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SigningKeyInfo {
    /// Key id.
    pub id: Uuid,
    /// The key as a `did:key`.
    pub did: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stopped signing (it still verifies).
    pub retired_at: Option<DateTime<Utc>>,
}

impl From<signing_key::Model> for SigningKeyInfo {
    fn from(m: signing_key::Model) -> Self {
        let public: [u8; 32] = m.public_key.as_slice().try_into().unwrap_or([0; 32]);
        Self {
            id: m.id,
            did: did_key(&public),
            created_at: from_ms(m.created_at),
            retired_at: m.retired_at.map(from_ms),
        }
    }
}

/// Who issues: the instance's public address and name.
#[derive(Debug, Clone, Copy)]
pub struct Issuer<'a> {
    /// The public address, without a trailing slash.
    pub url: &'a str,
    /// The instance's name.
    pub name: &'a str,
}

impl Learning<'_> {
    /// The key that signs now, made on first use.
    async fn active_key(&self) -> Result<(Uuid, IssuerKey), StoreError> {
        let current = signing_key::Entity::find()
            .filter(signing_key::Column::RetiredAt.is_null())
            .order_by_desc(signing_key::Column::CreatedAt)
            .one(&self.store.writer)
            .await?;
        match current {
            Some(m) => Ok((m.id, self.open(&m)?)),
            None => self.new_key().await,
        }
    }

    fn open(&self, m: &signing_key::Model) -> Result<IssuerKey, StoreError> {
        let secret = self
            .store
            .keyring
            .instance_key()
            .open_secret(&format!("{SEAL_CONTEXT}:{}", m.id), &m.sealed_secret)
            .map_err(|e| StoreError::Corrupt(format!("signing key: {e}")))?;
        let secret: [u8; 32] = secret
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::Corrupt("signing key length".into()))?;
        Ok(IssuerKey::from_secret(&secret))
    }

    async fn new_key(&self) -> Result<(Uuid, IssuerKey), StoreError> {
        let secret: [u8; 32] = rand::random();
        let key = IssuerKey::from_secret(&secret);
        let id = Uuid::now_v7();
        signing_key::ActiveModel {
            id: Set(id),
            public_key: Set(key.public().to_vec()),
            sealed_secret: Set(self
                .store
                .keyring
                .instance_key()
                .seal_secret(&format!("{SEAL_CONTEXT}:{id}"), &secret)),
            created_at: Set(self.store.now_ms()),
            retired_at: Set(None),
        }
        .insert(&self.store.writer)
        .await?;
        Ok((id, key))
    }

    /// Retires the signing key and makes a new one. Credentials signed
    /// with the old key still verify as this instance's.
    pub async fn rotate_signing_key(&self) -> Result<SigningKeyInfo, StoreError> {
        let now = self.store.now_ms();
        signing_key::Entity::update_many()
            .col_expr(
                signing_key::Column::RetiredAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(signing_key::Column::RetiredAt.is_null())
            .exec(&self.store.writer)
            .await?;
        let (id, _) = self.new_key().await?;
        signing_key::Entity::find_by_id(id)
            .one(&self.store.writer)
            .await?
            .map(SigningKeyInfo::from)
            .ok_or_else(|| StoreError::Corrupt("new key vanished".into()))
    }

    /// Every key this instance has signed with, newest first.
    pub async fn signing_keys(&self) -> Result<Vec<SigningKeyInfo>, StoreError> {
        Ok(signing_key::Entity::find()
            .order_by_desc(signing_key::Column::CreatedAt)
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(SigningKeyInfo::from)
            .collect())
    }

    /// The key with this public half, if this instance made it.
    pub async fn known_key(&self, public: &[u8; 32]) -> Result<Option<SigningKeyInfo>, StoreError> {
        Ok(signing_key::Entity::find()
            .filter(signing_key::Column::PublicKey.eq(public.to_vec()))
            .one(&self.store.db)
            .await?
            .map(SigningKeyInfo::from))
    }

    /// The signed credential for a course the learner finished: issued on
    /// the first request, the same document afterwards.
    pub async fn credential(
        &self,
        learner: &Learner,
        course_id: Uuid,
        issuer: Issuer<'_>,
    ) -> Result<serde_json::Value, LearningError> {
        let e = enrolment::Entity::find()
            .filter(enrolment::Column::SubjectId.is_in(learner.subjects()))
            .filter(enrolment::Column::CourseId.eq(course_id))
            .order_by_asc(enrolment::Column::EnrolledAt)
            .one(&self.store.writer)
            .await?
            .ok_or(LearningError::NotEnrolled)?;
        if let Some(m) = issued_credential::Entity::find()
            .filter(issued_credential::Column::SubjectId.eq(e.subject_id))
            .filter(issued_credential::Column::CourseId.eq(course_id))
            .one(&self.store.writer)
            .await?
        {
            return serde_json::from_str(&m.document)
                .map_err(|e| StoreError::Corrupt(format!("credential: {e}")).into());
        }
        let completed = e.completed_at.ok_or(LearningError::NotCompleted)?;
        let c = course::Entity::find_by_id(course_id)
            .one(&self.store.writer)
            .await?
            .ok_or(LearningError::NotFound)?;
        let (key_id, key) = self.active_key().await?;
        let id = Uuid::now_v7();
        let issued = from_ms(completed);
        let doc = achievement_credential(&Achievement {
            credential_id: format!("urn:uuid:{id}"),
            issuer_url: issuer.url,
            issuer_name: issuer.name,
            course_url: format!("{}/courses/{}", issuer.url, c.slug),
            course_title: &c.title,
            course_summary: &c.summary,
            issued,
        });
        let signed = key
            .sign(&doc, self.store.clock.now())
            .ok_or_else(|| StoreError::Corrupt("credential is not an object".into()))?;
        issued_credential::ActiveModel {
            id: Set(id),
            subject_id: Set(e.subject_id),
            course_id: Set(course_id),
            issued_at: Set(self.store.now_ms()),
            signing_key_id: Set(key_id),
            document: Set(signed.to_string()),
        }
        .insert(&self.store.writer)
        .await?;
        Ok(signed)
    }
}
