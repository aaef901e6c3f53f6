//! Catalog search: the node's tantivy index, kept in step with the
//! database. Before answering, the index takes in every course changed
//! since it last looked: at once after a catalog write on this node (the
//! store's catalog version moved), and at least every second otherwise, so
//! a course published on another node is found within a second too.

use crate::AppState;
use crate::error::AppError;
use lyceum_core::domain::learning::{Language, Level};
use lyceum_search::{CourseDoc, CourseIndex, Filters};
use lyceum_store::learning::{CoursePage, CourseQuery, FacetValue, Facets};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a node trusts its index without asking the database.
const RECHECK: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct SyncState {
    /// The store's catalog version when last synced.
    version: u64,
    /// The newest `updated_at` taken in.
    since_ms: i64,
    /// When the database was last asked.
    checked: Option<Instant>,
    /// Courses already taken in at exactly `since_ms`, so the next look
    /// (which asks for `updated_at >= since_ms`) does not redo them.
    at_since: std::collections::HashSet<uuid::Uuid>,
    /// The providers, as of the last change.
    providers: Arc<Vec<lyceum_store::learning::Provider>>,
}

/// The catalog index and how far it has caught up.
#[derive(Debug)]
pub struct CatalogSearch {
    index: Arc<CourseIndex>,
    sync: tokio::sync::Mutex<SyncState>,
}

/// A course as the index takes it in.
fn doc(r: lyceum_store::learning::IndexRow) -> CourseDoc {
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
            sync: tokio::sync::Mutex::new(SyncState {
                version: 0,
                since_ms: i64::MIN,
                checked: None,
                at_since: std::collections::HashSet::new(),
                providers: Arc::new(Vec::new()),
            }),
        })
    }

    /// Takes in the courses changed since the last sync, if the store says
    /// there were writes here or a second has passed.
    pub async fn sync(
        &self,
        state: &AppState,
    ) -> Result<Arc<Vec<lyceum_store::learning::Provider>>, AppError> {
        let version = state.store.catalog_version();
        let mut s = self.sync.lock().await;
        let fresh = s.checked.is_some_and(|t| t.elapsed() < RECHECK);
        if s.version == version && fresh {
            return Ok(s.providers.clone());
        }
        let since_ms = s.since_ms;
        let rows: Vec<_> = state
            .store
            .learning()
            .index_rows_since(since_ms)
            .await?
            .into_iter()
            // After a write on this node, take everything at the boundary
            // again (a course may have changed twice within a millisecond);
            // on the periodic look, skip what was already taken in.
            .filter(|r| {
                s.version != version || !(r.updated_at == since_ms && s.at_since.contains(&r.id))
            })
            .collect();
        if rows.is_empty() && s.version == version {
            s.checked = Some(Instant::now());
            return Ok(s.providers.clone());
        }
        let since = rows.iter().map(|r| r.updated_at).max().unwrap_or(since_ms);
        let at_since: std::collections::HashSet<uuid::Uuid> = rows
            .iter()
            .filter(|r| r.updated_at == since)
            .map(|r| r.id)
            .collect();
        let (published, withdrawn): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.published);
        let docs: Vec<CourseDoc> = published.into_iter().map(doc).collect();
        let withdrawn: Vec<uuid::Uuid> = withdrawn.into_iter().map(|r| r.id).collect();
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || {
            for id in withdrawn {
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
        if since == since_ms {
            s.at_since.extend(at_since);
        } else {
            s.at_since = at_since;
        }
        s.version = version;
        s.since_ms = since;
        s.checked = Some(Instant::now());
        s.providers = Arc::new(state.store.learning().providers().await?);
        Ok(s.providers.clone())
    }

    /// Builds the index again from the database, whole, and swaps it in
    /// (searches meanwhile answer from the old one). Returns how many
    /// courses it holds. For an operator who changed the database by hand;
    /// every start builds it anyway.
    pub async fn rebuild(&self, state: &AppState) -> Result<usize, AppError> {
        let version = state.store.catalog_version();
        let mut s = self.sync.lock().await;
        let rows = state.store.learning().index_rows_since(i64::MIN).await?;
        let since = rows.iter().map(|r| r.updated_at).max().unwrap_or(i64::MIN);
        let at_since = rows
            .iter()
            .filter(|r| r.updated_at == since)
            .map(|r| r.id)
            .collect();
        let docs: Vec<CourseDoc> = rows.into_iter().filter(|r| r.published).map(doc).collect();
        let n = docs.len();
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.replace_all(docs))
            .await
            .map_err(internal)?
            .map_err(internal)?;
        s.version = version;
        s.since_ms = since;
        s.at_since = at_since;
        s.checked = Some(Instant::now());
        s.providers = Arc::new(state.store.learning().providers().await?);
        Ok(n)
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
        let index = self.index.clone();
        let (page, per_page) = (q.page, q.per_page.clamp(1, 100));
        let hits = tokio::task::spawn_blocking(move || index.search(&filters, page, per_page))
            .await
            .map_err(internal)?
            .map_err(internal)?;
        let courses = state.store.learning().cards_for(&hits.ids).await?;
        let by_id: HashMap<uuid::Uuid, (&str, &str)> = providers
            .iter()
            .map(|p| (p.id, (p.slug.as_str(), p.name.as_str())))
            .collect();
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
                        let (slug, name) = by_id.get(&id)?;
                        Some(value((*slug).into(), (*name).into(), n))
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
