//! The breach register (GDPR Art. 33 and 34). An operator records an
//! incident and the kinds of data it touched; the people affected are
//! worked out from the data map (everyone with a value in a field of
//! those categories), counted per category, and linked to the incident so
//! that, once the operator tells them, each sees the notice on their own
//! privacy page. The 72 hours for telling the supervisory authority run
//! from `detected_at`.

use crate::datamap::MAIN;
use crate::entity::{breach, breach_subject};
use crate::{Store, StoreError, from_ms, to_ms};
use chrono::{DateTime, Utc};
use lyceum_core::domain::SubjectId;
use lyceum_core::domain::datamap::Category;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, Statement, TransactionTrait,
};
use std::collections::{BTreeMap, HashSet};

/// How long the law gives to tell the supervisory authority.
pub const AUTHORITY_DEADLINE_HOURS: i64 = 72;

/// What the operator records.
#[derive(Debug, Clone)]
pub struct NewBreach {
    /// A short title.
    pub title: String,
    /// What happened.
    pub description: String,
    /// The kinds of data affected.
    pub categories: Vec<Category>,
    /// Likely consequences for the people affected.
    pub consequences: String,
    /// Measures taken or proposed.
    pub measures: String,
    /// When the operator became aware.
    pub detected_at: DateTime<Utc>,
}

/// A recorded breach.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Breach {
    /// Id.
    pub id: uuid::Uuid,
    /// Title.
    pub title: String,
    /// What happened.
    pub description: String,
    /// The kinds of data affected.
    pub categories: Vec<Category>,
    /// People affected per category, when recorded.
    pub affected_by_category: BTreeMap<String, u64>,
    /// People affected in all.
    pub affected: u64,
    /// Likely consequences.
    pub consequences: String,
    /// Measures.
    pub measures: String,
    /// When the operator became aware.
    pub detected_at: DateTime<Utc>,
    /// The authority's deadline.
    pub authority_deadline: DateTime<Utc>,
    /// When the authority was told.
    pub authority_notified_at: Option<DateTime<Utc>>,
    /// When the people affected were told.
    pub people_notified_at: Option<DateTime<Utc>>,
}

/// Why a breach could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum BreachError {
    /// A field is missing or wrong.
    #[error("{1}")]
    Invalid(&'static str, String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for BreachError {
    fn from(e: sea_orm::DbErr) -> Self {
        BreachError::Store(e.into())
    }
}

fn decode(r: breach::Model, affected: u64) -> Breach {
    Breach {
        id: r.id,
        title: r.title,
        description: r.description,
        categories: r
            .categories
            .split(',')
            .filter_map(Category::from_key)
            .collect(),
        affected_by_category: serde_json::from_str(&r.affected_counts).unwrap_or_default(),
        affected,
        consequences: r.consequences,
        measures: r.measures,
        detected_at: from_ms(r.detected_at),
        authority_deadline: from_ms(r.detected_at)
            + chrono::Duration::hours(AUTHORITY_DEADLINE_HOURS),
        authority_notified_at: r.authority_notified_at.map(from_ms),
        people_notified_at: r.people_notified_at.map(from_ms),
    }
}

impl Store {
    /// Everyone holding a value in a field of `category`, per the data map.
    async fn subjects_with(&self, category: Category) -> Result<HashSet<uuid::Uuid>, StoreError> {
        let backend = self.backend();
        let mut out = HashSet::new();
        for table in MAIN {
            let fields: Vec<&str> = table
                .personal_fields()
                .filter(|(_, f)| f.category == category)
                .map(|(c, _)| c)
                .collect();
            if fields.is_empty() {
                continue;
            }
            let any_value = fields
                .iter()
                .map(|c| format!("{c} IS NOT NULL"))
                .collect::<Vec<_>>()
                .join(" OR ");
            for column in table.subject_columns() {
                let sql = format!(
                    "SELECT DISTINCT {column} AS s FROM {} WHERE {column} IS NOT NULL AND ({any_value})",
                    table.table
                );
                for row in self
                    .db
                    .query_all_raw(Statement::from_string(backend, sql))
                    .await?
                {
                    out.insert(row.try_get::<uuid::Uuid>("", "s")?);
                }
            }
        }
        Ok(out)
    }

