//! Members' library cards: linking a card to carry its learning into the
//! account, and detaching it again.

use super::*;

#[derive(Template)]
#[template(path = "library_cards.html")]
pub(super) struct LibraryCardsPage {
    layout: Layout,
    notice: Option<&'static str>,
    problem: Option<(String, String)>,
    cards: Vec<(String, String, String)>,
    libraries: Vec<(String, String)>,
    fields: Vec<Field>,
    errors: Vec<FieldError>,
}

pub(super) async fn render_cards(
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

pub(super) async fn library_cards(
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
pub(super) struct LinkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    library: String,
    #[serde(default)]
    card: String,
    #[serde(default)]
    pin: String,
}

pub(super) async fn link_card(
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

pub(super) async fn detach_card(
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
