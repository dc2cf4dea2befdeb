//! Test users and rooms shared by the scenarios. Setup is not measured.

use anyhow::{Context, Result};
use clap::ValueEnum;
use serde::Serialize;

use crate::client::Session;
use crate::names::NameGenerator;
use crate::registration::Registrar;

/// Method by which test users become members of their room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoomSetup {
    /// The first user creates the room and invites the others, who then join (any Matrix server).
    Invite,
    /// The admin creates the room and registers the users with `groups: [room ID]` (Usher only).
    Groups,
}

/// Creates `count` users who are all joined to one new `private_chat` room.
/// Returns the users and the room ID.
pub async fn users_in_room(
    registrar: &Registrar,
    names: &NameGenerator,
    count: usize,
    setup: RoomSetup,
) -> Result<(Vec<Session>, String)> {
    let mut users = Vec::with_capacity(count);
    match setup {
        RoomSetup::Invite => {
            for _ in 0..count {
                users.push(registrar.create_user(names, &[]).await?);
            }
            let Some((owner, members)) = users.split_first() else {
                anyhow::bail!("a room needs at least one test user");
            };
            let room_id = invite_and_join(owner, members).await?;
            Ok((users, room_id))
        }
        RoomSetup::Groups => {
            let admin = registrar.admin();
            let room_id =
                admin.create_room(&[]).await.with_context(|| format!("{} failed to create a room", admin.user_id))?;
            let groups = [room_id.clone()];
            for _ in 0..count {
                users.push(registrar.create_user(names, &groups).await?);
            }
            Ok((users, room_id))
        }
    }
}

/// Creates a `private_chat` room owned by `owner`, invites `members` and makes them join.
/// Returns the room ID.
async fn invite_and_join(owner: &Session, members: &[Session]) -> Result<String> {
    let invite: Vec<String> = members.iter().map(|member| member.user_id.clone()).collect();
    let room_id =
        owner.create_room(&invite).await.with_context(|| format!("{} failed to create a room", owner.user_id))?;
    for member in members {
        member.join(&room_id).await.with_context(|| format!("{} failed to join {room_id}", member.user_id))?;
    }
    Ok(room_id)
}
