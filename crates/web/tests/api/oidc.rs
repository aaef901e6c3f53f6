//! Patron sign-in through a library's OpenID Connect provider, against a
//! small provider written here: discovery, an authorization endpoint that
//! consents at once, and a token endpoint that checks PKCE.

use crate::helpers::*;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lyceum_core::domain::library::PatronAuthMethod;
use lyceum_core::domain::{LibraryName, LibrarySlug, MemberId};
use lyceum_store::libraries::{LibraryChanges, NewLibrary, OidcSettings};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Provider {
    base: String,
    /// code → (challenge, nonce, client id)
    codes: Mutex<HashMap<String, (String, String, String)>>,
    scopes_asked: Mutex<Vec<String>>,
    wrong_nonce: Mutex<bool>,
}

async fn discovery(State(p): State<Arc<Provider>>) -> impl IntoResponse {
    Json(json!({
        "issuer": p.base,
        "authorization_endpoint": format!("{}/authorize", p.base),
        "token_endpoint": format!("{}/token", p.base),
        "subject_types_supported": ["pairwise"],
    }))
}

async fn authorize(
    State(p): State<Arc<Provider>>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let code = uuid::Uuid::new_v4().simple().to_string();
    p.scopes_asked
        .lock()
        .expect("lock")
        .push(q.get("scope").cloned().unwrap_or_default());
    assert_eq!(
        q.get("code_challenge_method").map(String::as_str),
        Some("S256")
    );
    p.codes.lock().expect("lock").insert(
        code.clone(),
        (
            q.get("code_challenge").cloned().unwrap_or_default(),
            q.get("nonce").cloned().unwrap_or_default(),
            q.get("client_id").cloned().unwrap_or_default(),
        ),
    );
    let to = format!(
        "{}?code={code}&state={}",
        q.get("redirect_uri").cloned().unwrap_or_default(),
        q.get("state").cloned().unwrap_or_default()
    );
    Redirect::to(&to)
}

async fn token(
    State(p): State<Arc<Provider>>,
    Form(f): Form<HashMap<String, String>>,
) -> axum::response::Response {
    let Some((challenge, nonce, client)) = f
        .get("code")
        .and_then(|c| p.codes.lock().expect("lock").remove(c))
    else {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    let verifier = f.get("code_verifier").cloned().unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != challenge
        || f.get("client_secret").map(String::as_str) != Some("s3cret")
        || f.get("client_id") != Some(&client)
    {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    }
    let nonce = if *p.wrong_nonce.lock().expect("lock") {
        "other".to_owned()
    } else {
        nonce
    };
    let claims = json!({
        "iss": p.base, "sub": "pairwise-7f3a", "aud": client,
        "exp": chrono::Utc::now().timestamp() + 300, "nonce": nonce,
    });
    let id_token = format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    Json(json!({"access_token": "x", "token_type": "Bearer", "id_token": id_token})).into_response()
}

async fn provider() -> Arc<Provider> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let p = Arc::new(Provider {
        base,
        ..Default::default()
    });
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .with_state(p.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    p
}

async fn oidc_library(app: &TestApp, issuer: &str) {
    let c = app.set_up().await;
    let op = MemberId(subject_of(app, &c).await.0);
    let libs = app.store.libraries();
    let l = libs
        .create(
            NewLibrary {
                slug: LibrarySlug::parse("northside").expect("slug"),
                name: LibraryName::parse("Northside Library").expect("name"),
            },
            Some(op),
        )
        .await
        .expect("library");
    libs.set_oidc(
        l.id,
        OidcSettings {
            issuer: issuer.into(),
            client_id: "lyceum".into(),
        },
        Some("s3cret"),
        Some(op),
    )
    .await
    .expect("oidc");
    let l = libs.get(l.id).await.expect("get").expect("l");
    libs.update(
        l.id,
        LibraryChanges {
            name: LibraryName::parse(&l.name).expect("name"),
            town: None,
            contact: "Ask at the desk".into(),
            brand_colour: l.brand_colour,
            licence: l.licence,
            consortium: None,
            auth_method: PatronAuthMethod::Oidc,
            shared_computer_default: false,
            idle_minutes: 15,
            guest_retention_days: 365,
        },
        op,
    )
    .await
    .expect("update");
}

/// Follows one redirect, returning the response.
async fn follow(c: &reqwest::Client, res: &reqwest::Response) -> reqwest::Response {
    let to = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    c.get(&to).send().await.expect("follow")
}

#[tokio::test]
async fn a_patron_signs_in_through_the_library_identity_provider() {
    // Authorization code + PKCE, scope openid only; the same subject is the same guest next time.
    let app = spawn_app().await;
    let p = provider().await;
    oidc_library(&app, &p.base).await;
    for _ in 0..2 {
        let c = client();
        let start = c
            .get(app.url("/libraries/northside/oidc/start?shared_computer=no"))
            .send()
            .await
            .expect("start");
        assert_eq!(start.status(), StatusCode::SEE_OTHER);
        let at_provider = follow(&c, &start).await;
        assert_eq!(at_provider.status(), StatusCode::SEE_OTHER);
        let back = follow(&c, &at_provider).await;
        assert_eq!(
            back.status(),
            StatusCode::SEE_OTHER,
            "{}",
            back.text().await.unwrap_or_default()
        );
        assert_eq!(back.headers()["location"], "/libraries/northside/learn");
        let (status, guest) = app.get_json(&c, "/api/v1/guest").await;
        assert_eq!(status, StatusCode::OK, "{guest}");
        // Replaying the return address does nothing.
        let replay = c
            .get(at_provider.headers()["location"].to_str().expect("loc"))
            .send()
            .await
            .expect("replay");
        assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    }
    assert_eq!(
        p.scopes_asked.lock().expect("lock").clone(),
        vec!["openid", "openid"]
    );
    let row = app
        .store
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.store.backend(),
            "SELECT COUNT(*) AS n FROM guests",
        ))
        .await
        .expect("q")
        .expect("row");
    assert_eq!(row.try_get::<i64>("", "n").expect("n"), 1);
    // The provider's subject is not stored, only its pseudonym.
    for f in crate::privacy::files_under(app.data_dir.path()) {
        let bytes = std::fs::read(&f).expect("read");
        assert!(
            !crate::privacy::contains(&bytes, b"pairwise-7f3a"),
            "{} holds the subject",
            f.display()
        );
    }
}

