//! Patron sign-in: a library card and PIN, checked by the library's own
//! system (SIP2) or card list, become a guest session. Shared by the page
//! and the API.
//!
//! The card number and PIN live in this function's memory and nowhere
//! else: they are parsed into types that cannot be serialised or printed,
//! sent to the library's system, and dropped. What stays is the keyed
//! pseudonym of the card. Errors name the problem and the library's
//! contact, never the card.

use crate::AppState;
use crate::error::{AppError, FieldError};
use crate::session::Ctx;
use lyceum_core::domain::library::PatronAuthMethod;
use lyceum_core::domain::{CardNumber, GuestId, LibraryId, Pin, SubjectId};
use lyceum_sip2::{BlockReason, PatronVerdict, ServerStatus, Sip2Client, Sip2Config, Sip2Error};
use lyceum_store::guests::{Guest, GuestSignInError};
use lyceum_store::libraries::{Library, ListVerdict};
use lyceum_store::sessions::{Holder, NewSession, SharedDevice};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// What a patron typed.
#[derive(Debug)]
pub struct PatronSignIn<'a> {
    /// The card number as typed.
    pub card: &'a str,
    /// The PIN as typed.
    pub pin: &'a str,
    /// "This is a shared computer".
    pub shared_computer: bool,
}

/// One SIP2 client per library, rebuilt when the library's settings
/// change. Each client keeps one connection open, so a busy library pays
/// the TCP (and TLS) set-up and the SIP2 login once, not per patron.
#[derive(Default)]
pub struct Sip2Clients {
    clients: Mutex<HashMap<LibraryId, (Vec<u8>, Sip2Client)>>,
}

impl std::fmt::Debug for Sip2Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sip2Clients")
    }
}

impl Sip2Clients {
    /// The client for a library's current settings.
    pub async fn client_for(
        &self,
        state: &AppState,
        library: &Library,
    ) -> Result<Sip2Client, AppError> {
        let settings = library.sip2.clone().ok_or_else(|| {
            AppError::Conflict("This library's SIP2 connection is not set up yet.".into())
        })?;
        let password = state
            .store
            .libraries()
            .sip2_password(library.id)
            .await?
            .unwrap_or_default();
        let mut h = Sha256::new();
        h.update(serde_json::to_vec(&settings).unwrap_or_default());
        h.update([0]);
        h.update(password.as_bytes());
        let fingerprint = h.finalize().to_vec();
        let mut map = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((fp, client)) = map.get(&library.id)
            && *fp == fingerprint
        {
            return Ok(client.clone());
        }
        let mut config = Sip2Config::new(
            settings.host,
            settings.port,
            settings.institution,
            settings.login_user,
            password.into(),
        );
        config.tls = settings.tls;
        config.location = settings.location;
        config.error_detection = settings.error_detection;
        config.terminator = if settings.crlf {
            lyceum_sip2::Terminator::CrLf
        } else {
            lyceum_sip2::Terminator::Cr
        };
        config.timeout = Duration::from_millis(u64::from(settings.timeout_ms));
        config.use_patron_information = settings.use_patron_information;
        let client = Sip2Client::new(config);
        map.insert(library.id, (fingerprint, client.clone()));
        Ok(client)
    }
}

fn unavailable(library: &Library) -> AppError {
    AppError::Unavailable(format!(
        "Your library's card check is not answering right now. Try again in a few minutes, \
         or ask library staff for help: {}",
        library.contact
    ))
}

/// The answer when the library's licence has no seat left this month.
pub(crate) fn seats_full(library: &Library) -> AppError {
    AppError::Refused {
        problem: "urn:lyceum:problem:seats-full",
        title: "All places are in use this month",
        detail: format!(
            "{} has used all the learning places its licence allows this month. \
             Your card is fine; please ask library staff: {}",
            library.name, library.contact
        ),
    }
}

