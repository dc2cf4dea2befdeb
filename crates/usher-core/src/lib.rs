//! Usher's domain layer: the rules every account-creating path shares.
//!
//! Nothing here performs I/O. Randomness is passed in as an [`rand::Rng`], the
//! current time as milliseconds since the Unix epoch, so every function is
//! deterministic under test.

pub mod error;
pub mod generate;
pub mod lang;
pub mod password_blocklist;
pub mod quota;
pub mod rules;
pub mod serde_zh;
pub mod sponsorship;
pub mod username;

pub use error::{Error, ErrorCode, Message};
pub use lang::Lang;
