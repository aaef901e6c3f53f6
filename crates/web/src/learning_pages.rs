//! The learning pages: the catalog with its filters, course pages, lessons
//! (reading and quizzes), "my learning", certificates with a name typed at
//! print time, credential download and the public verifier. Everything
//! works without JavaScript. Guests and members use the same pages.

use crate::AppState;
use crate::error::{AppError, PageError};
use crate::extract::PageForm;
use crate::markdown;
use crate::pages::{Layout, page, see_other};
use crate::session::Ctx;
use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use lyceum_core::domain::SubjectId;
use lyceum_core::domain::learning::{DurationBucket, LessonKind, Level, duration_label};
use lyceum_store::learning::{
    CourseCard, CourseDetail, CourseQuery, Enrolment, Facets, Issuer, Learner, QuizOutcome,
};
use serde::Deserialize;
use std::collections::HashMap;

/// Courses per catalog page.
pub const PER_PAGE: u64 = 20;
/// The longest name a certificate prints.
pub const MAX_PRINTED_NAME: usize = 100;
/// The largest credential file the verifier reads.
pub const MAX_CREDENTIAL_BYTES: usize = 64 * 1024;

/// The learning routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/courses", get(catalog))
        .route("/courses/{slug}", get(course_page))
        .route("/courses/{slug}/enrol", post(enrol))
        .route("/courses/{slug}/reviews", post(save_review))
        .route("/courses/{slug}/reviews/delete", post(delete_review))
        .route("/courses/{slug}/reviews/{id}/report", post(report_review))
        .route("/courses/{slug}/reviews/{id}/decision", post(decide_review))
        .route("/courses/{slug}/lessons/{lesson}", get(lesson_page))
        .route("/courses/{slug}/lessons/{lesson}/complete", post(complete))
        .route("/courses/{slug}/lessons/{lesson}/quiz", post(submit_quiz))
        .route(
            "/courses/{slug}/certificate",
            get(certificate).post(print_certificate),
        )
        .route("/courses/{slug}/credential.json", get(download_credential))
        .route(
            "/courses/{slug}/lessons/{lesson}/captions.vtt",
            get(captions),
        )
        .route("/courses/{slug}/lessons/{lesson}/video", get(video))
        .route("/learning", get(my_learning))
        .route(
            "/credentials/verify",
            get(verify_form)
                .post(verify_submit)
                .layer(axum::extract::DefaultBodyLimit::max(
                    MAX_CREDENTIAL_BYTES + 16 * 1024,
                )),
        )
}

/// The signed-in learner: a guest with their library, or a member with
/// the guests of the library cards they linked (whose courses they carry).
pub(crate) async fn learner(state: &AppState, ctx: &Ctx) -> Result<Option<Learner>, AppError> {
    if let Some(m) = &ctx.member {
        return Ok(Some(member_learner(state, m.id).await?));
    }
    Ok(ctx
        .guest
        .as_ref()
        .map(|(g, l)| Learner::new(SubjectId(g.id.0), Some(l.id))))
}

/// A member as a learner, with the guests of the library cards they
/// linked.
pub(crate) async fn member_learner(
    state: &AppState,
    member: lyceum_core::domain::MemberId,
) -> Result<Learner, AppError> {
    let linked = state
        .store
        .guests()
        .linked_to(member)
        .await?
        .into_iter()
        .map(|(g, _)| SubjectId(g.id.0))
        .collect();
    Ok(Learner {
        primary: member.into(),
        library: None,
        linked,
    })
}

/// The signed-in learner, or 401 with what to do.
pub(crate) async fn signed_in_learner(state: &AppState, ctx: &Ctx) -> Result<Learner, AppError> {
    learner(state, ctx).await?.ok_or_else(|| {
        AppError::Unauthorized("Sign in with your library card or your account to learn.".into())
    })
}

/// The issuer of this instance's credentials.
pub(crate) fn issuer_url(state: &AppState, headers: &HeaderMap) -> String {
    state.base_url(headers)
}

/// The name credentials carry as their issuer.
pub const ISSUER_NAME: &str = "Lyceum";

/// Counts a guest's learning activity for their library's reports, unless
/// they objected to usage statistics. Members are not counted.
pub(crate) async fn count_guest(
    state: &AppState,
    ctx: &Ctx,
    metric: &str,
    course_slug: &str,
) -> Result<(), AppError> {
    let Some((g, l)) = &ctx.guest else {
        return Ok(());
    };
    let objected = state
        .store
        .objections()
        .has_objected(
            SubjectId(g.id.0),
            lyceum_core::domain::objection::Ground::UsageStatistics,
        )
        .await?;
    if !objected {
        let month = lyceum_core::domain::Month::of(state.store.clock.now());
        state
            .store
            .guests()
            .count(l.id, month, metric, course_slug)
            .await?;
    }
    Ok(())
}

pub(crate) struct CardView {
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) summary: String,
    pub(crate) level: &'static str,
    pub(crate) duration: String,
    pub(crate) provider: String,
    pub(crate) is_partner: bool,
    pub(crate) skills: Vec<String>,
    pub(crate) language: String,
    /// Why the course is suggested, on a recommendation shelf.
    pub(crate) reason: Option<String>,
}

impl From<&CourseCard> for CardView {
    fn from(c: &CourseCard) -> Self {
        Self {
            slug: c.slug.clone(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            level: c.level.label(),
            duration: duration_label(c.duration_minutes),
            provider: c.provider_name.clone(),
            is_partner: c.is_partner,
            skills: c.skills.iter().take(4).cloned().collect(),
            language: lyceum_core::domain::learning::Language::parse(&c.language)
                .map(|l| l.label())
                .unwrap_or_else(|_| c.language.clone()),
            reason: None,
        }
    }
}

/// The catalog's filters as sent in the address.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CatalogParams {
    #[serde(default)]
    pub(crate) q: String,
    #[serde(default)]
    pub(crate) skill: String,
    #[serde(default)]
    pub(crate) level: String,
    #[serde(default)]
    pub(crate) provider: String,
    #[serde(default)]
    pub(crate) language: String,
    #[serde(default)]
    pub(crate) duration: String,
    #[serde(default)]
    pub(crate) page: String,
}

