//! Typing, receipts, read markers and presence.
//!
//! NOTE: typing notifications, read receipts and presence are accepted but
//! not yet delivered to other users; only `m.fully_read` is stored.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::extract::{Auth, MatrixJson, MatrixPath};
use crate::AppState;

/// `PUT /_matrix/client/v3/rooms/{roomId}/typing/{userId}`
pub async fn typing(
    Auth(_caller): Auth,
    MatrixPath(_path): MatrixPath<(String, String)>,
    MatrixJson(_body): MatrixJson<Value>,
) -> Json<Value> {
    Json(json!({}))
}

/// `POST /_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId}`
pub async fn receipt(
    Auth(_caller): Auth,
    MatrixPath(_path): MatrixPath<(String, String, String)>,
    MatrixJson(_body): MatrixJson<Value>,
) -> Json<Value> {
    Json(json!({}))
}

/// `POST /_matrix/client/v3/rooms/{roomId}/read_markers`
pub async fn read_markers(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath(room_id): MatrixPath<String>,
    MatrixJson(body): MatrixJson<Value>,
) -> ApiResult<Json<Value>> {
    if let Some(event_id) = body.get("m.fully_read").and_then(Value::as_str) {
        let content = json!({ "event_id": event_id });
        state.services.set_account_data(&caller, &caller.user_id, Some(&room_id), "m.fully_read", content).await?;
    }
    Ok(Json(json!({})))
}

/// `GET /_matrix/client/v3/presence/{userId}/status`
pub async fn get_presence(Auth(_caller): Auth, MatrixPath(_user_id): MatrixPath<String>) -> Json<Value> {
    Json(json!({ "presence": "online" }))
}

/// `PUT /_matrix/client/v3/presence/{userId}/status`
pub async fn set_presence(
    Auth(_caller): Auth,
    MatrixPath(_user_id): MatrixPath<String>,
    MatrixJson(_body): MatrixJson<Value>,
) -> Json<Value> {
    Json(json!({}))
}
