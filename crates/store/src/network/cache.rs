//! What feed pages read over and over, kept on this node: the parts of
//! people's cards that their profiles hold (handle, headline decrypted,
//! who may see the headline), the words and pictures of posts and
//! comments, decrypted, and which members already have a profile.
//!
//! Nothing here decides who sees what. Every page still works out the
//! viewer's relations and checks each post and comment against them, and
//! a text is served only while its writer's key exists.
//!
//! How long an entry is trusted:
//! - A text is kept with the sealing it was decrypted from (see
//!   [`crate::crypto::sealing_id`]) and its author, and used only while
//!   the row read for the page holds that same sealing: an edit made on
//!   any node shows on the next read.
//! - Cards follow the profiles' cache generation, which every profile
//!   write bumps (see [`crate::generations`]), and are read again after
//!   [`NetworkCache::CARD_TTL`] whatever it says (a change made past the
//!   counters, by hand in the database).
//! - A destroyed key (an erasure, on any node) bumps the keys' generation,
//!   and that empties everything, so decrypted words do not outlive their
//!   writer's key in memory: at once on this node, within a second on the
//!   others.

use super::ImageView;
use lyceum_core::domain::network::Audience;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The cache generations an entry was read under: profiles and keys.
pub(crate) type Stamp = (i64, i64);

/// What a card needs from a profile.
#[derive(Debug)]
pub(crate) struct CardSource {
    pub(crate) handle: String,
    /// Decrypted; may be empty.
    pub(crate) headline: String,
    pub(crate) headline_audience: Audience,
}

/// A post's or comment's words, and a post's pictures, decrypted.
#[derive(Debug)]
pub(crate) struct CachedText {
    author: Uuid,
    sealing: [u8; 25],
    pub(crate) text: String,
    /// A post's pictures; none for a comment.
    pub(crate) images: Vec<ImageView>,
}

#[derive(Debug, Default)]
struct Inner {
    stamp: Option<Stamp>,
    cards: HashMap<Uuid, (Arc<CardSource>, Instant)>,
    texts: HashMap<Uuid, Arc<CachedText>>,
    profiles: HashSet<Uuid>,
}

/// This node's network read cache. Cheap to clone.
#[derive(Debug, Default, Clone)]
pub struct NetworkCache {
    inner: Arc<Mutex<Inner>>,
}

impl NetworkCache {
    /// Most entries of each kind; past this the kind starts afresh.
    const MAX: usize = 50_000;
    /// The longest a card is trusted, whatever the generation says.
    pub const CARD_TTL: Duration = Duration::from_secs(300);

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Brings the cache to `stamp`, emptying it if anything changed.
    fn at(inner: &mut Inner, stamp: Stamp) {
        if inner.stamp != Some(stamp) {
            inner.cards.clear();
            inner.texts.clear();
            inner.profiles.clear();
            inner.stamp = Some(stamp);
        }
    }

    pub(crate) fn cards(&self, stamp: Stamp, ids: &[Uuid]) -> HashMap<Uuid, Arc<CardSource>> {
        let mut inner = self.lock();
        Self::at(&mut inner, stamp);
        ids.iter()
            .filter_map(|id| {
                let (card, at) = inner.cards.get(id)?;
                (at.elapsed() < Self::CARD_TTL).then(|| (*id, card.clone()))
            })
            .collect()
    }

    pub(crate) fn put_card(&self, stamp: Stamp, member: Uuid, card: Arc<CardSource>) {
        let mut inner = self.lock();
        // Read under other generations: may already be out of date.
        if inner.stamp != Some(stamp) {
            return;
        }
        if inner.cards.len() >= Self::MAX {
            inner.cards.clear();
        }
        inner.cards.insert(member, (card, Instant::now()));
    }

