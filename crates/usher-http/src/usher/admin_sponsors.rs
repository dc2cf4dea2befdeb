use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use usher_service::GrantRequest;

use crate::error::ApiResult;
use crate::extract::{Auth, MatrixJson, MatrixPath};
use crate::AppState;

/// `PUT /_usher/v1/admin/sponsors/{userId}`: grant sponsorship with quotas.
pub async fn put(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath(user_id): MatrixPath<String>,
    MatrixJson(body): MatrixJson<GrantRequest>,
) -> ApiResult<Json<Value>> {
    Ok(Json(state.services.put_grant(&caller, &user_id, body).await?))
}

/// `GET /_usher/v1/admin/sponsors/{userId}`
pub async fn get(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath(user_id): MatrixPath<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(state.services.get_grant(&caller, &user_id).await?))
}

/// `DELETE /_usher/v1/admin/sponsors/{userId}`: revoke the grant.
pub async fn delete(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath(user_id): MatrixPath<String>,
) -> ApiResult<Json<Value>> {
    state.services.delete_grant(&caller, &user_id).await?;
    Ok(Json(json!({})))
}
