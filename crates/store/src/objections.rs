//! Objections (GDPR Art. 21). Features that rest on a legitimate interest
//! ask [`Objections::has_objected`] before processing; the latest event
//! per ground counts.

use crate::entity::objection_event;
use crate::{Store, StoreError, from_ms};
use chrono::{DateTime, Utc};
use lyceum_core::domain::SubjectId;
use lyceum_core::domain::objection::Ground;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// Where a person stands on one ground.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectionState {
    /// The ground.
    pub ground: Ground,
    /// Whether the person objects now.
    pub objected: bool,
    /// Since when, if they ever said.
    pub since: Option<DateTime<Utc>>,
}

/// Objections over the store.
#[derive(Debug)]
pub struct Objections<'a> {
    store: &'a Store,
}

impl<'a> Objections<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Records an objection (`true`) or its withdrawal (`false`).
    pub async fn set(
        &self,
        subject: SubjectId,
        ground: Ground,
        objected: bool,
    ) -> Result<(), StoreError> {
        objection_event::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            subject_id: Set(subject.0),
            ground: Set(ground.key().to_owned()),
            objected: Set(objected),
            at: Set(self.store.now_ms()),
        }
        .insert(&self.store.writer)
        .await?;
        Ok(())
    }

    /// Every ground with the person's current answer.
    pub async fn states(&self, subject: SubjectId) -> Result<Vec<ObjectionState>, StoreError> {
        let rows = objection_event::Entity::find()
            .filter(objection_event::Column::SubjectId.eq(subject.0))
            .order_by_asc(objection_event::Column::At)
            .order_by_asc(objection_event::Column::Id)
            .all(&self.store.db)
            .await?;
        Ok(Ground::ALL
            .into_iter()
            .map(|ground| {
                let last = rows.iter().rev().find(|r| r.ground == ground.key());
                ObjectionState {
                    ground,
                    objected: last.is_some_and(|r| r.objected),
                    since: last.map(|r| from_ms(r.at)),
                }
            })
            .collect())
    }

    /// Whether the person objects to this processing now.
    pub async fn has_objected(
        &self,
        subject: SubjectId,
        ground: Ground,
    ) -> Result<bool, StoreError> {
        Ok(objection_event::Entity::find()
            .filter(objection_event::Column::SubjectId.eq(subject.0))
            .filter(objection_event::Column::Ground.eq(ground.key()))
            .order_by_desc(objection_event::Column::At)
            .order_by_desc(objection_event::Column::Id)
            .one(&self.store.db)
            .await?
            .is_some_and(|r| r.objected))
    }
}