impl CatalogParams {
    /// The store query, or a message about the filter that is wrong.
    pub(crate) fn query(&self, per_page: u64) -> Result<CourseQuery, AppError> {
        let opt = |s: &str| {
            let s = s.trim();
            (!s.is_empty()).then(|| s.chars().take(120).collect::<String>())
        };
        let level = match opt(&self.level) {
            Some(l) => Some(Level::parse(&l).ok_or_else(|| {
                AppError::BadRequest(format!(
                    "There is no level \"{l}\": choose beginner, intermediate or advanced."
                ))
            })?),
            None => None,
        };
        let duration = match opt(&self.duration) {
            Some(d) => Some(DurationBucket::parse(&d).ok_or_else(|| {
                AppError::BadRequest(format!(
                    "There is no duration \"{d}\": choose short, medium or long."
                ))
            })?),
            None => None,
        };
        let page = match opt(&self.page) {
            Some(p) => p.parse::<u64>().ok().filter(|p| *p >= 1).ok_or_else(|| {
                AppError::BadRequest(format!("The page \"{p}\" is not a whole number from 1."))
            })?,
            None => 1,
        };
        Ok(CourseQuery {
            q: self.q.trim().chars().take(200).collect(),
            skill: opt(&self.skill),
            level,
            provider: opt(&self.provider),
            language: opt(&self.language),
            duration,
            page: page.min(10_000) - 1,
            per_page,
            allowed_providers: None,
        })
    }

    fn is_filtered(&self) -> bool {
        [
            &self.q,
            &self.skill,
            &self.level,
            &self.provider,
            &self.language,
            &self.duration,
        ]
        .iter()
        .any(|s| !s.trim().is_empty())
    }

    /// The address of this search with one filter changed ("" removes it)
    /// and the page reset.
    fn with(&self, key: &str, value: &str) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("q", &self.q),
            ("skill", &self.skill),
            ("level", &self.level),
            ("provider", &self.provider),
            ("language", &self.language),
            ("duration", &self.duration),
        ];
        for p in &mut pairs {
            if p.0 == key {
                p.1 = value;
            }
        }
        query_string(&pairs)
    }

    fn page_link(&self, page: u64) -> String {
        let page = page.to_string();
        query_string(&[
            ("q", &self.q),
            ("skill", &self.skill),
            ("level", &self.level),
            ("provider", &self.provider),
            ("language", &self.language),
            ("duration", &self.duration),
            ("page", &page),
        ])
    }
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.trim().is_empty() {
            ser.append_pair(k, v.trim());
        }
    }
    let qs = ser.finish();
    if qs.is_empty() {
        "/courses".into()
    } else {
        format!("/courses?{qs}")
    }
}

pub(crate) struct FacetGroup {
    name: &'static str,
    chosen: Option<(String, String)>,
    values: Vec<(String, String, u64)>,
}

fn facet_groups(p: &CatalogParams, f: &Facets) -> Vec<FacetGroup> {
    let group = |name, key, current: &str, values: &[lyceum_store::learning::FacetValue]| {
        let current = current.trim();
        FacetGroup {
            name,
            chosen: (!current.is_empty()).then(|| {
                let label = values
                    .iter()
                    .find(|v| v.value == current)
                    .map(|v| v.label.clone())
                    .unwrap_or_else(|| current.to_owned());
                (label, p.with(key, ""))
            }),
            values: values
                .iter()
                .filter(|v| v.value != current)
                .map(|v| (v.label.clone(), p.with(key, &v.value), v.count))
                .collect(),
        }
    };
    vec![
        group("Skill", "skill", &p.skill, &f.skills),
        group("Level", "level", &p.level, &f.levels),
        group("Length", "duration", &p.duration, &f.durations),
        group("Provider", "provider", &p.provider, &f.providers),
        group("Language", "language", &p.language, &f.languages),
    ]
}

#[derive(Template)]
#[template(path = "courses.html")]
struct CatalogPage {
    layout: Layout,
    q: String,
    filtered: bool,
    total: u64,
    courses: Vec<CardView>,
    facets: Vec<FacetGroup>,
    new_this_week: Vec<CardView>,
    popular: Vec<CardView>,
    /// Suggestions from the learner's own learning (with their consent).
    recommended: Vec<CardView>,
    /// A member without the consent: where to turn it on.
    offer_recommendations: bool,
    previous: Option<String>,
    next: Option<String>,
    page: u64,
    pages: u64,
}

