//! The heavy account: one member with tens of thousands of posts, the
//! reactions others gave them, reactions of their own, messages and
//! enrolments, seeded through the API (`seed-heavy`); then their export and
//! their erasure measured against a running server (`heavy-bench`).
//!
//! The export is timed to its first byte and to its end while the
//! server's resident memory is sampled from `/proc`; the erasure is timed
//! from `DELETE /api/v1/me` until its background job is gone from the
//! database, while other members keep reading and writing at a fixed rate,
//! so that their latency before and during the erasure can be compared.

use crate::PASSWORD;
use anyhow::{Context, bail, ensure};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The heavy account's address.
pub const HEAVY_EMAIL: &str = "heavy@load.test";

fn reactor_email(k: usize) -> String {
    format!("heavy-reactor-{k}@load.test")
}

const KINDS: [&str; 5] = ["like", "celebrate", "love", "insightful", "curious"];

/// What `seed-heavy` creates.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Posts the heavy account writes.
    pub posts: usize,
    /// Reactions other members give those posts.
    pub reactions: usize,
    /// Reactions the heavy account gives other members' posts.
    pub given: usize,
    /// Messages between the heavy account and a connection.
    pub messages: usize,
    /// Courses the heavy account enrols in.
    pub enrolments: usize,
    /// Requests in flight while seeding.
    pub concurrency: usize,
}

fn session_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .cookie_store(true)
        .pool_max_idle_per_host(64)
        .timeout(Duration::from_secs(120))
        .build()?)
}

/// A member signed up (or, when they exist, signed in) with a handle.
async fn account(
    base: &str,
    email: &str,
    name: &str,
    handle: &str,
) -> anyhow::Result<reqwest::Client> {
    let c = session_client()?;
    let res = c
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&json!({"email": email, "display_name": name, "password": PASSWORD}))
        .send()
        .await?;
    ensure!(
        res.status().is_success(),
        "signing up {email} answered {} (seed a fresh server, with rate limits off): {}",
        res.status(),
        res.text().await.unwrap_or_default()
    );
    signin(&c, base, email).await?;
    let res = c
        .put(format!("{base}/api/v1/me/profile"))
        .json(&json!({"handle": handle}))
        .send()
        .await?;
    ensure!(
        res.status().is_success(),
        "setting {email}'s handle: {}",
        res.status()
    );
    Ok(c)
}

async fn signin(c: &reqwest::Client, base: &str, email: &str) -> anyhow::Result<()> {
    let res = c
        .post(format!("{base}/api/v1/auth/signin"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await?;
    ensure!(
        res.status().is_success(),
        "signing in {email} answered {} (run the server with rate limits off)",
        res.status()
    );
    Ok(())
}

/// Sends `n` requests built by `make` with `concurrency` in flight; each
/// must succeed. Returns the answers' JSON in order.
async fn many<F>(n: usize, concurrency: usize, what: &str, make: F) -> anyhow::Result<Vec<Value>>
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (make, next) = (make.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(out);
                }
                let res = make(i).send().await?;
                let status = res.status();
                let body = res.text().await.unwrap_or_default();
                if !status.is_success() {
                    bail!("request {i} answered {status}: {body}");
                }
                out.push((i, serde_json::from_str(&body).unwrap_or(Value::Null)));
            }
        }));
    }
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.extend(t.await??);
    }
    all.sort_by_key(|(i, _)| *i);
    println!(
        "{what}: {n} in {:.1} s ({:.0}/s)",
        started.elapsed().as_secs_f64(),
        n as f64 / started.elapsed().as_secs_f64().max(0.001)
    );
    Ok(all.into_iter().map(|(_, v)| v).collect())
}

fn post_text(i: usize) -> String {
    let w = |k| crate::word(i, k);
    format!(
        "Notes from week {} of learning {}: today I practised {} and {}, and wrote down what I would do differently next time. #{}",
        i % 52 + 1,
        w(1),
        w(2),
        w(3),
        w(4)
    )
}

fn ids(answers: &[Value]) -> anyhow::Result<Vec<String>> {
    answers
        .iter()
        .map(|v| {
            v["id"]
                .as_str()
                .map(str::to_owned)
                .context("an answer without an id")
        })
        .collect()
}

