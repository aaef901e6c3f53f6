//! The library pages: choosing a library, card sign-in, the guest's own
//! pages ("learn" and "my data"), and the staff pages (settings, SIP2,
//! card list, staff, audit log, reports). Every page works without
//! JavaScript; on a shared computer one small script warns before the idle
//! sign-out.

use crate::AppState;
use crate::error::{AppError, FieldError, PageError};
use crate::extract::PageForm;
use crate::pages::{Field, Layout, ensure_session, page, see_other, with_cookie, with_errors};
use crate::patrons::{self, PatronSignIn};
use crate::session::{Ctx, clear_cookie, set_cookie};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use lyceum_core::domain::library::{Month, PatronAuthMethod, REPORT_MIN_COUNT};
use lyceum_core::domain::{
    BrandColour, CardNumber, Email, LibraryName, Licence, MemberId, Role, SubjectId,
};
use lyceum_store::libraries::{Library, LibraryChanges, LibraryError, Sip2Settings};
use serde::Deserialize;

/// The library routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/libraries", get(choose))
        .route("/libraries/{slug}", get(library_page))
        .route("/libraries/{slug}/sign-in", post(sign_in))
        .route("/libraries/{slug}/oidc/start", get(oidc_start))
        .route("/libraries/{slug}/oidc/callback", get(oidc_callback))
        .route("/libraries/{slug}/admin/oidc", post(save_oidc))
        .route("/libraries/{slug}/learn", get(learn))
        .route("/libraries/{slug}/theme.css", get(theme))
        .route("/libraries/{slug}/logo", get(logo))
        .route(
            "/libraries/{slug}/admin/logo",
            post(save_logo).layer(axum::extract::DefaultBodyLimit::max(
                lyceum_store::libraries::MAX_LOGO_BYTES + 16 * 1024,
            )),
        )
        .route("/my-data", get(my_data))
        .route("/my-data/erase", post(erase_guest))
        .route("/my-data/export", get(export_guest))
        .route("/my-data/objections/{ground}", post(set_objection))
        .route("/libraries/{slug}/admin", get(admin))
        .route("/libraries/{slug}/admin/settings", post(save_settings))
        .route("/libraries/{slug}/admin/sip2", post(save_sip2))
        .route("/libraries/{slug}/admin/sip2/test", post(test_sip2))
        .route("/libraries/{slug}/admin/card-list", post(save_card_list))
        .route("/libraries/{slug}/admin/staff", post(add_staff))
        .route("/libraries/{slug}/admin/reports", get(reports))
        .route("/libraries/{slug}/admin/reports.csv", get(reports_csv))
        .route("/static/idle.js", get(idle_script))
        .route("/admin/libraries", get(admin_libraries).post(add_library))
        .route("/me/library-cards", get(library_cards).post(link_card))
        .route("/me/library-cards/{guest}/detach", post(detach_card))
}

async fn find_library(state: &AppState, slug: &str) -> Result<Library, AppError> {
    state
        .store
        .libraries()
        .by_slug(slug)
        .await?
        .ok_or(AppError::NotFound)
}

/// The library, if the signed-in member may manage it (its staff, or an
/// operator).
pub(crate) async fn staff_library(
    state: &AppState,
    ctx: &Ctx,
    slug: &str,
) -> Result<Library, AppError> {
    let library = find_library(state, slug).await?;
    let member = ctx.member()?;
    if member.role == Role::Operator
        || state
            .store
            .libraries()
            .is_staff(library.id, member.id)
            .await?
    {
        Ok(library)
    } else {
        Err(AppError::Forbidden(
            "Only this library's staff can see its settings and reports.".into(),
        ))
    }
}

struct LibraryLink {
    slug: String,
    name: String,
    town: Option<String>,
}

#[derive(Template)]
#[template(path = "libraries.html")]
struct ChoosePage {
    layout: Layout,
    query: String,
    libraries: Vec<LibraryLink>,
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn choose(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let query: String = q.q.trim().chars().take(100).collect();
    let libraries = state
        .store
        .libraries()
        .search(&query)
        .await?
        .into_iter()
        .map(|l| LibraryLink {
            slug: l.slug.to_string(),
            name: l.name,
            town: l.town,
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        &ChoosePage {
            layout: Layout::new("Choose your library", &ctx, "libraries"),
            query,
            libraries,
        },
    ))
}

#[derive(Template)]
#[template(path = "library.html")]
struct LibraryPage {
    layout: Layout,
    slug: String,
    name: String,
    contact: String,
    enabled: bool,
    is_oidc: bool,
    has_logo: bool,
    idle_minutes: u32,
    shared_default: bool,
    notice: Option<&'static str>,
    problem: Option<(String, String)>,
    fields: Vec<Field>,
    errors: Vec<FieldError>,
}

/// The heading of a refusal on the card pages: a 401 there means the card
/// and PIN did not match, never "not signed in".
fn problem_title(e: &AppError, is_oidc: bool) -> String {
    match e {
        AppError::Unauthorized(_) if is_oidc => "Sign-in not confirmed".to_owned(),
        AppError::Unauthorized(_) => "Card number and PIN do not match".to_owned(),
        e => e.title().to_owned(),
    }
}

fn card_fields(card: &str) -> Vec<Field> {
    // Neither field is remembered by the browser: on a library's public
    // computer, the next person must not find the last card number.
    vec![
        Field::new("card", "Library card number", "text", "off")
            .hint("The number on your library card. Spaces and hyphens do not matter.")
            .value(card),
        Field::new("pin", "PIN or library password", "password", "off"),
    ]
}

async fn render_library(
    state: &AppState,
    mut ctx: Ctx,
    library: &Library,
    status: StatusCode,
    card: &str,
    error: Option<AppError>,
    notice: Option<&'static str>,
) -> Result<Response, PageError> {
    let cookie = ensure_session(state, &mut ctx).await?;
    let (errors, problem) = match error {
        Some(AppError::Validation(errors)) => (errors, None),
        Some(e) => (
            Vec::new(),
            Some((
                problem_title(&e, library.auth_method == PatronAuthMethod::Oidc),
                e.detail(),
            )),
        ),
        None => (Vec::new(), None),
    };
    let mut layout = Layout::new(&library.name, &ctx, "libraries");
    layout.theme = Some(library.slug.to_string());
    let form_target = if library.auth_method == PatronAuthMethod::Oidc {
        crate::oidc::sign_in_origin(state, library).await
    } else {
        None
    };
    let mut res = page(
        status,
        &LibraryPage {
            layout,
            slug: library.slug.to_string(),
            name: library.name.clone(),
            contact: library.contact.clone(),
            enabled: library.auth_method != PatronAuthMethod::Disabled,
            is_oidc: library.auth_method == PatronAuthMethod::Oidc,
            has_logo: library.has_logo,
            idle_minutes: library.idle_minutes,
            shared_default: library.shared_computer_default,
            notice,
            problem,
            fields: with_errors(card_fields(card), &errors),
            errors,
        },
    );
    if let Some(csp) = form_target
        .as_deref()
        .and_then(crate::security::csp_with_form_target)
    {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(match cookie {
        Some(c) => with_cookie(res, c),
        None => res,
    })
}

#[derive(Debug, Deserialize)]
struct NoticeQuery {
    #[serde(default)]
    done: String,
}

async fn library_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let library = find_library(&state, &slug).await?;
    if ctx.guest.as_ref().is_some_and(|(_, l)| l.id == library.id) {
        return Ok(see_other(&format!("/libraries/{}/learn", library.slug)));
    }
    let notice = match q.done.as_str() {
        "erased" => Some("Everything about you has been deleted, and you are signed out."),
        "idle" => Some("You were signed out because the computer was left idle."),
        _ => None,
    };
    render_library(&state, ctx, &library, StatusCode::OK, "", None, notice).await
}

#[derive(Debug, Deserialize)]
struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    card: String,
    #[serde(default)]
    pin: String,
    #[serde(default)]
    shared_computer: String,
}

