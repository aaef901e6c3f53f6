//! Collections of courses, as pages and as API: a library's learning
//! paths (curated by its staff, open to anyone) and a learner's own
//! collections (seen by them alone). Courses are saved into one from the
//! course page.

use crate::AppState;
use crate::error::{ApiError, AppError, FieldError, PageError};
use crate::extract::{ApiJson, PageForm};
use crate::learning_api::CourseSummary;
use crate::learning_pages::{CardView, learner, published_course, signed_in_learner};
use crate::library_pages::{find_library, staff_library};
use crate::pages::{Layout, page, see_other};
use crate::session::Ctx;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use lyceum_core::domain::LibraryId;
use lyceum_store::learning::{
    CollectionOwner, CollectionSummary, CollectionView, CourseProgress, LearningError,
    MAX_COLLECTION_TITLE, MAX_PATH_DESCRIPTION,
};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

/// The collection pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/learning/collections",
            get(mine_page).post(create_mine_form),
        )
        .route(
            "/libraries/{slug}/paths",
            get(paths_page).post(create_path_form),
        )
        .route("/collections/{id}", get(collection_page))
        .route("/collections/{id}/edit", post(edit_form))
        .route("/collections/{id}/delete", post(delete_form))
        .route(
            "/collections/{id}/courses/{course}/remove",
            post(remove_form),
        )
        .route("/collections/{id}/courses/{course}/move", post(move_form))
        .route("/courses/{slug}/collect", post(collect_form))
}

/// The collection API.
pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/collections", get(api_mine).post(api_create_mine))
        .route(
            "/collections/{id}",
            get(api_get).put(api_edit).delete(api_delete),
        )
        .route(
            "/collections/{id}/courses/{course}",
            put(api_add).delete(api_remove),
        )
        .route("/collections/{id}/courses/{course}/move", post(api_move))
        .route(
            "/libraries/{slug}/paths",
            get(api_paths).post(api_create_path),
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(api_mine, api_create_mine, api_get, api_edit, api_delete, api_add, api_remove, api_move, api_paths, api_create_path),
    components(schemas(CollectionRequest, CollectionResponse, CollectionCourse, CollectionListItem, MoveRequest, CollectionCreated)),
    tags((name = "learning", description = "Courses, lessons, progress and credentials"))
)]
pub struct CollectionsApiDoc;

/// Who may change the collection: its library's staff (or an operator)
/// for a path, its learner for their own.
async fn editor(state: &AppState, ctx: &Ctx, id: Uuid) -> Result<CollectionOwner, AppError> {
    match state.store.learning().collection_library(id).await? {
        Some(library) => {
            let slug = library_slug(state, library).await?;
            staff_library(state, ctx, &slug).await?;
            Ok(CollectionOwner::Library(library))
        }
        None => Ok(CollectionOwner::Learner(
            signed_in_learner(state, ctx).await?,
        )),
    }
}

async fn library_slug(state: &AppState, id: LibraryId) -> Result<String, AppError> {
    Ok(state
        .store
        .libraries()
        .get(id)
        .await?
        .ok_or(AppError::NotFound)?
        .slug
        .to_string())
}

async fn view(state: &AppState, ctx: &Ctx, id: Uuid) -> Result<CollectionView, AppError> {
    let who = learner(state, ctx).await?;
    let learning = state.store.learning();
    let allowed = learning.allowed_providers(who.as_ref()).await?;
    Ok(learning
        .collection(id, who.as_ref(), allowed.as_deref())
        .await?)
}

fn progress_label(p: CourseProgress) -> &'static str {
    match p {
        CourseProgress::NotStarted => "Not started",
        CourseProgress::InProgress => "In progress",
        CourseProgress::Finished => "Finished",
    }
}

// ---------------------------------------------------------------- pages

#[derive(Template)]
#[template(path = "collections.html")]
struct ListPage {
    layout: Layout,
    heading: String,
    intro: String,
    action: String,
    /// id, title, description, courses.
    items: Vec<(String, String, String, u64)>,
    can_create: bool,
    is_path: bool,
    errors: Vec<FieldError>,
    title: String,
    description: String,
    max_title: usize,
    max_description: usize,
}

fn items(list: Vec<CollectionSummary>) -> Vec<(String, String, String, u64)> {
    list.into_iter()
        .map(|c| (c.id.to_string(), c.title, c.description, c.courses))
        .collect()
}

