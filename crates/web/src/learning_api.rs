//! The learning API: the catalog, course outlines, lessons (quiz answers
//! are never sent before grading), enrolment and progress, credentials and
//! their verification. Guests and members use the same endpoints; the
//! session says who the learner is.

use crate::AppState;
use crate::error::{ApiError, AppError, Problem};
use crate::extract::ApiJson;
use crate::learning_pages::{
    CatalogParams, Verification, count_guest, published_course, signed_in_learner, verify_text,
};
use crate::session::Ctx;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use lyceum_store::learning::{CourseCard, CourseDetail, Enrolment, FacetValue, LessonView};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/courses", get(list_courses))
        .route("/courses/{course}", get(get_course))
        .route("/courses/{course}/enrollments", post(enrol))
        .route("/courses/{course}/lessons/{lesson}", get(get_lesson))
        .route("/me/enrollments", get(my_enrollments))
        .route("/recommendations", get(recommendations))
        .route("/enrollments/{id}", get(get_enrollment))
        .route("/enrollments/{id}/lessons/{lesson}", put(put_progress))
        .route("/enrollments/{id}/credential", get(get_credential))
        .route("/credentials/verify", post(verify))
        .route("/credentials/keys", get(list_keys))
        .route("/courses/{course}/reviews", get(list_reviews))
        .route(
            "/courses/{course}/review",
            put(put_review).delete(delete_review),
        )
        .route("/reviews/{id}/reports", post(report_review))
        .route("/reviews/{id}/decision", put(decide_review))
        .route("/courses/{course}/reviews/reported", get(reported_reviews))
}

#[derive(OpenApi)]
#[openapi(
    paths(recommendations, reported_reviews, decide_review, list_reviews, put_review, delete_review, report_review, list_courses, get_course, enrol, get_lesson, my_enrollments, get_enrollment, put_progress, get_credential, verify, list_keys),
    components(schemas(ReportedReviewResponse, DecisionRequest, RecommendationsResponse, RecommendationResponse, ReviewsResponse, ReviewResponse, ReviewRequest, ReportResponse, CourseSummary, CourseList, Facet, FacetsResponse, CourseResponse, SectionResponse, LessonSummaryResponse, LessonResponse, QuestionResponse, EnrollmentResponse, ProgressRequest, ProgressResponse, QuizFeedbackResponse, Verification, KeyResponse)),
    tags((name = "learning", description = "Courses, lessons, progress and credentials"))
)]
pub struct LearningApiDoc;

/// A course as the catalog lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseSummary {
    /// Id.
    pub id: Uuid,
    /// Short name, used in page addresses.
    pub slug: String,
    /// Title.
    pub title: String,
    /// One or two sentences.
    pub summary: String,
    /// `beginner`, `intermediate` or `advanced`.
    pub level: String,
    /// BCP 47 language tag.
    pub language: String,
    /// Estimated minutes.
    pub duration_minutes: u32,
    /// The provider's short name.
    pub provider: String,
    /// The provider's name.
    pub provider_name: String,
    /// Third-party partner content.
    pub partner_content: bool,
    /// Skills taught.
    pub skills: Vec<String>,
    /// First publication (RFC 3339).
    pub published_at: Option<String>,
}

impl From<&CourseCard> for CourseSummary {
    fn from(c: &CourseCard) -> Self {
        Self {
            id: c.id,
            slug: c.slug.clone(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            level: c.level.key().into(),
            language: c.language.clone(),
            duration_minutes: c.duration_minutes,
            provider: c.provider_slug.clone(),
            provider_name: c.provider_name.clone(),
            partner_content: c.is_partner,
            skills: c.skills.clone(),
            published_at: c.published_at.map(|d| d.to_rfc3339()),
        }
    }
}

/// One facet value.
#[derive(Debug, Serialize, ToSchema)]
pub struct Facet {
    /// The value to send back as a filter.
    pub value: String,
    /// A label for people.
    pub label: String,
    /// Matching courses.
    pub count: u64,
}

fn facets(values: &[FacetValue]) -> Vec<Facet> {
    values
        .iter()
        .map(|v| Facet {
            value: v.value.clone(),
            label: v.label.clone(),
            count: v.count,
        })
        .collect()
}

/// Facet counts over the matching courses (each facet ignores its own filter).
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetsResponse {
    /// The commonest skills.
    pub skill: Vec<Facet>,
    /// Levels.
    pub level: Vec<Facet>,
    /// Providers.
    pub provider: Vec<Facet>,
    /// Languages.
    pub language: Vec<Facet>,
    /// Durations: `short` (under 1 h), `medium` (1–3 h), `long`.
    pub duration: Vec<Facet>,
}

/// A page of the catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseList {
    /// The courses, newest first.
    pub courses: Vec<CourseSummary>,
    /// Matching courses in all.
    pub total: u64,
    /// This page, from 1.
    pub page: u64,
    /// Courses per page.
    pub per_page: u64,
    /// Facet counts.
    pub facets: FacetsResponse,
}

