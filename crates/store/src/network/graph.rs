//! Connections (asked for, accepted, ignored, withdrawn, removed),
//! one-way follows and blocks. The graph is private: who someone is
//! connected to shows only where their profile's "connections" section
//! admits the viewer. Suggestions ("people you may know") come only from
//! mutual connections among members who chose to be suggested; nothing is
//! ever imported from address books (privacy invariant 10).

use super::{LiveEvent, Network, NetworkError, NoticeKind, PersonCard, decrypt, statement};
use crate::StoreError;
use crate::entity::{block, connection, connection_request, follow, profile, timeline};
use chrono::{DateTime, Utc};
use lyceum_core::domain::network::{MAX_NOTE_CHARS, Relation, Text};
use lyceum_core::domain::{MemberId, SubjectId};
use sea_orm::sea_query::{Condition, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::Serialize;
use uuid::Uuid;

const NOTE_CTX: &str = "connection_requests.note";
/// How many of each other's latest posts two new connections see at once.
const BACKFILL_POSTS: i64 = 50;

/// What asking to connect did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "request_id")]
pub enum RequestOutcome {
    /// The request waits for an answer.
    Sent(Uuid),
    /// The other person had already asked, so the two are now connected.
    Connected,
}

/// A pending request, as one of its two people sees it.
#[derive(Debug, Clone, Serialize)]
pub struct PendingRequest {
    /// Id.
    pub id: Uuid,
    /// The other person.
    pub person: PersonCard,
    /// The sender's note (may be empty).
    pub note: String,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
}

/// A suggestion, with why.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    /// Who.
    pub person: PersonCard,
    /// Connections the two share.
    pub mutual: u32,
}