#[derive(Debug, Default, Deserialize)]
struct CreateForm {
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
}

async fn render_mine(
    state: &AppState,
    ctx: &Ctx,
    form: Option<&CreateForm>,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let Some(who) = learner(state, ctx).await? else {
        return Ok(see_other("/signin"));
    };
    let list = state
        .store
        .learning()
        .collections(&CollectionOwner::Learner(who))
        .await?;
    Ok(page(
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &ListPage {
            layout: Layout::new("My collections", ctx, "learning"),
            heading: "My collections".into(),
            intro: "Keep courses together for later, in your own order. Nobody else sees your collections. Save a course into one from its page.".into(),
            action: "/learning/collections".into(),
            items: items(list),
            can_create: true,
            is_path: false,
            errors,
            title: form.map(|f| f.title.clone()).unwrap_or_default(),
            description: String::new(),
            max_title: MAX_COLLECTION_TITLE,
            max_description: MAX_PATH_DESCRIPTION,
        },
    ))
}

async fn mine_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    Ok(render_mine(&state, &ctx, None, Vec::new()).await?)
}

fn field_error(e: LearningError) -> Result<Vec<FieldError>, AppError> {
    match e {
        LearningError::Invalid(field, message) => Ok(vec![FieldError::new(field, message)]),
        e => Err(e.into()),
    }
}

async fn create_mine_form(
    State(state): State<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<CreateForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let who = signed_in_learner(&state, &ctx).await?;
    match state
        .store
        .learning()
        .create_collection(&CollectionOwner::Learner(who), &form.title, "")
        .await
    {
        Ok(id) => Ok(see_other(&format!("/collections/{id}?done=created"))),
        Err(e) => Ok(render_mine(&state, &ctx, Some(&form), field_error(e)?).await?),
    }
}

async fn render_paths(
    state: &AppState,
    ctx: &Ctx,
    slug: &str,
    form: Option<&CreateForm>,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let library = find_library(state, slug).await?;
    let can_create = ctx.member.is_some() && staff_library(state, ctx, slug).await.is_ok();
    let list = state
        .store
        .learning()
        .collections(&CollectionOwner::Library(library.id))
        .await?;
    Ok(page(
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &ListPage {
            layout: Layout::new(&format!("Learning paths: {}", library.name), ctx, "courses"),
            heading: format!("Learning paths from {}", library.name),
            intro: "Courses your library chose and put in order for a goal. Anyone can follow a path; your progress in each course shows beside it when you are signed in.".into(),
            action: format!("/libraries/{slug}/paths"),
            items: items(list),
            can_create,
            is_path: true,
            errors,
            title: form.map(|f| f.title.clone()).unwrap_or_default(),
            description: form.map(|f| f.description.clone()).unwrap_or_default(),
            max_title: MAX_COLLECTION_TITLE,
            max_description: MAX_PATH_DESCRIPTION,
        },
    ))
}

async fn paths_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    Ok(render_paths(&state, &ctx, &slug, None, Vec::new()).await?)
}

async fn create_path_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<CreateForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let library = staff_library(&state, &ctx, &slug).await?;
    match state
        .store
        .learning()
        .create_collection(
            &CollectionOwner::Library(library.id),
            &form.title,
            &form.description,
        )
        .await
    {
        Ok(id) => Ok(see_other(&format!("/collections/{id}?done=created"))),
        Err(e) => Ok(render_paths(&state, &ctx, &slug, Some(&form), field_error(e)?).await?),
    }
}

struct CourseRow {
    card: CardView,
    id: String,
    progress: &'static str,
    first: bool,
    last: bool,
}

#[derive(Template)]
#[template(path = "collection.html")]
struct CollectionPage {
    layout: Layout,
    id: String,
    title: String,
    description: String,
    /// The library's short name and name, for a path.
    library: Option<(String, String)>,
    courses: Vec<CourseRow>,
    can_edit: bool,
    notice: Option<&'static str>,
    errors: Vec<FieldError>,
    max_title: usize,
    max_description: usize,
}

#[derive(Debug, Default, Deserialize)]
struct Done {
    #[serde(default)]
    done: Option<String>,
}

