//! A record of which rooms and users the latest commits touched, so a
//! waiting `/sync` can skip the rebuild when a commit does not concern it.
//!
//! Without it every commit wakes every waiting `/sync` into three store
//! reads. The log is only a filter and a cache. When it does not cover every
//! position since the waiter's last look (a commit not recorded yet, or
//! entries already dropped), the waiter rebuilds as before.
//!
//! Commits of a few events keep their events, so that a waiter woken by a
//! message reads it from here instead of the store.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use usher_store::{Committed, StoredEvent};

/// Commits remembered; older ones make waiters rebuild.
const CAPACITY: usize = 4096;
/// Commits with more events than this keep none, which bounds the memory
/// of the kept events to `CAPACITY` times this many.
const MAX_KEPT_EVENTS: usize = 4;

#[derive(Debug)]
struct Change {
    /// First and last stream position the commit took.
    first: i64,
    last: i64,
    rooms: Vec<String>,
    users: Vec<String>,
    /// The commit's events, unless it had more than [`MAX_KEPT_EVENTS`].
    events: Option<Vec<StoredEvent>>,
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
        let events = (committed.events.len() <= MAX_KEPT_EVENTS).then(|| committed.events.clone());
        changes.push_back(Change { first, last: committed.position, rooms, users, events });
        if changes.len() > CAPACITY {
            changes.pop_front();
        }
    }

    /// Checks whether positions `after < p <= upto` may concern `user`, who is
    /// joined to the rooms for which `is_joined` holds. True when a recorded commit in that range touched
    /// one of the rooms or the user, and also whenever the log does not
    /// account for every position of the range.
    pub fn may_concern(&self, after: i64, upto: i64, user: &str, is_joined: impl Fn(&str) -> bool) -> bool {
        if upto <= after {
            return false;
        }
        let changes = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        let mut covered = Vec::new();
        // Newest first, stopping at the first change the waiter has seen. A
        // change recorded out of order and skipped this way leaves a gap,
        // which makes the result true, never a missed wake-up.
        for change in changes.iter().rev().take_while(|c| c.last > after).filter(|c| c.first <= upto) {
            if change.users.iter().any(|u| u == user) || change.rooms.iter().any(|r| is_joined(r)) {
                return true;
            }
            covered.push((change.first.max(after + 1), change.last.min(upto)));
        }
        !covers(after, upto, covered)
    }

    /// Lists what the commits in positions `after < p <= upto` touched: their
    /// rooms, and whether any of them changed `user`'s memberships or
    /// account data. When every commit of the range kept its events, it also
    /// lists the events in the rooms for which `is_joined` holds, oldest
    /// first. `None` when the log does not account for every position of
    /// the range.
    pub fn touched(&self, after: i64, upto: i64, user: &str, is_joined: impl Fn(&str) -> bool) -> Option<Touched> {
        let mut touched = Touched { rooms: HashSet::new(), user: false, joined_events: Some(Vec::new()) };
        if upto <= after {
            return Some(touched);
        }
        let changes = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        let mut covered = Vec::new();
        for change in changes.iter().rev().take_while(|c| c.last > after).filter(|c| c.first <= upto) {
            touched.user |= change.users.iter().any(|u| u == user);
            touched.rooms.extend(change.rooms.iter().cloned());
            covered.push((change.first.max(after + 1), change.last.min(upto)));
            match (&mut touched.joined_events, &change.events) {
                (Some(collected), Some(events)) => collected.extend(
                    events.iter().filter(|e| e.stream > after && e.stream <= upto && is_joined(&e.room_id)).cloned(),
                ),
                (collected, _) => *collected = None,
            }
        }
        drop(changes);
        if let Some(events) = &mut touched.joined_events {
            events.sort_unstable_by_key(|e| e.stream);
        }
        covers(after, upto, covered).then_some(touched)
    }
}

/// The rooms and the user changes of a range of commits, from
/// [`ChangeLog::touched`].
#[derive(Debug, PartialEq)]
pub(crate) struct Touched {
    pub rooms: HashSet<String>,
    /// A commit changed the user's memberships or account data.
    pub user: bool,
    /// The events of the range in the user's joined rooms, oldest first;
    /// `None` when a commit of the range did not keep its events.
    pub joined_events: Option<Vec<StoredEvent>>,
}

