//! Matrix client-server API handlers, one module per resource.

pub mod account;
pub mod account_data;
pub mod discovery;
pub mod ephemeral;
pub mod events;
pub mod filter;
pub mod login;
pub mod members;
pub mod profile;
pub mod rooms;
pub mod sync;
