//! Rooms: creation, membership, messages and state.

mod create;
mod membership;
mod timeline;

pub use create::CreateRoomRequest;
pub(crate) use create::{build_room, RoomPlan};
pub use timeline::MessagesQuery;

use ruma::events::room::power_levels::RoomPowerLevels;
use serde_json::Value;
use usher_core::{Error, Message};
use usher_store::NewEvent;

use crate::events::power_levels;
use crate::store_error::db;
use crate::{ids, Services};

/// Builds a new event with a fresh event id and no client transaction.
pub(crate) fn new_event(
    room_id: &str,
    sender: &str,
    event_type: &str,
    state_key: Option<&str>,
    content: Value,
    origin_server_ts: i64,
) -> NewEvent {
    NewEvent {
        event_id: ids::new_event_id(),
        room_id: room_id.to_owned(),
        sender: sender.to_owned(),
        event_type: event_type.to_owned(),
        state_key: state_key.map(str::to_owned),
        content,
        origin_server_ts,
        transaction: None,
    }
}

/// A room with what authorization checks need.
pub(crate) struct RoomView {
    pub levels: RoomPowerLevels,
    /// The requesting user's membership.
    pub membership: Option<String>,
}

impl RoomView {
    /// Fails unless the user the view was read for is joined.
    pub fn require_joined(&self, room_id: &str) -> Result<(), Error> {
        match self.membership.as_deref() {
            Some("join") => Ok(()),
            _ => Err(Error::forbidden(Message::NotInRoom { room: room_id.to_owned() })),
        }
    }
}

impl Services {
    /// Resolves a room id or alias to a room id; 404 when unknown.
    pub async fn resolve_room(&self, id_or_alias: &str) -> Result<String, Error> {
        let not_found = || Error::not_found(Message::RoomNotFound { room: id_or_alias.to_owned() });
        let room_id = if id_or_alias.starts_with('#') {
            self.store().resolve_alias(id_or_alias).await.map_err(db)?.ok_or_else(not_found)?
        } else if id_or_alias.starts_with('!') {
            ids::parse_room_id(id_or_alias)?.to_string()
        } else {
            return Err(Error::invalid_param_in(
                "room",
                format!("\"{id_or_alias}\" is neither a room id (!...) nor an alias (#...)"),
                format!("“{id_or_alias}”既不是房间 ID（!...）也不是房间别名（#...）"),
            ));
        };
        if self.store().room(&room_id).await.map_err(db)?.is_none() {
            return Err(not_found());
        }
        Ok(room_id)
    }

    /// Reads a room's power levels and `user_id`'s membership in one query.
    pub(crate) async fn room_view(&self, room_id: &str, user_id: &str) -> Result<RoomView, Error> {
        let access = match self.inner.room_access.get(room_id, user_id) {
            Ok(access) => access,
            Err(generation) => {
                let access = self
                    .store()
                    .room_access(room_id, user_id)
                    .await
                    .map_err(db)?
                    .ok_or_else(|| Error::not_found(Message::RoomNotFound { room: room_id.to_owned() }))?;
                self.inner.room_access.insert(user_id, &access, generation);
                access
            }
        };
        let levels = power_levels(access.power_levels.as_ref(), &access.room.creator);
        Ok(RoomView { levels, membership: access.membership })
    }

    /// Returns a user's current membership in a room (`join`, `invite`, ...).
    pub(crate) async fn membership(&self, room_id: &str, user_id: &str) -> Result<Option<String>, Error> {
        let event = self.store().state_event(room_id, "m.room.member", user_id).await.map_err(db)?;
        Ok(event.and_then(|e| e.content.get("membership").and_then(Value::as_str).map(str::to_owned)))
    }

    /// Fails unless the user is joined to the room. Unknown rooms and rooms
    /// the user is not in look the same, so room ids cannot be probed.
    pub(crate) async fn require_joined(&self, room_id: &str, user_id: &str) -> Result<(), Error> {
        match self.membership(room_id, user_id).await? {
            Some(m) if m == "join" => Ok(()),
            _ => Err(Error::forbidden(Message::NotInRoom { room: room_id.to_owned() })),
        }
    }

    /// Commits events and wakes waiting syncs.
    pub(crate) async fn commit_events(&self, events: Vec<NewEvent>) -> Result<usher_store::Committed, Error> {
        let batch = usher_store::WriteBatch { events, ..Default::default() };
        let committed = self.store().commit(batch).await.map_err(db)?;
        self.committed(&committed, &[]);
        Ok(committed)
    }
}
