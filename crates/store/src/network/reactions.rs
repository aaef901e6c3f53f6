//! Reactions: one per person per post or comment, of five kinds. The
//! reaction row and its count change in one transaction, and each change
//! is conditional on the row being as it was read, so counts stay exact
//! however requests interleave. Whether the member may react there (they
//! may see the post or comment, and neither has blocked the other) is
//! checked in the same transaction, for a whole batch at once.

use super::{Network, NetworkError, NoticeKind, PersonCard};
use crate::StoreError;
use crate::entity::{comment, post, reaction};
use lyceum_core::domain::datamap::ERASED_AUTHOR;
use lyceum_core::domain::network::{ReactionKind, Relation};
use lyceum_core::domain::{MemberId, SubjectId};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
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

impl Target {
    fn post_and_author(self) -> (Uuid, Uuid) {
        match self {
            Target::Post { post, author } | Target::Comment { post, author } => (post, author),
        }
    }
}

/// Most reaction changes written in one transaction.
const MAX_REACTIONS_PER_COMMIT: usize = 512;

/// A change to one member's reaction as asked for, waiting for its
/// transaction, which first checks that the member may react there.
#[derive(Debug)]
pub(crate) struct Ask {
    member: MemberId,
    target_id: Uuid,
    /// The new kind, or none to remove it.
    kind: Option<ReactionKind>,
}

/// Why an asked-for change was not written.
#[derive(Debug, Clone)]
pub(crate) enum Refusal {
    /// No such post or comment, or not one the member may react to.
    NotFound,
    /// The database failed.
    Failed(String),
}

/// A change to one member's reaction on a target they may react to.
#[derive(Debug)]
struct Change {
    member: MemberId,
    target: Target,
    target_id: Uuid,
    /// The new kind, or none to remove it.
    kind: Option<ReactionKind>,
    /// The notice to the author and who that is, written if the reaction
    /// is new and the author has reaction notices on (checked in the
    /// write's transaction).
    notice: Option<(Uuid, crate::entity::notification::ActiveModel)>,
}

/// What a change did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Applied {
    changed: bool,
    inserted: bool,
    /// Whom a notice was written to, if anyone.
    notified: Option<Uuid>,
}

/// Reaction changes waiting for the next transaction, and whether one is
/// being written (see [`Network::react`]).
#[derive(Debug, Default)]
pub(crate) struct ReactionWrites {
    waiting: Vec<(Ask, tokio::sync::oneshot::Sender<Result<Applied, Refusal>>)>,
    writing: bool,
}

