//! The retention scrubber: deletes what the data map says has been kept
//! long enough. It runs from the job queue every hour, and on demand as
//! `lyceum scrub --now <RFC3339>`, where the store's clock is set to the
//! given time so every rule can be checked without waiting.
//!
//! What it removes today:
//! - sessions and password-reset links past their expiry
//!   (`Retention::UntilExpiry`);
//! - accounts closed longer ago than the operator's grace period (at most
//!   30 days, privacy invariant 4). Erasure normally removes an account
//!   within moments through the job queue; this catches any that a failed
//!   job left behind, and is the guarantee behind the 30-day promise;
//! - accounts whose key no longer exists, which only a restore of a backup
//!   taken before their erasure can bring back;
//! - guest learners not seen for their library's guest retention period
//!   (365 days unless the library set less or more), and guests whose key
//!   is gone;
//! - seat records once the month after their month has ended;
//! - in-app notifications after 90 days;
//! - private messages and ledger entries older than the operator's
//!   `retention.messages_days` and `retention.disclosures_days`, where set
//!   (see [`AGED`]).

use crate::entity::{guest, guest_link, library, member, oidc_login, seat_use, session};
use crate::{Store, StoreError};
use lyceum_core::domain::SubjectId;
use lyceum_core::domain::datamap::{Category, PersonalField, Retention};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

/// The longest an operator may keep a closed account.
pub const MAX_CLOSED_ACCOUNT_DAYS: u32 = 30;

/// Operator settings for retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Days a closed account may remain before it is erased (at most 30).
    pub closed_account_days: u32,
    /// Private messages are deleted this many days after they were sent
    /// (unset: kept while both accounts are open).
    pub messages_days: Option<u32>,
    /// Entries of the recipients ledger are deleted this many days after
    /// the disclosure (unset: kept while the account is open).
    pub disclosures_days: Option<u32>,
    /// A change announced ahead (`[retention.upcoming]`): until its date
    /// the settings above apply, and the notice, the changelog and a
    /// banner for signed-in people announce it.
    pub upcoming: Option<RetentionChange>,
}

/// Retention settings that replace the current ones from a date, so that
/// people are told before data is kept for longer or less time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionChange {
    /// When the new settings take effect.
    pub from: chrono::DateTime<chrono::Utc>,
    /// The new grace period for closed accounts, if it changes.
    pub closed_account_days: Option<u32>,
    /// The new keeping for private messages, if it changes.
    pub messages_days: Option<u32>,
    /// The new keeping for ledger entries, if it changes.
    pub disclosures_days: Option<u32>,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            closed_account_days: MAX_CLOSED_ACCOUNT_DAYS,
            messages_days: None,
            disclosures_days: None,
            upcoming: None,
        }
    }
}

/// The categories an operator may keep for less time than the data map
/// says: each with the one table that holds it and the column its age is
/// counted from. Rows of these tables stand alone, so deleting old ones
/// breaks nothing else. Other categories cannot be shortened this way:
/// deleting an old post would take newer replies with it, an old consent
/// record may be the choice still in force, and learning records carry
/// certificates.
pub const AGED: [(Category, &str, &str); 2] = [
    (Category::Messages, "messages", "created_at"),
    (Category::Disclosures, "disclosures", "at"),
];

impl RetentionConfig {
    /// The settings in force at `now`: the announced change once its date
    /// has come, else the current ones.
    pub fn at(&self, now: chrono::DateTime<chrono::Utc>) -> Self {
        match self.upcoming {
            Some(c) if c.from <= now => self.with(&c),
            _ => *self,
        }
    }

    /// These settings with `change` applied.
    fn with(&self, change: &RetentionChange) -> Self {
        Self {
            closed_account_days: change
                .closed_account_days
                .unwrap_or(self.closed_account_days),
            messages_days: change.messages_days.or(self.messages_days),
            disclosures_days: change.disclosures_days.or(self.disclosures_days),
            upcoming: None,
        }
    }

