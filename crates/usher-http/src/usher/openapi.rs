use axum::http::header;
use axum::response::IntoResponse;

/// The OpenAPI 3.1 document of the Usher API, kept next to Cargo.toml.
const DOCUMENT: &str = include_str!("../../openapi.json");

/// `GET /_usher/v1/openapi.json`: the OpenAPI document, served as written.
pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}