/// Checks that the `(first, last)` ranges leave no position of
/// `after < p <= upto` out.
fn covers(after: i64, upto: i64, mut ranges: Vec<(i64, i64)>) -> bool {
    ranges.sort_unstable();
    let mut next = after + 1;
    for (first, last) in ranges {
        if first > next {
            return false;
        }
        next = next.max(last + 1);
    }
    next > upto
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    fn joined_to<'a>(names: &'a [&'a str]) -> impl Fn(&str) -> bool + 'a {
        move |room| names.contains(&room)
    }

    fn rooms(names: &[&str]) -> HashSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn other_rooms_do_not_concern() {
        let log = ChangeLog::default();
        log.record(&commit(vec![event(1, "!other:x", None)], 1), &[]);
        log.record(&commit(vec![event(2, "!other:x", None), event(3, "!other:x", None)], 3), &[]);
        assert!(!log.may_concern(0, 3, "@b:x", joined_to(&["!mine:x"])));
        assert!(log.may_concern(0, 3, "@b:x", joined_to(&["!other:x"])));
    }

    #[test]
    fn member_event_concerns_its_target() {
        let log = ChangeLog::default();
        log.record(&commit(vec![event(1, "!new:x", Some("@b:x"))], 1), &[]);
        assert!(log.may_concern(0, 1, "@b:x", joined_to(&[])), "an invite into a new room");
        assert!(!log.may_concern(0, 1, "@c:x", joined_to(&[])));
    }

    #[test]
    fn account_data_concerns_its_user() {
        let log = ChangeLog::default();
        log.record(&commit(vec![], 4), &["@b:x"]);
        assert!(log.may_concern(3, 4, "@b:x", joined_to(&[])));
        assert!(!log.may_concern(3, 4, "@c:x", joined_to(&[])));
    }

    #[test]
    fn unrecorded_position_forces_rebuild() {
        let log = ChangeLog::default();
        // Position 5 committed first but is recorded later than 6.
        log.record(&commit(vec![event(6, "!other:x", None)], 6), &[]);
        assert!(log.may_concern(4, 6, "@b:x", joined_to(&["!mine:x"])), "position 5 is unaccounted for");
        log.record(&commit(vec![event(5, "!other:x", None)], 5), &[]);
        assert!(!log.may_concern(4, 6, "@b:x", joined_to(&["!mine:x"])));
    }

    #[test]
    fn dropped_entries_force_rebuild() {
        let log = ChangeLog::default();
        for position in 1..=(CAPACITY as i64 + 10) {
            log.record(&commit(vec![event(position, "!other:x", None)], position), &[]);
        }
        assert!(log.may_concern(0, 20, "@b:x", joined_to(&["!mine:x"])));
        assert!(!log.may_concern(CAPACITY as i64, CAPACITY as i64 + 10, "@b:x", joined_to(&["!mine:x"])));
    }

    #[test]
    fn touched_lists_rooms_and_user() {
        let log = ChangeLog::default();
        log.record(&commit(vec![event(1, "!a:x", None), event(2, "!b:x", None)], 2), &[]);
        log.record(&commit(vec![event(3, "!a:x", None)], 3), &[]);
        let touched = log.touched(0, 3, "@b:x", |_| true).expect("positions 1 to 3 are recorded");
        assert_eq!(touched.rooms, rooms(&["!a:x", "!b:x"]));
        assert!(!touched.user);
        assert_eq!(log.touched(2, 3, "@b:x", |_| true).expect("recorded").rooms, rooms(&["!a:x"]));

        log.record(&commit(vec![event(4, "!c:x", Some("@b:x"))], 4), &[]);
        assert!(log.touched(3, 4, "@b:x", |_| true).expect("recorded").user, "a member event for the user");
        log.record(&commit(vec![], 5), &["@b:x"]);
        assert!(log.touched(4, 5, "@b:x", |_| true).expect("recorded").user, "the user's account data");
    }

    #[test]
    fn touched_needs_the_whole_range() {
        let log = ChangeLog::default();
        log.record(&commit(vec![event(6, "!a:x", None)], 6), &[]);
        assert_eq!(log.touched(4, 6, "@b:x", |_| true), None, "position 5 is unaccounted for");
        assert_eq!(log.touched(6, 6, "@b:x", |_| true).map(|t| t.rooms.len()), Some(0), "an empty range");
    }

    #[test]
    fn touched_keeps_events_of_joined_rooms() {
        let log = ChangeLog::default();
        log.record(&commit(vec![event(2, "!mine:x", None)], 2), &[]);
        log.record(&commit(vec![event(1, "!other:x", None)], 1), &[]);
        log.record(&commit(vec![event(3, "!mine:x", None)], 3), &[]);
        let touched = log.touched(0, 3, "@b:x", joined_to(&["!mine:x"])).expect("recorded");
        let streams: Vec<i64> =
            touched.joined_events.expect("small commits keep their events").iter().map(|e| e.stream).collect();
        assert_eq!(streams, vec![2, 3], "only the joined room's events, oldest first");

        let big: Vec<StoredEvent> = (4..=4 + MAX_KEPT_EVENTS as i64).map(|p| event(p, "!mine:x", None)).collect();
        let last = big.last().map(|e| e.stream).unwrap_or(4);
        log.record(&commit(big, last), &[]);
        let touched = log.touched(0, last, "@b:x", joined_to(&["!mine:x"])).expect("recorded");
        assert_eq!(touched.joined_events, None, "a large commit kept no events, so the store must be read");
    }
}