#[derive(Debug, Deserialize)]
struct ListParams {
    #[serde(flatten)]
    filters: CatalogParams,
    #[serde(default)]
    per_page: String,
}

#[utoipa::path(get, path = "/courses", tag = "learning",
    params(
        ("q" = Option<String>, Query, description = "Words that must all appear in the title, summary or a skill"),
        ("skill" = Option<String>, Query, description = "A skill, exactly as listed"),
        ("level" = Option<String>, Query, description = "`beginner`, `intermediate` or `advanced`"),
        ("provider" = Option<String>, Query, description = "A provider's short name"),
        ("language" = Option<String>, Query, description = "A BCP 47 language tag"),
        ("duration" = Option<String>, Query, description = "`short`, `medium` or `long`"),
        ("page" = Option<u64>, Query, description = "From 1"),
        ("per_page" = Option<u64>, Query, description = "1–100, default 20"),
    ),
    responses(
        (status = 200, description = "Published courses", body = CourseList),
        (status = 400, description = "A filter value that does not exist", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_courses(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ListParams>,
) -> Result<Json<CourseList>, ApiError> {
    let per_page = match p.per_page.trim() {
        "" => 20,
        n => n.parse::<u64>().map_err(|_| {
            AppError::BadRequest(format!(
                "per_page \"{n}\" is not a whole number from 1 to 100."
            ))
        })?,
    }
    .clamp(1, 100);
    let mut query = p.filters.query(per_page)?;
    let who = crate::learning_pages::learner(&state, &ctx).await?;
    query.allowed_providers = state
        .store
        .learning()
        .allowed_providers(who.as_ref())
        .await?;
    let result = state.search.search(&state, &query).await?;
    Ok(Json(CourseList {
        courses: result.courses.iter().map(CourseSummary::from).collect(),
        total: result.total,
        page: query.page + 1,
        per_page,
        facets: FacetsResponse {
            skill: facets(&result.facets.skills),
            level: facets(&result.facets.levels),
            provider: facets(&result.facets.providers),
            language: facets(&result.facets.languages),
            duration: facets(&result.facets.durations),
        },
    }))
}

/// A lesson in a course outline.
#[derive(Debug, Serialize, ToSchema)]
pub struct LessonSummaryResponse {
    /// Id.
    pub id: Uuid,
    /// Order in the course, from 1.
    pub position: u32,
    /// Title.
    pub title: String,
    /// `article`, `video` or `quiz`.
    pub kind: String,
    /// Minutes.
    pub duration_minutes: u32,
}

/// A section of a course.
#[derive(Debug, Serialize, ToSchema)]
pub struct SectionResponse {
    /// Title.
    pub title: String,
    /// Lessons in order.
    pub lessons: Vec<LessonSummaryResponse>,
}

/// A course with its outline.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseResponse {
    /// The catalog entry.
    #[serde(flatten)]
    pub course: CourseSummary,
    /// Markdown.
    pub description: String,
    /// Instructors' names in credit order.
    pub instructors: Vec<String>,
    /// The outline.
    pub sections: Vec<SectionResponse>,
}

impl From<&CourseDetail> for CourseResponse {
    fn from(c: &CourseDetail) -> Self {
        Self {
            course: CourseSummary::from(&c.card),
            description: c.description.clone(),
            instructors: c.instructors.iter().map(|i| i.name.clone()).collect(),
            sections: c
                .sections
                .iter()
                .map(|s| SectionResponse {
                    title: s.title.clone(),
                    lessons: s
                        .lessons
                        .iter()
                        .map(|l| LessonSummaryResponse {
                            id: l.id,
                            position: l.position,
                            title: l.title.clone(),
                            kind: l.kind.key().into(),
                            duration_minutes: l.duration_minutes,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// A course by id or short name, published only.
async fn course_ref(
    state: &AppState,
    reference: &str,
) -> Result<std::sync::Arc<CourseDetail>, AppError> {
    match Uuid::parse_str(reference) {
        Ok(id) => match state.store.learning().course(id).await? {
            Some(c) if c.card.status == lyceum_core::domain::learning::CourseStatus::Published => {
                Ok(std::sync::Arc::new(c))
            }
            _ => Err(AppError::NotFound),
        },
        Err(_) => published_course(state, reference).await,
    }
}

#[utoipa::path(get, path = "/courses/{course}", tag = "learning",
    params(("course" = String, Path, description = "The course's id or short name")),
    responses(
        (status = 200, description = "The course", body = CourseResponse),
        (status = 404, description = "No such published course", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_course(
    State(state): State<AppState>,
    Path(course): Path<String>,
) -> Result<Json<CourseResponse>, ApiError> {
    let c = course_ref(&state, &course).await?;
    Ok(Json(CourseResponse::from(c.as_ref())))
}

/// A learner's enrolment.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollmentResponse {
    /// Id.
    pub id: Uuid,
    /// The course.
    pub course_id: Uuid,
    /// When (RFC 3339).
    pub enrolled_at: String,
    /// The lesson to resume at.
    pub resume_lesson_id: Option<Uuid>,
    /// Lessons finished.
    pub completed_lessons: Vec<Uuid>,
    /// Lessons in the course.
    pub lesson_count: usize,
    /// When the course was finished (RFC 3339).
    pub completed_at: Option<String>,
}

fn enrollment_response(e: &Enrolment, course: &CourseDetail) -> EnrollmentResponse {
    let lessons: Vec<_> = course.lessons().collect();
    let resume = e
        .last_lesson_id
        .filter(|id| !e.has_completed(*id))
        .or_else(|| {
            lessons
                .iter()
                .find(|l| !e.has_completed(l.id))
                .map(|l| l.id)
        });
    EnrollmentResponse {
        id: e.id,
        course_id: e.course_id,
        enrolled_at: e.enrolled_at.to_rfc3339(),
        resume_lesson_id: resume,
        completed_lessons: e.completed_lessons.clone(),
        lesson_count: lessons.len(),
        completed_at: e.completed_at.map(|d| d.to_rfc3339()),
    }
}

#[utoipa::path(post, path = "/courses/{course}/enrollments", tag = "learning",
    params(("course" = String, Path, description = "The course's id or short name")),
    responses(
        (status = 201, description = "Enrolled", body = EnrollmentResponse),
        (status = 200, description = "Already enrolled: the existing enrolment", body = EnrollmentResponse),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such published course", body = Problem, content_type = "application/problem+json"),
    ))]
async fn enrol(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(course): Path<String>,
) -> Result<Response, ApiError> {
    let c = course_ref(&state, &course).await?;
    let (e, created) = crate::learning_pages::enrol_learner(&state, &ctx, &c).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(enrollment_response(&e, &c))).into_response())
}

/// A suggested course and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationResponse {
    /// The course.
    pub course: CourseSummary,
    /// Why, in words.
    pub reason: String,
    /// Why, for programs: `{"kind": "also_took", "course": {slug, title}}`,
    /// `{"kind": "finished", "course": {slug, title}, "skills": [...]}`,
    /// `{"kind": "new"}` or `{"kind": "popular"}`.
    #[schema(value_type = Object)]
    pub because: serde_json::Value,
}

/// Course suggestions.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationsResponse {
    /// Whether they come from your own learning: only while you have
    /// turned on personalised recommendations (and not paused processing).
    pub personalised: bool,
    /// Best first.
    pub courses: Vec<RecommendationResponse>,
}

#[utoipa::path(get, path = "/recommendations", tag = "learning",
    responses((status = 200, description = "With the personalised recommendations consent, suggestions from your own learning (courses other learners of yours took, skills of courses you finished), each with its reason; otherwise, and for anyone not signed in, new and popular courses", body = RecommendationsResponse)))]
async fn recommendations(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<RecommendationsResponse>, ApiError> {
    let who = crate::learning_pages::learner(&state, &ctx).await?;
    let learning = state.store.learning();
    let allowed = learning.allowed_providers(who.as_ref()).await?;
    let r = learning
        .recommendations(who.as_ref(), 10, allowed.as_deref())
        .await?;
    Ok(Json(RecommendationsResponse {
        personalised: r.personalised,
        courses: r
            .items
            .iter()
            .map(|i| RecommendationResponse {
                course: CourseSummary::from(&i.card),
                reason: i.reason.text(),
                because: serde_json::to_value(&i.reason).unwrap_or_default(),
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/me/enrollments", tag = "learning",
    responses(
        (status = 200, description = "The learner's enrolments, most recently active first", body = [EnrollmentResponse]),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ))]
async fn my_enrollments(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<EnrollmentResponse>>, ApiError> {
    let who = signed_in_learner(&state, &ctx).await?;
    let mut out = Vec::new();
    for c in state.store.learning().my_courses(&who).await? {
        if let Some(course) = state.store.learning().course(c.enrolment.course_id).await? {
            out.push(enrollment_response(&c.enrolment, &course));
        }
    }
    Ok(Json(out))
}

/// An id from a path; anything that is not one is simply not found.
fn path_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

async fn owned_enrolment(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
) -> Result<(Enrolment, CourseDetail), AppError> {
    let id = path_id(id)?;
    let who = signed_in_learner(state, ctx).await?;
    let e = state
        .store
        .learning()
        .enrolment_by_id(&who, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let c = state
        .store
        .learning()
        .course(e.course_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((e, c))
}

#[utoipa::path(get, path = "/enrollments/{id}", tag = "learning",
    params(("id" = Uuid, Path, description = "The enrolment")),
    responses(
        (status = 200, description = "The enrolment and progress", body = EnrollmentResponse),
        (status = 404, description = "Not the learner's enrolment", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_enrollment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<EnrollmentResponse>, ApiError> {
    let (e, c) = owned_enrolment(&state, &ctx, &id).await?;
    Ok(Json(enrollment_response(&e, &c)))
}

/// A quiz question as the learner sees it: without the answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionResponse {
    /// Id.
    pub id: Uuid,
    /// The question.
    pub prompt: String,
    /// The choices; answer with their index.
    pub choices: Vec<String>,
}

/// A lesson's content.
#[derive(Debug, Serialize, ToSchema)]
pub struct LessonResponse {
    /// The outline entry.
    #[serde(flatten)]
    pub lesson: LessonSummaryResponse,
    /// Markdown.
    pub body: String,
    /// HTML rendered from `body`, safe to show.
    pub body_html: String,
    /// WebVTT captions.
    pub captions: Option<String>,
    /// A quiz's pass mark in percent.
    pub pass_percent: Option<u8>,
    /// A quiz's questions, without answers.
    pub questions: Vec<QuestionResponse>,
}

impl From<LessonView> for LessonResponse {
    fn from(l: LessonView) -> Self {
        Self {
            lesson: LessonSummaryResponse {
                id: l.summary.id,
                position: l.summary.position,
                title: l.summary.title,
                kind: l.summary.kind.key().into(),
                duration_minutes: l.summary.duration_minutes,
            },
            body_html: crate::markdown::render(&l.body),
            body: l.body,
            captions: l.captions,
            pass_percent: l.pass_percent,
            questions: l
                .questions
                .into_iter()
                .map(|q| QuestionResponse {
                    id: q.id,
                    prompt: q.prompt,
                    choices: q.choices,
                })
                .collect(),
        }
    }
}

#[utoipa::path(get, path = "/courses/{course}/lessons/{lesson}", tag = "learning",
    params(
        ("course" = String, Path, description = "The course's id or short name"),
        ("lesson" = Uuid, Path, description = "The lesson"),
    ),
    responses(
        (status = 200, description = "The lesson; opening it records where to resume", body = LessonResponse),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not enrolled in the course", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lesson", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_lesson(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((course, lesson)): Path<(String, String)>,
) -> Result<Json<LessonResponse>, ApiError> {
    let who = signed_in_learner(&state, &ctx).await?;
    let lesson = path_id(&lesson)?;
    let c = course_ref(&state, &course).await?;
    crate::learning_pages::check_offered(&state, &who, &c).await?;
    let e = state
        .store
        .learning()
        .enrolment(&who, c.card.id)
        .await?
        .ok_or_else(|| AppError::Conflict("Enrol in the course first.".into()))?;
    let l = state
        .store
        .learning()
        .lesson(c.card.id, lesson)
        .await?
        .ok_or(AppError::NotFound)?;
    state.store.learning().visit(&e, lesson).await?;
    Ok(Json(LessonResponse::from(l)))
}

/// Progress in one lesson: `{"completed": true}` for a reading or video,
/// `{"answers": [0, 2, null]}` (choice indexes, one per question) for a quiz.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressRequest {
    /// Marks a reading or video finished.
    #[serde(default)]
    pub completed: Option<bool>,
    /// A quiz's answers.
    #[serde(default)]
    pub answers: Option<Vec<Option<usize>>>,
}

/// One graded question.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuizFeedbackResponse {
    /// The learner's choice.
    pub given: Option<usize>,
    /// The right choice.
    pub answer: usize,
    /// Whether they match.
    pub correct: bool,
    /// Why.
    pub explanation: String,
}

/// What the progress update did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressResponse {
    /// The lesson is finished.
    pub lesson_completed: bool,
    /// The course is finished (now or before).
    pub course_completed: bool,
    /// The next lesson.
    pub next_lesson_id: Option<Uuid>,
    /// A quiz's score in percent.
    pub score: Option<u8>,
    /// A quiz: passed.
    pub passed: Option<bool>,
    /// A quiz: per question, after grading.
    pub feedback: Vec<QuizFeedbackResponse>,
}

#[utoipa::path(put, path = "/enrollments/{id}/lessons/{lesson}", tag = "learning",
    params(
        ("id" = Uuid, Path, description = "The enrolment"),
        ("lesson" = Uuid, Path, description = "The lesson"),
    ),
    request_body = ProgressRequest,
    responses(
        (status = 200, description = "Recorded (a failed quiz attempt is recorded too)", body = ProgressResponse),
        (status = 404, description = "Not the learner's enrolment, or not a lesson of its course", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`completed` sent for a quiz, or `answers` for a lesson that is not one", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither or both of `completed` and `answers`, or more answers than questions", body = Problem, content_type = "application/problem+json"),
    ))]
async fn put_progress(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, lesson)): Path<(String, String)>,
    ApiJson(body): ApiJson<ProgressRequest>,
) -> Result<Json<ProgressResponse>, ApiError> {
    let who = signed_in_learner(&state, &ctx).await?;
    let (e, course) = owned_enrolment(&state, &ctx, &id).await?;
    crate::learning_pages::check_offered(&state, &who, &course).await?;
    let lesson = path_id(&lesson)?;
    let learning = state.store.learning();
    let was_completed = e.completed_at.is_some();
    let response = match (body.completed, body.answers) {
        (Some(true), None) => {
            let done = learning
                .complete_lesson(&who, e.id, lesson)
                .await
                .map_err(AppError::from)?;
            ProgressResponse {
                lesson_completed: true,
                course_completed: was_completed || done.course_completed,
                next_lesson_id: done.next_lesson,
                score: None,
                passed: None,
                feedback: Vec::new(),
            }
        }
        (None, Some(answers)) => {
            let outcome = learning
                .submit_quiz(&who, e.id, lesson, &answers)
                .await
                .map_err(AppError::from)?;
            let now_completed = outcome.done.as_ref().is_some_and(|d| d.course_completed);
            ProgressResponse {
                lesson_completed: outcome.result.passed,
                course_completed: was_completed || now_completed,
                next_lesson_id: outcome.done.as_ref().and_then(|d| d.next_lesson),
                score: Some(outcome.result.percent),
                passed: Some(outcome.result.passed),
                feedback: outcome
                    .feedback
                    .iter()
                    .map(|f| QuizFeedbackResponse {
                        given: f.given,
                        answer: f.answer,
                        correct: f.given == Some(f.answer),
                        explanation: f.explanation.clone(),
                    })
                    .collect(),
            }
        }
        _ => {
            return Err(AppError::Validation(vec![crate::error::FieldError::new(
                "completed",
                "Send either {\"completed\": true} for a reading or video, or {\"answers\": [...]} for a quiz.",
            )])
            .into());
        }
    };
    if response.course_completed && !was_completed {
        count_guest(
            &state,
            &ctx,
            lyceum_store::guests::metric::COMPLETIONS,
            &course.card.slug,
        )
        .await?;
    }
    Ok(Json(response))
}

#[utoipa::path(get, path = "/enrollments/{id}/credential", tag = "learning",
    params(("id" = Uuid, Path, description = "The enrolment")),
    responses(
        (status = 200, description = "The signed Open Badges 3.0 credential (eddsa-jcs-2022), the same on every request", content_type = "application/vc+ld+json"),
        (status = 404, description = "Not the learner's enrolment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The course is not finished", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_credential(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (e, course) = owned_enrolment(&state, &ctx, &id).await?;
    let credential =
        crate::learning_pages::course_credential(&state, &ctx, &headers, e.course_id).await?;
    Ok(crate::learning_pages::credential_response(
        &credential,
        &course.card.slug,
    ))
}

#[utoipa::path(post, path = "/credentials/verify", tag = "learning",
    request_body(content = Object, description = "The credential, as downloaded", content_type = "application/json"),
    responses(
        (status = 200, description = "The verdict; `valid` is false with a `reason` for a tampered, foreign or malformed credential", body = Verification),
        (status = 413, description = "Larger than 64 KiB", body = Problem, content_type = "application/problem+json"),
    ))]
async fn verify(
    State(state): State<AppState>,
    body: axum::body::Body,
) -> Result<Json<Verification>, ApiError> {
    let body = axum::body::to_bytes(body, crate::learning_pages::MAX_CREDENTIAL_BYTES)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    let text = String::from_utf8_lossy(&body);
    Ok(Json(verify_text(&state, &text).await?))
}

/// A signing key.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyResponse {
    /// The key as a `did:key`.
    pub did: String,
    /// Made (RFC 3339).
    pub created_at: String,
    /// Retired (RFC 3339); credentials it signed stay valid.
    pub retired_at: Option<String>,
}

#[utoipa::path(get, path = "/credentials/keys", tag = "learning",
    responses((status = 200, description = "Every key this instance signs or signed credentials with, newest first", body = [KeyResponse])))]
async fn list_keys(State(state): State<AppState>) -> Result<Json<Vec<KeyResponse>>, ApiError> {
    Ok(Json(
        state
            .store
            .learning()
            .signing_keys()
            .await?
            .into_iter()
            .map(|k| KeyResponse {
                did: k.did,
                created_at: k.created_at.to_rfc3339(),
                retired_at: k.retired_at.map(|d| d.to_rfc3339()),
            })
            .collect(),
    ))
}

/// A review, shown without a name.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewResponse {
    /// Id (to report it).
    pub id: Uuid,
    /// 1 to 5.
    pub rating: u8,
    /// The words (may be empty).
    pub body: String,
    /// Last written (RFC 3339).
    pub updated_at: String,
    /// Written by the signed-in learner.
    pub mine: bool,
}

