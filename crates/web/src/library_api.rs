//! The library part of the JSON API: the list of libraries, patron
//! sessions (card + PIN), the guest's own data, the current session, and
//! the staff endpoints (settings, SIP2, card list, reports, audit log).
//! Its OpenAPI paths are merged into the one document at
//! `/api/v1/openapi.json`.

use crate::AppState;
use crate::error::{ApiError, AppError, Problem};
use crate::extract::ApiJson;
use crate::library_pages::{
    ReportQuery, SettingsInput, csv_response, library_error, parse_card_list, report_csv,
    staff_library,
};
use crate::patrons::{self, PatronSignIn};
use crate::session::{Ctx, clear_cookie, set_cookie};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use lyceum_core::domain::Licence;
use lyceum_store::libraries::{Library, Sip2Settings};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

/// The library routes (nested under `/api/v1`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/libraries", get(list_libraries))
        .route(
            "/libraries/{slug}/patron-sessions",
            post(create_patron_session),
        )
        .route(
            "/libraries/{slug}/settings",
            get(get_settings).put(put_settings),
        )
        .route("/libraries/{slug}/sip2", put(put_sip2))
        .route("/libraries/{slug}/sip2/test", post(test_sip2))
        .route("/libraries/{slug}/oidc", put(put_oidc))
        .route("/libraries/{slug}/card-list", put(put_card_list))
        .route("/libraries/{slug}/reports", get(get_report))
        .route("/libraries/{slug}/reports.csv", get(get_report_csv))
        .route("/libraries/{slug}/audit", get(get_audit))
        .route(
            "/libraries/{slug}/providers",
            get(get_providers).put(put_providers),
        )
        .route("/guest", get(get_guest).delete(delete_guest))
        .route("/guest/export", get(export_guest))
        .route("/session", get(get_session))
        .route("/objections", get(list_objections))
        .route("/objections/{ground}", put(set_objection))
        .route("/me/library-cards", get(list_cards).post(link_card))
        .route(
            "/me/library-cards/{guest}",
            axum::routing::delete(detach_card),
        )
}

/// The library paths of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(get_providers, put_providers, list_objections, set_objection, export_guest, put_oidc, list_cards, link_card, detach_card, list_libraries, create_patron_session, get_settings, put_settings, put_sip2, test_sip2, put_card_list, get_report, get_report_csv, get_audit, get_guest, delete_guest, get_session),
    components(schemas(LicensedProviders, ObjectionResponse, ObjectionRequest, OidcRequest, LinkedCard, LinkCardRequest, LibrarySummary, PatronSessionRequest, PatronSessionResponse, SettingsResponse, SettingsInput, Sip2Request, Sip2TestResponse, CardListRequest, CardListResponse, ReportResponse, ReportCellResponse, AuditResponse, GuestResponse, GuestHolding, SessionResponse)),
    tags((name = "libraries", description = "Libraries, card sign-in and library staff"), (name = "guest", description = "The signed-in guest learner"))
)]
pub struct LibraryApiDoc;

/// A library as anyone may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LibrarySummary {
    /// Short name, used in addresses.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Town or area.
    pub town: Option<String>,
    /// Consortium.
    pub consortium: Option<String>,
    /// How patrons sign in: `sip2`, `static_list` or `disabled`.
    pub patron_sign_in: String,
}

impl From<&Library> for LibrarySummary {
    fn from(l: &Library) -> Self {
        Self {
            slug: l.slug.to_string(),
            name: l.name.clone(),
            town: l.town.clone(),
            consortium: l.consortium.clone(),
            patron_sign_in: l.auth_method.as_str().to_owned(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
}

/// Libraries on this instance, optionally searched by name or town.
#[utoipa::path(get, path = "/libraries", tag = "libraries",
    params(("q" = Option<String>, Query, description = "Part of a name, town or consortium")),
    responses((status = 200, description = "Matching libraries, by name", body = [LibrarySummary])))]
async fn list_libraries(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<LibrarySummary>>, ApiError> {
    let query: String = q.q.chars().take(100).collect();
    Ok(Json(
        state
            .store
            .libraries()
            .search(&query)
            .await?
            .iter()
            .map(LibrarySummary::from)
            .collect(),
    ))
}

/// A library card and PIN.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatronSessionRequest {
    /// The card number; spaces and hyphens are ignored.
    pub card: String,
    /// The PIN or library password.
    pub pin: String,
    /// A shared computer: the cookie ends with the browser and the session
    /// after the library's idle time.
    #[serde(default)]
    pub shared_computer: bool,
}

/// A patron session.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatronSessionResponse {
    /// The library.
    pub library: String,
    /// When the session ends at the latest.
    pub expires_at: DateTime<Utc>,
    /// On a shared computer: seconds without a request before it ends.
    pub idle_timeout_seconds: Option<i64>,
}

