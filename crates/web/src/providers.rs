//! Content providers: operators add providers and their staff; provider
//! staff import their catalog (schema.org JSON-LD or CSV, all or nothing,
//! every problem reported with its line or item) and see aggregate
//! figures per course, never a learner. Pages and API share the use cases.

use crate::AppState;
use crate::error::{ApiError, AppError, FieldError, PageError, Problem};
use crate::extract::PageForm;
use crate::pages::{Layout, page, see_other};
use crate::session::Ctx;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use lyceum_core::catalog_import::{self, ImportProblem};
use lyceum_core::domain::learning::{CourseInput, CourseStatus, slugify};
use lyceum_core::domain::{Email, Role};
use lyceum_store::learning::{CourseStats, ImportSummary, NewProvider, Provider};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

/// The largest catalog file one import takes.
pub const MAX_CATALOG_BYTES: usize = 5 * 1024 * 1024;

/// The provider pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/providers", get(admin_page).post(add_provider))
        .route("/admin/providers/staff", post(add_staff))
        .route("/providers/{slug}/admin", get(provider_page))
        .route(
            "/providers/{slug}/admin/import",
            post(import_page).layer(DefaultBodyLimit::max(MAX_CATALOG_BYTES + 64 * 1024)),
        )
        .route(
            "/providers/{slug}/admin/courses/{course}",
            get(course_admin),
        )
        .route(
            "/providers/{slug}/admin/courses/{course}/status",
            post(status_page),
        )
        .route(
            "/providers/{slug}/admin/courses/{course}/videos",
            post(upload_video).layer(DefaultBodyLimit::max(
                usize::try_from(lyceum_media::MAX_VIDEO_BYTES).unwrap_or(usize::MAX)
                    + lyceum_media::MAX_CAPTIONS_BYTES
                    + 64 * 1024,
            )),
        )
}

/// The provider API.
pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/providers", get(list_api).post(create_api))
        .route(
            "/providers/{slug}/imports",
            post(import_api).layer(DefaultBodyLimit::max(MAX_CATALOG_BYTES + 64 * 1024)),
        )
        .route("/providers/{slug}/stats", get(stats_api))
        .route(
            "/providers/{slug}/courses/{course}/status",
            axum::routing::put(status_api),
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(list_api, create_api, import_api, stats_api, status_api),
    components(schemas(NewProviderRequest, ProviderResponse, ImportResponse, CourseStatsResponse, StatusBody)),
    tags((name = "providers", description = "Content providers and their catalogs"))
)]
pub struct ProviderApiDoc;

/// What a catalog file is, from its name or type, else its first byte.
fn read_catalog(
    name: Option<&str>,
    content_type: Option<&str>,
    text: &str,
) -> Result<Vec<CourseInput>, Vec<ImportProblem>> {
    let name = name.unwrap_or_default().to_ascii_lowercase();
    let ct = content_type.unwrap_or_default().to_ascii_lowercase();
    let is_csv = name.ends_with(".csv")
        || ct.starts_with("text/csv")
        || (!name.ends_with(".json")
            && !name.ends_with(".jsonld")
            && !ct.contains("json")
            && !text.trim_start().starts_with(['{', '[']));
    if is_csv {
        catalog_import::from_csv(text)
    } else {
        catalog_import::from_json_ld(text)
    }
}

/// The provider, if the signed-in member may manage it (its staff, or an
/// operator); 404 for an unknown provider, 403 otherwise.
async fn managed_provider(state: &AppState, ctx: &Ctx, slug: &str) -> Result<Provider, AppError> {
    let member = ctx.member()?;
    let provider = state
        .store
        .learning()
        .provider(slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if member.role == Role::Operator
        || state
            .store
            .learning()
            .is_provider_staff(provider.id, member.id)
            .await?
    {
        Ok(provider)
    } else {
        Err(AppError::Forbidden(format!(
            "Only {}'s staff and operators manage its catalog.",
            provider.name
        )))
    }
}

fn operator_only(ctx: &Ctx) -> Result<(), AppError> {
    if ctx.member()?.role == Role::Operator {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Only operators add content providers.".into(),
        ))
    }
}

