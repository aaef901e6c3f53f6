//! `lyceum-load`: seeds a Lyceum instance with a dataset of a chosen size
//! and drives open-loop load at a target rate, reporting throughput and
//! p50/p99/max latency per endpoint.
//!
//! Open loop means requests are sent on a fixed schedule whether or not
//! earlier ones have finished, so a slow server shows up as high latency
//! instead of silently lowering the offered rate (the "coordinated
//! omission" that closed-loop tools suffer from). Each latency is counted
//! from when the request leaves; how late the timer let it leave is
//! reported on its own.
//!
//! `--clients N` is the closed loop, for the one-client figures: N
//! clients each send the next request as soon as the last is answered.
//!
//! Run it against a server started with rate limits off (see
//! docs/benchmarks.md); `bench/run.sh` does the whole sequence.
//!
//! `search-bench` is the exception: it needs no server, and measures
//! catalog search in process (tantivy, then SQLite FTS5 on the same
//! generated courses).

mod catalog;
mod heavy;
mod network;
mod search_bench;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
#[command(
    name = "lyceum-load",
    about = "Seed a Lyceum instance and drive open-loop load against it"
)]
struct Cli {
    /// The server, e.g. http://127.0.0.1:8080.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base: String,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Create members through the API (bench-NNNNN@load.test).
    Seed {
        /// How many members.
        #[arg(long, default_value_t = 1000)]
        members: usize,
        /// Parallel sign-ups.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
    /// Create a provider and import generated courses through the catalog
    /// import API, as its staff would (sign in as an operator first).
    SeedCourses {
        /// How many courses.
        #[arg(long, default_value_t = 100_000)]
        count: usize,
        /// An operator's email address.
        #[arg(long)]
        email: String,
        /// The operator's password.
        #[arg(long)]
        password: String,
    },
    /// Measure catalog search in process, no server: build the index
    /// over a generated catalog, run a fixed mix of searches on one thread
    /// then two, and do the same with SQLite FTS5 for comparison.
    SearchBench {
        /// How many generated courses.
        #[arg(long, default_value_t = 100_000)]
        courses: usize,
        /// Searches per thread in each measured run.
        #[arg(long, default_value_t = 2000)]
        queries: usize,
        /// Searches per thread with FTS5 (far slower on common words, so
        /// fewer by default).
        #[arg(long, default_value_t = 280)]
        fts5_queries: usize,
        /// Measure tantivy only.
        #[arg(long)]
        skip_fts5: bool,
        /// Run only the searches of the mix whose name contains this
        /// (e.g. "common word"), to look at one in a profiler.
        #[arg(long)]
        only: Option<String>,
    },
    /// Create the heavy account through the API (load `lyceum demo` first
    /// for its courses): posts, the reactions other members give them,
    /// reactions of its own, messages and enrolments.
    SeedHeavy {
        /// Posts it writes.
        #[arg(long, default_value_t = 50_000)]
        posts: usize,
        /// Reactions other members give its posts (one each per post, so
        /// reactions / posts members react).
        #[arg(long, default_value_t = 200_000)]
        reactions: usize,
        /// Reactions it gives other members' posts.
        #[arg(long, default_value_t = 20_000)]
        given: usize,
        /// Messages with a connection.
        #[arg(long, default_value_t = 2_000)]
        messages: usize,
        /// Courses it enrols in.
        #[arg(long, default_value_t = 300)]
        enrolments: usize,
        /// Requests in flight.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
    },
    /// Measure the heavy account's export (first byte, total, the server's
    /// memory) and then its erasure under a fixed foreground load.
    HeavyBench {
        /// The server's database, to see when the erasure job is done
        /// (`sqlite://DATA_DIR/lyceum.db` or a PostgreSQL URL).
        #[arg(long)]
        database: String,
        /// The server's process id, to sample its resident memory.
        #[arg(long)]
        pid: Option<u32>,
        /// Foreground requests per second during the erasure.
        #[arg(long, default_value_t = 200)]
        rate: u64,
        /// Seconds of foreground load measured before the erasure.
        #[arg(long, default_value_t = 20)]
        baseline: u64,
    },
    /// Write dataset M of the professional network straight into a stopped
    /// server's databases (members, connections, follows, posts, reactions,
    /// comments and capped timelines).
    SeedNetwork {
        #[command(flatten)]
        target: network::Target,
        #[command(flatten)]
        sizes: network::Sizes,
    },
    /// Post as seeded members one at a time: the answer's latency, and the
    /// time until the post is in every reader's timeline.
    FanoutBench {
        /// The server's database, read to see the timelines fill.
        #[arg(long)]
        database: String,
        /// Seeded members (by number) who post.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "0,1,2,3,5,8,13,21,34,55,89,144,233,377,610,987"
        )]
        authors: Vec<usize>,
        /// Posts each.
        #[arg(long, default_value_t = 5)]
        posts: usize,
    },
    /// Drive one workload at a fixed rate.
    Run {
        /// What to request.
        #[arg(long, value_enum)]
        workload: Workload,
        /// Requests per second offered.
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        /// Seconds of measured load (after a short warm-up).
        #[arg(long, default_value_t = 20)]
        duration: u64,
        /// Seeded members to use (signed in once each before the run).
        #[arg(long, default_value_t = 100)]
        members: usize,
        /// Requests allowed in flight before new ones count as dropped.
        #[arg(long, default_value_t = 2048)]
        max_in_flight: usize,
        /// The server's database: with `viral-post`, the post's counts are
        /// checked against its reaction rows afterwards.
        #[arg(long)]
        database: Option<String>,
        /// Closed loop instead: this many clients, each sending its next
        /// request as soon as the last is answered (`--rate` is then
        /// ignored). `--clients 1` is one person using the service alone.
        #[arg(long)]
        clients: Option<usize>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Workload {
    /// `POST /api/v1/auth/signin` (argon2id on every request).
    Signin,
    /// `GET /me`, the signed-in account page (session lookup, key unwrap, decryption, template).
    AuthPage,
    /// `GET /api/v1/me`, the same data as JSON.
    AuthApi,
    /// `GET /healthz`, the floor: HTTP stack only.
    Health,
    /// `POST /api/v1/libraries/{library}/patron-sessions`: a library card
    /// checked over SIP2 (against `lyceum dev sip2-server`), the guest found
    /// or created, a seat, two counters, a ledger entry and a session.
    PatronSignin,
    /// `GET /courses/{slug}`: a course page for an anonymous visitor, over
    /// every course of the catalog in turn (load `lyceum demo` first).
    CoursePage,
    /// `GET /api/v1/courses?q=…`: catalog search with facet counts, over a
    /// list of common words.
    CatalogSearch,
    /// `GET /api/v1/feed`: the first page of a member's feed (20 posts with
    /// authors, counts, the member's reactions and the latest comments).
    Feed,
    /// `GET /api/v1/feed?cursor=…`: page 50 of the feed (cursors found by
    /// reading 49 pages first).
    FeedDeep,
    /// `GET /feed`: the first page of the feed as the HTML page.
    FeedPage,
    /// `PUT /api/v1/posts/{id}/reaction`: every member reacting to one
    /// post, changing their reaction on each turn.
    ViralPost,
}

/// Words the catalog search workload looks for.
const SEARCH_WORDS: &[&str] = &[
    "data",
    "learning",
    "systems",
    "design",
    "energy",
    "spreadsheets",
    "theory",
    "analysis",
    "quantum",
    "economics",
    "materials",
    "biology",
    "networks",
    "writing",
    "history",
    "fluid",
];

/// Every course's short name, read from the catalog API.
async fn course_paths(c: &reqwest::Client, base: &str) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for page in 1.. {
        let res: serde_json::Value = c
            .get(format!("{base}/api/v1/courses?per_page=100&page={page}"))
            .send()
            .await?
            .json()
            .await?;
        let courses = res["courses"].as_array().cloned().unwrap_or_default();
        if courses.is_empty() {
            break;
        }
        for course in courses {
            if let Some(slug) = course["slug"].as_str() {
                out.push(format!("/courses/{slug}"));
            }
        }
    }
    anyhow::ensure!(
        !out.is_empty(),
        "the catalog is empty: run `lyceum demo` first"
    );
    Ok(out)
}

