//! `lyceum-load search-bench`: catalog search measured in process, without
//! HTTP or the database, over a generated catalog (see `catalog`), and the
//! same searches done with SQLite FTS5 on the same courses for comparison.
//!
//! Both sides answer what the catalog page needs: the top 20 by relevance
//! (newest first without words), the exact total, and the facet counts
//! (skill, level, provider, language, length; each facet ignoring its own
//! filter). FTS5 has no typo tolerance, so the typo queries find less (or
//! nothing) there: the per-query table shows both engines' totals so the
//! difference is visible rather than hidden in an average.

use crate::catalog;
use anyhow::Context;
use lyceum_core::domain::learning::DurationBucket;
use lyceum_search::{CourseDoc, CourseIndex, Filters};
use sea_orm::sqlx::{self, Connection, Row, SqliteConnection};
use std::time::{Duration, Instant};

/// Results per page, as the catalog page shows them.
const PER_PAGE: u64 = 20;

/// One search of the fixed mix.
struct Case {
    /// What it stands for, in the report.
    name: &'static str,
    filters: Filters,
}

fn case(name: &'static str, q: &str, f: impl FnOnce(&mut Filters)) -> Case {
    let mut filters = Filters {
        q: q.to_owned(),
        ..Filters::default()
    };
    f(&mut filters);
    Case { name, filters }
}

/// The fixed mix of searches, cycled through in this order.
fn mix() -> Vec<Case> {
    vec![
        case("common word", "data", |_| {}),
        case("mid word", "statistics", |_| {}),
        case("rare word", "knitting", |_| {}),
        case("two common words", "data analysis", |_| {}),
        case("two mid words", "energy climate", |_| {}),
        case("typo, common word", "lerning", |_| {}),
        case("typo, mid word", "statistcs", |_| {}),
        case("prefix", "prog", |_| {}),
        case("word + prefix", "data sec", |_| {}),
        case("word + level", "design", |f| {
            f.level = Some("beginner".into())
        }),
        case("word + skill + language", "management", |f| {
            f.skill = Some("Business".into());
            f.language = Some("es".into());
        }),
        case("word, guest (5 providers)", "learning", |f| {
            f.allowed = Some((0..5).map(catalog::provider_id).collect());
        }),
        case("browse (no words)", "", |_| {}),
        case("browse + level + length", "", |f| {
            f.level = Some("advanced".into());
            f.duration = Some(DurationBucket::Long);
        }),
    ]
}

/// Latencies of one run, and how long the run took.
struct Run {
    latencies: Vec<Duration>,
    wall: Duration,
}

impl Run {
    fn figures(mut self) -> Figures {
        self.latencies.sort_unstable();
        let pct = |p: f64| -> f64 {
            if self.latencies.is_empty() {
                return 0.0;
            }
            let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
            self.latencies[i].as_secs_f64() * 1000.0
        };
        Figures {
            p50: pct(0.50),
            p99: pct(0.99),
            max: pct(1.0),
            rate: self.latencies.len() as f64 / self.wall.as_secs_f64(),
        }
    }
}

/// Milliseconds and queries per second.
struct Figures {
    p50: f64,
    p99: f64,
    max: f64,
    rate: f64,
}

fn print(engine: &str, threads: usize, f: &Figures) {
    println!(
        "{engine:<8} {threads} thread{}  p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>8.3} ms  {:>8.0} queries/s",
        if threads == 1 { " " } else { "s" },
        f.p50,
        f.p99,
        f.max,
        f.rate
    );
}

/// Per case: the total found and the latencies (one thread).
struct PerCase {
    total: u64,
    latencies: Vec<Duration>,
}

