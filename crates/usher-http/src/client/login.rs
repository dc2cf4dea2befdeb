//! Login and logout.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use usher_core::{Error, ErrorCode, Message};
use usher_service::LoginRequest;

use crate::error::ApiResult;
use crate::extract::{Auth, ClientAddr, MatrixJson};
use crate::AppState;

/// `GET /_matrix/client/v3/login`
pub async fn login_flows() -> Json<Value> {
    Json(json!({ "flows": [{ "type": "m.login.password" }] }))
}

#[derive(Debug, Deserialize)]
pub struct LoginBody {
    #[serde(rename = "type")]
    login_type: String,
    identifier: Option<Value>,
    /// Deprecated top-level user field, still sent by older clients.
    user: Option<String>,
    password: Option<String>,
    device_id: Option<String>,
    initial_device_display_name: Option<String>,
}

/// `POST /_matrix/client/v3/login`
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    MatrixJson(body): MatrixJson<LoginBody>,
) -> ApiResult<Json<Value>> {
    if body.login_type != "m.login.password" {
        return Err(
            Error::new(ErrorCode::InvalidParam, Message::UnsupportedLoginType { login_type: body.login_type }).into()
        );
    }
    let user = match &body.identifier {
        Some(identifier) => {
            if identifier.get("type").and_then(Value::as_str) != Some("m.id.user") {
                return Err(Error::invalid_param(
                    "identifier.type",
                    "only m.id.user is supported; log in with your account name",
                )
                .into());
            }
            identifier.get("user").and_then(Value::as_str).map(str::to_owned)
        }
        None => body.user.clone(),
    };
    let user = user.ok_or_else(|| Error::missing_param("identifier.user"))?;
    let password = body.password.ok_or_else(|| Error::missing_param("password"))?;
    let request = LoginRequest {
        user,
        password,
        device_id: body.device_id,
        initial_device_display_name: body.initial_device_display_name,
        client,
    };
    let response = state.services.login(request).await?;
    Ok(Json(serde_json::to_value(response).unwrap_or_default()))
}

/// `POST /_matrix/client/v3/logout`
pub async fn logout(State(state): State<AppState>, Auth(caller): Auth) -> ApiResult<Json<Value>> {
    state.services.logout(&caller).await?;
    Ok(Json(json!({})))
}

/// `POST /_matrix/client/v3/logout/all`
pub async fn logout_all(State(state): State<AppState>, Auth(caller): Auth) -> ApiResult<Json<Value>> {
    state.services.logout_all(&caller).await?;
    Ok(Json(json!({})))
}