async fn catalog(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<CatalogParams>,
) -> Result<Response, PageError> {
    let mut query = params.query(PER_PAGE)?;
    let who = learner(&state, &ctx).await?;
    let allowed = state
        .store
        .learning()
        .allowed_providers(who.as_ref())
        .await?;
    query.allowed_providers = allowed.clone();
    let result = state.search.search(&state, &query).await?;
    let filtered = params.is_filtered();
    let (new_this_week, popular, recommended, personalised) = if filtered || query.page > 0 {
        (Vec::new(), Vec::new(), Vec::new(), false)
    } else {
        let week_ago = state.store.clock.now() - chrono::Duration::days(7);
        let learning = state.store.learning();
        // Suggestions only for a learner who asked for them: for anyone
        // else the shelves below are what `recommendations` would give, so
        // the page does not work them out twice.
        let consented = match &who {
            Some(l) => {
                state
                    .store
                    .consents()
                    .has(
                        l.primary,
                        lyceum_core::domain::consent::Purpose::PersonalisedRecommendations,
                    )
                    .await?
            }
            None => false,
        };
        let new = learning
            .published_since(week_ago, 6, allowed.as_deref())
            .await?;
        if consented {
            let suggestions = learning
                .recommendations(who.as_ref(), 6, allowed.as_deref())
                .await?;
            let recommended = suggestions
                .items
                .iter()
                .map(|r| CardView {
                    reason: Some(r.reason.text()),
                    ..CardView::from(&r.card)
                })
                .collect();
            (new, Vec::new(), recommended, suggestions.personalised)
        } else {
            (
                new,
                learning.popular(6, allowed.as_deref()).await?,
                Vec::new(),
                false,
            )
        }
    };
    let pages = result.total.div_ceil(PER_PAGE).max(1);
    let page_no = query.page + 1;
    if page_no > pages {
        // Past the end (an old link, a typed address): the last page.
        return Ok(see_other(&params.page_link(pages)));
    }
    Ok(page(
        StatusCode::OK,
        &CatalogPage {
            layout: Layout::new("Courses", &ctx, "courses"),
            q: query.q.clone(),
            filtered,
            total: result.total,
            courses: result.courses.iter().map(CardView::from).collect(),
            facets: facet_groups(&params, &result.facets),
            new_this_week: new_this_week.iter().map(CardView::from).collect(),
            popular: popular.iter().map(CardView::from).collect(),
            recommended,
            offer_recommendations: ctx.member.is_some()
                && !personalised
                && !filtered
                && query.page == 0,
            previous: (page_no > 1).then(|| params.page_link(page_no - 1)),
            next: (page_no < pages).then(|| params.page_link(page_no + 1)),
            page: page_no,
            pages,
        },
    ))
}

/// Whether the learner may take the course: members may take any; a
/// guest, the instance's own courses and those of the partners their
/// library licenses.
pub(crate) async fn offered_to(
    state: &AppState,
    who: Option<&Learner>,
    course: &CourseDetail,
) -> Result<bool, AppError> {
    Ok(state
        .store
        .learning()
        .allowed_providers(who)
        .await?
        .is_none_or(|allowed| allowed.contains(&course.card.provider_id)))
}

/// 403 when the learner's library does not license the course's provider.
pub(crate) async fn check_offered(
    state: &AppState,
    who: &Learner,
    course: &CourseDetail,
) -> Result<(), AppError> {
    if offered_to(state, Some(who), course).await? {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "Your library does not offer courses from {}. Ask your library whether it could.",
            course.card.provider_name
        )))
    }
}

/// Enrols the signed-in learner in a course their library offers them
/// (the existing enrolment when they already are), counting a guest's new
/// enrolment for the library's reports. True when it is new.
pub(crate) async fn enrol_learner(
    state: &AppState,
    ctx: &Ctx,
    course: &CourseDetail,
) -> Result<(Enrolment, bool), AppError> {
    let who = signed_in_learner(state, ctx).await?;
    check_offered(state, &who, course).await?;
    let (e, created) = state.store.learning().enrol(&who, course.card.id).await?;
    if created {
        count_guest(
            state,
            ctx,
            lyceum_store::guests::metric::ENROLMENTS,
            &course.card.slug,
        )
        .await?;
    }
    Ok((e, created))
}

/// A published course by short name, or 404. Outlines come from a cache
/// that holds while the catalog's cache generation is unchanged (a write
/// on this node is seen at once, on another node within
/// [`lyceum_store::generations::RECHECK`]) and for at most
/// [`COURSE_CACHE_TTL`].
pub(crate) async fn published_course(
    state: &AppState,
    slug: &str,
) -> Result<std::sync::Arc<CourseDetail>, AppError> {
    let version = state
        .store
        .generation(lyceum_store::generations::Generation::Catalog)
        .await?;
    if let Some(c) = state.courses.get(slug, version) {
        return Ok(c);
    }
    match state.store.learning().course_by_slug(slug).await? {
        Some(c) if c.card.status == lyceum_core::domain::learning::CourseStatus::Published => {
            let c = std::sync::Arc::new(c);
            state.courses.put(slug, version, c.clone());
            Ok(c)
        }
        _ => Err(AppError::NotFound),
    }
}

/// The longest a node trusts a cached course outline, whatever the
/// generation says.
pub const COURSE_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(300);
/// The most outlines kept; past it the cache starts again.
const COURSE_CACHE_MAX: usize = 10_000;

/// A cached outline: the catalog generation and the moment it was read.
type CachedCourse = (i64, std::time::Instant, std::sync::Arc<CourseDetail>);

/// Published course outlines by short name, with the catalog version and
/// the moment they were read.
#[derive(Debug, Default)]
pub struct CourseCache {
    map: std::sync::Mutex<HashMap<String, CachedCourse>>,
}

impl CourseCache {
    fn get(&self, slug: &str, version: i64) -> Option<std::sync::Arc<CourseDetail>> {
        let map = self.map.lock().ok()?;
        let (v, at, c) = map.get(slug)?;
        (*v == version && at.elapsed() < COURSE_CACHE_TTL).then(|| c.clone())
    }

    fn put(&self, slug: &str, version: i64, course: std::sync::Arc<CourseDetail>) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= COURSE_CACHE_MAX {
                map.clear();
            }
            map.insert(
                slug.to_owned(),
                (version, std::time::Instant::now(), course),
            );
        }
    }
}

struct OutlineLesson {
    id: String,
    position: u32,
    title: String,
    kind: &'static str,
    duration: String,
    done: bool,
}

