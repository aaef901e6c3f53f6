//! Questions and answers on a course: learners enrolled in it ask (about
//! the course or one lesson) and answer; the course's instructors and its
//! provider's staff answer too, marked as such. Peers see questions and
//! answers without names unless a member chose to show theirs; guests are
//! always unnamed. Learners mark what helped (once each), the asker or
//! the course's people accept an answer (the question is then answered),
//! and anyone may report. Three reports hide an item until course staff
//! look at it; staff remove or restore. Words are encrypted under the
//! writer's key, so erasing the writer makes them unreadable at once.

use super::{Learner, Learning, LearningError};
use crate::entity::{
    course, course_instructor, enrolment, instructor, lesson, provider_staff, qa_image, qa_post,
    qa_report, qa_vote,
};
use crate::network::{ImageFile, ImageSize, ImageView, NewPostImage};
use crate::{StoreError, from_ms};
use chrono::{DateTime, Utc};
use lyceum_core::domain::datamap::ERASED_AUTHOR;
use lyceum_core::domain::{MemberId, SubjectId};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The longest question title.
pub const MAX_QUESTION_TITLE: usize = 150;
/// The longest question or answer text.
pub const MAX_QA_BODY: usize = 5_000;
/// Reports from this many people hide a question or answer until course
/// staff look at it.
pub const HIDE_QA_AFTER_REPORTS: u64 = 3;

const TITLE_CTX: &str = "qa_posts.title";
const BODY_CTX: &str = "qa_posts.body";

/// Who is looking at (or writing in) a course's Q&A.
#[derive(Debug, Clone)]
pub struct QaViewer {
    /// The learner signed in.
    pub learner: Learner,
    /// The member, when it is one (guests have no name to show).
    pub member: Option<MemberId>,
}

/// A course person's part, shown beside what they write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QaRole {
    /// Credited as the course's instructor.
    Instructor,
    /// Staff of the course's provider.
    Staff,
}

impl QaRole {
    fn key(self) -> &'static str {
        match self {
            QaRole::Instructor => "instructor",
            QaRole::Staff => "staff",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "instructor" => Some(QaRole::Instructor),
            "staff" => Some(QaRole::Staff),
            _ => None,
        }
    }

    /// Words for the page.
    pub fn label(self) -> &'static str {
        match self {
            QaRole::Instructor => "Instructor",
            QaRole::Staff => "Course staff",
        }
    }
}

/// A question or an answer as the viewer sees it.
#[derive(Debug, Clone, Serialize)]
pub struct QaItem {
    /// Id.
    pub id: Uuid,
    /// The words.
    pub body: String,
    /// The writer's name, only when they chose to show it.
    pub name: Option<String>,
    /// The writer's part in the course, if any.
    pub role: Option<QaRole>,
    /// Written by the viewer.
    pub mine: bool,
    /// How many marked it helpful.
    pub helpful: u64,
    /// Whether the viewer did.
    pub marked: bool,
    /// Reports (shown to course staff only; 0 for others).
    pub reports: u64,
    /// Hidden by reports or removed (only course staff see such items).
    pub hidden: bool,
    /// A picture, if one was attached.
    pub image: Option<ImageView>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Its writer was erased after others answered: a tombstone with no
    /// words, kept so that the answers keep their place.
    pub erased: bool,
}

/// A question.
#[derive(Debug, Clone, Serialize)]
pub struct Question {
    /// The question itself.
    #[serde(flatten)]
    pub item: QaItem,
    /// Title.
    pub title: String,
    /// The lesson it is about: id and title.
    pub lesson: Option<(Uuid, String)>,
    /// Visible answers.
    pub answers: u64,
    /// An answer was accepted.
    pub answered: bool,
}

/// An answer.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    /// The answer itself.
    #[serde(flatten)]
    pub item: QaItem,
    /// Accepted by the asker or the course's people.
    pub accepted: bool,
}

/// What became of a question or answer taken away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QaGone {
    /// Its writer deleted it.
    Deleted {
        /// The question it answered (`None`: it was the question).
        question: Option<Uuid>,
        /// The course.
        course: Uuid,
    },
    /// Course staff removed it from view; the question stays readable to them.
    Removed {
        /// The question (itself, or the one it answered).
        question: Uuid,
    },
}