fn wrong_card_or_pin() -> AppError {
    // One message for an unknown card and a wrong PIN: telling them apart
    // would let anyone find out which card numbers exist.
    AppError::Unauthorized(
        "That card number and PIN do not match. Check both and try again; \
         your library can reset a forgotten PIN."
            .into(),
    )
}

/// Checks a card and PIN with the library; on success, the card's
/// pseudonym. The only place a card number or PIN is handled.
pub async fn verify_card(
    state: &AppState,
    ctx: &Ctx,
    library: &Library,
    card: &str,
    pin: &str,
) -> Result<Vec<u8>, AppError> {
    let card = CardNumber::parse(card);
    let pin = Pin::parse(pin);
    let mut errors = Vec::new();
    if let Err(e) = &card {
        errors.push(FieldError::new("card", e));
    }
    if let Err(e) = &pin {
        errors.push(FieldError::new("pin", e));
    }
    let (Ok(card), Ok(pin)) = (card, pin) else {
        return Err(AppError::Validation(errors));
    };
    let limits = &state.config.rate_limits;
    if let Some(ip) = ctx.ip {
        state
            .limiter
            .hit(&format!("signin-ip:{ip}"), limits.signin_per_ip)?;
    }
    state.limiter.hit(
        &format!("patron-library:{}", library.id),
        limits.patron_per_library,
    )?;
    let pseudonym = state.store.libraries().pseudonym(library, &card)?;
    state.limiter.hit(
        &format!("patron-card:{}:{}", library.id, hex::encode(&pseudonym)),
        limits.patron_per_card,
    )?;
    match library.auth_method {
        PatronAuthMethod::Oidc => {
            return Err(AppError::Conflict(format!(
                "{} signs patrons in through its own sign-in page, not with a card number here. \
                 Use “Sign in with your library account” on the library's page.",
                library.name
            )));
        }
        PatronAuthMethod::Disabled => {
            return Err(AppError::Conflict(format!(
                "{} has not switched on card sign-in yet. Ask library staff: {}",
                library.name, library.contact
            )));
        }
        PatronAuthMethod::StaticList => {
            match state
                .store
                .libraries()
                .check_card_list(library, &card, &pin)
                .await?
            {
                ListVerdict::Valid => {}
                ListVerdict::WrongPin | ListVerdict::UnknownCard => {
                    return Err(wrong_card_or_pin());
                }
            }
        }
        PatronAuthMethod::Sip2 => {
            let client = state.sip2.client_for(state, library).await?;
            let today = state.store.clock.now().date_naive();
            let verdict = client
                .check_patron(card.expose(), pin.expose(), today)
                .await;
            drop(pin);
            match verdict {
                Ok(PatronVerdict::Valid) => {}
                Ok(PatronVerdict::WrongPin | PatronVerdict::UnknownCard) => {
                    return Err(wrong_card_or_pin());
                }
                Ok(PatronVerdict::Expired) => {
                    return Err(AppError::Refused {
                        problem: "urn:lyceum:problem:card-expired",
                        title: "Library card expired",
                        detail: format!(
                            "Your library card has expired, so it cannot be used to sign in. \
                             Your library can renew it: {}",
                            library.contact
                        ),
                    });
                }
                Ok(PatronVerdict::Blocked(reason)) => {
                    let why = match reason {
                        BlockReason::CardReportedLost => "Your library card has been reported lost",
                        _ => "Your library card is blocked",
                    };
                    return Err(AppError::Refused {
                        problem: "urn:lyceum:problem:card-blocked",
                        title: "Library card blocked",
                        detail: format!(
                            "{why}, so it cannot be used to sign in right now. \
                             Please contact your library: {}",
                            library.contact
                        ),
                    });
                }
                Err(e) => {
                    // The error text holds no card, PIN or patron data.
                    tracing::warn!(library = %library.slug, error = %e, "SIP2 card check failed");
                    return Err(unavailable(library));
                }
            }
        }
    }
    Ok(pseudonym)
}

