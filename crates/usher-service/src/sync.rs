//! `/sync`: initial and incremental, with long-polling.
//!
//! A sync token is a position in the server-wide stream (`s<position>`).
//! A response built at position `upto` contains everything with
//! `since < stream <= upto` and returns `s<upto>` as `next_batch`.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Map, Value};
use usher_core::Error;
use usher_store::{Direction, MembershipRecord, StoredEvent};

use crate::events::{client_event, stripped_state};
use crate::filters::SyncFilter;
use crate::store_error::db;
use crate::{now_ms, Caller, Services};

/// State types shown to an invitee before joining.
const INVITE_STATE_TYPES: &[&str] = &[
    "m.room.create",
    "m.room.join_rules",
    "m.room.name",
    "m.room.canonical_alias",
    "m.room.avatar",
    "m.room.topic",
    "m.room.encryption",
];

/// The `/sync` query parameters.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SyncQuery {
    pub since: Option<String>,
    /// Long-poll timeout in milliseconds.
    pub timeout: Option<u64>,
    pub full_state: Option<bool>,
    pub filter: Option<String>,
    pub set_presence: Option<String>,
}

/// Formats a stream position as a token.
pub fn format_token(position: i64) -> String {
    format!("s{position}")
}

/// Parses a token made by [`format_token`]; bare numbers are accepted too.
pub fn parse_token(token: &str) -> Result<i64, Error> {
    let digits = token.strip_prefix('s').unwrap_or(token);
    digits.parse::<i64>().ok().filter(|p| *p >= 0).ok_or_else(|| {
        Error::invalid_param_in(
            "since",
            format!("\"{token}\" is not a token this server issued; start again without it"),
            format!("“{token}”不是本服务器签发的令牌；请不带该参数重新开始"),
        )
    })
}

/// The parts of a rebuild after a wake-up that come from the change log
/// instead of the store. They hold only when no commit since the request's
/// token changed the user's memberships or account data. Then the
/// memberships are those of the last build and there is no new account
/// data. Only the `rooms` those commits touched can have new events, and
/// `events`, when the log kept them, are those of the joined rooms.
struct Known {
    memberships: Vec<MembershipRecord>,
    rooms: HashSet<String>,
    events: Option<Vec<StoredEvent>>,
}

/// Checks whether `memberships` has the user joined to `room`.
fn is_joined(memberships: &[MembershipRecord], room: &str) -> bool {
    memberships.iter().any(|m| m.membership == "join" && m.room_id == room)
}

impl Services {
    /// Handles `/sync`. With a `since` token and nothing new, waits up to the
    /// timeout for new events before returning an empty response.
    pub async fn sync(&self, caller: &Caller, query: SyncQuery) -> Result<Value, Error> {
        let filter = self.resolve_sync_filter(caller, query.filter.as_deref()).await?;
        let since = query.since.as_deref().map(parse_token).transpose()?;
        let full_state = query.full_state.unwrap_or(false);
        let timeout = Duration::from_millis(query.timeout.unwrap_or(0).min(self.settings().max_sync_timeout_ms));
        let deadline = Instant::now() + timeout;

        // Subscribe before reading: a commit landing between the read and the
        // wait still wakes this request instead of leaving it to time out.
        let mut subscription = self.bus().subscribe();
        let mut shutdown = self.inner.shutdown.subscribe();
        // The memberships of the last build, while this request waits.
        let mut last_memberships: Option<Vec<MembershipRecord>> = None;
        loop {
            // The bus position, not the store's: with one writer, every
            // position up to the last published one is committed, and this
            // saves a read per wake-up.
            let upto = self.bus().position();
            let since = since.map(|s| s.min(upto));
            let known = match (since, last_memberships.take()) {
                (Some(since), Some(memberships)) if !full_state => self
                    .inner
                    .changes
                    .touched(since, upto, &caller.user_id, |room| is_joined(&memberships, room))
                    .filter(|t| !t.user)
                    .map(|touched| Known { memberships, rooms: touched.rooms, events: touched.joined_events }),
                _ => None,
            };
            // Boxed, so the large building future is not part of what every
            // waiting request keeps in memory while it waits.
            let (body, has_updates, memberships) =
                Box::pin(self.build_sync(caller, since, upto, &filter, full_state, known)).await?;
            let now = Instant::now();
            let stopping = *shutdown.borrow();
            if since.is_none() || has_updates || full_state || now >= deadline || stopping {
                return Ok(body);
            }
            // An empty response is rebuilt after the wait, so it is not kept.
            drop(body);
            let memberships = last_memberships.insert(memberships);

            // Wait until a commit may concern this user, the deadline passes
            // or the server stops; commits elsewhere only move `seen` on.
            let mut seen = upto;
            loop {
                let remaining = deadline.saturating_duration_since(Instant::now());
                tokio::select! {
                    _ = subscription.wait_beyond(seen, remaining) => {}
                    _ = shutdown.wait_for(|stopping| *stopping) => break,
                }
                let position = self.bus().position();
                if position <= seen
                    || Instant::now() >= deadline
                    || self
                        .inner
                        .changes
                        .may_concern(seen, position, &caller.user_id, |room| is_joined(memberships, room))
                {
                    break;
                }
                seen = position;
            }
        }
    }

