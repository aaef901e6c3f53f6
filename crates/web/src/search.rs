//! Catalog search: the node's tantivy index, kept in step with the
//! database. Before answering, the index takes in every course changed
//! since it last looked: at once after a catalog write on this node (the
//! store's catalog version moved), and at least every second otherwise, so
//! a course published on another node is found within a second too.
//!
//! The node also keeps each published course's card (what a result shows)
//! from the same rows, so a page of results is answered without a database
//! query.

use crate::AppState;
use crate::error::AppError;
use lyceum_core::domain::learning::{CourseStatus, Language, Level};
use lyceum_search::{CourseDoc, CourseIndex, Filters};
use lyceum_store::learning::{CourseCard, CoursePage, CourseQuery, FacetValue, Facets, IndexRow};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long a node trusts its index without asking the database.
const RECHECK: Duration = Duration::from_secs(1);

/// The providers, as of the catalog's last change.
pub type Providers = Arc<Vec<lyceum_store::learning::Provider>>;

/// How far the index has read the database (held by the one search that
/// looks again).
#[derive(Debug)]
struct SyncState {
    /// The newest `updated_at` taken in.
    since_ms: i64,
    /// Courses already taken in at exactly `since_ms`, so the next look
    /// (which asks for `updated_at >= since_ms`) does not redo them.
    at_since: HashSet<Uuid>,
}

/// What every search reads before answering.
#[derive(Debug)]
struct Seen {
    /// The store's catalog version when last synced.
    version: u64,
    /// When the database was last asked.
    checked: Option<Instant>,
    providers: Providers,
}

/// The catalog index and how far it has caught up.
#[derive(Debug)]
pub struct CatalogSearch {
    index: Arc<CourseIndex>,
    /// Every indexed course's card, without its provider's names (those
    /// are filled in from the providers when answering). A card goes in
    /// before its course enters the index and leaves after it left, so
    /// every course a search finds has one.
    cards: RwLock<HashMap<Uuid, CourseCard>>,
    sync: tokio::sync::Mutex<SyncState>,
    seen: RwLock<Seen>,
    /// A periodic look is under way.
    looking: AtomicBool,
}

/// A published course's card, as a result shows it.
fn card(r: &IndexRow) -> CourseCard {
    let mut skills = r.skills.clone();
    skills.sort_unstable();
    CourseCard {
        id: r.id,
        provider_id: r.provider_id,
        slug: r.slug.clone(),
        title: r.title.clone(),
        summary: r.summary.clone(),
        level: Level::parse(&r.level).unwrap_or(Level::Beginner),
        language: r.language.clone(),
        duration_minutes: r.duration_minutes,
        provider_slug: String::new(),
        provider_name: String::new(),
        is_partner: false,
        skills,
        status: CourseStatus::Published,
        published_at: chrono::DateTime::from_timestamp_millis(r.published_at),
    }
}

/// A course as the index takes it in.
fn doc(r: IndexRow) -> CourseDoc {
    CourseDoc {
        id: r.id,
        title: r.title,
        summary: r.summary,
        description: r.description,
        skills: r.skills,
        instructors: r.instructors,
        provider: r.provider_id,
        provider_name: r.provider_name,
        level: r.level,
        language: r.language,
        duration_minutes: r.duration_minutes,
        published_at: r.published_at,
    }
}

/// The operators' search API.
pub fn api_router() -> axum::Router<AppState> {
    axum::Router::new().route("/admin/search/rebuild", axum::routing::post(rebuild_api))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(rebuild_api),
    components(schemas(RebuildResponse)),
    tags((name = "operators", description = "Instance administration"))
)]
pub struct SearchApiDoc;

/// A rebuilt index.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RebuildResponse {
    /// Published courses now in this node's index.
    pub courses: usize,
}

#[utoipa::path(post, path = "/admin/search/rebuild", tag = "operators",
    responses((status = 200, description = "This node's catalog index, built again from the database and swapped in", body = RebuildResponse),
        (status = 403, description = "Not an operator", body = crate::error::Problem, content_type = "application/problem+json")))]
async fn rebuild_api(
    axum::extract::State(state): axum::extract::State<AppState>,
    ctx: crate::session::Ctx,
) -> Result<axum::Json<RebuildResponse>, crate::error::ApiError> {
    if ctx.member()?.role != lyceum_core::domain::Role::Operator {
        return Err(AppError::Forbidden("Only operators rebuild the search index.".into()).into());
    }
    let courses = state.search.rebuild(&state).await?;
    Ok(axum::Json(RebuildResponse { courses }))
}

fn internal(e: impl std::error::Error + Send + Sync + 'static) -> AppError {
    AppError::Internal(Box::new(e))
}

