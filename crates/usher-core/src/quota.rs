//! Sponsor quota arithmetic.
//!
//! A quota bounds how many accounts one sponsor creates per UTC day and in
//! total, which bounds how fast any chain of sponsors can grow.

use serde::{Deserialize, Serialize};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// Limits for one sponsor. `None` means unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    pub daily: Option<u64>,
    pub total: Option<u64>,
}

/// How many accounts a sponsor created: today (UTC) and ever.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaUsage {
    pub today: u64,
    pub total: u64,
}

/// The limit a registration would exceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaPeriod {
    Daily,
    Total,
}

/// A registration that would go over a quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaExceeded {
    pub period: QuotaPeriod,
    pub limit: u64,
    pub used: u64,
    /// When the daily quota resets, in ms since the epoch (daily only).
    pub resets_at: Option<i64>,
}

impl Quota {
    /// No limits, as for server admins.
    pub const UNLIMITED: Quota = Quota { daily: None, total: None };

    /// Checks whether `count` more accounts fit, given the usage so far.
    pub fn check(&self, usage: QuotaUsage, count: u64, now_ms: i64) -> Result<(), QuotaExceeded> {
        if let Some(limit) = self.total {
            if usage.total.saturating_add(count) > limit {
                return Err(QuotaExceeded { period: QuotaPeriod::Total, limit, used: usage.total, resets_at: None });
            }
        }
        if let Some(limit) = self.daily {
            if usage.today.saturating_add(count) > limit {
                return Err(QuotaExceeded {
                    period: QuotaPeriod::Daily,
                    limit,
                    used: usage.today,
                    resets_at: Some(day_start(now_ms) + DAY_MS),
                });
            }
        }
        Ok(())
    }

    /// Returns how many more accounts fit, or `None` when unlimited.
    pub fn remaining(&self, usage: QuotaUsage) -> Option<u64> {
        let daily = self.daily.map(|l| l.saturating_sub(usage.today));
        let total = self.total.map(|l| l.saturating_sub(usage.total));
        match (daily, total) {
            (Some(d), Some(t)) => Some(d.min(t)),
            (d, t) => d.or(t),
        }
    }
}

/// Returns the start of the UTC day containing `now_ms`.
pub fn day_start(now_ms: i64) -> i64 {
    now_ms.div_euclid(DAY_MS) * DAY_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOON: i64 = 1_764_849_600_000; // 2025-12-04T12:00:00Z

    #[test]
    fn unlimited_always_fits() {
        let usage = QuotaUsage { today: u64::MAX, total: u64::MAX };
        assert_eq!(Quota::UNLIMITED.check(usage, 1, NOON), Ok(()));
        assert_eq!(Quota::UNLIMITED.remaining(usage), None);
    }

    #[test]
    fn daily_limit_reached() {
        let quota = Quota { daily: Some(10), total: None };
        assert_eq!(quota.check(QuotaUsage { today: 9, total: 50 }, 1, NOON), Ok(()));
        let err = quota.check(QuotaUsage { today: 10, total: 50 }, 1, NOON);
        let err = err.err();
        assert_eq!(err.map(|e| e.period), Some(QuotaPeriod::Daily));
        assert_eq!(err.map(|e| e.limit), Some(10));
        assert_eq!(err.and_then(|e| e.resets_at), Some(day_start(NOON) + DAY_MS));
    }

    #[test]
    fn total_limit_checked_first() {
        let quota = Quota { daily: Some(5), total: Some(20) };
        let err = quota.check(QuotaUsage { today: 5, total: 20 }, 1, NOON).err();
        assert_eq!(err.map(|e| e.period), Some(QuotaPeriod::Total));
    }

    #[test]
    fn batch_count_checked_whole() {
        let quota = Quota { daily: Some(10), total: None };
        assert!(quota.check(QuotaUsage { today: 5, total: 5 }, 6, NOON).is_err());
        assert!(quota.check(QuotaUsage { today: 5, total: 5 }, 5, NOON).is_ok());
    }

    #[test]
    fn remaining_takes_smaller() {
        let quota = Quota { daily: Some(10), total: Some(12) };
        assert_eq!(quota.remaining(QuotaUsage { today: 2, total: 8 }), Some(4));
        assert_eq!(quota.remaining(QuotaUsage { today: 12, total: 12 }), Some(0));
    }

    #[test]
    fn day_start_utc() {
        assert_eq!(day_start(NOON), NOON - 12 * 3_600_000);
        assert_eq!(day_start(0), 0);
        assert_eq!(day_start(-1), -DAY_MS);
    }
}