fn per_case_figures(p: &PerCase) -> (f64, f64) {
    let mut l = p.latencies.clone();
    l.sort_unstable();
    let at = |q: f64| {
        l.get(((l.len().max(1) - 1) as f64 * q).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    (at(0.5), at(0.99))
}

/// Runs the benchmark and prints the report.
pub async fn run(
    courses: usize,
    queries: usize,
    fts5_queries: usize,
    skip_fts5: bool,
    only: Option<&str>,
) -> anyhow::Result<()> {
    let cases: Vec<Case> = mix()
        .into_iter()
        .filter(|c| only.is_none_or(|o| c.name.contains(o)))
        .collect();
    anyhow::ensure!(!cases.is_empty(), "no search of the mix is named like that");
    println!(
        "search-bench: {courses} courses, {queries} queries per thread ({fts5_queries} with FTS5), a mix of {} searches, {PER_PAGE} per page",
        cases.len()
    );
    let started = Instant::now();
    let docs: Vec<CourseDoc> = (0..courses).map(catalog::course).collect();
    println!(
        "generated the catalog in {:.2} s",
        started.elapsed().as_secs_f64()
    );

    let index = CourseIndex::new()?;
    let started = Instant::now();
    index.replace_all(docs.clone())?;
    let build = started.elapsed();
    println!(
        "tantivy  build: {courses} courses in {:.2} s",
        build.as_secs_f64()
    );
    let tantivy = tantivy_runs(&index, &cases, queries)?;

    let fts5 = if skip_fts5 {
        None
    } else {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("fts5.db");
        let started = Instant::now();
        fts5_load(&path, &docs).await?;
        println!(
            "fts5     build: {courses} courses in {:.2} s (tables, FTS5 index, optimize, analyze)",
            started.elapsed().as_secs_f64()
        );
        Some(fts5_runs(&path, &cases, fts5_queries).await?)
    };

    println!();
    println!(
        "{:<28} {:>9} {:>9} {:>9} | {:>9} {:>9} {:>9}",
        "query (1 thread)", "tantivy", "p50 ms", "p99 ms", "fts5", "p50 ms", "p99 ms"
    );
    for (k, (c, t)) in cases.iter().zip(&tantivy.per_case).enumerate() {
        let (tp50, tp99) = per_case_figures(t);
        let other = match fts5.as_ref().and_then(|f| f.per_case.get(k)) {
            Some(f) => {
                let (fp50, fp99) = per_case_figures(f);
                format!("{:>9} {:>9.3} {:>9.3}", f.total, fp50, fp99)
            }
            None => format!("{:>9} {:>9} {:>9}", "-", "-", "-"),
        };
        println!(
            "{:<28} {:>9} {:>9.3} {:>9.3} | {other}",
            c.name, t.total, tp50, tp99
        );
    }
    let Some(fts5) = fts5 else {
        return Ok(());
    };
    println!("(tantivy and fts5 columns: matching courses; FTS5 has no typo tolerance)");
    println!();
    for (threads, t, f) in [(1, &tantivy.one, &fts5.one), (2, &tantivy.two, &fts5.two)] {
        println!(
            "fts5 / tantivy, {threads} thread{}: p50 {:.1}x  p99 {:.1}x  throughput {:.2}x (tantivy {:.1}x the queries/s)",
            if threads == 1 { "" } else { "s" },
            f.p50 / t.p50,
            f.p99 / t.p99,
            f.rate / t.rate,
            t.rate / f.rate,
        );
    }
    Ok(())
}

/// One engine's results.
struct Measured {
    one: Figures,
    two: Figures,
    per_case: Vec<PerCase>,
}

fn tantivy_runs(index: &CourseIndex, cases: &[Case], queries: usize) -> anyhow::Result<Measured> {
    // Warm up: every case a few times.
    for _ in 0..5 {
        for c in cases {
            index.search(&c.filters, 0, PER_PAGE)?;
        }
    }
    let mut per_case: Vec<PerCase> = cases
        .iter()
        .map(|_| PerCase {
            total: 0,
            latencies: Vec::new(),
        })
        .collect();
    let one = {
        let started = Instant::now();
        let mut latencies = Vec::with_capacity(queries);
        for i in 0..queries {
            let k = i % cases.len();
            let t = Instant::now();
            let hits = index.search(&cases[k].filters, 0, PER_PAGE)?;
            let took = t.elapsed();
            latencies.push(took);
            per_case[k].latencies.push(took);
            per_case[k].total = hits.total;
        }
        Run {
            latencies,
            wall: started.elapsed(),
        }
        .figures()
    };
    print("tantivy", 1, &one);
    let two = {
        let started = Instant::now();
        let latencies = std::thread::scope(|s| {
            let threads: Vec<_> = (0..2)
                .map(|thread| {
                    s.spawn(move || -> anyhow::Result<Vec<Duration>> {
                        let mut latencies = Vec::with_capacity(queries);
                        for i in 0..queries {
                            // The second thread starts half-way through the mix.
                            let c = &cases[(i + thread * cases.len() / 2) % cases.len()];
                            let t = Instant::now();
                            index.search(&c.filters, 0, PER_PAGE)?;
                            latencies.push(t.elapsed());
                        }
                        Ok(latencies)
                    })
                })
                .collect();
            let mut all = Vec::new();
            for t in threads {
                let l = t
                    .join()
                    .map_err(|_| anyhow::anyhow!("a search thread panicked"))??;
                all.extend(l);
            }
            Ok::<_, anyhow::Error>(all)
        })?;
        Run {
            latencies,
            wall: started.elapsed(),
        }
        .figures()
    };
    print("tantivy", 2, &two);
    Ok(Measured { one, two, per_case })
}

fn sqlite_options(path: &std::path::Path) -> sqlx::sqlite::SqliteConnectOptions {
    sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
        // Give SQLite the memory tantivy has: the whole database in its
        // page cache and mapped, so neither side reads the disk.
        .pragma("cache_size", "-262144")
        .pragma("mmap_size", "1073741824")
        .pragma("temp_store", "memory")
}

async fn fts5_load(path: &std::path::Path, docs: &[CourseDoc]) -> anyhow::Result<()> {
    let mut db = SqliteConnection::connect_with(&sqlite_options(path)).await?;
    let version: String = sqlx::query_scalar("SELECT sqlite_version()")
        .fetch_one(&mut db)
        .await?;
    println!("fts5     SQLite {version} (bundled), through sqlx");
    for sql in [
        "CREATE TABLE course (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, provider TEXT NOT NULL, \
         level TEXT NOT NULL, language TEXT NOT NULL, bucket TEXT, published INTEGER NOT NULL)",
        "CREATE TABLE course_skill (course INTEGER NOT NULL, skill TEXT NOT NULL)",
        // The same six fields tantivy indexes; prefix indexes of 2 and 3
        // letters make `sec*` cheap, as FTS5's documentation suggests.
        "CREATE VIRTUAL TABLE course_fts USING fts5(title, skills, summary, instructors, \
         provider, description, prefix = '2 3')",
    ] {
        sqlx::query(sql)
            .execute(&mut db)
            .await
            .with_context(|| sql.to_owned())?;
    }
    let mut tx = db.begin().await?;
    for (i, d) in docs.iter().enumerate() {
        let rowid = i as i64 + 1;
        sqlx::query(
            "INSERT INTO course (rowid, id, provider, level, language, bucket, published) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(rowid)
        .bind(d.id.to_string())
        .bind(d.provider.to_string())
        .bind(&d.level)
        .bind(&d.language)
        .bind(catalog::bucket_key(d.duration_minutes))
        .bind(d.published_at)
        .execute(&mut *tx)
        .await?;
        for s in &d.skills {
            sqlx::query("INSERT INTO course_skill (course, skill) VALUES (?, ?)")
                .bind(rowid)
                .bind(s)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO course_fts (rowid, title, skills, summary, instructors, provider, description) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(rowid)
        .bind(&d.title)
        .bind(d.skills.join(" , "))
        .bind(&d.summary)
        .bind(d.instructors.join(" , "))
        .bind(&d.provider_name)
        .bind(&d.description)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    for sql in [
        "CREATE INDEX course_published ON course (published DESC, id)",
        "CREATE INDEX course_skill_course ON course_skill (course, skill)",
        "INSERT INTO course_fts (course_fts) VALUES ('optimize')",
        "ANALYZE",
    ] {
        sqlx::query(sql)
            .execute(&mut db)
            .await
            .with_context(|| sql.to_owned())?;
    }
    db.close().await?;
    Ok(())
}

/// The facets, in the order the search counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Facet {
    Skill,
    Level,
    Provider,
    Language,
    Duration,
}

/// A value bound to a `?`.
enum Bind {
    Text(String),
}

/// The `WHERE` conditions for the filters, leaving out one facet's own.
fn conditions(f: &Filters, except: Option<Facet>) -> (String, Vec<Bind>) {
    let mut sql = vec!["1".to_owned()];
    let mut binds = Vec::new();
    if let Some(a) = &f.allowed {
        sql.push(format!("c.provider IN ({})", vec!["?"; a.len()].join(", ")));
        binds.extend(a.iter().map(|p| Bind::Text(p.to_string())));
        if a.is_empty() {
            sql.push("0".to_owned());
        }
    }
    let mut eq = |facet: Facet, condition: &str, value: Option<String>| {
        if except != Some(facet)
            && let Some(v) = value
        {
            sql.push(condition.to_owned());
            binds.push(Bind::Text(v));
        }
    };
    eq(
        Facet::Skill,
        "EXISTS (SELECT 1 FROM course_skill s WHERE s.course = c.rowid AND s.skill = ?)",
        f.skill.clone(),
    );
    eq(Facet::Level, "c.level = ?", f.level.clone());
    eq(
        Facet::Provider,
        "c.provider = ?",
        f.provider.map(|p| p.to_string()),
    );
    eq(Facet::Language, "c.language = ?", f.language.clone());
    eq(
        Facet::Duration,
        "c.bucket = ?",
        f.duration.map(|d| d.key().to_owned()),
    );
    (sql.join(" AND "), binds)
}

/// A statement built from this module's fixed fragments, with every value
/// bound (never spliced into the text).
fn bound(
    sql: String,
    binds: &[Bind],
) -> sqlx::query::Query<'_, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in binds {
        match b {
            Bind::Text(s) => q = q.bind(s.as_str()),
        }
    }
    q
}

/// An FTS5 query for the words: each word quoted (so no word is read as
/// an operator), all required, the last one a prefix, as tantivy's
/// type-ahead does.
fn fts5_match(q: &str) -> Option<String> {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .take(8)
        .collect();
    let (last, rest) = words.split_last()?;
    let mut m: Vec<String> = rest.iter().map(|w| format!("\"{w}\"")).collect();
    m.push(format!("\"{last}\"*"));
    Some(m.join(" "))
}

/// One search with FTS5: the matches and their bm25 rank (with the same
/// field weights as tantivy) into a temporary table once, then the page,
/// the total and each facet's counts by `GROUP BY` over them. Returns the
/// total.
async fn fts5_search(db: &mut SqliteConnection, f: &Filters) -> anyhow::Result<u64> {
    let from = match fts5_match(&f.q) {
        Some(m) => {
            sqlx::query("DELETE FROM temp.hit")
                .execute(&mut *db)
                .await?;
            // The facet columns come along, so that the counts below scan
            // this small table instead of looking each match up again.
            sqlx::query(
                "INSERT INTO temp.hit (rowid, rank, id, provider, level, language, bucket, published) \
                 SELECT f.rowid, bm25(course_fts, 3.0, 2.0, 1.0, 1.0, 1.0, 0.5), \
                 c.id, c.provider, c.level, c.language, c.bucket, c.published \
                 FROM course_fts f JOIN course c ON c.rowid = f.rowid WHERE course_fts MATCH ?",
            )
            .bind(m)
            .execute(&mut *db)
            .await?;
            "temp.hit c"
        }
        None => "course c",
    };
    let order = if f.q.trim().is_empty() {
        "c.published DESC, c.id"
    } else {
        // bm25() is lower for better matches.
        "c.rank, c.published DESC, c.id"
    };
    let (all, binds) = conditions(f, None);
    let page = format!("SELECT c.id FROM {from} WHERE {all} ORDER BY {order} LIMIT {PER_PAGE}");
    let ids = bound(page, &binds).fetch_all(&mut *db).await?;
    anyhow::ensure!(ids.len() <= PER_PAGE as usize);
    let count = format!("SELECT count(*) FROM {from} WHERE {all}");
    let total: i64 = bound(count, &binds).fetch_one(&mut *db).await?.try_get(0)?;
    for (facet, group) in [
        (Facet::Level, "c.level"),
        (Facet::Provider, "c.provider"),
        (Facet::Language, "c.language"),
        (Facet::Duration, "c.bucket"),
    ] {
        let (w, binds) = conditions(f, Some(facet));
        let sql = format!(
            "SELECT {group}, count(*) FROM {from} WHERE {w} AND {group} IS NOT NULL GROUP BY {group}"
        );
        bound(sql, &binds).fetch_all(&mut *db).await?;
    }
    let (w, binds) = conditions(f, Some(Facet::Skill));
    let sql = format!(
        "SELECT k.skill, count(*) AS n FROM {from} JOIN course_skill k ON k.course = c.rowid \
         WHERE {w} GROUP BY k.skill ORDER BY n DESC, k.skill LIMIT 15"
    );
    bound(sql, &binds).fetch_all(&mut *db).await?;
    Ok(u64::try_from(total)?)
}

async fn fts5_connection(path: &std::path::Path) -> anyhow::Result<SqliteConnection> {
    let mut db = SqliteConnection::connect_with(&sqlite_options(path)).await?;
    sqlx::query(
        "CREATE TEMP TABLE hit (rowid INTEGER PRIMARY KEY, rank REAL NOT NULL, id TEXT NOT NULL, \
         provider TEXT NOT NULL, level TEXT NOT NULL, language TEXT NOT NULL, bucket TEXT, \
         published INTEGER NOT NULL)",
    )
    .execute(&mut db)
    .await?;
    Ok(db)
}

async fn fts5_runs(
    path: &std::path::Path,
    cases: &[Case],
    queries: usize,
) -> anyhow::Result<Measured> {
    let mut db = fts5_connection(path).await?;
    // The cost of a statement's round trip through sqlx (its worker
    // thread and channel), which every FTS5 statement pays and an
    // in-process tantivy search does not: nine statements per search.
    let mut trips = Vec::new();
    for _ in 0..2000 {
        let t = Instant::now();
        sqlx::query("SELECT 1").fetch_one(&mut db).await?;
        trips.push(t.elapsed());
    }
    trips.sort_unstable();
    println!(
        "fts5     one `SELECT 1` round trip through sqlx: p50 {:.3} ms",
        trips[trips.len() / 2].as_secs_f64() * 1000.0
    );
    for c in cases {
        fts5_search(&mut db, &c.filters).await?;
    }
    let mut per_case: Vec<PerCase> = cases
        .iter()
        .map(|_| PerCase {
            total: 0,
            latencies: Vec::new(),
        })
        .collect();
    let one = {
        let started = Instant::now();
        let mut latencies = Vec::with_capacity(queries);
        for i in 0..queries {
            let k = i % cases.len();
            let t = Instant::now();
            let total = fts5_search(&mut db, &cases[k].filters).await?;
            let took = t.elapsed();
            latencies.push(took);
            per_case[k].latencies.push(took);
            per_case[k].total = total;
        }
        Run {
            latencies,
            wall: started.elapsed(),
        }
        .figures()
    };
    print("fts5", 1, &one);
    let mut second = fts5_connection(path).await?;
    let two = {
        let started = Instant::now();
        let half = cases.len() / 2;
        let (a, b) = tokio::join!(
            fts5_thread(&mut db, cases, queries, 0),
            fts5_thread(&mut second, cases, queries, half)
        );
        let mut latencies = a?;
        latencies.extend(b?);
        Run {
            latencies,
            wall: started.elapsed(),
        }
        .figures()
    };
    print("fts5", 2, &two);
    Ok(Measured { one, two, per_case })
}

/// One connection's share of the two-connection run (each connection has
/// its own sqlx worker thread, so the two run in parallel).
async fn fts5_thread(
    db: &mut SqliteConnection,
    cases: &[Case],
    queries: usize,
    offset: usize,
) -> anyhow::Result<Vec<Duration>> {
    let mut latencies = Vec::with_capacity(queries);
    for i in 0..queries {
        let t = Instant::now();
        fts5_search(db, &cases[(i + offset) % cases.len()].filters).await?;
        latencies.push(t.elapsed());
    }
    Ok(latencies)
}

/// The words of the mix come from the generator's vocabulary and lists;
/// this keeps them from drifting apart.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{LANGUAGES, LEVELS, SUBJECTS};

    #[test]
    fn the_mix_uses_words_levels_and_languages_the_catalog_has() {
        // Every word of the mix (typos and prefixes aside) is a subject.
        for c in mix() {
            if c.name.starts_with("typo") || c.name.contains("prefix") {
                continue;
            }
            for w in c.filters.q.split_whitespace() {
                assert!(SUBJECTS.contains(&w), "{w}");
            }
            if let Some(l) = &c.filters.level {
                assert!(LEVELS.contains(&l.as_str()));
            }
            if let Some(l) = &c.filters.language {
                assert!(LANGUAGES.contains(&l.as_str()));
            }
        }
        assert_eq!(fts5_match("data sec").as_deref(), Some("\"data\" \"sec\"*"));
        assert_eq!(fts5_match(" ,"), None);
    }
}
