//! The professional network: profiles, connections, follows and blocks,
//! posts and the feed, reactions, comments, notifications, messages and
//! moderation.
//!
//! Visibility is decided in one place: [`Network::relations`] works out how
//! a viewer stands to each owner (themself, a connection, a member, anyone,
//! blocked) and [`Audience::admits`] says whether that relation may see a
//! thing. Every read that shows something to someone goes through them.
//!
//! Everything people write is encrypted under the writer's key, so
//! erasing a member makes their words unreadable in every copy at once.

mod comments;
mod feed;
mod graph;
mod hub;
mod images;
mod messages;
mod moderation;
mod notifications;
mod posts;
mod profiles;
mod reactions;

pub use comments::*;
pub use feed::*;
pub use graph::*;
pub use hub::*;
pub use images::*;
pub use messages::*;
pub use moderation::*;
pub use notifications::*;
pub use posts::*;
pub use profiles::*;
pub use reactions::*;

use crate::entity::profile;
use crate::{Store, StoreError};
use lyceum_core::domain::datamap::ERASED_AUTHOR;
use lyceum_core::domain::network::{Audience, Relation, TextError};
use lyceum_core::domain::{MemberId, SubjectId};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// The encryption contexts of what members write, for a bulk loader that
/// writes rows itself (the load tool's datasets) under the writer's key.
pub mod contexts {
    /// A post's text.
    pub const POST_BODY: &str = super::posts::BODY_CTX;
    /// A comment's text.
    pub const COMMENT_BODY: &str = super::comments::BODY_CTX;
}

/// Network use cases.
#[derive(Debug, Clone, Copy)]
pub struct Network<'a> {
    store: &'a Store,
}

impl Store {
    /// The professional network.
    pub fn network(&self) -> Network<'_> {
        Network { store: self }
    }
}

/// What a network request can fail with, besides the database.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// Nothing there that the viewer may see. Something hidden from the
    /// viewer answers exactly like something that does not exist.
    #[error("not found")]
    NotFound,
    /// Input that breaks a rule, with the field it concerns.
    #[error("{1}")]
    Invalid(&'static str, String),
    /// Not allowed, for a reason the person can understand.
    #[error("{0}")]
    Forbidden(String),
    /// Conflicts with the current state (already connected, a request
    /// already sent).
    #[error("{0}")]
    Conflict(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for NetworkError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Store(StoreError::Database(e))
    }
}

impl NetworkError {
    pub(crate) fn text(field: &'static str, e: TextError) -> Self {
        Self::Invalid(field, e.to_string())
    }
}

/// A member as others see them in lists, on posts and in notifications:
/// their name and handle, and their headline where the viewer may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonCard {
    /// The member.
    pub id: Uuid,
    /// Their profile's address.
    pub handle: String,
    /// Their display name.
    pub name: String,
    /// Their headline, when its visibility admits the viewer.
    pub headline: Option<String>,
}

impl PersonCard {
    /// The card on a tombstone: nobody, with no address.
    pub fn erased() -> Self {
        Self {
            id: ERASED_AUTHOR,
            handle: String::new(),
            name: "A former member".into(),
            headline: None,
        }
    }
}

pub(crate) const HEADLINE_CTX: &str = "profiles.headline";

