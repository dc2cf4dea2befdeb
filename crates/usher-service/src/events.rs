//! Events as clients see them, and the room power levels.

use ruma::events::room::power_levels::{
    RoomPowerLevels, RoomPowerLevelsEventContent, RoomPowerLevelsSource, UserPowerLevel,
};
use ruma::room_version_rules::AuthorizationRules;
use ruma::UserId;
use serde_json::{json, Map, Value};
use usher_store::StoredEvent;

/// Formats an event for a client. `viewer` is `(user_id, device_id)` of the
/// requester, so the sending device receives its `transaction_id`.
pub fn client_event(event: &StoredEvent, viewer: Option<(&str, &str)>, with_room_id: bool, now_ms: i64) -> Value {
    let mut unsigned = Map::new();
    unsigned.insert("age".into(), json!((now_ms - event.origin_server_ts).max(0)));
    if let (Some(txn), Some((user, device))) = (&event.transaction, viewer) {
        if event.sender == user && txn.device_id == device {
            unsigned.insert("transaction_id".into(), json!(txn.txn_id));
        }
    }
    if let Some(prev) = &event.prev_content {
        unsigned.insert("prev_content".into(), prev.clone());
    }

    let mut object = Map::new();
    object.insert("type".into(), json!(event.event_type));
    object.insert("content".into(), event.content.clone());
    object.insert("sender".into(), json!(event.sender));
    object.insert("event_id".into(), json!(event.event_id));
    object.insert("origin_server_ts".into(), json!(event.origin_server_ts));
    if let Some(state_key) = &event.state_key {
        object.insert("state_key".into(), json!(state_key));
    }
    if with_room_id {
        object.insert("room_id".into(), json!(event.room_id));
    }
    object.insert("unsigned".into(), Value::Object(unsigned));
    Value::Object(object)
}

/// Strips a state event to what an invitee may see.
pub fn stripped_state(event: &StoredEvent) -> Value {
    json!({
        "type": event.event_type,
        "state_key": event.state_key.clone().unwrap_or_default(),
        "content": event.content,
        "sender": event.sender,
    })
}

/// Builds the room's power levels from its `m.room.power_levels` content, if any.
/// Rooms are version 10, where the creator has no implicit privilege once a
/// power levels event exists.
pub fn power_levels(content: Option<&Value>, creator: &str) -> RoomPowerLevels {
    let rules = AuthorizationRules::V10;
    let creators: Vec<_> = UserId::parse(creator).ok().into_iter().collect();
    let source = content
        .and_then(|c| serde_json::from_value::<RoomPowerLevelsEventContent>(c.clone()).ok())
        .map_or(RoomPowerLevelsSource::None, RoomPowerLevelsSource::Original);
    RoomPowerLevels::new(source, &rules, creators)
}

/// Returns a user's power level as a number (room creators in v12 rooms count as max).
pub fn user_level(levels: &RoomPowerLevels, user_id: &str) -> i64 {
    let Ok(user) = UserId::parse(user_id) else {
        return i64::from(levels.users_default);
    };
    match levels.for_user(&user) {
        UserPowerLevel::Int(level) => i64::from(level),
        _ => i64::MAX,
    }
}

/// Returns the level needed to send an event of this type.
pub fn required_level(levels: &RoomPowerLevels, event_type: &str, is_state: bool) -> i64 {
    let explicit = levels.events.iter().find(|(t, _)| t.to_string() == event_type).map(|(_, level)| i64::from(*level));
    explicit.unwrap_or_else(
        || {
            if is_state {
                i64::from(levels.state_default)
            } else {
                i64::from(levels.events_default)
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use usher_store::Transaction;

    fn event(sender: &str, txn: Option<(&str, &str)>) -> StoredEvent {
        StoredEvent {
            stream: 5,
            event_id: "$e".into(),
            room_id: "!r:localhost".into(),
            sender: sender.into(),
            event_type: "m.room.message".into(),
            state_key: None,
            content: json!({"body": "hi", "msgtype": "m.text"}),
            origin_server_ts: 1_000,
            transaction: txn.map(|(d, t)| Transaction { device_id: d.into(), txn_id: t.into() }),
            prev_content: None,
        }
    }

    #[test]
    fn transaction_id_only_for_sending_device() {
        let e = event("@a:localhost", Some(("DEV", "t1")));
        let own = client_event(&e, Some(("@a:localhost", "DEV")), false, 2_000);
        assert_eq!(own["unsigned"]["transaction_id"], "t1");
        let other_device = client_event(&e, Some(("@a:localhost", "OTHER")), false, 2_000);
        assert!(other_device["unsigned"].get("transaction_id").is_none());
        let other_user = client_event(&e, Some(("@b:localhost", "DEV")), false, 2_000);
        assert!(other_user["unsigned"].get("transaction_id").is_none());
        assert_eq!(own["unsigned"]["age"], 1_000);
        assert!(own.get("room_id").is_none());
    }

    #[test]
    fn power_levels_from_content() {
        let content = json!({"users": {"@a:localhost": 100}, "invite": 50, "events": {"m.room.name": 75}});
        let levels = power_levels(Some(&content), "@a:localhost");
        assert_eq!(user_level(&levels, "@a:localhost"), 100);
        assert_eq!(user_level(&levels, "@b:localhost"), 0);
        assert_eq!(i64::from(levels.invite), 50);
        assert_eq!(required_level(&levels, "m.room.name", true), 75);
        assert_eq!(required_level(&levels, "m.room.topic", true), 50);
        assert_eq!(required_level(&levels, "m.room.message", false), 0);
    }

    #[test]
    fn power_levels_missing_gives_creator_100() {
        let levels = power_levels(None, "@a:localhost");
        assert_eq!(user_level(&levels, "@a:localhost"), 100);
    }
}
