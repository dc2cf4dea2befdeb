//! Reading rooms: state, history (`/messages`), members, single events.

use serde::Deserialize;
use serde_json::{json, Value};
use usher_core::{Error, Message};
use usher_store::Direction;

use crate::events::client_event;
use crate::store_error::db;
use crate::sync::{format_token, parse_token};
use crate::{now_ms, Caller, Services};

/// Most events one `/messages` page returns.
const MAX_MESSAGES_LIMIT: u32 = 1000;

/// The `/messages` query.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MessagesQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub dir: Option<String>,
    pub limit: Option<u32>,
    pub filter: Option<String>,
}

impl Services {
    /// Returns the last stream position of a room the user may read: everything while
    /// joined, or up to the moment they left. Never-members may read nothing.
    async fn readable_upto(&self, caller: &Caller, room_id: &str) -> Result<i64, Error> {
        let memberships = self.store().memberships_of_user(&caller.user_id).await.map_err(db)?;
        let record = memberships.into_iter().find(|m| m.room_id == room_id);
        match record {
            Some(m) if m.membership == "join" => self.store().current_position().await.map_err(db),
            Some(m) if m.membership == "leave" || m.membership == "ban" => Ok(m.stream),
            _ => Err(Error::forbidden(Message::NotInRoom { room: room_id.to_owned() })),
        }
    }

    /// Returns a page of room history. Tokens are stream positions: `b` pages go
    /// back from `from` inclusive, `f` pages go forward from `from` exclusive.
    /// `end` is omitted once the start of the room (or the live end) is reached.
    pub async fn messages(&self, caller: &Caller, room_id: &str, query: MessagesQuery) -> Result<Value, Error> {
        let upto = self.readable_upto(caller, room_id).await?;
        let backward = match query.dir.as_deref() {
            Some("b") | None => true,
            Some("f") => false,
            Some(other) => return Err(Error::invalid_param("dir", format!("\"{other}\" is neither \"b\" nor \"f\""))),
        };
        let limit = query.limit.unwrap_or(10).clamp(1, MAX_MESSAGES_LIMIT);
        let from = match query.from.as_deref() {
            Some(token) => parse_token(token)?,
            None if backward => upto,
            None => 0,
        };
        let to = query.to.as_deref().map(parse_token).transpose()?;

        let (after, until, direction) = if backward {
            (to.unwrap_or(0), from.min(upto), Direction::Backward)
        } else {
            (from, to.unwrap_or(upto).min(upto), Direction::Forward)
        };
        let mut events = self.store().room_events(room_id, after, until, limit + 1, direction).await.map_err(db)?;
        let more = events.len() > limit as usize;
        events.truncate(limit as usize);

        let now = now_ms();
        let viewer = Some((caller.user_id.as_str(), caller.device_id.as_str()));
        let chunk: Vec<Value> = events.iter().map(|e| client_event(e, viewer, true, now)).collect();
        let mut body = json!({ "chunk": chunk, "start": format_token(from) });
        if more {
            if let Some(last) = events.last() {
                let end = if backward { last.stream - 1 } else { last.stream };
                body["end"] = json!(format_token(end));
            }
        }
        Ok(body)
    }

    /// Returns the current state of a room the caller may read.
    pub async fn room_state(&self, caller: &Caller, room_id: &str) -> Result<Vec<Value>, Error> {
        let upto = self.readable_upto(caller, room_id).await?;
        let state = self.store().state_at(room_id, upto).await.map_err(db)?;
        let now = now_ms();
        Ok(state.iter().map(|e| client_event(e, None, true, now)).collect())
    }

    /// Returns one state event's content.
    pub async fn state_content(
        &self,
        caller: &Caller,
        room_id: &str,
        event_type: &str,
        state_key: &str,
    ) -> Result<Value, Error> {
        let upto = self.readable_upto(caller, room_id).await?;
        let state = self.store().state_at(room_id, upto).await.map_err(db)?;
        state
            .into_iter()
            .find(|e| e.event_type == event_type && e.state_key.as_deref() == Some(state_key))
            .map(|e| e.content)
            .ok_or_else(|| Error::not_found(Message::EventNotFound))
    }

    /// Member events of a room, optionally only those with one membership.
    pub async fn room_members(
        &self,
        caller: &Caller,
        room_id: &str,
        membership: Option<&str>,
        not_membership: Option<&str>,
    ) -> Result<Vec<Value>, Error> {
        let upto = self.readable_upto(caller, room_id).await?;
        let state = self.store().state_at(room_id, upto).await.map_err(db)?;
        let now = now_ms();
        Ok(state
            .iter()
            .filter(|e| e.event_type == "m.room.member")
            .filter(|e| {
                let m = e.content.get("membership").and_then(Value::as_str);
                membership.is_none_or(|want| m == Some(want)) && not_membership.is_none_or(|skip| m != Some(skip))
            })
            .map(|e| client_event(e, None, true, now))
            .collect())
    }

    /// Joined members with their profiles.
    pub async fn joined_members(&self, caller: &Caller, room_id: &str) -> Result<Value, Error> {
        self.require_joined(room_id, &caller.user_id).await?;
        let state = self.store().state_at(room_id, i64::MAX).await.map_err(db)?;
        let mut joined = serde_json::Map::new();
        for event in state.iter().filter(|e| e.event_type == "m.room.member") {
            if event.content.get("membership").and_then(Value::as_str) != Some("join") {
                continue;
            }
            let Some(user_id) = &event.state_key else { continue };
            joined.insert(
                user_id.clone(),
                json!({
                    "display_name": event.content.get("displayname").cloned().unwrap_or(Value::Null),
                    "avatar_url": event.content.get("avatar_url").cloned().unwrap_or(Value::Null),
                }),
            );
        }
        Ok(json!({ "joined": joined }))
    }

    /// Rooms the caller is joined to.
    pub async fn joined_rooms(&self, caller: &Caller) -> Result<Vec<String>, Error> {
        let memberships = self.store().memberships_of_user(&caller.user_id).await.map_err(db)?;
        Ok(memberships.into_iter().filter(|m| m.membership == "join").map(|m| m.room_id).collect())
    }

    /// Returns one event of a room the caller may read.
    pub async fn room_event(&self, caller: &Caller, room_id: &str, event_id: &str) -> Result<Value, Error> {
        let upto = self.readable_upto(caller, room_id).await?;
        let event = self.store().event(event_id).await.map_err(db)?;
        match event {
            Some(e) if e.room_id == room_id && e.stream <= upto => {
                let viewer = Some((caller.user_id.as_str(), caller.device_id.as_str()));
                Ok(client_event(&e, viewer, true, now_ms()))
            }
            _ => Err(Error::not_found(Message::EventNotFound)),
        }
    }
}
