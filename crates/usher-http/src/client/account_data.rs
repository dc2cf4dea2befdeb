use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::extract::{Auth, MatrixJson, MatrixPath};
use crate::AppState;

/// `GET /_matrix/client/v3/user/{userId}/account_data/{type}`
pub async fn get_global(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath((user_id, data_type)): MatrixPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(state.services.account_data(&caller, &user_id, None, &data_type).await?))
}

/// `PUT /_matrix/client/v3/user/{userId}/account_data/{type}`
pub async fn put_global(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath((user_id, data_type)): MatrixPath<(String, String)>,
    MatrixJson(content): MatrixJson<Value>,
) -> ApiResult<Json<Value>> {
    state.services.set_account_data(&caller, &user_id, None, &data_type, content).await?;
    Ok(Json(json!({})))
}

/// `GET /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}`
pub async fn get_room(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath((user_id, room_id, data_type)): MatrixPath<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(state.services.account_data(&caller, &user_id, Some(&room_id), &data_type).await?))
}

/// `PUT /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}`
pub async fn put_room(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath((user_id, room_id, data_type)): MatrixPath<(String, String, String)>,
    MatrixJson(content): MatrixJson<Value>,
) -> ApiResult<Json<Value>> {
    state.services.set_account_data(&caller, &user_id, Some(&room_id), &data_type, content).await?;
    Ok(Json(json!({})))
}