/// Imports text for a provider: every problem, or what was imported.
async fn import_text(
    state: &AppState,
    provider: &Provider,
    name: Option<&str>,
    content_type: Option<&str>,
    text: &str,
    new_status: CourseStatus,
) -> Result<Result<ImportSummary, Vec<ImportProblem>>, AppError> {
    let mut courses = match read_catalog(name, content_type, text) {
        Ok(c) => c,
        Err(problems) => return Ok(Err(problems)),
    };
    // New courses start in the state asked for; existing ones keep theirs.
    for c in &mut courses {
        c.status = new_status;
    }
    Ok(Ok(state
        .store
        .learning()
        .import(provider, &courses)
        .await?))
}

struct ProviderRow {
    slug: String,
    name: String,
    partner: bool,
    courses: u64,
    staff: u64,
}

#[derive(Template)]
#[template(path = "admin_providers.html")]
struct AdminPage {
    layout: Layout,
    notice: Option<String>,
    errors: Vec<FieldError>,
    providers: Vec<ProviderRow>,
    /// The add-a-provider form's text fields, with their errors.
    fields: Vec<crate::pages::Field>,
    description: String,
    partner: bool,
    /// The add-staff form: what was typed and chosen, and its error.
    staff: StaffForm,
    staff_error: Option<String>,
}

