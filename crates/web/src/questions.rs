//! Course Q&A, as pages and as API: questions on a course or one of its
//! lessons, answers, "helpful" marks, accepted answers, reports, and the
//! course staff's remove and restore. Signed-in learners (guests and
//! members) read; those enrolled ask and answer, and so do the course's
//! instructors and its provider's staff. Everything works without
//! JavaScript.

use crate::AppState;
use crate::error::{ApiError, AppError, FieldError, PageError};
use crate::extract::{ApiJson, PageForm};
use crate::learning_pages::{published_course, signed_in_learner};
use crate::pages::{Layout, page, see_other};
use crate::post_images::PostInput;
use crate::session::Ctx;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use lyceum_store::learning::{
    Answer, MAX_QA_BODY, MAX_QUESTION_TITLE, QaGone, QaItem, QaText, QaViewer, Question, Thread,
};
use lyceum_store::network::NewPostImage;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

/// The Q&A pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/courses/{slug}/questions",
            get(list_page).post(ask_form).layer(upload_limit()),
        )
        .route("/questions/{id}", get(thread_page))
        .route(
            "/questions/{id}/answers",
            post(answer_form).layer(upload_limit()),
        )
        .route("/media/qa/{id}/{size}", get(picture))
        .route("/qa/{id}/helpful", post(helpful_form))
        .route("/qa/{id}/accept", post(accept_form))
        .route("/qa/{id}/report", post(report_form))
        .route("/qa/{id}/delete", post(delete_form))
        .route("/qa/{id}/restore", post(restore_form))
}

/// The Q&A API.
pub fn api_router() -> Router<AppState> {
    Router::new()
        .route(
            "/courses/{course}/questions",
            get(api_list).post(api_ask).layer(upload_limit()),
        )
        .route("/questions/{id}", get(api_thread))
        .route(
            "/questions/{id}/answers",
            post(api_answer).layer(upload_limit()),
        )
        .route(
            "/qa/{id}/helpful",
            put(api_helpful_on).delete(api_helpful_off),
        )
        .route("/qa/{id}/accepted", put(api_accept))
        .route("/qa/{id}/reports", post(api_report))
        .route("/qa/{id}", axum::routing::delete(api_delete))
        .route("/qa/{id}/restore", post(api_restore))
}

#[derive(OpenApi)]
#[openapi(
    paths(api_list, api_ask, api_thread, api_answer, api_helpful_on, api_helpful_off, api_accept, api_report, api_delete, api_restore),
    components(schemas(QaImageResponse, QuestionResponse, AnswerResponse, ThreadResponse, AskRequest, AnswerRequest, AcceptRequest, QaCreated, QaReported)),
    tags((name = "learning", description = "Courses, lessons, progress and credentials"))
)]
pub struct QuestionsApiDoc;

/// One picture and the words beside it.
fn upload_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(lyceum_media::MAX_IMAGE_BYTES + 64 * 1024)
}

/// A question or answer as a form or a multipart request sends it: its
/// text fields and at most one picture, prepared (metadata stripped).
#[derive(Debug, Default)]
struct QaInput {
    csrf: String,
    title: String,
    body: String,
    lesson: String,
    show_name: bool,
    image: Option<NewPostImage>,
}

impl QaInput {
    /// Reads the fields, then prepares the picture: one that cannot be
    /// used is a 422 on the `image` field, with the reason, returned
    /// beside the text so a page can show the text again.
    async fn read(input: PostInput) -> (Self, Option<AppError>) {
        let field = |k: &str| input.fields.get(k).cloned().unwrap_or_default();
        let mut out = Self {
            title: field("title"),
            lesson: field("lesson"),
            show_name: input
                .fields
                .get("show_name")
                .is_some_and(|v| !v.is_empty() && v != "false"),
            csrf: input.csrf,
            body: input.body,
            image: None,
        };
        if input.images.len() > 1 {
            let e = FieldError::new("image", "Attach one picture at most.");
            return (out, Some(AppError::Validation(vec![e])));
        }
        match crate::post_images::prepare(input.images).await {
            Ok(images) => {
                out.image = images.into_iter().next();
                (out, None)
            }
            Err(e) => (out, Some(e)),
        }
    }

