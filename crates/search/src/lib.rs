//! Course search with tantivy: BM25 over title, skills, summary,
//! instructors, provider and description; typo tolerance (a Levenshtein
//! distance of 1 for words of 4 to 7 letters, 2 from 8); prefix matching
//! on the last word for type-ahead; and facet counts (skill, level,
//! provider, language, length) in the same pass.
//!
//! The index lives in memory on each node and is rebuilt from the database
//! at start (derived data: never backed up); writes to the catalog update
//! it at once. Alongside it, a side table holds each course's facet values
//! as small interned numbers, reached through the `n` fast field, and at
//! each commit every segment gets a bit set per facet value (level,
//! language, provider, length, and the commonest skills; see
//! `FacetSets`). A search adds each word's clause scores into a dense
//! array and intersects the words' bit sets (see [`CourseIndex::search`]);
//! then, 64 documents at a time, the exact total and every facet's counts
//! (each with its own filter left out) are popcounts of the matches AND
//! each value's set, and the page keeps only the best
//! `(page + 1) * per_page` matches. Only skills without a set (and only
//! when one of them could reach the top 15), blocks with very few matches
//! and the page look at matches one by one; nothing is sorted or
//! collected per match. Without words the counts come from the sets alone
//! and the page from a newest-first order kept between changes.
//! `lyceum-load search-bench` measures it (docs/benchmarks.md).

#![deny(missing_docs)]

use lyceum_core::domain::learning::DurationBucket;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, RwLock};
use tantivy::index::SegmentId;
#[cfg(test)]
use tantivy::query::{BooleanQuery, Occur};
use tantivy::query::{BoostQuery, EnableScoring, FuzzyTermQuery, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};
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
    doc_n: HashMap<SegmentId, Vec<u32>>,
    /// Per-value bit sets of every segment of the current searcher, rebuilt
    /// at each commit (see [`FacetSets`]); `None` when a facet has too many
    /// values for sets to pay, and then a search counts match by match.
    sets: Option<FacetSets>,
    /// Live courses newest first (the order of a search without words),
    /// sorted on first need after a change.
    newest: OnceLock<Vec<u32>>,
}

