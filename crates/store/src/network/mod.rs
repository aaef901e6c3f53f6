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

mod cache;
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

pub use cache::NetworkCache;
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
use lyceum_core::domain::network::{Audience, ReactionKind, Relation, TextError};
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
    /// connections, however many owners.
    pub async fn relations(
        &self,
        viewer: Option<MemberId>,
        owners: &[Uuid],
    ) -> Result<HashMap<Uuid, Relation>, StoreError> {
        Ok(self.relations_and_reactions(viewer, owners, &[]).await?.0)
    }

    /// [`Network::relations`], and the viewer's reactions among `targets`,
    /// in the same statement (a feed page needs both).
    pub(crate) async fn relations_and_reactions(
        &self,
        viewer: Option<MemberId>,
        owners: &[Uuid],
        targets: &[Uuid],
    ) -> Result<(HashMap<Uuid, Relation>, HashMap<Uuid, ReactionKind>), StoreError> {
        let mut out: HashMap<Uuid, Relation> = HashMap::with_capacity(owners.len());
        let mut reactions = HashMap::new();
        let Some(viewer) = viewer else {
            for o in owners {
                out.insert(*o, Relation::Anyone);
            }
            return Ok((out, reactions));
        };
        let mut others: Vec<Uuid> = owners.iter().copied().filter(|o| *o != viewer.0).collect();
        others.sort_unstable();
        others.dedup();
        for o in owners {
            out.insert(*o, Relation::Member);
        }
        out.insert(viewer.0, Relation::Myself);
        let mut parts = Vec::new();
        let mut values: Vec<sea_orm::Value> = vec![viewer.0.into()];
        if !others.is_empty() {
            // Connections and blocks either way: `kind` c is a connection,
            // b a block (which wins).
            let m = marks(&others, &mut values);
            parts.push(format!(
                "SELECT other_id AS id, 'c' AS kind FROM connections WHERE member_id = $1 AND other_id IN ({m}) \
                 UNION ALL SELECT blocked_id, 'b' FROM blocks WHERE blocker_id = $1 AND blocked_id IN ({m}) \
                 UNION ALL SELECT blocker_id, 'b' FROM blocks WHERE blocked_id = $1 AND blocker_id IN ({m})"
            ));
        }
        if !targets.is_empty() {
            // The viewer's reactions: `kind` is the reaction's.
            let m = marks(targets, &mut values);
            parts.push(format!(
                "SELECT target_id, kind FROM reactions WHERE member_id = $1 AND target_id IN ({m})"
            ));
        }
        if parts.is_empty() {
            return Ok((out, reactions));
        }
        let rows = self
            .store
            .db
            .query_all_raw(statement(
                self.store.backend(),
                &parts.join(" UNION ALL "),
                values,
            ))
            .await?;
        let mut blocked = Vec::new();
        for r in rows {
            let id: Uuid = r.try_get_by_index(0)?;
            let kind: String = r.try_get_by_index(1)?;
            match kind.as_str() {
                "c" => {
                    out.insert(id, Relation::Connection);
                }
                "b" => blocked.push(id),
                k => {
                    if let Some(k) = ReactionKind::from_key(k) {
                        reactions.insert(id, k);
                    }
                }
            }
        }
        for other in blocked {
            out.insert(other, Relation::Blocked);
        }
        Ok((out, reactions))
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
    /// already known (hydrating a feed page needs them for both). What the
    /// profiles hold comes from this node's cache when it can (see
    /// [`NetworkCache`]); the headline is shown only where its audience
    /// admits the viewer, as always.
    pub(crate) async fn cards_for(
        &self,
        relations: &HashMap<Uuid, Relation>,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, PersonCard>, StoreError> {
        let mut unique: Vec<Uuid> = ids.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let stamp = self.stamp().await?;
        let cache = &self.store.network_cache;
        let mut sources = cache.cards(stamp, &unique);
        let missing: Vec<Uuid> = unique
            .iter()
            .filter(|id| !sources.contains_key(id))
            .copied()
            .collect();
        if !missing.is_empty() {
            let profiles = profile::Entity::find()
                .filter(profile::Column::MemberId.is_in(missing))
                .all(&self.store.db)
                .await?;
            for p in profiles {
                let source = match self.card_source(&p).await {
                    Ok(s) => std::sync::Arc::new(s),
                    Err(StoreError::KeyDestroyed) => continue,
                    Err(e) => return Err(e),
                };
                cache.put_card(stamp, p.member_id, source.clone());
                sources.insert(p.member_id, source);
            }
        }
        let mut out = HashMap::with_capacity(sources.len());
        for (id, source) in sources {
            if let Some(card) = self
                .card_with(id, &source, relations.get(&id).copied())
                .await?
            {
                out.insert(id, card);
            }
        }
        Ok(out)
    }

    pub(crate) async fn card_from(
        &self,
        p: &profile::Model,
        relation: Option<Relation>,
    ) -> Result<Option<PersonCard>, StoreError> {
        let source = match self.card_source(p).await {
            Ok(s) => s,
            Err(StoreError::KeyDestroyed) => return Ok(None),
            Err(e) => return Err(e),
        };
        self.card_with(p.member_id, &source, relation).await
    }

    /// What a card needs from a profile, decrypted.
    async fn card_source(&self, p: &profile::Model) -> Result<cache::CardSource, StoreError> {
        let key = self.store.keyring.get(SubjectId(p.member_id)).await?;
        Ok(cache::CardSource {
            handle: p.handle.clone(),
            headline: decrypt(&key, HEADLINE_CTX, &p.headline_ciphertext)?,
            headline_audience: audience(&p.vis_headline),
        })
    }

    /// The card of a member who still has an account, as someone with
    /// `relation` to them sees it.
    async fn card_with(
        &self,
        id: Uuid,
        source: &cache::CardSource,
        relation: Option<Relation>,
    ) -> Result<Option<PersonCard>, StoreError> {
        let member = match self.store.accounts().get(MemberId(id)).await {
            Ok(Some(m)) => m,
            Ok(None) | Err(StoreError::KeyDestroyed) => return Ok(None),
            Err(e) => return Err(e),
        };
        let shown = source
            .headline_audience
            .admits(relation.unwrap_or(Relation::Anyone));
        Ok(Some(PersonCard {
            id,
            handle: source.handle.clone(),
            name: member.display_name.as_str().to_owned(),
            headline: (shown && !source.headline.is_empty()).then(|| source.headline.clone()),
        }))
    }

    /// The cache generations that this node's [`NetworkCache`] follows.
    pub(crate) async fn stamp(&self) -> Result<cache::Stamp, StoreError> {
        use crate::generations::Generation;
        Ok((
            self.store.generation(Generation::Profiles).await?,
            self.store.generation(Generation::Keys).await?,
        ))
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

/// Binds `ids` after the `values` already bound and returns their
/// placeholders (`$4, $5, $6`), for an `IN (…)` list; a list used twice in
/// one statement is bound once and its placeholders written twice.
pub(crate) fn marks(ids: &[Uuid], values: &mut Vec<sea_orm::Value>) -> String {
    let from = values.len() + 1;
    values.extend(ids.iter().map(|id| sea_orm::Value::from(*id)));
    (from..from + ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
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