async fn render_admin(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    notice: Option<String>,
    errors: Vec<FieldError>,
    values: ProviderForm,
    staff: StaffForm,
) -> Result<Response, PageError> {
    use crate::pages::Field;
    operator_only(ctx)?;
    let learning = state.store.learning();
    let courses = learning.course_counts().await?;
    let staff_counts = learning.staff_counts().await?;
    let providers = learning
        .providers()
        .await?
        .into_iter()
        .map(|p| ProviderRow {
            courses: courses.get(&p.id).copied().unwrap_or(0),
            staff: staff_counts.get(&p.id).copied().unwrap_or(0),
            slug: p.slug,
            name: p.name,
            partner: p.is_partner,
        })
        .collect();
    Ok(page(
        status,
        &AdminPage {
            layout: Layout::new("Content providers", ctx, "me"),
            notice,
            fields: crate::pages::with_errors(
                vec![
                    Field::new("name", "Name", "text", "off").value(&values.name),
                    Field::new("slug", "Short name (optional)", "text", "off")
                        .hint("Used in addresses; made from the name when left empty.")
                        .value(&values.slug)
                        .optional(),
                    Field::new("website", "Web site (optional)", "url", "off")
                        .hint("The full address, starting with https://")
                        .value(&values.website)
                        .optional(),
                ],
                &errors,
            ),
            staff_error: errors
                .iter()
                .find(|e| e.field == "email")
                .map(|e| e.message.clone()),
            errors,
            providers,
            description: values.description,
            partner: values.partner.is_some(),
            staff,
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
struct NoticeQuery {
    #[serde(default)]
    added: Option<String>,
}

async fn admin_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let notice = q.added.map(|what| format!("Added {what}."));
    render_admin(
        &state,
        &ctx,
        StatusCode::OK,
        notice,
        Vec::new(),
        ProviderForm::default(),
        StaffForm::default(),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
struct ProviderForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    partner: Option<String>,
}

async fn add_provider(
    State(state): State<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<ProviderForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    operator_only(&ctx)?;
    let mut errors = Vec::new();
    let name = form.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 120 {
        errors.push(FieldError::new(
            "name",
            "Give the provider's name, up to 120 characters.",
        ));
    }
    let slug = if form.slug.trim().is_empty() {
        slugify(&name)
    } else {
        form.slug.trim().to_ascii_lowercase()
    };
    let slug_ok = (2..=60).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !slug_ok {
        errors.push(FieldError::new(
            "slug",
            "Use 2 to 60 lower-case letters, digits and hyphens, such as open-university.",
        ));
    } else if state.store.learning().provider(&slug).await?.is_some() {
        errors.push(FieldError::new(
            "slug",
            format!("A provider with the short name {slug} already exists."),
        ));
    }
    let website = form.website.trim().to_owned();
    if !(website.is_empty() || website.starts_with("https://") || website.starts_with("http://")) {
        errors.push(FieldError::new(
            "website",
            "Give the full address, starting with https://, or leave it empty.",
        ));
    }
    if !errors.is_empty() {
        return render_admin(
            &state,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            errors,
            form,
            StaffForm::default(),
        )
        .await;
    }
    state
        .store
        .learning()
        .ensure_provider(NewProvider {
            slug,
            name: name.clone(),
            website: (!website.is_empty()).then_some(website),
            description: form.description.trim().to_owned(),
            is_partner: form.partner.is_some(),
        })
        .await?;
    Ok(see_other(&format!(
        "/admin/providers?added={}",
        url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
    )))
}

#[derive(Debug, Default, Deserialize)]
struct StaffForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    email: String,
}

async fn add_staff(
    State(state): State<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<StaffForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    operator_only(&ctx)?;
    let provider = state.store.learning().provider(&form.provider).await?;
    let member = match Email::parse(&form.email) {
        Ok(e) => state.store.accounts().find_by_email(&e).await?,
        Err(_) => None,
    };
    let (Some(provider), Some(member)) = (provider, member) else {
        return render_admin(
            &state,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            vec![FieldError::new(
                "email",
                "No member has this email address. Ask them to create an account first, then add them.",
            )],
            ProviderForm::default(),
            form,
        )
        .await;
    };
    state
        .store
        .learning()
        .add_provider_staff(provider.id, member)
        .await?;
    Ok(see_other(&format!(
        "/admin/providers?added={}",
        url::form_urlencoded::byte_serialize(
            format!("a member to {}'s staff", provider.name).as_bytes()
        )
        .collect::<String>()
    )))
}

struct StatsRow {
    slug: String,
    title: String,
    status: String,
    enrolments: String,
    completions: String,
}

fn count_text(n: Option<u64>) -> String {
    n.map_or_else(
        || {
            format!(
                "fewer than {}",
                lyceum_core::domain::library::REPORT_MIN_COUNT
            )
        },
        |n| n.to_string(),
    )
}

#[derive(Template)]
#[template(path = "provider_admin.html")]
struct ProviderPage {
    layout: Layout,
    slug: String,
    name: String,
    partner: bool,
    summary: Option<ImportSummary>,
    problems: Vec<ImportProblem>,
    courses: Vec<StatsRow>,
    min_count: u64,
}

async fn render_provider(
    state: &AppState,
    ctx: &Ctx,
    provider: &Provider,
    status: StatusCode,
    summary: Option<ImportSummary>,
    problems: Vec<ImportProblem>,
) -> Result<Response, PageError> {
    let courses = state
        .store
        .learning()
        .provider_stats(provider.id)
        .await?
        .into_iter()
        .map(|c| StatsRow {
            slug: c.slug,
            title: c.title,
            status: c.status,
            enrolments: count_text(c.enrolments),
            completions: count_text(c.completions),
        })
        .collect();
    Ok(page(
        status,
        &ProviderPage {
            layout: Layout::new(&format!("{}: catalog", provider.name), ctx, "me"),
            slug: provider.slug.clone(),
            name: provider.name.clone(),
            partner: provider.is_partner,
            summary,
            problems,
            courses,
            min_count: lyceum_core::domain::library::REPORT_MIN_COUNT,
        },
    ))
}

async fn provider_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let provider = managed_provider(&state, &ctx, &slug).await?;
    render_provider(&state, &ctx, &provider, StatusCode::OK, None, Vec::new()).await
}

async fn import_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let provider = managed_provider(&state, &ctx, &slug).await?;
    let mut csrf = String::new();
    let mut new_status = CourseStatus::Published;
    let mut file: Option<(Option<String>, Option<String>, Vec<u8>)> = None;
    loop {
        let Some(field) = crate::extract::next_part(&mut multipart).await? else {
            break;
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|_| AppError::PayloadTooLarge)?;
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "status" if &bytes[..] == b"draft" => new_status = CourseStatus::Draft,
            "catalog" => file = Some((file_name, content_type, bytes.to_vec())),
            _ => {}
        }
    }
    ctx.check_csrf(&csrf)?;
    let problem = |message: &str| ImportProblem {
        at: "the file".into(),
        message: message.into(),
    };
    let result = match file {
        Some((_, _, bytes)) if bytes.is_empty() => Err(vec![problem(
            "choose a catalog file (.json, .jsonld or .csv)",
        )]),
        None => Err(vec![problem(
            "choose a catalog file (.json, .jsonld or .csv)",
        )]),
        Some((name, ct, bytes)) => match String::from_utf8(bytes) {
            Ok(text) => {
                import_text(
                    &state,
                    &provider,
                    name.as_deref(),
                    ct.as_deref(),
                    &text,
                    new_status,
                )
                .await?
            }
            Err(_) => Err(vec![problem(
                "it is not UTF-8 text; save it as UTF-8 and try again",
            )]),
        },
    };
    match result {
        Ok(summary) => {
            render_provider(
                &state,
                &ctx,
                &provider,
                StatusCode::OK,
                Some(summary),
                Vec::new(),
            )
            .await
        }
        Err(problems) => {
            render_provider(
                &state,
                &ctx,
                &provider,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                problems,
            )
            .await
        }
    }
}