    fn text(&mut self) -> QaText<'_> {
        QaText {
            title: &self.title,
            body: &self.body,
            show_name: self.show_name,
            image: self.image.take(),
        }
    }

    fn lesson(&self) -> Result<Option<Uuid>, AppError> {
        if self.lesson.is_empty() {
            return Ok(None);
        }
        Uuid::parse_str(&self.lesson).map(Some).map_err(|_| {
            AppError::Validation(vec![FieldError::new(
                "lesson",
                "Choose a lesson from the list.",
            )])
        })
    }
}

async fn viewer(state: &AppState, ctx: &Ctx) -> Result<QaViewer, AppError> {
    Ok(QaViewer {
        learner: signed_in_learner(state, ctx).await?,
        member: ctx.member.as_ref().map(|m| m.id),
    })
}

fn parse_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

fn date(at: DateTime<Utc>) -> String {
    at.format("%-d %B %Y").to_string()
}

// ---------------------------------------------------------------- pages

struct ItemView {
    id: String,
    body: String,
    who: String,
    role: Option<&'static str>,
    mine: bool,
    helpful: u64,
    marked: bool,
    reports: u64,
    hidden: bool,
    date: String,
    image: Option<lyceum_store::network::ImageView>,
    erased: bool,
}

impl From<&QaItem> for ItemView {
    fn from(i: &QaItem) -> Self {
        Self {
            id: i.id.to_string(),
            body: i.body.clone(),
            who: if i.mine {
                "You".into()
            } else if i.erased {
                "a former learner".into()
            } else {
                i.name.clone().unwrap_or_else(|| "A learner".into())
            },
            role: i.role.map(|r| r.label()),
            mine: i.mine,
            helpful: i.helpful,
            marked: i.marked,
            reports: i.reports,
            hidden: i.hidden,
            date: date(i.created_at),
            image: i.image.clone(),
            erased: i.erased,
        }
    }
}

struct QuestionView {
    item: ItemView,
    title: String,
    lesson: Option<String>,
    answers: u64,
    answered: bool,
}

impl From<&Question> for QuestionView {
    fn from(q: &Question) -> Self {
        Self {
            item: ItemView::from(&q.item),
            title: if q.item.erased {
                "A deleted question".into()
            } else {
                q.title.clone()
            },
            lesson: q.lesson.as_ref().map(|(_, t)| t.clone()),
            answers: q.answers,
            answered: q.answered,
        }
    }
}

struct AnswerView {
    item: ItemView,
    accepted: bool,
}

impl From<&Answer> for AnswerView {
    fn from(a: &Answer) -> Self {
        Self {
            item: ItemView::from(&a.item),
            accepted: a.accepted,
        }
    }
}

#[derive(Template)]
#[template(path = "questions.html")]
struct ListPage {
    layout: Layout,
    slug: String,
    course: String,
    /// Lessons to choose from: id, title, chosen.
    lessons: Vec<(String, String, bool)>,
    lesson_filter: Option<String>,
    questions: Vec<QuestionView>,
    signed_in: bool,
    can_ask: bool,
    is_member: bool,
    errors: Vec<FieldError>,
    title: String,
    body: String,
    show_name: bool,
    max_title: usize,
    max_body: usize,
}

#[derive(Debug, Default, Deserialize)]
struct ListParams {
    #[serde(default)]
    lesson: Option<String>,
}

