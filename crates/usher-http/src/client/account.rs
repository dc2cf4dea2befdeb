//! Account endpoints: whoami, password change, registration (closed), devices.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use usher_core::Error;
use usher_service::{OpenRegistration, OpenRegistrationRequest, PasswordChange};

use crate::error::{error_body, ApiResult};
use crate::extract::{Auth, MatrixJson, RequestLang};
use crate::AppState;

/// `GET /_matrix/client/v3/account/whoami`
pub async fn whoami(Auth(caller): Auth) -> Json<Value> {
    Json(json!({ "user_id": caller.user_id, "device_id": caller.device_id, "is_guest": false }))
}

#[derive(Debug, Deserialize)]
pub struct PasswordBody {
    new_password: Option<String>,
    #[serde(default = "default_true")]
    logout_devices: bool,
    auth: Option<Value>,
}

fn default_true() -> bool {
    true
}

/// `POST /_matrix/client/v3/account/password`, with user-interactive auth.
pub async fn change_password(
    State(state): State<AppState>,
    Auth(caller): Auth,
    RequestLang(lang): RequestLang,
    MatrixJson(body): MatrixJson<PasswordBody>,
) -> ApiResult<Response> {
    let new_password = body.new_password.ok_or_else(|| Error::missing_param("new_password"))?;
    let outcome =
        state.services.change_password(&caller, new_password, body.logout_devices, body.auth.as_ref()).await?;
    match outcome {
        PasswordChange::Changed => Ok(Json(json!({})).into_response()),
        PasswordChange::AuthRequired((mut flow, error)) => {
            if let Some(error) = error {
                let rendered = error_body(&error, lang);
                flow["errcode"] = rendered["errcode"].clone();
                flow["error"] = rendered["error"].clone();
            }
            Ok((StatusCode::UNAUTHORIZED, Json(flow)).into_response())
        }
    }
}

/// `POST /_matrix/client/v3/register`: 403 unless the operator turned open
/// registration on; accounts are normally made by sponsors.
pub async fn register(
    State(state): State<AppState>,
    MatrixJson(body): MatrixJson<OpenRegistrationRequest>,
) -> ApiResult<Response> {
    match state.services.register_open(body).await? {
        OpenRegistration::AuthRequired(flow) => Ok((StatusCode::UNAUTHORIZED, Json(flow)).into_response()),
        OpenRegistration::Created { login: Some(login), .. } => {
            Ok(Json(serde_json::to_value(login).unwrap_or_default()).into_response())
        }
        OpenRegistration::Created { user_id, login: None } => Ok(Json(json!({ "user_id": user_id })).into_response()),
    }
}

/// `GET /_matrix/client/v3/devices`
pub async fn devices(State(state): State<AppState>, Auth(caller): Auth) -> ApiResult<Json<Value>> {
    let sessions = state.services.store().sessions_of_user(&caller.user_id).await.map_err(|e| {
        tracing::error!(error = %e, "cannot list sessions");
        Error::internal()
    })?;
    let devices: Vec<Value> = sessions
        .into_iter()
        .map(|s| json!({ "device_id": s.device_id, "display_name": s.device_display_name, "last_seen_ts": s.created_at }))
        .collect();
    Ok(Json(json!({ "devices": devices })))
}