/// A content provider.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderResponse {
    /// Short name.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Web site.
    pub website: Option<String>,
    /// A sentence or two.
    pub description: String,
    /// A third-party partner (libraries license partners one by one).
    pub partner: bool,
}

#[utoipa::path(get, path = "/providers", tag = "providers",
    responses((status = 200, description = "Every provider, by name", body = [ProviderResponse])))]
async fn list_api(State(state): State<AppState>) -> Result<Json<Vec<ProviderResponse>>, ApiError> {
    Ok(Json(
        state
            .store
            .learning()
            .providers()
            .await?
            .into_iter()
            .map(|p| ProviderResponse {
                slug: p.slug,
                name: p.name,
                website: p.website,
                description: p.description,
                partner: p.is_partner,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
struct ImportQuery {
    #[serde(default)]
    status: Option<String>,
}

/// A provider to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProviderRequest {
    /// Short name: 2–60 lower-case letters, digits and hyphens.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Web site (https://…).
    #[serde(default)]
    pub website: Option<String>,
    /// A sentence or two.
    #[serde(default)]
    pub description: String,
    /// A third-party partner.
    #[serde(default)]
    pub partner: bool,
}

#[utoipa::path(post, path = "/providers", tag = "providers",
    request_body = NewProviderRequest,
    responses(
        (status = 201, description = "Added", body = ProviderResponse),
        (status = 403, description = "Not an operator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The short name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A malformed short name, name or web site", body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_api(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::extract::ApiJson(body): crate::extract::ApiJson<NewProviderRequest>,
) -> Result<(StatusCode, Json<ProviderResponse>), ApiError> {
    operator_only(&ctx)?;
    let mut errors = Vec::new();
    let slug_ok = (2..=60).contains(&body.slug.len())
        && body
            .slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !slug_ok {
        errors.push(FieldError::new(
            "slug",
            "Use 2 to 60 lower-case letters, digits and hyphens.",
        ));
    }
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 120 {
        errors.push(FieldError::new(
            "name",
            "Give a name of up to 120 characters.",
        ));
    }
    let website = body
        .website
        .map(|w| w.trim().to_owned())
        .filter(|w| !w.is_empty());
    if website
        .as_ref()
        .is_some_and(|w| !(w.starts_with("https://") || w.starts_with("http://")))
    {
        errors.push(FieldError::new(
            "website",
            "Give the full address, starting with https://.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors).into());
    }
    if state.store.learning().provider(&body.slug).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "A provider with the short name {} already exists.",
            body.slug
        ))
        .into());
    }
    let p = state
        .store
        .learning()
        .ensure_provider(NewProvider {
            slug: body.slug,
            name,
            website,
            description: body.description.trim().to_owned(),
            is_partner: body.partner,
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ProviderResponse {
            slug: p.slug,
            name: p.name,
            website: p.website,
            description: p.description,
            partner: p.is_partner,
        }),
    ))
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    /// Courses new to the catalog.
    pub created: usize,
    /// Courses that existed (same provider and id) and were updated.
    pub updated: usize,
}

#[utoipa::path(post, path = "/providers/{slug}/imports", tag = "providers",
    params(
        ("slug" = String, Path, description = "The provider's short name"),
        ("status" = Option<String>, Query, description = "`published` (the default) or `draft`: the state new courses start in; courses already imported keep theirs"),
    ),
    request_body(content = String, description = "A schema.org Course catalog as JSON-LD (`application/ld+json` or `application/json`), or CSV (`text/csv`); at most 5 MiB", content_type = "application/ld+json"),
    responses(
        (status = 200, description = "Imported, all of it", body = ImportResponse),
        (status = 403, description = "Not this provider's staff or an operator", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over 5 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Nothing imported; `errors` lists every problem, `field` saying where (\"line 4\", \"item 2 (id py-101)\")", body = Problem, content_type = "application/problem+json"),
    ))]
async fn import_api(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(q): Query<ImportQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Json<ImportResponse>, ApiError> {
    let provider = managed_provider(&state, &ctx, &slug).await?;
    let bytes = axum::body::to_bytes(body, MAX_CATALOG_BYTES)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| AppError::BadRequest("The catalog is not UTF-8 text.".into()))?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let new_status = match q.status.as_deref() {
        None | Some("published") => CourseStatus::Published,
        Some("draft") => CourseStatus::Draft,
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "status \"{other}\" is not draft or published"
            ))
            .into());
        }
    };
    match import_text(&state, &provider, None, ct, &text, new_status).await? {
        Ok(s) => Ok(Json(ImportResponse {
            created: s.created,
            updated: s.updated,
        })),
        Err(problems) => Err(AppError::Validation(
            problems
                .into_iter()
                .map(|p| FieldError::new(&p.at, p.message))
                .collect(),
        )
        .into()),
    }
}

