//! The `lyceum` binary as an operator runs it: serve, signals, a crash in
//! the middle of writes, the admin and demo commands, configuration errors.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery staple";

fn lyceum(data_dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lyceum"));
    c.arg("--data-dir").arg(data_dir).env("LYCEUM_LOG", "warn");
    for (k, _) in std::env::vars() {
        if k.starts_with("LYCEUM_") && k != "LYCEUM_LOG" {
            c.env_remove(k);
        }
    }
    c
}

/// Starts `lyceum serve` and waits for its `listening on` line.
fn start(data_dir: &Path, extra_env: &[(&str, &str)]) -> (Child, String) {
    let mut cmd = lyceum(data_dir);
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn lyceum");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the listening line");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, base)
}

/// On a PostgreSQL run (`LYCEUM_TEST_POSTGRES_URL`), a fresh database
/// pair for one test, dropped when the guard goes; on SQLite, nothing.
struct Databases {
    env: Vec<(String, String)>,
    drop_sql: Vec<String>,
    admin_url: Option<String>,
}

impl Databases {
    async fn new() -> Self {
        let Ok(admin_url) = std::env::var("LYCEUM_TEST_POSTGRES_URL") else {
            return Self {
                env: vec![],
                drop_sql: vec![],
                admin_url: None,
            };
        };
        use sea_orm::ConnectionTrait;
        let admin = lyceum_store::connect(&admin_url, 1)
            .await
            .expect("PostgreSQL reachable");
        let id = uuid::Uuid::new_v4().simple().to_string();
        let mut env = Vec::new();
        let mut drop_sql = Vec::new();
        for (var, name) in [
            ("LYCEUM_DATABASE_URL", format!("lyceum_cli_{id}")),
            ("LYCEUM_KEYRING_URL", format!("lyceum_cli_{id}_k")),
        ] {
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create database");
            let mut url = url::Url::parse(&admin_url).expect("url");
            url.set_path(&format!("/{name}"));
            env.push((var.to_owned(), url.to_string()));
            drop_sql.push(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
        Self {
            env,
            drop_sql,
            admin_url: Some(admin_url),
        }
    }

    fn vars(&self) -> Vec<(&str, &str)> {
        self.env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

impl Drop for Databases {
    fn drop(&mut self) {
        let (Some(url), sql) = (self.admin_url.take(), std::mem::take(&mut self.drop_sql)) else {
            return;
        };
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                use sea_orm::ConnectionTrait;
                if let Ok(db) = lyceum_store::connect(&url, 1).await {
                    for s in sql {
                        let _ = db.execute_unprepared(&s).await;
                    }
                }
            })
        })
        .join();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn every_acknowledged_write_survives_kill_9() {
    // A burst of sign-ups is cut short by SIGKILL; after a restart every sign-up that got a 201 is there.
    // On a PostgreSQL run the server uses PostgreSQL.
    let dir = tempfile::tempdir().expect("tempdir");
    let dbs = Databases::new().await;
    let mut no_limit = vec![("LYCEUM_WEB__RATE_LIMITS__SIGNUP_PER_IP__MAX", "0")];
    no_limit.extend(dbs.vars());
    let (mut child, base) = start(dir.path(), &no_limit);
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, String)>::new()));
    let mut tasks = Vec::new();
    for t in 0..4 {
        let base = base.clone();
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            let c = client();
            for i in 0.. {
                let email = format!("crash{t}-{i}@example.org");
                let body = serde_json::json!({"email": email, "display_name": format!("Crash {t} {i}"), "password": PASSWORD});
                let Ok(res) = c.post(format!("{base}/api/v1/auth/signup")).json(&body).send().await else { return };
                if res.status() == reqwest::StatusCode::CREATED {
                    let cookie = res.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default();
                    let pair = cookie.split(';').next().unwrap_or_default().to_owned();
                    acked.lock().expect("lock").push((email, pair));
                }
            }
        }));
    }
    let start_at = Instant::now();
    while acked.lock().expect("lock").len() < 20 && start_at.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    for t in tasks {
        let _ = t.await;
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(
        acked.len() >= 20,
        "the burst was under way when the server died"
    );

    let (mut child, base) = start(dir.path(), &no_limit);
    let c = client();
    for (email, cookie) in &acked {
        let res = c
            .get(format!("{base}/api/v1/me"))
            .header("cookie", cookie)
            .send()
            .await
            .expect("request");
        assert_eq!(
            res.status(),
            reqwest::StatusCode::OK,
            "{email} was acknowledged but is gone"
        );
        let me: serde_json::Value = res.json().await.expect("json");
        assert_eq!(me["email"], email.as_str());
    }
    terminate(&mut child);
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(Instant::now() < deadline, "lyceum did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly_with_exit_code_0() {
    // An operator's `systemctl stop` ends the process without an error.
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, base) = start(dir.path(), &[]);
    assert_eq!(
        client()
            .get(format!("{base}/healthz"))
            .send()
            .await
            .expect("request")
            .status(),
        200
    );
    assert!(terminate(&mut child).success());
}

