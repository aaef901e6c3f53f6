//! Course suggestions. Personal ones only for a learner who gave the
//! "personalised recommendations" consent (and has not paused
//! processing), computed from learning signals alone: the courses they
//! took, the skills of the courses they finished, and which courses other
//! learners took together. Never from the network, messages or anything
//! else. Every suggestion carries its reason. Without the consent, the
//! same call answers with the library's new and popular courses, and
//! reads nothing of the learner's.
//!
//! "Learners who took X also took Y" counts other learners' enrolments in
//! aggregate only: a pair is used when at least [`MIN_SHARED_LEARNERS`]
//! learners took both, so a suggestion never points at one person's
//! choices; members who paused processing are left out.

use super::{CourseCard, Learner, Learning};
use crate::StoreError;
use crate::entity::{course, course_skill, enrolment};
use crate::network::statement;
use lyceum_core::domain::consent::Purpose;
use lyceum_core::domain::learning::CourseStatus;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Fewest learners a "took both" pair must have before it is used.
pub const MIN_SHARED_LEARNERS: i64 = 5;

/// How many of the learner's own courses seed the co-enrolment signal.
const SEEDS: u64 = 20;

/// A course a reason points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CourseRef {
    /// Short name.
    pub slug: String,
    /// Title.
    pub title: String,
}

/// Why a course is suggested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Learners who took `course` (one of yours) also took this one.
    AlsoTook {
        /// Your course.
        course: CourseRef,
    },
    /// It teaches skills of a course you finished.
    Finished {
        /// The course you finished.
        course: CourseRef,
        /// The skills both teach.
        skills: Vec<String>,
    },
    /// New in the catalog this week.
    New,
    /// Many learners take it.
    Popular,
}

impl Reason {
    /// The reason in words, as the page shows it.
    pub fn text(&self) -> String {
        match self {
            Reason::AlsoTook { course } => {
                format!("Learners who took “{}” also took this.", course.title)
            }
            Reason::Finished { course, skills } => format!(
                "Because you finished “{}” ({}).",
                course.title,
                skills.join(", ")
            ),
            Reason::New => "New this week.".into(),
            Reason::Popular => "Popular with learners.".into(),
        }
    }
}

/// A suggested course with its reason.
#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    /// The course.
    pub card: CourseCard,
    /// Why.
    pub reason: Reason,
}

/// Suggestions, and whether they are personal.
#[derive(Debug, Clone, Serialize)]
pub struct Recommendations {
    /// Whether the learner's own learning was used (their consent is on).
    pub personalised: bool,
    /// The courses, best first.
    pub items: Vec<Recommendation>,
}