struct OutlineSection {
    title: String,
    lessons: Vec<OutlineLesson>,
}

fn outline(course: &CourseDetail, enrolment: Option<&Enrolment>) -> Vec<OutlineSection> {
    course
        .sections
        .iter()
        .map(|s| OutlineSection {
            title: s.title.clone(),
            lessons: s
                .lessons
                .iter()
                .map(|l| OutlineLesson {
                    id: l.id.to_string(),
                    position: l.position,
                    title: l.title.clone(),
                    kind: l.kind.label(),
                    duration: duration_label(l.duration_minutes),
                    done: enrolment.is_some_and(|e| e.has_completed(l.id)),
                })
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "course.html")]
struct CoursePage {
    layout: Layout,
    card: CardView,
    description: String,
    /// Short name, name and biography.
    instructors: Vec<(String, String, String)>,
    sections: Vec<OutlineSection>,
    lesson_count: usize,
    signed_in: bool,
    enrolled: bool,
    done_count: usize,
    completed: bool,
    resume: Option<String>,
    notice: Option<&'static str>,
    offered: bool,
    ratings: lyceum_store::learning::Ratings,
    average: String,
    reviews: Vec<ReviewView>,
    my_review: Option<(u8, String)>,
    review_error: Option<String>,
    /// Collections the course may be saved into: id and label.
    save_targets: Vec<(String, String)>,
    /// The collection the course was just saved into.
    saved_to: Option<String>,
    /// For the course's people: reviews hidden by reports, with counts.
    reported: Vec<(ReviewView, i32)>,
}

pub(crate) struct ReviewView {
    id: String,
    rating: u8,
    body: String,
    date: String,
    mine: bool,
}

impl From<lyceum_store::learning::Review> for ReviewView {
    fn from(r: lyceum_store::learning::Review) -> Self {
        Self {
            id: r.id.to_string(),
            rating: r.rating,
            body: r.body,
            date: r.updated_at.format("%-d %B %Y").to_string(),
            mine: r.mine,
        }
    }
}

#[derive(Debug, Deserialize)]
struct NoticeParam {
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    collection: Option<String>,
}

async fn course_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(n): Query<NoticeParam>,
) -> Result<Response, PageError> {
    let saved_to = n
        .collection
        .as_deref()
        .filter(|_| n.done.as_deref() == Some("collected"))
        .and_then(|c| uuid::Uuid::parse_str(c).ok())
        .map(|c| c.to_string());
    render_course(
        &state,
        &ctx,
        &slug,
        (n.done.as_deref(), saved_to),
        None,
        StatusCode::OK,
    )
    .await
}

async fn render_course(
    state: &AppState,
    ctx: &Ctx,
    slug: &str,
    (done, saved_to): (Option<&str>, Option<String>),
    review_error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let course = published_course(state, slug).await?;
    let who = learner(state, ctx).await?;
    let enrolment = match &who {
        Some(l) => state.store.learning().enrolment(l, course.card.id).await?,
        None => None,
    };
    let lessons: Vec<_> = course.lessons().collect();
    let resume = enrolment.as_ref().and_then(|e| {
        let next = lessons
            .iter()
            .find(|l| !e.has_completed(l.id))
            .or(lessons.first())?;
        let at = e
            .last_lesson_id
            .filter(|id| !e.has_completed(*id))
            .unwrap_or(next.id);
        Some(format!("/courses/{}/lessons/{at}", course.card.slug))
    });
    let notice = match done {
        Some("course") => Some("You finished the course. Your certificate is ready."),
        Some("enrolled") => Some("You are enrolled. Your progress is kept between visits."),
        Some("reviewed") => {
            Some("Thank you: your review is saved. Others see it without your name.")
        }
        Some("review-deleted") => Some("Your review is deleted."),
        Some("collected") => Some("Saved to the collection."),
        Some("review-kept") => Some("The review shows again; its reports are cleared."),
        Some("review-removed") => Some("The review is removed."),
        Some("reported") => Some(
            "Thank you for the report. A review several learners report is hidden until a moderator looks at it.",
        ),
        _ => None,
    };
    let (ratings, reviews) = state
        .store
        .learning()
        .reviews(course.card.id, who.as_ref(), 50)
        .await?;
    let my_review = reviews
        .iter()
        .find(|r| r.mine)
        .map(|r| (r.rating, r.body.clone()));
    Ok(page(
        status,
        &CoursePage {
            layout: Layout::new(&course.card.title, ctx, "courses"),
            card: CardView::from(&course.card),
            description: markdown::render(&course.description),
            instructors: course
                .instructors
                .iter()
                .map(|i| (i.slug.clone(), i.name.clone(), i.bio.clone()))
                .collect(),
            sections: outline(&course, enrolment.as_ref()),
            lesson_count: lessons.len(),
            signed_in: who.is_some(),
            enrolled: enrolment.is_some(),
            done_count: enrolment.as_ref().map_or(0, |e| {
                lessons.iter().filter(|l| e.has_completed(l.id)).count()
            }),
            completed: enrolment.as_ref().is_some_and(|e| e.completed_at.is_some()),
            resume,
            notice,
            offered: offered_to(state, who.as_ref(), &course).await?,
            average: ratings
                .average
                .map(|a| format!("{a:.1}"))
                .unwrap_or_default(),
            ratings,
            reviews: reviews.into_iter().map(ReviewView::from).collect(),
            my_review,
            review_error,
            save_targets: crate::collections::save_targets(state, ctx).await?,
            reported: reported_reviews(state, ctx, course.card.id).await?,
            saved_to,
        },
    ))
}

#[derive(Debug, Deserialize)]
struct ReviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    body: String,
}

