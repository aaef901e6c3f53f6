//! Guest learners and seat accounting.
//!
//! A guest is found or created from the pseudonym of their card. Each
//! calendar month the first sign-in of a guest takes a seat of the
//! library's licence; when the seats are gone, new patrons are refused
//! with the library's contact (patrons already counted this month carry
//! on). Usage is counted into `usage_counts` at the same moment, as plain
//! counters: reports never read who.

use crate::entity::{guest, guest_link, seat_use, usage_count};
use crate::libraries::Library;
use crate::{Store, StoreError, from_ms};
use chrono::{DateTime, Utc};
use lyceum_core::domain::library::{Month, reportable};
use lyceum_core::domain::objection::Ground;
use lyceum_core::domain::{GuestId, LibraryId, Licence, MemberId, SubjectId};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

/// A guest learner.
#[derive(Debug, Clone, Serialize)]
pub struct Guest {
    /// Id (also their data subject id).
    pub id: GuestId,
    /// Their library.
    pub library_id: LibraryId,
    /// First sign-in.
    pub created_at: DateTime<Utc>,
    /// Latest sign-in.
    pub last_seen_at: DateTime<Utc>,
}

impl Guest {
    /// When the scrubber erases this guest if they do not come back: the
    /// library's guest retention after their last sign-in.
    pub fn kept_until(&self, library: &Library) -> DateTime<Utc> {
        self.last_seen_at + chrono::Duration::days(i64::from(library.guest_retention_days))
    }
}

/// Why a patron could not start a session.
#[derive(Debug, thiserror::Error)]
pub enum GuestSignInError {
    /// Every seat of the month is taken.
    #[error("all {0} seats of this month are in use")]
    SeatsFull(u32),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for GuestSignInError {
    fn from(e: sea_orm::DbErr) -> Self {
        GuestSignInError::Store(e.into())
    }
}

/// Counter names in `usage_counts`.
pub mod metric {
    /// Distinct patrons active in the month (seats used).
    pub const PATRONS_ACTIVE: &str = "patrons_active";
    /// Patron sign-ins.
    pub const SIGN_INS: &str = "sign_ins";
    /// Enrolments, by course.
    pub const ENROLMENTS: &str = "enrolments";
    /// Courses finished, by course.
    pub const COMPLETIONS: &str = "completions";
}

/// One cell of a library report. `count` is `None` when fewer than
/// [`lyceum_core::domain::library::REPORT_MIN_COUNT`] people are behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportCell {
    /// The month.
    pub month: String,
    /// What was counted.
    pub metric: String,
    /// The breakdown value, `""` for the total.
    pub dimension: String,
    /// The count, or nothing when suppressed.
    pub count: Option<u64>,
}

/// When a seat row is deleted: the start of the month after next, so the
/// month's count can still be checked during the following month.
fn seat_expiry(month: Month) -> i64 {
    let m = month.next().next();
    chrono::NaiveDate::from_ymd_opt(m.0 / 100, (m.0 % 100) as u32, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(i64::MAX, |d| d.and_utc().timestamp_millis())
}

/// Guest use cases over the store.
#[derive(Debug)]
pub struct Guests<'a> {
    store: &'a Store,
}

