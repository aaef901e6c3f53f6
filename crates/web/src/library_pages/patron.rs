//! Patrons: choosing a library, card and OpenID Connect sign-in, the
//! guest's pages (learn, my data, objections, export, erasure), and the
//! library's public assets (theme, logo, idle script).

use super::*;

pub(super) struct LibraryLink {
    slug: String,
    name: String,
    town: Option<String>,
}

#[derive(Template)]
#[template(path = "libraries.html")]
pub(super) struct ChoosePage {
    layout: Layout,
    query: String,
    libraries: Vec<LibraryLink>,
}

#[derive(Debug, Deserialize)]
pub(super) struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub(super) async fn choose(
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
pub(super) struct LibraryPage {
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

pub(super) async fn render_library(
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

pub(super) async fn library_page(
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
pub(super) struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    card: String,
    #[serde(default)]
    pin: String,
    #[serde(default)]
    shared_computer: String,
}

pub(super) async fn sign_in(
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
pub(super) struct OidcStart {
    #[serde(default)]
    shared_computer: String,
}

pub(super) fn host_of(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(header::HOST).and_then(|v| v.to_str().ok())
}

pub(super) async fn oidc_start(
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

pub(super) async fn oidc_callback(
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
pub(super) struct GuestHome {
    layout: Layout,
    library: String,
    shared: bool,
    idle_minutes: u32,
    notice: Option<&'static str>,
    /// Courses in progress: short name, title, lessons done, lessons.
    in_progress: Vec<(String, String, usize, u32)>,
    finished: usize,
}

pub(super) async fn learn(
    State(state): State<AppState>,
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
    let mut in_progress = Vec::new();
    let mut finished = 0;
    if let Some(who) = crate::learning_pages::learner(&state, &ctx).await? {
        for c in state.store.learning().my_courses(&who).await? {
            if c.enrolment.completed_at.is_some() {
                finished += 1;
            } else {
                in_progress.push((
                    c.slug,
                    c.title,
                    c.enrolment.completed_lessons.len(),
                    c.lessons,
                ));
            }
        }
    }
    Ok(page(
        StatusCode::OK,
        &GuestHome {
            in_progress,
            finished,
            layout: Layout::new(&library.name, &ctx, "guest"),
            library: library.name.clone(),
            shared,
            idle_minutes: library.idle_minutes,
            notice: None,
        },
    ))
}

pub(super) async fn theme(
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

pub(super) async fn logo(
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

pub(super) async fn idle_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/idle.js"),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "my_data.html")]
pub(super) struct MyDataPage {
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
    let until = guest.kept_until(library);
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
    for h in
        lyceum_store::datamap::holdings(&state.store, SubjectId::from(guest.id), &state.retention)
            .await?
    {
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

pub(super) async fn render_my_data(
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

pub(super) async fn export_guest(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let (guest, library) = ctx.guest()?;
    Ok(crate::export::archive(
        &state,
        crate::export::Owner::Guest(guest, library),
        &state.base_url(&headers),
    )
    .await?)
}

pub(super) async fn my_data(
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
pub(super) struct ObjectionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    objected: String,
}

pub(super) async fn set_objection(
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
pub(super) struct EraseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
}

pub(super) async fn erase_guest(
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
