//! The breach register's pages and API, for operators, and the notices
//! people affected see on their own privacy pages (GDPR Art. 33 and 34).

use crate::AppState;
use crate::error::{ApiError, AppError, FieldError, PageError, Problem};
use crate::extract::{ApiJson, PageForm};
use crate::pages::{Field, Layout, page, see_other, with_errors};
use crate::session::Ctx;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDateTime, Utc};
use lyceum_core::domain::Role;
use lyceum_core::domain::datamap::Category;
use lyceum_store::breaches::{Breach, BreachError, NewBreach};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

/// The page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/breaches", get(list_page).post(record_page))
        .route("/admin/breaches/{id}", get(detail_page))
        .route(
            "/admin/breaches/{id}/authority-notified",
            post(authority_notified_page),
        )
        .route(
            "/admin/breaches/{id}/notify-people",
            post(notify_people_page),
        )
}

/// The API routes (nested under `/api/v1`).
pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/admin/breaches", get(list_api).post(record_api))
        .route("/admin/breaches/{id}", get(get_api))
        .route("/breach-notices", get(notices_api))
}

/// The breach register's paths of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(list_api, record_api, get_api, notices_api),
    components(schemas(BreachRequest, BreachResponse)),
    tags((name = "operators", description = "Instance administration"))
)]
pub struct BreachApiDoc;

fn operator(ctx: &Ctx) -> Result<(), AppError> {
    if ctx.member()?.role == Role::Operator {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Only operators keep the breach register.".into(),
        ))
    }
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%-d %B %Y %H:%M UTC").to_string()
}

/// Where the 72-hour clock stands.
pub fn clock_words(b: &Breach, now: DateTime<Utc>) -> String {
    match b.authority_notified_at {
        Some(t) => format!("The supervisory authority was told on {}.", when(t)),
        None => {
            let left = (b.authority_deadline - now).num_hours();
            if left >= 0 {
                format!(
                    "Tell the supervisory authority by {} ({left} hours left).",
                    when(b.authority_deadline)
                )
            } else {
                format!(
                    "Overdue: the supervisory authority should have been told by {} ({} hours ago). \
                     When you tell it, say why it is late (Art. 33(1)).",
                    when(b.authority_deadline),
                    -left
                )
            }
        }
    }
}

fn category_words(b: &Breach) -> String {
    b.categories
        .iter()
        .map(|c| c.label().to_lowercase())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The text for the supervisory authority (the contents Art. 33(3) asks for).
pub fn authority_notice(b: &Breach, instance: &str) -> String {
    let per: Vec<String> = b
        .affected_by_category
        .iter()
        .map(|(k, n)| {
            let label = Category::from_key(k).map_or(k.as_str(), |c| c.label());
            format!("  - {label}: {n} people")
        })
        .collect();
    format!(
        "Personal data breach notification\n\nController: the operator of {instance}\n\
         Became aware: {}\n\nNature of the breach:\n{}\n\nCategories of data: {}\n\
         Approximate number of people concerned: {}\n{}\n\nLikely consequences:\n{}\n\n\
         Measures taken or proposed:\n{}\n",
        when(b.detected_at),
        b.description,
        category_words(b),
        b.affected,
        per.join("\n"),
        b.consequences,
        b.measures
    )
}

/// The text each affected person sees (Art. 34(2)).
pub fn person_notice(b: &Breach) -> String {
    format!(
        "On {} we found that {} This affected your {}. What it may mean for you: {} What we have done: {}",
        b.detected_at.format("%-d %B %Y"),
        b.description.trim_end_matches('.').to_owned() + ".",
        category_words(b),
        b.consequences,
        b.measures
    )
}

/// The notices a signed-in person has been sent: (date, text).
pub async fn notices_for(state: &AppState, ctx: &Ctx) -> Result<Vec<(String, String)>, AppError> {
    let Ok(subject) = ctx.subject() else {
        return Ok(Vec::new());
    };
    Ok(state
        .store
        .breach_notices(subject)
        .await?
        .iter()
        .map(|b| {
            (
                b.detected_at.format("%-d %B %Y").to_string(),
                person_notice(b),
            )
        })
        .collect())
}

#[derive(Template)]
#[template(path = "admin_breaches.html")]
struct ListPage {
    layout: Layout,
    breaches: Vec<(String, String, String, u64, String)>,
    fields: Vec<Field>,
    errors: Vec<FieldError>,
    categories: Vec<(&'static str, &'static str, bool)>,
    description: String,
    consequences: String,
    measures: String,
}

#[derive(Debug, Deserialize, Default)]
struct BreachForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    detected_at: String,
    #[serde(default)]
    consequences: String,
    #[serde(default)]
    measures: String,
    #[serde(default)]
    categories: Vec<String>,
}

