//! Course search with tantivy: BM25 over title, skills, summary,
//! instructors, provider and description; typo tolerance (a Levenshtein
//! distance of 1 for words of 4 to 7 letters, 2 from 8); prefix matching
//! on the last word for type-ahead; and facet counts (skill, level,
//! provider, language, length) in the same pass.
//!
//! The index lives in memory on each node and is rebuilt from the database
//! at start (derived data: never backed up); writes to the catalog update
//! it at once. Alongside it, a side table holds each course's facet values
//! as small interned numbers, reached through the `n` fast field. A search
//! adds each word's clause scores into a dense array and intersects the
//! words' bit sets (see [`CourseIndex::search`]); then one pass over the
//! matches gives the exact total, every facet's counts (each with its own
//! filter left out) and the page, keeping only the best
//! `(page + 1) * per_page` matches: a search costs a few nanoseconds per
//! posting and per match, nothing is sorted or collected per match.
//! `lyceum-load search-bench` measures it (docs/benchmarks.md).

#![deny(missing_docs)]

use lyceum_core::domain::learning::DurationBucket;
use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
#[cfg(test)]
use tantivy::query::{BooleanQuery, Occur};
use tantivy::query::{BoostQuery, EnableScoring, FuzzyTermQuery, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use uuid::Uuid;

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// tantivy failed.
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// A lock was poisoned by a panic elsewhere.
    #[error("search index lock poisoned")]
    Poisoned,
}

/// A course as the index sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseDoc {
    /// Course id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Description (Markdown).
    pub description: String,
    /// Skills.
    pub skills: Vec<String>,
    /// Instructors' names.
    pub instructors: Vec<String>,
    /// Provider id.
    pub provider: Uuid,
    /// Provider name.
    pub provider_name: String,
    /// Level key.
    pub level: String,
    /// Language tag.
    pub language: String,
    /// Minutes.
    pub duration_minutes: u32,
    /// First publication, milliseconds since the epoch.
    pub published_at: i64,
}

/// What to look for. Filters match exactly.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Words.
    pub q: String,
    /// A skill.
    pub skill: Option<String>,
    /// A level key.
    pub level: Option<String>,
    /// A provider.
    pub provider: Option<Uuid>,
    /// A language tag.
    pub language: Option<String>,
    /// A length.
    pub duration: Option<DurationBucket>,
    /// Only these providers (a guest's library licences).
    pub allowed: Option<Vec<Uuid>>,
}

/// Facet counts, each with its own filter left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FacetCounts {
    /// The 15 commonest skills.
    pub skills: Vec<(String, u64)>,
    /// Levels.
    pub levels: Vec<(String, u64)>,
    /// Providers.
    pub providers: Vec<(Uuid, u64)>,
    /// Languages.
    pub languages: Vec<(String, u64)>,
    /// Lengths.
    pub durations: Vec<(DurationBucket, u64)>,
}

/// A page of results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hits {
    /// The page's courses, best first (newest first without words).
    pub ids: Vec<Uuid>,
    /// Matching courses in all.
    pub total: u64,
    /// Facet counts.
    pub facets: FacetCounts,
}

/// A facet's values, each given a small number the first time it is seen,
/// so that counting a match is an increment in a vector rather than a
/// string hashed per document. Numbers are never reused; a value no course
/// has any more simply counts zero (and zero counts are not reported).
#[derive(Debug)]
struct Interner<K> {
    numbers: HashMap<K, u32>,
    values: Vec<K>,
}