/// Sign in with a library card and PIN, as a guest learner.
#[utoipa::path(post, path = "/libraries/{slug}/patron-sessions", tag = "libraries",
    params(("slug" = String, Path, description = "The library's short name")),
    request_body = PatronSessionRequest,
    responses(
        (status = 201, description = "Signed in; the session cookie is set", body = PatronSessionResponse),
        (status = 401, description = "The card number and PIN do not match", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The card is blocked (`card-blocked`) or expired (`card-expired`), or the library's seats are used up (`seats-full`); the detail names the library's contact", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such library", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The library has not switched on card sign-in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The card number or PIN is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts for this card or library", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The library's card system does not answer", body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_patron_session(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    ApiJson(req): ApiJson<PatronSessionRequest>,
) -> Result<Response, ApiError> {
    let library = crate::library_pages::find_library(&state, &slug).await?;
    let (_, session) = patrons::sign_in(
        &state,
        &ctx,
        &library,
        PatronSignIn {
            card: &req.card,
            pin: &req.pin,
            shared_computer: req.shared_computer,
        },
    )
    .await?;
    let body = PatronSessionResponse {
        library: library.slug.to_string(),
        expires_at: lyceum_store::from_ms(session.session.expires_at),
        idle_timeout_seconds: session.session.idle_timeout_ms.map(|ms| ms / 1000),
    };
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            &session.token,
            session.max_age_secs(),
            state.config.secure_cookies,
        ),
    );
    Ok(res)
}

/// A library's settings, for its staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsResponse {
    /// The settings.
    #[serde(flatten)]
    pub settings: SettingsInput,
    /// Short name.
    pub slug: String,
    /// The SIP2 connection (without its password).
    pub sip2: Option<Sip2Request>,
    /// Whether a SIP2 password is stored.
    pub has_sip2_password: bool,
}

fn settings_of(l: &Library) -> SettingsResponse {
    SettingsResponse {
        settings: SettingsInput {
            name: l.name.clone(),
            town: l.town.clone(),
            contact: l.contact.clone(),
            brand_colour: l.brand_colour.to_string(),
            seats_per_month: match l.licence {
                Licence::Unlimited => None,
                Licence::SeatsPerMonth(n) => Some(n),
            },
            consortium: l.consortium.clone(),
            auth_method: l.auth_method.as_str().to_owned(),
            shared_computer_default: l.shared_computer_default,
            idle_minutes: l.idle_minutes,
            guest_retention_days: l.guest_retention_days,
        },
        slug: l.slug.to_string(),
        sip2: l.sip2.clone().map(|s| Sip2Request {
            host: s.host,
            port: s.port,
            tls: s.tls,
            login_user: s.login_user,
            login_password: None,
            location: s.location,
            institution: s.institution,
            error_detection: s.error_detection,
            crlf: s.crlf,
            use_patron_information: s.use_patron_information,
            timeout_ms: s.timeout_ms,
        }),
        has_sip2_password: l.has_sip2_password,
    }
}

/// A library's settings (staff and operators).
#[utoipa::path(get, path = "/libraries/{slug}/settings", tag = "libraries",
    params(("slug" = String, Path, description = "The library's short name")),
    responses(
        (status = 200, description = "The settings", body = SettingsResponse),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not this library's staff", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<Json<SettingsResponse>, ApiError> {
    let library = staff_library(&state, &ctx, &slug).await?;
    Ok(Json(settings_of(&library)))
}

/// Change a library's settings (staff and operators). Recorded in the audit log.
#[utoipa::path(put, path = "/libraries/{slug}/settings", tag = "libraries",
    params(("slug" = String, Path, description = "The library's short name")),
    request_body = SettingsInput,
    responses(
        (status = 200, description = "Saved", body = SettingsResponse),
        (status = 403, description = "Not this library's staff", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A setting breaks a rule", body = Problem, content_type = "application/problem+json"),
    ))]
