//! Collections: ordered lists of courses. A library's staff curate its
//! learning paths, which anyone may follow; a learner keeps collections
//! for themself, which nobody else sees (their titles are encrypted under
//! the learner's key). Each course shows the viewer's progress in it.

use super::{CourseCard, Learner, Learning, LearningError};
use crate::entity::{collection, collection_course, course};
use crate::{StoreError, from_ms};
use chrono::{DateTime, Utc};
use lyceum_core::domain::learning::CourseStatus;
use lyceum_core::domain::{LibraryId, SubjectId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// The longest collection title.
pub const MAX_COLLECTION_TITLE: usize = 100;
/// The longest learning path introduction.
pub const MAX_PATH_DESCRIPTION: usize = 2_000;
/// The most courses in one collection.
pub const MAX_COLLECTION_COURSES: u64 = 100;

const TITLE_CTX: &str = "collections.title";

/// Whose collection: a library's (its staff act for it) or a learner's.
#[derive(Debug, Clone)]
pub enum CollectionOwner {
    /// A library's learning path.
    Library(LibraryId),
    /// A learner's own collection.
    Learner(Learner),
}

/// Where the viewer stands with a course of a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CourseProgress {
    /// Not enrolled.
    NotStarted,
    /// Enrolled, not finished.
    InProgress,
    /// Finished.
    Finished,
}

/// A collection with its courses.
#[derive(Debug, Clone, Serialize)]
pub struct CollectionView {
    /// Id.
    pub id: Uuid,
    /// The library whose path it is.
    pub library_id: Option<Uuid>,
    /// Title.
    pub title: String,
    /// A path's introduction.
    pub description: String,
    /// Published courses in order, with the viewer's progress.
    pub courses: Vec<(CourseCard, CourseProgress)>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A collection in a list.
#[derive(Debug, Clone, Serialize)]
pub struct CollectionSummary {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// A path's introduction.
    pub description: String,
    /// Courses in it.
    pub courses: u64,
}

fn check_title(title: &str) -> Result<String, LearningError> {
    let t = title.trim();
    if t.is_empty() {
        return Err(LearningError::Invalid(
            "title",
            "Give the collection a title.".into(),
        ));
    }
    if t.chars().count() > MAX_COLLECTION_TITLE {
        return Err(LearningError::Invalid(
            "title",
            format!("A title has at most {MAX_COLLECTION_TITLE} characters."),
        ));
    }
    Ok(t.to_owned())
}

fn check_description(d: &str) -> Result<String, LearningError> {
    let d = d.trim();
    if d.chars().count() > MAX_PATH_DESCRIPTION {
        return Err(LearningError::Invalid(
            "description",
            format!("An introduction has at most {MAX_PATH_DESCRIPTION} characters."),
        ));
    }
    Ok(d.to_owned())
}

impl Learning<'_> {
    async fn title_of(&self, c: &collection::Model) -> Result<Option<String>, StoreError> {
        match c.owner_id {
            Some(owner) => match self.store.keyring.get(SubjectId(owner)).await {
                Ok(key) => Ok(Some(
                    key.decrypt_string(TITLE_CTX, &c.title_ciphertext)
                        .map_err(|e| StoreError::Corrupt(format!("collection title: {e}")))?,
                )),
                Err(StoreError::KeyDestroyed) => Ok(None),
                Err(e) => Err(e),
            },
            None => Ok(Some(c.title.clone())),
        }
    }

    /// Makes a collection; returns its id.
    pub async fn create_collection(
        &self,
        owner: &CollectionOwner,
        title: &str,
        description: &str,
    ) -> Result<Uuid, LearningError> {
        let title = check_title(title)?;
        let now = self.store.now_ms();
        let id = Uuid::now_v7();
        let mut row = collection::ActiveModel {
            id: Set(id),
            library_id: Set(None),
            owner_id: Set(None),
            title: Set(String::new()),
            title_ciphertext: Set(Vec::new()),
            description: Set(String::new()),
            created_at: Set(now),
            updated_at: Set(now),
        };
        match owner {
            CollectionOwner::Library(l) => {
                row.library_id = Set(Some(l.0));
                row.title = Set(title);
                row.description = Set(check_description(description)?);
            }
            CollectionOwner::Learner(l) => {
                let key = self.store.keyring.get(l.primary).await?;
                row.owner_id = Set(Some(l.primary.0));
                row.title_ciphertext = Set(key.encrypt(TITLE_CTX, title.as_bytes()));
            }
        }
        row.insert(&self.store.writer).await?;
        Ok(id)
    }

