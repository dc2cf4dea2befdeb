//! Sending and reading room events.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use usher_service::MessagesQuery;

use crate::error::ApiResult;
use crate::extract::{Auth, MatrixJson, MatrixPath, MatrixQuery};
use crate::AppState;

/// `PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}`
pub async fn send(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath((room_id, event_type, txn_id)): MatrixPath<(String, String, String)>,
    MatrixJson(content): MatrixJson<Value>,
) -> ApiResult<Json<Value>> {
    let event_id = state.services.send_event(&caller, &room_id, &event_type, &txn_id, content).await?;
    Ok(Json(json!({ "event_id": event_id })))
}

/// `PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}`
pub async fn put_state(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath((room_id, event_type, state_key)): MatrixPath<(String, String, String)>,
    MatrixJson(content): MatrixJson<Value>,
) -> ApiResult<Json<Value>> {
    let event_id = state.services.set_state(&caller, &room_id, &event_type, &state_key, content).await?;
    Ok(Json(json!({ "event_id": event_id })))
}

/// `PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}` (empty state key)
pub async fn put_state_empty_key(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath((room_id, event_type)): MatrixPath<(String, String)>,
    MatrixJson(content): MatrixJson<Value>,
) -> ApiResult<Json<Value>> {
    let event_id = state.services.set_state(&caller, &room_id, &event_type, "", content).await?;
    Ok(Json(json!({ "event_id": event_id })))
}

/// `GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}`
pub async fn get_state(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath((room_id, event_type, state_key)): MatrixPath<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(state.services.state_content(&caller, &room_id, &event_type, &state_key).await?))
}

/// `GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}` (empty state key)
pub async fn get_state_empty_key(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath((room_id, event_type)): MatrixPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(state.services.state_content(&caller, &room_id, &event_type, "").await?))
}

/// `GET /_matrix/client/v3/rooms/{roomId}/state`
pub async fn all_state(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath(room_id): MatrixPath<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(Value::Array(state.services.room_state(&caller, &room_id).await?)))
}

/// `GET /_matrix/client/v3/rooms/{roomId}/messages`
pub async fn messages(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath(room_id): MatrixPath<String>,
    MatrixQuery(query): MatrixQuery<MessagesQuery>,
) -> ApiResult<Json<Value>> {
    Ok(Json(state.services.messages(&caller, &room_id, query).await?))
}

/// `GET /_matrix/client/v3/rooms/{roomId}/event/{eventId}`
pub async fn event(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath((room_id, event_id)): MatrixPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(state.services.room_event(&caller, &room_id, &event_id).await?))
}