async fn put_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<SettingsInput>,
) -> Result<Json<SettingsResponse>, ApiError> {
    let library = staff_library(&state, &ctx, &slug).await?;
    let changes = input.parse()?;
    let updated = state
        .store
        .libraries()
        .update(library.id, changes, ctx.member()?.id)
        .await
        .map_err(library_error)?;
    Ok(Json(settings_of(&updated)))
}

/// A library's SIP2 connection.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Sip2Request {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// TLS.
    #[serde(default)]
    pub tls: bool,
    /// SIP2 user (CN).
    pub login_user: String,
    /// SIP2 password (CO); leave out to keep the stored one. Never returned.
    #[serde(default, skip_serializing)]
    pub login_password: Option<String>,
    /// Location code (CP).
    #[serde(default)]
    pub location: Option<String>,
    /// Institution id (AO).
    pub institution: String,
    /// Sequence numbers and checksums (AY/AZ).
    #[serde(default = "yes")]
    pub error_detection: bool,
    /// CR LF message ends instead of CR.
    #[serde(default)]
    pub crlf: bool,
    /// Patron information (63) instead of patron status (23).
    #[serde(default = "yes")]
    pub use_patron_information: bool,
    /// Time limit per request in milliseconds (500–30000).
    #[serde(default = "default_timeout")]
    pub timeout_ms: u32,
}

fn yes() -> bool {
    true
}

fn default_timeout() -> u32 {
    5000
}

/// Set a library's SIP2 connection (staff and operators).
#[utoipa::path(put, path = "/libraries/{slug}/sip2", tag = "libraries",
    params(("slug" = String, Path, description = "The library's short name")),
    request_body = Sip2Request,
    responses(
        (status = 204, description = "Saved"),
        (status = 403, description = "Not this library's staff", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A setting is missing or out of range", body = Problem, content_type = "application/problem+json"),
    ))]
async fn put_sip2(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    ApiJson(req): ApiJson<Sip2Request>,
) -> Result<StatusCode, ApiError> {
    let library = staff_library(&state, &ctx, &slug).await?;
    if !library.has_sip2_password && req.login_password.as_deref().unwrap_or("").is_empty() {
        return Err(AppError::Validation(vec![crate::error::FieldError::new(
            "login_password",
            "Give the SIP2 password.",
        )])
        .into());
    }
    let settings = Sip2Settings {
        host: req.host.trim().to_owned(),
        port: req.port,
        tls: req.tls,
        login_user: req.login_user.trim().to_owned(),
        location: req.location.filter(|s| !s.trim().is_empty()),
        institution: req.institution.trim().to_owned(),
        error_detection: req.error_detection,
        crlf: req.crlf,
        use_patron_information: req.use_patron_information,
        timeout_ms: req.timeout_ms,
    };
    state
        .store
        .libraries()
        .set_sip2(
            library.id,
            settings,
            req.login_password.as_deref().filter(|p| !p.is_empty()),
            Some(ctx.member()?.id),
        )
        .await
        .map_err(library_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the library system said about itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct Sip2TestResponse {
    /// SIP version, such as `2.00`.
    pub protocol_version: String,
    /// Whether it says it is online.
    pub online: bool,
    /// The institution it reports.
    pub institution: Option<String>,
}

/// Log in to the library's SIP2 server and ask for its status.
#[utoipa::path(post, path = "/libraries/{slug}/sip2/test", tag = "libraries",
    params(("slug" = String, Path, description = "The library's short name")),
    responses(
        (status = 200, description = "The server answered", body = Sip2TestResponse),
        (status = 409, description = "Not configured, or the login was refused", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The server did not answer in SIP2", body = Problem, content_type = "application/problem+json"),
    ))]
async fn test_sip2(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<Json<Sip2TestResponse>, ApiError> {
    let library = staff_library(&state, &ctx, &slug).await?;
    let s = patrons::test_sip2(&state, &library).await?;
    Ok(Json(Sip2TestResponse {
        protocol_version: s.protocol_version,
        online: s.online,
        institution: s.institution,
    }))
}

/// A card list, replacing the library's whole list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardListRequest {
    /// Lines of `card,argon2-hash-of-PIN`.
    pub cards: String,
}

/// The list's size after the change.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardListResponse {
    /// Cards on the list.
    pub cards: usize,
}

