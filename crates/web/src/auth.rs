//! Sign-up, sign-in and sign-out, shared by the HTML pages and the JSON
//! API so both follow the same rules: the same checks, the same rate
//! limits, the same answer for an unknown email and a wrong password.

use crate::AppState;
use crate::error::{AppError, FieldError};
use crate::session::Ctx;
use lyceum_core::domain::{DisplayName, Email, NewPassword, Role};
use lyceum_store::accounts::{Member, NewMember, SignUpError};
use lyceum_store::digests::SecurityEvent;
use lyceum_store::sessions::NewSession;

/// The one message for every failed sign-in, so nobody can learn from it
/// whether an address has an account.
pub const BAD_CREDENTIALS: &str = "The email address or password is not right.";

/// What a person typed to sign up.
#[derive(Debug, Default, Clone)]
pub struct SignUpInput {
    /// Email address.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Password.
    pub password: String,
}

/// Checks sign-up input, naming every field that needs attention.
pub fn parse_sign_up(input: &SignUpInput, role: Role) -> Result<NewMember, Vec<FieldError>> {
    let email = Email::parse(&input.email);
    let name = DisplayName::parse(&input.display_name);
    let password = NewPassword::parse(&input.password);
    match (email, name, password) {
        (Ok(email), Ok(display_name), Ok(password)) => Ok(NewMember {
            email,
            display_name,
            password,
            role,
        }),
        (email, name, password) => {
            let mut errors = Vec::new();
            if let Err(e) = email {
                errors.push(FieldError::new("email", e));
            }
            if let Err(e) = name {
                errors.push(FieldError::new("display_name", e));
            }
            if let Err(e) = password {
                errors.push(FieldError::new("password", e));
            }
            Err(errors)
        }
    }
}

