//! Posts and the feed.
//!
//! Writing a post copies its id into the timeline of the author, of the
//! author's connections and (for posts to members or the public) of their
//! followers (fan-out on write, see [`super::feed`]). Reading a feed page
//! is then one keyset query on the reader's timeline plus a fixed number of
//! queries to hydrate twenty posts, however deep the page.
//! Every post read is checked against its audience again, so a timeline
//! row left behind by a removed connection shows nothing.

use super::{Network, NetworkError, NoticeKind, PersonCard, audience, decrypt};
use crate::entity::{comment, post, post_tag, timeline};
use crate::{StoreError, from_ms};
use chrono::{DateTime, Utc};
use lyceum_core::domain::datamap::ERASED_AUTHOR;
use lyceum_core::domain::network::{
    Audience, MAX_POST_CHARS, ReactionKind, Relation, Text, hashtags, mentions,
};
use lyceum_core::domain::{MemberId, SubjectId};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

pub(crate) const BODY_CTX: &str = "posts.body";

/// A post as one viewer sees it.
#[derive(Debug, Clone, Serialize)]
pub struct PostView {
    /// Id.
    pub id: Uuid,
    /// The author.
    pub author: PersonCard,
    /// Who may see it.
    pub audience: Audience,
    /// The text.
    pub body: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it was last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// Reactions by kind, in [`ReactionKind::ALL`] order.
    pub reactions: [u32; 5],
    /// Comments and replies.
    pub comment_count: u32,
    /// The viewer's reaction.
    pub my_reaction: Option<ReactionKind>,
    /// The latest comments, oldest first (on feed pages), or every
    /// top-level comment with its replies (on the post's own page).
    pub comments: Vec<super::CommentView>,
    /// Removed by a moderator (only its author still sees it).
    pub removed: bool,
    /// Pictures, in order.
    pub images: Vec<super::ImageView>,
    /// Its author was erased after others commented: a tombstone with no
    /// author and no words, kept so that the comments keep their place.
    pub erased: bool,
}

impl PostView {
    /// Every reaction.
    pub fn reaction_total(&self) -> u32 {
        self.reactions.iter().sum()
    }
}

/// One page of posts and where the next begins.
#[derive(Debug, Clone, Serialize)]
pub struct PostPage {
    /// The posts.
    pub posts: Vec<PostView>,
    /// Pass to get the next page; `None` at the end.
    pub next: Option<String>,
}

/// A position in a feed: a post's time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Milliseconds since the epoch.
    pub at: i64,
    /// The post (or comment) id.
    pub id: Uuid,
}

impl Cursor {
    /// Reads a cursor from its text form; anything else is `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        let (at, id) = raw.split_once('_')?;
        Some(Self {
            at: at.parse().ok()?,
            id: Uuid::parse_str(id).ok()?,
        })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.at, self.id.simple())
    }
}

