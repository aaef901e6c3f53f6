//! Course reviews: a rating from 1 to 5 and a few words, by learners
//! enrolled in the course, one per learner (a second review replaces the
//! first). The words are encrypted under the reviewer's key; reviews are
//! shown without names. A review three learners reported is hidden until
//! a moderator looks at it.

use super::{Learner, Learning, LearningError};
use crate::entity::{course_review, enrolment, review_report};
use crate::{StoreError, from_ms};
use chrono::{DateTime, Utc};
use lyceum_core::domain::SubjectId;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::Serialize;
use uuid::Uuid;

/// Reports from this many learners hide a review.
pub const HIDE_AFTER_REPORTS: i32 = 3;
/// The longest review text.
pub const MAX_REVIEW_CHARS: usize = 2_000;

/// The most reviews a course shows.
pub const REVIEWS_SHOWN: usize = 50;

const BODY_CTX: &str = "course_reviews.body";

/// A course's ratings and the reviews it shows, each with its writer.
#[derive(Debug)]
pub struct CourseReviews {
    ratings: Ratings,
    shown: Vec<(Review, Uuid)>,
}

/// A cached entry: the reviews generation it was read at, when, and what.
type CachedReviews = (i64, std::time::Instant, std::sync::Arc<CourseReviews>);

/// Courses' reviews as last read, while the reviews' cache generation
/// (see [`crate::generations`]) is unchanged and for at most
/// [`ReviewCache::TTL`].
///
/// Every review write, report and erasure bumps the generation: this node
/// empties the cache at once (a learner sees their own review straight
/// away, and decrypted words do not outlive their writer's key in memory),
/// other nodes within a second.
#[derive(Debug, Default, Clone)]
pub struct ReviewCache {
    inner: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<Uuid, CachedReviews>>>,
}

impl ReviewCache {
    /// The longest an entry is trusted, whatever the generation says.
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(300);
    const MAX: usize = 10_000;

    fn get(&self, course: Uuid, generation: i64) -> Option<std::sync::Arc<CourseReviews>> {
        let map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&course)
            .filter(|(g, at, _)| *g == generation && at.elapsed() < Self::TTL)
            .map(|(_, _, r)| r.clone())
    }

    fn put(&self, course: Uuid, generation: i64, reviews: std::sync::Arc<CourseReviews>) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= Self::MAX {
            map.clear();
        }
        map.insert(course, (generation, std::time::Instant::now(), reviews));
    }

    /// Forgets everything.
    fn clear(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// A review as others see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    /// Id.
    pub id: Uuid,
    /// 1 to 5.
    pub rating: u8,
    /// The words (may be empty).
    pub body: String,
    /// When it was last written.
    pub updated_at: DateTime<Utc>,
    /// Written by the viewer.
    pub mine: bool,
}

/// A course's ratings.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Ratings {
    /// Reviews counted.
    pub count: u64,
    /// The mean rating, to one decimal place; `None` without reviews.
    pub average: Option<f32>,
    /// How many gave 1, 2, 3, 4 and 5 stars.
    pub stars: [u64; 5],
}

impl crate::Store {
    /// Records a change to reviews (a write, a report, a decision or an
    /// erasure): this node forgets its cached reviews now, other nodes at
    /// their next look at the generation.
    pub(crate) async fn reviews_changed(&self) -> Result<(), StoreError> {
        self.reviews.clear();
        self.bump(crate::generations::Generation::Reviews).await
    }
}

