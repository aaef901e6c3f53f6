//! Reactions: one per person per post or comment, of five kinds. The
//! reaction row and its count change in one transaction, and each change
//! is conditional on the row being as it was read, so counts stay exact
//! however requests interleave.

use super::{Network, NetworkError, NoticeKind, PersonCard};
use crate::StoreError;
use crate::entity::{comment, post, reaction};
use lyceum_core::domain::datamap::ERASED_AUTHOR;
use lyceum_core::domain::network::{ReactionKind, Relation};
use lyceum_core::domain::{MemberId, SubjectId};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// What a reaction is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Post { post: Uuid, author: Uuid },
    Comment { post: Uuid, author: Uuid },
}

/// Someone's reaction, as the post's author sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Reactor {
    /// Who.
    pub person: PersonCard,
    /// How.
    pub kind: ReactionKind,
}

impl Network<'_> {
    async fn target(&self, member: MemberId, id: Uuid) -> Result<Target, NetworkError> {
        if let Some(p) = post::Entity::find_by_id(id).one(&self.store.writer).await? {
            let p = self.visible_post(Some(member), p.id).await?;
            if p.removed_at.is_some() {
                return Err(NetworkError::NotFound);
            }
            return Ok(Target::Post {
                post: p.id,
                author: p.author_id,
            });
        }
        let c = comment::Entity::find_by_id(id)
            .one(&self.store.writer)
            .await?
            .ok_or(NetworkError::NotFound)?;
        self.visible_post(Some(member), c.post_id).await?;
        if c.removed_at.is_some()
            || c.author_id == ERASED_AUTHOR
            || self.relation(Some(member), c.author_id).await? == Relation::Blocked
        {
            return Err(NetworkError::NotFound);
        }
        Ok(Target::Comment {
            post: c.post_id,
            author: c.author_id,
        })
    }

    /// Sets the member's reaction on a post or comment they may see:
    /// adds it, or changes its kind. Returns whether anything changed.
    pub async fn react(
        &self,
        member: MemberId,
        target_id: Uuid,
        kind: ReactionKind,
    ) -> Result<bool, NetworkError> {
        let target = self.target(member, target_id).await?;
        let post_id = match target {
            Target::Post { post, .. } | Target::Comment { post, .. } => post,
        };
        let tx = self.store.writer.begin().await?;
        let inserted = reaction::Entity::insert(reaction::ActiveModel {
            target_id: Set(target_id),
            member_id: Set(member.0),
            post_id: Set(post_id),
            kind: Set(kind.key().into()),
            created_at: Set(self.store.now_ms()),
        })
        .on_conflict(
            OnConflict::columns([reaction::Column::TargetId, reaction::Column::MemberId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&tx)
        .await?;
        let changed = if inserted == 1 {
            bump(&tx, target, target_id, kind, 1).await?;
            true
        } else {
            let old = reaction::Entity::find_by_id((target_id, member.0))
                .one(&tx)
                .await?
                .and_then(|r| ReactionKind::from_key(&r.kind));
            match old {
                Some(old) if old != kind => {
                    let res = reaction::Entity::update_many()
                        .col_expr(reaction::Column::Kind, Expr::value(kind.key()))
                        .filter(reaction::Column::TargetId.eq(target_id))
                        .filter(reaction::Column::MemberId.eq(member.0))
                        .filter(reaction::Column::Kind.eq(old.key()))
                        .exec(&tx)
                        .await?;
                    if res.rows_affected == 1 {
                        bump(&tx, target, target_id, old, -1).await?;
                        bump(&tx, target, target_id, kind, 1).await?;
                    }
                    res.rows_affected == 1
                }
                _ => false,
            }
        };
        tx.commit().await?;
        if inserted == 1 {
            let author = match target {
                Target::Post { author, .. } | Target::Comment { author, .. } => author,
            };
            let comment = matches!(target, Target::Comment { .. }).then_some(target_id);
            self.notify(
                MemberId(author),
                member,
                NoticeKind::Reaction,
                Some(post_id),
                comment,
            )
            .await?;
        }
        Ok(changed)
    }

    /// Removes the member's reaction. Returns whether there was one.
    pub async fn unreact(&self, member: MemberId, target_id: Uuid) -> Result<bool, NetworkError> {
        let target = self.target(member, target_id).await?;
        let tx = self.store.writer.begin().await?;
        let Some(old) = reaction::Entity::find_by_id((target_id, member.0))
            .one(&tx)
            .await?
        else {
            return Ok(false);
        };
        let res = reaction::Entity::delete_many()
            .filter(reaction::Column::TargetId.eq(target_id))
            .filter(reaction::Column::MemberId.eq(member.0))
            .filter(reaction::Column::Kind.eq(old.kind.as_str()))
            .exec(&tx)
            .await?;
        if res.rows_affected == 1
            && let Some(kind) = ReactionKind::from_key(&old.kind)
        {
            bump(&tx, target, target_id, kind, -1).await?;
        }
        tx.commit().await?;
        Ok(res.rows_affected == 1)
    }

    /// The member's reaction on one post or comment.
    pub async fn my_reaction(
        &self,
        member: MemberId,
        target: Uuid,
    ) -> Result<Option<ReactionKind>, StoreError> {
        Ok(self.my_reactions(member, &[target]).await?.remove(&target))
    }

    /// The member's reactions among `targets`.
    pub async fn my_reactions(
        &self,
        member: MemberId,
        targets: &[Uuid],
    ) -> Result<HashMap<Uuid, ReactionKind>, StoreError> {
        if targets.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(reaction::Entity::find()
            .filter(reaction::Column::MemberId.eq(member.0))
            .filter(reaction::Column::TargetId.is_in(targets.to_vec()))
            .all(&self.store.db)
            .await?
            .into_iter()
            .filter_map(|r| Some((r.target_id, ReactionKind::from_key(&r.kind)?)))
            .collect())
    }

    /// Who reacted to a post or comment, newest first: shown to its
    /// author only.
    pub async fn reactors(
        &self,
        author: MemberId,
        target_id: Uuid,
    ) -> Result<Vec<Reactor>, NetworkError> {
        let owner = match post::Entity::find_by_id(target_id)
            .one(&self.store.db)
            .await?
        {
            Some(p) => p.author_id,
            None => {
                comment::Entity::find_by_id(target_id)
                    .one(&self.store.db)
                    .await?
                    .ok_or(NetworkError::NotFound)?
                    .author_id
            }
        };
        if owner != author.0 {
            return Err(NetworkError::Forbidden(
                "Only the author sees who reacted.".into(),
            ));
        }
        let rows = reaction::Entity::find()
            .filter(reaction::Column::TargetId.eq(target_id))
            .order_by_desc(reaction::Column::CreatedAt)
            .all(&self.store.db)
            .await?;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.member_id).collect();
        let relations = self.relations(Some(author), &ids).await?;
        let cards = self.cards(Some(author), &ids).await?;
        Ok(rows
            .into_iter()
            .filter(|r| relations.get(&r.member_id) != Some(&Relation::Blocked))
            .filter_map(|r| {
                Some(Reactor {
                    person: cards.get(&r.member_id)?.clone(),
                    kind: ReactionKind::from_key(&r.kind)?,
                })
            })
            .collect())
    }

    /// The posts and comments whose counts include something of the
    /// subject's (their reactions, comments and replies).
    pub(crate) async fn touched_by(
        &self,
        subject: SubjectId,
    ) -> Result<(Vec<Uuid>, Vec<Uuid>), StoreError> {
        let reacted: Vec<(Uuid, Uuid)> = reaction::Entity::find()
            .select_only()
            .column(reaction::Column::PostId)
            .column(reaction::Column::TargetId)
            .filter(reaction::Column::MemberId.eq(subject.0))
            .into_tuple()
            .all(&self.store.writer)
            .await?;
        let commented: Vec<(Uuid, Option<Uuid>)> = comment::Entity::find()
            .select_only()
            .column(comment::Column::PostId)
            .column(comment::Column::ParentId)
            .filter(comment::Column::AuthorId.eq(subject.0))
            .into_tuple()
            .all(&self.store.writer)
            .await?;
        let mut posts: Vec<Uuid> = reacted.iter().map(|(post, _)| *post).collect();
        posts.extend(commented.iter().map(|(post, _)| *post));
        let mut comments: Vec<Uuid> = reacted
            .iter()
            .filter(|(post, target)| target != post)
            .map(|(_, target)| *target)
            .collect();
        comments.extend(commented.iter().filter_map(|(_, parent)| *parent));
        posts.sort_unstable();
        posts.dedup();
        comments.sort_unstable();
        comments.dedup();
        Ok((posts, comments))
    }

    /// [`Network::recount`], a few items per transaction, paced as
    /// erasure's batches are, so that an erasure that touched many never
    /// holds the writer for long.
    pub(crate) async fn recount_all(
        &self,
        (posts, comments): &(Vec<Uuid>, Vec<Uuid>),
        pacer: &mut crate::erasure::Pacer,
    ) -> Result<(), StoreError> {
        let chunks = posts
            .chunks(RECOUNT_PER_TRANSACTION)
            .map(|p| (p, &[][..]))
            .chain(
                comments
                    .chunks(RECOUNT_PER_TRANSACTION)
                    .map(|c| (&[][..], c)),
            );
        for (posts, comments) in chunks {
            let started = std::time::Instant::now();
            let tx = self.store.writer.begin().await?;
            self.recount(&tx, posts, comments).await?;
            tx.commit().await?;
            pacer.after(started.elapsed()).await;
        }
        Ok(())
    }

    pub(crate) async fn recount(
        &self,
        tx: &impl ConnectionTrait,
        posts: &[Uuid],
        comments: &[Uuid],
    ) -> Result<(), StoreError> {
        let kinds = ReactionKind::ALL.map(|k| {
            format!(
                "{k}_count = (SELECT COUNT(*) FROM reactions r WHERE r.target_id = {{t}}.id AND r.kind = '{k}')",
                k = k.key()
            )
        });
        for id in posts {
            let sql = format!(
                "UPDATE posts SET {}, comment_count = (SELECT COUNT(*) FROM comments c WHERE c.post_id = posts.id) WHERE id = $1",
                kinds.join(", ").replace("{t}", "posts")
            );
            self.execute(&sql, vec![(*id).into()], tx).await?;
        }
        for id in comments {
            let sql = format!(
                "UPDATE comments SET {}, reply_count = (SELECT COUNT(*) FROM comments r WHERE r.parent_id = comments.id) WHERE id = $1",
                kinds.join(", ").replace("{t}", "comments")
            );
            self.execute(&sql, vec![(*id).into()], tx).await?;
        }
        Ok(())
    }
}

