//! Room creation, membership and aliases.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use usher_service::CreateRoomRequest;

use crate::error::ApiResult;
use crate::extract::{Auth, MatrixJson, MatrixPath};
use crate::AppState;

/// `POST /_matrix/client/v3/createRoom`
pub async fn create_room(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixJson(body): MatrixJson<CreateRoomRequest>,
) -> ApiResult<Json<Value>> {
    let room_id = state.services.create_room(&caller, body).await?;
    Ok(Json(json!({ "room_id": room_id })))
}

#[derive(Debug, Deserialize)]
pub struct TargetBody {
    user_id: String,
    reason: Option<String>,
}

/// `POST /_matrix/client/v3/rooms/{roomId}/invite`
pub async fn invite(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath(room_id): MatrixPath<String>,
    MatrixJson(body): MatrixJson<TargetBody>,
) -> ApiResult<Json<Value>> {
    state.services.invite(&caller, &room_id, &body.user_id, body.reason).await?;
    Ok(Json(json!({})))
}

/// `POST /_matrix/client/v3/join/{roomIdOrAlias}` and `POST /rooms/{roomId}/join`
pub async fn join(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath(room): MatrixPath<String>,
    MatrixJson(_body): MatrixJson<Value>,
) -> ApiResult<Json<Value>> {
    let room_id = state.services.join(&caller, &room).await?;
    Ok(Json(json!({ "room_id": room_id })))
}

/// `POST /_matrix/client/v3/rooms/{roomId}/leave`
pub async fn leave(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath(room_id): MatrixPath<String>,
    MatrixJson(_body): MatrixJson<Value>,
) -> ApiResult<Json<Value>> {
    state.services.leave(&caller, &room_id).await?;
    Ok(Json(json!({})))
}

/// `POST /_matrix/client/v3/rooms/{roomId}/forget`: history stays readable
/// for other members; the room already left is simply not listed again.
pub async fn forget(Auth(_caller): Auth, MatrixPath(_room_id): MatrixPath<String>) -> Json<Value> {
    Json(json!({}))
}

/// `POST /_matrix/client/v3/rooms/{roomId}/kick`
pub async fn kick(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath(room_id): MatrixPath<String>,
    MatrixJson(body): MatrixJson<TargetBody>,
) -> ApiResult<Json<Value>> {
    state.services.kick_or_ban(&caller, &room_id, &body.user_id, "leave", body.reason).await?;
    Ok(Json(json!({})))
}

/// `POST /_matrix/client/v3/rooms/{roomId}/ban`
pub async fn ban(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath(room_id): MatrixPath<String>,
    MatrixJson(body): MatrixJson<TargetBody>,
) -> ApiResult<Json<Value>> {
    state.services.kick_or_ban(&caller, &room_id, &body.user_id, "ban", body.reason).await?;
    Ok(Json(json!({})))
}

/// `GET /_matrix/client/v3/directory/room/{roomAlias}`
pub async fn resolve_alias(
    State(state): State<AppState>,
    MatrixPath(alias): MatrixPath<String>,
) -> ApiResult<Json<Value>> {
    let room_id = state.services.resolve_room(&alias).await?;
    Ok(Json(json!({ "room_id": room_id, "servers": [state.services.settings().server_name] })))
}

#[derive(Debug, Deserialize)]
pub struct AliasBody {
    room_id: String,
}

/// `PUT /_matrix/client/v3/directory/room/{roomAlias}`
pub async fn create_alias(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath(alias): MatrixPath<String>,
    MatrixJson(body): MatrixJson<AliasBody>,
) -> ApiResult<Json<Value>> {
    state.services.create_alias(&caller, &alias, &body.room_id).await?;
    Ok(Json(json!({})))
}
