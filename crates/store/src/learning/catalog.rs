//! Providers, the catalog import (idempotent per provider and external
//! id), catalog search with facets, and course and lesson pages' data.

use super::{Learning, LearningError};
use crate::entity::{
    course, course_instructor, course_section, course_skill, instructor, lesson, provider,
    quiz_question,
};
use crate::{StoreError, from_ms};
use chrono::{DateTime, Utc};
pub use lyceum_core::domain::learning::{CourseInput, InstructorInput, LessonInput, SectionInput};
use lyceum_core::domain::learning::{
    CourseStatus, DurationBucket, LessonKind, Level, QuizQuestion, slugify,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// A course provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provider {
    /// Id.
    pub id: Uuid,
    /// Short name.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Web site.
    pub website: Option<String>,
    /// A sentence or two.
    pub description: String,
    /// A third-party content partner.
    pub is_partner: bool,
}

impl From<provider::Model> for Provider {
    fn from(m: provider::Model) -> Self {
        Self {
            id: m.id,
            slug: m.slug,
            name: m.name,
            website: m.website,
            description: m.description,
            is_partner: m.is_partner,
        }
    }
}

/// A provider to create or update (matched by short name).
#[derive(Debug, Clone)]
pub struct NewProvider {
    /// Short name.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Web site.
    pub website: Option<String>,
    /// A sentence or two.
    pub description: String,
    /// A third-party content partner.
    pub is_partner: bool,
}

/// A course as the search index needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRow {
    /// Id.
    pub id: Uuid,
    /// Whether it is in the catalog (others are removed from the index).
    pub published: bool,
    /// Short name.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Description.
    pub description: String,
    /// Skills.
    pub skills: Vec<String>,
    /// Instructors' names.
    pub instructors: Vec<String>,
    /// Provider id.
    pub provider_id: Uuid,
    /// Provider name.
    pub provider_name: String,
    /// Level key.
    pub level: String,
    /// Language tag.
    pub language: String,
    /// Minutes.
    pub duration_minutes: u32,
    /// First publication (or creation), milliseconds since the epoch.
    pub published_at: i64,
    /// Last change, milliseconds since the epoch.
    pub updated_at: i64,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Courses new to the catalog.
    pub created: usize,
    /// Courses that existed and were updated.
    pub updated: usize,
}

/// A course as the catalog lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CourseCard {
    /// Id.
    pub id: Uuid,
    /// The provider's id.
    pub provider_id: Uuid,
    /// Short name.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Level.
    pub level: Level,
    /// Language tag.
    pub language: String,
    /// Estimated minutes.
    pub duration_minutes: u32,
    /// Provider's short name.
    pub provider_slug: String,
    /// Provider's name.
    pub provider_name: String,
    /// Partner content.
    pub is_partner: bool,
    /// Skills taught.
    pub skills: Vec<String>,
    /// Publishing state.
    pub status: CourseStatus,
    /// First publication.
    pub published_at: Option<DateTime<Utc>>,
}

/// What the catalog is asked for.
#[derive(Debug, Clone, Default)]
pub struct CourseQuery {
    /// Words, all of which must appear in the title, summary or a skill.
    pub q: String,
    /// A skill, exactly.
    pub skill: Option<String>,
    /// A level.
    pub level: Option<Level>,
    /// A provider's short name.
    pub provider: Option<String>,
    /// A language tag.
    pub language: Option<String>,
    /// A duration bucket.
    pub duration: Option<DurationBucket>,
    /// Only these providers' courses (a guest's library licences); `None`
    /// for all.
    pub allowed_providers: Option<Vec<Uuid>>,
    /// Zero-based page.
    pub page: u64,
    /// Courses per page (1–100).
    pub per_page: u64,
}

/// One value of a facet and how many matching courses have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetValue {
    /// The value as sent back in a filter.
    pub value: String,
    /// What people read.
    pub label: String,
    /// Matching courses.
    pub count: u64,
}

/// Facet counts over the matching courses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// The commonest skills.
    pub skills: Vec<FacetValue>,
    /// Levels.
    pub levels: Vec<FacetValue>,
    /// Providers.
    pub providers: Vec<FacetValue>,
    /// Languages.
    pub languages: Vec<FacetValue>,
    /// Durations.
    pub durations: Vec<FacetValue>,
}

/// A page of results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoursePage {
    /// The courses on this page.
    pub courses: Vec<CourseCard>,
    /// Matching courses in all.
    pub total: u64,
    /// Facet counts.
    pub facets: Facets,
}

