//! The JSON API under `/api/v1`. Errors are RFC 9457 problem documents.
//! The OpenAPI document at `/api/v1/openapi.json` is generated from the
//! handlers' annotations and types below, so it cannot drift from them.

use crate::AppState;
use crate::auth::{self, SignUpInput};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::ApiJson;
use crate::session::{Ctx, clear_cookie, set_cookie};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use lyceum_core::domain::Role;
use lyceum_store::accounts::Member;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

/// The API routes (nested under `/api/v1`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/signup", post(signup))
        .route("/auth/signin", post(signin))
        .route("/auth/signout", post(signout))
        .route("/auth/signout-everywhere", post(signout_everywhere))
        .route("/me", get(me).delete(erase_me))
        .route("/me/password", put(change_password))
        .route("/me/privacy", get(privacy))
        .route("/me/export", get(export))
        .route("/me/restriction", get(get_restriction).put(set_restriction))
        .route("/me/consents", get(list_consents))
        .route("/me/consents/{purpose}", put(set_consent))
        .route("/openapi.json", get(openapi))
}

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(title = "Lyceum API", description = "Privacy-first learning and professional network. Errors are RFC 9457 problem documents (`application/problem+json`) with a stable `type` URN."),
    paths(signup, signin, signout, signout_everywhere, me, erase_me, change_password, privacy, export, get_restriction, set_restriction, list_consents, set_consent),
    components(schemas(SignUpRequest, SignInRequest, ChangePasswordRequest, MeResponse, ConsentResponse, ConsentRequest, EraseRequest, ErasureReceipt, HoldingResponse, PrivacyResponse, DisclosureResponse, RestrictionBody, RestrictionResponse, Problem, FieldError)),
    servers((url = "/api/v1")),
    tags((name = "auth", description = "Accounts and sessions"), (name = "me", description = "The signed-in member"))
)]
pub struct ApiDoc;

async fn openapi() -> Response {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::library_api::LibraryApiDoc::openapi());
    doc.merge(crate::breaches::BreachApiDoc::openapi());
    doc.merge(crate::learning_api::LearningApiDoc::openapi());
    doc.merge(crate::instructors::InstructorsApiDoc::openapi());
    doc.merge(crate::questions::QuestionsApiDoc::openapi());
    doc.merge(crate::collections::CollectionsApiDoc::openapi());
    doc.merge(crate::search::SearchApiDoc::openapi());
    doc.merge(crate::providers::ProviderApiDoc::openapi());
    doc.merge(crate::network_api::NetworkApiDoc::openapi());
    doc.merge(crate::password_reset::PasswordResetApiDoc::openapi());
    doc.openapi = utoipa::openapi::OpenApiVersion::Version31;
    Json(doc).into_response()
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpRequest {
    /// Email address; visible to nobody but the member.
    #[schema(example = "ann@example.org")]
    pub email: String,
    /// The name shown to others, 1–100 characters.
    #[schema(example = "Ann Lee")]
    pub display_name: String,
    /// At least 12 characters.
    pub password: String,
}

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    /// Email address.
    pub email: String,
    /// Password.
    pub password: String,
    /// A shared computer: the cookie ends with the browser and the session
    /// after 15 minutes without a request.
    #[serde(default)]
    pub shared_computer: bool,
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The password in use now.
    pub current_password: String,
    /// The new password, at least 12 characters.
    pub new_password: String,
}

/// The signed-in member's own account.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    /// Member id.
    pub id: Uuid,
    /// Email address.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// `member` or `operator`.
    pub role: String,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

impl From<&Member> for MeResponse {
    fn from(m: &Member) -> Self {
        Self {
            id: m.id.0,
            email: m.email.as_str().to_owned(),
            display_name: m.display_name.as_str().to_owned(),
            role: m.role.as_str().to_owned(),
            created_at: m.created_at,
        }
    }
}

fn signed_in(
    state: &AppState,
    status: StatusCode,
    member: &Member,
    s: &lyceum_store::sessions::NewSession,
) -> Response {
    let mut res = (status, Json(MeResponse::from(member))).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&s.token, s.max_age_secs(), state.config.secure_cookies),
    );
    res
}

/// Create a member account and sign in.
#[utoipa::path(post, path = "/auth/signup", tag = "auth", request_body = SignUpRequest,
    responses(
        (status = 201, description = "Created and signed in; the session cookie is set", body = MeResponse),
        (status = 422, description = "A field breaks a rule", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many sign-ups from this address", body = Problem, content_type = "application/problem+json"),
    ))]
