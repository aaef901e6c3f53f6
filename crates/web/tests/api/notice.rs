//! The privacy notice's versions and the privacy changelog.

use crate::helpers::*;
use lyceum_core::clock::Clock;
use lyceum_store::ledger::{DisclosureError, Recipient};
use lyceum_store::retention::RetentionConfig;
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

async fn page(base: &str, path: &str) -> String {
    client()
        .get(format!("{base}{path}"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text")
}

#[tokio::test]
async fn the_notice_is_versioned_and_the_changelog_says_what_changed() {
    // An operator adds a recipient and shortens retention: version 2, and the changelog lists both.
    let app = spawn_app_with_recipients(vec![mail_relay()]).await;
    let html = page(&app.base, "/privacy").await;
    assert!(html.contains("version 1 of the notice"), "{html}");
    let again = page(&app.base, "/privacy").await;
    assert!(
        again.contains("version 1 of the notice"),
        "an unchanged notice keeps its version"
    );
    let base = app
        .serve_again(
            vec![mail_relay(), sms_gateway(None)],
            RetentionConfig {
                closed_account_days: 14,
            },
        )
        .await;
    let html = page(&base, "/privacy").await;
    assert!(html.contains("version 2 of the notice"), "{html}");
    assert!(html.contains("within 14 days of closing it"));
    let changes = page(&base, "/privacy/changes").await;
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
    let notice = page(&base, "/privacy").await;
    assert!(notice.contains("Coming changes") && notice.contains("Example SMS Gateway"));
    let changes = page(&base, "/privacy/changes").await;
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
    let notice = page(&base, "/privacy").await;
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
