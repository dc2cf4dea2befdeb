//! The measurements, one module each, plus the shared load runner and room setup.

pub mod memory;
pub mod register;
pub mod send;
pub mod setup;
pub mod sync;
pub mod waiting_syncs;
pub mod workers;
