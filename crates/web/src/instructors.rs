//! Instructor pages and follows, as pages and as API. Members follow an
//! instructor to get an in-app notice when one of their courses is
//! published; whom a member follows is shown to nobody else (the page
//! shows how many follow).

use crate::AppState;
use crate::error::{ApiError, AppError, PageError};
use crate::extract::PageForm;
use crate::learning_api::CourseSummary;
use crate::learning_pages::{CardView, learner};
use crate::network_api::member;
use crate::pages::{Layout, page, see_other};
use crate::session::Ctx;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use lyceum_store::learning::InstructorPage;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

/// The instructor pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/instructors/{slug}", get(instructor_page))
        .route("/instructors/{slug}/follow", post(follow_form))
        .route("/instructors/{slug}/unfollow", post(unfollow_form))
}

/// The instructor API.
pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/instructors/{slug}", get(get_instructor))
        .route(
            "/instructors/{slug}/follow",
            put(put_follow).delete(delete_follow),
        )
        .route("/me/instructors", get(my_instructors))
}

#[derive(OpenApi)]
#[openapi(
    paths(get_instructor, put_follow, delete_follow, my_instructors),
    components(schemas(InstructorResponse, FollowedResponse)),
    tags((name = "learning", description = "Courses, lessons, progress and credentials"))
)]
pub struct InstructorsApiDoc;

/// The instructor as `ctx` may see them: courses limited to the
/// providers a guest's library licenses.
async fn load(state: &AppState, ctx: &Ctx, slug: &str) -> Result<InstructorPage, AppError> {
    let who = learner(state, ctx).await?;
    let learning = state.store.learning();
    let allowed = learning.allowed_providers(who.as_ref()).await?;
    learning
        .instructor(slug, ctx.member.as_ref().map(|m| m.id), allowed.as_deref())
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "instructor.html")]
struct InstructorTemplate {
    layout: Layout,
    slug: String,
    name: String,
    bio: String,
    provider: Option<String>,
    courses: Vec<CardView>,
    followers: u64,
    following: bool,
    is_member: bool,
    notice: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
struct Done {
    #[serde(default)]
    done: Option<String>,
}

async fn instructor_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let p = load(&state, &ctx, &slug).await?;
    let notice = match done.done.as_deref() {
        Some("followed") => {
            Some("You follow this instructor. You will get a notice when they publish a course.")
        }
        Some("unfollowed") => Some("You no longer follow this instructor."),
        _ => None,
    };
    Ok(page(
        StatusCode::OK,
        &InstructorTemplate {
            layout: Layout::new(&p.name, &ctx, "courses"),
            courses: p.courses.iter().map(CardView::from).collect(),
            provider: p.provider.map(|(_, name)| name),
            slug: p.slug,
            name: p.name,
            bio: p.bio,
            followers: p.followers,
            following: p.following,
            is_member: ctx.member.is_some(),
            notice,
        },
    ))
}

async fn follow_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<crate::pages::CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let me = member(&state, &ctx).await?;
    if !state.store.learning().follow_instructor(me, &slug).await? {
        return Err(AppError::NotFound.into());
    }
    Ok(see_other(&format!("/instructors/{slug}?done=followed")))
}

async fn unfollow_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<crate::pages::CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let me = member(&state, &ctx).await?;
    if !state
        .store
        .learning()
        .unfollow_instructor(me, &slug)
        .await?
    {
        return Err(AppError::NotFound.into());
    }
    Ok(see_other(&format!("/instructors/{slug}?done=unfollowed")))
}

/// An instructor.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstructorResponse {
    /// Short name, used in page addresses.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Biography.
    pub bio: String,
    /// The provider that credits them (short name), if any.
    pub provider: Option<String>,
    /// Published courses, newest first (for a guest, those their library offers).
    pub courses: Vec<CourseSummary>,
    /// How many members follow them.
    pub followers: u64,
    /// Whether you follow them.
    pub following: bool,
}

impl From<InstructorPage> for InstructorResponse {
    fn from(p: InstructorPage) -> Self {
        Self {
            courses: p.courses.iter().map(CourseSummary::from).collect(),
            slug: p.slug,
            name: p.name,
            bio: p.bio,
            provider: p.provider.map(|(slug, _)| slug),
            followers: p.followers,
            following: p.following,
        }
    }
}

#[utoipa::path(get, path = "/instructors/{slug}", tag = "learning",
    params(("slug" = String, Path, description = "The instructor's short name")),
    responses((status = 200, body = InstructorResponse), (status = 404, description = "No such instructor")))]
async fn get_instructor(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<Json<InstructorResponse>, ApiError> {
    Ok(Json(load(&state, &ctx, &slug).await?.into()))
}

#[utoipa::path(put, path = "/instructors/{slug}/follow", tag = "learning",
    params(("slug" = String, Path, description = "The instructor's short name")),
    responses((status = 200, description = "You follow them (again is fine)", body = InstructorResponse),
        (status = 401, description = "Not signed in as a member"), (status = 404, description = "No such instructor")))]
async fn put_follow(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<Json<InstructorResponse>, ApiError> {
    let me = member(&state, &ctx).await?;
    if !state.store.learning().follow_instructor(me, &slug).await? {
        return Err(AppError::NotFound.into());
    }
    Ok(Json(load(&state, &ctx, &slug).await?.into()))
}

#[utoipa::path(delete, path = "/instructors/{slug}/follow", tag = "learning",
    params(("slug" = String, Path, description = "The instructor's short name")),
    responses((status = 204, description = "You no longer follow them"),
        (status = 401, description = "Not signed in as a member"), (status = 404, description = "No such instructor")))]
async fn delete_follow(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    if !state
        .store
        .learning()
        .unfollow_instructor(me, &slug)
        .await?
    {
        return Err(AppError::NotFound.into());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// An instructor you follow.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowedResponse {
    /// Short name.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Since when (RFC 3339).
    pub since: String,
}

#[utoipa::path(get, path = "/me/instructors", tag = "learning",
    responses((status = 200, description = "The instructors you follow, by name", body = [FollowedResponse]),
        (status = 401, description = "Not signed in as a member")))]
async fn my_instructors(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<FollowedResponse>>, ApiError> {
    let me = member(&state, &ctx).await?;
    Ok(Json(
        state
            .store
            .learning()
            .followed_instructors(me)
            .await?
            .into_iter()
            .map(|f| FollowedResponse {
                slug: f.slug,
                name: f.name,
                since: f.since.to_rfc3339(),
            })
            .collect(),
    ))
}
