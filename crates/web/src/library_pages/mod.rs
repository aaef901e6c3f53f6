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

mod cards;
mod operators;
mod patron;
mod staff;

use cards::*;
use operators::*;
use patron::*;
use staff::*;

pub(crate) use patron::guest_holdings;
pub use staff::SettingsInput;
pub(crate) use staff::{ReportQuery, csv_response, parse_card_list, report_csv, set_partners};

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
        .route("/libraries/{slug}/admin/providers", post(save_partners))
        .route("/libraries/{slug}/admin/reports", get(reports))
        .route("/libraries/{slug}/admin/reports.csv", get(reports_csv))
        .route("/static/idle.js", get(idle_script))
        .route("/admin/libraries", get(admin_libraries).post(add_library))
        .route("/me/library-cards", get(library_cards).post(link_card))
        .route("/me/library-cards/{guest}/detach", post(detach_card))
}

/// A library by short name, or 404.
pub(crate) async fn find_library(state: &AppState, slug: &str) -> Result<Library, AppError> {
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

#[derive(Debug, Deserialize)]
pub(super) struct NoticeQuery {
    #[serde(default)]
    done: String,
}

/// The heading of a refusal on the card pages: a 401 there means the card
/// and PIN did not match, never "not signed in".
pub(super) fn problem_title(e: &AppError, is_oidc: bool) -> String {
    match e {
        AppError::Unauthorized(_) if is_oidc => "Sign-in not confirmed".to_owned(),
        AppError::Unauthorized(_) => "Card number and PIN do not match".to_owned(),
        e => e.title().to_owned(),
    }
}

pub(super) fn card_fields(card: &str) -> Vec<Field> {
    // Neither field is remembered by the browser: on a library's public
    // computer, the next person must not find the last card number.
    vec![
        Field::new("card", "Library card number", "text", "off")
            .hint("The number on your library card. Spaces and hyphens do not matter.")
            .value(card),
        Field::new("pin", "PIN or library password", "password", "off"),
    ]
}

pub(super) use crate::pages::CsrfForm as CsrfOnly;

/// Maps a library storage error to the answer a person sees.
pub(crate) fn library_error(e: LibraryError) -> AppError {
    match e {
        LibraryError::SlugTaken(_) => AppError::Conflict(e.to_string()),
        LibraryError::Invalid(m) => AppError::Validation(vec![FieldError::new("settings", m)]),
        LibraryError::Store(e) => e.into(),
    }
}
