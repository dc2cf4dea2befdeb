//! Membership changes and sending events, with the authorization checks of
//! the Matrix room-version-10 rules that matter on a single server.

use serde_json::{json, Value};
use usher_core::{Error, Message};
use usher_store::{StoreError, Transaction};

use super::new_event;
use crate::events::{required_level, user_level};
use crate::store_error::db;
use crate::{ids, now_ms, Caller, Services};

impl Services {
    /// Invites `target` into the room.
    pub async fn invite(
        &self,
        caller: &Caller,
        room_id: &str,
        target: &str,
        reason: Option<String>,
    ) -> Result<(), Error> {
        let target = ids::parse_user_id(target)?.to_string();
        let room = self.room_view(room_id, &caller.user_id).await?;
        room.require_joined(room_id)?;
        if user_level(&room.levels, &caller.user_id) < i64::from(room.levels.invite) {
            return Err(Error::forbidden(Message::PowerTooLow { action: "invite".into() }));
        }
        if self.store().user(&target).await.map_err(db)?.is_none() {
            return Err(Error::not_found(Message::UserNotFound { user_id: target }));
        }
        match self.membership(room_id, &target).await?.as_deref() {
            Some("join") | Some("invite") => return Ok(()),
            Some("ban") => {
                return Err(Error::forbidden(Message::Other {
                    en: format!("{target} is banned from this room."),
                    zh: format!("{target} 已被禁止进入该房间。"),
                }))
            }
            _ => {}
        }
        let mut content = json!({ "membership": "invite" });
        if let Some(reason) = reason {
            content["reason"] = json!(reason);
        }
        let event = new_event(room_id, &caller.user_id, "m.room.member", Some(&target), content, now_ms());
        self.commit_events(vec![event]).await?;
        Ok(())
    }

    /// Joins a room by id or alias; allowed when invited, already joined, or
    /// the room is public.
    pub async fn join(&self, caller: &Caller, id_or_alias: &str) -> Result<String, Error> {
        let room_id = self.resolve_room(id_or_alias).await?;
        let current = self.membership(&room_id, &caller.user_id).await?;
        if current.as_deref() == Some("join") {
            return Ok(room_id);
        }
        if current.as_deref() == Some("ban") {
            return Err(Error::forbidden(Message::CannotJoin { room: id_or_alias.to_owned() }));
        }
        let join_rule = self
            .store()
            .state_event(&room_id, "m.room.join_rules", "")
            .await
            .map_err(db)?
            .and_then(|e| e.content.get("join_rule").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| "invite".into());
        if current.as_deref() != Some("invite") && join_rule != "public" {
            return Err(Error::forbidden(Message::CannotJoin { room: id_or_alias.to_owned() }));
        }
        let display_name = self.display_name(&caller.user_id).await?;
        let mut content = json!({ "membership": "join" });
        if let Some(name) = display_name {
            content["displayname"] = json!(name);
        }
        let event = new_event(&room_id, &caller.user_id, "m.room.member", Some(&caller.user_id), content, now_ms());
        self.commit_events(vec![event]).await?;
        Ok(room_id)
    }

    /// Leaves a room, or rejects an invite.
    pub async fn leave(&self, caller: &Caller, room_id: &str) -> Result<(), Error> {
        match self.membership(room_id, &caller.user_id).await?.as_deref() {
            Some("join") | Some("invite") | Some("knock") => {}
            Some("leave") => return Ok(()),
            _ => return Err(Error::forbidden(Message::NotInRoom { room: room_id.to_owned() })),
        }
        let event = new_event(
            room_id,
            &caller.user_id,
            "m.room.member",
            Some(&caller.user_id),
            json!({ "membership": "leave" }),
            now_ms(),
        );
        self.commit_events(vec![event]).await?;
        Ok(())
    }

    /// Removes another member (`leave`) or bans them (`ban`).
    pub async fn kick_or_ban(
        &self,
        caller: &Caller,
        room_id: &str,
        target: &str,
        membership: &str,
        reason: Option<String>,
    ) -> Result<(), Error> {
        let target = ids::parse_user_id(target)?.to_string();
        let room = self.room_view(room_id, &caller.user_id).await?;
        room.require_joined(room_id)?;
        let needed = if membership == "ban" { room.levels.ban } else { room.levels.kick };
        let own = user_level(&room.levels, &caller.user_id);
        if own < i64::from(needed) || own <= user_level(&room.levels, &target) {
            return Err(Error::forbidden(Message::PowerTooLow { action: membership.to_owned() }));
        }
        let mut content = json!({ "membership": membership });
        if let Some(reason) = reason {
            content["reason"] = json!(reason);
        }
        let event = new_event(room_id, &caller.user_id, "m.room.member", Some(&target), content, now_ms());
        self.commit_events(vec![event]).await?;
        Ok(())
    }

