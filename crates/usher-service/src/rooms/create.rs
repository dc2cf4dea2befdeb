//! `createRoom`: the initial events of a new room.

use serde::Deserialize;
use serde_json::{json, Map, Value};
use usher_core::{Error, Message};
use usher_store::{NewAlias, RoomRecord, StoreError, WriteBatch};

use super::new_event;
use crate::store_error::db;
use crate::{ids, now_ms, Caller, Services};

/// The room version Usher creates.
pub const ROOM_VERSION: &str = "10";

/// The `POST /createRoom` body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CreateRoomRequest {
    pub name: Option<String>,
    pub topic: Option<String>,
    /// `private_chat`, `trusted_private_chat` or `public_chat`.
    pub preset: Option<String>,
    /// `public` or `private`.
    pub visibility: Option<String>,
    pub room_alias_name: Option<String>,
    pub invite: Vec<String>,
    pub is_direct: bool,
    pub initial_state: Vec<InitialState>,
    pub power_level_content_override: Option<Map<String, Value>>,
    pub creation_content: Option<Map<String, Value>>,
    pub room_version: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct InitialState {
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(default)]
    pub state_key: String,
    pub content: Value,
}

/// Everything needed to lay out a new room's events.
pub(crate) struct RoomPlan<'a> {
    pub server_name: &'a str,
    pub creator: &'a str,
    pub creator_display_name: Option<String>,
    pub request: &'a CreateRoomRequest,
    /// Users joined directly instead of invited, with their display names.
    pub joined: Vec<(String, Option<String>)>,
}

fn member_content(membership: &str, display_name: Option<&String>, is_direct: bool) -> Value {
    let mut content = json!({ "membership": membership });
    if let Some(name) = display_name {
        content["displayname"] = json!(name);
    }
    if is_direct {
        content["is_direct"] = json!(true);
    }
    content
}

