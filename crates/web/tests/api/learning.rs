//! The learning library: catalog search and facets, enrolment and progress
//! for members and guests, quizzes graded on the server, certificates whose
//! printed name is kept nowhere, credentials that verify (and tampered ones
//! that do not), key rotation, idempotent import, and erasure.

use crate::erasure::rows_of;
use crate::helpers::*;
use crate::privacy::{contains, files_under};
use lyceum_core::domain::learning::{
    CourseStatus, Language, LessonKind, Level, QuizQuestion, Skill,
};
use lyceum_core::domain::{CardNumber, LibraryName, LibrarySlug, Licence};
use lyceum_store::learning::{
    CourseInput, InstructorInput, LessonInput, NewProvider, Provider, SectionInput,
};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

fn lesson(title: &str, kind: LessonKind) -> LessonInput {
    LessonInput {
        title: title.into(),
        kind,
        body: format!("## {title}\n\nText of {title}."),
        captions: None,
        duration_minutes: 10,
        pass_percent: None,
        questions: if kind == LessonKind::Quiz {
            vec![
                QuizQuestion {
                    prompt: "Two plus two?".into(),
                    choices: vec!["three".into(), "four".into()],
                    answer: 1,
                    explanation: "SECRET-EXPLANATION-ONE".into(),
                },
                QuizQuestion {
                    prompt: "Capital of France?".into(),
                    choices: vec!["Paris".into(), "Lyon".into(), "Nice".into()],
                    answer: 0,
                    explanation: "SECRET-EXPLANATION-TWO".into(),
                },
            ]
        } else {
            Vec::new()
        },
    }
}

fn course(id: &str, title: &str, level: Level, language: &str, skills: &[&str]) -> CourseInput {
    CourseInput {
        external_id: id.into(),
        title: title.into(),
        summary: format!("All about {title}."),
        description: "Long **description**.".into(),
        level,
        language: Language::parse(language).expect("language"),
        duration_minutes: 0,
        skills: skills
            .iter()
            .map(|s| Skill::parse(s).expect("skill"))
            .collect(),
        instructors: vec![InstructorInput {
            name: "Ada Example".into(),
            bio: "Teaches things.".into(),
        }],
        sections: vec![
            SectionInput {
                title: "Start".into(),
                lessons: vec![lesson("Reading one", LessonKind::Article)],
            },
            SectionInput {
                title: "Finish".into(),
                lessons: vec![lesson("Final quiz", LessonKind::Quiz)],
            },
        ],
        status: CourseStatus::Published,
    }
}

async fn provider(app: &TestApp, slug: &str, partner: bool) -> Provider {
    app.store
        .learning()
        .ensure_provider(NewProvider {
            slug: slug.into(),
            name: format!("Provider {slug}"),
            website: None,
            description: String::new(),
            is_partner: partner,
        })
        .await
        .expect("provider")
}

