//! Erasure (Art. 17): the key at once, the rows by the job queue, nothing
//! left, and a backup taken before erasure cannot be read afterwards.

use crate::helpers::*;
use lyceum_core::domain::{Purpose, SubjectId};
use lyceum_store::jobs::Worker;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

/// Rows that name the subject, table by table, per the data map.
pub(crate) async fn rows_of(app: &TestApp, who: SubjectId) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for table in lyceum_store::datamap::MAIN {
        let Some(condition) = table.subject_condition() else {
            continue;
        };
        let sql = format!(
            "SELECT COUNT(*) AS n FROM {} WHERE {condition}",
            table.table
        );
        let sql = if app.is_postgres {
            sql
        } else {
            sql.replace('$', "?")
        };
        let stmt = Statement::from_sql_and_values(app.store.backend(), sql, [who.0.into()]);
        let row = app
            .store
            .db
            .query_one_raw(stmt)
            .await
            .expect("count")
            .expect("row");
        out.push((table.table, row.try_get::<i64>("", "n").expect("n")));
    }
    out
}

#[tokio::test]
async fn erasure_destroys_the_key_at_once_and_every_row_soon_after() {
    // A member with a consent and two sessions erases themself; nothing of them remains, others are untouched.
    let app = spawn_app_with_recipients(vec![mail_relay()]).await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let bo = app.sign_up("bo@example.org", "Bo").await;
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
    let id = subject_of(&app, &ann.client).await;
    app.store
        .disclose(
            &[mail_relay()],
            id,
            "mail-relay",
            "A security email",
            &[lyceum_core::domain::datamap::Category::Contact],
            || async { Ok(()) },
        )
        .await
        .expect("disclose");
    // Ann is also staff of a library, and changed its settings.
    let library = app
        .store
        .libraries()
        .create(
            lyceum_store::libraries::NewLibrary {
                slug: lyceum_core::domain::LibrarySlug::parse("riverside").expect("slug"),
                name: lyceum_core::domain::LibraryName::parse("Riverside").expect("name"),
            },
            None,
        )
        .await
        .expect("library");
    let ann_id = lyceum_core::domain::MemberId(id.0);
    app.store
        .libraries()
        .add_staff(library.id, ann_id, Some(ann_id))
        .await
        .expect("staff");
    // And linked a library card to her account.
    let card_guest = app
        .store
        .guests()
        .find_or_create(&library, vec![7u8; 32])
        .await
        .expect("guest");
    app.store
        .guests()
        .link(card_guest, ann_id)
        .await
        .expect("link");
    // And teaches a course, and finished one with a credential.
    let course = crate::learning::catalog(&app).await;
    assert!(
        app.store
            .learning()
            .link_instructor("ada-example", Some(ann_id))
            .await
            .expect("link")
    );
    crate::learning::enrol_and_finish(&app, &ann.client, &course).await;
    // And reviewed it, and reported Bo's review.
    crate::learning::enrol_and_finish(&app, &bo.client, &course).await;
    for (c, body) in [(&ann.client, "Useful"), (&bo.client, "Fine")] {
        let res = c
            .put(app.url(&format!("/api/v1/courses/{course}/review")))
            .json(&json!({"rating": 4, "body": body}))
            .send()
            .await
            .expect("review");
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }
    let (_, reviews) = app
        .get_json(&bo.client, &format!("/api/v1/courses/{course}/reviews"))
        .await;
    let bos = reviews["reviews"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["mine"] == true))
        .and_then(|r| r["id"].as_str())
        .expect("Bo's review")
        .to_owned();
    let res = ann
        .client
        .post(app.url(&format!("/api/v1/reviews/{bos}/reports")))
        .json(&json!({}))
        .send()
        .await
        .expect("report");
    assert_eq!(res.status(), StatusCode::OK);
    // And manages a content provider.
    let own = app
        .store
        .learning()
        .provider("own")
        .await
        .expect("provider")
        .expect("exists");
    app.store
        .learning()
        .add_provider_staff(own.id, ann_id)
        .await
        .expect("staff");
    // And objected to something.
    app.store
        .objections()
        .set(
            id,
            lyceum_core::domain::objection::Ground::UsageStatistics,
            true,
        )
        .await
        .expect("objection");
    // And was affected by a recorded breach.
    app.store
        .record_breach(lyceum_store::breaches::NewBreach {
            title: "Test incident".into(),
            description: "A test".into(),
            categories: vec![lyceum_core::domain::datamap::Category::Contact],
            consequences: String::new(),
            measures: String::new(),
            detected_at: chrono::Utc::now() - chrono::Duration::hours(1),
        })
        .await
        .expect("breach");
    // And is active in the network: a profile with an entry and a shown
    // certificate, a connection, a follow, a block, a pending request, a
    // post with a tag, a comment, a reaction, notifications, a setting,
    // messages, a report and a moderation decision.
    {
        use lyceum_core::domain::network::{Audience, ReactionKind};
        use lyceum_store::network::{Decision, EntryKind, NoticeKind, Reason, ReportTarget};
        let net = app.store.network();
        let bo_id = lyceum_core::domain::MemberId(subject_of(&app, &bo.client).await.0);
        let cy = app.sign_up("cy@example.org", "Cy").await;
        let cy_id = lyceum_core::domain::MemberId(subject_of(&app, &cy.client).await.0);
        let operator = app.set_up().await;
        let op_id = lyceum_core::domain::MemberId(subject_of(&app, &operator).await.0);
        for m in [bo_id, cy_id, op_id] {
            net.ensure_profile(m).await.expect("profile");
        }
        net.add_entry(
            ann_id,
            EntryKind::Experience,
            "Analyst",
            "Engines Ltd",
            "",
            None,
            None,
        )
        .await
        .expect("entry");
        let course_id = uuid::Uuid::parse_str(&course).expect("the course's id");
        net.show_certificate(ann_id, course_id, true)
            .await
            .expect("certificate");
        let lyceum_store::network::RequestOutcome::Sent(r) = net
            .request_connection(bo_id, ann_id, "Hello")
            .await
            .expect("request")
        else {
            panic!("a new request")
        };
        net.accept_request(ann_id, r).await.expect("accept");
        net.request_connection(ann_id, op_id, "")
            .await
            .expect("pending request");
        net.follow(ann_id, op_id).await.expect("follow");
        {
            use lyceum_store::learning::{Learner, QaText, QaViewer};
            let as_viewer = |m: lyceum_core::domain::MemberId| QaViewer {
                learner: Learner::new(SubjectId(m.0), None),
                member: Some(m),
            };
            let learning = app.store.learning();
            let q = learning
                .ask(
                    &as_viewer(ann_id),
                    course_id,
                    None,
                    QaText {
                        title: "A question of Ann's",
                        body: "Details",
                        show_name: true,
                        image: Some({
                            let mut jpeg = Vec::new();
                            image::RgbImage::from_pixel(32, 24, image::Rgb([200, 90, 10]))
                                .write_with_encoder(image::codecs::jpeg::JpegEncoder::new(
                                    &mut jpeg,
                                ))
                                .expect("encode");
                            let p = lyceum_media::prepare_image(&jpeg).expect("a picture");
                            lyceum_store::network::NewPostImage {
                                content_type: p.content_type.into(),
                                alt: "Ann's screenshot".into(),
                                large: (p.large.width, p.large.height, p.large.bytes),
                                small: (p.small.width, p.small.height, p.small.bytes),
                            }
                        }),
                    },
                )
                .await
                .expect("ask");
            let answer = learning
                .answer(
                    &as_viewer(bo_id),
                    q,
                    QaText {
                        title: "",
                        body: "Bo's answer",
                        show_name: false,
                        image: None,
                    },
                )
                .await
                .expect("answer");
            learning
                .mark_helpful(&as_viewer(ann_id), answer, true)
                .await
                .expect("helpful");
            learning
                .report_qa(&as_viewer(ann_id), answer)
                .await
                .expect("report");
            let mine = lyceum_store::learning::CollectionOwner::Learner(Learner::new(
                SubjectId(ann_id.0),
                None,
            ));
            let saved = learning
                .create_collection(&mine, "Ann's reading list", "")
                .await
                .expect("collection");
            learning
                .add_to_collection(saved, &mine, course_id)
                .await
                .expect("collect");
        }
        assert!(
            app.store
                .learning()
                .follow_instructor(ann_id, "ada-example")
                .await
                .expect("follow an instructor")
        );
        net.set_notice_settings(ann_id, &[NoticeKind::Comment])
            .await
            .expect("settings");
        app.store
            .set_digest_frequency(ann_id, lyceum_store::digests::Frequency::Daily)
            .await
            .expect("digest setting");
        let picture = {
            let mut jpeg = Vec::new();
            image::RgbImage::from_pixel(64, 48, image::Rgb([20, 90, 160]))
                .write_with_encoder(image::codecs::jpeg::JpegEncoder::new(&mut jpeg))
                .expect("encode");
            let p = lyceum_media::prepare_image(&jpeg).expect("a picture");
            lyceum_store::network::NewPostImage {
                content_type: p.content_type.into(),
                alt: "A diagram of the engine".into(),
                large: (p.large.width, p.large.height, p.large.bytes),
                small: (p.small.width, p.small.height, p.small.bytes),
            }
        };
        let post = net
            .create_post(ann_id, "Notes #engines", Audience::Members, vec![picture])
            .await
            .expect("post");
        net.add_comment(bo_id, post, None, "Nice")
            .await
            .expect("comment");
        net.add_comment(ann_id, post, None, "Thanks")
            .await
            .expect("own comment");
        let bos = net
            .create_post(bo_id, "Bo's news", Audience::Connections, Vec::new())
            .await
            .expect("post");
        net.react(ann_id, bos, ReactionKind::Celebrate)
            .await
            .expect("react");
        net.react(bo_id, post, ReactionKind::Love)
            .await
            .expect("react back");
        net.send_message(ann_id, bo_id, "Hi Bo")
            .await
            .expect("message");
        net.report(ann_id, ReportTarget::Post, bos, Reason::Spam, "")
            .await
            .expect("report");
        let cys = net
            .create_post(cy_id, "Cy's post", Audience::Members, Vec::new())
            .await
            .expect("post");
        net.report(cy_id, ReportTarget::Post, post, Reason::Spam, "")
            .await
            .expect("report on ann");
        let queue = net.moderation_queue(10).await.expect("queue");
        let on_ann = queue.iter().find(|q| q.target_id == post).expect("queued");
        net.moderate(
            op_id,
            on_ann.report_id,
            Decision::Warn,
            Reason::Spam,
            "Please do not advertise.",
        )
        .await
        .expect("moderate");
        net.block(ann_id, cy_id).await.expect("block");
        let _ = cys;
    }
    // A password-reset link she asked for and has not used.
    app.store
        .request_password_reset(
            &lyceum_core::domain::Email::parse("ann@example.org").expect("email"),
        )
        .await
        .expect("reset link");
    // Guests' own tables are covered by the guest erasure tests.
    let guest_only = ["guests", "seat_uses"];
    assert!(
        rows_of(&app, id)
            .await
            .iter()
            .filter(|(t, _)| !guest_only.contains(t))
            .all(|(_, n)| *n > 0),
        "the member has rows in every table"
    );

    // A backup taken before erasure (SQLite: a consistent copy of the file).
    let backup = app.data_dir.path().join("backup.db");
    if !app.is_postgres {
        app.store
            .db
            .execute_unprepared(&format!("VACUUM INTO '{}'", backup.display()))
            .await
            .expect("backup");
    }

    let res = ann
        .client
        .delete(app.url("/api/v1/me"))
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap_or_default()
            .contains("Max-Age=0")
    );
    let receipt: serde_json::Value = res.json().await.expect("json");
    assert_eq!(receipt["status"], "erasing");

    // At once: no session works, the key is gone, sign-in fails.
    assert_eq!(
        app.get_json(&phone, "/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert!(matches!(
        app.store.keyring.get(id).await,
        Err(lyceum_store::StoreError::KeyDestroyed)
    ));
    let (s, _, _) = app
        .post_json(
            &client(),
            "/api/v1/auth/signin",
            json!({"email": "ann@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // The job removes every row that names the subject; the reset link
    // she asked for before is never emailed.
    let outbox = std::sync::Arc::new(Outbox::default());
    Worker::new(app.store.clone())
        .with_mail(mail_sender(outbox.clone()))
        .run_due()
        .await
        .expect("jobs run");
    assert!(outbox.0.lock().expect("outbox").is_empty());
    for (table, n) in rows_of(&app, id).await {
        assert_eq!(n, 0, "{table} still holds rows of the erased member");
    }
    assert_eq!(app.store.jobs().pending().await.expect("count"), 0);

    // Bo is untouched.
    assert_eq!(
        app.get_json(&bo.client, "/api/v1/me").await.0,
        StatusCode::OK
    );
    let bo_id = subject_of(&app, &bo.client).await;
    assert!(
        !app.store
            .consents()
            .has(bo_id, Purpose::EmailDigests)
            .await
            .expect("ask")
    );

    if !app.is_postgres {
        // The backup still has Ann's ciphertext, but with the current keyring it is unreadable.
        let old = lyceum_store::connect(&lyceum_store::sqlite_url(&backup), 1)
            .await
            .expect("open backup");
        let stmt = Statement::from_sql_and_values(
            old.get_database_backend(),
            "SELECT email_ciphertext FROM members WHERE id = ?",
            [id.0.into()],
        );
        let row = old
            .query_one_raw(stmt)
            .await
            .expect("query")
            .expect("the backup holds the row");
        let ciphertext: Vec<u8> = row.try_get("", "email_ciphertext").expect("bytes");
        assert!(!ciphertext.is_empty());
        assert!(matches!(
            app.store.keyring.get(id).await,
            Err(lyceum_store::StoreError::KeyDestroyed)
        ));
        // And no file of the data dir holds the address in plaintext.
        for entry in std::fs::read_dir(app.data_dir.path())
            .expect("dir")
            .flatten()
        {
            let bytes = std::fs::read(entry.path()).expect("read");
            assert!(
                !bytes.windows(15).any(|w| w == b"ann@example.org"),
                "{} has the email",
                entry.path().display()
            );
        }
    }
}

#[tokio::test]
async fn erasure_needs_the_password_and_a_wrong_one_changes_nothing() {
    // A borrowed signed-in browser cannot erase its owner without the password.
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let res = ann
        .client
        .delete(app.url("/api/v1/me"))
        .json(&json!({"password": "not my password"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["errors"][0]["field"], "password");
    assert_eq!(
        app.get_json(&ann.client, "/api/v1/me").await.0,
        StatusCode::OK
    );
    assert_eq!(app.store.jobs().pending().await.expect("count"), 0);
    let res = client()
        .delete(app.url("/api/v1/me"))
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn erasing_from_the_security_page_ends_on_a_receipt() {
    // Without JavaScript: the password, one button, and a receipt page that shows when the key was destroyed.
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let (status, _, html) = app
        .submit_form(
            &ann.client,
            "/me/security",
            "/me/erase",
            &[("password", "wrong password here")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Your password is not right."));
    let (location, status, html) = app
        .submit_form_and_follow(
            &ann.client,
            "/me/security",
            "/me/erase",
            &[("password", PASSWORD)],
        )
        .await;
    assert!(location.starts_with("/erased?at="));
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Your account has been erased"));
    assert!(html.contains("<time datetime="));
    assert!(!html.contains("ann@example.org") && !html.contains(">Ann<"));
    assert_eq!(
        app.get_page(&client(), "/erased?at=not-a-number&at=")
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_only_operator_cannot_erase_themself() {
    // An instance is never left without someone who can run it.
    let app = spawn_app().await;
    let op = app.set_up().await;
    let res = op
        .delete(app.url("/api/v1/me"))
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body: serde_json::Value = res.json().await.expect("json");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("only operator")
    );
    assert_eq!(app.get_json(&op, "/api/v1/me").await.0, StatusCode::OK);
}

#[tokio::test]
async fn what_others_replied_to_stays_as_a_tombstone_with_nothing_of_the_author() {
    // Ann's post Bo commented on, her comment Cy replied to and her
    // question Bo answered stay as empty places, so Bo's and Cy's words
    // are not lost with hers; everything else of Ann goes.
    use crate::network::{connect, member, post, send};
    use reqwest::Method;
    let app = spawn_app().await;
    let ann = member(&app, "ann", "Ann Example").await;
    let bo = member(&app, "bob", "Bo").await;
    let cy = member(&app, "cyd", "Cy").await;
    connect(&app, &ann, &bo, "bob").await;
    connect(&app, &ann, &cy, "cyd").await;
    let replied = post(&app, &ann, "Ann's plans for #spring", "connections").await;
    let alone = post(&app, &ann, "Ann talking to herself", "connections").await;
    let bos_post = post(&app, &bo, "Bo asks for book tips", "members").await;
    let comment = |c: &reqwest::Client, post: &str, body: &str, parent: Option<&str>| {
        let c = c.clone();
        let path = format!("/api/v1/posts/{post}/comments");
        let body = json!({"body": body, "parent_id": parent});
        let app = &app;
        async move {
            let (s, v) = send(app, &c, Method::POST, &path, Some(body)).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            v["id"].as_str().expect("id").to_owned()
        }
    };
    comment(&bo, &replied, "Bo's answer to the plans", None).await;
    comment(&ann, &replied, "Ann's own follow-up", None).await;
    comment(&ann, &alone, "Ann again", None).await;
    let anns = comment(&ann, &bos_post, "Ann's tip: Middlemarch", None).await;
    comment(&cy, &bos_post, "Cy agrees: a great read", Some(&anns)).await;
    comment(&ann, &bos_post, "Ann's second tip", None).await;
    let (s, _) = send(
        &app,
        &bo,
        Method::PUT,
        &format!("/api/v1/posts/{replied}/reaction"),
        Some(json!({"kind": "insightful"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // And a question on a course, which Bo answered.
    let course = crate::learning::catalog(&app).await;
    crate::learning::enrol_and_finish(&app, &ann, &course).await;
    crate::learning::enrol_and_finish(&app, &bo, &course).await;
    let (s, _, q) = app
        .post_json(
            &ann,
            &format!("/api/v1/courses/{course}/questions"),
            json!({"title": "Ann's question about SUM", "body": "Ann's details", "show_name": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{q}");
    let q = q["id"].as_str().expect("id").to_owned();
    let (s, _, a) = app
        .post_json(
            &bo,
            &format!("/api/v1/questions/{q}/answers"),
            json!({"body": "Bo's answer on SUM"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");

    let ann_id = subject_of(&app, &ann).await;
    erase_me(&app, &ann).await;
    Worker::new(app.store.clone())
        .run_due()
        .await
        .expect("jobs run");
    for (table, n) in rows_of(&app, ann_id).await {
        assert_eq!(n, 0, "{table} still holds rows of the erased member");
    }

    // The post Bo commented on: no author, no words, Bo's comment and
    // reaction, and the count without Ann's own comment.
    let (s, p) = app.get_json(&bo, &format!("/api/v1/posts/{replied}")).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["erased"], true);
    assert_eq!(p["body"], "");
    assert_eq!(p["author"]["name"], "A former member");
    assert_eq!(p["author"]["handle"], "");
    assert_eq!(p["comment_count"], 1);
    assert_eq!(p["comments"][0]["body"], "Bo's answer to the plans");
    assert_eq!(p["reactions"]["insightful"], 1, "{p}");
    // Cy was Ann's connection but never commented: "connections" of
    // nobody admits only those who took part. Strangers see nothing.
    for c in [&cy, &client()] {
        let (s, _) = app.get_json(c, &format!("/api/v1/posts/{replied}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    // A tombstone takes no new comments or reactions.
    let (s, _) = send(
        &app,
        &bo,
        Method::POST,
        &format!("/api/v1/posts/{replied}/comments"),
        Some(json!({"body": "Hello?"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = send(
        &app,
        &bo,
        Method::PUT,
        &format!("/api/v1/posts/{replied}/reaction"),
        Some(json!({"kind": "like"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The post nobody else commented on is gone, and so is its hashtag.
    let (s, _) = app.get_json(&bo, &format!("/api/v1/posts/{alone}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let tag = app.get_page(&bo, "/tags/spring").await.2;
    assert!(!tag.contains(&replied), "the tombstone left its hashtag");

    // Bo's post: Ann's comment Cy replied to is an empty place holding
    // Cy's reply; her other comment is gone.
    let (_, p) = app
        .get_json(&bo, &format!("/api/v1/posts/{bos_post}"))
        .await;
    assert_eq!(p["comment_count"], 2, "{p}");
    let comments = p["comments"].as_array().expect("comments");
    assert_eq!(comments.len(), 1, "{p}");
    assert_eq!(comments[0]["erased"], true);
    assert_eq!(comments[0]["body"], "");
    assert_eq!(comments[0]["replies"][0]["body"], "Cy agrees: a great read");
    let (s, _) = send(
        &app,
        &bo,
        Method::PUT,
        &format!("/api/v1/comments/{anns}/reaction"),
        Some(json!({"kind": "like"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The question: empty, nameless, with Bo's answer; no new answers.
    let (_, t) = app.get_json(&bo, &format!("/api/v1/questions/{q}")).await;
    assert_eq!(t["question"]["erased"], true, "{t}");
    assert_eq!(t["question"]["title"], "");
    assert_eq!(t["question"]["body"], "");
    assert_eq!(t["question"]["name"], serde_json::Value::Null);
    assert_eq!(t["answers"][0]["body"], "Bo's answer on SUM");
    let (s, _, _) = app
        .post_json(
            &bo,
            &format!("/api/v1/questions/{q}/answers"),
            json!({"body": "Anyone?"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The pages say what happened, and nothing of Ann is on them.
    let slug = app
        .get_json(&bo, &format!("/api/v1/courses/{course}"))
        .await
        .1["slug"]
        .as_str()
        .expect("slug")
        .to_owned();
    for path in [
        format!("/posts/{replied}"),
        format!("/posts/{bos_post}"),
        format!("/questions/{q}"),
        format!("/courses/{slug}/questions"),
    ] {
        let (s, _, html) = app.get_page(&bo, &path).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(!html.contains("Ann"), "{path}: {html}");
    }
    let html = app.get_page(&bo, &format!("/posts/{replied}")).await.2;
    assert!(html.contains("A deleted post") && html.contains("answer to the plans"));
    let html = app.get_page(&bo, &format!("/questions/{q}")).await.2;
    assert!(html.contains("A deleted question") && html.contains("answer on SUM"));

    // In the database the tombstones hold no author and no words.
    let nil = uuid::Uuid::nil();
    for (table, column) in [
        ("posts", "body_ciphertext"),
        ("comments", "body_ciphertext"),
        ("qa_posts", "title_ciphertext"),
        ("qa_posts", "body_ciphertext"),
    ] {
        let sql = format!("SELECT {column} AS v FROM {table} WHERE author_id = $1");
        let sql = if app.is_postgres {
            sql
        } else {
            sql.replace('$', "?")
        };
        let rows = app
            .store
            .db
            .query_all_raw(Statement::from_sql_and_values(
                app.store.backend(),
                sql,
                [nil.into()],
            ))
            .await
            .expect("query");
        assert_eq!(rows.len(), 1, "{table}: one tombstone");
        let v: Vec<u8> = rows[0].try_get("", "v").expect("bytes");
        assert!(v.is_empty(), "{table}.{column} kept words");
    }
}

#[tokio::test]
async fn a_table_with_more_rows_than_one_batch_is_erased_whole() {
    // Erasure deletes in batches; a table with two and a half batches of
    // the person's rows ends empty of them, and nobody else's rows go.
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let bo = app.sign_up("bo@example.org", "Bo").await;
    let ann_id = subject_of(&app, &ann.client).await;
    let bo_id = subject_of(&app, &bo.client).await;
    let rows = usize::try_from(lyceum_store::erasure::ERASE_BATCH * 5 / 2).expect("size");
    let event = |who: SubjectId, i: usize| lyceum_store::entity::consent_event::ActiveModel {
        id: sea_orm::Set(uuid::Uuid::now_v7()),
        subject_id: sea_orm::Set(who.0),
        purpose: sea_orm::Set("email_digests".into()),
        granted: sea_orm::Set(i.is_multiple_of(2)),
        wording_version: sea_orm::Set(1),
        at: sea_orm::Set(i64::try_from(i).expect("ms")),
    };
    use sea_orm::EntityTrait;
    for chunk in (0..rows).collect::<Vec<_>>().chunks(500) {
        lyceum_store::entity::consent_event::Entity::insert_many(
            chunk.iter().map(|i| event(ann_id, *i)),
        )
        .exec(&app.store.writer)
        .await
        .expect("insert");
    }
    lyceum_store::entity::consent_event::Entity::insert_many((0..3).map(|i| event(bo_id, i)))
        .exec(&app.store.writer)
        .await
        .expect("insert");
    let held = |rows: Vec<(&'static str, i64)>| {
        rows.into_iter()
            .find(|(t, _)| *t == "consent_events")
            .map(|(_, n)| n)
    };
    assert_eq!(
        held(rows_of(&app, ann_id).await),
        Some(i64::try_from(rows).expect("n"))
    );

    erase_me(&app, &ann.client).await;
    Worker::new(app.store.clone())
        .run_due()
        .await
        .expect("jobs run");
    for (table, n) in rows_of(&app, ann_id).await {
        assert_eq!(n, 0, "{table} still holds rows of the erased member");
    }
    assert_eq!(held(rows_of(&app, bo_id).await), Some(3));
}

#[tokio::test]
async fn every_cascading_reference_is_indexed() {
    // Deleting a row whose children are found by an unindexed column scans
    // the whole child table once per row: an erasure of 50,000 posts would
    // read every notification 50,000 times.
    let app = spawn_app().await;
    let missing = lyceum_store::datamap::unindexed_cascades(&app.store.db)
        .await
        .expect("introspection");
    assert!(
        missing.is_empty(),
        "add an index starting with each of these columns: {missing:?}"
    );
}
