//! The HTML pages: setup, forms, CSRF, headers, errors.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn first_visit_leads_to_setup_which_creates_the_operator_once() {
    // A fresh instance sends visitors to /setup; after setup, /setup is gone.
    let app = spawn_app().await;
    let (status, headers, _) = app.get_page(&client(), "/").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/setup");
    let op = app.set_up().await;
    let (status, me) = app.get_json(&op, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "operator");
    let (status, _, html) = app.get_page(&client(), "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>Lyceum"));
    let (status, _, _) = app.get_page(&client(), "/setup").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let late = client();
    let (status, _, _) = app
        .submit_form(
            &late,
            "/signin",
            "/setup",
            &[
                ("email", "x@example.org"),
                ("display_name", "X"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sign_up_form_shows_errors_beside_fields_and_keeps_input() {
    // A mistake re-renders the form with a summary, inline messages and what was typed (never the password).
    let app = spawn_app().await;
    let c = client();
    let (status, _, html) = app
        .submit_form(
            &c,
            "/signup",
            "/signup",
            &[
                ("email", "ann@example.org"),
                ("display_name", "Ann"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("class=\"error-summary\" role=\"alert\""));
    assert!(html.contains("There is a problem"));
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(html.contains("aria-describedby=\"password-hint password-error\""));
    assert!(html.contains("value=\"ann@example.org\""));
    assert!(!html.contains("value=\"short\""));
}

#[tokio::test]
async fn forms_without_the_session_token_are_refused() {
    // A form post with a missing or wrong CSRF token changes nothing.
    let app = spawn_app().await;
    let c = client();
    app.get_page(&c, "/signup").await;
    let res = c
        .post(app.url("/signup"))
        .form(&[
            ("csrf", "forged"),
            ("email", "ann@example.org"),
            ("display_name", "Ann"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.store.accounts().count().await.expect("count"), 0);
}

#[tokio::test]
async fn cross_site_posts_are_refused_before_any_handler() {
    // A page on another site cannot make a signed-in browser sign out or change anything.
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let res = ann
        .client
        .post(app.url("/api/v1/auth/signout"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = ann
        .client
        .post(app.url("/signout"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("csrf", "x")])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get_json(&ann.client, "/api/v1/me").await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn every_page_sends_a_strict_csp_and_personal_pages_are_not_cached() {
    // No page can load from another origin, and shared computers keep no copy of personal pages.
    let app = spawn_app().await;
    let op = app.set_up().await;
    for path in [
        "/",
        "/signin",
        "/signup",
        "/me",
        "/me/security",
        "/privacy",
        "/nope",
    ] {
        let (_, headers, _) = app.get_page(&op, path).await;
        let csp = headers
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(csp.starts_with("default-src 'self'"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
    }
    let (_, headers, html) = app.get_page(&op, "/me").await;
    assert_eq!(headers["cache-control"], "no-store");
    assert!(html.contains("operator@example.org"));
}

#[tokio::test]
async fn pages_reference_no_other_origin() {
    // Scripts, styles, images and frames all come from this instance.
    let app = spawn_app().await;
    let op = app.set_up().await;
    for path in ["/", "/signin", "/signup", "/me", "/me/security", "/privacy"] {
        let (_, _, html) = app.get_page(&op, path).await;
        for attr in [
            "src=\"http",
            "href=\"http",
            "src=\"//",
            "href=\"//",
            "url(http",
        ] {
            assert!(
                !html.contains(attr),
                "{path} references another origin ({attr})"
            );
        }
    }
}

#[tokio::test]
async fn unknown_addresses_get_a_readable_404_in_the_right_form() {
    // People get a page; API clients get a problem document.
    let app = spawn_app().await;
    let (status, _, html) = app.get_page(&client(), "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("<h1>Page not found</h1>"));
    let res = client()
        .get(app.url("/api/v1/no-such-thing"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn signing_in_and_out_through_the_pages() {
    // The whole page flow: sign up, sign out, a wrong password, sign in, sign out everywhere.
    let app = spawn_app().await;
    app.set_up().await;
    let c = client();
    let (status, headers, _) = app
        .submit_form(
            &c,
            "/signup",
            "/signup",
            &[
                ("email", "bo@example.org"),
                ("display_name", "Bo"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/me");
    let (_, _, me) = app.get_page(&c, "/me").await;
    assert!(me.contains("<h1>Your account</h1>") && me.contains("bo@example.org"));
    let (status, _, _) = app.submit_form(&c, "/me", "/signout", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, headers, _) = app.get_page(&c, "/me").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/signin");
    let (status, _, html) = app
        .submit_form(
            &c,
            "/signin",
            "/signin",
            &[("email", "bo@example.org"), ("password", "wrong password!")],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("The email address or password is not right."));
    let (status, _, _) = app
        .submit_form(
            &c,
            "/signin",
            "/signin",
            &[("email", "bo@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = app
        .submit_form(&c, "/me/security", "/signout-everywhere", &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.get_page(&c, "/me").await.0, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_privacy_notice_lists_every_personal_field_of_the_data_map() {
    // The notice is generated from the data map, so each declared purpose appears on it.
    let app = spawn_app().await;
    let (status, _, html) = app.get_page(&client(), "/privacy").await;
    assert_eq!(status, StatusCode::OK);
    for table in lyceum_store::datamap::registry() {
        for (_, field) in table.personal_fields() {
            // As the template writes it: HTML-escaped.
            let escaped = field
                .purpose
                .replace('&', "&amp;")
                .replace('\'', "&#39;")
                .replace('"', "&quot;");
            assert!(
                html.contains(&escaped),
                "missing purpose: {}",
                field.purpose
            );
        }
    }
}

/// Every value of an attribute in a page (`href="…"`, `src="…"`, `action="…"`).
fn attribute_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let marker = format!("{attr}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&marker) {
        rest = &rest[i + marker.len()..];
        if let Some(end) = rest.find('"') {
            out.push(&rest[..end]);
            rest = &rest[end..];
        }
    }
    out
}

#[tokio::test]
async fn crawling_every_page_finds_one_cookie_a_strict_csp_and_no_other_origin() {
    // Privacy invariant 5, checked on every page a visitor or a member can reach by following links.
    let app = spawn_app().await;
    let member = app.set_up().await;
    for (who, c) in [("visitor", client()), ("member", member)] {
        let mut queue = vec!["/".to_owned()];
        let mut seen = std::collections::HashSet::new();
        while let Some(path) = queue.pop() {
            if !seen.insert(path.clone()) || seen.len() > 100 {
                continue;
            }
            let res = c.get(app.url(&path)).send().await.expect("request");
            let status = res.status();
            assert!(status.as_u16() < 500, "{who}: {path} answered {status}");
            let headers = res.headers().clone();
            let cookies = set_cookies(&headers);
            assert!(cookies.len() <= 1, "{who}: {path} sets {cookies:?}");
            assert!(
                cookies
                    .iter()
                    .all(|c| c.starts_with("lyceum_session=") && c.contains("HttpOnly")),
                "{who}: {path} sets {cookies:?}"
            );
            let csp = headers
                .get("content-security-policy")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            assert!(
                csp.starts_with("default-src 'self'"),
                "{who}: {path} has CSP {csp:?}"
            );
            if let Some(next) = headers.get("location").and_then(|v| v.to_str().ok()) {
                queue.push(next.to_owned());
                continue;
            }
            let body = res.text().await.unwrap_or_default();
            for attr in ["href", "src", "action", "srcset", "poster", "data"] {
                for value in attribute_values(&body, attr) {
                    assert!(
                        !(value.starts_with("http:")
                            || value.starts_with("https:")
                            || value.starts_with("//")),
                        "{who}: {path} refers to another origin: {attr}={value}"
                    );
                    if attr == "href" && value.starts_with('/') {
                        queue.push(value.split('#').next().unwrap_or(value).to_owned());
                    }
                }
            }
            assert!(
                !body.contains("url(http") && !body.contains("@import"),
                "{who}: {path} loads a style from elsewhere"
            );
        }
        let expected: &[&str] = if who == "member" {
            &[
                "/",
                "/privacy",
                "/static/app.css",
                "/me",
                "/me/security",
                "/me/choices",
            ]
        } else {
            &["/", "/privacy", "/static/app.css", "/signin", "/signup"]
        };
        for page in expected {
            assert!(seen.contains(*page), "{who} never reached {page}: {seen:?}");
        }
    }
}
