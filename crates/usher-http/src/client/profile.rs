use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use usher_core::{Error, Message};

use crate::error::ApiResult;
use crate::extract::{Auth, MatrixJson, MatrixPath};
use crate::AppState;

/// `GET /_matrix/client/v3/profile/{userId}`
pub async fn get_profile(
    State(state): State<AppState>,
    MatrixPath(user_id): MatrixPath<String>,
) -> ApiResult<Json<Value>> {
    let display_name = state.services.display_name(&user_id).await?;
    Ok(Json(json!({ "displayname": display_name })))
}

/// `GET /_matrix/client/v3/profile/{userId}/displayname`
pub async fn get_display_name(
    State(state): State<AppState>,
    MatrixPath(user_id): MatrixPath<String>,
) -> ApiResult<Json<Value>> {
    let display_name = state.services.display_name(&user_id).await?;
    Ok(Json(json!({ "displayname": display_name })))
}

#[derive(Debug, Deserialize)]
pub struct DisplayNameBody {
    displayname: Option<String>,
}

/// `PUT /_matrix/client/v3/profile/{userId}/displayname`
pub async fn set_display_name(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath(user_id): MatrixPath<String>,
    MatrixJson(body): MatrixJson<DisplayNameBody>,
) -> ApiResult<Json<Value>> {
    if caller.user_id != user_id {
        return Err(Error::forbidden(Message::Other {
            en: "You may only change your own display name.".into(),
            zh: "只能修改自己的昵称。".into(),
        })
        .into());
    }
    state.services.set_display_name(&caller, body.displayname).await?;
    Ok(Json(json!({})))
}

/// `GET /_matrix/client/v3/profile/{userId}/avatar_url`: avatars are not
/// stored yet, so every user has none.
pub async fn get_avatar_url(
    State(state): State<AppState>,
    MatrixPath(user_id): MatrixPath<String>,
) -> ApiResult<Json<Value>> {
    state.services.display_name(&user_id).await?;
    Ok(Json(json!({})))
}