/// A question with its answers (accepted first, then most helpful).
#[derive(Debug, Clone, Serialize)]
pub struct Thread {
    /// The course.
    pub course_id: Uuid,
    /// The question.
    pub question: Question,
    /// The answers.
    pub answers: Vec<Answer>,
    /// Whether the viewer may accept an answer (the asker, or the course's people).
    pub can_accept: bool,
    /// Whether the viewer is the course's instructor or staff.
    pub is_course_staff: bool,
}

/// What someone writes in the Q&A.
#[derive(Debug, Clone)]
pub struct QaText<'a> {
    /// A question's title (ignored for answers).
    pub title: &'a str,
    /// The words.
    pub body: &'a str,
    /// A member shows their name.
    pub show_name: bool,
    /// A picture, prepared (metadata stripped), with its description.
    pub image: Option<NewPostImage>,
}

const ALT_CTX: &str = "qa_images.alt";
const LARGE_CTX: &str = "qa_images.large";
const SMALL_CTX: &str = "qa_images.small";

fn px(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn upx(n: i32) -> u32 {
    u32::try_from(Ord::max(n, 0)).unwrap_or(0)
}

fn invalid(field: &'static str, message: impl Into<String>) -> LearningError {
    LearningError::Invalid(field, message.into())
}

fn checked(
    field: &'static str,
    text: &str,
    max: usize,
    what: &str,
) -> Result<String, LearningError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(invalid(field, format!("Write the {what}.")));
    }
    if t.chars().count() > max {
        return Err(invalid(
            field,
            format!("The {what} has at most {max} characters."),
        ));
    }
    Ok(t.to_owned())
}

#[derive(Debug, FromQueryResult)]
struct Count {
    post_id: Uuid,
    n: i64,
}