impl<K> Default for Interner<K> {
    fn default() -> Self {
        Self {
            numbers: HashMap::new(),
            values: Vec::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Clone> Interner<K> {
    fn intern(&mut self, k: K) -> u32 {
        if let Some(n) = self.numbers.get(&k) {
            return *n;
        }
        // More than four billion distinct values of one facet is not a
        // catalog we will see; saturating keeps this total without a panic.
        let n = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.values.push(k.clone());
        self.numbers.insert(k, n);
        n
    }

    fn get<Q>(&self, k: &Q) -> Option<u32>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        self.numbers.get(k).copied()
    }

    fn len(&self) -> usize {
        self.values.len()
    }
}

/// No duration bucket (a length outside every bucket's range).
const NO_BUCKET: u8 = u8::MAX;

/// Skills kept in a course's row; most courses have no more.
const INLINE_SKILLS: usize = 3;

/// One course's facet values, as interned numbers, in 32 bytes: a search
/// reads the row of every match, and for a selective query the matches are
/// scattered, so each row costs a cache miss. Keeping the first skills in
/// the row (rather than only a pointer into a shared array) makes that one
/// miss rather than two, which measurably halves the per-match cost.
#[derive(Debug, Clone, Copy)]
struct Row {
    provider: u32,
    level: u32,
    language: u32,
    /// The first skills (`skill_count` of them, at most `INLINE_SKILLS`).
    first_skills: [u32; INLINE_SKILLS],
    /// The rest: `Metas::more_skills[more_skills..]`, `skill_count - INLINE_SKILLS` of them.
    more_skills: u32,
    skill_count: u16,
    /// Index into `DurationBucket::ALL`, or `NO_BUCKET`.
    bucket: u8,
    /// False once the course was removed or replaced.
    is_live: bool,
}

/// The side table the index's `n` fast field points into: column `x[n]` is
/// the `n`th course added since the last rebuild. Rows, ids and times are
/// kept apart because a search reads every matching row but the id and
/// time only of courses that may reach the page.
#[derive(Debug, Default)]
struct Metas {
    rows: Vec<Row>,
    ids: Vec<Uuid>,
    published: Vec<i64>,
    /// Skill numbers past each course's first `INLINE_SKILLS`, one run per
    /// course. Skills are kept in the course's order, duplicates too, as
    /// they were given.
    more_skills: Vec<u32>,
    by_id: HashMap<Uuid, u64>,
    skills: Interner<String>,
    levels: Interner<String>,
    languages: Interner<String>,
    providers: Interner<Uuid>,
    /// Per segment of the current searcher, each document's `n` (or
    /// `NO_COURSE`): the `n` fast field read once at commit, because a
    /// search reads it for every match.
    doc_n: HashMap<tantivy::index::SegmentId, Vec<u32>>,
}

/// In [`Metas::doc_n`]: a document without a course number.
const NO_COURSE: u32 = u32::MAX;

/// Every document's `n` in one segment.
fn doc_numbers(segment: &tantivy::SegmentReader) -> Result<Vec<u32>, SearchError> {
    let n = segment.fast_fields().u64("n")?;
    Ok((0..segment.max_doc())
        .map(|doc| {
            n.first(doc)
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(NO_COURSE)
        })
        .collect())
}

impl Metas {
    /// Drops a course (its slot and skill run stay, dead, until the next
    /// rebuild).
    fn forget(&mut self, id: Uuid) {
        let row = self
            .by_id
            .remove(&id)
            .and_then(|n| self.rows.get_mut(usize::try_from(n).ok()?));
        if let Some(row) = row {
            row.is_live = false;
        }
    }

    /// Appends a course; returns its `n`.
    fn push(&mut self, d: &CourseDoc) -> u64 {
        let n = self.rows.len() as u64;
        let more_skills = u32::try_from(self.more_skills.len()).unwrap_or(u32::MAX);
        let mut first_skills = [0; INLINE_SKILLS];
        // Past 65,535 skills a course's further skills are not counted.
        let skills = &d.skills[..d.skills.len().min(usize::from(u16::MAX))];
        for (i, s) in skills.iter().enumerate() {
            let k = self.skills.intern(s.clone());
            match first_skills.get_mut(i) {
                Some(slot) => *slot = k,
                None => self.more_skills.push(k),
            }
        }
        let bucket = DurationBucket::ALL
            .into_iter()
            .position(|b| {
                let (from, to) = b.minutes();
                d.duration_minutes >= from && d.duration_minutes < to
            })
            .and_then(|i| u8::try_from(i).ok())
            .unwrap_or(NO_BUCKET);
        self.rows.push(Row {
            provider: self.providers.intern(d.provider),
            level: self.levels.intern(d.level.clone()),
            language: self.languages.intern(d.language.clone()),
            first_skills,
            more_skills,
            skill_count: u16::try_from(skills.len()).unwrap_or(u16::MAX),
            bucket,
            is_live: true,
        });
        self.ids.push(d.id);
        self.published.push(d.published_at);
        self.by_id.insert(d.id, n);
        n
    }

    /// A course's skills: those in its row, and the rest.
    fn skills_of<'r>(&'r self, r: &'r Row) -> (&'r [u32], &'r [u32]) {
        let count = usize::from(r.skill_count);
        let first = r
            .first_skills
            .get(..count.min(INLINE_SKILLS))
            .unwrap_or(&[]);
        if count <= INLINE_SKILLS {
            return (first, &[]);
        }
        let from = r.more_skills as usize;
        let more = self
            .more_skills
            .get(from..from.saturating_add(count - INLINE_SKILLS))
            .unwrap_or(&[]);
        (first, more)
    }
}

/// A filter turned into facet numbers. `Some(None)` is a filter on a value
/// no course has: nothing passes it.
type Wanted = Option<Option<u32>>;

fn passes(wanted: Wanted, value: u32) -> bool {
    wanted.is_none_or(|w| w == Some(value))
}

/// The filters of one search, in the side table's numbers.
#[derive(Debug)]
struct Plan {
    skill: Wanted,
    level: Wanted,
    provider: Wanted,
    language: Wanted,
    duration: Option<u8>,
    /// By provider number: whether the provider is allowed.
    allowed: Option<Vec<bool>>,
    /// No facet filter at all (the commonest search): every allowed match
    /// counts in every facet.
    unfiltered: bool,
}

impl Plan {
    fn new(f: &Filters, metas: &Metas) -> Self {
        let allowed = f.allowed.as_ref().map(|a| {
            let mut ok = vec![false; metas.providers.len()];
            for p in a {
                if let Some(slot) = metas.providers.get(p).and_then(|n| ok.get_mut(n as usize)) {
                    *slot = true;
                }
            }
            ok
        });
        Self {
            skill: f.skill.as_deref().map(|s| metas.skills.get(s)),
            level: f.level.as_deref().map(|l| metas.levels.get(l)),
            provider: f.provider.map(|p| metas.providers.get(&p)),
            language: f.language.as_deref().map(|l| metas.languages.get(l)),
            duration: f.duration.map(|d| {
                DurationBucket::ALL
                    .into_iter()
                    .position(|b| b == d)
                    .and_then(|i| u8::try_from(i).ok())
                    .unwrap_or(NO_BUCKET)
            }),
            unfiltered: f.skill.is_none()
                && f.level.is_none()
                && f.provider.is_none()
                && f.language.is_none()
                && f.duration.is_none(),
            allowed,
        }
    }
}

/// A match as the page orders it: better compares greater (higher score,
/// then newer, then the smaller id so that ties have one order).
#[derive(Debug, Clone, Copy)]
struct Ranked {
    score: f32,
    published: i64,
    id: Uuid,
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.score
            .total_cmp(&other.score)
            .then(self.published.cmp(&other.published))
            .then(other.id.cmp(&self.id))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Ranked {}

/// What one pass over the matches gathers: the exact total, every facet's
/// counts (each with its own filter left out) and only the best `keep`
/// matches, so the cost per match is fixed however many match.
struct Tally<'a> {
    metas: &'a Metas,
    plan: Plan,
    total: u64,
    // Counts by facet number. `u32` keeps the skill counts of a large
    // catalog (thousands of skills) small enough to stay in cache.
    skills: Vec<u32>,
    /// The skills counted at least once, so reporting them does not walk
    /// every skill the catalog has.
    skills_seen: Vec<u32>,
    levels: Vec<u32>,
    providers: Vec<u32>,
    languages: Vec<u32>,
    durations: [u32; 3],
    keep: usize,
    /// The best `keep` so far, and newer candidates (see `rank`).
    best: Vec<Ranked>,
    /// The worst of the best `keep` as of the last pruning: nothing that
    /// does not beat it can reach the page.
    threshold: Option<Ranked>,
}

impl<'a> Tally<'a> {
    fn new(metas: &'a Metas, plan: Plan, keep: usize) -> Self {
        Self {
            metas,
            plan,
            total: 0,
            skills: vec![0; metas.skills.len()],
            skills_seen: Vec::new(),
            levels: vec![0; metas.levels.len()],
            providers: vec![0; metas.providers.len()],
            languages: vec![0; metas.languages.len()],
            durations: [0; 3],
            keep,
            best: Vec::with_capacity(Self::room(keep).min(4096)),
            threshold: None,
        }
    }

