//! Patron sign-in through the library's own identity provider, with
//! OpenID Connect: the authorization code flow with PKCE (RFC 7636).
//!
//! Lyceum asks for the `openid` scope only: no name, no email, no profile.
//! Of the ID token it keeps nothing but a keyed pseudonym of the subject
//! (`sub`), computed like a card's; libraries should register Lyceum for
//! pairwise subject identifiers, so the provider hands Lyceum a `sub` that
//! means nothing anywhere else.
//!
//! The ID token's signature is not checked. It arrives in the direct,
//! TLS-protected response of the token endpoint, which OpenID Connect Core
//! §3.1.3.7 (6) allows to stand in for signature validation; the issuer
//! must therefore be `https://` (loopback excepted, for tests and local
//! development). Issuer, audience, expiry and nonce are all checked.

use crate::AppState;
use crate::error::AppError;
use crate::session::Ctx;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lyceum_store::guests::{Guest, GuestSignInError};
use lyceum_store::libraries::{Library, OidcSettings};
use lyceum_store::sessions::{Holder, NewSession, SharedDevice};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long discovered provider metadata is reused.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);

/// The parts of a provider's discovery document Lyceum uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    /// The issuer, exactly as ID tokens name it.
    pub issuer: String,
    /// Where the patron is sent to sign in.
    pub authorization_endpoint: String,
    /// Where the code is exchanged.
    pub token_endpoint: String,
}

/// The HTTP client and the discovery cache.
pub struct OidcClient {
    http: reqwest::Client,
    discovered: Mutex<HashMap<String, (Instant, Discovery)>>,
}

impl Default for OidcClient {
    fn default() -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            discovered: Mutex::new(HashMap::new()),
        }
    }
}

impl std::fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OidcClient")
    }
}

fn unavailable(library: &Library) -> AppError {
    AppError::Unavailable(format!(
        "Your library's sign-in service is not answering right now. Try again in a few minutes, \
         or ask library staff for help: {}",
        library.contact
    ))
}

fn refused() -> AppError {
    AppError::Unauthorized(
        "Your library's sign-in service did not confirm who you are. Start again; if it keeps \
         happening, ask library staff."
            .into(),
    )
}

fn random_b64(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

impl OidcClient {
    async fn discover(&self, library: &Library, s: &OidcSettings) -> Result<Discovery, AppError> {
        if let Some((at, d)) = self
            .discovered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&s.issuer)
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(d.clone());
        }
        let url = format!("{}/.well-known/openid-configuration", s.issuer);
        let res = self.http.get(&url).send().await.map_err(|e| {
            tracing::warn!(library = %library.slug, error = %e, "OpenID discovery failed");
            unavailable(library)
        })?;
        if !res.status().is_success() {
            tracing::warn!(library = %library.slug, status = %res.status(), "OpenID discovery refused");
            return Err(unavailable(library));
        }
        let d: Discovery = res.json().await.map_err(|e| {
            tracing::warn!(library = %library.slug, error = %e, "OpenID discovery unreadable");
            unavailable(library)
        })?;
        if d.issuer.trim_end_matches('/') != s.issuer {
            tracing::warn!(library = %library.slug, "OpenID discovery names another issuer");
            return Err(unavailable(library));
        }
        self.discovered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(s.issuer.clone(), (Instant::now(), d.clone()));
        Ok(d)
    }
}

/// The origin (scheme, host, port) the patron's browser is sent to for
/// signing in, for the library page's `form-action`: the discovered
/// authorization endpoint's when known, else the issuer's.
pub async fn sign_in_origin(state: &AppState, library: &Library) -> Option<String> {
    let settings = library.oidc.as_ref()?;
    let endpoint = match state.oidc.discover(library, settings).await {
        Ok(d) => d.authorization_endpoint,
        Err(_) => settings.issuer.clone(),
    };
    let url = reqwest::Url::parse(&endpoint).ok()?;
    Some(url.origin().ascii_serialization())
}

/// The address the provider sends the patron back to.
pub fn redirect_uri(state: &AppState, host: Option<&str>, library: &Library) -> String {
    format!(
        "{}/libraries/{}/oidc/callback",
        state.public_base(host),
        library.slug
    )
}

/// Starts a sign-in: where to send the patron's browser.
pub async fn start(
    state: &AppState,
    library: &Library,
    shared: bool,
    redirect_uri: &str,
) -> Result<String, AppError> {
    let settings = library.oidc.as_ref().ok_or_else(|| {
        AppError::Conflict(format!(
            "{} has not set up sign-in with a library account. Ask library staff: {}",
            library.name, library.contact
        ))
    })?;
    let d = state.oidc.discover(library, settings).await?;
    let csrf_state = random_b64(32);
    let nonce = random_b64(32);
    let verifier = random_b64(48);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    state
        .store
        .libraries()
        .begin_oidc(library.id, &csrf_state, &verifier, &nonce, shared)
        .await?;
    let mut url =
        reqwest::Url::parse(&d.authorization_endpoint).map_err(|_| unavailable(library))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &settings.client_id)
        .append_pair("redirect_uri", redirect_uri)
        // `openid` only: Lyceum wants to know that the library vouches for
        // this person, not who they are.
        .append_pair("scope", "openid")
        .append_pair("state", &csrf_state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    Ok(url.into())
}

/// What the provider sends back.
#[derive(Debug, Deserialize)]
pub struct Callback {
    /// The authorization code.
    #[serde(default)]
    pub code: Option<String>,
    /// Our state, returned.
    #[serde(default)]
    pub state: Option<String>,
    /// An error code when the sign-in was refused or cancelled.
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    id_token: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: Audience,
    exp: i64,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    azp: Option<String>,
}