async fn render_collection(
    state: &AppState,
    ctx: &Ctx,
    id: Uuid,
    done: Option<&str>,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let c = view(state, ctx, id).await?;
    let library = match c.library_id {
        Some(l) => state
            .store
            .libraries()
            .get(LibraryId(l))
            .await?
            .map(|l| (l.slug.to_string(), l.name)),
        None => None,
    };
    let can_edit = match &library {
        Some((slug, _)) => ctx.member.is_some() && staff_library(state, ctx, slug).await.is_ok(),
        None => true,
    };
    let notice = match done {
        Some("created") => Some("Made. Add courses from their pages with “Save to a collection”."),
        Some("saved") => Some("Saved."),
        Some("removed") => Some("The course is taken out; it stays in the catalog."),
        _ => None,
    };
    let n = c.courses.len();
    Ok(page(
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &CollectionPage {
            layout: Layout::new(&c.title, ctx, "learning"),
            id: c.id.to_string(),
            title: c.title.clone(),
            description: c.description.clone(),
            library,
            courses: c
                .courses
                .iter()
                .enumerate()
                .map(|(i, (card, p))| CourseRow {
                    card: CardView::from(card),
                    id: card.id.to_string(),
                    progress: progress_label(*p),
                    first: i == 0,
                    last: i + 1 == n,
                })
                .collect(),
            can_edit,
            notice,
            errors,
            max_title: MAX_COLLECTION_TITLE,
            max_description: MAX_PATH_DESCRIPTION,
        },
    ))
}

async fn collection_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    Ok(render_collection(&state, &ctx, id, d.done.as_deref(), Vec::new()).await?)
}

fn parse(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<CreateForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let id = parse(&id)?;
    let owner = editor(&state, &ctx, id).await?;
    match state
        .store
        .learning()
        .edit_collection(id, &owner, &form.title, &form.description)
        .await
    {
        Ok(()) => Ok(see_other(&format!("/collections/{id}?done=saved"))),
        Err(e) => Ok(render_collection(&state, &ctx, id, None, field_error(e)?).await?),
    }
}

async fn delete_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<crate::pages::CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let id = parse(&id)?;
    let owner = editor(&state, &ctx, id).await?;
    state
        .store
        .learning()
        .delete_collection(id, &owner)
        .await
        .map_err(AppError::from)?;
    Ok(see_other(&match owner {
        CollectionOwner::Library(l) => {
            format!("/libraries/{}/paths", library_slug(&state, l).await?)
        }
        CollectionOwner::Learner(_) => "/learning/collections".into(),
    }))
}

async fn remove_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, course)): Path<(String, String)>,
    PageForm(form): PageForm<crate::pages::CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let id = parse(&id)?;
    let owner = editor(&state, &ctx, id).await?;
    state
        .store
        .learning()
        .remove_from_collection(id, &owner, parse(&course)?)
        .await
        .map_err(AppError::from)?;
    Ok(see_other(&format!("/collections/{id}?done=removed")))
}

#[derive(Debug, Deserialize)]
struct MoveForm {
    csrf: String,
    #[serde(default)]
    direction: String,
}

async fn move_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, course)): Path<(String, String)>,
    PageForm(form): PageForm<MoveForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let id = parse(&id)?;
    let owner = editor(&state, &ctx, id).await?;
    state
        .store
        .learning()
        .move_in_collection(id, &owner, parse(&course)?, form.direction == "up")
        .await
        .map_err(AppError::from)?;
    Ok(see_other(&format!("/collections/{id}?done=saved")))
}

#[derive(Debug, Deserialize)]
struct CollectForm {
    csrf: String,
    /// A collection id, or `new`.
    #[serde(default)]
    collection: String,
    /// The title of a new collection.
    #[serde(default)]
    title: String,
}

async fn collect_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<CollectForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let course = published_course(&state, &slug).await?;
    let learning = state.store.learning();
    let (id, owner) = if form.collection == "new" {
        let owner = CollectionOwner::Learner(signed_in_learner(&state, &ctx).await?);
        let id = learning
            .create_collection(&owner, &form.title, "")
            .await
            .map_err(|e| match e {
                LearningError::Invalid(_, m) => AppError::Validation(vec![FieldError::new(
                    "title",
                    format!(
                        "{m} Go back to the course page and type a title for the new collection."
                    ),
                )]),
                e => e.into(),
            })?;
        (id, owner)
    } else {
        let id = parse(&form.collection).map_err(|_| {
            AppError::Validation(vec![FieldError::new(
                "collection",
                "Choose a collection from the list.",
            )])
        })?;
        (id, editor(&state, &ctx, id).await?)
    };
    learning
        .add_to_collection(id, &owner, course.card.id)
        .await
        .map_err(AppError::from)?;
    Ok(see_other(&format!(
        "/courses/{slug}?done=collected&collection={id}"
    )))
}