/// The card numbers `bench/run.sh` gives the SIP2 test server: 4000000,
/// 4000001, … (PIN 1234).
fn card(i: usize) -> String {
    format!("4{i:07}")
}

const PASSWORD: &str = "benchmark password 1234";

fn email(i: usize) -> String {
    format!("bench-{i:06}@load.test")
}

fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(4096)
        .timeout(Duration::from_secs(30))
        .build()?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Seed {
            members,
            concurrency,
        } => seed(&cli.base, members, concurrency).await,
        Cmd::SeedCourses {
            count,
            email,
            password,
        } => seed_courses(&cli.base, count, &email, &password).await,
        Cmd::SearchBench {
            courses,
            queries,
            fts5_queries,
            skip_fts5,
            only,
        } => {
            search_bench::run(
                courses,
                queries.max(1),
                fts5_queries.max(1),
                skip_fts5,
                only.as_deref(),
            )
            .await
        }
        Cmd::SeedHeavy {
            posts,
            reactions,
            given,
            messages,
            enrolments,
            concurrency,
        } => {
            heavy::seed(
                &cli.base,
                heavy::Sizes {
                    posts,
                    reactions,
                    given,
                    messages,
                    enrolments,
                    concurrency,
                },
            )
            .await
        }
        Cmd::HeavyBench {
            database,
            pid,
            rate,
            baseline,
        } => {
            heavy::bench(
                &cli.base,
                &database,
                pid,
                rate,
                Duration::from_secs(baseline),
            )
            .await
        }
        Cmd::Run {
            workload,
            rate,
            duration,
            members,
            max_in_flight,
            database,
            clients,
        } => {
            let pace = match clients {
                Some(n) => Pace::Closed(n.max(1)),
                None if rate > 0 => Pace::Open(rate),
                None => bail!("--rate must be at least 1"),
            };
            run(
                &cli.base,
                workload,
                pace,
                Duration::from_secs(duration),
                members,
                max_in_flight,
                database.as_deref(),
            )
            .await
        }
        Cmd::SeedNetwork { target, sizes } => network::seed(&target, &sizes).await,
        Cmd::FanoutBench {
            database,
            authors,
            posts,
        } => network::fanout_bench(&cli.base, &database, &authors, posts.max(1)).await,
    }
}