    /// The texts of `rows` (id, author, ciphertext) still as sealed when
    /// they were cached.
    pub(crate) fn texts<'r>(
        &self,
        stamp: Stamp,
        rows: impl IntoIterator<Item = (Uuid, Uuid, &'r [u8])>,
    ) -> HashMap<Uuid, Arc<CachedText>> {
        let mut inner = self.lock();
        Self::at(&mut inner, stamp);
        rows.into_iter()
            .filter_map(|(id, author, sealed)| {
                let t = inner.texts.get(&id)?;
                (t.author == author && Some(t.sealing) == crate::crypto::sealing_id(sealed))
                    .then(|| (id, t.clone()))
            })
            .collect()
    }

    pub(crate) fn put_text(
        &self,
        stamp: Stamp,
        id: Uuid,
        author: Uuid,
        sealed: &[u8],
        text: String,
        images: Vec<ImageView>,
    ) -> Arc<CachedText> {
        let entry = Arc::new(CachedText {
            author,
            sealing: crate::crypto::sealing_id(sealed).unwrap_or([0; 25]),
            text,
            images,
        });
        let mut inner = self.lock();
        if inner.stamp == Some(stamp) {
            if inner.texts.len() >= Self::MAX {
                inner.texts.clear();
            }
            inner.texts.insert(id, entry.clone());
        }
        entry
    }

    /// Whether this node has seen the member's profile exist.
    pub(crate) fn has_profile(&self, member: Uuid) -> bool {
        self.lock().profiles.contains(&member)
    }

    pub(crate) fn put_profile(&self, member: Uuid) {
        let mut inner = self.lock();
        if inner.profiles.len() >= Self::MAX {
            inner.profiles.clear();
        }
        inner.profiles.insert(member);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(nonce: u8) -> Vec<u8> {
        let mut v = vec![1u8];
        v.extend([nonce; 24]);
        v.extend([0u8; 20]);
        v
    }

    #[test]
    fn a_text_is_served_only_for_the_sealing_and_author_it_was_read_with() {
        let cache = NetworkCache::default();
        let (id, author) = (Uuid::now_v7(), Uuid::now_v7());
        let stamp = (1, 1);
        assert!(
            cache
                .texts(stamp, [(id, author, &sealed(7)[..])])
                .is_empty()
        );
        cache.put_text(stamp, id, author, &sealed(7), "first".into(), Vec::new());
        let hit = cache.texts(stamp, [(id, author, &sealed(7)[..])]);
        assert_eq!(hit[&id].text, "first");
        // Edited (sealed again), or the author changed (erased): not served.
        assert!(
            cache
                .texts(stamp, [(id, author, &sealed(8)[..])])
                .is_empty()
        );
        assert!(
            cache
                .texts(stamp, [(id, Uuid::now_v7(), &sealed(7)[..])])
                .is_empty()
        );
    }

    #[test]
    fn a_new_generation_empties_everything_and_late_reads_are_not_kept() {
        let cache = NetworkCache::default();
        let (id, member) = (Uuid::now_v7(), Uuid::now_v7());
        let card = || {
            Arc::new(CardSource {
                handle: "ada".into(),
                headline: "Engineer".into(),
                headline_audience: Audience::Public,
            })
        };
        assert!(cache.cards((1, 1), &[member]).is_empty());
        cache.put_card((1, 1), member, card());
        cache.put_text((1, 1), id, member, &sealed(1), "words".into(), Vec::new());
        cache.put_profile(member);
        assert_eq!(cache.cards((1, 1), &[member]).len(), 1);
        // A key was destroyed somewhere: nothing decrypted survives.
        assert!(cache.cards((1, 2), &[member]).is_empty());
        assert!(
            cache
                .texts((1, 2), [(id, member, &sealed(1)[..])])
                .is_empty()
        );
        assert!(!cache.has_profile(member));
        // Something read under the old generations is not kept.
        cache.put_card((1, 1), member, card());
        cache.put_text((1, 1), id, member, &sealed(1), "words".into(), Vec::new());
        assert!(cache.cards((1, 2), &[member]).is_empty());
        assert!(
            cache
                .texts((1, 2), [(id, member, &sealed(1)[..])])
                .is_empty()
        );
    }
}
