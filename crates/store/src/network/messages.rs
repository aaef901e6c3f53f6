//! Private messages between two members. Each message is stored twice,
//! once per participant, each copy encrypted under its owner's key: when
//! one of them erases their account, the other keeps their own copy, and
//! nothing of the erased person's copy can be read.
//!
//! Connections message each other freely. Someone who is not a connection
//! may send one message request, and only to a member who allows requests
//! (off by default); further messages wait for a reply.

use super::{LiveEvent, Network, NetworkError, PersonCard, decrypt, statement};
use crate::entity::{message, profile};
use crate::{StoreError, from_ms};
use chrono::{DateTime, Utc};
use lyceum_core::domain::network::{MAX_MESSAGE_CHARS, Relation, Text};
use lyceum_core::domain::{MemberId, SubjectId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use uuid::Uuid;

const BODY_CTX: &str = "messages.body";

/// A conversation in the member's list.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationSummary {
    /// The other person.
    pub peer: PersonCard,
    /// The latest message's text.
    pub last: String,
    /// Whether the latest message was the member's.
    pub last_mine: bool,
    /// When.
    pub last_at: DateTime<Utc>,
    /// Messages not yet read.
    pub unread: u32,
    /// A request from someone who is not a connection, not yet answered.
    pub is_request: bool,
}

/// One message.
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    /// Id of the viewer's copy.
    pub id: Uuid,
    /// Written by the viewer.
    pub mine: bool,
    /// The text.
    pub body: String,
    /// When.
    pub sent_at: DateTime<Utc>,
}