async fn save_review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<ReviewForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let who = signed_in_learner(&state, &ctx).await?;
    let course = published_course(&state, &slug).await?;
    let rating = form.rating.parse::<u8>().unwrap_or(0);
    match state
        .store
        .learning()
        .review(&who, course.card.id, rating, &form.body)
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/courses/{slug}?done=reviewed#reviews-title"
        ))),
        Err(lyceum_store::learning::LearningError::BadAnswers(m)) => {
            render_course(
                &state,
                &ctx,
                &slug,
                (None, None),
                Some(m),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

async fn delete_review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<crate::pages::CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let who = signed_in_learner(&state, &ctx).await?;
    let course = published_course(&state, &slug).await?;
    state
        .store
        .learning()
        .delete_review(&who, course.card.id)
        .await?;
    Ok(see_other(&format!("/courses/{slug}?done=review-deleted")))
}

async fn report_review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    PageForm(form): PageForm<crate::pages::CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let who = signed_in_learner(&state, &ctx).await?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    state
        .store
        .learning()
        .report_review(&who, id)
        .await
        .map_err(AppError::from)?;
    Ok(see_other(&format!("/courses/{slug}?done=reported")))
}

/// Reviews hidden by reports, for the course's instructors and its
/// provider's staff (nothing for anyone else).
async fn reported_reviews(
    state: &AppState,
    ctx: &Ctx,
    course: uuid::Uuid,
) -> Result<Vec<(ReviewView, i32)>, AppError> {
    let learning = state.store.learning();
    let member = ctx.member.as_ref().map(|m| m.id);
    if member.is_none() || !learning.is_course_staff(course, member).await? {
        return Ok(Vec::new());
    }
    Ok(learning
        .reported_reviews(course, member)
        .await?
        .into_iter()
        .map(|(r, n)| (ReviewView::from(r), n))
        .collect())
}

#[derive(Debug, Deserialize)]
struct DecisionForm {
    csrf: String,
    #[serde(default)]
    keep: String,
}

async fn decide_review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    PageForm(form): PageForm<DecisionForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let keep = form.keep == "yes";
    state
        .store
        .learning()
        .decide_review(id, ctx.member.as_ref().map(|m| m.id), keep)
        .await
        .map_err(AppError::from)?;
    let done = if keep {
        "review-kept"
    } else {
        "review-removed"
    };
    Ok(see_other(&format!(
        "/courses/{slug}?done={done}#reviews-title"
    )))
}

async fn enrol(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<crate::pages::CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let course = published_course(&state, &slug).await?;
    enrol_learner(&state, &ctx, &course).await?;
    Ok(see_other(&format!("/courses/{slug}?done=enrolled")))
}

async fn enrolled(
    state: &AppState,
    ctx: &Ctx,
    course: &CourseDetail,
) -> Result<Enrolment, AppError> {
    let who = signed_in_learner(state, ctx).await?;
    check_offered(state, &who, course).await?;
    state
        .store
        .learning()
        .enrolment(&who, course.card.id)
        .await?
        .ok_or_else(|| AppError::Conflict("Enrol in the course first.".into()))
}

struct QuestionForm {
    index: usize,
    prompt: String,
    choices: Vec<(usize, String)>,
}

struct FeedbackView {
    prompt: String,
    given: String,
    answer: String,
    right: bool,
    explanation: String,
}

#[derive(Template)]
#[template(path = "lesson.html")]
struct LessonPage {
    layout: Layout,
    course_slug: String,
    course_title: String,
    lesson_id: String,
    position: u32,
    lesson_count: usize,
    title: String,
    kind: &'static str,
    is_quiz: bool,
    body: String,
    transcript: Option<String>,
    /// A video's address and content type.
    video: Option<(String, String)>,
    has_captions: bool,
    language: String,
    duration: String,
    done: bool,
    pass_percent: u8,
    best_score: Option<u8>,
    questions: Vec<QuestionForm>,
    outcome: Option<(u8, usize, usize, bool)>,
    feedback: Vec<FeedbackView>,
    previous: Option<String>,
    next: Option<String>,
    course_completed: bool,
}

async fn lesson_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, lesson)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let course = published_course(&state, &slug).await?;
    let lesson_id = uuid::Uuid::parse_str(&lesson).map_err(|_| AppError::NotFound)?;
    let enrolment = enrolled(&state, &ctx, &course).await?;
    state.store.learning().visit(&enrolment, lesson_id).await?;
    render_lesson(
        &state,
        &ctx,
        &course,
        &enrolment,
        lesson_id,
        None,
        StatusCode::OK,
    )
    .await
}

