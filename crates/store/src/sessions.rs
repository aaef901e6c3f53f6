//! Server-side sessions. The browser holds a random 256-bit token; the
//! database holds its SHA-256, so reading the database (or a backup) does
//! not let anyone sign in as someone else.

use crate::entity::session;
use crate::generations::Generation;
use crate::{Store, StoreError};
use lyceum_core::domain::{GuestId, MemberId};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// How long a signed-in session lasts at most.
pub const MEMBER_SESSION_MS: i64 = 30 * 24 * 3600 * 1000;
/// How long the anonymous session behind a sign-in form lasts.
pub const ANONYMOUS_SESSION_MS: i64 = 2 * 3600 * 1000;
/// How long a session on a shared computer lasts at most, however busy.
pub const SHARED_SESSION_MS: i64 = 12 * 3600 * 1000;
/// The idle limit on a shared computer when nothing else is configured.
pub const DEFAULT_IDLE_MS: i64 = 15 * 60 * 1000;
/// `last_seen_at` is only rewritten when older than this, so reading pages
/// does not turn into a write per request.
const TOUCH_EVERY_MS: i64 = 5 * 60 * 1000;

/// Who a session is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// Nobody yet: the session behind a sign-in form.
    Anonymous,
    /// A member.
    Member(MemberId),
    /// A guest learner.
    Guest(GuestId),
}

/// On a shared computer a session is a browser-session cookie, ends after
/// `idle_ms` without a request, and lasts at most [`SHARED_SESSION_MS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedDevice {
    /// Inactivity after which the session ends.
    pub idle_ms: i64,
}

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The token hash (the row key).
    pub token_hash: Vec<u8>,
    /// Who is signed in, if anyone.
    pub member_id: Option<MemberId>,
    /// The guest learner signed in, if any.
    pub guest_id: Option<GuestId>,
    /// The idle limit on a shared computer.
    pub idle_timeout_ms: Option<i64>,
    /// The CSRF token forms in this session must carry.
    pub csrf_token: String,
    /// Shared-computer mode.
    pub is_shared_device: bool,
    /// When it ends.
    pub expires_at: i64,
    last_seen_at: i64,
}

/// A new session and the token to put in the cookie (shown only once).
#[derive(Debug)]
pub struct NewSession {
    /// The cookie value.
    pub token: String,
    /// The session.
    pub session: Session,
    lifetime_ms: i64,
}

