//! Security middleware and the rate limiter.
//!
//! - Every response carries a strict CSP (`default-src 'self'`, no inline
//!   script), `X-Content-Type-Options`, `Referrer-Policy: no-referrer`, a
//!   `Permissions-Policy` that turns off sensors, and frame denial.
//! - State-changing requests from another site are refused before any
//!   handler runs, using the `Sec-Fetch-Site` and `Origin` headers that
//!   browsers send. Forms also carry a CSRF token; this check is the second
//!   lock on the same door, and the only one the JSON API needs (a
//!   cross-site page cannot send `application/json` without a CORS
//!   preflight, which we never grant).
//! - The rate limiter keeps counts in memory only, for at most one window,
//!   so client addresses are never stored (privacy invariant 5).

use crate::error::{ApiError, AppError, PageError};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The content security policy for every response.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
                       frame-ancestors 'none'; form-action 'self'";

/// The default policy with one more origin a form may lead to. Browsers
/// apply `form-action` to where a form's submission is redirected, so a
/// form that starts a sign-in at another site needs that site named.
pub fn csp_with_form_target(origin: &str) -> Option<HeaderValue> {
    let clean = origin
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ":/.-[]".contains(c));
    if !clean {
        return None;
    }
    HeaderValue::from_str(&CSP.replace(
        "form-action 'self'",
        &format!("form-action 'self' {origin}"),
    ))
    .ok()
}

/// Adds the security headers to every response.
pub async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // A handler may set a stricter or page-specific policy of its own (the
    // library page whose form leads to the library's sign-in provider);
    // every other response gets the default.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static(
            "camera=(), microphone=(), geolocation=(), interest-cohort=(), browsing-topics=()",
        ),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    res
}

/// Whether a state-changing request comes from another site.
pub fn is_cross_site(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        // `none` is a person typing the address or using a bookmark.
        return !matches!(site, "same-origin" | "none");
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
        return origin == "null" || !origin_host.eq_ignore_ascii_case(host);
    }
    // Neither header: not a modern browser (curl, the API clients), which
    // cannot be tricked into a cross-site request.
    false
}

/// Refuses cross-site state-changing requests.
pub async fn same_origin(req: Request, next: Next) -> Response {
    if is_cross_site(req.method(), req.headers()) {
        let e = AppError::Forbidden("Requests from other sites are not accepted.".into());
        return if req.uri().path().starts_with("/api/") {
            ApiError(e).into_response()
        } else {
            PageError(e).into_response()
        };
    }
    next.run(req).await
}

/// A fixed-window counter per key, in memory.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

/// One limit: at most `max` hits per `window`; `max == 0` means no limit.
#[derive(Debug, Clone, Copy, serde::Deserialize, serde::Serialize)]
pub struct Limit {
    /// Allowed hits per window.
    pub max: u32,
    /// Window length in seconds.
    pub window_secs: u64,
}

impl RateLimiter {
    /// Counts a hit for `key`; errors with the seconds to wait when over.
    pub fn hit(&self, key: &str, limit: Limit) -> Result<(), AppError> {
        if limit.max == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let window = Duration::from_secs(limit.window_secs.max(1));
        let mut map = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        // Forget old windows now and then so memory stays bounded and no
        // address is remembered longer than its window.
        if map.len() > 10_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = map.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        if entry.1 >= limit.max {
            let wait = window
                .saturating_sub(now.duration_since(entry.0))
                .as_secs()
                .max(1);
            return Err(AppError::TooManyRequests { retry_after: wait });
        }
        entry.1 += 1;
        Ok(())
    }
}

/// Records request counts and latencies per route for `/metrics`. Routes
/// are the matched patterns (`/api/v1/me`), never raw paths, so no id or
/// personal value becomes a label.
pub async fn metrics(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("lyceum_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("lyceum_http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_site_posts_are_recognised() {
        // A form post from another site is refused; same-site posts and API clients pass.
        let mut h = HeaderMap::new();
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(is_cross_site(&Method::POST, &h));
        assert!(!is_cross_site(&Method::GET, &h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(!is_cross_site(&Method::POST, &h));
        let mut o = HeaderMap::new();
        o.insert(header::HOST, HeaderValue::from_static("lyceum.example"));
        o.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(is_cross_site(&Method::POST, &o));
        o.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://lyceum.example"),
        );
        assert!(!is_cross_site(&Method::POST, &o));
        assert!(!is_cross_site(&Method::POST, &HeaderMap::new()));
    }

    #[test]
    fn limiter_refuses_after_max_and_names_the_wait() {
        // The sixth try within a minute is refused with a retry time.
        let l = RateLimiter::default();
        let limit = Limit {
            max: 5,
            window_secs: 60,
        };
        for _ in 0..5 {
            assert!(l.hit("k", limit).is_ok());
        }
        match l.hit("k", limit) {
            Err(AppError::TooManyRequests { retry_after }) => {
                assert!(retry_after > 0 && retry_after <= 60)
            }
            other => panic!("expected a rate limit, got {other:?}"),
        }
        assert!(l.hit("other", limit).is_ok());
    }
}
