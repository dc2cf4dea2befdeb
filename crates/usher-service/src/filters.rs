//! Sync filters: stored by id or passed inline as JSON.

use serde_json::Value;
use usher_core::{Error, ErrorCode, Message};

use crate::store_error::db;
use crate::{Caller, Services};

/// The parts of a Matrix filter that Usher applies.
#[derive(Debug, Clone)]
pub struct SyncFilter {
    /// Timeline events per room (default 10, at most 100).
    pub timeline_limit: u32,
    pub rooms: Option<Vec<String>>,
    pub not_rooms: Vec<String>,
    pub include_leave: bool,
}

impl Default for SyncFilter {
    fn default() -> Self {
        SyncFilter { timeline_limit: 10, rooms: None, not_rooms: Vec::new(), include_leave: false }
    }
}

impl SyncFilter {
    /// Reads a filter definition. Unknown or unsupported parts are ignored,
    /// as the Matrix spec allows servers to.
    pub fn from_json(value: &Value) -> SyncFilter {
        let room = value.get("room");
        let strings = |v: Option<&Value>| -> Option<Vec<String>> {
            v.and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        };
        SyncFilter {
            timeline_limit: room
                .and_then(|r| r.pointer("/timeline/limit"))
                .and_then(Value::as_u64)
                .map_or(10, |l| l.clamp(1, 100) as u32),
            rooms: strings(room.and_then(|r| r.get("rooms"))),
            not_rooms: strings(room.and_then(|r| r.get("not_rooms"))).unwrap_or_default(),
            include_leave: room.and_then(|r| r.get("include_leave")).and_then(Value::as_bool).unwrap_or(false),
        }
    }

    pub fn includes_room(&self, room_id: &str) -> bool {
        !self.not_rooms.iter().any(|r| r == room_id)
            && self.rooms.as_ref().is_none_or(|rooms| rooms.iter().any(|r| r == room_id))
    }
}

impl Services {
    /// Stores a filter for the caller and returns its id.
    pub async fn create_filter(&self, caller: &Caller, filter: Value) -> Result<String, Error> {
        if !filter.is_object() {
            return Err(Error::bad_json("the filter must be a JSON object"));
        }
        self.store().create_filter(&caller.user_id, &filter).await.map_err(db)
    }

    pub async fn filter(&self, caller: &Caller, filter_id: &str) -> Result<Value, Error> {
        self.store()
            .filter(&caller.user_id, filter_id)
            .await
            .map_err(db)?
            .ok_or_else(|| Error::not_found(Message::FilterNotFound))
    }

    /// Resolves the `filter` query parameter: inline JSON (starts with `{`)
    /// or a stored filter id.
    pub async fn resolve_sync_filter(&self, caller: &Caller, param: Option<&str>) -> Result<SyncFilter, Error> {
        let Some(param) = param.map(str::trim).filter(|p| !p.is_empty()) else {
            return Ok(SyncFilter::default());
        };
        if param.starts_with('{') {
            let value: Value = serde_json::from_str(param).map_err(|e| {
                Error::new(
                    ErrorCode::BadJson,
                    Message::InvalidParam(Box::new(usher_core::error::InvalidParam {
                        name: "filter".into(),
                        detail: format!("not valid JSON ({e})"),
                        detail_zh: Some(format!("不是有效的 JSON（{e}）")),
                    })),
                )
            })?;
            return Ok(SyncFilter::from_json(&value));
        }
        let stored = self.store().filter(&caller.user_id, param).await.map_err(db)?;
        match stored {
            Some(value) => Ok(SyncFilter::from_json(&value)),
            None => Err(Error::not_found(Message::FilterNotFound)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filter_reads_limit_and_rooms() {
        let filter = SyncFilter::from_json(&json!({
            "room": { "timeline": { "limit": 3 }, "rooms": ["!a:x"], "include_leave": true }
        }));
        assert_eq!(filter.timeline_limit, 3);
        assert!(filter.includes_room("!a:x"));
        assert!(!filter.includes_room("!b:x"));
        assert!(filter.include_leave);
    }

    #[test]
    fn filter_clamps_limit() {
        let filter = SyncFilter::from_json(&json!({ "room": { "timeline": { "limit": 100000 } } }));
        assert_eq!(filter.timeline_limit, 100);
    }

    #[test]
    fn filter_lazy_load_accepted() {
        let filter = SyncFilter::from_json(&json!({ "room": { "state": { "lazy_load_members": true } } }));
        assert_eq!(filter.timeline_limit, 10);
    }
}
