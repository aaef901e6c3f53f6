//! The consent registry: off by default, each purpose its own switch,
//! every change recorded with its time and wording.

use crate::helpers::*;
use lyceum_core::domain::Purpose;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn every_optional_purpose_starts_off() {
    // A new member has agreed to nothing optional, and the registry says no to every feature that asks.
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let (status, list) = app.get_json(&ann.client, "/api/v1/me/consents").await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().expect("array");
    assert_eq!(list.len(), Purpose::ALL.len());
    assert!(
        list.iter()
            .all(|c| c["granted"] == false && c["since"].is_null())
    );
    let id = subject_of(&app, &ann.client).await;
    for p in Purpose::ALL {
        assert!(!app.store.consents().has(id, p).await.expect("ask"));
    }
}

#[tokio::test]
async fn granting_and_withdrawing_are_recorded_with_time_and_wording() {
    // Turning one purpose on and off again leaves the others untouched and a two-line history.
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let id = subject_of(&app, &ann.client).await;
    let put = |granted: bool| {
        ann.client
            .put(app.url("/api/v1/me/consents/email_digests"))
            .json(&json!({"granted": granted}))
            .send()
    };
    let res = put(true).await.expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["granted"], true);
    assert_eq!(body["wording_version"], 1);
    assert!(body["since"].is_string());
    assert!(
        app.store
            .consents()
            .has(id, Purpose::EmailDigests)
            .await
            .expect("ask")
    );
    assert!(
        !app.store
            .consents()
            .has(id, Purpose::RecruiterVisibility)
            .await
            .expect("ask")
    );
    app.clock.advance(chrono::Duration::minutes(5));
    assert_eq!(put(false).await.expect("request").status(), StatusCode::OK);
    assert!(
        !app.store
            .consents()
            .has(id, Purpose::EmailDigests)
            .await
            .expect("ask")
    );
    let history = app.store.consents().history(id).await.expect("history");
    assert_eq!(history.len(), 2);
    assert!(history[0].granted && !history[1].granted);
    assert_eq!(history[1].at - history[0].at, chrono::Duration::minutes(5));
}

#[tokio::test]
async fn unknown_purposes_and_strangers_are_refused() {
    // There is no advertising purpose to consent to, and nobody can set another's choices.
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let res = ann
        .client
        .put(app.url("/api/v1/me/consents/advertising"))
        .json(&json!({"granted": true}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = client()
        .put(app.url("/api/v1/me/consents/email_digests"))
        .json(&json!({"granted": true}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = ann
        .client
        .put(app.url("/api/v1/me/consents/email_digests"))
        .json(&json!({"granted": "yes"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_choices_page_turns_a_purpose_on_and_shows_the_history() {
    // Without JavaScript: one button per purpose, a status message, and the history table.
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let (status, _, html) = app.get_page(&ann.client, "/me/choices").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        html.matches(">Turn on</button>").count(),
        Purpose::ALL.len()
    );
    assert!(html.contains("You have not changed any of these yet."));
    // Post, redirect, get: reloading the page does not post again.
    let (_, status, html) = app
        .submit_form_and_follow(
            &ann.client,
            "/me/choices",
            "/me/choices/personalised_recommendations",
            &[("granted", "true")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Personalised course recommendations is now on."));
    assert_eq!(html.matches(">Turn off</button>").count(), 1);
    assert!(html.contains("<td>On</td>"));
    let id = subject_of(&app, &ann.client).await;
    assert!(
        app.store
            .consents()
            .has(id, Purpose::PersonalisedRecommendations)
            .await
            .expect("ask")
    );
    let (status, _, _) = app.get_page(&client(), "/me/choices").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn pausing_processing_answers_no_to_every_purpose_and_resuming_restores_the_choices() {
    // Restriction (Art. 18): one switch stops all optional processing without losing the choices.
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let id = subject_of(&app, &ann.client).await;
    ann.client
        .put(app.url("/api/v1/me/consents/email_digests"))
        .json(&json!({"granted": true}))
        .send()
        .await
        .expect("consent");
    assert!(
        app.store
            .consents()
            .has(id, Purpose::EmailDigests)
            .await
            .expect("ask")
    );

    let res = ann
        .client
        .put(app.url("/api/v1/me/restriction"))
        .json(&json!({"paused": true}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["paused"], true);
    assert!(body["since"].is_string());
    for p in Purpose::ALL {
        assert!(
            !app.store.consents().has(id, p).await.expect("ask"),
            "{p:?} must be off while paused"
        );
    }
    // The account stays readable and exportable while paused.
    assert_eq!(
        app.get_json(&ann.client, "/api/v1/me").await.0,
        StatusCode::OK
    );
    assert_eq!(
        ann.client
            .get(app.url("/api/v1/me/export"))
            .send()
            .await
            .expect("request")
            .status(),
        StatusCode::OK
    );

    let (_, _, html) = app.get_page(&ann.client, "/me/choices").await;
    assert!(html.contains("Resume optional processing"));
    let (_, _, html) = app
        .submit_form_and_follow(
            &ann.client,
            "/me/choices",
            "/me/pause",
            &[("paused", "false")],
        )
        .await;
    assert!(html.contains("Optional processing has resumed."));
    assert!(
        app.store
            .consents()
            .has(id, Purpose::EmailDigests)
            .await
            .expect("ask"),
        "the choice survives the pause"
    );
    let (_, state) = app.get_json(&ann.client, "/api/v1/me/restriction").await;
    assert_eq!(state["paused"], false);
    assert_eq!(
        app.get_json(&client(), "/api/v1/me/restriction").await.0,
        StatusCode::UNAUTHORIZED
    );
}
