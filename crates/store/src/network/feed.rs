//! Timelines: where a post goes when it is written, how much of it a
//! member keeps, and how a feed reads past that.
//!
//! - **Fan-out on write.** A post's id is copied into the timeline of its
//!   author, their connections and (beyond connections) their followers.
//!   Up to [`FANOUT_INLINE`] readers are written in the post's own
//!   transaction, so it is in their feeds when the author is answered.
//!   A larger audience is written just after the answer, [`FANOUT_CHUNK`]
//!   readers per transaction, so neither the author nor the other writers
//!   waiting for SQLite's one writer wait for thousands of rows; a
//!   `feed.fanout` job written with the post finishes the work if the node
//!   stops half way (rows already written are skipped).
//! - **A cap per timeline.** The hourly `feed.trim` job keeps each
//!   member's newest [`TIMELINE_CAP`] entries (fifty pages of twenty), so
//!   the table grows with members, not with members × posts × connections.
//! - **A pull path past the cap.** When a feed page reaches the end of the
//!   timeline, the rest of the page is read from the posts of the people the
//!   reader is connected to or follows, newest first, from where the
//!   timeline ended. The same audience check applies to both.

use super::posts::{PostRead, post_reads, viewer_columns};
use super::{LiveEvent, Network};
use crate::entity::{post, timeline};
use crate::{Store, StoreError};
use lyceum_core::domain::MemberId;
use lyceum_core::domain::network::Audience;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use std::time::Duration;
use uuid::Uuid;

/// How many entries a member's timeline keeps: fifty pages of twenty.
pub const TIMELINE_CAP: u64 = 1_000;
/// Readers written in the post's own transaction. Each reader's row
/// touches three B-tree leaves scattered over the table, so a larger
/// audience would hold the author (and every writer queued behind SQLite's
/// one writer) for tens of milliseconds.
pub const FANOUT_INLINE: u64 = 100;
/// Readers written per transaction past that: one transaction holds the
/// writer for some tens of milliseconds at most.
pub const FANOUT_CHUNK: u64 = 1_000;
/// The job that finishes a large fan-out if the node stops before it does.
pub const FANOUT_JOB: &str = "feed.fanout";
/// The hourly job that trims timelines to [`TIMELINE_CAP`].
pub const TRIM_JOB: &str = "feed.trim";
/// How long the fan-out job waits before a worker takes it over from the
/// node that wrote the post.
const FANOUT_TAKEOVER: Duration = Duration::from_secs(60);

/// Everyone (besides the author) whose feed a post by `$1` goes to. Posts
/// to connections go to connections only; others to followers too. UNION
/// drops anyone who is both.
fn readers_sql(audience: Audience) -> &'static str {
    if audience == Audience::Connections {
        "SELECT other_id AS m FROM connections WHERE member_id = $1"
    } else {
        "SELECT other_id AS m FROM connections WHERE member_id = $1 \
         UNION SELECT follower_id FROM follows WHERE followee_id = $1"
    }
}

/// How a post reached its readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fanout {
    /// Every reader's timeline was written in the post's transaction.
    Done,
    /// Written after the commit; the job stands by.
    Deferred(lyceum_core::domain::JobId),
}