/// The collections a signed-in person may save a course into: their own,
/// then the paths of the libraries they staff. (id, label)
pub(crate) async fn save_targets(
    state: &AppState,
    ctx: &Ctx,
) -> Result<Vec<(String, String)>, AppError> {
    let Some(who) = learner(state, ctx).await? else {
        return Ok(Vec::new());
    };
    let learning = state.store.learning();
    let mut out: Vec<(String, String)> = learning
        .collections(&CollectionOwner::Learner(who))
        .await?
        .into_iter()
        .map(|c| (c.id.to_string(), c.title))
        .collect();
    if let Some(m) = &ctx.member {
        for library in state.store.libraries().staffed_by(m.id).await? {
            for p in learning
                .collections(&CollectionOwner::Library(library.id))
                .await?
            {
                out.push((
                    p.id.to_string(),
                    format!("{}'s learning path: {}", library.name, p.title),
                ));
            }
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ API

/// A collection to make or rename.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CollectionRequest {
    /// Up to 100 characters.
    pub title: String,
    /// A learning path's introduction (up to 2,000 characters; ignored for
    /// your own collections).
    #[serde(default)]
    pub description: String,
}

/// A course in a collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionCourse {
    /// The course.
    pub course: CourseSummary,
    /// `not_started`, `in_progress` or `finished`, for you.
    pub progress: String,
}

/// A collection with its courses.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionResponse {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// A path's introduction.
    pub description: String,
    /// The library's short name, for a learning path.
    pub library: Option<String>,
    /// Courses in order (for a guest, those their library offers).
    pub courses: Vec<CollectionCourse>,
}

/// A collection in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionListItem {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// A path's introduction.
    pub description: String,
    /// Courses in it.
    pub courses: u64,
}

/// What was made.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionCreated {
    /// Its id.
    pub id: Uuid,
}

/// Where to move a course.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MoveRequest {
    /// `up` (earlier) or `down` (later).
    pub direction: String,
}

fn list_response(list: Vec<CollectionSummary>) -> Vec<CollectionListItem> {
    list.into_iter()
        .map(|c| CollectionListItem {
            id: c.id,
            title: c.title,
            description: c.description,
            courses: c.courses,
        })
        .collect()
}

#[utoipa::path(get, path = "/collections", tag = "learning",
    responses((status = 200, description = "Your own collections, newest first; nobody else sees them", body = [CollectionListItem]), (status = 401, description = "Not signed in")))]
async fn api_mine(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<CollectionListItem>>, ApiError> {
    let who = signed_in_learner(&state, &ctx).await?;
    Ok(Json(list_response(
        state
            .store
            .learning()
            .collections(&CollectionOwner::Learner(who))
            .await?,
    )))
}

#[utoipa::path(post, path = "/collections", tag = "learning", request_body = CollectionRequest,
    responses((status = 201, body = CollectionCreated), (status = 422, description = "No title, or too long")))]
async fn api_create_mine(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<CollectionRequest>,
) -> Result<Response, ApiError> {
    let who = signed_in_learner(&state, &ctx).await?;
    let id = state
        .store
        .learning()
        .create_collection(&CollectionOwner::Learner(who), &body.title, "")
        .await
        .map_err(AppError::from)?;
    Ok((StatusCode::CREATED, Json(CollectionCreated { id })).into_response())
}

#[utoipa::path(get, path = "/collections/{id}", tag = "learning",
    params(("id" = Uuid, Path, description = "Collection id")),
    responses((status = 200, body = CollectionResponse), (status = 404, description = "None, or another learner's")))]
async fn api_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<CollectionResponse>, ApiError> {
    let id = parse(&id)?;
    let c = view(&state, &ctx, id).await?;
    let library = match c.library_id {
        Some(l) => Some(library_slug(&state, LibraryId(l)).await?),
        None => None,
    };
    Ok(Json(CollectionResponse {
        id: c.id,
        title: c.title,
        description: c.description,
        library,
        courses: c
            .courses
            .iter()
            .map(|(card, p)| CollectionCourse {
                course: CourseSummary::from(card),
                progress: serde_json::to_value(p)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            })
            .collect(),
    }))
}