/// Posts or comments recounted per transaction after an erasure.
const RECOUNT_PER_TRANSACTION: usize = 25;

async fn bump(
    tx: &impl ConnectionTrait,
    target: Target,
    target_id: Uuid,
    kind: ReactionKind,
    by: i32,
) -> Result<(), StoreError> {
    match target {
        Target::Post { .. } => {
            let col = post_column(kind);
            post::Entity::update_many()
                .col_expr(col, Expr::col(col).add(by))
                .filter(post::Column::Id.eq(target_id))
                .exec(tx)
                .await?;
        }
        Target::Comment { .. } => {
            let col = comment_column(kind);
            comment::Entity::update_many()
                .col_expr(col, Expr::col(col).add(by))
                .filter(comment::Column::Id.eq(target_id))
                .exec(tx)
                .await?;
        }
    }
    Ok(())
}

fn post_column(kind: ReactionKind) -> post::Column {
    match kind {
        ReactionKind::Like => post::Column::LikeCount,
        ReactionKind::Celebrate => post::Column::CelebrateCount,
        ReactionKind::Love => post::Column::LoveCount,
        ReactionKind::Insightful => post::Column::InsightfulCount,
        ReactionKind::Curious => post::Column::CuriousCount,
    }
}

fn comment_column(kind: ReactionKind) -> comment::Column {
    match kind {
        ReactionKind::Like => comment::Column::LikeCount,
        ReactionKind::Celebrate => comment::Column::CelebrateCount,
        ReactionKind::Love => comment::Column::LoveCount,
        ReactionKind::Insightful => comment::Column::InsightfulCount,
        ReactionKind::Curious => comment::Column::CuriousCount,
    }
}
