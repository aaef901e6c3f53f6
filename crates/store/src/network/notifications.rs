//! In-app notifications. A notice is written only for someone who may
//! see what it is about (a mention in a connections-only post notifies
//! only the author's connections), never for the person who acted, never
//! across a block, and never when the person turned that kind off. Open
//! pages hear of it at once through the live hub. Notices are kept 90
//! days.

use super::{LiveEvent, Network, PersonCard};
use crate::entity::{course, notification, notification_setting};
use crate::{StoreError, from_ms};
use chrono::{DateTime, Utc};
use lyceum_core::domain::MemberId;
use lyceum_core::domain::learning::CourseStatus;
use lyceum_core::domain::network::Relation;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use uuid::Uuid;

/// How long notices are kept.
pub const NOTICE_DAYS: i64 = 90;

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// Someone asked to connect.
    ConnectionRequest,
    /// Someone accepted your request.
    ConnectionAccepted,
    /// Someone started following you.
    Follow,
    /// Someone reacted to your post or comment.
    Reaction,
    /// Someone commented on your post.
    Comment,
    /// Someone replied to your comment.
    Reply,
    /// Someone mentioned you.
    Mention,
    /// A moderator acted on your content, or decided your appeal.
    Moderation,
    /// An instructor you follow published a course.
    NewCourse,
}

impl NoticeKind {
    /// Every kind, in the settings page's order.
    pub const ALL: [NoticeKind; 9] = [
        NoticeKind::ConnectionRequest,
        NoticeKind::ConnectionAccepted,
        NoticeKind::Follow,
        NoticeKind::Reaction,
        NoticeKind::Comment,
        NoticeKind::Reply,
        NoticeKind::Mention,
        NoticeKind::Moderation,
        NoticeKind::NewCourse,
    ];

    /// The stable key.
    pub fn key(self) -> &'static str {
        match self {
            NoticeKind::ConnectionRequest => "connection_request",
            NoticeKind::ConnectionAccepted => "connection_accepted",
            NoticeKind::Follow => "follow",
            NoticeKind::Reaction => "reaction",
            NoticeKind::Comment => "comment",
            NoticeKind::Reply => "reply",
            NoticeKind::Mention => "mention",
            NoticeKind::Moderation => "moderation",
            NoticeKind::NewCourse => "new_course",
        }
    }

    /// Reads a key.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    /// Words for the settings page.
    pub fn label(self) -> &'static str {
        match self {
            NoticeKind::ConnectionRequest => "Someone asks to connect with you",
            NoticeKind::ConnectionAccepted => "Someone accepts your request to connect",
            NoticeKind::Follow => "Someone starts following you",
            NoticeKind::Reaction => "Someone reacts to your post or comment",
            NoticeKind::Comment => "Someone comments on your post",
            NoticeKind::Reply => "Someone replies to your comment",
            NoticeKind::Mention => "Someone mentions you",
            NoticeKind::Moderation => "A moderator acts on your content (always on)",
            NoticeKind::NewCourse => "An instructor you follow publishes a course",
        }
    }

    /// Whether a member may turn this kind off. Moderation decisions are
    /// always delivered: a member must be told why something of theirs
    /// was removed.
    pub fn can_turn_off(self) -> bool {
        self != NoticeKind::Moderation
    }
}

/// The course a notice is about.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeCourse {
    /// Short name, for its page.
    pub slug: String,
    /// Title.
    pub title: String,
}

/// A notification as its recipient sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    /// Id.
    pub id: Uuid,
    /// What happened.
    pub kind: NoticeKind,
    /// Who did it (absent for moderation, and for people since erased).
    pub actor: Option<PersonCard>,
    /// The post concerned.
    pub post_id: Option<Uuid>,
    /// The comment concerned.
    pub comment_id: Option<Uuid>,
    /// The course concerned.
    pub course: Option<NoticeCourse>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Seen already.
    pub read: bool,
}

