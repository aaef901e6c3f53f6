//! Dataset M for the professional network, written straight into a stopped
//! server's databases (`seed-network`): members (through the store, with
//! their keys, encrypted addresses and profiles), then connections, follows,
//! posts, reactions, comments and the members' capped timelines in bulk
//! statements, with every count on posts and comments matching the rows
//! exactly. Going through the API would take hours at this size (a million
//! posts, five million reactions); the rows written here are the rows the
//! API writes, encrypted under the same keys.
//!
//! The shape: log-normal connection counts (mean and cap chosen, 150 and
//! 5,000 by default), authors drawn from a Zipf distribution (a few members
//! write much of what is posted), posts spread evenly over the last 90
//! days, every reaction and comment from the author or one of their
//! connections, and each member following a few members drawn from the
//! same Zipf ranks (the prolific are the followed).

use crate::{PASSWORD, email};
use anyhow::{Context, ensure};
use lyceum_core::clock::SystemClock;
use lyceum_core::domain::account::{DisplayName, Email, NewPassword, Role};
use lyceum_core::domain::{MemberId, SubjectId};
use lyceum_store::accounts::{Accounts, NewMember};
use lyceum_store::network::{TIMELINE_CAP, contexts};
use lyceum_store::{InstanceKey, Store, StoreConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait, Value};
use std::collections::{BinaryHeap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

/// Where the server keeps its data.
#[derive(Debug, Clone, clap::Args)]
pub struct Target {
    /// The data directory of a stopped server on SQLite (its `lyceum.db`,
    /// `keyring.db` and `instance.key`).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The main database's URL (PostgreSQL), instead of --data-dir.
    #[arg(long, requires_all = ["keyring", "key_file"])]
    pub database: Option<String>,
    /// The keyring database's URL (PostgreSQL).
    #[arg(long)]
    pub keyring: Option<String>,
    /// The instance key file.
    #[arg(long)]
    pub key_file: Option<PathBuf>,
}

impl Target {
    /// Opens the store as the server would (running its migrations).
    pub async fn open(&self) -> anyhow::Result<Store> {
        let (config, key_file) = match (&self.data_dir, &self.database) {
            (Some(dir), None) => (
                StoreConfig {
                    database_url: lyceum_store::sqlite_url(&dir.join("lyceum.db")),
                    keyring_url: lyceum_store::sqlite_url(&dir.join("keyring.db")),
                    max_connections: 8,
                    sqlite_mmap_bytes: 0,
                },
                dir.join("instance.key"),
            ),
            (None, Some(db)) => (
                StoreConfig {
                    database_url: db.clone(),
                    keyring_url: self.keyring.clone().context("--keyring is needed")?,
                    max_connections: 8,
                    sqlite_mmap_bytes: 0,
                },
                self.key_file.clone().context("--key-file is needed")?,
            ),
            _ => anyhow::bail!(
                "give either --data-dir (SQLite) or --database, --keyring and --key-file (PostgreSQL)"
            ),
        };
        let key = InstanceKey::load_or_create(&key_file)
            .with_context(|| format!("reading the instance key {}", key_file.display()))?;
        Ok(Store::open(&config, key, Arc::new(SystemClock)).await?)
    }
}

/// What `seed-network` writes.
#[derive(Debug, Clone, clap::Args)]
pub struct Sizes {
    /// Members (bench-NNNNNN@load.test, the load tool's password).
    #[arg(long, default_value_t = 10_000)]
    pub members: usize,
    /// Posts.
    #[arg(long, default_value_t = 1_000_000)]
    pub posts: usize,
    /// Reactions on posts.
    #[arg(long, default_value_t = 5_000_000)]
    pub reactions: usize,
    /// Comments (a quarter of them replies).
    #[arg(long, default_value_t = 1_000_000)]
    pub comments: usize,
    /// Mean connections per member (log-normal).
    #[arg(long, default_value_t = 150.0)]
    pub mean_connections: f64,
    /// Most connections any member has.
    #[arg(long, default_value_t = 5_000)]
    pub max_connections: usize,
    /// Mean members each member follows (drawn by Zipf rank).
    #[arg(long, default_value_t = 10)]
    pub follows: usize,
    /// Days the posts are spread over, ending now.
    #[arg(long, default_value_t = 90)]
    pub days: i64,
    /// Extra followers of member 0 without accounts, to measure a fan-out
    /// to an audience larger than the members (a timeline row needs no
    /// account behind it).
    #[arg(long, default_value_t = 0)]
    pub extra_followers: usize,
    /// The random seed: the same seed gives the same dataset.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Zipf ranks over `n` items with exponent 1: draw with [`Zipf::sample`].
struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    fn new(n: usize) -> Self {
        let mut cdf = Vec::with_capacity(n);
        let mut total = 0.0;
        for k in 1..=n {
            total += 1.0 / k as f64;
            cdf.push(total);
        }
        for c in &mut cdf {
            *c /= total;
        }
        Self { cdf }
    }

    fn sample(&self, rng: &mut StdRng) -> usize {
        let u: f64 = rng.random();
        self.cdf.partition_point(|c| *c < u).min(self.cdf.len() - 1)
    }
}

/// A standard normal number (Box–Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

struct Post {
    id: Uuid,
    author: u32,
    at: i64,
    audience: u8,
    counts: [i32; 5],
    comments: i32,
}

const AUDIENCES: [&str; 3] = ["connections", "members", "public"];
const KINDS: [&str; 5] = ["like", "celebrate", "love", "insightful", "curious"];

/// A time-ordered id for a row written at `at_ms`, as `Uuid::now_v7` gives.
fn id_at(at_ms: i64, rng: &mut StdRng) -> Uuid {
    let mut bytes: [u8; 16] = rng.random();
    let ms = (at_ms as u64).to_be_bytes();
    bytes[..6].copy_from_slice(&ms[2..]);
    bytes[6] = 0x70 | (bytes[6] & 0x0f);
    bytes[8] = 0x80 | (bytes[8] & 0x3f);
    Uuid::from_bytes(bytes)
}

fn sentence(rng: &mut StdRng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        let w = crate::word(rng.random::<u32>() as usize, i);
        if i == 0 {
            s.push_str(&crate::capitalised(w));
        } else {
            s.push(' ');
            s.push_str(w);
        }
    }
    s.push('.');
    s
}

