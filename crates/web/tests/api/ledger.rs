//! The recipients ledger: every disclosure recorded before it happens,
//! shown to the person, in their export, and configured recipients on the
//! notice.

use crate::helpers::*;
use lyceum_core::domain::datamap::Category;
use lyceum_store::ledger::DisclosureError;
use reqwest::StatusCode;

#[tokio::test]
async fn a_disclosure_is_recorded_before_sending_and_shown_everywhere_the_person_looks() {
    // The dashboard, the API and the export all name the recipient, the purpose, the data and the time.
    let app = spawn_app_with_recipients(vec![mail_relay()]).await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let id = subject_of(&app, &ann.client).await;
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = sent.clone();
    let store = app.store.clone();
    app.store
        .disclose(
            &[mail_relay()],
            id,
            "mail-relay",
            "A security email about your password",
            &[Category::Contact],
            move || async move {
                // By the time data is sent, the ledger already has the entry.
                let recorded = store.disclosures(id).await.map_err(|e| e.to_string())?;
                assert_eq!(recorded.len(), 1, "recorded before sending");
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            },
        )
        .await
        .expect("disclose");
    assert!(sent.load(std::sync::atomic::Ordering::SeqCst));

    let (_, privacy) = app.get_json(&ann.client, "/api/v1/me/privacy").await;
    let d = &privacy["disclosures"][0];
    assert_eq!(d["recipient"], "mail-relay");
    assert_eq!(d["recipient_name"], "Example Mail Relay Ltd (Ireland)");
    assert_eq!(d["purpose"], "A security email about your password");
    assert_eq!(d["categories"], serde_json::json!(["contact"]));

    let (_, _, html) = app.get_page(&ann.client, "/me/privacy").await;
    assert!(html.contains("Example Mail Relay Ltd (Ireland)"));
    assert!(!html.contains("Nobody outside this Lyceum has received"));

    let files = export_files(&app, &ann.client).await;
    let (_, recipients) = files
        .iter()
        .find(|(n, _)| n == "recipients.json")
        .expect("recipients.json");
    let recipients: serde_json::Value = serde_json::from_slice(recipients).expect("json");
    assert_eq!(recipients[0]["recipient"], "mail-relay");
    let (_, data) = files
        .iter()
        .find(|(n, _)| n == "data/disclosures.json")
        .expect("the ledger table is exported too");
    assert!(String::from_utf8_lossy(data).contains("A security email about your password"));
}

#[tokio::test]
async fn an_unconfigured_recipient_is_refused_and_a_failed_send_is_still_recorded() {
    // Nothing goes to a recipient the operator has not named; an attempt that fails is still shown.
    let app = spawn_app_with_recipients(vec![mail_relay()]).await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let id = subject_of(&app, &ann.client).await;
    let refused = app
        .store
        .disclose(
            &[mail_relay()],
            id,
            "ad-network",
            "Advertising",
            &[Category::Contact],
            || async { panic!("must not send to an unconfigured recipient") },
        )
        .await;
    assert!(matches!(refused, Err(DisclosureError::UnknownRecipient(_))));
    assert!(app.store.disclosures(id).await.expect("ledger").is_empty());
    let failed = app
        .store
        .disclose(
            &[mail_relay()],
            id,
            "mail-relay",
            "A security email",
            &[Category::Contact],
            || async { Err("relay down".to_owned()) },
        )
        .await;
    assert!(matches!(failed, Err(DisclosureError::Send(_))));
    assert_eq!(app.store.disclosures(id).await.expect("ledger").len(), 1);
}

#[tokio::test]
async fn the_notice_names_every_configured_recipient_with_its_country() {
    // Invariant 6 and 12: the public notice lists who may receive data, generated from configuration.
    let app = spawn_app_with_recipients(vec![mail_relay()]).await;
    let (_, _, html) = app.get_page(&client(), "/privacy").await;
    assert!(
        html.contains("Example Mail Relay Ltd")
            && html.contains("Ireland")
            && html.contains("Delivering security emails")
    );
    let bare = spawn_app().await;
    let (_, _, html) = bare.get_page(&client(), "/privacy").await;
    assert!(html.contains("This instance sends personal data to no one outside it."));
    assert_eq!(StatusCode::OK, bare.get_page(&client(), "/privacy").await.0);
}