impl Learning<'_> {
    /// The viewer's part in the course: instructor, staff or none.
    async fn course_role(
        &self,
        course: &course::Model,
        member: Option<MemberId>,
    ) -> Result<Option<QaRole>, StoreError> {
        let Some(m) = member else {
            return Ok(None);
        };
        let credits: Vec<Uuid> = course_instructor::Entity::find()
            .filter(course_instructor::Column::CourseId.eq(course.id))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|c| c.instructor_id)
            .collect();
        let teaches = instructor::Entity::find()
            .filter(instructor::Column::Id.is_in(credits))
            .filter(instructor::Column::MemberId.eq(m.0))
            .one(&self.store.db)
            .await?
            .is_some();
        if teaches {
            return Ok(Some(QaRole::Instructor));
        }
        let staff = provider_staff::Entity::find_by_id((course.provider_id, m.0))
            .one(&self.store.db)
            .await?
            .is_some();
        Ok(staff.then_some(QaRole::Staff))
    }

    async fn is_enrolled(&self, learner: &Learner, course_id: Uuid) -> Result<bool, StoreError> {
        Ok(enrolment::Entity::find()
            .filter(enrolment::Column::SubjectId.is_in(learner.subjects()))
            .filter(enrolment::Column::CourseId.eq(course_id))
            .one(&self.store.db)
            .await?
            .is_some())
    }

    async fn published(&self, course_id: Uuid) -> Result<course::Model, LearningError> {
        course::Entity::find_by_id(course_id)
            .one(&self.store.db)
            .await?
            .filter(|c| c.status == lyceum_core::domain::learning::CourseStatus::Published.key())
            .ok_or(LearningError::NotFound)
    }

    async fn write_post(
        &self,
        viewer: &QaViewer,
        course: &course::Model,
        role: Option<QaRole>,
        [lesson_id, question_id]: [Option<Uuid>; 2],
        text: QaText<'_>,
    ) -> Result<Uuid, LearningError> {
        if let Some(img) = &text.image
            && img.alt.trim().is_empty()
        {
            return Err(invalid(
                "image_alt",
                "Describe the picture in a few words, for people who cannot see it.",
            ));
        }
        let key = self.store.keyring.get(viewer.learner.primary).await?;
        let id = Uuid::now_v7();
        let now = self.store.now_ms();
        let tx = self.store.writer.begin().await?;
        qa_post::ActiveModel {
            id: Set(id),
            course_id: Set(course.id),
            lesson_id: Set(lesson_id),
            question_id: Set(question_id),
            author_id: Set(viewer.learner.primary.0),
            title_ciphertext: Set(key.encrypt(TITLE_CTX, text.title.as_bytes())),
            body_ciphertext: Set(key.encrypt(BODY_CTX, text.body.as_bytes())),
            shows_name: Set(text.show_name && viewer.member.is_some()),
            role: Set(role.map(|r| r.key().to_owned())),
            is_accepted: Set(false),
            created_at: Set(now),
            removed_at: Set(None),
        }
        .insert(&tx)
        .await?;
        if let Some(img) = text.image {
            qa_image::ActiveModel {
                id: Set(Uuid::now_v7()),
                post_id: Set(id),
                author_id: Set(viewer.learner.primary.0),
                position: Set(0),
                alt_ciphertext: Set(key.encrypt(ALT_CTX, img.alt.trim().as_bytes())),
                content_type: Set(img.content_type),
                width: Set(px(img.large.0)),
                height: Set(px(img.large.1)),
                large_ciphertext: Set(key.encrypt(LARGE_CTX, &img.large.2)),
                small_width: Set(px(img.small.0)),
                small_height: Set(px(img.small.1)),
                small_ciphertext: Set(key.encrypt(SMALL_CTX, &img.small.2)),
                created_at: Set(now),
            }
            .insert(&tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Asks a question about a course the learner is enrolled in (or
    /// teaches), optionally about one of its lessons.
    pub async fn ask(
        &self,
        viewer: &QaViewer,
        course_id: Uuid,
        lesson_id: Option<Uuid>,
        text: QaText<'_>,
    ) -> Result<Uuid, LearningError> {
        let course = self.published(course_id).await?;
        let role = self.course_role(&course, viewer.member).await?;
        if role.is_none() && !self.is_enrolled(&viewer.learner, course_id).await? {
            return Err(LearningError::NotEnrolled);
        }
        if let Some(l) = lesson_id {
            lesson::Entity::find_by_id(l)
                .one(&self.store.db)
                .await?
                .filter(|l| l.course_id == course_id)
                .ok_or_else(|| invalid("lesson", "That lesson is not part of this course."))?;
        }
        let title = checked("title", text.title, MAX_QUESTION_TITLE, "question")?;
        let body = if text.body.trim().is_empty() {
            String::new()
        } else {
            checked("body", text.body, MAX_QA_BODY, "details")?
        };
        self.write_post(
            viewer,
            &course,
            role,
            [lesson_id, None],
            QaText {
                title: &title,
                body: &body,
                show_name: text.show_name,
                image: text.image,
            },
        )
        .await
    }

    async fn question_row(&self, id: Uuid) -> Result<qa_post::Model, LearningError> {
        qa_post::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .filter(|q| q.question_id.is_none())
            .ok_or(LearningError::NotFound)
    }

    /// Answers a question of a course the learner is enrolled in (or
    /// teaches, or whose provider they work for).
    pub async fn answer(
        &self,
        viewer: &QaViewer,
        question_id: Uuid,
        text: QaText<'_>,
    ) -> Result<Uuid, LearningError> {
        let q = self.question_row(question_id).await?;
        let course = self.published(q.course_id).await?;
        let role = self.course_role(&course, viewer.member).await?;
        if role.is_none() && !self.is_enrolled(&viewer.learner, course.id).await? {
            return Err(LearningError::NotEnrolled);
        }
        if q.removed_at.is_some() || q.author_id == ERASED_AUTHOR {
            return Err(LearningError::NotFound);
        }
        let body = checked("body", text.body, MAX_QA_BODY, "answer")?;
        self.write_post(
            viewer,
            &course,
            role,
            [None, Some(q.id)],
            QaText {
                title: "",
                body: &body,
                show_name: text.show_name,
                image: text.image,
            },
        )
        .await
    }

    async fn counts(&self, ids: &[Uuid], table: &str) -> Result<HashMap<Uuid, u64>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<Count> = if table == "votes" {
            qa_vote::Entity::find()
                .select_only()
                .column(qa_vote::Column::PostId)
                .column_as(Expr::col(qa_vote::Column::SubjectId).count(), "n")
                .filter(qa_vote::Column::PostId.is_in(ids.to_vec()))
                .group_by(qa_vote::Column::PostId)
                .into_model::<Count>()
                .all(&self.store.db)
                .await?
        } else {
            qa_report::Entity::find()
                .select_only()
                .column(qa_report::Column::PostId)
                .column_as(Expr::col(qa_report::Column::SubjectId).count(), "n")
                .filter(qa_report::Column::PostId.is_in(ids.to_vec()))
                .group_by(qa_report::Column::PostId)
                .into_model::<Count>()
                .all(&self.store.db)
                .await?
        };
        Ok(rows
            .into_iter()
            .map(|r| (r.post_id, u64::try_from(r.n).unwrap_or(0)))
            .collect())
    }

    /// Turns rows into items for the viewer, leaving out what they may not
    /// see: hidden or removed items (except for course staff) and the
    /// words of people since erased.
    async fn items(
        &self,
        rows: Vec<qa_post::Model>,
        viewer: &QaViewer,
        staff: bool,
    ) -> Result<Vec<(qa_post::Model, QaItem, String)>, StoreError> {
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let helpful = self.counts(&ids, "votes").await?;
        let reports = self.counts(&ids, "reports").await?;
        let subjects = viewer.learner.subjects();
        let marked: HashSet<Uuid> = qa_vote::Entity::find()
            .filter(qa_vote::Column::PostId.is_in(ids.clone()))
            .filter(qa_vote::Column::SubjectId.is_in(subjects.clone()))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|v| v.post_id)
            .collect();
        let mut images: HashMap<Uuid, qa_image::Model> = HashMap::new();
        type ImageRow = (Uuid, Uuid, Vec<u8>, i32, i32, i32, i32);
        for (id, post_id, alt, width, height, small_width, small_height) in qa_image::Entity::find()
            .select_only()
            .columns([qa_image::Column::Id, qa_image::Column::PostId])
            .column(qa_image::Column::AltCiphertext)
            .columns([
                qa_image::Column::Width,
                qa_image::Column::Height,
                qa_image::Column::SmallWidth,
                qa_image::Column::SmallHeight,
            ])
            .filter(qa_image::Column::PostId.is_in(ids.clone()))
            .into_tuple::<ImageRow>()
            .all(&self.store.db)
            .await?
        {
            images.insert(
                post_id,
                qa_image::Model {
                    id,
                    post_id,
                    author_id: Uuid::nil(),
                    position: 0,
                    alt_ciphertext: alt,
                    content_type: String::new(),
                    width,
                    height,
                    large_ciphertext: Vec::new(),
                    small_width,
                    small_height,
                    small_ciphertext: Vec::new(),
                    created_at: 0,
                },
            );
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let reported = reports.get(&r.id).copied().unwrap_or(0);
            let mine = subjects.contains(&r.author_id);
            let hidden = r.removed_at.is_some() || reported >= HIDE_QA_AFTER_REPORTS;
            if hidden && !staff && !(mine && r.removed_at.is_none()) {
                continue;
            }
            if r.author_id == ERASED_AUTHOR {
                let item = QaItem {
                    image: None,
                    id: r.id,
                    body: String::new(),
                    name: None,
                    role: None,
                    mine: false,
                    helpful: helpful.get(&r.id).copied().unwrap_or(0),
                    marked: marked.contains(&r.id),
                    reports: if staff { reported } else { 0 },
                    hidden,
                    created_at: from_ms(r.created_at),
                    erased: true,
                };
                out.push((r, item, String::new()));
                continue;
            }
            let key = match self.store.keyring.get(SubjectId(r.author_id)).await {
                Ok(k) => k,
                Err(StoreError::KeyDestroyed) => continue,
                Err(e) => return Err(e),
            };
            let corrupt = |e| StoreError::Corrupt(format!("question or answer: {e}"));
            let title = key
                .decrypt_string(TITLE_CTX, &r.title_ciphertext)
                .map_err(corrupt)?;
            let body = key
                .decrypt_string(BODY_CTX, &r.body_ciphertext)
                .map_err(corrupt)?;
            let name = if r.shows_name {
                match self.store.accounts().get(MemberId(r.author_id)).await {
                    Ok(m) => m.map(|m| m.display_name.as_str().to_owned()),
                    Err(StoreError::KeyDestroyed) => None,
                    Err(e) => return Err(e),
                }
            } else {
                None
            };
            let image = match images.get(&r.id) {
                Some(i) => Some(ImageView {
                    id: i.id,
                    alt: key
                        .decrypt_string(ALT_CTX, &i.alt_ciphertext)
                        .map_err(corrupt)?,
                    width: upx(i.width),
                    height: upx(i.height),
                    small_width: upx(i.small_width),
                    small_height: upx(i.small_height),
                }),
                None => None,
            };
            let item = QaItem {
                image,
                id: r.id,
                body,
                name,
                role: r.role.as_deref().and_then(QaRole::parse),
                mine,
                helpful: helpful.get(&r.id).copied().unwrap_or(0),
                marked: marked.contains(&r.id),
                reports: if staff { reported } else { 0 },
                hidden,
                created_at: from_ms(r.created_at),
                erased: false,
            };
            out.push((r, item, title));
        }
        Ok(out)
    }

    /// Whether the viewer is the course's instructor or its provider's staff.
    pub async fn is_course_staff(
        &self,
        course_id: Uuid,
        member: Option<MemberId>,
    ) -> Result<bool, LearningError> {
        let course = self.published(course_id).await?;
        Ok(self.course_role(&course, member).await?.is_some())
    }

    /// A course's questions (or one lesson's), unanswered first, then
    /// newest.
    pub async fn questions(
        &self,
        course_id: Uuid,
        lesson_id: Option<Uuid>,
        viewer: &QaViewer,
    ) -> Result<Vec<Question>, LearningError> {
        let course = self.published(course_id).await?;
        let staff = self.course_role(&course, viewer.member).await?.is_some();
        let mut find = qa_post::Entity::find()
            .filter(qa_post::Column::CourseId.eq(course_id))
            .filter(qa_post::Column::QuestionId.is_null());
        if let Some(l) = lesson_id {
            find = find.filter(qa_post::Column::LessonId.eq(l));
        }
        let rows = find
            .order_by_desc(qa_post::Column::Id)
            .limit(500)
            .all(&self.store.db)
            .await?;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        // Visible answers per question, and whether one is accepted.
        let answers = qa_post::Entity::find()
            .filter(qa_post::Column::QuestionId.is_in(ids))
            .filter(qa_post::Column::RemovedAt.is_null())
            .all(&self.store.db)
            .await?;
        let lessons: HashMap<Uuid, String> = lesson::Entity::find()
            .filter(lesson::Column::CourseId.eq(course_id))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|l| (l.id, l.title))
            .collect();
        let mut out: Vec<Question> = self
            .items(rows, viewer, staff)
            .await?
            .into_iter()
            .map(|(r, item, title)| {
                let mine: Vec<&qa_post::Model> = answers
                    .iter()
                    .filter(|a| a.question_id == Some(r.id))
                    .collect();
                Question {
                    title,
                    lesson: r
                        .lesson_id
                        .and_then(|l| lessons.get(&l).map(|t| (l, t.clone()))),
                    answers: mine.len() as u64,
                    answered: mine.iter().any(|a| a.is_accepted),
                    item,
                }
            })
            .collect();
        out.sort_by_key(|q| q.answered);
        Ok(out)
    }

    /// A question with its answers, for a signed-in learner.
    pub async fn thread(
        &self,
        question_id: Uuid,
        viewer: &QaViewer,
    ) -> Result<Thread, LearningError> {
        let q = self.question_row(question_id).await?;
        let course = self.published(q.course_id).await?;
        let staff = self.course_role(&course, viewer.member).await?.is_some();
        let lesson_title = match q.lesson_id {
            Some(l) => lesson::Entity::find_by_id(l)
                .one(&self.store.db)
                .await?
                .map(|m| (l, m.title)),
            None => None,
        };
        let asker = viewer.learner.subjects().contains(&q.author_id);
        let rows = qa_post::Entity::find()
            .filter(qa_post::Column::QuestionId.eq(q.id))
            .order_by_asc(qa_post::Column::Id)
            .all(&self.store.db)
            .await?;
        let mut answers: Vec<Answer> = self
            .items(rows, viewer, staff)
            .await?
            .into_iter()
            .map(|(r, item, _)| Answer {
                accepted: r.is_accepted,
                item,
            })
            .collect();
        answers.sort_by(|a, b| {
            b.accepted
                .cmp(&a.accepted)
                .then(b.item.helpful.cmp(&a.item.helpful))
                .then(a.item.id.cmp(&b.item.id))
        });
        let answered = answers.iter().any(|a| a.accepted && !a.item.hidden);
        let visible = answers.iter().filter(|a| !a.item.hidden).count() as u64;
        let (_, item, title) = self
            .items(vec![q], viewer, staff)
            .await?
            .into_iter()
            .next()
            .ok_or(LearningError::NotFound)?;
        Ok(Thread {
            course_id: course.id,
            question: Question {
                item,
                title,
                lesson: lesson_title,
                answers: visible,
                answered,
            },
            answers,
            can_accept: asker || staff,
            is_course_staff: staff,
        })
    }

    async fn post_row(&self, id: Uuid) -> Result<qa_post::Model, LearningError> {
        qa_post::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or(LearningError::NotFound)
    }

    /// Marks (or unmarks) a question or answer as helpful, once per
    /// learner; not one's own.
    pub async fn mark_helpful(
        &self,
        viewer: &QaViewer,
        post_id: Uuid,
        on: bool,
    ) -> Result<(), LearningError> {
        let p = self.post_row(post_id).await?;
        let course = self.published(p.course_id).await?;
        if viewer.learner.subjects().contains(&p.author_id) {
            return Err(LearningError::Workflow(
                "You cannot mark what you wrote as helpful.".into(),
            ));
        }
        let role = self.course_role(&course, viewer.member).await?;
        if role.is_none() && !self.is_enrolled(&viewer.learner, course.id).await? {
            return Err(LearningError::NotEnrolled);
        }
        if on {
            qa_vote::Entity::insert(qa_vote::ActiveModel {
                post_id: Set(post_id),
                subject_id: Set(viewer.learner.primary.0),
                created_at: Set(self.store.now_ms()),
            })
            .on_conflict(
                OnConflict::columns([qa_vote::Column::PostId, qa_vote::Column::SubjectId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.store.writer)
            .await?;
        } else {
            qa_vote::Entity::delete_many()
                .filter(qa_vote::Column::PostId.eq(post_id))
                .filter(qa_vote::Column::SubjectId.is_in(viewer.learner.subjects()))
                .exec(&self.store.writer)
                .await?;
        }
        Ok(())
    }

    /// Accepts an answer (the asker or the course's people), or takes the
    /// acceptance back. One answer per question is accepted.
    pub async fn accept_answer(
        &self,
        viewer: &QaViewer,
        answer_id: Uuid,
        accepted: bool,
    ) -> Result<Uuid, LearningError> {
        let a = self.post_row(answer_id).await?;
        let question_id = a.question_id.ok_or(LearningError::NotFound)?;
        let q = self.question_row(question_id).await?;
        let course = self.published(q.course_id).await?;
        let staff = self.course_role(&course, viewer.member).await?.is_some();
        if !staff && !viewer.learner.subjects().contains(&q.author_id) {
            return Err(LearningError::Forbidden(
                "Only the person who asked, or the course's instructor, accepts an answer.".into(),
            ));
        }
        let tx = self.store.writer.begin().await?;
        qa_post::Entity::update_many()
            .col_expr(qa_post::Column::IsAccepted, Expr::value(false))
            .filter(qa_post::Column::QuestionId.eq(question_id))
            .exec(&tx)
            .await?;
        if accepted {
            qa_post::Entity::update_many()
                .col_expr(qa_post::Column::IsAccepted, Expr::value(true))
                .filter(qa_post::Column::Id.eq(answer_id))
                .exec(&tx)
                .await?;
        }
        tx.commit().await?;
        Ok(question_id)
    }

    /// Reports a question or answer, once per learner. Returns whether it
    /// is now hidden.
    pub async fn report_qa(&self, viewer: &QaViewer, post_id: Uuid) -> Result<bool, LearningError> {
        let p = self.post_row(post_id).await?;
        self.published(p.course_id).await?;
        if viewer.learner.subjects().contains(&p.author_id) {
            return Err(LearningError::Workflow(
                "You cannot report what you wrote; delete it instead.".into(),
            ));
        }
        qa_report::Entity::insert(qa_report::ActiveModel {
            post_id: Set(post_id),
            subject_id: Set(viewer.learner.primary.0),
            created_at: Set(self.store.now_ms()),
        })
        .on_conflict(
            OnConflict::columns([qa_report::Column::PostId, qa_report::Column::SubjectId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&self.store.writer)
        .await?;
        let n = self.counts(&[post_id], "reports").await?;
        Ok(n.get(&post_id).copied().unwrap_or(0) >= HIDE_QA_AFTER_REPORTS)
    }

    /// Deletes what the viewer wrote (a question goes with its answers),
    /// or, for course staff, removes it from view.
    pub async fn delete_qa(
        &self,
        viewer: &QaViewer,
        post_id: Uuid,
    ) -> Result<QaGone, LearningError> {
        let p = self.post_row(post_id).await?;
        let course = self.published(p.course_id).await?;
        if viewer.learner.subjects().contains(&p.author_id) {
            qa_post::Entity::delete_by_id(post_id)
                .exec(&self.store.writer)
                .await?;
            return Ok(QaGone::Deleted {
                question: p.question_id,
                course: course.id,
            });
        }
        if self.course_role(&course, viewer.member).await?.is_none() {
            return Err(LearningError::Forbidden(
                "Only the writer or the course's staff can remove this.".into(),
            ));
        }
        qa_post::Entity::update_many()
            .col_expr(qa_post::Column::RemovedAt, Expr::value(self.store.now_ms()))
            .filter(qa_post::Column::Id.eq(post_id))
            .exec(&self.store.writer)
            .await?;
        Ok(QaGone::Removed {
            question: p.question_id.unwrap_or(post_id),
        })
    }

    /// Course staff put back a reported or removed item: its reports are
    /// cleared.
    pub async fn restore_qa(&self, viewer: &QaViewer, post_id: Uuid) -> Result<(), LearningError> {
        let p = self.post_row(post_id).await?;
        let course = self.published(p.course_id).await?;
        if self.course_role(&course, viewer.member).await?.is_none() {
            return Err(LearningError::Forbidden(
                "Only the course's staff can restore this.".into(),
            ));
        }
        let tx = self.store.writer.begin().await?;
        qa_report::Entity::delete_many()
            .filter(qa_report::Column::PostId.eq(post_id))
            .exec(&tx)
            .await?;
        qa_post::Entity::update_many()
            .col_expr(qa_post::Column::RemovedAt, Expr::value(Option::<i64>::None))
            .filter(qa_post::Column::Id.eq(post_id))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Learning<'_> {
    /// A picture of a question or answer, for a signed-in learner who may
    /// read it (not found for anyone else).
    pub async fn qa_image(
        &self,
        viewer: &QaViewer,
        id: Uuid,
        size: ImageSize,
    ) -> Result<ImageFile, LearningError> {
        let img = qa_image::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or(LearningError::NotFound)?;
        let post = self.post_row(img.post_id).await?;
        let course = self.published(post.course_id).await?;
        let staff = self.course_role(&course, viewer.member).await?.is_some();
        if self.items(vec![post], viewer, staff).await?.is_empty() {
            return Err(LearningError::NotFound);
        }
        let key = match self.store.keyring.get(SubjectId(img.author_id)).await {
            Ok(k) => k,
            Err(StoreError::KeyDestroyed) => return Err(LearningError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let (ctx, sealed) = match size {
            ImageSize::Large => (LARGE_CTX, &img.large_ciphertext),
            ImageSize::Small => (SMALL_CTX, &img.small_ciphertext),
        };
        let bytes = key
            .decrypt(ctx, sealed)
            .map_err(|e| StoreError::Corrupt(format!("{ctx}: {e}")))?;
        Ok(ImageFile {
            content_type: img.content_type,
            bytes,
            public: false,
            created_at: from_ms(img.created_at),
        })
    }
}
