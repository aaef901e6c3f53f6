//! The keyring: each data subject's data key, wrapped by the instance key,
//! kept in its own database so it can be backed up on a shorter schedule
//! than the data. Destroying a subject's row here is crypto-shredding:
//! every copy of their encrypted fields, in the live database and in every
//! backup, becomes unreadable at once.

use crate::StoreError;
use crate::crypto::{DataKey, InstanceKey};
use crate::entity::subject_key;
use lyceum_core::domain::SubjectId;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an unwrapped key stays in memory after it was read. Every
/// signed-in page needs the member's key; keeping it briefly saves a
/// keyring query and an unwrap per request. Destroying a key removes it
/// from this node's cache at once; another node forgets its keys when it
/// next reads the cache generations (see [`crate::generations`]), and
/// holds one for at most this long in any case.
const CACHE_TTL: Duration = Duration::from_secs(60);
const CACHE_MAX: usize = 50_000;

/// Access to subjects' data keys.
#[derive(Clone, Debug)]
pub struct Keyring {
    db: DatabaseConnection,
    instance_key: InstanceKey,
    cache: Arc<Mutex<HashMap<SubjectId, (DataKey, Instant)>>>,
}

impl Keyring {
    /// A keyring over its own database.
    pub fn new(db: DatabaseConnection, instance_key: InstanceKey) -> Self {
        Self {
            db,
            instance_key,
            cache: Arc::default(),
        }
    }

    fn cached(&self, subject: SubjectId) -> Option<DataKey> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get(&subject)
            .filter(|(_, at)| at.elapsed() < CACHE_TTL)
            .map(|(k, _)| k.clone())
    }

    fn remember(&self, subject: SubjectId, key: &DataKey) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_MAX {
            cache.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert(subject, (key.clone(), Instant::now()));
    }

    /// The keyring's database (for readiness checks and backups).
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The instance key, for blind indexes.
    pub fn instance_key(&self) -> &InstanceKey {
        &self.instance_key
    }

    /// Creates and stores a new data key for a subject. The keyring lives in
    /// another database, so this cannot share the caller's transaction:
    /// callers create the key first, and a key whose subject never got
    /// written is harmless (it encrypts nothing) and is removed by erasure
    /// of unknown subjects in the scrubber.
    pub async fn create(&self, subject: SubjectId, now_ms: i64) -> Result<DataKey, StoreError> {
        let key = DataKey::generate();
        let wrapped = self.instance_key.wrap(subject.0.as_bytes(), &key);
        subject_key::ActiveModel {
            subject_id: Set(subject.0),
            wrapped_key: Set(wrapped),
            created_at: Set(now_ms),
        }
        .insert(&self.db)
        .await?;
        Ok(key)
    }

    /// The subject's data key, or [`StoreError::KeyDestroyed`] after erasure.
    pub async fn get(&self, subject: SubjectId) -> Result<DataKey, StoreError> {
        if let Some(key) = self.cached(subject) {
            return Ok(key);
        }
        let row = subject_key::Entity::find_by_id(subject.0)
            .one(&self.db)
            .await?
            .ok_or(StoreError::KeyDestroyed)?;
        let key = self
            .instance_key
            .unwrap(subject.0.as_bytes(), &row.wrapped_key)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.remember(subject, &key);
        Ok(key)
    }

    /// Every subject that still has a key.
    pub async fn subjects(&self) -> Result<std::collections::HashSet<uuid::Uuid>, StoreError> {
        use sea_orm::QuerySelect;
        let ids: Vec<uuid::Uuid> = subject_key::Entity::find()
            .select_only()
            .column(subject_key::Column::SubjectId)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(ids.into_iter().collect())
    }

    /// Forgets every key held in memory (another node destroyed one).
    pub(crate) fn forget_all(&self) {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Destroys the subject's key. Irreversible by design.
    pub async fn destroy(&self, subject: SubjectId) -> Result<(), StoreError> {
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&subject);
        subject_key::Entity::delete_by_id(subject.0)
            .exec(&self.db)
            .await?;
        // On SQLite, make sure the deleted key is not left readable in the
        // WAL file: checkpoint it into the main file, whose freed pages
        // secure_delete overwrites with zeros.
        if self.db.get_database_backend() == sea_orm::DbBackend::Sqlite {
            self.db
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE);")
                .await?;
        }
        Ok(())
    }
}