async fn render_lesson(
    state: &AppState,
    ctx: &Ctx,
    course: &CourseDetail,
    enrolment: &Enrolment,
    lesson_id: uuid::Uuid,
    outcome: Option<QuizOutcome>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lesson = state
        .store
        .learning()
        .lesson(course.card.id, lesson_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let lessons: Vec<_> = course.lessons().collect();
    let at = lessons.iter().position(|l| l.id == lesson_id).unwrap_or(0);
    let link = |i: usize| {
        lessons
            .get(i)
            .map(|l| format!("/courses/{}/lessons/{}", course.card.slug, l.id))
    };
    let is_quiz = lesson.summary.kind == LessonKind::Quiz;
    let feedback = outcome
        .as_ref()
        .map(|o| {
            o.feedback
                .iter()
                .map(|f| FeedbackView {
                    prompt: f.prompt.clone(),
                    given: f
                        .given
                        .and_then(|g| f.choices.get(g).cloned())
                        .unwrap_or_else(|| "No answer".into()),
                    answer: f.choices.get(f.answer).cloned().unwrap_or_default(),
                    right: f.given == Some(f.answer),
                    explanation: f.explanation.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let course_completed = outcome
        .as_ref()
        .and_then(|o| o.done.as_ref())
        .is_some_and(|d| d.course_completed);
    let done =
        enrolment.has_completed(lesson_id) || outcome.as_ref().is_some_and(|o| o.result.passed);
    Ok(page(
        status,
        &LessonPage {
            layout: Layout::new(
                &format!("{} · {}", lesson.summary.title, course.card.title),
                ctx,
                "courses",
            ),
            course_slug: course.card.slug.clone(),
            course_title: course.card.title.clone(),
            lesson_id: lesson_id.to_string(),
            position: u32::try_from(at + 1).unwrap_or(0),
            lesson_count: lessons.len(),
            title: lesson.summary.title.clone(),
            kind: lesson.summary.kind.label(),
            is_quiz,
            body: markdown::render(&lesson.body),
            transcript: lesson.captions.as_deref().map(transcript_of),
            video: lesson.video.as_ref().map(|(t, _)| {
                (
                    format!("/courses/{}/lessons/{lesson_id}/video", course.card.slug),
                    t.clone(),
                )
            }),
            has_captions: lesson.captions.is_some(),
            language: course.card.language.clone(),
            duration: duration_label(lesson.summary.duration_minutes),
            done,
            pass_percent: lesson
                .pass_percent
                .unwrap_or(lyceum_core::domain::learning::DEFAULT_PASS_PERCENT),
            best_score: enrolment.scores.get(&lesson_id).copied(),
            questions: lesson
                .questions
                .iter()
                .enumerate()
                .map(|(i, q)| QuestionForm {
                    index: i,
                    prompt: q.prompt.clone(),
                    choices: q.choices.iter().cloned().enumerate().collect(),
                })
                .collect(),
            outcome: outcome.as_ref().map(|o| {
                (
                    o.result.percent,
                    o.result.correct,
                    o.result.total,
                    o.result.passed,
                )
            }),
            feedback,
            previous: at.checked_sub(1).and_then(link),
            next: link(at + 1),
            course_completed,
        },
    ))
}

/// The text of WebVTT captions without timings, for a transcript.
pub(crate) fn transcript_of(vtt: &str) -> String {
    vtt.lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("WEBVTT")
                && !l.contains("-->")
                && !l.starts_with("NOTE")
                && !l.chars().all(|c| c.is_ascii_digit())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

async fn complete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, lesson)): Path<(String, String)>,
    PageForm(form): PageForm<crate::pages::CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let course = published_course(&state, &slug).await?;
    let lesson_id = uuid::Uuid::parse_str(&lesson).map_err(|_| AppError::NotFound)?;
    let enrolment = enrolled(&state, &ctx, &course).await?;
    let who = signed_in_learner(&state, &ctx).await?;
    let done = state
        .store
        .learning()
        .complete_lesson(&who, enrolment.id, lesson_id)
        .await
        .map_err(AppError::from)?;
    if done.course_completed {
        count_guest(
            &state,
            &ctx,
            lyceum_store::guests::metric::COMPLETIONS,
            &course.card.slug,
        )
        .await?;
        return Ok(see_other(&format!("/courses/{slug}?done=course")));
    }
    Ok(see_other(&match done.next_lesson {
        Some(next) => format!("/courses/{slug}/lessons/{next}"),
        None => format!("/courses/{slug}"),
    }))
}

async fn submit_quiz(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, lesson)): Path<(String, String)>,
    PageForm(form): PageForm<HashMap<String, String>>,
) -> Result<Response, PageError> {
    ctx.check_csrf(form.get("csrf").map(String::as_str).unwrap_or_default())?;
    let course = published_course(&state, &slug).await?;
    let lesson_id = uuid::Uuid::parse_str(&lesson).map_err(|_| AppError::NotFound)?;
    let enrolment = enrolled(&state, &ctx, &course).await?;
    let who = signed_in_learner(&state, &ctx).await?;
    let questions = state
        .store
        .learning()
        .lesson(course.card.id, lesson_id)
        .await?
        .ok_or(AppError::NotFound)?
        .questions
        .len();
    let answers: Vec<Option<usize>> = (0..questions)
        .map(|i| form.get(&format!("q{i}")).and_then(|v| v.parse().ok()))
        .collect();
    let outcome = state
        .store
        .learning()
        .submit_quiz(&who, enrolment.id, lesson_id, &answers)
        .await
        .map_err(AppError::from)?;
    if outcome.done.as_ref().is_some_and(|d| d.course_completed) {
        count_guest(
            &state,
            &ctx,
            lyceum_store::guests::metric::COMPLETIONS,
            &course.card.slug,
        )
        .await?;
    }
    let enrolment = enrolled(&state, &ctx, &course).await?;
    render_lesson(
        &state,
        &ctx,
        &course,
        &enrolment,
        lesson_id,
        Some(outcome),
        StatusCode::OK,
    )
    .await
}

struct MyCourseView {
    slug: String,
    title: String,
    done: usize,
    lessons: u32,
    percent: u32,
    completed: Option<String>,
}

#[derive(Template)]
#[template(path = "my_learning.html")]
struct MyLearningPage {
    layout: Layout,
    in_progress: Vec<MyCourseView>,
    finished: Vec<MyCourseView>,
    /// Instructors a member follows: short name and name.
    instructors: Vec<(String, String)>,
    is_member: bool,
}

async fn my_learning(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let Some(who) = learner(&state, &ctx).await? else {
        return Ok(see_other("/signin"));
    };
    let mut in_progress = Vec::new();
    let mut finished = Vec::new();
    for c in state.store.learning().my_courses(&who).await? {
        let done = c.enrolment.completed_lessons.len();
        let view = MyCourseView {
            percent: u32::try_from(done * 100 / usize::try_from(c.lessons.max(1)).unwrap_or(1))
                .unwrap_or(100),
            slug: c.slug,
            title: c.title,
            done,
            lessons: c.lessons,
            completed: c
                .enrolment
                .completed_at
                .map(|d| d.format("%-d %B %Y").to_string()),
        };
        if view.completed.is_some() {
            finished.push(view);
        } else {
            in_progress.push(view);
        }
    }
    let instructors = match &ctx.member {
        Some(m) => state
            .store
            .learning()
            .followed_instructors(m.id)
            .await?
            .into_iter()
            .map(|f| (f.slug, f.name))
            .collect(),
        None => Vec::new(),
    };
    Ok(page(
        StatusCode::OK,
        &MyLearningPage {
            layout: Layout::new("My learning", &ctx, "learning"),
            in_progress,
            finished,
            instructors,
            is_member: ctx.member.is_some(),
        },
    ))
}

#[derive(Template)]
#[template(path = "certificate.html")]
struct CertificatePage {
    layout: Layout,
    slug: String,
    title: String,
    provider: String,
    completed: String,
    name: Option<String>,
    error: Option<String>,
    credential_id: String,
    verify_url: String,
}

async fn completed_enrolment(
    state: &AppState,
    ctx: &Ctx,
    course: &CourseDetail,
) -> Result<Enrolment, AppError> {
    // A certificate stays available after a library stops licensing the
    // course's provider: the learner earned it.
    let who = signed_in_learner(state, ctx).await?;
    let e = state
        .store
        .learning()
        .enrolment(&who, course.card.id)
        .await?
        .ok_or_else(|| AppError::Conflict("Enrol in the course first.".into()))?;
    if e.completed_at.is_none() {
        return Err(AppError::Conflict(
            "The certificate comes when every lesson of the course is finished.".into(),
        ));
    }
    Ok(e)
}

async fn render_certificate(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    slug: &str,
    name: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let course = published_course(state, slug).await?;
    let e = completed_enrolment(state, ctx, &course).await?;
    let url = issuer_url(state, headers);
    let credential = course_credential(state, ctx, headers, course.card.id).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(page(
        status,
        &CertificatePage {
            layout: Layout::new(
                &format!("Certificate · {}", course.card.title),
                ctx,
                "learning",
            ),
            slug: course.card.slug.clone(),
            title: course.card.title.clone(),
            provider: course.card.provider_name.clone(),
            completed: e
                .completed_at
                .map(|d| d.format("%-d %B %Y").to_string())
                .unwrap_or_default(),
            name,
            error,
            credential_id: credential["id"].as_str().unwrap_or_default().to_owned(),
            verify_url: format!("{url}/credentials/verify"),
        },
    ))
}

async fn certificate(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    render_certificate(&state, &ctx, &headers, &slug, None, None).await
}

#[derive(Debug, Deserialize)]
struct PrintForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

/// Shows the certificate with the name the learner typed. The name is
/// put into this one response and kept nowhere: not in the database, the
/// session, a log or a cache (the page is `no-store`).
async fn print_certificate(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(slug): Path<String>,
    PageForm(form): PageForm<PrintForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let name = form.name.split_whitespace().collect::<Vec<_>>().join(" ");
    let error = if name.is_empty() {
        Some("Type the name to print on the certificate.".to_owned())
    } else if name.chars().count() > MAX_PRINTED_NAME {
        Some(format!(
            "The name is longer than {MAX_PRINTED_NAME} characters; shorten it."
        ))
    } else if name.chars().any(char::is_control) {
        Some("The name contains characters that cannot be printed.".to_owned())
    } else {
        None
    };
    let name = error.is_none().then_some(name);
    render_certificate(&state, &ctx, &headers, &slug, name, error).await
}

async fn download_credential(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let course = published_course(&state, &slug).await?;
    completed_enrolment(&state, &ctx, &course).await?;
    let credential = course_credential(&state, &ctx, &headers, course.card.id).await?;
    Ok(credential_response(&credential, &course.card.slug))
}

/// The signed-in learner's credential for a course they finished, issued
/// by this instance on first request.
pub(crate) async fn course_credential(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    course_id: uuid::Uuid,
) -> Result<serde_json::Value, AppError> {
    let who = signed_in_learner(state, ctx).await?;
    let url = issuer_url(state, headers);
    Ok(state
        .store
        .learning()
        .credential(
            &who,
            course_id,
            Issuer {
                url: &url,
                name: ISSUER_NAME,
            },
        )
        .await?)
}

/// A credential as a file download.
pub(crate) fn credential_response(credential: &serde_json::Value, slug: &str) -> Response {
    let body = serde_json::to_string_pretty(credential).unwrap_or_default();
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vc+ld+json"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"lyceum-certificate-{slug}.json\""
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// What the verifier found.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// True only when the signature is intact and the key is one this
    /// instance signs (or signed) with.
    pub valid: bool,
    /// Why it is not valid, in words a person can act on.
    pub reason: Option<String>,
    /// The credential's name (the course title).
    pub name: Option<String>,
    /// The issuer's name.
    pub issuer: Option<String>,
    /// When it was issued (`validFrom`).
    pub issued: Option<String>,
    /// The signing key as a `did:key`.
    pub key: Option<String>,
    /// Whether that key is now retired (credentials it signed stay valid).
    pub key_retired: bool,
}

/// Verifies a credential's text: the signature, then whether this
/// instance holds the key.
pub(crate) async fn verify_text(state: &AppState, text: &str) -> Result<Verification, AppError> {
    let mut v = Verification {
        valid: false,
        reason: None,
        name: None,
        issuer: None,
        issued: None,
        key: None,
        key_retired: false,
    };
    let doc: serde_json::Value = match serde_json::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            v.reason = Some(format!(
                "This is not a JSON credential: {e}. Paste the whole file you downloaded."
            ));
            return Ok(v);
        }
    };
    v.name = doc["name"].as_str().map(str::to_owned);
    v.issuer = doc["issuer"]["name"]
        .as_str()
        .or(doc["issuer"].as_str())
        .map(str::to_owned);
    v.issued = doc["validFrom"].as_str().map(str::to_owned);
    match lyceum_core::credential::verify(&doc, state.store.clock.now()) {
        Ok(ok) => {
            v.key = Some(lyceum_core::credential::did_key(&ok.public_key));
            match state.store.learning().known_key(&ok.public_key).await? {
                Some(k) => {
                    v.valid = true;
                    v.key_retired = k.retired_at.is_some();
                }
                None => {
                    v.reason = Some(
                        "The signature is intact, but it was made with a key this Lyceum does not hold: the credential was not issued here."
                            .into(),
                    );
                }
            }
        }
        Err(e) => {
            let mut reason = e.to_string();
            if let Some(first) = reason.get(..1) {
                reason = first.to_uppercase() + &reason[1..];
            }
            v.reason = Some(format!("{reason}."));
        }
    }
    Ok(v)
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    layout: Layout,
    text: String,
    result: Option<Verification>,
    keys: Vec<(String, String, Option<String>)>,
}

