//! The HTML pages people use. Handlers are thin: they read the form, call
//! the shared use case in [`crate::auth`], and render a template or
//! redirect. Every page works without JavaScript.

use crate::AppState;
use crate::auth::{self, SignUpInput};
use crate::error::{AppError, FieldError, PageError};
use crate::extract::PageForm;
use crate::session::{Ctx, clear_cookie, set_cookie};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use lyceum_core::domain::Role;
use lyceum_core::domain::datamap::{Category, EraseAction, Retention};
use serde::Deserialize;

/// The page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/setup", get(setup_form).post(setup_submit))
        .route("/signup", get(signup_form).post(signup_submit))
        .route("/signin", get(signin_form).post(signin_submit))
        .route("/signout", post(signout))
        .route("/signout-everywhere", post(signout_everywhere))
        .route("/me", get(me))
        .route("/me/security", get(security))
        .route("/me/password", post(change_password))
        .route("/me/erase", post(erase))
        .route("/erased", get(erased))
        .route("/me/choices", get(choices))
        .route("/me/choices/{purpose}", post(set_choice))
        .route("/me/pause", post(set_pause))
        .route("/me/privacy", get(privacy_dashboard))
        .route("/me/export", get(export))
        .route("/privacy", get(privacy))
        .route("/privacy/changes", get(crate::notice::changes))
        .route("/static/app.css", get(stylesheet))
}

/// What every page's frame needs.
#[derive(Debug, Default)]
pub struct Layout {
    pub(crate) title: String,
    pub(crate) member_name: Option<String>,
    /// The library of the signed-in guest: short name and name.
    pub(crate) guest_library: Option<(String, String)>,
    /// The library whose colours the page wears, by short name.
    pub(crate) theme: Option<String>,
    /// Whether that library has a logo to show in the header.
    pub(crate) theme_logo: bool,
    /// On a shared computer: seconds of inactivity before sign-out, for
    /// the warning script.
    pub(crate) idle_seconds: Option<i64>,
    /// "Our privacy notice changes on …", while a change is announced.
    pub(crate) notice_change: Option<String>,
    pub(crate) csrf: String,
    pub(crate) current: &'static str,
    pub(crate) noindex: bool,
    /// An error page, rendered without knowing who is signed in: the nav
    /// offers only what is right for anyone.
    pub(crate) neutral_nav: bool,
}

impl Layout {
    pub(crate) fn new(title: &str, ctx: &Ctx, current: &'static str) -> Self {
        let guest_library = ctx
            .guest
            .as_ref()
            .map(|(_, l)| (l.slug.to_string(), l.name.clone()));
        let signed_in = ctx.member.is_some() || ctx.guest.is_some();
        Self {
            title: title.to_owned(),
            theme: guest_library.as_ref().map(|(slug, _)| slug.clone()),
            theme_logo: ctx.guest.as_ref().is_some_and(|(_, l)| l.has_logo),
            notice_change: ctx.notice_change.map(|d| d.format("%-d %B %Y").to_string()),
            guest_library,
            idle_seconds: ctx
                .session
                .as_ref()
                .filter(|_| signed_in)
                .and_then(|s| s.idle_timeout_ms)
                .map(|ms| ms / 1000),
            member_name: ctx
                .member
                .as_ref()
                .map(|m| m.display_name.as_str().to_owned()),
            csrf: ctx.csrf().to_owned(),
            current,
            noindex: false,
            neutral_nav: false,
        }
    }
}

/// One input of a form.
#[derive(Debug, Clone)]
pub struct Field {
    pub(crate) name: &'static str,
    pub(crate) label: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) value: String,
    pub(crate) autocomplete: &'static str,
    pub(crate) hint: Option<&'static str>,
    pub(crate) error: Option<String>,
    /// May be left empty (the input is not marked `required`).
    pub(crate) is_optional: bool,
}

impl Field {
    pub(crate) fn new(
        name: &'static str,
        label: &'static str,
        kind: &'static str,
        autocomplete: &'static str,
    ) -> Self {
        Self {
            name,
            label,
            kind,
            value: String::new(),
            autocomplete,
            hint: None,
            error: None,
            is_optional: false,
        }
    }

    /// Marks the field as one that may be left empty.
    pub(crate) fn optional(mut self) -> Self {
        self.is_optional = true;
        self
    }

