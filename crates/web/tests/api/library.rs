//! Library access: card + PIN over SIP2 (against the conformant test
//! server) and from a card list, guest learners, shared computers, seats,
//! reports and the staff endpoints.

use crate::helpers::*;
use crate::privacy::{contains, files_under};
use lyceum_core::domain::{GuestId, LibraryName, LibrarySlug, Licence, MemberId, SubjectId};
use lyceum_sip2::testserver::{Fault, TestPatron, TestPatronState, TestServer, TestServerConfig};
use lyceum_store::libraries::{Library, LibraryChanges, NewLibrary, Sip2Settings};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use std::time::Duration;

const CARD: &str = "20000001";
const PIN: &str = "4321";

fn patron(card: &str, state: TestPatronState) -> TestPatron {
    TestPatron {
        card: card.into(),
        pin: PIN.into(),
        state,
    }
}

async fn sip2_server(extra: Vec<TestPatron>) -> TestServer {
    let mut patrons = vec![
        patron(CARD, TestPatronState::Valid),
        patron("20000002", TestPatronState::Expired),
        patron("20000003", TestPatronState::Blocked),
        patron("20000004", TestPatronState::Lost),
    ];
    patrons.extend(extra);
    TestServer::start(
        TestServerConfig {
            login_user: "lyceum".into(),
            login_password: "sip-secret".into(),
            institution: "DEMO".into(),
            patrons,
        },
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("SIP2 test server starts")
}

/// The operator's id (the operator is created through the setup page).
async fn operator(app: &TestApp) -> (reqwest::Client, MemberId) {
    let c = app.set_up().await;
    let id = MemberId(subject_of(app, &c).await.0);
    (c, id)
}

fn changes(l: &Library) -> LibraryChanges {
    LibraryChanges {
        name: LibraryName::parse(&l.name).expect("name"),
        town: l.town.clone(),
        contact: "Call 01632 960000 or ask at the front desk".into(),
        brand_colour: l.brand_colour,
        licence: l.licence,
        consortium: l.consortium.clone(),
        auth_method: l.auth_method,
        shared_computer_default: l.shared_computer_default,
        idle_minutes: l.idle_minutes,
        guest_retention_days: l.guest_retention_days,
    }
}

/// A library whose patrons sign in over SIP2 against `server`.
async fn sip2_library(
    app: &TestApp,
    actor: MemberId,
    slug: &str,
    server: &TestServer,
    timeout_ms: u32,
) -> Library {
    let libs = app.store.libraries();
    let l = libs
        .create(
            NewLibrary {
                slug: LibrarySlug::parse(slug).expect("slug"),
                name: LibraryName::parse(&format!("{slug} library")).expect("name"),
            },
            Some(actor),
        )
        .await
        .expect("library");
    libs.set_sip2(
        l.id,
        Sip2Settings {
            host: "127.0.0.1".into(),
            port: server.addr().port(),
            tls: false,
            login_user: "lyceum".into(),
            location: None,
            institution: "DEMO".into(),
            error_detection: true,
            crlf: false,
            use_patron_information: true,
            timeout_ms,
        },
        Some("sip-secret"),
        Some(actor),
    )
    .await
    .expect("sip2 settings");
    let l = libs.get(l.id).await.expect("get").expect("exists");
    let mut c = changes(&l);
    c.auth_method = lyceum_core::domain::library::PatronAuthMethod::Sip2;
    libs.update(l.id, c, actor).await.expect("update")
}

/// An operator and the SIP2 library `riverside` against a fresh test server.
async fn riverside(app: &TestApp) -> (reqwest::Client, MemberId, TestServer) {
    let (op_client, op) = operator(app).await;
    let server = sip2_server(vec![]).await;
    sip2_library(app, op, "riverside", &server, 5000).await;
    (op_client, op, server)
}

async fn card_sign_in(
    app: &TestApp,
    client: &reqwest::Client,
    slug: &str,
    card: &str,
    pin: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    app.post_json(
        client,
        &format!("/api/v1/libraries/{slug}/patron-sessions"),
        json!({"card": card, "pin": pin}),
    )
    .await
}

async fn guest_count(app: &TestApp) -> i64 {
    let row = app
        .store
        .db
        .query_one_raw(Statement::from_string(
            app.store.backend(),
            "SELECT COUNT(*) AS n FROM guests",
        ))
        .await
        .expect("count")
        .expect("row");
    row.try_get("", "n").expect("n")
}

#[tokio::test]
async fn a_patron_signs_in_with_card_and_pin_and_neither_is_stored_anywhere() {
    // Invariant 1: after a card sign-in, no file or row holds the card number or the PIN.
    let app = spawn_app().await;
    let (_, _op, _server) = riverside(&app).await;
    let c = client();
    let (status, headers, body) = card_sign_in(&app, &c, "riverside", "2000-0001", PIN).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["library"], "riverside");
    assert!(
        set_cookies(&headers)
            .iter()
            .any(|c| c.starts_with("lyceum_session=") && c.contains("Max-Age")),
        "an own-device session cookie has a lifetime"
    );
    let (status, guest) = app.get_json(&c, "/api/v1/guest").await;
    assert_eq!(status, StatusCode::OK, "{guest}");
    assert_eq!(guest["library"], "riverside");
    // The library's card system is named in the guest's ledger.
    let ledger = app
        .store
        .disclosures(SubjectId(
            app.store
                .guests()
                .get(first_guest(&app).await)
                .await
                .expect("get")
                .expect("guest")
                .id
                .0,
        ))
        .await
        .expect("ledger");
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].recipient, "library-system:riverside");
    if app.is_postgres {
        for table in [
            "guests",
            "sessions",
            "seat_uses",
            "usage_counts",
            "disclosures",
            "library_audit",
            "libraries",
        ] {
            let rows = app
                .store
                .db
                .query_all_raw(Statement::from_string(
                    app.store.backend(),
                    format!("SELECT CAST(t AS text) AS row FROM {table} t"),
                ))
                .await
                .expect("query");
            for r in rows {
                let text: String = r.try_get("", "row").expect("text");
                assert!(
                    !text.contains(CARD) && !text.contains("AD4321"),
                    "{table} holds the card"
                );
            }
        }
    }
    for f in files_under(app.data_dir.path()) {
        let bytes = std::fs::read(&f).expect("read");
        for needle in [CARD, "2000-0001", "AD4321"] {
            assert!(
                !contains(&bytes, needle.as_bytes()),
                "{} contains {needle:?}",
                f.display()
            );
        }
    }
}