async fn signup(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(req): ApiJson<SignUpRequest>,
) -> Result<Response, ApiError> {
    let input = SignUpInput {
        email: req.email,
        display_name: req.display_name,
        password: req.password,
    };
    let (member, session) = auth::sign_up(&state, &ctx, &input, Role::Member).await?;
    Ok(signed_in(&state, StatusCode::CREATED, &member, &session))
}

/// Sign in with email and password.
#[utoipa::path(post, path = "/auth/signin", tag = "auth", request_body = SignInRequest,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = MeResponse),
        (status = 401, description = "The email address or password is not right (the same answer for both)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
async fn signin(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(req): ApiJson<SignInRequest>,
) -> Result<Response, ApiError> {
    let (member, session) =
        auth::sign_in(&state, &ctx, &req.email, &req.password, req.shared_computer).await?;
    Ok(signed_in(&state, StatusCode::OK, &member, &session))
}

/// End this session.
#[utoipa::path(post, path = "/auth/signout", tag = "auth",
    responses((status = 204, description = "Signed out; the cookie is cleared")))]
async fn signout(State(state): State<AppState>, ctx: Ctx) -> Result<Response, ApiError> {
    auth::sign_out(&state, &ctx).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(
            header::SET_COOKIE,
            clear_cookie(state.config.secure_cookies),
        )],
    )
        .into_response())
}

/// End every session of the signed-in member, this one included.
#[utoipa::path(post, path = "/auth/signout-everywhere", tag = "auth",
    responses(
        (status = 204, description = "Every session ended"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ))]
async fn signout_everywhere(State(state): State<AppState>, ctx: Ctx) -> Result<Response, ApiError> {
    auth::sign_out_everywhere(&state, &ctx).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(
            header::SET_COOKIE,
            clear_cookie(state.config.secure_cookies),
        )],
    )
        .into_response())
}

/// The signed-in member's account.
#[utoipa::path(get, path = "/me", tag = "me",
    responses(
        (status = 200, description = "The account", body = MeResponse),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ))]
async fn me(ctx: Ctx) -> Result<Json<MeResponse>, ApiError> {
    Ok(Json(MeResponse::from(ctx.member()?)))
}

/// Change the password; every other session ends.
#[utoipa::path(put, path = "/me/password", tag = "me", request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The current password is not right, or the new one breaks a rule", body = Problem, content_type = "application/problem+json"),
    ))]
async fn change_password(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    auth::change_password(&state, &ctx, &req.current_password, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Where the member stands on one optional purpose.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentResponse {
    /// The purpose's key.
    #[schema(example = "personalised_recommendations")]
    pub purpose: String,
    /// A short name.
    pub title: String,
    /// Exactly what is agreed to.
    pub wording: String,
    /// The version of that wording.
    pub wording_version: i32,
    /// Whether it is on now. Off unless the member turned it on.
    pub granted: bool,
    /// When it was last turned on or off.
    pub since: Option<DateTime<Utc>>,
}

/// Turn an optional purpose on or off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// `true` to turn it on, `false` to withdraw.
    pub granted: bool,
}

async fn consent_list(state: &AppState, member: &Member) -> Result<Vec<ConsentResponse>, ApiError> {
    let states = state
        .store
        .consents()
        .states(lyceum_core::domain::SubjectId::from(member.id))
        .await?;
    Ok(states
        .into_iter()
        .map(|s| ConsentResponse {
            purpose: s.purpose.key().to_owned(),
            title: s.purpose.title().to_owned(),
            wording: s.purpose.wording().to_owned(),
            wording_version: s.wording_version.unwrap_or(s.purpose.wording_version()),
            granted: s.granted,
            since: s.since,
        })
        .collect())
}

/// The member's optional purposes and where they stand on each.
#[utoipa::path(get, path = "/me/consents", tag = "me",
    responses(
        (status = 200, description = "Every optional purpose", body = [ConsentResponse]),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_consents(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ConsentResponse>>, ApiError> {
    Ok(Json(consent_list(&state, ctx.member()?).await?))
}

/// Grant or withdraw consent to one optional purpose. Recorded with the
/// time and the wording version.
#[utoipa::path(put, path = "/me/consents/{purpose}", tag = "me", request_body = ConsentRequest,
    params(("purpose" = String, Path, description = "personalised_recommendations, news_mention_suggestions, email_digests or recruiter_visibility")),
    responses(
        (status = 200, description = "The purpose after the change", body = ConsentResponse),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such purpose", body = Problem, content_type = "application/problem+json"),
    ))]
async fn set_consent(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Path(key): axum::extract::Path<String>,
    ApiJson(req): ApiJson<ConsentRequest>,
) -> Result<Json<ConsentResponse>, ApiError> {
    let member = ctx.member()?;
    let purpose =
        lyceum_core::domain::Purpose::from_key(&key).ok_or(crate::error::AppError::NotFound)?;
    state
        .store
        .consents()
        .set(
            lyceum_core::domain::SubjectId::from(member.id),
            purpose,
            req.granted,
        )
        .await?;
    let all = consent_list(&state, member).await?;
    all.into_iter()
        .find(|c| c.purpose == key)
        .map(Json)
        .ok_or_else(|| ApiError(crate::error::AppError::NotFound))
}

/// Confirms erasure with the password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseRequest {
    /// The member's password. A guest learner sends `{}`: their signed-in
    /// library session is the proof.
    #[serde(default)]
    pub password: String,
}