impl Network<'_> {
    /// How `viewer` stands to each of `owners`: one query for blocks and
    /// one for connections, however many owners.
    pub async fn relations(
        &self,
        viewer: Option<MemberId>,
        owners: &[Uuid],
    ) -> Result<HashMap<Uuid, Relation>, StoreError> {
        let mut out: HashMap<Uuid, Relation> = HashMap::with_capacity(owners.len());
        let Some(viewer) = viewer else {
            for o in owners {
                out.insert(*o, Relation::Anyone);
            }
            return Ok(out);
        };
        let mut others: Vec<Uuid> = owners.iter().copied().filter(|o| *o != viewer.0).collect();
        others.sort_unstable();
        others.dedup();
        for o in owners {
            out.insert(*o, Relation::Member);
        }
        out.insert(viewer.0, Relation::Myself);
        if others.is_empty() {
            return Ok(out);
        }
        // Connections and blocks either way in one statement: `kind` 0 is a
        // connection, 1 a block (which wins).
        let marks: Vec<String> = (0..others.len()).map(|i| format!("${}", i + 2)).collect();
        let marks = marks.join(", ");
        let sql = format!(
            "SELECT other_id AS id, 0 AS kind FROM connections WHERE member_id = $1 AND other_id IN ({marks}) \
             UNION ALL SELECT blocked_id, 1 FROM blocks WHERE blocker_id = $1 AND blocked_id IN ({marks}) \
             UNION ALL SELECT blocker_id, 1 FROM blocks WHERE blocked_id = $1 AND blocker_id IN ({marks})"
        );
        let mut values: Vec<sea_orm::Value> = vec![viewer.0.into()];
        values.extend(others.iter().map(|o| sea_orm::Value::from(*o)));
        let rows = self
            .store
            .db
            .query_all_raw(statement(self.store.backend(), &sql, values))
            .await?;
        let mut blocked = Vec::new();
        for r in rows {
            let other: Uuid = r.try_get_by_index(0)?;
            let kind: i32 = r.try_get_by_index(1)?;
            if kind == 0 {
                out.insert(other, Relation::Connection);
            } else {
                blocked.push(other);
            }
        }
        for other in blocked {
            out.insert(other, Relation::Blocked);
        }
        Ok(out)
    }

    /// How `viewer` stands to one owner.
    pub async fn relation(
        &self,
        viewer: Option<MemberId>,
        owner: Uuid,
    ) -> Result<Relation, StoreError> {
        Ok(self
            .relations(viewer, &[owner])
            .await?
            .remove(&owner)
            .unwrap_or(Relation::Anyone))
    }

    /// Cards for members, as `viewer` may see them, in the order given.
    /// Members who are gone (erased or closed) are left out.
    pub async fn cards(
        &self,
        viewer: Option<MemberId>,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, PersonCard>, StoreError> {
        let relations = self.relations(viewer, ids).await?;
        self.cards_for(&relations, ids).await
    }

    /// [`Network::cards`] when the viewer's relations to the members are
    /// already known (hydrating a feed page needs them for both).
    pub(crate) async fn cards_for(
        &self,
        relations: &HashMap<Uuid, Relation>,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, PersonCard>, StoreError> {
        let mut unique: Vec<Uuid> = ids.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let profiles = profile::Entity::find()
            .filter(profile::Column::MemberId.is_in(unique.clone()))
            .all(&self.store.db)
            .await?;
        let mut out = HashMap::with_capacity(unique.len());
        for p in profiles {
            let Some(card) = self
                .card_from(&p, relations.get(&p.member_id).copied())
                .await?
            else {
                continue;
            };
            out.insert(p.member_id, card);
        }
        Ok(out)
    }

    pub(crate) async fn card_from(
        &self,
        p: &profile::Model,
        relation: Option<Relation>,
    ) -> Result<Option<PersonCard>, StoreError> {
        let member = match self.store.accounts().get(MemberId(p.member_id)).await {
            Ok(Some(m)) => m,
            Ok(None) | Err(StoreError::KeyDestroyed) => return Ok(None),
            Err(e) => return Err(e),
        };
        let relation = relation.unwrap_or(Relation::Anyone);
        let headline = if audience(&p.vis_headline).admits(relation) {
            let key = self.store.keyring.get(SubjectId(p.member_id)).await?;
            let h = decrypt(&key, HEADLINE_CTX, &p.headline_ciphertext)?;
            (!h.is_empty()).then_some(h)
        } else {
            None
        };
        Ok(Some(PersonCard {
            id: p.member_id,
            handle: p.handle.clone(),
            name: member.display_name.as_str().to_owned(),
            headline,
        }))
    }

    /// Runs a statement written with `$1, $2…` placeholders on either
    /// engine (SQLite reads them as `?1, ?2…`).
    pub(crate) async fn execute(
        &self,
        sql: &str,
        values: Vec<sea_orm::Value>,
        conn: &impl ConnectionTrait,
    ) -> Result<u64, StoreError> {
        Ok(conn
            .execute_raw(statement(self.store.backend(), sql, values))
            .await?
            .rows_affected())
    }
}

pub(crate) fn statement(backend: DbBackend, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    let sql = if backend == DbBackend::Sqlite {
        sql.replace('$', "?")
    } else {
        sql.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// A stored audience; anything unreadable counts as the narrowest.
pub(crate) fn audience(key: &str) -> Audience {
    Audience::from_key(key).unwrap_or(Audience::OnlyMe)
}

pub(crate) fn decrypt(
    key: &crate::crypto::DataKey,
    ctx: &str,
    bytes: &[u8],
) -> Result<String, StoreError> {
    key.decrypt_string(ctx, bytes)
        .map_err(|e| StoreError::Corrupt(format!("{ctx}: {e}")))
}
