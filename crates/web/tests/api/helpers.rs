//! `spawn_app()` and the `TestApp` that speaks the user's language.

use chrono::Utc;
use lyceum_core::clock::ManualClock;
use lyceum_store::{InstanceKey, Store, StoreConfig};
use lyceum_web::{AppState, WebConfig};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::sync::Arc;

/// A strong password used by test members.
pub const PASSWORD: &str = "correct horse battery staple";

/// A database made for one test and dropped after it.
struct PgDatabases {
    admin_url: String,
    names: Vec<String>,
}

impl Drop for PgDatabases {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let names = std::mem::take(&mut self.names);
        // Drop cannot await; a short-lived runtime on another thread does
        // the cleanup so test databases never pile up.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(db) = lyceum_store::connect(&admin_url, 1).await {
                    use sea_orm::ConnectionTrait;
                    for n in names {
                        let _ = db
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{n}\" WITH (FORCE)"
                            ))
                            .await;
                    }
                }
            })
        })
        .join();
    }
}

fn with_database(url: &str, name: &str) -> String {
    let mut u = url::Url::parse(url).expect("LYCEUM_TEST_POSTGRES_URL must be a URL");
    u.set_path(&format!("/{name}"));
    u.to_string()
}

/// A running app.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The store the app uses.
    pub store: Store,
    /// The app's clock.
    pub clock: Arc<ManualClock>,
    /// The data dir (SQLite files and the instance key).
    pub data_dir: tempfile::TempDir,
    /// A browser-like client with a cookie jar.
    pub client: reqwest::Client,
    /// Whether this run is on PostgreSQL.
    pub is_postgres: bool,
    /// Where the store's databases are, for a second node.
    config: StoreConfig,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    _pg: Option<PgDatabases>,
}

/// Starts the app with default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(WebConfig::default()).await
}

/// A recipient configured for tests: a mail relay.
pub fn mail_relay() -> lyceum_store::ledger::Recipient {
    lyceum_store::ledger::Recipient {
        key: "mail-relay".into(),
        name: "Example Mail Relay Ltd".into(),
        country: "Ireland".into(),
        purpose: "Delivering security emails".into(),
        from: None,
    }
}

impl TestApp {
    /// Serves the same store again with other privacy settings, as an
    /// operator restarting with a changed configuration would; returns the
    /// new server's base address.
    pub async fn serve_again(
        &self,
        recipients: Vec<lyceum_store::ledger::Recipient>,
        retention: lyceum_store::retention::RetentionConfig,
    ) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state = AppState::new(self.store.clone(), WebConfig::default())
            .with_recipients(recipients)
            .with_retention(retention);
        tokio::spawn(lyceum_web::serve(listener, state, std::future::pending()));
        base
    }
}

impl TestApp {
    /// A second server on the same databases, as in a cluster: its own
    /// store, caches and clock reading, nothing shared in memory with the
    /// first. Returns its base URL.
    pub async fn second_node(&self) -> String {
        let key = InstanceKey::load_or_create(&self.data_dir.path().join("instance.key"))
            .expect("instance key");
        let store = Store::open(&self.config, key, self.clock.clone())
            .await
            .expect("second store opens");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state = AppState::new(store, WebConfig::default());
        tokio::spawn(lyceum_web::serve(listener, state, std::future::pending()));
        base
    }
}

/// Starts the app with the given HTTP settings.
pub async fn spawn_app_with(web: WebConfig) -> TestApp {
    spawn(web, Vec::new(), false).await
}

/// Starts the app with configured recipients of personal data.
pub async fn spawn_app_with_recipients(
    recipients: Vec<lyceum_store::ledger::Recipient>,
) -> TestApp {
    spawn(WebConfig::default(), recipients, false).await
}

/// Starts the app as an instance with a mail relay: security emails and
/// digests are queued for the worker.
pub async fn spawn_app_with_mail(recipients: Vec<lyceum_store::ledger::Recipient>) -> TestApp {
    spawn(WebConfig::default(), recipients, true).await
}

async fn spawn(
    web: WebConfig,
    recipients: Vec<lyceum_store::ledger::Recipient>,
    sends_mail: bool,
) -> TestApp {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let (config, pg) = match std::env::var("LYCEUM_TEST_POSTGRES_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let id = uuid::Uuid::new_v4().simple().to_string();
            let main = format!("lyceum_test_{id}");
            let keyring = format!("lyceum_test_{id}_keyring");
            let admin = lyceum_store::connect(&admin_url, 1)
                .await
                .expect("PostgreSQL reachable");
            use sea_orm::ConnectionTrait;
            for n in [&main, &keyring] {
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{n}\""))
                    .await
                    .expect("create test database");
            }
            let config = StoreConfig {
                database_url: with_database(&admin_url, &main),
                keyring_url: with_database(&admin_url, &keyring),
                max_connections: 5,
                sqlite_mmap_bytes: 0,
            };
            (
                config,
                Some(PgDatabases {
                    admin_url,
                    names: vec![main, keyring],
                }),
            )
        }
        _ => (
            StoreConfig {
                database_url: lyceum_store::sqlite_url(&data_dir.path().join("lyceum.db")),
                keyring_url: lyceum_store::sqlite_url(&data_dir.path().join("keyring.db")),
                max_connections: 5,
                // Reads through the memory map as an operator may set it,
                // so every test also runs on that path.
                sqlite_mmap_bytes: 64 << 20,
            },
            None,
        ),
    };
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let key =
        InstanceKey::load_or_create(&data_dir.path().join("instance.key")).expect("instance key");
    let store = Store::open(&config, key, clock.clone())
        .await
        .expect("store opens");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(store.clone(), web)
        .with_recipients(recipients)
        .with_mail(sends_mail);
    tokio::spawn(lyceum_web::serve(listener, state, async move {
        let _ = rx.await;
    }));
    TestApp {
        base,
        store,
        clock,
        data_dir,
        client: client(),
        is_postgres: pg.is_some(),
        config,
        _shutdown: tx,
        _pg: pg,
    }
}

