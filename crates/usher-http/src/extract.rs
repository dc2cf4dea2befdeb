//! Request extractors: the authenticated caller, JSON bodies with Matrix
//! errors, and the caller's language.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::connect_info::{ConnectInfo, MockConnectInfo};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use usher_core::{Error, ErrorCode, Lang, Message};
use usher_service::Caller;

use crate::error::ApiError;
use crate::AppState;

/// Reads the access token from `Authorization: Bearer` or the `access_token`
/// query. An `Authorization` header of another shape (another scheme, or
/// bytes that are not text) is an error of its own, so the caller learns
/// what to fix rather than that nothing was sent.
pub fn access_token(parts: &Parts) -> Result<String, Error> {
    if let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        // The scheme is case-insensitive (RFC 9110, section 11.1).
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        return match token {
            Some(token) if !token.is_empty() => Ok(token.to_owned()),
            _ => Err(Error::new(ErrorCode::MissingToken, Message::MalformedAuthorization)),
        };
    }
    let from_query = parts.uri.query().and_then(|query| {
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == "access_token").then(|| value.to_owned())
        })
    });
    from_query.ok_or_else(|| Error::new(ErrorCode::MissingToken, Message::MissingToken))
}

/// The authenticated caller.
#[derive(Debug)]
pub struct Auth(pub Caller);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = access_token(parts)?;
        let caller = state.services.authenticate(&token).await?;
        tracing::Span::current().record("user.id", caller.user_id.as_str());
        Ok(Auth(caller))
    }
}

/// The client's IP address, from the connection (absent in router tests
/// that send requests in-process).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_ip(&parts.extensions)))
    }
}

/// Reads the peer's address that the server loop, or a test's
/// `MockConnectInfo`, put on the request.
pub fn client_ip(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
        .or_else(|| extensions.get::<MockConnectInfo<SocketAddr>>().map(|info| info.0.ip()))
}

/// The caller's language, from `Accept-Language`.
#[derive(Debug, Clone, Copy)]
pub struct RequestLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for RequestLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|h| h.to_str().ok());
        Ok(RequestLang(Lang::from_accept_language(header)))
    }
}

/// A JSON body whose errors are Matrix errors: `M_NOT_JSON` for bytes that
/// are not JSON, `M_BAD_JSON` naming the field for JSON of the wrong shape.
/// An empty body reads as `{}`, as several clients send for bodiless POSTs.
#[derive(Debug)]
pub struct MatrixJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for MatrixJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            ApiError(Error::new(
                ErrorCode::TooLarge,
                Message::Other {
                    en: format!("The request body could not be read: {e}"),
                    zh: format!("无法读取请求体：{e}"),
                },
            ))
        })?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &bytes };
        parse_json(bytes).map(MatrixJson)
    }
}

/// Path parameters whose errors (such as bytes that are not UTF-8) are
/// Matrix errors (`M_INVALID_PARAM`).
#[derive(Debug)]
pub struct MatrixPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for MatrixPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(MatrixPath(value)),
            Err(rejection) => Err(ApiError(Error::invalid_param("path", rejection.body_text()))),
        }
    }
}

/// Query parameters whose errors are Matrix errors (`M_INVALID_PARAM`).
#[derive(Debug)]
pub struct MatrixQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for MatrixQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(MatrixQuery(value)),
            Err(rejection) => {
                let detail = rejection.body_text();
                let detail = detail.strip_prefix("Failed to deserialize query string: ").unwrap_or(&detail);
                // The message starts with the parameter's name when the parser reports a path.
                let (name, detail) = match detail.split_once(": ") {
                    Some((name, rest)) if is_parameter_name(name) => (name, rest),
                    _ => ("query", detail),
                };
                Err(ApiError(Error::invalid_param_in(name, detail, usher_core::serde_zh::translate(detail))))
            }
        }
    }
}

/// Checks whether `name` looks like a query parameter's name or path, as
/// opposed to the start of a free-text message.
fn is_parameter_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// Parses JSON with Matrix error codes.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|_| ApiError(Error::new(ErrorCode::NotJson, Message::NotJson)))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let detail = if path == "." { e.inner().to_string() } else { format!("field \"{path}\": {}", e.inner()) };
        ApiError(Error::bad_json(detail))
    })
}