    async fn build_sync(
        &self,
        caller: &Caller,
        since: Option<i64>,
        upto: i64,
        filter: &SyncFilter,
        full_state: bool,
        known: Option<Known>,
    ) -> Result<(Value, bool, Vec<MembershipRecord>), Error> {
        let (memberships, account_data, touched_rooms, logged_events) = match known {
            Some(Known { memberships, rooms, events }) => (memberships, Vec::new(), Some(rooms), events),
            None => {
                let memberships = self.store().memberships_of_user(&caller.user_id).await.map_err(db)?;
                let since = since.unwrap_or(0);
                let account_data = self.store().account_data_since(&caller.user_id, since).await.map_err(db)?;
                (memberships, account_data, None, None)
            }
        };

        let mut global_data = Vec::new();
        let mut room_data: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for record in account_data.into_iter().filter(|r| r.stream <= upto) {
            let item = json!({ "type": record.data_type, "content": record.content });
            match record.room_id {
                Some(room) => room_data.entry(room).or_default().push(item),
                None => global_data.push(item),
            }
        }

        let mut join = Map::new();
        let mut invite = Map::new();
        let mut leave = Map::new();
        for membership in memberships.iter().filter(|m| m.stream <= upto && filter.includes_room(&m.room_id)) {
            let room_id = &membership.room_id;
            match membership.membership.as_str() {
                "join" => {
                    let fresh = full_state || since.is_none_or(|s| membership.stream > s);
                    if !fresh && touched_rooms.as_ref().is_some_and(|rooms| !rooms.contains(room_id)) {
                        continue;
                    }
                    let data = room_data.remove(room_id).unwrap_or_default();
                    let logged = logged_events
                        .as_ref()
                        .filter(|_| !fresh)
                        .map(|events| events.iter().filter(|e| e.room_id == *room_id).cloned().collect());
                    let room = self.joined_room(caller, membership, since, upto, filter, fresh, data, logged).await?;
                    if let Some(room) = room {
                        join.insert(room_id.clone(), room);
                    }
                }
                "invite" if since.is_none_or(|s| membership.stream > s) => {
                    invite.insert(room_id.clone(), self.invited_room(membership).await?);
                }
                "leave" | "ban"
                    if since.is_some_and(|s| membership.stream > s) || (since.is_none() && filter.include_leave) =>
                {
                    leave.insert(room_id.clone(), self.left_room(caller, membership, since, filter).await?);
                }
                _ => {}
            }
        }

        let has_updates = !join.is_empty() || !invite.is_empty() || !leave.is_empty() || !global_data.is_empty();
        let body = json!({
            "next_batch": format_token(upto),
            "rooms": { "join": join, "invite": invite, "leave": leave },
            "account_data": { "events": global_data },
            "presence": { "events": [] },
            "to_device": { "events": [] },
            "device_lists": { "changed": [], "left": [] },
            "device_one_time_keys_count": {},
        });
        Ok((body, has_updates, memberships))
    }

    /// Timeline events in `(after, upto]`, newest `limit`, oldest first, and
    /// whether older ones were left out.
    async fn timeline(
        &self,
        room_id: &str,
        after: i64,
        upto: i64,
        limit: u32,
    ) -> Result<(Vec<StoredEvent>, bool), Error> {
        let mut events =
            self.store().room_events(room_id, after, upto, limit + 1, Direction::Backward).await.map_err(db)?;
        let limited = events.len() > limit as usize;
        events.truncate(limit as usize);
        events.reverse();
        Ok((events, limited))
    }

