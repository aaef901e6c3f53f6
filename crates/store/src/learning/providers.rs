//! Content providers' people and reach: who manages a provider, which
//! partner providers each library licenses for its patrons, and the
//! aggregate figures a provider may see (never a learner).

use super::{Learner, Learning};
use crate::entity::{course, enrolment, library_provider, provider, provider_staff};
use crate::{StoreError, from_ms};
use chrono::{DateTime, Utc};
use lyceum_core::domain::library::reportable;
use lyceum_core::domain::{LibraryId, MemberId};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

use super::Provider;

/// A provider's course with its aggregate figures. Counts under the
/// reporting threshold are `None`, so no learner can be picked out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CourseStats {
    /// Short name.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Publishing state key.
    pub status: String,
    /// Learners enrolled, or `None` under the threshold.
    pub enrolments: Option<u64>,
    /// Learners who finished, or `None` under the threshold.
    pub completions: Option<u64>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, FromQueryResult)]
struct CourseCount {
    course_id: Uuid,
    n: i64,
}

impl Learning<'_> {
    /// Makes a member staff of a provider (idempotent).
    pub async fn add_provider_staff(
        &self,
        provider: Uuid,
        member: MemberId,
    ) -> Result<(), StoreError> {
        provider_staff::Entity::insert(provider_staff::ActiveModel {
            provider_id: Set(provider),
            member_id: Set(member.0),
            added_at: Set(self.store.now_ms()),
        })
        .on_conflict(
            OnConflict::columns([
                provider_staff::Column::ProviderId,
                provider_staff::Column::MemberId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&self.store.writer)
        .await?;
        Ok(())
    }

    /// Whether a member manages a provider.
    pub async fn is_provider_staff(
        &self,
        provider: Uuid,
        member: MemberId,
    ) -> Result<bool, StoreError> {
        Ok(provider_staff::Entity::find_by_id((provider, member.0))
            .one(&self.store.db)
            .await?
            .is_some())
    }

    /// The providers a member manages.
    pub async fn managed_by(&self, member: MemberId) -> Result<Vec<Provider>, StoreError> {
        let ids: Vec<Uuid> = provider_staff::Entity::find()
            .filter(provider_staff::Column::MemberId.eq(member.0))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|s| s.provider_id)
            .collect();
        Ok(provider::Entity::find()
            .filter(provider::Column::Id.is_in(ids))
            .order_by_asc(provider::Column::Name)
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(Provider::from)
            .collect())
    }

    /// How many members manage each provider.
    pub async fn staff_counts(&self) -> Result<HashMap<Uuid, u64>, StoreError> {
        let rows: Vec<(Uuid, i64)> = provider_staff::Entity::find()
            .select_only()
            .column(provider_staff::Column::ProviderId)
            .column_as(Expr::col(provider_staff::Column::MemberId).count(), "n")
            .group_by(provider_staff::Column::ProviderId)
            .into_tuple()
            .all(&self.store.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(p, n)| (p, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    /// Courses per provider, in any state.
    pub async fn course_counts(&self) -> Result<HashMap<Uuid, u64>, StoreError> {
        let rows: Vec<(Uuid, i64)> = course::Entity::find()
            .select_only()
            .column(course::Column::ProviderId)
            .column_as(Expr::col(course::Column::Id).count(), "n")
            .group_by(course::Column::ProviderId)
            .into_tuple()
            .all(&self.store.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(p, n)| (p, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    /// A provider's courses with enrolment and completion counts,
    /// suppressed under the reporting threshold.
    pub async fn provider_stats(&self, provider: Uuid) -> Result<Vec<CourseStats>, StoreError> {
        let courses = course::Entity::find()
            .filter(course::Column::ProviderId.eq(provider))
            .order_by_asc(course::Column::Title)
            .all(&self.store.db)
            .await?;
        let ids: Vec<Uuid> = courses.iter().map(|c| c.id).collect();
        let count = |completed: bool| {
            let mut q = enrolment::Entity::find()
                .select_only()
                .column(enrolment::Column::CourseId)
                .column_as(Expr::col(enrolment::Column::Id).count(), "n")
                .filter(enrolment::Column::CourseId.is_in(ids.clone()))
                .group_by(enrolment::Column::CourseId);
            if completed {
                q = q.filter(enrolment::Column::CompletedAt.is_not_null());
            }
            q.into_model::<CourseCount>().all(&self.store.db)
        };
        let enrolled: HashMap<Uuid, i64> = count(false)
            .await?
            .into_iter()
            .map(|c| (c.course_id, c.n))
            .collect();
        let finished: HashMap<Uuid, i64> = count(true)
            .await?
            .into_iter()
            .map(|c| (c.course_id, c.n))
            .collect();
        let n = |m: &HashMap<Uuid, i64>, id: &Uuid| {
            reportable(u64::try_from(m.get(id).copied().unwrap_or(0)).unwrap_or(0))
        };
        Ok(courses
            .into_iter()
            .map(|c| CourseStats {
                enrolments: n(&enrolled, &c.id),
                completions: n(&finished, &c.id),
                slug: c.slug,
                title: c.title,
                status: c.status,
                updated_at: from_ms(c.updated_at),
            })
            .collect())
    }

    /// The partner providers a library licenses.
    pub async fn licensed_providers(&self, library: LibraryId) -> Result<Vec<Uuid>, StoreError> {
        Ok(library_provider::Entity::find()
            .filter(library_provider::Column::LibraryId.eq(library.0))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|l| l.provider_id)
            .collect())
    }

    /// Replaces the partner providers a library licenses.
    pub async fn set_licensed_providers(
        &self,
        library: LibraryId,
        providers: &[Uuid],
    ) -> Result<(), StoreError> {
        let now = self.store.now_ms();
        let tx = self.store.writer.begin().await?;
        library_provider::Entity::delete_many()
            .filter(library_provider::Column::LibraryId.eq(library.0))
            .exec(&tx)
            .await?;
        let unique: std::collections::BTreeSet<&Uuid> = providers.iter().collect();
        for p in unique {
            library_provider::ActiveModel {
                library_id: Set(library.0),
                provider_id: Set(*p),
                added_at: Set(now),
            }
            .insert(&tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The providers whose courses a learner may take: every provider for
    /// a member; for a guest, the instance's own providers and the
    /// partners their library licenses. `None` means no restriction.
    pub async fn allowed_providers(
        &self,
        learner: Option<&Learner>,
    ) -> Result<Option<Vec<Uuid>>, StoreError> {
        let Some(library) = learner.and_then(|l| l.library) else {
            return Ok(None);
        };
        let mut allowed: Vec<Uuid> = provider::Entity::find()
            .filter(provider::Column::IsPartner.eq(false))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        allowed.extend(self.licensed_providers(library).await?);
        Ok(Some(allowed))
    }
}
