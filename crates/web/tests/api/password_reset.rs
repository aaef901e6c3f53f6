//! "Forgot your password?": a link by email that works once, within an
//! hour, and only while it is the newest; the same answer whether or not
//! an address has an account; every session ends; the owner is told; the
//! relay is in the ledger; and an instance without email says whom to ask.

use crate::helpers::*;
use lyceum_store::jobs::Worker;
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;

/// Runs the queued jobs with email going into `outbox`; returns the mails
/// sent by this run.
async fn deliver(app: &TestApp, outbox: &Arc<Outbox>) -> Vec<lyceum_store::digests::OutgoingMail> {
    let before = outbox.0.lock().expect("outbox").len();
    Worker::new(app.store.clone())
        .with_mail(mail_sender(outbox.clone()))
        .run_due()
        .await
        .expect("jobs run");
    outbox.0.lock().expect("outbox")[before..].to_vec()
}

/// The token of the reset link in an email.
fn token_in(body: &str) -> String {
    let at = body
        .find("/password/reset/")
        .expect("the email has a reset link")
        + "/password/reset/".len();
    body[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

async fn ask(app: &TestApp, email: &str) -> (StatusCode, serde_json::Value) {
    let (s, _, body) = app
        .post_json(
            &client(),
            "/api/v1/auth/password-reset",
            json!({ "email": email }),
        )
        .await;
    (s, body)
}

async fn confirm(app: &TestApp, token: &str, password: &str) -> (StatusCode, serde_json::Value) {
    let (s, _, body) = app
        .post_json(
            &client(),
            "/api/v1/auth/password-reset/confirm",
            json!({ "token": token, "password": password }),
        )
        .await;
    (s, body)
}

async fn signs_in(app: &TestApp, password: &str) -> StatusCode {
    app.post_json(
        &client(),
        "/api/v1/auth/signin",
        json!({"email": "ann@example.org", "password": password}),
    )
    .await
    .0
}

#[tokio::test]
async fn a_forgotten_password_is_reset_with_a_link_that_works_once() {
    let app = spawn_app_with_mail(vec![mail_relay()]).await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let phone = client();
    app.post_json(
        &phone,
        "/api/v1/auth/signin",
        json!({"email": "ann@example.org", "password": PASSWORD}),
    )
    .await;
    let outbox = Arc::new(Outbox::default());

    // Not an address: said so. An address without an account gets the
    // same answer as Ann's, and no email.
    let (s, body) = ask(&app, "not an address").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (s, nobody) = ask(&app, "nobody@example.org").await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let (s, first) = ask(&app, "ANN@example.org").await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(nobody, first, "the answer does not tell who has an account");
    let mails = deliver(&app, &outbox).await;
    assert_eq!(mails.len(), 1, "only the account's address gets a link");
    assert_eq!(mails[0].to, "ann@example.org");
    assert!(
        mails[0]
            .body
            .contains("https://lyceum.example/password/reset/")
    );
    let old_token = token_in(&mails[0].body);
    assert_eq!(old_token.len(), 64);

    // The relay is in her ledger, for this purpose, before it got the mail.
    let (_, privacy) = app.get_json(&ann.client, "/api/v1/me/privacy").await;
    assert!(
        privacy["disclosures"]
            .as_array()
            .expect("ledger")
            .iter()
            .any(|d| {
                d["recipient"] == "mail-relay"
                    && d["purpose"] == "Sending you the link to set a new password you asked for"
            }),
        "{privacy}"
    );

    // Only the newest link works.
    ask(&app, "ann@example.org").await;
    let token = token_in(&deliver(&app, &outbox).await[0].body);
    assert_ne!(token, old_token);
    let (s, body) = confirm(&app, &old_token, "a brand new long password").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "token", "{body}");
    let (status, _, html) = app
        .get_page(&client(), &format!("/password/reset/{old_token}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("expired or was already used"), "{html}");

    // A weak password is refused and the link still works.
    let (s, body) = confirm(&app, &token, "short").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "password", "{body}");

    // The page shows the form; the new password is set through it.
    let browser = client();
    let page = format!("/password/reset/{token}");
    let (status, _, html) = app.get_page(&browser, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Choose a new password"), "{html}");
    let (location, status, html) = app
        .submit_form_and_follow(
            &browser,
            &page,
            &page,
            &[("password", "a brand new long password")],
        )
        .await;
    assert_eq!(location, "/signin?reset=1");
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Your new password is saved"), "{html}");

    // Every session ended; the old password no longer works, the new one
    // does; the link is used up; Ann is told by email.
    assert_eq!(
        app.get_json(&ann.client, "/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get_json(&phone, "/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(signs_in(&app, PASSWORD).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        signs_in(&app, "a brand new long password").await,
        StatusCode::OK
    );
    assert_eq!(
        confirm(&app, &token, "yet another long password").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let told = deliver(&app, &outbox).await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].subject, "Your Lyceum password was changed");

    // A link lapses after an hour, and the scrubber removes it.
    ask(&app, "ann@example.org").await;
    let late = token_in(&deliver(&app, &outbox).await[0].body);
    app.clock.advance(chrono::Duration::minutes(61));
    assert_eq!(
        confirm(&app, &late, "a password too late").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    app.store
        .scrub(lyceum_store::retention::RetentionConfig::default())
        .await
        .expect("scrub");
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .store
        .db
        .query_one_raw(Statement::from_string(
            app.store.backend(),
            "SELECT COUNT(*) AS n FROM password_resets",
        ))
        .await
        .expect("count")
        .expect("row");
    assert_eq!(row.try_get::<i64>("", "n").expect("n"), 0);
}

#[tokio::test]
async fn the_forgot_page_sends_a_link_and_says_the_same_for_any_address() {
    let app = spawn_app_with_mail(vec![mail_relay()]).await;
    app.sign_up("ann@example.org", "Ann").await;
    let (_, _, signin) = app.get_page(&client(), "/signin").await;
    assert!(signin.contains("href=\"/password/forgot\""), "{signin}");
    let browser = client();
    let (status, _, html) = app
        .submit_form(
            &browser,
            "/password/forgot",
            "/password/forgot",
            &[("email", "no at sign")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("value=\"no at sign\""),
        "the input is kept: {html}"
    );
    for email in ["ann@example.org", "nobody@example.org"] {
        let (location, status, html) = app
            .submit_form_and_follow(
                &browser,
                "/password/forgot",
                "/password/forgot",
                &[("email", email)],
            )
            .await;
        assert_eq!(location, "/password/forgot?sent=1");
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("If an account uses that address"), "{html}");
    }
    let outbox = Arc::new(Outbox::default());
    assert_eq!(deliver(&app, &outbox).await.len(), 1);
}

#[tokio::test]
async fn without_email_the_page_says_whom_to_ask_and_the_api_refuses() {
    let app = spawn_app().await;
    app.sign_up("ann@example.org", "Ann").await;
    let (status, _, html) = app.get_page(&client(), "/password/forgot").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("does not send email"), "{html}");
    assert!(!html.contains("<form method=\"post\" action=\"/password/forgot\""));
    let (s, body) = ask(&app, "ann@example.org").await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("does not send email")),
        "{body}"
    );
    assert_eq!(app.store.jobs().pending().await.expect("jobs"), 0);
}
