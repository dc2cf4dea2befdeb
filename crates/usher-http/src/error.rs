//! The HTTP error: a service [`Error`] with its status, rendered as Matrix
//! JSON `{"errcode", "error", ...}`.
//!
//! Handlers return [`ApiError`]. Its response carries the error in an
//! extension and an English body; the request middleware re-renders the
//! body in the request's language. Internal errors were logged with their
//! cause where they happened and reach clients only as a generic message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use usher_core::{Error, ErrorCode, Lang};

/// An error response.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        ApiError(error)
    }
}

/// Maps each error code to its HTTP status.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::Forbidden | ErrorCode::UserDeactivated => StatusCode::FORBIDDEN,
        ErrorCode::UnknownToken | ErrorCode::MissingToken => StatusCode::UNAUTHORIZED,
        ErrorCode::NotFound | ErrorCode::Unrecognized => StatusCode::NOT_FOUND,
        ErrorCode::LimitExceeded => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Unknown => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::BadJson
        | ErrorCode::NotJson
        | ErrorCode::UserInUse
        | ErrorCode::InvalidUsername
        | ErrorCode::WeakPassword
        | ErrorCode::InvalidParam
        | ErrorCode::MissingParam
        | ErrorCode::RoomInUse
        | ErrorCode::UnsupportedRoomVersion => StatusCode::BAD_REQUEST,
    }
}

/// Renders the JSON body of an error in a language.
pub fn error_body(error: &Error, lang: Lang) -> Value {
    let mut body = Map::new();
    body.insert("errcode".into(), json!(error.code.as_str()));
    body.insert("error".into(), json!(error.message.text(lang)));
    if !error.violations.is_empty() {
        let violations: Vec<Value> = error
            .violations
            .iter()
            .map(|v| json!({ "field": v.field, "rule": v.rule.as_str(), "message": v.message(lang) }))
            .collect();
        body.insert("violations".into(), Value::Array(violations));
    }
    if let Some(Value::Object(extra)) = &error.extra {
        for (key, value) in extra {
            body.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    Value::Object(body)
}

/// Marks a response as an error so the request middleware can re-render it.
#[derive(Debug, Clone)]
pub struct RenderedError(pub Error);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(self.0.code);
        let mut response = (status, Json(error_body(&self.0, Lang::En))).into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            if let Some(ms) = self.0.extra.as_ref().and_then(|e| e.get("retry_after_ms")).and_then(Value::as_u64) {
                if let Ok(value) = (ms.div_ceil(1000)).to_string().parse() {
                    response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
                }
            }
        }
        response.extensions_mut().insert(RenderedError(self.0));
        response
    }
}

/// Handler result type.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use usher_core::rules::RegistrationRules;

    #[test]
    fn body_lists_violations_localized() {
        let violations = RegistrationRules::default().check_username("1a");
        let error = Error::registration(violations);
        let en = error_body(&error, Lang::En);
        let zh = error_body(&error, Lang::ZhCn);
        assert_eq!(en["errcode"], "M_INVALID_USERNAME");
        assert_eq!(en["violations"][0]["field"], "username");
        assert_eq!(en["violations"][0]["rule"], "username.too_short");
        assert!(zh["violations"][0]["message"].as_str().unwrap_or_default().contains("账号名"));
    }

    #[test]
    fn statuses() {
        assert_eq!(status_of(ErrorCode::LimitExceeded), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(status_of(ErrorCode::IdempotencyKeyReused), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(status_of(ErrorCode::Unavailable), StatusCode::SERVICE_UNAVAILABLE);
    }
}
