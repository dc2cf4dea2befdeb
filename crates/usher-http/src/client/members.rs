use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::extract::{Auth, MatrixPath, MatrixQuery};
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct MembersQuery {
    membership: Option<String>,
    not_membership: Option<String>,
}

/// `GET /_matrix/client/v3/rooms/{roomId}/members`
pub async fn members(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath(room_id): MatrixPath<String>,
    MatrixQuery(query): MatrixQuery<MembersQuery>,
) -> ApiResult<Json<Value>> {
    let chunk = state
        .services
        .room_members(&caller, &room_id, query.membership.as_deref(), query.not_membership.as_deref())
        .await?;
    Ok(Json(json!({ "chunk": chunk })))
}

/// `GET /_matrix/client/v3/rooms/{roomId}/joined_members`
pub async fn joined_members(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath(room_id): MatrixPath<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(state.services.joined_members(&caller, &room_id).await?))
}

/// `GET /_matrix/client/v3/joined_rooms`
pub async fn joined_rooms(State(state): State<AppState>, Auth(caller): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "joined_rooms": state.services.joined_rooms(&caller).await? })))
}
