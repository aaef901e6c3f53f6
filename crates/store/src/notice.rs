//! Versions of the privacy notice. The notice is generated (from the data
//! map, the retention settings and the recipients in effect); each time
//! what it says changes, a new version is recorded with a snapshot, so the
//! privacy changelog can list every version and what changed in it.

use crate::entity::notice_version;
use crate::{Store, StoreError, from_ms};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a notice says, line by line: enough to tell two versions apart and
/// to say what changed between them in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NoticeSnapshot {
    /// One line per personal field: what, why, basis, how long, erasure.
    pub fields: Vec<String>,
    /// One line per recipient in effect.
    pub recipients: Vec<String>,
    /// One line per retention setting.
    pub retention: Vec<String>,
}

impl NoticeSnapshot {
    fn fingerprint(&self) -> Vec<u8> {
        Sha256::digest(serde_json::to_vec(self).unwrap_or_default()).to_vec()
    }
}

/// A recorded version.
#[derive(Debug, Clone)]
pub struct NoticeVersion {
    /// Its number.
    pub version: i32,
    /// When it took effect.
    pub published_at: DateTime<Utc>,
    /// What it said.
    pub snapshot: NoticeSnapshot,
}

fn decode(r: notice_version::Model) -> Result<NoticeVersion, StoreError> {
    Ok(NoticeVersion {
        version: r.version,
        published_at: from_ms(r.published_at),
        snapshot: serde_json::from_str(&r.snapshot)
            .map_err(|e| StoreError::Corrupt(format!("notice snapshot: {e}")))?,
    })
}

impl Store {
    /// Every version, newest first.
    pub async fn notice_versions(&self) -> Result<Vec<NoticeVersion>, StoreError> {
        notice_version::Entity::find()
            .order_by_desc(notice_version::Column::Version)
            .all(&self.db)
            .await?
            .into_iter()
            .map(decode)
            .collect()
    }

    /// The version for what the notice says now: the latest one if it says
    /// the same, else a new version recorded as of now. Two nodes racing to
    /// record the same change agree, because the version number is the key.
    pub async fn publish_notice(&self, now: &NoticeSnapshot) -> Result<NoticeVersion, StoreError> {
        let fingerprint = now.fingerprint();
        // Read on the reader pool: the notice is shown far more often than
        // it changes, and on SQLite the writer is one connection.
        let latest = notice_version::Entity::find()
            .order_by_desc(notice_version::Column::Version)
            .one(&self.db)
            .await?;
        if let Some(l) = &latest
            && l.fingerprint == fingerprint
        {
            return decode(l.clone());
        }
        let version = latest.map_or(1, |l| l.version + 1);
        let row = notice_version::ActiveModel {
            version: Set(version),
            fingerprint: Set(fingerprint),
            snapshot: Set(serde_json::to_string(now).unwrap_or_default()),
            published_at: Set(self.now_ms()),
        };
        match row.insert(&self.writer).await {
            Ok(r) => decode(r),
            Err(e)
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) =>
            {
                let r = notice_version::Entity::find_by_id(version)
                    .one(&self.writer)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt("notice version vanished".into()))?;
                decode(r)
            }
            Err(e) => Err(e.into()),
        }
    }
}
