//! The privacy notice's versions and the privacy changelog.

use crate::helpers::*;
use lyceum_core::clock::Clock;
use lyceum_store::ledger::{DisclosureError, Recipient};
use lyceum_store::retention::{RetentionChange, RetentionConfig};
use reqwest::StatusCode;

fn sms_gateway(from: Option<chrono::DateTime<chrono::Utc>>) -> Recipient {
    Recipient {
        key: "sms".into(),
        name: "Example SMS Gateway".into(),
        country: "Germany".into(),
        purpose: "Sending sign-in codes by text message".into(),
        from,
    }
}

#[tokio::test]
async fn the_notice_is_versioned_and_the_changelog_says_what_changed() {
    // An operator adds a recipient and shortens retention: version 2, and the changelog lists both.
    let app = spawn_app_with_recipients(vec![mail_relay()]).await;
    let html = page_text(&app.base, "/privacy").await;
    assert!(html.contains("version 1 of the notice"), "{html}");
    let again = page_text(&app.base, "/privacy").await;
    assert!(
        again.contains("version 1 of the notice"),
        "an unchanged notice keeps its version"
    );
    let base = app
        .serve_again(
            vec![mail_relay(), sms_gateway(None)],
            RetentionConfig {
                closed_account_days: 14,
                ..RetentionConfig::default()
            },
        )
        .await;
    let html = page_text(&base, "/privacy").await;
    assert!(html.contains("version 2 of the notice"), "{html}");
    assert!(html.contains("within 14 days of closing it"));
    let changes = page_text(&base, "/privacy/changes").await;
    assert!(changes.contains("Version 2"), "{changes}");
    assert!(changes.contains("Example SMS Gateway (Germany)"));
    assert!(changes.contains("Closed accounts are erased within 14 days"));
    assert!(changes.contains("No longer said"));
    assert!(changes.contains("Closed accounts are erased within 30 days"));
}

#[tokio::test]
async fn a_new_recipient_is_announced_before_it_takes_effect_and_receives_nothing_until_then() {
    // People are told of a new recipient in advance, on every page, and the ledger refuses it until its date.
    let app = spawn_app().await;
    let from = app.clock.now() + chrono::Duration::days(7);
    let base = app
        .serve_again(vec![sms_gateway(Some(from))], RetentionConfig::default())
        .await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let me = ann
        .client
        .get(format!("{base}/me"))
        .send()
        .await
        .expect("me")
        .text()
        .await
        .expect("text");
    assert!(
        me.contains("How Lyceum uses personal data changes on"),
        "{me}"
    );
    let notice = page_text(&base, "/privacy").await;
    assert!(notice.contains("Coming changes") && notice.contains("Example SMS Gateway"));
    let changes = page_text(&base, "/privacy/changes").await;
    assert!(changes.contains("Until then nothing is sent to them"));
    let ann_id = subject_of(&app, &ann.client).await;
    let recipients = [sms_gateway(Some(from))];
    let early = app
        .store
        .disclose(
            &recipients,
            ann_id,
            "sms",
            "A sign-in code",
            &[],
            || async { Ok(()) },
        )
        .await;
    assert!(
        matches!(early, Err(DisclosureError::NotYetInEffect(..))),
        "{early:?}"
    );
    assert!(
        app.store
            .disclosures(ann_id)
            .await
            .expect("ledger")
            .is_empty()
    );
    app.clock.advance(chrono::Duration::days(8));
    app.store
        .disclose(
            &recipients,
            ann_id,
            "sms",
            "A sign-in code",
            &[],
            || async { Ok(()) },
        )
        .await
        .expect("in effect now");
    let notice = page_text(&base, "/privacy").await;
    assert!(!notice.contains("Coming changes"));
    assert!(
        notice.contains("version 2 of the notice"),
        "the recipient's arrival is a new version"
    );
    let res = ann
        .client
        .get(format!("{base}/me"))
        .send()
        .await
        .expect("me");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!res.text().await.expect("text").contains("changes on"));
}

