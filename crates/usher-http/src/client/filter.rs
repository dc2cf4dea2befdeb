use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use usher_core::{Error, Message};

use crate::error::ApiResult;
use crate::extract::{Auth, MatrixJson, MatrixPath};
use crate::AppState;

fn own_user(caller_id: &str, user_id: &str) -> Result<(), Error> {
    if caller_id == user_id {
        Ok(())
    } else {
        Err(Error::forbidden(Message::Other {
            en: "You may only manage your own filters.".into(),
            zh: "只能管理自己的过滤器。".into(),
        }))
    }
}

/// `POST /_matrix/client/v3/user/{userId}/filter`
pub async fn create_filter(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath(user_id): MatrixPath<String>,
    MatrixJson(filter): MatrixJson<Value>,
) -> ApiResult<Json<Value>> {
    own_user(&caller.user_id, &user_id)?;
    let filter_id = state.services.create_filter(&caller, filter).await?;
    Ok(Json(json!({ "filter_id": filter_id })))
}

/// `GET /_matrix/client/v3/user/{userId}/filter/{filterId}`
pub async fn get_filter(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath((user_id, filter_id)): MatrixPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    own_user(&caller.user_id, &user_id)?;
    Ok(Json(state.services.filter(&caller, &filter_id).await?))
}