    /// Takes in course `n`, matched with `score`.
    fn add(&mut self, n: usize, score: f32) {
        let metas = self.metas;
        let Some(row) = metas.rows.get(n) else {
            return;
        };
        if !row.is_live {
            return;
        }
        let p = &self.plan;
        if let Some(a) = &p.allowed
            && !a.get(row.provider as usize).copied().unwrap_or(false)
        {
            return;
        }
        let skills = metas.skills_of(row);
        if p.unfiltered {
            for facet in 0..5 {
                self.count(facet, row, skills);
            }
            self.total += 1;
            self.rank(n, score);
            return;
        }
        // Which filters the course passes: skill, level, provider,
        // language, length. A facet counts the courses that pass every
        // filter but its own, so a course failing two counts nowhere.
        let ok = [
            p.skill
                .is_none_or(|s| s.is_some_and(|s| skills.0.contains(&s) || skills.1.contains(&s))),
            passes(p.level, row.level),
            passes(p.provider, row.provider),
            passes(p.language, row.language),
            p.duration.is_none_or(|d| d == row.bucket),
        ];
        let failed = ok.iter().filter(|ok| !**ok).count();
        if failed == 0 {
            for facet in 0..5 {
                self.count(facet, row, skills);
            }
            self.total += 1;
            self.rank(n, score);
        } else if failed == 1
            && let Some(facet) = ok.iter().position(|ok| !*ok)
        {
            self.count(facet, row, skills);
        }
    }

    fn count(&mut self, facet: usize, row: &Row, skills: (&[u32], &[u32])) {
        let bump = |counts: &mut Vec<u32>, n: u32| {
            if let Some(c) = counts.get_mut(n as usize) {
                *c += 1;
            }
        };
        match facet {
            0 => {
                for s in skills.0.iter().chain(skills.1) {
                    if let Some(c) = self.skills.get_mut(*s as usize) {
                        if *c == 0 {
                            self.skills_seen.push(*s);
                        }
                        *c += 1;
                    }
                }
            }
            1 => bump(&mut self.levels, row.level),
            2 => bump(&mut self.providers, row.provider),
            3 => bump(&mut self.languages, row.language),
            _ => {
                if let Some(c) = self.durations.get_mut(row.bucket as usize) {
                    *c += 1;
                }
            }
        }
    }

    /// How many candidates are held before pruning back to `keep`.
    fn room(keep: usize) -> usize {
        keep.saturating_mul(2).max(64)
    }

    /// Considers course `n` for the page.
    ///
    /// Not a heap: matches arrive roughly oldest first, and many share a
    /// score (every typo match scores the same), so nearly each one beats
    /// the worst kept and a heap would be reordered on every match.
    /// Instead candidates that beat the last threshold are appended, and
    /// every `keep` or so the best `keep` are selected in linear time and
    /// the threshold raised: a constant cost per match.
    fn rank(&mut self, n: usize, score: f32) {
        if self.keep == 0 {
            return;
        }
        // Most matches lose on score alone: decide those without reading
        // the id and time columns.
        if self.threshold.is_some_and(|t| score < t.score) {
            return;
        }
        let (Some(published), Some(id)) = (self.metas.published.get(n), self.metas.ids.get(n))
        else {
            return;
        };
        let r = Ranked {
            score,
            published: *published,
            id: *id,
        };
        if self.threshold.is_some_and(|t| r <= t) {
            return;
        }
        self.best.push(r);
        if self.best.len() >= Self::room(self.keep) {
            self.prune();
        }
    }

    /// Keeps only the best `keep` candidates, best first.
    fn prune(&mut self) {
        if self.best.len() > self.keep {
            self.best
                .select_nth_unstable_by(self.keep - 1, |a, b| b.cmp(a));
            self.best.truncate(self.keep);
            self.threshold = self.best.iter().min().copied();
        }
    }