/// Words generated course titles, summaries and skills are made of.
const VOCABULARY: &[&str] = &[
    "data",
    "analysis",
    "design",
    "systems",
    "learning",
    "energy",
    "budget",
    "writing",
    "spreadsheets",
    "networks",
    "history",
    "biology",
    "chemistry",
    "physics",
    "music",
    "drawing",
    "marketing",
    "finance",
    "health",
    "nutrition",
    "language",
    "spanish",
    "statistics",
    "algebra",
    "geometry",
    "programming",
    "python",
    "databases",
    "security",
    "privacy",
    "leadership",
    "communication",
    "negotiation",
    "photography",
    "gardening",
    "cooking",
    "carpentry",
    "welding",
    "electronics",
    "robotics",
    "ethics",
    "philosophy",
    "economics",
    "accounting",
    "interviewing",
    "careers",
    "teaching",
    "parenting",
    "psychology",
    "sociology",
    "geography",
    "climate",
    "ecology",
    "astronomy",
    "poetry",
];

/// A deterministic pseudo-random number for course `i`, part `k`.
fn mix(i: usize, k: usize) -> usize {
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (k as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    (x ^ (x >> 29)) as usize
}

fn word(i: usize, k: usize) -> &'static str {
    VOCABULARY[mix(i, k) % VOCABULARY.len()]
}