    /// Records a breach and works out who it affected.
    pub async fn record_breach(&self, new: NewBreach) -> Result<Breach, BreachError> {
        let title = new.title.trim().to_owned();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(BreachError::Invalid(
                "title",
                "Give the incident a short title (up to 200 characters).".into(),
            ));
        }
        if new.description.trim().is_empty() {
            return Err(BreachError::Invalid(
                "description",
                "Describe what happened.".into(),
            ));
        }
        if new.categories.is_empty() {
            return Err(BreachError::Invalid(
                "categories",
                "Choose at least one kind of data that was affected.".into(),
            ));
        }
        if new.detected_at > self.clock.now() {
            return Err(BreachError::Invalid(
                "detected_at",
                "The time you became aware cannot be in the future.".into(),
            ));
        }
        let mut all = HashSet::new();
        let mut counts = BTreeMap::new();
        for c in &new.categories {
            let who = self.subjects_with(*c).await?;
            counts.insert(c.key().to_owned(), who.len() as u64);
            all.extend(who);
        }
        let id = uuid::Uuid::now_v7();
        let row = breach::ActiveModel {
            id: Set(id),
            title: Set(title),
            description: Set(new.description.trim().to_owned()),
            categories: Set(new
                .categories
                .iter()
                .map(|c| c.key())
                .collect::<Vec<_>>()
                .join(",")),
            affected_counts: Set(serde_json::to_string(&counts).unwrap_or_default()),
            consequences: Set(new.consequences.trim().to_owned()),
            measures: Set(new.measures.trim().to_owned()),
            detected_at: Set(to_ms(new.detected_at)),
            authority_notified_at: Set(None),
            people_notified_at: Set(None),
            created_at: Set(self.now_ms()),
        };
        let links: Vec<breach_subject::ActiveModel> = all
            .iter()
            .map(|s| breach_subject::ActiveModel {
                breach_id: Set(id),
                subject_id: Set(*s),
            })
            .collect();
        self.writer
            .transaction::<_, (), sea_orm::DbErr>(|tx| {
                Box::pin(async move {
                    row.insert(tx).await?;
                    for chunk in links.chunks(500) {
                        breach_subject::Entity::insert_many(chunk.to_vec())
                            .exec(tx)
                            .await?;
                    }
                    Ok(())
                })
            })
            .await
            .map_err(|e| match e {
                sea_orm::TransactionError::Connection(e)
                | sea_orm::TransactionError::Transaction(e) => BreachError::from(e),
            })?;
        self.breach(id)
            .await?
            .ok_or_else(|| BreachError::Store(StoreError::Corrupt("breach vanished".into())))
    }

    async fn affected(&self, id: uuid::Uuid) -> Result<u64, StoreError> {
        Ok(breach_subject::Entity::find()
            .filter(breach_subject::Column::BreachId.eq(id))
            .count(&self.db)
            .await?)
    }

    /// One breach.
    pub async fn breach(&self, id: uuid::Uuid) -> Result<Option<Breach>, StoreError> {
        let Some(r) = breach::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        let n = self.affected(id).await?;
        Ok(Some(decode(r, n)))
    }

    /// Every breach, newest first.
    pub async fn breaches(&self) -> Result<Vec<Breach>, StoreError> {
        let rows = breach::Entity::find()
            .order_by_desc(breach::Column::DetectedAt)
            .all(&self.db)
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let n = self.affected(r.id).await?;
            out.push(decode(r, n));
        }
        Ok(out)
    }

    /// Records that the supervisory authority was told, now.
    pub async fn breach_authority_notified(&self, id: uuid::Uuid) -> Result<(), StoreError> {
        breach::Entity::update_many()
            .col_expr(
                breach::Column::AuthorityNotifiedAt,
                Expr::value(self.now_ms()),
            )
            .filter(breach::Column::Id.eq(id))
            .filter(breach::Column::AuthorityNotifiedAt.is_null())
            .exec(&self.writer)
            .await?;
        Ok(())
    }

    /// Tells the people affected: from now their privacy pages show it.
    pub async fn breach_notify_people(&self, id: uuid::Uuid) -> Result<(), StoreError> {
        breach::Entity::update_many()
            .col_expr(breach::Column::PeopleNotifiedAt, Expr::value(self.now_ms()))
            .filter(breach::Column::Id.eq(id))
            .filter(breach::Column::PeopleNotifiedAt.is_null())
            .exec(&self.writer)
            .await?;
        Ok(())
    }

    /// The breaches a person has been told about.
    pub async fn breach_notices(&self, subject: SubjectId) -> Result<Vec<Breach>, StoreError> {
        let ids: Vec<uuid::Uuid> = breach_subject::Entity::find()
            .filter(breach_subject::Column::SubjectId.eq(subject.0))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| r.breach_id)
            .collect();
        let mut out = Vec::new();
        for id in ids {
            if let Some(b) = self.breach(id).await?
                && b.people_notified_at.is_some()
            {
                out.push(b);
            }
        }
        out.sort_by_key(|b| std::cmp::Reverse(b.detected_at));
        Ok(out)
    }
}