thread_local! {
    /// A search's dense score array (see [`CourseIndex::search`]), reused.
    static SCORES: std::cell::Cell<Vec<f32>> = const { std::cell::Cell::new(Vec::new()) };
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

/// A facet with more values than this (say, thousands of providers) is
/// not given per-value sets: they would take `values / 8` bytes per
/// document, and a search counts match by match instead.
const MAX_SET_VALUES: usize = 256;

/// At most this many skills get a set of their own: the commonest ones.
const MAX_SET_SKILLS: usize = 256;

/// A skill gets a set if at least one live course in this many mentions it:
/// rarer skills cost a word per block for almost nothing, and are counted
/// match by match when they could reach the top (see [`Tally::finish`]).
const SKILL_SET_SHARE: usize = 512;

/// A block of 64 documents whose matches, times this, are fewer than its
/// sets' words is counted match by match: a match costs about as much as
/// this many popcounts (a row read, usually a cache miss on a server busy
/// with other work, and a few increments).
const PER_MATCH_COST: usize = 64;

/// Skills named in the facet counts: the commonest.
const TOP_SKILLS: usize = 15;

/// Length buckets.
const BUCKETS: usize = DurationBucket::ALL.len();

/// In [`Layout::skill_column`]: a skill without a set.
const NO_COLUMN: u32 = u32::MAX;

/// Which column of a segment's sets holds which facet value. Every
/// segment's sets are built together at commit with one layout:
/// the levels, languages, providers and length buckets by their numbers,
/// then the skills that have a set.
#[derive(Debug, Default)]
struct Layout {
    levels: usize,
    languages: usize,
    providers: usize,
    /// By skill number: the skill's column among `dense`, or `NO_COLUMN`.
    skill_column: Vec<u32>,
    /// By column (after `skill_at`): the skill number.
    dense: Vec<u32>,
    /// The most mentions among live courses of any skill without a set:
    /// no search can count such a skill higher.
    sparse_max: u32,
}

impl Layout {
    fn language_at(&self) -> usize {
        self.levels
    }

    fn provider_at(&self) -> usize {
        self.levels + self.languages
    }

    fn bucket_at(&self) -> usize {
        self.provider_at() + self.providers
    }

    fn skill_at(&self) -> usize {
        self.bucket_at() + BUCKETS
    }

    fn width(&self) -> usize {
        self.skill_at() + self.dense.len()
    }
}

/// Facet counting by bit sets: for each segment and each facet value, the
/// segment's documents that have it. A search counts a value as the
/// popcount of (its matches AND the value's set), 64 documents a word,
/// instead of reading every match's row: a few hundred nanoseconds per
/// 64 documents for all values together, whatever the number of matches.
/// Filters are sets too, so each facet's counts leave out its own filter
/// by ANDing only the others.
#[derive(Debug, Default)]
struct FacetSets {
    layout: Layout,
    segments: HashMap<SegmentId, SegmentSets>,
}

/// One segment's sets.
#[derive(Debug)]
struct SegmentSets {
    /// Block-major, so that one block's values sit together: documents
    /// `64 * b ..` have column `c` in `words[b * width + c]`.
    words: Vec<u64>,
    /// The documents of live courses.
    live: Vec<u64>,
    /// A skill with a set that a course lists more than once counts once
    /// per mention (as the page always counted): one `(document, column)`
    /// per extra mention, rare in practice.
    repeats: Vec<(u32, u32)>,
    /// Each document's facet values in 16 bytes, by document, for the
    /// matches counted one by one: read in document order they stream
    /// through the cache, where the courses' rows (reached through `n`,
    /// 32 bytes each) cost a cache miss per match.
    facts: Vec<Facts>,
    /// The documents whose course has more than `INLINE_SKILLS` skills
    /// (the rest are read from its row).
    more_skills: Vec<u64>,
}

/// A document's facet values, as in its course's row; values fit a byte
/// because a facet with more than `MAX_SET_VALUES` has no sets.
#[derive(Debug, Clone, Copy)]
struct Facts {
    /// The first skills, `NO_COLUMN` past the last.
    skills: [u32; INLINE_SKILLS],
    level: u8,
    language: u8,
    provider: u8,
    bucket: u8,
}

impl Default for Facts {
    fn default() -> Self {
        Self {
            skills: [NO_COLUMN; INLINE_SKILLS],
            level: 0,
            language: 0,
            provider: 0,
            bucket: NO_BUCKET,
        }
    }
}

impl SegmentSets {
    /// Document `doc`'s facts and skills.
    fn facts<'m>(
        &'m self,
        metas: &'m Metas,
        doc_n: &[u32],
        doc: usize,
    ) -> Option<(&'m Facts, &'m [u32], &'m [u32])> {
        let facts = self.facts.get(doc)?;
        let count = facts
            .skills
            .iter()
            .position(|s| *s == NO_COLUMN)
            .unwrap_or(INLINE_SKILLS);
        let first = facts.skills.get(..count).unwrap_or(&[]);
        let has_more = self
            .more_skills
            .get(doc / 64)
            .is_some_and(|w| w & (1 << (doc % 64)) != 0);
        let more = if has_more {
            doc_n
                .get(doc)
                .and_then(|n| metas.rows.get(*n as usize))
                .map_or(&[][..], |row| metas.skills_of(row).1)
        } else {
            &[]
        };
        Some((facts, first, more))
    }
}