/// Replace the library's card list (for libraries without SIP2).
#[utoipa::path(put, path = "/libraries/{slug}/card-list", tag = "libraries",
    params(("slug" = String, Path, description = "The library's short name")),
    request_body = CardListRequest,
    responses(
        (status = 200, description = "Replaced", body = CardListResponse),
        (status = 422, description = "A line is malformed; nothing was changed", body = Problem, content_type = "application/problem+json"),
    ))]
async fn put_card_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    ApiJson(req): ApiJson<CardListRequest>,
) -> Result<Json<CardListResponse>, ApiError> {
    let library = staff_library(&state, &ctx, &slug).await?;
    let entries = parse_card_list(&req.cards)?;
    let n = state
        .store
        .libraries()
        .replace_card_list(&library, entries, Some(ctx.member()?.id))
        .await
        .map_err(library_error)?;
    Ok(Json(CardListResponse { cards: n }))
}

/// One report cell.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportCellResponse {
    /// `YYYY-MM`.
    pub month: String,
    /// What is counted (`patrons_active`, `sign_ins`, …).
    pub metric: String,
    /// Breakdown value, empty for the total.
    pub dimension: String,
    /// The count; null when fewer than `min_count` people are behind it.
    pub count: Option<u64>,
}

/// A usage report: counts only.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportResponse {
    /// First month.
    pub from: String,
    /// Last month.
    pub to: String,
    /// Smallest count shown; smaller ones are null.
    pub min_count: u64,
    /// The cells.
    pub cells: Vec<ReportCellResponse>,
}

/// A library's usage report (staff and operators). Counts below 10 are
/// suppressed; there is no per-patron endpoint.
#[utoipa::path(get, path = "/libraries/{slug}/reports", tag = "libraries",
    params(("slug" = String, Path, description = "The library's short name"),
           ("from" = Option<String>, Query, description = "First month, YYYY-MM (default: eleven months ago)"),
           ("to" = Option<String>, Query, description = "Last month, YYYY-MM (default: this month)")),
    responses(
        (status = 200, description = "The report", body = ReportResponse),
        (status = 403, description = "Not this library's staff", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A month is malformed", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Json<ReportResponse>, ApiError> {
    let library = staff_library(&state, &ctx, &slug).await?;
    let (from, to) = q.months(state.store.clock.now())?;
    let cells = state.store.guests().report(library.id, from, to).await?;
    Ok(Json(ReportResponse {
        from: from.to_string(),
        to: to.to_string(),
        min_count: lyceum_core::domain::library::REPORT_MIN_COUNT,
        cells: cells
            .into_iter()
            .map(|c| ReportCellResponse {
                month: c.month,
                metric: c.metric,
                dimension: c.dimension,
                count: c.count,
            })
            .collect(),
    }))
}

/// The usage report as COUNTER-style CSV.
#[utoipa::path(get, path = "/libraries/{slug}/reports.csv", tag = "libraries",
    params(("slug" = String, Path, description = "The library's short name"),
           ("from" = Option<String>, Query, description = "First month, YYYY-MM"),
           ("to" = Option<String>, Query, description = "Last month, YYYY-MM")),
    responses((status = 200, description = "CSV; suppressed cells read <10", content_type = "text/csv")))]
async fn get_report_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let library = staff_library(&state, &ctx, &slug).await?;
    let (from, to) = q.months(state.store.clock.now())?;
    let csv = report_csv(&state, &library, from, to).await?;
    Ok(csv_response(&library, from, to, csv))
}

/// One staff action.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditResponse {
    /// When.
    pub at: DateTime<Utc>,
    /// The staff member's account id.
    pub actor: uuid::Uuid,
    /// What was done.
    pub action: String,
}

/// The partner providers a library licenses, by short name.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LicensedProviders {
    /// Short names of partner providers; the instance's own courses need no licence.
    pub providers: Vec<String>,
}

