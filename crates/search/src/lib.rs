//! Course search with tantivy: BM25 over title, skills, summary,
//! instructors, provider and description; typo tolerance (a Levenshtein
//! distance of 1 for words of 4 to 7 letters, 2 from 8); prefix matching
//! on the last word for type-ahead; and facet counts (skill, level,
//! provider, language, length) in the same pass.
//!
//! The index lives in memory on each node and is rebuilt from the database
//! at start (derived data: never backed up); writes to the catalog update
//! it at once. Alongside it, a small table per document holds the facet
//! values, read through a fast field, so one query gives both the ranked
//! page and every facet's counts with its own filter left out.

#![deny(missing_docs)]

use lyceum_core::domain::learning::DurationBucket;
use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use tantivy::collector::TopDocs;
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TEXT};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Term, doc};
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

#[derive(Debug, Clone)]
struct Meta {
    id: Uuid,
    skills: Vec<String>,
    level: String,
    provider: Uuid,
    language: String,
    duration: u32,
    published: i64,
}

#[derive(Debug, Default)]
struct Metas {
    docs: Vec<Option<Meta>>,
    by_id: HashMap<Uuid, u64>,
}

impl Metas {
    /// Drops a course's facet values (its slot stays, empty).
    fn forget(&mut self, id: Uuid) {
        let slot = self
            .by_id
            .remove(&id)
            .and_then(|n| self.docs.get_mut(usize::try_from(n).unwrap_or(usize::MAX)));
        if let Some(slot) = slot {
            *slot = None;
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
        let fields = Fields {
            id: b.add_text_field("id", STRING),
            n: b.add_u64_field("n", FAST | INDEXED),
            title: b.add_text_field("title", TEXT),
            skills: b.add_text_field("skills", TEXT),
            summary: b.add_text_field("summary", TEXT),
            instructors: b.add_text_field("instructors", TEXT),
            provider: b.add_text_field("provider", TEXT),
            description: b.add_text_field("description", TEXT),
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
        let n = metas.docs.len() as u64;
        writer.add_document(doc!(
            f.id => d.id.to_string(),
            f.n => n,
            f.title => d.title,
            f.skills => d.skills.join(" , "),
            f.summary => d.summary,
            f.instructors => d.instructors.join(" , "),
            f.provider => d.provider_name,
            f.description => d.description,
        ))?;
        metas.docs.push(Some(Meta {
            id: d.id,
            skills: d.skills,
            level: d.level,
            provider: d.provider,
            language: d.language,
            duration: d.duration_minutes,
            published: d.published_at,
        }));
        metas.by_id.insert(d.id, n);
        Ok(())
    }

    fn commit(&self, writer: &mut IndexWriter) -> Result<(), SearchError> {
        writer.commit()?;
        self.reader.reload()?;
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
        self.commit(&mut writer)
    }

    /// Adds or replaces courses; visible to searches on return.
    pub fn upsert(&self, docs: Vec<CourseDoc>) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        let mut metas = self.metas.write().map_err(|_| SearchError::Poisoned)?;
        for d in docs {
            self.add(&writer, &mut metas, d)?;
        }
        self.commit(&mut writer)
    }

    /// Removes a course (unpublished or deleted).
    pub fn remove(&self, id: Uuid) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        let mut metas = self.metas.write().map_err(|_| SearchError::Poisoned)?;
        metas.forget(id);
        writer.delete_term(Term::from_field_text(self.fields.id, &id.to_string()));
        self.commit(&mut writer)
    }

