//! Enrolment and progress: enrol, resume, finish lessons, pass quizzes,
//! finish courses. The same for members and guest learners: both are data
//! subjects.

use super::{Learner, Learning, LearningError};
use crate::entity::{course, enrolment, lesson, lesson_progress};
use crate::{StoreError, from_ms};
use chrono::{DateTime, Utc};
use lyceum_core::domain::learning::{
    CourseStatus, DEFAULT_PASS_PERCENT, LessonKind, QuizResult, grade,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// A learner's enrolment and their progress in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enrolment {
    /// Id.
    pub id: Uuid,
    /// The course.
    pub course_id: Uuid,
    /// When they enrolled.
    pub enrolled_at: DateTime<Utc>,
    /// Where to resume.
    pub last_lesson_id: Option<Uuid>,
    /// Last activity.
    pub last_active_at: DateTime<Utc>,
    /// When they finished the course.
    pub completed_at: Option<DateTime<Utc>>,
    /// Lessons finished.
    pub completed_lessons: Vec<Uuid>,
    /// Best quiz scores, in percent, by lesson.
    pub scores: HashMap<Uuid, u8>,
}

impl Enrolment {
    /// Whether a lesson is finished.
    pub fn has_completed(&self, lesson: Uuid) -> bool {
        self.completed_lessons.contains(&lesson)
    }
}

/// An enrolment with the course it is for, for "my learning".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MyCourse {
    /// The enrolment.
    pub enrolment: Enrolment,
    /// The course's short name.
    pub slug: String,
    /// The course title.
    pub title: String,
    /// Lessons in the course.
    pub lessons: u32,
}

/// What finishing a lesson changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LessonDone {
    /// The course is now finished (this lesson was the last one left).
    pub course_completed: bool,
    /// The next lesson, if any.
    pub next_lesson: Option<Uuid>,
}

/// A graded quiz with what to show the learner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuizOutcome {
    /// The grade.
    pub result: QuizResult,
    /// Per question: the right choice and why. Sent only after grading.
    pub feedback: Vec<QuestionFeedback>,
    /// What passing changed (when passed).
    pub done: Option<LessonDone>,
}

/// One graded question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuestionFeedback {
    /// The question.
    pub prompt: String,
    /// The choices.
    pub choices: Vec<String>,
    /// The learner's answer.
    pub given: Option<usize>,
    /// The right answer.
    pub answer: usize,
    /// Why.
    pub explanation: String,
}

