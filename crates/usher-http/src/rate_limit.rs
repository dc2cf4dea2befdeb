//! A per-client-address limit on the requests that present credentials:
//! login, activation and open registration.
//!
//! It slows password spraying across many accounts from one address; the
//! per-account lockout in the accounts service covers guessing one
//! account's password. Requests without a peer address (in-process tests)
//! are not limited.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use serde_json::json;
use usher_core::{Error, ErrorCode, Message};
use usher_service::RateLimit;

use crate::error::ApiError;

/// Keyed token buckets, one per client address.
#[derive(Debug, Clone)]
pub struct CredentialLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl CredentialLimiter {
    pub fn new(limit: RateLimit) -> Self {
        let per_second = NonZeroU32::new(limit.per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limit.burst).unwrap_or(per_second);
        let quota = Quota::per_second(per_second).allow_burst(burst);
        CredentialLimiter { limiter: Arc::new(DefaultKeyedRateLimiter::keyed(quota)) }
    }

    /// Takes one token for `address`, or returns how long to wait for one.
    fn check(&self, address: IpAddr) -> Result<(), u64> {
        if self.limiter.len() > 100_000 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&address).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1)
        })
    }
}

/// Middleware applying the limiter.
pub async fn limit_credentials(limiter: CredentialLimiter, request: Request, next: Next) -> Response {
    let address = crate::extract::client_ip(request.extensions());
    if let Some(address) = address {
        if let Err(retry_after_ms) = limiter.check(address) {
            tracing::warn!(http.path = request.uri().path(), retry_after_ms, "credential requests rate-limited");
            let error = Error::new(ErrorCode::LimitExceeded, Message::RateLimited)
                .with_extra(json!({ "retry_after_ms": retry_after_ms }));
            return ApiError(error).into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_limited_per_address() {
        let limiter = CredentialLimiter::new(RateLimit { per_second: 1, burst: 3 });
        let first: IpAddr = [127, 0, 0, 1].into();
        let second: IpAddr = [127, 0, 0, 2].into();
        for _ in 0..3 {
            assert!(limiter.check(first).is_ok());
        }
        let wait = limiter.check(first).err();
        assert!(wait.is_some_and(|ms| ms > 0 && ms <= 1000), "{wait:?}");
        assert!(limiter.check(second).is_ok(), "other addresses keep their own bucket");
    }
}