    fn hits(mut self, start: usize) -> Hits {
        self.prune();
        self.best.sort_unstable_by(|a, b| b.cmp(a));
        let ids = self.best.iter().skip(start).map(|r| r.id).collect();
        // Commonest first, then by name; only the first `limit` are named
        // (a catalog has thousands of skills and the page shows 15, so
        // choose before cloning and sorting).
        // Commonest first, then by name; only the first `limit` are named
        // (a catalog has thousands of skills and the page shows 15, so
        // choose before cloning and sorting).
        fn named<'n>(
            counted: impl Iterator<Item = (u32, &'n String)>,
            limit: usize,
        ) -> Vec<(String, u64)> {
            let mut v: Vec<(u32, &str)> = counted
                .filter(|(n, _)| *n > 0)
                .map(|(n, k)| (n, k.as_str()))
                .collect();
            if v.len() > limit && limit > 0 {
                // Find the smallest count that makes the cut comparing
                // counts only (names compare slowly, and many skills tie on
                // small counts), then keep everything at or above it.
                let (_, cut, _) = v.select_nth_unstable_by(limit - 1, |a, b| b.0.cmp(&a.0));
                let cut = cut.0;
                v.retain(|(n, _)| *n >= cut);
            }
            v.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
            v.truncate(limit);
            v.into_iter()
                .map(|(n, k)| (k.to_owned(), u64::from(n)))
                .collect()
        }
        let skills = named(
            self.skills_seen.iter().filter_map(|k| {
                Some((
                    *self.skills.get(*k as usize)?,
                    self.metas.skills.values.get(*k as usize)?,
                ))
            }),
            15,
        );
        let dense = |counts: &[u32], i: &'a Interner<String>| {
            named(counts.iter().copied().zip(&i.values), usize::MAX)
        };
        let mut providers: Vec<(Uuid, u64)> = self
            .providers
            .into_iter()
            .zip(&self.metas.providers.values)
            .filter(|(n, _)| *n > 0)
            .map(|(n, k)| (*k, u64::from(n)))
            .collect();
        providers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Hits {
            ids,
            total: self.total,
            facets: FacetCounts {
                skills,
                levels: dense(&self.levels, &self.metas.levels),
                providers,
                languages: dense(&self.languages, &self.metas.languages),
                durations: DurationBucket::ALL
                    .into_iter()
                    .zip(self.durations)
                    .filter(|(_, n)| *n > 0)
                    .map(|(b, n)| (b, u64::from(n)))
                    .collect(),
            },
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    n: Field,
    title: Field,
    skills: Field,
    summary: Field,
    instructors: Field,
    provider: Field,
    description: Field,
    /// Every word of the six text fields together, for typo and prefix
    /// matching (see `word_clauses`).
    words: Field,
}

/// The course index.
pub struct CourseIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    metas: RwLock<Metas>,
}

impl std::fmt::Debug for CourseIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CourseIndex").finish_non_exhaustive()
    }
}

/// Lower-case words of letters and digits, as the default tokenizer
/// makes them.
fn words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .take(8)
        .collect()
}