    pub(crate) fn hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }

    pub(crate) fn value(mut self, v: &str) -> Self {
        // Passwords are never sent back to the browser.
        if self.kind != "password" {
            self.value = v.to_owned();
        }
        self
    }

    /// The ids of the hint and error, for `aria-describedby`.
    pub fn describedby(&self) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("{}-hint", self.name));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.name));
        }
        ids.join(" ")
    }
}

pub(crate) fn with_errors(mut fields: Vec<Field>, errors: &[FieldError]) -> Vec<Field> {
    for f in &mut fields {
        f.error = errors
            .iter()
            .find(|e| e.field == f.name)
            .map(|e| e.message.clone());
    }
    fields
}

#[derive(Template)]
#[template(path = "form.html")]
pub(crate) struct FormPage {
    pub(crate) layout: Layout,
    pub(crate) heading: &'static str,
    pub(crate) intro: Vec<&'static str>,
    pub(crate) action: String,
    pub(crate) submit: &'static str,
    pub(crate) fields: Vec<Field>,
    pub(crate) errors: Vec<FieldError>,
    pub(crate) links: Vec<(&'static str, &'static str)>,
    /// Ask "Is this a shared computer?" (the sign-in form).
    pub(crate) shared_question: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    layout: Layout,
    notice: Option<&'static str>,
    display_name: String,
    email: String,
    role: &'static str,
    created_iso: String,
    created_human: String,
    /// Libraries the member manages (all of them for an operator): short name, name.
    libraries: Vec<(String, String)>,
    providers: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage {
    layout: Layout,
    notice: Option<&'static str>,
    fields: Vec<Field>,
    errors: Vec<FieldError>,
    erase_error: Option<String>,
}

#[derive(Template)]
#[template(path = "erased.html")]
struct ErasedPage {
    layout: Layout,
    at: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    detail: String,
}

struct PrivacyRow {
    what: String,
    why: &'static str,
    basis: &'static str,
    kept: String,
    erase: &'static str,
}

struct PrivacyCategory {
    label: &'static str,
    rows: Vec<PrivacyRow>,
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage {
    layout: Layout,
    categories: Vec<PrivacyCategory>,
    recipients: Vec<lyceum_store::ledger::Recipient>,
    library_systems: Vec<String>,
    version: i32,
    version_since: String,
    upcoming: Vec<(String, String)>,
}

/// Renders a template as a page that no cache keeps (pages can show
/// personal data and are often viewed on shared library computers).
pub(crate) fn page(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => {
            let mut res = (status, axum::response::Html(html)).into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side.",
            )
                .into_response()
        }
    }
}

/// The HTML error page, also used for 404s and by [`PageError`].
pub fn render_error_page(status: StatusCode, title: &str, detail: &str) -> Response {
    let layout = Layout {
        title: title.to_owned(),
        noindex: true,
        // A 401 means nobody is signed in (for this); any other error may
        // be shown to someone who is, so no "Sign in" links then.
        neutral_nav: status != StatusCode::UNAUTHORIZED,
        ..Layout::default()
    };
    page(
        status,
        &ErrorPage {
            layout,
            heading: title.to_owned(),
            detail: detail.to_owned(),
        },
    )
}

pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

pub(crate) fn with_cookie(mut res: Response, cookie: HeaderValue) -> Response {
    res.headers_mut().append(header::SET_COOKIE, cookie);
    res
}

/// Makes sure an anonymous visitor has a session, so the form they are
/// about to see can carry a CSRF token. Returns the cookie to set, if new.
pub(crate) async fn ensure_session(
    state: &AppState,
    ctx: &mut Ctx,
) -> Result<Option<HeaderValue>, AppError> {
    if ctx.session.is_some() {
        return Ok(None);
    }
    let new = state.store.sessions().create(None, false).await?;
    ctx.session = Some(new.session);
    Ok(Some(set_cookie(
        &new.token,
        None,
        state.config.secure_cookies,
    )))
}

pub(crate) async fn form_response(
    state: &AppState,
    mut ctx: Ctx,
    status: StatusCode,
    build: impl FnOnce(Layout) -> FormPage,
    title: &str,
    current: &'static str,
) -> Result<Response, PageError> {
    let cookie = ensure_session(state, &mut ctx).await?;
    let res = page(status, &build(Layout::new(title, &ctx, current)));
    Ok(match cookie {
        Some(c) => with_cookie(res, c),
        None => res,
    })
}