impl Network<'_> {
    /// Writes a post and puts it in the feeds of everyone it is for.
    pub async fn create_post(
        &self,
        author: MemberId,
        body: &str,
        audience: Audience,
        images: Vec<super::NewPostImage>,
    ) -> Result<Uuid, NetworkError> {
        let body = Text::parse(body, MAX_POST_CHARS).map_err(|e| NetworkError::text("body", e))?;
        let images = Self::check_images(images)?;
        if !Audience::FOR_POSTS.contains(&audience) {
            return Err(NetworkError::Invalid(
                "audience",
                "Choose who may see the post: your connections, all members or anyone.".into(),
            ));
        }
        self.ensure_profile_exists(author).await?;
        let key = self.store.keyring.get(SubjectId(author.0)).await?;
        let id = Uuid::now_v7();
        let now = self.store.now_ms();
        let tags = hashtags(body.as_str());
        let tx = self.store.writer.begin().await?;
        post::ActiveModel {
            id: Set(id),
            author_id: Set(author.0),
            audience: Set(audience.key().into()),
            body_ciphertext: Set(key.encrypt(BODY_CTX, body.as_str().as_bytes())),
            created_at: Set(now),
            edited_at: Set(None),
            removed_at: Set(None),
            like_count: Set(0),
            celebrate_count: Set(0),
            love_count: Set(0),
            insightful_count: Set(0),
            curious_count: Set(0),
            comment_count: Set(0),
        }
        .insert(&tx)
        .await?;
        self.tag(&tx, id, author, now, &tags).await?;
        self.insert_images(&tx, &key, author, id, images, now)
            .await?;
        let fanout = self.fan_out_in(&tx, id, author.0, audience, now).await?;
        tx.commit().await?;
        match fanout {
            super::Fanout::Done => self.signal_readers(id, author.0).await?,
            super::Fanout::Deferred(job) => {
                let store = self.store.clone();
                tokio::spawn(async move { store.network().finish_fanout(id, job).await });
            }
        }
        self.notify_mentions(author, id, None, audience, body.as_str())
            .await?;
        Ok(id)
    }

    async fn tag(
        &self,
        tx: &impl sea_orm::ConnectionTrait,
        post_id: Uuid,
        author: MemberId,
        at: i64,
        tags: &[String],
    ) -> Result<(), StoreError> {
        post_tag::Entity::delete_many()
            .filter(post_tag::Column::PostId.eq(post_id))
            .exec(tx)
            .await?;
        if tags.is_empty() {
            return Ok(());
        }
        post_tag::Entity::insert_many(tags.iter().map(|t| post_tag::ActiveModel {
            tag: Set(t.clone()),
            post_id: Set(post_id),
            author_id: Set(author.0),
            created_at: Set(at),
        }))
        .exec_without_returning(tx)
        .await?;
        Ok(())
    }

    /// Notifies the members mentioned in a post or comment who may see
    /// the post; mentions of anyone else notify nobody.
    pub(crate) async fn notify_mentions(
        &self,
        author: MemberId,
        post_id: Uuid,
        comment_id: Option<Uuid>,
        audience: Audience,
        text: &str,
    ) -> Result<(), StoreError> {
        let post_author = match comment_id {
            None => author.0,
            Some(_) => post::Entity::find_by_id(post_id)
                .one(&self.store.writer)
                .await?
                .map_or(author.0, |p| p.author_id),
        };
        for h in mentions(text).into_iter().take(20) {
            let Some(who) = self.member_by_handle(h.as_str()).await? else {
                continue;
            };
            if who == author {
                continue;
            }
            let relation = self.relation(Some(who), post_author).await?;
            if audience.admits(relation) {
                self.notify(who, author, NoticeKind::Mention, Some(post_id), comment_id)
                    .await?;
            }
        }
        Ok(())
    }

    /// Changes a post's text (its audience stays as it was written).
    pub async fn edit_post(
        &self,
        author: MemberId,
        id: Uuid,
        body: &str,
    ) -> Result<(), NetworkError> {
        let body = Text::parse(body, MAX_POST_CHARS).map_err(|e| NetworkError::text("body", e))?;
        let p = post::Entity::find_by_id(id)
            .one(&self.store.writer)
            .await?
            .filter(|p| p.author_id == author.0)
            .ok_or(NetworkError::NotFound)?;
        let key = self.store.keyring.get(SubjectId(author.0)).await?;
        let old = decrypt(&key, BODY_CTX, &p.body_ciphertext)?;
        let aud = audience(&p.audience);
        let created = p.created_at;
        let tx = self.store.writer.begin().await?;
        let mut a: post::ActiveModel = p.into();
        a.body_ciphertext = Set(key.encrypt(BODY_CTX, body.as_str().as_bytes()));
        a.edited_at = Set(Some(self.store.now_ms()));
        a.update(&tx).await?;
        self.tag(&tx, id, author, created, &hashtags(body.as_str()))
            .await?;
        tx.commit().await?;
        // Only people newly mentioned hear of it.
        let before: Vec<_> = mentions(&old);
        let added: String = mentions(body.as_str())
            .into_iter()
            .filter(|h| !before.contains(h))
            .map(|h| format!("@{h} "))
            .collect();
        self.notify_mentions(author, id, None, aud, &added).await?;
        Ok(())
    }

    /// Deletes a post with its comments and reactions.
    pub async fn delete_post(&self, author: MemberId, id: Uuid) -> Result<(), NetworkError> {
        let res = post::Entity::delete_many()
            .filter(post::Column::Id.eq(id))
            .filter(post::Column::AuthorId.eq(author.0))
            .exec(&self.store.writer)
            .await?;
        if res.rows_affected == 0 {
            return Err(NetworkError::NotFound);
        }
        Ok(())
    }

    /// A post, how the viewer stands to its author and the viewer's
    /// reaction on it, in one statement: none if there is no such post.
    /// Nothing is checked yet.
    pub(crate) async fn read_post(
        &self,
        viewer: Option<MemberId>,
        id: Uuid,
    ) -> Result<Option<PostRead>, StoreError> {
        let Some(v) = viewer else {
            return Ok(post::Entity::find_by_id(id)
                .one(&self.store.db)
                .await?
                .map(|post| PostRead {
                    post,
                    relation: Relation::Anyone,
                    mine: None,
                }));
        };
        let sql = format!(
            "SELECT p.*, {} FROM posts p WHERE p.id = $1",
            viewer_columns(2, "p")
        );
        let Some(row) = self
            .store
            .db
            .query_one_raw(super::statement(
                self.store.backend(),
                &sql,
                vec![id.into(), v.0.into()],
            ))
            .await?
        else {
            return Ok(None);
        };
        let post = post::Model::from_query_result(&row, "")?;
        let (relation, mine) = seen(&row, viewer, post.author_id)?;
        Ok(Some(PostRead {
            post,
            relation,
            mine,
        }))
    }

    /// A post the viewer may see, or [`NetworkError::NotFound`].
    pub(crate) async fn visible_post(
        &self,
        viewer: Option<MemberId>,
        id: Uuid,
    ) -> Result<post::Model, NetworkError> {
        match self.read_post(viewer, id).await? {
            Some(r) if may_see(&r.post, r.relation) => Ok(r.post),
            _ => Err(NetworkError::NotFound),
        }
    }

    /// One post with every comment and reply, as the viewer may see it.
    pub async fn post(&self, viewer: Option<MemberId>, id: Uuid) -> Result<PostView, NetworkError> {
        let PostRead {
            post: p,
            relation,
            mine,
        } = self
            .read_post(viewer, id)
            .await?
            .ok_or(NetworkError::NotFound)?;
        if p.author_id == ERASED_AUTHOR {
            return self.tombstone(viewer, p).await;
        }
        if !may_see(&p, relation) {
            return Err(NetworkError::NotFound);
        }
        // Everything the page's post needs was read with it.
        let author = p.author_id;
        let relations = HashMap::from([(author, relation)]);
        let mine: HashMap<Uuid, ReactionKind> = mine.map(|k| (id, k)).into_iter().collect();
        let mut views = self
            .assemble(viewer, vec![p], Vec::new(), &[author], &relations, &mine)
            .await?;
        let mut view = views.pop().ok_or(NetworkError::NotFound)?;
        view.comments = self.thread(viewer, id, Some(author)).await?;
        Ok(view)
    }

    /// A post whose author was erased after others commented on it: no
    /// author, no words, its comments. Its audience still bounds who reads
    /// them; "connections" (of nobody, now) narrows to those who commented.
    async fn tombstone(
        &self,
        viewer: Option<MemberId>,
        p: post::Model,
    ) -> Result<PostView, NetworkError> {
        let may_read = match (audience(&p.audience), viewer) {
            (Audience::Public, _) => true,
            (Audience::Members, Some(_)) => true,
            (Audience::Connections, Some(v)) => comment::Entity::find()
                .filter(comment::Column::PostId.eq(p.id))
                .filter(comment::Column::AuthorId.eq(v.0))
                .one(&self.store.db)
                .await?
                .is_some(),
            _ => false,
        };
        if !may_read {
            return Err(NetworkError::NotFound);
        }
        Ok(PostView {
            id: p.id,
            author: PersonCard::erased(),
            audience: audience(&p.audience),
            body: String::new(),
            created_at: from_ms(p.created_at),
            edited_at: None,
            reactions: post_counts(&p),
            comment_count: u32::try_from(p.comment_count.max(0)).unwrap_or(0),
            my_reaction: None,
            comments: self.thread(viewer, p.id, None).await?,
            removed: false,
            images: Vec::new(),
            erased: true,
        })
    }

    /// A page of the viewer's feed, newest first.
    pub async fn feed(
        &self,
        viewer: MemberId,
        after: Option<Cursor>,
        limit: u64,
    ) -> Result<PostPage, StoreError> {
        // The timeline's page, its posts and their latest comments in one
        // statement; with each, the reader's relation to its author and
        // reaction on it. Posts and comments share the columns they have
        // in common, each side's own are NULL on the other's rows (a
        // comment is the row with a `post_id`). Sorting the whole answer
        // makes SQLite finish it before it returns the first row, so the
        // rows reach this task together rather than one wake-up each.
        let (at, id) = after.map_or((i64::MAX, Uuid::max()), |c| (c.at, c.id));
        let shared = "id, author_id, body_ciphertext, created_at, edited_at, removed_at, \
             like_count, celebrate_count, love_count, insightful_count, curious_count";
        let sql = format!(
            "WITH page AS (SELECT p.*, {posts_seen} FROM timeline t JOIN posts p ON p.id = t.post_id \
             WHERE t.member_id = $1 AND (t.created_at < $2 OR (t.created_at = $2 AND t.post_id < $3)) \
             ORDER BY t.created_at DESC, t.post_id DESC LIMIT $4), \
             shown AS (SELECT id FROM page ORDER BY created_at DESC, id DESC LIMIT $5), \
             latest AS ({ranked}) \
             SELECT {shared}, audience, comment_count, NULL AS post_id, NULL AS parent_id, \
             NULL AS reply_count, rel_connected, rel_blocked, my_kind FROM page \
             UNION ALL SELECT {shared}, NULL, NULL, post_id, parent_id, reply_count, {comments_seen} \
             FROM latest l WHERE rn <= $6 ORDER BY created_at, id",
            posts_seen = viewer_columns(1, "p"),
            ranked = super::comments::ranked_comments("SELECT id FROM shown"),
            comments_seen = viewer_columns(1, "l"),
        );
        let rows = self
            .store
            .db
            .query_all_raw(super::statement(
                self.store.backend(),
                &sql,
                vec![
                    viewer.0.into(),
                    at.into(),
                    id.into(),
                    ((limit + 1) as i64).into(),
                    (limit as i64).into(),
                    (FEED_COMMENTS as i64).into(),
                ],
            ))
            .await?;
        let mut posts = Vec::with_capacity(rows.len());
        let mut latest = Vec::new();
        for row in &rows {
            if row.try_get::<Option<Uuid>>("", "post_id")?.is_some() {
                latest.push(super::comments::latest_comment(row, Some(viewer))?);
            } else {
                posts.push(post_read(row, Some(viewer))?);
            }
        }
        // The rows came oldest first (comments want that order); the feed
        // is newest first.
        posts.reverse();
        let cursor = |r: &PostRead| Cursor {
            at: r.post.created_at,
            id: r.post.id,
        };
        if posts.len() as u64 == limit
            && let Some(last) = posts.last().map(cursor)
        {
            // A page that ends where the timeline does (page 50 of a full
            // one): the next page reads on from the posts themselves, so ask
            // whether there are any, on another connection while this page
            // is put together.
            let (older, posts) = tokio::join!(
                self.has_older(viewer.0, last),
                self.hydrate_with(Some(viewer), posts, latest)
            );
            return Ok(PostPage {
                posts: posts?,
                next: older?.then(|| last.to_string()),
            });
        }
        if (posts.len() as u64) < limit {
            // The timeline ends here (or was trimmed here): go on from the
            // posts of the people the viewer follows, and read their
            // comments too.
            let from = posts.last().map(cursor).or(after);
            let more = self
                .pull(viewer.0, from, limit + 1 - posts.len() as u64)
                .await?;
            let ids: Vec<Uuid> = more.iter().map(|r| r.post.id).collect();
            latest.extend(
                self.latest_comment_rows(Some(viewer), &ids, FEED_COMMENTS)
                    .await?,
            );
            posts.extend(more);
        }
        let next = if posts.len() as u64 > limit {
            posts.truncate(limit as usize);
            posts.last().map(|r| cursor(r).to_string())
        } else {
            None
        };
        Ok(PostPage {
            posts: self.hydrate_with(Some(viewer), posts, latest).await?,
            next,
        })
    }

    /// How many posts arrived in the viewer's feed after `since`.
    pub async fn feed_newer(&self, viewer: MemberId, since: Cursor) -> Result<u64, StoreError> {
        Ok(timeline::Entity::find()
            .filter(timeline::Column::MemberId.eq(viewer.0))
            .filter(
                Condition::any()
                    .add(timeline::Column::CreatedAt.gt(since.at))
                    .add(
                        Condition::all()
                            .add(timeline::Column::CreatedAt.eq(since.at))
                            .add(timeline::Column::PostId.gt(since.id)),
                    ),
            )
            .filter(timeline::Column::AuthorId.ne(viewer.0))
            .count(&self.store.db)
            .await?)
    }

    /// A member's posts that the viewer may see, newest first.
    pub async fn posts_by(
        &self,
        viewer: Option<MemberId>,
        author: MemberId,
        after: Option<Cursor>,
        limit: u64,
    ) -> Result<PostPage, StoreError> {
        let relation = self.relation(viewer, author.0).await?;
        let admitted: Vec<&str> = Audience::FOR_POSTS
            .into_iter()
            .filter(|a| a.admits(relation))
            .map(Audience::key)
            .collect();
        if admitted.is_empty() {
            return Ok(PostPage {
                posts: Vec::new(),
                next: None,
            });
        }
        let mut q = post::Entity::find()
            .filter(post::Column::AuthorId.eq(author.0))
            .filter(post::Column::Audience.is_in(admitted));
        if relation != Relation::Myself {
            q = q.filter(post::Column::RemovedAt.is_null());
        }
        if let Some(c) = after {
            q = q.filter(
                Condition::any().add(post::Column::CreatedAt.lt(c.at)).add(
                    Condition::all()
                        .add(post::Column::CreatedAt.eq(c.at))
                        .add(post::Column::Id.lt(c.id)),
                ),
            );
        }
        let rows = q
            .order_by_desc(post::Column::CreatedAt)
            .order_by_desc(post::Column::Id)
            .limit(limit + 1)
            .all(&self.store.db)
            .await?;
        let more = rows.len() as u64 > limit;
        let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
        let next = if more {
            rows.last().map(|r| {
                Cursor {
                    at: r.created_at,
                    id: r.id,
                }
                .to_string()
            })
        } else {
            None
        };
        Ok(PostPage {
            posts: self.hydrate(viewer, rows, FEED_COMMENTS).await?,
            next,
        })
    }

    /// Posts with a hashtag that the viewer may see, newest first.
    pub async fn tagged(
        &self,
        viewer: Option<MemberId>,
        tag: &str,
        after: Option<Cursor>,
        limit: u64,
    ) -> Result<PostPage, StoreError> {
        let mut out = Vec::new();
        let mut cursor = after;
        let mut ran_out = false;
        // Some tagged posts are for audiences the viewer is not in; read
        // on until the page is full or the tag runs out.
        for _ in 0..10 {
            let mut q = post_tag::Entity::find().filter(post_tag::Column::Tag.eq(tag));
            if let Some(c) = cursor {
                q = q.filter(
                    Condition::any()
                        .add(post_tag::Column::CreatedAt.lt(c.at))
                        .add(
                            Condition::all()
                                .add(post_tag::Column::CreatedAt.eq(c.at))
                                .add(post_tag::Column::PostId.lt(c.id)),
                        ),
                );
            }
            let batch = limit * 3;
            let rows = q
                .order_by_desc(post_tag::Column::CreatedAt)
                .order_by_desc(post_tag::Column::PostId)
                .limit(batch)
                .all(&self.store.db)
                .await?;
            let exhausted = (rows.len() as u64) < batch;
            let ids: Vec<Uuid> = rows.iter().map(|r| r.post_id).collect();
            let posts = self.posts_by_id(&ids).await?;
            for view in self.hydrate(viewer, posts, FEED_COMMENTS).await? {
                if (out.len() as u64) < limit {
                    cursor = Some(Cursor {
                        at: view.created_at.timestamp_millis(),
                        id: view.id,
                    });
                    out.push(view);
                }
            }
            if (out.len() as u64) >= limit {
                break;
            }
            if exhausted {
                ran_out = true;
                break;
            }
            if let Some(last) = rows.last() {
                cursor = Some(Cursor {
                    at: last.created_at,
                    id: last.post_id,
                });
            }
        }
        // A full page may be followed by more, and so may a page cut short
        // by the batch limit; the cursor is the last post looked at, so
        // nothing after it is skipped.
        let next = if (out.len() as u64) >= limit || !ran_out {
            cursor.map(|c| c.to_string())
        } else {
            None
        };
        Ok(PostPage { posts: out, next })
    }

    async fn posts_by_id(&self, ids: &[Uuid]) -> Result<Vec<post::Model>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows = post::Entity::find()
            .filter(post::Column::Id.is_in(ids.to_vec()))
            .all(&self.store.db)
            .await?;
        let order: HashMap<Uuid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        rows.sort_by_key(|p| order.get(&p.id).copied().unwrap_or(usize::MAX));
        Ok(rows)
    }

    /// Turns posts into what the viewer sees, dropping any the viewer may
    /// not see: authors' cards, text, counts, the viewer's reaction and
    /// the latest `comments` comments of each.
    pub(crate) async fn hydrate(
        &self,
        viewer: Option<MemberId>,
        posts: Vec<post::Model>,
        comments: usize,
    ) -> Result<Vec<PostView>, StoreError> {
        let authors: Vec<Uuid> = posts.iter().map(|p| p.author_id).collect();
        let ids: Vec<Uuid> = posts.iter().map(|p| p.id).collect();
        let (relations, mine) = self.relations_and_reactions(viewer, &authors, &ids).await?;
        let reads = posts
            .into_iter()
            .map(|post| PostRead {
                relation: relations
                    .get(&post.author_id)
                    .copied()
                    .unwrap_or(Relation::Anyone),
                mine: mine.get(&post.id).copied(),
                post,
            })
            .collect();
        self.hydrate_read(viewer, reads, comments).await
    }

    /// [`Network::hydrate`] for posts read with the viewer's relation to
    /// their authors and reactions on them ([`viewer_columns`]). The latest
    /// comments are read the same way, so a page is one more statement.
    pub(crate) async fn hydrate_read(
        &self,
        viewer: Option<MemberId>,
        posts: Vec<PostRead>,
        comments: usize,
    ) -> Result<Vec<PostView>, StoreError> {
        let all: Vec<Uuid> = posts.iter().map(|r| r.post.id).collect();
        let latest = if comments > 0 {
            self.latest_comment_rows(viewer, &all, comments).await?
        } else {
            Vec::new()
        };
        self.hydrate_with(viewer, posts, latest).await
    }

    /// [`Network::hydrate_read`] with the posts' latest comments already
    /// read ([`Network::latest_comment_rows`]); comments on other posts are
    /// left out.
    async fn hydrate_with(
        &self,
        viewer: Option<MemberId>,
        posts: Vec<PostRead>,
        latest: Vec<super::comments::LatestComment>,
    ) -> Result<Vec<PostView>, StoreError> {
        let mut people = Vec::with_capacity(posts.len() + latest.len());
        let mut relations = HashMap::with_capacity(posts.len() + latest.len());
        let mut mine = HashMap::new();
        let mut models = Vec::with_capacity(posts.len());
        for r in posts {
            people.push(r.post.author_id);
            relations.insert(r.post.author_id, r.relation);
            if let Some(k) = r.mine {
                mine.insert(r.post.id, k);
            }
            models.push(r.post);
        }
        let mut rows = Vec::with_capacity(latest.len());
        for (c, relation, kind) in latest {
            people.push(c.author_id);
            relations.insert(c.author_id, relation);
            if let Some(k) = kind {
                mine.insert(c.id, k);
            }
            rows.push(c);
        }
        self.assemble(viewer, models, rows, &people, &relations, &mine)
            .await
    }

    /// Posts as the viewer sees them, from what [`Network::hydrate_read`] reads:
    /// their latest comments' rows, and the viewer's relations to `people`
    /// (the authors of both) and reactions on them.
    async fn assemble(
        &self,
        viewer: Option<MemberId>,
        posts: Vec<post::Model>,
        rows: Vec<comment::Model>,
        people: &[Uuid],
        relations: &HashMap<Uuid, Relation>,
        mine: &HashMap<Uuid, ReactionKind>,
    ) -> Result<Vec<PostView>, StoreError> {
        let visible: Vec<post::Model> = posts
            .into_iter()
            .filter(|p| {
                may_see(
                    p,
                    relations
                        .get(&p.author_id)
                        .copied()
                        .unwrap_or(Relation::Anyone),
                )
            })
            .collect();
        if visible.is_empty() {
            return Ok(Vec::new());
        }
        let cards = self.cards_for(relations, people).await?;
        let ids: Vec<Uuid> = visible.iter().map(|p| p.id).collect();
        let shown: std::collections::HashSet<Uuid> = ids.iter().copied().collect();
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|c| shown.contains(&c.post_id))
            .collect();
        let mut latest: HashMap<Uuid, Vec<super::CommentView>> = HashMap::new();
        for v in self
            .comment_views_with(viewer, rows, None, relations, &cards)
            .await?
        {
            latest.entry(v.post_id).or_default().push(v);
        }
        for list in latest.values_mut() {
            for c in list.iter_mut() {
                c.my_reaction = mine.get(&c.id).copied();
            }
        }
        let mut keyed = Vec::with_capacity(visible.len());
        for p in visible {
            let Some(author) = cards.get(&p.author_id).cloned() else {
                continue;
            };
            // Also what keeps words cached below from outliving the key.
            let key = match self.store.keyring.get(SubjectId(p.author_id)).await {
                Ok(k) => k,
                Err(StoreError::KeyDestroyed) => continue,
                Err(e) => return Err(e),
            };
            keyed.push((p, author, key));
        }
        let stamp = self.stamp().await?;
        let cache = &self.store.network_cache;
        let mut texts = cache.texts(
            stamp,
            keyed
                .iter()
                .map(|(p, _, _)| (p.id, p.author_id, &p.body_ciphertext[..])),
        );
        let missing: Vec<_> = keyed
            .iter()
            .filter(|(p, _, _)| !texts.contains_key(&p.id))
            .map(|(p, _, k)| (p.id, k))
            .collect();
        if !missing.is_empty() {
            let mut images = self.images_of(&missing).await?;
            for (p, _, key) in &keyed {
                if texts.contains_key(&p.id) {
                    continue;
                }
                let body = decrypt(key, BODY_CTX, &p.body_ciphertext)?;
                let images = images.remove(&p.id).unwrap_or_default();
                let text =
                    cache.put_text(stamp, p.id, p.author_id, &p.body_ciphertext, body, images);
                texts.insert(p.id, text);
            }
        }
        let mut out = Vec::with_capacity(keyed.len());
        for (p, author, _) in keyed {
            let Some(text) = texts.get(&p.id) else {
                continue;
            };
            out.push(PostView {
                id: p.id,
                author,
                audience: audience(&p.audience),
                body: text.text.clone(),
                created_at: from_ms(p.created_at),
                edited_at: p.edited_at.map(from_ms),
                reactions: post_counts(&p),
                comment_count: u32::try_from(p.comment_count.max(0)).unwrap_or(0),
                my_reaction: mine.get(&p.id).copied(),
                comments: latest.remove(&p.id).unwrap_or_default(),
                removed: p.removed_at.is_some(),
                images: text.images.clone(),
                erased: false,
            });
        }
        Ok(out)
    }
}