/// Seeds the heavy account on a server that already holds a catalog
/// (`lyceum demo`).
pub async fn seed(base: &str, s: Sizes) -> anyhow::Result<()> {
    let started = Instant::now();
    let reactors = s.reactions.div_ceil(s.posts.max(1)).max(1);
    let heavy = account(base, HEAVY_EMAIL, "Heavy Account", "heavyaccount").await?;
    let mut others = Vec::new();
    for k in 0..reactors {
        others.push(
            account(
                base,
                &reactor_email(k),
                &format!("Reactor {k}"),
                &format!("reactor{k}"),
            )
            .await?,
        );
    }
    // A connection, to write messages to.
    let res: Value = heavy
        .post(format!("{base}/api/v1/connections/requests"))
        .json(&json!({"handle": "reactor0"}))
        .send()
        .await?
        .json()
        .await?;
    let request = res["request_id"]
        .as_str()
        .context("no connection request id")?;
    let res = others[0]
        .post(format!(
            "{base}/api/v1/connections/requests/{request}/accept"
        ))
        .send()
        .await?;
    ensure!(
        res.status().is_success(),
        "accepting the connection: {}",
        res.status()
    );

    let (h, b) = (heavy.clone(), base.to_owned());
    let posts = ids(&many(s.posts, s.concurrency, "posts", move |i| {
        h.post(format!("{b}/api/v1/posts"))
            .json(&json!({"body": post_text(i), "audience": "members"}))
    })
    .await?)?;
    let posts = Arc::new(posts);
    let (o, b, p) = (Arc::new(others.clone()), base.to_owned(), posts.clone());
    many(s.reactions, s.concurrency, "reactions received", move |i| {
        // Reactor k reacts to post i / reactors: one reaction per person per post.
        let (post, k) = (i / reactors, i % reactors);
        o[k].put(format!("{b}/api/v1/posts/{}/reaction", p[post % p.len()]))
            .json(&json!({"kind": KINDS[(i + k) % KINDS.len()]}))
    })
    .await?;
    let (o, b) = (Arc::new(others.clone()), base.to_owned());
    let theirs = Arc::new(ids(&many(
        s.given,
        s.concurrency,
        "others' posts",
        move |i| {
            o[i % o.len()]
                .post(format!("{b}/api/v1/posts"))
                .json(&json!({"body": post_text(i + 1_000_000), "audience": "members"}))
        },
    )
    .await?)?);
    let (h, b, t) = (heavy.clone(), base.to_owned(), theirs.clone());
    many(s.given, s.concurrency, "reactions given", move |i| {
        h.put(format!("{b}/api/v1/posts/{}/reaction", t[i]))
            .json(&json!({"kind": KINDS[i % KINDS.len()]}))
    })
    .await?;
    let (h, r, b) = (heavy.clone(), others[0].clone(), base.to_owned());
    many(s.messages, s.concurrency, "messages", move |i| {
        let (from, to) = if i % 2 == 0 { (&h, "reactor0") } else { (&r, "heavyaccount") };
        from.post(format!("{b}/api/v1/messages/{to}"))
            .json(&json!({"body": format!("Message {i}: shall we meet at the library on Thursday to go through chapter {}?", i % 40 + 1)}))
    })
    .await?;

    let mut courses = Vec::new();
    for page in 1.. {
        let res: Value = heavy
            .get(format!("{base}/api/v1/courses?per_page=100&page={page}"))
            .send()
            .await?
            .json()
            .await?;
        let list = res["courses"].as_array().cloned().unwrap_or_default();
        if list.is_empty() || courses.len() >= s.enrolments {
            break;
        }
        courses.extend(
            list.iter()
                .filter_map(|c| c["slug"].as_str().map(str::to_owned)),
        );
    }
    courses.truncate(s.enrolments);
    ensure!(
        courses.len() == s.enrolments,
        "the catalog has {} courses, fewer than --enrolments {} (run `lyceum demo` first)",
        courses.len(),
        s.enrolments
    );
    let (h, b, c) = (heavy.clone(), base.to_owned(), Arc::new(courses));
    let enrolled = many(s.enrolments, s.concurrency, "enrolments", move |i| {
        h.post(format!("{b}/api/v1/courses/{}/enrollments", c[i]))
    })
    .await?;
    // The first lesson of each, finished (quizzes want answers: left started).
    let mut finished = 0;
    for e in &enrolled {
        let (Some(id), Some(lesson)) = (e["id"].as_str(), e["resume_lesson_id"].as_str()) else {
            continue;
        };
        let res = heavy
            .put(format!("{base}/api/v1/enrollments/{id}/lessons/{lesson}"))
            .json(&json!({"completed": true}))
            .send()
            .await?;
        if res.status().is_success() {
            finished += 1;
        }
    }
    println!(
        "seeded the heavy account ({HEAVY_EMAIL}): {} posts, {} reactions on them from {reactors} members, {} reactions given, {} messages, {} enrolments ({finished} with a lesson finished) in {:.0} s",
        s.posts,
        s.reactions,
        s.given,
        s.messages,
        s.enrolments,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The server's resident memory in KiB, from `/proc/{pid}/status`.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

struct Sample {
    at: Duration,
    latency: Duration,
    ok: bool,
    write: bool,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Measures the heavy account's export, then its erasure under a steady
/// foreground load of other members.
pub async fn bench(
    base: &str,
    database: &str,
    pid: Option<u32>,
    rate: u64,
    baseline: Duration,
) -> anyhow::Result<()> {
    ensure!(rate > 0, "--rate must be at least 1");
    let heavy = session_client()?;
    signin(&heavy, base, HEAVY_EMAIL).await?;

    // The export.
    let rss_before = pid.and_then(rss_kib);
    let peak = Arc::new(AtomicU64::new(rss_before.unwrap_or(0)));
    let exporting = Arc::new(AtomicBool::new(true));
    let sampler = pid.map(|pid| {
        let (peak, exporting) = (peak.clone(), exporting.clone());
        tokio::spawn(async move {
            while exporting.load(Ordering::Relaxed) {
                if let Some(kib) = rss_kib(pid) {
                    peak.fetch_max(kib, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    });
    let started = Instant::now();
    let mut res = heavy.get(format!("{base}/api/v1/me/export")).send().await?;
    ensure!(
        res.status().is_success(),
        "the export answered {}",
        res.status()
    );
    let mut bytes = Vec::new();
    let mut first = None;
    while let Some(chunk) = res.chunk().await? {
        first.get_or_insert_with(|| started.elapsed());
        bytes.extend_from_slice(&chunk);
    }
    let total = started.elapsed();
    exporting.store(false, Ordering::Relaxed);
    if let Some(s) = sampler {
        s.await?;
    }
    let files =
        lyceum_store::zip::read_stored(&bytes).context("the export is not a valid archive")?;
    let rows = |name: &str| -> usize {
        files
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, d)| serde_json::from_slice::<Value>(d).ok())
            .and_then(|v| v["rows"].as_array().map(Vec::len))
            .unwrap_or(0)
    };
    println!(
        "export: first byte {:.0} ms, complete {:.1} s, {:.1} MB, {} files ({} posts, {} reactions, {} messages, {} enrolments)",
        first.unwrap_or(total).as_secs_f64() * 1000.0,
        total.as_secs_f64(),
        bytes.len() as f64 / 1e6,
        files.len(),
        rows("data/posts.json"),
        rows("data/reactions.json"),
        rows("data/messages.json"),
        rows("data/enrolments.json"),
    );
    if let Some(before) = rss_before {
        println!(
            "server memory (RSS): {:.0} MB before, {:.0} MB at most during the export",
            before as f64 / 1024.0,
            peak.load(Ordering::Relaxed) as f64 / 1024.0
        );
    }
    drop(bytes);
    drop(files);

    // The erasure, under foreground load: reactors read their feed, the
    // catalog and their account, and one in twenty requests writes a post.
    let mut readers = Vec::new();
    for k in 0..4 {
        let c = session_client()?;
        if signin(&c, base, &reactor_email(k)).await.is_err() {
            break;
        }
        readers.push(c);
    }
    ensure!(
        !readers.is_empty(),
        "no reactor accounts: run seed-heavy first"
    );
    let db = Database::connect(database)
        .await
        .with_context(|| format!("connecting to {database}"))?;
    let backend = db.get_database_backend();
    let pending_jobs = Statement::from_string(
        backend,
        "SELECT COUNT(*) AS n FROM jobs WHERE kind = 'erasure.subject'".to_owned(),
    );
    let samples = Arc::new(std::sync::Mutex::new(Vec::<Sample>::new()));
    let running = Arc::new(AtomicBool::new(true));
    let load_start = Instant::now();
    let load = {
        let (samples, running, base) = (samples.clone(), running.clone(), base.to_owned());
        let readers = Arc::new(readers);
        tokio::spawn(async move {
            let interval = Duration::from_nanos(1_000_000_000 / rate);
            let mut i: u32 = 0;
            while running.load(Ordering::Relaxed) {
                let due = load_start + interval * i;
                tokio::time::sleep_until(due.into()).await;
                let c = readers[i as usize % readers.len()].clone();
                let write = i.is_multiple_of(20);
                let req = match i % 20 {
                    0 => c
                        .post(format!("{base}/api/v1/posts"))
                        .json(&json!({"body": post_text(i as usize), "audience": "members"})),
                    n if n % 3 == 0 => c.get(format!("{base}/api/v1/me")),
                    n if n % 3 == 1 => c.get(format!(
                        "{base}/api/v1/courses?q={}",
                        crate::word(n as usize, 1)
                    )),
                    _ => c.get(format!("{base}/api/v1/feed")),
                };
                let samples = samples.clone();
                tokio::spawn(async move {
                    let ok = match req.send().await {
                        Ok(res) => {
                            let ok = res.status().is_success();
                            let _ = res.bytes().await;
                            ok
                        }
                        Err(_) => false,
                    };
                    let sample = Sample {
                        at: due.duration_since(load_start),
                        latency: due.elapsed(),
                        ok,
                        write,
                    };
                    if let Ok(mut s) = samples.lock() {
                        s.push(sample);
                    }
                });
                i += 1;
            }
        })
    };
    // Two seconds to warm up, then the baseline.
    tokio::time::sleep(Duration::from_secs(2) + baseline).await;
    let erase_from = load_start.elapsed();
    let res = heavy
        .delete(format!("{base}/api/v1/me"))
        .json(&json!({"password": PASSWORD}))
        .send()
        .await?;
    ensure!(
        res.status() == reqwest::StatusCode::ACCEPTED,
        "erasure answered {}",
        res.status()
    );
    let acknowledged = load_start.elapsed() - erase_from;
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let n: i64 = db
            .query_one_raw(pending_jobs.clone())
            .await?
            .context("no count")?
            .try_get("", "n")?;
        if n == 0 {
            break;
        }
        ensure!(
            load_start.elapsed() - erase_from < Duration::from_secs(1800),
            "the erasure job was still there after 30 minutes"
        );
    }
    let erase_to = load_start.elapsed();
    running.store(false, Ordering::Relaxed);
    load.await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let samples = std::mem::take(&mut *samples.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    let window = |from: Duration, to: Duration, which: Option<bool>| {
        let mut lat: Vec<Duration> = samples
            .iter()
            .filter(|s| s.ok && s.at >= from && s.at < to && which.is_none_or(|w| s.write == w))
            .map(|s| s.latency)
            .collect();
        lat.sort_unstable();
        lat
    };
    let errors = samples.iter().filter(|s| !s.ok).count();
    println!(
        "erasure: acknowledged in {:.0} ms, rows gone {:.1} s after the request",
        acknowledged.as_secs_f64() * 1000.0,
        (erase_to - erase_from).as_secs_f64()
    );
    for (what, which) in [
        ("all", None),
        ("reads", Some(false)),
        ("writes", Some(true)),
    ] {
        let before = window(Duration::from_secs(2), erase_from, which);
        let during = window(erase_from, erase_to, which);
        println!(
            "foreground at {rate}/s, {what}: before p50 {:.2} ms p99 {:.2} ms ({} requests); during p50 {:.2} ms p99 {:.2} ms ({} requests); p99 ratio {:.2}",
            percentile(&before, 0.5),
            percentile(&before, 0.99),
            before.len(),
            percentile(&during, 0.5),
            percentile(&during, 0.99),
            during.len(),
            percentile(&during, 0.99) / percentile(&before, 0.99).max(0.001),
        );
    }
    println!("foreground errors: {errors}");
    Ok(())
}
