//! Accounts and sessions through the JSON API.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn sign_up_signs_in_and_me_returns_the_account() {
    // A person signs up; the same client is signed in and sees their own account.
    let app = spawn_app().await;
    let ann = app.sign_up("Ann.Lee@Example.org", "Ann Lee").await;
    let (status, me) = app.get_json(&ann.client, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["email"], "Ann.Lee@example.org");
    assert_eq!(me["display_name"], "Ann Lee");
    assert_eq!(me["role"], "member");
}

#[tokio::test]
async fn me_without_a_session_is_401_problem() {
    // An anonymous client asking for /me gets a problem document, not a page.
    let app = spawn_app().await;
    let res = client()
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["type"], "urn:lyceum:problem:unauthorized");
    assert_eq!(body["status"], 401);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    // Nobody can learn from sign-in whether an address has an account.
    let app = spawn_app().await;
    app.sign_up("ann@example.org", "Ann").await;
    let c = client();
    let (s1, _, wrong) = app
        .post_json(
            &c,
            "/api/v1/auth/signin",
            json!({"email": "ann@example.org", "password": "not the password at all"}),
        )
        .await;
    let (s2, _, unknown) = app
        .post_json(
            &c,
            "/api/v1/auth/signin",
            json!({"email": "nobody@example.org", "password": "not the password at all"}),
        )
        .await;
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!(s2, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong, unknown);
    // Email matching ignores case, as people type addresses either way.
    let (s3, _, _) = app
        .post_json(
            &c,
            "/api/v1/auth/signin",
            json!({"email": "ANN@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s3, StatusCode::OK);
}

#[tokio::test]
async fn sign_out_ends_the_session_on_the_server() {
    // After sign-out, replaying the old cookie does not work.
    let app = spawn_app().await;
    let c = client();
    let (_, headers, _) = app
        .post_json(
            &c,
            "/api/v1/auth/signup",
            json!({"email": "a@example.org", "display_name": "A", "password": PASSWORD}),
        )
        .await;
    let cookie = set_cookies(&headers)
        .into_iter()
        .next()
        .expect("cookie set");
    let token = cookie.split(';').next().expect("pair").to_owned();
    let (status, _, _) = app.post_json(&c, "/api/v1/auth/signout", json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let replay = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .header("cookie", token)
        .send()
        .await
        .expect("request");
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session() {
    // Signed in on two computers; signing out everywhere from one ends both.
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let laptop = client();
    let (s, _, _) = app
        .post_json(
            &laptop,
            "/api/v1/auth/signin",
            json!({"email": "ann@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = app
        .post_json(&ann.client, "/api/v1/auth/signout-everywhere", json!({}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_json(&laptop, "/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get_json(&ann.client, "/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
}

/// `GET /api/v1/me` through `base` with a cookie.
async fn me_on(base: &str, cookie: &str) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{base}/api/v1/me"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("request")
        .status()
}

/// POSTs an empty JSON body to `path` through `base` with a cookie.
async fn post_on(base: &str, cookie: &str, path: &str) -> StatusCode {
    reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("cookie", cookie)
        .json(&json!({}))
        .send()
        .await
        .expect("request")
        .status()
}

/// Asks `base` until the cookie is refused, for at most ten seconds.
async fn refused_within(base: &str, cookie: &str) -> StatusCode {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let s = me_on(base, cookie).await;
        if s == StatusCode::UNAUTHORIZED || std::time::Instant::now() > deadline {
            return s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Signs in through the API and returns the session cookie.
async fn signed_in_cookie(app: &TestApp, email: &str) -> String {
    let (s, headers, _) = app
        .post_json(
            &client(),
            "/api/v1/auth/signin",
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    set_cookies(&headers)
        .into_iter()
        .next()
        .expect("cookie set")
        .split(';')
        .next()
        .expect("pair")
        .to_owned()
}

#[tokio::test]
async fn a_session_ended_on_one_node_is_refused_on_every_node() {
    // Each node keeps the sessions it read in memory; signing out, or out
    // everywhere, through one node must end the session on both: at once
    // on that node, within a second on the other.
    let app = spawn_app().await;
    let other = app.second_node().await;
    app.sign_up("ann@example.org", "Ann").await;
    let here = app.url("");
    let laptop = signed_in_cookie(&app, "ann@example.org").await;
    let phone = signed_in_cookie(&app, "ann@example.org").await;
    for cookie in [&laptop, &phone] {
        for base in [&here, &other] {
            assert_eq!(me_on(base, cookie).await, StatusCode::OK);
        }
    }

    assert_eq!(
        post_on(&here, &laptop, "/api/v1/auth/signout").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(me_on(&here, &laptop).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused_within(&other, &laptop).await,
        StatusCode::UNAUTHORIZED
    );
    // The other session lives on, on both nodes.
    assert_eq!(me_on(&here, &phone).await, StatusCode::OK);
    assert_eq!(me_on(&other, &phone).await, StatusCode::OK);

    // Signing out everywhere through the other node.
    assert_eq!(
        post_on(&other, &phone, "/api/v1/auth/signout-everywhere").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(me_on(&other, &phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused_within(&here, &phone).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    // A wrong current password is refused; a right one changes it and signs out the other computer.
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let other = client();
    app.post_json(
        &other,
        "/api/v1/auth/signin",
        json!({"email": "ann@example.org", "password": PASSWORD}),
    )
    .await;
    let put = |body: serde_json::Value| {
        ann.client
            .put(app.url("/api/v1/me/password"))
            .json(&body)
            .send()
    };
    let res = put(
        json!({"current_password": "wrong wrong wrong", "new_password": "a new long passphrase"}),
    )
    .await
    .expect("request");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["errors"][0]["field"], "current_password");
    let res = put(json!({"current_password": PASSWORD, "new_password": "short"}))
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = put(json!({"current_password": PASSWORD, "new_password": "a new long passphrase"}))
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_json(&ann.client, "/api/v1/me").await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.get_json(&other, "/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    let c = client();
    assert_eq!(
        app.post_json(
            &c,
            "/api/v1/auth/signin",
            json!({"email": "ann@example.org", "password": PASSWORD})
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.post_json(
            &c,
            "/api/v1/auth/signin",
            json!({"email": "ann@example.org", "password": "a new long passphrase"})
        )
        .await
        .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_session_cookie_is_the_only_cookie_and_is_locked_down() {
    // One strictly necessary cookie: HttpOnly, SameSite=Lax, whole site.
    let app = spawn_app().await;
    let c = client();
    let (_, headers, _) = app
        .post_json(
            &c,
            "/api/v1/auth/signup",
            json!({"email": "a@example.org", "display_name": "A", "password": PASSWORD}),
        )
        .await;
    let cookies = set_cookies(&headers);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let cookie = &cookies[0];
    assert!(cookie.starts_with("lyceum_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(cookie.contains("Path=/"));
    assert!(
        !cookie.contains("Secure"),
        "Secure only when TLS is configured"
    );
}

#[tokio::test]
async fn the_session_token_changes_at_sign_in() {
    // The anonymous cookie set by the sign-in form is replaced, and the old one is dead.
    let app = spawn_app().await;
    app.sign_up("ann@example.org", "Ann").await;
    let c = client();
    let res = c.get(app.url("/signin")).send().await.expect("request");
    let before = set_cookies(res.headers())
        .into_iter()
        .next()
        .expect("form sets a cookie");
    let (status, headers, _) = app
        .submit_form(
            &c,
            "/signin",
            "/signin",
            &[("email", "ann@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let after = set_cookies(&headers)
        .into_iter()
        .next()
        .expect("sign-in sets a cookie");
    let pair = |s: &str| s.split(';').next().unwrap_or_default().to_owned();
    assert_ne!(pair(&before), pair(&after));
    let old = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .header("cookie", pair(&before))
        .send()
        .await
        .expect("request");
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_account() {
    // Guessing one person's password stops after ten tries, with a Retry-After.
    let app = spawn_app().await;
    app.sign_up("ann@example.org", "Ann").await;
    let c = client();
    let mut last = StatusCode::OK;
    let mut retry_after = None;
    for _ in 0..11 {
        let (s, h, _) = app
            .post_json(
                &c,
                "/api/v1/auth/signin",
                json!({"email": "ann@example.org", "password": "guess guess guess"}),
            )
            .await;
        last = s;
        retry_after = h.get("retry-after").cloned();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after.is_some());
}

#[tokio::test]
async fn sign_up_names_every_field_that_needs_attention() {
    // Three mistakes at once get three messages, each naming its field.
    let app = spawn_app().await;
    let (status, headers, body) = app
        .post_json(
            &client(),
            "/api/v1/auth/signup",
            json!({"email": "not-an-email", "display_name": "  ", "password": "short"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(headers["content-type"], "application/problem+json");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, vec!["email", "display_name", "password"]);
    assert!(
        body["errors"][2]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("12")
    );
}

#[tokio::test]
async fn a_taken_email_is_refused_and_the_first_account_is_untouched() {
    // Signing up twice with one address does not create a second account or change the first.
    let app = spawn_app().await;
    app.sign_up("ann@example.org", "Ann").await;
    let (status, _, body) = app
        .post_json(&client(), "/api/v1/auth/signup", json!({"email": "ANN@example.org", "display_name": "Mallory", "password": "another long password"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "email");
    assert_eq!(app.store.accounts().count().await.expect("count"), 1);
    let (s, _, me) = app
        .post_json(
            &client(),
            "/api/v1/auth/signin",
            json!({"email": "ann@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["display_name"], "Ann");
}

#[tokio::test]
async fn an_expired_session_is_signed_out() {
    // Thirty-one days later the session no longer works.
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    app.clock.advance(chrono::Duration::days(31));
    assert_eq!(
        app.get_json(&ann.client, "/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_member_on_a_shared_computer_gets_a_browser_session_that_ends_when_idle() {
    // The sign-in form's "shared computer" answer: no cookie lifetime, signed out after 15 idle minutes.
    let app = spawn_app().await;
    app.sign_up("ann@example.org", "Ann").await;
    let c = client();
    let (status, headers, _) = app
        .submit_form(
            &c,
            "/signin",
            "/signin",
            &[
                ("email", "ann@example.org"),
                ("password", PASSWORD),
                ("shared_computer", "yes"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = set_cookies(&headers)
        .into_iter()
        .find(|c| c.starts_with("lyceum_session="))
        .expect("cookie");
    assert!(!cookie.contains("Max-Age"), "{cookie}");
    assert_eq!(app.get_json(&c, "/api/v1/me").await.0, StatusCode::OK);
    app.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(
        app.get_json(&c, "/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
}