async fn home(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    if !state.is_set_up().await? {
        return Ok(see_other("/setup"));
    }
    Ok(page(
        StatusCode::OK,
        &HomePage {
            layout: Layout::new("Learn with your library", &ctx, "home"),
        },
    ))
}

#[derive(Debug, Deserialize)]
struct SignUpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
}

impl From<&SignUpForm> for SignUpInput {
    fn from(f: &SignUpForm) -> Self {
        SignUpInput {
            email: f.email.clone(),
            display_name: f.display_name.clone(),
            password: f.password.clone(),
        }
    }
}

fn account_fields(email: &str, name: &str) -> Vec<Field> {
    vec![
        Field::new("email", "Email address", "email", "email").value(email),
        Field::new("display_name", "Your name", "text", "name")
            .hint("Shown to people you connect with. It does not have to be your legal name.")
            .value(name),
        Field::new("password", "Password", "password", "new-password")
            .hint("At least 12 characters. A few unrelated words make a strong password."),
    ]
}

fn setup_page(layout: Layout, form: Option<&SignUpForm>, errors: Vec<FieldError>) -> FormPage {
    let (email, name) = form
        .map(|f| (f.email.as_str(), f.display_name.as_str()))
        .unwrap_or(("", ""));
    FormPage {
        layout,
        heading: "Set up Lyceum",
        intro: vec![
            "Create the operator account. The operator runs this Lyceum instance: adds libraries, configures recipients and sees operator pages.",
            "There is no default password; this account is the first and only way in until you create more.",
        ],
        action: "/setup".into(),
        submit: "Create operator account",
        fields: with_errors(account_fields(email, name), &errors),
        errors,
        links: vec![],
        shared_question: false,
    }
}

async fn setup_form(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    if state.is_set_up().await? {
        return Err(AppError::NotFound.into());
    }
    form_response(
        &state,
        ctx,
        StatusCode::OK,
        |l| setup_page(l, None, vec![]),
        "Set up Lyceum",
        "setup",
    )
    .await
}

async fn setup_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<SignUpForm>,
) -> Result<Response, PageError> {
    if state.is_set_up().await? {
        return Err(AppError::NotFound.into());
    }
    ctx.check_csrf(&form.csrf)?;
    create_account(
        &state,
        ctx,
        &form,
        Role::Operator,
        setup_page,
        "Set up Lyceum",
        "setup",
    )
    .await
}

/// Redirects to the account page with the new session's cookie.
fn signed_in(state: &AppState, s: &lyceum_store::sessions::NewSession) -> Response {
    with_cookie(
        see_other("/me"),
        set_cookie(&s.token, s.max_age_secs(), state.config.secure_cookies),
    )
}