/// A course's ratings and reviews.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewsResponse {
    /// Reviews counted.
    pub count: u64,
    /// Mean rating to one decimal; null without reviews.
    pub average: Option<f32>,
    /// How many gave 1, 2, 3, 4 and 5 stars.
    pub stars: [u64; 5],
    /// The newest 50.
    pub reviews: Vec<ReviewResponse>,
}

#[utoipa::path(get, path = "/courses/{course}/reviews", tag = "learning",
    params(("course" = String, Path, description = "The course's id or short name")),
    responses((status = 200, description = "Ratings and the newest reviews; reviews several learners reported are hidden", body = ReviewsResponse)))]
async fn list_reviews(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(course): Path<String>,
) -> Result<Json<ReviewsResponse>, ApiError> {
    let c = course_ref(&state, &course).await?;
    let who = crate::learning_pages::learner(&state, &ctx).await?;
    let (ratings, reviews) = state
        .store
        .learning()
        .reviews(c.card.id, who.as_ref(), 50)
        .await?;
    Ok(Json(ReviewsResponse {
        count: ratings.count,
        average: ratings.average,
        stars: ratings.stars,
        reviews: reviews
            .into_iter()
            .map(|r| ReviewResponse {
                id: r.id,
                rating: r.rating,
                body: r.body,
                updated_at: r.updated_at.to_rfc3339(),
                mine: r.mine,
            })
            .collect(),
    }))
}