/// Builds the sets of every segment of `searcher`, or `None` if a facet
/// has more than `max_values` values (or a segment's numbers are missing).
fn facet_sets(metas: &Metas, searcher: &Searcher, max_values: usize) -> Option<FacetSets> {
    let counts = [
        metas.levels.len(),
        metas.languages.len(),
        metas.providers.len(),
    ];
    if counts.iter().any(|n| *n > max_values) {
        return None;
    }
    let mut mentions = vec![0u32; metas.skills.len()];
    let mut live = 0;
    for row in metas.rows.iter().filter(|r| r.is_live) {
        live += 1;
        let (first, more) = metas.skills_of(row);
        for s in first.iter().chain(more) {
            if let Some(m) = mentions.get_mut(*s as usize) {
                *m += 1;
            }
        }
    }
    let floor = u32::try_from((live / SKILL_SET_SHARE).max(1)).unwrap_or(u32::MAX);
    let mut dense: Vec<u32> = (0..mentions.len())
        .filter_map(|s| u32::try_from(s).ok())
        .filter(|s| mentions.get(*s as usize).is_some_and(|m| *m >= floor))
        .collect();
    dense.sort_by_key(|s| std::cmp::Reverse(mentions.get(*s as usize).copied()));
    dense.truncate(MAX_SET_SKILLS.min(max_values));
    let mut skill_column = vec![NO_COLUMN; mentions.len()];
    for (c, s) in dense.iter().enumerate() {
        if let Some(slot) = skill_column.get_mut(*s as usize) {
            *slot = u32::try_from(c).unwrap_or(NO_COLUMN);
        }
    }
    let sparse_max = mentions
        .iter()
        .zip(&skill_column)
        .filter(|(_, c)| **c == NO_COLUMN)
        .map(|(m, _)| *m)
        .max()
        .unwrap_or(0);
    let [levels, languages, providers] = counts;
    let layout = Layout {
        levels,
        languages,
        providers,
        skill_column,
        dense,
        sparse_max,
    };
    let width = layout.width();
    let mut segments = HashMap::new();
    for segment in searcher.segment_readers() {
        let doc_n = metas.doc_n.get(&segment.segment_id())?;
        let alive = segment.alive_bitset();
        let blocks = doc_n.len().div_ceil(64);
        let mut sets = SegmentSets {
            words: vec![0; blocks * width],
            live: vec![0; blocks],
            repeats: Vec::new(),
            facts: vec![Facts::default(); doc_n.len()],
            more_skills: vec![0; blocks],
        };
        for (doc, n) in doc_n.iter().enumerate() {
            let Some(row) = metas.rows.get(*n as usize).filter(|r| r.is_live) else {
                continue;
            };
            if alive.is_some_and(|a| u32::try_from(doc).map_or(true, |d| a.is_deleted(d))) {
                continue;
            }
            let (block, bit) = (doc / 64, 1u64 << (doc % 64));
            if let Some(w) = sets.live.get_mut(block) {
                *w |= bit;
            }
            let Some(words) = sets.words.get_mut(block * width..(block + 1) * width) else {
                continue;
            };
            let mut mark = |column: usize| {
                if let Some(w) = words.get_mut(column) {
                    let seen = *w & bit != 0;
                    *w |= bit;
                    seen
                } else {
                    false
                }
            };
            mark(row.level as usize);
            mark(layout.language_at() + row.language as usize);
            mark(layout.provider_at() + row.provider as usize);
            if usize::from(row.bucket) < BUCKETS {
                mark(layout.bucket_at() + usize::from(row.bucket));
            }
            let (first, more) = metas.skills_of(row);
            if let Some(facts) = sets.facts.get_mut(doc) {
                let byte = |v: u32| u8::try_from(v).unwrap_or(u8::MAX);
                *facts = Facts {
                    skills: [NO_COLUMN; INLINE_SKILLS],
                    level: byte(row.level),
                    language: byte(row.language),
                    provider: byte(row.provider),
                    bucket: row.bucket,
                };
                for (slot, s) in facts.skills.iter_mut().zip(first) {
                    *slot = *s;
                }
            }
            if !more.is_empty()
                && let Some(w) = sets.more_skills.get_mut(block)
            {
                *w |= bit;
            }
            for s in first.iter().chain(more) {
                let c = layout
                    .skill_column
                    .get(*s as usize)
                    .copied()
                    .unwrap_or(NO_COLUMN);
                if c != NO_COLUMN
                    && mark(layout.skill_at() + c as usize)
                    && let Ok(doc) = u32::try_from(doc)
                {
                    sets.repeats.push((doc, c));
                }
            }
        }
        segments.insert(segment.segment_id(), sets);
    }
    Some(FacetSets { layout, segments })
}