/// Creates an account from the setup or sign-up form; on a mistake the
/// same form comes back with its errors.
async fn create_account(
    state: &AppState,
    ctx: Ctx,
    form: &SignUpForm,
    role: Role,
    render: fn(Layout, Option<&SignUpForm>, Vec<FieldError>) -> FormPage,
    title: &str,
    current: &'static str,
) -> Result<Response, PageError> {
    match auth::sign_up(state, &ctx, &SignUpInput::from(form), role).await {
        Ok((_, s)) => Ok(signed_in(state, &s)),
        Err(AppError::Validation(errors)) => {
            form_response(
                state,
                ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                |l| render(l, Some(form), errors),
                title,
                current,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

fn signup_page(layout: Layout, form: Option<&SignUpForm>, errors: Vec<FieldError>) -> FormPage {
    let (email, name) = form
        .map(|f| (f.email.as_str(), f.display_name.as_str()))
        .unwrap_or(("", ""));
    FormPage {
        layout,
        heading: "Create your account",
        intro: vec![
            "A member account lets you keep a profile, connect with people and apply for jobs. You do not need one to learn with your library card.",
            "Your email address is visible to nobody but you.",
        ],
        action: "/signup".into(),
        submit: "Create account",
        fields: with_errors(account_fields(email, name), &errors),
        errors,
        links: vec![("/signin", "Already have an account? Sign in")],
        shared_question: false,
    }
}

async fn signup_form(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    if ctx.member.is_some() {
        return Ok(see_other("/me"));
    }
    form_response(
        &state,
        ctx,
        StatusCode::OK,
        |l| signup_page(l, None, vec![]),
        "Create your account",
        "signup",
    )
    .await
}

async fn signup_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<SignUpForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    create_account(
        &state,
        ctx,
        &form,
        Role::Member,
        signup_page,
        "Create your account",
        "signup",
    )
    .await
}

#[derive(Debug, Deserialize)]
struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    shared_computer: String,
}

fn signin_page(layout: Layout, email: &str, errors: Vec<FieldError>) -> FormPage {
    FormPage {
        layout,
        heading: "Sign in",
        intro: vec![],
        action: "/signin".into(),
        submit: "Sign in",
        fields: with_errors(
            vec![
                Field::new("email", "Email address", "email", "username").value(email),
                Field::new("password", "Password", "password", "current-password"),
            ],
            &errors,
        ),
        errors,
        links: vec![
            ("/password/forgot", "Forgot your password?"),
            ("/signup", "No account yet? Create one"),
            ("/libraries", "Sign in with a library card instead"),
        ],
        shared_question: true,
    }
}

#[derive(Debug, Deserialize)]
struct SignInParams {
    #[serde(default)]
    reset: Option<String>,
}

async fn signin_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SignInParams>,
) -> Result<Response, PageError> {
    if ctx.member.is_some() {
        return Ok(see_other("/me"));
    }
    form_response(
        &state,
        ctx,
        StatusCode::OK,
        |l| {
            let mut p = signin_page(l, "", vec![]);
            if q.reset.is_some() {
                p.intro = vec!["Your new password is saved. Sign in with it."];
            }
            p
        },
        "Sign in",
        "signin",
    )
    .await
}

async fn signin_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<SignInForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    match auth::sign_in(
        &state,
        &ctx,
        &form.email,
        &form.password,
        form.shared_computer == "yes",
    )
    .await
    {
        Ok((_, s)) => Ok(signed_in(&state, &s)),
        Err(AppError::Unauthorized(msg)) => {
            let errors = vec![FieldError::new("email", msg)];
            form_response(
                &state,
                ctx,
                StatusCode::UNAUTHORIZED,
                |l| signin_page(l, &form.email, errors),
                "Sign in",
                "signin",
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// A form that carries nothing but its CSRF token (a button).
#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    pub(crate) csrf: String,
}

async fn signout(
    State(state): State<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<CsrfForm>,
) -> Result<Response, PageError> {
    if ctx.session.is_none() {
        return Ok(see_other("/"));
    }
    ctx.check_csrf(&form.csrf)?;
    auth::sign_out(&state, &ctx).await?;
    Ok(with_cookie(
        see_other("/"),
        clear_cookie(state.config.secure_cookies),
    ))
}

async fn signout_everywhere(
    State(state): State<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<CsrfForm>,
) -> Result<Response, PageError> {
    if ctx.member.is_none() {
        return Ok(see_other("/signin"));
    }
    ctx.check_csrf(&form.csrf)?;
    auth::sign_out_everywhere(&state, &ctx).await?;
    Ok(with_cookie(
        see_other("/signin"),
        clear_cookie(state.config.secure_cookies),
    ))
}

async fn me(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let Some(m) = &ctx.member else {
        return Ok(see_other(if ctx.guest.is_some() {
            "/my-data"
        } else {
            "/signin"
        }));
    };
    let libraries = if m.role == Role::Operator {
        state.store.libraries().search("").await?
    } else {
        state.store.libraries().staffed_by(m.id).await?
    }
    .into_iter()
    .map(|l| (l.slug.to_string(), l.name))
    .collect();
    let t = MePage {
        layout: Layout::new("Your account", &ctx, "me"),
        notice: None,
        display_name: m.display_name.as_str().to_owned(),
        email: m.email.as_str().to_owned(),
        role: match m.role {
            Role::Member => "Member",
            Role::Operator => "Operator (runs this instance)",
        },
        created_iso: m.created_at.to_rfc3339(),
        created_human: m.created_at.format("%-d %B %Y").to_string(),
        libraries,
        providers: state
            .store
            .learning()
            .managed_by(m.id)
            .await?
            .into_iter()
            .map(|p| (p.slug, p.name))
            .collect(),
    };
    Ok(page(StatusCode::OK, &t))
}

fn password_fields(errors: &[FieldError]) -> Vec<Field> {
    with_errors(
        vec![
            Field::new(
                "current_password",
                "Current password",
                "password",
                "current-password",
            ),
            Field::new("new_password", "New password", "password", "new-password")
                .hint("At least 12 characters. Your other sessions will be signed out."),
        ],
        errors,
    )
}

async fn security(ctx: Ctx) -> Result<Response, PageError> {
    if ctx.member.is_none() {
        return Ok(see_other("/signin"));
    }
    let t = SecurityPage {
        layout: Layout::new("Security", &ctx, "security"),
        notice: None,
        fields: password_fields(&[]),
        errors: vec![],
        erase_error: None,
    };
    Ok(page(StatusCode::OK, &t))
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<PasswordForm>,
) -> Result<Response, PageError> {
    if ctx.member.is_none() {
        return Ok(see_other("/signin"));
    }
    ctx.check_csrf(&form.csrf)?;
    let (status, notice, errors) =
        match auth::change_password(&state, &ctx, &form.current_password, &form.new_password).await
        {
            Ok(()) => (
                StatusCode::OK,
                Some("Your password has been changed. Your other sessions have been signed out."),
                vec![],
            ),
            Err(AppError::Validation(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, None, errors),
            Err(e) => return Err(e.into()),
        };
    let t = SecurityPage {
        layout: Layout::new("Security", &ctx, "security"),
        notice,
        fields: password_fields(&errors),
        errors,
        erase_error: None,
    };
    Ok(page(status, &t))
}

struct Choice {
    key: &'static str,
    title: &'static str,
    wording: &'static str,
    granted: bool,
    since: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "choices.html")]
struct ChoicesPage {
    layout: Layout,
    notice: Option<String>,
    paused: Option<(String, String)>,
    choices: Vec<Choice>,
    history: Vec<(String, String, &'static str, &'static str, i32)>,
}

fn when(t: chrono::DateTime<chrono::Utc>) -> (String, String) {
    (t.to_rfc3339(), t.format("%-d %B %Y, %H:%M UTC").to_string())
}

async fn choices_page(
    state: &AppState,
    ctx: &Ctx,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let member = ctx.member()?;
    let subject = lyceum_core::domain::SubjectId::from(member.id);
    let states = state.store.consents().states(subject).await?;
    let history = state.store.consents().history(subject).await?;
    let paused = state
        .store
        .consents()
        .paused_since(subject)
        .await?
        .map(when);
    let t = ChoicesPage {
        layout: Layout::new("Your choices", ctx, "choices"),
        notice,
        paused,
        choices: states
            .into_iter()
            .map(|s| Choice {
                key: s.purpose.key(),
                title: s.purpose.title(),
                wording: s.purpose.wording(),
                granted: s.granted,
                since: s.since.map(when),
            })
            .collect(),
        history: history
            .into_iter()
            .map(|e| {
                let (iso, human) = when(e.at);
                (
                    iso,
                    human,
                    e.purpose.title(),
                    if e.granted { "On" } else { "Off" },
                    e.wording_version,
                )
            })
            .collect(),
    };
    Ok(page(StatusCode::OK, &t))
}

/// A query parameter's value. Pages read their few parameters this way so
/// that a malformed or repeated parameter is ignored, never an error.
fn query_value<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

async fn choices(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let Some(member) = &ctx.member else {
        return Ok(see_other("/signin"));
    };
    // After a change the form redirects here (so reloading does not post
    // again); the message is worked out from the current state.
    let mut notice = None;
    if let Some(purpose) =
        query_value(&q, "changed").and_then(lyceum_core::domain::Purpose::from_key)
    {
        let on = state
            .store
            .consents()
            .has(lyceum_core::domain::SubjectId::from(member.id), purpose)
            .await?;
        notice = Some(format!(
            "{} is now {}.",
            purpose.title(),
            if on { "on" } else { "off" }
        ));
    }
    if query_value(&q, "changed") == Some("pause") {
        let paused = state
            .store
            .consents()
            .paused_since(lyceum_core::domain::SubjectId::from(member.id))
            .await?
            .is_some();
        notice = Some(if paused {
            "Optional processing is paused.".into()
        } else {
            "Optional processing has resumed.".into()
        });
    }
    choices_page(&state, &ctx, notice).await
}

#[derive(Debug, Deserialize)]
struct ChoiceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    granted: String,
}

async fn set_choice(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Path(key): axum::extract::Path<String>,
    PageForm(form): PageForm<ChoiceForm>,
) -> Result<Response, PageError> {
    if ctx.member.is_none() {
        return Ok(see_other("/signin"));
    }
    ctx.check_csrf(&form.csrf)?;
    let purpose = lyceum_core::domain::Purpose::from_key(&key).ok_or(AppError::NotFound)?;
    let granted = match form.granted.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest("Choose on or off.".into()).into()),
    };
    let member = ctx.member()?;
    state
        .store
        .consents()
        .set(
            lyceum_core::domain::SubjectId::from(member.id),
            purpose,
            granted,
        )
        .await?;
    Ok(see_other(&format!("/me/choices?changed={}", purpose.key())))
}