/// A rating and optional words.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// 1 to 5.
    pub rating: u8,
    /// At most 2,000 characters.
    #[serde(default)]
    pub body: String,
}

#[utoipa::path(put, path = "/courses/{course}/review", tag = "learning",
    params(("course" = String, Path, description = "The course's id or short name")),
    request_body = ReviewRequest,
    responses(
        (status = 204, description = "Saved (a second review replaces the first)"),
        (status = 409, description = "Not enrolled in the course", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A rating outside 1–5 or words over 2,000 characters", body = Problem, content_type = "application/problem+json"),
    ))]
async fn put_review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(course): Path<String>,
    ApiJson(body): ApiJson<ReviewRequest>,
) -> Result<StatusCode, ApiError> {
    let who = signed_in_learner(&state, &ctx).await?;
    let c = course_ref(&state, &course).await?;
    state
        .store
        .learning()
        .review(&who, c.card.id, body.rating, &body.body)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/courses/{course}/review", tag = "learning",
    params(("course" = String, Path, description = "The course's id or short name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No review of yours", body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(course): Path<String>,
) -> Result<StatusCode, ApiError> {
    let who = signed_in_learner(&state, &ctx).await?;
    let c = course_ref(&state, &course).await?;
    if state
        .store
        .learning()
        .delete_review(&who, c.card.id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound.into())
    }
}

/// What a report did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportResponse {
    /// Whether the review is now hidden (three learners reported it).
    pub hidden: bool,
}