#[tokio::test]
async fn a_token_for_another_sign_in_or_a_silent_provider_is_refused_clearly() {
    // A wrong nonce is 401 on the library page; a provider that is down is 503; a card form is refused.
    let app = spawn_app().await;
    let p = provider().await;
    oidc_library(&app, &p.base).await;
    *p.wrong_nonce.lock().expect("lock") = true;
    let c = client();
    let start = c
        .get(app.url("/libraries/northside/oidc/start"))
        .send()
        .await
        .expect("start");
    let at_provider = follow(&c, &start).await;
    let back = follow(&c, &at_provider).await;
    assert_eq!(back.status(), StatusCode::UNAUTHORIZED);
    assert!(
        back.text()
            .await
            .unwrap_or_default()
            .contains("did not confirm who you are")
    );
    let (status, _) = app.get_json(&c, "/api/v1/guest").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Cancelled at the provider.
    let res = c
        .get(app.url("/libraries/northside/oidc/callback?error=access_denied&state=x"))
        .send()
        .await
        .expect("cb");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Card + PIN is not how this library signs in.
    let (status, _, body) = app
        .post_json(
            &client(),
            "/api/v1/libraries/northside/patron-sessions",
            json!({"card": "12345678", "pin": "1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // A provider that is not there.
    let app2 = spawn_app().await;
    oidc_library(&app2, "http://127.0.0.1:9").await;
    let res = client()
        .get(app2.url("/libraries/northside/oidc/start"))
        .send()
        .await
        .expect("start");
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        res.text()
            .await
            .unwrap_or_default()
            .contains("sign-in service is not answering")
    );
    // Only https issuers (or loopback) are accepted.
    let id = app
        .store
        .libraries()
        .by_slug("northside")
        .await
        .expect("q")
        .expect("l")
        .id;
    let err = app
        .store
        .libraries()
        .set_oidc(
            id,
            OidcSettings {
                issuer: "http://idp.example.org".into(),
                client_id: "x".into(),
            },
            None,
            None,
        )
        .await;
    assert!(err.is_err(), "plain http to a remote issuer is refused");
}