#[derive(Debug, Deserialize)]
struct EraseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

async fn erase(
    State(state): State<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<EraseForm>,
) -> Result<Response, PageError> {
    if ctx.member.is_none() {
        return Ok(see_other("/signin"));
    }
    ctx.check_csrf(&form.csrf)?;
    match auth::erase_account(&state, &ctx, &form.password).await {
        Ok(at) => {
            let to = format!("/erased?at={}", at.timestamp());
            Ok(with_cookie(
                see_other(&to),
                clear_cookie(state.config.secure_cookies),
            ))
        }
        Err(AppError::Validation(errors)) => {
            let t = SecurityPage {
                layout: Layout::new("Security", &ctx, "security"),
                notice: None,
                fields: password_fields(&[]),
                erase_error: errors.into_iter().next().map(|e| e.message),
                errors: vec![],
            };
            Ok(page(StatusCode::UNPROCESSABLE_ENTITY, &t))
        }
        Err(e) => Err(e.into()),
    }
}

/// The erasure receipt. It shows only the time the key was destroyed:
/// nothing else about the person exists any more.
async fn erased(
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>,
) -> Response {
    let at = query_value(&q, "at")
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| chrono::DateTime::<chrono::Utc>::from_timestamp(s, 0))
        .map(when);
    page(
        StatusCode::OK,
        &ErasedPage {
            layout: Layout::new("Account erased", &ctx, "erased"),
            at,
        },
    )
}