impl Learning<'_> {
    /// Enrols a learner in a published course; enrolling twice returns the
    /// first enrolment.
    pub async fn enrol(
        &self,
        learner: &Learner,
        course_id: Uuid,
    ) -> Result<(Enrolment, bool), LearningError> {
        let course = course::Entity::find_by_id(course_id)
            .one(&self.store.writer)
            .await?
            .ok_or(LearningError::NotFound)?;
        if course.status != CourseStatus::Published.key() {
            return Err(LearningError::NotPublished);
        }
        if let Some(e) = self.enrolment(learner, course_id).await? {
            return Ok((e, false));
        }
        let now = self.store.now_ms();
        let id = Uuid::now_v7();
        let inserted = enrolment::Entity::insert(enrolment::ActiveModel {
            id: Set(id),
            course_id: Set(course_id),
            subject_id: Set(learner.primary.0),
            library_id: Set(learner.library.map(|l| l.0)),
            enrolled_at: Set(now),
            last_lesson_id: Set(None),
            last_active_at: Set(now),
            completed_at: Set(None),
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                enrolment::Column::SubjectId,
                enrolment::Column::CourseId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&self.store.writer)
        .await?;
        let e = self
            .enrolment(learner, course_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("enrolment vanished".into()))?;
        Ok((e, inserted > 0))
    }

    /// The learner's enrolment in a course (their own first, then a
    /// linked card's).
    pub async fn enrolment(
        &self,
        learner: &Learner,
        course_id: Uuid,
    ) -> Result<Option<Enrolment>, StoreError> {
        let m = enrolment::Entity::find()
            .filter(enrolment::Column::SubjectId.is_in(learner.subjects()))
            .order_by_asc(enrolment::Column::EnrolledAt)
            .filter(enrolment::Column::CourseId.eq(course_id))
            .one(&self.store.writer)
            .await?;
        match m {
            Some(m) => self.with_progress(m).await.map(Some),
            None => Ok(None),
        }
    }

    /// An enrolment by id, if it is the learner's.
    pub async fn enrolment_by_id(
        &self,
        learner: &Learner,
        id: Uuid,
    ) -> Result<Option<Enrolment>, StoreError> {
        let m = enrolment::Entity::find_by_id(id)
            .filter(enrolment::Column::SubjectId.is_in(learner.subjects()))
            .one(&self.store.writer)
            .await?;
        match m {
            Some(m) => self.with_progress(m).await.map(Some),
            None => Ok(None),
        }
    }

    async fn with_progress(&self, m: enrolment::Model) -> Result<Enrolment, StoreError> {
        let rows = lesson_progress::Entity::find()
            .filter(lesson_progress::Column::EnrolmentId.eq(m.id))
            .all(&self.store.writer)
            .await?;
        Ok(Enrolment {
            id: m.id,
            course_id: m.course_id,
            enrolled_at: from_ms(m.enrolled_at),
            last_lesson_id: m.last_lesson_id,
            last_active_at: from_ms(m.last_active_at),
            completed_at: m.completed_at.map(from_ms),
            completed_lessons: rows
                .iter()
                .filter(|r| r.completed_at.is_some())
                .map(|r| r.lesson_id)
                .collect(),
            scores: rows
                .iter()
                .filter_map(|r| Some((r.lesson_id, u8::try_from(r.score?).ok()?)))
                .collect(),
        })
    }

    /// The learner's courses, most recently active first.
    pub async fn my_courses(&self, learner: &Learner) -> Result<Vec<MyCourse>, StoreError> {
        let enrolments = enrolment::Entity::find()
            .filter(enrolment::Column::SubjectId.is_in(learner.subjects()))
            .order_by_desc(enrolment::Column::LastActiveAt)
            .all(&self.store.db)
            .await?;
        let mut out = Vec::with_capacity(enrolments.len());
        for m in enrolments {
            let Some(c) = course::Entity::find_by_id(m.course_id)
                .one(&self.store.db)
                .await?
            else {
                continue;
            };
            let lessons = lesson::Entity::find()
                .filter(lesson::Column::CourseId.eq(c.id))
                .count(&self.store.db)
                .await?;
            out.push(MyCourse {
                enrolment: self.with_progress(m).await?,
                slug: c.slug,
                title: c.title,
                lessons: u32::try_from(lessons).unwrap_or(u32::MAX),
            });
        }
        Ok(out)
    }

    /// Records that the learner opened a lesson (where to resume).
    pub async fn visit(&self, enrolment: &Enrolment, lesson_id: Uuid) -> Result<(), StoreError> {
        enrolment::Entity::update_many()
            .col_expr(
                enrolment::Column::LastLessonId,
                sea_orm::sea_query::Expr::value(lesson_id),
            )
            .col_expr(
                enrolment::Column::LastActiveAt,
                sea_orm::sea_query::Expr::value(self.store.now_ms()),
            )
            .filter(enrolment::Column::Id.eq(enrolment.id))
            .exec(&self.store.writer)
            .await?;
        Ok(())
    }

    /// Marks an article or video lesson finished.
    pub async fn complete_lesson(
        &self,
        learner: &Learner,
        enrolment_id: Uuid,
        lesson_id: Uuid,
    ) -> Result<LessonDone, LearningError> {
        let (e, l) = self.owned_lesson(learner, enrolment_id, lesson_id).await?;
        if l.kind == LessonKind::Quiz.key() {
            return Err(LearningError::QuizNeedsAnswers);
        }
        let tx = self.store.writer.begin().await?;
        let done = record(&tx, &e, &l, None, true, self.store.now_ms()).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Grades a quiz attempt; passing finishes the lesson. Answers are one
    /// per question, in order, `None` for a blank.
    pub async fn submit_quiz(
        &self,
        learner: &Learner,
        enrolment_id: Uuid,
        lesson_id: Uuid,
        answers: &[Option<usize>],
    ) -> Result<QuizOutcome, LearningError> {
        let (e, l) = self.owned_lesson(learner, enrolment_id, lesson_id).await?;
        if l.kind != LessonKind::Quiz.key() {
            return Err(LearningError::NotAQuiz);
        }
        let key = self.answer_key(l.id).await?;
        if answers.len() > key.len() {
            return Err(LearningError::BadAnswers(format!(
                "this quiz has {} questions, and {} answers were sent",
                key.len(),
                answers.len()
            )));
        }
        let pass = l
            .pass_percent
            .and_then(|p| u8::try_from(p).ok())
            .unwrap_or(DEFAULT_PASS_PERCENT);
        let result = grade(&key, answers, pass);
        let tx = self.store.writer.begin().await?;
        let done = record(
            &tx,
            &e,
            &l,
            Some(result.percent),
            result.passed,
            self.store.now_ms(),
        )
        .await?;
        tx.commit().await?;
        let feedback = key
            .into_iter()
            .enumerate()
            .map(|(i, q)| QuestionFeedback {
                given: answers.get(i).copied().flatten(),
                prompt: q.prompt,
                choices: q.choices,
                answer: q.answer,
                explanation: q.explanation,
            })
            .collect();
        Ok(QuizOutcome {
            done: result.passed.then_some(done),
            result,
            feedback,
        })
    }

    async fn owned_lesson(
        &self,
        learner: &Learner,
        enrolment_id: Uuid,
        lesson_id: Uuid,
    ) -> Result<(enrolment::Model, lesson::Model), LearningError> {
        let e = enrolment::Entity::find_by_id(enrolment_id)
            .filter(enrolment::Column::SubjectId.is_in(learner.subjects()))
            .one(&self.store.writer)
            .await?
            .ok_or(LearningError::NotEnrolled)?;
        let l = lesson::Entity::find_by_id(lesson_id)
            .filter(lesson::Column::CourseId.eq(e.course_id))
            .one(&self.store.writer)
            .await?
            .ok_or(LearningError::NotFound)?;
        Ok((e, l))
    }
}

/// Writes a lesson's progress and, when every lesson is done, the
/// course's completion, in the caller's transaction.
async fn record(
    tx: &DatabaseTransaction,
    e: &enrolment::Model,
    l: &lesson::Model,
    score: Option<u8>,
    completed: bool,
    now: i64,
) -> Result<LessonDone, StoreError> {
    let existing = lesson_progress::Entity::find_by_id((e.id, l.id))
        .one(tx)
        .await?;
    let attempts = i32::from(score.is_some());
    match existing {
        Some(p) => {
            let best = match (p.score, score) {
                (Some(a), Some(b)) => Some(a.max(i32::from(b))),
                (a, b) => a.or(b.map(i32::from)),
            };
            let was_completed = p.completed_at;
            let mut a: lesson_progress::ActiveModel = p.clone().into();
            a.score = Set(best);
            a.attempts = Set(p.attempts + attempts);
            a.completed_at = Set(was_completed.or(completed.then_some(now)));
            a.updated_at = Set(now);
            a.update(tx).await?;
        }
        None => {
            lesson_progress::ActiveModel {
                enrolment_id: Set(e.id),
                lesson_id: Set(l.id),
                subject_id: Set(e.subject_id),
                completed_at: Set(completed.then_some(now)),
                score: Set(score.map(i32::from)),
                attempts: Set(attempts),
                updated_at: Set(now),
            }
            .insert(tx)
            .await?;
        }
    }
    let lessons = lesson::Entity::find()
        .filter(lesson::Column::CourseId.eq(e.course_id))
        .order_by_asc(lesson::Column::Position)
        .all(tx)
        .await?;
    let done: std::collections::HashSet<Uuid> = lesson_progress::Entity::find()
        .filter(lesson_progress::Column::EnrolmentId.eq(e.id))
        .filter(lesson_progress::Column::CompletedAt.is_not_null())
        .all(tx)
        .await?
        .into_iter()
        .map(|p| p.lesson_id)
        .collect();
    let all_done = !lessons.is_empty() && lessons.iter().all(|x| done.contains(&x.id));
    let course_completed = all_done && e.completed_at.is_none();
    let mut a: enrolment::ActiveModel = e.clone().into();
    a.last_lesson_id = Set(Some(l.id));
    a.last_active_at = Set(now);
    if course_completed {
        a.completed_at = Set(Some(now));
    }
    a.update(tx).await?;
    let next_lesson = lessons
        .iter()
        .skip_while(|x| x.id != l.id)
        .nth(1)
        .map(|x| x.id);
    Ok(LessonDone {
        course_completed,
        next_lesson,
    })
}
