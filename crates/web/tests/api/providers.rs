//! Content providers: operators add providers and staff; staff import
//! JSON-LD and CSV catalogs all-or-nothing with located problems and see
//! counts only; libraries license partners, and guests see what their
//! library licenses.

use crate::helpers::*;
use crate::learning::card_list_library_as;
use reqwest::StatusCode;
use serde_json::{Value, json};

const CATALOG: &str = r#"{
  "@context": "https://schema.org",
  "@type": "ItemList",
  "itemListElement": [
    {"@type": "ListItem", "position": 1, "item": {
      "@type": "Course", "identifier": "py-101", "name": "Python for beginners",
      "description": "Write your first programs.", "educationalLevel": "Beginner",
      "inLanguage": "en", "timeRequired": "PT1H", "teaches": ["Python"],
      "syllabusSections": [{"@type": "Syllabus", "name": "Basics", "hasPart": [
        {"@type": "LearningResource", "learningResourceType": "article", "name": "Variables", "text": "A variable names a value."},
        {"@type": "Quiz", "name": "Check", "hasPart": [{"@type": "Question", "name": "Which keyword defines a function?",
          "suggestedAnswer": [{"@type": "Answer", "text": "fun"}, {"@type": "Answer", "text": "def"}],
          "acceptedAnswer": {"@type": "Answer", "text": "def"}}]}
      ]}]
    }},
    {"@type": "ListItem", "position": 2, "item": {
      "@type": "Course", "identifier": "sql-101", "name": "SQL basics", "description": "Ask a database questions.",
      "educationalLevel": "Intermediate", "inLanguage": "en"
    }}
  ]
}"#;

/// An operator, a partner provider "codeworks" made through the page, and
/// a member added to its staff; returns (operator, staff member).
async fn partner(app: &TestApp) -> (reqwest::Client, TestMember) {
    let op = app.set_up().await;
    let (_, _, html) = app.get_page(&op, "/admin/providers").await;
    let csrf = csrf_from(&html).expect("csrf");
    let res = op
        .post(app.url("/admin/providers"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Codeworks"),
            ("slug", ""),
            ("website", "https://codeworks.example"),
            ("description", "Programming courses."),
            ("partner", "yes"),
        ])
        .send()
        .await
        .expect("add");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = op
        .post(app.url("/admin/providers"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Codeworks"),
            ("website", "ftp://x"),
        ])
        .send()
        .await
        .expect("add");
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "duplicate and bad address"
    );
    let html = res.text().await.expect("html");
    assert!(
        html.contains("already exists") && html.contains("https://"),
        "{html}"
    );
    let staff = app.sign_up("pat@codeworks.example", "Pat Provider").await;
    let res = op
        .post(app.url("/admin/providers/staff"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("provider", "codeworks"),
            ("email", "pat@codeworks.example"),
        ])
        .send()
        .await
        .expect("staff");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    (op, staff)
}