impl CatalogSearch {
    /// An empty index; the first search fills it from the database.
    pub fn new() -> Result<Self, lyceum_search::SearchError> {
        Ok(Self {
            index: Arc::new(CourseIndex::new()?),
            cards: RwLock::new(HashMap::new()),
            sync: tokio::sync::Mutex::new(SyncState {
                since_ms: i64::MIN,
                at_since: HashSet::new(),
            }),
            seen: RwLock::new(Seen {
                version: 0,
                checked: None,
                providers: Arc::new(Vec::new()),
            }),
            looking: AtomicBool::new(false),
        })
    }

    /// Takes in the courses changed since the last sync, if the store says
    /// there were writes here or a second has passed. The periodic look
    /// runs on a task of its own while searches answer from the index as
    /// it is; after a write on this node every search waits for it, so a
    /// writer finds what it wrote.
    pub async fn sync(&self, state: &AppState) -> Result<Providers, AppError> {
        let version = state.store.catalog_version();
        let (current, checked, providers) = {
            let seen = self.seen.read().unwrap_or_else(|e| e.into_inner());
            (
                seen.version == version,
                seen.checked,
                seen.providers.clone(),
            )
        };
        if current && checked.is_some_and(|t| t.elapsed() < RECHECK) {
            return Ok(providers);
        }
        if current && checked.is_some() {
            // The periodic look runs beside the searches, never inside
            // one: searches answer from the index as it is, and what
            // changed elsewhere is taken in within about a second.
            if !self.looking.swap(true, Ordering::AcqRel) {
                let state = state.clone();
                tokio::spawn(async move {
                    let search = state.search.clone();
                    let s = search.sync.lock().await;
                    if let Err(e) = search.catch_up(&state, s).await {
                        tracing::warn!(error = ?e, "the catalog index could not catch up");
                    }
                    search.looking.store(false, Ordering::Release);
                });
            }
            return Ok(providers);
        }
        // After a write here, and until the index has been filled once,
        // every search waits for it.
        let s = self.sync.lock().await;
        self.catch_up(state, s).await
    }