    /// The collection if `owner` may change it, else not found.
    async fn owned(
        &self,
        id: Uuid,
        owner: &CollectionOwner,
    ) -> Result<collection::Model, LearningError> {
        let c = collection::Entity::find_by_id(id)
            .one(&self.store.writer)
            .await?
            .ok_or(LearningError::NotFound)?;
        let ok = match owner {
            CollectionOwner::Library(l) => c.library_id == Some(l.0),
            CollectionOwner::Learner(l) => c.owner_id.is_some_and(|o| l.subjects().contains(&o)),
        };
        if ok {
            Ok(c)
        } else {
            Err(LearningError::NotFound)
        }
    }

    /// Renames a collection (and rewrites a path's introduction).
    pub async fn edit_collection(
        &self,
        id: Uuid,
        owner: &CollectionOwner,
        title: &str,
        description: &str,
    ) -> Result<(), LearningError> {
        let c = self.owned(id, owner).await?;
        let title = check_title(title)?;
        let mut a: collection::ActiveModel = c.clone().into();
        match c.owner_id {
            Some(o) => {
                let key = self.store.keyring.get(SubjectId(o)).await?;
                a.title_ciphertext = Set(key.encrypt(TITLE_CTX, title.as_bytes()));
            }
            None => {
                a.title = Set(title);
                a.description = Set(check_description(description)?);
            }
        }
        a.updated_at = Set(self.store.now_ms());
        a.update(&self.store.writer).await?;
        Ok(())
    }

    /// Deletes a collection (its courses stay in the catalog).
    pub async fn delete_collection(
        &self,
        id: Uuid,
        owner: &CollectionOwner,
    ) -> Result<(), LearningError> {
        self.owned(id, owner).await?;
        collection::Entity::delete_by_id(id)
            .exec(&self.store.writer)
            .await?;
        Ok(())
    }