    /// What an announced change will change, in words, with its date;
    /// `None` when nothing is announced, its date has come, or it changes
    /// nothing.
    pub fn announced(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<(chrono::DateTime<chrono::Utc>, Vec<String>)> {
        let change = self.upcoming.filter(|c| c.from > now)?;
        let next = self.with(&change);
        let mut lines = Vec::new();
        if next.closed_account_days != self.closed_account_days {
            lines.push(format!(
                "Closed accounts will be erased within {} days (now {})",
                next.closed_account_days, self.closed_account_days
            ));
        }
        for (category, _, _) in AGED {
            let (before, after) = (self.days_for(category), next.days_for(category));
            if before != after
                && let Some(d) = after
            {
                lines.push(format!(
                    "{}: will be deleted {d} days after it was written ({})",
                    category.label(),
                    before.map_or_else(
                        || "now kept while the account is open".to_owned(),
                        |b| format!("now {b} days")
                    )
                ));
            }
        }
        (!lines.is_empty()).then_some((change.from, lines))
    }

    /// The operator's keeping for a category, in days, if they set one.
    pub fn days_for(&self, category: Category) -> Option<u32> {
        match category {
            Category::Messages => self.messages_days,
            Category::Disclosures => self.disclosures_days,
            _ => None,
        }
    }

    /// How long a field of a table is kept, with the operator's settings
    /// applied to the data map's declaration.
    pub fn effective(&self, table: &str, field: &PersonalField) -> Retention {
        AGED.iter()
            .find(|(c, t, _)| *t == table && *c == field.category)
            .and_then(|(c, _, _)| self.days_for(*c))
            .map_or(field.retention, Retention::DaysAfterWritten)
    }

    /// Checks the settings, and those announced; the error says what to
    /// change.
    pub fn check(&self) -> Result<(), String> {
        self.check_one("retention")?;
        match &self.upcoming {
            Some(c) => self.with(c).check_one("retention.upcoming"),
            None => Ok(()),
        }
    }

    fn check_one(&self, section: &str) -> Result<(), String> {
        if self.closed_account_days > MAX_CLOSED_ACCOUNT_DAYS {
            return Err(format!(
                "{section}.closed_account_days is {}, but a closed account must be erased within {MAX_CLOSED_ACCOUNT_DAYS} days: set it to {MAX_CLOSED_ACCOUNT_DAYS} or less",
                self.closed_account_days
            ));
        }
        for (name, days) in [
            ("messages_days", self.messages_days),
            ("disclosures_days", self.disclosures_days),
        ] {
            if days == Some(0) {
                return Err(format!(
                    "{section}.{name} is 0, which would delete everything at once: set at least 1 (days), or leave it out to keep the data map's rule"
                ));
            }
        }
        Ok(())
    }
}

/// What one run removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ScrubReport {
    /// Sessions past their expiry.
    pub expired_sessions: u64,
    /// Closed accounts past the grace period, and accounts whose key was
    /// already destroyed (restored from an old backup), with all their rows.
    pub erased_accounts: u64,
    /// Guest learners past their library's retention period, with all
    /// their rows.
    pub erased_guests: u64,
    /// Seat records of months that are over.
    pub expired_seats: u64,
    /// In-app notifications older than 90 days.
    pub expired_notices: u64,
    /// Rows of categories the operator keeps for less time (messages,
    /// ledger entries) that are past it.
    pub expired_by_operator: u64,
}