async fn render_list(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    form: &BreachForm,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let now = state.store.clock.now();
    let breaches = state
        .store
        .breaches()
        .await?
        .iter()
        .map(|b| {
            (
                b.id.to_string(),
                b.title.clone(),
                when(b.detected_at),
                b.affected,
                clock_words(b, now),
            )
        })
        .collect();
    let fields = vec![
        Field::new("title", "Title", "text", "off").value(&form.title),
        Field::new(
            "detected_at",
            "When you became aware (UTC)",
            "datetime-local",
            "off",
        )
        .hint("The 72 hours for telling the supervisory authority start here. Leave it empty for now.")
        .value(&form.detected_at)
        .optional(),
    ];
    Ok(page(
        status,
        &ListPage {
            layout: Layout::new("Breach register", ctx, "admin"),
            breaches,
            fields: with_errors(fields, &errors),
            categories: Category::ALL
                .into_iter()
                .map(|c| {
                    (
                        c.key(),
                        c.label(),
                        form.categories.iter().any(|k| k == c.key()),
                    )
                })
                .collect(),
            description: form.description.clone(),
            consequences: form.consequences.clone(),
            measures: form.measures.clone(),
            errors,
        },
    ))
}

async fn list_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    if ctx.member.is_none() {
        return Ok(see_other("/signin"));
    }
    operator(&ctx)?;
    render_list(&state, &ctx, StatusCode::OK, &BreachForm::default(), vec![]).await
}

fn parse_time(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, FieldError> {
    if raw.trim().is_empty() {
        return Ok(now);
    }
    NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M:%S"))
        .map(|t| t.and_utc())
        .or_else(|_| DateTime::parse_from_rfc3339(raw.trim()).map(|t| t.with_timezone(&Utc)))
        .map_err(|_| FieldError::new("detected_at", "Give the time as YYYY-MM-DDTHH:MM (UTC)."))
}

fn new_breach(
    title: &str,
    description: &str,
    categories: &[String],
    consequences: &str,
    measures: &str,
    detected_at: DateTime<Utc>,
) -> Result<NewBreach, AppError> {
    let mut cats = Vec::new();
    for k in categories {
        cats.push(Category::from_key(k).ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                "categories",
                format!("{k:?} is not a kind of data Lyceum keeps."),
            )])
        })?);
    }
    Ok(NewBreach {
        title: title.to_owned(),
        description: description.to_owned(),
        categories: cats,
        consequences: consequences.to_owned(),
        measures: measures.to_owned(),
        detected_at,
    })
}

fn breach_error(e: BreachError) -> AppError {
    match e {
        BreachError::Invalid(field, m) => AppError::Validation(vec![FieldError::new(field, m)]),
        BreachError::Store(e) => e.into(),
    }
}

async fn record_page(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::RawForm(raw): axum::extract::RawForm,
) -> Result<Response, PageError> {
    // Checkboxes repeat their name, which the plain form extractor cannot
    // collect into a list; read the pairs by hand.
    let mut form = BreachForm::default();
    for (k, v) in url::form_urlencoded::parse(&raw) {
        match k.as_ref() {
            "csrf" => form.csrf = v.into_owned(),
            "title" => form.title = v.into_owned(),
            "description" => form.description = v.into_owned(),
            "detected_at" => form.detected_at = v.into_owned(),
            "consequences" => form.consequences = v.into_owned(),
            "measures" => form.measures = v.into_owned(),
            "categories" => form.categories.push(v.into_owned()),
            _ => {}
        }
    }
    ctx.check_csrf(&form.csrf)?;
    operator(&ctx)?;
    let now = state.store.clock.now();
    let result = match parse_time(&form.detected_at, now) {
        Err(e) => Err(AppError::Validation(vec![e])),
        Ok(at) => match new_breach(
            &form.title,
            &form.description,
            &form.categories,
            &form.consequences,
            &form.measures,
            at,
        ) {
            Ok(new) => state.store.record_breach(new).await.map_err(breach_error),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(b) => Ok(see_other(&format!("/admin/breaches/{}", b.id))),
        Err(AppError::Validation(errors)) => {
            render_list(
                &state,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin_breach.html")]
struct DetailPage {
    layout: Layout,
    id: String,
    title: String,
    detected: String,
    clock: String,
    overdue: bool,
    affected: u64,
    per_category: Vec<(String, u64)>,
    authority_notice: String,
    person_notice: String,
    authority_done: bool,
    people_told: Option<String>,
}

async fn find(state: &AppState, id: &str) -> Result<Breach, AppError> {
    let id: uuid::Uuid = id.parse().map_err(|_| AppError::NotFound)?;
    state.store.breach(id).await?.ok_or(AppError::NotFound)
}

async fn detail_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    if ctx.member.is_none() {
        return Ok(see_other("/signin"));
    }
    operator(&ctx)?;
    let b = find(&state, &id).await?;
    let now = state.store.clock.now();
    Ok(page(
        StatusCode::OK,
        &DetailPage {
            layout: Layout::new(&b.title, &ctx, "admin"),
            id: b.id.to_string(),
            title: b.title.clone(),
            detected: when(b.detected_at),
            clock: clock_words(&b, now),
            overdue: b.authority_notified_at.is_none() && now > b.authority_deadline,
            affected: b.affected,
            per_category: b
                .affected_by_category
                .iter()
                .map(|(k, n)| {
                    (
                        Category::from_key(k).map_or(k.clone(), |c| c.label().to_owned()),
                        *n,
                    )
                })
                .collect(),
            authority_notice: authority_notice(&b, "this Lyceum instance"),
            person_notice: person_notice(&b),
            authority_done: b.authority_notified_at.is_some(),
            people_told: b.people_notified_at.map(when),
        },
    ))
}

async fn authority_notified_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<crate::pages::CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    operator(&ctx)?;
    let b = find(&state, &id).await?;
    state.store.breach_authority_notified(b.id).await?;
    Ok(see_other(&format!("/admin/breaches/{}", b.id)))
}

async fn notify_people_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<crate::pages::CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    operator(&ctx)?;
    let b = find(&state, &id).await?;
    state.store.breach_notify_people(b.id).await?;
    Ok(see_other(&format!("/admin/breaches/{}", b.id)))
}

/// A breach to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreachRequest {
    /// A short title.
    pub title: String,
    /// What happened.
    pub description: String,
    /// Data map category keys (`contact`, `identity`, …).
    pub categories: Vec<String>,
    /// Likely consequences for the people affected.
    #[serde(default)]
    pub consequences: String,
    /// Measures taken or proposed.
    #[serde(default)]
    pub measures: String,
    /// When the operator became aware (default: now).
    #[serde(default)]
    pub detected_at: Option<DateTime<Utc>>,
}

/// A recorded breach.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct BreachResponse {
    /// Id.
    pub id: uuid::Uuid,
    /// Title.
    pub title: String,
    /// Category keys.
    pub categories: Vec<String>,
    /// People affected, in all.
    pub affected: u64,
    /// People affected per category key.
    pub affected_by_category: std::collections::BTreeMap<String, u64>,
    /// When the operator became aware.
    pub detected_at: DateTime<Utc>,
    /// The 72-hour deadline for the supervisory authority.
    pub authority_deadline: DateTime<Utc>,
    /// When the authority was told.
    pub authority_notified_at: Option<DateTime<Utc>>,
    /// When the people affected were told.
    pub people_notified_at: Option<DateTime<Utc>>,
    /// The text for the supervisory authority.
    pub authority_notice: String,
    /// The text each person affected sees.
    pub person_notice: String,
}