impl Network<'_> {
    /// Sends a message.
    pub async fn send_message(
        &self,
        from: MemberId,
        to: MemberId,
        body: &str,
    ) -> Result<Uuid, NetworkError> {
        if from == to {
            return Err(NetworkError::Conflict(
                "You cannot send a message to yourself.".into(),
            ));
        }
        let body =
            Text::parse(body, MAX_MESSAGE_CHARS).map_err(|e| NetworkError::text("body", e))?;
        let relation = self.relation(Some(from), to.0).await?;
        let recipient = profile::Entity::find_by_id(to.0)
            .one(&self.store.db)
            .await?
            .ok_or(NetworkError::NotFound)?;
        if relation == Relation::Blocked {
            return Err(NetworkError::NotFound);
        }
        let mut is_request = false;
        if relation != Relation::Connection {
            let they_wrote = self.has_written(to, from, &self.store.writer).await?;
            if !they_wrote {
                if !recipient.allow_message_requests {
                    return Err(NetworkError::Forbidden(
                        "This member accepts messages from their connections only. Ask to connect first."
                            .into(),
                    ));
                }
                if self.has_written(from, to, &self.store.writer).await? {
                    return Err(NetworkError::Conflict(
                        "You already sent a message request; you can write again once they reply."
                            .into(),
                    ));
                }
                is_request = true;
            }
        }
        self.ensure_profile_exists(from).await?;
        let mine = self.store.keyring.get(SubjectId(from.0)).await?;
        let theirs = self.store.keyring.get(SubjectId(to.0)).await?;
        let now = self.store.now_ms();
        let id = Uuid::now_v7();
        let tx = self.store.writer.begin().await?;
        message::Entity::insert_many([
            message::ActiveModel {
                id: Set(id),
                owner_id: Set(from.0),
                peer_id: Set(to.0),
                is_outgoing: Set(true),
                is_request: Set(is_request),
                body_ciphertext: Set(mine.encrypt(BODY_CTX, body.as_str().as_bytes())),
                created_at: Set(now),
                read_at: Set(Some(now)),
            },
            message::ActiveModel {
                id: Set(Uuid::now_v7()),
                owner_id: Set(to.0),
                peer_id: Set(from.0),
                is_outgoing: Set(false),
                is_request: Set(is_request),
                body_ciphertext: Set(theirs.encrypt(BODY_CTX, body.as_str().as_bytes())),
                created_at: Set(now),
                read_at: Set(None),
            },
        ])
        .exec_without_returning(&tx)
        .await?;
        tx.commit().await?;
        self.signal([to.0], LiveEvent::Message);
        Ok(id)
    }

    async fn has_written(
        &self,
        who: MemberId,
        to: MemberId,
        conn: &impl ConnectionTrait,
    ) -> Result<bool, StoreError> {
        Ok(message::Entity::find()
            .filter(message::Column::OwnerId.eq(who.0))
            .filter(message::Column::PeerId.eq(to.0))
            .filter(message::Column::IsOutgoing.eq(true))
            .count(conn)
            .await?
            > 0)
    }

    /// The member's conversations, the most recent first.
    pub async fn conversations(
        &self,
        me: MemberId,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let sql = "SELECT * FROM (SELECT m.*, ROW_NUMBER() OVER (PARTITION BY m.peer_id ORDER BY m.created_at DESC, m.id DESC) AS rn \
                   FROM messages m WHERE m.owner_id = $1) AS latest WHERE rn = 1 ORDER BY created_at DESC LIMIT 200";
        let rows = self
            .store
            .db
            .query_all_raw(statement(self.store.backend(), sql, vec![me.0.into()]))
            .await?;
        let mut latest = Vec::with_capacity(rows.len());
        for r in rows {
            latest.push(message::Model::from_query_result(&r, "")?);
        }
        let unread_rows: Vec<(Uuid, i64)> = message::Entity::find()
            .select_only()
            .column(message::Column::PeerId)
            .column_as(message::Column::Id.count(), "n")
            .filter(message::Column::OwnerId.eq(me.0))
            .filter(message::Column::ReadAt.is_null())
            .group_by(message::Column::PeerId)
            .into_tuple()
            .all(&self.store.db)
            .await?;
        let answered: Vec<Uuid> = message::Entity::find()
            .select_only()
            .column(message::Column::PeerId)
            .filter(message::Column::OwnerId.eq(me.0))
            .filter(message::Column::IsOutgoing.eq(true))
            .distinct()
            .into_tuple()
            .all(&self.store.db)
            .await?;
        let peers: Vec<Uuid> = latest.iter().map(|m| m.peer_id).collect();
        let relations = self.relations(Some(me), &peers).await?;
        let cards = self.cards(Some(me), &peers).await?;
        let key = self.store.keyring.get(SubjectId(me.0)).await?;
        let mut out = Vec::new();
        for m in latest {
            if relations.get(&m.peer_id) == Some(&Relation::Blocked) {
                continue;
            }
            let Some(peer) = cards.get(&m.peer_id).cloned() else {
                continue;
            };
            out.push(ConversationSummary {
                peer,
                last: decrypt(&key, BODY_CTX, &m.body_ciphertext)?,
                last_mine: m.is_outgoing,
                last_at: from_ms(m.created_at),
                unread: unread_rows
                    .iter()
                    .find(|(p, _)| *p == m.peer_id)
                    .map_or(0, |(_, n)| u32::try_from(*n).unwrap_or(u32::MAX)),
                is_request: relations.get(&m.peer_id) != Some(&Relation::Connection)
                    && !answered.contains(&m.peer_id),
            });
        }
        Ok(out)
    }

    /// The member's copy of a conversation, oldest first; marks it read.
    pub async fn conversation(
        &self,
        me: MemberId,
        peer: MemberId,
    ) -> Result<Vec<MessageView>, StoreError> {
        let rows = message::Entity::find()
            .filter(message::Column::OwnerId.eq(me.0))
            .filter(message::Column::PeerId.eq(peer.0))
            .order_by_desc(message::Column::CreatedAt)
            .order_by_desc(message::Column::Id)
            .limit(500)
            .all(&self.store.db)
            .await?;
        if rows.iter().any(|m| m.read_at.is_none()) {
            message::Entity::update_many()
                .col_expr(message::Column::ReadAt, Expr::value(self.store.now_ms()))
                .filter(message::Column::OwnerId.eq(me.0))
                .filter(message::Column::PeerId.eq(peer.0))
                .filter(message::Column::ReadAt.is_null())
                .exec(&self.store.writer)
                .await?;
        }
        let key = self.store.keyring.get(SubjectId(me.0)).await?;
        let mut out = Vec::with_capacity(rows.len());
        for m in rows.into_iter().rev() {
            out.push(MessageView {
                id: m.id,
                mine: m.is_outgoing,
                body: decrypt(&key, BODY_CTX, &m.body_ciphertext)?,
                sent_at: from_ms(m.created_at),
            });
        }
        Ok(out)
    }

    /// Whether `me` may write to `peer` now, and if not, why.
    pub async fn may_message(
        &self,
        me: MemberId,
        peer: MemberId,
    ) -> Result<Result<(), String>, StoreError> {
        let relation = self.relation(Some(me), peer.0).await?;
        if relation == Relation::Connection || self.has_written(peer, me, &self.store.db).await? {
            return Ok(Ok(()));
        }
        if relation == Relation::Blocked {
            return Ok(Err("You cannot message this member.".into()));
        }
        let allows = profile::Entity::find_by_id(peer.0)
            .one(&self.store.db)
            .await?
            .is_some_and(|p| p.allow_message_requests);
        if !allows {
            return Ok(Err(
                "This member accepts messages from their connections only. Ask to connect first."
                    .into(),
            ));
        }
        if self.has_written(me, peer, &self.store.db).await? {
            return Ok(Err(
                "You sent a message request; you can write again once they reply.".into(),
            ));
        }
        Ok(Ok(()))
    }

    /// Messages the member has not read.
    pub async fn unread_messages(&self, me: MemberId) -> Result<u64, StoreError> {
        Ok(message::Entity::find()
            .filter(message::Column::OwnerId.eq(me.0))
            .filter(message::Column::ReadAt.is_null())
            .count(&self.store.db)
            .await?)
    }

    /// Deletes the member's copy of a conversation (the other person keeps
    /// theirs).
    pub async fn delete_conversation(
        &self,
        me: MemberId,
        peer: MemberId,
    ) -> Result<(), StoreError> {
        message::Entity::delete_many()
            .filter(message::Column::OwnerId.eq(me.0))
            .filter(message::Column::PeerId.eq(peer.0))
            .exec(&self.store.writer)
            .await?;
        Ok(())
    }

    /// The member's own copy of one message (for reports).
    pub(crate) async fn my_message(
        &self,
        me: MemberId,
        id: Uuid,
        conn: &impl ConnectionTrait,
    ) -> Result<Option<(message::Model, String)>, StoreError> {
        let Some(m) = message::Entity::find_by_id(id)
            .one(conn)
            .await?
            .filter(|m| m.owner_id == me.0)
        else {
            return Ok(None);
        };
        let key = self.store.keyring.get(SubjectId(me.0)).await?;
        let text = decrypt(&key, BODY_CTX, &m.body_ciphertext)?;
        Ok(Some((m, text)))
    }
}
