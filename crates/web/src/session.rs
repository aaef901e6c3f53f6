//! The session cookie and the request context built from it.
//!
//! Lyceum sets exactly one cookie, `lyceum_session`: HttpOnly, SameSite=Lax,
//! Secure behind TLS, Path=/. It holds a random token; the session itself
//! lives in the database. Its CSRF token protects every form: a form post
//! must carry the token of the session that rendered the form.

use crate::AppState;
use crate::error::AppError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use lyceum_store::accounts::Member;
use lyceum_store::guests::Guest;
use lyceum_store::libraries::Library;
use lyceum_store::sessions::Session;
use std::net::{IpAddr, SocketAddr};

/// The cookie's name.
pub const COOKIE: &str = "lyceum_session";

/// Who is asking: their session (if any), the member signed in (if any),
/// and the client address, which is kept only in rate-limit memory.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The session the cookie points to.
    pub session: Option<Session>,
    /// The signed-in member.
    pub member: Option<Member>,
    /// The signed-in guest learner and their library.
    pub guest: Option<(Guest, Library)>,
    /// The date of the next announced privacy change, for people who are
    /// signed in (they are told on every page until it takes effect).
    pub notice_change: Option<chrono::DateTime<chrono::Utc>>,
    /// The client's address.
    pub ip: Option<IpAddr>,
}

impl Ctx {
    /// The signed-in member, or 401.
    pub fn member(&self) -> Result<&Member, AppError> {
        self.member
            .as_ref()
            .ok_or_else(|| AppError::Unauthorized("Sign in to continue.".into()))
    }

    /// The data subject signed in (a member or a guest learner), or 401.
    pub fn subject(&self) -> Result<lyceum_core::domain::SubjectId, AppError> {
        if let Some(m) = &self.member {
            return Ok(m.id.into());
        }
        if let Some((g, _)) = &self.guest {
            return Ok(g.id.into());
        }
        Err(AppError::Unauthorized("Sign in to continue.".into()))
    }

    /// The signed-in guest learner and their library, or 401.
    pub fn guest(&self) -> Result<&(Guest, Library), AppError> {
        self.guest.as_ref().ok_or_else(|| {
            AppError::Unauthorized("Sign in with your library card to continue.".into())
        })
    }

    /// Checks a form's CSRF token against the session that rendered it.
    pub fn check_csrf(&self, token: &str) -> Result<(), AppError> {
        let ok = self
            .session
            .as_ref()
            .is_some_and(|s| constant_time_eq(s.csrf_token.as_bytes(), token.as_bytes()));
        if ok {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "This form has expired or was sent from another site. Go back, reload the page and try again.".into(),
            ))
        }
    }

    /// The CSRF token to put in forms, if there is a session.
    pub fn csrf(&self) -> &str {
        self.session
            .as_ref()
            .map(|s| s.csrf_token.as_str())
            .unwrap_or("")
    }
}

/// The client's address. Behind a reverse proxy every connection comes
/// from the proxy, so when the peer is one of the configured trusted
/// proxies, the address is taken from `X-Forwarded-For`: the rightmost
/// entry that is not itself a trusted proxy (entries further left were
/// written by the client and can be forged). With no trusted proxies the
/// header is ignored.
pub fn client_ip(
    peer: Option<IpAddr>,
    headers: &axum::http::HeaderMap,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted.contains(ip))
            .unwrap_or(peer),
    )
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The session token from the Cookie header, if present.
pub fn token_from(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|line| {
            line.split(';').find_map(|pair| {
                let (k, v) = pair.trim().split_once('=')?;
                (k == COOKIE).then(|| v.to_owned())
            })
        })
}

/// When the context cannot be built (the database is down), the answer
/// takes the form the client expects: a problem document under `/api/`,
/// an HTML page elsewhere.
#[derive(Debug)]
pub struct CtxRejection {
    error: AppError,
    is_api: bool,
}

impl axum::response::IntoResponse for CtxRejection {
    fn into_response(self) -> axum::response::Response {
        if self.is_api {
            crate::error::ApiError(self.error).into_response()
        } else {
            crate::error::PageError(self.error).into_response()
        }
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = CtxRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let is_api = parts.uri.path().starts_with("/api/");
        Self::load(parts, state)
            .await
            .map_err(|error| CtxRejection { error, is_api })
    }
}

impl Ctx {
    async fn load(parts: &Parts, state: &AppState) -> Result<Self, AppError> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let ip = client_ip(peer, &parts.headers, &state.config.trusted_proxies);
        let Some(token) = token_from(parts) else {
            return Ok(Ctx {
                session: None,
                member: None,
                guest: None,
                notice_change: None,
                ip,
            });
        };
        let session = state.store.sessions().find(&token).await?;
        let member = match session.as_ref().and_then(|s| s.member_id) {
            Some(id) => match state.store.accounts().get(id).await {
                Ok(m) => m,
                // The member was erased while the session was open.
                Err(lyceum_store::StoreError::KeyDestroyed) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let guest = match session.as_ref().and_then(|s| s.guest_id) {
            Some(id) => match state.store.guests().get(id).await? {
                Some(g) => state
                    .store
                    .libraries()
                    .get(g.library_id)
                    .await?
                    .map(|l| (g, l)),
                None => None,
            },
            None => None,
        };
        let notice_change = if member.is_some() || guest.is_some() {
            crate::notice::next_change(state, state.store.clock.now())
        } else {
            None
        };
        Ok(Ctx {
            session,
            member,
            guest,
            notice_change,
            ip,
        })
    }
}

/// A `Set-Cookie` value that stores the session token.
pub fn set_cookie(token: &str, max_age_secs: Option<i64>, secure: bool) -> HeaderValue {
    let mut v = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age_secs {
        v.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        v.push_str("; Secure");
    }
    HeaderValue::from_str(&v).expect("token is hex, so the header value is ASCII")
}

/// A `Set-Cookie` value that removes the cookie.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    let mut v = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    if secure {
        v.push_str("; Secure");
    }
    HeaderValue::from_str(&v).expect("static ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        // A direct client cannot pick its own address; a trusted proxy's report is used.
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "6.6.6.6, 203.0.113.9".parse().expect("header"),
        );
        let proxy = ip("127.0.0.1");
        assert_eq!(
            client_ip(Some(ip("198.51.100.1")), &h, &[proxy]),
            Some(ip("198.51.100.1"))
        );
        assert_eq!(client_ip(Some(proxy), &h, &[]), Some(proxy));
        assert_eq!(
            client_ip(Some(proxy), &h, &[proxy]),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            client_ip(Some(proxy), &HeaderMap::new(), &[proxy]),
            Some(proxy)
        );
    }

    #[test]
    fn constant_time_eq_compares_exactly() {
        // Tokens match only when every byte matches.
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