#[derive(Template)]
#[template(path = "privacy_dashboard.html")]
struct PrivacyDashboardPage {
    layout: Layout,
    categories: Vec<PrivacyCategory>,
    /// (when ISO, when human, recipient, purpose, categories)
    disclosures: Vec<(String, String, String, String, String)>,
    /// Breaches that affected this person: (date, text).
    breach_notices: Vec<(String, String)>,
}

/// What is held about the signed-in member, why and until when.
async fn privacy_dashboard(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let Some(member) = &ctx.member else {
        return Ok(see_other("/signin"));
    };
    let holdings = lyceum_store::datamap::holdings(
        &state.store,
        lyceum_core::domain::SubjectId::from(member.id),
        &state.retention,
    )
    .await?;
    let mut categories: Vec<PrivacyCategory> = Vec::new();
    for h in holdings {
        let row = PrivacyRow {
            what: field_words(h.about, h.column),
            why: h.field.purpose,
            basis: h.field.basis.label(),
            kept: kept_until(h.field.retention, h.until),
            erase: erase_words(h.field.erase),
        };
        match categories
            .iter_mut()
            .find(|c| c.label == h.field.category.label())
        {
            Some(c) => c.rows.push(row),
            None => categories.push(PrivacyCategory {
                label: h.field.category.label(),
                rows: vec![row],
            }),
        }
    }
    let disclosures = state
        .store
        .disclosures(lyceum_core::domain::SubjectId::from(member.id))
        .await?
        .into_iter()
        .map(|d| {
            let (iso, human) = when(d.at);
            (
                iso,
                human,
                state.recipient_label(&d.recipient),
                d.purpose,
                d.categories.join(", ").replace('_', " "),
            )
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        &PrivacyDashboardPage {
            breach_notices: crate::breaches::notices_for(&state, &ctx).await?,
            layout: Layout::new("What we hold about you", &ctx, "privacy-dashboard"),
            categories,
            disclosures,
        },
    ))
}

/// Downloads everything held about the member as a ZIP.
async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let Some(member) = &ctx.member else {
        return Ok(see_other("/signin"));
    };
    Ok(crate::export::archive(
        &state,
        crate::export::Owner::Member(member),
        &state.base_url(&headers),
    )
    .await?)
}

