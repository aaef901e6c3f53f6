//! Moderation: members report posts, comments, messages and profiles with
//! a reason; moderators (operators) work through a queue; every action
//! carries a reason the affected member sees, and the member may appeal
//! once. A public log lists actions without anyone's identity.
//!
//! Reporters stay anonymous to everyone, moderators included: a report is
//! judged on what was reported, not on who reported it. The reported text
//! is copied into the report (encrypted under the reporter's key), because
//! a moderator cannot otherwise read a private message, and because the
//! author may edit or delete what was reported.

use super::{Network, NetworkError, NoticeKind, PersonCard, decrypt};
use crate::entity::{comment, moderation_action, post, report};
use crate::{StoreError, from_ms};
use chrono::{DateTime, Utc};
use lyceum_core::domain::network::{Relation, Text};
use lyceum_core::domain::{MemberId, SubjectId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use uuid::Uuid;

const DETAILS_CTX: &str = "reports.details";
const EXCERPT_CTX: &str = "reports.excerpt";
const APPEAL_CTX: &str = "moderation_actions.appeal";

/// What can be reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportTarget {
    /// A post.
    Post,
    /// A comment or reply.
    Comment,
    /// A private message the reporter received.
    Message,
    /// A profile.
    Profile,
}

impl ReportTarget {
    /// The stable key.
    pub fn key(self) -> &'static str {
        match self {
            ReportTarget::Post => "post",
            ReportTarget::Comment => "comment",
            ReportTarget::Message => "message",
            ReportTarget::Profile => "profile",
        }
    }

    /// Reads a key.
    pub fn from_key(key: &str) -> Option<Self> {
        [Self::Post, Self::Comment, Self::Message, Self::Profile]
            .into_iter()
            .find(|t| t.key() == key)
    }
}

/// Why something was reported or acted on: the community rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Unwanted promotion or repetition.
    Spam,
    /// Harassment or bullying.
    Harassment,
    /// Hateful speech.
    Hate,
    /// Violence or threats.
    Violence,
    /// Sexual content.
    Sexual,
    /// False information that can cause harm.
    Misinformation,
    /// Someone pretending to be someone else.
    Impersonation,
    /// Something else (explained in words).
    Other,
}

impl Reason {
    /// Every reason, in the form's order.
    pub const ALL: [Reason; 8] = [
        Reason::Spam,
        Reason::Harassment,
        Reason::Hate,
        Reason::Violence,
        Reason::Sexual,
        Reason::Misinformation,
        Reason::Impersonation,
        Reason::Other,
    ];

    /// The stable key.
    pub fn key(self) -> &'static str {
        match self {
            Reason::Spam => "spam",
            Reason::Harassment => "harassment",
            Reason::Hate => "hate",
            Reason::Violence => "violence",
            Reason::Sexual => "sexual",
            Reason::Misinformation => "misinformation",
            Reason::Impersonation => "impersonation",
            Reason::Other => "other",
        }
    }

    /// Reads a key.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.key() == key)
    }

    /// Words for forms and the log.
    pub fn label(self) -> &'static str {
        match self {
            Reason::Spam => "Spam or unwanted promotion",
            Reason::Harassment => "Harassment or bullying",
            Reason::Hate => "Hateful speech",
            Reason::Violence => "Violence or threats",
            Reason::Sexual => "Sexual content",
            Reason::Misinformation => "Harmful false information",
            Reason::Impersonation => "Pretending to be someone else",
            Reason::Other => "Something else",
        }
    }
}

/// What a moderator decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Hide the post or comment from everyone but its author.
    Remove,
    /// Leave it, and tell the member what rule it comes close to breaking.
    Warn,
    /// Nothing wrong: close the reports.
    Dismiss,
}

/// Reports about one thing, as moderators see them.
#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    /// The oldest open report's id (act on this one).
    pub report_id: Uuid,
    /// What was reported.
    pub target_kind: ReportTarget,
    /// Its id.
    pub target_id: Uuid,
    /// Whose it is.
    pub owner: Option<PersonCard>,
    /// The reported text as first reported.
    pub excerpt: String,
    /// The reasons given, one per report.
    pub reasons: Vec<Reason>,
    /// The reporters' words (without their names).
    pub details: Vec<String>,
    /// When it was first reported.
    pub first_reported: DateTime<Utc>,
}

/// A decision about a member's content, as they see it.
#[derive(Debug, Clone, Serialize)]
pub struct ActionView {
    /// Id.
    pub id: Uuid,
    /// What was acted on.
    pub target_kind: ReportTarget,
    /// Its id.
    pub target_id: Uuid,
    /// `removed` or `warned`.
    pub action: String,
    /// The rule.
    pub reason: Reason,
    /// The moderator's words to the member.
    pub explanation: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The member's appeal, if they made one.
    pub appeal: Option<String>,
    /// `upheld` or `reversed`, once decided.
    pub outcome: Option<String>,
}