async fn render_verify(
    state: &AppState,
    ctx: &Ctx,
    text: String,
    result: Option<Verification>,
) -> Result<Response, PageError> {
    let keys = state
        .store
        .learning()
        .signing_keys()
        .await?
        .into_iter()
        .map(|k| {
            (
                k.did,
                k.created_at.format("%-d %B %Y").to_string(),
                k.retired_at.map(|d| d.format("%-d %B %Y").to_string()),
            )
        })
        .collect();
    let status = match &result {
        Some(r) if !r.valid => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let mut res = page(
        status,
        &VerifyPage {
            layout: Layout::new("Verify a certificate", ctx, "verify"),
            text,
            result,
            keys,
        },
    );
    // Anyone may verify: nothing about the visitor is kept.
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

async fn verify_form(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    render_verify(&state, &ctx, String::new(), None).await
}

/// Reads the pasted text or the uploaded file (the file wins when both
/// are sent). The form has no CSRF token: it changes nothing and anyone,
/// signed in or not, may use it.
async fn verify_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let mut pasted = String::new();
    let mut file: Option<String> = None;
    loop {
        let Some(field) = crate::extract::next_part(&mut multipart).await? else {
            break;
        };
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(|_| AppError::PayloadTooLarge)?;
        if bytes.len() > MAX_CREDENTIAL_BYTES {
            return Err(AppError::PayloadTooLarge.into());
        }
        match name.as_str() {
            "credential" => pasted = String::from_utf8_lossy(&bytes).into_owned(),
            "file" if !bytes.is_empty() => {
                file = Some(String::from_utf8_lossy(&bytes).into_owned());
            }
            _ => {}
        }
    }
    let text = file.unwrap_or(pasted);
    if text.trim().is_empty() {
        let result = Verification {
            valid: false,
            reason: Some("Paste a credential or choose its file, then press Verify.".into()),
            name: None,
            issuer: None,
            issued: None,
            key: None,
            key_retired: false,
        };
        return render_verify(&state, &ctx, text, Some(result)).await;
    }
    let result = verify_text(&state, &text).await?;
    render_verify(&state, &ctx, text, Some(result)).await
}

/// A lesson of a course the signed-in learner is enrolled in (and may
/// still take), for its media.
async fn enrolled_lesson(
    state: &AppState,
    ctx: &Ctx,
    slug: &str,
    lesson: &str,
) -> Result<lyceum_store::learning::LessonView, AppError> {
    let course = published_course(state, slug).await?;
    let lesson_id = uuid::Uuid::parse_str(lesson).map_err(|_| AppError::NotFound)?;
    enrolled(state, ctx, &course).await?;
    state
        .store
        .learning()
        .lesson(course.card.id, lesson_id)
        .await?
        .ok_or(AppError::NotFound)
}

async fn captions(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, lesson)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let l = enrolled_lesson(&state, &ctx, &slug, &lesson).await?;
    let vtt = l.captions.ok_or(AppError::NotFound)?;
    let mut res = (StatusCode::OK, vtt).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/vtt; charset=utf-8"),
    );
    Ok(res)
}

/// Serves a lesson's video to an enrolled learner, honouring `Range` so
/// players can seek (206 with `Content-Range`; 416 past the end).
async fn video(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((slug, lesson)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let l = enrolled_lesson(&state, &ctx, &slug, &lesson).await?;
    let (_, key, content_type, size) = state
        .store
        .learning()
        .lesson_media(l.summary.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(h) => match lyceum_media::parse_range(h, size) {
            Ok(r) => r,
            Err(_) => {
                let mut res = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    res.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                return Ok(res);
            }
        },
        None => None,
    };
    let stream = state
        .media
        .read(&key, range.clone())
        .await
        .map_err(|e| match e {
            lyceum_media::MediaError::NotFound => AppError::NotFound,
            other => AppError::Internal(Box::new(other)),
        })?;
    let body = axum::body::Body::from_stream(stream);
    let mut res = match &range {
        Some(r) => {
            let mut res = (StatusCode::PARTIAL_CONTENT, body).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {}-{}/{size}", r.start, r.end - 1))
            {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            res.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(r.end - r.start));
            res
        }
        None => {
            let mut res = (StatusCode::OK, body).into_response();
            res.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
            res
        }
    };
    let h = res.headers_mut();
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    Ok(res)
}