/// Writes rows in multi-row `INSERT`s, a few thousand rows per transaction.
struct Bulk<'a> {
    db: &'a DatabaseConnection,
    backend: DbBackend,
    written: u64,
}

impl<'a> Bulk<'a> {
    fn new(db: &'a DatabaseConnection) -> Self {
        Self {
            db,
            backend: db.get_database_backend(),
            written: 0,
        }
    }

    async fn insert(
        &mut self,
        table: &str,
        cols: &[&str],
        rows: Vec<Vec<Value>>,
    ) -> anyhow::Result<()> {
        // Both engines cap a statement's parameters (SQLite at 32,766).
        let per_stmt = (30_000 / cols.len()).min(2_000);
        let tx = self.db.begin().await?;
        for chunk in rows.chunks(per_stmt) {
            let mut sql = format!("INSERT INTO {table} ({}) VALUES ", cols.join(", "));
            let mut values = Vec::with_capacity(chunk.len() * cols.len());
            for (r, row) in chunk.iter().enumerate() {
                if r > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for c in 0..cols.len() {
                    if c > 0 {
                        sql.push_str(", ");
                    }
                    match self.backend {
                        DbBackend::Postgres => sql.push_str(&format!("${}", values.len() + c + 1)),
                        _ => sql.push('?'),
                    }
                }
                sql.push(')');
                values.extend(row.iter().cloned());
            }
            tx.execute_raw(Statement::from_sql_and_values(self.backend, sql, values))
                .await
                .with_context(|| format!("writing {table}"))?;
        }
        tx.commit().await?;
        self.written += rows.len() as u64;
        Ok(())
    }
}

