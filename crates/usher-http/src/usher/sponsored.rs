use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::extract::{Auth, MatrixPath, MatrixQuery};
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    from: Option<String>,
    limit: Option<u32>,
}

/// `GET /_usher/v1/sponsored`: accounts the caller registered, oldest first.
pub async fn sponsored(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixQuery(query): MatrixQuery<PageQuery>,
) -> ApiResult<Json<Value>> {
    let page = state.services.sponsored(&caller, query.from.as_deref(), query.limit).await?;
    let mut body = json!({ "accounts": page.accounts });
    if let Some(next) = page.next_batch {
        body["next_batch"] = json!(next);
    }
    Ok(Json(body))
}

/// `GET /_usher/v1/users/{userId}/sponsor`: the sponsor link and the chain above.
pub async fn sponsor_of(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixPath(user_id): MatrixPath<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(state.services.sponsor_chain(&caller, &user_id).await?))
}