async fn sign_in(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<SignInForm>,
) -> Result<Response, PageError> {
    let library = find_library(&state, &slug).await?;
    ctx.check_csrf(&form.csrf)?;
    let input = PatronSignIn {
        card: &form.card,
        pin: &form.pin,
        shared_computer: form.shared_computer == "yes",
    };
    match patrons::sign_in(&state, &ctx, &library, input).await {
        Ok((_, session)) => Ok(with_cookie(
            see_other(&format!("/libraries/{}/learn", library.slug)),
            set_cookie(
                &session.token,
                session.max_age_secs(),
                state.config.secure_cookies,
            ),
        )),
        // Every refusal comes back as the sign-in page with the reason and
        // the library's contact, never as a bare error page. The card
        // number is kept in the field only when it was malformed, so the
        // patron can see the typo; a checked card is not echoed back.
        Err(e @ AppError::Validation(_)) => {
            let status = e.status();
            render_library(&state, ctx, &library, status, &form.card, Some(e), None).await
        }
        Err(e @ AppError::Internal(_)) => Err(e.into()),
        Err(e) => {
            let status = e.status();
            let retry = match &e {
                AppError::TooManyRequests { retry_after } => Some(*retry_after),
                _ => None,
            };
            let mut res = render_library(&state, ctx, &library, status, "", Some(e), None).await?;
            if let Some(r) = retry {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(r));
            }
            Ok(res)
        }
    }
}

#[derive(Debug, Deserialize)]
struct OidcStart {
    #[serde(default)]
    shared_computer: String,
}

fn host_of(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(header::HOST).and_then(|v| v.to_str().ok())
}

async fn oidc_start(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path(slug): Path<String>,
    Query(q): Query<OidcStart>,
) -> Result<Response, PageError> {
    let library = find_library(&state, &slug).await?;
    let redirect = crate::oidc::redirect_uri(&state, host_of(&headers), &library);
    match crate::oidc::start(&state, &library, q.shared_computer == "yes", &redirect).await {
        Ok(to) => Ok(see_other(&to)),
        Err(e @ AppError::Internal(_)) => Err(e.into()),
        Err(e) => {
            let status = e.status();
            render_library(&state, ctx, &library, status, "", Some(e), None).await
        }
    }
}

async fn oidc_callback(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path(slug): Path<String>,
    Query(cb): Query<crate::oidc::Callback>,
) -> Result<Response, PageError> {
    let library = find_library(&state, &slug).await?;
    let redirect = crate::oidc::redirect_uri(&state, host_of(&headers), &library);
    match crate::oidc::finish(&state, &ctx, &library, cb, &redirect).await {
        Ok((_, session)) => Ok(with_cookie(
            see_other(&format!("/libraries/{}/learn", library.slug)),
            set_cookie(
                &session.token,
                session.max_age_secs(),
                state.config.secure_cookies,
            ),
        )),
        Err(e @ AppError::Internal(_)) => Err(e.into()),
        Err(e) => {
            let status = e.status();
            render_library(&state, ctx, &library, status, "", Some(e), None).await
        }
    }
}

#[derive(Template)]
#[template(path = "guest_home.html")]
struct GuestHome {
    layout: Layout,
    library: String,
    shared: bool,
    idle_minutes: u32,
    notice: Option<&'static str>,
}

async fn learn(
    State(_state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let Some((_, library)) = &ctx.guest else {
        return Ok(see_other(&format!("/libraries/{slug}")));
    };
    if library.slug.as_str() != slug {
        return Ok(see_other(&format!("/libraries/{}/learn", library.slug)));
    }
    let shared = ctx.session.as_ref().is_some_and(|s| s.is_shared_device);
    Ok(page(
        StatusCode::OK,
        &GuestHome {
            layout: Layout::new(&library.name, &ctx, "guest"),
            library: library.name.clone(),
            shared,
            idle_minutes: library.idle_minutes,
            notice: None,
        },
    ))
}

async fn theme(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let library = find_library(&state, &slug).await?;
    let c = library.brand_colour;
    // The colour was checked for 4.5:1 with white text when it was saved.
    let css = format!(
        ".site-header {{ background: {c}; }}\n.button {{ background: {c}; border-color: {c}; }}\n\
         .button-secondary {{ background: #fff; color: {c}; }}\na {{ color: {c}; }}\n\
         .site-header a, .site-header .link-button, .button {{ color: #fff; }}\n"
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        css,
    )
        .into_response())
}

async fn logo(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let (bytes, kind) = state
        .store
        .libraries()
        .logo(&slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let kind = HeaderValue::from_str(&kind)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let mut res = bytes.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, kind);
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(res)
}