    /// Adds a published course at the end (already there is fine).
    pub async fn add_to_collection(
        &self,
        id: Uuid,
        owner: &CollectionOwner,
        course_id: Uuid,
    ) -> Result<(), LearningError> {
        let c = self.owned(id, owner).await?;
        course::Entity::find_by_id(course_id)
            .one(&self.store.db)
            .await?
            .filter(|m| m.status == CourseStatus::Published.key())
            .ok_or(LearningError::NotFound)?;
        let tx = self.store.writer.begin().await?;
        if collection_course::Entity::find_by_id((id, course_id))
            .one(&tx)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let count = collection_course::Entity::find()
            .filter(collection_course::Column::CollectionId.eq(id))
            .count(&tx)
            .await?;
        if count >= MAX_COLLECTION_COURSES {
            return Err(LearningError::Workflow(format!(
                "A collection holds at most {MAX_COLLECTION_COURSES} courses."
            )));
        }
        let last = collection_course::Entity::find()
            .filter(collection_course::Column::CollectionId.eq(id))
            .order_by_desc(collection_course::Column::Position)
            .one(&tx)
            .await?
            .map_or(-1, |r| r.position);
        let now = self.store.now_ms();
        collection_course::ActiveModel {
            collection_id: Set(id),
            course_id: Set(course_id),
            owner_id: Set(c.owner_id),
            position: Set(last + 1),
            added_at: Set(now),
        }
        .insert(&tx)
        .await?;
        touch(&tx, id, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes a course out of a collection.
    pub async fn remove_from_collection(
        &self,
        id: Uuid,
        owner: &CollectionOwner,
        course_id: Uuid,
    ) -> Result<(), LearningError> {
        self.owned(id, owner).await?;
        collection_course::Entity::delete_by_id((id, course_id))
            .exec(&self.store.writer)
            .await?;
        touch(&self.store.writer, id, self.store.now_ms()).await?;
        Ok(())
    }

    /// Moves a course one place earlier (`up`) or later.
    pub async fn move_in_collection(
        &self,
        id: Uuid,
        owner: &CollectionOwner,
        course_id: Uuid,
        up: bool,
    ) -> Result<(), LearningError> {
        self.owned(id, owner).await?;
        let tx = self.store.writer.begin().await?;
        let rows = collection_course::Entity::find()
            .filter(collection_course::Column::CollectionId.eq(id))
            .order_by_asc(collection_course::Column::Position)
            .all(&tx)
            .await?;
        let at = rows
            .iter()
            .position(|r| r.course_id == course_id)
            .ok_or(LearningError::NotFound)?;
        let other = if up { at.checked_sub(1) } else { Some(at + 1) };
        if let Some(o) = other.filter(|o| *o < rows.len()) {
            let (a, b) = (&rows[at], &rows[o]);
            for (row, position) in [(a, b.position), (b, a.position)] {
                collection_course::Entity::update_many()
                    .col_expr(collection_course::Column::Position, Expr::value(position))
                    .filter(collection_course::Column::CollectionId.eq(id))
                    .filter(collection_course::Column::CourseId.eq(row.course_id))
                    .exec(&tx)
                    .await?;
            }
            touch(&tx, id, self.store.now_ms()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A collection as `viewer` sees it: a library's path is open to
    /// anyone; a learner's collection only to them.
    pub async fn collection(
        &self,
        id: Uuid,
        viewer: Option<&Learner>,
        allowed: Option<&[Uuid]>,
    ) -> Result<CollectionView, LearningError> {
        let c = collection::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or(LearningError::NotFound)?;
        if let Some(owner) = c.owner_id
            && !viewer.is_some_and(|v| v.subjects().contains(&owner))
        {
            return Err(LearningError::NotFound);
        }
        let title = self.title_of(&c).await?.ok_or(LearningError::NotFound)?;
        let order: Vec<Uuid> = collection_course::Entity::find()
            .filter(collection_course::Column::CollectionId.eq(id))
            .order_by_asc(collection_course::Column::Position)
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|r| r.course_id)
            .collect();
        let mut find = course::Entity::find()
            .filter(course::Column::Id.is_in(order.clone()))
            .filter(course::Column::Status.eq(CourseStatus::Published.key()));
        if let Some(allowed) = allowed {
            find = find.filter(course::Column::ProviderId.is_in(allowed.to_vec()));
        }
        let mut cards = self.cards(find.all(&self.store.db).await?).await?;
        cards.sort_by_key(|c| order.iter().position(|id| *id == c.id));
        let taken: HashMap<Uuid, bool> = match viewer {
            Some(v) => self.taken(v).await?,
            None => HashMap::new(),
        };
        Ok(CollectionView {
            id: c.id,
            library_id: c.library_id,
            title,
            description: c.description,
            courses: cards
                .into_iter()
                .map(|card| {
                    let p = match taken.get(&card.id) {
                        Some(true) => CourseProgress::Finished,
                        Some(false) => CourseProgress::InProgress,
                        None => CourseProgress::NotStarted,
                    };
                    (card, p)
                })
                .collect(),
            updated_at: from_ms(c.updated_at),
        })
    }

    /// A library's paths, or a learner's collections, newest first.
    pub async fn collections(
        &self,
        owner: &CollectionOwner,
    ) -> Result<Vec<CollectionSummary>, StoreError> {
        let find = match owner {
            CollectionOwner::Library(l) => {
                collection::Entity::find().filter(collection::Column::LibraryId.eq(l.0))
            }
            CollectionOwner::Learner(l) => {
                collection::Entity::find().filter(collection::Column::OwnerId.is_in(l.subjects()))
            }
        };
        let rows = find
            .order_by_desc(collection::Column::Id)
            .all(&self.store.db)
            .await?;
        let mut counts: HashMap<Uuid, u64> = HashMap::new();
        for r in collection_course::Entity::find()
            .filter(collection_course::Column::CollectionId.is_in(rows.iter().map(|r| r.id)))
            .all(&self.store.db)
            .await?
        {
            *counts.entry(r.collection_id).or_default() += 1;
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let Some(title) = self.title_of(&r).await? else {
                continue;
            };
            out.push(CollectionSummary {
                id: r.id,
                courses: counts.get(&r.id).copied().unwrap_or(0),
                title,
                description: r.description,
            });
        }
        Ok(out)
    }
}

async fn touch(db: &impl sea_orm::ConnectionTrait, id: Uuid, now: i64) -> Result<(), StoreError> {
    collection::Entity::update_many()
        .col_expr(collection::Column::UpdatedAt, Expr::value(now))
        .filter(collection::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

impl Learning<'_> {
    /// The library whose path a collection is (`None` for a learner's own).
    pub async fn collection_library(&self, id: Uuid) -> Result<Option<LibraryId>, LearningError> {
        Ok(collection::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or(LearningError::NotFound)?
            .library_id
            .map(LibraryId))
    }
}