/// Ann and Bo, connected, and Ann's message to Bo ("Old-Message-Words").
async fn ann_writes_to_bo(
    app: &TestApp,
) -> (
    reqwest::Client,
    lyceum_core::domain::MemberId,
    lyceum_core::domain::MemberId,
) {
    let ann = crate::network::member(app, "ann", "Ann").await;
    let bo = crate::network::member(app, "bob", "Bo").await;
    crate::network::connect(app, &bo, &ann, "ann").await;
    let ann_id = lyceum_core::domain::MemberId(subject_of(app, &ann).await.0);
    let bo_id = lyceum_core::domain::MemberId(subject_of(app, &bo).await.0);
    app.store
        .network()
        .send_message(ann_id, bo_id, "Old-Message-Words")
        .await
        .expect("message");
    (ann, ann_id, bo_id)
}

#[tokio::test]
async fn an_operator_keeps_messages_and_ledger_entries_for_less_time_and_everyone_is_told() {
    // Shorter keeping for two categories: the notice and the changelog say
    // so, each member's dashboard shows when their oldest message goes,
    // and the scrubber deletes what is older, on both sides of a
    // conversation, leaving newer messages.
    let app = spawn_app_with_recipients(vec![mail_relay()]).await;
    page_text(&app.base, "/privacy").await;
    let (ann, ann_id, bo_id) = ann_writes_to_bo(&app).await;
    let net = app.store.network();
    app.clock.advance(chrono::Duration::days(20));
    net.send_message(bo_id, ann_id, "Newer-Message-Words")
        .await
        .expect("message");

    let config = RetentionConfig {
        messages_days: Some(30),
        disclosures_days: Some(365),
        ..RetentionConfig::default()
    };
    let base = app.serve_again(vec![mail_relay()], config).await;
    let html = page_text(&base, "/privacy").await;
    assert!(html.contains("version 2 of the notice"), "{html}");
    assert!(html.contains("30 days after it was written"), "{html}");
    let changes = page_text(&base, "/privacy/changes").await;
    assert!(
        changes.contains("Messages: deleted 30 days after it was written"),
        "{changes}"
    );
    assert!(
        changes.contains("deleted 365 days after it was written"),
        "{changes}"
    );

    // Ann's dashboard: the date her oldest message goes (sent 20 days ago).
    let privacy: serde_json::Value = ann
        .get(format!("{base}/api/v1/me/privacy"))
        .send()
        .await
        .expect("privacy")
        .json()
        .await
        .expect("json");
    let goes = (app.clock.now() + chrono::Duration::days(10))
        .format("%-d %B %Y")
        .to_string();
    let holdings = privacy["holdings"].as_array().expect("holdings");
    assert!(
        holdings.iter().any(|h| h["category"] == "messages"
            && h["kept"]
                .as_str()
                .is_some_and(|k| k.contains("30 days after it was written") && k.contains(&goes))),
        "the oldest message goes on {goes}: {privacy}"
    );

    // Eleven days on, the first message is past 30 days, the second not.
    app.clock.advance(chrono::Duration::days(11));
    let report = app.store.scrub(config).await.expect("scrub");
    assert_eq!(report.expired_by_operator, 2, "both people's copies");
    for (me, peer) in [(ann_id, bo_id), (bo_id, ann_id)] {
        let thread = net.conversation(me, peer).await.expect("conversation");
        let texts: Vec<&str> = thread.iter().map(|m| m.body.as_str()).collect();
        assert_eq!(texts, vec!["Newer-Message-Words"], "{texts:?}");
    }

    // Without the settings nothing of the kind is deleted.
    app.clock.advance(chrono::Duration::days(400));
    let report = app
        .store
        .scrub(RetentionConfig::default())
        .await
        .expect("scrub");
    assert_eq!(report.expired_by_operator, 0);
}