async fn save_logo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    mut form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let mut csrf = String::new();
    let mut image: Option<Vec<u8>> = None;
    let mut remove = false;
    let unreadable = || {
        AppError::BadRequest(
            "The upload could not be read. Choose the file again and retry.".into(),
        )
    };
    while let Some(field) = form.next_field().await.map_err(|_| unreadable())? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(|_| unreadable())?,
            Some("remove") => remove = field.text().await.map_err(|_| unreadable())? == "yes",
            Some("logo") => {
                let bytes = field.bytes().await.map_err(|_| AppError::PayloadTooLarge)?;
                if !bytes.is_empty() {
                    image = Some(bytes.to_vec());
                }
            }
            _ => {}
        }
    }
    ctx.check_csrf(&csrf)?;
    let library = staff_library(&state, &ctx, &slug).await?;
    let member = ctx.member()?.id;
    let result = match (image, remove) {
        (_, true) => {
            state
                .store
                .libraries()
                .set_logo(library.id, None, member)
                .await
        }
        (Some(bytes), false) => {
            state
                .store
                .libraries()
                .set_logo(library.id, Some(&bytes), member)
                .await
        }
        (None, false) => Err(LibraryError::Invalid(
            "Choose an image file to upload.".into(),
        )),
    };
    let view = match result {
        Ok(()) => {
            return Ok(admin_done(
                &slug,
                if remove { "logo-removed" } else { "logo-saved" },
            ));
        }
        Err(LibraryError::Invalid(m)) => {
            AdminView::from_error(AppError::Validation(vec![FieldError::new("logo", m)]))
        }
        Err(e) => return Err(library_error(e).into()),
    };
    let library = find_library(&state, &slug).await?;
    render_admin(&state, &ctx, &library, view).await
}

async fn idle_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/idle.js"),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "my_data.html")]
struct MyDataPage {
    layout: Layout,
    library: String,
    held: Vec<(String, String, String)>,
    disclosures: Vec<(String, String, String, String)>,
    erase_error: Option<String>,
    notice: Option<&'static str>,
    /// Breaches that affected this person: (date, text).
    breach_notices: Vec<(String, String)>,
    /// (key, title, explanation, objected, since)
    objections: Vec<(
        &'static str,
        &'static str,
        &'static str,
        bool,
        Option<String>,
    )>,
}

/// What is held about a guest, in words: one line per kind of record.
pub(crate) async fn guest_holdings(
    state: &AppState,
    ctx: &Ctx,
) -> Result<Vec<(String, String, String)>, AppError> {
    let (guest, library) = ctx.guest()?;
    let until =
        guest.last_seen_at + chrono::Duration::days(i64::from(library.guest_retention_days));
    let until_text = format!(
        "{} ({} days after your last visit, unless you visit again)",
        until.format("%-d %B %Y"),
        library.guest_retention_days
    );
    let mut held = vec![(
        "A code made from your library card or library account (not the card number or the account itself)".to_owned(),
        "Recognising your card next time, so your progress is kept".to_owned(),
        until_text.clone(),
    )];
    held.push((
        format!(
            "When you first signed in ({}) and last signed in ({})",
            guest.created_at.format("%-d %B %Y"),
            guest.last_seen_at.format("%-d %B %Y")
        ),
        "Deleting your data when you stop using Lyceum".to_owned(),
        until_text,
    ));
    for h in lyceum_store::datamap::holdings(&state.store, SubjectId::from(guest.id)).await? {
        if h.about == "Seats used under your library's licence" && h.column == "month" {
            held.push((
                format!(
                    "The months you used a place under {}'s licence",
                    library.name
                ),
                h.field.purpose.to_owned(),
                "The end of the following month".to_owned(),
            ));
        }
        if h.about == "Library cards linked to a member account" {
            held.push((
                "A link from your card to a member account".to_owned(),
                h.field.purpose.to_owned(),
                "Until the account holder detaches the card, or either is deleted".to_owned(),
            ));
        }
        if h.about == "Signed-in sessions" && h.column == "expires_at" {
            held.push((
                format!("Your sign-in on this device ({} session)", h.rows),
                h.field.purpose.to_owned(),
                h.until
                    .map(|u| format!("{}, or when you sign out", u.format("%-d %B %Y %H:%M UTC")))
                    .unwrap_or_else(|| "When you sign out".into()),
            ));
        }
    }
    Ok(held)
}

async fn render_my_data(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    erase_error: Option<String>,
    notice: Option<&'static str>,
) -> Result<Response, PageError> {
    let (guest, library) = ctx.guest()?;
    let objections = state
        .store
        .objections()
        .states(SubjectId::from(guest.id))
        .await?
        .into_iter()
        .map(|o| {
            (
                o.ground.key(),
                o.ground.title(),
                o.ground.explanation(),
                o.objected,
                o.since.map(|t| t.format("%-d %B %Y").to_string()),
            )
        })
        .collect();
    let held = guest_holdings(state, ctx).await?;
    let disclosures = crate::api::disclosures(state, SubjectId::from(guest.id))
        .await?
        .into_iter()
        .rev()
        .take(50)
        .map(|d| {
            (
                d.at.to_rfc3339(),
                d.at.format("%-d %B %Y %H:%M UTC").to_string(),
                d.recipient_name,
                d.purpose,
            )
        })
        .collect();
    Ok(page(
        status,
        &MyDataPage {
            layout: Layout::new("My data", ctx, "my-data"),
            library: library.name.clone(),
            held,
            disclosures,
            erase_error,
            notice,
            breach_notices: crate::breaches::notices_for(state, ctx).await?,
            objections,
        },
    ))
}

async fn export_guest(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let (guest, library) = ctx.guest()?;
    let bytes = crate::export::archive(&state, crate::export::Owner::Guest(guest, library)).await?;
    Ok(crate::export::download(bytes, state.store.clock.now()))
}

async fn my_data(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    if ctx.guest.is_none() {
        return Ok(see_other(if ctx.member.is_some() {
            "/me/privacy"
        } else {
            "/libraries"
        }));
    }
    let notice = match q.done.as_str() {
        "objected" => {
            Some("Your objection is recorded: from now on you are left out of the counts.")
        }
        "withdrawn" => Some("Your objection is withdrawn."),
        _ => None,
    };
    render_my_data(&state, &ctx, StatusCode::OK, None, notice).await
}

#[derive(Debug, Deserialize)]
struct ObjectionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    objected: String,
}

async fn set_objection(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(ground): Path<String>,
    PageForm(form): PageForm<ObjectionForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let ground =
        lyceum_core::domain::objection::Ground::from_key(&ground).ok_or(AppError::NotFound)?;
    let objected = form.objected == "yes";
    state
        .store
        .objections()
        .set(ctx.subject()?, ground, objected)
        .await?;
    Ok(see_other(if objected {
        "/my-data?done=objected"
    } else {
        "/my-data?done=withdrawn"
    }))
}