impl Network<'_> {
    /// Puts a new post in its author's timeline and, for an audience of up
    /// to [`FANOUT_INLINE`], in everyone else's, inside the post's
    /// transaction; for a larger one, queues the job that stands by while
    /// [`Network::finish_fanout`] writes them.
    pub(crate) async fn fan_out_in(
        &self,
        tx: &impl ConnectionTrait,
        post: Uuid,
        author: Uuid,
        audience: Audience,
        at: i64,
    ) -> Result<Fanout, StoreError> {
        self.execute(
            "INSERT INTO timeline (member_id, post_id, author_id, created_at) VALUES ($1, $2, $1, $3)",
            vec![author.into(), post.into(), at.into()],
            tx,
        )
        .await?;
        if self
            .readers_at_most(tx, author, audience, FANOUT_INLINE)
            .await?
        {
            self.execute(
                &format!(
                    "INSERT INTO timeline (member_id, post_id, author_id, created_at) \
                     SELECT m, $2, $1, $3 FROM ({}) AS readers",
                    readers_sql(audience)
                ),
                vec![author.into(), post.into(), at.into()],
                tx,
            )
            .await?;
            return Ok(Fanout::Done);
        }
        let run_at = at + FANOUT_TAKEOVER.as_millis() as i64;
        let job = self
            .store
            .jobs()
            .enqueue_in(tx, FANOUT_JOB, serde_json::json!({ "post": post }), run_at)
            .await?;
        Ok(Fanout::Deferred(job))
    }

    /// Whether the post's readers are at most `n`: two index scans that
    /// stop after `n + 1` rows, so an author with fifty thousand followers
    /// costs no more than one with a hundred (the union of the two lists
    /// is never larger than their sum).
    async fn readers_at_most(
        &self,
        conn: &impl ConnectionTrait,
        author: Uuid,
        audience: Audience,
        n: u64,
    ) -> Result<bool, StoreError> {
        let mut lists = vec!["SELECT other_id FROM connections WHERE member_id = $1"];
        if audience != Audience::Connections {
            lists.push("SELECT follower_id FROM follows WHERE followee_id = $1");
        }
        let mut total = 0u64;
        for list in lists {
            let sql = format!("SELECT COUNT(*) AS n FROM ({list} LIMIT $2) AS bounded");
            let row = conn
                .query_one_raw(super::statement(
                    self.store.backend(),
                    &sql,
                    vec![author.into(), ((n + 1) as i64).into()],
                ))
                .await?;
            let count: i64 = match row {
                Some(r) => r.try_get("", "n")?,
                None => 0,
            };
            total += u64::try_from(count).unwrap_or(0);
            if total > n {
                return Ok(false);
            }
        }
        Ok(true)
    }

    async fn count_readers(
        &self,
        conn: &impl ConnectionTrait,
        author: Uuid,
        audience: Audience,
    ) -> Result<u64, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM ({}) AS readers",
            readers_sql(audience)
        );
        let row = conn
            .query_one_raw(super::statement(
                self.store.backend(),
                &sql,
                vec![author.into()],
            ))
            .await?;
        let n: i64 = match row {
            Some(r) => r.try_get("", "n")?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Writes a post into the timelines of all its readers,
    /// [`FANOUT_CHUNK`] per transaction, telling each chunk's readers with a
    /// page open. Idempotent: readers who have it already are skipped, and a
    /// post deleted meanwhile ends the work. Returns how many rows it wrote.
    pub async fn fan_out(&self, post_id: Uuid) -> Result<u64, StoreError> {
        let Some(p) = post::Entity::find_by_id(post_id)
            .one(&self.store.writer)
            .await?
        else {
            return Ok(0);
        };
        let audience = super::audience(&p.audience);
        let total = self
            .count_readers(&self.store.db, p.author_id, audience)
            .await?;
        // `WHERE true` keeps SQLite from reading ON CONFLICT as a join's ON.
        let sql = format!(
            "INSERT INTO timeline (member_id, post_id, author_id, created_at) \
             SELECT m, $2, $1, $3 FROM ({}) AS readers WHERE true \
             ORDER BY m LIMIT $4 OFFSET $5 \
             ON CONFLICT (member_id, post_id) DO NOTHING",
            readers_sql(audience)
        );
        let mut written = 0;
        let mut offset = 0;
        while offset < total {
            let tx = self.store.writer.begin().await?;
            if post::Entity::find_by_id(post_id).one(&tx).await?.is_none() {
                return Ok(written);
            }
            written += self
                .execute(
                    &sql,
                    vec![
                        p.author_id.into(),
                        post_id.into(),
                        p.created_at.into(),
                        (FANOUT_CHUNK as i64).into(),
                        (offset as i64).into(),
                    ],
                    &tx,
                )
                .await?;
            tx.commit().await?;
            offset += FANOUT_CHUNK;
        }
        self.signal_readers(post_id, p.author_id).await?;
        Ok(written)
    }

    /// Finishes a deferred fan-out now, on this node, and retires its job.
    pub(crate) async fn finish_fanout(&self, post: Uuid, job: lyceum_core::domain::JobId) {
        let started = std::time::Instant::now();
        match self.fan_out(post).await {
            Ok(rows) => {
                tracing::debug!(%post, rows, ms = started.elapsed().as_millis() as u64, "fan-out done");
                if let Err(e) = self.store.jobs().complete(job).await {
                    tracing::warn!(%post, error = %e, "fan-out done, its job stays for a worker");
                }
            }
            Err(e) => {
                tracing::warn!(%post, error = %e, "fan-out stopped; its job will finish it");
            }
        }
    }

    /// Tells the post's readers with a page open on this node to look again.
    pub(crate) async fn signal_readers(&self, post: Uuid, author: Uuid) -> Result<(), StoreError> {
        let readers: Vec<Uuid> = timeline::Entity::find()
            .select_only()
            .column(timeline::Column::MemberId)
            .filter(timeline::Column::PostId.eq(post))
            .into_tuple()
            .all(&self.store.writer)
            .await?;
        self.signal(
            readers.into_iter().filter(|r| *r != author),
            LiveEvent::Feed,
        );
        Ok(())
    }

    /// Up to `limit` posts older than `before` (or the newest) by the
    /// viewer and the people they are connected to or follow, newest first:
    /// the feed past the end of the viewer's timeline.
    ///
    /// Each author's posts are read from the `posts_author` index within a
    /// window of time before the cursor, first a day, then eight times
    /// wider until the page is full or the window reaches back to the
    /// beginning, so a deep page reads about a page's worth of rows rather
    /// than everything its authors ever wrote before the cursor.
    pub(crate) async fn pull(
        &self,
        viewer: Uuid,
        before: Option<super::Cursor>,
        limit: u64,
    ) -> Result<Vec<PostRead>, StoreError> {
        let (at, id) = match before {
            Some(c) => (c.at, c.id),
            None => (
                self.store.now_ms().saturating_add(PULL_FIRST_SPAN_MS),
                Uuid::max(),
            ),
        };
        let sql = format!(
            "SELECT p.*, {} FROM posts p WHERE p.author_id IN \
             (SELECT $1 UNION SELECT other_id FROM connections WHERE member_id = $1 \
              UNION SELECT followee_id FROM follows WHERE follower_id = $1) \
             AND p.created_at >= $5 AND (p.created_at < $2 OR (p.created_at = $2 AND p.id < $3)) \
             ORDER BY p.created_at DESC, p.id DESC LIMIT $4",
            viewer_columns(1, "p")
        );
        let mut span = PULL_FIRST_SPAN_MS;
        loop {
            let from = at.saturating_sub(span);
            let rows = self
                .store
                .db
                .query_all_raw(super::statement(
                    self.store.backend(),
                    &sql,
                    vec![
                        viewer.into(),
                        at.into(),
                        id.into(),
                        (limit as i64).into(),
                        from.into(),
                    ],
                ))
                .await?;
            if rows.len() as u64 >= limit || from <= 0 {
                return post_reads(rows, Some(MemberId(viewer)));
            }
            span = span.saturating_mul(8);
        }
    }

    /// Whether [`Network::pull`] would find anything before `before`: one
    /// index probe, so a page that ends exactly where the timeline does
    /// knows whether to offer the next one without reading it.
    pub(crate) async fn has_older(
        &self,
        viewer: Uuid,
        before: super::Cursor,
    ) -> Result<bool, StoreError> {
        let sql = "SELECT 1 AS one FROM posts WHERE author_id IN \
             (SELECT $1 UNION SELECT other_id FROM connections WHERE member_id = $1 \
              UNION SELECT followee_id FROM follows WHERE follower_id = $1) \
             AND (created_at < $2 OR (created_at = $2 AND id < $3)) LIMIT 1";
        Ok(self
            .store
            .db
            .query_one_raw(super::statement(
                self.store.backend(),
                sql,
                vec![viewer.into(), before.at.into(), before.id.into()],
            ))
            .await?
            .is_some())
    }
}