impl Network<'_> {
    /// Notifies `to` that `actor` did something, unless it is their own
    /// doing, a block stands between them, or they turned the kind off.
    /// Callers check beforehand that `to` may see what it is about.
    pub(crate) async fn notify(
        &self,
        to: MemberId,
        actor: MemberId,
        kind: NoticeKind,
        post_id: Option<Uuid>,
        comment_id: Option<Uuid>,
    ) -> Result<(), StoreError> {
        let row = self
            .notice_for(to, actor, kind, post_id, comment_id)
            .await?;
        self.write_notice(to, row).await
    }

    /// The notice `actor` would send `to`, unless it is their own doing,
    /// either has blocked the other, or `to` turned the kind off: for a
    /// caller that writes it in its own transaction and then calls
    /// [`Network::signal`].
    pub(crate) async fn notice_for(
        &self,
        to: MemberId,
        actor: MemberId,
        kind: NoticeKind,
        post_id: Option<Uuid>,
        comment_id: Option<Uuid>,
    ) -> Result<Option<notification::ActiveModel>, StoreError> {
        if to == actor || self.relation(Some(to), actor.0).await? == Relation::Blocked {
            return Ok(None);
        }
        self.notice_row(to, Some(actor), kind, [post_id, comment_id, None])
            .await
    }

    pub(crate) async fn deliver(
        &self,
        to: MemberId,
        actor: Option<MemberId>,
        kind: NoticeKind,
        post_id: Option<Uuid>,
        comment_id: Option<Uuid>,
    ) -> Result<(), StoreError> {
        self.insert_notice(to, actor, kind, [post_id, comment_id, None])
            .await
    }

    /// Tells `to` that a course they would want to hear of was published.
    pub(crate) async fn notify_course(
        &self,
        to: MemberId,
        course_id: Uuid,
    ) -> Result<(), StoreError> {
        self.insert_notice(
            to,
            None,
            NoticeKind::NewCourse,
            [None, None, Some(course_id)],
        )
        .await
    }

    /// Writes a notice (post, comment and course it is about) unless the
    /// member turned its kind off, and wakes their open pages.
    async fn insert_notice(
        &self,
        to: MemberId,
        actor: Option<MemberId>,
        kind: NoticeKind,
        about: [Option<Uuid>; 3],
    ) -> Result<(), StoreError> {
        let row = self.notice_row(to, actor, kind, about).await?;
        self.write_notice(to, row).await
    }

    /// Writes the notice, if there is one, and wakes `to`'s open pages.
    async fn write_notice(
        &self,
        to: MemberId,
        row: Option<notification::ActiveModel>,
    ) -> Result<(), StoreError> {
        if let Some(row) = row {
            row.insert(&self.store.writer).await?;
            self.signal([to.0], LiveEvent::Notification);
        }
        Ok(())
    }

    /// The notice row, or none when the member turned its kind off.
    pub(crate) async fn notice_row(
        &self,
        to: MemberId,
        actor: Option<MemberId>,
        kind: NoticeKind,
        [post_id, comment_id, course_id]: [Option<Uuid>; 3],
    ) -> Result<Option<notification::ActiveModel>, StoreError> {
        if kind.can_turn_off() && !self.notice_enabled(to, kind).await? {
            return Ok(None);
        }
        Ok(Some(self.notice_model(
            to,
            actor,
            kind,
            [post_id, comment_id, course_id],
        )))
    }

    /// The notice row, whatever the member's settings: for a writer that
    /// checks them in its own transaction (see [`muted`]).
    pub(crate) fn notice_model(
        &self,
        to: MemberId,
        actor: Option<MemberId>,
        kind: NoticeKind,
        [post_id, comment_id, course_id]: [Option<Uuid>; 3],
    ) -> notification::ActiveModel {
        notification::ActiveModel {
            id: Set(Uuid::now_v7()),
            member_id: Set(to.0),
            actor_id: Set(actor.map(|a| a.0)),
            kind: Set(kind.key().into()),
            post_id: Set(post_id),
            comment_id: Set(comment_id),
            course_id: Set(course_id),
            created_at: Set(self.store.now_ms()),
            read_at: Set(None),
        }
    }

    async fn notice_enabled(&self, member: MemberId, kind: NoticeKind) -> Result<bool, StoreError> {
        Ok(
            notification_setting::Entity::find_by_id((member.0, kind.key().to_owned()))
                .one(&self.store.db)
                .await?
                .is_none_or(|s| s.is_enabled),
        )
    }

    /// Which kinds the member has on.
    pub async fn notice_settings(
        &self,
        member: MemberId,
    ) -> Result<Vec<(NoticeKind, bool)>, StoreError> {
        let rows = notification_setting::Entity::find()
            .filter(notification_setting::Column::MemberId.eq(member.0))
            .all(&self.store.db)
            .await?;
        Ok(NoticeKind::ALL
            .into_iter()
            .map(|k| {
                let on = !k.can_turn_off()
                    || rows
                        .iter()
                        .find(|r| r.kind == k.key())
                        .is_none_or(|r| r.is_enabled);
                (k, on)
            })
            .collect())
    }

    /// Turns kinds on or off: every kind not in `on` is turned off.
    pub async fn set_notice_settings(
        &self,
        member: MemberId,
        on: &[NoticeKind],
    ) -> Result<(), StoreError> {
        for k in NoticeKind::ALL.into_iter().filter(|k| k.can_turn_off()) {
            notification_setting::Entity::insert(notification_setting::ActiveModel {
                member_id: Set(member.0),
                kind: Set(k.key().into()),
                is_enabled: Set(on.contains(&k)),
            })
            .on_conflict(
                OnConflict::columns([
                    notification_setting::Column::MemberId,
                    notification_setting::Column::Kind,
                ])
                .update_column(notification_setting::Column::IsEnabled)
                .to_owned(),
            )
            .exec_without_returning(&self.store.writer)
            .await?;
        }
        Ok(())
    }

    /// The member's notifications, newest first.
    pub async fn notices(&self, member: MemberId, limit: u64) -> Result<Vec<Notice>, StoreError> {
        let rows = notification::Entity::find()
            .filter(notification::Column::MemberId.eq(member.0))
            .order_by_desc(notification::Column::Id)
            .limit(limit)
            .all(&self.store.db)
            .await?;
        let actors: Vec<Uuid> = rows.iter().filter_map(|r| r.actor_id).collect();
        let cards = self.cards(Some(member), &actors).await?;
        let course_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.course_id).collect();
        let courses: std::collections::HashMap<Uuid, NoticeCourse> = if course_ids.is_empty() {
            Default::default()
        } else {
            course::Entity::find()
                .filter(course::Column::Id.is_in(course_ids))
                .filter(course::Column::Status.eq(CourseStatus::Published.key()))
                .all(&self.store.db)
                .await?
                .into_iter()
                .map(|c| {
                    (
                        c.id,
                        NoticeCourse {
                            slug: c.slug,
                            title: c.title,
                        },
                    )
                })
                .collect()
        };
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let kind = NoticeKind::from_key(&r.kind)?;
                let actor = match r.actor_id {
                    Some(a) => Some(cards.get(&a)?.clone()),
                    None => None,
                };
                // A course withdrawn since is no news any more.
                let course = match r.course_id {
                    Some(c) => Some(courses.get(&c)?.clone()),
                    None => None,
                };
                Some(Notice {
                    id: r.id,
                    kind,
                    actor,
                    post_id: r.post_id,
                    comment_id: r.comment_id,
                    course,
                    created_at: from_ms(r.created_at),
                    read: r.read_at.is_some(),
                })
            })
            .collect())
    }

    /// How many notifications the member has not seen.
    pub async fn unread_notices(&self, member: MemberId) -> Result<u64, StoreError> {
        Ok(notification::Entity::find()
            .filter(notification::Column::MemberId.eq(member.0))
            .filter(notification::Column::ReadAt.is_null())
            .count(&self.store.db)
            .await?)
    }

    /// Marks every notification seen.
    pub async fn mark_notices_read(&self, member: MemberId) -> Result<(), StoreError> {
        notification::Entity::update_many()
            .col_expr(
                notification::Column::ReadAt,
                Expr::value(self.store.now_ms()),
            )
            .filter(notification::Column::MemberId.eq(member.0))
            .filter(notification::Column::ReadAt.is_null())
            .exec(&self.store.writer)
            .await?;
        Ok(())
    }

    /// Deletes notices older than [`NOTICE_DAYS`] (run by the scrubber).
    pub async fn expire_notices(&self) -> Result<u64, StoreError> {
        let cutoff = self.store.now_ms() - NOTICE_DAYS * 24 * 3600 * 1000;
        Ok(notification::Entity::delete_many()
            .filter(notification::Column::CreatedAt.lt(cutoff))
            .exec(&self.store.writer)
            .await?
            .rows_affected)
    }
}

/// Which of `members` turned notices of `kind` off, read in the caller's
/// transaction, so a setting changed just before a write is honoured.
pub(crate) async fn muted(
    conn: &impl sea_orm::ConnectionTrait,
    kind: NoticeKind,
    members: &[Uuid],
) -> Result<std::collections::HashSet<Uuid>, StoreError> {
    if !kind.can_turn_off() || members.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    Ok(notification_setting::Entity::find()
        .select_only()
        .column(notification_setting::Column::MemberId)
        .filter(notification_setting::Column::Kind.eq(kind.key()))
        .filter(notification_setting::Column::IsEnabled.eq(false))
        .filter(notification_setting::Column::MemberId.is_in(members.to_vec()))
        .into_tuple::<Uuid>()
        .all(conn)
        .await?
        .into_iter()
        .collect())
}