impl Learning<'_> {
    /// Suggestions for the learner (or for anyone, when `None`), from the
    /// providers in `allowed` (all when `None`).
    pub async fn recommendations(
        &self,
        learner: Option<&Learner>,
        limit: usize,
        allowed: Option<&[Uuid]>,
    ) -> Result<Recommendations, StoreError> {
        let consented = match learner {
            Some(l) => {
                self.store
                    .consents()
                    .has(l.primary, Purpose::PersonalisedRecommendations)
                    .await?
            }
            None => false,
        };
        let mut items = match learner {
            Some(l) if consented => self.personal(l, limit, allowed).await?,
            _ => Vec::new(),
        };
        if items.len() < limit {
            // Fill up with what anyone would be shown, leaving out what the
            // learner already takes (known only with their consent).
            let mut taken: HashSet<Uuid> = items.iter().map(|r| r.card.id).collect();
            if consented && let Some(l) = learner {
                taken.extend(self.taken(l).await?.into_keys());
            }
            let week_ago = self.store.clock.now() - chrono::Duration::days(7);
            let fresh = self
                .published_since(week_ago, limit as u64, allowed)
                .await?;
            let popular = self.popular(limit as u64 * 2, allowed).await?;
            let general = fresh
                .into_iter()
                .take(limit.div_ceil(3))
                .map(|c| (c, Reason::New))
                .chain(popular.into_iter().map(|c| (c, Reason::Popular)));
            for (card, reason) in general {
                if items.len() >= limit {
                    break;
                }
                if taken.insert(card.id) {
                    items.push(Recommendation { card, reason });
                }
            }
        }
        Ok(Recommendations {
            personalised: consented,
            items,
        })
    }

    /// The learner's courses: id → whether finished.
    pub(super) async fn taken(&self, learner: &Learner) -> Result<HashMap<Uuid, bool>, StoreError> {
        Ok(enrolment::Entity::find()
            .filter(enrolment::Column::SubjectId.is_in(learner.subjects()))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|e| (e.course_id, e.completed_at.is_some()))
            .collect())
    }

    async fn personal(
        &self,
        learner: &Learner,
        limit: usize,
        allowed: Option<&[Uuid]>,
    ) -> Result<Vec<Recommendation>, StoreError> {
        let taken = self.taken(learner).await?;
        if taken.is_empty() {
            return Ok(Vec::new());
        }
        // The most recently active courses seed "also took".
        let seeds: Vec<Uuid> = enrolment::Entity::find()
            .filter(enrolment::Column::SubjectId.is_in(learner.subjects()))
            .order_by_desc(enrolment::Column::LastActiveAt)
            .limit(SEEDS)
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|e| e.course_id)
            .collect();
        let also = self.also_took(&seeds, &learner.subjects()).await?;

        // Skills of finished courses.
        let finished: Vec<Uuid> = taken
            .iter()
            .filter(|(_, done)| **done)
            .map(|(id, _)| *id)
            .collect();
        let finished_skills = course_skill::Entity::find()
            .filter(course_skill::Column::CourseId.is_in(finished.clone()))
            .all(&self.store.db)
            .await?;
        let skills: HashSet<String> = finished_skills.iter().map(|s| s.skill.clone()).collect();
        let mut by_skill: HashMap<Uuid, Vec<String>> = HashMap::new();
        if !skills.is_empty() {
            for s in course_skill::Entity::find()
                .filter(course_skill::Column::Skill.is_in(skills))
                .all(&self.store.db)
                .await?
            {
                if !taken.contains_key(&s.course_id) {
                    by_skill.entry(s.course_id).or_default().push(s.skill);
                }
            }
        }

        // The courses named in reasons, and the candidates' cards.
        let candidates: HashSet<Uuid> = also
            .iter()
            .map(|(c, _, _)| *c)
            .chain(by_skill.keys().copied())
            .filter(|c| !taken.contains_key(c))
            .collect();
        let mut find = course::Entity::find()
            .filter(course::Column::Id.is_in(candidates))
            .filter(course::Column::Status.eq(CourseStatus::Published.key()));
        if let Some(allowed) = allowed {
            find = find.filter(course::Column::ProviderId.is_in(allowed.to_vec()));
        }
        let cards: HashMap<Uuid, CourseCard> = self
            .cards(find.all(&self.store.db).await?)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let own: HashMap<Uuid, course::Model> = course::Entity::find()
            .filter(course::Column::Id.is_in(taken.keys().copied()))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let reference = |id: &Uuid| {
            own.get(id).map(|c| CourseRef {
                slug: c.slug.clone(),
                title: c.title.clone(),
            })
        };

        // "Also took", most shared first.
        let mut co: Vec<Recommendation> = Vec::new();
        let mut seen = HashSet::new();
        for (id, seed, _) in &also {
            if let (Some(card), Some(course)) = (cards.get(id), reference(seed))
                && seen.insert(*id)
            {
                co.push(Recommendation {
                    card: card.clone(),
                    reason: Reason::AlsoTook { course },
                });
            }
        }
        // Skills, most shared first, then newest.
        let mut skill_ranked: Vec<(&Uuid, &Vec<String>)> = by_skill
            .iter()
            .filter(|(id, _)| cards.contains_key(id))
            .collect();
        skill_ranked.sort_by(|a, b| {
            b.1.len().cmp(&a.1.len()).then_with(|| {
                let at = |id: &Uuid| cards.get(id).and_then(|c| c.published_at);
                at(b.0).cmp(&at(a.0)).then(a.0.cmp(b.0))
            })
        });
        let mut by_skills: Vec<Recommendation> = Vec::new();
        for (id, shared) in skill_ranked {
            // The finished course sharing most of these skills.
            let best = finished
                .iter()
                .map(|f| {
                    let n = finished_skills
                        .iter()
                        .filter(|s| s.course_id == *f && shared.contains(&s.skill))
                        .count();
                    (n, f)
                })
                .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(a.1)));
            if let (Some(card), Some((_, f))) = (cards.get(id), best)
                && let Some(course) = reference(f)
            {
                let mut skills: Vec<String> = finished_skills
                    .iter()
                    .filter(|s| s.course_id == *f && shared.contains(&s.skill))
                    .map(|s| s.skill.clone())
                    .collect();
                skills.sort();
                by_skills.push(Recommendation {
                    card: card.clone(),
                    reason: Reason::Finished { course, skills },
                });
            }
        }
        // Take from both in turn, each course once.
        let mut out = Vec::new();
        let mut picked = HashSet::new();
        let (mut a, mut b) = (co.into_iter(), by_skills.into_iter());
        while out.len() < limit {
            let next = [a.next(), b.next()];
            if next.iter().all(Option::is_none) {
                break;
            }
            for r in next.into_iter().flatten() {
                if out.len() < limit && picked.insert(r.card.id) {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    /// Courses that other learners of the seed courses took: (course, the
    /// seed it came from, learners who took both), most shared first.
    async fn also_took(
        &self,
        seeds: &[Uuid],
        mine: &[Uuid],
    ) -> Result<Vec<(Uuid, Uuid, i64)>, StoreError> {
        if seeds.is_empty() {
            return Ok(Vec::new());
        }
        let mut values: Vec<sea_orm::Value> = vec![MIN_SHARED_LEARNERS.into()];
        let mut list = |ids: &[Uuid]| {
            let from = values.len() + 1;
            values.extend(ids.iter().map(|i| sea_orm::Value::from(*i)));
            (from..values.len() + 1)
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let seed_list = list(seeds);
        let mine_list = list(mine);
        let sql = format!(
            "SELECT e2.course_id AS course_id, e1.course_id AS seed_id, \
             COUNT(DISTINCT e2.subject_id) AS learners \
             FROM enrolments e1 \
             JOIN enrolments e2 ON e2.subject_id = e1.subject_id AND e2.course_id <> e1.course_id \
             LEFT JOIN members m ON m.id = e1.subject_id \
             WHERE e1.course_id IN ({seed_list}) AND e1.subject_id NOT IN ({mine_list}) \
             AND m.processing_paused_at IS NULL \
             GROUP BY e2.course_id, e1.course_id \
             HAVING COUNT(DISTINCT e2.subject_id) >= $1 \
             ORDER BY learners DESC, e2.course_id, e1.course_id LIMIT 200"
        );
        let rows = self
            .store
            .db
            .query_all_raw(statement(self.store.backend(), &sql, values))
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push((
                r.try_get("", "course_id")?,
                r.try_get("", "seed_id")?,
                r.try_get("", "learners")?,
            ));
        }
        Ok(out)
    }
}
