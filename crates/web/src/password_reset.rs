//! "Forgot your password?": a member asks for a link by email, and sets a
//! new password with it (see `lyceum_store::password_reset`). The pages
//! and the API answer a request the same way whether or not the address
//! has an account. Where the instance sends no email there is no link to
//! send, and the page says whom to ask instead.

use crate::AppState;
use crate::auth::ip_key;
use crate::error::{ApiError, AppError, FieldError, PageError};
use crate::extract::{ApiJson, PageForm};
use crate::pages::{Field, FormPage, Layout, form_response, page, with_errors};
use crate::session::Ctx;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use lyceum_core::domain::{Email, NewPassword};
use lyceum_store::password_reset::ResetError;
use serde::Deserialize;
use utoipa::ToSchema;

/// The pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/password/forgot", get(forgot_form).post(forgot_submit))
        .route(
            "/password/reset/{token}",
            get(reset_form).post(reset_submit),
        )
}

/// The API (under `/api/v1`).
pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/auth/password-reset", post(api_request))
        .route("/auth/password-reset/confirm", post(api_confirm))
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    layout: Layout,
    heading: &'static str,
    paragraphs: Vec<&'static str>,
    links: Vec<(&'static str, &'static str)>,
}

const SENT: &str = "If an account uses that address, we have sent it a link to set a new password. The link works once, within an hour.";
const NO_MAIL: &str = "This Lyceum does not send email, so it cannot send you a link. Ask the people who run it (at a library, the library staff) to help you back into your account.";
const LINK_GONE: &str = "This link to set a new password has expired or was already used. Links work once, within an hour, and only the newest one works.";

fn message(
    ctx: &Ctx,
    status: StatusCode,
    heading: &'static str,
    paragraphs: Vec<&'static str>,
    links: Vec<(&'static str, &'static str)>,
) -> Response {
    page(
        status,
        &MessagePage {
            layout: Layout::new(heading, ctx, "signin"),
            heading,
            paragraphs,
            links,
        },
    )
}

fn forgot_page(layout: Layout, email: &str, errors: Vec<FieldError>) -> FormPage {
    FormPage {
        layout,
        heading: "Forgot your password?",
        intro: vec![
            "Give the email address of your account. We will send it a link to choose a new password.",
        ],
        action: "/password/forgot".into(),
        submit: "Send me a link",
        fields: with_errors(
            vec![Field::new("email", "Email address", "email", "email").value(email)],
            &errors,
        ),
        errors,
        links: vec![("/signin", "Remembered it? Sign in")],
        shared_question: false,
    }
}

#[derive(Debug, Deserialize)]
struct SentParam {
    #[serde(default)]
    sent: Option<String>,
}

async fn forgot_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SentParam>,
) -> Result<Response, PageError> {
    if !state.sends_mail {
        return Ok(message(
            &ctx,
            StatusCode::OK,
            "Forgot your password?",
            vec![NO_MAIL],
            vec![("/signin", "Back to sign in")],
        ));
    }
    if q.sent.is_some() {
        return Ok(message(
            &ctx,
            StatusCode::OK,
            "Check your email",
            vec![
                SENT,
                "Nothing there? Look in your spam folder, or ask for a new link.",
            ],
            vec![
                ("/password/forgot", "Ask for a new link"),
                ("/signin", "Back to sign in"),
            ],
        ));
    }
    form_response(
        &state,
        ctx,
        StatusCode::OK,
        |l| forgot_page(l, "", vec![]),
        "Forgot your password?",
        "signin",
    )
    .await
}

#[derive(Debug, Deserialize)]
struct ForgotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

/// Checks the limits and the address, then asks the store for a link.
async fn request(state: &AppState, ctx: &Ctx, email: &str) -> Result<(), AppError> {
    state.limiter.hit(
        &format!("reset-ip:{}", ip_key(ctx)),
        state.config.rate_limits.signin_per_ip,
    )?;
    let email = Email::parse(email.trim())
        .map_err(|e| AppError::Validation(vec![FieldError::new("email", e.to_string())]))?;
    state.limiter.hit(
        &format!("reset-account:{}", email.normalised()),
        state.config.rate_limits.signin_per_account,
    )?;
    if !state.sends_mail {
        return Err(AppError::Conflict(NO_MAIL.into()));
    }
    state.store.request_password_reset(&email).await?;
    Ok(())
}