#[derive(Debug, Deserialize)]
struct EraseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
}

async fn erase_guest(
    State(state): State<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<EraseForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let (guest, library) = ctx.guest()?;
    if form.confirm != "yes" {
        return render_my_data(
            &state,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("Tick the box to confirm that everything should be deleted.".into()),
            None,
        )
        .await;
    }
    state.store.guests().erase(guest.id).await?;
    Ok(with_cookie(
        see_other(&format!("/libraries/{}?done=erased", library.slug)),
        clear_cookie(state.config.secure_cookies),
    ))
}

// ---------------------------------------------------------------- staff

#[derive(Template)]
#[template(path = "library_admin.html")]
struct AdminPage {
    layout: Layout,
    slug: String,
    name: String,
    notice: Option<String>,
    problem: Option<(String, String)>,
    fields: Vec<Field>,
    errors: Vec<FieldError>,
    auth_method: &'static str,
    shared_default: bool,
    sip2_fields: Vec<Field>,
    sip2_tls: bool,
    sip2_error_detection: bool,
    sip2_crlf: bool,
    sip2_patron_information: bool,
    oidc_fields: Vec<Field>,
    oidc_redirect: String,
    has_logo: bool,
    cards_error: Option<String>,
    card_count: u64,
    staff: Vec<String>,
    audit: Vec<(String, String, String, String)>,
}

fn settings_fields(l: &Library) -> Vec<Field> {
    let seats = match l.licence {
        Licence::Unlimited => String::new(),
        Licence::SeatsPerMonth(n) => n.to_string(),
    };
    vec![
        Field::new("name", "Library name", "text", "off").value(&l.name),
        Field::new("town", "Town or area", "text", "off")
            .hint("Patrons can find the library by it.")
            .value(l.town.as_deref().unwrap_or("")),
        Field::new("contact", "How patrons reach staff", "text", "off")
            .hint("Shown when a card is refused, seats run out or the card check is down.")
            .value(&l.contact),
        Field::new("brand_colour", "Brand colour", "text", "off")
            .hint("As #rrggbb. White text must be readable on it (contrast 4.5:1).")
            .value(&l.brand_colour.to_string()),
        Field::new("seats", "Seats per month", "text", "off")
            .hint("Distinct patrons a month under your licence. Leave empty for unlimited.")
            .value(&seats),
        Field::new("consortium", "Consortium", "text", "off")
            .value(l.consortium.as_deref().unwrap_or("")),
        Field::new(
            "idle_minutes",
            "Minutes before an idle shared computer signs out",
            "text",
            "off",
        )
        .value(&l.idle_minutes.to_string()),
        Field::new(
            "guest_retention_days",
            "Days to keep a guest's data after their last visit",
            "text",
            "off",
        )
        .value(&l.guest_retention_days.to_string()),
    ]
}

fn sip2_fields(l: &Library) -> Vec<Field> {
    let s = l.sip2.clone();
    let get = |f: fn(&Sip2Settings) -> String| s.as_ref().map(f).unwrap_or_default();
    vec![
        Field::new("host", "SIP2 host", "text", "off").value(&get(|s| s.host.clone())),
        Field::new("port", "SIP2 port", "text", "off").value(&get(|s| s.port.to_string())),
        Field::new("login_user", "SIP2 user (CN)", "text", "off")
            .value(&get(|s| s.login_user.clone())),
        Field::new(
            "login_password",
            "SIP2 password (CO)",
            "password",
            "new-password",
        )
        .hint(if l.has_sip2_password {
            "A password is saved. Leave empty to keep it."
        } else {
            "No password is saved yet."
        }),
        Field::new("institution", "Institution id (AO)", "text", "off")
            .value(&get(|s| s.institution.clone())),
        Field::new(
            "location",
            "Location code (CP), if your server wants one",
            "text",
            "off",
        )
        .value(&get(|s| s.location.clone().unwrap_or_default())),
        Field::new(
            "timeout_ms",
            "Time limit per request, in milliseconds",
            "text",
            "off",
        )
        .value(
            &s.as_ref()
                .map_or("5000".to_owned(), |s| s.timeout_ms.to_string()),
        ),
    ]
}

fn oidc_fields(l: &Library) -> Vec<Field> {
    let o = l.oidc.as_ref();
    vec![
        Field::new("issuer", "Issuer address", "text", "off")
            .hint("Your identity provider's issuer, such as https://login.example.org. Lyceum asks it for the openid scope only.")
            .value(o.map_or("", |o| o.issuer.as_str())),
        Field::new("client_id", "Client id", "text", "off").value(o.map_or("", |o| o.client_id.as_str())),
        Field::new("client_secret", "Client secret", "password", "new-password")
            .hint("Leave empty to keep the saved secret, or for a public client."),
    ]
}

struct AdminView {
    notice: Option<String>,
    problem: Option<(String, String)>,
    errors: Vec<FieldError>,
    status: StatusCode,
}

impl AdminView {
    fn ok(notice: Option<String>) -> Self {
        Self {
            notice,
            problem: None,
            errors: vec![],
            status: StatusCode::OK,
        }
    }

    fn from_error(e: AppError) -> Self {
        let status = e.status();
        match e {
            AppError::Validation(errors) => Self {
                notice: None,
                problem: None,
                errors,
                status,
            },
            e => Self {
                notice: None,
                problem: Some((e.title().to_owned(), e.detail())),
                errors: vec![],
                status,
            },
        }
    }
}