async fn first_guest(app: &TestApp) -> GuestId {
    let row = app
        .store
        .db
        .query_one_raw(Statement::from_string(
            app.store.backend(),
            "SELECT id FROM guests",
        ))
        .await
        .expect("query")
        .expect("a guest");
    GuestId(row.try_get("", "id").expect("id"))
}

#[tokio::test]
async fn refused_cards_get_the_right_status_and_problem_type() {
    // Expired and blocked cards are 403 with their own type and the library's contact; wrong PINs 401.
    let app = spawn_app().await;
    let (_, _op, _server) = riverside(&app).await;
    let cases = [
        (
            "20000002",
            PIN,
            StatusCode::FORBIDDEN,
            "urn:lyceum:problem:card-expired",
        ),
        (
            "20000003",
            PIN,
            StatusCode::FORBIDDEN,
            "urn:lyceum:problem:card-blocked",
        ),
        (
            "20000004",
            PIN,
            StatusCode::FORBIDDEN,
            "urn:lyceum:problem:card-blocked",
        ),
        (
            CARD,
            "0000",
            StatusCode::UNAUTHORIZED,
            "urn:lyceum:problem:unauthorized",
        ),
        (
            "29999999",
            PIN,
            StatusCode::UNAUTHORIZED,
            "urn:lyceum:problem:unauthorized",
        ),
        (
            "",
            PIN,
            StatusCode::UNPROCESSABLE_ENTITY,
            "urn:lyceum:problem:validation",
        ),
        (
            "12|4567",
            PIN,
            StatusCode::UNPROCESSABLE_ENTITY,
            "urn:lyceum:problem:validation",
        ),
    ];
    for (card, pin, status, problem) in cases {
        let c = client();
        let (got, headers, body) = card_sign_in(&app, &c, "riverside", card, pin).await;
        assert_eq!(got, status, "card {card:?}: {body}");
        assert_eq!(body["type"], problem, "card {card:?}");
        assert!(
            set_cookies(&headers).is_empty(),
            "no session for a refused card"
        );
        if status == StatusCode::FORBIDDEN {
            assert!(
                body["detail"]
                    .as_str()
                    .unwrap_or("")
                    .contains("01632 960000"),
                "the refusal names the library's contact: {body}"
            );
        }
    }
    assert_eq!(
        guest_count(&app).await,
        0,
        "refused cards leave no guest behind"
    );
    // The unknown-card and wrong-PIN answers are the same words.
    let (_, _, a) = card_sign_in(&app, &client(), "riverside", CARD, "0000").await;
    let (_, _, b) = card_sign_in(&app, &client(), "riverside", "29999998", PIN).await;
    assert_eq!(a["detail"], b["detail"]);
    let (status, _, _) = card_sign_in(&app, &client(), "nowhere", CARD, PIN).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_slow_silent_or_garbled_library_system_gives_a_clear_503() {
    // Faults in the ILS never become a 500: the patron is told to try again or ask staff.
    let app = spawn_app().await;
    let (_, op) = operator(&app).await;
    let server = sip2_server(vec![]).await;
    sip2_library(&app, op, "riverside", &server, 500).await;
    for fault in [Fault::Slow(Duration::from_secs(2)), Fault::Garbage] {
        server.set_fault(fault);
        let (status, _, body) = card_sign_in(&app, &client(), "riverside", CARD, PIN).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["type"], "urn:lyceum:problem:unavailable");
        assert!(body["detail"].as_str().unwrap_or("").contains("card check"));
    }
    // A dropped connection is retried on a fresh one and the patron never notices.
    server.set_fault(Fault::None);
    let (status, _, body) = card_sign_in(&app, &client(), "riverside", CARD, PIN).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    server.set_fault(Fault::Disconnect);
    let (status, _, body) = card_sign_in(&app, &client(), "riverside", CARD, PIN).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    server.shutdown().await;
    let (status, _, body) = card_sign_in(&app, &client(), "riverside", CARD, PIN).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    // The page says the same, as a page.
    let c = client();
    let (status, _, html) = app
        .submit_form(
            &c,
            "/libraries/riverside",
            "/libraries/riverside/sign-in",
            &[("card", CARD), ("pin", PIN), ("shared_computer", "yes")],
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(html.contains("card check is not answering"), "{html}");
    assert!(
        html.contains("Library card number"),
        "the form is still there to try again"
    );
}

#[tokio::test]
async fn guessing_pins_is_limited_per_card() {
    // The ninth try on one card within 15 minutes is refused before the library is asked.
    let app = spawn_app().await;
    let (_, _op, server) = riverside(&app).await;
    for i in 0..8 {
        let (status, _, _) =
            card_sign_in(&app, &client(), "riverside", CARD, &format!("{i:04}")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let seen = server.requests_seen();
    let (status, headers, body) = card_sign_in(&app, &client(), "riverside", CARD, PIN).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(headers.contains_key("retry-after"));
    assert_eq!(
        server.requests_seen(),
        seen,
        "the library's system was not asked"
    );
    // Another card is unaffected.
    let (status, _, _) = card_sign_in(&app, &client(), "riverside", "20000002", PIN).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn one_card_is_one_guest_and_libraries_do_not_share_pseudonyms() {
    // The pseudonym is stable per library and unrelated across libraries.
    let app = spawn_app().await;
    let (_, op) = operator(&app).await;
    let server = sip2_server(vec![]).await;
    let a = sip2_library(&app, op, "riverside", &server, 5000).await;
    let b = sip2_library(&app, op, "hillcrest", &server, 5000).await;
    for _ in 0..2 {
        let (status, _, _) = card_sign_in(&app, &client(), "riverside", CARD, PIN).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    assert_eq!(guest_count(&app).await, 1);
    let card = lyceum_core::domain::CardNumber::parse(CARD).expect("card");
    let pa = app
        .store
        .libraries()
        .pseudonym(&a, &card)
        .expect("pseudonym");
    let pb = app
        .store
        .libraries()
        .pseudonym(&b, &card)
        .expect("pseudonym");
    assert_ne!(pa, pb);
    assert!(!contains(&pa, CARD.as_bytes()));
}

#[tokio::test]
async fn when_seats_run_out_new_patrons_are_told_and_counted_ones_carry_on() {
    // A licence of one seat a month: the second card is refused with the contact; the first still gets in.
    let app = spawn_app().await;
    let (_, op) = operator(&app).await;
    let server = sip2_server(vec![patron("20000005", TestPatronState::Valid)]).await;
    let l = sip2_library(&app, op, "riverside", &server, 5000).await;
    let mut c = changes(&l);
    c.licence = Licence::SeatsPerMonth(1);
    app.store
        .libraries()
        .update(l.id, c, op)
        .await
        .expect("update");
    let (status, _, _) = card_sign_in(&app, &client(), "riverside", CARD, PIN).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, body) = card_sign_in(&app, &client(), "riverside", "20000005", PIN).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["type"], "urn:lyceum:problem:seats-full");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("01632 960000")
    );
    let (status, _, _) = card_sign_in(&app, &client(), "riverside", CARD, PIN).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a patron already counted this month carries on"
    );
    // The page shows the same message on the library's own page, not an error page.
    let (status, _, html) = app
        .submit_form(
            &client(),
            "/libraries/riverside",
            "/libraries/riverside/sign-in",
            &[("card", "20000005"), ("pin", PIN)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("All places are in use this month") && html.contains("01632 960000"));
    // Next month there is a seat again.
    app.clock.advance(chrono::Duration::days(32));
    let (status, _, _) = card_sign_in(&app, &client(), "riverside", "20000005", PIN).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn reports_show_no_count_under_ten_and_no_patron() {
    // k-anonymity at the source: 9 patrons show as suppressed, 10 as 10; nothing names a patron.
    let app = spawn_app().await;
    let (op_client, op) = operator(&app).await;
    let extra: Vec<TestPatron> = (10..30)
        .map(|i| patron(&format!("300000{i}"), TestPatronState::Valid))
        .collect();
    let server = sip2_server(extra).await;
    sip2_library(&app, op, "riverside", &server, 5000).await;
    for i in 10..19 {
        let (status, _, _) =
            card_sign_in(&app, &client(), "riverside", &format!("300000{i}"), PIN).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let cell = |report: &Value, metric: &str| -> Value {
        report["cells"]
            .as_array()
            .and_then(|cells| cells.iter().find(|c| c["metric"] == metric))
            .map(|c| c["count"].clone())
            .unwrap_or(Value::Null)
    };
    let (status, report) = app
        .get_json(&op_client, "/api/v1/libraries/riverside/reports")
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        cell(&report, "patrons_active"),
        Value::Null,
        "9 patrons are suppressed"
    );
    let csv = op_client
        .get(app.url("/api/v1/libraries/riverside/reports.csv"))
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    assert!(
        csv.contains("patrons_active,Total") && csv.contains("<10"),
        "{csv}"
    );
    assert!(!csv.contains(",9"), "no cell shows 9: {csv}");
    let (status, _, _) = card_sign_in(&app, &client(), "riverside", "30000019", PIN).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, report) = app
        .get_json(&op_client, "/api/v1/libraries/riverside/reports")
        .await;
    assert_eq!(cell(&report, "patrons_active"), json!(10));
    // No guest id appears in anything staff can read.
    let guest = first_guest(&app).await.to_string();
    let (_, audit) = app
        .get_json(&op_client, "/api/v1/libraries/riverside/audit")
        .await;
    let (_, _, admin_html) = app.get_page(&op_client, "/libraries/riverside/admin").await;
    let (_, _, report_html) = app
        .get_page(&op_client, "/libraries/riverside/admin/reports")
        .await;
    for text in [
        report.to_string(),
        audit.to_string(),
        csv,
        admin_html,
        report_html.clone(),
    ] {
        assert!(
            !text.contains(&guest),
            "a patron id leaked into a staff view"
        );
    }
    assert!(
        report_html.contains("<td>10</td>"),
        "ten patrons are shown: {report_html}"
    );
    // Reports are for staff only.
    let (status, _) = app
        .get_json(&client(), "/api/v1/libraries/riverside/reports")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let member = app.sign_up("ann@example.org", "Ann").await;
    let (status, _) = app
        .get_json(&member.client, "/api/v1/libraries/riverside/reports")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_guest_sees_their_data_and_deletes_everything() {
    // "My data" lists what is held; "delete everything now" leaves no row and no key.
    let app = spawn_app().await;
    let (_, _op, _server) = riverside(&app).await;
    let c = client();
    card_sign_in(&app, &c, "riverside", CARD, PIN).await;
    let guest = first_guest(&app).await;
    let (status, _, html) = app.get_page(&c, "/my-data").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("A code made from your library card"));
    assert!(
        html.contains("riverside library") && html.contains("s card system"),
        "the ledger names the library's system: {html}"
    );
    // Without the confirmation box nothing is deleted.
    let (status, _, _) = app.submit_form(&c, "/my-data", "/my-data/erase", &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(guest_count(&app).await, 1);
    let (location, status, html) = app
        .submit_form_and_follow(&c, "/my-data", "/my-data/erase", &[("confirm", "yes")])
        .await;
    assert_eq!(location, "/libraries/riverside?done=erased");
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Everything about you has been deleted"));
    assert_eq!(guest_count(&app).await, 0);
    assert!(
        app.store.keyring.get(SubjectId::from(guest)).await.is_err(),
        "the key is destroyed"
    );
    for (table, n) in crate::erasure::rows_of(&app, SubjectId::from(guest)).await {
        assert_eq!(n, 0, "{table} still names the guest");
    }
    let (status, _) = app.get_json(&c, "/api/v1/guest").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The card can start afresh.
    let (status, _, _) = card_sign_in(&app, &client(), "riverside", CARD, PIN).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app.get_json(&c, "/api/v1/guest").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let c2 = client();
    card_sign_in(&app, &c2, "riverside", CARD, PIN).await;
    let res = c2
        .delete(app.url("/api/v1/guest"))
        .send()
        .await
        .expect("delete");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(guest_count(&app).await, 0);
}

#[tokio::test]
async fn a_shared_computer_session_ends_with_the_browser_and_after_idle_time() {
    // Public-computer mode: no cookie lifetime, no-store pages, sign-out after the idle limit.
    let app = spawn_app().await;
    let (_, _op, _server) = riverside(&app).await;
    let c = client();
    let (status, headers, body) = app
        .post_json(
            &c,
            "/api/v1/libraries/riverside/patron-sessions",
            json!({"card": CARD, "pin": PIN, "shared_computer": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["idle_timeout_seconds"], 900);
    let cookie = set_cookies(&headers)
        .into_iter()
        .find(|c| c.starts_with("lyceum_session="))
        .expect("cookie");
    assert!(
        !cookie.contains("Max-Age") && !cookie.contains("Expires"),
        "{cookie}"
    );
    let (status, headers, html) = app.get_page(&c, "/libraries/riverside/learn").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    assert!(html.contains("data-idle-seconds=\"900\"") && html.contains("/static/idle.js"));
    // Activity keeps it alive…
    app.clock.advance(chrono::Duration::minutes(10));
    let (status, _) = app.get_json(&c, "/api/v1/session").await;
    assert_eq!(status, StatusCode::OK);
    app.clock.advance(chrono::Duration::minutes(10));
    let (status, _) = app.get_json(&c, "/api/v1/guest").await;
    assert_eq!(status, StatusCode::OK);
    // …and 16 idle minutes end it for good.
    app.clock.advance(chrono::Duration::minutes(16));
    let (status, _) = app.get_json(&c, "/api/v1/guest").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.clock.advance(chrono::Duration::seconds(-16 * 60));
    let (status, _) = app.get_json(&c, "/api/v1/guest").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the ended session does not come back"
    );
    // The sign-in form never lets the browser remember the card.
    let (_, _, html) = app.get_page(&client(), "/libraries/riverside").await;
    assert!(
        html.contains("name=\"card\" type=\"text\" value=\"\" autocomplete=\"off\""),
        "{html}"
    );
}

#[tokio::test]
async fn idle_guests_are_scrubbed_after_the_library_retention_period() {
    // Retention: a guest not seen for the library's period (365 days by default) is erased, key and rows.
    let app = spawn_app().await;
    let (_, _op, _server) = riverside(&app).await;
    card_sign_in(&app, &client(), "riverside", CARD, PIN).await;
    let guest = first_guest(&app).await;
    app.clock.advance(chrono::Duration::days(364));
    let report = app.store.scrub(Default::default()).await.expect("scrub");
    assert_eq!(report.erased_guests, 0);
    assert!(
        report.expired_seats >= 1,
        "last year's seat records are gone"
    );
    app.clock.advance(chrono::Duration::days(2));
    let report = app.store.scrub(Default::default()).await.expect("scrub");
    assert_eq!(report.erased_guests, 1);
    assert_eq!(guest_count(&app).await, 0);
    assert!(app.store.keyring.get(SubjectId::from(guest)).await.is_err());
}

#[tokio::test]
async fn a_small_library_signs_patrons_in_from_its_card_list() {
    // No SIP2: the library uploads card numbers with argon2 PIN hashes; only pseudonyms are kept.
    let app = spawn_app().await;
    let (op_client, _) = operator(&app).await;
    let libs = app.store.libraries();
    libs.create(
        NewLibrary {
            slug: LibrarySlug::parse("smallville").expect("slug"),
            name: LibraryName::parse("Smallville Library").expect("name"),
        },
        None,
    )
    .await
    .expect("library");
    let hash = lyceum_store::libraries::hash_pin("2468").expect("hash");
    let (status, _, body) = app
        .post_json(
            &op_client,
            "/api/v1/libraries/smallville/card-list",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    let res = op_client
        .put(app.url("/api/v1/libraries/smallville/card-list"))
        .json(&json!({"cards": format!("# card,pin\n5555 1234,{hash}\n")}))
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), StatusCode::OK);
    let bad = op_client
        .put(app.url("/api/v1/libraries/smallville/card-list"))
        .json(&json!({"cards": "55551234,plain-pin\n"}))
        .send()
        .await
        .expect("put");
    assert_eq!(
        bad.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a plain PIN is refused"
    );
    assert_eq!(
        libs.card_list_len(libs.by_slug("smallville").await.expect("q").expect("l").id)
            .await
            .expect("n"),
        1,
        "a refused list changes nothing"
    );
    let mut settings = app
        .get_json(&op_client, "/api/v1/libraries/smallville/settings")
        .await
        .1;
    settings["auth_method"] = json!("static_list");
    for key in ["slug", "sip2", "has_sip2_password"] {
        settings.as_object_mut().expect("object").remove(key);
    }
    let res = op_client
        .put(app.url("/api/v1/libraries/smallville/settings"))
        .json(&settings)
        .send()
        .await
        .expect("put");
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let (status, _, _) = card_sign_in(&app, &client(), "smallville", "5555-1234", "2468").await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) = card_sign_in(&app, &client(), "smallville", "55551234", "0000").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = card_sign_in(&app, &client(), "smallville", "55559999", "2468").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn staff_changes_are_checked_and_audited() {
    // A brand colour white text cannot be read on is refused; a saved change is in the audit log.
    let app = spawn_app().await;
    let (op_client, op, _server) = riverside(&app).await;
    let (status, mut settings) = app
        .get_json(&op_client, "/api/v1/libraries/riverside/settings")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(settings["has_sip2_password"], true);
    assert!(
        !settings.to_string().contains("sip-secret"),
        "the SIP2 password is never returned"
    );
    for key in ["slug", "sip2", "has_sip2_password"] {
        settings.as_object_mut().expect("object").remove(key);
    }
    settings["brand_colour"] = json!("#ffff00");
    let res = op_client
        .put(app.url("/api/v1/libraries/riverside/settings"))
        .json(&settings)
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "brand_colour");
    settings["brand_colour"] = json!("#7a1f5c");
    settings["town"] = json!("Riverside");
    let res = op_client
        .put(app.url("/api/v1/libraries/riverside/settings"))
        .json(&settings)
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), StatusCode::OK);
    let (_, audit) = app
        .get_json(&op_client, "/api/v1/libraries/riverside/audit")
        .await;
    assert_eq!(audit[0]["action"], "Changed the library's settings");
    let css = reqwest::get(app.url("/libraries/riverside/theme.css"))
        .await
        .expect("css")
        .text()
        .await
        .expect("text");
    assert!(css.contains("#7a1f5c"));
    // The connection test logs in and reads the server's status.
    let res = op_client
        .post(app.url("/api/v1/libraries/riverside/sip2/test"))
        .send()
        .await
        .expect("test");
    assert_eq!(res.status(), StatusCode::OK);
    let status: Value = res.json().await.expect("json");
    assert_eq!(status["protocol_version"], "2.00");
    // The search finds it by town; a member who is not staff cannot see settings.
    let (_, list) = app.get_json(&client(), "/api/v1/libraries?q=river").await;
    assert_eq!(list[0]["slug"], "riverside");
    let member = app.sign_up("bo@example.org", "Bo").await;
    let (status, _) = app
        .get_json(&member.client, "/api/v1/libraries/riverside/settings")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Once made staff, they can.
    let lib = app
        .store
        .libraries()
        .by_slug("riverside")
        .await
        .expect("q")
        .expect("l");
    let bo = MemberId(subject_of(&app, &member.client).await.0);
    app.store
        .libraries()
        .add_staff(lib.id, bo, Some(op))
        .await
        .expect("staff");
    let (status, _) = app
        .get_json(&member.client, "/api/v1/libraries/riverside/settings")
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_member_links_a_card_and_detaching_restores_a_pure_guest() {
    // Upgrade is an explicit, reversible choice; a card links to one account; erasure takes linked cards along.
    let app = spawn_app().await;
    let (_, _op, _server) = riverside(&app).await;
    let patron_client = client();
    card_sign_in(&app, &patron_client, "riverside", CARD, PIN).await;
    let guest = first_guest(&app).await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let (status, _, body) = app
        .post_json(
            &ann.client,
            "/api/v1/me/library-cards",
            json!({"library": "riverside", "card": CARD, "pin": "0000"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a wrong PIN links nothing: {body}"
    );
    let (status, _, body) = app
        .post_json(
            &ann.client,
            "/api/v1/me/library-cards",
            json!({"library": "riverside", "card": CARD, "pin": PIN}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body[0]["guest"],
        guest.to_string(),
        "the card's existing guest history is the one linked"
    );
    let (_, _, html) = app.get_page(&patron_client, "/my-data").await;
    assert!(
        html.contains("A link from your card to a member account"),
        "the guest sees the link"
    );
    // Another account cannot take the same card.
    let bo = app.sign_up("bo@example.org", "Bo").await;
    let (status, _, _) = app
        .post_json(
            &bo.client,
            "/api/v1/me/library-cards",
            json!({"library": "riverside", "card": CARD, "pin": PIN}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Detaching leaves the guest and its history in place.
    let res = ann
        .client
        .delete(app.url(&format!("/api/v1/me/library-cards/{guest}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_json(&ann.client, "/api/v1/me/library-cards")
            .await
            .1,
        json!([])
    );
    assert_eq!(guest_count(&app).await, 1);
    assert_eq!(
        app.get_json(&patron_client, "/api/v1/guest").await.0,
        StatusCode::OK
    );
    // Linked again through the page, then the account is erased: the card's history goes with it.
    let (location, status, html) = app
        .submit_form_and_follow(
            &ann.client,
            "/me/library-cards",
            "/me/library-cards",
            &[("library", "riverside"), ("card", CARD), ("pin", PIN)],
        )
        .await;
    assert_eq!(location, "/me/library-cards?done=linked");
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("The card is linked"), "{html}");
    erase_me(&app, &ann.client).await;
    assert_eq!(guest_count(&app).await, 0);
    assert!(app.store.keyring.get(SubjectId::from(guest)).await.is_err());
}

#[tokio::test]
async fn an_operator_adds_a_library_from_the_pages() {
    // /admin/libraries: operators add libraries; a taken short name is a clear 409; members may not.
    let app = spawn_app().await;
    let (op_client, _) = operator(&app).await;
    let (location, status, html) = app
        .submit_form_and_follow(
            &op_client,
            "/admin/libraries",
            "/admin/libraries",
            &[
                ("slug", "eastgate"),
                ("name", "Eastgate Library"),
                ("town", "Eastgate"),
            ],
        )
        .await;
    assert_eq!(location, "/libraries/eastgate/admin");
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Eastgate Library: settings"));
    let (status, _, html) = app
        .submit_form(
            &op_client,
            "/admin/libraries",
            "/admin/libraries",
            &[("slug", "eastgate"), ("name", "Another")],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("already uses the short name"));
    let (status, _, html) = app
        .submit_form(
            &op_client,
            "/admin/libraries",
            "/admin/libraries",
            &[("slug", "x"), ("name", "")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Enter the library"));
    let (_, list) = app
        .get_json(&client(), "/api/v1/libraries?q=eastgate")
        .await;
    assert_eq!(list[0]["town"], "Eastgate");
    let member = app.sign_up("cy@example.org", "Cy").await;
    let (status, _, _) = app.get_page(&member.client, "/admin/libraries").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_guest_exports_their_data_and_erases_through_the_common_endpoint() {
    // Art. 15/20 for guests: the archive holds every field kept for them and the ledger, never the card.
    let app = spawn_app().await;
    let (_, _op, _server) = riverside(&app).await;
    let c = client();
    card_sign_in(&app, &c, "riverside", CARD, PIN).await;
    let res = c
        .get(app.url("/api/v1/guest/export"))
        .send()
        .await
        .expect("export");
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.expect("body");
    assert!(
        !contains(&bytes, CARD.as_bytes()),
        "the card number is not in the archive"
    );
    let files = lyceum_store::zip::read_stored(&bytes).expect("a valid ZIP");
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "account.json",
        "data/guests.json",
        "data/sessions.json",
        "data/seat_uses.json",
        "data/disclosures.json",
        "recipients.json",
        "index.html",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} is missing from {names:?}"
        );
    }
    let file = |name: &str| -> Value {
        let (_, data) = files.iter().find(|(n, _)| n == name).expect("file");
        serde_json::from_slice(data).expect("JSON")
    };
    assert_eq!(file("account.json")["library"], "riverside library");
    assert_eq!(
        file("recipients.json")[0]["recipient_name"],
        "riverside library's card system"
    );
    let (status, _, html) = app.get_page(&c, "/my-data").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("/my-data/export"));
    // DELETE /api/v1/me works for a guest session too, with no password.
    let res = c
        .delete(app.url("/api/v1/me"))
        .json(&json!({}))
        .send()
        .await
        .expect("erase");
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(guest_count(&app).await, 0);
}

/// A multipart/form-data body, as a browser sends a file form.
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----lyceum-test-boundary";
    let mut body = Vec::new();
    for (name, filename, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn staff_upload_a_logo_that_must_really_be_an_image() {
    // Branding: PNG/JPEG/WebP up to 256 KiB, checked by content; SVG and oversize files are refused.
    let app = spawn_app().await;
    let (op_client, _op, _server) = riverside(&app).await;
    let (_, _, html) = app.get_page(&op_client, "/libraries/riverside/admin").await;
    let csrf = csrf_from(&html).expect("csrf");
    let post = |parts: Vec<(&'static str, Option<&'static str>, Vec<u8>)>| {
        let csrf = csrf.clone();
        let op_client = op_client.clone();
        let url = app.url("/libraries/riverside/admin/logo");
        async move {
            let mut all: Vec<(&str, Option<&str>, &[u8])> = vec![("csrf", None, csrf.as_bytes())];
            for (n, f, d) in &parts {
                all.push((n, *f, d.as_slice()));
            }
            let (ct, body) = multipart(&all);
            let res = op_client
                .post(url)
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .expect("upload");
            (res.status(), res.text().await.unwrap_or_default())
        }
    };
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec();
    let (status, html) = post(vec![("logo", Some("logo.png"), svg)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("PNG, JPEG or WebP"));
    let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
    big.resize(300 * 1024, 0);
    let (status, _) = post(vec![("logo", Some("big.png"), big)]).await;
    assert!(
        status.is_client_error(),
        "an oversize logo is refused: {status}"
    );
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&[0u8; 64]);
    let (status, html) = post(vec![("logo", Some("logo.png"), png.clone())]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let (_, _, html) = app
        .get_page(&op_client, "/libraries/riverside/admin?done=logo-saved")
        .await;
    assert!(html.contains("Logo saved."));
    let res = client()
        .get(app.url("/libraries/riverside/logo"))
        .send()
        .await
        .expect("logo");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.expect("bytes").to_vec(), png);
    let (_, _, page) = app.get_page(&client(), "/libraries/riverside").await;
    assert!(page.contains("/libraries/riverside/logo"));
    let (status, _) = post(vec![("remove", None, b"yes".to_vec())]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let res = client()
        .get(app.url("/libraries/riverside/logo"))
        .send()
        .await
        .expect("logo");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Without the form's token nothing changes.
    let (ct, body) = multipart(&[("logo", Some("x.png"), b"\x89PNG\r\n\x1a\n")]);
    let res = op_client
        .post(app.url("/libraries/riverside/admin/logo"))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_guest_who_objects_is_left_out_of_the_counts_but_keeps_their_seat() {
    // Art. 21: objecting to usage statistics stops the counters at once; the licence seat is still taken.
    let app = spawn_app().await;
    let (_, _op, _server) = riverside(&app).await;
    let c = client();
    card_sign_in(&app, &c, "riverside", CARD, PIN).await;
    let (location, status, html) = app
        .submit_form_and_follow(
            &c,
            "/my-data",
            "/my-data/objections/usage_statistics",
            &[("objected", "yes")],
        )
        .await;
    assert_eq!(location, "/my-data?done=objected");
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Withdraw my objection"), "{html}");
    let (_, objections) = app.get_json(&c, "/api/v1/objections").await;
    assert_eq!(objections[0]["objected"], true);
    for _ in 0..3 {
        card_sign_in(&app, &client(), "riverside", CARD, PIN).await;
    }
    let lib = app
        .store
        .libraries()
        .by_slug("riverside")
        .await
        .expect("q")
        .expect("l");
    let month = lyceum_core::domain::Month::of(lyceum_core::clock::Clock::now(app.clock.as_ref()));
    // The counter itself (the report would suppress a count this small).
    let row = app
        .store
        .db
        .query_one_raw(Statement::from_string(
            app.store.backend(),
            "SELECT count FROM usage_counts WHERE metric = 'sign_ins'",
        ))
        .await
        .expect("query")
        .expect("row");
    assert_eq!(
        row.try_get::<i64>("", "count").expect("count"),
        1,
        "only the first sign-in, before the objection, was counted"
    );
    assert_eq!(
        app.store
            .guests()
            .seats_used(lib.id, month)
            .await
            .expect("seats"),
        1
    );
    // Withdrawing through the API counts them again.
    let res = c
        .put(app.url("/api/v1/objections/usage_statistics"))
        .json(&json!({"objected": false}))
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), StatusCode::OK);
    let res = c
        .put(app.url("/api/v1/objections/advertising"))
        .json(&json!({"objected": true}))
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_json(&client(), "/api/v1/objections").await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_card_linked_to_an_account_is_kept_while_the_account_is_open() {
    // Retention: a linked card follows its member account, not the guest period.
    let app = spawn_app().await;
    let (_, _op, _server) = riverside(&app).await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let (status, _, _) = app
        .post_json(
            &ann.client,
            "/api/v1/me/library-cards",
            json!({"library": "riverside", "card": CARD, "pin": PIN}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.clock.advance(chrono::Duration::days(400));
    let report = app.store.scrub(Default::default()).await.expect("scrub");
    assert_eq!(report.erased_guests, 0);
    assert_eq!(guest_count(&app).await, 1);
}
