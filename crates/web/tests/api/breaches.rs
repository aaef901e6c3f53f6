//! The breach register: operators record incidents, the people affected
//! are worked out from the data map, the 72-hour clock is shown, and each
//! person affected is told on their own privacy page.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_breach_counts_the_people_affected_and_tells_each_of_them_once_notified() {
    // Contact data leaked: every member with an email is affected and, once told, sees the notice; others do not.
    let app = spawn_app().await;
    let op = app.set_up().await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let res = op
        .post(app.url("/api/v1/admin/breaches"))
        .json(&json!({
            "title": "Mail relay log exposed",
            "description": "A log of the mail relay with email addresses was readable from the internet for two days",
            "categories": ["contact"],
            "consequences": "Your email address may receive unwanted mail.",
            "measures": "The log was removed and the relay's access rules corrected."
        }))
        .send()
        .await
        .expect("record");
    assert_eq!(res.status(), StatusCode::CREATED);
    let b: serde_json::Value = res.json().await.expect("json");
    assert_eq!(
        b["affected"], 2,
        "the operator and Ann have email addresses: {b}"
    );
    assert_eq!(b["affected_by_category"]["contact"], 2);
    assert!(
        b["authority_notice"]
            .as_str()
            .unwrap_or("")
            .contains("Approximate number of people concerned: 2")
    );
    let id = b["id"].as_str().expect("id").to_owned();
    // Not told yet: nothing on Ann's pages.
    assert_eq!(
        app.get_json(&ann.client, "/api/v1/breach-notices").await.1,
        json!([])
    );
    let (_, _, html) = app.get_page(&op, &format!("/admin/breaches/{id}")).await;
    assert!(html.contains("Tell the supervisory authority by"), "{html}");
    assert!(html.contains("71 hours left") || html.contains("72 hours left"));
    let (location, status, html) = app
        .submit_form_and_follow(
            &op,
            &format!("/admin/breaches/{id}"),
            &format!("/admin/breaches/{id}/notify-people"),
            &[],
        )
        .await;
    assert_eq!(location, format!("/admin/breaches/{id}"));
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("They were told on"));
    let (_, notices) = app.get_json(&ann.client, "/api/v1/breach-notices").await;
    assert!(
        notices[0][1].as_str().unwrap_or("").contains("mail relay"),
        "{notices}"
    );
    let (_, _, dashboard) = app.get_page(&ann.client, "/me/privacy").await;
    assert!(dashboard.contains("A breach affected your data"));
    // The authority is marked as told; the clock stops.
    app.submit_form(
        &op,
        &format!("/admin/breaches/{id}"),
        &format!("/admin/breaches/{id}/authority-notified"),
        &[],
    )
    .await;
    let (_, _, html) = app.get_page(&op, &format!("/admin/breaches/{id}")).await;
    assert!(html.contains("The supervisory authority was told on"));
    // A person who joined afterwards was not affected.
    let cy = app.sign_up("cy@example.org", "Cy").await;
    assert_eq!(
        app.get_json(&cy.client, "/api/v1/breach-notices").await.1,
        json!([])
    );
}

#[tokio::test]
async fn the_clock_shows_an_overdue_report_and_bad_entries_are_refused() {
    // 80 hours after becoming aware the page says overdue; a breach needs a kind of data and a past time.
    let app = spawn_app().await;
    let op = app.set_up().await;
    let detected = (chrono::Utc::now() - chrono::Duration::hours(80)).to_rfc3339();
    let (status, _, b) = app
        .post_json(&op, "/api/v1/admin/breaches", json!({"title": "Lost laptop", "description": "An unencrypted backup was on it", "categories": ["identity", "learning"], "detected_at": detected}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let (_, _, html) = app
        .get_page(
            &op,
            &format!("/admin/breaches/{}", b["id"].as_str().expect("id")),
        )
        .await;
    assert!(html.contains("Overdue"), "{html}");
    let (status, _, p) = app
        .post_json(
            &op,
            "/api/v1/admin/breaches",
            json!({"title": "x", "description": "y", "categories": []}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "categories");
    let (status, _, _) = app
        .post_json(
            &op,
            "/api/v1/admin/breaches",
            json!({"title": "x", "description": "y", "categories": ["advertising"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let future = (chrono::Utc::now() + chrono::Duration::hours(5)).to_rfc3339();
    let (status, _, _) = app
        .post_json(&op, "/api/v1/admin/breaches", json!({"title": "x", "description": "y", "categories": ["contact"], "detected_at": future}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // The page form works too, and members may not see the register.
    let (status, _, html) = app
        .submit_form(
            &op,
            "/admin/breaches",
            "/admin/breaches",
            &[("title", ""), ("description", "d")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("short title"));
    let (location, status, _) = app
        .submit_form_and_follow(
            &op,
            "/admin/breaches",
            "/admin/breaches",
            &[
                ("title", "Stolen badge"),
                ("description", "A badge was stolen"),
                ("categories", "technical"),
                ("categories", "contact"),
            ],
        )
        .await;
    assert!(location.starts_with("/admin/breaches/"));
    assert_eq!(status, StatusCode::OK);
    let member = app.sign_up("dee@example.org", "Dee").await;
    assert_eq!(
        app.get_page(&member.client, "/admin/breaches").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get_json(&member.client, "/api/v1/admin/breaches")
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}
