use usher_core::quota::Quota;
use usher_core::rules::RegistrationRules;

/// Configuration values the services read.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The Matrix server name, the part after `:` in user ids.
    pub server_name: String,
    pub rules: RegistrationRules,
    pub sponsorship: SponsorshipSettings,
    /// Whether `/register` creates accounts without a sponsor.
    pub open_registration: bool,
    /// Upper bound of a `/sync` long-poll, in milliseconds.
    pub max_sync_timeout_ms: u64,
    /// Per-client-address limit on requests that present credentials.
    pub credential_rate: RateLimit,
}

/// A token bucket: `per_second` requests refill continuously up to `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: u32,
    pub burst: u32,
}

#[derive(Debug, Clone)]
pub struct SponsorshipSettings {
    /// Power level at or above which a room member is its group admin.
    pub group_admin_level: i64,
    /// Quota of group admins who hold no grant.
    pub group_admin_quota: Quota,
    /// Whether group admins without a grant may sponsor at all.
    pub group_admins_may_sponsor: bool,
}

impl Settings {
    /// Settings with the documented defaults for the given server name.
    pub fn with_defaults(server_name: impl Into<String>) -> Self {
        Settings {
            server_name: server_name.into(),
            rules: RegistrationRules::default(),
            sponsorship: SponsorshipSettings {
                group_admin_level: 100,
                group_admin_quota: Quota { daily: Some(50), total: Some(500) },
                group_admins_may_sponsor: true,
            },
            open_registration: false,
            max_sync_timeout_ms: 60_000,
            credential_rate: RateLimit { per_second: 10, burst: 100 },
        }
    }
}