impl Metas {
    /// Drops a course (its slot and skill run stay, dead, until the next
    /// rebuild).
    fn forget(&mut self, id: Uuid) {
        self.newest.take();
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
        self.newest.take();
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

    /// Live courses, newest first (then by id, as the page orders ties).
    fn newest(&self) -> &[u32] {
        self.newest.get_or_init(|| {
            let mut order: Vec<u32> = (0..self.rows.len())
                .filter(|n| self.rows.get(*n).is_some_and(|r| r.is_live))
                .filter_map(|n| u32::try_from(n).ok())
                .collect();
            let key = |n: &u32| {
                let n = *n as usize;
                (self.published.get(n).copied(), self.ids.get(n).copied())
            };
            order.sort_unstable_by(|a, b| {
                let (a, b) = (key(a), key(b));
                b.0.cmp(&a.0).then(a.1.cmp(&b.1))
            });
            order
        })
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

    /// Whether a course passes the provider limit and every filter.
    fn admits(&self, row: &Row, metas: &Metas) -> bool {
        if !row.is_live {
            return false;
        }
        if let Some(a) = &self.allowed
            && !a.get(row.provider as usize).copied().unwrap_or(false)
        {
            return false;
        }
        let (first, more) = metas.skills_of(row);
        self.skill
            .is_none_or(|s| s.is_some_and(|s| first.contains(&s) || more.contains(&s)))
            && passes(self.level, row.level)
            && passes(self.provider, row.provider)
            && passes(self.language, row.language)
            && self.duration.is_none_or(|d| d == row.bucket)
    }
}

/// Calls `f` with each set bit of `word`, highest first (newest first:
/// documents are numbered in the order courses were written).
fn for_each_bit(mut word: u64, mut f: impl FnMut(usize)) {
    while word != 0 {
        let bit = 63 - word.leading_zeros() as usize;
        word &= !(1u64 << bit);
        f(bit);
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
    /// Counts of the skills with a set, by column (see [`Layout`]).
    dense_counts: Vec<u32>,
    /// Per segment, the matches that count in the skill facet, kept in
    /// case the skills without a set must be counted (see `finish`).
    skill_bases: Vec<(SegmentId, Vec<u64>)>,
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
            dense_counts: Vec::new(),
            skill_bases: Vec::new(),
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

    /// Counts one segment's matches from its sets (`matched`: the words'
    /// matches, or `None` for every live course) and, given scores,
    /// considers them for the page, newest first.
    ///
    /// Per block of 64 documents: the matches (live, of an allowed
    /// provider), each filter as a word, and every facet value counted as
    /// a popcount of the matches passing the other filters. Only a skill
    /// filter on a skill without a set, and the page, look at single
    /// matches.
    fn add_sets(
        &mut self,
        sets: &FacetSets,
        id: SegmentId,
        matched: Option<&[u64]>,
        scores: Option<&[f32]>,
    ) {
        let metas = self.metas;
        let (Some(segment), Some(doc_n)) = (sets.segments.get(&id), metas.doc_n.get(&id)) else {
            return;
        };
        let layout = &sets.layout;
        let width = layout.width();
        if self.dense_counts.len() < layout.dense.len() {
            self.dense_counts.resize(layout.dense.len(), 0);
        }
        let allowed: Option<Vec<usize>> = self.plan.allowed.as_ref().map(|a| {
            a.iter()
                .enumerate()
                .filter(|(p, ok)| **ok && *p < layout.providers)
                .map(|(p, _)| layout.provider_at() + p)
                .collect()
        });
        enum SkillFilter {
            None,
            Nothing,
            Column(usize),
            Rare(u32),
        }
        let skill_filter = match self.plan.skill {
            None => SkillFilter::None,
            Some(None) => SkillFilter::Nothing,
            Some(Some(s)) => match layout.skill_column.get(s as usize) {
                Some(c) if *c != NO_COLUMN => SkillFilter::Column(layout.skill_at() + *c as usize),
                _ => SkillFilter::Rare(s),
            },
        };
        let mut bases = vec![0u64; segment.live.len()];
        for (b, live) in segment.live.iter().enumerate().rev() {
            let mut m = *live & matched.map_or(!0, |m| m.get(b).copied().unwrap_or(0));
            if m == 0 {
                continue;
            }
            let Some(row) = segment.words.get(b * width..(b + 1) * width) else {
                continue;
            };
            let column = |c: usize| row.get(c).copied().unwrap_or(0);
            if let Some(allowed) = &allowed {
                m &= allowed.iter().fold(0, |any, c| any | column(*c));
                if m == 0 {
                    continue;
                }
            }
            let p = &self.plan;
            let wanted = |w: Wanted, at: usize, values: usize| match w {
                None => !0,
                Some(Some(v)) if (v as usize) < values => column(at + v as usize),
                Some(_) => 0,
            };
            let skill = match skill_filter {
                SkillFilter::None => !0,
                SkillFilter::Nothing => 0,
                SkillFilter::Column(c) => column(c),
                SkillFilter::Rare(s) => {
                    let mut has = 0;
                    for_each_bit(m, |bit| {
                        if let Some((_, first, more)) = segment.facts(metas, doc_n, b * 64 + bit)
                            && (first.contains(&s) || more.contains(&s))
                        {
                            has |= 1 << bit;
                        }
                    });
                    has
                }
            };
            let level = wanted(p.level, 0, layout.levels);
            let provider = wanted(p.provider, layout.provider_at(), layout.providers);
            let language = wanted(p.language, layout.language_at(), layout.languages);
            let duration = match p.duration {
                None => !0,
                Some(d) if usize::from(d) < BUCKETS => column(layout.bucket_at() + usize::from(d)),
                Some(_) => 0,
            };
            // Each facet counts the matches passing every filter but its own.
            let all = m & skill & level & provider & language & duration;
            let skill_base = m & level & provider & language & duration;
            let level_base = m & skill & provider & language & duration;
            let provider_base = m & skill & level & language & duration;
            let language_base = m & skill & level & provider & duration;
            let duration_base = m & skill & level & provider & language;
            self.total += u64::from(all.count_ones());
            if (m.count_ones() as usize) * PER_MATCH_COST < width {
                // Few matches in this block (a selective search): counting
                // them one by one costs less than a popcount per value.
                // Every skill is counted here, those without a set too, so
                // the block is left out of `bases`.
                for_each_bit(m, |bit| {
                    let Some((row, first, more)) = segment.facts(metas, doc_n, b * 64 + bit) else {
                        return;
                    };
                    let has = |base: u64| base & (1 << bit) != 0;
                    let bump = |counts: &mut [u32], value: usize| {
                        if let Some(c) = counts.get_mut(value) {
                            *c += 1;
                        }
                    };
                    if has(level_base) {
                        bump(&mut self.levels, usize::from(row.level));
                    }
                    if has(language_base) {
                        bump(&mut self.languages, usize::from(row.language));
                    }
                    if has(provider_base) {
                        bump(&mut self.providers, usize::from(row.provider));
                    }
                    if has(duration_base) {
                        bump(&mut self.durations, usize::from(row.bucket));
                    }
                    if has(skill_base) {
                        for s in first.iter().chain(more) {
                            match layout.skill_column.get(*s as usize) {
                                Some(c) if *c != NO_COLUMN => {
                                    bump(&mut self.dense_counts, *c as usize)
                                }
                                _ => {
                                    if let Some(c) = self.skills.get_mut(*s as usize) {
                                        if *c == 0 {
                                            self.skills_seen.push(*s);
                                        }
                                        *c += 1;
                                    }
                                }
                            }
                        }
                    }
                });
            } else {
                self.count_block(
                    row,
                    layout,
                    [
                        skill_base,
                        level_base,
                        provider_base,
                        language_base,
                        duration_base,
                    ],
                );
                if let Some(slot) = bases.get_mut(b) {
                    *slot = skill_base;
                }
            }
            if let Some(scores) = scores {
                for_each_bit(all, |bit| {
                    let doc = b * 64 + bit;
                    if let (Some(n), Some(score)) = (doc_n.get(doc), scores.get(doc)) {
                        self.rank(*n as usize, *score);
                    }
                });
            }
        }
        for (doc, c) in &segment.repeats {
            let d = *doc as usize;
            let counted = bases.get(d / 64).is_some_and(|w| w & (1 << (d % 64)) != 0);
            if counted && let Some(n) = self.dense_counts.get_mut(*c as usize) {
                *n += 1;
            }
        }
        self.skill_bases.push((id, bases));
    }

    /// Counts one block's values by popcount: `bases` are the block's
    /// matches that count in each facet (skill, level, provider, language,
    /// length), `row` the block's sets.
    fn count_block(&mut self, row: &[u64], layout: &Layout, bases: [u64; 5]) {
        let [skill, level, provider, language, duration] = bases;
        let count = |counts: &mut [u32], base: u64, from: usize, values: usize| {
            if base == 0 {
                return;
            }
            let words = row.get(from..from + values).unwrap_or(&[]);
            for (c, w) in counts.iter_mut().zip(words) {
                *c += (base & w).count_ones();
            }
        };
        count(&mut self.levels, level, 0, layout.levels);
        count(
            &mut self.languages,
            language,
            layout.language_at(),
            layout.languages,
        );
        count(
            &mut self.providers,
            provider,
            layout.provider_at(),
            layout.providers,
        );
        count(&mut self.durations, duration, layout.bucket_at(), BUCKETS);
        count(
            &mut self.dense_counts,
            skill,
            layout.skill_at(),
            layout.dense.len(),
        );
    }

    /// The page of a search without words: the newest courses that pass
    /// every filter, from the order kept for it, so only as many courses
    /// are looked at as it takes to fill the page.
    fn page_newest(&mut self) {
        let metas = self.metas;
        for n in metas.newest() {
            if self.best.len() >= self.keep {
                break;
            }
            let n = *n as usize;
            let (Some(row), Some(published), Some(id)) =
                (metas.rows.get(n), metas.published.get(n), metas.ids.get(n))
            else {
                continue;
            };
            if self.plan.admits(row, metas) {
                self.best.push(Ranked {
                    score: 0.0,
                    published: *published,
                    id: *id,
                });
            }
        }
    }

    /// After every segment's sets: the skills with a set get their counts,
    /// and the others are counted match by match only if one of them
    /// could reach the top: not if `TOP_SKILLS` skills with sets already
    /// count more than any skill without a set has mentions at all.
    fn finish(&mut self, sets: &FacetSets) {
        let layout = &sets.layout;
        for (c, n) in self.dense_counts.iter().enumerate() {
            if *n == 0 {
                continue;
            }
            let Some(s) = layout.dense.get(c) else {
                continue;
            };
            if let Some(count) = self.skills.get_mut(*s as usize) {
                if *count == 0 {
                    self.skills_seen.push(*s);
                }
                *count += n;
            }
        }
        let ahead = self
            .dense_counts
            .iter()
            .filter(|n| **n > layout.sparse_max)
            .count();
        if layout.sparse_max == 0 || ahead >= TOP_SKILLS {
            return;
        }
        let metas = self.metas;
        for (id, bases) in &self.skill_bases {
            let (Some(doc_n), Some(segment)) = (metas.doc_n.get(id), sets.segments.get(id)) else {
                continue;
            };
            for (b, base) in bases.iter().enumerate() {
                for_each_bit(*base, |bit| {
                    let Some((_, first, more)) = segment.facts(metas, doc_n, b * 64 + bit) else {
                        return;
                    };
                    for s in first.iter().chain(more) {
                        let has_set = layout
                            .skill_column
                            .get(*s as usize)
                            .is_some_and(|c| *c != NO_COLUMN);
                        if has_set {
                            continue;
                        }
                        if let Some(c) = self.skills.get_mut(*s as usize) {
                            if *c == 0 {
                                self.skills_seen.push(*s);
                            }
                            *c += 1;
                        }
                    }
                });
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
        // Then on score and time, before reading the id (each a cache miss
        // on a large catalog): only a tie on both needs it.
        let Some(&published) = self.metas.published.get(n) else {
            return;
        };
        if self
            .threshold
            .is_some_and(|t| (score, published) < (t.score, t.published))
        {
            return;
        }
        let Some(&id) = self.metas.ids.get(n) else {
            return;
        };
        let r = Ranked {
            score,
            published,
            id,
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
            TOP_SKILLS,
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
    /// Facets with more values than this are counted match by match (see
    /// `MAX_SET_VALUES`; the tests lower it to check that way too).
    max_set_values: usize,
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
            max_set_values: MAX_SET_VALUES,
        })
    }

    /// An empty index that gives no facet more than `max` values their
    /// own sets (with 0, every search counts match by match).
    #[cfg(test)]
    fn with_max_set_values(max: usize) -> Result<Self, SearchError> {
        Ok(Self {
            max_set_values: max,
            ..Self::new()?
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
        // Rebuilt whole at every commit: a deletion changes the live set of
        // an old segment, and the skills given a set follow the catalog.
        // About 5 ms and 3.8 MB for 100,000 courses, small beside the commit.
        metas.sets = facet_sets(metas, &self.reader.searcher(), self.max_set_values);
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
    /// Then the matches are counted with the segment's per-value sets,
    /// a block of 64 documents at a time (see `Tally::add_sets`), and
    /// each match that passes every filter is considered for the page
    /// only if it can still reach it, among the best `(page + 1) *
    /// per_page`. If a facet has too many values for sets (see
    /// `MAX_SET_VALUES`), every match is counted one by one instead, as
    /// before the sets.
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
        // The sets, if they cover exactly this searcher's segments (they
        // always do unless a commit failed half way).
        let sets = metas.sets.as_ref().filter(|sets| {
            let segments = searcher.segment_readers();
            segments.len() == sets.segments.len()
                && segments
                    .iter()
                    .all(|s| sets.segments.contains_key(&s.segment_id()))
        });
        if clauses.is_empty()
            && let Some(sets) = sets
        {
            // Without words every live course matches: the sets alone give
            // the counts, and the kept order the page.
            for segment in searcher.segment_readers() {
                tally.add_sets(sets, segment.segment_id(), None, None);
            }
            tally.finish(sets);
            tally.page_newest();
            return Ok(tally.hits(start));
        }
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
        // Kept by the thread between searches: a fresh array of 400 KB per
        // search (at 100,000 courses) is mapped and faulted in page by page,
        // which under a server's load cost as much as the counting.
        let mut scores = SCORES.take();
        for segment in searcher.segment_readers() {
            let max_doc = segment.max_doc() as usize;
            let blocks = max_doc.div_ceil(64);
            scores.clear();
            scores.resize(max_doc, 0.0);
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
            let matched = matched.unwrap_or_default();
            if let Some(sets) = sets {
                tally.add_sets(sets, segment.segment_id(), Some(&matched), Some(&scores));
                continue;
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
        SCORES.set(scores);
        if let Some(sets) = sets {
            tally.finish(sets);
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
        // (new words, skills, provider: the side table must forget the old
        // values), added to and removed from, searched with random words
        // and filters: every answer equals the brute-force one.
        let index = CourseIndex::new().expect("index");
        let nonempty = check_random_searches(&index, 7, 400, |_, _| {}, |_, _| {});
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

    /// Builds the brute-force test's catalog (3,000 generated courses,
    /// partly replaced and removed) with `tweak` applied to each course,
    /// then checks `rounds` random searches (filters changed by `refine`)
    /// against the brute-force answer. Returns how many found something.
    fn check_random_searches(
        index: &CourseIndex,
        seed: u64,
        rounds: usize,
        tweak: impl Fn(&mut Rng, &mut CourseDoc),
        refine: impl Fn(&mut Rng, &mut Filters),
    ) -> usize {
        let mut rng = Rng(seed);
        let make = |rng: &mut Rng| {
            let mut c = generated(rng);
            tweak(rng, &mut c);
            c
        };
        let mut courses: HashMap<Uuid, CourseDoc> = HashMap::new();
        let first: Vec<CourseDoc> = (0..3000).map(|_| make(&mut rng)).collect();
        for c in &first {
            courses.insert(c.id, c.clone());
        }
        index.replace_all(first.clone()).expect("build");
        let mut changed = Vec::new();
        for c in first.iter().step_by(15) {
            let mut new = make(&mut rng);
            new.id = c.id;
            changed.push(new);
        }
        changed.extend((0..200).map(|_| make(&mut rng)));
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
        for _ in 0..rounds {
            let mut f = random_filters(&mut rng);
            refine(&mut rng, &mut f);
            let (page, per_page) = (rng.below(4) as u64, 1 + rng.below(15) as u64);
            let got = index.search(&f, page, per_page).expect("search");
            let want = brute_force(index, &courses, &f, page, per_page);
            assert_eq!(got, want, "filters {f:?}, page {page}, per page {per_page}");
            if got.total > 0 && !got.ids.is_empty() {
                nonempty += 1;
            }
        }
        nonempty
    }

    #[test]
    fn counting_match_by_match_agrees_with_the_brute_force_search() {
        // With no facet given bit sets (as for a catalog with thousands of
        // providers), every match is counted one by one: same answers.
        let index = CourseIndex::with_max_set_values(0).expect("index");
        check_random_searches(&index, 13, 200, |_, _| {}, |_, _| {});
        assert!(index.metas.read().expect("metas").sets.is_none());
    }

    #[test]
    fn rare_skills_without_sets_are_counted_when_they_could_reach_the_top() {
        // Hundreds of rare skills besides the common ones: some get no set
        // and are counted match by match only when they could be among the
        // top skills; filtering on one checks each match. Same answers.
        let index = CourseIndex::new().expect("index");
        check_random_searches(
            &index,
            17,
            400,
            |rng, c| {
                for _ in 0..rng.below(3) {
                    c.skills.push(format!("Rare {}", rng.below(400)));
                }
            },
            |rng, f| {
                if rng.chance(4) {
                    f.skill = Some(format!("Rare {}", rng.below(400)));
                }
            },
        );
        let metas = index.metas.read().expect("metas");
        let layout = &metas.sets.as_ref().expect("sets").layout;
        assert!(layout.sparse_max > 0, "some skills have no set");
        assert!(
            layout.dense.len() > SKILLS.len(),
            "some rare skills have a set"
        );
    }
}
