//! Usher's HTTP layer: axum routers for the Matrix client-server API
//! (`/_matrix/client`) and the Usher API (`/_usher/v1`).
//!
//! Handlers parse the request, call one service method and shape the
//! response. Errors become Matrix-shaped JSON in one place ([`error`]), in
//! the language of the request's `Accept-Language`.

mod client;
pub mod error;
mod extract;
mod middleware;
mod rate_limit;
mod routes;
mod server;
mod usher;

use usher_service::Services;

pub use routes::router;
pub use server::serve;

/// State shared by every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    pub services: Services,
}