/// The partner providers whose courses the library's patrons may take.
#[utoipa::path(get, path = "/libraries/{slug}/providers", tag = "libraries",
    params(("slug" = String, Path, description = "The library's short name")),
    responses(
        (status = 200, description = "The licensed partners", body = LicensedProviders),
        (status = 403, description = "Not this library's staff", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_providers(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<Json<LicensedProviders>, ApiError> {
    let library = staff_library(&state, &ctx, &slug).await?;
    let learning = state.store.learning();
    let licensed = learning.licensed_providers(library.id).await?;
    Ok(Json(LicensedProviders {
        providers: learning
            .providers()
            .await?
            .into_iter()
            .filter(|p| licensed.contains(&p.id))
            .map(|p| p.slug)
            .collect(),
    }))
}

/// Replaces the partner providers the library licenses.
#[utoipa::path(put, path = "/libraries/{slug}/providers", tag = "libraries",
    params(("slug" = String, Path, description = "The library's short name")),
    request_body = LicensedProviders,
    responses(
        (status = 200, description = "Saved, and recorded in the audit log", body = LicensedProviders),
        (status = 403, description = "Not this library's staff", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A name that is not a partner provider; nothing changed", body = Problem, content_type = "application/problem+json"),
    ))]
async fn put_providers(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<LicensedProviders>,
) -> Result<Json<LicensedProviders>, ApiError> {
    let library = staff_library(&state, &ctx, &slug).await?;
    let providers =
        crate::library_pages::set_partners(&state, &library, ctx.member()?.id, &body.providers)
            .await?;
    Ok(Json(LicensedProviders { providers }))
}

/// The library's audit log, newest first (staff and operators).
#[utoipa::path(get, path = "/libraries/{slug}/audit", tag = "libraries",
    params(("slug" = String, Path, description = "The library's short name")),
    responses((status = 200, description = "Up to 200 entries", body = [AuditResponse])))]
async fn get_audit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<Json<Vec<AuditResponse>>, ApiError> {
    let library = staff_library(&state, &ctx, &slug).await?;
    Ok(Json(
        state
            .store
            .libraries()
            .audit_log(library.id, 200)
            .await?
            .into_iter()
            .map(|a| AuditResponse {
                at: a.at,
                actor: a.actor.0,
                action: a.action,
            })
            .collect(),
    ))
}

/// One kind of record kept about the guest.
#[derive(Debug, Serialize, ToSchema)]
pub struct GuestHolding {
    /// What it is.
    pub what: String,
    /// Why it is kept.
    pub why: String,
    /// Until when.
    pub kept_until: String,
}

/// The signed-in guest learner's data.
#[derive(Debug, Serialize, ToSchema)]
pub struct GuestResponse {
    /// The library.
    pub library: String,
    /// First sign-in.
    pub first_seen_at: DateTime<Utc>,
    /// Latest sign-in.
    pub last_seen_at: DateTime<Utc>,
    /// When everything is deleted if the guest does not come back.
    pub kept_until: DateTime<Utc>,
    /// What is kept, and why.
    pub holdings: Vec<GuestHolding>,
}