/// One line of the public log: no names, no content.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// What kind of thing.
    pub target_kind: ReportTarget,
    /// `removed` or `warned`.
    pub action: String,
    /// The rule.
    pub reason: Reason,
    /// `upheld` or `reversed` after an appeal.
    pub outcome: Option<String>,
}

impl Network<'_> {
    /// Reports something the reporter can see.
    pub async fn report(
        &self,
        reporter: MemberId,
        kind: ReportTarget,
        target_id: Uuid,
        reason: Reason,
        details: &str,
    ) -> Result<Uuid, NetworkError> {
        let details = if details.trim().is_empty() {
            String::new()
        } else {
            Text::parse(details, 1_000)
                .map_err(|e| NetworkError::text("details", e))?
                .as_str()
                .to_owned()
        };
        if reason == Reason::Other && details.is_empty() {
            return Err(NetworkError::Invalid(
                "details",
                "Say in a few words what is wrong.".into(),
            ));
        }
        let (owner, excerpt) = match kind {
            ReportTarget::Post => {
                let view = self.post(Some(reporter), target_id).await?;
                (view.author.id, view.body)
            }
            ReportTarget::Comment => {
                let c = comment::Entity::find_by_id(target_id)
                    .one(&self.store.db)
                    .await?
                    .ok_or(NetworkError::NotFound)?;
                self.visible_post(Some(reporter), c.post_id).await?;
                if self.relation(Some(reporter), c.author_id).await? == Relation::Blocked {
                    return Err(NetworkError::NotFound);
                }
                let key = self.store.keyring.get(SubjectId(c.author_id)).await?;
                (
                    c.author_id,
                    decrypt(&key, "comments.body", &c.body_ciphertext)?,
                )
            }
            ReportTarget::Message => {
                let (m, text) = self
                    .my_message(reporter, target_id, &self.store.db)
                    .await?
                    .filter(|(m, _)| !m.is_outgoing)
                    .ok_or(NetworkError::NotFound)?;
                (m.peer_id, text)
            }
            ReportTarget::Profile => {
                let view = self.profile(Some(reporter), MemberId(target_id)).await?;
                let text = [
                    Some(view.card.name.clone()),
                    view.card.headline.clone(),
                    view.about.clone(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("\n");
                (target_id, text)
            }
        };
        if owner == reporter.0 {
            return Err(NetworkError::Conflict(
                "You cannot report your own content; edit or delete it instead.".into(),
            ));
        }
        let already = report::Entity::find()
            .filter(report::Column::ReporterId.eq(reporter.0))
            .filter(report::Column::TargetId.eq(target_id))
            .filter(report::Column::Status.eq("open"))
            .count(&self.store.writer)
            .await?;
        if already > 0 {
            return Err(NetworkError::Conflict(
                "You already reported this; moderators will look at it.".into(),
            ));
        }
        let key = self.store.keyring.get(SubjectId(reporter.0)).await?;
        let id = Uuid::now_v7();
        report::ActiveModel {
            id: Set(id),
            reporter_id: Set(reporter.0),
            owner_id: Set(owner),
            target_kind: Set(kind.key().into()),
            target_id: Set(target_id),
            reason: Set(reason.key().into()),
            details_ciphertext: Set(key.encrypt(DETAILS_CTX, details.as_bytes())),
            excerpt_ciphertext: Set(key.encrypt(EXCERPT_CTX, excerpt.as_bytes())),
            created_at: Set(self.store.now_ms()),
            status: Set("open".into()),
        }
        .insert(&self.store.writer)
        .await?;
        Ok(id)
    }

    /// Open reports, grouped by what they are about, oldest first.
    pub async fn moderation_queue(&self, limit: u64) -> Result<Vec<QueueItem>, StoreError> {
        let rows = report::Entity::find()
            .filter(report::Column::Status.eq("open"))
            .order_by_asc(report::Column::CreatedAt)
            .limit(limit * 5)
            .all(&self.store.db)
            .await?;
        let owners: Vec<Uuid> = rows.iter().map(|r| r.owner_id).collect();
        let cards = self.cards(None, &owners).await?;
        let mut out: Vec<QueueItem> = Vec::new();
        for r in rows {
            let key = match self.store.keyring.get(SubjectId(r.reporter_id)).await {
                Ok(k) => k,
                Err(StoreError::KeyDestroyed) => continue,
                Err(e) => return Err(e),
            };
            let details = decrypt(&key, DETAILS_CTX, &r.details_ciphertext)?;
            let reason = Reason::from_key(&r.reason).unwrap_or(Reason::Other);
            if let Some(item) = out.iter_mut().find(|i| i.target_id == r.target_id) {
                item.reasons.push(reason);
                if !details.is_empty() {
                    item.details.push(details);
                }
                continue;
            }
            if out.len() as u64 >= limit {
                continue;
            }
            out.push(QueueItem {
                report_id: r.id,
                target_kind: ReportTarget::from_key(&r.target_kind).unwrap_or(ReportTarget::Post),
                target_id: r.target_id,
                owner: cards.get(&r.owner_id).cloned(),
                excerpt: decrypt(&key, EXCERPT_CTX, &r.excerpt_ciphertext)?,
                reasons: vec![reason],
                details: if details.is_empty() {
                    Vec::new()
                } else {
                    vec![details]
                },
                first_reported: from_ms(r.created_at),
            });
        }
        Ok(out)
    }

    /// Decides the reports about one thing. Removing hides a post or
    /// comment from everyone but its author; the member is told what was
    /// done and why.
    pub async fn moderate(
        &self,
        moderator: MemberId,
        report_id: Uuid,
        decision: Decision,
        reason: Reason,
        explanation: &str,
    ) -> Result<(), NetworkError> {
        let r = report::Entity::find_by_id(report_id)
            .one(&self.store.writer)
            .await?
            .filter(|r| r.status == "open")
            .ok_or(NetworkError::NotFound)?;
        let explanation = explanation.trim();
        if decision != Decision::Dismiss && explanation.is_empty() {
            return Err(NetworkError::Invalid(
                "explanation",
                "Tell the member in a sentence why; they will read it.".into(),
            ));
        }
        if explanation.chars().count() > 1_000 {
            return Err(NetworkError::Invalid(
                "explanation",
                "Keep the explanation under 1,000 characters.".into(),
            ));
        }
        let kind = ReportTarget::from_key(&r.target_kind).unwrap_or(ReportTarget::Post);
        let now = self.store.now_ms();
        let tx = self.store.writer.begin().await?;
        let status = if decision == Decision::Dismiss {
            "dismissed"
        } else {
            "actioned"
        };
        report::Entity::update_many()
            .col_expr(report::Column::Status, Expr::value(status))
            .filter(report::Column::TargetId.eq(r.target_id))
            .filter(report::Column::Status.eq("open"))
            .exec(&tx)
            .await?;
        let mut action_id = None;
        if decision != Decision::Dismiss {
            let removed = decision == Decision::Remove
                && matches!(kind, ReportTarget::Post | ReportTarget::Comment);
            if removed {
                set_removed(&tx, kind, r.target_id, Some(now)).await?;
            }
            let id = Uuid::now_v7();
            moderation_action::ActiveModel {
                id: Set(id),
                owner_id: Set(r.owner_id),
                moderator_id: Set(moderator.0),
                target_kind: Set(kind.key().into()),
                target_id: Set(r.target_id),
                action: Set(if removed { "removed" } else { "warned" }.into()),
                reason: Set(reason.key().into()),
                explanation: Set(explanation.to_owned()),
                created_at: Set(now),
                appeal_ciphertext: Set(Vec::new()),
                appealed_at: Set(None),
                appeal_outcome: Set(None),
                decided_at: Set(None),
            }
            .insert(&tx)
            .await?;
            action_id = Some(id);
        }
        tx.commit().await?;
        if action_id.is_some() {
            let post_id = match kind {
                ReportTarget::Post => Some(r.target_id),
                _ => None,
            };
            self.deliver(
                MemberId(r.owner_id),
                None,
                NoticeKind::Moderation,
                post_id,
                None,
            )
            .await?;
        }
        Ok(())
    }

    /// Decisions about the member's content, newest first.
    pub async fn my_moderation(&self, member: MemberId) -> Result<Vec<ActionView>, StoreError> {
        let rows = moderation_action::Entity::find()
            .filter(moderation_action::Column::OwnerId.eq(member.0))
            .order_by_desc(moderation_action::Column::CreatedAt)
            .all(&self.store.db)
            .await?;
        self.action_views(rows).await
    }

    async fn action_views(
        &self,
        rows: Vec<moderation_action::Model>,
    ) -> Result<Vec<ActionView>, StoreError> {
        let mut out = Vec::with_capacity(rows.len());
        for a in rows {
            let appeal = if a.appealed_at.is_some() {
                match self.store.keyring.get(SubjectId(a.owner_id)).await {
                    Ok(k) => Some(decrypt(&k, APPEAL_CTX, &a.appeal_ciphertext)?),
                    Err(StoreError::KeyDestroyed) => continue,
                    Err(e) => return Err(e),
                }
            } else {
                None
            };
            out.push(ActionView {
                id: a.id,
                target_kind: ReportTarget::from_key(&a.target_kind).unwrap_or(ReportTarget::Post),
                target_id: a.target_id,
                action: a.action,
                reason: Reason::from_key(&a.reason).unwrap_or(Reason::Other),
                explanation: a.explanation,
                at: from_ms(a.created_at),
                appeal,
                outcome: a.appeal_outcome,
            });
        }
        Ok(out)
    }

    /// Appeals a decision (once).
    pub async fn appeal(
        &self,
        member: MemberId,
        action_id: Uuid,
        text: &str,
    ) -> Result<(), NetworkError> {
        let text = Text::parse(text, 2_000).map_err(|e| NetworkError::text("appeal", e))?;
        let a = moderation_action::Entity::find_by_id(action_id)
            .one(&self.store.writer)
            .await?
            .filter(|a| a.owner_id == member.0)
            .ok_or(NetworkError::NotFound)?;
        if a.appealed_at.is_some() {
            return Err(NetworkError::Conflict(
                "You already appealed this decision.".into(),
            ));
        }
        let key = self.store.keyring.get(SubjectId(member.0)).await?;
        let mut m: moderation_action::ActiveModel = a.into();
        m.appeal_ciphertext = Set(key.encrypt(APPEAL_CTX, text.as_str().as_bytes()));
        m.appealed_at = Set(Some(self.store.now_ms()));
        m.update(&self.store.writer).await?;
        Ok(())
    }

    /// Appeals waiting for a decision, oldest first.
    pub async fn open_appeals(&self) -> Result<Vec<ActionView>, StoreError> {
        let rows = moderation_action::Entity::find()
            .filter(moderation_action::Column::AppealedAt.is_not_null())
            .filter(moderation_action::Column::DecidedAt.is_null())
            .order_by_asc(moderation_action::Column::AppealedAt)
            .all(&self.store.db)
            .await?;
        self.action_views(rows).await
    }

    /// Decides an appeal: reversing restores removed content.
    pub async fn decide_appeal(&self, action_id: Uuid, reverse: bool) -> Result<(), NetworkError> {
        let a = moderation_action::Entity::find_by_id(action_id)
            .one(&self.store.writer)
            .await?
            .filter(|a| a.appealed_at.is_some() && a.decided_at.is_none())
            .ok_or(NetworkError::NotFound)?;
        let owner = a.owner_id;
        let kind = ReportTarget::from_key(&a.target_kind).unwrap_or(ReportTarget::Post);
        let target = a.target_id;
        let tx = self.store.writer.begin().await?;
        if reverse && a.action == "removed" {
            set_removed(&tx, kind, target, None).await?;
        }
        let mut m: moderation_action::ActiveModel = a.into();
        m.appeal_outcome = Set(Some(if reverse { "reversed" } else { "upheld" }.into()));
        m.decided_at = Set(Some(self.store.now_ms()));
        m.update(&tx).await?;
        tx.commit().await?;
        self.deliver(MemberId(owner), None, NoticeKind::Moderation, None, None)
            .await?;
        Ok(())
    }

    /// The public log: what was done and why, with no names and no content.
    pub async fn moderation_log(&self, limit: u64) -> Result<Vec<LogEntry>, StoreError> {
        Ok(moderation_action::Entity::find()
            .order_by_desc(moderation_action::Column::CreatedAt)
            .limit(limit)
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|a| LogEntry {
                at: from_ms(a.created_at),
                target_kind: ReportTarget::from_key(&a.target_kind).unwrap_or(ReportTarget::Post),
                action: a.action,
                reason: Reason::from_key(&a.reason).unwrap_or(Reason::Other),
                outcome: a.appeal_outcome,
            })
            .collect())
    }
}

async fn set_removed(
    tx: &impl sea_orm::ConnectionTrait,
    kind: ReportTarget,
    id: Uuid,
    at: Option<i64>,
) -> Result<(), StoreError> {
    match kind {
        ReportTarget::Post => {
            post::Entity::update_many()
                .col_expr(post::Column::RemovedAt, Expr::value(at))
                .filter(post::Column::Id.eq(id))
                .exec(tx)
                .await?;
        }
        ReportTarget::Comment => {
            comment::Entity::update_many()
                .col_expr(comment::Column::RemovedAt, Expr::value(at))
                .filter(comment::Column::Id.eq(id))
                .exec(tx)
                .await?;
        }
        _ => {}
    }
    Ok(())
}