async fn import(app: &TestApp, c: &reqwest::Client, ct: &str, body: &str) -> (StatusCode, Value) {
    let res = c
        .post(app.url("/api/v1/providers/codeworks/imports"))
        .header("content-type", ct)
        .body(body.to_owned())
        .send()
        .await
        .expect("import");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn provider_staff_import_all_or_nothing_and_see_counts_only() {
    let app = spawn_app().await;
    let (_op, staff) = partner(&app).await;

    let (status, body) = import(&app, &staff.client, "application/ld+json", CATALOG).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["created"].as_u64(), body["updated"].as_u64()),
        (Some(2), Some(0))
    );
    let (status, body) = import(&app, &staff.client, "application/ld+json", CATALOG).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["updated"], 2, "re-importing updates");
    let (_, all) = app
        .get_json(&app.client, "/api/v1/courses?provider=codeworks")
        .await;
    assert_eq!(all["total"], 2, "no duplicates");
    // A result's card shows the course as last imported.
    let renamed = CATALOG
        .replace("Python for beginners", "Python from scratch")
        .replace(
            r#""teaches": ["Python"]"#,
            r#""teaches": ["Python", "Automation"]"#,
        );
    let (status, body) = import(&app, &staff.client, "application/ld+json", &renamed).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, found) = app.get_json(&app.client, "/api/v1/courses?q=scratch").await;
    assert_eq!(found["total"], 1, "{found}");
    let card = &found["courses"][0];
    assert_eq!(card["title"], "Python from scratch");
    assert_eq!(card["skills"], json!(["Automation", "Python"]));
    assert_eq!(
        (&card["provider"], &card["partner_content"]),
        (&json!("codeworks"), &json!(true))
    );
    let (_, old) = app
        .get_json(&app.client, "/api/v1/courses?q=beginners")
        .await;
    assert_eq!(old["total"], 0, "the old title is gone: {old}");
    let (_, py) = app
        .get_json(&app.client, "/api/v1/courses/python-for-beginners")
        .await;
    assert_eq!(py["sections"][0]["lessons"][1]["kind"], "quiz");
    assert_eq!(py["partner_content"], true);

    // One bad item: nothing is imported, every problem is located.
    let bad = CATALOG
        .replace("\"Beginner\"", "\"Wizard\"")
        .replace("\"sql-101\"", "\"new-1\"")
        .replace(
            "\"inLanguage\": \"en\"\n    }",
            "\"inLanguage\": \"English please\"\n    }",
        );
    let (status, problem) = import(&app, &staff.client, "application/ld+json", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = problem["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| e["field"] == "item 1 (id py-101)"
            && e["message"].as_str().unwrap_or_default().contains("Wizard")),
        "{problem}"
    );
    assert!(
        errors.iter().any(|e| e["field"] == "item 2 (id new-1)"),
        "{problem}"
    );
    let (_, all) = app
        .get_json(&app.client, "/api/v1/courses?provider=codeworks")
        .await;
    assert_eq!(all["total"], 2, "nothing partial");

    // CSV through the page, with a line-numbered error first.
    let (_, _, html) = app
        .get_page(&staff.client, "/providers/codeworks/admin")
        .await;
    let csrf = csrf_from(&html).expect("csrf");
    let upload = |text: &'static str| {
        reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .part(
                "catalog",
                reqwest::multipart::Part::bytes(text.as_bytes().to_vec()).file_name("catalog.csv"),
            )
    };
    let res = staff
        .client
        .post(app.url("/providers/codeworks/admin/import"))
        .multipart(upload("id,title,description,level\nrs-1,Rust,Ownership.,beginner\nrs-2,Go,Goroutines.,galaxy-brain\n"))
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(
        html.contains("Nothing was imported") && html.contains("line 3"),
        "{html}"
    );
    let res = staff
        .client
        .post(app.url("/providers/codeworks/admin/import"))
        .multipart(upload(
            "id,title,description,level,skills\nrs-1,Rust,Ownership.,beginner,Rust;Systems\n",
        ))
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .expect("html")
            .contains("Imported: 1 new course, 0 updated")
    );

    // Counts only, suppressed under 10.
    let learner = app.sign_up("lee@example.org", "Lee Learner").await;
    app.post_json(
        &learner.client,
        "/api/v1/courses/python-for-beginners/enrollments",
        json!({}),
    )
    .await;
    let (status, stats) = app
        .get_json(&staff.client, "/api/v1/providers/codeworks/stats")
        .await;
    assert_eq!(status, StatusCode::OK);
    let py = stats
        .as_array()
        .and_then(|a| a.iter().find(|c| c["slug"] == "python-for-beginners"))
        .expect("python");
    assert_eq!(
        py["enrolments"],
        Value::Null,
        "one learner is fewer than ten"
    );
    assert!(!stats.to_string().contains("Lee"), "no learner appears");

    // Someone else is refused.
    let (status, _) = import(&app, &learner.client, "application/ld+json", CATALOG).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app
        .get_page(&learner.client, "/providers/codeworks/admin")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = import(&app, &staff.client, "text/csv", "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn guests_see_the_partners_their_library_licenses() {
    let app = spawn_app().await;
    let (op, staff) = partner(&app).await;
    import(&app, &staff.client, "application/ld+json", CATALOG).await;
    card_list_library_as(&app, &op).await;
    let guest = client();
    let (status, _, _) = app
        .post_json(
            &guest,
            "/api/v1/libraries/hillside/patron-sessions",
            json!({"card": "41000001", "pin": "2468"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, seen) = app.get_json(&guest, "/api/v1/courses").await;
    assert_eq!(
        seen["total"], 0,
        "an unlicensed partner's courses are not offered"
    );
    let (status, _, body) = app
        .post_json(
            &guest,
            "/api/v1/courses/python-for-beginners/enrollments",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("Codeworks"),
        "{body}"
    );

    // The operator (staff of every library) licenses the partner.
    let res = op
        .put(app.url("/api/v1/libraries/hillside/providers"))
        .json(&json!({"providers": ["nope"]}))
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = op
        .put(app.url("/api/v1/libraries/hillside/providers"))
        .json(&json!({"providers": ["codeworks"]}))
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), StatusCode::OK);
    let (_, seen) = app.get_json(&guest, "/api/v1/courses").await;
    assert_eq!(seen["total"], 2);
    let (status, _, _) = app
        .post_json(
            &guest,
            "/api/v1/courses/python-for-beginners/enrollments",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, audit) = app.get_json(&op, "/api/v1/libraries/hillside/audit").await;
    assert_eq!(audit[0]["action"], "Licensed partner providers: Codeworks");
    // Members see every provider.
    let (_, seen) = app.get_json(&staff.client, "/api/v1/courses").await;
    assert_eq!(seen["total"], 2);
}

