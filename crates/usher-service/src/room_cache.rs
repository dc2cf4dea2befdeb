//! Room access (power levels and a user's membership) kept in memory, so a
//! message send reads nothing before its commit.
//!
//! Every commit of this process drops the entries of the rooms whose state
//! it changed, after the store committed. A per-room generation stops a
//! read that started before such a commit from caching what it read.
//! NOTE: with several server nodes, commits of other nodes must invalidate
//! too; until the bus carries that, this cache assumes a single node.

use std::collections::HashMap;
use std::sync::Mutex;

use usher_store::{RoomAccess, StoredEvent};

/// Entries kept at most; the cache starts over when it is full.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Default)]
pub(crate) struct RoomAccessCache {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Bumped for a room whenever its state changes.
    generations: HashMap<String, u64>,
    entries: HashMap<(String, String), RoomAccess>,
}

impl RoomAccessCache {
    /// Returns the cached access of `user_id` to `room_id`, or the room's
    /// generation to pass to [`RoomAccessCache::insert`] after reading it.
    pub fn get(&self, room_id: &str, user_id: &str) -> Result<RoomAccess, u64> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match inner.entries.get(&(room_id.to_owned(), user_id.to_owned())) {
            Some(access) => Ok(access.clone()),
            None => Err(inner.generations.get(room_id).copied().unwrap_or(0)),
        }
    }

    /// Caches what was read, unless the room's state changed since `generation`.
    pub fn insert(&self, user_id: &str, access: &RoomAccess, generation: u64) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.generations.get(&access.room.room_id).copied().unwrap_or(0) != generation {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.clear();
        }
        inner.entries.insert((access.room.room_id.clone(), user_id.to_owned()), access.clone());
    }

    /// Drops the entries of every room whose state the events changed.
    pub fn invalidate(&self, events: &[StoredEvent]) {
        let mut rooms: Vec<&str> =
            events.iter().filter(|e| e.state_key.is_some()).map(|e| e.room_id.as_str()).collect();
        if rooms.is_empty() {
            return;
        }
        rooms.dedup();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        for room in rooms {
            *inner.generations.entry(room.to_owned()).or_insert(0) += 1;
            inner.entries.retain(|(cached_room, _), _| cached_room != room);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use usher_store::RoomRecord;

    fn access(room: &str) -> RoomAccess {
        RoomAccess {
            room: RoomRecord { room_id: room.into(), creator: "@a:x".into(), room_version: "10".into(), created_at: 0 },
            power_levels: None,
            membership: Some("join".into()),
        }
    }

    fn state_event(room: &str) -> StoredEvent {
        StoredEvent {
            stream: 1,
            event_id: "$e".into(),
            room_id: room.into(),
            sender: "@a:x".into(),
            event_type: "m.room.power_levels".into(),
            state_key: Some(String::new()),
            content: json!({}),
            origin_server_ts: 0,
            transaction: None,
            prev_content: None,
        }
    }

    #[test]
    fn cached_until_state_changes() {
        let cache = RoomAccessCache::default();
        let generation = cache.get("!r:x", "@a:x").err().unwrap_or(u64::MAX);
        cache.insert("@a:x", &access("!r:x"), generation);
        assert!(cache.get("!r:x", "@a:x").is_ok());
        cache.invalidate(&[state_event("!r:x")]);
        assert!(cache.get("!r:x", "@a:x").is_err());
    }

    #[test]
    fn stale_read_not_cached() {
        let cache = RoomAccessCache::default();
        let generation = cache.get("!r:x", "@a:x").err().unwrap_or(u64::MAX);
        cache.invalidate(&[state_event("!r:x")]);
        cache.insert("@a:x", &access("!r:x"), generation);
        assert!(cache.get("!r:x", "@a:x").is_err(), "a read from before the change must not be cached");
    }

    #[test]
    fn messages_keep_entries() {
        let cache = RoomAccessCache::default();
        cache.insert("@a:x", &access("!r:x"), 0);
        let mut message = state_event("!r:x");
        message.state_key = None;
        cache.invalidate(&[message]);
        assert!(cache.get("!r:x", "@a:x").is_ok());
    }
}