/// Lays out a new room: create, creator's join, power levels, alias, join
/// rules, history visibility, guest access, initial state, name, topic,
/// then joins and invites. Returns the batch to commit and the room id.
pub(crate) fn build_room(plan: RoomPlan<'_>) -> Result<(String, WriteBatch), Error> {
    let request = plan.request;
    let room_id = ids::new_room_id(plan.server_name)?.to_string();
    let creator = plan.creator;
    let now = now_ms();
    let preset = request.preset.clone().unwrap_or_else(|| {
        if request.visibility.as_deref() == Some("public") {
            "public_chat".into()
        } else {
            "private_chat".into()
        }
    });
    if !["private_chat", "trusted_private_chat", "public_chat"].contains(&preset.as_str()) {
        return Err(Error::invalid_param(
            "preset",
            format!("\"{preset}\" is not one of private_chat, trusted_private_chat, public_chat"),
        ));
    }
    if let Some(version) = &request.room_version {
        if version != ROOM_VERSION {
            return Err(Error::new(usher_core::ErrorCode::UnsupportedRoomVersion, Message::Other {
                en: format!("Room version \"{version}\" is not supported; this server creates version {ROOM_VERSION} rooms."),
                zh: format!("不支持房间版本“{version}”；本服务器创建的是 {ROOM_VERSION} 版房间。"),
            }));
        }
    }

    let mut events = Vec::new();
    let mut create_content = request.creation_content.clone().unwrap_or_default();
    create_content.insert("creator".into(), json!(creator));
    create_content.insert("room_version".into(), json!(ROOM_VERSION));
    events.push(new_event(&room_id, creator, "m.room.create", Some(""), Value::Object(create_content), now));
    events.push(new_event(
        &room_id,
        creator,
        "m.room.member",
        Some(creator),
        member_content("join", plan.creator_display_name.as_ref(), false),
        now,
    ));

    let mut users = Map::new();
    users.insert(creator.to_owned(), json!(100));
    if preset == "trusted_private_chat" {
        for user in request.invite.iter().chain(plan.joined.iter().map(|(u, _)| u)) {
            users.insert(user.clone(), json!(100));
        }
    }
    let mut levels = json!({
        "users": users,
        "users_default": 0,
        "events": {
            "m.room.name": 50,
            "m.room.power_levels": 100,
            "m.room.history_visibility": 100,
            "m.room.canonical_alias": 50,
            "m.room.avatar": 50,
            "m.room.tombstone": 100,
            "m.room.server_acl": 100,
            "m.room.encryption": 100,
        },
        "events_default": 0,
        "state_default": 50,
        "ban": 50,
        "kick": 50,
        "redact": 50,
        "invite": 0,
        "notifications": { "room": 50 },
    });
    if let Some(overrides) = &request.power_level_content_override {
        for (key, value) in overrides {
            levels[key] = value.clone();
        }
    }
    events.push(new_event(&room_id, creator, "m.room.power_levels", Some(""), levels, now));

    let mut aliases = Vec::new();
    if let Some(local) = &request.room_alias_name {
        let alias = format!("#{local}:{}", plan.server_name);
        ruma::RoomAliasId::parse(&alias).map_err(|e| {
            Error::invalid_param("room_alias_name", format!("\"{local}\" does not form a valid alias ({e})"))
        })?;
        aliases.push(NewAlias { alias: alias.clone(), room_id: room_id.clone(), creator: creator.to_owned() });
        events.push(new_event(&room_id, creator, "m.room.canonical_alias", Some(""), json!({ "alias": alias }), now));
    }

    let join_rule = if preset == "public_chat" { "public" } else { "invite" };
    events.push(new_event(&room_id, creator, "m.room.join_rules", Some(""), json!({ "join_rule": join_rule }), now));
    events.push(new_event(
        &room_id,
        creator,
        "m.room.history_visibility",
        Some(""),
        json!({ "history_visibility": "shared" }),
        now,
    ));
    if preset != "public_chat" {
        events.push(new_event(
            &room_id,
            creator,
            "m.room.guest_access",
            Some(""),
            json!({ "guest_access": "can_join" }),
            now,
        ));
    }
    for state in &request.initial_state {
        events.push(new_event(
            &room_id,
            creator,
            &state.event_type,
            Some(&state.state_key),
            state.content.clone(),
            now,
        ));
    }
    if let Some(name) = &request.name {
        events.push(new_event(&room_id, creator, "m.room.name", Some(""), json!({ "name": name }), now));
    }
    if let Some(topic) = &request.topic {
        events.push(new_event(&room_id, creator, "m.room.topic", Some(""), json!({ "topic": topic }), now));
    }
    for (user, display_name) in &plan.joined {
        events.push(new_event(
            &room_id,
            user,
            "m.room.member",
            Some(user),
            member_content("join", display_name.as_ref(), request.is_direct),
            now,
        ));
    }
    for invitee in &request.invite {
        events.push(new_event(
            &room_id,
            creator,
            "m.room.member",
            Some(invitee),
            member_content("invite", None, request.is_direct),
            now,
        ));
    }

    let room = RoomRecord {
        room_id: room_id.clone(),
        creator: creator.to_owned(),
        room_version: ROOM_VERSION.to_owned(),
        created_at: now,
    };
    Ok((room_id, WriteBatch { rooms: vec![room], aliases, events, ..WriteBatch::default() }))
}

impl Services {
    /// Creates a room with the caller as its creator and admin.
    pub async fn create_room(&self, caller: &Caller, request: CreateRoomRequest) -> Result<String, Error> {
        for invitee in &request.invite {
            let user_id = ids::parse_user_id(invitee)?;
            if self.store().user(user_id.as_str()).await.map_err(db)?.is_none() {
                return Err(Error::not_found(Message::UserNotFound { user_id: invitee.clone() }));
            }
        }
        let display_name = self.display_name(&caller.user_id).await?;
        let plan = RoomPlan {
            server_name: &self.settings().server_name,
            creator: &caller.user_id,
            creator_display_name: display_name,
            request: &request,
            joined: Vec::new(),
        };
        let (room_id, batch) = build_room(plan)?;
        let committed = match self.store().commit(batch).await {
            Ok(committed) => committed,
            Err(StoreError::Conflict { field: "alias" }) => {
                let alias = format!("#{}:{}", request.room_alias_name.unwrap_or_default(), self.settings().server_name);
                return Err(Error::new(usher_core::ErrorCode::RoomInUse, Message::AliasInUse { alias }));
            }
            Err(e) => return Err(db(e)),
        };
        self.committed(&committed, &[]);
        tracing::info!(room.id = %room_id, user.id = %caller.user_id, "room created");
        Ok(room_id)
    }
}