impl Learning<'_> {
    /// Writes (or rewrites) the learner's review of a course they are
    /// enrolled in.
    pub async fn review(
        &self,
        learner: &Learner,
        course_id: Uuid,
        rating: u8,
        body: &str,
    ) -> Result<Uuid, LearningError> {
        if !(1..=5).contains(&rating) {
            return Err(LearningError::BadAnswers(
                "Give the course from 1 to 5 stars.".into(),
            ));
        }
        let body = body.trim();
        if body.chars().count() > MAX_REVIEW_CHARS {
            return Err(LearningError::BadAnswers(format!(
                "A review has at most {MAX_REVIEW_CHARS} characters."
            )));
        }
        let enrolled = enrolment::Entity::find()
            .filter(enrolment::Column::SubjectId.is_in(learner.subjects()))
            .filter(enrolment::Column::CourseId.eq(course_id))
            .one(&self.store.db)
            .await?
            .is_some();
        if !enrolled {
            return Err(LearningError::NotEnrolled);
        }
        let key = self.store.keyring.get(learner.primary).await?;
        let ciphertext = key.encrypt(BODY_CTX, body.as_bytes());
        let now = self.store.now_ms();
        let tx = self.store.writer.begin().await?;
        let existing = course_review::Entity::find()
            .filter(course_review::Column::CourseId.eq(course_id))
            .filter(course_review::Column::SubjectId.eq(learner.primary.0))
            .one(&tx)
            .await?;
        let id = match existing {
            Some(m) => {
                let id = m.id;
                let mut a: course_review::ActiveModel = m.into();
                a.rating = Set(i32::from(rating));
                a.body_ciphertext = Set(ciphertext);
                a.updated_at = Set(now);
                a.update(&tx).await?;
                id
            }
            None => {
                let id = Uuid::now_v7();
                course_review::ActiveModel {
                    id: Set(id),
                    course_id: Set(course_id),
                    subject_id: Set(learner.primary.0),
                    rating: Set(i32::from(rating)),
                    body_ciphertext: Set(ciphertext),
                    created_at: Set(now),
                    updated_at: Set(now),
                    reports: Set(0),
                }
                .insert(&tx)
                .await?;
                id
            }
        };
        tx.commit().await?;
        self.store.reviews_changed().await?;
        Ok(id)
    }

    /// Deletes the learner's review of a course, if any.
    pub async fn delete_review(
        &self,
        learner: &Learner,
        course_id: Uuid,
    ) -> Result<bool, StoreError> {
        let res = course_review::Entity::delete_many()
            .filter(course_review::Column::CourseId.eq(course_id))
            .filter(course_review::Column::SubjectId.is_in(learner.subjects()))
            .exec(&self.store.writer)
            .await?;
        self.store.reviews_changed().await?;
        Ok(res.rows_affected > 0)
    }

    /// A course's ratings and its visible reviews, newest first. Reviews
    /// whose writer was erased (their key is gone) or that were reported
    /// by enough learners are left out. At most `limit` reviews, and never
    /// more than [`REVIEWS_SHOWN`].
    ///
    /// Read through [`ReviewCache`]: a course page is read far more often
    /// than its reviews change.
    pub async fn reviews(
        &self,
        course_id: Uuid,
        viewer: Option<&Learner>,
        limit: usize,
    ) -> Result<(Ratings, Vec<Review>), StoreError> {
        let generation = self
            .store
            .generation(crate::generations::Generation::Reviews)
            .await?;
        let all = match self.store.reviews.get(course_id, generation) {
            Some(r) => r,
            None => {
                let r = std::sync::Arc::new(self.read_reviews(course_id).await?);
                self.store.reviews.put(course_id, generation, r.clone());
                r
            }
        };
        let mine: Vec<Uuid> = viewer.map(Learner::subjects).unwrap_or_default();
        let shown = all
            .shown
            .iter()
            .take(limit)
            .map(|(r, subject)| Review {
                mine: mine.contains(subject),
                ..r.clone()
            })
            .collect();
        Ok((all.ratings.clone(), shown))
    }

    async fn read_reviews(&self, course_id: Uuid) -> Result<CourseReviews, StoreError> {
        let rows = course_review::Entity::find()
            .filter(course_review::Column::CourseId.eq(course_id))
            .filter(course_review::Column::Reports.lt(HIDE_AFTER_REPORTS))
            .order_by_desc(course_review::Column::UpdatedAt)
            .all(&self.store.db)
            .await?;
        let mut ratings = Ratings::default();
        let mut total = 0u64;
        let mut shown = Vec::new();
        for r in rows {
            let key = match self.store.keyring.get(SubjectId(r.subject_id)).await {
                Ok(k) => k,
                Err(StoreError::KeyDestroyed) => continue,
                Err(e) => return Err(e),
            };
            let rating = u8::try_from(r.rating.clamp(1, 5)).unwrap_or(1);
            ratings.count += 1;
            ratings.stars[usize::from(rating - 1)] += 1;
            total += u64::from(rating);
            if shown.len() < REVIEWS_SHOWN {
                shown.push((
                    Review {
                        id: r.id,
                        rating,
                        body: key
                            .decrypt_string(BODY_CTX, &r.body_ciphertext)
                            .map_err(|e| StoreError::Corrupt(format!("review: {e}")))?,
                        updated_at: from_ms(r.updated_at),
                        mine: false,
                    },
                    r.subject_id,
                ));
            }
        }
        if ratings.count > 0 {
            let mean = total as f64 / ratings.count as f64;
            ratings.average = Some(((mean * 10.0).round() / 10.0) as f32);
        }
        Ok(CourseReviews { ratings, shown })
    }

    /// Records a learner's report of a review (once per learner). Returns
    /// whether the review is now hidden.
    pub async fn report_review(
        &self,
        learner: &Learner,
        review_id: Uuid,
    ) -> Result<bool, LearningError> {
        let review = course_review::Entity::find_by_id(review_id)
            .one(&self.store.writer)
            .await?
            .ok_or(LearningError::NotFound)?;
        if learner.subjects().contains(&review.subject_id) {
            return Err(LearningError::Workflow(
                "You cannot report your own review; edit or delete it instead.".into(),
            ));
        }
        let tx = self.store.writer.begin().await?;
        let inserted = review_report::Entity::insert(review_report::ActiveModel {
            review_id: Set(review_id),
            subject_id: Set(learner.primary.0),
            at: Set(self.store.now_ms()),
        })
        .on_conflict(
            OnConflict::columns([
                review_report::Column::ReviewId,
                review_report::Column::SubjectId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&tx)
        .await?;
        if inserted > 0 {
            course_review::Entity::update_many()
                .col_expr(
                    course_review::Column::Reports,
                    Expr::col(course_review::Column::Reports).add(1),
                )
                .filter(course_review::Column::Id.eq(review_id))
                .exec(&tx)
                .await?;
        }
        tx.commit().await?;
        self.store.reviews_changed().await?;
        Ok(review.reports + i32::try_from(inserted).unwrap_or(0) >= HIDE_AFTER_REPORTS)
    }
}

impl Learning<'_> {
    /// Reviews of a course hidden by reports, for its instructors and its
    /// provider's staff to look at, most reported first.
    pub async fn reported_reviews(
        &self,
        course_id: Uuid,
        member: Option<lyceum_core::domain::MemberId>,
    ) -> Result<Vec<(Review, i32)>, LearningError> {
        if !self.is_course_staff(course_id, member).await? {
            return Err(LearningError::Forbidden(
                "Only the course's instructors and its provider's staff look at reported reviews."
                    .into(),
            ));
        }
        let rows = course_review::Entity::find()
            .filter(course_review::Column::CourseId.eq(course_id))
            .filter(course_review::Column::Reports.gte(HIDE_AFTER_REPORTS))
            .order_by_desc(course_review::Column::Reports)
            .all(&self.store.db)
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let key = match self.store.keyring.get(SubjectId(r.subject_id)).await {
                Ok(k) => k,
                Err(StoreError::KeyDestroyed) => continue,
                Err(e) => return Err(e.into()),
            };
            out.push((
                Review {
                    id: r.id,
                    rating: u8::try_from(r.rating.clamp(1, 5)).unwrap_or(1),
                    body: key
                        .decrypt_string(BODY_CTX, &r.body_ciphertext)
                        .map_err(|e| StoreError::Corrupt(format!("review: {e}")))?,
                    updated_at: from_ms(r.updated_at),
                    mine: false,
                },
                r.reports,
            ));
        }
        Ok(out)
    }

    /// The course's people decide on a reported review: keep it (its
    /// reports are cleared and it shows again) or remove it (deleted).
    /// Returns the course.
    pub async fn decide_review(
        &self,
        review_id: Uuid,
        member: Option<lyceum_core::domain::MemberId>,
        keep: bool,
    ) -> Result<Uuid, LearningError> {
        let review = course_review::Entity::find_by_id(review_id)
            .one(&self.store.writer)
            .await?
            .ok_or(LearningError::NotFound)?;
        if !self.is_course_staff(review.course_id, member).await? {
            return Err(LearningError::Forbidden(
                "Only the course's instructors and its provider's staff decide on reviews.".into(),
            ));
        }
        let tx = self.store.writer.begin().await?;
        if keep {
            review_report::Entity::delete_many()
                .filter(review_report::Column::ReviewId.eq(review_id))
                .exec(&tx)
                .await?;
            course_review::Entity::update_many()
                .col_expr(course_review::Column::Reports, Expr::value(0))
                .filter(course_review::Column::Id.eq(review_id))
                .exec(&tx)
                .await?;
        } else {
            course_review::Entity::delete_by_id(review_id)
                .exec(&tx)
                .await?;
        }
        tx.commit().await?;
        self.store.reviews_changed().await?;
        Ok(review.course_id)
    }
}
