//! Counts wrong passwords to stop password guessing. A stranger who has an
//! account's name must not be able to lock its owner out.
//!
//! Failures count per account and client address. Ten wrong passwords from
//! one address lock that address out of the account for five minutes, while
//! the owner elsewhere still logs in. A much higher count per account,
//! summed over every address, still stops guessing spread across many
//! addresses.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong passwords allowed per account and client address within [`WINDOW`].
pub(crate) const MAX_PER_ADDRESS: u32 = 10;
/// Wrong passwords allowed per account from all addresses within [`WINDOW`].
pub(crate) const MAX_PER_ACCOUNT: u32 = 100;
/// How long failures count, from the first one.
pub(crate) const WINDOW: Duration = Duration::from_secs(300);
/// Entries kept before expired ones are swept out.
const SWEEP_ABOVE: usize = 100_000;

/// A failure count and when its window started.
type Count = (u32, Instant);

#[derive(Debug, Default)]
pub(crate) struct FailedLogins {
    /// By account and client address; `None` when the address is not known.
    by_address: Mutex<HashMap<(String, Option<IpAddr>), Count>>,
    by_account: Mutex<HashMap<String, Count>>,
}

impl FailedLogins {
    /// Returns how long `client` stays locked out of the account, if it is.
    pub(crate) fn locked_out(&self, localpart: &str, client: Option<IpAddr>) -> Option<Duration> {
        let by_address = lock(&self.by_address);
        let address =
            by_address.get(&(localpart.to_owned(), client)).and_then(|count| remaining(count, MAX_PER_ADDRESS));
        drop(by_address);
        let account = lock(&self.by_account).get(localpart).and_then(|count| remaining(count, MAX_PER_ACCOUNT));
        address.max(account)
    }

    pub(crate) fn record(&self, localpart: &str, client: Option<IpAddr>) {
        bump(&mut lock(&self.by_address), (localpart.to_owned(), client));
        bump(&mut lock(&self.by_account), localpart.to_owned());
    }

    /// Forgets the failures of `client` after it gave the right password. The account's total keeps counting: one right password
    /// must not reset the count of guesses from elsewhere.
    pub(crate) fn clear(&self, localpart: &str, client: Option<IpAddr>) {
        lock(&self.by_address).remove(&(localpart.to_owned(), client));
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn remaining(&(count, since): &Count, limit: u32) -> Option<Duration> {
    (count >= limit && since.elapsed() < WINDOW).then(|| WINDOW.saturating_sub(since.elapsed()))
}

fn bump<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, Count>, key: K) {
    if counts.len() > SWEEP_ABOVE {
        counts.retain(|_, (_, since)| since.elapsed() < WINDOW);
    }
    let entry = counts.entry(key).or_insert((0, Instant::now()));
    if entry.1.elapsed() >= WINDOW {
        *entry = (0, Instant::now());
    }
    entry.0 += 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATTACKER: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1)));
    const OWNER: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 2)));

    #[test]
    fn lockout_is_per_address() {
        let failures = FailedLogins::default();
        for _ in 0..MAX_PER_ADDRESS - 1 {
            failures.record("zhangsan01", ATTACKER);
        }
        assert_eq!(failures.locked_out("zhangsan01", ATTACKER), None, "below the limit");

        failures.record("zhangsan01", ATTACKER);
        let remaining = failures.locked_out("zhangsan01", ATTACKER).expect("the attacker is locked out");
        assert!(remaining <= WINDOW);
        assert!(remaining > WINDOW - Duration::from_secs(5), "the window started just now");
        assert_eq!(failures.locked_out("zhangsan01", OWNER), None, "the owner elsewhere still logs in");
        assert_eq!(failures.locked_out("lisi000001", ATTACKER), None, "other accounts are not affected");
    }

    #[test]
    fn account_total_stops_spread_guessing() {
        let failures = FailedLogins::default();
        for address in 0..MAX_PER_ACCOUNT {
            let client = Some(IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + address)));
            failures.record("zhangsan01", client);
        }
        assert!(failures.locked_out("zhangsan01", OWNER).is_some(), "every address is locked out");
        assert_eq!(failures.locked_out("lisi000001", OWNER), None);
    }

    #[test]
    fn success_clears_only_its_address() {
        let failures = FailedLogins::default();
        for _ in 0..MAX_PER_ADDRESS {
            failures.record("zhangsan01", ATTACKER);
            failures.record("zhangsan01", OWNER);
        }
        failures.clear("zhangsan01", OWNER);
        assert_eq!(failures.locked_out("zhangsan01", OWNER), None);
        assert!(failures.locked_out("zhangsan01", ATTACKER).is_some());
    }
}