/// An instructor credit on a course page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstructorCredit {
    /// Short name of the instructor's page.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Biography.
    pub bio: String,
}

/// A lesson as the course outline lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LessonSummary {
    /// Id.
    pub id: Uuid,
    /// Order in the course, from 1.
    pub position: u32,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: LessonKind,
    /// Minutes.
    pub duration_minutes: u32,
}

/// A section with its lessons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionOutline {
    /// Title.
    pub title: String,
    /// Lessons in order.
    pub lessons: Vec<LessonSummary>,
}

/// Everything a course page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CourseDetail {
    /// The catalog card.
    #[serde(flatten)]
    pub card: CourseCard,
    /// Markdown.
    pub description: String,
    /// Instructors in credit order.
    pub instructors: Vec<InstructorCredit>,
    /// The outline.
    pub sections: Vec<SectionOutline>,
}

impl CourseDetail {
    /// Every lesson in order.
    pub fn lessons(&self) -> impl Iterator<Item = &LessonSummary> {
        self.sections.iter().flat_map(|s| s.lessons.iter())
    }
}

/// A quiz question without its answer: what the browser may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuestionView {
    /// Id.
    pub id: Uuid,
    /// The question.
    pub prompt: String,
    /// The choices.
    pub choices: Vec<String>,
}

/// A lesson to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LessonView {
    /// The outline entry.
    #[serde(flatten)]
    pub summary: LessonSummary,
    /// The course.
    pub course_id: Uuid,
    /// Markdown.
    pub body: String,
    /// WebVTT captions.
    pub captions: Option<String>,
    /// A quiz's pass mark.
    pub pass_percent: Option<u8>,
    /// A quiz's questions, without answers.
    pub questions: Vec<QuestionView>,
    /// A video's content type and size.
    pub video: Option<(String, u64)>,
}

