//! New Matrix identifiers, validated with ruma.

use rand::distributions::Alphanumeric;
use rand::rngs::OsRng;
use rand::Rng;
use ruma::{OwnedRoomId, OwnedUserId, RoomId, UserId};
use usher_core::Error;

fn random_alphanumeric(length: usize) -> String {
    OsRng.sample_iter(&Alphanumeric).take(length).map(char::from).collect()
}

/// Generates a room id `!<18 random characters>:<server>`.
pub fn new_room_id(server_name: &str) -> Result<OwnedRoomId, Error> {
    RoomId::parse(format!("!{}:{server_name}", random_alphanumeric(18))).map_err(|e| {
        tracing::error!(error = %e, server_name, "cannot form a room id");
        Error::internal()
    })
}

/// Generates an event id in the room-version-4+ shape: `$` and 43 URL-safe base64
/// characters. Usher does not federate, so the id is random, not a hash.
pub fn new_event_id() -> String {
    format!("${}", crate::credentials::random_token())
}

/// Generates a device id: 10 uppercase letters, as Synapse makes them.
pub fn new_device_id() -> String {
    (0..10).map(|_| char::from(OsRng.gen_range(b'A'..=b'Z'))).collect()
}

/// Builds the user id for a localpart on this server.
pub fn user_id(localpart: &str, server_name: &str) -> Result<OwnedUserId, Error> {
    UserId::parse(format!("@{localpart}:{server_name}")).map_err(|e| {
        Error::invalid_param("username", format!("@{localpart}:{server_name} is not a valid Matrix user id ({e})"))
    })
}

/// Parses a user id from a path or body.
pub fn parse_user_id(value: &str) -> Result<OwnedUserId, Error> {
    UserId::parse(value).map_err(|e| {
        Error::invalid_param_in(
            "user_id",
            format!("\"{value}\" is not a Matrix user id ({e}); write it as @name:server"),
            format!("“{value}”不是 Matrix 用户 ID（{e}）；请写成 @账号名:服务器 的形式"),
        )
    })
}

/// Parses a room id from a path or body.
pub fn parse_room_id(value: &str) -> Result<OwnedRoomId, Error> {
    RoomId::parse(value).map_err(|e| {
        Error::invalid_param_in(
            "room_id",
            format!("\"{value}\" is not a Matrix room id ({e}); write it as !id:server"),
            format!("“{value}”不是 Matrix 房间 ID（{e}）；请写成 !ID:服务器 的形式"),
        )
    })
}