/// What erasure did and what follows.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureReceipt {
    /// `erasing`: the key is destroyed; rows are being deleted.
    pub status: String,
    /// When the key was destroyed. From this moment nothing encrypted for
    /// the member can be read, in the database or in any backup.
    pub key_destroyed_at: DateTime<Utc>,
    /// What happens next.
    pub detail: String,
}

/// Erase the signed-in member's account and everything it holds.
#[utoipa::path(delete, path = "/me", tag = "me", request_body = EraseRequest,
    responses(
        (status = 202, description = "The key is destroyed; rows are removed by background work within minutes; the session cookie is cleared", body = ErasureReceipt),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The password is not right", body = Problem, content_type = "application/problem+json"),
    ))]
async fn erase_me(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(req): ApiJson<EraseRequest>,
) -> Result<Response, ApiError> {
    if let Some((guest, _)) = &ctx.guest {
        state.store.guests().erase(guest.id).await?;
        let receipt = ErasureReceipt {
            status: "erased".into(),
            key_destroyed_at: state.store.clock.now(),
            detail: "Everything Lyceum kept about you as a guest learner has been deleted, and your key destroyed.".into(),
        };
        let mut res = (StatusCode::ACCEPTED, Json(receipt)).into_response();
        res.headers_mut().append(
            header::SET_COOKIE,
            clear_cookie(state.config.secure_cookies),
        );
        return Ok(res);
    }
    let at = auth::erase_account(&state, &ctx, &req.password).await?;
    let receipt = ErasureReceipt {
        status: "erasing".into(),
        key_destroyed_at: at,
        detail: "Your encryption key has been destroyed and every session ended. The remaining rows are deleted by background work within minutes.".into(),
    };
    let mut res = (StatusCode::ACCEPTED, Json(receipt)).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        clear_cookie(state.config.secure_cookies),
    );
    Ok(res)
}

/// One kind of personal data held about the member.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldingResponse {
    /// The data map category (`contact`, `identity`, `credentials`, …).
    pub category: String,
    /// What it is.
    pub what: String,
    /// Why it is held.
    pub purpose: String,
    /// The lawful basis.
    pub lawful_basis: String,
    /// How long it is kept, in words.
    pub kept: String,
    /// When it expires, where a date is known.
    pub kept_until: Option<DateTime<Utc>>,
    /// What erasure does to it.
    pub on_erasure: String,
    /// Whether it is stored encrypted under the member's own key.
    pub is_encrypted: bool,
}

/// One disclosure from the recipients ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosureResponse {
    /// The recipient's key.
    pub recipient: String,
    /// The recipient's name and country.
    pub recipient_name: String,
    /// Why the data was sent.
    pub purpose: String,
    /// The data map categories sent.
    pub categories: Vec<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// The member's recipients ledger.