async fn render_admin(
    state: &AppState,
    ctx: &Ctx,
    library: &Library,
    view: AdminView,
) -> Result<Response, PageError> {
    let libs = state.store.libraries();
    let mut staff = Vec::new();
    for id in libs.staff(library.id).await? {
        staff.push(staff_name(state, id).await?);
    }
    let mut audit = Vec::new();
    for a in libs.audit_log(library.id, 50).await? {
        audit.push((
            a.at.to_rfc3339(),
            a.at.format("%-d %B %Y %H:%M UTC").to_string(),
            staff_name(state, a.actor).await?,
            a.action,
        ));
    }
    let (sip2_fields_v, sip2_errors): (Vec<Field>, Vec<FieldError>) =
        (sip2_fields(library), view.errors.clone());
    let s = library.sip2.as_ref();
    Ok(page(
        view.status,
        &AdminPage {
            layout: Layout::new(&format!("{}: settings", library.name), ctx, "admin"),
            slug: library.slug.to_string(),
            name: library.name.clone(),
            notice: view.notice,
            problem: view.problem,
            fields: with_errors(settings_fields(library), &view.errors),
            errors: view.errors,
            auth_method: library.auth_method.as_str(),
            shared_default: library.shared_computer_default,
            sip2_fields: with_errors(sip2_fields_v, &sip2_errors),
            sip2_tls: s.is_some_and(|s| s.tls),
            sip2_error_detection: s.is_none_or(|s| s.error_detection),
            sip2_crlf: s.is_some_and(|s| s.crlf),
            sip2_patron_information: s.is_none_or(|s| s.use_patron_information),
            oidc_fields: with_errors(oidc_fields(library), &sip2_errors),
            oidc_redirect: match &state.config.public_url {
                Some(_) => crate::oidc::redirect_uri(state, None, library),
                None => format!(
                    "https://YOUR-LYCEUM-ADDRESS/libraries/{}/oidc/callback",
                    library.slug
                ),
            },
            has_logo: library.has_logo,
            cards_error: sip2_errors
                .iter()
                .find(|e| e.field == "cards")
                .map(|e| e.message.clone()),
            card_count: libs.card_list_len(library.id).await?,
            staff,
            audit,
        },
    ))
}

async fn staff_name(state: &AppState, id: MemberId) -> Result<String, AppError> {
    Ok(match state.store.accounts().get(id).await {
        Ok(Some(m)) => m.display_name.as_str().to_owned(),
        Ok(None) | Err(lyceum_store::StoreError::KeyDestroyed) => "A former staff member".into(),
        Err(e) => return Err(e.into()),
    })
}

fn signin_redirect(e: AppError) -> Result<Response, PageError> {
    match e {
        AppError::Unauthorized(_) => Ok(see_other("/signin")),
        e => Err(e.into()),
    }
}

/// After a change on the settings page: back to it (post, redirect, get),
/// so reloading does not send the form again.
fn admin_done(slug: &str, done: &str) -> Response {
    see_other(&format!("/libraries/{slug}/admin?done={done}"))
}

async fn admin(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let library = match staff_library(&state, &ctx, &slug).await {
        Ok(l) => l,
        Err(e) => return signin_redirect(e),
    };
    let notice = match q.done.as_str() {
        "settings-saved" => Some("Settings saved."),
        "sip2-saved" => Some("SIP2 connection saved. Use “Test the connection” to check it."),
        "oidc-saved" => {
            Some("OpenID Connect provider saved. Choose it under “Patron sign-in” to use it.")
        }
        "cards-saved" => Some("The card list is replaced."),
        "staff-added" => Some("Staff member added."),
        "logo-saved" => Some("Logo saved."),
        "logo-removed" => Some("Logo removed."),
        _ => None,
    };
    render_admin(
        &state,
        &ctx,
        &library,
        AdminView::ok(notice.map(str::to_owned)),
    )
    .await
}

#[derive(Debug, Deserialize)]
struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    town: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    brand_colour: String,
    #[serde(default)]
    seats: String,
    #[serde(default)]
    consortium: String,
    #[serde(default)]
    auth_method: String,
    #[serde(default)]
    shared_computer_default: String,
    #[serde(default)]
    idle_minutes: String,
    #[serde(default)]
    guest_retention_days: String,
}

/// Library settings as typed, checked into [`LibraryChanges`].
#[derive(Debug, Clone, Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct SettingsInput {
    /// Library name.
    pub name: String,
    /// Town or area.
    pub town: Option<String>,
    /// How patrons reach staff.
    pub contact: String,
    /// `#rrggbb`; white text on it must reach 4.5:1.
    pub brand_colour: String,
    /// Seats per month; none for unlimited.
    pub seats_per_month: Option<u32>,
    /// Consortium.
    pub consortium: Option<String>,
    /// `sip2`, `static_list` or `disabled`.
    pub auth_method: String,
    /// "Shared computer" chosen by default on the sign-in form.
    pub shared_computer_default: bool,
    /// Idle minutes before a shared computer signs out (5–120).
    pub idle_minutes: u32,
    /// Days to keep a guest's data after their last visit (1–3650).
    pub guest_retention_days: u32,
}