#[utoipa::path(post, path = "/reviews/{id}/reports", tag = "learning",
    params(("id" = Uuid, Path, description = "The review")),
    responses(
        (status = 200, description = "Recorded (once per learner)", body = ReportResponse),
        (status = 404, description = "No such review", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Your own review", body = Problem, content_type = "application/problem+json"),
    ))]
async fn report_review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<ReportResponse>, ApiError> {
    let who = signed_in_learner(&state, &ctx).await?;
    let id = path_id(&id)?;
    let hidden = state
        .store
        .learning()
        .report_review(&who, id)
        .await
        .map_err(AppError::from)?;
    Ok(Json(ReportResponse { hidden }))
}

/// A review hidden by reports.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportedReviewResponse {
    /// Id.
    pub id: Uuid,
    /// 1 to 5.
    pub rating: u8,
    /// The words.
    pub body: String,
    /// How many learners reported it.
    pub reports: i32,
}

#[utoipa::path(get, path = "/courses/{course}/reviews/reported", tag = "learning",
    params(("course" = String, Path, description = "Course id or short name")),
    responses((status = 200, description = "Reviews hidden by reports, most reported first", body = [ReportedReviewResponse]),
        (status = 403, description = "Not the course's instructor or its provider's staff", body = Problem, content_type = "application/problem+json")))]
async fn reported_reviews(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(course): Path<String>,
) -> Result<Json<Vec<ReportedReviewResponse>>, ApiError> {
    let c = course_ref(&state, &course).await?;
    let list = state
        .store
        .learning()
        .reported_reviews(c.card.id, ctx.member.as_ref().map(|m| m.id))
        .await
        .map_err(AppError::from)?;
    Ok(Json(
        list.into_iter()
            .map(|(r, reports)| ReportedReviewResponse {
                id: r.id,
                rating: r.rating,
                body: r.body,
                reports,
            })
            .collect(),
    ))
}

/// What to do with a reported review.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionRequest {
    /// `true`: show it again (its reports are cleared); `false`: remove it.
    pub keep: bool,
}

#[utoipa::path(put, path = "/reviews/{id}/decision", tag = "learning", request_body = DecisionRequest,
    params(("id" = Uuid, Path, description = "Review id")),
    responses((status = 204, description = "Kept (shown again) or removed"),
        (status = 403, description = "Not the course's instructor or its provider's staff", body = Problem, content_type = "application/problem+json")))]
async fn decide_review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DecisionRequest>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id)?;
    state
        .store
        .learning()
        .decide_review(id, ctx.member.as_ref().map(|m| m.id), body.keep)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}