impl Network<'_> {
    /// Asks `to` to connect, with an optional note.
    pub async fn request_connection(
        &self,
        from: MemberId,
        to: MemberId,
        note: &str,
    ) -> Result<RequestOutcome, NetworkError> {
        if from == to {
            return Err(NetworkError::Conflict(
                "You cannot connect with yourself.".into(),
            ));
        }
        let note = if note.trim().is_empty() {
            String::new()
        } else {
            Text::parse(note, MAX_NOTE_CHARS)
                .map_err(|e| NetworkError::text("note", e))?
                .as_str()
                .to_owned()
        };
        match self.relation(Some(from), to.0).await? {
            Relation::Blocked => return Err(NetworkError::NotFound),
            Relation::Connection => {
                return Err(NetworkError::Conflict("You are already connected.".into()));
            }
            _ => {}
        }
        profile::Entity::find_by_id(to.0)
            .one(&self.store.db)
            .await?
            .ok_or(NetworkError::NotFound)?;
        self.ensure_profile_exists(from).await?;
        if let Some(theirs) = self.request_between(to, from, &self.store.writer).await? {
            self.connect(theirs).await?;
            return Ok(RequestOutcome::Connected);
        }
        if self
            .request_between(from, to, &self.store.writer)
            .await?
            .is_some()
        {
            return Err(NetworkError::Conflict(
                "You already asked to connect; the request is waiting for an answer.".into(),
            ));
        }
        let key = self.store.keyring.get(SubjectId(from.0)).await?;
        let id = Uuid::now_v7();
        connection_request::ActiveModel {
            id: Set(id),
            from_id: Set(from.0),
            to_id: Set(to.0),
            note_ciphertext: Set(key.encrypt(NOTE_CTX, note.as_bytes())),
            created_at: Set(self.store.now_ms()),
            ignored_at: Set(None),
        }
        .insert(&self.store.writer)
        .await?;
        self.notify(to, from, NoticeKind::ConnectionRequest, None, None)
            .await?;
        Ok(RequestOutcome::Sent(id))
    }

    async fn request_between(
        &self,
        from: MemberId,
        to: MemberId,
        conn: &impl ConnectionTrait,
    ) -> Result<Option<connection_request::Model>, StoreError> {
        Ok(connection_request::Entity::find()
            .filter(connection_request::Column::FromId.eq(from.0))
            .filter(connection_request::Column::ToId.eq(to.0))
            .one(conn)
            .await?)
    }

    /// Accepts a request sent to `me`.
    pub async fn accept_request(&self, me: MemberId, id: Uuid) -> Result<(), NetworkError> {
        let r = connection_request::Entity::find_by_id(id)
            .one(&self.store.writer)
            .await?
            .filter(|r| r.to_id == me.0)
            .ok_or(NetworkError::NotFound)?;
        self.connect(r).await
    }

    async fn connect(&self, r: connection_request::Model) -> Result<(), NetworkError> {
        let now = self.store.now_ms();
        let (a, b) = (r.from_id, r.to_id);
        let tx = self.store.writer.begin().await?;
        connection_request::Entity::delete_by_id(r.id)
            .exec(&tx)
            .await?;
        connection::Entity::insert_many([
            connection::ActiveModel {
                member_id: Set(a),
                other_id: Set(b),
                created_at: Set(now),
            },
            connection::ActiveModel {
                member_id: Set(b),
                other_id: Set(a),
                created_at: Set(now),
            },
        ])
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(&tx)
        .await?;
        self.backfill(&tx, a, b).await?;
        self.backfill(&tx, b, a).await?;
        tx.commit().await?;
        self.notify(
            MemberId(a),
            MemberId(b),
            NoticeKind::ConnectionAccepted,
            None,
            None,
        )
        .await?;
        Ok(())
    }

    /// Puts `author`'s latest posts in `reader`'s feed.
    async fn backfill(
        &self,
        tx: &impl ConnectionTrait,
        reader: Uuid,
        author: Uuid,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO timeline (member_id, post_id, author_id, created_at) \
             SELECT $1, id, author_id, created_at FROM posts \
             WHERE author_id = $2 AND removed_at IS NULL \
             AND id NOT IN (SELECT post_id FROM timeline WHERE member_id = $1) \
             ORDER BY created_at DESC LIMIT $3";
        self.execute(
            sql,
            vec![reader.into(), author.into(), BACKFILL_POSTS.into()],
            tx,
        )
        .await?;
        Ok(())
    }

    /// Ignores a request sent to `me`: it leaves their list; the sender is
    /// not told.
    pub async fn ignore_request(&self, me: MemberId, id: Uuid) -> Result<(), NetworkError> {
        let res = connection_request::Entity::update_many()
            .col_expr(
                connection_request::Column::IgnoredAt,
                sea_orm::sea_query::Expr::value(self.store.now_ms()),
            )
            .filter(connection_request::Column::Id.eq(id))
            .filter(connection_request::Column::ToId.eq(me.0))
            .exec(&self.store.writer)
            .await?;
        if res.rows_affected == 0 {
            return Err(NetworkError::NotFound);
        }
        Ok(())
    }

    /// Withdraws a request `me` sent.
    pub async fn withdraw_request(&self, me: MemberId, id: Uuid) -> Result<(), NetworkError> {
        let res = connection_request::Entity::delete_many()
            .filter(connection_request::Column::Id.eq(id))
            .filter(connection_request::Column::FromId.eq(me.0))
            .exec(&self.store.writer)
            .await?;
        if res.rows_affected == 0 {
            return Err(NetworkError::NotFound);
        }
        Ok(())
    }

    /// Ends a connection. Each keeps seeing the other's posts only if they
    /// follow them.
    pub async fn remove_connection(
        &self,
        me: MemberId,
        other: MemberId,
    ) -> Result<(), NetworkError> {
        let tx = self.store.writer.begin().await?;
        let res = connection::Entity::delete_many()
            .filter(
                Condition::any()
                    .add(
                        Condition::all()
                            .add(connection::Column::MemberId.eq(me.0))
                            .add(connection::Column::OtherId.eq(other.0)),
                    )
                    .add(
                        Condition::all()
                            .add(connection::Column::MemberId.eq(other.0))
                            .add(connection::Column::OtherId.eq(me.0)),
                    ),
            )
            .exec(&tx)
            .await?;
        if res.rows_affected == 0 {
            return Err(NetworkError::NotFound);
        }
        for (reader, author) in [(me.0, other.0), (other.0, me.0)] {
            let follows = follow::Entity::find_by_id((reader, author))
                .one(&tx)
                .await?
                .is_some();
            if follows {
                // Connections-only posts leave the feed; the rest stay.
                self.execute(
                    "DELETE FROM timeline WHERE member_id = $1 AND author_id = $2 \
                     AND post_id IN (SELECT id FROM posts WHERE author_id = $2 AND audience = $3)",
                    vec![reader.into(), author.into(), "connections".into()],
                    &tx,
                )
                .await?;
            } else {
                timeline::Entity::delete_many()
                    .filter(timeline::Column::MemberId.eq(reader))
                    .filter(timeline::Column::AuthorId.eq(author))
                    .exec(&tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Follows a member: their posts for members and the public come to
    /// `me`'s feed.
    pub async fn follow(&self, me: MemberId, other: MemberId) -> Result<(), NetworkError> {
        if me == other {
            return Err(NetworkError::Conflict("You cannot follow yourself.".into()));
        }
        if self.relation(Some(me), other.0).await? == Relation::Blocked {
            return Err(NetworkError::NotFound);
        }
        profile::Entity::find_by_id(other.0)
            .one(&self.store.db)
            .await?
            .ok_or(NetworkError::NotFound)?;
        let tx = self.store.writer.begin().await?;
        let inserted = follow::Entity::insert(follow::ActiveModel {
            follower_id: Set(me.0),
            followee_id: Set(other.0),
            created_at: Set(self.store.now_ms()),
        })
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(&tx)
        .await?;
        if inserted > 0 {
            self.execute(
                "INSERT INTO timeline (member_id, post_id, author_id, created_at) \
                 SELECT $1, id, author_id, created_at FROM posts \
                 WHERE author_id = $2 AND audience <> $3 AND removed_at IS NULL \
                 AND id NOT IN (SELECT post_id FROM timeline WHERE member_id = $1) \
                 ORDER BY created_at DESC LIMIT $4",
                vec![
                    me.0.into(),
                    other.0.into(),
                    "connections".into(),
                    BACKFILL_POSTS.into(),
                ],
                &tx,
            )
            .await?;
        }
        tx.commit().await?;
        if inserted > 0 {
            self.notify(other, me, NoticeKind::Follow, None, None)
                .await?;
        }
        Ok(())
    }

    /// Stops following.
    pub async fn unfollow(&self, me: MemberId, other: MemberId) -> Result<(), NetworkError> {
        let tx = self.store.writer.begin().await?;
        let res = follow::Entity::delete_by_id((me.0, other.0))
            .exec(&tx)
            .await?;
        let connected = connection::Entity::find_by_id((me.0, other.0))
            .one(&tx)
            .await?
            .is_some();
        if res.rows_affected > 0 && !connected {
            timeline::Entity::delete_many()
                .filter(timeline::Column::MemberId.eq(me.0))
                .filter(timeline::Column::AuthorId.eq(other.0))
                .exec(&tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Blocks a member: connection, requests and follows between the two
    /// end, their posts leave each other's feeds, and neither can see the
    /// other's profile, posts or comments, message or connect.
    pub async fn block(&self, me: MemberId, other: MemberId) -> Result<(), NetworkError> {
        if me == other {
            return Err(NetworkError::Conflict("You cannot block yourself.".into()));
        }
        profile::Entity::find_by_id(other.0)
            .one(&self.store.db)
            .await?
            .ok_or(NetworkError::NotFound)?;
        let (a, b) = (me.0, other.0);
        let pair = |x: sea_orm::sea_query::Expr, y: sea_orm::sea_query::Expr| {
            Condition::any().add(x).add(y)
        };
        let tx = self.store.writer.begin().await?;
        block::Entity::insert(block::ActiveModel {
            blocker_id: Set(a),
            blocked_id: Set(b),
            created_at: Set(self.store.now_ms()),
        })
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(&tx)
        .await?;
        connection::Entity::delete_many()
            .filter(pair(
                connection::Column::MemberId
                    .eq(a)
                    .and(connection::Column::OtherId.eq(b)),
                connection::Column::MemberId
                    .eq(b)
                    .and(connection::Column::OtherId.eq(a)),
            ))
            .exec(&tx)
            .await?;
        connection_request::Entity::delete_many()
            .filter(pair(
                connection_request::Column::FromId
                    .eq(a)
                    .and(connection_request::Column::ToId.eq(b)),
                connection_request::Column::FromId
                    .eq(b)
                    .and(connection_request::Column::ToId.eq(a)),
            ))
            .exec(&tx)
            .await?;
        follow::Entity::delete_many()
            .filter(pair(
                follow::Column::FollowerId
                    .eq(a)
                    .and(follow::Column::FolloweeId.eq(b)),
                follow::Column::FollowerId
                    .eq(b)
                    .and(follow::Column::FolloweeId.eq(a)),
            ))
            .exec(&tx)
            .await?;
        timeline::Entity::delete_many()
            .filter(pair(
                timeline::Column::MemberId
                    .eq(a)
                    .and(timeline::Column::AuthorId.eq(b)),
                timeline::Column::MemberId
                    .eq(b)
                    .and(timeline::Column::AuthorId.eq(a)),
            ))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Lifts a block `me` made.
    pub async fn unblock(&self, me: MemberId, other: MemberId) -> Result<(), StoreError> {
        block::Entity::delete_by_id((me.0, other.0))
            .exec(&self.store.writer)
            .await?;
        Ok(())
    }

    /// Members `me` blocked.
    pub async fn blocked(&self, me: MemberId) -> Result<Vec<PersonCard>, StoreError> {
        let ids: Vec<Uuid> = block::Entity::find()
            .filter(block::Column::BlockerId.eq(me.0))
            .order_by_desc(block::Column::CreatedAt)
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|b| b.blocked_id)
            .collect();
        // Cards as a stranger would see them: the block hides headlines.
        let mut cards = self.cards(None, &ids).await?;
        Ok(ids.iter().filter_map(|i| cards.remove(i)).collect())
    }

    /// Requests sent to `me` that they have not answered or ignored,
    /// newest first; with `sent`, the requests `me` sent instead.
    pub async fn pending_requests(
        &self,
        me: MemberId,
        sent: bool,
    ) -> Result<Vec<PendingRequest>, StoreError> {
        let q = connection_request::Entity::find();
        let q = if sent {
            q.filter(connection_request::Column::FromId.eq(me.0))
        } else {
            q.filter(connection_request::Column::ToId.eq(me.0))
                .filter(connection_request::Column::IgnoredAt.is_null())
        };
        let rows = q
            .order_by_desc(connection_request::Column::CreatedAt)
            .all(&self.store.db)
            .await?;
        let others: Vec<Uuid> = rows
            .iter()
            .map(|r| if sent { r.to_id } else { r.from_id })
            .collect();
        let cards = self.cards(Some(me), &others).await?;
        let mut out = Vec::new();
        for r in rows {
            let other = if sent { r.to_id } else { r.from_id };
            let Some(person) = cards.get(&other).cloned() else {
                continue;
            };
            let note = match self.store.keyring.get(SubjectId(r.from_id)).await {
                Ok(k) => decrypt(&k, NOTE_CTX, &r.note_ciphertext)?,
                Err(StoreError::KeyDestroyed) => continue,
                Err(e) => return Err(e),
            };
            out.push(PendingRequest {
                id: r.id,
                person,
                note,
                sent_at: crate::from_ms(r.created_at),
            });
        }
        Ok(out)
    }

    /// Members who share connections with `me` and chose to be
    /// suggested, most shared first. Nobody else is ever suggested.
    pub async fn suggestions(
        &self,
        me: MemberId,
        limit: i64,
    ) -> Result<Vec<Suggestion>, StoreError> {
        let sql = "SELECT c2.other_id AS id, COUNT(*) AS mutual \
             FROM connections c1 \
             JOIN connections c2 ON c2.member_id = c1.other_id \
             JOIN profiles p ON p.member_id = c2.other_id AND p.is_discoverable = $2 \
             WHERE c1.member_id = $1 AND c2.other_id <> $1 \
             AND NOT EXISTS (SELECT 1 FROM connections c3 WHERE c3.member_id = $1 AND c3.other_id = c2.other_id) \
             AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = $1 AND b.blocked_id = c2.other_id) OR (b.blocked_id = $1 AND b.blocker_id = c2.other_id)) \
             AND NOT EXISTS (SELECT 1 FROM connection_requests r WHERE (r.from_id = $1 AND r.to_id = c2.other_id) OR (r.to_id = $1 AND r.from_id = c2.other_id)) \
             GROUP BY c2.other_id ORDER BY mutual DESC, c2.other_id LIMIT $3";
        let rows = self
            .store
            .db
            .query_all_raw(statement(
                self.store.backend(),
                sql,
                vec![me.0.into(), true.into(), limit.into()],
            ))
            .await?;
        let mut found = Vec::new();
        for r in rows {
            let id: Uuid = r.try_get("", "id")?;
            let mutual: i64 = r.try_get("", "mutual")?;
            found.push((id, u32::try_from(mutual).unwrap_or(u32::MAX)));
        }
        let ids: Vec<Uuid> = found.iter().map(|(i, _)| *i).collect();
        let mut cards = self.cards(Some(me), &ids).await?;
        Ok(found
            .into_iter()
            .filter_map(|(id, mutual)| {
                cards
                    .remove(&id)
                    .map(|person| Suggestion { person, mutual })
            })
            .collect())
    }

    /// Finds members by handle: the exact handle finds anyone (it was
    /// shared with the viewer); the start of a handle finds only members
    /// who chose to be discoverable.
    pub async fn find_people(
        &self,
        viewer: MemberId,
        query: &str,
        limit: u64,
    ) -> Result<Vec<PersonCard>, StoreError> {
        use sea_orm::QuerySelect;
        let q: String = query
            .trim()
            .trim_start_matches('@')
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if q.len() < 2 {
            return Ok(Vec::new());
        }
        let rows = profile::Entity::find()
            .filter(
                Condition::any()
                    .add(profile::Column::Handle.eq(q.as_str()))
                    .add(
                        Condition::all()
                            .add(profile::Column::Handle.starts_with(q.as_str()))
                            .add(profile::Column::IsDiscoverable.eq(true)),
                    ),
            )
            .filter(profile::Column::MemberId.ne(viewer.0))
            .order_by_asc(profile::Column::Handle)
            .limit(limit)
            .all(&self.store.db)
            .await?;
        let ids: Vec<Uuid> = rows.iter().map(|p| p.member_id).collect();
        let relations = self.relations(Some(viewer), &ids).await?;
        let mut cards = self.cards(Some(viewer), &ids).await?;
        Ok(ids
            .iter()
            .filter(|i| relations.get(i) != Some(&Relation::Blocked))
            .filter_map(|i| cards.remove(i))
            .collect())
    }

    /// Where `me` stands on connecting with `other`.
    pub async fn connection_state(
        &self,
        me: MemberId,
        other: MemberId,
    ) -> Result<super::ConnectionState, StoreError> {
        use super::ConnectionState as S;
        if me == other {
            return Ok(S::NotApplicable);
        }
        if connection::Entity::find_by_id((me.0, other.0))
            .one(&self.store.db)
            .await?
            .is_some()
        {
            return Ok(S::Connected);
        }
        if let Some(r) = self.request_between(me, other, &self.store.db).await? {
            return Ok(S::Sent(r.id));
        }
        if let Some(r) = self.request_between(other, me, &self.store.db).await? {
            return Ok(S::Received(r.id));
        }
        Ok(S::None)
    }

    /// The connections and follows of `me` as ids (for the feed's live
    /// signals and the export).
    pub async fn connection_ids(&self, me: MemberId) -> Result<Vec<Uuid>, StoreError> {
        Ok(connection::Entity::find()
            .filter(connection::Column::MemberId.eq(me.0))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|c| c.other_id)
            .collect())
    }

    pub(crate) fn signal(&self, members: impl IntoIterator<Item = Uuid>, event: LiveEvent) {
        self.store.hub.publish_all(members, event);
    }
}
