//! The live hub: tells a member's open pages, at once, that something
//! changed for them (a notification, a message, a new post in their
//! feed). Each member who has a page open has one broadcast channel on
//! this node; nobody else costs anything.
//!
//! The hub carries no content, only "look again": pages then read what
//! changed through the same checked paths as any other read. It is
//! per node: carrying the same signals across nodes (over NATS, as
//! DESIGN.md plans) is not built yet, so on several nodes a page hears
//! live only of what was written through its own node, and finds the
//! rest when it next reloads.

use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;
use uuid::Uuid;

/// What changed for a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveEvent {
    /// A new notification.
    Notification,
    /// A new message.
    Message,
    /// A new post in their feed.
    Feed,
}

/// Per-member live channels. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Hub {
    channels: Arc<Mutex<HashMap<Uuid, broadcast::Sender<LiveEvent>>>>,
    closed: Arc<AtomicBool>,
}

impl Hub {
    /// Starts listening for a member's events.
    pub fn subscribe(&self, member: Uuid) -> broadcast::Receiver<LiveEvent> {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if self.closed.load(Ordering::Acquire) {
            // Shutting down: a receiver whose sender is already gone ends at once.
            return broadcast::channel(1).1;
        }
        if channels.len() > 1024 {
            channels.retain(|_, tx| tx.receiver_count() > 0);
        }
        channels
            .entry(member)
            .or_insert_with(|| broadcast::channel(16).0)
            .subscribe()
    }

    /// Tells a member's open pages that something changed. Nothing
    /// happens when they have none open.
    pub fn publish(&self, member: Uuid, event: LiveEvent) {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = channels.get(&member) {
            if tx.receiver_count() == 0 {
                channels.remove(&member);
            } else {
                let _ = tx.send(event);
            }
        }
    }

    /// Ends every live stream on this node (the server is stopping: open
    /// pages would otherwise hold the graceful shutdown open forever).
    pub fn close(&self) {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        self.closed.store(true, Ordering::Release);
        channels.clear();
    }

    /// Publishes to many members.
    pub fn publish_all(&self, members: impl IntoIterator<Item = Uuid>, event: LiveEvent) {
        for m in members {
            self.publish(m, event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_the_member_concerned_hears() {
        let hub = Hub::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let mut ra = hub.subscribe(a);
        let mut rb = hub.subscribe(b);
        hub.publish(a, LiveEvent::Notification);
        assert_eq!(ra.recv().await.expect("an event"), LiveEvent::Notification);
        assert!(rb.try_recv().is_err());
        drop(ra);
        hub.publish(a, LiveEvent::Feed);
        assert!(!hub.channels.lock().expect("lock").contains_key(&a));
        // Stopping ends every stream, and any opened afterwards.
        hub.close();
        assert!(rb.recv().await.is_err());
        assert!(hub.subscribe(b).recv().await.is_err());
    }
}