/// Whether someone with `relation` to a post's author may see it.
pub(crate) fn may_see(p: &post::Model, relation: Relation) -> bool {
    if p.author_id == ERASED_AUTHOR {
        // A tombstone is read only on its own page (see `Network::post`).
        return false;
    }
    if relation == Relation::Myself {
        return true;
    }
    p.removed_at.is_none() && audience(&p.audience).admits(relation)
}

/// How many of each post's latest comments a page of posts shows.
pub(crate) const FEED_COMMENTS: usize = 2;

/// A post as [`Network::read_post`] finds it, for one viewer.
pub(crate) struct PostRead {
    pub(crate) post: post::Model,
    /// How the viewer stands to its author.
    pub(crate) relation: Relation,
    /// The viewer's reaction on it.
    pub(crate) mine: Option<ReactionKind>,
}

/// Columns that tell how the viewer (parameter `$v`) stands to the author
/// of the row aliased `row`, and the viewer's reaction on it, so that a
/// page reads them with its posts and comments instead of in a statement
/// of their own. The same relation as [`Network::relations`]: a block
/// either way wins over a connection. [`seen`] reads them back.
///
/// Whom the viewer has blocked or been blocked by is one uncorrelated
/// sub-query, which both engines compute once per statement and then probe
/// per row; most members block nobody, so that is an empty set, where two
/// correlated probes of `blocks` per row cost two index seeks each.
pub(crate) fn viewer_columns(v: usize, row: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM connections WHERE member_id = ${v} AND other_id = {row}.author_id) AS rel_connected, \
         ({row}.author_id IN (SELECT blocked_id FROM blocks WHERE blocker_id = ${v} \
         UNION ALL SELECT blocker_id FROM blocks WHERE blocked_id = ${v})) AS rel_blocked, \
         (SELECT kind FROM reactions WHERE target_id = {row}.id AND member_id = ${v}) AS my_kind"
    )
}