    /// Sends a message-like event. A repeated transaction id from the same
    /// device returns the first event's id instead of sending again.
    pub async fn send_event(
        &self,
        caller: &Caller,
        room_id: &str,
        event_type: &str,
        txn_id: &str,
        content: Value,
    ) -> Result<String, Error> {
        if !content.is_object() {
            return Err(Error::bad_json("the event content must be a JSON object"));
        }
        let room = self.room_view(room_id, &caller.user_id).await?;
        room.require_joined(room_id)?;
        if user_level(&room.levels, &caller.user_id) < required_level(&room.levels, event_type, false) {
            return Err(Error::forbidden(Message::PowerTooLow { action: format!("send {event_type}") }));
        }

        let mut event = new_event(room_id, &caller.user_id, event_type, None, content, now_ms());
        event.transaction = Some(Transaction { device_id: caller.device_id.clone(), txn_id: txn_id.to_owned() });
        // A retried transaction hits the unique (sender, device, txn_id) key,
        // which is cheaper on the common path than a lookup before every send.
        let batch = usher_store::WriteBatch { events: vec![event], ..Default::default() };
        match self.store().commit(batch).await {
            Ok(committed) => {
                self.committed(&committed, &[]);
                Ok(committed.events.first().map(|e| e.event_id.clone()).unwrap_or_default())
            }
            Err(StoreError::Conflict { field: "txn_id" }) => {
                let existing =
                    self.store().event_by_txn(&caller.user_id, &caller.device_id, txn_id).await.map_err(db)?;
                existing.map(|e| e.event_id).ok_or_else(Error::internal)
            }
            Err(e) => Err(db(e)),
        }
    }

    /// Sets a state event. Membership goes through the membership endpoints.
    pub async fn set_state(
        &self,
        caller: &Caller,
        room_id: &str,
        event_type: &str,
        state_key: &str,
        content: Value,
    ) -> Result<String, Error> {
        if event_type == "m.room.member" || event_type == "m.room.create" {
            return Err(Error::forbidden(Message::Other {
                en: format!("{event_type} cannot be set through this endpoint; use the room membership endpoints."),
                zh: format!("不能通过此接口设置 {event_type}；请使用房间成员相关接口。"),
            }));
        }
        if !content.is_object() {
            return Err(Error::bad_json("the state content must be a JSON object"));
        }
        if state_key.starts_with('@') && state_key != caller.user_id {
            return Err(Error::forbidden(Message::PowerTooLow {
                action: format!("set {event_type} for another user"),
            }));
        }
        let room = self.room_view(room_id, &caller.user_id).await?;
        room.require_joined(room_id)?;
        if user_level(&room.levels, &caller.user_id) < required_level(&room.levels, event_type, true) {
            return Err(Error::forbidden(Message::PowerTooLow { action: format!("set {event_type}") }));
        }
        if event_type == "m.room.canonical_alias" {
            if let Some(alias) = content.get("alias").and_then(Value::as_str) {
                if self.store().resolve_alias(alias).await.map_err(db)?.as_deref() != Some(room_id) {
                    return Err(Error::invalid_param(
                        "alias",
                        format!("{alias} does not point to this room; create the alias first"),
                    ));
                }
            }
        }
        let event = new_event(room_id, &caller.user_id, event_type, Some(state_key), content, now_ms());
        let committed = self.commit_events(vec![event]).await?;
        Ok(committed.events.first().map(|e| e.event_id.clone()).unwrap_or_default())
    }

    /// Points a new alias at a room the caller is joined to.
    pub async fn create_alias(&self, caller: &Caller, alias: &str, room_id: &str) -> Result<(), Error> {
        let parsed = ruma::RoomAliasId::parse(alias)
            .map_err(|e| Error::invalid_param("room_alias", format!("\"{alias}\" is not a room alias ({e})")))?;
        if parsed.server_name().as_str() != self.settings().server_name {
            return Err(Error::invalid_param(
                "room_alias",
                format!("{alias} is not on this server ({})", self.settings().server_name),
            ));
        }
        self.require_joined(room_id, &caller.user_id).await?;
        let batch = usher_store::WriteBatch {
            aliases: vec![usher_store::NewAlias {
                alias: alias.to_owned(),
                room_id: room_id.to_owned(),
                creator: caller.user_id.clone(),
            }],
            ..Default::default()
        };
        match self.store().commit(batch).await {
            Ok(_) => Ok(()),
            Err(StoreError::Conflict { .. }) => {
                Err(Error::new(usher_core::ErrorCode::RoomInUse, Message::AliasInUse { alias: alias.to_owned() }))
            }
            Err(e) => Err(db(e)),
        }
    }
}
