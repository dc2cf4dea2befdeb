//! Authenticated sessions kept in memory, so most requests skip the
//! session lookup in the store.
//!
//! Every path in this process that ends a session removes it here at once.
//! Entries also expire after [`SESSION_CACHE_TTL`], which bounds how long a
//! change made by another process (such as the CLI) can go unseen.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use crate::Caller;

/// How long a cached session is trusted without asking the store.
pub const SESSION_CACHE_TTL: Duration = Duration::from_secs(60);
/// Entries kept at most; the cache starts over when it is full.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Default)]
pub(crate) struct SessionCache {
    entries: RwLock<HashMap<String, (Caller, Instant)>>,
}

impl SessionCache {
    pub fn get(&self, token_hash: &str) -> Option<Caller> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(token_hash)
            .filter(|(_, stored)| stored.elapsed() < SESSION_CACHE_TTL)
            .map(|(caller, _)| caller.clone())
    }

    pub fn insert(&self, caller: &Caller) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(caller.token_hash.clone(), (caller.clone(), Instant::now()));
    }

    pub fn remove(&self, token_hash: &str) {
        self.entries.write().unwrap_or_else(|e| e.into_inner()).remove(token_hash);
    }

    /// Removes every session of a user except `keep`.
    pub fn remove_user(&self, user_id: &str, keep: Option<&str>) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        entries.retain(|token_hash, (caller, _)| caller.user_id != user_id || Some(token_hash.as_str()) == keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use usher_store::AccountState;

    fn caller(user: &str, token: &str) -> Caller {
        Caller {
            user_id: user.into(),
            device_id: "D".into(),
            token_hash: token.into(),
            is_admin: false,
            state: AccountState::Active,
        }
    }

    #[test]
    fn remove_user_keeps_one() {
        let cache = SessionCache::default();
        cache.insert(&caller("@a:x", "t1"));
        cache.insert(&caller("@a:x", "t2"));
        cache.insert(&caller("@b:x", "t3"));
        cache.remove_user("@a:x", Some("t2"));
        assert!(cache.get("t1").is_none());
        assert!(cache.get("t2").is_some());
        assert!(cache.get("t3").is_some());
        cache.remove("t3");
        assert!(cache.get("t3").is_none());
    }
}
