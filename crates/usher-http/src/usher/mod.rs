//! Usher API handlers under `/_usher/v1`.

pub mod activate;
pub mod admin_sponsors;
pub mod openapi;
pub mod registrations;
pub mod rules;
pub mod sponsored;