/// A small catalog: returns the id of "Spreadsheets for everyone".
pub(crate) async fn catalog(app: &TestApp) -> String {
    let own = provider(app, "own", false).await;
    let partner = provider(app, "partner", true).await;
    let learning = app.store.learning();
    learning
        .import(
            &own,
            &[
                course(
                    "s1",
                    "Spreadsheets for everyone",
                    Level::Beginner,
                    "en",
                    &["Spreadsheets", "Budgeting"],
                ),
                course(
                    "s2",
                    "Advanced spreadsheet modelling",
                    Level::Advanced,
                    "en",
                    &["Spreadsheets"],
                ),
                course("c1", "Writing a CV", Level::Beginner, "en", &["CV writing"]),
            ],
        )
        .await
        .expect("import");
    let mut draft = course(
        "d1",
        "Unpublished spreadsheet draft",
        Level::Beginner,
        "en",
        &["Spreadsheets"],
    );
    draft.status = CourseStatus::Draft;
    learning
        .import(
            &partner,
            &[
                course(
                    "p1",
                    "Hojas de cálculo",
                    Level::Beginner,
                    "es",
                    &["Spreadsheets"],
                ),
                draft,
            ],
        )
        .await
        .expect("import");
    let (_, list) = app
        .get_json(&app.client, "/api/v1/courses?q=everyone")
        .await;
    list["courses"][0]["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn the_catalog_searches_filters_and_counts_facets() {
    let app = spawn_app().await;
    catalog(&app).await;
    // An operator may build this node's index again from the database.
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let (status, _, _) = app
        .post_json(&ann.client, "/api/v1/admin/search/rebuild", json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let op = app.set_up().await;
    let (status, _, rebuilt) = app
        .post_json(&op, "/api/v1/admin/search/rebuild", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{rebuilt}");
    assert_eq!(rebuilt["courses"], 4, "the published courses");
    let c = &app.client;
    let (status, all) = app.get_json(c, "/api/v1/courses").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["total"], 4, "drafts are not in the catalog: {all}");
    let (_, s) = app.get_json(c, "/api/v1/courses?q=SPREAD").await;
    assert_eq!(
        s["total"], 3,
        "case-insensitive, prefix of a word, skills count too"
    );
    let (_, s) = app
        .get_json(
            c,
            "/api/v1/courses?q=spreadsheet&level=beginner&language=en",
        )
        .await;
    assert_eq!(s["total"], 1);
    assert_eq!(s["courses"][0]["title"], "Spreadsheets for everyone");
    let levels: Vec<(String, u64)> = s["facets"]["level"]
        .as_array()
        .expect("levels")
        .iter()
        .map(|f| {
            (
                f["value"].as_str().unwrap_or_default().to_owned(),
                f["count"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        levels,
        vec![("beginner".into(), 1), ("advanced".into(), 1)],
        "a facet counts as if its own filter were off"
    );
    let (_, s) = app.get_json(c, "/api/v1/courses?provider=partner").await;
    assert_eq!(s["total"], 1);
    assert_eq!(s["courses"][0]["partner_content"], true);
    let (_, s) = app.get_json(c, "/api/v1/courses?skill=Budgeting").await;
    assert_eq!(s["total"], 1);
    let (_, s) = app.get_json(c, "/api/v1/courses?q=spredsheet").await;
    assert_eq!(s["total"], 3, "a typo is forgiven");
    let (_, s) = app.get_json(c, "/api/v1/courses?q=ada%20exam").await;
    assert_eq!(
        s["total"], 4,
        "instructors are searched, the last word as a prefix"
    );
    let (_, s) = app.get_json(c, "/api/v1/courses?q=100%25").await;
    assert_eq!(s["total"], 0, "LIKE wildcards in a query are literal");
    let (_, s) = app.get_json(c, "/api/v1/courses?per_page=2&page=2").await;
    assert_eq!(s["courses"].as_array().map(Vec::len), Some(2));
    let (status, p) = app.get_json(c, "/api/v1/courses?level=expert").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("beginner"),
        "{p}"
    );

    let res = c
        .get(app.url("/courses?q=spreadsheet&level=beginner"))
        .send()
        .await
        .expect("page");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains("Spreadsheets for everyone"));
    assert!(html.contains("Hojas de cálculo"));
    assert!(!html.contains("Unpublished spreadsheet draft"));
    let res = c
        .get(app.url("/courses?page=99"))
        .send()
        .await
        .expect("page");
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "past the end goes to the last page"
    );
    assert_eq!(location(&res), "/courses?page=1");
    let res = c
        .get(app.url("/courses?duration=forever"))
        .send()
        .await
        .expect("page");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let (status, _) = app
        .get_json(c, "/api/v1/courses/unpublished-spreadsheet-draft")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a draft is not found");
}

pub(crate) async fn enrol_and_finish(
    app: &TestApp,
    client: &reqwest::Client,
    course: &str,
) -> Value {
    let (status, e) = app
        .post_json(
            client,
            &format!("/api/v1/courses/{course}/enrollments"),
            json!({}),
        )
        .await
        .pipe(|(s, _, v)| (s, v));
    assert_eq!(status, StatusCode::CREATED, "{e}");
    let (status, again) = app
        .post_json(
            client,
            &format!("/api/v1/courses/{course}/enrollments"),
            json!({}),
        )
        .await
        .pipe(|(s, _, v)| (s, v));
    assert_eq!(
        status,
        StatusCode::OK,
        "enrolling twice is the same enrolment"
    );
    assert_eq!(again["id"], e["id"]);
    let eid = e["id"].as_str().expect("id").to_owned();
    let (_, c) = app
        .get_json(client, &format!("/api/v1/courses/{course}"))
        .await;
    let reading = c["sections"][0]["lessons"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let quiz = c["sections"][1]["lessons"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // The quiz as the learner sees it carries no answers.
    let (status, q) = app
        .get_json(client, &format!("/api/v1/courses/{course}/lessons/{quiz}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = q.to_string();
    assert!(
        !text.contains("SECRET-EXPLANATION") && !text.contains("\"answer\""),
        "{text}"
    );

    let put = |lesson: String, body: Value| {
        let client = client.clone();
        let url = app.url(&format!("/api/v1/enrollments/{eid}/lessons/{lesson}"));
        async move {
            let res = client.put(url).json(&body).send().await.expect("put");
            let status = res.status();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, _) = put(quiz.clone(), json!({"completed": true})).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a quiz is not finished by saying so"
    );
    let (status, _) = put(reading.clone(), json!({"answers": [0]})).await;
    assert_eq!(status, StatusCode::CONFLICT, "a reading has no answers");
    let (status, _) = put(reading.clone(), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = put(quiz.clone(), json!({"answers": [1, 0, 2]})).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "more answers than questions"
    );

    let (status, done) = put(reading, json!({"completed": true})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(done["course_completed"], false);
    assert_eq!(done["next_lesson_id"].as_str(), Some(quiz.as_str()));

    let res = client
        .get(app.url(&format!("/api/v1/enrollments/{eid}/credential")))
        .send()
        .await
        .expect("get");
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "no credential before the course is finished"
    );

    let (_, failed) = put(quiz.clone(), json!({"answers": [0, 0]})).await;
    assert_eq!(failed["passed"], false);
    assert_eq!(failed["score"], 50);
    assert_eq!(failed["course_completed"], false);
    assert_eq!(
        failed["feedback"][0]["answer"], 1,
        "answers are shown after grading"
    );
    let (_, passed) = put(quiz, json!({"answers": [1, 0]})).await;
    assert_eq!(passed["passed"], true);
    assert_eq!(passed["course_completed"], true);

    let (_, e) = app
        .get_json(client, &format!("/api/v1/enrollments/{eid}"))
        .await;
    assert!(e["completed_at"].is_string());
    let res = client
        .get(app.url(&format!("/api/v1/enrollments/{eid}/credential")))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::OK);
    let credential: Value = res.json().await.expect("json");
    let res = client
        .get(app.url(&format!("/api/v1/enrollments/{eid}/credential")))
        .send()
        .await
        .expect("get");
    let again: Value = res.json().await.expect("json");
    assert_eq!(credential, again, "the same credential on every download");
    credential
}

trait Pipe: Sized {
    fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
        f(self)
    }
}
impl<T> Pipe for T {}

async fn verify(app: &TestApp, credential: &Value) -> Value {
    let res = app
        .client
        .post(app.url("/api/v1/credentials/verify"))
        .json(credential)
        .send()
        .await
        .expect("verify");
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("json")
}

#[tokio::test]
async fn a_member_finishes_a_course_and_the_credential_verifies_until_tampered() {
    let app = spawn_app().await;
    let course = catalog(&app).await;
    let ann = app.sign_up("ann@example.org", "Ann Learner").await;
    let credential = enrol_and_finish(&app, &ann.client, &course).await;

    assert_eq!(credential["type"][1], "OpenBadgeCredential");
    assert_eq!(credential["proof"]["cryptosuite"], "eddsa-jcs-2022");
    assert_eq!(
        credential["credentialSubject"]["achievement"]["name"],
        "Spreadsheets for everyone"
    );
    assert!(
        !credential.to_string().contains("Ann"),
        "the credential names the course, not the person"
    );
    let v = verify(&app, &credential).await;
    assert_eq!(v["valid"], true, "{v}");

    let mut tampered = credential.clone();
    tampered["credentialSubject"]["achievement"]["name"] = json!("Brain surgery");
    let v = verify(&app, &tampered).await;
    assert_eq!(v["valid"], false);
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("changed after it was signed"),
        "{v}"
    );

    let foreign = lyceum_core::credential::IssuerKey::from_secret(&[9; 32])
        .sign(
            &json!({"@context": credential["@context"], "name": "Forged"}),
            chrono::Utc::now(),
        )
        .expect("sign");
    let v = verify(&app, &foreign).await;
    assert_eq!(v["valid"], false);
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("not issued here"),
        "{v}"
    );

    let res = app
        .client
        .post(app.url("/api/v1/credentials/verify"))
        .body("{not json")
        .send()
        .await
        .expect("verify");
    let v: Value = res.json().await.expect("json");
    assert_eq!(v["valid"], false);
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("not a JSON credential")
    );

    // Rotating the key keeps old credentials valid.
    app.store
        .learning()
        .rotate_signing_key()
        .await
        .expect("rotate");
    let v = verify(&app, &credential).await;
    assert_eq!(v["valid"], true);
    assert_eq!(v["key_retired"], true);
    let (_, keys) = app.get_json(&app.client, "/api/v1/credentials/keys").await;
    assert_eq!(keys.as_array().map(Vec::len), Some(2));

    // The verify page answers in words.
    let form = reqwest::multipart::Form::new().text("credential", tampered.to_string());
    let res = app
        .client
        .post(app.url("/credentials/verify"))
        .multipart(form)
        .send()
        .await
        .expect("page");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("Not valid"));
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(credential.to_string().into_bytes()).file_name("c.json"),
    );
    let res = app
        .client
        .post(app.url("/credentials/verify"))
        .multipart(form)
        .send()
        .await
        .expect("page");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .expect("html")
            .contains("Valid: this credential is genuine")
    );

    // Erasure takes every learning record along.
    let subject = subject_of(&app, &ann.client).await;
    assert!(
        rows_of(&app, subject)
            .await
            .iter()
            .any(|(t, n)| *t == "enrolments" && *n == 1)
    );
    erase_me(&app, &ann.client).await;
    app.store.erase_rows(subject).await.expect("erase rows");
    for (table, n) in rows_of(&app, subject).await {
        assert_eq!(n, 0, "{table} still holds the learner's rows");
    }
}

/// A library whose patrons sign in from a card list, made by a new operator.
pub(crate) async fn card_list_library(app: &TestApp) {
    let op = app.set_up().await;
    card_list_library_as(app, &op).await;
}

