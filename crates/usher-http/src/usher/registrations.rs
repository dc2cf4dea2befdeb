use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use usher_core::Error;
use usher_service::RegistrationRequest;

use crate::error::ApiResult;
use crate::extract::{Auth, MatrixJson};
use crate::AppState;

/// `POST /_usher/v1/registrations`: a sponsor registers one account.
/// A replayed `Idempotency-Key` returns the first response again, with
/// `Idempotent-Replayed: true`.
pub async fn register(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    MatrixJson(body): MatrixJson<RegistrationRequest>,
) -> ApiResult<Response> {
    let key = match headers.get("idempotency-key") {
        Some(value) => Some(value.to_str().map_err(|_| {
            Error::invalid_param_in("Idempotency-Key", "it must be visible ASCII characters", "必须是可见 ASCII 字符")
        })?),
        None => None,
    };
    let (response, replayed) = state.services.register(&caller, body, key).await?;
    let mut http = (StatusCode::CREATED, Json(response)).into_response();
    if replayed {
        http.headers_mut().insert("idempotent-replayed", axum::http::HeaderValue::from_static("true"));
    }
    Ok(http)
}