/// The first window [`Network::pull`] reads: a day.
const PULL_FIRST_SPAN_MS: i64 = 86_400_000;

impl Store {
    /// Trims every member's timeline to its newest [`TIMELINE_CAP`]
    /// entries; returns how many went.
    pub async fn trim_timelines(&self) -> Result<u64, StoreError> {
        self.trim_timelines_to(TIMELINE_CAP).await
    }

    /// Trims every member's timeline to its newest `cap` entries. Members are visited one at a time by their id;
    /// only those over the cap cost a write. Returns how many entries went.
    pub async fn trim_timelines_to(&self, cap: u64) -> Result<u64, StoreError> {
        let mut after: Option<Uuid> = None;
        let mut removed = 0;
        loop {
            let mut q = timeline::Entity::find()
                .select_only()
                .column(timeline::Column::MemberId);
            if let Some(a) = after {
                q = q.filter(timeline::Column::MemberId.gt(a));
            }
            let next: Option<Uuid> = q
                .order_by_asc(timeline::Column::MemberId)
                .limit(1)
                .into_tuple()
                .one(&self.db)
                .await?;
            let Some(member) = next else { break };
            after = Some(member);
            // The first entry past the cap, and with it everything older.
            let boundary: Option<(i64, Uuid)> = timeline::Entity::find()
                .select_only()
                .column(timeline::Column::CreatedAt)
                .column(timeline::Column::PostId)
                .filter(timeline::Column::MemberId.eq(member))
                .order_by_desc(timeline::Column::CreatedAt)
                .order_by_desc(timeline::Column::PostId)
                .offset(cap)
                .limit(1)
                .into_tuple()
                .one(&self.db)
                .await?;
            if let Some((at, post)) = boundary {
                removed += timeline::Entity::delete_many()
                    .filter(timeline::Column::MemberId.eq(member))
                    .filter(
                        Condition::any()
                            .add(timeline::Column::CreatedAt.lt(at))
                            .add(
                                Condition::all()
                                    .add(timeline::Column::CreatedAt.eq(at))
                                    .add(timeline::Column::PostId.lte(post)),
                            ),
                    )
                    .exec(&self.writer)
                    .await?
                    .rows_affected;
            }
        }
        if removed > 0 {
            tracing::info!(removed, "timelines trimmed");
        }
        Ok(removed)
    }
}