/// A library whose patrons sign in from a card list (card 41000001, PIN
/// 2468), made by this operator.
pub(crate) async fn card_list_library_as(app: &TestApp, op: &reqwest::Client) {
    use lyceum_core::domain::BrandColour;
    use lyceum_core::domain::library::PatronAuthMethod;
    use lyceum_store::libraries::{LibraryChanges, NewLibrary};
    let operator = lyceum_core::domain::MemberId(subject_of(app, op).await.0);
    let libs = app.store.libraries();
    let library = libs
        .create(
            NewLibrary {
                slug: LibrarySlug::parse("hillside").expect("slug"),
                name: LibraryName::parse("Hillside Library").expect("name"),
            },
            Some(operator),
        )
        .await
        .expect("library");
    libs.replace_card_list(
        &library,
        vec![(
            CardNumber::parse("41000001").expect("card"),
            lyceum_store::libraries::hash_pin("2468").expect("hash"),
        )],
        Some(operator),
    )
    .await
    .expect("cards");
    libs.update(
        library.id,
        LibraryChanges {
            name: LibraryName::parse("Hillside Library").expect("name"),
            town: None,
            contact: "Ask at the desk".into(),
            brand_colour: BrandColour::parse("#1d4f91").expect("colour"),
            licence: Licence::Unlimited,
            consortium: None,
            auth_method: PatronAuthMethod::StaticList,
            shared_computer_default: false,
            idle_minutes: 20,
            guest_retention_days: 365,
        },
        operator,
    )
    .await
    .expect("update");
}

