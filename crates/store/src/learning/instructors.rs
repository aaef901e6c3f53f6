//! Instructor pages and follows. A member follows an instructor to hear,
//! in the app, when one of their courses is published. Whom a member
//! follows is theirs alone: the instructor (and everyone else) sees only
//! how many follow.

use super::{CourseCard, Learning};
use crate::entity::{course, course_instructor, instructor, instructor_follow, provider};
use crate::{StoreError, from_ms};
use chrono::{DateTime, Utc};
use lyceum_core::domain::MemberId;
use lyceum_core::domain::learning::CourseStatus;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};
use uuid::Uuid;

/// The job that tells followers of a course's instructors about it.
pub const NEW_COURSES_JOB: &str = "learning.new_courses";

/// An instructor's page.
#[derive(Debug, Clone, Serialize)]
pub struct InstructorPage {
    /// Short name.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Biography.
    pub bio: String,
    /// The provider that credits them, if any: (short name, name).
    pub provider: Option<(String, String)>,
    /// Their published courses, newest first.
    pub courses: Vec<CourseCard>,
    /// How many members follow them.
    pub followers: u64,
    /// Whether the viewer follows them.
    pub following: bool,
}

/// An instructor a member follows.
#[derive(Debug, Clone, Serialize)]
pub struct FollowedInstructor {
    /// Short name.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Since when.
    pub since: DateTime<Utc>,
}

impl Learning<'_> {
    async fn instructor_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<instructor::Model>, StoreError> {
        Ok(instructor::Entity::find()
            .filter(instructor::Column::Slug.eq(slug))
            .one(&self.store.db)
            .await?)
    }

    /// An instructor's page as `viewer` sees it, with the published
    /// courses of the providers in `allowed` (all when `None`).
    pub async fn instructor(
        &self,
        slug: &str,
        viewer: Option<MemberId>,
        allowed: Option<&[Uuid]>,
    ) -> Result<Option<InstructorPage>, StoreError> {
        let Some(m) = self.instructor_by_slug(slug).await? else {
            return Ok(None);
        };
        let ids: Vec<Uuid> = course_instructor::Entity::find()
            .filter(course_instructor::Column::InstructorId.eq(m.id))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|c| c.course_id)
            .collect();
        let mut find = course::Entity::find()
            .filter(course::Column::Id.is_in(ids))
            .filter(course::Column::Status.eq(CourseStatus::Published.key()));
        if let Some(allowed) = allowed {
            find = find.filter(course::Column::ProviderId.is_in(allowed.to_vec()));
        }
        let models = find
            .order_by_desc(course::Column::PublishedAt)
            .order_by_asc(course::Column::Id)
            .all(&self.store.db)
            .await?;
        let courses = self.cards(models).await?;
        let provider = match m.provider_id {
            Some(p) => provider::Entity::find_by_id(p)
                .one(&self.store.db)
                .await?
                .map(|p| (p.slug, p.name)),
            None => None,
        };
        let followers = instructor_follow::Entity::find()
            .filter(instructor_follow::Column::InstructorId.eq(m.id))
            .count(&self.store.db)
            .await?;
        let following = match viewer {
            Some(v) => instructor_follow::Entity::find_by_id((v.0, m.id))
                .one(&self.store.db)
                .await?
                .is_some(),
            None => false,
        };
        Ok(Some(InstructorPage {
            slug: m.slug,
            name: m.name,
            bio: m.bio,
            provider,
            courses,
            followers,
            following,
        }))
    }

    /// Follows an instructor (again is fine). False when there is no such
    /// instructor.
    pub async fn follow_instructor(
        &self,
        member: MemberId,
        slug: &str,
    ) -> Result<bool, StoreError> {
        let Some(m) = self.instructor_by_slug(slug).await? else {
            return Ok(false);
        };
        instructor_follow::Entity::insert(instructor_follow::ActiveModel {
            member_id: Set(member.0),
            instructor_id: Set(m.id),
            created_at: Set(self.store.now_ms()),
        })
        .on_conflict(
            OnConflict::columns([
                instructor_follow::Column::MemberId,
                instructor_follow::Column::InstructorId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&self.store.writer)
        .await?;
        Ok(true)
    }

    /// Stops following an instructor. False when there is no such
    /// instructor.
    pub async fn unfollow_instructor(
        &self,
        member: MemberId,
        slug: &str,
    ) -> Result<bool, StoreError> {
        let Some(m) = self.instructor_by_slug(slug).await? else {
            return Ok(false);
        };
        instructor_follow::Entity::delete_by_id((member.0, m.id))
            .exec(&self.store.writer)
            .await?;
        Ok(true)
    }

    /// The instructors a member follows, by name.
    pub async fn followed_instructors(
        &self,
        member: MemberId,
    ) -> Result<Vec<FollowedInstructor>, StoreError> {
        let rows = instructor_follow::Entity::find()
            .filter(instructor_follow::Column::MemberId.eq(member.0))
            .all(&self.store.db)
            .await?;
        let people = instructor::Entity::find()
            .filter(instructor::Column::Id.is_in(rows.iter().map(|r| r.instructor_id)))
            .all(&self.store.db)
            .await?;
        let mut out: Vec<FollowedInstructor> = rows
            .iter()
            .filter_map(|r| {
                let p = people.iter().find(|p| p.id == r.instructor_id)?;
                Some(FollowedInstructor {
                    slug: p.slug.clone(),
                    name: p.name.clone(),
                    since: from_ms(r.created_at),
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.slug.cmp(&b.slug)));
        Ok(out)
    }

    /// Queues the notices for courses published for the first time.
    pub(crate) async fn announce(&self, courses: &[Uuid]) -> Result<(), StoreError> {
        if courses.is_empty() {
            return Ok(());
        }
        self.store
            .jobs()
            .enqueue(
                NEW_COURSES_JOB,
                serde_json::json!({ "courses": courses }),
                self.store.now_ms(),
            )
            .await
    }

    /// Tells each follower of the courses' instructors about each course
    /// still published, once per course however many of its instructors
    /// they follow. Returns how many notices were written (a member who
    /// turned the kind off is skipped).
    pub async fn notify_followers(&self, courses: &[Uuid]) -> Result<u64, StoreError> {
        let published: HashSet<Uuid> = course::Entity::find()
            .filter(course::Column::Id.is_in(courses.to_vec()))
            .filter(course::Column::Status.eq(CourseStatus::Published.key()))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        let mut written = 0;
        for id in courses.iter().filter(|c| published.contains(c)) {
            let credits: Vec<Uuid> = course_instructor::Entity::find()
                .filter(course_instructor::Column::CourseId.eq(*id))
                .all(&self.store.db)
                .await?
                .into_iter()
                .map(|c| c.instructor_id)
                .collect();
            if credits.is_empty() {
                continue;
            }
            let members: BTreeSet<Uuid> = instructor_follow::Entity::find()
                .filter(instructor_follow::Column::InstructorId.is_in(credits))
                .all(&self.store.db)
                .await?
                .into_iter()
                .map(|f| f.member_id)
                .collect();
            for m in members {
                self.store.network().notify_course(MemberId(m), *id).await?;
                written += 1;
            }
        }
        Ok(written)
    }
}