pub(crate) fn ip_key(ctx: &Ctx) -> String {
    ctx.ip
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Creates an account and signs it in, replacing any anonymous session.
pub async fn sign_up(
    state: &AppState,
    ctx: &Ctx,
    input: &SignUpInput,
    role: Role,
) -> Result<(Member, NewSession), AppError> {
    state.limiter.hit(
        &format!("signup:{}", ip_key(ctx)),
        state.config.rate_limits.signup_per_ip,
    )?;
    let new = parse_sign_up(input, role).map_err(AppError::Validation)?;
    let accounts = state.store.accounts();
    let created = if role == Role::Operator {
        accounts.create_first_operator(new).await
    } else {
        accounts.create(new).await
    };
    let member = created.map_err(|e| match e {
        // Saying so reveals that the address has an account here. Until
        // sign-up confirms addresses by email (where the owner, not the
        // visitor, would be told), the rate limit above bounds how fast
        // anyone can probe.
        SignUpError::EmailTaken => AppError::Validation(vec![FieldError::new(
            "email",
            "An account with this email address already exists. Sign in instead.",
        )]),
        SignUpError::OperatorExists => AppError::Conflict("Lyceum has already been set up.".into()),
        SignUpError::Store(e) => e.into(),
    })?;
    if role == Role::Operator {
        state.mark_set_up();
    }
    let session = start_session(state, ctx, &member, false).await?;
    Ok((member, session))
}

/// Checks an email and password and starts a session.
pub async fn sign_in(
    state: &AppState,
    ctx: &Ctx,
    email: &str,
    password: &str,
    is_shared_device: bool,
) -> Result<(Member, NewSession), AppError> {
    state.limiter.hit(
        &format!("signin-ip:{}", ip_key(ctx)),
        state.config.rate_limits.signin_per_ip,
    )?;
    let unauthorized = || AppError::Unauthorized(BAD_CREDENTIALS.into());
    let Ok(email) = Email::parse(email) else {
        return Err(unauthorized());
    };
    // Counted per account as well, so spreading guesses over many
    // addresses does not help against one person's password. The key is
    // the blind index's input only in memory, never stored.
    state.limiter.hit(
        &format!("signin-account:{}", email.normalised()),
        state.config.rate_limits.signin_per_account,
    )?;
    if password.chars().count() > NewPassword::MAX_CHARS {
        return Err(unauthorized());
    }
    let member = state
        .store
        .accounts()
        .verify_password(&email, password)
        .await?
        .ok_or_else(unauthorized)?;
    let session = start_session(state, ctx, &member, is_shared_device).await?;
    Ok((member, session))
}

/// Starts a member session. The anonymous session that carried the form's
/// CSRF token is deleted: the token changes at sign-in (no fixation).
async fn start_session(
    state: &AppState,
    ctx: &Ctx,
    member: &Member,
    is_shared_device: bool,
) -> Result<NewSession, AppError> {
    if let Some(old) = &ctx.session {
        state.store.sessions().delete(&old.token_hash).await?;
    }
    Ok(state
        .store
        .sessions()
        .create(Some(member.id), is_shared_device)
        .await?)
}

/// Ends the current session.
pub async fn sign_out(state: &AppState, ctx: &Ctx) -> Result<(), AppError> {
    if let Some(s) = &ctx.session {
        state.store.sessions().delete(&s.token_hash).await?;
    }
    Ok(())
}

/// Ends every session of the signed-in member.
pub async fn sign_out_everywhere(state: &AppState, ctx: &Ctx) -> Result<u64, AppError> {
    let member = ctx.member()?;
    let ended = state
        .store
        .sessions()
        .delete_all_for(member.id, None)
        .await?;
    security_mail(state, member.id, SecurityEvent::SignedOutEverywhere).await?;
    Ok(ended)
}

/// Tells the member by email, where this instance sends email.
async fn security_mail(
    state: &AppState,
    member: lyceum_core::domain::MemberId,
    event: SecurityEvent,
) -> Result<(), AppError> {
    if state.sends_mail {
        state.store.queue_security_mail(member, event).await?;
    }
    Ok(())
}

/// Changes the password after checking the current one; other sessions end.
pub async fn change_password(
    state: &AppState,
    ctx: &Ctx,
    current: &str,
    new: &str,
) -> Result<(), AppError> {
    let member = ctx.member()?;
    state.limiter.hit(
        &format!("password:{}", member.id),
        state.config.rate_limits.signin_per_account,
    )?;
    let new = NewPassword::parse(new)
        .map_err(|e| AppError::Validation(vec![FieldError::new("new_password", e)]))?;
    if current.chars().count() > NewPassword::MAX_CHARS
        || !state
            .store
            .accounts()
            .change_password(member.id, current, new)
            .await?
    {
        return Err(AppError::Validation(vec![FieldError::new(
            "current_password",
            "Your current password is not right.",
        )]));
    }
    let keep = ctx.session.as_ref().map(|s| s.token_hash.as_slice());
    state
        .store
        .sessions()
        .delete_all_for(member.id, keep)
        .await?;
    security_mail(state, member.id, SecurityEvent::PasswordChanged).await
}

/// Erases the signed-in member after checking their password: the key is
/// destroyed at once, the rows by the job queue within moments.
pub async fn erase_account(
    state: &AppState,
    ctx: &Ctx,
    password: &str,
) -> Result<chrono::DateTime<chrono::Utc>, AppError> {
    let member = ctx.member()?;
    state.limiter.hit(
        &format!("password:{}", member.id),
        state.config.rate_limits.signin_per_account,
    )?;
    if password.chars().count() > NewPassword::MAX_CHARS
        || !state
            .store
            .accounts()
            .check_password(member.id, password)
            .await?
    {
        return Err(AppError::Validation(vec![FieldError::new(
            "password",
            "Your password is not right.",
        )]));
    }
    // An instance without an operator cannot be run or set up again from
    // the web, so the last operator must hand over first.
    if member.role == Role::Operator && state.store.accounts().operator_count().await? <= 1 {
        return Err(AppError::Conflict(
            "You are the only operator of this Lyceum. Create another operator account (lyceum admin create-operator) before erasing yours.".into(),
        ));
    }
    // Library cards the member linked carry their learning: "erase
    // everything about me" includes it. (A member who wants to keep the
    // card's history as a guest detaches it first.)
    for (guest, _) in state.store.guests().linked_to(member.id).await? {
        state.store.guests().erase(guest.id).await?;
    }
    state
        .store
        .erase_now(lyceum_core::domain::SubjectId::from(member.id))
        .await?;
    Ok(state.store.clock.now())
}
