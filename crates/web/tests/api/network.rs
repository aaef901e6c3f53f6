//! The professional network through the API: private-by-default profiles,
//! connections, the feed, reactions, comments, notifications, messages and
//! moderation, and a visibility matrix (every audience × every viewer
//! relation × every endpoint that shows a post).

use crate::helpers::*;
use lyceum_store::jobs::Worker;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub(crate) async fn send(
    app: &TestApp,
    c: &reqwest::Client,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = c.request(method, app.url(path));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.json::<Value>().await.unwrap_or(Value::Null))
}

/// Members `fan0`, `fan1`… to react together.
async fn fans(app: &TestApp, n: usize) -> Vec<reqwest::Client> {
    let mut people = Vec::with_capacity(n);
    for i in 0..n {
        people.push(member(app, &format!("fan{i}"), &format!("Fan {i}")).await);
    }
    people
}

/// A member with a chosen handle.
pub(crate) async fn member(app: &TestApp, handle: &str, name: &str) -> reqwest::Client {
    let m = app.sign_up(&format!("{handle}@example.org"), name).await;
    let (s, body) = send(
        app,
        &m.client,
        Method::PUT,
        "/api/v1/me/profile",
        Some(json!({"handle": handle, "headline": format!("{name}'s headline")})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    m.client
}

pub(crate) async fn connect(
    app: &TestApp,
    a: &reqwest::Client,
    b: &reqwest::Client,
    b_handle: &str,
) {
    let (s, body) = send(
        app,
        a,
        Method::POST,
        "/api/v1/connections/requests",
        Some(json!({"handle": b_handle})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let id = body["request_id"].as_str().expect("request id").to_owned();
    let (s, _) = send(
        app,
        b,
        Method::POST,
        &format!("/api/v1/connections/requests/{id}/accept"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

/// Sets the profile's privacy: every section "only me" and every switch off
/// except those named.
async fn set_privacy(
    app: &TestApp,
    c: &reqwest::Client,
    visible: &[(&str, &str)],
    switches_on: &[&str],
) {
    let mut visibility = serde_json::Map::new();
    for section in [
        "headline",
        "about",
        "experience",
        "education",
        "skills",
        "certificates",
        "connections",
    ] {
        let level = visible
            .iter()
            .find(|(s, _)| *s == section)
            .map_or("only_me", |(_, l)| *l);
        visibility.insert(section.into(), json!(level));
    }
    let mut switches = serde_json::Map::new();
    for switch in [
        "public_page",
        "indexable",
        "discoverable",
        "message_requests",
        "email_download",
    ] {
        switches.insert(switch.into(), json!(switches_on.contains(&switch)));
    }
    let (s, body) = send(
        app,
        c,
        Method::PUT,
        "/api/v1/me/profile/privacy",
        Some(json!({"visibility": visibility, "switches": switches})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

pub(crate) async fn post(app: &TestApp, c: &reqwest::Client, body: &str, audience: &str) -> String {
    let (s, v) = send(
        app,
        c,
        Method::POST,
        "/api/v1/posts",
        Some(json!({"body": body, "audience": audience})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().expect("id").to_owned()
}

/// A comment on a post by `c`: its id.
pub(crate) async fn comment_on(
    app: &TestApp,
    c: &reqwest::Client,
    post: &str,
    body: &str,
) -> String {
    let (s, v) = send(
        app,
        c,
        Method::POST,
        &format!("/api/v1/posts/{post}/comments"),
        Some(json!({"body": body})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn profiles_are_private_until_the_member_opens_each_section() {
    let app = spawn_app().await;
    let ada = member(&app, "ada", "Ada Lovelace").await;
    let bo = member(&app, "bob", "Bo").await;
    send(
        &app,
        &ada,
        Method::PUT,
        "/api/v1/me/profile",
        Some(json!({"headline": "Analyst", "about": "I write notes on engines.", "skills": ["Mathematics", "Poetry"]})),
    )
    .await;
    let (s, _) = send(
        &app,
        &ada,
        Method::POST,
        "/api/v1/me/profile/entries",
        Some(json!({"kind": "experience", "title": "Translator", "organisation": "Taylor's Scientific Memoirs", "start_year": 2019, "end_year": 2023})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);

    // By default another member sees only the name; the public sees nothing.
    let (s, p) = app.get_json(&bo, "/api/v1/profiles/ada").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["person"]["name"], "Ada Lovelace");
    for section in [
        "about",
        "experience",
        "education",
        "skills",
        "certificates",
        "connections",
    ] {
        assert!(p[section].is_null(), "{section} leaked: {p}");
    }
    assert!(p["person"]["headline"].is_null());
    assert_eq!(
        app.get_json(&client(), "/api/v1/profiles/ada").await.0,
        StatusCode::NOT_FOUND
    );
    let (s, _, html) = app.get_page(&client(), "/people/ada").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!html.contains("Ada Lovelace"));

    // Sections opened to members show to members, not to the public;
    // a public page shows only "anyone" sections and is noindex.
    let (s, _) = send(
        &app,
        &ada,
        Method::PUT,
        "/api/v1/me/profile/privacy",
        Some(json!({
            "visibility": {"headline": "public", "about": "members", "experience": "connections", "education": "only_me", "skills": "members", "certificates": "only_me", "connections": "only_me"},
            "switches": {"public_page": true, "indexable": false, "discoverable": false, "message_requests": false, "email_download": false}
        })),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, p) = app.get_json(&bo, "/api/v1/profiles/ada").await;
    assert_eq!(p["about"], "I write notes on engines.");
    assert_eq!(p["skills"], json!(["Mathematics", "Poetry"]));
    assert!(p["experience"].is_null());
    let (s, p) = app.get_json(&client(), "/api/v1/profiles/ada").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["person"]["headline"], "Analyst");
    assert!(p["about"].is_null() && p["skills"].is_null());
    let (_, _, html) = app.get_page(&client(), "/people/ada").await;
    assert!(html.contains("Analyst"));
    assert!(html.contains(r#"<meta name="robots" content="noindex, nofollow">"#));
    assert!(!html.contains("notes on engines"));

    // A connection sees experience.
    connect(&app, &bo, &ada, "ada").await;
    let (_, p) = app.get_json(&bo, "/api/v1/profiles/ada").await;
    assert_eq!(p["relation"], "connection");
    assert_eq!(p["experience"][0]["title"], "Translator");

    // Bad input is refused with the field named.
    let (s, v) = send(
        &app,
        &ada,
        Method::PUT,
        "/api/v1/me/profile",
        Some(json!({"handle": "Bo"})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], "handle");
    let (s, _) = send(&app, &ada, Method::POST, "/api/v1/me/profile/entries",
        Some(json!({"kind": "education", "title": "x", "organisation": "y", "start_year": 1850, "end_year": 1840}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn connecting_asks_notes_accepts_ignores_and_refuses_nonsense() {
    let app = spawn_app().await;
    let ada = member(&app, "ada", "Ada").await;
    let bo = member(&app, "bob", "Bo").await;
    let cy = member(&app, "cyd", "Cy").await;

    let (s, v) = send(
        &app,
        &ada,
        Method::POST,
        "/api/v1/connections/requests",
        Some(json!({"handle": "ada"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, _) = send(
        &app,
        &ada,
        Method::POST,
        "/api/v1/connections/requests",
        Some(json!({"handle": "nobody-here"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, v) = send(
        &app,
        &ada,
        Method::POST,
        "/api/v1/connections/requests",
        Some(json!({"handle": "bob", "note": "We met at the library talk."})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["outcome"], "sent");
    let (s, _) = send(
        &app,
        &ada,
        Method::POST,
        "/api/v1/connections/requests",
        Some(json!({"handle": "bob"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, incoming) = app.get_json(&bo, "/api/v1/connections/requests").await;
    assert_eq!(incoming[0]["person"]["handle"], "ada");
    assert_eq!(incoming[0]["note"], "We met at the library talk.");
    let (_, n) = app.get_json(&bo, "/api/v1/notifications").await;
    assert_eq!(n[0]["kind"], "connection_request");

    // Asking someone who already asked you connects you at once.
    let (s, v) = send(
        &app,
        &bo,
        Method::POST,
        "/api/v1/connections/requests",
        Some(json!({"handle": "ada"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["outcome"], "connected");
    let (_, list) = app.get_json(&ada, "/api/v1/connections").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["handle"], "bob");

    // Ignoring hides a request from its receiver only.
    let (_, v) = send(
        &app,
        &cy,
        Method::POST,
        "/api/v1/connections/requests",
        Some(json!({"handle": "ada"})),
    )
    .await;
    let id = v["request_id"].as_str().expect("id").to_owned();
    let (s, _) = send(
        &app,
        &ada,
        Method::POST,
        &format!("/api/v1/connections/requests/{id}/ignore"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_json(&ada, "/api/v1/connections/requests").await.1,
        json!([])
    );
    let (_, sent) = app
        .get_json(&cy, "/api/v1/connections/requests?sent=true")
        .await;
    assert_eq!(sent[0]["person"]["handle"], "ada");
    // Someone else cannot accept it; the sender can withdraw it.
    let (s, _) = send(
        &app,
        &bo,
        Method::POST,
        &format!("/api/v1/connections/requests/{id}/accept"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = send(
        &app,
        &cy,
        Method::DELETE,
        &format!("/api/v1/connections/requests/{id}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // Removing a connection ends it for both.
    let (s, _) = send(&app, &bo, Method::DELETE, "/api/v1/connections/ada", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(app.get_json(&ada, "/api/v1/connections").await.1, json!([]));
    // Guests and visitors have no network.
    assert_eq!(
        app.get_json(&client(), "/api/v1/feed").await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_post_reaches_exactly_its_audience_through_every_endpoint() {
    let app = spawn_app().await;
    let author = member(&app, "author", "Author").await;
    let conn = member(&app, "conn", "Connection").await;
    let follower = member(&app, "follower", "Follower").await;
    let other = member(&app, "other", "Other Member").await;
    let blocked = member(&app, "blocked", "Blocked").await;
    let blocker = member(&app, "blocker", "Blocker").await;
    connect(&app, &author, &conn, "conn").await;
    connect(&app, &author, &blocked, "blocked").await;
    connect(&app, &author, &blocker, "blocker").await;
    let (s, _) = send(&app, &follower, Method::PUT, "/api/v1/follows/author", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // The author makes their profile public so that visitors can reach it.
    set_privacy(&app, &author, &[("headline", "public")], &["public_page"]).await;

    let mut posts = Vec::new();
    for audience in ["connections", "members", "public"] {
        let id = post(
            &app,
            &author,
            &format!("For {audience} #matrix @other @conn"),
            audience,
        )
        .await;
        posts.push((audience, id));
    }
    let (s, _) = send(&app, &author, Method::PUT, "/api/v1/blocks/blocked", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // A block works both ways: who blocked the author sees nothing either.
    let (s, _) = send(&app, &blocker, Method::PUT, "/api/v1/blocks/author", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    let anon = client();
    // viewer, relation, may see [connections, members, public]
    let viewers: [(&str, &reqwest::Client, [bool; 3]); 7] = [
        ("author", &author, [true, true, true]),
        ("connection", &conn, [true, true, true]),
        ("follower", &follower, [false, true, true]),
        ("member", &other, [false, true, true]),
        ("blocked", &blocked, [false, false, false]),
        ("blocker", &blocker, [false, false, false]),
        ("anonymous", &anon, [false, false, true]),
    ];
    for (who, c, expect) in viewers {
        let (_, feed) = app.get_json(c, "/api/v1/feed").await;
        let (_, tagged) = app.get_json(c, "/api/v1/tags/matrix").await;
        let (_, by) = app.get_json(c, "/api/v1/profiles/author/posts").await;
        for (i, (audience, id)) in posts.iter().enumerate() {
            let may = expect[i];
            let (s, _) = app.get_json(c, &format!("/api/v1/posts/{id}")).await;
            assert_eq!(
                s == StatusCode::OK,
                may,
                "{who} GET post for {audience}: {s}"
            );
            let (_, _, html) = app.get_page(c, &format!("/posts/{id}")).await;
            assert_eq!(
                html.contains(&format!("For {audience} ")),
                may,
                "{who} post page for {audience}"
            );
            let listed = |v: &Value| {
                v["posts"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|p| p["id"] == id.as_str()))
            };
            assert_eq!(listed(&tagged), may, "{who} tag page for {audience}");
            assert_eq!(listed(&by), may, "{who} profile posts for {audience}");
            // The feed carries posts of connections, and follows' posts beyond connections.
            let in_feed = match who {
                "author" | "connection" => true,
                "follower" => *audience != "connections",
                _ => false,
            };
            if who != "anonymous" {
                assert_eq!(listed(&feed), in_feed, "{who} feed for {audience}");
            }
            // Reacting and commenting work exactly where seeing does.
            if who != "anonymous" && who != "author" {
                let (s, _) = send(
                    &app,
                    c,
                    Method::PUT,
                    &format!("/api/v1/posts/{id}/reaction"),
                    Some(json!({"kind": "insightful"})),
                )
                .await;
                assert_eq!(
                    s == StatusCode::NO_CONTENT,
                    may,
                    "{who} react on {audience}: {s}"
                );
                let (s, _) = send(
                    &app,
                    c,
                    Method::POST,
                    &format!("/api/v1/posts/{id}/comments"),
                    Some(json!({"body": "Noted"})),
                )
                .await;
                assert_eq!(
                    s == StatusCode::CREATED,
                    may,
                    "{who} comment on {audience}: {s}"
                );
            }
        }
    }
    // Mentions notify only people who can see the post: @other (a member)
    // for the members and public posts, @conn for all three.
    let mentions = |v: &Value| {
        v.as_array()
            .map_or(0, |a| a.iter().filter(|n| n["kind"] == "mention").count())
    };
    assert_eq!(
        mentions(&app.get_json(&other, "/api/v1/notifications").await.1),
        2
    );
    assert_eq!(
        mentions(&app.get_json(&conn, "/api/v1/notifications").await.1),
        3
    );
    // The blocked member's earlier request, reactions and everything else
    // about the author are out of reach; nobody learns who blocked whom.
    assert_eq!(
        app.get_json(&blocked, "/api/v1/profiles/author").await.0,
        StatusCode::NOT_FOUND
    );
    let (s, _) = send(
        &app,
        &blocked,
        Method::POST,
        "/api/v1/connections/requests",
        Some(json!({"handle": "author"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reactions_are_one_per_person_with_exact_counts() {
    let app = spawn_app().await;
    let ada = member(&app, "ada", "Ada").await;
    let mut people = Vec::new();
    for (i, kind) in ["like", "celebrate", "love", "insightful", "curious"]
        .iter()
        .enumerate()
    {
        let c = member(&app, &format!("reader{i}"), &format!("Reader {i}")).await;
        people.push((c, *kind));
    }
    let id = post(&app, &ada, "Hello, members", "members").await;
    for (c, kind) in &people {
        for _ in 0..2 {
            let (s, _) = send(
                &app,
                c,
                Method::PUT,
                &format!("/api/v1/posts/{id}/reaction"),
                Some(json!({"kind": kind})),
            )
            .await;
            assert_eq!(s, StatusCode::NO_CONTENT);
        }
    }
    let (_, p) = app
        .get_json(&people[0].0, &format!("/api/v1/posts/{id}"))
        .await;
    assert_eq!(
        p["reactions"],
        json!({"like": 1, "celebrate": 1, "love": 1, "insightful": 1, "curious": 1, "total": 5})
    );
    assert_eq!(p["my_reaction"], "like");
    // Changing moves one count; removing takes it away.
    send(
        &app,
        &people[0].0,
        Method::PUT,
        &format!("/api/v1/posts/{id}/reaction"),
        Some(json!({"kind": "love"})),
    )
    .await;
    let (s, _) = send(
        &app,
        &people[1].0,
        Method::DELETE,
        &format!("/api/v1/posts/{id}/reaction"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = send(
        &app,
        &people[1].0,
        Method::DELETE,
        &format!("/api/v1/posts/{id}/reaction"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, p) = app.get_json(&ada, &format!("/api/v1/posts/{id}")).await;
    assert_eq!(
        p["reactions"],
        json!({"like": 0, "celebrate": 0, "love": 2, "insightful": 1, "curious": 1, "total": 4})
    );
    // Each reader's page shows their own reaction as it now is.
    for (who, mine) in [(0, json!("love")), (1, Value::Null)] {
        let (_, p) = app
            .get_json(&people[who].0, &format!("/api/v1/posts/{id}"))
            .await;
        assert_eq!(p["my_reaction"], mine, "person {who}");
    }
    // Unknown kinds are refused.
    let (s, v) = send(
        &app,
        &ada,
        Method::PUT,
        &format!("/api/v1/posts/{id}/reaction"),
        Some(json!({"kind": "dislike"})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // The author sees who reacted; nobody else does.
    let (s, who) = app
        .get_json(&ada, &format!("/api/v1/posts/{id}/reactions"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(who.as_array().map(Vec::len), Some(4));
    assert_eq!(
        app.get_json(&people[2].0, &format!("/api/v1/posts/{id}/reactions"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    // An erased reactor's reaction leaves the count.
    let (s, _) = send(
        &app,
        &people[2].0,
        Method::DELETE,
        "/api/v1/me",
        Some(json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    Worker::new(app.store.clone())
        .run_due()
        .await
        .expect("jobs");
    let (_, p) = app.get_json(&ada, &format!("/api/v1/posts/{id}")).await;
    assert_eq!(p["reactions"]["total"], 3, "{p}");
    assert_eq!(p["reactions"]["love"], 1);
}

#[tokio::test]
async fn reactions_sent_at_once_are_written_together_and_counted_exactly() {
    let app = spawn_app().await;
    let ada = member(&app, "ada", "Ada").await;
    let people = fans(&app, 8).await;
    let id = post(&app, &ada, "Everyone at once", "members").await;
    let kinds = ["like", "celebrate", "love", "insightful", "curious"];
    // Each member changes their reaction four times in a row, the last
    // three of them take it away again; all members at the same time, so
    // their changes share transactions.
    let turns = people.iter().enumerate().map(|(i, c)| {
        let (app, id) = (&app, &id);
        async move {
            for k in 0..4 {
                let (s, _) = send(
                    app,
                    c,
                    Method::PUT,
                    &format!("/api/v1/posts/{id}/reaction"),
                    Some(json!({"kind": kinds[(i + k) % 5]})),
                )
                .await;
                assert_eq!(s, StatusCode::NO_CONTENT);
            }
            if i % 4 == 3 {
                let (s, _) = send(
                    app,
                    c,
                    Method::DELETE,
                    &format!("/api/v1/posts/{id}/reaction"),
                    None,
                )
                .await;
                assert_eq!(s, StatusCode::NO_CONTENT);
            }
        }
    });
    futures::future::join_all(turns).await;
    let mut expected =
        json!({"like": 0, "celebrate": 0, "love": 0, "insightful": 0, "curious": 0, "total": 0});
    for i in (0..8).filter(|i| i % 4 != 3) {
        let kind = kinds[(i + 3) % 5];
        expected[kind] = json!(expected[kind].as_i64().unwrap_or(0) + 1);
        expected["total"] = json!(expected["total"].as_i64().unwrap_or(0) + 1);
    }
    let (_, p) = app
        .get_json(&people[0], &format!("/api/v1/posts/{id}"))
        .await;
    assert_eq!(p["reactions"], expected);
    let post_id: uuid::Uuid = id.parse().expect("uuid");
    for kind in kinds {
        let rows = count(
            &app,
            "SELECT COUNT(*) FROM reactions WHERE target_id = $1 AND kind = $2",
            vec![post_id.into(), kind.into()],
        )
        .await;
        assert_eq!(json!(rows), p["reactions"][kind], "{kind}");
    }
    // One notice per member who reacted, however often they changed it.
    assert_eq!(reaction_notices(&app, &ada).await, 8);
}

#[tokio::test]
async fn reactions_sent_at_once_are_each_checked_against_what_the_member_may_see() {
    // Whether a member may react is checked in the transaction that writes
    // a whole crowd's reactions: each is refused or written on its own
    // merits, and only the written ones count.
    let app = spawn_app().await;
    let ada = member(&app, "ada", "Ada").await;
    let people = fans(&app, 8).await;
    for (i, c) in people.iter().enumerate().take(4) {
        connect(&app, &ada, c, &format!("fan{i}")).await;
    }
    let private = post(&app, &ada, "Connections only", "connections").await;
    let open = post(&app, &ada, "For every member", "members").await;
    let comment = comment_on(&app, &people[0], &open, "A comment by fan0").await;
    // Ada blocks fan5; fan6 blocks the comment's author.
    let (s, _) = send(&app, &ada, Method::PUT, "/api/v1/blocks/fan5", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = send(&app, &people[6], Method::PUT, "/api/v1/blocks/fan0", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let nowhere = uuid::Uuid::now_v7().to_string();
    let mut asks = Vec::new();
    for (i, c) in people.iter().enumerate() {
        asks.push((c, format!("/api/v1/posts/{private}/reaction"), i < 4));
        asks.push((c, format!("/api/v1/posts/{open}/reaction"), i != 5));
        asks.push((
            c,
            format!("/api/v1/comments/{comment}/reaction"),
            i != 5 && i != 6,
        ));
        asks.push((c, format!("/api/v1/posts/{nowhere}/reaction"), false));
    }
    asks.push((&ada, format!("/api/v1/posts/{private}/reaction"), true));
    let answers = futures::future::join_all(asks.iter().map(|(c, path, _)| {
        send(
            &app,
            c,
            Method::PUT,
            path,
            Some(json!({"kind": "insightful"})),
        )
    }))
    .await;
    for ((_, path, allowed), (s, b)) in asks.iter().zip(answers) {
        let want = if *allowed {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(s, want, "{path}: {b}");
    }
    let rows = |id: &str| {
        let id: uuid::Uuid = id.parse().expect("uuid");
        count(
            &app,
            "SELECT COUNT(*) FROM reactions WHERE target_id = $1",
            vec![id.into()],
        )
    };
    assert_eq!(rows(&private).await, 5);
    assert_eq!(rows(&open).await, 7);
    assert_eq!(rows(&comment).await, 6);
    let (_, p) = app
        .get_json(&ada, &format!("/api/v1/posts/{private}"))
        .await;
    assert_eq!(p["reactions"]["insightful"], 5, "{p}");
    let (_, p) = app.get_json(&ada, &format!("/api/v1/posts/{open}")).await;
    assert_eq!(p["reactions"]["insightful"], 7, "{p}");
    let comment_id: uuid::Uuid = comment.parse().expect("uuid");
    let counted = count(
        &app,
        "SELECT CAST(insightful_count AS BIGINT) FROM comments WHERE id = $1",
        vec![comment_id.into()],
    )
    .await;
    assert_eq!(counted, 6);
}

/// How many reaction notices a member has.
async fn reaction_notices(app: &TestApp, c: &reqwest::Client) -> usize {
    let (_, n) = app.get_json(c, "/api/v1/notifications").await;
    n.as_array()
        .expect("notifications")
        .iter()
        .filter(|x| x["kind"] == "reaction")
        .count()
}

#[tokio::test]
async fn an_author_who_turned_reaction_notices_off_gets_none_alone_or_in_a_crowd() {
    // The author's setting is checked in the reaction's own transaction,
    // for a reaction written alone and for reactions written together.
    let app = spawn_app().await;
    let ada = member(&app, "ada", "Ada").await;
    let people = fans(&app, 5).await;
    let id = post(&app, &ada, "Quiet please", "members").await;
    const SETTINGS: &str = "/api/v1/notifications/settings";
    let all_but_reactions = json!({"enabled": ["connection_request", "connection_accepted",
        "follow", "comment", "reply", "mention", "new_course"]});
    let (s, b) = send(&app, &ada, Method::PUT, SETTINGS, Some(all_but_reactions)).await;
    assert!(s.is_success(), "{b}");
    let react = |c: &reqwest::Client, kind: &'static str| {
        let (app, id, c) = (&app, id.clone(), c.clone());
        async move {
            let (s, b) = send(
                app,
                &c,
                Method::PUT,
                &format!("/api/v1/posts/{id}/reaction"),
                Some(json!({"kind": kind})),
            )
            .await;
            assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
        }
    };
    react(&people[0], "like").await;
    futures::future::join_all(people[1..4].iter().map(|c| react(c, "love"))).await;
    assert_eq!(reaction_notices(&app, &ada).await, 0);
    let (_, p) = app.get_json(&ada, &format!("/api/v1/posts/{id}")).await;
    assert_eq!(p["reactions"]["total"], 4, "the reactions themselves count");

    // Turned on again, the next reaction is told.
    let on = json!({"enabled": ["reaction"]});
    let (s, b) = send(&app, &ada, Method::PUT, SETTINGS, Some(on)).await;
    assert!(s.is_success(), "{b}");
    react(&people[4], "curious").await;
    assert_eq!(reaction_notices(&app, &ada).await, 1);
}

#[tokio::test]
async fn one_members_changes_sent_at_once_leave_one_reaction_and_exact_counts() {
    // Reactions that arrive together are written as sets; a member who
    // sends several changes at once (two tabs, a double click) must end
    // with at most one reaction per post or comment, and every count must
    // equal the rows, whatever order the changes were taken in.
    let app = spawn_app().await;
    let ada = member(&app, "ada", "Ada").await;
    let people = fans(&app, 6).await;
    let id = post(&app, &ada, "Two tabs at once", "members").await;
    let comment = comment_on(&app, &ada, &id, "A comment to react to").await;
    let kinds = ["like", "celebrate", "love", "insightful", "curious"];
    let mut requests = Vec::new();
    for round in 0..3 {
        for (i, c) in people.iter().enumerate() {
            for target in [format!("posts/{id}"), format!("comments/{comment}")] {
                let (method, body) = if (i + round) % 4 == 3 {
                    (Method::DELETE, None)
                } else {
                    (Method::PUT, Some(json!({"kind": kinds[(i + round) % 5]})))
                };
                let app = &app;
                requests.push(async move {
                    let removal = method == Method::DELETE;
                    let (s, b) =
                        send(app, c, method, &format!("/api/v1/{target}/reaction"), body).await;
                    // A removal taken before the member's first reaction
                    // finds nothing to remove.
                    let nothing = removal && s == StatusCode::NOT_FOUND;
                    assert!(s == StatusCode::NO_CONTENT || nothing, "{s} {b}");
                });
            }
        }
    }
    futures::future::join_all(requests).await;
    for (table, target) in [("posts", id.as_str()), ("comments", comment.as_str())] {
        let target: uuid::Uuid = target.parse().expect("uuid");
        let rows = count(
            &app,
            "SELECT COUNT(*) FROM reactions WHERE target_id = $1",
            vec![target.into()],
        )
        .await;
        assert!(
            rows <= 6,
            "{table}: one reaction per member at most, found {rows}"
        );
        let most = count(
            &app,
            "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM reactions \
             WHERE target_id = $1 GROUP BY member_id) AS per",
            vec![target.into()],
        )
        .await;
        assert!(most <= 1, "{table}: a member has {most} reactions");
        for kind in kinds {
            let rows = count(
                &app,
                "SELECT COUNT(*) FROM reactions WHERE target_id = $1 AND kind = $2",
                vec![target.into(), kind.into()],
            )
            .await;
            let counted = count(
                &app,
                &format!("SELECT CAST({kind}_count AS BIGINT) FROM {table} WHERE id = $1"),
                vec![target.into()],
            )
            .await;
            assert_eq!(rows, counted, "{table} {kind}");
        }
    }
}

#[tokio::test]
async fn comments_reply_one_level_and_bad_input_is_refused() {
    let app = spawn_app().await;
    let ada = member(&app, "ada", "Ada").await;
    let bo = member(&app, "bob", "Bo").await;
    connect(&app, &ada, &bo, "bob").await;
    let id = post(
        &app,
        &ada,
        "What should we read next? #bookclub",
        "connections",
    )
    .await;
    let comment = comment_on(&app, &bo, &id, "Middlemarch").await;
    let (s, r) = send(
        &app,
        &ada,
        Method::POST,
        &format!("/api/v1/posts/{id}/comments"),
        Some(json!({"body": "Good idea", "parent_id": comment})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let reply = r["id"].as_str().expect("id").to_owned();
    let (s, _) = send(
        &app,
        &bo,
        Method::POST,
        &format!("/api/v1/posts/{id}/comments"),
        Some(json!({"body": "Deeper", "parent_id": reply})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, p) = app.get_json(&ada, &format!("/api/v1/posts/{id}")).await;
    assert_eq!(p["comment_count"], 2);
    assert_eq!(p["comments"][0]["body"], "Middlemarch");
    assert_eq!(p["comments"][0]["replies"][0]["body"], "Good idea");
    // Reactions on comments count too.
    let (s, _) = send(
        &app,
        &ada,
        Method::PUT,
        &format!("/api/v1/comments/{comment}/reaction"),
        Some(json!({"kind": "celebrate"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, p) = app.get_json(&bo, &format!("/api/v1/posts/{id}")).await;
    assert_eq!(p["comments"][0]["reactions"]["celebrate"], 1);
    // On feed pages the latest comments carry each reader's own reaction,
    // and leave out the comments of someone the reader blocked.
    let cy = member(&app, "cyd", "Cyd").await;
    connect(&app, &ada, &cy, "cyd").await;
    comment_on(&app, &cy, &id, "Or Persuasion").await;
    let (s, _) = send(&app, &bo, Method::PUT, "/api/v1/blocks/cyd", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let latest = |feed: &Value| -> Vec<(String, Value)> {
        feed["posts"]
            .as_array()
            .expect("posts")
            .iter()
            .find(|p| p["id"] == id.as_str())
            .expect("the post is in the feed")["comments"]
            .as_array()
            .expect("comments")
            .iter()
            .map(|c| {
                (
                    c["body"].as_str().unwrap_or_default().to_owned(),
                    c["my_reaction"].clone(),
                )
            })
            .collect()
    };
    let (_, feed) = app.get_json(&ada, "/api/v1/feed").await;
    assert_eq!(
        latest(&feed),
        [
            ("Middlemarch".to_owned(), json!("celebrate")),
            ("Or Persuasion".to_owned(), Value::Null)
        ]
    );
    let (_, feed) = app.get_json(&bo, "/api/v1/feed").await;
    assert_eq!(latest(&feed), [("Middlemarch".to_owned(), Value::Null)]);
    let (_, n) = app.get_json(&bo, "/api/v1/notifications").await;
    assert!(
        n.as_array()
            .expect("list")
            .iter()
            .any(|x| x["kind"] == "reply")
    );
    assert!(
        n.as_array()
            .expect("list")
            .iter()
            .any(|x| x["kind"] == "reaction")
    );
    // The post's author may delete a comment on it; the count follows.
    let (s, _) = send(
        &app,
        &ada,
        Method::DELETE,
        &format!("/api/v1/comments/{comment}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, p) = app.get_json(&ada, &format!("/api/v1/posts/{id}")).await;
    assert_eq!(p["comment_count"], 1, "Cyd's comment is left");

    let long = "x".repeat(3_001);
    let (s, v) = send(
        &app,
        &ada,
        Method::POST,
        "/api/v1/posts",
        Some(json!({"body": long})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("3000"),
        "{v}"
    );
    let (s, _) = send(
        &app,
        &ada,
        Method::POST,
        "/api/v1/posts",
        Some(json!({"body": "   "})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = send(
        &app,
        &ada,
        Method::POST,
        "/api/v1/posts",
        Some(json!({"body": "hi", "audience": "only_me"})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = send(
        &app,
        &ada,
        Method::GET,
        "/api/v1/feed?cursor=nonsense",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // Someone else's post cannot be edited or deleted.
    let (s, _) = send(
        &app,
        &bo,
        Method::DELETE,
        &format!("/api/v1/posts/{id}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_feed_pages_by_cursor_without_repeats() {
    let app = spawn_app().await;
    let ada = member(&app, "ada", "Ada").await;
    let bo = member(&app, "bob", "Bo").await;
    connect(&app, &ada, &bo, "bob").await;
    for i in 0..45 {
        post(
            &app,
            if i % 2 == 0 { &ada } else { &bo },
            &format!("Post number {i}"),
            "connections",
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let path = if cursor.is_empty() {
            "/api/v1/feed".to_owned()
        } else {
            format!("/api/v1/feed?cursor={cursor}")
        };
        let (s, page) = app.get_json(&bo, &path).await;
        assert_eq!(s, StatusCode::OK);
        for p in page["posts"].as_array().expect("posts") {
            seen.push(p["body"].as_str().expect("body").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    let expected: Vec<String> = (0..45).rev().map(|i| format!("Post number {i}")).collect();
    assert_eq!(seen, expected);
}

/// Every post body in the member's feed, page by page.
async fn whole_feed(app: &TestApp, c: &reqwest::Client) -> Vec<String> {
    whole_feed_with_comments(app, c)
        .await
        .into_iter()
        .map(|(body, _)| body)
        .collect()
}

/// Every post of the member's feed, page by page: its text, and the texts
/// of the latest comments shown under it.
async fn whole_feed_with_comments(
    app: &TestApp,
    c: &reqwest::Client,
) -> Vec<(String, Vec<String>)> {
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let path = if cursor.is_empty() {
            "/api/v1/feed".to_owned()
        } else {
            format!("/api/v1/feed?cursor={cursor}")
        };
        let (s, page) = app.get_json(c, &path).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        for p in page["posts"].as_array().expect("posts") {
            let comments = p["comments"]
                .as_array()
                .expect("comments")
                .iter()
                .map(|c| c["body"].as_str().expect("body").to_owned())
                .collect();
            seen.push((p["body"].as_str().expect("body").to_owned(), comments));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    seen
}

/// One number from a query on the main database.
async fn count(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) -> i64 {
    use sea_orm::ConnectionTrait;
    let backend = app.store.backend();
    let sql = if app.is_postgres {
        sql.to_owned()
    } else {
        sql.replace('$', "?")
    };
    let row = app
        .store
        .db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            backend, sql, values,
        ))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index(0).expect("a number")
}

async fn member_id(app: &TestApp, handle: &str) -> uuid::Uuid {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    lyceum_store::entity::profile::Entity::find()
        .filter(lyceum_store::entity::profile::Column::Handle.eq(handle))
        .one(&app.store.db)
        .await
        .expect("query")
        .expect("a profile")
        .member_id
}

#[tokio::test]
async fn a_trimmed_timeline_reads_on_from_the_posts_of_those_followed() {
    let app = spawn_app().await;
    let ada = member(&app, "ada", "Ada").await;
    let bo = member(&app, "bob", "Bo").await;
    let cy = member(&app, "cyd", "Cy").await;
    connect(&app, &ada, &bo, "bob").await;
    let (s, _) = send(&app, &bo, Method::PUT, "/api/v1/follows/cyd", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let mut ids = Vec::new();
    for i in 0..45 {
        ids.push(match i % 5 {
            // Cy's posts to connections are not for Bo, who only follows.
            4 => post(&app, &cy, &format!("Cy to connections {i}"), "connections").await,
            3 => post(&app, &cy, &format!("Post number {i}"), "members").await,
            _ => post(&app, &ada, &format!("Post number {i}"), "connections").await,
        });
    }
    // Comments on the newest post and on the oldest (which, trimmed, comes
    // from the pull): each shows its latest two top-level comments, oldest
    // first, and no replies.
    let mut latest = std::collections::HashMap::new();
    for (i, who) in [(43, &cy), (0, &ada)] {
        let mut shown = Vec::new();
        for n in 1..=3 {
            let body = format!("Comment {n} on {i}");
            let (s, c) = send(
                &app,
                who,
                Method::POST,
                &format!("/api/v1/posts/{}/comments", ids[i]),
                Some(json!({"body": body})),
            )
            .await;
            assert_eq!(s, StatusCode::CREATED, "{c}");
            let (s, r) = send(
                &app,
                who,
                Method::POST,
                &format!("/api/v1/posts/{}/comments", ids[i]),
                Some(json!({"body": format!("Reply {n} on {i}"), "parent_id": c["id"]})),
            )
            .await;
            assert_eq!(s, StatusCode::CREATED, "{r}");
            shown.push(body);
        }
        shown.remove(0);
        latest.insert(format!("Post number {i}"), shown);
    }
    let with_comments = |feed: Vec<(String, Vec<String>)>| {
        for (body, comments) in &feed {
            let expected = latest.get(body).cloned().unwrap_or_default();
            assert_eq!(comments, &expected, "under {body}");
        }
        feed.into_iter().map(|(body, _)| body).collect::<Vec<_>>()
    };
    let expected: Vec<String> = (0..45)
        .rev()
        .filter(|i| i % 5 != 4)
        .map(|i| format!("Post number {i}"))
        .collect();
    assert_eq!(
        with_comments(whole_feed_with_comments(&app, &bo).await),
        expected
    );

    let bo_id = member_id(&app, "bob").await;
    let removed = app.store.trim_timelines_to(5).await.expect("trim");
    // Bo's 36 entries, Ada's 27 and Cy's 18 go down to 5 each.
    assert_eq!(removed, 31 + 22 + 13);
    let held = count(
        &app,
        "SELECT COUNT(*) FROM timeline WHERE member_id = $1",
        vec![bo_id.into()],
    )
    .await;
    assert_eq!(held, 5);
    // The same feed, in the same order, with nothing twice: five entries
    // from the timeline, the rest from the posts of those Bo follows.
    assert_eq!(
        with_comments(whole_feed_with_comments(&app, &bo).await),
        expected
    );
    // Ending the connection takes Ada's posts out of the pulled part too.
    let (s, _) = send(&app, &bo, Method::DELETE, "/api/v1/connections/ada", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let only_cy: Vec<String> = (0..45)
        .rev()
        .filter(|i| i % 5 == 3)
        .map(|i| format!("Post number {i}"))
        .collect();
    assert_eq!(whole_feed(&app, &bo).await, only_cy);
}

#[tokio::test]
async fn a_post_to_a_large_audience_reaches_every_follower_after_the_answer() {
    use lyceum_store::network::{FANOUT_INLINE, FANOUT_JOB};
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let ada = member(&app, "ada", "Ada").await;
    let bo = member(&app, "bob", "Bo").await;
    let (s, _) = send(&app, &bo, Method::PUT, "/api/v1/follows/ada", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // More followers than one transaction takes: rows only, as a timeline
    // needs no account behind it.
    let ada_id = member_id(&app, "ada").await;
    let extra = FANOUT_INLINE as usize + 200;
    for chunk in (0..extra).collect::<Vec<_>>().chunks(250) {
        let mut sql =
            String::from("INSERT INTO follows (follower_id, followee_id, created_at) VALUES ");
        let mut values: Vec<sea_orm::Value> = Vec::new();
        for (n, _) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push_str(", ");
            }
            let b = values.len();
            if app.is_postgres {
                sql.push_str(&format!("(${}, ${}, ${})", b + 1, b + 2, b + 3));
            } else {
                sql.push_str("(?, ?, ?)");
            }
            values.push(uuid::Uuid::new_v4().into());
            values.push(ada_id.into());
            values.push(0i64.into());
        }
        app.store
            .writer
            .execute_raw(sea_orm::Statement::from_sql_and_values(
                app.store.backend(),
                sql,
                values,
            ))
            .await
            .expect("followers");
    }
    let id = post(&app, &ada, "To everyone who follows me", "members").await;
    let post_id: uuid::Uuid = id.parse().expect("uuid");
    let readers = extra as i64 + 2;
    let written = || {
        count(
            &app,
            "SELECT COUNT(*) FROM timeline WHERE post_id = $1",
            vec![post_id.into()],
        )
    };
    let mut n = 0;
    for _ in 0..200 {
        n = written().await;
        if n == readers {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(n, readers, "the author, Bo and every other follower");
    let (_, feed) = app.get_json(&bo, "/api/v1/feed").await;
    assert_eq!(feed["posts"][0]["body"], "To everyone who follows me");
    let pending = || {
        count(
            &app,
            "SELECT COUNT(*) FROM jobs WHERE kind = $1",
            vec![FANOUT_JOB.into()],
        )
    };
    for _ in 0..100 {
        if pending().await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(pending().await, 0, "the node that wrote it retired the job");

    // Had the node stopped half way, the job finishes the work, skipping
    // the readers who have the post already.
    app.store
        .writer
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            app.store.backend(),
            if app.is_postgres {
                "DELETE FROM timeline WHERE post_id = $1 AND member_id NOT IN ($2, $3)"
            } else {
                "DELETE FROM timeline WHERE post_id = ? AND member_id NOT IN (?, ?)"
            },
            vec![
                post_id.into(),
                ada_id.into(),
                member_id(&app, "bob").await.into(),
            ],
        ))
        .await
        .expect("delete");
    assert_eq!(written().await, 2);
    app.store
        .jobs()
        .enqueue(FANOUT_JOB, json!({ "post": post_id }), 0)
        .await
        .expect("enqueue");
    Worker::new(app.store.clone())
        .run_due()
        .await
        .expect("jobs run");
    assert_eq!(written().await, readers);
    assert_eq!(pending().await, 0);
}

#[tokio::test]
async fn messages_go_between_connections_and_survive_the_other_side_erasing() {
    let app = spawn_app().await;
    let ada = member(&app, "ada", "Ada").await;
    let bo = member(&app, "bob", "Bo").await;
    let cy = member(&app, "cyd", "Cy").await;
    // Not connected, and requests are off by default.
    let (s, v) = send(
        &app,
        &cy,
        Method::POST,
        "/api/v1/messages/ada",
        Some(json!({"body": "Hello?"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    connect(&app, &ada, &bo, "bob").await;
    let (s, _) = send(
        &app,
        &ada,
        Method::POST,
        "/api/v1/messages/bob",
        Some(json!({"body": "Tea on Friday?"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, list) = app.get_json(&bo, "/api/v1/messages").await;
    assert_eq!(list[0]["peer"]["handle"], "ada");
    assert_eq!(list[0]["unread"], 1);
    let (_, conv) = app.get_json(&bo, "/api/v1/messages/ada").await;
    assert_eq!(conv[0]["body"], "Tea on Friday?");
    assert_eq!(conv[0]["mine"], false);
    assert_eq!(
        app.get_json(&bo, "/api/v1/messages").await.1[0]["unread"],
        0
    );
    let (s, _) = send(
        &app,
        &ada,
        Method::POST,
        "/api/v1/messages/ada",
        Some(json!({"body": "me"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = send(
        &app,
        &ada,
        Method::POST,
        "/api/v1/messages/bob",
        Some(json!({"body": ""})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // With requests allowed, a stranger may write once until answered.
    set_privacy(&app, &ada, &[], &["message_requests"]).await;
    let (s, _) = send(
        &app,
        &cy,
        Method::POST,
        "/api/v1/messages/ada",
        Some(json!({"body": "May I ask about your notes?"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = send(
        &app,
        &cy,
        Method::POST,
        "/api/v1/messages/ada",
        Some(json!({"body": "Hello again"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, list) = app.get_json(&ada, "/api/v1/messages").await;
    let from_cy = list
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["peer"]["handle"] == "cyd")
        .cloned()
        .expect("cyd");
    assert_eq!(from_cy["is_request"], true);
    // A block ends it.
    send(&app, &ada, Method::PUT, "/api/v1/blocks/cyd", None).await;
    let (s, _) = send(
        &app,
        &cy,
        Method::POST,
        "/api/v1/messages/ada",
        Some(json!({"body": "?"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Ada erases herself; Bo's copy of what she wrote stays his.
    let (s, _) = send(
        &app,
        &ada,
        Method::DELETE,
        "/api/v1/me",
        Some(json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    Worker::new(app.store.clone())
        .run_due()
        .await
        .expect("jobs");
    let bo_id = subject_of(&app, &bo).await;
    let copies = app
        .store
        .network()
        .conversations(lyceum_core::domain::MemberId(bo_id.0))
        .await
        .expect("list");
    assert!(
        copies.is_empty(),
        "an erased member's card is gone from lists"
    );
    let rows = crate::erasure::rows_of(&app, bo_id).await;
    assert!(
        rows.iter().any(|(t, n)| *t == "messages" && *n == 1),
        "{rows:?}"
    );
}

#[tokio::test]
async fn moderators_act_with_reasons_members_appeal_and_the_log_names_nobody() {
    let app = spawn_app().await;
    let operator = app.set_up().await;
    let ada = member(&app, "ada", "Ada").await;
    let bo = member(&app, "bob", "Bo").await;
    let id = post(&app, &ada, "Buy cheap watches now", "members").await;
    let (s, v) = send(
        &app,
        &bo,
        Method::POST,
        "/api/v1/reports",
        Some(
            json!({"target_kind": "post", "target_id": id, "reason": "spam", "details": "Advert"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _) = send(
        &app,
        &bo,
        Method::POST,
        "/api/v1/reports",
        Some(json!({"target_kind": "post", "target_id": id, "reason": "spam"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = send(
        &app,
        &ada,
        Method::POST,
        "/api/v1/reports",
        Some(json!({"target_kind": "post", "target_id": id, "reason": "spam"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(
        app.get_json(&bo, "/api/v1/moderation/queue").await.0,
        StatusCode::FORBIDDEN
    );
    let (s, q) = app.get_json(&operator, "/api/v1/moderation/queue").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(q[0]["excerpt"], "Buy cheap watches now");
    assert_eq!(q[0]["details"], json!(["Advert"]));
    assert!(
        !q.to_string().contains("\"bob\""),
        "reporters stay anonymous: {q}"
    );
    let report = q[0]["report_id"].as_str().expect("id").to_owned();
    let (s, _) = send(
        &app,
        &operator,
        Method::POST,
        &format!("/api/v1/moderation/reports/{report}/decision"),
        Some(json!({"decision": "remove", "reason": "spam"})),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an action needs words for the member"
    );
    let (s, _) = send(&app, &operator, Method::POST, &format!("/api/v1/moderation/reports/{report}/decision"),
        Some(json!({"decision": "remove", "reason": "spam", "explanation": "Adverts are not allowed."}))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // Gone for others, marked for the author, who is told why.
    assert_eq!(
        app.get_json(&bo, &format!("/api/v1/posts/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get_json(&ada, &format!("/api/v1/posts/{id}")).await.1["removed"],
        true
    );
    let (_, mine) = app.get_json(&ada, "/api/v1/me/moderation").await;
    assert_eq!(mine[0]["explanation"], "Adverts are not allowed.");
    let (_, n) = app.get_json(&ada, "/api/v1/notifications").await;
    assert_eq!(n[0]["kind"], "moderation");
    // An appeal, reversed, restores the post.
    let action = mine[0]["id"].as_str().expect("id").to_owned();
    let (s, _) = send(
        &app,
        &ada,
        Method::POST,
        &format!("/api/v1/moderation/actions/{action}/appeal"),
        Some(json!({"text": "It was a joke among friends."})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, appeals) = app.get_json(&operator, "/api/v1/moderation/appeals").await;
    assert_eq!(appeals[0]["appeal"], "It was a joke among friends.");
    let (s, _) = send(
        &app,
        &operator,
        Method::POST,
        &format!("/api/v1/moderation/actions/{action}/decision"),
        Some(json!({"reverse": true})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_json(&bo, &format!("/api/v1/posts/{id}")).await.0,
        StatusCode::OK
    );
    // The public log says what and why, and nothing of who.
    let (_, log) = app.get_json(&client(), "/api/v1/moderation/log").await;
    assert_eq!(log[0]["action"], "removed");
    assert_eq!(log[0]["reason"], "spam");
    assert_eq!(log[0]["outcome"], "reversed");
    let text = log.to_string();
    for leak in ["ada", "bob", "Ada", "Bo", "watches", &id] {
        assert!(!text.contains(leak), "the log leaks {leak}: {text}");
    }
}

#[tokio::test]
async fn a_tag_pages_past_posts_the_viewer_may_not_see() {
    let app = spawn_app().await;
    let ada = member(&app, "ada", "Ada").await;
    let bob = member(&app, "bob", "Bob").await;
    // Members' posts between many that only Ada's connections may see.
    let mut expected = Vec::new();
    for i in 0..85 {
        if i % 3 == 0 {
            post(&app, &ada, &format!("Open {i} #many"), "members").await;
            expected.push(format!("Open {i} #many"));
        } else {
            post(&app, &ada, &format!("Closed {i} #many"), "connections").await;
        }
    }
    expected.reverse();
    let mut seen = Vec::new();
    let mut path = "/api/v1/tags/many".to_owned();
    for _ in 0..20 {
        let (s, page) = app.get_json(&bob, &path).await;
        assert_eq!(s, StatusCode::OK);
        for p in page["posts"].as_array().expect("posts") {
            seen.push(p["body"].as_str().expect("body").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/tags/many?cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn the_reaction_buttons_on_the_page_toggle_like_and_refuse_unknown_kinds() {
    let app = spawn_app().await;
    let ada = member(&app, "ada", "Ada").await;
    let bob = member(&app, "bob", "Bob").await;
    let id = post(&app, &ada, "Press like", "members").await;
    let page_ = format!("/posts/{id}");
    let action = format!("/react/{id}");
    let (s, _, _) = app
        .submit_form(&bob, &page_, &action, &[("kind", "like"), ("back", &page_)])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(reaction_total(&app, &ada, &id).await, 1);
    // A second press of Like takes it away; "remove" when nothing is left changes nothing.
    app.submit_form(&bob, &page_, &action, &[("kind", "like"), ("back", &page_)])
        .await;
    assert_eq!(reaction_total(&app, &ada, &id).await, 0);
    let (s, _, _) = app
        .submit_form(&bob, &page_, &action, &[("kind", "none"), ("back", &page_)])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _, html) = app
        .submit_form(&bob, &page_, &action, &[("kind", "dislike")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("Choose one of the five reactions."));
    // A post for an unknown audience is refused on the page too, keeping the text.
    let (s, _, html) = app
        .submit_form(
            &bob,
            "/feed",
            "/feed",
            &[("body", "Keep me"), ("audience", "everyone")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Keep me"));
}

async fn reaction_total(app: &TestApp, c: &reqwest::Client, post: &str) -> Value {
    app.get_json(c, &format!("/api/v1/posts/{post}")).await.1["reactions"]["total"].clone()
}

#[tokio::test]
async fn a_connections_export_shows_only_the_emails_their_owners_allowed() {
    let app = spawn_app().await;
    let ada = member(&app, "ada", "Ada").await;
    let bo = member(&app, "bob", "=HYPERLINK(\"x\")").await;
    let cy = member(&app, "cyd", "Cy").await;
    connect(&app, &ada, &bo, "bob").await;
    connect(&app, &ada, &cy, "cyd").await;
    // Cy allows connections to download their address; Bo keeps the default.
    set_privacy(
        &app,
        &cy,
        &[("headline", "connections")],
        &["email_download"],
    )
    .await;

    let res = ada
        .get(app.url("/api/v1/connections/export"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = res.text().await.expect("body");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "Name,Handle,Profile,Headline,Email address,Connected on"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    let bob_line = lines
        .iter()
        .find(|l| l.contains(",bob,"))
        .expect("Bo's row");
    let cy_line = lines
        .iter()
        .find(|l| l.contains(",cyd,"))
        .expect("Cy's row");
    assert!(!csv.contains("bob@example.org"), "{csv}");
    assert!(cy_line.contains(",cyd@example.org,"), "{cy_line}");
    assert!(cy_line.contains("Cy's headline"), "{cy_line}");
    // Bo's headline is only for Bo; a name a spreadsheet would run is
    // defused.
    assert!(!bob_line.contains("headline"), "{bob_line}");
    assert!(bob_line.starts_with("\"'=HYPERLINK"), "{bob_line}");

    // The full archive carries the same file, under the same rule.
    let res = ada
        .get(app.url("/api/v1/me/export"))
        .send()
        .await
        .expect("export");
    let bytes = res.bytes().await.expect("zip");
    let files = lyceum_store::zip::read_stored(&bytes).expect("a valid ZIP");
    let (_, in_zip) = files
        .iter()
        .find(|(n, _)| n == "connections.csv")
        .expect("connections.csv");
    assert_eq!(std::str::from_utf8(in_zip).expect("utf-8"), csv);
    for (name, data) in &files {
        assert!(
            !String::from_utf8_lossy(data).contains("bob@example.org"),
            "{name} holds Bo's address"
        );
    }

    // Bo turns it on later: it appears from then on.
    set_privacy(&app, &bo, &[], &["email_download"]).await;
    let csv = ada
        .get(app.url("/network/connections.csv"))
        .send()
        .await
        .expect("page download")
        .text()
        .await
        .expect("body");
    assert!(csv.contains("bob@example.org"), "{csv}");

    // Without connections there is no such file in the archive.
    let dee = member(&app, "dee", "Dee").await;
    let files = export_files(&app, &dee).await;
    assert!(!files.iter().any(|(n, _)| n == "connections.csv"));
}

/// A JPEG photo with an EXIF block naming a place, as phones write them.
pub(crate) fn photo_with_location(w: u32, h: u32) -> Vec<u8> {
    use image::codecs::jpeg::JpegEncoder;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 40])
    });
    let mut plain = Vec::new();
    img.write_with_encoder(JpegEncoder::new_with_quality(&mut plain, 90))
        .expect("encode");
    let mut tiff = vec![b'I', b'I', 42, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    tiff.extend_from_slice(b"GPSLatitude 51.5072N GPSLongitude 0.1276W");
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let len = u16::try_from(app1.len() + 2).expect("small");
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

async fn post_with_image(
    app: &TestApp,
    c: &reqwest::Client,
    file: Vec<u8>,
    alt: &str,
    audience: &str,
) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new()
        .text("body", "Our reading room #library")
        .text("audience", audience.to_owned())
        .part(
            "image",
            reqwest::multipart::Part::bytes(file).file_name("IMG_0001.jpg"),
        )
        .text("image_alt", alt.to_owned());
    let res = c
        .post(app.url("/api/v1/posts"))
        .multipart(form)
        .send()
        .await
        .expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn pictures_lose_their_metadata_and_reach_only_the_posts_audience() {
    let app = spawn_app().await;
    let ada = member(&app, "ada", "Ada").await;
    let bo = member(&app, "bob", "Bo").await;
    let cy = member(&app, "cyd", "Cy").await;
    connect(&app, &ada, &bo, "bob").await;
    let upload = photo_with_location(1600, 1200);
    assert!(upload.windows(11).any(|w| w == b"GPSLatitude"));

    let (s, v) = post_with_image(
        &app,
        &ada,
        upload.clone(),
        "Shelves of books under a skylight",
        "connections",
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let img = &v["images"][0];
    assert_eq!(img["alt"], "Shelves of books under a skylight");
    assert_eq!(
        (img["width"].as_u64(), img["height"].as_u64()),
        (Some(1280), Some(960))
    );
    assert_eq!(
        (img["small_width"].as_u64(), img["small_height"].as_u64()),
        (Some(480), Some(360))
    );
    let large = img["large_url"].as_str().expect("url").to_owned();
    let small = img["small_url"].as_str().expect("url").to_owned();

    for (who, c) in [("author", &ada), ("connection", &bo)] {
        for url in [&large, &small] {
            let res = c.get(app.url(url)).send().await.expect("get");
            assert_eq!(res.status(), StatusCode::OK, "{who} {url}");
            assert_eq!(res.headers()["content-type"], "image/jpeg");
            assert!(
                res.headers()["cache-control"]
                    .to_str()
                    .unwrap_or_default()
                    .starts_with("private")
            );
            let bytes = res.bytes().await.expect("bytes");
            assert!(bytes.starts_with(&[0xFF, 0xD8]));
            assert!(!bytes.windows(4).any(|w| w == b"Exif"), "metadata kept");
            assert!(!bytes.windows(3).any(|w| w == b"GPS"), "location kept");
        }
    }
    // Bo's feed shows it; another member and the public get nothing.
    let (_, feed) = app.get_json(&bo, "/api/v1/feed").await;
    assert_eq!(
        feed["posts"][0]["images"][0]["alt"],
        "Shelves of books under a skylight"
    );
    for (who, c) in [("other member", &cy), ("anonymous", &client())] {
        for url in [&large, &small] {
            let res = c.get(app.url(url)).send().await.expect("get");
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{who} {url}");
        }
    }

    // Not a picture, or no description: refused with a reason, nothing posted.
    let (s, v) = post_with_image(&app, &ada, b"%PDF-1.7".to_vec(), "A document", "members").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("not a picture"), "{v}");
    let (s, v) = post_with_image(&app, &ada, upload.clone(), "  ", "members").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("Describe the picture"), "{v}");
    let (_, mine) = app.get_json(&ada, "/api/v1/feed").await;
    assert_eq!(mine["posts"].as_array().map(Vec::len), Some(1));

    // The export holds the pictures as files, and their descriptions.
    let bytes = ada
        .get(app.url("/api/v1/me/export"))
        .send()
        .await
        .expect("export")
        .bytes()
        .await
        .expect("zip");
    let files = lyceum_store::zip::read_stored(&bytes).expect("zip");
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let (_, doc) = files
        .iter()
        .find(|(n, _)| n == "data/post_images.json")
        .expect("table");
    let doc = String::from_utf8_lossy(doc);
    assert!(doc.contains("Shelves of books"));
    // Each picture is a JPEG file of its own, named in its row.
    for size in ["large", "small"] {
        let (name, bytes) = files
            .iter()
            .find(|(n, _)| {
                n.starts_with("files/post_images/") && n.ends_with(&format!("-{size}.jpg"))
            })
            .unwrap_or_else(|| panic!("no {size} picture in {names:?}"));
        assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]), "{name} is a JPEG");
        assert!(doc.contains(&format!("\"file\": \"{name}\"")), "{doc}");
    }

    // Deleting the post deletes the pictures.
    let id = v_id(&mine);
    let (s, _) = send(
        &app,
        &ada,
        Method::DELETE,
        &format!("/api/v1/posts/{id}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let res = ada.get(app.url(&large)).send().await.expect("get");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let rows = crate::erasure::rows_of(&app, subject_of(&app, &ada).await).await;
    assert!(
        rows.iter().any(|(t, n)| *t == "post_images" && *n == 0),
        "{rows:?}"
    );
}

fn v_id(page: &Value) -> String {
    page["posts"][0]["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn digests_go_only_to_members_who_consented_and_carry_no_names() {
    let app = spawn_app_with_recipients(vec![mail_relay()]).await;
    let ada = member(&app, "ada", "Ada").await;
    let bo = member(&app, "bob", "Bo Nameless").await;
    let cy = member(&app, "cyd", "Cy").await;
    connect(&app, &ada, &bo, "bob").await;
    connect(&app, &cy, &bo, "bob").await;
    let outbox = std::sync::Arc::new(Outbox::default());
    let sender = lyceum_store::digests::DigestSender {
        mailer: outbox.clone(),
        recipients: vec![mail_relay()],
        relay: mail_relay().key,
        base_url: "https://lyceum.example".into(),
    };
    let consent = |c: &reqwest::Client, on: bool| {
        c.put(app.url("/api/v1/me/consents/email_digests"))
            .json(&json!({"granted": on}))
            .send()
    };
    // Ada consents and wants it daily; Cy consents but pauses all
    // optional processing; Bo never consents.
    assert!(
        consent(&ada, true)
            .await
            .expect("consent")
            .status()
            .is_success()
    );
    assert!(
        consent(&cy, true)
            .await
            .expect("consent")
            .status()
            .is_success()
    );
    let res = cy
        .put(app.url("/api/v1/me/restriction"))
        .json(&json!({"paused": true}))
        .send()
        .await
        .expect("pause");
    assert!(res.status().is_success());
    let (s, _) = send(
        &app,
        &ada,
        Method::PUT,
        "/api/v1/notifications/digest",
        Some(json!({"frequency": "daily"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = send(
        &app,
        &ada,
        Method::PUT,
        "/api/v1/notifications/digest",
        Some(json!({"frequency": "hourly"})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (_, d) = app.get_json(&ada, "/api/v1/notifications/digest").await;
    assert_eq!(d["frequency"], "daily");
    assert_eq!(d["consented"], true);
    let (_, d) = app.get_json(&cy, "/api/v1/notifications/digest").await;
    assert_eq!(d["consented"], false, "paused processing stops digests");

    // Bo reacts to and comments on Ada's and Cy's posts; Ada reacts to Bo's.
    for c in [&ada, &cy] {
        let id = post(&app, c, "News", "connections").await;
        send(
            &app,
            &bo,
            Method::PUT,
            &format!("/api/v1/posts/{id}/reaction"),
            Some(json!({"kind": "love"})),
        )
        .await;
        comment_on(&app, &bo, &id, "Lovely").await;
    }
    let bos = post(&app, &bo, "Bo's news", "connections").await;
    send(
        &app,
        &ada,
        Method::PUT,
        &format!("/api/v1/posts/{bos}/reaction"),
        Some(json!({"kind": "like"})),
    )
    .await;

    let sent = app.store.send_digests(&sender).await.expect("digests");
    assert_eq!(sent, 1);
    let mails = outbox.0.lock().expect("outbox").clone();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.to, "ada@example.org");
    assert!(
        mail.body.contains("- 1 comment on your posts\n"),
        "{}",
        mail.body
    );
    assert!(
        mail.body
            .contains("- 1 reaction to your posts and comments\n"),
        "{}",
        mail.body
    );
    assert!(mail.body.contains("https://lyceum.example/notifications"));
    assert!(
        !mail.body.contains("Bo") && !mail.body.contains("Lovely") && !mail.body.contains("News"),
        "{}",
        mail.body
    );
    // The relay is in Ada's ledger, before anything else learns of it.
    let ada_id = subject_of(&app, &ada).await;
    let ledger = app.store.disclosures(ada_id).await.expect("ledger");
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].recipient, "mail-relay");

    // Not again within the day; again after it, only if something new came.
    assert_eq!(app.store.send_digests(&sender).await.expect("digests"), 0);
    app.clock.advance(chrono::Duration::hours(25));
    assert_eq!(
        app.store.send_digests(&sender).await.expect("digests"),
        0,
        "nothing new"
    );
    let id = post(&app, &ada, "More", "connections").await;
    send(
        &app,
        &bo,
        Method::PUT,
        &format!("/api/v1/posts/{id}/reaction"),
        Some(json!({"kind": "curious"})),
    )
    .await;
    assert_eq!(app.store.send_digests(&sender).await.expect("digests"), 1);
    // Reading the notifications page first means there is nothing to tell.
    app.clock.advance(chrono::Duration::hours(25));
    comment_on(&app, &bo, &id, "Again").await;
    let _ = ada
        .get(app.url("/notifications"))
        .send()
        .await
        .expect("page");
    assert_eq!(app.store.send_digests(&sender).await.expect("digests"), 0);

    // Withdrawing the consent stops them at once.
    app.clock.advance(chrono::Duration::hours(25));
    comment_on(&app, &bo, &id, "Once more").await;
    assert!(
        consent(&ada, false)
            .await
            .expect("consent")
            .status()
            .is_success()
    );
    assert_eq!(app.store.send_digests(&sender).await.expect("digests"), 0);
    assert_eq!(outbox.0.lock().expect("outbox").len(), 2);
}

#[tokio::test]
async fn a_password_change_is_emailed_through_the_ledger_without_any_consent() {
    let app = spawn_app_with_mail(vec![mail_relay()]).await;
    let ann = app.sign_up("ann@example.org", "Ann").await;
    let outbox = std::sync::Arc::new(Outbox::default());
    let worker = Worker::new(app.store.clone()).with_mail(lyceum_store::digests::DigestSender {
        mailer: outbox.clone(),
        recipients: vec![mail_relay()],
        relay: mail_relay().key,
        base_url: "https://lyceum.example".into(),
    });
    let res = ann
        .client
        .put(app.url("/api/v1/me/password"))
        .json(&json!({"current_password": PASSWORD, "new_password": "a new long passphrase"}))
        .send()
        .await
        .expect("change");
    assert!(res.status().is_success());
    worker.run_due().await.expect("jobs");
    let mails = outbox.0.lock().expect("outbox").clone();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, "ann@example.org");
    assert_eq!(mails[0].subject, "Your Lyceum password was changed");
    assert!(mails[0].body.contains("https://lyceum.example/me/security"));
    let id = subject_of(&app, &ann.client).await;
    let ledger = app.store.disclosures(id).await.expect("ledger");
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].recipient, "mail-relay");
    assert_eq!(ledger[0].categories, vec!["contact".to_owned()]);

    // Signing out everywhere is told too; a member erased before the email
    // goes out gets none, and the job is done rather than retried.
    let res = ann
        .client
        .post(app.url("/api/v1/auth/signout-everywhere"))
        .send()
        .await
        .expect("sign out");
    assert!(res.status().is_success(), "{}", res.status());
    worker.run_due().await.expect("jobs");
    assert_eq!(outbox.0.lock().expect("outbox").len(), 2);
    let bo = app.sign_up("bo@example.org", "Bo").await;
    let res = bo
        .client
        .put(app.url("/api/v1/me/password"))
        .json(&json!({"current_password": PASSWORD, "new_password": "a new long passphrase"}))
        .send()
        .await
        .expect("change");
    assert!(res.status().is_success());
    let res = bo
        .client
        .delete(app.url("/api/v1/me"))
        .json(&json!({"password": "a new long passphrase"}))
        .send()
        .await
        .expect("erase");
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    worker.run_due().await.expect("jobs");
    assert_eq!(outbox.0.lock().expect("outbox").len(), 2);
    assert_eq!(
        worker.run_due().await.expect("jobs"),
        0,
        "nothing left to retry"
    );
}

/// Ada's feed as read through `base` (either node).
async fn feed_on(base: &str, c: &reqwest::Client) -> Value {
    let res = c
        .get(format!("{base}/api/v1/feed"))
        .send()
        .await
        .expect("feed");
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("json")
}

/// Reads the feed through `base` until `check` holds (other nodes learn of
/// some changes within a second), or gives up after ten seconds.
async fn feed_until(base: &str, c: &reqwest::Client, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let feed = feed_on(base, c).await;
        if check(&feed) || std::time::Instant::now() > deadline {
            return feed;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn feed_pages_show_edits_profile_changes_and_erasures_on_every_node() {
    // Each node keeps cards and decrypted words of the feed in memory; a
    // change made through one node must show on both, and an erased
    // member's words must leave both nodes' memory.
    let app = spawn_app().await;
    let other = app.second_node().await;
    let ada = member(&app, "ada", "Ada").await;
    let bo = member(&app, "bob", "Bob").await;
    connect(&app, &ada, &bo, "bob").await;
    set_privacy(&app, &bo, &[("headline", "connections")], &[]).await;
    let id = post(&app, &bo, "Cached-First-Words", "connections").await;
    let comment = comment_on(&app, &ada, &id, "Ada-First-Comment").await;
    // Both nodes read the page once, so both hold it.
    for base in [app.url(""), other.clone()] {
        let feed = feed_on(&base, &ada).await;
        let p = &feed["posts"][0];
        assert_eq!(p["body"], "Cached-First-Words", "{feed}");
        assert_eq!(p["author"]["headline"], "Bob's headline", "{feed}");
        assert_eq!(p["comments"][0]["body"], "Ada-First-Comment", "{feed}");
    }

    // Edits show on the next read on either node: the cache keeps words
    // only for the exact sealing the row still holds.
    let (s, _) = send(
        &app,
        &bo,
        Method::PATCH,
        &format!("/api/v1/posts/{id}"),
        Some(json!({"body": "Cached-Second-Words"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = send(
        &app,
        &ada,
        Method::PATCH,
        &format!("/api/v1/comments/{comment}"),
        Some(json!({"body": "Ada-Second-Comment"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    for base in [app.url(""), other.clone()] {
        let feed = feed_on(&base, &ada).await;
        let p = &feed["posts"][0];
        assert_eq!(p["body"], "Cached-Second-Words", "{feed}");
        assert_eq!(p["comments"][0]["body"], "Ada-Second-Comment", "{feed}");
    }

    // Bob hides his headline and takes a new handle: at once on this node,
    // within a second on the other.
    set_privacy(&app, &bo, &[], &[]).await;
    let here = feed_on(&app.url(""), &ada).await;
    assert_eq!(
        here["posts"][0]["author"]["headline"],
        Value::Null,
        "{here}"
    );
    let (s, body) = send(
        &app,
        &bo,
        Method::PUT,
        "/api/v1/me/profile",
        Some(json!({"handle": "bob-renamed", "headline": "Bob's headline"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let here = feed_on(&app.url(""), &ada).await;
    assert_eq!(
        here["posts"][0]["author"]["headline"],
        Value::Null,
        "{here}"
    );
    assert_eq!(
        here["posts"][0]["author"]["handle"], "bob-renamed",
        "{here}"
    );
    let there = feed_until(&other, &ada, |f| {
        f["posts"][0]["author"]["handle"] == "bob-renamed"
    })
    .await;
    assert_eq!(
        there["posts"][0]["author"]["headline"],
        Value::Null,
        "{there}"
    );
    assert_eq!(
        there["posts"][0]["author"]["handle"], "bob-renamed",
        "{there}"
    );

    // Bob is erased: his words leave both nodes.
    erase_me(&app, &bo).await;
    Worker::new(app.store.clone())
        .run_due()
        .await
        .expect("jobs");
    let gone = |f: &Value| !f.to_string().contains("Cached-Second-Words");
    let here = feed_on(&app.url(""), &ada).await;
    assert!(gone(&here), "{here}");
    let there = feed_until(&other, &ada, gone).await;
    assert!(gone(&there), "{there}");
}