pub async fn disclosures(
    state: &AppState,
    subject: lyceum_core::domain::SubjectId,
) -> Result<Vec<DisclosureResponse>, crate::error::AppError> {
    let mut out = Vec::new();
    for d in state.store.disclosures(subject).await? {
        // A library's card system is a recipient named by the library
        // itself rather than in the operator's configuration.
        let recipient_name = match d.recipient.strip_prefix("library-system:") {
            Some(slug) => match state.store.libraries().by_slug(slug).await? {
                Some(l) => format!("{}'s card system", l.name),
                None => "A library's card system (the library has since left)".to_owned(),
            },
            None => state.recipient_label(&d.recipient),
        };
        out.push(DisclosureResponse {
            recipient_name,
            recipient: d.recipient,
            purpose: d.purpose,
            categories: d.categories,
            at: d.at,
        });
    }
    Ok(out)
}

/// What is held about the member and who received it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrivacyResponse {
    /// Every kind of personal data held now.
    pub holdings: Vec<HoldingResponse>,
    /// Every time any of it left this instance: recipient, purpose, kinds of data, time.
    pub disclosures: Vec<DisclosureResponse>,
}

/// What Lyceum holds about the signed-in member, why, until when, and who received it.
#[utoipa::path(get, path = "/me/privacy", tag = "me",
    responses(
        (status = 200, description = "The member's privacy dashboard", body = PrivacyResponse),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ))]
async fn privacy(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<PrivacyResponse>, ApiError> {
    let member = ctx.member()?;
    let holdings = lyceum_store::datamap::holdings(
        &state.store,
        lyceum_core::domain::SubjectId::from(member.id),
        &state.retention,
    )
    .await?;
    Ok(Json(PrivacyResponse {
        holdings: holdings
            .into_iter()
            .map(|h| HoldingResponse {
                category: serde_json::to_value(h.field.category)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                what: crate::pages::field_words(h.about, h.column),
                purpose: h.field.purpose.to_owned(),
                lawful_basis: h.field.basis.label().to_owned(),
                kept: crate::pages::kept_until(h.field.retention, h.until),
                kept_until: h.until,
                on_erasure: serde_json::to_value(h.field.erase)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                is_encrypted: h.field.is_encrypted,
            })
            .collect(),
        disclosures: disclosures(&state, lyceum_core::domain::SubjectId::from(member.id)).await?,
    }))
}

/// Everything held about the signed-in member, as a ZIP: `account.json`,
/// `data/<table>.json` (rows and the data map's declarations), the same
/// records by category in `categories/<category>.json`, pictures in
/// `files/`, `connections.csv`, `consents.json`, `recipients.json` and a
/// readable `index.html`.
#[utoipa::path(get, path = "/me/export", tag = "me",
    responses(
        (status = 200, description = "The archive", content_type = "application/zip"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ))]
async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let member = ctx.member()?;
    Ok(crate::export::archive(
        &state,
        crate::export::Owner::Member(member),
        &state.base_url(&headers),
    )
    .await?)
}

/// Pause or resume all optional processing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestrictionBody {
    /// `true` to pause, `false` to resume.
    pub paused: bool,
}

/// Whether optional processing is paused (GDPR Art. 18).
#[derive(Debug, Serialize, ToSchema)]
pub struct RestrictionResponse {
    /// Whether it is paused.
    pub paused: bool,
    /// Since when.
    pub since: Option<DateTime<Utc>>,
}

async fn restriction(state: &AppState, member: &Member) -> Result<RestrictionResponse, ApiError> {
    let since = state
        .store
        .consents()
        .paused_since(lyceum_core::domain::SubjectId::from(member.id))
        .await?;
    Ok(RestrictionResponse {
        paused: since.is_some(),
        since,
    })
}

/// Whether the member has paused all optional processing.
#[utoipa::path(get, path = "/me/restriction", tag = "me",
    responses(
        (status = 200, description = "The restriction state", body = RestrictionResponse),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_restriction(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<RestrictionResponse>, ApiError> {
    Ok(Json(restriction(&state, ctx.member()?).await?))
}

/// Pause (restrict) or resume all optional processing. While paused, no
/// optional purpose is processed whatever was granted; the account stays
/// readable, exportable and erasable.
#[utoipa::path(put, path = "/me/restriction", tag = "me", request_body = RestrictionBody,
    responses(
        (status = 200, description = "The restriction state after the change", body = RestrictionResponse),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ))]
async fn set_restriction(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(req): ApiJson<RestrictionBody>,
) -> Result<Json<RestrictionResponse>, ApiError> {
    let member = ctx.member()?;
    state
        .store
        .consents()
        .set_paused(lyceum_core::domain::SubjectId::from(member.id), req.paused)
        .await?;
    Ok(Json(restriction(&state, member).await?))
}