impl Store {
    /// Removes everything whose retention has passed, as of the store's clock.
    pub async fn scrub(&self, config: RetentionConfig) -> Result<ScrubReport, StoreError> {
        let config = config.at(self.clock.now());
        let now = self.now_ms();
        let expired_sessions = self.sessions().purge_expired().await?;
        let days = i64::from(config.closed_account_days.min(MAX_CLOSED_ACCOUNT_DAYS));
        let cutoff = now - days * 24 * 3600 * 1000;
        let closed: Vec<uuid::Uuid> = member::Entity::find()
            .select_only()
            .column(member::Column::Id)
            .filter(member::Column::Status.eq("closed"))
            .filter(member::Column::ClosedAt.lte(cutoff))
            .into_tuple()
            .all(&self.db)
            .await?;
        // Accounts whose key is gone: rows brought back by restoring a
        // backup taken before their owner was erased. They can never be
        // read again; finish the erasure.
        // Accounts are read before keys: a key is always written before its
        // account, so an account that is being created right now is never
        // mistaken for one whose key is gone.
        let all: Vec<uuid::Uuid> = member::Entity::find()
            .select_only()
            .column(member::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        let keys = self.keyring.subjects().await?;
        let orphaned: Vec<uuid::Uuid> = all
            .into_iter()
            .filter(|id| !keys.contains(id) && !closed.contains(id))
            .collect();
        let closed: Vec<uuid::Uuid> = closed.into_iter().chain(orphaned).collect();
        for id in &closed {
            self.erase_rows(SubjectId(*id)).await?;
        }
        // Sessions of closed accounts end at closing; make sure of it.
        let ended = session::Entity::delete_many()
            .filter(session::Column::MemberId.is_in(closed.clone()))
            .exec(&self.writer)
            .await?
            .rows_affected;
        if ended > 0 {
            self.sessions_ended(None).await?;
        }
        let (erased_guests, expired_seats) = self.scrub_guests(now).await?;
        let expired_notices = self.network().expire_notices().await?;
        let mut expired_by_operator = 0;
        for (category, table, column) in AGED {
            let Some(days) = config.days_for(category) else {
                continue;
            };
            let cutoff = now - i64::from(days) * 24 * 3600 * 1000;
            let mut sql = format!("DELETE FROM {table} WHERE {column} < $1");
            if self.backend() == sea_orm::DbBackend::Sqlite {
                sql = sql.replace('$', "?");
            }
            expired_by_operator += self
                .writer
                .execute_raw(sea_orm::Statement::from_sql_and_values(
                    self.backend(),
                    sql,
                    [cutoff.into()],
                ))
                .await?
                .rows_affected();
        }
        Ok(ScrubReport {
            expired_by_operator,
            expired_notices,
            expired_sessions,
            erased_accounts: closed.len() as u64,
            erased_guests,
            expired_seats,
        })
    }

    async fn scrub_guests(&self, now: i64) -> Result<(u64, u64), StoreError> {
        oidc_login::Entity::delete_many()
            .filter(oidc_login::Column::ExpiresAt.lte(now))
            .exec(&self.writer)
            .await?;
        self.purge_reset_links(now).await?;
        let expired_seats = seat_use::Entity::delete_many()
            .filter(seat_use::Column::ExpiresAt.lte(now))
            .exec(&self.writer)
            .await?
            .rows_affected;
        let libraries: Vec<(uuid::Uuid, i32)> = library::Entity::find()
            .select_only()
            .column(library::Column::Id)
            .column(library::Column::GuestRetentionDays)
            .into_tuple()
            .all(&self.db)
            .await?;
        // A card linked to a member account carries that account's
        // learning: it is kept while the account is open, however long ago
        // the card itself was last used.
        let linked: std::collections::HashSet<uuid::Uuid> = guest_link::Entity::find()
            .select_only()
            .column(guest_link::Column::GuestId)
            .into_tuple()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        let mut stale: Vec<uuid::Uuid> = Vec::new();
        for (id, days) in libraries {
            let cutoff = now - i64::from(days.max(1)) * 24 * 3600 * 1000;
            let ids: Vec<uuid::Uuid> = guest::Entity::find()
                .select_only()
                .column(guest::Column::Id)
                .filter(guest::Column::LibraryId.eq(id))
                .filter(guest::Column::LastSeenAt.lt(cutoff))
                .into_tuple()
                .all(&self.db)
                .await?;
            stale.extend(ids.into_iter().filter(|g| !linked.contains(g)));
        }
        // Guests whose key is gone (a backup restored over their erasure).
        // Read before the keys, for the reason given for accounts above.
        let all: Vec<uuid::Uuid> = guest::Entity::find()
            .select_only()
            .column(guest::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        let keys = self.keyring.subjects().await?;
        stale.extend(all.into_iter().filter(|id| !keys.contains(id)));
        stale.sort();
        stale.dedup();
        for id in &stale {
            self.erase_now(SubjectId(*id)).await?;
            self.erase_rows(SubjectId(*id)).await?;
        }
        Ok((stale.len() as u64, expired_seats))
    }
}