/// A course's aggregate figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseStatsResponse {
    /// Short name.
    pub slug: String,
    /// Title.
    pub title: String,
    /// `draft`, `review` or `published`.
    pub status: String,
    /// Learners enrolled; null when fewer than 10.
    pub enrolments: Option<u64>,
    /// Learners who finished; null when fewer than 10.
    pub completions: Option<u64>,
}

#[utoipa::path(get, path = "/providers/{slug}/stats", tag = "providers",
    params(("slug" = String, Path, description = "The provider's short name")),
    responses(
        (status = 200, description = "Per course, counts only; under 10 is null", body = [CourseStatsResponse]),
        (status = 403, description = "Not this provider's staff or an operator", body = Problem, content_type = "application/problem+json"),
    ))]
async fn stats_api(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<Json<Vec<CourseStatsResponse>>, ApiError> {
    let provider = managed_provider(&state, &ctx, &slug).await?;
    Ok(Json(
        state
            .store
            .learning()
            .provider_stats(provider.id)
            .await?
            .into_iter()
            .map(|c: CourseStats| CourseStatsResponse {
                slug: c.slug,
                title: c.title,
                status: c.status,
                enrolments: c.enrolments,
                completions: c.completions,
            })
            .collect(),
    ))
}

/// A course of this provider, in any state, or 404.
async fn provider_course(
    state: &AppState,
    provider: &Provider,
    course: &str,
) -> Result<lyceum_store::learning::CourseDetail, AppError> {
    match state.store.learning().course_by_slug(course).await? {
        Some(c) if c.card.provider_id == provider.id => Ok(c),
        _ => Err(AppError::NotFound),
    }
}

/// A section of the course being managed: its index, title and lessons
/// (title and kind).
struct SectionRow {
    index: usize,
    title: String,
    lessons: Vec<(String, &'static str)>,
}

#[derive(Template)]
#[template(path = "provider_course.html")]
struct CourseAdminPage {
    layout: Layout,
    provider_slug: String,
    provider_name: String,
    course_slug: String,
    title: String,
    published: bool,
    /// Where the course is: a sentence.
    state: &'static str,
    /// The steps allowed from here: (status key, button text).
    steps: Vec<(&'static str, &'static str)>,
    sections: Vec<SectionRow>,
    notice: Option<&'static str>,
    errors: Vec<FieldError>,
    values: (String, String, String),
}

impl CourseAdminPage {
    /// The error for a field of the video form, if any.
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

#[allow(clippy::too_many_arguments)]
async fn render_course_admin(
    state: &AppState,
    ctx: &Ctx,
    provider: &Provider,
    course: &str,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<FieldError>,
    values: (String, String, String),
) -> Result<Response, PageError> {
    let c = provider_course(state, provider, course).await?;
    Ok(page(
        status,
        &CourseAdminPage {
            layout: Layout::new(&format!("{}: {}", provider.name, c.card.title), ctx, "me"),
            provider_slug: provider.slug.clone(),
            provider_name: provider.name.clone(),
            course_slug: c.card.slug.clone(),
            title: c.card.title.clone(),
            published: c.card.status == CourseStatus::Published,
            state: match c.card.status {
                CourseStatus::Draft => "A draft: only its provider's staff and operators see it.",
                CourseStatus::Review => "In review: waiting to be published or sent back.",
                CourseStatus::Published => "Published: in the catalog for learners.",
            },
            steps: [
                (CourseStatus::Review, "Submit for review"),
                (CourseStatus::Published, "Publish"),
                (
                    CourseStatus::Draft,
                    match c.card.status {
                        CourseStatus::Published => "Withdraw to draft",
                        _ => "Send back to draft",
                    },
                ),
            ]
            .into_iter()
            .filter(|(next, _)| c.card.status.can_move_to(*next))
            .map(|(next, label)| (next.key(), label))
            .collect(),
            sections: c
                .sections
                .iter()
                .enumerate()
                .map(|(index, s)| SectionRow {
                    index,
                    title: s.title.clone(),
                    lessons: s
                        .lessons
                        .iter()
                        .map(|l| (l.title.clone(), l.kind.label()))
                        .collect(),
                })
                .collect(),
            notice,
            errors,
            values,
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

async fn course_admin(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, course)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let provider = managed_provider(&state, &ctx, &slug).await?;
    let notice = match q.done.as_deref() {
        Some("video") => Some("The video lesson was added. Learners see it in the course now."),
        Some("review") => Some("Submitted for review."),
        Some("published") => Some("Published: the course is in the catalog now."),
        Some("draft") => Some("The course is a draft again: learners no longer find it."),
        _ => None,
    };
    render_course_admin(
        &state,
        &ctx,
        &provider,
        &course,
        StatusCode::OK,
        notice,
        Vec::new(),
        Default::default(),
    )
    .await
}

/// Adds a video lesson. The form's fields arrive in page order, the video
/// last, so everything else is checked before a large file is stored; a
/// refused video leaves nothing behind.
async fn upload_video(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, course)): Path<(String, String)>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let provider = managed_provider(&state, &ctx, &slug).await?;
    let c = provider_course(&state, &provider, &course).await?;
    let mut text = std::collections::HashMap::<String, String>::new();
    let mut captions: Option<String> = None;
    let mut errors = Vec::new();
    let mut stored: Option<(String, &'static str, u64)> = None;
    let mut video_chosen = false;
    loop {
        let Some(field) = crate::extract::next_part(&mut multipart).await? else {
            break;
        };
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "video" => {
                ctx.check_csrf(text.get("csrf").map(String::as_str).unwrap_or_default())?;
                if field.file_name().is_none_or(str::is_empty) {
                    break;
                }
                video_chosen = true;
                if !errors.is_empty() {
                    // Something else is wrong: do not store a large file
                    // that would only be thrown away.
                    break;
                }
                let key = format!("videos/{}", uuid::Uuid::new_v4());
                match state
                    .media
                    .put_video(&key, field, lyceum_media::MAX_VIDEO_BYTES)
                    .await
                {
                    Ok((content_type, size)) if size > 0 => {
                        stored = Some((key, content_type, size))
                    }
                    Ok(_) => errors.push(FieldError::new("video", "The video file is empty.")),
                    Err(lyceum_media::MediaError::Refused(m)) => {
                        errors.push(FieldError::new("video", m));
                    }
                    Err(e) => return Err(AppError::Internal(Box::new(e)).into()),
                }
            }
            "captions" => {
                let bytes = field.bytes().await.map_err(|_| AppError::PayloadTooLarge)?;
                if bytes.len() > lyceum_media::MAX_CAPTIONS_BYTES {
                    errors.push(FieldError::new(
                        "captions",
                        "The captions file is larger than 1 MB.",
                    ));
                } else if !bytes.is_empty() {
                    match String::from_utf8(bytes.to_vec()) {
                        Ok(t) => match lyceum_media::check_webvtt(&t) {
                            Ok(()) => captions = Some(t),
                            Err(m) => errors.push(FieldError::new("captions", m)),
                        },
                        Err(_) => errors.push(FieldError::new(
                            "captions",
                            "The captions file is not UTF-8 text.",
                        )),
                    }
                }
            }
            _ => {
                let value = field.text().await.map_err(|_| AppError::PayloadTooLarge)?;
                if name == "title" && value.trim().is_empty() {
                    errors.push(FieldError::new("title", "Give the lesson a title."));
                }
                if name == "minutes"
                    && value
                        .trim()
                        .parse::<u32>()
                        .map_or(true, |m| m == 0 || m > 600)
                {
                    errors.push(FieldError::new(
                        "minutes",
                        "Give the video's length in whole minutes, from 1 to 600.",
                    ));
                }
                text.insert(name, value);
            }
        }
    }
    ctx.check_csrf(text.get("csrf").map(String::as_str).unwrap_or_default())?;
    let section = text
        .get("section")
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|s| *s < c.sections.len());
    if section.is_none() {
        errors.push(FieldError::new(
            "section",
            "Choose the section the video belongs to.",
        ));
    }
    if !video_chosen {
        errors.push(FieldError::new(
            "video",
            "Choose the video file (MP4 or WebM).",
        ));
    }
    let values = (
        text.get("title").cloned().unwrap_or_default(),
        text.get("minutes").cloned().unwrap_or_default(),
        text.get("body").cloned().unwrap_or_default(),
    );
    let (Some(section), Some((key, content_type, size)), true) =
        (section, stored.clone(), errors.is_empty())
    else {
        if let Some((key, _, _)) = stored {
            state.media.delete(&key).await.ok();
        }
        return render_course_admin(
            &state,
            &ctx,
            &provider,
            &course,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            errors,
            values,
        )
        .await;
    };
    state
        .store
        .learning()
        .add_video_lesson(
            c.card.id,
            section,
            values.0.trim(),
            values.1.trim().parse().unwrap_or(1),
            values.2.trim(),
            captions,
            (&key, content_type, size),
        )
        .await
        .map_err(AppError::from)?;
    Ok(see_other(&format!(
        "/providers/{slug}/admin/courses/{}?done=video",
        c.card.slug
    )))
}

#[derive(Debug, Deserialize)]
struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
}

fn parse_status(raw: &str) -> Result<CourseStatus, AppError> {
    CourseStatus::parse(raw).ok_or_else(|| {
        AppError::Validation(vec![FieldError::new(
            "status",
            "Choose draft, review or published.",
        )])
    })
}

async fn status_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, course)): Path<(String, String)>,
    PageForm(form): PageForm<StatusForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let provider = managed_provider(&state, &ctx, &slug).await?;
    let c = provider_course(&state, &provider, &course).await?;
    let next = parse_status(&form.status)?;
    state
        .store
        .learning()
        .set_status(c.card.id, next)
        .await
        .map_err(AppError::from)?;
    Ok(see_other(&format!(
        "/providers/{slug}/admin/courses/{}?done={}",
        c.card.slug,
        next.key()
    )))
}

/// A publishing step.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// `draft`, `review` or `published`.
    pub status: String,
}

#[utoipa::path(put, path = "/providers/{slug}/courses/{course}/status", tag = "providers",
    params(
        ("slug" = String, Path, description = "The provider's short name"),
        ("course" = String, Path, description = "The course's short name"),
    ),
    request_body = StatusBody,
    responses(
        (status = 200, description = "The course's new state", body = StatusBody),
        (status = 403, description = "Not this provider's staff or an operator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not this provider's course", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A step the workflow does not allow (draft → review → published; review → draft; published → draft)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a state", body = Problem, content_type = "application/problem+json"),
    ))]
async fn status_api(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, course)): Path<(String, String)>,
    crate::extract::ApiJson(body): crate::extract::ApiJson<StatusBody>,
) -> Result<Json<StatusBody>, ApiError> {
    let provider = managed_provider(&state, &ctx, &slug).await?;
    let c = provider_course(&state, &provider, &course).await?;
    let next = parse_status(&body.status)?;
    state
        .store
        .learning()
        .set_status(c.card.id, next)
        .await
        .map_err(AppError::from)?;
    Ok(Json(StatusBody {
        status: next.key().into(),
    }))
}
