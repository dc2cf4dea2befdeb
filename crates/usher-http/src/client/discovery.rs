//! Discovery endpoints a client calls before logging in or right after:
//! versions, capabilities, push rules, third-party protocols, well-known.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::extract::Auth;
use crate::AppState;

/// Matrix spec versions whose client-server endpoints used by stock clients
/// this server serves. Listing a version promises its endpoints, so only
/// versions whose used subset is implemented are listed.
pub const SUPPORTED_VERSIONS: &[&str] = &["v1.1", "v1.2", "v1.3"];

/// `GET /_matrix/client/versions`
pub async fn versions() -> Json<Value> {
    Json(json!({ "versions": SUPPORTED_VERSIONS, "unstable_features": {} }))
}

/// `GET /.well-known/matrix/client`
pub async fn well_known(headers: HeaderMap) -> Json<Value> {
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    Json(json!({ "m.homeserver": { "base_url": format!("http://{host}") } }))
}

/// `GET /_matrix/client/v3/capabilities`
pub async fn capabilities(_auth: Auth) -> Json<Value> {
    Json(json!({
        "capabilities": {
            "m.change_password": { "enabled": true },
            "m.room_versions": { "default": "10", "available": { "10": "stable" } },
            "m.set_displayname": { "enabled": true },
            "m.set_avatar_url": { "enabled": false },
            "m.3pid_changes": { "enabled": false },
        }
    }))
}

/// `GET /_matrix/client/v3/pushrules/`: the server-default rule set.
pub async fn push_rules(Auth(caller): Auth) -> ApiResult<Json<Value>> {
    let user_id = ruma::UserId::parse(&caller.user_id).map_err(|_| ApiError(usher_core::Error::internal()))?;
    let ruleset = ruma::push::Ruleset::server_default(&user_id);
    Ok(Json(json!({ "global": ruleset })))
}

/// `GET /_matrix/client/v3/thirdparty/protocols`: no bridges.
pub async fn thirdparty_protocols(_auth: Auth) -> Json<Value> {
    Json(json!({}))
}

/// `GET /health`
pub async fn health(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let position = state.services.store().current_position().await.map_err(|e| {
        tracing::error!(error = %e, "health check cannot reach storage");
        ApiError(usher_core::Error::new(usher_core::ErrorCode::Unavailable, usher_core::Message::Internal))
    })?;
    Ok(Json(json!({ "status": "ok", "stream_position": position })))
}