    /// Courses in the index.
    pub fn len(&self) -> usize {
        self.metas.read().map(|m| m.by_id.len()).unwrap_or(0)
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn text_query(&self, q: &str) -> Option<Box<dyn Query>> {
        let ws = words(q);
        if ws.is_empty() {
            return None;
        }
        let f = self.fields;
        let weighted = [
            (f.title, 3.0),
            (f.skills, 2.0),
            (f.summary, 1.0),
            (f.instructors, 1.0),
            (f.provider, 1.0),
            (f.description, 0.5),
        ];
        let last = ws.len() - 1;
        let mut musts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (i, w) in ws.iter().enumerate() {
            let distance = match w.chars().count() {
                0..=3 => 0,
                4..=7 => 1,
                _ => 2,
            };
            let mut shoulds: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (field, weight) in weighted {
                let term = Term::from_field_text(field, w);
                shoulds.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(
                        Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                        weight * 2.0,
                    )),
                ));
                if distance > 0 {
                    shoulds.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(
                            Box::new(FuzzyTermQuery::new(term.clone(), distance, true)),
                            weight,
                        )),
                    ));
                }
                if i == last {
                    shoulds.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(
                            Box::new(FuzzyTermQuery::new_prefix(term, 0, true)),
                            weight,
                        )),
                    ));
                }
            }
            musts.push((Occur::Must, Box::new(BooleanQuery::new(shoulds))));
        }
        Some(Box::new(BooleanQuery::new(musts)))
    }

    /// Searches: the page asked for, the total and the facet counts.
    pub fn search(&self, f: &Filters, page: u64, per_page: u64) -> Result<Hits, SearchError> {
        let searcher = self.reader.searcher();
        let text = self.text_query(&f.q);
        let limit = usize::try_from(searcher.num_docs())
            .unwrap_or(usize::MAX)
            .max(1);
        let query: &dyn Query = match &text {
            Some(q) => q.as_ref(),
            None => &AllQuery,
        };
        let top = searcher.search(query, &TopDocs::with_limit(limit))?;
        let metas = self.metas.read().map_err(|_| SearchError::Poisoned)?;
        let mut columns = HashMap::new();
        let mut matches: Vec<(f32, &Meta)> = Vec::with_capacity(top.len());
        for (score, address) in top {
            let column = match columns.entry(address.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => v.insert(
                    searcher
                        .segment_reader(address.segment_ord)
                        .fast_fields()
                        .u64("n")?,
                ),
            };
            let Some(n) = column.first(address.doc_id) else {
                continue;
            };
            if let Some(Some(meta)) = metas.docs.get(usize::try_from(n).unwrap_or(usize::MAX)) {
                matches.push((score, meta));
            }
        }

        let bucket_of = |m: &Meta| {
            DurationBucket::ALL.into_iter().find(|b| {
                let (from, to) = b.minutes();
                m.duration >= from && m.duration < to
            })
        };
        // Which filters a course passes: skill, level, provider, language, length.
        let passes = |m: &Meta| -> [bool; 5] {
            [
                f.skill
                    .as_ref()
                    .is_none_or(|s| m.skills.iter().any(|k| k == s)),
                f.level.as_ref().is_none_or(|l| &m.level == l),
                f.provider.is_none_or(|p| m.provider == p),
                f.language.as_ref().is_none_or(|l| &m.language == l),
                f.duration.is_none_or(|d| bucket_of(m) == Some(d)),
            ]
        };
        let mut skills: HashMap<&str, u64> = HashMap::new();
        let mut levels: HashMap<&str, u64> = HashMap::new();
        let mut providers: HashMap<Uuid, u64> = HashMap::new();
        let mut languages: HashMap<&str, u64> = HashMap::new();
        let mut durations: HashMap<DurationBucket, u64> = HashMap::new();
        let mut hits: Vec<(f32, &Meta)> = Vec::new();
        for (score, m) in matches {
            if f.allowed.as_ref().is_some_and(|a| !a.contains(&m.provider)) {
                continue;
            }
            let p = passes(m);
            let all_but = |i: usize| p.iter().enumerate().all(|(j, ok)| j == i || *ok);
            if all_but(0) {
                for s in &m.skills {
                    *skills.entry(s).or_default() += 1;
                }
            }
            if all_but(1) {
                *levels.entry(&m.level).or_default() += 1;
            }
            if all_but(2) {
                *providers.entry(m.provider).or_default() += 1;
            }
            if all_but(3) {
                *languages.entry(&m.language).or_default() += 1;
            }
            if all_but(4)
                && let Some(b) = bucket_of(m)
            {
                *durations.entry(b).or_default() += 1;
            }
            if p.iter().all(|ok| *ok) {
                hits.push((score, m));
            }
        }
        if text.is_some() {
            hits.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.published.cmp(&a.1.published)));
        } else {
            hits.sort_by(|a, b| b.1.published.cmp(&a.1.published).then(a.1.id.cmp(&b.1.id)));
        }
        let total = hits.len() as u64;
        let start = usize::try_from(page.saturating_mul(per_page)).unwrap_or(usize::MAX);
        let ids = hits
            .iter()
            .skip(start)
            .take(usize::try_from(per_page).unwrap_or(usize::MAX))
            .map(|(_, m)| m.id)
            .collect();
        let sorted = |m: HashMap<&str, u64>| {
            let mut v: Vec<(String, u64)> = m.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v
        };
        let mut top_skills = sorted(skills);
        top_skills.truncate(15);
        let mut providers: Vec<(Uuid, u64)> = providers.into_iter().collect();
        providers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(Hits {
            ids,
            total,
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
        })
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
}
