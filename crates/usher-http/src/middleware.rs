//! Cross-cutting request handling: one log line per request, localized
//! error bodies, and the Matrix errors for unknown routes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{CONTENT_LANGUAGE, CONTENT_LENGTH, CONTENT_TYPE, VARY};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;
use usher_core::{Error, ErrorCode, Lang, Message};

use crate::error::{error_body, ApiError, RenderedError};

static REQUEST_COUNTER: AtomicU64 = AtomicU64::new(1);

/// Wraps every request: re-renders error bodies in the request's language
/// and logs one line with a request id, the method, the path (never the
/// query, which may hold an access token), status and duration.
///
/// One middleware rather than two, because each layer's future is kept for
/// as long as a long-polling `/sync` waits.
pub async fn wrap_request(request: Request, next: Next) -> Response {
    let request_id = REQUEST_COUNTER.fetch_add(1, Ordering::Relaxed);
    let header = request.headers().get(axum::http::header::ACCEPT_LANGUAGE).and_then(|h| h.to_str().ok());
    let lang = Lang::from_accept_language(header);
    let span = tracing::info_span!("request", request.id = request_id, http.method = %request.method(), http.path = %request.uri().path(), user.id = tracing::field::Empty);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    localize(&mut response, lang);
    let status = response.status().as_u16();
    let duration_us = started.elapsed().as_micros() as u64;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(http.status = status, duration_us, "request failed");
        } else {
            tracing::info!(http.status = status, duration_us, "request served");
        }
    });
    response
}

/// Renders an error body in `lang` (handlers render English) and sets
/// `Content-Language`. Every response gets `Vary: Accept-Language`, because
/// its body may depend on that header.
fn localize(response: &mut Response, lang: Lang) {
    response.headers_mut().append(VARY, HeaderValue::from_static("accept-language"));
    let Some(RenderedError(error)) = response.extensions_mut().remove::<RenderedError>() else {
        return;
    };
    response.headers_mut().insert(CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag()));
    if lang == Lang::En {
        return;
    }
    let body = error_body(&error, lang).to_string();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.headers_mut().remove(CONTENT_LENGTH);
    *response.body_mut() = Body::from(body);
}

/// Unknown endpoints: 404 `M_UNRECOGNIZED`.
pub async fn unrecognized() -> Response {
    ApiError(Error::new(ErrorCode::Unrecognized, Message::Unrecognized)).into_response()
}

/// Known endpoints with another method: 405 `M_UNRECOGNIZED`.
pub async fn method_not_allowed() -> Response {
    let mut response = ApiError(Error::new(ErrorCode::Unrecognized, Message::MethodNotAllowed)).into_response();
    *response.status_mut() = axum::http::StatusCode::METHOD_NOT_ALLOWED;
    response
}