/// Checks the card and PIN with the library and starts a guest session.
pub async fn sign_in(
    state: &AppState,
    ctx: &Ctx,
    library: &Library,
    input: PatronSignIn<'_>,
) -> Result<(Guest, NewSession), AppError> {
    let pseudonym = verify_card(state, ctx, library, input.card, input.pin).await?;
    let guest = match state.store.guests().sign_in(library, pseudonym).await {
        Ok(g) => g,
        Err(GuestSignInError::SeatsFull(_)) => return Err(seats_full(library)),
        Err(GuestSignInError::Store(e)) => return Err(e.into()),
    };
    if library.auth_method == PatronAuthMethod::Sip2 {
        // Recorded after the check because before it there is nobody to
        // record it for: a card that fails leaves no trace at all.
        state
            .store
            .record_disclosure(
                SubjectId::from(guest.id),
                &format!("library-system:{}", library.slug),
                "Checking your library card and PIN with your library's own system at sign-in",
                &[lyceum_core::domain::datamap::Category::Credentials],
            )
            .await?;
    }
    let shared = input.shared_computer.then_some(SharedDevice {
        idle_ms: i64::from(library.idle_minutes) * 60_000,
    });
    // Sign-in replaces the form's session: a fresh token, so a token seen
    // before sign-in is worth nothing after it.
    if let Some(old) = &ctx.session {
        state.store.sessions().delete(&old.token_hash).await?;
    }
    let session = state
        .store
        .sessions()
        .start(Holder::Guest(guest.id), shared)
        .await?;
    Ok((guest, session))
}

/// Links a library card to the signed-in member, after the library has
/// vouched for the card and PIN: the member's explicit choice to carry the
/// card's learning into their account. Reversible with [`unlink_card`].
pub async fn link_card(
    state: &AppState,
    ctx: &Ctx,
    library: &Library,
    card: &str,
    pin: &str,
) -> Result<(), AppError> {
    let member = ctx.member()?.id;
    let pseudonym = verify_card(state, ctx, library, card, pin).await?;
    let guest = state
        .store
        .guests()
        .find_or_create(library, pseudonym)
        .await?;
    if !state.store.guests().link(guest, member).await? {
        return Err(AppError::Conflict(
            "This library card is already linked to another member account. Detach it there first."
                .into(),
        ));
    }
    if library.auth_method == PatronAuthMethod::Sip2 {
        state
            .store
            .record_disclosure(
                SubjectId::from(guest),
                &format!("library-system:{}", library.slug),
                "Checking your library card and PIN with your library's own system",
                &[lyceum_core::domain::datamap::Category::Credentials],
            )
            .await?;
    }
    Ok(())
}

/// Detaches a linked card: the member's account stops showing the card's
/// learning, and the card is a pure guest again.
pub async fn unlink_card(state: &AppState, ctx: &Ctx, guest: GuestId) -> Result<(), AppError> {
    let member = ctx.member()?.id;
    if state.store.guests().unlink(guest, member).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Logs in to the library's SIP2 server and asks for its status: the
/// library admin's "test connection" button.
pub async fn test_sip2(state: &AppState, library: &Library) -> Result<ServerStatus, AppError> {
    let client = state.sip2.client_for(state, library).await?;
    client.test_connection().await.map_err(|e| match e {
        Sip2Error::LoginRefused => AppError::Conflict(
            "The library system refused the SIP2 login. Check the SIP2 user and password.".into(),
        ),
        Sip2Error::Unavailable(why) => AppError::Unavailable(format!(
            "The library system did not answer: {why}. Check the host, port and TLS setting, \
             and that this server may connect to it."
        )),
        Sip2Error::Protocol(why) => AppError::Unavailable(format!(
            "The library system answered, but not in SIP2 as expected: {why}. Check the port, \
             the TLS setting and the checksum setting."
        )),
    })
}