/// What is kept about the signed-in guest learner, and until when.
#[utoipa::path(get, path = "/guest", tag = "guest",
    responses(
        (status = 200, description = "The guest's data", body = GuestResponse),
        (status = 401, description = "Not signed in with a library card", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_guest(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<GuestResponse>, ApiError> {
    let (guest, library) = ctx.guest()?;
    let holdings = crate::library_pages::guest_holdings(&state, &ctx)
        .await?
        .into_iter()
        .map(|(what, why, kept_until)| GuestHolding {
            what,
            why,
            kept_until,
        })
        .collect();
    Ok(Json(GuestResponse {
        library: library.slug.to_string(),
        first_seen_at: guest.created_at,
        last_seen_at: guest.last_seen_at,
        kept_until: guest.kept_until(library),
        holdings,
    }))
}

/// Delete everything about the signed-in guest now, and sign out.
#[utoipa::path(delete, path = "/guest", tag = "guest",
    responses(
        (status = 204, description = "Deleted; the session cookie is cleared"),
        (status = 401, description = "Not signed in with a library card", body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_guest(State(state): State<AppState>, ctx: Ctx) -> Result<Response, ApiError> {
    let (guest, _) = ctx.guest()?;
    state.store.guests().erase(guest.id).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(
            header::SET_COOKIE,
            clear_cookie(state.config.secure_cookies),
        )],
    )
        .into_response())
}

/// The current session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    /// `member`, `guest` or `anonymous`.
    pub holder: String,
    /// On a shared computer: seconds without a request before it ends.
    pub idle_timeout_seconds: Option<i64>,
    /// When it ends at the latest.
    pub expires_at: DateTime<Utc>,
}

/// The current session. Any request keeps a shared-computer session
/// alive; the idle warning calls this one.
#[utoipa::path(get, path = "/session", tag = "auth",
    responses(
        (status = 200, description = "The session", body = SessionResponse),
        (status = 401, description = "No session", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_session(ctx: Ctx) -> Result<Json<SessionResponse>, ApiError> {
    let s = ctx
        .session
        .as_ref()
        .ok_or_else(|| AppError::Unauthorized("You are not signed in.".into()))?;
    let holder = if ctx.member.is_some() {
        "member"
    } else if ctx.guest.is_some() {
        "guest"
    } else {
        "anonymous"
    };
    Ok(Json(SessionResponse {
        holder: holder.into(),
        idle_timeout_seconds: s.idle_timeout_ms.map(|ms| ms / 1000),
        expires_at: lyceum_store::from_ms(s.expires_at),
    }))
}

/// A library card linked to the member's account.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedCard {
    /// The guest learner id of the card (used to detach it).
    pub guest: uuid::Uuid,
    /// The library's short name.
    pub library: String,
    /// When the member linked it.
    pub linked_at: DateTime<Utc>,
}

/// A card to link: checked with the library like a sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkCardRequest {
    /// The library's short name.
    pub library: String,
    /// The card number.
    pub card: String,
    /// The PIN.
    pub pin: String,
}

async fn cards_of(state: &AppState, ctx: &Ctx) -> Result<Vec<LinkedCard>, AppError> {
    let member = ctx.member()?;
    let mut out = Vec::new();
    for (g, at) in state.store.guests().linked_to(member.id).await? {
        let slug = state
            .store
            .libraries()
            .get(g.library_id)
            .await?
            .map(|l| l.slug.to_string())
            .unwrap_or_default();
        out.push(LinkedCard {
            guest: g.id.0,
            library: slug,
            linked_at: at,
        });
    }
    Ok(out)
}

/// Library cards linked to the signed-in member.
#[utoipa::path(get, path = "/me/library-cards", tag = "me",
    responses(
        (status = 200, description = "Linked cards", body = [LinkedCard]),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_cards(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<LinkedCard>>, ApiError> {
    Ok(Json(cards_of(&state, &ctx).await?))
}

/// Link a library card to the signed-in member: the card's learning then
/// shows in the account. The library checks the card and PIN first.
#[utoipa::path(post, path = "/me/library-cards", tag = "me", request_body = LinkCardRequest,
    responses(
        (status = 201, description = "Linked; the member's cards", body = [LinkedCard]),
        (status = 401, description = "Not signed in, or the card and PIN do not match", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The card is blocked or expired", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such library", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The card is linked to another account", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The library's card system does not answer", body = Problem, content_type = "application/problem+json"),
    ))]
async fn link_card(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(req): ApiJson<LinkCardRequest>,
) -> Result<Response, ApiError> {
    ctx.member()?;
    let library = crate::library_pages::find_library(&state, &req.library).await?;
    patrons::link_card(&state, &ctx, &library, &req.card, &req.pin).await?;
    Ok((StatusCode::CREATED, Json(cards_of(&state, &ctx).await?)).into_response())
}

/// Detach a linked card; it becomes a pure guest card again, with its learning.
#[utoipa::path(delete, path = "/me/library-cards/{guest}", tag = "me",
    params(("guest" = uuid::Uuid, Path, description = "The card's guest id")),
    responses(
        (status = 204, description = "Detached"),
        (status = 404, description = "No such card linked to this account", body = Problem, content_type = "application/problem+json"),
    ))]
