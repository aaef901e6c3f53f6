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
//! - in-app notifications after 90 days.

use crate::entity::{guest, guest_link, library, member, oidc_login, seat_use, session};
use crate::{Store, StoreError};
use lyceum_core::domain::SubjectId;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

/// The longest an operator may keep a closed account.
pub const MAX_CLOSED_ACCOUNT_DAYS: u32 = 30;

/// Operator settings for retention.
#[derive(Debug, Clone, Copy, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct RetentionConfig {
    /// Days a closed account may remain before it is erased (at most 30).
    pub closed_account_days: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            closed_account_days: MAX_CLOSED_ACCOUNT_DAYS,
        }
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
}

impl Store {
    /// Removes everything whose retention has passed, as of the store's clock.
    pub async fn scrub(&self, config: RetentionConfig) -> Result<ScrubReport, StoreError> {
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
        session::Entity::delete_many()
            .filter(session::Column::MemberId.is_in(closed.clone()))
            .exec(&self.writer)
            .await?;
        let (erased_guests, expired_seats) = self.scrub_guests(now).await?;
        let expired_notices = self.network().expire_notices().await?;
        Ok(ScrubReport {
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