    #[expect(clippy::too_many_arguments, reason = "one call site, each argument is a distinct sync input")]
    async fn joined_room(
        &self,
        caller: &Caller,
        membership: &MembershipRecord,
        since: Option<i64>,
        upto: i64,
        filter: &SyncFilter,
        fresh: bool,
        account_data: Vec<Value>,
        logged: Option<Vec<StoredEvent>>,
    ) -> Result<Option<Value>, Error> {
        let room_id = &membership.room_id;
        let after = if fresh { 0 } else { since.unwrap_or(0) };
        // `logged` contains every event of the range, so the newest `limit`
        // of them are the timeline the store would give.
        let (events, limited) = match logged {
            Some(mut events) => {
                let excess = events.len().saturating_sub(filter.timeline_limit as usize);
                events.drain(..excess);
                (events, excess > 0)
            }
            None => self.timeline(room_id, after, upto, filter.timeline_limit).await?,
        };
        if !fresh && events.is_empty() && account_data.is_empty() {
            return Ok(None);
        }

        let timeline_start = events.first().map_or(upto, |e| e.stream - 1);
        let state: Vec<StoredEvent> = if fresh {
            self.store().state_at(room_id, timeline_start).await.map_err(db)?
        } else if limited {
            // State that changed in the gap between the last sync and the timeline.
            let since = since.unwrap_or(0);
            let state = self.store().state_at(room_id, timeline_start).await.map_err(db)?;
            state.into_iter().filter(|e| e.stream > since).collect()
        } else {
            Vec::new()
        };

        let now = now_ms();
        let viewer = Some((caller.user_id.as_str(), caller.device_id.as_str()));
        let mut room = json!({
            "timeline": {
                "events": events.iter().map(|e| client_event(e, viewer, false, now)).collect::<Vec<_>>(),
                "limited": limited,
                "prev_batch": format_token(timeline_start),
            },
            "state": { "events": state.iter().map(|e| client_event(e, None, false, now)).collect::<Vec<_>>() },
            "account_data": { "events": account_data },
            "ephemeral": { "events": [] },
            "unread_notifications": { "notification_count": 0, "highlight_count": 0 },
        });
        if fresh || events.iter().any(|e| e.event_type == "m.room.member") {
            room["summary"] = self.room_summary(caller, room_id).await?;
        }
        Ok(Some(room))
    }

    async fn room_summary(&self, caller: &Caller, room_id: &str) -> Result<Value, Error> {
        let members = self.store().members_of_room(room_id).await.map_err(db)?;
        let count = |m: &str| members.iter().filter(|r| r.membership == m).count();
        let heroes: Vec<&str> = members
            .iter()
            .filter(|r| r.user_id != caller.user_id && (r.membership == "join" || r.membership == "invite"))
            .take(5)
            .map(|r| r.user_id.as_str())
            .collect();
        Ok(json!({
            "m.heroes": heroes,
            "m.joined_member_count": count("join"),
            "m.invited_member_count": count("invite"),
        }))
    }

    async fn invited_room(&self, membership: &MembershipRecord) -> Result<Value, Error> {
        let state = self.store().state_at(&membership.room_id, membership.stream).await.map_err(db)?;
        let invite_event =
            self.store().state_event(&membership.room_id, "m.room.member", &membership.user_id).await.map_err(db)?;
        let inviter = invite_event.as_ref().map(|e| e.sender.clone()).unwrap_or_default();
        let mut events: Vec<Value> = state
            .iter()
            .filter(|e| {
                INVITE_STATE_TYPES.contains(&e.event_type.as_str())
                    || (e.event_type == "m.room.member" && e.state_key.as_deref() == Some(inviter.as_str()))
            })
            .map(stripped_state)
            .collect();
        if let Some(invite) = invite_event {
            let mut own = stripped_state(&invite);
            own["event_id"] = json!(invite.event_id);
            own["origin_server_ts"] = json!(invite.origin_server_ts);
            events.push(own);
        }
        Ok(json!({ "invite_state": { "events": events } }))
    }

    async fn left_room(
        &self,
        caller: &Caller,
        membership: &MembershipRecord,
        since: Option<i64>,
        filter: &SyncFilter,
    ) -> Result<Value, Error> {
        let (events, limited) =
            self.timeline(&membership.room_id, since.unwrap_or(0), membership.stream, filter.timeline_limit).await?;
        let now = now_ms();
        let viewer = Some((caller.user_id.as_str(), caller.device_id.as_str()));
        let start = events.first().map_or(membership.stream, |e| e.stream - 1);
        Ok(json!({
            "timeline": {
                "events": events.iter().map(|e| client_event(e, viewer, false, now)).collect::<Vec<_>>(),
                "limited": limited,
                "prev_batch": format_token(start),
            },
            "state": { "events": [] },
            "account_data": { "events": [] },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_round_trip() {
        assert_eq!(parse_token(&format_token(42)).ok(), Some(42));
        assert_eq!(parse_token("17").ok(), Some(17));
    }

    #[test]
    fn token_rejects_garbage() {
        assert!(parse_token("abc").is_err());
        assert!(parse_token("s-1").is_err());
        assert!(parse_token("").is_err());
    }
}