fn response(b: &Breach) -> BreachResponse {
    BreachResponse {
        id: b.id,
        title: b.title.clone(),
        categories: b.categories.iter().map(|c| c.key().to_owned()).collect(),
        affected: b.affected,
        affected_by_category: b.affected_by_category.clone(),
        detected_at: b.detected_at,
        authority_deadline: b.authority_deadline,
        authority_notified_at: b.authority_notified_at,
        people_notified_at: b.people_notified_at,
        authority_notice: authority_notice(b, "this Lyceum instance"),
        person_notice: person_notice(b),
    }
}

/// The breach register (operators).
#[utoipa::path(get, path = "/admin/breaches", tag = "operators",
    responses(
        (status = 200, description = "Every breach, newest first", body = [BreachResponse]),
        (status = 403, description = "Not an operator", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_api(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<BreachResponse>>, ApiError> {
    operator(&ctx)?;
    Ok(Json(
        state.store.breaches().await?.iter().map(response).collect(),
    ))
}

/// Record a breach; the people affected are worked out from the data map.
#[utoipa::path(post, path = "/admin/breaches", tag = "operators", request_body = BreachRequest,
    responses(
        (status = 201, description = "Recorded", body = BreachResponse),
        (status = 403, description = "Not an operator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or wrong", body = Problem, content_type = "application/problem+json"),
    ))]
async fn record_api(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(req): ApiJson<BreachRequest>,
) -> Result<Response, ApiError> {
    operator(&ctx)?;
    let at = req.detected_at.unwrap_or_else(|| state.store.clock.now());
    let new = new_breach(
        &req.title,
        &req.description,
        &req.categories,
        &req.consequences,
        &req.measures,
        at,
    )?;
    let b = state.store.record_breach(new).await.map_err(breach_error)?;
    Ok((StatusCode::CREATED, Json(response(&b))).into_response())
}

/// One breach (operators).
#[utoipa::path(get, path = "/admin/breaches/{id}", tag = "operators",
    params(("id" = uuid::Uuid, Path, description = "The breach")),
    responses(
        (status = 200, description = "The breach", body = BreachResponse),
        (status = 404, description = "No such breach", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_api(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<BreachResponse>, ApiError> {
    operator(&ctx)?;
    Ok(Json(response(&find(&state, &id).await?)))
}

/// The breach notices the signed-in person (member or guest) has been sent.
#[utoipa::path(get, path = "/breach-notices", tag = "me",
    responses(
        (status = 200, description = "(date, text) pairs, newest first", body = [Vec<String>]),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ))]
async fn notices_api(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<(String, String)>>, ApiError> {
    ctx.subject()?;
    Ok(Json(notices_for(&state, &ctx).await?))
}