impl SettingsInput {
    /// Parses into changes, or every field error at once.
    pub fn parse(self) -> Result<LibraryChanges, AppError> {
        let mut errors = Vec::new();
        let name = LibraryName::parse(&self.name)
            .map_err(|e| errors.push(FieldError::new("name", e)))
            .ok();
        let colour = BrandColour::parse(&self.brand_colour)
            .map_err(|e| errors.push(FieldError::new("brand_colour", e)))
            .ok();
        let method = PatronAuthMethod::from_name(&self.auth_method);
        if method.is_none() {
            errors.push(FieldError::new(
                "auth_method",
                "Choose sip2, static_list or disabled.",
            ));
        }
        if self.seats_per_month == Some(0) {
            errors.push(FieldError::new(
                "seats",
                "A licence needs at least one seat; leave it empty for unlimited.",
            ));
        }
        match (name, colour, method, errors.is_empty()) {
            (Some(name), Some(brand_colour), Some(auth_method), true) => Ok(LibraryChanges {
                name,
                town: self.town,
                contact: self.contact,
                brand_colour,
                licence: self
                    .seats_per_month
                    .map_or(Licence::Unlimited, Licence::SeatsPerMonth),
                consortium: self.consortium,
                auth_method,
                shared_computer_default: self.shared_computer_default,
                idle_minutes: self.idle_minutes,
                guest_retention_days: self.guest_retention_days,
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// Maps a library storage error to the answer a person sees.
pub(crate) fn library_error(e: LibraryError) -> AppError {
    match e {
        LibraryError::SlugTaken(_) => AppError::Conflict(e.to_string()),
        LibraryError::Invalid(m) => AppError::Validation(vec![FieldError::new("settings", m)]),
        LibraryError::Store(e) => e.into(),
    }
}

fn number(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> u32 {
    raw.trim().parse().unwrap_or_else(|_| {
        errors.push(FieldError::new(field, "Enter a whole number."));
        0
    })
}

async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<SettingsForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let library = staff_library(&state, &ctx, &slug).await?;
    let member = ctx.member()?.id;
    let mut errors = Vec::new();
    let seats = if form.seats.trim().is_empty() {
        None
    } else {
        Some(number("seats", &form.seats, &mut errors))
    };
    let input = SettingsInput {
        name: form.name,
        town: Some(form.town),
        contact: form.contact,
        brand_colour: form.brand_colour,
        seats_per_month: seats,
        consortium: Some(form.consortium),
        auth_method: form.auth_method,
        shared_computer_default: form.shared_computer_default == "yes",
        idle_minutes: number("idle_minutes", &form.idle_minutes, &mut errors),
        guest_retention_days: number(
            "guest_retention_days",
            &form.guest_retention_days,
            &mut errors,
        ),
    };
    let result = match input.parse() {
        Err(AppError::Validation(mut more)) => {
            errors.append(&mut more);
            Err(AppError::Validation(errors))
        }
        Err(e) => Err(e),
        Ok(_) if !errors.is_empty() => Err(AppError::Validation(errors)),
        Ok(changes) => state
            .store
            .libraries()
            .update(library.id, changes, member)
            .await
            .map_err(library_error),
    };
    match result {
        Ok(_) => Ok(admin_done(&slug, "settings-saved")),
        Err(e @ AppError::Internal(_)) => Err(e.into()),
        Err(e) => render_admin(&state, &ctx, &library, AdminView::from_error(e)).await,
    }
}

#[derive(Debug, Deserialize)]
struct Sip2Form {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    host: String,
    #[serde(default)]
    port: String,
    #[serde(default)]
    login_user: String,
    #[serde(default)]
    login_password: String,
    #[serde(default)]
    institution: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    timeout_ms: String,
    #[serde(default)]
    tls: String,
    #[serde(default)]
    error_detection: String,
    #[serde(default)]
    crlf: String,
    #[serde(default)]
    use_patron_information: String,
}

async fn save_sip2(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<Sip2Form>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let library = staff_library(&state, &ctx, &slug).await?;
    let member = ctx.member()?.id;
    let mut errors = Vec::new();
    let port = form.port.trim().parse::<u16>().unwrap_or_else(|_| {
        errors.push(FieldError::new(
            "port",
            "Enter a port number from 1 to 65535.",
        ));
        0
    });
    let timeout_ms = number("timeout_ms", &form.timeout_ms, &mut errors);
    for (name, value, what) in [
        (
            "host",
            &form.host,
            "Enter the SIP2 server's host name or address.",
        ),
        ("login_user", &form.login_user, "Enter the SIP2 user."),
        (
            "institution",
            &form.institution,
            "Enter the institution id.",
        ),
    ] {
        if value.trim().is_empty() {
            errors.push(FieldError::new(name, what));
        }
    }
    if !library.has_sip2_password && form.login_password.is_empty() {
        errors.push(FieldError::new(
            "login_password",
            "Enter the SIP2 password.",
        ));
    }
    if !errors.is_empty() {
        return render_admin(
            &state,
            &ctx,
            &library,
            AdminView::from_error(AppError::Validation(errors)),
        )
        .await;
    }
    let settings = Sip2Settings {
        host: form.host.trim().to_owned(),
        port,
        tls: form.tls == "yes",
        login_user: form.login_user.trim().to_owned(),
        location: Some(form.location.trim().to_owned()).filter(|s| !s.is_empty()),
        institution: form.institution.trim().to_owned(),
        error_detection: form.error_detection == "yes",
        crlf: form.crlf == "yes",
        use_patron_information: form.use_patron_information == "yes",
        timeout_ms,
    };
    let password = Some(form.login_password.as_str()).filter(|p| !p.is_empty());
    match state
        .store
        .libraries()
        .set_sip2(library.id, settings, password, Some(member))
        .await
        .map_err(library_error)
    {
        Ok(()) => Ok(admin_done(&slug, "sip2-saved")),
        Err(e @ AppError::Internal(_)) => Err(e.into()),
        Err(e) => render_admin(&state, &ctx, &library, AdminView::from_error(e)).await,
    }
}

#[derive(Debug, Deserialize)]
struct OidcForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
}

async fn save_oidc(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<OidcForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let library = staff_library(&state, &ctx, &slug).await?;
    let member = ctx.member()?.id;
    let result = state
        .store
        .libraries()
        .set_oidc(
            library.id,
            lyceum_store::libraries::OidcSettings {
                issuer: form.issuer,
                client_id: form.client_id,
            },
            Some(form.client_secret.as_str()).filter(|s| !s.is_empty()),
            Some(member),
        )
        .await
        .map_err(|e| match e {
            LibraryError::Invalid(m) => AppError::Validation(vec![FieldError::new("issuer", m)]),
            e => library_error(e),
        });
    match result {
        Ok(()) => Ok(admin_done(&slug, "oidc-saved")),
        Err(e @ AppError::Internal(_)) => Err(e.into()),
        Err(e) => render_admin(&state, &ctx, &library, AdminView::from_error(e)).await,
    }
}

#[derive(Debug, Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn test_sip2(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<CsrfOnly>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let library = staff_library(&state, &ctx, &slug).await?;
    let view = match patrons::test_sip2(&state, &library).await {
        Ok(s) => AdminView::ok(Some(format!(
            "The library system answered: SIP {}, {}{}.",
            s.protocol_version,
            if s.online { "online" } else { "offline" },
            s.institution
                .map(|i| format!(", institution {i}"))
                .unwrap_or_default()
        ))),
        Err(e @ AppError::Internal(_)) => return Err(e.into()),
        Err(e) => AdminView::from_error(e),
    };
    render_admin(&state, &ctx, &library, view).await
}

#[derive(Debug, Deserialize)]
struct CardListForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    cards: String,
}

/// Parses "card,hash" lines; blank lines and `#` comments are skipped.
pub(crate) fn parse_card_list(text: &str) -> Result<Vec<(CardNumber, String)>, AppError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((card, hash)) = line.split_once(',') else {
            return Err(AppError::Validation(vec![FieldError::new(
                "cards",
                format!(
                    "Line {}: write the card number, a comma, then the PIN's argon2 hash.",
                    i + 1
                ),
            )]));
        };
        let card = CardNumber::parse(card).map_err(|e| {
            AppError::Validation(vec![FieldError::new(
                "cards",
                format!("Line {}: {e}", i + 1),
            )])
        })?;
        out.push((card, hash.trim().to_owned()));
    }
    Ok(out)
}

async fn save_card_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<CardListForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let library = staff_library(&state, &ctx, &slug).await?;
    let member = ctx.member()?.id;
    let result = match parse_card_list(&form.cards) {
        Ok(entries) => state
            .store
            .libraries()
            .replace_card_list(&library, entries, Some(member))
            .await
            .map_err(|e| match e {
                LibraryError::Invalid(m) => AppError::Validation(vec![FieldError::new("cards", m)]),
                e => library_error(e),
            }),
        Err(e) => Err(e),
    };
    let view = match result {
        Ok(_) => return Ok(admin_done(&slug, "cards-saved")),
        Err(e @ AppError::Internal(_)) => return Err(e.into()),
        Err(e) => AdminView::from_error(e),
    };
    render_admin(&state, &ctx, &library, view).await
}

