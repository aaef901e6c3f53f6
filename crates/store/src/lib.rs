//! Lyceum's storage: the SeaORM entities and migrations, the keyring that
//! holds each data subject's key, field encryption, and the durable job
//! queue.
//!
//! One code path serves SQLite (the default, in WAL mode) and PostgreSQL.
//! SeaORM models never leave this crate: repositories hand out domain types
//! from `lyceum_core`. Where SQL differs between the engines (the job
//! queue's `FOR UPDATE SKIP LOCKED`), the difference is one small branch
//! with a comment, not a second implementation.
//!
//! Times are stored as milliseconds since the Unix epoch in a 64-bit
//! integer. Both engines compare and index those identically, which text or
//! engine-specific timestamp types would not guarantee.
//!
//! Errors: functions here return [`StoreError`] (thiserror); callers in the
//! web layer map it to a problem document, the binary wraps it in anyhow.

pub mod accounts;
pub mod breaches;
pub mod consents;
pub mod crypto;
pub mod datamap;
pub mod digests;
pub mod entity;
pub mod erasure;
pub mod export;
pub mod generations;
pub mod guests;
pub mod jobs;
pub mod keyring;
pub mod learning;
pub mod ledger;
pub mod libraries;
pub mod migration;
pub mod network;
pub mod notice;
pub mod objections;
pub mod password_reset;
pub mod retention;
pub mod sessions;
pub mod zip;

use chrono::{DateTime, Utc};
use lyceum_core::clock::Clock;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};

use sea_orm_migration::MigratorTrait;
use std::sync::Arc;
use std::time::Duration;

pub use crypto::InstanceKey;
pub use keyring::Keyring;

/// Everything that can go wrong in storage that a caller may need to tell
/// apart. Anything else is a [`StoreError::Database`] and means "try again
/// later", never "your input was wrong".
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
    /// A stored value could not be decrypted or decoded: a bug or tampering.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The subject's key is gone: their data was erased.
    #[error("the data subject's key has been destroyed")]
    KeyDestroyed,
    /// Work on another thread failed (password hashing).
    #[error("background task failed")]
    Task(#[from] tokio::task::JoinError),
}

/// Where the data and the keyring live.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `sqlite://PATH?mode=rwc` or `postgres://…`.
    pub database_url: String,
    /// The keyring's own database: a second SQLite file, or a separate
    /// PostgreSQL database, so it can be backed up on its own schedule.
    pub keyring_url: String,
    /// Largest pool size.
    pub max_connections: u32,
    /// How much of the main SQLite file each connection reads through a
    /// memory map instead of copying pages into its own cache (0: none).
    /// See docs/operations.md, "SQLite's memory map".
    pub sqlite_mmap_bytes: u64,
}

/// The storage handle the rest of Lyceum holds: cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    /// The main database, for reads.
    pub db: DatabaseConnection,
    /// The main database, for writes. On SQLite this is a pool of one
    /// connection: SQLite allows one writer at a time, and queueing
    /// writers here (asynchronously, in order) avoids both busy-waiting
    /// inside SQLite and the `SQLITE_BUSY` a read-then-write transaction
    /// gets when another writer commits first. On PostgreSQL it is the
    /// same pool as `db`.
    pub writer: DatabaseConnection,
    /// The subjects' data keys.
    pub keyring: Keyring,
    /// The one clock.
    pub clock: Arc<dyn Clock>,
    /// Recently read accounts, decrypted (see [`accounts::MemberCache`]).
    pub(crate) members: accounts::MemberCache,
    /// Bumped by every catalog write on this node, so search indexes know
    /// at once that they are behind.
    catalog_version: Arc<std::sync::atomic::AtomicU64>,
    /// Live signals to members' open pages on this node.
    pub hub: network::Hub,
    /// Courses' reviews, decrypted, for a second (see
    /// [`learning::ReviewCache`]).
    pub(crate) reviews: learning::ReviewCache,
    /// This node's reading of the cache generations.
    generations: generations::Generations,
    /// Cards and texts of the network, decrypted (see
    /// [`network::NetworkCache`]).
    pub(crate) network_cache: network::NetworkCache,
    /// Recently read sessions (see [`sessions::SessionCache`]).
    pub(crate) sessions_cache: sessions::SessionCache,
    /// Reaction changes waiting to be written together.
    pub(crate) reaction_writes: Arc<std::sync::Mutex<network::ReactionWrites>>,
}

impl Store {
    /// Connects to both databases and runs pending migrations on each.
    pub async fn open(
        config: &StoreConfig,
        instance_key: InstanceKey,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        let db = connect_mapped(
            &config.database_url,
            config.max_connections,
            config.sqlite_mmap_bytes,
        )
        .await?;
        let keyring_db = connect(&config.keyring_url, config.max_connections).await?;
        migration::Migrator::up(&db, None).await?;
        migration::KeyringMigrator::up(&keyring_db, None).await?;
        let writer = match db.get_database_backend() {
            DbBackend::Sqlite => {
                connect_mapped(&config.database_url, 1, config.sqlite_mmap_bytes).await?
            }
            _ => db.clone(),
        };
        Ok(Self {
            db,
            writer,
            keyring: Keyring::new(keyring_db, instance_key),
            clock,
            members: accounts::MemberCache::default(),
            catalog_version: Arc::default(),
            hub: network::Hub::default(),
            reviews: learning::ReviewCache::default(),
            generations: generations::Generations::default(),
            network_cache: network::NetworkCache::default(),
            sessions_cache: sessions::SessionCache::default(),
            reaction_writes: Arc::default(),
        })
    }

