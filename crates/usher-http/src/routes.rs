//! Every route, in one place, grouped by API.

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, Method};
use axum::routing::{get, post, put, MethodRouter};
use axum::Router;
use tower_http::cors::{Any, CorsLayer};

use crate::client::{
    account, account_data, discovery, ephemeral, events, filter, login, members, profile, rooms, sync,
};
use crate::middleware::{method_not_allowed, unrecognized, wrap_request};
use crate::rate_limit::{limit_credentials, CredentialLimiter};
use crate::usher::{activate, admin_sponsors, registrations, rules, sponsored};
use crate::AppState;

/// Largest request body, in bytes.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Wraps a method router in the per-address credential limit.
fn limited(routes: MethodRouter<AppState>, limiter: &CredentialLimiter) -> MethodRouter<AppState> {
    let limiter = limiter.clone();
    routes
        .route_layer(axum::middleware::from_fn(move |request, next| limit_credentials(limiter.clone(), request, next)))
}

/// Matrix client-server endpoints, relative to `/_matrix/client/v3`.
fn matrix_client(limiter: &CredentialLimiter) -> Router<AppState> {
    Router::new()
        // session
        .route("/login", get(login::login_flows).merge(limited(post(login::login), limiter)))
        .route("/logout", post(login::logout))
        .route("/logout/all", post(login::logout_all))
        .route("/register", limited(post(account::register), limiter))
        .route("/account/whoami", get(account::whoami))
        .route("/account/password", post(account::change_password))
        .route("/devices", get(account::devices))
        // server
        .route("/capabilities", get(discovery::capabilities))
        .route("/pushrules/", get(discovery::push_rules))
        .route("/pushrules/global/", get(discovery::push_rules))
        .route("/thirdparty/protocols", get(discovery::thirdparty_protocols))
        // sync and filters
        .route("/sync", get(sync::sync))
        .route("/user/{user_id}/filter", post(filter::create_filter))
        .route("/user/{user_id}/filter/{filter_id}", get(filter::get_filter))
        // account data
        .route("/user/{user_id}/account_data/{data_type}", get(account_data::get_global).put(account_data::put_global))
        .route(
            "/user/{user_id}/rooms/{room_id}/account_data/{data_type}",
            get(account_data::get_room).put(account_data::put_room),
        )
        // profiles
        .route("/profile/{user_id}", get(profile::get_profile))
        .route("/profile/{user_id}/displayname", get(profile::get_display_name).put(profile::set_display_name))
        .route("/profile/{user_id}/avatar_url", get(profile::get_avatar_url))
        .route("/presence/{user_id}/status", get(ephemeral::get_presence).put(ephemeral::set_presence))
        // rooms
        .route("/createRoom", post(rooms::create_room))
        .route("/joined_rooms", get(members::joined_rooms))
        .route("/join/{room}", post(rooms::join))
        .route("/rooms/{room}/join", post(rooms::join))
        .route("/rooms/{room_id}/invite", post(rooms::invite))
        .route("/rooms/{room_id}/leave", post(rooms::leave))
        .route("/rooms/{room_id}/forget", post(rooms::forget))
        .route("/rooms/{room_id}/kick", post(rooms::kick))
        .route("/rooms/{room_id}/ban", post(rooms::ban))
        .route("/directory/room/{alias}", get(rooms::resolve_alias).put(rooms::create_alias))
        // room events
        .route("/rooms/{room_id}/send/{event_type}/{txn_id}", put(events::send))
        .route("/rooms/{room_id}/state", get(events::all_state))
        .route("/rooms/{room_id}/state/{event_type}", get(events::get_state_empty_key).put(events::put_state_empty_key))
        .route(
            "/rooms/{room_id}/state/{event_type}/",
            get(events::get_state_empty_key).put(events::put_state_empty_key),
        )
        .route("/rooms/{room_id}/state/{event_type}/{state_key}", get(events::get_state).put(events::put_state))
        .route("/rooms/{room_id}/messages", get(events::messages))
        .route("/rooms/{room_id}/event/{event_id}", get(events::event))
        .route("/rooms/{room_id}/members", get(members::members))
        .route("/rooms/{room_id}/joined_members", get(members::joined_members))
        // ephemeral
        .route("/rooms/{room_id}/typing/{user_id}", put(ephemeral::typing))
        .route("/rooms/{room_id}/receipt/{receipt_type}/{event_id}", post(ephemeral::receipt))
        .route("/rooms/{room_id}/read_markers", post(ephemeral::read_markers))
}

/// Usher endpoints, relative to `/_usher/v1`.
fn usher_api(limiter: &CredentialLimiter) -> Router<AppState> {
    Router::new()
        .route("/registrations", post(registrations::register))
        .route("/registration/rules", get(rules::rules))
        .route("/activate", limited(post(activate::activate), limiter))
        .route("/sponsored", get(sponsored::sponsored))
        .route("/users/{user_id}/sponsor", get(sponsored::sponsor_of))
        .route(
            "/admin/sponsors/{user_id}",
            put(admin_sponsors::put).get(admin_sponsors::get).delete(admin_sponsors::delete),
        )
        .route("/openapi.json", get(crate::usher::openapi::document))
}

/// CORS for browsers on any origin, as Matrix requires: clients send the
/// access token in a header, never in cookies.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-requested-with"),
        ])
        .expose_headers([header::RETRY_AFTER, HeaderName::from_static("idempotent-replayed")])
}

/// Builds the whole HTTP API.
pub fn router(state: AppState) -> Router {
    let limiter = CredentialLimiter::new(state.services.settings().credential_rate);
    let client = matrix_client(&limiter).method_not_allowed_fallback(method_not_allowed);
    Router::new()
        .route("/_matrix/client/versions", get(discovery::versions))
        .route("/.well-known/matrix/client", get(discovery::well_known))
        .route("/health", get(discovery::health))
        .nest("/_matrix/client/v3", client.clone())
        .nest("/_matrix/client/r0", client)
        .nest("/_usher/v1", usher_api(&limiter).method_not_allowed_fallback(method_not_allowed))
        .fallback(unrecognized)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(wrap_request))
        .layer(cors())
        .with_state(state)
}