#[derive(Debug, Deserialize)]
struct StaffForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

async fn add_staff(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<StaffForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let library = staff_library(&state, &ctx, &slug).await?;
    let member = ctx.member()?.id;
    let view = match Email::parse(&form.email) {
        Err(e) => AdminView::from_error(AppError::Validation(vec![FieldError::new("email", e)])),
        Ok(email) => match state.store.accounts().find_by_email(&email).await? {
            None => AdminView::from_error(AppError::Validation(vec![FieldError::new(
                "email",
                "No Lyceum account uses that email address. Ask them to create one first.",
            )])),
            Some(id) => {
                state
                    .store
                    .libraries()
                    .add_staff(library.id, id, Some(member))
                    .await?;
                return Ok(admin_done(&slug, "staff-added"));
            }
        },
    };
    render_admin(&state, &ctx, &library, view).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReportQuery {
    #[serde(default)]
    pub(crate) from: String,
    #[serde(default)]
    pub(crate) to: String,
}

impl ReportQuery {
    /// The months asked for; by default the last twelve.
    pub(crate) fn months(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(Month, Month), AppError> {
        let this = Month::of(now);
        let default_from = Month(this.0 - 100).next();
        let parse = |raw: &str, field: &str, default: Month| {
            if raw.trim().is_empty() {
                Ok(default)
            } else {
                Month::parse(raw).ok_or_else(|| {
                    AppError::Validation(vec![FieldError::new(field, "Give a month as YYYY-MM.")])
                })
            }
        };
        let from = parse(&self.from, "from", default_from)?;
        let to = parse(&self.to, "to", this)?;
        if from > to {
            return Err(AppError::Validation(vec![FieldError::new(
                "from",
                "The first month must not be after the last.",
            )]));
        }
        Ok((from, to))
    }
}

/// A metric's name in words.
pub(crate) fn metric_label(metric: &str) -> &str {
    match metric {
        lyceum_store::guests::metric::PATRONS_ACTIVE => "Patrons active (seats used)",
        lyceum_store::guests::metric::SIGN_INS => "Sign-ins",
        other => other,
    }
}

#[derive(Template)]
#[template(path = "library_reports.html")]
struct ReportsPage {
    layout: Layout,
    slug: String,
    name: String,
    from: String,
    to: String,
    min_count: u64,
    rows: Vec<(String, String, String, String)>,
}

async fn reports(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, PageError> {
    let library = match staff_library(&state, &ctx, &slug).await {
        Ok(l) => l,
        Err(e) => return signin_redirect(e),
    };
    let (from, to) = q.months(state.store.clock.now())?;
    let rows = state
        .store
        .guests()
        .report(library.id, from, to)
        .await?
        .into_iter()
        .map(|c| {
            (
                c.month,
                metric_label(&c.metric).to_owned(),
                if c.dimension.is_empty() {
                    "All".to_owned()
                } else {
                    c.dimension
                },
                c.count
                    .map_or(format!("fewer than {REPORT_MIN_COUNT}"), |n| n.to_string()),
            )
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        &ReportsPage {
            layout: Layout::new(&format!("{}: usage", library.name), &ctx, "admin"),
            slug: library.slug.to_string(),
            name: library.name,
            from: from.to_string(),
            to: to.to_string(),
            min_count: REPORT_MIN_COUNT,
            rows,
        },
    ))
}

/// The report as CSV in the spirit of COUNTER R5: a header block naming
/// the report, then one row per measure and breakdown with a column per
/// month. Suppressed cells read `<10`.
pub(crate) async fn report_csv(
    state: &AppState,
    library: &Library,
    from: Month,
    to: Month,
) -> Result<String, AppError> {
    let cells = state.store.guests().report(library.id, from, to).await?;
    let mut months = Vec::new();
    let mut m = from;
    while m <= to {
        months.push(m.to_string());
        m = m.next();
    }
    let mut rows: std::collections::BTreeMap<(String, String), Vec<String>> = Default::default();
    for c in cells {
        let row = rows
            .entry((c.metric.clone(), c.dimension.clone()))
            .or_insert_with(|| vec!["0".to_owned(); months.len()]);
        if let Some(i) = months.iter().position(|x| *x == c.month) {
            row[i] = c
                .count
                .map_or(format!("<{REPORT_MIN_COUNT}"), |n| n.to_string());
        }
    }
    let esc = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    let mut out = String::new();
    out.push_str("Report_Name,Library Usage (aggregate)\n");
    out.push_str(&format!("Institution_Name,{}\n", esc(&library.name)));
    out.push_str(&format!("Reporting_Period,{from} to {to}\n"));
    out.push_str(&format!(
        "Notes,Counts below {REPORT_MIN_COUNT} are shown as <{REPORT_MIN_COUNT}. No per-patron data exists.\n\n"
    ));
    out.push_str("Metric_Type,Breakdown");
    for m in &months {
        out.push(',');
        out.push_str(m);
    }
    out.push('\n');
    for ((metric, dimension), values) in rows {
        out.push_str(&esc(&metric));
        out.push(',');
        out.push_str(&esc(if dimension.is_empty() {
            "Total"
        } else {
            &dimension
        }));
        for v in values {
            out.push(',');
            out.push_str(&v);
        }
        out.push('\n');
    }
    Ok(out)
}

async fn reports_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, PageError> {
    let library = staff_library(&state, &ctx, &slug).await?;
    let (from, to) = q.months(state.store.clock.now())?;
    let csv = report_csv(&state, &library, from, to).await?;
    Ok(csv_response(&library, from, to, csv))
}

pub(crate) fn csv_response(library: &Library, from: Month, to: Month, csv: String) -> Response {
    let name = format!(
        "attachment; filename=\"{}-usage-{from}-{to}.csv\"",
        library.slug
    );
    let mut res = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response();
    if let Ok(v) = HeaderValue::from_str(&name) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

// ------------------------------------------------------- linked cards

#[derive(Template)]
#[template(path = "library_cards.html")]
struct LibraryCardsPage {
    layout: Layout,
    notice: Option<&'static str>,
    problem: Option<(String, String)>,
    cards: Vec<(String, String, String)>,
    libraries: Vec<(String, String)>,
    fields: Vec<Field>,
    errors: Vec<FieldError>,
}

async fn render_cards(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<AppError>,
) -> Result<Response, PageError> {
    let member = ctx.member()?;
    let mut cards = Vec::new();
    for (guest, at) in state.store.guests().linked_to(member.id).await? {
        let name = state
            .store
            .libraries()
            .get(guest.library_id)
            .await?
            .map_or_else(|| "A library".to_owned(), |l| l.name);
        cards.push((
            guest.id.to_string(),
            name,
            at.format("%-d %B %Y").to_string(),
        ));
    }
    let libraries = state
        .store
        .libraries()
        .search("")
        .await?
        .into_iter()
        .filter(|l| l.auth_method != PatronAuthMethod::Disabled)
        .map(|l| (l.slug.to_string(), l.name))
        .collect();
    let (errors, problem) = match error {
        Some(AppError::Validation(errors)) => (errors, None),
        Some(e) => (Vec::new(), Some((problem_title(&e, false), e.detail()))),
        None => (Vec::new(), None),
    };
    Ok(page(
        status,
        &LibraryCardsPage {
            layout: Layout::new("Your library cards", ctx, "me"),
            notice,
            problem,
            cards,
            libraries,
            fields: with_errors(card_fields(""), &errors),
            errors,
        },
    ))
}

async fn library_cards(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    if ctx.member.is_none() {
        return Ok(see_other("/signin"));
    }
    let notice = match q.done.as_str() {
        "linked" => Some("The card is linked. Its learning now shows in your account."),
        "detached" => Some("The card is detached. It is a guest card again, with its learning."),
        _ => None,
    };
    render_cards(&state, &ctx, StatusCode::OK, notice, None).await
}

#[derive(Debug, Deserialize)]
struct LinkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    library: String,
    #[serde(default)]
    card: String,
    #[serde(default)]
    pin: String,
}

async fn link_card(
    State(state): State<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<LinkForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    ctx.member()?;
    let result = match state.store.libraries().by_slug(&form.library).await? {
        None => Err(AppError::Validation(vec![FieldError::new(
            "library",
            "Choose your library from the list.",
        )])),
        Some(library) => patrons::link_card(&state, &ctx, &library, &form.card, &form.pin).await,
    };
    match result {
        Ok(()) => Ok(see_other("/me/library-cards?done=linked")),
        Err(e @ AppError::Internal(_)) => Err(e.into()),
        Err(e) => {
            let status = e.status();
            render_cards(&state, &ctx, status, None, Some(e)).await
        }
    }
}

async fn detach_card(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(guest): Path<String>,
    PageForm(form): PageForm<CsrfOnly>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let guest = guest.parse().map_err(|_| AppError::NotFound)?;
    patrons::unlink_card(&state, &ctx, guest).await?;
    Ok(see_other("/me/library-cards?done=detached"))
}

// ------------------------------------------------------- operators

#[derive(Template)]
#[template(path = "admin_libraries.html")]
struct AdminLibrariesPage {
    layout: Layout,
    notice: Option<String>,
    libraries: Vec<(String, String, &'static str)>,
    fields: Vec<Field>,
    errors: Vec<FieldError>,
}

fn method_words(m: PatronAuthMethod) -> &'static str {
    match m {
        PatronAuthMethod::Sip2 => "Card and PIN over SIP2",
        PatronAuthMethod::StaticList => "Card list",
        PatronAuthMethod::Oidc => "OpenID Connect",
        PatronAuthMethod::Disabled => "Switched off",
    }
}

fn operator_only(ctx: &Ctx) -> Result<(), AppError> {
    if ctx.member()?.role == Role::Operator {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Only operators can add libraries.".into(),
        ))
    }
}

async fn render_admin_libraries(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    notice: Option<String>,
    values: (&str, &str, &str),
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let libraries = state
        .store
        .libraries()
        .search("")
        .await?
        .into_iter()
        .map(|l| (l.slug.to_string(), l.name, method_words(l.auth_method)))
        .collect();
    let fields = vec![
        Field::new("slug", "Short name", "text", "off")
            .hint("Used in addresses: lower-case letters, digits and hyphens, such as riverside.")
            .value(values.0),
        Field::new("name", "Library name", "text", "off").value(values.1),
        Field::new("town", "Town or area", "text", "off").value(values.2),
    ];
    Ok(page(
        status,
        &AdminLibrariesPage {
            layout: Layout::new("Libraries", ctx, "admin"),
            notice,
            libraries,
            fields: with_errors(fields, &errors),
            errors,
        },
    ))
}

async fn admin_libraries(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    if ctx.member.is_none() {
        return Ok(see_other("/signin"));
    }
    operator_only(&ctx)?;
    render_admin_libraries(&state, &ctx, StatusCode::OK, None, ("", "", ""), vec![]).await
}

#[derive(Debug, Deserialize)]
struct NewLibraryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    town: String,
}