/// A new browser-like client (its own cookie jar), never following redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A member created through the API.
#[derive(Debug, Clone)]
pub struct TestMember {
    pub client: reqwest::Client,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Signs up through the API with a fresh client; panics unless 201.
    pub async fn sign_up(&self, email: &str, name: &str) -> TestMember {
        let client = client();
        let res = client
            .post(self.url("/api/v1/auth/signup"))
            .json(&json!({"email": email, "display_name": name, "password": PASSWORD}))
            .send()
            .await
            .expect("request");
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "sign-up failed: {}",
            res.text().await.unwrap_or_default()
        );
        TestMember { client }
    }

    /// Posts JSON with a client.
    pub async fn post_json(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: Value,
    ) -> (StatusCode, HeaderMap, Value) {
        let res = client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.json::<Value>().await.unwrap_or(Value::Null);
        (status, headers, body)
    }

    /// GETs JSON with a client.
    pub async fn get_json(&self, client: &reqwest::Client, path: &str) -> (StatusCode, Value) {
        let res = client.get(self.url(path)).send().await.expect("request");
        let status = res.status();
        (status, res.json::<Value>().await.unwrap_or(Value::Null))
    }

    /// GETs a page, returning status, headers and HTML.
    pub async fn get_page(
        &self,
        client: &reqwest::Client,
        path: &str,
    ) -> (StatusCode, HeaderMap, String) {
        let res = client.get(self.url(path)).send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        (status, headers, res.text().await.unwrap_or_default())
    }

    /// Loads a form page and posts it with its CSRF token, as a browser does.
    pub async fn submit_form(
        &self,
        client: &reqwest::Client,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, String) {
        let (_, _, html) = self.get_page(client, page).await;
        let csrf = csrf_from(&html).unwrap_or_default();
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        let res = client
            .post(self.url(action))
            .form(&form)
            .send()
            .await
            .expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        (status, headers, res.text().await.unwrap_or_default())
    }

    /// Posts a form that answers with a redirect (post, redirect, get) and
    /// follows it, returning where it led and that page's status and HTML.
    pub async fn submit_form_and_follow(
        &self,
        client: &reqwest::Client,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> (String, StatusCode, String) {
        let (status, headers, body) = self.submit_form(client, page, action, fields).await;
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "{action} should redirect after posting: {body}"
        );
        let location = headers["location"]
            .to_str()
            .expect("a redirect has a location")
            .to_owned();
        let (status, _, html) = self.get_page(client, &location).await;
        (location, status, html)
    }

    /// Creates the operator through the setup page.
    pub async fn set_up(&self) -> reqwest::Client {
        let c = client();
        let (status, headers, body) = self
            .submit_form(
                &c,
                "/setup",
                "/setup",
                &[
                    ("email", "operator@example.org"),
                    ("display_name", "Olu Operator"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "setup failed: {body}");
        assert_eq!(
            headers.get("location").and_then(|v| v.to_str().ok()),
            Some("/me")
        );
        c
    }
}

/// The data subject id of the member signed in on a client.
pub async fn subject_of(app: &TestApp, c: &reqwest::Client) -> lyceum_core::domain::SubjectId {
    let (_, me) = app.get_json(c, "/api/v1/me").await;
    lyceum_core::domain::SubjectId(
        me["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("the account has an id"),
    )
}

/// The CSRF token in a rendered form.
pub fn csrf_from(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// Every `Set-Cookie` header of a response.
pub fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

/// Keeps the emails it is given.
#[derive(Default)]
pub struct Outbox(pub std::sync::Mutex<Vec<lyceum_store::digests::OutgoingMail>>);

#[async_trait::async_trait]
impl lyceum_store::digests::Mailer for Outbox {
    async fn send(&self, mail: lyceum_store::digests::OutgoingMail) -> Result<(), String> {
        self.0.lock().map_err(|e| e.to_string())?.push(mail);
        Ok(())
    }
}

/// Email through the test relay into `outbox`.
pub fn mail_sender(outbox: Arc<Outbox>) -> lyceum_store::digests::DigestSender {
    lyceum_store::digests::DigestSender {
        mailer: outbox,
        recipients: vec![mail_relay()],
        relay: mail_relay().key,
        base_url: "https://lyceum.example".into(),
    }
}

/// The body of a GET on any server (a second node, say), by a new client.
pub async fn page_text(base: &str, path: &str) -> String {
    page_text_as(&client(), base, path).await
}

/// The body of a GET on any server, by `c`.
pub async fn page_text_as(c: &reqwest::Client, base: &str, path: &str) -> String {
    c.get(format!("{base}{path}"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text")
}

/// Erases the account signed in on `c` (`DELETE /api/v1/me` with the test
/// password) and checks it was accepted; the rows go when the jobs run.
pub async fn erase_me(app: &TestApp, c: &reqwest::Client) {
    let res = c
        .delete(app.url("/api/v1/me"))
        .json(&serde_json::json!({"password": PASSWORD}))
        .send()
        .await
        .expect("erase");
    assert_eq!(res.status(), reqwest::StatusCode::ACCEPTED);
}

/// The files of the export archive of the account signed in on `c`.
pub async fn export_files(app: &TestApp, c: &reqwest::Client) -> Vec<(String, Vec<u8>)> {
    let bytes = c
        .get(app.url("/api/v1/me/export"))
        .send()
        .await
        .expect("export")
        .bytes()
        .await
        .expect("archive");
    lyceum_store::zip::read_stored(&bytes).expect("a valid ZIP")
}