/// What [`viewer_columns`] say about a row by `author`: nothing for a
/// viewer who is not signed in.
pub(crate) fn seen(
    row: &sea_orm::QueryResult,
    viewer: Option<MemberId>,
    author: Uuid,
) -> Result<(Relation, Option<ReactionKind>), StoreError> {
    let Some(v) = viewer else {
        return Ok((Relation::Anyone, None));
    };
    let relation = if author == v.0 {
        Relation::Myself
    } else if row.try_get::<bool>("", "rel_blocked")? {
        Relation::Blocked
    } else if row.try_get::<bool>("", "rel_connected")? {
        Relation::Connection
    } else {
        Relation::Member
    };
    let mine = row
        .try_get::<Option<String>>("", "my_kind")?
        .and_then(|k| ReactionKind::from_key(&k));
    Ok((relation, mine))
}

/// Posts read with [`viewer_columns`].
pub(crate) fn post_reads(
    rows: Vec<sea_orm::QueryResult>,
    viewer: Option<MemberId>,
) -> Result<Vec<PostRead>, StoreError> {
    rows.iter().map(|row| post_read(row, viewer)).collect()
}

/// A post read with [`viewer_columns`].
fn post_read(row: &sea_orm::QueryResult, viewer: Option<MemberId>) -> Result<PostRead, StoreError> {
    let post = post::Model::from_query_result(row, "")?;
    let (relation, mine) = seen(row, viewer, post.author_id)?;
    Ok(PostRead {
        post,
        relation,
        mine,
    })
}

/// A post's reaction counts, in [`ReactionKind::ALL`] order.
fn post_counts(p: &post::Model) -> [u32; 5] {
    counts(&[
        p.like_count,
        p.celebrate_count,
        p.love_count,
        p.insightful_count,
        p.curious_count,
    ])
}

pub(crate) fn counts(raw: &[i32; 5]) -> [u32; 5] {
    raw.map(|n| u32::try_from(n.max(0)).unwrap_or(0))
}