async fn render_list(
    state: &AppState,
    ctx: &Ctx,
    slug: &str,
    lesson: Option<Uuid>,
    form: Option<(&QaInput, Vec<FieldError>)>,
) -> Result<Response, AppError> {
    let (form, errors) = match form {
        Some((f, e)) => (Some(f), e),
        None => (None, Vec::new()),
    };
    let course = published_course(state, slug).await?;
    let lessons: Vec<(Uuid, String)> = course.lessons().map(|l| (l.id, l.title.clone())).collect();
    let lesson = lesson.filter(|l| lessons.iter().any(|(id, _)| id == l));
    let chosen = form
        .and_then(|f| Uuid::parse_str(&f.lesson).ok())
        .or(lesson);
    let (questions, can_ask, signed_in) = match signed_in_learner(state, ctx).await {
        Ok(learner) => {
            let enrolled = state
                .store
                .learning()
                .enrolment(&learner, course.card.id)
                .await?
                .is_some();
            let v = QaViewer {
                learner,
                member: ctx.member.as_ref().map(|m| m.id),
            };
            let learning = state.store.learning();
            let staff = learning.is_course_staff(course.card.id, v.member).await?;
            let qs = learning.questions(course.card.id, lesson, &v).await?;
            (qs, enrolled || staff, true)
        }
        Err(AppError::Unauthorized(_)) => (Vec::new(), false, false),
        Err(e) => return Err(e),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page(
        status,
        &ListPage {
            layout: Layout::new(&format!("Questions: {}", course.card.title), ctx, "courses"),
            slug: course.card.slug.clone(),
            course: course.card.title.clone(),
            lesson_filter: lesson
                .and_then(|l| lessons.iter().find(|(id, _)| *id == l))
                .map(|(_, t)| t.clone()),
            lessons: lessons
                .iter()
                .map(|(id, t)| (id.to_string(), t.clone(), Some(*id) == chosen))
                .collect(),
            questions: questions.iter().map(QuestionView::from).collect(),
            signed_in,
            can_ask,
            is_member: ctx.member.is_some(),
            errors,
            title: form.map(|f| f.title.clone()).unwrap_or_default(),
            body: form.map(|f| f.body.clone()).unwrap_or_default(),
            show_name: form.is_some_and(|f| f.show_name),
            max_title: MAX_QUESTION_TITLE,
            max_body: MAX_QA_BODY,
        },
    ))
}

async fn list_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let lesson = p.lesson.as_deref().and_then(|l| Uuid::parse_str(l).ok());
    Ok(render_list(&state, &ctx, &slug, lesson, None).await?)
}