impl CourseIndex {
    /// An empty index in memory.
    pub fn new() -> Result<Self, SearchError> {
        let mut b = Schema::builder();
        // Term frequencies for BM25, no positions: nothing searches phrases.
        let text = |record: IndexRecordOption| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("default")
                    .set_index_option(record),
            )
        };
        let scored = text(IndexRecordOption::WithFreqs);
        let fields = Fields {
            id: b.add_text_field("id", STRING),
            n: b.add_u64_field("n", FAST | INDEXED),
            title: b.add_text_field("title", scored.clone()),
            skills: b.add_text_field("skills", scored.clone()),
            summary: b.add_text_field("summary", scored.clone()),
            instructors: b.add_text_field("instructors", scored.clone()),
            provider: b.add_text_field("provider", scored.clone()),
            description: b.add_text_field("description", scored),
            words: b.add_text_field("words", text(IndexRecordOption::Basic)),
        };
        let index = Index::create_in_ram(b.build());
        let writer = index.writer_with_num_threads(1, 50_000_000)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            reader,
            writer: Mutex::new(writer),
            fields,
            metas: RwLock::new(Metas::default()),
        })
    }

    fn add(
        &self,
        writer: &IndexWriter,
        metas: &mut Metas,
        d: CourseDoc,
    ) -> Result<(), SearchError> {
        let f = self.fields;
        metas.forget(d.id);
        writer.delete_term(Term::from_field_text(f.id, &d.id.to_string()));
        let n = metas.push(&d);
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, d.id.to_string());
        doc.add_u64(f.n, n);
        let skills = d.skills.join(" , ");
        let instructors = d.instructors.join(" , ");
        for (field, text) in [
            (f.title, &d.title),
            (f.skills, &skills),
            (f.summary, &d.summary),
            (f.instructors, &instructors),
            (f.provider, &d.provider_name),
            (f.description, &d.description),
        ] {
            doc.add_text(field, text);
            doc.add_text(f.words, text);
        }
        writer.add_document(doc)?;
        Ok(())
    }

    /// Commits, makes the new documents visible, and reads the course
    /// numbers of any new segment (segments never change once written; a
    /// merge makes a new one).
    fn commit(&self, writer: &mut IndexWriter, metas: &mut Metas) -> Result<(), SearchError> {
        writer.commit()?;
        self.reader.reload()?;
        let mut doc_n = HashMap::new();
        for segment in self.reader.searcher().segment_readers() {
            let id = segment.segment_id();
            let numbers = match metas.doc_n.remove(&id) {
                Some(numbers) => numbers,
                None => doc_numbers(segment)?,
            };
            doc_n.insert(id, numbers);
        }
        metas.doc_n = doc_n;
        Ok(())
    }

    /// Replaces everything with these courses (the rebuild).
    pub fn replace_all(&self, docs: Vec<CourseDoc>) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        let mut metas = self.metas.write().map_err(|_| SearchError::Poisoned)?;
        writer.delete_all_documents()?;
        *metas = Metas::default();
        for d in docs {
            self.add(&writer, &mut metas, d)?;
        }
        self.commit(&mut writer, &mut metas)
    }

    /// Adds or replaces courses; visible to searches on return.
    pub fn upsert(&self, docs: Vec<CourseDoc>) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        let mut metas = self.metas.write().map_err(|_| SearchError::Poisoned)?;
        for d in docs {
            self.add(&writer, &mut metas, d)?;
        }
        self.commit(&mut writer, &mut metas)
    }

    /// Removes a course (unpublished or deleted).
    pub fn remove(&self, id: Uuid) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        let mut metas = self.metas.write().map_err(|_| SearchError::Poisoned)?;
        metas.forget(id);
        writer.delete_term(Term::from_field_text(self.fields.id, &id.to_string()));
        self.commit(&mut writer, &mut metas)
    }

    /// Courses in the index.
    pub fn len(&self) -> usize {
        self.metas.read().map(|m| m.by_id.len()).unwrap_or(0)
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every word must match. A word matches a course that has it, or
    /// (from four letters) a word within a typo or two of it, or (the last
    /// word, for type-ahead) a word it begins.
    ///
    /// The exact word scores with BM25 in each field, weighted (title 3,
    /// skills 2, summary, instructors and provider 1, description 0.5).
    /// Typos and prefixes are matched once against all the words of a
    /// course (the `words` field) with a constant score: the same courses
    /// as matching them field by field, at a sixth of the cost, because a
    /// typo or prefix query walks every posting of every word it expands
    /// to. What is lost is only which field a typo was found in.
    ///
    /// One list of clauses per word, in the order their scores are added.
    fn word_clauses(&self, q: &str) -> Vec<Vec<Box<dyn Query>>> {
        let f = self.fields;
        let weighted = [
            (f.title, 3.0),
            (f.skills, 2.0),
            (f.summary, 1.0),
            (f.instructors, 1.0),
            (f.provider, 1.0),
            (f.description, 0.5),
        ];
        let ws = words(q);
        let last = ws.len().saturating_sub(1);
        ws.iter()
            .enumerate()
            .map(|(i, w)| {
                let distance = match w.chars().count() {
                    0..=3 => 0,
                    4..=7 => 1,
                    _ => 2,
                };
                let mut clauses: Vec<Box<dyn Query>> = Vec::new();
                for (field, weight) in weighted {
                    clauses.push(Box::new(BoostQuery::new(
                        Box::new(TermQuery::new(
                            Term::from_field_text(field, w),
                            IndexRecordOption::WithFreqs,
                        )),
                        weight * 2.0,
                    )));
                }
                let any = Term::from_field_text(f.words, w);
                if distance > 0 {
                    clauses.push(Box::new(FuzzyTermQuery::new(any.clone(), distance, true)));
                }
                if i == last {
                    clauses.push(Box::new(FuzzyTermQuery::new_prefix(any, 0, true)));
                }
                clauses
            })
            .collect()
    }

    /// The same search as one tantivy query (every word a `Must` of its
    /// clauses as `Should`s): what [`CourseIndex::search`] computes, the
    /// slow way. The tests compare the two.
    #[cfg(test)]
    fn text_query(&self, q: &str) -> Option<Box<dyn Query>> {
        let musts: Vec<(Occur, Box<dyn Query>)> = self
            .word_clauses(q)
            .into_iter()
            .map(|clauses| {
                let shoulds = clauses.into_iter().map(|c| (Occur::Should, c)).collect();
                (
                    Occur::Must,
                    Box::new(BooleanQuery::new(shoulds)) as Box<dyn Query>,
                )
            })
            .collect();
        (!musts.is_empty()).then(|| Box::new(BooleanQuery::new(musts)) as Box<dyn Query>)
    }

    /// Searches: the page asked for, the total and the facet counts.
    ///
    /// Each clause of each word is walked once, in a tight loop, adding its
    /// score into a dense array (one number per document of the segment)
    /// and marking the word's documents in a bit set; the words' sets are
    /// intersected 64 documents at a time. This costs less than tantivy's
    /// own union and intersection scorers, which merge the clauses
    /// document by document through dynamic calls, and gives the same
    /// scores: per word, the clauses are added in the same order.
    ///
    /// Then one pass over the matches: each costs a fast-field read, a few
    /// integer compares and increments, and (only if it can still reach
    /// the page) a place among the best `(page + 1) * per_page`; nothing is
    /// collected or sorted per match.
    pub fn search(&self, f: &Filters, page: u64, per_page: u64) -> Result<Hits, SearchError> {
        // The side table first: writers hold it across commit and reload,
        // so the searcher taken under it sees exactly the courses it holds
        // (the other order could pair an older searcher with a newer table,
        // and a course replaced in between would be missed).
        let metas = self.metas.read().map_err(|_| SearchError::Poisoned)?;
        let searcher = self.reader.searcher();
        let start = usize::try_from(page.saturating_mul(per_page)).unwrap_or(usize::MAX);
        let keep = start.saturating_add(usize::try_from(per_page).unwrap_or(usize::MAX));
        let mut tally = Tally::new(&metas, Plan::new(f, &metas), keep);
        let clauses = self.word_clauses(&f.q);
        if clauses.is_empty() {
            // Without words every course matches with the same score: walk
            // the side table (which holds exactly the indexed courses, both
            // being changed under the writer lock) instead of the index.
            //
            // Courses arrive in order of their last change, so the newest
            // tend to have the highest `n`: walking backwards finds the
            // page's winners early, and later rows fail the threshold
            // without being kept.
            for n in (0..metas.rows.len()).rev() {
                tally.add(n, 0.0);
            }
            return Ok(tally.hits(start));
        }
        let scoring = EnableScoring::enabled_from_searcher(&searcher);
        let weights = clauses
            .iter()
            .map(|word| {
                word.iter()
                    .map(|c| c.weight(scoring))
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        for segment in searcher.segment_readers() {
            let max_doc = segment.max_doc() as usize;
            let blocks = max_doc.div_ceil(64);
            let mut scores = vec![0f32; max_doc];
            let mut matched: Option<Vec<u64>> = None;
            for word in &weights {
                let mut has = vec![0u64; blocks];
                for clause in word {
                    clause.for_each(segment, &mut |doc, score| {
                        let d = doc as usize;
                        if let Some(s) = scores.get_mut(d) {
                            *s += score;
                        }
                        if let Some(b) = has.get_mut(d / 64) {
                            *b |= 1 << (d % 64);
                        }
                    })?;
                }
                matched = Some(match matched {
                    None => has,
                    Some(mut m) => {
                        m.iter_mut().zip(&has).for_each(|(m, h)| *m &= h);
                        m
                    }
                });
            }
            let read;
            let doc_n = match metas.doc_n.get(&segment.segment_id()) {
                Some(numbers) => numbers,
                None => {
                    read = doc_numbers(segment)?;
                    &read
                }
            };
            let alive = segment.alive_bitset();
            // Newest first (documents are numbered in the order courses
            // were written): among equal scores the newest win, so walking
            // backwards lets the threshold turn most ties away at once.
            let matched = matched.unwrap_or_default();
            for (block, bits) in matched.iter().enumerate().rev() {
                let mut bits = *bits;
                while bits != 0 {
                    let bit = 63 - bits.leading_zeros() as usize;
                    bits &= !(1u64 << bit);
                    let doc = block * 64 + bit;
                    let (Ok(doc32), Some(n), Some(score)) =
                        (u32::try_from(doc), doc_n.get(doc), scores.get(doc))
                    else {
                        continue;
                    };
                    if *n == NO_COURSE || alive.is_some_and(|a| a.is_deleted(doc32)) {
                        continue;
                    }
                    tally.add(*n as usize, *score);
                }
            }
        }
        Ok(tally.hits(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn course(
        title: &str,
        skills: &[&str],
        level: &str,
        minutes: u32,
        published: i64,
    ) -> CourseDoc {
        CourseDoc {
            id: Uuid::new_v4(),
            title: title.into(),
            summary: format!("All about {title}."),
            description: String::new(),
            skills: skills.iter().map(|s| (*s).to_owned()).collect(),
            instructors: vec!["Ada Example".into()],
            provider: Uuid::nil(),
            provider_name: "Riverside Learning Lab".into(),
            level: level.into(),
            language: "en".into(),
            duration_minutes: minutes,
            published_at: published,
        }
    }

    #[test]
    fn finds_with_typos_prefixes_and_counts_facets() {
        let index = CourseIndex::new().expect("index");
        let a = course(
            "Spreadsheets for everyone",
            &["Spreadsheets", "Budgeting"],
            "beginner",
            45,
            3,
        );
        let b = course(
            "Advanced spreadsheet modelling",
            &["Spreadsheets"],
            "advanced",
            300,
            2,
        );
        let c = course("Writing a CV", &["CV writing"], "beginner", 30, 1);
        index
            .replace_all(vec![a.clone(), b.clone(), c.clone()])
            .expect("build");
        let q = |q: &str| Filters {
            q: q.into(),
            ..Default::default()
        };
        let hits = index.search(&q("spreadsheets"), 0, 10).expect("search");
        assert_eq!(hits.total, 2);
        assert_eq!(
            index.search(&q("spredsheets"), 0, 10).expect("s").total,
            2,
            "one typo"
        );
        assert_eq!(
            index.search(&q("sprea"), 0, 10).expect("s").total,
            2,
            "prefix of the last word"
        );
        assert_eq!(
            index.search(&q("ada"), 0, 10).expect("s").total,
            3,
            "instructor"
        );
        assert_eq!(index.search(&q("zzzz"), 0, 10).expect("s").total, 0);
        let all = index.search(&Filters::default(), 0, 10).expect("s");
        assert_eq!(
            all.ids,
            vec![a.id, b.id, c.id],
            "newest first without words"
        );
        let mut f = q("spreadsheets");
        f.level = Some("beginner".into());
        let hits = index.search(&f, 0, 10).expect("s");
        assert_eq!(hits.ids, vec![a.id]);
        assert_eq!(
            hits.facets.levels,
            vec![("advanced".into(), 1), ("beginner".into(), 1)],
            "a facet ignores its own filter"
        );
        index.remove(a.id).expect("remove");
        assert_eq!(
            index.search(&q("spreadsheets"), 0, 10).expect("s").total,
            1,
            "visible at once"
        );
        let mut a2 = a.clone();
        a2.title = "Budgets in a weekend".into();
        index.upsert(vec![a2]).expect("upsert");
        assert_eq!(index.search(&q("weekend"), 0, 10).expect("s").total, 1);
        assert_eq!(index.len(), 3);
    }

    /// splitmix64: a small deterministic generator, so a failure replays.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }

        fn chance(&mut self, one_in: usize) -> bool {
            self.below(one_in) == 0
        }
    }

    const WORDS: &[&str] = &[
        "data",
        "date",
        "design",
        "systems",
        "spreadsheets",
        "budget",
        "writing",
        "history",
        "energy",
        "networks",
        "databases",
        "python",
        "learning",
        "leadership",
        "gardening",
        "ethics",
    ];
    const SKILLS: &[&str] = &[
        "Data",
        "Design",
        "Budgeting",
        "Writing",
        "Python",
        "History",
        "Energy",
        "Leadership",
        "SQL",
        "Ethics",
        "Gardening",
        "Statistics",
    ];
    const LEVELS: &[&str] = &["beginner", "intermediate", "advanced"];
    const LANGUAGES: &[&str] = &["en", "es", "fr", "de"];

    fn provider(k: usize) -> Uuid {
        Uuid::from_u128(k as u128 + 1)
    }

    fn generated(rng: &mut Rng) -> CourseDoc {
        fn sentence(rng: &mut Rng, n: usize) -> String {
            (0..n)
                .map(|_| rng.pick(WORDS))
                .collect::<Vec<_>>()
                .join(" ")
        }
        let n = 2 + rng.below(3);
        let title = sentence(rng, n);
        let n = 3 + rng.below(4);
        let summary = sentence(rng, n);
        let n = rng.below(8);
        let description = sentence(rng, n);
        // Duplicated skills happen by chance, and count once per mention.
        // Up to five, so some spill past the row's inline skills.
        let skills = (0..rng.below(6))
            .map(|_| rng.pick(SKILLS).to_owned())
            .collect();
        let k = rng.below(5);
        CourseDoc {
            id: Uuid::from_u128(u128::from(rng.next())),
            title,
            summary,
            description,
            skills,
            instructors: vec![
                rng.pick(&["Ada Lovelace", "Grace Hopper", "Alan Turing"])
                    .into(),
            ],
            provider: provider(k),
            provider_name: format!("Provider {k}"),
            level: rng.pick(LEVELS).into(),
            language: rng.pick(LANGUAGES).into(),
            // Now and then a length outside every bucket.
            duration_minutes: if rng.chance(50) {
                u32::MAX
            } else {
                rng.below(400) as u32
            },
            // Few distinct times, so ties on score and time are common.
            published_at: rng.below(40) as i64,
        }
    }

    fn random_filters(rng: &mut Rng) -> Filters {
        const QUERIES: &[&str] = &[
            "",
            "",
            "data",
            "date",
            "dta",
            "spredsheets",
            "sprea",
            "data design",
            "histroy writing",
            "pyth",
            "zzzz",
            "leadership budget",
            "ada",
            "provider",
            "d",
        ];
        let one_of = |rng: &mut Rng, values: &[&str], unknown: &str| {
            let v = if rng.chance(8) {
                unknown
            } else {
                rng.pick(values)
            };
            v.to_owned()
        };
        Filters {
            q: rng.pick(QUERIES).into(),
            skill: rng.chance(3).then(|| one_of(rng, SKILLS, "Knitting")),
            level: rng.chance(3).then(|| one_of(rng, LEVELS, "expert")),
            provider: rng.chance(4).then(|| provider(rng.below(6))),
            language: rng.chance(4).then(|| one_of(rng, LANGUAGES, "it")),
            duration: rng
                .chance(4)
                .then(|| DurationBucket::ALL[rng.below(DurationBucket::ALL.len())]),
            allowed: rng
                .chance(4)
                .then(|| (0..6).filter(|_| rng.chance(2)).map(provider).collect()),
        }
    }

    /// The search done the obvious way: every match and its score from
    /// tantivy, then string filters, hash-map counts and a full sort over
    /// the courses themselves.
    fn brute_force(
        index: &CourseIndex,
        courses: &HashMap<Uuid, CourseDoc>,
        f: &Filters,
        page: u64,
        per_page: u64,
    ) -> Hits {
        use tantivy::collector::TopDocs;
        let matches: Vec<(f32, &CourseDoc)> = match index.text_query(&f.q) {
            None => courses.values().map(|c| (0.0, c)).collect(),
            Some(query) => {
                let searcher = index.reader.searcher();
                let limit = (searcher.num_docs() as usize).max(1);
                let metas = index.metas.read().expect("metas");
                searcher
                    .search(&query, &TopDocs::with_limit(limit))
                    .expect("search")
                    .into_iter()
                    .map(|(score, address)| {
                        let n = searcher
                            .segment_reader(address.segment_ord)
                            .fast_fields()
                            .u64("n")
                            .expect("n")
                            .first(address.doc_id)
                            .expect("every document has n");
                        assert!(metas.rows[n as usize].is_live, "a live document");
                        let id = metas.ids[n as usize];
                        (score, &courses[&id])
                    })
                    .collect()
            }
        };
        let bucket_of = |c: &CourseDoc| {
            DurationBucket::ALL.into_iter().find(|b| {
                let (from, to) = b.minutes();
                c.duration_minutes >= from && c.duration_minutes < to
            })
        };
        let mut skills: HashMap<&str, u64> = HashMap::new();
        let mut levels: HashMap<&str, u64> = HashMap::new();
        let mut providers: HashMap<Uuid, u64> = HashMap::new();
        let mut languages: HashMap<&str, u64> = HashMap::new();
        let mut durations: HashMap<DurationBucket, u64> = HashMap::new();
        let mut hits = Vec::new();
        for (score, c) in matches {
            if f.allowed.as_ref().is_some_and(|a| !a.contains(&c.provider)) {
                continue;
            }
            let p = [
                f.skill.as_ref().is_none_or(|s| c.skills.contains(s)),
                f.level.as_ref().is_none_or(|l| &c.level == l),
                f.provider.is_none_or(|p| c.provider == p),
                f.language.as_ref().is_none_or(|l| &c.language == l),
                f.duration.is_none_or(|d| bucket_of(c) == Some(d)),
            ];
            let all_but = |i: usize| p.iter().enumerate().all(|(j, ok)| j == i || *ok);
            if all_but(0) {
                for s in &c.skills {
                    *skills.entry(s).or_default() += 1;
                }
            }
            if all_but(1) {
                *levels.entry(&c.level).or_default() += 1;
            }
            if all_but(2) {
                *providers.entry(c.provider).or_default() += 1;
            }
            if all_but(3) {
                *languages.entry(&c.language).or_default() += 1;
            }
            if all_but(4)
                && let Some(b) = bucket_of(c)
            {
                *durations.entry(b).or_default() += 1;
            }
            if p.iter().all(|ok| *ok) {
                hits.push((score, c));
            }
        }
        hits.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then(b.1.published_at.cmp(&a.1.published_at))
                .then(a.1.id.cmp(&b.1.id))
        });
        let sorted = |m: HashMap<&str, u64>| {
            let mut v: Vec<(String, u64)> = m.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v
        };
        let mut top_skills = sorted(skills);
        top_skills.truncate(15);
        let mut providers: Vec<(Uuid, u64)> = providers.into_iter().collect();
        providers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Hits {
            ids: hits
                .iter()
                .skip((page * per_page) as usize)
                .take(per_page as usize)
                .map(|(_, c)| c.id)
                .collect(),
            total: hits.len() as u64,
            facets: FacetCounts {
                skills: top_skills,
                levels: sorted(levels),
                providers,
                languages: sorted(languages),
                durations: DurationBucket::ALL
                    .into_iter()
                    .filter_map(|b| durations.get(&b).map(|n| (b, *n)))
                    .collect(),
            },
        }
    }

    #[test]
    fn pages_totals_and_facet_counts_match_a_brute_force_search() {
        // A generated catalog of a few thousand courses, partly replaced
        // and removed, searched with random words and filters: every
        // answer equals the brute-force one.
        let mut rng = Rng(7);
        let index = CourseIndex::new().expect("index");
        let mut courses: HashMap<Uuid, CourseDoc> = HashMap::new();
        let first: Vec<CourseDoc> = (0..3000).map(|_| generated(&mut rng)).collect();
        for c in &first {
            courses.insert(c.id, c.clone());
        }
        index.replace_all(first.clone()).expect("build");
        // Replace some courses (new words, skills, provider), add some,
        // remove some: the side table must forget the old values.
        let mut changed = Vec::new();
        for c in first.iter().step_by(15) {
            let mut new = generated(&mut rng);
            new.id = c.id;
            changed.push(new);
        }
        changed.extend((0..200).map(|_| generated(&mut rng)));
        for c in &changed {
            courses.insert(c.id, c.clone());
        }
        index.upsert(changed).expect("upsert");
        for c in first.iter().skip(7).step_by(23) {
            courses.remove(&c.id);
            index.remove(c.id).expect("remove");
        }
        assert_eq!(index.len(), courses.len());
        let mut nonempty = 0;
        for _ in 0..400 {
            let f = random_filters(&mut rng);
            let (page, per_page) = (rng.below(4) as u64, 1 + rng.below(15) as u64);
            let got = index.search(&f, page, per_page).expect("search");
            let want = brute_force(&index, &courses, &f, page, per_page);
            assert_eq!(got, want, "filters {f:?}, page {page}, per page {per_page}");
            if got.total > 0 && !got.ids.is_empty() {
                nonempty += 1;
            }
        }
        assert!(
            nonempty > 100,
            "the random searches mostly find something ({nonempty})"
        );
    }

    /// The query as it was before typos and prefixes were matched on the
    /// `words` field: every clause field by field.
    fn field_by_field(index: &CourseIndex, q: &str) -> BooleanQuery {
        let f = index.fields;
        let ws = words(q);
        let last = ws.len() - 1;
        let fields = [
            f.title,
            f.skills,
            f.summary,
            f.instructors,
            f.provider,
            f.description,
        ];
        let mut musts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (i, w) in ws.iter().enumerate() {
            let distance = match w.chars().count() {
                0..=3 => 0,
                4..=7 => 1,
                _ => 2,
            };
            let mut shoulds: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for field in fields {
                let term = Term::from_field_text(field, w);
                shoulds.push((
                    Occur::Should,
                    Box::new(TermQuery::new(term.clone(), IndexRecordOption::Basic)),
                ));
                if distance > 0 {
                    shoulds.push((
                        Occur::Should,
                        Box::new(FuzzyTermQuery::new(term.clone(), distance, true)),
                    ));
                }
                if i == last {
                    shoulds.push((
                        Occur::Should,
                        Box::new(FuzzyTermQuery::new_prefix(term, 0, true)),
                    ));
                }
            }
            musts.push((Occur::Must, Box::new(BooleanQuery::new(shoulds))));
        }
        BooleanQuery::new(musts)
    }

    #[test]
    fn typos_and_prefixes_on_all_words_match_what_field_by_field_matching_did() {
        // Matching typos and prefixes once over all of a course's words
        // finds exactly the courses that matching them in each field found.
        let mut rng = Rng(11);
        let index = CourseIndex::new().expect("index");
        index
            .replace_all((0..2000).map(|_| generated(&mut rng)).collect())
            .expect("build");
        let searcher = index.reader.searcher();
        for q in [
            "data",
            "dta",
            "date",
            "spredsheets",
            "sprea",
            "data design",
            "histroy writing",
            "pyth",
            "leadership budg",
            "ada",
            "lovelac",
            "provider 3",
            "prov",
            "zzzz",
            "d",
        ] {
            let want = searcher
                .search(&field_by_field(&index, q), &tantivy::collector::Count)
                .expect("count") as u64;
            let got = index.search(
                &Filters {
                    q: q.into(),
                    ..Default::default()
                },
                0,
                1,
            );
            assert_eq!(got.expect("search").total, want, "{q}");
        }
    }
}
