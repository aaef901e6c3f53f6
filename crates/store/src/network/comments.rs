//! Comments on posts, with one level of replies. Only people who may see
//! a post may read or write its comments; comments by someone the viewer
//! blocked (or who blocked them) are left out.

use super::{Network, NetworkError, NoticeKind, PersonCard, audience, counts, decrypt, statement};
use crate::entity::{comment, post, reaction};
use crate::{StoreError, from_ms};
use chrono::{DateTime, Utc};
use lyceum_core::domain::datamap::ERASED_AUTHOR;
use lyceum_core::domain::network::{MAX_COMMENT_CHARS, ReactionKind, Relation, Text};
use lyceum_core::domain::{MemberId, SubjectId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

pub(crate) const BODY_CTX: &str = "comments.body";

/// A comment as one viewer sees it.
#[derive(Debug, Clone, Serialize)]
pub struct CommentView {
    /// Id.
    pub id: Uuid,
    /// The post.
    pub post_id: Uuid,
    /// The comment this replies to.
    pub parent_id: Option<Uuid>,
    /// The author.
    pub author: PersonCard,
    /// The text.
    pub body: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it was last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// Reactions by kind.
    pub reactions: [u32; 5],
    /// The viewer's reaction.
    pub my_reaction: Option<ReactionKind>,
    /// Replies (counted).
    pub reply_count: u32,
    /// Replies, oldest first (on the post's own page).
    pub replies: Vec<CommentView>,
    /// The viewer wrote it.
    pub mine: bool,
    /// The viewer may delete it (they wrote it, or wrote the post).
    pub can_delete: bool,
    /// Its author was erased after others replied: a tombstone with no
    /// author and no words, kept so that the replies keep their place.
    pub erased: bool,
}

impl Network<'_> {
    /// Comments on a post the author may see, or replies to a top-level
    /// comment of it.
    pub async fn add_comment(
        &self,
        author: MemberId,
        post_id: Uuid,
        parent_id: Option<Uuid>,
        body: &str,
    ) -> Result<Uuid, NetworkError> {
        let body =
            Text::parse(body, MAX_COMMENT_CHARS).map_err(|e| NetworkError::text("body", e))?;
        let p = self.visible_post(Some(author), post_id).await?;
        if p.removed_at.is_some() {
            return Err(NetworkError::NotFound);
        }
        let parent = match parent_id {
            Some(pid) => {
                let c = comment::Entity::find_by_id(pid)
                    .one(&self.store.writer)
                    .await?
                    .filter(|c| c.post_id == post_id)
                    .ok_or(NetworkError::NotFound)?;
                if c.parent_id.is_some() {
                    return Err(NetworkError::Invalid(
                        "parent",
                        "Replies go one level deep: reply to the comment above instead.".into(),
                    ));
                }
                if self.relation(Some(author), c.author_id).await? == Relation::Blocked {
                    return Err(NetworkError::NotFound);
                }
                Some(c)
            }
            None => None,
        };
        self.ensure_profile_exists(author).await?;
        let key = self.store.keyring.get(SubjectId(author.0)).await?;
        let id = Uuid::now_v7();
        let tx = self.store.writer.begin().await?;
        comment::ActiveModel {
            id: Set(id),
            post_id: Set(post_id),
            parent_id: Set(parent_id),
            author_id: Set(author.0),
            body_ciphertext: Set(key.encrypt(BODY_CTX, body.as_str().as_bytes())),
            created_at: Set(self.store.now_ms()),
            edited_at: Set(None),
            removed_at: Set(None),
            like_count: Set(0),
            celebrate_count: Set(0),
            love_count: Set(0),
            insightful_count: Set(0),
            curious_count: Set(0),
            reply_count: Set(0),
        }
        .insert(&tx)
        .await?;
        post::Entity::update_many()
            .col_expr(
                post::Column::CommentCount,
                Expr::col(post::Column::CommentCount).add(1),
            )
            .filter(post::Column::Id.eq(post_id))
            .exec(&tx)
            .await?;
        if let Some(pid) = parent_id {
            comment::Entity::update_many()
                .col_expr(
                    comment::Column::ReplyCount,
                    Expr::col(comment::Column::ReplyCount).add(1),
                )
                .filter(comment::Column::Id.eq(pid))
                .exec(&tx)
                .await?;
        }
        tx.commit().await?;
        let post_author = MemberId(p.author_id);
        self.notify(
            post_author,
            author,
            NoticeKind::Comment,
            Some(post_id),
            Some(id),
        )
        .await?;
        if let Some(parent) = parent
            && parent.author_id != p.author_id
        {
            self.notify(
                MemberId(parent.author_id),
                author,
                NoticeKind::Reply,
                Some(post_id),
                Some(id),
            )
            .await?;
        }
        self.notify_mentions(
            author,
            post_id,
            Some(id),
            audience(&p.audience),
            body.as_str(),
        )
        .await?;
        Ok(id)
    }

    /// Changes a comment's text.
    pub async fn edit_comment(
        &self,
        author: MemberId,
        id: Uuid,
        body: &str,
    ) -> Result<(), NetworkError> {
        let body =
            Text::parse(body, MAX_COMMENT_CHARS).map_err(|e| NetworkError::text("body", e))?;
        let c = comment::Entity::find_by_id(id)
            .one(&self.store.writer)
            .await?
            .filter(|c| c.author_id == author.0)
            .ok_or(NetworkError::NotFound)?;
        let key = self.store.keyring.get(SubjectId(author.0)).await?;
        let mut a: comment::ActiveModel = c.into();
        a.body_ciphertext = Set(key.encrypt(BODY_CTX, body.as_str().as_bytes()));
        a.edited_at = Set(Some(self.store.now_ms()));
        a.update(&self.store.writer).await?;
        Ok(())
    }

    /// Deletes a comment (with its replies): by its author, or by the
    /// author of the post it is on.
    pub async fn delete_comment(&self, member: MemberId, id: Uuid) -> Result<(), NetworkError> {
        let c = comment::Entity::find_by_id(id)
            .one(&self.store.writer)
            .await?
            .ok_or(NetworkError::NotFound)?;
        let p = post::Entity::find_by_id(c.post_id)
            .one(&self.store.writer)
            .await?
            .ok_or(NetworkError::NotFound)?;
        if c.author_id != member.0 && p.author_id != member.0 {
            return Err(NetworkError::NotFound);
        }
        let tx = self.store.writer.begin().await?;
        self.remove_comment_rows(&tx, &c).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a comment, its replies and their reactions, and keeps the
    /// counts above them exact.
    pub(crate) async fn remove_comment_rows(
        &self,
        tx: &impl ConnectionTrait,
        c: &comment::Model,
    ) -> Result<(), StoreError> {
        let replies: Vec<Uuid> = comment::Entity::find()
            .filter(comment::Column::ParentId.eq(c.id))
            .all(tx)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        let mut gone = replies.clone();
        gone.push(c.id);
        reaction::Entity::delete_many()
            .filter(reaction::Column::TargetId.is_in(gone.clone()))
            .exec(tx)
            .await?;
        comment::Entity::delete_many()
            .filter(comment::Column::Id.is_in(gone.clone()))
            .exec(tx)
            .await?;
        let n = i32::try_from(gone.len()).unwrap_or(i32::MAX);
        post::Entity::update_many()
            .col_expr(
                post::Column::CommentCount,
                Expr::col(post::Column::CommentCount).sub(n),
            )
            .filter(post::Column::Id.eq(c.post_id))
            .exec(tx)
            .await?;
        if let Some(pid) = c.parent_id {
            comment::Entity::update_many()
                .col_expr(
                    comment::Column::ReplyCount,
                    Expr::col(comment::Column::ReplyCount).sub(1),
                )
                .filter(comment::Column::Id.eq(pid))
                .exec(tx)
                .await?;
        }
        Ok(())
    }

    /// The latest `n` top-level comments of each post, each with the
    /// viewer's relation to its author and reaction on it (see
    /// [`super::posts::viewer_columns`]), not yet checked against the
    /// viewer: see [`Network::comment_views_with`].
    pub(crate) async fn latest_comment_rows(
        &self,
        viewer: Option<MemberId>,
        posts: &[Uuid],
        n: usize,
    ) -> Result<Vec<LatestComment>, StoreError> {
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        let mut values: Vec<sea_orm::Value> = vec![
            i64::try_from(n).unwrap_or(2).into(),
            viewer.map(|v| v.0).into(),
        ];
        let marks = super::marks(posts, &mut values);
        // Oldest first, sorted by the database: SQLite then has every row
        // before it returns the first, so they reach this task together.
        let sql = format!(
            "SELECT ranked.*, {} FROM ({}) AS ranked WHERE rn <= $1 ORDER BY created_at, id",
            super::posts::viewer_columns(2, "ranked"),
            ranked_comments(&marks)
        );
        let rows = self
            .store
            .db
            .query_all_raw(statement(self.store.backend(), &sql, values))
            .await?;
        rows.iter().map(|r| latest_comment(r, viewer)).collect()
    }

    /// Every comment of a post, oldest first, each with its replies.
    /// `post_author` is the post's author where the caller has read it
    /// (none for a tombstone's, which has no author).
    pub(crate) async fn thread(
        &self,
        viewer: Option<MemberId>,
        post_id: Uuid,
        post_author: Option<Uuid>,
    ) -> Result<Vec<CommentView>, StoreError> {
        let rows = comment::Entity::find()
            .filter(comment::Column::PostId.eq(post_id))
            .filter(comment::Column::RemovedAt.is_null())
            .order_by_asc(comment::Column::CreatedAt)
            .order_by_asc(comment::Column::Id)
            .all(&self.store.db)
            .await?;
        let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
        let mine = match viewer {
            Some(v) => self.my_reactions(v, &ids).await?,
            None => HashMap::new(),
        };
        let mut views = self.comment_views(viewer, rows, post_author).await?;
        for v in &mut views {
            v.my_reaction = mine.get(&v.id).copied();
        }
        let (top, replies): (Vec<_>, Vec<_>) =
            views.into_iter().partition(|c| c.parent_id.is_none());
        let mut top = top;
        for r in replies {
            if let Some(parent) = top.iter_mut().find(|t| Some(t.id) == r.parent_id) {
                parent.replies.push(r);
            }
        }
        Ok(top)
    }

    async fn comment_views(
        &self,
        viewer: Option<MemberId>,
        rows: Vec<comment::Model>,
        post_author: Option<Uuid>,
    ) -> Result<Vec<CommentView>, StoreError> {
        let authors: Vec<Uuid> = rows.iter().map(|c| c.author_id).collect();
        let relations = self.relations(viewer, &authors).await?;
        let cards = self.cards_for(&relations, &authors).await?;
        self.comment_views_with(viewer, rows, post_author, &relations, &cards)
            .await
    }

    /// [`Network::comment_views`] with the viewer's relations to the
    /// comments' authors, and their cards, already known (a feed page
    /// works them out once for posts and comments together).
    pub(crate) async fn comment_views_with(
        &self,
        viewer: Option<MemberId>,
        rows: Vec<comment::Model>,
        post_author: Option<Uuid>,
        relations: &HashMap<Uuid, Relation>,
        cards: &HashMap<Uuid, PersonCard>,
    ) -> Result<Vec<CommentView>, StoreError> {
        let stamp = self.stamp().await?;
        let cache = &self.store.network_cache;
        let mut texts = cache.texts(
            stamp,
            rows.iter()
                .map(|c| (c.id, c.author_id, &c.body_ciphertext[..])),
        );
        let mut out = Vec::with_capacity(rows.len());
        for c in rows {
            if relations.get(&c.author_id) == Some(&Relation::Blocked) {
                continue;
            }
            let post_authors = viewer.is_some() && viewer.map(|v| v.0) == post_author;
            if c.author_id == ERASED_AUTHOR {
                out.push(CommentView {
                    id: c.id,
                    post_id: c.post_id,
                    parent_id: c.parent_id,
                    author: PersonCard::erased(),
                    body: String::new(),
                    created_at: from_ms(c.created_at),
                    edited_at: None,
                    reactions: [0; 5],
                    my_reaction: None,
                    reply_count: u32::try_from(std::cmp::max(c.reply_count, 0)).unwrap_or(0),
                    replies: Vec::new(),
                    mine: false,
                    can_delete: post_authors,
                    erased: true,
                });
                continue;
            }
            let Some(author) = cards.get(&c.author_id).cloned() else {
                continue;
            };
            let key = match self.store.keyring.get(SubjectId(c.author_id)).await {
                Ok(k) => k,
                Err(StoreError::KeyDestroyed) => continue,
                Err(e) => return Err(e),
            };
            let mine = viewer.is_some_and(|v| v.0 == c.author_id);
            let body = match texts.remove(&c.id) {
                Some(t) => t.text.clone(),
                None => {
                    let body = decrypt(&key, BODY_CTX, &c.body_ciphertext)?;
                    cache.put_text(
                        stamp,
                        c.id,
                        c.author_id,
                        &c.body_ciphertext,
                        body.clone(),
                        Vec::new(),
                    );
                    body
                }
            };
            out.push(CommentView {
                id: c.id,
                post_id: c.post_id,
                parent_id: c.parent_id,
                author,
                body,
                created_at: from_ms(c.created_at),
                edited_at: c.edited_at.map(from_ms),
                reactions: counts(&[
                    c.like_count,
                    c.celebrate_count,
                    c.love_count,
                    c.insightful_count,
                    c.curious_count,
                ]),
                my_reaction: None,
                reply_count: u32::try_from(std::cmp::max(c.reply_count, 0)).unwrap_or(0),
                replies: Vec::new(),
                mine,
                can_delete: mine || post_authors,
                erased: false,
            });
        }
        Ok(out)
    }
}

/// A post's latest comment as [`Network::latest_comment_rows`] reads it:
/// the row, the viewer's relation to its author and reaction on it.
pub(crate) type LatestComment = (comment::Model, Relation, Option<ReactionKind>);

/// Top-level comments, not removed, of the posts in `posts` (an SQL list
/// or subquery), numbered newest first within each post as `rn`.
/// "Top level" is written so that no index can serve it: SQLite would
/// otherwise walk the `comments_parent` index over every top-level comment
/// of the site (its statistics do not know that most are NULL) instead of
/// `comments_post` for these few posts.
pub(crate) fn ranked_comments(posts: &str) -> String {
    format!(
        "SELECT c.*, ROW_NUMBER() OVER (PARTITION BY c.post_id ORDER BY c.created_at DESC, c.id DESC) AS rn \
         FROM comments c WHERE (CASE WHEN c.parent_id IS NULL THEN 1 ELSE 0 END) = 1 \
         AND c.removed_at IS NULL AND c.post_id IN ({posts})"
    )
}

/// A row of [`ranked_comments`] read with the viewer's columns.
pub(crate) fn latest_comment(
    row: &sea_orm::QueryResult,
    viewer: Option<MemberId>,
) -> Result<LatestComment, StoreError> {
    let c = comment::Model::from_query_result(row, "")?;
    let (relation, mine) = super::posts::seen(row, viewer, c.author_id)?;
    Ok((c, relation, mine))
}