/// Checks an ID token's claims (see the module doc for the signature).
fn validate(
    id_token: &str,
    issuer: &str,
    client_id: &str,
    nonce: &str,
    now_secs: i64,
) -> Result<String, &'static str> {
    let payload = id_token.split('.').nth(1).ok_or("not a JWT")?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| "payload is not base64url")?;
    let c: Claims = serde_json::from_slice(&bytes).map_err(|_| "claims unreadable")?;
    if c.iss.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err("wrong issuer");
    }
    let audience_ok = match &c.aud {
        Audience::One(a) => a == client_id,
        Audience::Many(list) => {
            list.iter().any(|a| a == client_id)
                && (list.len() == 1 || c.azp.as_deref() == Some(client_id))
        }
    };
    if !audience_ok {
        return Err("wrong audience");
    }
    // A minute of leeway for clocks that disagree a little.
    if c.exp + 60 < now_secs {
        return Err("expired");
    }
    if c.nonce.as_deref() != Some(nonce) {
        return Err("wrong nonce");
    }
    if c.sub.is_empty() || c.sub.len() > 255 {
        return Err("no usable subject");
    }
    Ok(c.sub)
}

/// Finishes a sign-in: checks the state, exchanges the code, checks the
/// ID token and starts the guest session.
pub async fn finish(
    state: &AppState,
    ctx: &Ctx,
    library: &Library,
    cb: Callback,
    redirect_uri: &str,
) -> Result<(Guest, NewSession), AppError> {
    let settings = library.oidc.as_ref().ok_or(AppError::NotFound)?;
    if let Some(err) = cb.error {
        tracing::info!(library = %library.slug, error = %err.chars().take(64).collect::<String>(), "OpenID sign-in refused at the provider");
        return Err(AppError::Unauthorized(
            "The sign-in was cancelled or refused on your library's sign-in page. You can start again."
                .into(),
        ));
    }
    let (Some(code), Some(csrf_state)) = (cb.code, cb.state) else {
        return Err(AppError::BadRequest(
            "This sign-in address is incomplete. Start again from your library's page.".into(),
        ));
    };
    let Some((verifier, nonce, shared)) = state
        .store
        .libraries()
        .finish_oidc(library.id, &csrf_state)
        .await?
    else {
        return Err(AppError::BadRequest(
            "This sign-in has expired or was already used. Start again from your library's page."
                .into(),
        ));
    };
    let d = state.oidc.discover(library, settings).await?;
    let secret = state
        .store
        .libraries()
        .oidc_client_secret(library.id)
        .await?;
    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code),
        ("redirect_uri", redirect_uri.to_owned()),
        ("client_id", settings.client_id.clone()),
        ("code_verifier", verifier),
    ];
    if let Some(secret) = secret {
        form.push(("client_secret", secret));
    }
    let res = state
        .oidc
        .http
        .post(&d.token_endpoint)
        .form(&form)
        .send()
        .await
        .map_err(|e| {
            tracing::warn!(library = %library.slug, error = %e, "OpenID token request failed");
            unavailable(library)
        })?;
    if !res.status().is_success() {
        tracing::warn!(library = %library.slug, status = %res.status(), "OpenID token request refused");
        return Err(refused());
    }
    let tokens: TokenResponse = res.json().await.map_err(|_| refused())?;
    let now = state.store.clock.now().timestamp();
    let sub = validate(
        &tokens.id_token,
        &d.issuer,
        &settings.client_id,
        &nonce,
        now,
    )
    .map_err(|why| {
        tracing::warn!(library = %library.slug, why, "OpenID ID token refused");
        refused()
    })?;
    let pseudonym = state
        .store
        .libraries()
        .pseudonym_of_subject(library, &sub)?;
    drop(sub);
    let guest = match state.store.guests().sign_in(library, pseudonym).await {
        Ok(g) => g,
        Err(GuestSignInError::SeatsFull(_)) => return Err(crate::patrons::seats_full(library)),
        Err(GuestSignInError::Store(e)) => return Err(e.into()),
    };
    if let Some(old) = &ctx.session {
        state.store.sessions().delete(&old.token_hash).await?;
    }
    let session = state
        .store
        .sessions()
        .start(
            Holder::Guest(guest.id),
            shared.then_some(SharedDevice {
                idle_ms: i64::from(library.idle_minutes) * 60_000,
            }),
        )
        .await?;
    Ok((guest, session))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: serde_json::Value) -> String {
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    #[test]
    fn id_tokens_are_checked_for_issuer_audience_expiry_and_nonce() {
        // Each claim that could let another site's or an old token in is refused.
        let good = serde_json::json!({"iss": "https://idp.example", "sub": "abc", "aud": "lyceum", "exp": 2000, "nonce": "n1"});
        assert_eq!(
            validate(
                &token(good.clone()),
                "https://idp.example",
                "lyceum",
                "n1",
                1000
            ),
            Ok("abc".into())
        );
        let mut c = good.clone();
        c["iss"] = "https://evil.example".into();
        assert_eq!(
            validate(&token(c), "https://idp.example", "lyceum", "n1", 1000),
            Err("wrong issuer")
        );
        let mut c = good.clone();
        c["aud"] = serde_json::json!(["other", "lyceum"]);
        assert_eq!(
            validate(&token(c), "https://idp.example", "lyceum", "n1", 1000),
            Err("wrong audience")
        );
        assert_eq!(
            validate(
                &token(good.clone()),
                "https://idp.example",
                "lyceum",
                "n1",
                5000
            ),
            Err("expired")
        );
        assert_eq!(
            validate(&token(good), "https://idp.example", "lyceum", "n2", 1000),
            Err("wrong nonce")
        );
        assert_eq!(
            validate("garbage", "https://idp.example", "lyceum", "n1", 1000),
            Err("not a JWT")
        );
    }
}
