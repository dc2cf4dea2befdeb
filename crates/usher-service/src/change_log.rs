//! A record of which rooms and users the latest commits touched, so a
//! waiting `/sync` can skip the rebuild when a commit does not concern it.
//!
//! Without it every commit wakes every waiting `/sync` into three store
//! reads. The log is only a filter. When it does not cover every position
//! since the waiter's last look (a commit not recorded yet, or entries
//! already dropped), the waiter rebuilds as before.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use usher_store::Committed;

/// Commits remembered; older ones make waiters rebuild.
const CAPACITY: usize = 4096;

#[derive(Debug)]
struct Change {
    /// First and last stream position the commit took.
    first: i64,
    last: i64,
    rooms: Vec<String>,
    users: Vec<String>,
}

#[derive(Debug, Default)]
pub(crate) struct ChangeLog {
    changes: Mutex<VecDeque<Change>>,
}

impl ChangeLog {
    /// Records a commit: its events' rooms, the users its member events
    /// target, and `account_data_users` whose account data it changed.
    pub fn record(&self, committed: &Committed, account_data_users: &[&str]) {
        if committed.events.is_empty() && account_data_users.is_empty() {
            return;
        }
        // A commit's positions are contiguous, events first. Without events
        // only its last position is claimed, which can only cause a rebuild.
        let first = committed.events.iter().map(|e| e.stream).min().unwrap_or(committed.position);
        let mut rooms: Vec<String> = committed.events.iter().map(|e| e.room_id.clone()).collect();
        rooms.sort();
        rooms.dedup();
        let mut users: Vec<String> = committed
            .events
            .iter()
            .filter(|e| e.event_type == "m.room.member")
            .filter_map(|e| e.state_key.clone())
            .chain(account_data_users.iter().map(|u| (*u).to_owned()))
            .collect();
        users.sort();
        users.dedup();

        let mut changes = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        changes.push_back(Change { first, last: committed.position, rooms, users });
        if changes.len() > CAPACITY {
            changes.pop_front();
        }
    }

    /// Checks whether positions `after < p <= upto` may concern `user`, who is
    /// joined to `rooms`. True when a recorded commit in that range touched
    /// one of the rooms or the user, and also whenever the log does not
    /// account for every position of the range.
    pub fn may_concern(&self, after: i64, upto: i64, user: &str, rooms: &HashSet<String>) -> bool {
        if upto <= after {
            return false;
        }
        let changes = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        let mut covered = Vec::new();
        // Newest first, stopping at the first change the waiter has seen. A
        // change recorded out of order and skipped this way leaves a gap,
        // which makes the result true, never a missed wake-up.
        for change in changes.iter().rev().take_while(|c| c.last > after).filter(|c| c.first <= upto) {
            if change.users.iter().any(|u| u == user) || change.rooms.iter().any(|r| rooms.contains(r)) {
                return true;
            }
            covered.push((change.first.max(after + 1), change.last.min(upto)));
        }
        covered.sort_unstable();
        let mut next = after + 1;
        for (first, last) in covered {
            if first > next {
                return true;
            }
            next = next.max(last + 1);
        }
        next <= upto
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use usher_store::StoredEvent;

    fn event(stream: i64, room: &str, member: Option<&str>) -> StoredEvent {
        StoredEvent {
            stream,
            event_id: format!("$e{stream}"),
            room_id: room.into(),
            sender: "@a:x".into(),
            event_type: if member.is_some() { "m.room.member".into() } else { "m.room.message".into() },
            state_key: member.map(str::to_owned),
            content: json!({}),
            origin_server_ts: 0,
            transaction: None,
            prev_content: None,
        }
    }

    fn commit(events: Vec<StoredEvent>, position: i64) -> Committed {
        Committed { events, position }
    }

    fn rooms(names: &[&str]) -> HashSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn other_rooms_do_not_concern() {
        let log = ChangeLog::default();
        log.record(&commit(vec![event(1, "!other:x", None)], 1), &[]);
        log.record(&commit(vec![event(2, "!other:x", None), event(3, "!other:x", None)], 3), &[]);
        assert!(!log.may_concern(0, 3, "@b:x", &rooms(&["!mine:x"])));
        assert!(log.may_concern(0, 3, "@b:x", &rooms(&["!other:x"])));
    }

    #[test]
    fn member_event_concerns_its_target() {
        let log = ChangeLog::default();
        log.record(&commit(vec![event(1, "!new:x", Some("@b:x"))], 1), &[]);
        assert!(log.may_concern(0, 1, "@b:x", &rooms(&[])), "an invite into a new room");
        assert!(!log.may_concern(0, 1, "@c:x", &rooms(&[])));
    }

    #[test]
    fn account_data_concerns_its_user() {
        let log = ChangeLog::default();
        log.record(&commit(vec![], 4), &["@b:x"]);
        assert!(log.may_concern(3, 4, "@b:x", &rooms(&[])));
        assert!(!log.may_concern(3, 4, "@c:x", &rooms(&[])));
    }

    #[test]
    fn unrecorded_position_forces_rebuild() {
        let log = ChangeLog::default();
        // Position 5 committed first but is recorded later than 6.
        log.record(&commit(vec![event(6, "!other:x", None)], 6), &[]);
        assert!(log.may_concern(4, 6, "@b:x", &rooms(&["!mine:x"])), "position 5 is unaccounted for");
        log.record(&commit(vec![event(5, "!other:x", None)], 5), &[]);
        assert!(!log.may_concern(4, 6, "@b:x", &rooms(&["!mine:x"])));
    }

    #[test]
    fn dropped_entries_force_rebuild() {
        let log = ChangeLog::default();
        for position in 1..=(CAPACITY as i64 + 10) {
            log.record(&commit(vec![event(position, "!other:x", None)], position), &[]);
        }
        assert!(log.may_concern(0, 20, "@b:x", &rooms(&["!mine:x"])));
        assert!(!log.may_concern(CAPACITY as i64, CAPACITY as i64 + 10, "@b:x", &rooms(&["!mine:x"])));
    }
}