impl<'a> Guests<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// A guest by id.
    pub async fn get(&self, id: GuestId) -> Result<Option<Guest>, StoreError> {
        Ok(guest::Entity::find_by_id(id.0)
            .one(&self.store.db)
            .await?
            .map(|r| Guest {
                id: GuestId(r.id),
                library_id: LibraryId(r.library_id),
                created_at: from_ms(r.created_at),
                last_seen_at: from_ms(r.last_seen_at),
            }))
    }

    /// Signs a patron in whose card the library has just vouched for:
    /// finds or creates their guest record, takes a seat for the month,
    /// and counts the sign-in.
    pub async fn sign_in(
        &self,
        library: &Library,
        pseudonym: Vec<u8>,
    ) -> Result<Guest, GuestSignInError> {
        let now = self.store.now_ms();
        let month = Month::of(from_ms(now));
        let existing = guest::Entity::find()
            .filter(guest::Column::LibraryId.eq(library.id.0))
            .filter(guest::Column::Pseudonym.eq(pseudonym.clone()))
            .one(&self.store.db)
            .await?;
        let has_seat = match &existing {
            Some(g) => seat_use::Entity::find_by_id((library.id.0, month.0, g.id))
                .one(&self.store.db)
                .await?
                .is_some(),
            None => false,
        };
        if !has_seat && let Licence::SeatsPerMonth(seats) = library.licence {
            let used = seat_use::Entity::find()
                .filter(seat_use::Column::LibraryId.eq(library.id.0))
                .filter(seat_use::Column::Month.eq(month.0))
                .count(&self.store.db)
                .await?;
            // Two patrons arriving at once for the last seat may both get
            // in on PostgreSQL: one seat over is kinder than a lock every
            // sign-in takes, and the report shows the true count.
            if used >= u64::from(seats) {
                return Err(GuestSignInError::SeatsFull(seats));
            }
        }
        let id = match existing {
            Some(g) => {
                guest::Entity::update_many()
                    .col_expr(guest::Column::LastSeenAt, Expr::value(now))
                    .filter(guest::Column::Id.eq(g.id))
                    .exec(&self.store.writer)
                    .await?;
                GuestId(g.id)
            }
            None => {
                let id = GuestId::new();
                // The key first: a key without a guest is harmless, a guest
                // without a key could not keep anything private.
                self.store.keyring.create(SubjectId::from(id), now).await?;
                let inserted = guest::ActiveModel {
                    id: Set(id.0),
                    library_id: Set(library.id.0),
                    pseudonym: Set(pseudonym.clone()),
                    created_at: Set(now),
                    last_seen_at: Set(now),
                }
                .insert(&self.store.writer)
                .await;
                match inserted {
                    Ok(_) => id,
                    Err(e)
                        if matches!(
                            e.sql_err(),
                            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                        ) =>
                    {
                        // The same card signed in twice at once: use the
                        // row that won and drop the unused key.
                        self.store.keyring.destroy(SubjectId::from(id)).await?;
                        let g = guest::Entity::find()
                            .filter(guest::Column::LibraryId.eq(library.id.0))
                            .filter(guest::Column::Pseudonym.eq(pseudonym))
                            .one(&self.store.writer)
                            .await?
                            .ok_or(StoreError::Corrupt("guest vanished".into()))?;
                        GuestId(g.id)
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        // A guest who objected to usage statistics still takes a seat (the
        // licence needs it) but is left out of the counters.
        let counted = !self
            .store
            .objections()
            .has_objected(SubjectId::from(id), Ground::UsageStatistics)
            .await?;
        if !has_seat {
            let res = seat_use::Entity::insert(seat_use::ActiveModel {
                library_id: Set(library.id.0),
                month: Set(month.0),
                guest_id: Set(id.0),
                expires_at: Set(seat_expiry(month)),
            })
            .on_conflict(
                OnConflict::columns([
                    seat_use::Column::LibraryId,
                    seat_use::Column::Month,
                    seat_use::Column::GuestId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&self.store.writer)
            .await?;
            if res > 0 && counted {
                self.count(library.id, month, metric::PATRONS_ACTIVE, "")
                    .await?;
            }
        }
        if counted {
            self.count(library.id, month, metric::SIGN_INS, "").await?;
        }
        Ok(self
            .get(id)
            .await?
            .ok_or(StoreError::Corrupt("guest vanished".into()))?)
    }

    /// Adds one to a usage counter.
    pub async fn count(
        &self,
        library: LibraryId,
        month: Month,
        metric: &str,
        dimension: &str,
    ) -> Result<(), StoreError> {
        usage_count::Entity::insert(usage_count::ActiveModel {
            library_id: Set(library.0),
            month: Set(month.0),
            metric: Set(metric.to_owned()),
            dimension: Set(dimension.to_owned()),
            count: Set(1),
        })
        .on_conflict(
            OnConflict::columns([
                usage_count::Column::LibraryId,
                usage_count::Column::Month,
                usage_count::Column::Metric,
                usage_count::Column::Dimension,
            ])
            .value(
                usage_count::Column::Count,
                Expr::col((usage_count::Entity, usage_count::Column::Count)).add(1),
            )
            .to_owned(),
        )
        .exec_without_returning(&self.store.writer)
        .await?;
        Ok(())
    }

    /// Seats used this month.
    pub async fn seats_used(&self, library: LibraryId, month: Month) -> Result<u64, StoreError> {
        Ok(seat_use::Entity::find()
            .filter(seat_use::Column::LibraryId.eq(library.0))
            .filter(seat_use::Column::Month.eq(month.0))
            .count(&self.store.db)
            .await?)
    }

    /// A library's report for the months `from..=to`: counters only, with
    /// every cell below the minimum count suppressed here, at the source,
    /// so no page, API or export can show it by mistake.
    pub async fn report(
        &self,
        library: LibraryId,
        from: Month,
        to: Month,
    ) -> Result<Vec<ReportCell>, StoreError> {
        let rows = usage_count::Entity::find()
            .filter(usage_count::Column::LibraryId.eq(library.0))
            .filter(usage_count::Column::Month.gte(from.0))
            .filter(usage_count::Column::Month.lte(to.0))
            .order_by_asc(usage_count::Column::Month)
            .order_by_asc(usage_count::Column::Metric)
            .order_by_asc(usage_count::Column::Dimension)
            .all(&self.store.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| ReportCell {
                month: Month(r.month).to_string(),
                metric: r.metric,
                dimension: r.dimension,
                count: reportable(u64::try_from(r.count).unwrap_or(0)),
            })
            .collect())
    }

    /// Finds or creates the guest for a pseudonym without taking a seat:
    /// linking a card to an account is not learning.
    pub async fn find_or_create(
        &self,
        library: &Library,
        pseudonym: Vec<u8>,
    ) -> Result<GuestId, StoreError> {
        if let Some(g) = guest::Entity::find()
            .filter(guest::Column::LibraryId.eq(library.id.0))
            .filter(guest::Column::Pseudonym.eq(pseudonym.clone()))
            .one(&self.store.db)
            .await?
        {
            return Ok(GuestId(g.id));
        }
        let now = self.store.now_ms();
        let id = GuestId::new();
        self.store.keyring.create(SubjectId::from(id), now).await?;
        guest::ActiveModel {
            id: Set(id.0),
            library_id: Set(library.id.0),
            pseudonym: Set(pseudonym),
            created_at: Set(now),
            last_seen_at: Set(now),
        }
        .insert(&self.store.writer)
        .await?;
        Ok(id)
    }

    /// Links a guest to a member (the member's explicit choice). A card
    /// already linked to another account is refused.
    pub async fn link(&self, guest: GuestId, member: MemberId) -> Result<bool, StoreError> {
        if let Some(existing) = guest_link::Entity::find_by_id(guest.0)
            .one(&self.store.db)
            .await?
        {
            return Ok(existing.member_id == member.0);
        }
        guest_link::ActiveModel {
            guest_id: Set(guest.0),
            member_id: Set(member.0),
            linked_at: Set(self.store.now_ms()),
        }
        .insert(&self.store.writer)
        .await?;
        Ok(true)
    }

    /// Removes a member's link to a guest: the guest is a pure guest again.
    pub async fn unlink(&self, guest: GuestId, member: MemberId) -> Result<bool, StoreError> {
        Ok(guest_link::Entity::delete_many()
            .filter(guest_link::Column::GuestId.eq(guest.0))
            .filter(guest_link::Column::MemberId.eq(member.0))
            .exec(&self.store.writer)
            .await?
            .rows_affected
            > 0)
    }

    /// The guests linked to a member, with their libraries.
    pub async fn linked_to(
        &self,
        member: MemberId,
    ) -> Result<Vec<(Guest, DateTime<Utc>)>, StoreError> {
        let links = guest_link::Entity::find()
            .filter(guest_link::Column::MemberId.eq(member.0))
            .order_by_asc(guest_link::Column::LinkedAt)
            .all(&self.store.db)
            .await?;
        let mut out = Vec::new();
        for l in links {
            if let Some(g) = self.get(GuestId(l.guest_id)).await? {
                out.push((g, from_ms(l.linked_at)));
            }
        }
        Ok(out)
    }

    /// The member a guest is linked to, if any.
    pub async fn linked_member(&self, guest: GuestId) -> Result<Option<MemberId>, StoreError> {
        Ok(guest_link::Entity::find_by_id(guest.0)
            .one(&self.store.db)
            .await?
            .map(|l| MemberId(l.member_id)))
    }

    /// Erases a guest at once: sessions, key and every row.
    pub async fn erase(&self, id: GuestId) -> Result<(), StoreError> {
        self.store.erase_now(SubjectId::from(id)).await?;
        self.store.erase_rows(SubjectId::from(id)).await?;
        Ok(())
    }
}