#[tokio::test]
async fn admin_creates_an_operator_from_a_password_on_stdin() {
    // The operator can be created from a shell; the instance is then set up.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = lyceum(dir.path())
        .args([
            "admin",
            "create-operator",
            "--email",
            "root@example.org",
            "--name",
            "Root",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("output");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (mut server, base) = start(dir.path(), &[]);
    let c = client();
    assert_eq!(
        c.get(format!("{base}/"))
            .send()
            .await
            .expect("request")
            .status(),
        200,
        "no longer asks for setup"
    );
    let res = c
        .post(format!("{base}/api/v1/auth/signin"))
        .json(&serde_json::json!({"email": "root@example.org", "password": PASSWORD}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    terminate(&mut server);
}

#[test]
fn admin_refuses_a_short_password_with_a_reason() {
    // A weak password is refused with a sentence that says what to fix.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = lyceum(dir.path())
        .args(["admin", "create-operator", "--email", "root@example.org"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"short\n")
        .expect("write");
    let out = child.wait_with_output().expect("output");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("password: Choose a password of at least 12 characters."),
        "{err}"
    );
}

#[test]
fn a_missing_config_file_and_a_bad_database_url_are_explained() {
    // Configuration mistakes end with a message, not a panic.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = lyceum(dir.path())
        .args(["--config", "/nonexistent/lyceum.toml", "migrate"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    let out = lyceum(dir.path())
        .arg("migrate")
        .env("LYCEUM_DATABASE_URL", "mysql://x")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("postgres://"));
}

#[test]
fn demo_loads_once_and_refuses_a_populated_instance() {
    // The demo fills an empty instance and will not mix itself into real data.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = lyceum(dir.path())
        .args(["demo", "--password", PASSWORD])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("demo loaded"));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("network: 7 profiles, 11 connections, 8 posts"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("learning paths: 2"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("/libraries/riverside with card 29000001"),
        "the demo names a library card to try"
    );
    let out = lyceum(dir.path())
        .args(["demo", "--password", PASSWORD])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already has accounts"));
}

#[tokio::test]
async fn logs_never_contain_an_email_or_a_name_even_at_trace_level() {
    // Operators ship logs to other systems; personal values must not be in them.
    let dir = tempfile::tempdir().expect("tempdir");
    let dbs = Databases::new().await;
    let mut cmd = lyceum(dir.path());
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .env("LYCEUM_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in dbs.vars() {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn");
    // Drain the log from the start: at trace level the server logs more
    // than a pipe holds before it says where it listens, and would wait
    // for a reader.
    let stderr = child.stderr.take().expect("stderr");
    let collector = std::thread::spawn(move || {
        let mut all = String::new();
        let _ = std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut all);
        all
    });
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("line");
    let base = line.trim().trim_start_matches("listening on ").to_owned();
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let email = "log.probe.person@example.org";
    let name = "Quenby Logprobe";
    let signup = serde_json::json!({"email": email, "display_name": name, "password": PASSWORD});
    assert_eq!(
        c.post(format!("{base}/api/v1/auth/signup"))
            .json(&signup)
            .send()
            .await
            .expect("request")
            .status(),
        201
    );
    let wrong = serde_json::json!({"email": email, "password": "a wrong password"});
    assert_eq!(
        c.post(format!("{base}/api/v1/auth/signin"))
            .json(&wrong)
            .send()
            .await
            .expect("request")
            .status(),
        401
    );
    let bad = serde_json::json!({"email": email, "display_name": name, "password": "short"});
    assert_eq!(
        c.post(format!("{base}/api/v1/auth/signup"))
            .json(&bad)
            .send()
            .await
            .expect("request")
            .status(),
        422
    );
    assert_eq!(
        c.get(format!("{base}/me"))
            .send()
            .await
            .expect("request")
            .status(),
        200
    );
    terminate(&mut child);
    let logs = collector.join().expect("logs");
    assert!(
        logs.contains("request"),
        "trace logging was on: {}",
        &logs[..logs.len().min(500)]
    );
    for needle in [email, "log.probe", name, "Logprobe", PASSWORD] {
        assert!(!logs.contains(needle), "the logs contain {needle:?}");
    }
}

#[cfg(unix)]
#[test]
fn a_new_data_directory_is_private_to_the_service_user() {
    // The databases and the instance key sit in a directory only the service can read.
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let out = lyceum(&data).arg("migrate").output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("instance.key")), 0o600);
}

#[tokio::test]
async fn scrub_runs_with_an_explicit_clock_and_explains_bad_input() {
    // `lyceum scrub --now` applies retention as of the given time; mistakes are explained.
    let dir = tempfile::tempdir().expect("tempdir");
    let dbs = Databases::new().await;
    let (mut server, base) = start(dir.path(), &dbs.vars());
    let signup = serde_json::json!({"email": "scrub@example.org", "display_name": "Scrub", "password": PASSWORD});
    assert_eq!(
        client()
            .post(format!("{base}/api/v1/auth/signup"))
            .json(&signup)
            .send()
            .await
            .expect("request")
            .status(),
        201
    );
    terminate(&mut server);
    let run = |now: &str| {
        let mut cmd = lyceum(dir.path());
        cmd.args(["scrub", "--now", now]);
        for (k, v) in dbs.vars() {
            cmd.env(k, v);
        }
        cmd.output().expect("run")
    };
    let today = run(&chrono::Utc::now().to_rfc3339());
    assert!(
        today.status.success(),
        "{}",
        String::from_utf8_lossy(&today.stderr)
    );
    assert!(String::from_utf8_lossy(&today.stdout).contains(": 0 expired sessions"));
    let later = run("2100-01-01T00:00:00Z");
    assert!(later.status.success());
    let out = String::from_utf8_lossy(&later.stdout);
    assert!(
        out.contains("scrubbed as of 2100-01-01T00:00:00+00:00: 1 expired sessions"),
        "{out}"
    );
    let bad = run("next tuesday");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not an RFC 3339 time"));
    let too_long = lyceum(dir.path())
        .arg("scrub")
        .env("LYCEUM_RETENTION__CLOSED_ACCOUNT_DAYS", "90")
        .output()
        .expect("run");
    assert_eq!(too_long.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&too_long.stderr).contains("set it to 30 or less"));
}

#[tokio::test]
async fn a_restored_backup_does_not_bring_back_an_erased_member() {
    // Data backed up before Bo's erasure plus a keyring backed up after it: Ann comes back, Bo does not.
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let (mut server, base) = start(&data, &[]);
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let bo = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    for (client, email, name) in [
        (&c, "ann@example.org", "Ann"),
        (&bo, "bo@example.org", "Bo"),
    ] {
        let body = serde_json::json!({"email": email, "display_name": name, "password": PASSWORD});
        assert_eq!(
            client
                .post(format!("{base}/api/v1/auth/signup"))
                .json(&body)
                .send()
                .await
                .expect("request")
                .status(),
            201
        );
    }
    let backup = |args: &[&str]| {
        let out = lyceum(&data)
            .arg("backup")
            .args(args)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // Taken while the server runs.
    let data_backup = dir.path().join("data-backup");
    assert!(
        backup(&["--to", data_backup.to_str().expect("path")])
            .contains("the keyring is not in this backup")
    );
    let res = bo
        .delete(format!("{base}/api/v1/me"))
        .json(&serde_json::json!({"password": PASSWORD}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 202);
    let keyring_backup = dir.path().join("keyring-backup");
    backup(&["--keyring", "--to", keyring_backup.to_str().expect("path")]);
    let again = lyceum(&data)
        .args(["backup", "--to", data_backup.to_str().expect("path")])
        .output()
        .expect("run");
    assert!(!again.status.success(), "a backup never overwrites another");
    terminate(&mut server);

    // The disk is lost; the instance key was kept offline.
    assert!(
        data_backup.join("media").is_dir(),
        "media are in the backup"
    );
    for entry in std::fs::read_dir(&data).expect("dir").flatten() {
        if entry.path().is_dir() {
            std::fs::remove_dir_all(entry.path()).expect("remove");
        } else if !entry
            .file_name()
            .to_string_lossy()
            .starts_with("instance.key")
        {
            std::fs::remove_file(entry.path()).expect("remove");
        }
    }
    let out = lyceum(&data)
        .args([
            "restore",
            "--from",
            data_backup.to_str().expect("path"),
            "--keyring-from",
            keyring_backup.to_str().expect("path"),
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("restored; 1 accounts erased since the backup were removed again")
    );

    let (mut server, base) = start(&data, &[]);
    let signin = |email: &str| {
        client()
            .post(format!("{base}/api/v1/auth/signin"))
            .json(&serde_json::json!({"email": email, "password": PASSWORD}))
            .send()
    };
    assert_eq!(
        signin("ann@example.org").await.expect("request").status(),
        200
    );
    assert_eq!(
        signin("bo@example.org").await.expect("request").status(),
        401
    );
    terminate(&mut server);

    let missing = lyceum(&data)
        .args(["restore", "--from", "/nonexistent"])
        .output()
        .expect("run");
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("give --from a directory written by `lyceum backup`")
    );
}

/// Runs a command with `input` on standard input.
fn run_with_input(cmd: &mut Command, input: &str) -> std::process::Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    child.wait_with_output().expect("output")
}

#[test]
fn library_admin_commands_set_up_a_library_and_explain_mistakes() {
    // create-library, set-sip2 and set-card-list work, and each mistake says what to fix.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run_with_input(
        lyceum(dir.path()).args(["admin", "create-operator", "--email", "root@example.org"]),
        &format!("{PASSWORD}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = lyceum(dir.path())
        .args([
            "admin",
            "create-library",
            "--slug",
            "Riverside",
            "--name",
            "Riverside Library",
            "--town",
            "Riverside",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created library riverside"));
    let out = lyceum(dir.path())
        .args([
            "admin",
            "create-library",
            "--slug",
            "riverside",
            "--name",
            "Again",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already uses the short name"));
    let out = lyceum(dir.path())
        .args(["admin", "create-library", "--slug", "-bad-", "--name", "X"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--slug"));
    let sip2 = |library: &str| {
        let mut c = lyceum(dir.path());
        c.args([
            "admin",
            "set-sip2",
            "--library",
            library,
            "--host",
            "127.0.0.1",
            "--port",
            "6001",
            "--login-user",
            "lyceum",
            "--login-password-stdin",
            "--institution",
            "DEMO",
        ]);
        c
    };
    let out = run_with_input(&mut sip2("nowhere"), "sip-secret\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no library has the short name"));
    let out = run_with_input(&mut sip2("riverside"), "\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("password on standard input is empty"));
    let out = run_with_input(&mut sip2("riverside"), "sip-secret\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = dir.path().join("cards.csv");
    std::fs::write(&list, "20000001,not-a-hash\n").expect("write");
    let out = lyceum(dir.path())
        .args(["admin", "set-card-list", "--library", "riverside", "--file"])
        .arg(&list)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Line 1"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