/// A column named for people: `display_name_ciphertext` → "display name (encrypted)".
pub fn field_words(about: &str, column: &str) -> String {
    format!(
        "{}: {}",
        about,
        column
            .replace('_', " ")
            .replace(" ciphertext", " (encrypted)")
    )
}

/// How long a field is kept, with the date where one is known.
pub fn kept_until(r: Retention, until: Option<chrono::DateTime<chrono::Utc>>) -> String {
    match (r, until) {
        (Retention::UntilExpiry, Some(t)) => format!("Until {}", t.format("%-d %B %Y")),
        (Retention::DaysAfterWritten(d), Some(t)) => format!(
            "{d} days after it was written; the oldest goes on {}",
            t.format("%-d %B %Y")
        ),
        (Retention::WhileAccountOpen, _) => "Until you erase your account".into(),
        (other, _) => retention_words(other, lyceum_store::retention::MAX_CLOSED_ACCOUNT_DAYS),
    }
}

#[derive(Debug, Deserialize)]
struct PauseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    paused: String,
}

async fn set_pause(
    State(state): State<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<PauseForm>,
) -> Result<Response, PageError> {
    let Some(member) = &ctx.member else {
        return Ok(see_other("/signin"));
    };
    ctx.check_csrf(&form.csrf)?;
    let paused = match form.paused.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest("Choose pause or resume.".into()).into()),
    };
    state
        .store
        .consents()
        .set_paused(lyceum_core::domain::SubjectId::from(member.id), paused)
        .await?;
    Ok(see_other("/me/choices?changed=pause"))
}

/// How long a field is kept, in words, with the operator's grace period
/// for closed accounts.
pub(crate) fn retention_words(r: Retention, closed_account_days: u32) -> String {
    match r {
        Retention::WhileAccountOpen => format!(
            "While your account is open; erased within {closed_account_days} days of closing it"
        ),
        Retention::UntilExpiry => "Until it expires (at most 30 days)".into(),
        Retention::DaysAfterLastUse(d) => format!("{d} days after you last use it"),
        Retention::DaysAfterWritten(d) => format!("{d} days after it was written"),
    }
}

pub(crate) fn erase_words(e: EraseAction) -> &'static str {
    match e {
        EraseAction::Delete => "Deleted",
        EraseAction::Anonymise => {
            "Deleted; where others replied, emptied of your words and name so their replies keep their place"
        }
        EraseAction::CryptoShred => {
            "Its encryption key is destroyed, so no copy can be read, backups included"
        }
    }
}

/// The privacy notice, generated from the data map so it cannot drift
/// from what the code stores.
async fn privacy(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let retention = state.retention.at(state.store.clock.now());
    let mut categories = Vec::new();
    for cat in Category::ALL {
        let mut rows = Vec::new();
        for table in lyceum_store::datamap::registry() {
            for (column, f) in table.personal_fields().filter(|(_, f)| f.category == cat) {
                rows.push(PrivacyRow {
                    what: field_words(table.about, column),
                    why: f.purpose,
                    basis: f.basis.label(),
                    kept: retention_words(
                        retention.effective(table.table, &f),
                        retention.closed_account_days,
                    ),
                    erase: erase_words(f.erase),
                });
            }
        }
        if !rows.is_empty() {
            categories.push(PrivacyCategory {
                label: cat.label(),
                rows,
            });
        }
    }
    // A library that checks cards over SIP2 receives the card number and
    // PIN a patron types, so each one is a named recipient too.
    let library_systems = state
        .store
        .libraries()
        .search("")
        .await?
        .into_iter()
        .filter(|l| l.auth_method == lyceum_core::domain::library::PatronAuthMethod::Sip2)
        .map(|l| l.name)
        .collect();
    let now = state.store.clock.now();
    let version = crate::notice::current(&state).await?;
    Ok(page(
        StatusCode::OK,
        &PrivacyPage {
            layout: Layout::new("Privacy notice", &ctx, "privacy"),
            categories,
            recipients: state
                .recipients
                .iter()
                .filter(|r| r.is_in_effect(now))
                .cloned()
                .collect(),
            library_systems,
            version: version.version,
            version_since: version.published_at.format("%-d %B %Y").to_string(),
            upcoming: crate::notice::upcoming(&state, now),
        },
    ))
}

async fn stylesheet() -> Response {
    let mut res = (StatusCode::OK, include_str!("../static/app.css")).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    res
}
