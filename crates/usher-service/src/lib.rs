//! Usher's services: everything the HTTP API and the CLI do, expressed over
//! the [`Store`] and the [`Bus`].
//!
//! [`Services`] is cheap to clone and shared by every request. Each concern
//! lives in its own module as an `impl Services` block: accounts and sessions,
//! sponsored registration, sponsors, rooms, sync, account data.

mod account_data;
mod accounts;
mod caller;
mod change_log;
pub mod credentials;
mod events;
mod failed_logins;
mod filters;
mod gate;
mod ids;
mod open_registration;
mod registration;
mod room_cache;
mod rooms;
mod session_cache;
mod settings;
mod sponsors;
mod store_error;
mod sync;

use std::sync::Arc;

use usher_bus::Bus;
use usher_store::Store;

pub use accounts::{LoginRequest, LoginResponse, PasswordChange};
pub use caller::Caller;
pub use credentials::ServerSecret;
pub use open_registration::{OpenRegistration, OpenRegistrationRequest};
pub use registration::{RegistrationRequest, RegistrationResponse};
pub use rooms::{CreateRoomRequest, MessagesQuery};
pub use settings::{RateLimit, Settings, SponsorshipSettings};
pub use sponsors::{GrantRequest, SponsoredPage};
pub use sync::SyncQuery;
pub use usher_core::{Error, ErrorCode, Lang, Message};

/// The services, shared by every request.
#[derive(Debug, Clone)]
pub struct Services {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn Store>,
    bus: Arc<dyn Bus>,
    settings: Settings,
    secret: ServerSecret,
    password_sessions: accounts::InteractiveAuthSessions,
    sessions: session_cache::SessionCache,
    room_access: room_cache::RoomAccessCache,
    changes: change_log::ChangeLog,
    /// Set once the server stops; waiting syncs then return at once.
    shutdown: tokio::sync::watch::Sender<bool>,
}

impl Services {
    pub fn new(store: Arc<dyn Store>, bus: Arc<dyn Bus>, settings: Settings, secret: ServerSecret) -> Self {
        Services {
            inner: Arc::new(Inner {
                store,
                bus,
                settings,
                secret,
                password_sessions: accounts::InteractiveAuthSessions::default(),
                sessions: session_cache::SessionCache::default(),
                room_access: room_cache::RoomAccessCache::default(),
                changes: change_log::ChangeLog::default(),
                shutdown: tokio::sync::watch::Sender::new(false),
            }),
        }
    }

    /// Makes waiting `/sync` requests return now, so a graceful shutdown
    /// does not wait for their long-poll timeouts.
    pub fn begin_shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    fn bus(&self) -> &Arc<dyn Bus> {
        &self.inner.bus
    }

    /// Runs after every successful commit: drops cached room access of the
    /// rooms whose state changed, records what the commit touched, then
    /// wakes waiting syncs. `account_data_users` are the users whose account
    /// data the commit changed.
    fn committed(&self, committed: &usher_store::Committed, account_data_users: &[&str]) {
        self.inner.room_access.invalidate(&committed.events);
        self.inner.changes.record(committed, account_data_users);
        self.bus().publish(committed.position);
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
