use axum::extract::State;
use axum::Json;
use serde_json::Value;
use usher_service::SyncQuery;

use crate::error::ApiResult;
use crate::extract::{Auth, MatrixQuery};
use crate::AppState;

/// `GET /_matrix/client/v3/sync`
pub async fn sync(
    State(state): State<AppState>,
    Auth(caller): Auth,
    MatrixQuery(query): MatrixQuery<SyncQuery>,
) -> ApiResult<Json<Value>> {
    Ok(Json(state.services.sync(&caller, query).await?))
}
