use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use usher_core::Error;

use crate::error::ApiResult;
use crate::extract::{ClientAddr, MatrixJson};
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct ActivateBody {
    username: Option<String>,
    initial_password: Option<String>,
    new_password: Option<String>,
}

/// `POST /_usher/v1/activate`: the owner of a pending account sets their
/// own password and receives a Matrix login response.
pub async fn activate(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    MatrixJson(body): MatrixJson<ActivateBody>,
) -> ApiResult<Json<Value>> {
    let username = body.username.ok_or_else(|| Error::missing_param("username"))?;
    let initial = body.initial_password.ok_or_else(|| Error::missing_param("initial_password"))?;
    let new = body.new_password.ok_or_else(|| Error::missing_param("new_password"))?;
    let response = state.services.activate(&username, initial, new, client).await?;
    Ok(Json(serde_json::to_value(response).unwrap_or_default()))
}