impl NewSession {
    /// The cookie's Max-Age: the session's lifetime in seconds. None on a
    /// shared computer: the cookie then lives only as long as the browser
    /// window, so closing it signs the person out.
    pub fn max_age_secs(&self) -> Option<i64> {
        (!self.session.is_shared_device).then_some(self.lifetime_ms / 1000)
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// How stale `last_seen_at` may get before a request rewrites it. An idle
/// limit needs a fresher time: within a fifteenth of the limit (a minute
/// for the default fifteen).
fn touch_every(s: &Session) -> i64 {
    s.idle_timeout_ms
        .map_or(TOUCH_EVERY_MS, |idle| (idle / 15).min(TOUCH_EVERY_MS))
}

/// Sessions this node read recently, by token hash, so that a request
/// does not cost a database read before its real work.
///
/// An entry is used only while:
/// - the `sessions` cache generation is the one read before its row
///   (every way a session ends early bumps it: signing out, signing out
///   everywhere, erasure, closing), so a session ended on another node is
///   refused here within [`crate::generations::RECHECK`], and at once on
///   the node that ended it;
/// - its `last_seen_at` needs no refresh, which keeps idle limits exact:
///   a refresh (at most every minute on a shared computer, five minutes
///   elsewhere) reads the row again, and finds it gone if another node
///   ended it for idleness;
/// - it has not expired, and is younger than [`SessionCache::TTL`].
#[derive(Debug, Default, Clone)]
pub struct SessionCache {
    inner: std::sync::Arc<std::sync::Mutex<HashMap<Vec<u8>, Cached>>>,
}

/// A session, the `sessions` generation read before its row, and when.
type Cached = (Session, i64, std::time::Instant);

impl SessionCache {
    /// Longest an entry is trusted, whatever the generations say.
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(300);
    const MAX: usize = 100_000;

    fn get(&self, stamp: i64, hash: &[u8]) -> Option<Session> {
        let map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.get(hash)
            .filter(|(_, at, t)| *at == stamp && t.elapsed() < Self::TTL)
            .map(|(s, _, _)| s.clone())
    }

    fn put(&self, stamp: i64, s: &Session) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= Self::MAX {
            map.retain(|_, (_, at, t)| *at == stamp && t.elapsed() < Self::TTL);
            if map.len() >= Self::MAX {
                map.clear();
            }
        }
        map.insert(
            s.token_hash.clone(),
            (s.clone(), stamp, std::time::Instant::now()),
        );
    }

    fn forget(&self, hash: &[u8]) {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(hash);
    }

    fn clear(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

impl Store {
    /// Records that sessions ended before their time: this node forgets
    /// `one` (or all it holds), and every node stops trusting what it
    /// holds when it next reads the generations.
    pub(crate) async fn sessions_ended(&self, one: Option<&[u8]>) -> Result<(), StoreError> {
        match one {
            Some(hash) => self.sessions_cache.forget(hash),
            None => self.sessions_cache.clear(),
        }
        self.bump(Generation::Sessions).await
    }
}

/// The row key for a cookie token.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Session rows over the store.
#[derive(Debug)]
pub struct Sessions<'a> {
    store: &'a Store,
}

impl<'a> Sessions<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Starts a session: anonymous (for form protection) or for a member.
    pub async fn create(
        &self,
        member: Option<MemberId>,
        is_shared_device: bool,
    ) -> Result<NewSession, StoreError> {
        let holder = member.map_or(Holder::Anonymous, Holder::Member);
        let shared = is_shared_device.then_some(SharedDevice {
            idle_ms: DEFAULT_IDLE_MS,
        });
        self.start(holder, shared).await
    }

    /// Starts a session for anyone, on a shared computer or not.
    pub async fn start(
        &self,
        holder: Holder,
        shared: Option<SharedDevice>,
    ) -> Result<NewSession, StoreError> {
        let token = random_token();
        let now = self.store.now_ms();
        let lifetime = match (holder, shared) {
            (Holder::Anonymous, _) => ANONYMOUS_SESSION_MS,
            (_, Some(_)) => SHARED_SESSION_MS,
            (_, None) => MEMBER_SESSION_MS,
        };
        let (member, guest) = match holder {
            Holder::Anonymous => (None, None),
            Holder::Member(m) => (Some(m), None),
            Holder::Guest(g) => (None, Some(g)),
        };
        let idle_timeout_ms = shared.map(|s| s.idle_ms.max(60_000));
        let session = Session {
            token_hash: hash_token(&token),
            member_id: member,
            guest_id: guest,
            idle_timeout_ms,
            csrf_token: random_token(),
            is_shared_device: shared.is_some(),
            expires_at: now + lifetime,
            last_seen_at: now,
        };
        session::ActiveModel {
            token_hash: Set(session.token_hash.clone()),
            member_id: Set(member.map(|m| m.0)),
            guest_id: Set(guest.map(|g| g.0)),
            idle_timeout_ms: Set(idle_timeout_ms),
            csrf_token: Set(session.csrf_token.clone()),
            is_shared_device: Set(shared.is_some()),
            created_at: Set(now),
            last_seen_at: Set(now),
            expires_at: Set(session.expires_at),
        }
        .insert(&self.store.writer)
        .await?;
        Ok(NewSession {
            token,
            session,
            lifetime_ms: lifetime,
        })
    }

    /// The live session for a cookie token, if any. Refreshes
    /// `last_seen_at` at most every few minutes.
    ///
    /// A session read in the last few minutes is answered from this node's
    /// memory (see [`SessionCache`]) unless it is due for its
    /// `last_seen_at` refresh, which reads the row again.
    pub async fn find(&self, token: &str) -> Result<Option<Session>, StoreError> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let now = self.store.now_ms();
        let hash = hash_token(token);
        // Read before the row, so a row read just before it was deleted
        // carries an older stamp than the deletion's and is not trusted.
        let stamp = self.store.generation(Generation::Sessions).await?;
        let cache = &self.store.sessions_cache;
        if let Some(s) = cache.get(stamp, &hash)
            && now < s.expires_at
            && now - s.last_seen_at <= touch_every(&s)
        {
            return Ok(Some(s));
        }
        let Some(row) = session::Entity::find_by_id(hash.clone())
            .one(&self.store.db)
            .await?
        else {
            cache.forget(&hash);
            return Ok(None);
        };
        if row.expires_at <= now {
            cache.forget(&hash);
            return Ok(None);
        }
        if let Some(idle) = row.idle_timeout_ms
            && now - row.last_seen_at > idle
        {
            // Left idle on a shared computer: end it for good, so the
            // next person at the keyboard finds nobody signed in.
            self.delete(&row.token_hash).await?;
            return Ok(None);
        }
        let mut s = Session {
            token_hash: row.token_hash,
            member_id: row.member_id.map(MemberId),
            guest_id: row.guest_id.map(GuestId),
            idle_timeout_ms: row.idle_timeout_ms,
            csrf_token: row.csrf_token,
            is_shared_device: row.is_shared_device,
            expires_at: row.expires_at,
            last_seen_at: row.last_seen_at,
        };
        if now - s.last_seen_at > touch_every(&s) {
            session::Entity::update_many()
                .col_expr(session::Column::LastSeenAt, Expr::value(now))
                .filter(session::Column::TokenHash.eq(s.token_hash.clone()))
                .exec(&self.store.writer)
                .await?;
            s.last_seen_at = now;
        }
        cache.put(stamp, &s);
        Ok(Some(s))
    }

    /// Milliseconds since the last request was seen (to within the touch
    /// interval); shared-computer pages use it to time their warning.
    pub fn idle_for(&self, session: &Session) -> i64 {
        self.store.now_ms() - session.last_seen_at
    }

    /// Ends one session, on every node (see [`SessionCache`]).
    pub async fn delete(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        session::Entity::delete_by_id(token_hash.to_vec())
            .exec(&self.store.writer)
            .await?;
        self.store.sessions_ended(Some(token_hash)).await
    }

    /// Ends every session of a member, optionally keeping one.
    pub async fn delete_all_for(
        &self,
        member: MemberId,
        except: Option<&[u8]>,
    ) -> Result<u64, StoreError> {
        let mut q = session::Entity::delete_many().filter(session::Column::MemberId.eq(member.0));
        if let Some(keep) = except {
            q = q.filter(session::Column::TokenHash.ne(keep.to_vec()));
        }
        let ended = q.exec(&self.store.writer).await?.rows_affected;
        self.store.sessions_ended(None).await?;
        Ok(ended)
    }

    /// Deletes expired sessions; run by the job queue.
    pub async fn purge_expired(&self) -> Result<u64, StoreError> {
        let now = self.store.now_ms();
        Ok(session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(now))
            .exec(&self.store.writer)
            .await?
            .rows_affected)
    }
}