async fn add_library(
    State(state): State<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<NewLibraryForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    operator_only(&ctx)?;
    let actor = ctx.member()?.id;
    let values = (form.slug.as_str(), form.name.as_str(), form.town.as_str());
    let mut errors = Vec::new();
    let slug = lyceum_core::domain::LibrarySlug::parse(&form.slug)
        .map_err(|e| errors.push(FieldError::new("slug", e)))
        .ok();
    let name = LibraryName::parse(&form.name)
        .map_err(|e| errors.push(FieldError::new("name", e)))
        .ok();
    let (Some(slug), Some(name)) = (slug, name) else {
        return render_admin_libraries(
            &state,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            values,
            errors,
        )
        .await;
    };
    let libs = state.store.libraries();
    let library = match libs
        .create(
            lyceum_store::libraries::NewLibrary { slug, name },
            Some(actor),
        )
        .await
    {
        Ok(l) => l,
        Err(e @ LibraryError::SlugTaken(_)) => {
            let errors = vec![FieldError::new("slug", e)];
            return render_admin_libraries(
                &state,
                &ctx,
                StatusCode::CONFLICT,
                None,
                values,
                errors,
            )
            .await;
        }
        Err(e) => return Err(library_error(e).into()),
    };
    if !form.town.trim().is_empty() {
        let mut changes = library.as_changes();
        changes.town = Some(form.town);
        libs.update(library.id, changes, actor)
            .await
            .map_err(library_error)?;
    }
    Ok(see_other(&format!("/libraries/{}/admin", library.slug)))
}
