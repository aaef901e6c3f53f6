//! No input yields a 5xx: every operation in the OpenAPI document gets
//! malformed, mistyped, oversized and random bodies.

use crate::helpers::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;

async fn operations(app: &TestApp) -> Vec<(Method, String)> {
    let (_, doc) = app.get_json(&client(), "/api/v1/openapi.json").await;
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if let Ok(m) = method.to_uppercase().parse::<Method>() {
                ops.push((m, format!("/api/v1{path}")));
            }
        }
    }
    assert!(ops.len() >= 6, "the document lists the API: {ops:?}");
    ops
}

fn fixed_bodies() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("application/json", b"".to_vec()),
        ("application/json", b"{".to_vec()),
        ("application/json", b"[]".to_vec()),
        ("application/json", b"null".to_vec()),
        ("application/json", b"{\"unknown\": 1}".to_vec()),
        (
            "application/json",
            b"{\"email\": 1, \"password\": [], \"display_name\": {}}".to_vec(),
        ),
        ("application/json", b"{\"email\": \"a@b.org\"}".to_vec()),
        (
            "application/json",
            b"{\"email\": \"\xff\xfe\", \"password\": \"x\"}".to_vec(),
        ),
        (
            "application/json",
            format!(
                "{{\"email\": \"{}\", \"password\": \"{}\", \"display_name\": \"x\"}}",
                "a".repeat(5000),
                "p".repeat(5000)
            )
            .into_bytes(),
        ),
        ("application/json", vec![b' '; 200 * 1024]),
        ("text/plain", b"hello".to_vec()),
        (
            "application/x-www-form-urlencoded",
            b"email=a&password=b".to_vec(),
        ),
    ]
}

#[tokio::test]
async fn malformed_bodies_to_every_operation_get_a_4xx() {
    // Broken JSON, wrong types, missing and unknown fields, bad UTF-8, huge and wrongly typed bodies.
    let app = spawn_app().await;
    let signed_in = app.sign_up("ann@example.org", "Ann").await.client;
    for (method, path) in operations(&app).await {
        for who in [&client(), &signed_in] {
            for (ctype, body) in fixed_bodies() {
                let res = who
                    .request(method.clone(), app.url(&path))
                    .header("content-type", ctype)
                    .body(body.clone())
                    .send()
                    .await
                    .expect("request");
                let status = res.status();
                assert!(
                    status.as_u16() < 500,
                    "{method} {path} with {ctype} body {:?}: {status}",
                    String::from_utf8_lossy(&body[..body.len().min(60)])
                );
                if status.is_client_error() {
                    let ct = res
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    assert_eq!(
                        ct, "application/problem+json",
                        "{method} {path}: {status} answered with {ct}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn random_bodies_never_cause_a_server_error() {
    // Property: whatever bytes arrive, the answer is not a 5xx.
    let app = spawn_app().await;
    let ops = operations(&app).await;
    let mut runner = TestRunner::new(Config {
        cases: 48,
        ..Config::default()
    });
    let strategy = (
        0..ops.len(),
        proptest::collection::vec(any::<u8>(), 0..512),
        prop_oneof![Just(true), Just(false)],
    );
    let mut cases = Vec::new();
    for _ in 0..48 {
        cases.push(strategy.new_tree(&mut runner).expect("value").current());
    }
    for (i, bytes, as_json) in cases {
        let (method, path) = &ops[i];
        let mut req = app
            .client
            .request(method.clone(), app.url(path))
            .body(bytes.clone());
        if as_json {
            req = req.header("content-type", "application/json");
        }
        let status = req.send().await.expect("request").status();
        assert!(
            status.as_u16() < 500,
            "{method} {path}: {status} for {bytes:?}"
        );
    }
}

#[tokio::test]
async fn malformed_form_posts_to_every_page_get_a_4xx_page() {
    // Pages refuse garbage with a readable page, never a server error.
    let app = spawn_app().await;
    for path in [
        "/setup",
        "/signup",
        "/signin",
        "/signout",
        "/signout-everywhere",
        "/me/password",
    ] {
        for (ctype, body) in fixed_bodies() {
            let res = client()
                .post(app.url(path))
                .header("content-type", ctype)
                .body(body)
                .send()
                .await
                .expect("request");
            let status = res.status();
            assert!(status.as_u16() < 500, "{path} with {ctype}: {status}");
        }
    }
}