#[tokio::test]
async fn a_guest_learns_through_the_pages_and_the_printed_name_is_kept_nowhere() {
    let app = spawn_app().await;
    let course = catalog(&app).await;
    card_list_library(&app).await;
    let guest = client();
    let (status, _, _) = app
        .post_json(
            &guest,
            "/api/v1/libraries/hillside/patron-sessions",
            json!({"card": "41000001", "pin": "2468"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // Through the HTML pages, as a browser without JavaScript would.
    let slug = "spreadsheets-for-everyone";
    let (status, _, html) = app.get_page(&guest, &format!("/courses/{slug}")).await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_from(&html).expect("csrf");
    let res = guest
        .post(app.url(&format!("/courses/{slug}/enrol")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("enrol");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, _, html) = app.get_page(&guest, &location(&res)).await;
    assert!(html.contains("You are enrolled"));
    let (_, c) = app
        .get_json(&guest, &format!("/api/v1/courses/{course}"))
        .await;
    let reading = c["sections"][0]["lessons"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let quiz = c["sections"][1]["lessons"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, _, html) = app
        .get_page(&guest, &format!("/courses/{slug}/lessons/{reading}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<h3>Reading one</h3>"),
        "Markdown is rendered, one level down"
    );
    let res = guest
        .post(app.url(&format!("/courses/{slug}/lessons/{reading}/complete")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("complete");
    let next = location(&res);
    assert!(next.ends_with(&quiz), "on to the next lesson: {next}");
    let (_, _, html) = app.get_page(&guest, &next).await;
    assert!(
        !html.contains("SECRET-EXPLANATION"),
        "no answers before grading"
    );
    let res = guest
        .post(app.url(&format!("/courses/{slug}/lessons/{quiz}/quiz")))
        .form(&[("csrf", csrf.as_str()), ("q0", "1"), ("q1", "0")])
        .send()
        .await
        .expect("quiz");
    let html = res.text().await.expect("html");
    assert!(html.contains("Passed: 2 of 2 right"), "{html}");
    assert!(
        html.contains("SECRET-EXPLANATION-ONE"),
        "explanations after grading"
    );
    assert!(html.contains("You finished the course"));

    let printed = "Quillon Zebedee-Printname";
    let res = guest
        .post(app.url(&format!("/courses/{slug}/certificate")))
        .form(&[("csrf", csrf.as_str()), ("name", printed)])
        .send()
        .await
        .expect("certificate");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(res.text().await.expect("html").contains(printed));
    let res = guest
        .post(app.url(&format!("/courses/{slug}/certificate")))
        .form(&[("csrf", csrf.as_str()), ("name", "  ")])
        .send()
        .await
        .expect("certificate");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = guest
        .get(app.url(&format!("/courses/{slug}/credential.json")))
        .send()
        .await
        .expect("download");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap_or_default()
            .contains("attachment")
    );
    let credential: Value = res.json().await.expect("json");
    assert_eq!(verify(&app, &credential).await["valid"], true);

    let (status, _, html) = app.get_page(&guest, "/learning").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Spreadsheets for everyone"));

    // The library's report counts the enrolment and the completion, and
    // the printed name is in no file and no row.
    let month = lyceum_core::domain::Month::of(app.store.clock.now());
    let library = app
        .store
        .libraries()
        .by_slug("hillside")
        .await
        .expect("q")
        .expect("library");
    let report = app
        .store
        .guests()
        .report(library.id, month, month)
        .await
        .expect("report");
    assert!(
        report
            .iter()
            .any(|c| c.metric == "enrolments" && c.dimension == slug)
    );
    assert!(
        report
            .iter()
            .any(|c| c.metric == "completions" && c.dimension == slug)
    );
    if app.is_postgres {
        for table in [
            "enrolments",
            "lesson_progress",
            "issued_credentials",
            "sessions",
            "jobs",
        ] {
            let sql = format!("SELECT CAST(t AS text) AS row FROM {table} t");
            for r in app
                .store
                .db
                .query_all_raw(sea_orm::Statement::from_string(app.store.backend(), sql))
                .await
                .expect("query")
            {
                let text: String = r.try_get("", "row").expect("text");
                assert!(!text.contains("Zebedee"), "{table} holds the printed name");
            }
        }
    }
    for f in files_under(app.data_dir.path()) {
        let bytes = std::fs::read(&f).expect("read");
        assert!(
            !contains(&bytes, b"Zebedee"),
            "{} holds the printed name",
            f.display()
        );
    }
}

#[tokio::test]
async fn re_importing_updates_in_place_and_keeps_progress() {
    let app = spawn_app().await;
    let course = catalog(&app).await;
    let ann = app.sign_up("ann@example.org", "Ann Learner").await;
    let (_, _, e) = app
        .post_json(
            &ann.client,
            &format!("/api/v1/courses/{course}/enrollments"),
            json!({}),
        )
        .await;
    let eid = e["id"].as_str().expect("id").to_owned();
    let (_, c) = app
        .get_json(&ann.client, &format!("/api/v1/courses/{course}"))
        .await;
    let reading = c["sections"][0]["lessons"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let res = ann
        .client
        .put(app.url(&format!("/api/v1/enrollments/{eid}/lessons/{reading}")))
        .json(&json!({"completed": true}))
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), StatusCode::OK);

    let own = provider(&app, "own", false).await;
    let mut fixed = course_fixture("s1");
    fixed.title = "Spreadsheets for everyone (2nd edition)".into();
    let summary = app
        .store
        .learning()
        .import(&own, &[fixed])
        .await
        .expect("import");
    assert_eq!((summary.created, summary.updated), (0, 1));
    let (_, all) = app.get_json(&app.client, "/api/v1/courses").await;
    assert_eq!(all["total"], 4, "no duplicate");
    let (_, c) = app
        .get_json(&ann.client, &format!("/api/v1/courses/{course}"))
        .await;
    assert_eq!(c["title"], "Spreadsheets for everyone (2nd edition)");
    assert_eq!(c["slug"], "spreadsheets-for-everyone", "the address stays");
    let (_, e) = app
        .get_json(&ann.client, &format!("/api/v1/enrollments/{eid}"))
        .await;
    assert_eq!(
        e["completed_lessons"][0].as_str(),
        Some(reading.as_str()),
        "progress is kept"
    );
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn course_fixture(id: &str) -> CourseInput {
    course(
        id,
        "Spreadsheets for everyone",
        Level::Beginner,
        "en",
        &["Spreadsheets", "Budgeting"],
    )
}

#[tokio::test]
async fn learning_needs_a_learner_and_an_enrolment() {
    let app = spawn_app().await;
    let course = catalog(&app).await;
    let (status, _, _) = app
        .post_json(
            &client(),
            &format!("/api/v1/courses/{course}/enrollments"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let ann = app.sign_up("ann@example.org", "Ann Learner").await;
    let (_, c) = app
        .get_json(&ann.client, &format!("/api/v1/courses/{course}"))
        .await;
    let reading = c["sections"][0]["lessons"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, _) = app
        .get_json(
            &ann.client,
            &format!("/api/v1/courses/{course}/lessons/{reading}"),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "enrol first");
    let (_, _, e) = app
        .post_json(
            &ann.client,
            &format!("/api/v1/courses/{course}/enrollments"),
            json!({}),
        )
        .await;
    let bob = app.sign_up("bob@example.org", "Bob Other").await;
    let (status, _) = app
        .get_json(
            &bob.client,
            &format!(
                "/api/v1/enrollments/{}",
                e["id"].as_str().unwrap_or_default()
            ),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another learner's enrolment is not found"
    );
    let res = bob
        .client
        .put(app.url(&format!(
            "/api/v1/enrollments/{}/lessons/{reading}",
            e["id"].as_str().unwrap_or_default()
        )))
        .json(&json!({"completed": true}))
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (status, _, html) = app
        .get_page(
            &client(),
            &format!("/courses/spreadsheets-for-everyone/lessons/{reading}"),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("library card"));
}

#[tokio::test]
async fn a_linked_library_card_carries_its_courses_into_the_account() {
    // A guest starts a course; the member who links that card continues it and earns the credential.
    let app = spawn_app().await;
    let course = catalog(&app).await;
    card_list_library(&app).await;
    let guest = client();
    let (status, _, _) = app
        .post_json(
            &guest,
            "/api/v1/libraries/hillside/patron-sessions",
            json!({"card": "41000001", "pin": "2468"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, e) = app
        .post_json(
            &guest,
            &format!("/api/v1/courses/{course}/enrollments"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let eid = e["id"].as_str().expect("id").to_owned();

    let ann = app.sign_up("ann@example.org", "Ann Learner").await;
    let (_, mine) = app.get_json(&ann.client, "/api/v1/me/enrollments").await;
    assert_eq!(mine.as_array().map(Vec::len), Some(0));
    let (status, _, body) = app
        .post_json(
            &ann.client,
            "/api/v1/me/library-cards",
            json!({"library": "hillside", "card": "41000001", "pin": "2468"}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let (_, mine) = app.get_json(&ann.client, "/api/v1/me/enrollments").await;
    assert_eq!(
        mine[0]["id"].as_str(),
        Some(eid.as_str()),
        "the card's course is the member's now"
    );
    let (status, again) = app
        .post_json(
            &ann.client,
            &format!("/api/v1/courses/{course}/enrollments"),
            json!({}),
        )
        .await
        .pipe(|(s, _, v)| (s, v));
    assert_eq!(status, StatusCode::OK, "no second enrolment");
    assert_eq!(again["id"].as_str(), Some(eid.as_str()));
    let (_, c) = app
        .get_json(&ann.client, &format!("/api/v1/courses/{course}"))
        .await;
    for (section, answers) in [
        (0, json!({"completed": true})),
        (1, json!({"answers": [1, 0]})),
    ] {
        let lesson = c["sections"][section]["lessons"][0]["id"]
            .as_str()
            .expect("id");
        let res = ann
            .client
            .put(app.url(&format!("/api/v1/enrollments/{eid}/lessons/{lesson}")))
            .json(&answers)
            .send()
            .await
            .expect("put");
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = ann
        .client
        .get(app.url(&format!("/api/v1/enrollments/{eid}/credential")))
        .send()
        .await
        .expect("credential");
    assert_eq!(res.status(), StatusCode::OK);
    let credential: Value = res.json().await.expect("json");
    assert_eq!(verify(&app, &credential).await["valid"], true);
}

#[tokio::test]
async fn enrolled_learners_review_without_names_and_reports_hide_abuse() {
    let app = spawn_app().await;
    let course = catalog(&app).await;
    let review = |c: &reqwest::Client, body: Value| {
        let c = c.clone();
        let url = app.url(&format!("/api/v1/courses/{course}/review"));
        async move { c.put(url).json(&body).send().await.expect("put").status() }
    };
    let ann = app.sign_up("ann@example.org", "Ann Reviewer").await;
    assert_eq!(
        review(&ann.client, json!({"rating": 5, "body": "Clear"})).await,
        StatusCode::CONFLICT,
        "only enrolled learners review"
    );
    let mut learners = Vec::new();
    for (i, name) in ["Ann", "Bo", "Cy", "Di", "Ed"].iter().enumerate() {
        let m = if i == 0 {
            ann.client.clone()
        } else {
            app.sign_up(&format!("{name}@example.org"), name)
                .await
                .client
        };
        app.post_json(
            &m,
            &format!("/api/v1/courses/{course}/enrollments"),
            json!({}),
        )
        .await;
        learners.push(m);
    }
    assert_eq!(
        review(&learners[0], json!({"rating": 6})).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        review(&learners[0], json!({"rating": 4, "body": "x".repeat(2001)})).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        review(
            &learners[0],
            json!({"rating": 4, "body": "Plainly-Secret-Review-Words"})
        )
        .await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        review(
            &learners[0],
            json!({"rating": 5, "body": "Plainly-Secret-Review-Words, better"})
        )
        .await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        review(&learners[1], json!({"rating": 2, "body": "Spam spam spam"})).await,
        StatusCode::NO_CONTENT
    );

    let (_, r) = app
        .get_json(&app.client, &format!("/api/v1/courses/{course}/reviews"))
        .await;
    assert_eq!(r["count"], 2, "a second review replaces the first");
    assert_eq!(r["average"].as_f64(), Some(3.5));
    assert_eq!(r["stars"], json!([0, 1, 0, 0, 1]));
    assert!(!r.to_string().contains("Ann"), "no names: {r}");
    let (_, _, html) = app
        .get_page(&app.client, "/courses/spreadsheets-for-everyone")
        .await;
    assert!(
        html.contains("3.5 out of 5") && html.contains("A learner"),
        "{html}"
    );

    // The words are stored encrypted under the reviewer's key.
    if !app.is_postgres {
        for f in files_under(app.data_dir.path()) {
            let bytes = std::fs::read(&f).expect("read");
            assert!(
                !contains(&bytes, b"Plainly-Secret"),
                "{} holds review text",
                f.display()
            );
        }
    }

    // Three different learners hide a review; one learner counts once; nobody reports their own.
    let spam = r["reviews"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["rating"] == 2))
        .and_then(|x| x["id"].as_str())
        .expect("spam")
        .to_owned();
    let report = |c: &reqwest::Client| {
        let c = c.clone();
        let url = app.url(&format!("/api/v1/reviews/{spam}/reports"));
        async move {
            let res = c.post(url).json(&json!({})).send().await.expect("report");
            (
                res.status(),
                res.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    assert_eq!(report(&learners[1]).await.0, StatusCode::CONFLICT);
    assert_eq!(report(&learners[2]).await.1["hidden"], false);
    assert_eq!(
        report(&learners[2]).await.1["hidden"],
        false,
        "counted once"
    );
    assert_eq!(report(&learners[3]).await.1["hidden"], false);
    assert_eq!(report(&learners[4]).await.1["hidden"], true);
    let (_, r) = app
        .get_json(&app.client, &format!("/api/v1/courses/{course}/reviews"))
        .await;
    assert_eq!(r["count"], 1);

    // The course's instructor looks at it: on the course page and in the
    // API; learners may not. Kept, it shows again; removed, it is gone.
    let ida = app.sign_up("ida@example.org", "Ida Instructor").await;
    let ida_id = lyceum_core::domain::MemberId(subject_of(&app, &ida.client).await.0);
    app.store
        .learning()
        .link_instructor("ada-example", Some(ida_id))
        .await
        .expect("link");
    let reported = format!("/api/v1/courses/{course}/reviews/reported");
    assert_eq!(
        app.get_json(&learners[2], &reported).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, list) = app.get_json(&ida.client, &reported).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list[0]["id"], spam.as_str());
    assert_eq!(list[0]["reports"], 3);
    let (_, _, html) = app
        .get_page(&ida.client, "/courses/spreadsheets-for-everyone")
        .await;
    assert!(
        html.contains("Reported reviews") && html.contains("3 reports"),
        "{html}"
    );
    let (_, _, html) = app
        .get_page(&learners[2], "/courses/spreadsheets-for-everyone")
        .await;
    assert!(!html.contains("Reported reviews"));
    let decide = |c: &reqwest::Client, keep: bool| {
        let c = c.clone();
        let url = app.url(&format!("/api/v1/reviews/{spam}/decision"));
        async move {
            c.put(url)
                .json(&json!({ "keep": keep }))
                .send()
                .await
                .expect("decide")
                .status()
        }
    };
    assert_eq!(decide(&learners[2], true).await, StatusCode::FORBIDDEN);
    assert_eq!(decide(&ida.client, true).await, StatusCode::NO_CONTENT);
    let count = || async {
        app.get_json(&app.client, &format!("/api/v1/courses/{course}/reviews"))
            .await
            .1["count"]
            .clone()
    };
    assert_eq!(count().await, 2, "kept: shown again");
    assert_eq!(
        report(&learners[2]).await.1["hidden"],
        false,
        "reports start over"
    );
    assert_eq!(decide(&ida.client, false).await, StatusCode::NO_CONTENT);
    assert_eq!(count().await, 1, "removed");

    // Erasing the reviewer takes the review along.
    let res = learners[0]
        .delete(app.url("/api/v1/me"))
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .expect("erase");
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let (_, r) = app
        .get_json(&app.client, &format!("/api/v1/courses/{course}/reviews"))
        .await;
    assert_eq!(
        r["count"], 0,
        "an erased reviewer's words are unreadable and left out at once"
    );
}

/// Waits (at most ten seconds) until `check` holds on what `path` answers.
async fn eventually(base: &str, path: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let body = page_text(base, path).await;
        if check(&body) || std::time::Instant::now() > deadline {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_second_node_shows_catalog_and_review_changes_made_on_the_first() {
    // Course pages and reviews are cached on each node; a write on one
    // node must reach the others' pages (through the cache generations),
    // and an erased reviewer's words must leave every node's memory.
    let app = spawn_app().await;
    let course = catalog(&app).await;
    let other = app.second_node().await;
    let page = "/courses/spreadsheets-for-everyone";
    let reviews = format!("/api/v1/courses/{course}/reviews");
    // Both nodes have the page and the (empty) reviews cached.
    let first = eventually(&other, page, |b| {
        b.contains("Long <strong>description</strong>")
    })
    .await;
    assert!(
        first.contains("Long <strong>description</strong>"),
        "{first}"
    );
    let none = eventually(&other, &reviews, |b| b.contains("\"count\":0")).await;
    assert!(none.contains("\"count\":0"), "{none}");

    let ann = app.sign_up("ann@example.org", "Ann").await;
    app.post_json(
        &ann.client,
        &format!("/api/v1/courses/{course}/enrollments"),
        json!({}),
    )
    .await;
    let res = ann
        .client
        .put(app.url(&format!("/api/v1/courses/{course}/review")))
        .json(&json!({"rating": 4, "body": "Second-Node-Review-Words"}))
        .send()
        .await
        .expect("review");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let seen = eventually(&other, &reviews, |b| b.contains("Second-Node-Review-Words")).await;
    assert!(
        seen.contains("Second-Node-Review-Words") && seen.contains("\"count\":1"),
        "the other node shows the new review: {seen}"
    );

    // A catalog change made through the first node.
    let mut changed = course_fixture("s1");
    changed.description = "Now with *pivot tables*.".into();
    changed.summary = "Budgets, and now pivot tables.".into();
    let own = provider(&app, "own", false).await;
    app.store
        .learning()
        .import(&own, &[changed])
        .await
        .expect("re-import");
    let html = eventually(&other, page, |b| b.contains("pivot tables")).await;
    assert!(html.contains("Now with <em>pivot tables</em>"), "{html}");
    // The other node's search finds it, and its card shows the change.
    let found = eventually(&other, "/api/v1/courses?q=pivot", |b| {
        b.contains("Budgets, and now pivot tables.")
    })
    .await;
    assert!(
        found.contains("\"summary\":\"Budgets, and now pivot tables.\""),
        "{found}"
    );

    // Erasing the reviewer: gone from the other node's answers too.
    erase_me(&app, &ann.client).await;
    let after = eventually(&other, &reviews, |b| {
        !b.contains("Second-Node-Review-Words")
    })
    .await;
    assert!(
        !after.contains("Second-Node-Review-Words") && after.contains("\"count\":0"),
        "{after}"
    );
}

/// The learner's suggestions: (course slug, reason kind, the course the
/// reason names).
async fn suggestions(app: &TestApp, c: &reqwest::Client) -> (bool, Vec<(String, String, String)>) {
    let (status, r) = app.get_json(c, "/api/v1/recommendations").await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let list = r["courses"]
        .as_array()
        .expect("courses")
        .iter()
        .map(|s| {
            assert!(!s["reason"].as_str().unwrap_or_default().is_empty(), "{s}");
            (
                s["course"]["slug"].as_str().expect("slug").to_owned(),
                s["because"]["kind"].as_str().expect("kind").to_owned(),
                s["because"]["course"]["slug"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    (r["personalised"].as_bool().expect("personalised"), list)
}

async fn inferences(app: &TestApp, c: &reqwest::Client) -> Value {
    let res = c
        .get(app.url("/api/v1/me/export"))
        .send()
        .await
        .expect("export");
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.expect("body");
    let files = lyceum_store::zip::read_stored(&bytes).expect("a ZIP");
    let (_, data) = files
        .iter()
        .find(|(n, _)| n == "inferences.json")
        .expect("inferences.json");
    serde_json::from_slice(data).expect("JSON")
}

#[tokio::test]
async fn recommendations_come_from_own_learning_only_with_consent_and_say_why() {
    let app = spawn_app().await;
    let everyone = catalog(&app).await;
    let (_, cv) = app.get_json(&app.client, "/api/v1/courses?q=cv").await;
    let cv = cv["courses"][0]["id"].as_str().expect("id").to_owned();
    let ann = app.sign_up("ann@example.org", "Ann").await;
    enrol_and_finish(&app, &ann.client, &everyone).await;

    // Without the consent: the library's new and popular courses, nothing
    // read from Ann's learning, and the catalog says how to turn it on.
    let (personalised, list) = suggestions(&app, &ann.client).await;
    assert!(!personalised);
    assert!(!list.is_empty());
    assert!(
        list.iter()
            .all(|(_, kind, _)| kind == "new" || kind == "popular"),
        "{list:?}"
    );
    let (_, _, html) = app.get_page(&ann.client, "/courses").await;
    assert!(html.contains("Suggestions from your own learning are off"));
    assert!(!html.contains("Recommended for you"));
    assert_eq!(
        inferences(&app, &ann.client).await["course_suggestions"],
        json!([])
    );
    let (personalised, _) = suggestions(&app, &app.client).await;
    assert!(!personalised, "anonymous visitors get the general shelf");

    // With it: the courses that teach the skills of the one she finished,
    // each saying so; never a course she took.
    let grant = |on: bool| {
        let c = ann.client.clone();
        let url = app.url("/api/v1/me/consents/personalised_recommendations");
        async move {
            let res = c
                .put(url)
                .json(&json!({ "granted": on }))
                .send()
                .await
                .expect("consent");
            assert!(res.status().is_success());
        }
    };
    grant(true).await;
    let (personalised, list) = suggestions(&app, &ann.client).await;
    assert!(personalised);
    let mut finished: Vec<&str> = list
        .iter()
        .filter(|(_, kind, because)| kind == "finished" && because == "spreadsheets-for-everyone")
        .map(|(slug, _, _)| slug.as_str())
        .collect();
    finished.sort_unstable();
    assert_eq!(
        finished,
        vec!["advanced-spreadsheet-modelling", "hojas-de-calculo"],
        "{list:?}"
    );
    assert!(
        list.iter()
            .all(|(slug, _, _)| slug != "spreadsheets-for-everyone"),
        "{list:?}"
    );
    let (_, _, html) = app.get_page(&ann.client, "/courses").await;
    assert!(html.contains("Recommended for you"), "{html}");
    assert!(
        html.contains("Because you finished “Spreadsheets for everyone” (Spreadsheets)."),
        "{html}"
    );
    let exported = inferences(&app, &ann.client).await;
    assert_eq!(exported["personalised_recommendations"], true);
    assert!(
        exported["course_suggestions"]
            .as_array()
            .expect("list")
            .iter()
            .any(|s| s["course"] == "advanced-spreadsheet-modelling"
                && s["reason_text"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("Because you finished")),
        "{exported}"
    );

    // "Learners who took … also took": only once five other learners took
    // both, and not counting members who paused processing.
    let mut others = Vec::new();
    for i in 0..5 {
        let m = app
            .sign_up(&format!("learner{i}@example.org"), &format!("Learner {i}"))
            .await;
        for course in [&everyone, &cv] {
            let (status, _, _) = app
                .post_json(
                    &m.client,
                    &format!("/api/v1/courses/{course}/enrollments"),
                    json!({}),
                )
                .await;
            assert!(status.is_success());
        }
        others.push(m);
        let (_, list) = suggestions(&app, &ann.client).await;
        let also = list
            .iter()
            .any(|(slug, kind, _)| slug == "writing-a-cv" && kind == "also_took");
        assert_eq!(also, i == 4, "after {} learners: {list:?}", i + 1);
    }
    let (_, list) = suggestions(&app, &ann.client).await;
    assert!(list.contains(&(
        "writing-a-cv".into(),
        "also_took".into(),
        "spreadsheets-for-everyone".into()
    )));
    let pause = |c: reqwest::Client, paused: bool| {
        let url = app.url("/api/v1/me/restriction");
        async move {
            let res = c
                .put(url)
                .json(&json!({ "paused": paused }))
                .send()
                .await
                .expect("pause");
            assert!(res.status().is_success());
        }
    };
    pause(others[0].client.clone(), true).await;
    let (_, list) = suggestions(&app, &ann.client).await;
    assert!(
        !list.iter().any(|(_, kind, _)| kind == "also_took"),
        "a paused learner is not counted: {list:?}"
    );

    // Ann pausing, or withdrawing the consent, stops it at once.
    pause(ann.client.clone(), true).await;
    assert!(!suggestions(&app, &ann.client).await.0);
    pause(ann.client.clone(), false).await;
    assert!(suggestions(&app, &ann.client).await.0);
    grant(false).await;
    let (personalised, list) = suggestions(&app, &ann.client).await;
    assert!(!personalised);
    assert!(
        list.iter()
            .all(|(_, kind, _)| kind == "new" || kind == "popular")
    );
    assert_eq!(
        inferences(&app, &ann.client).await["personalised_recommendations"],
        false
    );
}

#[tokio::test]
async fn learners_ask_and_answer_without_names_and_course_staff_act_on_reports() {
    let owned = spawn_app().await;
    let app = &owned;
    let course = catalog(app).await;
    let (_, detail) = app
        .get_json(&app.client, &format!("/api/v1/courses/{course}"))
        .await;
    let lesson = detail["sections"][0]["lessons"][0]["id"]
        .as_str()
        .expect("a lesson")
        .to_owned();
    let ann = app.sign_up("ann@example.org", "Ann Asker").await;
    let bo = app.sign_up("bo@example.org", "Bo Answerer").await;
    let cy = app.sign_up("cy@example.org", "Cy").await;
    let dee = app.sign_up("dee@example.org", "Dee").await;
    let ida = app.sign_up("ida@example.org", "Ida Instructor").await;
    for c in [&ann.client, &bo.client, &dee.client] {
        let (status, _, _) = app
            .post_json(
                c,
                &format!("/api/v1/courses/{course}/enrollments"),
                json!({}),
            )
            .await;
        assert!(status.is_success());
    }
    let ida_id = lyceum_core::domain::MemberId(subject_of(app, &ida.client).await.0);
    assert!(
        app.store
            .learning()
            .link_instructor("ada-example", Some(ida_id))
            .await
            .expect("link")
    );
    let questions = format!("/api/v1/courses/{course}/questions");
    assert_eq!(
        app.get_json(&app.client, &questions).await.0,
        StatusCode::UNAUTHORIZED,
        "for signed-in learners"
    );
    let ask = |c: &reqwest::Client, body: Value| {
        let c = c.clone();
        let url = questions.clone();
        async move {
            let (status, _, v) = app.post_json(&c, &url, body).await;
            (status, v)
        }
    };
    assert_eq!(
        ask(&cy.client, json!({"title": "How?"})).await.0,
        StatusCode::CONFLICT,
        "enrol first"
    );
    for (bad, field) in [
        (json!({"title": "  "}), "title"),
        (json!({"title": "x".repeat(151)}), "title"),
        (json!({"title": "Why?", "body": "y".repeat(5_001)}), "body"),
        (
            json!({"title": "Why?", "lesson_id": uuid::Uuid::now_v7()}),
            "lesson",
        ),
    ] {
        let (status, problem) = ask(&ann.client, bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let (status, q) = ask(
        &ann.client,
        json!({"title": "What does SUM skip?", "body": "Blank cells?", "lesson_id": lesson}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{q}");
    let q = q["id"].as_str().expect("id").to_owned();

    // Peers see it without a name; Ann sees it as hers.
    let (_, list) = app.get_json(&bo.client, &questions).await;
    assert_eq!(list[0]["title"], "What does SUM skip?");
    assert_eq!(list[0]["name"], Value::Null);
    assert_eq!(list[0]["mine"], false);
    assert_eq!(list[0]["lesson_id"], lesson.as_str());
    let (_, list) = app
        .get_json(&ann.client, &format!("{questions}?lesson={lesson}"))
        .await;
    assert_eq!(list[0]["mine"], true);

    let answer = |c: &reqwest::Client, body: Value| {
        let c = c.clone();
        let url = format!("/api/v1/questions/{q}/answers");
        async move {
            let (status, _, v) = app.post_json(&c, &url, body).await;
            assert_eq!(status, StatusCode::CREATED, "{v}");
            v["id"].as_str().expect("id").to_owned()
        }
    };
    let bos = answer(
        &bo.client,
        json!({"body": "Blank cells count as nothing.", "show_name": true}),
    )
    .await;
    let idas = answer(&ida.client, json!({"body": "SUM skips text and blanks."})).await;
    let (status, _, _) = app
        .post_json(
            &cy.client,
            &format!("/api/v1/questions/{q}/answers"),
            json!({"body": "Guess"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "not enrolled");

    // Helpful marks: once each, never one's own.
    let mark = |c: &reqwest::Client, id: &str| {
        let c = c.clone();
        let url = app.url(&format!("/api/v1/qa/{id}/helpful"));
        async move { c.put(url).send().await.expect("mark").status() }
    };
    assert_eq!(mark(&bo.client, &q).await, StatusCode::NO_CONTENT);
    assert_eq!(mark(&bo.client, &q).await, StatusCode::NO_CONTENT);
    assert_eq!(mark(&ann.client, &q).await, StatusCode::CONFLICT);
    assert_eq!(mark(&dee.client, &idas).await, StatusCode::NO_CONTENT);

    // Only the asker or the course's people accept.
    let accept = |c: &reqwest::Client, id: &str| {
        let c = c.clone();
        let url = app.url(&format!("/api/v1/qa/{id}/accepted"));
        async move {
            c.put(url)
                .json(&json!({"accepted": true}))
                .send()
                .await
                .expect("accept")
                .status()
        }
    };
    assert_eq!(accept(&bo.client, &bos).await, StatusCode::FORBIDDEN);
    assert_eq!(accept(&ann.client, &idas).await, StatusCode::NO_CONTENT);
    let thread = format!("/api/v1/questions/{q}");
    let (_, t) = app.get_json(&dee.client, &thread).await;
    assert_eq!(t["question"]["answered"], true);
    assert_eq!(t["question"]["helpful"], 1);
    assert_eq!(t["answers"][0]["id"], idas.as_str(), "accepted first: {t}");
    assert_eq!(t["answers"][0]["role"], "instructor");
    assert_eq!(t["answers"][0]["accepted"], true);
    assert_eq!(
        t["answers"][1]["name"], "Bo Answerer",
        "he chose to show it"
    );
    assert_eq!(t["answers"][1]["reports"], 0);

    // Three reports hide Bo's answer from learners, not from him or the
    // instructor, who restores it.
    for c in [&ann.client, &cy.client, &dee.client] {
        let (status, _, _) = app
            .post_json(c, &format!("/api/v1/qa/{bos}/reports"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (_, t) = app.get_json(&dee.client, &thread).await;
    assert_eq!(t["answers"].as_array().expect("answers").len(), 1);
    let (_, t) = app.get_json(&bo.client, &thread).await;
    assert_eq!(t["answers"].as_array().expect("answers").len(), 2);
    let (_, t) = app.get_json(&ida.client, &thread).await;
    assert_eq!(t["answers"][1]["hidden"], true);
    assert_eq!(t["answers"][1]["reports"], 3);
    let (status, _, _) = app
        .post_json(&bo.client, &format!("/api/v1/qa/{bos}/restore"), json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app
        .post_json(&ida.client, &format!("/api/v1/qa/{bos}/restore"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, t) = app.get_json(&dee.client, &thread).await;
    assert_eq!(t["answers"].as_array().expect("answers").len(), 2);

    // The pages: the lesson links to its questions; the thread marks the
    // instructor and the accepted answer; a refused question keeps what
    // was typed.
    let slug = "spreadsheets-for-everyone";
    let (_, _, html) = app
        .get_page(&ann.client, &format!("/courses/{slug}/lessons/{lesson}"))
        .await;
    assert!(html.contains(&format!("/courses/{slug}/questions?lesson={lesson}")));
    let (status, _, html) = app
        .get_page(&ann.client, &format!("/courses/{slug}/questions"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("What does SUM skip?") && html.contains("asked by You"),
        "{html}"
    );
    let (_, _, html) = app.get_page(&dee.client, &format!("/questions/{q}")).await;
    assert!(
        html.contains("Accepted answer") && html.contains(">Instructor</strong>"),
        "{html}"
    );
    assert!(html.contains("Asked by A learner"), "{html}");
    let csrf = csrf_from(&html).expect("csrf");
    let res = dee
        .client
        .post(app.url(&format!("/courses/{slug}/questions")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("title", ""),
            ("body", "Keep this text"),
            ("lesson", ""),
        ])
        .send()
        .await
        .expect("ask");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("Write the question.") && html.contains("Keep this text"));

    // A picture with an answer: its location is gone, learners who can
    // read the question get it, nobody signed out does; without a
    // description the page refuses it and keeps the text.
    let form = reqwest::multipart::Form::new()
        .text("body", "Like this screenshot shows.")
        .text("image_alt", "A sheet where SUM skips a blank cell")
        .part(
            "image",
            reqwest::multipart::Part::bytes(crate::network::photo_with_location(900, 600))
                .file_name("shot.jpg")
                .mime_str("image/jpeg")
                .expect("mime"),
        );
    let res = dee
        .client
        .post(app.url(&format!("/api/v1/questions/{q}/answers")))
        .multipart(form)
        .send()
        .await
        .expect("answer with a picture");
    assert_eq!(res.status(), StatusCode::CREATED);
    let (_, t) = app.get_json(&cy.client, &thread).await;
    let with_picture = t["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .find(|a| a["image"].is_object())
        .expect("an answer with a picture")
        .clone();
    assert_eq!(
        with_picture["image"]["alt"],
        "A sheet where SUM skips a blank cell"
    );
    assert_eq!(with_picture["image"]["width"], 900);
    let url = with_picture["image"]["small_url"]
        .as_str()
        .expect("url")
        .to_owned();
    let res = cy.client.get(app.url(&url)).send().await.expect("picture");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap_or_default()
            .starts_with("private")
    );
    let bytes = res.bytes().await.expect("bytes");
    assert!(!bytes.windows(3).any(|w| w == b"GPS") && !bytes.windows(4).any(|w| w == b"Exif"));
    let res = app.client.get(app.url(&url)).send().await.expect("picture");
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "not for the signed out"
    );
    let (_, _, html) = app.get_page(&dee.client, &format!("/questions/{q}")).await;
    assert!(
        html.contains("alt=\"A sheet where SUM skips a blank cell\""),
        "{html}"
    );
    let csrf = csrf_from(&html).expect("csrf");
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("body", "Text that must survive")
        .text("image_alt", " ")
        .part(
            "image",
            reqwest::multipart::Part::bytes(crate::network::photo_with_location(40, 30))
                .file_name("shot.jpg")
                .mime_str("image/jpeg")
                .expect("mime"),
        );
    let res = dee
        .client
        .post(app.url(&format!("/questions/{q}/answers")))
        .multipart(form)
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(
        html.contains("Describe the picture") && html.contains("Text that must survive"),
        "{html}"
    );

    // The instructor removes; the asker deletes her question with its answers.
    let res = ida
        .client
        .delete(app.url(&format!("/api/v1/qa/{bos}")))
        .send()
        .await
        .expect("remove");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (_, t) = app.get_json(&dee.client, &thread).await;
    assert_eq!(
        t["answers"].as_array().expect("answers").len(),
        2,
        "Ida's and Dee's"
    );
    let res = dee
        .client
        .delete(app.url(&format!("/api/v1/qa/{q}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "not hers");
    let res = ann
        .client
        .delete(app.url(&format!("/api/v1/qa/{q}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_json(&dee.client, &thread).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn learners_keep_private_collections_and_library_staff_curate_open_paths() {
    let owned = spawn_app().await;
    let app = &owned;
    let everyone = catalog(app).await;
    let (_, cv) = app.get_json(&app.client, "/api/v1/courses?q=cv").await;
    let cv = cv["courses"][0]["id"].as_str().expect("id").to_owned();
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let bo = app.sign_up("bo@example.org", "Bo").await;
    enrol_and_finish(app, &ann.client, &everyone).await;

    let (status, _, problem) = app
        .post_json(&ann.client, "/api/v1/collections", json!({"title": " "}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _, made) = app
        .post_json(
            &ann.client,
            "/api/v1/collections",
            json!({"title": "Job hunt"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mine = made["id"].as_str().expect("id").to_owned();
    let put = |c: &reqwest::Client, path: String| {
        let c = c.clone();
        let url = app.url(&path);
        async move { c.put(url).send().await.expect("put").status() }
    };
    for course in [&everyone, &cv, &everyone] {
        assert_eq!(
            put(
                &ann.client,
                format!("/api/v1/collections/{mine}/courses/{course}")
            )
            .await,
            StatusCode::NO_CONTENT
        );
    }
    let slugs = |v: &Value| -> Vec<(String, String)> {
        v["courses"]
            .as_array()
            .expect("courses")
            .iter()
            .map(|c| {
                (
                    c["course"]["slug"].as_str().expect("slug").to_owned(),
                    c["progress"].as_str().expect("progress").to_owned(),
                )
            })
            .collect()
    };
    let (_, got) = app
        .get_json(&ann.client, &format!("/api/v1/collections/{mine}"))
        .await;
    assert_eq!(got["title"], "Job hunt");
    assert_eq!(
        slugs(&got),
        vec![
            ("spreadsheets-for-everyone".into(), "finished".into()),
            ("writing-a-cv".into(), "not_started".into())
        ],
        "in order, once each, with Ann's progress"
    );
    let (status, _, _) = app
        .post_json(
            &ann.client,
            &format!("/api/v1/collections/{mine}/courses/{cv}/move"),
            json!({"direction": "up"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = app
        .post_json(
            &ann.client,
            &format!("/api/v1/collections/{mine}/courses/{cv}/move"),
            json!({"direction": "sideways"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, got) = app
        .get_json(&ann.client, &format!("/api/v1/collections/{mine}"))
        .await;
    assert_eq!(slugs(&got)[0].0, "writing-a-cv");

    // Nobody else sees or changes it.
    assert_eq!(
        app.get_json(&bo.client, &format!("/api/v1/collections/{mine}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get_json(&app.client, &format!("/api/v1/collections/{mine}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        put(
            &bo.client,
            format!("/api/v1/collections/{mine}/courses/{cv}")
        )
        .await,
        StatusCode::NOT_FOUND
    );
    let (_, bos) = app.get_json(&bo.client, "/api/v1/collections").await;
    assert_eq!(bos, json!([]));

    // A library's path: made by its staff (an operator here), open to all.
    let op = app.set_up().await;
    card_list_library_as(app, &op).await;
    let (status, _, _) = app
        .post_json(
            &ann.client,
            "/api/v1/libraries/hillside/paths",
            json!({"title": "Back to work"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, made) = app
        .post_json(
            &op,
            "/api/v1/libraries/hillside/paths",
            json!({"title": "Back to work", "description": "From CV to first week."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let path = made["id"].as_str().expect("id").to_owned();
    assert_eq!(
        put(&op, format!("/api/v1/collections/{path}/courses/{cv}")).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        put(
            &op,
            format!("/api/v1/collections/{path}/courses/{everyone}")
        )
        .await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        put(
            &ann.client,
            format!("/api/v1/collections/{path}/courses/{cv}")
        )
        .await,
        StatusCode::FORBIDDEN,
        "only the library's staff"
    );
    let (_, list) = app
        .get_json(&app.client, "/api/v1/libraries/hillside/paths")
        .await;
    assert_eq!(list[0]["title"], "Back to work");
    assert_eq!(list[0]["courses"], 2);
    let (status, got) = app
        .get_json(&app.client, &format!("/api/v1/collections/{path}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["library"], "hillside");
    let (_, got) = app
        .get_json(&ann.client, &format!("/api/v1/collections/{path}"))
        .await;
    assert_eq!(
        slugs(&got),
        vec![
            ("writing-a-cv".into(), "not_started".into()),
            ("spreadsheets-for-everyone".into(), "finished".into())
        ]
    );

    // The pages: the course page offers Ann's collection and a new one;
    // saving into a new one makes it.
    let (_, _, html) = app.get_page(&ann.client, "/courses/writing-a-cv").await;
    assert!(
        html.contains("Save to a collection") && html.contains(">Job hunt</option>"),
        "{html}"
    );
    let csrf = csrf_from(&html).expect("csrf");
    let res = ann
        .client
        .post(app.url("/courses/writing-a-cv/collect"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("collection", "new"),
            ("title", "Later"),
        ])
        .send()
        .await
        .expect("collect");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get_json(&ann.client, "/api/v1/collections").await;
    let titles: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["title"].as_str().expect("title"))
        .collect();
    assert_eq!(titles, vec!["Later", "Job hunt"]);
    let (status, _, html) = app.get_page(&app.client, "/libraries/hillside/paths").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Back to work") && !html.contains("New learning path"));
    let (_, _, html) = app.get_page(&op, "/libraries/hillside/paths").await;
    assert!(html.contains("New learning path"));

    // Renaming, taking out, deleting.
    let res = ann
        .client
        .put(app.url(&format!("/api/v1/collections/{mine}")))
        .json(&json!({"title": "Job search"}))
        .send()
        .await
        .expect("rename");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = ann
        .client
        .delete(app.url(&format!("/api/v1/collections/{mine}/courses/{cv}")))
        .send()
        .await
        .expect("take out");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (_, got) = app
        .get_json(&ann.client, &format!("/api/v1/collections/{mine}"))
        .await;
    assert_eq!(got["title"], "Job search");
    assert_eq!(got["courses"].as_array().expect("courses").len(), 1);
    let res = ann
        .client
        .delete(app.url(&format!("/api/v1/collections/{mine}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_json(&ann.client, &format!("/api/v1/collections/{mine}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}
