//! Operators: the list of libraries and adding one.

use super::*;

#[derive(Template)]
#[template(path = "admin_libraries.html")]
pub(super) struct AdminLibrariesPage {
    layout: Layout,
    notice: Option<String>,
    libraries: Vec<(String, String, &'static str)>,
    fields: Vec<Field>,
    errors: Vec<FieldError>,
}

pub(super) fn method_words(m: PatronAuthMethod) -> &'static str {
    match m {
        PatronAuthMethod::Sip2 => "Card and PIN over SIP2",
        PatronAuthMethod::StaticList => "Card list",
        PatronAuthMethod::Oidc => "OpenID Connect",
        PatronAuthMethod::Disabled => "Switched off",
    }
}

pub(super) fn operator_only(ctx: &Ctx) -> Result<(), AppError> {
    if ctx.member()?.role == Role::Operator {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Only operators can add libraries.".into(),
        ))
    }
}

pub(super) async fn render_admin_libraries(
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
        Field::new("town", "Town or area", "text", "off")
            .value(values.2)
            .optional(),
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

pub(super) async fn admin_libraries(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    if ctx.member.is_none() {
        return Ok(see_other("/signin"));
    }
    operator_only(&ctx)?;
    render_admin_libraries(&state, &ctx, StatusCode::OK, None, ("", "", ""), vec![]).await
}

#[derive(Debug, Deserialize)]
pub(super) struct NewLibraryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    town: String,
}

pub(super) async fn add_library(
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