async fn detach_card(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(guest): Path<String>,
) -> Result<StatusCode, ApiError> {
    let guest = guest.parse().map_err(|_| AppError::NotFound)?;
    patrons::unlink_card(&state, &ctx, guest).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A library's OpenID Connect provider.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OidcRequest {
    /// The issuer (https://…); discovery is read from its well-known address.
    pub issuer: String,
    /// The client id.
    pub client_id: String,
    /// The client secret; leave out to keep the stored one. Never returned.
    #[serde(default)]
    pub client_secret: Option<String>,
}

/// Set a library's OpenID Connect provider (staff and operators).
#[utoipa::path(put, path = "/libraries/{slug}/oidc", tag = "libraries",
    params(("slug" = String, Path, description = "The library's short name")),
    request_body = OidcRequest,
    responses(
        (status = 204, description = "Saved"),
        (status = 403, description = "Not this library's staff", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The issuer is not an https address, or the client id is missing", body = Problem, content_type = "application/problem+json"),
    ))]
async fn put_oidc(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    ApiJson(req): ApiJson<OidcRequest>,
) -> Result<StatusCode, ApiError> {
    let library = staff_library(&state, &ctx, &slug).await?;
    state
        .store
        .libraries()
        .set_oidc(
            library.id,
            lyceum_store::libraries::OidcSettings {
                issuer: req.issuer,
                client_id: req.client_id,
            },
            req.client_secret.as_deref().filter(|s| !s.is_empty()),
            Some(ctx.member()?.id),
        )
        .await
        .map_err(library_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything kept about the signed-in guest learner, as a ZIP: JSON for
/// programs and an `index.html` to read offline.
#[utoipa::path(get, path = "/guest/export", tag = "guest",
    responses(
        (status = 200, description = "The archive", content_type = "application/zip"),
        (status = 401, description = "Not signed in with a library card", body = Problem, content_type = "application/problem+json"),
    ))]
async fn export_guest(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let (guest, library) = ctx.guest()?;
    Ok(crate::export::archive(
        &state,
        crate::export::Owner::Guest(guest, library),
        &state.base_url(&headers),
    )
    .await?)
}

/// Where the person stands on one ground of processing they may object to.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectionResponse {
    /// The ground's key (`usage_statistics`).
    pub ground: String,
    /// Its name.
    pub title: String,
    /// What the processing is and whose interest it serves.
    pub explanation: String,
    /// Whether the person objects now.
    pub objected: bool,
    /// Since when, if they ever said.
    pub since: Option<DateTime<Utc>>,
}

/// An objection or its withdrawal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionRequest {
    /// `true` to object, `false` to withdraw the objection.
    pub objected: bool,
}

async fn objections_of(state: &AppState, ctx: &Ctx) -> Result<Vec<ObjectionResponse>, AppError> {
    Ok(state
        .store
        .objections()
        .states(ctx.subject()?)
        .await?
        .into_iter()
        .map(|o| ObjectionResponse {
            ground: o.ground.key().into(),
            title: o.ground.title().into(),
            explanation: o.ground.explanation().into(),
            objected: o.objected,
            since: o.since,
        })
        .collect())
}

/// Processing on legitimate-interest grounds the signed-in person (member
/// or guest learner) may object to (GDPR Art. 21), and where they stand.
#[utoipa::path(get, path = "/objections", tag = "me",
    responses(
        (status = 200, description = "Every ground", body = [ObjectionResponse]),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_objections(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ObjectionResponse>>, ApiError> {
    Ok(Json(objections_of(&state, &ctx).await?))
}

/// Object to (or withdraw an objection to) one ground of processing; it
/// takes effect at once and needs no reason.
#[utoipa::path(put, path = "/objections/{ground}", tag = "me",
    params(("ground" = String, Path, description = "The ground's key")),
    request_body = ObjectionRequest,
    responses(
        (status = 200, description = "Every ground after the change", body = [ObjectionResponse]),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ground", body = Problem, content_type = "application/problem+json"),
    ))]
async fn set_objection(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(ground): Path<String>,
    ApiJson(req): ApiJson<ObjectionRequest>,
) -> Result<Json<Vec<ObjectionResponse>>, ApiError> {
    let subject = ctx.subject()?;
    let ground =
        lyceum_core::domain::objection::Ground::from_key(&ground).ok_or(AppError::NotFound)?;
    state
        .store
        .objections()
        .set(subject, ground, req.objected)
        .await?;
    Ok(Json(objections_of(&state, &ctx).await?))
}