/// One change, with the statements it would run alone: the row and its
/// count change together, each conditional on the row as read.
async fn apply_reaction(
    tx: &impl ConnectionTrait,
    change: Change,
    now: i64,
) -> Result<Applied, StoreError> {
    let Change {
        member,
        target,
        target_id,
        kind,
        notice,
    } = change;
    let (post_id, _) = target.post_and_author();
    let Some(kind) = kind else {
        let Some(old) = reaction::Entity::find_by_id((target_id, member.0))
            .one(tx)
            .await?
        else {
            return Ok(Applied {
                changed: false,
                inserted: false,
                notified: None,
            });
        };
        let res = reaction::Entity::delete_many()
            .filter(reaction::Column::TargetId.eq(target_id))
            .filter(reaction::Column::MemberId.eq(member.0))
            .filter(reaction::Column::Kind.eq(old.kind.as_str()))
            .exec(tx)
            .await?;
        if res.rows_affected == 1
            && let Some(kind) = ReactionKind::from_key(&old.kind)
        {
            bump(tx, target, target_id, kind, -1).await?;
        }
        return Ok(Applied {
            changed: res.rows_affected == 1,
            inserted: false,
            notified: None,
        });
    };
    let inserted = reaction::Entity::insert(reaction::ActiveModel {
        target_id: Set(target_id),
        member_id: Set(member.0),
        post_id: Set(post_id),
        kind: Set(kind.key().into()),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([reaction::Column::TargetId, reaction::Column::MemberId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(tx)
    .await?;
    if inserted == 1 {
        bump(tx, target, target_id, kind, 1).await?;
        let mut notified = None;
        if let Some((to, n)) = notice
            && !super::notifications::muted(tx, NoticeKind::Reaction, &[to])
                .await?
                .contains(&to)
        {
            n.insert(tx).await?;
            notified = Some(to);
        }
        return Ok(Applied {
            changed: true,
            inserted: true,
            notified,
        });
    }
    let old = reaction::Entity::find_by_id((target_id, member.0))
        .one(tx)
        .await?
        .and_then(|r| ReactionKind::from_key(&r.kind));
    let changed = match old {
        Some(old) if old != kind => {
            let res = reaction::Entity::update_many()
                .col_expr(reaction::Column::Kind, Expr::value(kind.key()))
                .filter(reaction::Column::TargetId.eq(target_id))
                .filter(reaction::Column::MemberId.eq(member.0))
                .filter(reaction::Column::Kind.eq(old.key()))
                .exec(tx)
                .await?;
            if res.rows_affected == 1 {
                bump(tx, target, target_id, old, -1).await?;
                bump(tx, target, target_id, kind, 1).await?;
            }
            res.rows_affected == 1
        }
        _ => false,
    };
    Ok(Applied {
        changed,
        inserted: false,
        notified: None,
    })
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
    /// Sets the member's reaction on a post or comment they may see:
    /// adds it, or changes its kind. Returns whether anything changed.
    pub async fn react(
        &self,
        member: MemberId,
        target_id: Uuid,
        kind: ReactionKind,
    ) -> Result<bool, NetworkError> {
        let applied = self
            .write_reaction(Ask {
                member,
                target_id,
                kind: Some(kind),
            })
            .await?;
        Ok(applied.changed)
    }

    /// Removes the member's reaction. Returns whether there was one.
    pub async fn unreact(&self, member: MemberId, target_id: Uuid) -> Result<bool, NetworkError> {
        let applied = self
            .write_reaction(Ask {
                member,
                target_id,
                kind: None,
            })
            .await?;
        Ok(applied.changed)
    }

    /// Queues a change and waits for the transaction it is committed in.
    /// Changes that arrive while one transaction is being written go
    /// together in the next (group commit): one commit, and on SQLite one
    /// sync, for many reactions, which is what lets one popular post take
    /// thousands a second. The transaction checks, for the whole batch in
    /// a few statements, that each member may react where they asked (see
    /// [`may_react`]), so a reaction request sends no statement of its
    /// own. Each change runs in its own savepoint with the same
    /// conditional statements as alone, so one that fails leaves the
    /// others' counts exact.
    async fn write_reaction(&self, ask: Ask) -> Result<Applied, NetworkError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let lead = {
            let mut q = self
                .store
                .reaction_writes
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            q.waiting.push((ask, reply));
            !std::mem::replace(&mut q.writing, true)
        };
        if lead {
            // On its own task, so that a request that goes away cannot
            // leave the others waiting.
            let store = self.store.clone();
            tokio::spawn(async move { store.network().write_reactions().await });
        }
        let failed =
            |e: String| NetworkError::Store(StoreError::Database(sea_orm::DbErr::Custom(e)));
        match answer.await {
            Ok(Ok(applied)) => Ok(applied),
            Ok(Err(Refusal::NotFound)) => Err(NetworkError::NotFound),
            Ok(Err(Refusal::Failed(e))) => Err(failed(e)),
            Err(_) => Err(failed("the reaction's transaction went away".into())),
        }
    }

    /// Writes queued reaction changes, a transaction at a time, until none
    /// are waiting.
    async fn write_reactions(&self) {
        loop {
            let batch = {
                let mut q = self
                    .store
                    .reaction_writes
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                if q.waiting.is_empty() {
                    q.writing = false;
                    return;
                }
                let n = q.waiting.len().min(MAX_REACTIONS_PER_COMMIT);
                q.waiting.drain(..n).collect::<Vec<_>>()
            };
            let (asks, replies): (Vec<Ask>, Vec<_>) = batch.into_iter().unzip();
            match self.apply_reactions(asks).await {
                Ok(results) => {
                    // Committed: the authors noticed can look.
                    let notified = results
                        .iter()
                        .filter_map(|r| r.as_ref().ok()?.notified)
                        .collect::<std::collections::BTreeSet<_>>();
                    self.signal(notified, super::LiveEvent::Notification);
                    for (reply, r) in replies.into_iter().zip(results) {
                        let _ = reply.send(r);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "reaction transaction failed");
                    for reply in replies {
                        let _ = reply.send(Err(Refusal::Failed(e.to_string())));
                    }
                }
            }
        }
    }

    /// Writes a batch in one transaction: first which of the asked-for
    /// changes the members may make (see [`may_react`]), then those as
    /// whole sets where it can (see [`apply_together`]), and one change at
    /// a time, each in its own savepoint, for whatever the sets could not
    /// take or when they fail. The answers are in the order asked.
    async fn apply_reactions(
        &self,
        asks: Vec<Ask>,
    ) -> Result<Vec<Result<Applied, Refusal>>, StoreError> {
        let tx = self.store.writer.begin().await?;
        let now = self.store.now_ms();
        let targets = may_react(&tx, self.store.backend(), &asks).await?;
        let mut answers: Vec<Result<Applied, Refusal>> = Vec::with_capacity(asks.len());
        let mut changes = Vec::with_capacity(asks.len());
        let mut slots = Vec::with_capacity(asks.len());
        for (ask, target) in asks.into_iter().zip(targets) {
            let Some(target) = target else {
                answers.push(Err(Refusal::NotFound));
                continue;
            };
            slots.push(answers.len());
            // A placeholder, replaced by the change's outcome below.
            answers.push(Err(Refusal::NotFound));
            changes.push(self.change(ask, target));
        }
        let together = if changes.len() > 1 {
            let sp = tx.begin().await?;
            match apply_together(&sp, self.store.backend(), &changes, now).await {
                Ok(done) => {
                    sp.commit().await?;
                    done
                }
                Err(e) => {
                    tracing::debug!(error = %e, "reactions written one at a time");
                    sp.rollback().await?;
                    vec![None; changes.len()]
                }
            }
        } else {
            vec![None; changes.len()]
        };
        for ((change, done), slot) in changes.into_iter().zip(together).zip(slots) {
            answers[slot] = match done {
                Some(a) => Ok(a),
                None => {
                    let sp = tx.begin().await?;
                    match apply_reaction(&sp, change, now).await {
                        Ok(a) => {
                            sp.commit().await?;
                            Ok(a)
                        }
                        Err(e) => {
                            sp.rollback().await?;
                            Err(Refusal::Failed(e.to_string()))
                        }
                    }
                }
            };
        }
        tx.commit().await?;
        Ok(answers)
    }

    /// The change an ask makes on a target the member may react to, with
    /// the notice to the author should the reaction be new (written only
    /// if the author has reaction notices on, which the transaction
    /// checks). Neither has blocked the other ([`may_react`] checked both
    /// ways), so only those settings count.
    fn change(&self, ask: Ask, target: Target) -> Change {
        let Ask {
            member,
            target_id,
            kind,
        } = ask;
        let (post_id, author) = target.post_and_author();
        let comment = matches!(target, Target::Comment { .. }).then_some(target_id);
        let notice = (kind.is_some() && author != member.0).then(|| {
            let n = self.notice_model(
                MemberId(author),
                Some(member),
                NoticeKind::Reaction,
                [Some(post_id), comment, None],
            );
            (author, n)
        });
        Change {
            member,
            target,
            target_id,
            kind,
            notice,
        }
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

/// What each ask may react to, read in the batch's transaction: a post or
/// comment the member may see (as [`super::posts::may_see`] decides for the
/// post, and not removed), whose author has not blocked them nor been
/// blocked by them; `None` where there is no such target. However many
/// asks, this is two to four statements: the posts, the comments and their
/// posts where a target is not a post, and the members' connections and
/// blocks with the authors.
async fn may_react(
    tx: &impl ConnectionTrait,
    backend: sea_orm::DbBackend,
    asks: &[Ask],
) -> Result<Vec<Option<Target>>, StoreError> {
    let mut ids: Vec<Uuid> = asks.iter().map(|a| a.target_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut posts: HashMap<Uuid, post::Model> = post::Entity::find()
        .filter(post::Column::Id.is_in(ids.iter().copied()))
        .all(tx)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let rest: Vec<Uuid> = ids
        .into_iter()
        .filter(|id| !posts.contains_key(id))
        .collect();
    let mut comments: HashMap<Uuid, comment::Model> = HashMap::new();
    if !rest.is_empty() {
        comments = comment::Entity::find()
            .filter(comment::Column::Id.is_in(rest))
            .all(tx)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let mut parents: Vec<Uuid> = comments
            .values()
            .map(|c| c.post_id)
            .filter(|p| !posts.contains_key(p))
            .collect();
        parents.sort_unstable();
        parents.dedup();
        if !parents.is_empty() {
            posts.extend(
                post::Entity::find()
                    .filter(post::Column::Id.is_in(parents))
                    .all(tx)
                    .await?
                    .into_iter()
                    .map(|p| (p.id, p)),
            );
        }
    }
    let mut members: Vec<Uuid> = asks.iter().map(|a| a.member.0).collect();
    members.sort_unstable();
    members.dedup();
    let mut authors: Vec<Uuid> = posts
        .values()
        .map(|p| p.author_id)
        .chain(comments.values().map(|c| c.author_id))
        .collect();
    authors.sort_unstable();
    authors.dedup();
    let known = pair_relations(tx, backend, &members, &authors).await?;
    let relation = |member: Uuid, author: Uuid| {
        if member == author {
            Relation::Myself
        } else {
            known
                .get(&(member, author))
                .copied()
                .unwrap_or(Relation::Member)
        }
    };
    Ok(asks
        .iter()
        .map(|a| {
            let m = a.member.0;
            if let Some(p) = posts.get(&a.target_id) {
                return (super::posts::may_see(p, relation(m, p.author_id))
                    && p.removed_at.is_none())
                .then_some(Target::Post {
                    post: p.id,
                    author: p.author_id,
                });
            }
            let c = comments.get(&a.target_id)?;
            let p = posts.get(&c.post_id)?;
            (super::posts::may_see(p, relation(m, p.author_id))
                && c.removed_at.is_none()
                && c.author_id != ERASED_AUTHOR
                && relation(m, c.author_id) != Relation::Blocked)
                .then_some(Target::Comment {
                    post: c.post_id,
                    author: c.author_id,
                })
        })
        .collect())
}

/// How each member stands to each author, in one statement, where that is
/// a connection or a block (either way, which wins); any other pair of
/// distinct members is [`Relation::Member`].
async fn pair_relations(
    tx: &impl ConnectionTrait,
    backend: sea_orm::DbBackend,
    members: &[Uuid],
    authors: &[Uuid],
) -> Result<HashMap<(Uuid, Uuid), Relation>, StoreError> {
    let mut out = HashMap::new();
    if members.is_empty() || authors.is_empty() {
        return Ok(out);
    }
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(members.len() + authors.len());
    let m = super::marks(members, &mut values);
    let a = super::marks(authors, &mut values);
    let sql = format!(
        "SELECT member_id AS m, other_id AS a, 'c' AS kind FROM connections WHERE member_id IN ({m}) AND other_id IN ({a}) \
         UNION ALL SELECT blocker_id, blocked_id, 'b' FROM blocks WHERE blocker_id IN ({m}) AND blocked_id IN ({a}) \
         UNION ALL SELECT blocked_id, blocker_id, 'b' FROM blocks WHERE blocked_id IN ({m}) AND blocker_id IN ({a})"
    );
    let mut blocked = Vec::new();
    for r in tx
        .query_all_raw(super::statement(backend, &sql, values))
        .await?
    {
        let pair: (Uuid, Uuid) = (r.try_get_by_index(0)?, r.try_get_by_index(1)?);
        if r.try_get_by_index::<String>(2)? == "b" {
            blocked.push(pair);
        } else {
            out.insert(pair, Relation::Connection);
        }
    }
    for pair in blocked {
        out.insert(pair, Relation::Blocked);
    }
    Ok(out)
}

/// Posts or comments recounted per transaction after an erasure.
const RECOUNT_PER_TRANSACTION: usize = 25;

/// Writes a batch of changes as sets: one read of the rows they touch,
/// then one insert, the updates and deletes grouped by target (and kind),
/// one count update per target and one insert of notices, whatever the
/// batch's size. Each change's outcome is what it would have been applied
/// alone, in order, to the rows as read.
///
/// The rows read are locked on PostgreSQL (SQLite has one writer), so only
/// a missing row can change under the batch: if another node inserts it
/// first, the insert skips it and that member's changes come back as
/// `None`, to be written one at a time after.
async fn apply_together(
    tx: &impl ConnectionTrait,
    backend: sea_orm::DbBackend,
    changes: &[Change],
    now: i64,
) -> Result<Vec<Option<Applied>>, StoreError> {
    type Pair = (Uuid, Uuid);
    let mut targets: Vec<Uuid> = changes.iter().map(|c| c.target_id).collect();
    let mut members: Vec<Uuid> = changes.iter().map(|c| c.member.0).collect();
    targets.sort_unstable();
    targets.dedup();
    members.sort_unstable();
    members.dedup();
    let mut q = reaction::Entity::find()
        .filter(reaction::Column::TargetId.is_in(targets))
        .filter(reaction::Column::MemberId.is_in(members));
    if backend == sea_orm::DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    let wanted: std::collections::HashSet<Pair> =
        changes.iter().map(|c| (c.target_id, c.member.0)).collect();
    let mut first: HashMap<Pair, Option<ReactionKind>> =
        wanted.iter().map(|p| (*p, None)).collect();
    for r in q.all(tx).await? {
        let pair = (r.target_id, r.member_id);
        if wanted.contains(&pair) {
            first.insert(pair, ReactionKind::from_key(&r.kind));
        }
    }
    // Each change against the state the ones before it left.
    let mut state = first.clone();
    let mut applied = Vec::with_capacity(changes.len());
    for c in changes {
        let now_kind = state.entry((c.target_id, c.member.0)).or_default();
        let a = match (*now_kind, c.kind) {
            (None, Some(_)) => Applied {
                changed: true,
                inserted: true,
                notified: None,
            },
            (Some(old), Some(new)) => Applied {
                changed: old != new,
                inserted: false,
                notified: None,
            },
            (Some(_), None) => Applied {
                changed: true,
                inserted: false,
                notified: None,
            },
            (None, None) => Applied {
                changed: false,
                inserted: false,
                notified: None,
            },
        };
        *now_kind = c.kind;
        applied.push(a);
    }
    // Where each pair started and ended, and what the pair is on.
    let mut on: HashMap<Pair, &Change> = HashMap::new();
    for c in changes {
        on.insert((c.target_id, c.member.0), c);
    }
    let mut pairs: Vec<Pair> = on.keys().copied().collect();
    pairs.sort_unstable();
    let new_rows: Vec<(Pair, ReactionKind)> = pairs
        .iter()
        .filter(|p| first[*p].is_none())
        .filter_map(|p| Some((*p, state[p]?)))
        .collect();
    let mut lost: std::collections::HashSet<Pair> = std::collections::HashSet::new();
    if !new_rows.is_empty() {
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(new_rows.len() * 5);
        let mut rows = Vec::with_capacity(new_rows.len());
        for (i, ((target, member), kind)) in new_rows.iter().enumerate() {
            let (post, _) = on[&(*target, *member)].target.post_and_author();
            let n = i * 5;
            rows.push(format!(
                "(${}, ${}, ${}, ${}, ${})",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5
            ));
            values.extend([
                (*target).into(),
                (*member).into(),
                post.into(),
                kind.key().into(),
                now.into(),
            ]);
        }
        let sql = format!(
            "INSERT INTO reactions (target_id, member_id, post_id, kind, created_at) VALUES {} \
             ON CONFLICT (target_id, member_id) DO NOTHING RETURNING target_id, member_id",
            rows.join(", ")
        );
        let mut written = std::collections::HashSet::new();
        for r in tx
            .query_all_raw(super::statement(backend, &sql, values))
            .await?
        {
            written.insert((
                r.try_get::<Uuid>("", "target_id")?,
                r.try_get::<Uuid>("", "member_id")?,
            ));
        }
        lost.extend(
            new_rows
                .iter()
                .map(|(p, _)| *p)
                .filter(|p| !written.contains(p)),
        );
    }
    // Updates grouped by target and new kind, deletes by target.
    let mut updates: HashMap<(Uuid, ReactionKind), Vec<Uuid>> = HashMap::new();
    let mut deletes: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let mut deltas: HashMap<Uuid, (Target, [i32; 5])> = HashMap::new();
    for p in pairs.iter().filter(|p| !lost.contains(*p)) {
        let (from, to) = (first[p], state[p]);
        if from == to {
            continue;
        }
        match (from, to) {
            (Some(_), Some(k)) => updates.entry((p.0, k)).or_default().push(p.1),
            (Some(_), None) => deletes.entry(p.0).or_default().push(p.1),
            _ => {}
        }
        let d = &mut deltas.entry(p.0).or_insert((on[p].target, [0; 5])).1;
        if let Some(k) = from {
            d[kind_index(k)] -= 1;
        }
        if let Some(k) = to {
            d[kind_index(k)] += 1;
        }
    }
    for ((target, kind), who) in updates {
        reaction::Entity::update_many()
            .col_expr(reaction::Column::Kind, Expr::value(kind.key()))
            .filter(reaction::Column::TargetId.eq(target))
            .filter(reaction::Column::MemberId.is_in(who))
            .exec(tx)
            .await?;
    }
    for (target, who) in deletes {
        reaction::Entity::delete_many()
            .filter(reaction::Column::TargetId.eq(target))
            .filter(reaction::Column::MemberId.is_in(who))
            .exec(tx)
            .await?;
    }
    for (id, (target, d)) in deltas {
        if d == [0; 5] {
            continue;
        }
        let table = match target {
            Target::Post { .. } => "posts",
            Target::Comment { .. } => "comments",
        };
        let sets: Vec<String> = ReactionKind::ALL
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k}_count = {k}_count + ${}", i + 1, k = k.key()))
            .collect();
        let sql = format!("UPDATE {table} SET {} WHERE id = $6", sets.join(", "));
        let mut values: Vec<sea_orm::Value> = d.iter().map(|n| (*n).into()).collect();
        values.push(id.into());
        tx.execute_raw(super::statement(backend, &sql, values))
            .await?;
    }
    // Notices of new reactions, to authors who have them on.
    let mut recipients: Vec<Uuid> = changes
        .iter()
        .zip(&applied)
        .filter(|(_, a)| a.inserted)
        .filter_map(|(c, _)| c.notice.as_ref().map(|(to, _)| *to))
        .collect();
    recipients.sort_unstable();
    recipients.dedup();
    let muted = super::notifications::muted(tx, NoticeKind::Reaction, &recipients).await?;
    let mut notices = Vec::new();
    for (c, a) in changes.iter().zip(applied.iter_mut()) {
        if !a.inserted || lost.contains(&(c.target_id, c.member.0)) {
            continue;
        }
        if let Some((to, n)) = &c.notice
            && !muted.contains(to)
        {
            notices.push(n.clone());
            a.notified = Some(*to);
        }
    }
    if !notices.is_empty() {
        crate::entity::notification::Entity::insert_many(notices)
            .exec_without_returning(tx)
            .await?;
    }
    Ok(changes
        .iter()
        .zip(applied)
        .map(|(c, a)| (!lost.contains(&(c.target_id, c.member.0))).then_some(a))
        .collect())
}

/// A kind's place in [`ReactionKind::ALL`], and so in a count array.
fn kind_index(kind: ReactionKind) -> usize {
    ReactionKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(0)
}

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
