//! Export (Art. 15/20): a ZIP with JSON and a readable page, complete per
//! the data map, holding nobody else's data.

use crate::helpers::*;
use lyceum_store::zip::read_stored;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn the_export_holds_every_declared_field_of_the_member_and_nothing_of_others() {
    // Every data-map field that holds a value for the person is in the archive, decrypted where encrypted.
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.org", "Ann Lee").await;
    app.sign_up("bo@example.org", "Bo Other").await;
    let phone = client();
    app.post_json(
        &phone,
        "/api/v1/auth/signin",
        json!({"email": "ann@example.org", "password": PASSWORD}),
    )
    .await;
    ann.client
        .put(app.url("/api/v1/me/consents/email_digests"))
        .json(&json!({"granted": true}))
        .send()
        .await
        .expect("consent");

    let res = ann
        .client
        .get(app.url("/api/v1/me/export"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/zip");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap_or_default()
            .starts_with("attachment; filename=\"lyceum-export-")
    );
    let bytes = res.bytes().await.expect("body");
    let files = read_stored(&bytes).expect("a valid ZIP");
    let file = |name: &str| -> Value {
        let (_, data) = files
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} is missing"));
        serde_json::from_slice(data).expect("JSON")
    };

    assert_eq!(file("account.json")["email"], "ann@example.org");
    let members = file("data/members.json");
    assert_eq!(members["rows"][0]["email"], "ann@example.org");
    assert_eq!(members["rows"][0]["display_name"], "Ann Lee");
    assert_eq!(
        members["fields"]["email"]["purpose"],
        "Signing you in and security messages about your account"
    );
    assert!(
        members["rows"][0]["email_index"]["not_included"].is_string(),
        "keyed hashes are described, not copied"
    );
    let credentials = file("data/credentials.json");
    assert!(
        credentials["rows"][0]["secret"]["not_included"].is_string(),
        "the password hash stays out of the archive"
    );
    assert_eq!(
        file("data/sessions.json")["rows"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        file("data/sessions.json")["rows"][0]["is_shared_device"],
        false
    );
    assert_eq!(file("data/consent_events.json")["rows"][0]["granted"], true);
    assert!(
        file("data/members.json")["rows"][0]["created_at"]
            .as_str()
            .is_some_and(|t| t.contains('T')),
        "times are RFC 3339"
    );
    assert_eq!(file("consents.json")[0]["purpose"], "email_digests");
    assert_eq!(file("recipients.json"), json!([]));

    // Completeness, driven by the data map: every personal field of every table that has rows is present.
    let holdings = lyceum_store::datamap::holdings(
        &app.store,
        subject_of(&app, &ann.client).await,
        &lyceum_store::retention::RetentionConfig::default(),
    )
    .await
    .expect("holdings");
    for h in holdings {
        let table = lyceum_store::datamap::MAIN
            .iter()
            .find(|t| t.about == h.about)
            .expect("table");
        let doc = file(&format!("data/{}.json", table.table));
        let key = h.column.trim_end_matches("_ciphertext");
        for row in doc["rows"].as_array().expect("rows") {
            assert!(
                row.get(key).is_some(),
                "{}.{} is missing from the export",
                table.table,
                h.column
            );
        }
        // And in the file of its category, with the same values.
        let by_category = file(&format!("categories/{}.json", h.field.category.key()));
        let record = by_category["records"]
            .as_array()
            .expect("records")
            .iter()
            .find(|r| r["table"] == table.table)
            .unwrap_or_else(|| panic!("{} is missing from its category's file", table.table));
        let rows = record["rows"].as_array().expect("rows");
        assert_eq!(rows.len(), doc["rows"].as_array().map_or(0, Vec::len));
        for (in_category, in_table) in rows.iter().zip(doc["rows"].as_array().expect("rows")) {
            assert_eq!(in_category[key], in_table[key], "{}.{key}", table.table);
        }
    }
    // A category file holds only its own category's fields.
    for (name, data) in &files {
        let Some(category) = name
            .strip_prefix("categories/")
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        let doc: Value = serde_json::from_slice(data).expect("JSON");
        for record in doc["records"].as_array().expect("records") {
            let table = lyceum_store::datamap::MAIN
                .iter()
                .find(|t| record["table"] == t.table)
                .expect("a known table");
            for row in record["rows"].as_array().expect("rows") {
                for field in row.as_object().expect("object").keys() {
                    let (_, f) = table
                        .personal_fields()
                        .find(|(n, _)| n.trim_end_matches("_ciphertext") == field)
                        .expect("a declared field");
                    assert_eq!(f.category.key(), category, "{}.{field}", table.table);
                }
            }
        }
    }

    // A readable page, and no one else's data anywhere.
    let (_, index) = files
        .iter()
        .find(|(n, _)| n == "index.html")
        .expect("index.html");
    let index = String::from_utf8_lossy(index);
    assert!(
        index.contains("Your data from Lyceum")
            && index.contains("ann@example.org")
            && index.contains("Ann Lee")
    );
    for (name, data) in &files {
        let text = String::from_utf8_lossy(data);
        assert!(
            !text.contains("bo@example.org") && !text.contains("Bo Other"),
            "{name} holds another member's data"
        );
    }
    assert_eq!(
        client()
            .get(app.url("/api/v1/me/export"))
            .send()
            .await
            .expect("request")
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, headers, _) = app.get_page(&ann.client, "/me/export").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/zip");
}

#[tokio::test]
async fn a_long_table_is_shown_in_part_on_the_index_and_whole_on_its_own_pages() {
    // Sixty posts: index.html shows the first fifty and links the page
    // that holds all sixty; data/ and categories/ hold every one.
    let app = spawn_app().await;
    let ann = crate::network::member(&app, "annlee", "Ann Lee").await;
    for i in 1..=60 {
        crate::network::post(
            &app,
            &ann,
            &format!("Post number {i:02} of sixty"),
            "connections",
        )
        .await;
    }
    let files = export_files(&app, &ann).await;
    let text = |name: &str| -> String {
        let (_, data) = files
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} is missing"));
        String::from_utf8(data.clone()).expect("UTF-8")
    };
    let posts: Value = serde_json::from_str(&text("data/posts.json")).expect("JSON");
    let rows = posts["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 60);
    for i in 1..=60 {
        let words = format!("Post number {i:02} of sixty");
        assert!(
            rows.iter().any(|r| r["body"] == words.as_str()),
            "{words} is missing from data/posts.json"
        );
    }
    let category: Value =
        serde_json::from_str(&text("categories/social_content.json")).expect("JSON");
    let in_category = category["records"]
        .as_array()
        .expect("records")
        .iter()
        .find(|r| r["table"] == "posts")
        .and_then(|r| r["rows"].as_array())
        .map(Vec::len);
    assert_eq!(in_category, Some(60));

    let index = text("index.html");
    assert!(index.contains("60 records"), "{index}");
    assert!(index.contains("The first 50 are shown here"), "{index}");
    assert!(index.contains("href=\"pages/posts-1.html\""), "{index}");
    assert_eq!(index.matches("Post number").count(), 50);
    let page = text("pages/posts-1.html");
    assert!(page.contains("Records 1 to 60 of 60"), "{page}");
    assert_eq!(page.matches("Post number").count(), 60);
    assert!(page.contains("<th scope=\"col\">body</th>"), "{page}");
    assert!(page.contains("href=\"../index.html\""));
    // Small tables have no pages of their own.
    assert!(!files.iter().any(|(n, _)| n.starts_with("pages/members")));
}

#[tokio::test]
async fn downloads_beyond_the_two_that_read_at_once_wait_their_turn_and_complete() {
    // Five archives asked for at once: two read the database, the others
    // start with account.json and wait; every one ends whole.
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.org", "Ann Lee").await;
    let downloads = (0..5).map(|_| {
        let c = ann.client.clone();
        let url = app.url("/api/v1/me/export");
        async move {
            c.get(url)
                .send()
                .await
                .expect("request")
                .bytes()
                .await
                .expect("body")
        }
    });
    for bytes in futures::future::join_all(downloads).await {
        let files = read_stored(&bytes).expect("a whole archive");
        assert!(files.iter().any(|(n, _)| n == "index.html"));
        assert!(files.iter().any(|(n, _)| n == "data/members.json"));
    }
}
