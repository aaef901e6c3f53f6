//! Privacy invariants that storage must keep: every column declared, no
//! personal value in plaintext, erasure by key destruction.

use crate::helpers::*;
use lyceum_core::clock::Clock;
use lyceum_core::domain::SubjectId;
use lyceum_store::StoreError;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};

#[tokio::test]
async fn every_column_of_the_migrated_schema_is_in_the_data_map() {
    // A column nobody declared fails this test, on whichever engine runs it.
    let app = spawn_app().await;
    let gaps = lyceum_store::datamap::check(&app.store.db, app.store.keyring.db())
        .await
        .expect("schema readable");
    let lines: Vec<String> = gaps.iter().map(ToString::to_string).collect();
    assert!(
        lines.is_empty(),
        "the data map does not match the schema:\n{}",
        lines.join("\n")
    );
}

#[tokio::test]
async fn the_schema_check_sees_a_column_added_without_a_declaration() {
    // Adding a column behind the data map's back is caught against the real engine.
    let app = spawn_app().await;
    app.store
        .db
        .execute_unprepared("ALTER TABLE members ADD COLUMN phone TEXT")
        .await
        .expect("alter");
    let gaps = lyceum_store::datamap::check(&app.store.db, app.store.keyring.db())
        .await
        .expect("schema readable");
    assert!(
        gaps.iter().any(|g| g.to_string().contains("members.phone")),
        "{gaps:?}"
    );
}

pub(crate) fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn after_sign_up_no_file_or_row_holds_the_email_or_name_in_plaintext() {
    // The address and the name exist only as ciphertext: not in the database, its WAL, or the keyring.
    let app = spawn_app().await;
    let email = "plaintext.probe@example.org";
    let name = "Zebulon Quixotic-Plaintextprobe";
    let m = app.sign_up(email, name).await;
    // Sign in too, so sessions and credential timestamps are written.
    app.post_json(
        &m.client,
        "/api/v1/auth/signin",
        serde_json::json!({"email": email, "password": PASSWORD}),
    )
    .await;
    if app.is_postgres {
        // PostgreSQL's files are not ours to read; check every text form of every row instead.
        for table in ["members", "credentials", "sessions", "jobs"] {
            let sql = format!("SELECT CAST(t AS text) AS row FROM {table} t");
            let rows = app
                .store
                .db
                .query_all_raw(Statement::from_string(app.store.backend(), sql))
                .await
                .expect("query");
            for r in rows {
                let text: String = r.try_get("", "row").expect("text");
                assert!(
                    !text.contains("plaintext.probe") && !text.contains("Zebulon"),
                    "{table} holds plaintext"
                );
            }
        }
    }
    let files = files_under(app.data_dir.path());
    assert!(
        files.iter().any(|f| f.to_string_lossy().ends_with("-wal")) || app.is_postgres,
        "WAL files are part of the scan"
    );
    for f in files {
        let bytes = std::fs::read(&f).expect("read");
        for needle in [email, "plaintext.probe", name, "Zebulon"] {
            assert!(
                !contains(&bytes, needle.as_bytes()),
                "{} contains {needle:?} in plaintext",
                f.display()
            );
        }
    }
}

#[tokio::test]
async fn destroying_the_key_makes_the_account_unreadable_even_from_a_copy() {
    // Crypto-shredding: a copy of the rows taken before erasure cannot be read afterwards.
    let app = spawn_app().await;
    app.sign_up("ann@example.org", "Ann").await;
    let id = lyceum_core::domain::MemberId(
        app.get_json(
            &app.sign_up("bo@example.org", "Bo").await.client,
            "/api/v1/me",
        )
        .await
        .1["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("id"),
    );
    assert!(
        app.store
            .accounts()
            .get(id)
            .await
            .expect("readable")
            .is_some()
    );
    app.store.shred(SubjectId::from(id)).await.expect("shred");
    match app.store.accounts().get(id).await {
        Err(StoreError::KeyDestroyed) => {}
        other => panic!("expected the key to be gone, got {other:?}"),
    }
    // Others are unaffected.
    assert!(
        app.store
            .accounts()
            .verify_password(
                &lyceum_core::domain::Email::parse("ann@example.org").expect("email"),
                PASSWORD
            )
            .await
            .expect("ok")
            .is_some()
    );
}

#[tokio::test]
async fn the_dashboard_shows_what_is_held_why_and_until_when() {
    // A member sees each kind of data held about them, with dates where they are known, and no recipients.
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let (status, before) = app.get_json(&ann.client, "/api/v1/me/privacy").await;
    assert_eq!(status, StatusCode::OK);
    let categories = |v: &serde_json::Value| -> Vec<String> {
        v["holdings"]
            .as_array()
            .expect("holdings")
            .iter()
            .filter_map(|h| h["category"].as_str().map(str::to_owned))
            .collect()
    };
    let cats = categories(&before);
    for expected in ["contact", "identity", "credentials", "technical"] {
        assert!(
            cats.iter().any(|c| c == expected),
            "missing {expected}: {cats:?}"
        );
    }
    assert!(!cats.iter().any(|c| c == "consents"), "no choices made yet");
    let email = before["holdings"]
        .as_array()
        .expect("holdings")
        .iter()
        .find(|h| h["what"] == "Member accounts: email (encrypted)")
        .expect("email row");
    assert_eq!(email["is_encrypted"], true);
    assert_eq!(email["on_erasure"], "crypto_shred");
    let session = before["holdings"]
        .as_array()
        .expect("holdings")
        .iter()
        .find(|h| h["what"] == "Signed-in sessions: expires at")
        .expect("session row");
    let until: chrono::DateTime<chrono::Utc> = session["kept_until"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("date");
    assert!(
        (29..=30).contains(&(until - app.clock.now()).num_days()),
        "a session is kept 30 days at most"
    );
    assert_eq!(before["disclosures"], serde_json::json!([]));

    ann.client
        .put(app.url("/api/v1/me/consents/email_digests"))
        .json(&serde_json::json!({"granted": true}))
        .send()
        .await
        .expect("consent");
    let (_, after) = app.get_json(&ann.client, "/api/v1/me/privacy").await;
    assert!(categories(&after).iter().any(|c| c == "consents"));

    let (status, _, html) = app.get_page(&ann.client, "/me/privacy").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>What we hold about you</h1>"));
    assert!(html.contains("Nobody outside this Lyceum has received any of your personal data."));
    assert_eq!(
        app.get_json(&client(), "/api/v1/me/privacy").await.0,
        StatusCode::UNAUTHORIZED
    );
}