    /// True when the database answers and no migration is pending.
    pub async fn is_ready(&self) -> bool {
        let pending = migration::Migrator::get_pending_migrations(&self.db).await;
        let keyring_pending =
            migration::KeyringMigrator::get_pending_migrations(self.keyring.db()).await;
        matches!((pending, keyring_pending), (Ok(a), Ok(b)) if a.is_empty() && b.is_empty())
    }

    /// Crypto-shreds a data subject: destroys their key and drops anything
    /// decrypted with it from this node's memory. Every encrypted field of
    /// theirs, in the database and in every backup, is unreadable after.
    pub async fn shred(&self, subject: lyceum_core::domain::SubjectId) -> Result<(), StoreError> {
        self.members
            .forget(lyceum_core::domain::MemberId(subject.0));
        self.keyring.destroy(subject).await?;
        // Other nodes forget the keys they hold, and the reviews they show
        // decrypted from a cache, when they next read the generations.
        self.bump(generations::Generation::Keys).await?;
        self.reviews_changed().await
    }

    /// Closes every pool (data, writer, keyring), waiting for their
    /// connections to finish. Commands that open the store and then exit
    /// call this, so no connection is left for the runtime to tear down.
    pub async fn close(&self) -> Result<(), StoreError> {
        self.writer.close_by_ref().await?;
        self.db.close_by_ref().await?;
        self.keyring.db().close_by_ref().await?;
        Ok(())
    }

    /// How many catalog writes this node has made (see
    /// [`learning::Learning::index_rows_since`]).
    pub fn catalog_version(&self) -> u64 {
        self.catalog_version
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// Records a catalog write: at once for this node, and through the
    /// catalog's cache generation for every other.
    pub(crate) async fn catalog_changed(&self) -> Result<(), StoreError> {
        self.catalog_version
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.bump(generations::Generation::Catalog).await
    }

    /// The engine behind the main database.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// The current time in storage form.
    pub fn now_ms(&self) -> i64 {
        to_ms(self.clock.now())
    }

    /// Account use cases.
    pub fn accounts(&self) -> accounts::Accounts<'_> {
        accounts::Accounts::new(self)
    }

    /// Session rows.
    pub fn sessions(&self) -> sessions::Sessions<'_> {
        sessions::Sessions::new(self)
    }

    /// The consent registry.
    pub fn consents(&self) -> consents::Consents<'_> {
        consents::Consents::new(self)
    }

    /// Libraries, their staff and card lists.
    pub fn libraries(&self) -> libraries::Libraries<'_> {
        libraries::Libraries::new(self)
    }

    /// Guest learners, seats and usage counters.
    pub fn guests(&self) -> guests::Guests<'_> {
        guests::Guests::new(self)
    }

    /// Objections to processing on legitimate-interest grounds.
    pub fn objections(&self) -> objections::Objections<'_> {
        objections::Objections::new(self)
    }

    /// The durable job queue.
    pub fn jobs(&self) -> jobs::Queue<'_> {
        jobs::Queue::new(self)
    }
}

/// Opens a pool on either engine with the settings each needs.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, StoreError> {
    connect_mapped(url, max_connections, 0).await
}

/// [`connect`], with SQLite reading the first `mmap_bytes` of the file
/// through a memory map (`PRAGMA mmap_size`; PostgreSQL ignores it).
pub async fn connect_mapped(
    url: &str,
    max_connections: u32,
    mmap_bytes: u64,
) -> Result<DatabaseConnection, StoreError> {
    use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max_connections)
        // Open every connection at start, so the first burst of traffic
        // does not wait for connections to be made.
        .min_connections(max_connections)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        // The pool would otherwise ping every connection it hands out:
        // for SQLite a round trip to the connection's thread, for
        // PostgreSQL one to the server, before each statement. sqlx
        // already pings each connection as it comes back to the pool and
        // drops one that fails. A connection in steady use skips the
        // second ping; one idle for a second or more (long enough for a
        // restarted server or a proxy to have dropped it) is pinged
        // first and replaced if it fails. Only a statement on a
        // connection used in the very second its server went away fails
        // (and that connection is dropped as it returns).
        .test_before_acquire_if_idle_for(Duration::from_secs(1))
        .sqlx_logging(false)
        // WAL lets readers run beside the one writer. FULL sync makes every
        // acknowledged commit survive a power cut as well as a killed
        // process; the cost is one fsync per write transaction, which the
        // benchmarks account for. busy_timeout turns writer contention into
        // a short wait instead of an error.
        .map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
                .create_if_missing(true)
                // Freed pages are overwritten, so erased rows and destroyed
                // keys do not linger in the file.
                .pragma("secure_delete", "ON")
                // Statements with lists of ids take one text per list
                // length; keep enough prepared that a feed page does not
                // parse them again.
                .statement_cache_capacity(1024)
                .pragma("mmap_size", mmap_bytes.to_string())
        });
    Ok(Database::connect(opts).await?)
}

/// The URL for a SQLite file.
pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Milliseconds since the epoch.
pub fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Back from milliseconds since the epoch.
pub fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default()
}

/// Writes a consistent copy of a SQLite database while it is in use
/// (`VACUUM INTO`: one read transaction, so the copy is a single point in
/// time, compacted, with no WAL to carry along).
pub async fn sqlite_snapshot(
    db: &DatabaseConnection,
    to: &std::path::Path,
) -> Result<(), StoreError> {
    use sea_orm::ConnectionTrait;
    let path = to.to_string_lossy().replace('\'', "''");
    db.execute_unprepared(&format!("VACUUM INTO '{path}'"))
        .await?;
    Ok(())
}