impl Learning<'_> {
    /// Creates a provider, or updates the one with the same short name.
    pub async fn ensure_provider(&self, p: NewProvider) -> Result<Provider, StoreError> {
        let existing = provider::Entity::find()
            .filter(provider::Column::Slug.eq(&p.slug))
            .one(&self.store.writer)
            .await?;
        let model = match existing {
            Some(m) => {
                let mut a: provider::ActiveModel = m.into();
                a.name = Set(p.name);
                a.website = Set(p.website);
                a.description = Set(p.description);
                a.is_partner = Set(p.is_partner);
                a.update(&self.store.writer).await?
            }
            None => {
                provider::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    slug: Set(p.slug),
                    name: Set(p.name),
                    website: Set(p.website),
                    description: Set(p.description),
                    is_partner: Set(p.is_partner),
                    created_at: Set(self.store.now_ms()),
                }
                .insert(&self.store.writer)
                .await?
            }
        };
        self.store.catalog_changed().await?;
        Ok(model.into())
    }

    /// Every provider, by name.
    pub async fn providers(&self) -> Result<Vec<Provider>, StoreError> {
        Ok(provider::Entity::find()
            .order_by_asc(provider::Column::Name)
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(Provider::from)
            .collect())
    }

    /// A provider by short name.
    pub async fn provider(&self, slug: &str) -> Result<Option<Provider>, StoreError> {
        Ok(provider::Entity::find()
            .filter(provider::Column::Slug.eq(slug))
            .one(&self.store.db)
            .await?
            .map(Provider::from))
    }

    /// Imports courses for a provider in one transaction: a course whose
    /// external id the provider used before is updated (its lessons keep
    /// their ids where their position is unchanged, so learners keep their
    /// progress), any other is created. Nothing is written if anything
    /// fails.
    pub async fn import(
        &self,
        provider: &Provider,
        courses: &[CourseInput],
    ) -> Result<ImportSummary, StoreError> {
        let now = self.store.now_ms();
        let tx = self.store.writer.begin().await?;
        let mut summary = ImportSummary::default();
        let mut first_published = Vec::new();
        for input in courses {
            let (id, created) = upsert_course(&tx, provider, input, now).await?;
            if created {
                summary.created += 1;
                if input.status == CourseStatus::Published {
                    first_published.push(id);
                }
            } else {
                summary.updated += 1;
            }
        }
        tx.commit().await?;
        self.store.catalog_changed().await?;
        self.announce(&first_published).await?;
        Ok(summary)
    }

    /// Links an instructor credit to the member who is that instructor
    /// (or unlinks it). Returns false when there is no such instructor.
    pub async fn link_instructor(
        &self,
        slug: &str,
        member: Option<lyceum_core::domain::MemberId>,
    ) -> Result<bool, StoreError> {
        let res = instructor::Entity::update_many()
            .col_expr(
                instructor::Column::MemberId,
                Expr::value(member.map(|m| m.0)),
            )
            .filter(instructor::Column::Slug.eq(slug))
            .exec(&self.store.writer)
            .await?;
        Ok(res.rows_affected > 0)
    }

    /// Moves a course through the publishing workflow.
    pub async fn set_status(
        &self,
        course_id: Uuid,
        next: CourseStatus,
    ) -> Result<CourseStatus, LearningError> {
        let m = course::Entity::find_by_id(course_id)
            .one(&self.store.writer)
            .await?
            .ok_or(LearningError::NotFound)?;
        let current = CourseStatus::parse(&m.status).unwrap_or(CourseStatus::Draft);
        if !current.can_move_to(next) {
            return Err(LearningError::Workflow(format!(
                "A course that is {} cannot become {}: drafts go to review, reviewed courses are published or sent back, and published courses can be withdrawn to draft.",
                current.label(),
                next.label()
            )));
        }
        let now = self.store.now_ms();
        let first = m.published_at.is_none() && next == CourseStatus::Published;
        let mut a: course::ActiveModel = m.into();
        a.status = Set(next.key().to_owned());
        a.updated_at = Set(now);
        if first {
            a.published_at = Set(Some(now));
        }
        a.update(&self.store.writer).await?;
        self.store.catalog_changed().await?;
        if first {
            self.announce(&[course_id]).await?;
        }
        Ok(next)
    }

    /// Courses changed at or after `since_ms` (milliseconds since the
    /// epoch), in any state, with what the search index needs; of those
    /// changed at exactly `since_ms`, not the ones in `seen` (already taken
    /// in). With nothing new, this reads only ids and times.
    pub async fn index_rows_since(
        &self,
        since_ms: i64,
        seen: &HashSet<Uuid>,
    ) -> Result<Vec<IndexRow>, StoreError> {
        let db = &self.store.db;
        let models = if seen.is_empty() {
            course::Entity::find()
                .filter(course::Column::UpdatedAt.gte(since_ms))
                .order_by_asc(course::Column::UpdatedAt)
                .all(db)
                .await?
        } else {
            let changed: Vec<(Uuid, i64)> = course::Entity::find()
                .select_only()
                .column(course::Column::Id)
                .column(course::Column::UpdatedAt)
                .filter(course::Column::UpdatedAt.gte(since_ms))
                .into_tuple()
                .all(db)
                .await?;
            let ids: Vec<Uuid> = changed
                .into_iter()
                .filter(|(id, at)| !(*at == since_ms && seen.contains(id)))
                .map(|(id, _)| id)
                .collect();
            let mut models = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(500) {
                models.extend(
                    course::Entity::find()
                        .filter(course::Column::Id.is_in(chunk.to_vec()))
                        .all(db)
                        .await?,
                );
            }
            models.sort_by_key(|m| m.updated_at);
            models
        };
        if models.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
        let mut skills: HashMap<Uuid, Vec<String>> = HashMap::new();
        let mut instructors: HashMap<Uuid, Vec<String>> = HashMap::new();
        // In chunks, so a full rebuild of a large catalog stays within the
        // engines' limits on bound parameters.
        for chunk in ids.chunks(500) {
            for s in course_skill::Entity::find()
                .filter(course_skill::Column::CourseId.is_in(chunk.to_vec()))
                .all(db)
                .await?
            {
                skills.entry(s.course_id).or_default().push(s.skill);
            }
            let credits = course_instructor::Entity::find()
                .filter(course_instructor::Column::CourseId.is_in(chunk.to_vec()))
                .all(db)
                .await?;
            let names: HashMap<Uuid, String> = instructor::Entity::find()
                .filter(instructor::Column::Id.is_in(credits.iter().map(|c| c.instructor_id)))
                .all(db)
                .await?
                .into_iter()
                .map(|i| (i.id, i.name))
                .collect();
            for c in credits {
                if let Some(n) = names.get(&c.instructor_id) {
                    instructors.entry(c.course_id).or_default().push(n.clone());
                }
            }
        }
        let providers: HashMap<Uuid, String> = self
            .providers()
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        Ok(models
            .into_iter()
            .map(|m| IndexRow {
                skills: skills.remove(&m.id).unwrap_or_default(),
                instructors: instructors.remove(&m.id).unwrap_or_default(),
                provider_name: providers.get(&m.provider_id).cloned().unwrap_or_default(),
                published: m.status == CourseStatus::Published.key(),
                id: m.id,
                slug: m.slug,
                title: m.title,
                summary: m.summary,
                description: m.description,
                provider_id: m.provider_id,
                level: m.level,
                language: m.language,
                duration_minutes: u32::try_from(m.duration_minutes).unwrap_or(0),
                published_at: m.published_at.unwrap_or(m.created_at),
                updated_at: m.updated_at,
            })
            .collect())
    }

    /// Catalog cards for these courses, in this order (missing ones left out).
    pub async fn cards_for(&self, ids: &[Uuid]) -> Result<Vec<CourseCard>, StoreError> {
        let models = course::Entity::find()
            .filter(course::Column::Id.is_in(ids.to_vec()))
            .all(&self.store.db)
            .await?;
        let mut cards = self.cards(models).await?;
        cards.sort_by_key(|c| ids.iter().position(|id| *id == c.id));
        Ok(cards)
    }

    /// Published courses first published at or after `since`, newest first.
    pub async fn published_since(
        &self,
        since: DateTime<Utc>,
        limit: u64,
        allowed: Option<&[Uuid]>,
    ) -> Result<Vec<CourseCard>, StoreError> {
        let mut find = course::Entity::find();
        if let Some(allowed) = allowed {
            find = find.filter(course::Column::ProviderId.is_in(allowed.to_vec()));
        }
        let models = find
            .filter(course::Column::Status.eq(CourseStatus::Published.key()))
            .filter(course::Column::PublishedAt.gte(crate::to_ms(since)))
            .order_by_desc(course::Column::PublishedAt)
            .order_by_asc(course::Column::Id)
            .limit(limit)
            .all(&self.store.db)
            .await?;
        self.cards(models).await
    }

    /// Published courses with the most learners, for people who have not
    /// asked for personal recommendations.
    pub async fn popular(
        &self,
        limit: u64,
        allowed: Option<&[Uuid]>,
    ) -> Result<Vec<CourseCard>, StoreError> {
        use crate::entity::enrolment;
        #[derive(FromQueryResult)]
        struct Row {
            course_id: Uuid,
        }
        let ids: Vec<Uuid> = enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::CourseId)
            .group_by(enrolment::Column::CourseId)
            .order_by_desc(Expr::col(enrolment::Column::Id).count())
            .order_by_asc(enrolment::Column::CourseId)
            .limit(limit * 2)
            .into_model::<Row>()
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|r| r.course_id)
            .collect();
        let mut find = course::Entity::find();
        if let Some(allowed) = allowed {
            find = find.filter(course::Column::ProviderId.is_in(allowed.to_vec()));
        }
        let mut models = find
            .filter(course::Column::Id.is_in(ids.clone()))
            .filter(course::Column::Status.eq(CourseStatus::Published.key()))
            .all(&self.store.db)
            .await?;
        models.sort_by_key(|m| ids.iter().position(|id| *id == m.id));
        models.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        self.cards(models).await
    }

    pub(super) async fn cards(
        &self,
        models: Vec<course::Model>,
    ) -> Result<Vec<CourseCard>, StoreError> {
        let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
        let mut skills: HashMap<Uuid, Vec<String>> = HashMap::new();
        for s in course_skill::Entity::find()
            .filter(course_skill::Column::CourseId.is_in(ids))
            .order_by_asc(course_skill::Column::Skill)
            .all(&self.store.db)
            .await?
        {
            skills.entry(s.course_id).or_default().push(s.skill);
        }
        let providers: HashMap<Uuid, Provider> = self
            .providers()
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        Ok(models
            .into_iter()
            .map(|m| {
                let p = providers.get(&m.provider_id);
                CourseCard {
                    skills: skills.remove(&m.id).unwrap_or_default(),
                    provider_slug: p.map(|p| p.slug.clone()).unwrap_or_default(),
                    provider_name: p.map(|p| p.name.clone()).unwrap_or_default(),
                    is_partner: p.is_some_and(|p| p.is_partner),
                    id: m.id,
                    provider_id: m.provider_id,
                    slug: m.slug,
                    title: m.title,
                    summary: m.summary,
                    level: Level::parse(&m.level).unwrap_or(Level::Beginner),
                    language: m.language,
                    duration_minutes: u32::try_from(m.duration_minutes).unwrap_or(0),
                    status: CourseStatus::parse(&m.status).unwrap_or(CourseStatus::Draft),
                    published_at: m.published_at.map(from_ms),
                }
            })
            .collect())
    }

    /// A course by short name, in any state (callers decide who may see
    /// drafts).
    pub async fn course_by_slug(&self, slug: &str) -> Result<Option<CourseDetail>, StoreError> {
        let m = course::Entity::find()
            .filter(course::Column::Slug.eq(slug))
            .one(&self.store.db)
            .await?;
        match m {
            Some(m) => self.detail(m).await.map(Some),
            None => Ok(None),
        }
    }

    /// A course by id, in any state.
    pub async fn course(&self, id: Uuid) -> Result<Option<CourseDetail>, StoreError> {
        match course::Entity::find_by_id(id).one(&self.store.db).await? {
            Some(m) => self.detail(m).await.map(Some),
            None => Ok(None),
        }
    }

    async fn detail(&self, m: course::Model) -> Result<CourseDetail, StoreError> {
        let db = &self.store.db;
        let description = m.description.clone();
        let id = m.id;
        let card = self
            .cards(vec![m])
            .await?
            .pop()
            .ok_or_else(|| StoreError::Corrupt("course vanished".into()))?;
        let credits = course_instructor::Entity::find()
            .filter(course_instructor::Column::CourseId.eq(id))
            .order_by_asc(course_instructor::Column::Position)
            .all(db)
            .await?;
        let people: HashMap<Uuid, instructor::Model> = instructor::Entity::find()
            .filter(instructor::Column::Id.is_in(credits.iter().map(|c| c.instructor_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect();
        let instructors = credits
            .iter()
            .filter_map(|c| people.get(&c.instructor_id))
            .map(|i| InstructorCredit {
                slug: i.slug.clone(),
                name: i.name.clone(),
                bio: i.bio.clone(),
            })
            .collect();
        let sections = course_section::Entity::find()
            .filter(course_section::Column::CourseId.eq(id))
            .order_by_asc(course_section::Column::Position)
            .all(db)
            .await?;
        let lessons = lesson::Entity::find()
            .filter(lesson::Column::CourseId.eq(id))
            .order_by_asc(lesson::Column::Position)
            .all(db)
            .await?;
        let sections = sections
            .into_iter()
            .map(|s| SectionOutline {
                lessons: lessons
                    .iter()
                    .filter(|l| l.section_id == s.id)
                    .map(summary)
                    .collect(),
                title: s.title,
            })
            .collect();
        Ok(CourseDetail {
            card,
            description,
            instructors,
            sections,
        })
    }

    /// A lesson of a course, with its questions but not their answers.
    pub async fn lesson(
        &self,
        course_id: Uuid,
        lesson_id: Uuid,
    ) -> Result<Option<LessonView>, StoreError> {
        let Some(l) = lesson::Entity::find_by_id(lesson_id)
            .filter(lesson::Column::CourseId.eq(course_id))
            .one(&self.store.db)
            .await?
        else {
            return Ok(None);
        };
        let questions = quiz_question::Entity::find()
            .filter(quiz_question::Column::LessonId.eq(l.id))
            .order_by_asc(quiz_question::Column::Position)
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|q| {
                Ok(QuestionView {
                    id: q.id,
                    prompt: q.prompt,
                    choices: serde_json::from_str(&q.choices)
                        .map_err(|e| StoreError::Corrupt(format!("quiz choices: {e}")))?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(LessonView {
            summary: summary(&l),
            course_id: l.course_id,
            body: l.body,
            captions: l.captions,
            pass_percent: l.pass_percent.and_then(|p| u8::try_from(p).ok()),
            questions,
            video: match (l.media_type, l.media_bytes) {
                (Some(t), Some(b)) => Some((t, u64::try_from(b).unwrap_or(0))),
                _ => None,
            },
        }))
    }

    /// Adds a video lesson at the end of a section (by index from 0).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_video_lesson(
        &self,
        course_id: Uuid,
        section: usize,
        title: &str,
        minutes: u32,
        body: &str,
        captions: Option<String>,
        media: (&str, &str, u64),
    ) -> Result<Uuid, LearningError> {
        let tx = self.store.writer.begin().await?;
        let sections = course_section::Entity::find()
            .filter(course_section::Column::CourseId.eq(course_id))
            .order_by_asc(course_section::Column::Position)
            .all(&tx)
            .await?;
        let section = sections.get(section).ok_or(LearningError::NotFound)?;
        let last = lesson::Entity::find()
            .filter(lesson::Column::SectionId.eq(section.id))
            .order_by_desc(lesson::Column::Position)
            .one(&tx)
            .await?
            .map_or(0, |l| l.position);
        let id = Uuid::now_v7();
        lesson::ActiveModel {
            id: Set(id),
            course_id: Set(course_id),
            section_id: Set(section.id),
            // Just after the section's last lesson; renumbering makes room.
            position: Set(last),
            title: Set(title.to_owned()),
            kind: Set(LessonKind::Video.key().into()),
            body: Set(body.to_owned()),
            captions: Set(captions),
            duration_minutes: Set(i32::try_from(minutes).unwrap_or(i32::MAX)),
            pass_percent: Set(None),
            media_key: Set(Some(media.0.to_owned())),
            media_type: Set(Some(media.1.to_owned())),
            media_bytes: Set(Some(i64::try_from(media.2).unwrap_or(i64::MAX))),
        }
        .insert(&tx)
        .await?;
        renumber(&tx, course_id).await?;
        let total: i64 = lesson::Entity::find()
            .filter(lesson::Column::CourseId.eq(course_id))
            .all(&tx)
            .await?
            .iter()
            .map(|l| i64::from(l.duration_minutes))
            .sum();
        course::Entity::update_many()
            .col_expr(
                course::Column::DurationMinutes,
                Expr::value(i32::try_from(total).unwrap_or(i32::MAX)),
            )
            .col_expr(course::Column::UpdatedAt, Expr::value(self.store.now_ms()))
            .filter(course::Column::Id.eq(course_id))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        self.store.catalog_changed().await?;
        Ok(id)
    }

    /// A video lesson's file: key, content type and size.
    pub async fn lesson_media(
        &self,
        lesson_id: Uuid,
    ) -> Result<Option<(Uuid, String, String, u64)>, StoreError> {
        Ok(lesson::Entity::find_by_id(lesson_id)
            .one(&self.store.db)
            .await?
            .and_then(|l| {
                Some((
                    l.course_id,
                    l.media_key?,
                    l.media_type?,
                    u64::try_from(l.media_bytes?).ok()?,
                ))
            }))
    }

    /// A quiz's questions with their answers, for grading only.
    pub(crate) async fn answer_key(
        &self,
        lesson_id: Uuid,
    ) -> Result<Vec<QuizQuestion>, StoreError> {
        quiz_question::Entity::find()
            .filter(quiz_question::Column::LessonId.eq(lesson_id))
            .order_by_asc(quiz_question::Column::Position)
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|q| {
                Ok(QuizQuestion {
                    prompt: q.prompt,
                    choices: serde_json::from_str(&q.choices)
                        .map_err(|e| StoreError::Corrupt(format!("quiz choices: {e}")))?,
                    answer: usize::try_from(q.answer).unwrap_or(usize::MAX),
                    explanation: q.explanation,
                })
            })
            .collect()
    }

    /// Courses in the catalog (published), for the demo and reports.
    pub async fn published_count(&self) -> Result<u64, StoreError> {
        Ok(course::Entity::find()
            .filter(course::Column::Status.eq(CourseStatus::Published.key()))
            .count(&self.store.db)
            .await?)
    }
}

fn summary(l: &lesson::Model) -> LessonSummary {
    LessonSummary {
        id: l.id,
        position: u32::try_from(l.position).unwrap_or(0),
        title: l.title.clone(),
        kind: LessonKind::parse(&l.kind).unwrap_or(LessonKind::Article),
        duration_minutes: u32::try_from(l.duration_minutes).unwrap_or(0),
    }
}

/// Creates or updates one course; true when created.
async fn upsert_course(
    tx: &DatabaseTransaction,
    provider: &Provider,
    input: &CourseInput,
    now: i64,
) -> Result<(Uuid, bool), StoreError> {
    let existing = course::Entity::find()
        .filter(course::Column::ProviderId.eq(provider.id))
        .filter(course::Column::ExternalId.eq(&input.external_id))
        .one(tx)
        .await?;
    let minutes = if input.duration_minutes > 0 {
        input.duration_minutes
    } else {
        input
            .sections
            .iter()
            .flat_map(|s| &s.lessons)
            .map(|l| l.duration_minutes)
            .sum()
    };
    let published_at = (input.status == CourseStatus::Published).then_some(now);
    let created = existing.is_none();
    let course_id = match existing {
        Some(m) => {
            let id = m.id;
            let mut a: course::ActiveModel = m.into();
            a.title = Set(input.title.clone());
            a.summary = Set(input.summary.clone());
            a.description = Set(input.description.clone());
            a.level = Set(input.level.key().into());
            a.language = Set(input.language.as_str().into());
            a.duration_minutes = Set(i32::try_from(minutes).unwrap_or(i32::MAX));
            // A re-import updates the content; where the course is in its
            // publishing workflow stays the staff's decision.
            a.updated_at = Set(now);
            a.update(tx).await?;
            id
        }
        None => {
            let id = Uuid::now_v7();
            let slug = free_slug(tx, &slugify(&input.title)).await?;
            course::ActiveModel {
                id: Set(id),
                provider_id: Set(provider.id),
                external_id: Set(Some(input.external_id.clone())),
                slug: Set(slug),
                title: Set(input.title.clone()),
                summary: Set(input.summary.clone()),
                description: Set(input.description.clone()),
                level: Set(input.level.key().into()),
                language: Set(input.language.as_str().into()),
                duration_minutes: Set(i32::try_from(minutes).unwrap_or(i32::MAX)),
                status: Set(input.status.key().into()),
                created_at: Set(now),
                updated_at: Set(now),
                published_at: Set(published_at),
            }
            .insert(tx)
            .await?;
            id
        }
    };

    course_skill::Entity::delete_many()
        .filter(course_skill::Column::CourseId.eq(course_id))
        .exec(tx)
        .await?;
    let mut seen = std::collections::HashSet::new();
    for skill in &input.skills {
        if seen.insert(skill.as_str().to_lowercase()) {
            course_skill::ActiveModel {
                course_id: Set(course_id),
                skill: Set(skill.as_str().to_owned()),
            }
            .insert(tx)
            .await?;
        }
    }

    course_instructor::Entity::delete_many()
        .filter(course_instructor::Column::CourseId.eq(course_id))
        .exec(tx)
        .await?;
    for (i, person) in input.instructors.iter().enumerate() {
        let slug = slugify(&person.name);
        let found = instructor::Entity::find()
            .filter(instructor::Column::ProviderId.eq(provider.id))
            .filter(instructor::Column::Name.eq(&person.name))
            .one(tx)
            .await?;
        let instructor_id = match found {
            Some(m) => {
                let id = m.id;
                if m.bio != person.bio && !person.bio.is_empty() {
                    let mut a: instructor::ActiveModel = m.into();
                    a.bio = Set(person.bio.clone());
                    a.update(tx).await?;
                }
                id
            }
            None => {
                let id = Uuid::now_v7();
                instructor::ActiveModel {
                    id: Set(id),
                    slug: Set(free_instructor_slug(tx, &slug).await?),
                    name: Set(person.name.clone()),
                    bio: Set(person.bio.clone()),
                    provider_id: Set(Some(provider.id)),
                    member_id: Set(None),
                    created_at: Set(now),
                }
                .insert(tx)
                .await?;
                id
            }
        };
        if course_instructor::Entity::find_by_id((course_id, instructor_id))
            .one(tx)
            .await?
            .is_none()
        {
            course_instructor::ActiveModel {
                course_id: Set(course_id),
                instructor_id: Set(instructor_id),
                position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
            }
            .insert(tx)
            .await?;
        }
    }

    // Sections and lessons are matched by position, so a re-import that
    // fixes a typo keeps every learner's progress.
    let old_sections = course_section::Entity::find()
        .filter(course_section::Column::CourseId.eq(course_id))
        .order_by_asc(course_section::Column::Position)
        .all(tx)
        .await?;
    // Videos are uploaded on the course, not imported: they stay as they
    // are, and the imported lessons are matched among the others.
    let old_lessons: Vec<lesson::Model> = lesson::Entity::find()
        .filter(lesson::Column::CourseId.eq(course_id))
        .filter(lesson::Column::MediaKey.is_null())
        .order_by_asc(lesson::Column::Position)
        .all(tx)
        .await?;
    let mut position = 0i32;
    let mut kept_lessons = Vec::new();
    let mut kept_sections = Vec::new();
    for (si, section) in input.sections.iter().enumerate() {
        let si = i32::try_from(si).unwrap_or(i32::MAX);
        let section_id = match old_sections.iter().find(|s| s.position == si) {
            Some(s) => {
                let mut a: course_section::ActiveModel = s.clone().into();
                a.title = Set(section.title.clone());
                a.update(tx).await?;
                s.id
            }
            None => {
                let id = Uuid::now_v7();
                course_section::ActiveModel {
                    id: Set(id),
                    course_id: Set(course_id),
                    position: Set(si),
                    title: Set(section.title.clone()),
                }
                .insert(tx)
                .await?;
                id
            }
        };
        kept_sections.push(section_id);
        for l in &section.lessons {
            position += 1;
            let values = |a: &mut lesson::ActiveModel| {
                a.section_id = Set(section_id);
                a.title = Set(l.title.clone());
                a.kind = Set(l.kind.key().into());
                a.body = Set(l.body.clone());
                a.captions = Set(l.captions.clone());
                a.duration_minutes = Set(i32::try_from(l.duration_minutes).unwrap_or(i32::MAX));
                a.pass_percent = Set(l.pass_percent.map(i32::from));
            };
            let lesson_id = match old_lessons.iter().find(|o| o.position == position) {
                Some(o) => {
                    let mut a: lesson::ActiveModel = o.clone().into();
                    values(&mut a);
                    a.update(tx).await?;
                    o.id
                }
                None => {
                    let id = Uuid::now_v7();
                    let mut a = lesson::ActiveModel {
                        id: Set(id),
                        course_id: Set(course_id),
                        position: Set(position),
                        ..Default::default()
                    };
                    values(&mut a);
                    a.insert(tx).await?;
                    id
                }
            };
            kept_lessons.push(lesson_id);
            quiz_question::Entity::delete_many()
                .filter(quiz_question::Column::LessonId.eq(lesson_id))
                .exec(tx)
                .await?;
            for (qi, q) in l.questions.iter().enumerate() {
                quiz_question::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    lesson_id: Set(lesson_id),
                    position: Set(i32::try_from(qi).unwrap_or(i32::MAX)),
                    prompt: Set(q.prompt.clone()),
                    choices: Set(serde_json::to_string(&q.choices)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?),
                    answer: Set(i32::try_from(q.answer).unwrap_or(i32::MAX)),
                    explanation: Set(q.explanation.clone()),
                }
                .insert(tx)
                .await?;
            }
        }
    }
    lesson::Entity::delete_many()
        .filter(lesson::Column::CourseId.eq(course_id))
        .filter(lesson::Column::MediaKey.is_null())
        .filter(lesson::Column::Id.is_not_in(kept_lessons))
        .exec(tx)
        .await?;
    course_section::Entity::delete_many()
        .filter(course_section::Column::CourseId.eq(course_id))
        .filter(course_section::Column::Id.is_not_in(kept_sections))
        .exec(tx)
        .await?;
    renumber(tx, course_id).await?;
    Ok((course_id, created))
}

/// Numbers a course's lessons 1, 2, 3… in section order, keeping their
/// order within each section (an uploaded video after the imported
/// lessons it followed).
async fn renumber<C: sea_orm::ConnectionTrait>(db: &C, course_id: Uuid) -> Result<(), StoreError> {
    let sections: Vec<Uuid> = course_section::Entity::find()
        .filter(course_section::Column::CourseId.eq(course_id))
        .order_by_asc(course_section::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let mut lessons = lesson::Entity::find()
        .filter(lesson::Column::CourseId.eq(course_id))
        .all(db)
        .await?;
    lessons.sort_by_key(|l| {
        (
            sections
                .iter()
                .position(|s| *s == l.section_id)
                .unwrap_or(usize::MAX),
            l.position,
            l.media_key.is_some(),
        )
    });
    for (i, l) in lessons.into_iter().enumerate() {
        let position = i32::try_from(i + 1).unwrap_or(i32::MAX);
        if l.position != position {
            let mut a: lesson::ActiveModel = l.into();
            a.position = Set(position);
            a.update(db).await?;
        }
    }
    Ok(())
}

async fn free_slug(tx: &DatabaseTransaction, base: &str) -> Result<String, StoreError> {
    let mut candidate = base.to_owned();
    let mut n = 1;
    while course::Entity::find()
        .filter(course::Column::Slug.eq(&candidate))
        .one(tx)
        .await?
        .is_some()
    {
        n += 1;
        candidate = format!("{base}-{n}");
    }
    Ok(candidate)
}

async fn free_instructor_slug(tx: &DatabaseTransaction, base: &str) -> Result<String, StoreError> {
    let mut candidate = base.to_owned();
    let mut n = 1;
    while instructor::Entity::find()
        .filter(instructor::Column::Slug.eq(&candidate))
        .one(tx)
        .await?
        .is_some()
    {
        n += 1;
        candidate = format!("{base}-{n}");
    }
    Ok(candidate)
}
