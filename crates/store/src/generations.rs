//! Cache generations: named counters in the database that every write of
//! one kind bumps (the catalog, course reviews), so that a node can keep
//! what it read in memory for as long as nothing changed, anywhere, and
//! learn of a change made on another node or by a command-line process
//! with one small query a second, whatever its traffic.
//!
//! A node reads all counters at most once per [`RECHECK`]; a write made
//! through the node itself is seen at once (its own bump marks the
//! counters stale). Caches built on them still keep a long time limit, so
//! a change made past the counters (by hand in the database) shows in the
//! end.

use crate::{Store, StoreError};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a node reads the counters.
pub const RECHECK: Duration = Duration::from_secs(1);

/// What a counter counts writes of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Generation {
    /// Courses, their outlines and providers.
    Catalog,
    /// Course reviews, their reports, and erasures (which take a person's
    /// reviews with them).
    Reviews,
    /// Profiles: what members' cards show (handle, headline and who may
    /// see it).
    Profiles,
    /// Destroyed data keys: a node that sees it change forgets the keys
    /// it holds in memory, so an erasure on one node reaches the others.
    Keys,
    /// Ended sessions (signing out, signing out everywhere, erasure): a
    /// node that sees it change stops trusting the sessions it holds in
    /// memory.
    Sessions,
}

impl Generation {
    fn name(self) -> &'static str {
        match self {
            Generation::Catalog => "catalog",
            Generation::Reviews => "reviews",
            Generation::Keys => "keys",
            Generation::Profiles => "profiles",
            Generation::Sessions => "sessions",
        }
    }
}

#[derive(Debug, Default)]
struct Read {
    at: Option<Instant>,
    values: HashMap<String, i64>,
    /// Bumped by each write through this node: a reading that started
    /// before a write may be stored, but is not trusted.
    epoch: u64,
}

/// This node's last reading of the counters.
#[derive(Debug, Default, Clone)]
pub struct Generations {
    read: Arc<Mutex<Read>>,
}

impl Generations {
    fn fresh(&self, g: Generation) -> Option<i64> {
        let read = self.read.lock().unwrap_or_else(|e| e.into_inner());
        let at = read.at?;
        (at.elapsed() < RECHECK).then(|| read.values.get(g.name()).copied().unwrap_or(0))
    }

    fn stale(&self) {
        let mut read = self.read.lock().unwrap_or_else(|e| e.into_inner());
        read.at = None;
        read.epoch += 1;
    }

    fn epoch(&self) -> u64 {
        self.read.lock().unwrap_or_else(|e| e.into_inner()).epoch
    }
}

fn numbered(backend: DbBackend, sql: &str) -> String {
    if backend == DbBackend::Sqlite {
        // SQLite's numbered parameters are `?N`.
        sql.replace('$', "?")
    } else {
        sql.to_owned()
    }
}

impl Store {
    /// The current value of a counter, as of at most [`RECHECK`] ago (or
    /// of this node's own last write).
    pub async fn generation(&self, g: Generation) -> Result<i64, StoreError> {
        if let Some(v) = self.generations.fresh(g) {
            return Ok(v);
        }
        let epoch = self.generations.epoch();
        let rows = self
            .db
            .query_all_raw(Statement::from_string(
                self.backend(),
                "SELECT name, generation FROM cache_generations",
            ))
            .await?;
        let mut values = HashMap::new();
        for row in rows {
            values.insert(
                row.try_get::<String>("", "name")?,
                row.try_get::<i64>("", "generation")?,
            );
        }
        let v = values.get(g.name()).copied().unwrap_or(0);
        let mut read = self
            .generations
            .read
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let keys = Generation::Keys.name();
        if read.values.get(keys) != values.get(keys) {
            self.keyring.forget_all();
        }
        // A write through this node since the query began: the reading may
        // predate it, so the next caller reads again.
        let at = (read.epoch == epoch).then(Instant::now);
        read.at = at;
        read.values = values;
        Ok(v)
    }

    /// Records a write of this kind, for every node.
    pub(crate) async fn bump(&self, g: Generation) -> Result<(), StoreError> {
        let sql = numbered(
            self.backend(),
            "INSERT INTO cache_generations (name, generation) VALUES ($1, 1) \
             ON CONFLICT (name) DO UPDATE SET generation = cache_generations.generation + 1",
        );
        self.writer
            .execute_raw(Statement::from_sql_and_values(
                self.backend(),
                sql,
                [g.name().into()],
            ))
            .await?;
        self.generations.stale();
        Ok(())
    }
}