fn capitalised(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

async fn seed_courses(base: &str, count: usize, email: &str, password: &str) -> anyhow::Result<()> {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(600))
        .build()?;
    let res = c
        .post(format!("{base}/api/v1/auth/signin"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await?;
    anyhow::ensure!(
        res.status().is_success(),
        "signing in as {email}: {}",
        res.status()
    );
    let res = c
        .post(format!("{base}/api/v1/providers"))
        .json(&json!({"slug": "bench", "name": "Bench Courses", "description": "Generated courses for benchmarks."}))
        .send()
        .await?;
    anyhow::ensure!(
        res.status().is_success() || res.status() == reqwest::StatusCode::CONFLICT,
        "creating the provider: {}",
        res.status()
    );
    let started = Instant::now();
    let levels = ["beginner", "intermediate", "advanced"];
    let languages = ["en", "en", "en", "es", "fr", "de"];
    for batch in (0..count).collect::<Vec<_>>().chunks(5_000) {
        let mut csv =
            String::from("id,title,summary,description,level,language,duration_minutes,skills\n");
        for &i in batch {
            let (a, b, d) = (word(i, 1), word(i, 2), word(i, 3));
            csv.push_str(&format!(
                "b{i},{} {} for {} {i},Learn {a} and {b} step by step.,\"A course on {a}, {b} and {d}. Practice with real examples.\",{},{},{},{};{}\n",
                capitalised(a),
                b,
                d,
                levels[mix(i, 4) % 3],
                languages[mix(i, 5) % languages.len()],
                15 + mix(i, 6) % 600,
                capitalised(a),
                capitalised(d),
            ));
        }
        let res = c
            .post(format!("{base}/api/v1/providers/bench/imports"))
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await?;
        let status = res.status();
        anyhow::ensure!(
            status.is_success(),
            "import: {status} {}",
            res.text().await.unwrap_or_default()
        );
    }
    println!(
        "imported {count} courses in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn seed(base: &str, members: usize, concurrency: usize) -> anyhow::Result<()> {
    let c = client()?;
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (c, base, next) = (c.clone(), base.to_owned(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= members {
                    return Ok::<_, anyhow::Error>(());
                }
                let body = json!({"email": email(i), "display_name": format!("Bench Member {i}"), "password": PASSWORD});
                let res = c.post(format!("{base}/api/v1/auth/signup")).json(&body).send().await?;
                let status = res.status();
                // 422 means the member exists from an earlier seed: fine.
                if !(status.is_success() || status == reqwest::StatusCode::UNPROCESSABLE_ENTITY) {
                    bail!("sign-up {i} answered {status}: {}", res.text().await.unwrap_or_default());
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    println!(
        "seeded {members} members in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Signs in `n` seeded members (four at a time) and returns their cookies.
async fn sessions(base: &str, n: usize) -> anyhow::Result<Vec<String>> {
    let c = client()?;
    let mut cookies = vec![String::new(); n];
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (c, base, next) = (c.clone(), base.to_owned(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(got);
                }
                let res = c
                    .post(format!("{base}/api/v1/auth/signin"))
                    .json(&json!({"email": email(i), "password": PASSWORD}))
                    .send()
                    .await?;
                if !res.status().is_success() {
                    bail!(
                        "sign-in of seeded member {i} answered {} (seed first, and run the server with rate limits off)",
                        res.status()
                    );
                }
                let cookie = res
                    .headers()
                    .get("set-cookie")
                    .and_then(|v| v.to_str().ok())
                    .context("no cookie")?;
                got.push((i, cookie.split(';').next().unwrap_or_default().to_owned()));
            }
        }));
    }
    for t in tasks {
        for (i, cookie) in t.await?? {
            cookies[i] = cookie;
        }
    }
    Ok(cookies)
}

/// For each session, the path of page 50 of its feed (found by reading the
/// 49 before it); sessions whose feed is shorter are left out.
async fn deep_pages(
    c: &reqwest::Client,
    base: &str,
    cookies: Vec<String>,
) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let (mut kept, mut paths) = (Vec::new(), Vec::new());
    'members: for cookie in cookies {
        let mut cursor = String::new();
        for _ in 0..49 {
            let url = if cursor.is_empty() {
                format!("{base}/api/v1/feed")
            } else {
                format!("{base}/api/v1/feed?cursor={cursor}")
            };
            let page: serde_json::Value = c
                .get(url)
                .header("cookie", &cookie)
                .send()
                .await?
                .json()
                .await?;
            match page["next_cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => continue 'members,
            }
        }
        paths.push(format!("/api/v1/feed?cursor={cursor}"));
        kept.push(cookie);
    }
    anyhow::ensure!(
        !kept.is_empty(),
        "no member's feed has 50 pages (seed dataset M first)"
    );
    println!("page 50 found for {} of the signed-in members", kept.len());
    Ok((kept, paths))
}

/// Member 0 writes the post everyone reacts to; returns its id.
async fn viral_post(c: &reqwest::Client, base: &str, cookie: &str) -> anyhow::Result<uuid::Uuid> {
    let res = c
        .post(format!("{base}/api/v1/posts"))
        .header("cookie", cookie)
        .json(&json!({"body": "Everyone is reacting to this one.", "audience": "members"}))
        .send()
        .await?;
    anyhow::ensure!(
        res.status().is_success(),
        "posting the viral post: {}",
        res.status()
    );
    let v: serde_json::Value = res.json().await?;
    Ok(v["id"].as_str().context("no post id")?.parse()?)
}

const REACTION_KINDS: [&str; 5] = ["like", "celebrate", "love", "insightful", "curious"];

struct Outcome {
    latency_us: u64,
    /// How long after its due time the request left.
    late_us: u64,
    ok: bool,
    /// A reader's request in a mixed workload (`viral-post`).
    reader: bool,
}

/// How requests are sent.
#[derive(Debug, Clone, Copy)]
enum Pace {
    /// This many a second on a fixed schedule (open loop).
    Open(u64),
    /// This many clients, each sending its next request when the last is
    /// answered (closed loop).
    Closed(usize),
}

/// What one workload requests, shared by the tasks that send it.
struct Target {
    workload: Workload,
    base: String,
    url: String,
    method: reqwest::Method,
    paths: Arc<Vec<String>>,
    viral: Option<uuid::Uuid>,
    cookies: Arc<Vec<String>>,
    members: usize,
}

impl Target {
    /// The `n`th request of the run, and whether it is a reader's.
    fn request(&self, c: &reqwest::Client, n: usize) -> (reqwest::RequestBuilder, bool) {
        let (base, cookies, members) = (&self.base, &self.cookies, self.members);
        let url = if self.paths.is_empty() {
            self.url.clone()
        } else {
            format!("{base}{}", self.paths[n % self.paths.len()])
        };
        // One request in five on the viral post is someone reading it.
        let reader = matches!(self.workload, Workload::ViralPost) && n % 5 == 4;
        let (method, url) = match self.viral {
            Some(post) if reader => (reqwest::Method::GET, format!("{base}/api/v1/posts/{post}")),
            _ => (self.method.clone(), url),
        };
        let mut req = c.request(method, &url);
        match self.workload {
            Workload::Signin => {
                req = req.json(&json!({"email": email(n % members.max(1)), "password": PASSWORD}));
            }
            Workload::AuthPage
            | Workload::AuthApi
            | Workload::Feed
            | Workload::FeedDeep
            | Workload::FeedPage => {
                req = req.header("cookie", &cookies[n % cookies.len()]);
            }
            Workload::ViralPost if reader => {
                req = req.header("cookie", &cookies[n % cookies.len()]);
            }
            Workload::ViralPost => {
                // Each member's turn comes round every `cookies.len()`
                // requests, with the next kind.
                let kind = REACTION_KINDS[(n / cookies.len()) % REACTION_KINDS.len()];
                req = req
                    .header("cookie", &cookies[n % cookies.len()])
                    .json(&json!({ "kind": kind }));
            }
            Workload::Health | Workload::CoursePage | Workload::CatalogSearch => {}
            Workload::PatronSignin => {
                req = req.json(&json!({"card": card(n % members.max(1)), "pin": "1234"}));
            }
        }
        (req, reader)
    }
}

/// Sends a request and reads its whole answer: whether it succeeded.
async fn send(req: reqwest::RequestBuilder) -> bool {
    match req.send().await {
        Ok(res) => {
            let ok = res.status().is_success();
            let _ = res.bytes().await;
            ok
        }
        Err(_) => false,
    }
}

async fn run(
    base: &str,
    workload: Workload,
    pace: Pace,
    duration: Duration,
    members: usize,
    max_in_flight: usize,
    database: Option<&str>,
) -> anyhow::Result<()> {
    let c = client()?;
    let mut cookies = match workload {
        Workload::AuthPage
        | Workload::AuthApi
        | Workload::Feed
        | Workload::FeedDeep
        | Workload::FeedPage
        | Workload::ViralPost => sessions(base, members.max(1)).await?,
        _ => Vec::new(),
    };
    let mut viral = None;
    let paths: Vec<String> = match workload {
        Workload::CoursePage => course_paths(&c, base).await?,
        Workload::CatalogSearch => SEARCH_WORDS
            .iter()
            .map(|w| format!("/api/v1/courses?q={w}"))
            .collect(),
        Workload::FeedDeep => {
            let (kept, paths) = deep_pages(&c, base, cookies).await?;
            cookies = kept;
            paths
        }
        Workload::ViralPost => {
            let id = viral_post(&c, base, &cookies[0]).await?;
            viral = Some(id);
            vec![format!("/api/v1/posts/{id}/reaction")]
        }
        _ => Vec::new(),
    };
    let cookies = Arc::new(cookies);
    let paths = Arc::new(paths);
    let offered = match pace {
        Pace::Open(rate) => format!("{rate}/s"),
        Pace::Closed(n) => format!("{n} closed"),
    };
    let (path, method) = match workload {
        Workload::Signin => ("/api/v1/auth/signin", reqwest::Method::POST),
        Workload::AuthPage => ("/me", reqwest::Method::GET),
        Workload::AuthApi => ("/api/v1/me", reqwest::Method::GET),
        Workload::Health => ("/healthz", reqwest::Method::GET),
        Workload::PatronSignin => (
            "/api/v1/libraries/bench/patron-sessions",
            reqwest::Method::POST,
        ),
        Workload::CoursePage | Workload::CatalogSearch | Workload::FeedDeep => {
            ("", reqwest::Method::GET)
        }
        Workload::Feed => ("/api/v1/feed", reqwest::Method::GET),
        Workload::FeedPage => ("/feed", reqwest::Method::GET),
        Workload::ViralPost => ("", reqwest::Method::PUT),
    };
    let url = format!("{base}{path}");
    let warmup = Duration::from_secs(2);
    let total = warmup + duration;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Outcome>();
    let target = Arc::new(Target {
        workload,
        base: base.to_owned(),
        url,
        method,
        paths,
        viral,
        cookies: cookies.clone(),
        members,
    });
    let start = Instant::now();
    let mut dropped = 0u64;
    if let Pace::Closed(clients) = pace {
        // Each client sends its next request as soon as the last one is
        // answered, as one person (or `wrk -c1`) would.
        for k in 0..clients {
            let (c, tx, target) = (c.clone(), tx.clone(), target.clone());
            tokio::spawn(async move {
                let mut n = k;
                loop {
                    let sent = Instant::now();
                    let since = sent.duration_since(start);
                    if since >= total {
                        break;
                    }
                    let (req, reader) = target.request(&c, n);
                    let ok = send(req).await;
                    if since >= warmup {
                        let _ = tx.send(Outcome {
                            latency_us: sent.elapsed().as_micros() as u64,
                            late_us: 0,
                            ok,
                            reader,
                        });
                    }
                    n += clients;
                }
            });
        }
    } else if let Pace::Open(rate) = pace {
        let interval = Duration::from_nanos(1_000_000_000 / rate);
        let in_flight = Arc::new(tokio::sync::Semaphore::new(max_in_flight));
        let mut i: u64 = 0;
        loop {
            let due = start + interval * i as u32;
            if due.duration_since(start) >= total {
                break;
            }
            tokio::time::sleep_until(due.into()).await;
            // Tokio's timer wakes up to a millisecond after `due`: latency
            // is counted from when the request really leaves, and that
            // lateness (which would otherwise add up to a millisecond to
            // every request) is reported on its own.
            let sent = Instant::now();
            let measured = due.duration_since(start) >= warmup;
            let Ok(permit) = in_flight.clone().try_acquire_owned() else {
                if measured {
                    dropped += 1;
                }
                i += 1;
                continue;
            };
            let (c, tx, target) = (c.clone(), tx.clone(), target.clone());
            let n = i as usize;
            tokio::spawn(async move {
                let (req, reader) = target.request(&c, n);
                let ok = send(req).await;
                drop(permit);
                if measured {
                    let _ = tx.send(Outcome {
                        latency_us: sent.elapsed().as_micros() as u64,
                        late_us: sent.duration_since(due).as_micros() as u64,
                        ok,
                        reader,
                    });
                }
            });
            i += 1;
        }
    }
    drop(tx);
    let mut lat = Vec::new();
    let mut errors = 0u64;
    let mut readers = Vec::new();
    let mut late = Vec::new();
    while let Some(o) = rx.recv().await {
        late.push(o.late_us);
        if !o.ok {
            errors += 1;
        } else if o.reader {
            readers.push(o.latency_us);
        } else {
            lat.push(o.latency_us);
        }
    }
    let elapsed = duration.as_secs_f64();
    lat.sort_unstable();
    late.sort_unstable();
    let late_p99 = late
        .get(((late.len() as f64 - 1.0) * 0.99).round() as usize)
        .copied()
        .unwrap_or(0) as f64
        / 1000.0;
    let pct = |p: f64| -> f64 {
        if lat.is_empty() {
            return 0.0;
        }
        let idx = ((lat.len() as f64 - 1.0) * p).round() as usize;
        lat[idx] as f64 / 1000.0
    };
    println!(
        "{:<10} {:<22} offered {:>8}  achieved {:>8.1}/s  ok {:>7}  errors {:>5}  dropped {:>6}  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms  (sent late p99 {:.2} ms)",
        format!("{workload:?}").to_lowercase(),
        format!(
            "{} {}",
            match workload {
                Workload::Signin | Workload::PatronSignin => "POST",
                Workload::ViralPost => "PUT",
                _ => "GET",
            },
            path
        ),
        offered,
        lat.len() as f64 / elapsed,
        lat.len(),
        errors,
        dropped,
        pct(0.50),
        pct(0.99),
        lat.last().copied().unwrap_or(0) as f64 / 1000.0,
        late_p99,
    );
    if !readers.is_empty() {
        readers.sort_unstable();
        let at =
            |p: f64| readers[((readers.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0;
        println!(
            "{:<10} {:<22} achieved {:>8.1}/s  ok {:>7}  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms",
            "readers",
            "GET /api/v1/posts/{id}",
            readers.len() as f64 / elapsed,
            readers.len(),
            at(0.5),
            at(0.99),
            at(1.0),
        );
    }
    if let (Some(post), Some(database)) = (viral, database) {
        network::check_counts(&c, base, &cookies[0], database, post).await?;
    }
    Ok(())
}