#[utoipa::path(put, path = "/collections/{id}", tag = "learning", request_body = CollectionRequest,
    params(("id" = Uuid, Path, description = "Collection id")),
    responses((status = 204, description = "Renamed"), (status = 403, description = "A path of a library you are not staff of"), (status = 404, description = "None, or another learner's")))]
async fn api_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CollectionRequest>,
) -> Result<StatusCode, ApiError> {
    let id = parse(&id)?;
    let owner = editor(&state, &ctx, id).await?;
    state
        .store
        .learning()
        .edit_collection(id, &owner, &body.title, &body.description)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/collections/{id}", tag = "learning",
    params(("id" = Uuid, Path, description = "Collection id")),
    responses((status = 204, description = "Deleted; its courses stay in the catalog")))]
async fn api_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse(&id)?;
    let owner = editor(&state, &ctx, id).await?;
    state
        .store
        .learning()
        .delete_collection(id, &owner)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/collections/{id}/courses/{course}", tag = "learning",
    params(("id" = Uuid, Path, description = "Collection id"), ("course" = Uuid, Path, description = "Course id")),
    responses((status = 204, description = "Added at the end (already there is fine)"), (status = 404, description = "No such collection of yours, or no such published course"), (status = 409, description = "The collection is full (100 courses)")))]
async fn api_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, course)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id = parse(&id)?;
    let course = parse(&course)?;
    let owner = editor(&state, &ctx, id).await?;
    state
        .store
        .learning()
        .add_to_collection(id, &owner, course)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/collections/{id}/courses/{course}", tag = "learning",
    params(("id" = Uuid, Path, description = "Collection id"), ("course" = Uuid, Path, description = "Course id")),
    responses((status = 204, description = "Taken out")))]
async fn api_remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, course)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id = parse(&id)?;
    let course = parse(&course)?;
    let owner = editor(&state, &ctx, id).await?;
    state
        .store
        .learning()
        .remove_from_collection(id, &owner, course)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/collections/{id}/courses/{course}/move", tag = "learning", request_body = MoveRequest,
    params(("id" = Uuid, Path, description = "Collection id"), ("course" = Uuid, Path, description = "Course id")),
    responses((status = 204, description = "Moved one place (the first stays first, the last last)"), (status = 422, description = "Direction not up or down")))]
async fn api_move(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, course)): Path<(String, String)>,
    ApiJson(body): ApiJson<MoveRequest>,
) -> Result<StatusCode, ApiError> {
    let id = parse(&id)?;
    let course = parse(&course)?;
    let up = match body.direction.as_str() {
        "up" => true,
        "down" => false,
        _ => {
            return Err(AppError::Validation(vec![FieldError::new(
                "direction",
                "Say \"up\" or \"down\".",
            )])
            .into());
        }
    };
    let owner = editor(&state, &ctx, id).await?;
    state
        .store
        .learning()
        .move_in_collection(id, &owner, course, up)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/libraries/{slug}/paths", tag = "learning",
    params(("slug" = String, Path, description = "The library's short name")),
    responses((status = 200, description = "The library's learning paths, open to anyone", body = [CollectionListItem])))]
async fn api_paths(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<Vec<CollectionListItem>>, ApiError> {
    let library = find_library(&state, &slug).await?;
    Ok(Json(list_response(
        state
            .store
            .learning()
            .collections(&CollectionOwner::Library(library.id))
            .await?,
    )))
}

#[utoipa::path(post, path = "/libraries/{slug}/paths", tag = "learning", request_body = CollectionRequest,
    params(("slug" = String, Path, description = "The library's short name")),
    responses((status = 201, body = CollectionCreated), (status = 403, description = "Not the library's staff"), (status = 422, description = "No title, or too long")))]
async fn api_create_path(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<CollectionRequest>,
) -> Result<Response, ApiError> {
    let library = staff_library(&state, &ctx, &slug).await?;
    let id = state
        .store
        .learning()
        .create_collection(
            &CollectionOwner::Library(library.id),
            &body.title,
            &body.description,
        )
        .await
        .map_err(AppError::from)?;
    Ok((StatusCode::CREATED, Json(CollectionCreated { id })).into_response())
}