/// Seeds dataset M (or another size) into a stopped server's databases.
pub async fn seed(target: &Target, sizes: &Sizes) -> anyhow::Result<()> {
    ensure!(sizes.members >= 2, "--members must be at least 2");
    let store = target.open().await?;
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(sizes.seed);
    let n = sizes.members;
    if store.backend() == DbBackend::Sqlite {
        // A large page cache for the bulk load (this connection only).
        store
            .writer
            .execute_unprepared("PRAGMA cache_size = -1048576")
            .await?;
    }

    // Members, through the store: keys, encrypted addresses, profiles.
    let ids = members(&store, n).await?;
    println!("members: {n} in {:.1} s", started.elapsed().as_secs_f64());
    let now = store.now_ms();
    let day = 86_400_000i64;
    let start = now - sizes.days * day;

    // Connections: log-normal degrees, paired at random.
    let t = Instant::now();
    let sigma = 1.0f64;
    let mu = sizes.mean_connections.ln() - sigma * sigma / 2.0;
    let mut stubs: Vec<u32> = Vec::new();
    for m in 0..n {
        let d = (mu + sigma * normal(&mut rng)).exp().round() as usize;
        let d = d.clamp(1, sizes.max_connections.min(n - 1));
        stubs.extend(std::iter::repeat_n(m as u32, d));
    }
    for i in (1..stubs.len()).rev() {
        let j = rng.random_range(0..=i);
        stubs.swap(i, j);
    }
    let mut pairs: HashSet<(u32, u32)> = HashSet::with_capacity(stubs.len() / 2);
    for p in stubs.chunks_exact(2) {
        let (a, b) = (p[0].min(p[1]), p[0].max(p[1]));
        if a != b {
            pairs.insert((a, b));
        }
    }
    let mut conns: Vec<Vec<u32>> = vec![Vec::new(); n];
    for &(a, b) in &pairs {
        conns[a as usize].push(b);
        conns[b as usize].push(a);
    }
    drop(pairs);
    let mut bulk = Bulk::new(&store.writer);
    let since = start - 30 * day;
    let mut rows = Vec::new();
    for (m, others) in conns.iter().enumerate() {
        for &o in others {
            rows.push(vec![ids[m].into(), ids[o as usize].into(), since.into()]);
        }
        if rows.len() >= 50_000 {
            bulk.insert(
                "connections",
                &["member_id", "other_id", "created_at"],
                std::mem::take(&mut rows),
            )
            .await?;
        }
    }
    bulk.insert(
        "connections",
        &["member_id", "other_id", "created_at"],
        rows,
    )
    .await?;
    let degrees: Vec<usize> = conns.iter().map(Vec::len).collect();
    let mean = degrees.iter().sum::<usize>() as f64 / n as f64;
    println!(
        "connections: {} rows (mean {mean:.0}, max {}) in {:.1} s",
        bulk.written,
        degrees.iter().max().copied().unwrap_or(0),
        t.elapsed().as_secs_f64()
    );

    // Follows: by Zipf rank, so the prolific are the followed.
    let t = Instant::now();
    let zipf = Zipf::new(n);
    let mut follows: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut rows = Vec::new();
    for (m, list) in follows.iter_mut().enumerate() {
        let k = rng.random_range(0..=2 * sizes.follows);
        let mut seen = HashSet::new();
        for _ in 0..k {
            let f = zipf.sample(&mut rng) as u32;
            if f as usize != m && seen.insert(f) {
                list.push(f);
                rows.push(vec![ids[m].into(), ids[f as usize].into(), since.into()]);
            }
        }
    }
    let mut fbulk = Bulk::new(&store.writer);
    fbulk
        .insert(
            "follows",
            &["follower_id", "followee_id", "created_at"],
            rows,
        )
        .await?;
    let mut rows = Vec::new();
    for _ in 0..sizes.extra_followers {
        rows.push(vec![Uuid::new_v4().into(), ids[0].into(), since.into()]);
        if rows.len() >= 50_000 {
            fbulk
                .insert(
                    "follows",
                    &["follower_id", "followee_id", "created_at"],
                    std::mem::take(&mut rows),
                )
                .await?;
        }
    }
    fbulk
        .insert(
            "follows",
            &["follower_id", "followee_id", "created_at"],
            rows,
        )
        .await?;
    println!(
        "follows: {} rows in {:.1} s",
        fbulk.written,
        t.elapsed().as_secs_f64()
    );

    // Posts in memory first: reactions and comments set their counts.
    let t = Instant::now();
    let mut posts: Vec<Post> = (0..sizes.posts)
        .map(|i| {
            let at = start + (i as i64 * (now - start)) / sizes.posts.max(1) as i64;
            Post {
                id: id_at(at, &mut rng),
                author: zipf.sample(&mut rng) as u32,
                at,
                audience: [0u8, 0, 0, 1, 1, 2][rng.random_range(0..6)],
                counts: [0; 5],
                comments: 0,
            }
        })
        .collect();
    // Reactions: a post at random, someone who is the author or one of
    // their connections, one reaction each.
    let mut reacted: HashSet<(u32, u32)> = HashSet::with_capacity(sizes.reactions);
    let mut reactions: Vec<(u32, u32, u8, i64)> = Vec::with_capacity(sizes.reactions);
    let mut tries = 0usize;
    while reactions.len() < sizes.reactions && tries < sizes.reactions * 4 {
        tries += 1;
        let p = rng.random_range(0..posts.len());
        let author = posts[p].author as usize;
        let c = &conns[author];
        let who = if c.is_empty() || rng.random_range(0..50) == 0 {
            author as u32
        } else {
            c[rng.random_range(0..c.len())]
        };
        if reacted.insert((p as u32, who)) {
            let kind = [0u8, 0, 0, 0, 1, 2, 3, 4][rng.random_range(0..8)];
            posts[p].counts[kind as usize] += 1;
            let at = (posts[p].at + rng.random_range(0..day)).min(now);
            reactions.push((p as u32, who, kind, at));
        }
    }
    drop(reacted);
    // Comments: a quarter reply to an earlier comment on the same post.
    let mut comments: Vec<(Uuid, u32, Option<usize>, u32, i64)> =
        Vec::with_capacity(sizes.comments);
    let mut top_of_post: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    let mut replies = vec![0i32; sizes.comments];
    for _ in 0..sizes.comments {
        let p = rng.random_range(0..posts.len()) as u32;
        let post = &mut posts[p as usize];
        let c = &conns[post.author as usize];
        let who = if c.is_empty() || rng.random_range(0..5) == 0 {
            post.author
        } else {
            c[rng.random_range(0..c.len())]
        };
        let parent = match top_of_post.get(&p) {
            Some(&top) if rng.random_range(0..4) == 0 => Some(top),
            _ => None,
        };
        let at = (post.at + rng.random_range(1..day)).min(now);
        post.comments += 1;
        if let Some(top) = parent {
            replies[top] += 1;
        } else {
            top_of_post.insert(p, comments.len());
        }
        comments.push((id_at(at, &mut rng), p, parent, who, at));
    }
    drop(top_of_post);
    println!(
        "generated {} posts, {} reactions, {} comments in {:.1} s",
        posts.len(),
        reactions.len(),
        comments.len(),
        t.elapsed().as_secs_f64()
    );

    // Write the posts, encrypted under each author's key.
    let t = Instant::now();
    let mut keys = Vec::with_capacity(n);
    for id in &ids {
        keys.push(store.keyring.get(SubjectId(*id)).await?);
    }
    let mut pbulk = Bulk::new(&store.writer);
    let cols = [
        "id",
        "author_id",
        "audience",
        "body_ciphertext",
        "created_at",
        "like_count",
        "celebrate_count",
        "love_count",
        "insightful_count",
        "curious_count",
        "comment_count",
    ];
    for chunk in posts.chunks(20_000) {
        let rows: Vec<Vec<Value>> = chunk
            .iter()
            .map(|p| {
                let words = rng.random_range(12..40);
                let body = sentence(&mut rng, words);
                vec![
                    p.id.into(),
                    ids[p.author as usize].into(),
                    AUDIENCES[p.audience as usize].into(),
                    keys[p.author as usize]
                        .encrypt(contexts::POST_BODY, body.as_bytes())
                        .into(),
                    p.at.into(),
                    p.counts[0].into(),
                    p.counts[1].into(),
                    p.counts[2].into(),
                    p.counts[3].into(),
                    p.counts[4].into(),
                    p.comments.into(),
                ]
            })
            .collect();
        pbulk.insert("posts", &cols, rows).await?;
    }
    println!(
        "posts: {} rows in {:.1} s",
        pbulk.written,
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let mut cbulk = Bulk::new(&store.writer);
    let cols = [
        "id",
        "post_id",
        "parent_id",
        "author_id",
        "body_ciphertext",
        "created_at",
        "reply_count",
    ];
    for (n0, chunk) in comments.chunks(20_000).enumerate() {
        let rows: Vec<Vec<Value>> = chunk
            .iter()
            .enumerate()
            .map(|(k, (id, p, parent, who, at))| {
                let words = rng.random_range(4..20);
                let body = sentence(&mut rng, words);
                vec![
                    (*id).into(),
                    posts[*p as usize].id.into(),
                    parent.map(|i| comments[i].0).into(),
                    ids[*who as usize].into(),
                    keys[*who as usize]
                        .encrypt(contexts::COMMENT_BODY, body.as_bytes())
                        .into(),
                    (*at).into(),
                    replies[n0 * 20_000 + k].into(),
                ]
            })
            .collect();
        cbulk.insert("comments", &cols, rows).await?;
    }
    println!(
        "comments: {} rows in {:.1} s",
        cbulk.written,
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let mut rbulk = Bulk::new(&store.writer);
    for chunk in reactions.chunks(50_000) {
        let rows: Vec<Vec<Value>> = chunk
            .iter()
            .map(|(p, who, kind, at)| {
                let post = posts[*p as usize].id;
                vec![
                    post.into(),
                    ids[*who as usize].into(),
                    post.into(),
                    KINDS[*kind as usize].into(),
                    (*at).into(),
                ]
            })
            .collect();
        rbulk
            .insert(
                "reactions",
                &["target_id", "member_id", "post_id", "kind", "created_at"],
                rows,
            )
            .await?;
    }
    println!(
        "reactions: {} rows in {:.1} s",
        rbulk.written,
        t.elapsed().as_secs_f64()
    );

    // Timelines: each member's newest TIMELINE_CAP posts among their own,
    // their connections' and (beyond connections) their followees'.
    let t = Instant::now();
    let mut by_author: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (i, p) in posts.iter().enumerate() {
        by_author[p.author as usize].push(i as u32);
    }
    let mut tbulk = Bulk::new(&store.writer);
    let mut rows = Vec::new();
    for m in 0..n {
        let mut sources: Vec<(u32, bool)> = vec![(m as u32, true)];
        sources.extend(conns[m].iter().map(|&c| (c, true)));
        let connected: HashSet<u32> = conns[m].iter().copied().collect();
        sources.extend(
            follows[m]
                .iter()
                .filter(|f| !connected.contains(f))
                .map(|&f| (f, false)),
        );
        // Newest first: each author's list is oldest first, so walk back.
        let mut heap = BinaryHeap::new();
        let mut cursor: Vec<usize> = Vec::with_capacity(sources.len());
        for (s, &(a, _)) in sources.iter().enumerate() {
            let list = &by_author[a as usize];
            cursor.push(list.len());
            if let Some(&last) = list.last() {
                heap.push((posts[last as usize].at, last, s));
            }
        }
        let mut taken = 0u64;
        while let Some((at, pi, s)) = heap.pop() {
            let (author, all) = sources[s];
            let p = &posts[pi as usize];
            if all || p.audience != 0 {
                rows.push(vec![
                    ids[m].into(),
                    p.id.into(),
                    ids[author as usize].into(),
                    at.into(),
                ]);
                taken += 1;
                if taken >= TIMELINE_CAP {
                    break;
                }
            }
            cursor[s] -= 1;
            if cursor[s] > 0 {
                let next = by_author[author as usize][cursor[s] - 1];
                heap.push((posts[next as usize].at, next, s));
            }
        }
        if rows.len() >= 100_000 {
            tbulk
                .insert(
                    "timeline",
                    &["member_id", "post_id", "author_id", "created_at"],
                    std::mem::take(&mut rows),
                )
                .await?;
        }
    }
    tbulk
        .insert(
            "timeline",
            &["member_id", "post_id", "author_id", "created_at"],
            rows,
        )
        .await?;
    println!(
        "timeline: {} rows in {:.1} s",
        tbulk.written,
        t.elapsed().as_secs_f64()
    );
    if store.backend() == DbBackend::Sqlite {
        // No ANALYZE: Lyceum never runs it, and with its statistics SQLite
        // prepares a statement again for every new set of parameters.
        store
            .writer
            .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
    } else {
        // What autovacuum would have done by the time anyone reads.
        store.writer.execute_unprepared("ANALYZE").await?;
    }
    store.close().await?;
    println!(
        "dataset written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Creates the members (or finds those an earlier run created), returning
/// their ids in order.
async fn members(store: &Store, n: usize) -> anyhow::Result<Vec<Uuid>> {
    let password = NewPassword::parse(PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = Accounts::hash(password.clone()).await?;
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, next, hash, password) =
            (store.clone(), next.clone(), hash.clone(), password.clone());
        tasks.push(tokio::spawn(async move {
            let mut made = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(made);
                }
                let address = Email::parse(&email(i)).map_err(|e| anyhow::anyhow!("{e}"))?;
                let id = match store.accounts().find_by_email(&address).await? {
                    Some(id) => id,
                    None => {
                        let new = NewMember {
                            email: address,
                            display_name: DisplayName::parse(&format!("Bench Member {i}"))
                                .map_err(|e| anyhow::anyhow!("{e}"))?,
                            password: password.clone(),
                            role: Role::Member,
                        };
                        store
                            .accounts()
                            .create_hashed(new, hash.clone())
                            .await
                            .map_err(|e| anyhow::anyhow!("member {i}: {e}"))?
                            .id
                    }
                };
                store.network().ensure_profile(MemberId(id.0)).await?;
                made.push((i, id.0));
            }
        }));
    }
    let mut ids = vec![Uuid::nil(); n];
    for t in tasks {
        for (i, id) in t.await?? {
            ids[i] = id;
        }
    }
    Ok(ids)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn number(db: &DatabaseConnection, sql: &str, values: Vec<Value>) -> anyhow::Result<i64> {
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Sqlite {
        sql.replace('$', "?")
    } else {
        sql.to_owned()
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .context("no row")?;
    Ok(row.try_get_by_index(0)?)
}

/// Everyone a post by `$1` to members reaches, with the author.
const READERS: &str = "SELECT COUNT(*) FROM (SELECT $1 AS m UNION SELECT other_id FROM connections WHERE member_id = $1 \
     UNION SELECT follower_id FROM follows WHERE followee_id = $1) AS r";

/// Posts as seeded members, one at a time, and measures the answer's
/// latency and the time until the post is in every reader's timeline
/// (read from the database every 2 ms).
pub async fn fanout_bench(
    base: &str,
    database: &str,
    members: &[usize],
    posts_each: usize,
) -> anyhow::Result<()> {
    let db = lyceum_store::connect(database, 2).await?;
    let mut acks = Vec::new();
    let mut visible: Vec<(i64, f64)> = Vec::new();
    for &i in members {
        let c = reqwest::Client::builder().cookie_store(true).build()?;
        let res = c
            .post(format!("{base}/api/v1/auth/signin"))
            .json(&serde_json::json!({"email": email(i), "password": PASSWORD}))
            .send()
            .await?;
        ensure!(
            res.status().is_success(),
            "signing in member {i}: {}",
            res.status()
        );
        let me: serde_json::Value = c
            .get(format!("{base}/api/v1/me"))
            .send()
            .await?
            .json()
            .await?;
        let id: Uuid = me["id"].as_str().context("no id")?.parse()?;
        let readers = number(&db, READERS, vec![id.into()]).await?;
        for k in 0..posts_each {
            let sent = Instant::now();
            let res = c
                .post(format!("{base}/api/v1/posts"))
                .json(&serde_json::json!({"body": format!("Fan-out measure {k} of member {i}"), "audience": "members"}))
                .send()
                .await?;
            let ack = sent.elapsed().as_secs_f64() * 1000.0;
            ensure!(res.status().is_success(), "posting: {}", res.status());
            let v: serde_json::Value = res.json().await?;
            let post: Uuid = v["id"].as_str().context("no post id")?.parse()?;
            acks.push(ack);
            loop {
                let n = number(
                    &db,
                    "SELECT COUNT(*) FROM timeline WHERE post_id = $1",
                    vec![post.into()],
                )
                .await?;
                if n >= readers {
                    break;
                }
                ensure!(
                    sent.elapsed().as_secs() < 120,
                    "post {post} reached {n} of {readers} readers in 2 minutes"
                );
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            visible.push((readers, sent.elapsed().as_secs_f64() * 1000.0));
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    acks.sort_by(f64::total_cmp);
    println!(
        "fan-out: {} posts  answer p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        acks.len(),
        percentile(&acks, 0.5),
        percentile(&acks, 0.99),
        acks.last().copied().unwrap_or(0.0)
    );
    for (lo, hi) in [
        (0, 1_000),
        (1_001, 5_000),
        (5_001, 20_000),
        (20_001, i64::MAX),
    ] {
        let mut t: Vec<f64> = visible
            .iter()
            .filter(|(r, _)| *r >= lo && *r <= hi)
            .map(|(_, t)| *t)
            .collect();
        if t.is_empty() {
            continue;
        }
        t.sort_by(f64::total_cmp);
        let most = visible
            .iter()
            .filter(|(r, _)| *r >= lo && *r <= hi)
            .map(|(r, _)| *r)
            .max()
            .unwrap_or(0);
        println!(
            "  readers {lo}-{}: {} posts (up to {most} readers)  in every timeline p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
            if hi == i64::MAX {
                "…".to_owned()
            } else {
                hi.to_string()
            },
            t.len(),
            percentile(&t, 0.5),
            percentile(&t, 0.99),
            t.last().copied().unwrap_or(0.0)
        );
    }
    Ok(())
}

/// Checks a post's counts against its reaction rows: none lost, none
/// counted twice.
pub async fn check_counts(
    c: &reqwest::Client,
    base: &str,
    cookie: &str,
    database: &str,
    post: Uuid,
) -> anyhow::Result<()> {
    let v: serde_json::Value = c
        .get(format!("{base}/api/v1/posts/{post}"))
        .header("cookie", cookie)
        .send()
        .await?
        .json()
        .await?;
    let db = lyceum_store::connect(database, 1).await?;
    let mut exact = true;
    let mut line = String::new();
    for kind in KINDS {
        let rows = number(
            &db,
            "SELECT COUNT(*) FROM reactions WHERE target_id = $1 AND kind = $2",
            vec![post.into(), kind.into()],
        )
        .await?;
        let shown = v["reactions"][kind].as_i64().unwrap_or(-1);
        exact &= rows == shown;
        line.push_str(&format!(" {kind} {shown}/{rows}"));
    }
    println!(
        "counts (shown/rows):{line}  {}",
        if exact { "exact" } else { "MISMATCH" }
    );
    ensure!(exact, "the post's counts differ from its reaction rows");
    Ok(())
}