async fn forgot_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<ForgotForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    match request(&state, &ctx, &form.email).await {
        Ok(()) => Ok(crate::pages::see_other("/password/forgot?sent=1")),
        Err(AppError::Validation(errors)) => {
            form_response(
                &state,
                ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                |l| forgot_page(l, &form.email, errors),
                "Forgot your password?",
                "signin",
            )
            .await
        }
        Err(AppError::Conflict(_)) => Ok(message(
            &ctx,
            StatusCode::CONFLICT,
            "Forgot your password?",
            vec![NO_MAIL],
            vec![("/signin", "Back to sign in")],
        )),
        Err(e) => Err(e.into()),
    }
}

fn reset_page(layout: Layout, token: &str, errors: Vec<FieldError>) -> FormPage {
    FormPage {
        layout,
        heading: "Choose a new password",
        intro: vec![
            "After you save it, you are signed out everywhere, and you sign in again with the new password.",
        ],
        action: format!("/password/reset/{token}"),
        submit: "Save the new password",
        fields: with_errors(
            vec![
                Field::new("password", "New password", "password", "new-password")
                    .hint("At least 12 characters. A few unrelated words make a strong password."),
            ],
            &errors,
        ),
        errors,
        links: vec![],
        shared_question: false,
    }
}

fn link_gone(ctx: &Ctx) -> Response {
    message(
        ctx,
        StatusCode::NOT_FOUND,
        "This link does not work any more",
        vec![LINK_GONE],
        vec![("/password/forgot", "Ask for a new link")],
    )
}

/// A token as it can appear in a link (64 hexadecimal characters).
fn plausible(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

async fn reset_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    if !plausible(&token) || state.store.reset_link_owner(&token).await?.is_none() {
        return Ok(link_gone(&ctx));
    }
    form_response(
        &state,
        ctx,
        StatusCode::OK,
        |l| reset_page(l, &token, vec![]),
        "Choose a new password",
        "signin",
    )
    .await
}

#[derive(Debug, Deserialize)]
struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

/// Sets the new password with a link's token.
async fn confirm(state: &AppState, ctx: &Ctx, token: &str, password: &str) -> Result<(), AppError> {
    state.limiter.hit(
        &format!("reset-ip:{}", ip_key(ctx)),
        state.config.rate_limits.signin_per_ip,
    )?;
    let gone = || AppError::Validation(vec![FieldError::new("token", LINK_GONE)]);
    if !plausible(token) {
        return Err(gone());
    }
    let new = NewPassword::parse(password)
        .map_err(|e| AppError::Validation(vec![FieldError::new("password", e)]))?;
    match state
        .store
        .reset_password(token, new, state.sends_mail)
        .await
    {
        Ok(_) => Ok(()),
        Err(ResetError::InvalidLink) => Err(gone()),
        Err(ResetError::Store(e)) => Err(e.into()),
    }
}

async fn reset_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    PageForm(form): PageForm<ResetForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    match confirm(&state, &ctx, &token, &form.password).await {
        Ok(()) => Ok(crate::pages::see_other("/signin?reset=1")),
        Err(AppError::Validation(errors)) if errors.iter().any(|e| e.field == "token") => {
            Ok(link_gone(&ctx))
        }
        Err(AppError::Validation(errors)) => {
            form_response(
                &state,
                ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                |l| reset_page(l, &token, errors),
                "Choose a new password",
                "signin",
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The password-reset part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api_request, api_confirm),
    components(schemas(ResetRequest, ResetConfirm))
)]
pub struct PasswordResetApiDoc;

/// Asking for a reset link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The account's email address.
    pub email: String,
}

/// Setting a new password with a link's token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    /// The token from the emailed link (`/password/reset/{token}`).
    pub token: String,
    /// The new password (at least 12 characters).
    pub password: String,
}

/// Asks for a link to set a new password. The answer is the same whether
/// or not an account uses the address.
#[utoipa::path(post, path = "/auth/password-reset", tag = "auth", request_body = ResetRequest,
    responses((status = 202, description = "If an account uses the address, a link is on its way"),
              (status = 409, description = "This instance sends no email"),
              (status = 422, description = "Not an email address"),
              (status = 429, description = "Too many requests")))]
pub async fn api_request(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<Response, ApiError> {
    request(&state, &ctx, &body.email).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({ "message": SENT })),
    )
        .into_response())
}

/// Sets a new password with the token from an emailed link; every session
/// of the account ends.
#[utoipa::path(post, path = "/auth/password-reset/confirm", tag = "auth", request_body = ResetConfirm,
    responses((status = 204, description = "The password is set; sign in with it"),
              (status = 422, description = "The link has expired or was already used (field `token`), or the password is too weak (field `password`)")))]
pub async fn api_confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<ResetConfirm>,
) -> Result<StatusCode, ApiError> {
    confirm(&state, &ctx, &body.token, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