#[tokio::test]
async fn provider_staff_add_a_video_lesson_that_learners_stream_by_range() {
    let app = spawn_app().await;
    let (_op, staff) = partner(&app).await;
    import(&app, &staff.client, "application/ld+json", CATALOG).await;
    let page = "/providers/codeworks/admin/courses/python-for-beginners";
    let (status, _, html) = app.get_page(&staff.client, page).await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_from(&html).expect("csrf");
    let mut mp4 = b"\0\0\0\x18ftypisom\0\0\x02\0".to_vec();
    mp4.extend((0..20_000u32).map(|i| (i % 253) as u8));
    let form = |video: Vec<u8>, name: &'static str, captions: &'static str| {
        reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("section", "0")
            .text("title", "Watch: a first program")
            .text("minutes", "3")
            .text("body", "What happens on screen.")
            .part(
                "captions",
                reqwest::multipart::Part::bytes(captions.as_bytes().to_vec()).file_name("c.vtt"),
            )
            .part(
                "video",
                reqwest::multipart::Part::bytes(video).file_name(name),
            )
    };
    let url = app.url(&format!("{page}/videos"));
    let vtt = "WEBVTT\n\n00:00:00.000 --> 00:00:03.000\nprint(\"hello\")\n";

    let res = staff
        .client
        .post(&url)
        .multipart(form(
            b"%PDF-1.7 this is a document".to_vec(),
            "slides.pdf",
            vtt,
        ))
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .expect("html")
            .contains("not an MP4 or WebM video")
    );
    let res = staff
        .client
        .post(&url)
        .multipart(form(
            mp4.clone(),
            "lesson.mp4",
            "1\n00:00:00,000 --> 00:00:03,000\nSRT\n",
        ))
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("WEBVTT"));
    let res = staff
        .client
        .post(&url)
        .multipart(form(mp4.clone(), "lesson.mp4", vtt))
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let (_, c) = app
        .get_json(&staff.client, "/api/v1/courses/python-for-beginners")
        .await;
    let lessons = c["sections"][0]["lessons"].as_array().expect("lessons");
    assert_eq!(lessons.len(), 3);
    assert_eq!(lessons[2]["kind"], "video");
    assert_eq!(lessons[2]["position"], 3);
    let video = lessons[2]["id"].as_str().expect("id").to_owned();
    let media = format!("/courses/python-for-beginners/lessons/{video}/video");

    // Only enrolled learners get the file.
    let learner = app.sign_up("lee@example.org", "Lee Learner").await;
    let res = learner
        .client
        .get(app.url(&media))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::CONFLICT);
    app.post_json(
        &learner.client,
        "/api/v1/courses/python-for-beginners/enrollments",
        json!({}),
    )
    .await;
    let (status, _, html) = app
        .get_page(
            &learner.client,
            &format!("/courses/python-for-beginners/lessons/{video}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<video") && html.contains("captions.vtt"),
        "{html}"
    );
    let res = learner
        .client
        .get(app.url(&media))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["accept-ranges"], "bytes");
    assert_eq!(res.headers()["content-type"], "video/mp4");
    assert_eq!(res.bytes().await.expect("body").len(), mp4.len());
    let res = learner
        .client
        .get(app.url(&media))
        .header("range", "bytes=4-11")
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        res.headers()["content-range"].to_str().unwrap_or_default(),
        format!("bytes 4-11/{}", mp4.len())
    );
    assert_eq!(&res.bytes().await.expect("body")[..], b"ftypisom");
    let res = learner
        .client
        .get(app.url(&media))
        .header("range", format!("bytes={}-", mp4.len() + 10))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    let res = learner
        .client
        .get(app.url(&format!(
            "/courses/python-for-beginners/lessons/{video}/captions.vtt"
        )))
        .send()
        .await
        .expect("get");
    assert_eq!(res.headers()["content-type"], "text/vtt; charset=utf-8");
    assert!(res.text().await.expect("vtt").starts_with("WEBVTT"));

    // A re-import keeps the uploaded video.
    import(&app, &staff.client, "application/ld+json", CATALOG).await;
    let (_, c) = app
        .get_json(&staff.client, "/api/v1/courses/python-for-beginners")
        .await;
    assert_eq!(
        c["sections"][0]["lessons"][2]["id"].as_str(),
        Some(video.as_str())
    );
    // Another provider's staff cannot upload here.
    let res = learner
        .client
        .post(&url)
        .multipart(form(mp4, "x.mp4", vtt))
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_course_goes_from_draft_through_review_to_the_catalog() {
    let app = spawn_app().await;
    let (_op, staff) = partner(&app).await;
    let res = staff
        .client
        .post(app.url("/api/v1/providers/codeworks/imports?status=draft"))
        .header("content-type", "application/ld+json")
        .body(CATALOG)
        .send()
        .await
        .expect("import");
    assert_eq!(res.status(), StatusCode::OK);
    let (_, all) = app.get_json(&app.client, "/api/v1/courses").await;
    assert_eq!(all["total"], 0, "drafts are not in the catalog");
    let (status, _, _) = app.get_page(&app.client, "/courses/sql-basics").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let put = |status: &'static str| {
        let c = staff.client.clone();
        let url = app.url("/api/v1/providers/codeworks/courses/sql-basics/status");
        async move {
            let res = c
                .put(url)
                .json(&json!({"status": status}))
                .send()
                .await
                .expect("put");
            let code = res.status();
            (code, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, problem) = put("published").await;
    assert_eq!(status, StatusCode::CONFLICT, "a draft is reviewed first");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("drafts go to review")
    );
    assert_eq!(put("famous").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(put("review").await.0, StatusCode::OK);

    // Publishing through the page.
    let page = "/providers/codeworks/admin/courses/sql-basics";
    let (_, _, html) = app.get_page(&staff.client, page).await;
    assert!(
        html.contains("In review") && html.contains("Publish"),
        "{html}"
    );
    let csrf = csrf_from(&html).expect("csrf");
    let res = staff
        .client
        .post(app.url(&format!("{page}/status")))
        .form(&[("csrf", csrf.as_str()), ("status", "published")])
        .send()
        .await
        .expect("publish");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, all) = app.get_json(&app.client, "/api/v1/courses").await;
    assert_eq!(all["total"], 1);
    assert_eq!(all["courses"][0]["slug"], "sql-basics");
    // A re-import does not unpublish it, nor publish the other draft.
    staff
        .client
        .post(app.url("/api/v1/providers/codeworks/imports"))
        .header("content-type", "application/ld+json")
        .body(CATALOG)
        .send()
        .await
        .expect("import");
    let (_, all) = app.get_json(&app.client, "/api/v1/courses").await;
    assert_eq!(all["total"], 1);
    assert_eq!(put("draft").await.0, StatusCode::OK, "withdrawn");
    let (_, all) = app.get_json(&app.client, "/api/v1/courses").await;
    assert_eq!(all["total"], 0);
}

