//! Library staff: the settings page and its forms (settings, logo, SIP2,
//! OpenID Connect, card list, staff), and the aggregate reports.

use super::*;

#[derive(Template)]
#[template(path = "library_admin.html")]
pub(super) struct AdminPage {
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
    /// Partner providers: short name, name, licensed.
    partners: Vec<(String, String, bool)>,
}

pub(super) fn settings_fields(l: &Library) -> Vec<Field> {
    let seats = match l.licence {
        Licence::Unlimited => String::new(),
        Licence::SeatsPerMonth(n) => n.to_string(),
    };
    vec![
        Field::new("name", "Library name", "text", "off").value(&l.name),
        Field::new("town", "Town or area", "text", "off")
            .hint("Patrons can find the library by it.")
            .value(l.town.as_deref().unwrap_or(""))
            .optional(),
        Field::new("contact", "How patrons reach staff", "text", "off")
            .hint("Shown when a card is refused, seats run out or the card check is down.")
            .value(&l.contact),
        Field::new("brand_colour", "Brand colour", "text", "off")
            .hint("As #rrggbb. White text must be readable on it (contrast 4.5:1).")
            .value(&l.brand_colour.to_string()),
        Field::new("seats", "Seats per month", "text", "off")
            .hint("Distinct patrons a month under your licence. Leave empty for unlimited.")
            .value(&seats)
            .optional(),
        Field::new("consortium", "Consortium", "text", "off")
            .value(l.consortium.as_deref().unwrap_or(""))
            .optional(),
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

pub(super) fn sip2_fields(l: &Library) -> Vec<Field> {
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

pub(super) fn oidc_fields(l: &Library) -> Vec<Field> {
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

pub(super) struct AdminView {
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

pub(super) async fn render_admin(
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
            partners: partner_choices(state, library.id).await?,
        },
    ))
}

/// Every partner provider and whether the library licenses it.
async fn partner_choices(
    state: &AppState,
    library: lyceum_core::domain::LibraryId,
) -> Result<Vec<(String, String, bool)>, AppError> {
    let learning = state.store.learning();
    let licensed = learning.licensed_providers(library).await?;
    Ok(learning
        .providers()
        .await?
        .into_iter()
        .filter(|p| p.is_partner)
        .map(|p| {
            let on = licensed.contains(&p.id);
            (p.slug, p.name, on)
        })
        .collect())
}

/// Replaces the partner providers a library licenses, by short name, and
/// records the change in the library's audit log.
pub(crate) async fn set_partners(
    state: &AppState,
    library: &Library,
    actor: MemberId,
    slugs: &[String],
) -> Result<Vec<String>, AppError> {
    let learning = state.store.learning();
    let partners: Vec<_> = learning
        .providers()
        .await?
        .into_iter()
        .filter(|p| p.is_partner)
        .collect();
    let mut ids = Vec::new();
    let mut names = Vec::new();
    for slug in slugs {
        let p = partners.iter().find(|p| &p.slug == slug).ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                "providers",
                format!("There is no partner provider \"{slug}\"."),
            )])
        })?;
        ids.push(p.id);
        names.push(p.name.clone());
    }
    learning.set_licensed_providers(library.id, &ids).await?;
    let action = if names.is_empty() {
        "Licensed no partner providers".to_owned()
    } else {
        format!("Licensed partner providers: {}", names.join(", "))
    };
    state
        .store
        .libraries()
        .audit(library.id, actor, &action)
        .await?;
    Ok(slugs.to_vec())
}

pub(super) async fn save_partners(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let csrf = form
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    ctx.check_csrf(csrf)?;
    let library = staff_library(&state, &ctx, &slug).await?;
    let chosen: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "provider")
        .map(|(_, v)| v.clone())
        .collect();
    set_partners(&state, &library, ctx.member()?.id, &chosen).await?;
    Ok(admin_done(&slug, "providers-saved"))
}

pub(super) async fn staff_name(state: &AppState, id: MemberId) -> Result<String, AppError> {
    Ok(match state.store.accounts().get(id).await {
        Ok(Some(m)) => m.display_name.as_str().to_owned(),
        Ok(None) | Err(lyceum_store::StoreError::KeyDestroyed) => "A former staff member".into(),
        Err(e) => return Err(e.into()),
    })
}

pub(super) fn signin_redirect(e: AppError) -> Result<Response, PageError> {
    match e {
        AppError::Unauthorized(_) => Ok(see_other("/signin")),
        e => Err(e.into()),
    }
}

/// After a change on the settings page: back to it (post, redirect, get),
/// so reloading does not send the form again.
pub(super) fn admin_done(slug: &str, done: &str) -> Response {
    see_other(&format!("/libraries/{slug}/admin?done={done}"))
}

pub(super) async fn admin(
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
        "providers-saved" => Some(
            "Course providers saved. Your patrons see the courses of the providers you license.",
        ),
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
pub(super) struct SettingsForm {
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

pub(super) fn number(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> u32 {
    raw.trim().parse().unwrap_or_else(|_| {
        errors.push(FieldError::new(field, "Enter a whole number."));
        0
    })
}

pub(super) async fn save_settings(
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
pub(super) struct Sip2Form {
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

pub(super) async fn save_sip2(
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
pub(super) struct OidcForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
}

pub(super) async fn save_oidc(
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

pub(super) async fn test_sip2(
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
pub(super) struct CardListForm {
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

pub(super) async fn save_card_list(
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
pub(super) struct StaffForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

pub(super) async fn add_staff(
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
        lyceum_store::guests::metric::ENROLMENTS => "Enrolments",
        lyceum_store::guests::metric::COMPLETIONS => "Courses finished",
        other => other,
    }
}

#[derive(Template)]
#[template(path = "library_reports.html")]
pub(super) struct ReportsPage {
    layout: Layout,
    slug: String,
    name: String,
    from: String,
    to: String,
    min_count: u64,
    rows: Vec<(String, String, String, String)>,
}

pub(super) async fn reports(
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

pub(super) async fn reports_csv(
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

pub(super) async fn save_logo(
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