async fn ask_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, PageError> {
    let (mut input, refused) = QaInput::read(PostInput::from_page(req).await?).await;
    ctx.check_csrf(&input.csrf)?;
    let course = published_course(&state, &slug).await?;
    let v = viewer(&state, &ctx).await?;
    let lesson = input.lesson()?;
    let asked = match refused {
        Some(e) => Err(e),
        None => state
            .store
            .learning()
            .ask(&v, course.card.id, lesson, input.text())
            .await
            .map_err(AppError::from),
    };
    match asked {
        Ok(id) => Ok(see_other(&format!("/questions/{id}?done=asked"))),
        Err(AppError::Validation(errors)) => {
            Ok(render_list(&state, &ctx, &slug, lesson, Some((&input, errors))).await?)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "question.html")]
struct ThreadPage {
    layout: Layout,
    slug: String,
    course: String,
    question: QuestionView,
    answers: Vec<AnswerView>,
    can_accept: bool,
    is_staff: bool,
    can_answer: bool,
    is_member: bool,
    notice: Option<&'static str>,
    errors: Vec<FieldError>,
    body: String,
    max_body: usize,
}

#[derive(Debug, Default, Deserialize)]
struct Done {
    #[serde(default)]
    done: Option<String>,
}

async fn render_thread(
    state: &AppState,
    ctx: &Ctx,
    id: Uuid,
    done: Option<&str>,
    form: Option<(&QaInput, Vec<FieldError>)>,
) -> Result<Response, AppError> {
    let v = viewer(state, ctx).await?;
    let learning = state.store.learning();
    let t: Thread = learning.thread(id, &v).await?;
    let course = learning
        .course(t.course_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let enrolled = learning
        .enrolment(&v.learner, course.card.id)
        .await?
        .is_some();
    let notice = match done {
        Some("asked") => Some(
            "Your question is posted. Other learners see it without your name unless you chose to show it.",
        ),
        Some("answered") => Some("Your answer is posted."),
        Some("marked") => Some("Saved."),
        Some("accepted") => {
            Some("The answer is marked as accepted; the question shows as answered.")
        }
        Some("reported") => Some(
            "Thank you for the report. What several learners report is hidden until the course's staff look at it.",
        ),
        Some("deleted") => Some("Deleted."),
        Some("removed") => Some("Removed: learners no longer see it."),
        Some("restored") => Some("Restored: learners see it again."),
        _ => None,
    };
    let status = if form.as_ref().is_some_and(|(_, e)| !e.is_empty()) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let question = QuestionView::from(&t.question);
    Ok(page(
        status,
        &ThreadPage {
            layout: Layout::new(&question.title, ctx, "courses"),
            slug: course.card.slug.clone(),
            course: course.card.title.clone(),
            question,
            answers: t.answers.iter().map(AnswerView::from).collect(),
            can_accept: t.can_accept,
            is_staff: t.is_course_staff,
            can_answer: (enrolled || t.is_course_staff) && !t.question.item.erased,
            is_member: ctx.member.is_some(),
            notice,
            errors: form.as_ref().map(|(_, e)| e.clone()).unwrap_or_default(),
            body: form.map(|(f, _)| f.body.clone()).unwrap_or_default(),
            max_body: MAX_QA_BODY,
        },
    ))
}

async fn thread_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    Ok(render_thread(&state, &ctx, id, d.done.as_deref(), None).await?)
}

async fn answer_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, PageError> {
    let (mut input, refused) = QaInput::read(PostInput::from_page(req).await?).await;
    ctx.check_csrf(&input.csrf)?;
    let id = parse_id(&id)?;
    let v = viewer(&state, &ctx).await?;
    let answered = match refused {
        Some(e) => Err(e),
        None => state
            .store
            .learning()
            .answer(&v, id, input.text())
            .await
            .map_err(AppError::from),
    };
    match answered {
        Ok(_) => Ok(see_other(&format!("/questions/{id}?done=answered"))),
        Err(AppError::Validation(errors)) => {
            Ok(render_thread(&state, &ctx, id, None, Some((&input, errors))).await?)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /media/qa/{id}/{size}`: a picture of a question or answer, for a
/// signed-in learner who may read it; 404 for anyone else.
async fn picture(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, size)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let size = crate::post_images::size_of(&size)?;
    let v = match viewer(&state, &ctx).await {
        Ok(v) => v,
        Err(AppError::Unauthorized(_)) => return Err(AppError::NotFound.into()),
        Err(e) => return Err(e.into()),
    };
    let file = state
        .store
        .learning()
        .qa_image(&v, id, size)
        .await
        .map_err(AppError::from)?;
    Ok(crate::post_images::picture_response(id, file, &headers))
}

#[derive(Debug, Deserialize)]
struct ToggleForm {
    csrf: String,
    /// `on` or `off`.
    #[serde(default)]
    value: String,
    /// The question page to come back to.
    #[serde(default)]
    back: String,
}

impl ToggleForm {
    fn on(&self) -> bool {
        self.value != "off"
    }

    fn back(&self, done: &str) -> String {
        match Uuid::parse_str(&self.back) {
            Ok(q) => format!("/questions/{q}?done={done}"),
            Err(_) => "/learning".into(),
        }
    }
}

async fn helpful_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<ToggleForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let v = viewer(&state, &ctx).await?;
    state
        .store
        .learning()
        .mark_helpful(&v, parse_id(&id)?, form.on())
        .await
        .map_err(AppError::from)?;
    Ok(see_other(&form.back("marked")))
}

async fn accept_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<ToggleForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let v = viewer(&state, &ctx).await?;
    let q = state
        .store
        .learning()
        .accept_answer(&v, parse_id(&id)?, form.on())
        .await
        .map_err(AppError::from)?;
    Ok(see_other(&format!("/questions/{q}?done=accepted")))
}

async fn report_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<ToggleForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let v = viewer(&state, &ctx).await?;
    state
        .store
        .learning()
        .report_qa(&v, parse_id(&id)?)
        .await
        .map_err(AppError::from)?;
    Ok(see_other(&form.back("reported")))
}

async fn delete_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<ToggleForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let v = viewer(&state, &ctx).await?;
    let id = parse_id(&id)?;
    let learning = state.store.learning();
    match learning.delete_qa(&v, id).await.map_err(AppError::from)? {
        QaGone::Removed { question } => {
            Ok(see_other(&format!("/questions/{question}?done=removed")))
        }
        QaGone::Deleted {
            question: Some(q), ..
        } => Ok(see_other(&format!("/questions/{q}?done=deleted"))),
        QaGone::Deleted {
            question: None,
            course,
        } => {
            let slug = learning
                .course(course)
                .await?
                .map(|c| c.card.slug)
                .ok_or(AppError::NotFound)?;
            Ok(see_other(&format!("/courses/{slug}/questions")))
        }
    }
}

async fn restore_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<ToggleForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let v = viewer(&state, &ctx).await?;
    state
        .store
        .learning()
        .restore_qa(&v, parse_id(&id)?)
        .await
        .map_err(AppError::from)?;
    Ok(see_other(&form.back("restored")))
}

// ------------------------------------------------------------------ API

/// A question or answer's common parts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerResponse {
    /// Id.
    pub id: Uuid,
    /// The words.
    pub body: String,
    /// The writer's name, only when they chose to show it.
    pub name: Option<String>,
    /// `instructor` or `staff` for the course's people.
    pub role: Option<String>,
    /// Written by you.
    pub mine: bool,
    /// How many marked it helpful.
    pub helpful: u64,
    /// Whether you did.
    pub marked_helpful: bool,
    /// Accepted (answers only).
    pub accepted: bool,
    /// Reports (course staff only).
    pub reports: u64,
    /// Hidden by reports or removed (course staff only see such items).
    pub hidden: bool,
    /// The picture attached, if any.
    pub image: Option<QaImageResponse>,
    /// RFC 3339.
    pub created_at: String,
    /// Its writer's account was erased after others answered: no words,
    /// kept so that the answers keep their place.
    pub erased: bool,
}

/// A picture with a question or answer (served to those who may read it).
#[derive(Debug, Serialize, ToSchema)]
pub struct QaImageResponse {
    /// The large file (1,280 px on the long side at most).
    pub url: String,
    /// The small file (480 px).
    pub small_url: String,
    /// What it shows.
    pub alt: String,
    /// Large size, pixels.
    pub width: u32,
    /// Large size, pixels.
    pub height: u32,
}

fn item_response(i: &QaItem, accepted: bool) -> AnswerResponse {
    AnswerResponse {
        id: i.id,
        body: i.body.clone(),
        name: i.name.clone(),
        role: i.role.and_then(|r| {
            serde_json::to_value(r)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
        }),
        mine: i.mine,
        helpful: i.helpful,
        marked_helpful: i.marked,
        accepted,
        reports: i.reports,
        hidden: i.hidden,
        image: i.image.as_ref().map(|m| QaImageResponse {
            url: format!("/media/qa/{}/large", m.id),
            small_url: format!("/media/qa/{}/small", m.id),
            alt: m.alt.clone(),
            width: m.width,
            height: m.height,
        }),
        created_at: i.created_at.to_rfc3339(),
        erased: i.erased,
    }
}

/// A question.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionResponse {
    /// The question's words and marks (`accepted` is always false).
    #[serde(flatten)]
    pub item: AnswerResponse,
    /// Title.
    pub title: String,
    /// The lesson it is about.
    pub lesson_id: Option<Uuid>,
    /// Visible answers.
    pub answers: u64,
    /// An answer is accepted.
    pub answered: bool,
}

fn question_response(q: &Question) -> QuestionResponse {
    QuestionResponse {
        item: item_response(&q.item, false),
        title: q.title.clone(),
        lesson_id: q.lesson.as_ref().map(|(id, _)| *id),
        answers: q.answers,
        answered: q.answered,
    }
}

/// A question with its answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadResponse {
    /// The question.
    pub question: QuestionResponse,
    /// Answers: accepted first, then most helpful.
    pub answers: Vec<AnswerResponse>,
    /// Whether you may accept an answer.
    pub can_accept: bool,
}

/// A question to ask.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AskRequest {
    /// Up to 150 characters (answers have none).
    #[serde(default)]
    pub title: String,
    /// Details, up to 5,000 characters (may be empty).
    #[serde(default)]
    pub body: String,
    /// A lesson of the course it is about.
    #[serde(default)]
    pub lesson_id: Option<Uuid>,
    /// Show your name (members only; off by default).
    #[serde(default)]
    pub show_name: bool,
}

/// An answer to give.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AnswerRequest {
    /// Up to 5,000 characters.
    pub body: String,
    /// Show your name (members only; off by default).
    #[serde(default)]
    pub show_name: bool,
}

/// Accept an answer, or take it back.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptRequest {
    /// Accepted or not.
    pub accepted: bool,
}

/// What was made.
#[derive(Debug, Serialize, ToSchema)]
pub struct QaCreated {
    /// Its id.
    pub id: Uuid,
}

/// A report taken.
#[derive(Debug, Serialize, ToSchema)]
pub struct QaReported {
    /// Whether it is now hidden until course staff look at it.
    pub hidden: bool,
}

#[utoipa::path(get, path = "/courses/{course}/questions", tag = "learning",
    params(("course" = Uuid, Path, description = "Course id"), ("lesson" = Option<Uuid>, Query, description = "Only questions about this lesson")),
    responses((status = 200, description = "Questions, unanswered first, then newest", body = [QuestionResponse]), (status = 401, description = "Not signed in"), (status = 404, description = "No such course")))]
async fn api_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(course): Path<String>,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<QuestionResponse>>, ApiError> {
    let course = parse_id(&course)?;
    let v = viewer(&state, &ctx).await?;
    let lesson = match p.lesson.as_deref() {
        Some(l) => Some(Uuid::parse_str(l).map_err(|_| {
            AppError::Validation(vec![FieldError::new("lesson", "Give a lesson id.")])
        })?),
        None => None,
    };
    let qs = state
        .store
        .learning()
        .questions(course, lesson, &v)
        .await
        .map_err(AppError::from)?;
    Ok(Json(qs.iter().map(question_response).collect()))
}

/// A question or answer sent to the API: JSON, or multipart with the
/// same fields (`lesson_id` for the lesson) and an `image` file with its
/// `image_alt` description.
async fn api_input(state: &AppState, req: axum::extract::Request) -> Result<QaInput, AppError> {
    use axum::extract::FromRequest;
    if crate::post_images::is_multipart(&req) {
        let multipart = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|_| AppError::BadRequest("The multipart body could not be read.".into()))?;
        let mut raw = PostInput::read(multipart).await?;
        if let Some(l) = raw.fields.remove("lesson_id") {
            raw.fields.insert("lesson".into(), l);
        }
        let (input, refused) = QaInput::read(raw).await;
        return match refused {
            Some(e) => Err(e),
            None => Ok(input),
        };
    }
    let ApiJson(b) = ApiJson::<AskRequest>::from_request(req, state)
        .await
        .map_err(|e| e.0)?;
    Ok(QaInput {
        title: b.title,
        body: b.body,
        lesson: b.lesson_id.map(|l| l.to_string()).unwrap_or_default(),
        show_name: b.show_name,
        ..QaInput::default()
    })
}

#[utoipa::path(post, path = "/courses/{course}/questions", tag = "learning", request_body = AskRequest,
    params(("course" = Uuid, Path, description = "Course id")),
    responses((status = 201, body = QaCreated), (status = 409, description = "Not enrolled"), (status = 422, description = "Empty or too long, or a lesson of another course")))]
async fn api_ask(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(course): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    let course = parse_id(&course)?;
    let mut input = api_input(&state, req).await?;
    let v = viewer(&state, &ctx).await?;
    let lesson = input.lesson()?;
    let id = state
        .store
        .learning()
        .ask(&v, course, lesson, input.text())
        .await
        .map_err(AppError::from)?;
    Ok((StatusCode::CREATED, Json(QaCreated { id })).into_response())
}

#[utoipa::path(get, path = "/questions/{id}", tag = "learning",
    params(("id" = Uuid, Path, description = "Question id")),
    responses((status = 200, body = ThreadResponse), (status = 404, description = "No such question, or hidden")))]
async fn api_thread(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<ThreadResponse>, ApiError> {
    let id = parse_id(&id)?;
    let v = viewer(&state, &ctx).await?;
    let t = state
        .store
        .learning()
        .thread(id, &v)
        .await
        .map_err(AppError::from)?;
    Ok(Json(ThreadResponse {
        question: question_response(&t.question),
        answers: t
            .answers
            .iter()
            .map(|a| item_response(&a.item, a.accepted))
            .collect(),
        can_accept: t.can_accept,
    }))
}

#[utoipa::path(post, path = "/questions/{id}/answers", tag = "learning", request_body = AnswerRequest,
    params(("id" = Uuid, Path, description = "Question id")),
    responses((status = 201, body = QaCreated), (status = 409, description = "Not enrolled"), (status = 422, description = "Empty or too long")))]
async fn api_answer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let mut input = api_input(&state, req).await?;
    let v = viewer(&state, &ctx).await?;
    let id = state
        .store
        .learning()
        .answer(&v, id, input.text())
        .await
        .map_err(AppError::from)?;
    Ok((StatusCode::CREATED, Json(QaCreated { id })).into_response())
}

async fn helpful(state: &AppState, ctx: &Ctx, id: Uuid, on: bool) -> Result<StatusCode, ApiError> {
    let v = viewer(state, ctx).await?;
    state
        .store
        .learning()
        .mark_helpful(&v, id, on)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/qa/{id}/helpful", tag = "learning",
    params(("id" = Uuid, Path, description = "Question or answer id")),
    responses((status = 204, description = "Marked (once per learner)"), (status = 409, description = "Your own, or not enrolled")))]
async fn api_helpful_on(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    helpful(&state, &ctx, id, true).await
}

#[utoipa::path(delete, path = "/qa/{id}/helpful", tag = "learning",
    params(("id" = Uuid, Path, description = "Question or answer id")),
    responses((status = 204, description = "Unmarked")))]
async fn api_helpful_off(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    helpful(&state, &ctx, id, false).await
}

#[utoipa::path(put, path = "/qa/{id}/accepted", tag = "learning", request_body = AcceptRequest,
    params(("id" = Uuid, Path, description = "Answer id")),
    responses((status = 204, description = "One answer per question is accepted"), (status = 403, description = "Neither the asker nor the course's people")))]
async fn api_accept(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AcceptRequest>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    let v = viewer(&state, &ctx).await?;
    state
        .store
        .learning()
        .accept_answer(&v, id, body.accepted)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/qa/{id}/reports", tag = "learning",
    params(("id" = Uuid, Path, description = "Question or answer id")),
    responses((status = 200, body = QaReported), (status = 409, description = "Your own")))]
async fn api_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<QaReported>, ApiError> {
    let id = parse_id(&id)?;
    let v = viewer(&state, &ctx).await?;
    let hidden = state
        .store
        .learning()
        .report_qa(&v, id)
        .await
        .map_err(AppError::from)?;
    Ok(Json(QaReported { hidden }))
}

#[utoipa::path(delete, path = "/qa/{id}", tag = "learning",
    params(("id" = Uuid, Path, description = "Question or answer id")),
    responses((status = 204, description = "Your own is deleted (a question with its answers); course staff remove it from view"), (status = 403, description = "Neither yours nor your course")))]
async fn api_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    let v = viewer(&state, &ctx).await?;
    state
        .store
        .learning()
        .delete_qa(&v, id)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/qa/{id}/restore", tag = "learning",
    params(("id" = Uuid, Path, description = "Question or answer id")),
    responses((status = 204, description = "Visible again, reports cleared"), (status = 403, description = "Not the course's staff")))]
async fn api_restore(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    let v = viewer(&state, &ctx).await?;
    state
        .store
        .learning()
        .restore_qa(&v, id)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}