#[tokio::test]
async fn operators_add_providers_through_the_api() {
    let app = spawn_app().await;
    let op = app.set_up().await;
    let post = |c: &reqwest::Client, body: Value| {
        let c = c.clone();
        let url = app.url("/api/v1/providers");
        async move { c.post(url).json(&body).send().await.expect("post").status() }
    };
    let body = json!({"slug": "open-uni", "name": "Open University", "partner": true});
    let member = app.sign_up("mo@example.org", "Mo Member").await;
    assert_eq!(
        post(&member.client, body.clone()).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(&op, json!({"slug": "Open Uni!", "name": ""})).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(post(&op, body.clone()).await, StatusCode::CREATED);
    assert_eq!(post(&op, body).await, StatusCode::CONFLICT);
    let (_, list) = app.get_json(&app.client, "/api/v1/providers").await;
    assert_eq!(list[0]["slug"], "open-uni");
    assert_eq!(list[0]["partner"], true);
}

/// Notices of the member's `new_course` kind: the courses' short names.
async fn new_course_notices(app: &TestApp, c: &reqwest::Client) -> Vec<String> {
    let (status, list) = app.get_json(c, "/api/v1/notifications").await;
    assert_eq!(status, StatusCode::OK);
    list.as_array()
        .expect("list")
        .iter()
        .filter(|n| n["kind"] == "new_course")
        .map(|n| n["course"].as_str().expect("course").to_owned())
        .collect()
}

#[tokio::test]
async fn followers_of_an_instructor_hear_once_of_each_new_course() {
    let app = spawn_app().await;
    let (_op, staff) = partner(&app).await;
    let csv = |rows: &str| {
        format!(
            "id,title,summary,description,level,language,duration_minutes,skills,instructors\n{rows}"
        )
    };
    let (status, _) = import(
        &app,
        &staff.client,
        "text/csv",
        &csv("c1,Spreadsheets,Rows and columns.,Formulas.,beginner,en,45,Spreadsheets,Grace Example\n"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let worker = lyceum_store::jobs::Worker::new(app.store.clone());
    worker.run_due().await.expect("jobs");

    let (status, grace) = app
        .get_json(&app.client, "/api/v1/instructors/grace-example")
        .await;
    assert_eq!(status, StatusCode::OK, "{grace}");
    assert_eq!(grace["name"], "Grace Example");
    assert_eq!(grace["courses"][0]["slug"], "spreadsheets");
    assert_eq!(grace["followers"], 0);
    let res = app
        .client
        .put(app.url("/api/v1/instructors/grace-example/follow"))
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "members follow");

    let ada = app.sign_up("ada@example.org", "Ada Lovelace").await;
    let bo = app.sign_up("bo@example.org", "Bo Example").await;
    let cy = app.sign_up("cy@example.org", "Cy Example").await;
    for (who, slug) in [
        (&ada, "grace-example"),
        (&ada, "grace-example"),
        (&cy, "grace-example"),
    ] {
        let res = who
            .client
            .put(app.url(&format!("/api/v1/instructors/{slug}/follow")))
            .send()
            .await
            .expect("follow");
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = ada
        .client
        .put(app.url("/api/v1/instructors/nobody/follow"))
        .send()
        .await
        .expect("follow");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, grace) = app
        .get_json(&ada.client, "/api/v1/instructors/grace-example")
        .await;
    assert_eq!(grace["followers"], 2, "following twice counts once");
    assert_eq!(grace["following"], true);
    let (_, grace) = app
        .get_json(&bo.client, "/api/v1/instructors/grace-example")
        .await;
    assert_eq!(grace["following"], false);
    // Cy turns the kind off; Ada keeps the defaults.
    let res = cy
        .client
        .put(app.url("/api/v1/notifications/settings"))
        .json(&json!({"enabled": ["comment"]}))
        .send()
        .await
        .expect("settings");
    assert!(res.status().is_success());

    // A published course credited to Grace and Hal, a draft by Grace, and
    // a course by someone else.
    let (status, _) = import(
        &app,
        &staff.client,
        "text/csv",
        &csv("c2,Budgets,Plan a month.,Money in and out.,beginner,en,60,Budgeting,Grace Example;Hal Example\n\
              c4,Letters,Write well.,Letters.,beginner,en,30,Writing,Ivy Example\n"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let res = ada
        .client
        .put(app.url("/api/v1/instructors/hal-example/follow"))
        .send()
        .await
        .expect("follow");
    assert_eq!(res.status(), StatusCode::OK);
    let res = staff
        .client
        .post(app.url("/api/v1/providers/codeworks/imports?status=draft"))
        .header("content-type", "text/csv")
        .body(csv(
            "c3,Taxes,File your taxes.,Forms.,beginner,en,30,Taxes,Grace Example\n",
        ))
        .send()
        .await
        .expect("import");
    assert_eq!(res.status(), StatusCode::OK);
    worker.run_due().await.expect("jobs");
    assert_eq!(
        new_course_notices(&app, &ada.client).await,
        vec!["budgets"],
        "one notice for a course of two followed instructors; none for a draft or another instructor"
    );
    assert!(new_course_notices(&app, &bo.client).await.is_empty());
    assert!(
        new_course_notices(&app, &cy.client).await.is_empty(),
        "turned off"
    );

    // The draft is published through the workflow: a notice; withdrawn and
    // published again: no second notice, and the first one goes while the
    // course is out of the catalog.
    let status = |s: &'static str| {
        let c = staff.client.clone();
        let url = app.url("/api/v1/providers/codeworks/courses/taxes/status");
        async move {
            let res = c
                .put(url)
                .json(&json!({"status": s}))
                .send()
                .await
                .expect("put");
            assert_eq!(res.status(), StatusCode::OK, "{s}");
        }
    };
    status("review").await;
    status("published").await;
    worker.run_due().await.expect("jobs");
    assert_eq!(
        new_course_notices(&app, &ada.client).await,
        vec!["taxes", "budgets"]
    );
    status("draft").await;
    assert_eq!(
        new_course_notices(&app, &ada.client).await,
        vec!["budgets"],
        "a withdrawn course is no news"
    );
    status("review").await;
    status("published").await;
    worker.run_due().await.expect("jobs");
    assert_eq!(
        new_course_notices(&app, &ada.client).await,
        vec!["taxes", "budgets"]
    );

    // The pages: the notice links to the course, the course page to the
    // instructor, whose page offers to stop following.
    let (_, _, html) = app.get_page(&ada.client, "/notifications").await;
    assert!(
        html.contains("A new course by an instructor you follow: Taxes.")
            && html.contains("href=\"/courses/taxes\""),
        "{html}"
    );
    let (_, _, html) = app.get_page(&ada.client, "/courses/budgets").await;
    assert!(
        html.contains("<a href=\"/instructors/grace-example\">Grace Example</a>"),
        "{html}"
    );
    let (status, _, html) = app
        .get_page(&ada.client, "/instructors/grace-example")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Stop following") && html.contains("2 members follow Grace Example"),
        "{html}"
    );
    assert!(html.contains("Taxes") && html.contains("Budgets"));
    let (_, _, html) = app.get_page(&ada.client, "/learning").await;
    assert!(html.contains("Instructors you follow") && html.contains("Hal Example"));
    let (_, _, html) = app
        .get_page(&app.client, "/instructors/grace-example")
        .await;
    assert!(html.contains("sign in to your account"), "{html}");
    let (status, _, _) = app.get_page(&app.client, "/instructors/nobody").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Following through the page, and stopping through the API.
    let (_, _, html) = app.get_page(&bo.client, "/instructors/hal-example").await;
    let csrf = csrf_from(&html).expect("csrf");
    let res = bo
        .client
        .post(app.url("/instructors/hal-example/follow"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("follow");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, mine) = app.get_json(&bo.client, "/api/v1/me/instructors").await;
    assert_eq!(mine[0]["slug"], "hal-example");
    for slug in ["grace-example", "hal-example"] {
        let res = ada
            .client
            .delete(app.url(&format!("/api/v1/instructors/{slug}/follow")))
            .send()
            .await
            .expect("unfollow");
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }
    let (_, mine) = app.get_json(&ada.client, "/api/v1/me/instructors").await;
    assert_eq!(mine, json!([]));
}