#[tokio::test]
async fn a_retention_change_is_announced_and_applied_only_from_its_date() {
    // The operator announces that messages will be kept 30 days from two
    // weeks on: the notice keeps its version and lists the coming change,
    // signed-in people see the banner, and the scrubber deletes nothing
    // until the date; then the new rule is the notice and the scrubber's.
    let app = spawn_app_with_recipients(vec![mail_relay()]).await;
    page_text(&app.base, "/privacy").await;
    let (_, ann_id, bo_id) = ann_writes_to_bo(&app).await;
    let net = app.store.network();
    app.clock.advance(chrono::Duration::days(40));
    let from = app.clock.now() + chrono::Duration::days(14);
    let config = RetentionConfig {
        upcoming: Some(RetentionChange {
            from,
            closed_account_days: Some(14),
            messages_days: Some(30),
            disclosures_days: None,
        }),
        ..RetentionConfig::default()
    };
    config.check().expect("valid");
    let base = app.serve_again(vec![mail_relay()], config).await;
    let notice = page_text(&base, "/privacy").await;
    assert!(notice.contains("version 1 of the notice"), "{notice}");
    assert!(notice.contains("Coming changes"), "{notice}");
    assert!(
        notice.contains("Messages: will be deleted 30 days after it was written (now kept while the account is open)"),
        "{notice}"
    );
    assert!(notice.contains("Closed accounts will be erased within 14 days (now 30)"));
    assert!(
        !notice.contains("30 days after it was written;"),
        "not in effect yet"
    );
    let changes = page_text(&base, "/privacy/changes").await;
    assert!(
        changes.contains("Until then the current rule applies"),
        "{changes}"
    );
    // Forty days on, Ann's session has ended: she signs in again.
    let again = client();
    app.post_json(
        &again,
        "/api/v1/auth/signin",
        serde_json::json!({"email": "ann@example.org", "password": PASSWORD}),
    )
    .await;
    let me = page_text_as(&again, &base, "/me").await;
    let day = from.format("%-d %B %Y").to_string();
    assert!(
        me.contains("How Lyceum uses personal data changes on") && me.contains(&day),
        "{me}"
    );
    let report = app.store.scrub(config).await.expect("scrub");
    assert_eq!(report.expired_by_operator, 0, "announced, not in effect");

    // The date comes: a new version with the new rules, and the
    // 54-day-old message goes from both sides.
    app.clock.advance(chrono::Duration::days(14));
    let report = app.store.scrub(config).await.expect("scrub");
    assert_eq!(report.expired_by_operator, 2);
    assert!(
        net.conversation(ann_id, bo_id)
            .await
            .expect("conversation")
            .is_empty()
    );
    let notice = page_text(&base, "/privacy").await;
    assert!(notice.contains("version 2 of the notice"), "{notice}");
    assert!(!notice.contains("Coming changes"));
    assert!(notice.contains("within 14 days of closing it"));
    let changes = page_text(&base, "/privacy/changes").await;
    assert!(
        changes.contains("Messages: deleted 30 days after it was written"),
        "{changes}"
    );
}

#[test]
fn a_retention_of_zero_days_is_refused_with_what_to_set() {
    let e = RetentionConfig {
        messages_days: Some(0),
        ..RetentionConfig::default()
    }
    .check()
    .expect_err("refused");
    assert!(e.contains("retention.messages_days is 0"), "{e}");
    let e = RetentionConfig {
        closed_account_days: 31,
        ..RetentionConfig::default()
    }
    .check()
    .expect_err("refused");
    assert!(e.contains("set it to 30 or less"), "{e}");
    assert!(RetentionConfig::default().check().is_ok());
    let e = RetentionConfig {
        upcoming: Some(RetentionChange {
            from: chrono::Utc::now(),
            closed_account_days: Some(45),
            messages_days: None,
            disclosures_days: None,
        }),
        ..RetentionConfig::default()
    }
    .check()
    .expect_err("refused");
    assert!(
        e.contains("retention.upcoming.closed_account_days is 45"),
        "{e}"
    );
}