    /// Takes in the courses changed since the last look.
    async fn catch_up(
        &self,
        state: &AppState,
        mut s: tokio::sync::MutexGuard<'_, SyncState>,
    ) -> Result<Providers, AppError> {
        let version = state.store.catalog_version();
        let seen_version = self.seen.read().unwrap_or_else(|e| e.into_inner()).version;
        let since_ms = s.since_ms;
        // After a write on this node, take everything at the boundary again
        // (a course may have changed twice within a millisecond); on the
        // periodic look, skip what was already taken in.
        let known = if seen_version == version {
            std::mem::take(&mut s.at_since)
        } else {
            HashSet::new()
        };
        let read = state
            .store
            .learning()
            .index_rows_since(since_ms, &known)
            .await;
        if seen_version == version {
            s.at_since = known;
        }
        let rows = read?;
        if rows.is_empty() && seen_version == version {
            let mut seen = self.seen.write().unwrap_or_else(|e| e.into_inner());
            seen.checked = Some(Instant::now());
            return Ok(seen.providers.clone());
        }
        let since = rows.iter().map(|r| r.updated_at).max().unwrap_or(since_ms);
        let at_since: HashSet<Uuid> = rows
            .iter()
            .filter(|r| r.updated_at == since)
            .map(|r| r.id)
            .collect();
        let (published, withdrawn): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.published);
        self.write_cards()
            .extend(published.iter().map(|r| (r.id, card(r))));
        let docs: Vec<CourseDoc> = published.into_iter().map(doc).collect();
        let withdrawn: Vec<Uuid> = withdrawn.into_iter().map(|r| r.id).collect();
        let index = self.index.clone();
        let removed = withdrawn.clone();
        tokio::task::spawn_blocking(move || {
            for id in removed {
                index.remove(id)?;
            }
            if docs.is_empty() {
                Ok(())
            } else {
                index.upsert(docs)
            }
        })
        .await
        .map_err(internal)?
        .map_err(internal)?;
        {
            let mut cards = self.write_cards();
            for id in withdrawn {
                cards.remove(&id);
            }
        }
        if since == since_ms {
            s.at_since.extend(at_since);
        } else {
            s.at_since = at_since;
        }
        s.since_ms = since;
        let providers = Arc::new(state.store.learning().providers().await?);
        *self.seen.write().unwrap_or_else(|e| e.into_inner()) = Seen {
            version,
            checked: Some(Instant::now()),
            providers: providers.clone(),
        };
        Ok(providers)
    }

    /// Builds the index again from the database, whole, and swaps it in
    /// (searches meanwhile answer from the old one). Returns how many
    /// courses it holds. For an operator who changed the database by hand;
    /// every start builds it anyway.
    pub async fn rebuild(&self, state: &AppState) -> Result<usize, AppError> {
        let version = state.store.catalog_version();
        let mut s = self.sync.lock().await;
        let rows = state
            .store
            .learning()
            .index_rows_since(i64::MIN, &HashSet::new())
            .await?;
        let since = rows.iter().map(|r| r.updated_at).max().unwrap_or(i64::MIN);
        let at_since = rows
            .iter()
            .filter(|r| r.updated_at == since)
            .map(|r| r.id)
            .collect();
        let published: Vec<IndexRow> = rows.into_iter().filter(|r| r.published).collect();
        *self.write_cards() = published.iter().map(|r| (r.id, card(r))).collect();
        let docs: Vec<CourseDoc> = published.into_iter().map(doc).collect();
        let n = docs.len();
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.replace_all(docs))
            .await
            .map_err(internal)?
            .map_err(internal)?;
        s.since_ms = since;
        s.at_since = at_since;
        let providers = Arc::new(state.store.learning().providers().await?);
        *self.seen.write().unwrap_or_else(|e| e.into_inner()) = Seen {
            version,
            checked: Some(Instant::now()),
            providers,
        };
        Ok(n)
    }

    fn write_cards(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<Uuid, CourseCard>> {
        self.cards.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Courses in the index.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Searches the published catalog: a page of cards, the total and the
    /// facet counts, as the catalog page and the API show them.
    pub async fn search(&self, state: &AppState, q: &CourseQuery) -> Result<CoursePage, AppError> {
        let providers = self.sync(state).await?;
        let provider = match &q.provider {
            Some(slug) => match providers.iter().find(|p| &p.slug == slug) {
                Some(p) => Some(p.id),
                None => {
                    return Ok(CoursePage {
                        courses: Vec::new(),
                        total: 0,
                        facets: Facets::default(),
                    });
                }
            },
            None => None,
        };
        let filters = Filters {
            q: q.q.clone(),
            skill: q.skill.clone(),
            level: q.level.map(|l| l.key().to_owned()),
            provider,
            language: q.language.clone(),
            duration: q.duration,
            allowed: q.allowed_providers.clone(),
        };
        let (page, per_page) = (q.page, q.per_page.clamp(1, 100));
        // On this thread: a search takes about a millisecond (two at most
        // over 100,000 courses), less than the two thread switches of
        // handing it to the blocking pool and back cost under load
        // (docs/benchmarks.md, "Search over HTTP, 2026-12-07").
        let hits = self
            .index
            .search(&filters, page, per_page)
            .map_err(internal)?;
        let by_id: HashMap<Uuid, &lyceum_store::learning::Provider> =
            providers.iter().map(|p| (p.id, p)).collect();
        let courses = {
            let cards = self.cards.read().unwrap_or_else(|e| e.into_inner());
            hits.ids
                .iter()
                .filter_map(|id| cards.get(id))
                .map(|c| {
                    let mut c = c.clone();
                    if let Some(p) = by_id.get(&c.provider_id) {
                        c.provider_slug.clone_from(&p.slug);
                        c.provider_name.clone_from(&p.name);
                        c.is_partner = p.is_partner;
                    }
                    c
                })
                .collect()
        };
        let f = hits.facets;
        let value = |v: String, label: String, count: u64| FacetValue {
            value: v,
            label,
            count,
        };
        Ok(CoursePage {
            courses,
            total: hits.total,
            facets: Facets {
                skills: f
                    .skills
                    .into_iter()
                    .map(|(s, n)| value(s.clone(), s, n))
                    .collect(),
                levels: Level::ALL
                    .into_iter()
                    .filter_map(|l| {
                        let n = f.levels.iter().find(|(k, _)| k == l.key())?.1;
                        Some(value(l.key().into(), l.label().into(), n))
                    })
                    .collect(),
                providers: f
                    .providers
                    .into_iter()
                    .filter_map(|(id, n)| {
                        let p = by_id.get(&id)?;
                        Some(value(p.slug.clone(), p.name.clone(), n))
                    })
                    .collect(),
                languages: f
                    .languages
                    .into_iter()
                    .map(|(tag, n)| {
                        let label = Language::parse(&tag)
                            .map(|l| l.label())
                            .unwrap_or(tag.clone());
                        value(tag, label, n)
                    })
                    .collect(),
                durations: f
                    .durations
                    .into_iter()
                    .map(|(b, n)| value(b.key().into(), b.label().into(), n))
                    .collect(),
            },
        })
    }
}
