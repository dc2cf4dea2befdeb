//! Pure parts of the waiting-syncs scenario: ramp-up steps, request paths and memory figures.

use serde::Serialize;

use crate::client::Target;
use crate::scenarios::memory::MemoryReading;

/// Returns the cumulative connection counts after each ramp-up step of at most `step`
/// connections, ending at `total`. For example 1,100 in steps of 500 gives 500, 1,000, 1,100.
pub fn ramp_targets(total: u64, step: u64) -> Vec<u64> {
    let step = step.max(1);
    let mut targets = Vec::new();
    let mut opened = 0;
    while opened < total {
        opened = (opened + step).min(total);
        targets.push(opened);
    }
    targets
}

/// Returns the user whose token connection `index` uses, spreading the connections
/// round-robin over `users` users.
pub fn user_of_connection(index: u64, users: usize) -> usize {
    let users = users.max(1) as u64;
    (index % users) as usize
}

/// Returns the path and query of `GET /_matrix/client/v3/sync?since=SINCE&timeout=MS`
/// under the target's base path, percent-encoded.
pub fn sync_path_and_query(target: &Target, since: &str, timeout_ms: u64) -> String {
    let mut url = target.endpoint(&["_matrix", "client", "v3", "sync"]);
    url.query_pairs_mut().append_pair("since", since).append_pair("timeout", &timeout_ms.to_string());
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Server memory with the long-polls waiting, compared with the idle server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaitingMemory {
    /// Long-polls requested (`--waiting-syncs`).
    pub requested: u64,
    /// Requests written to their connection whose response headers had not arrived when VmRSS was read.
    pub waiting: u64,
    pub idle_rss_mib: f64,
    pub loaded_rss_mib: f64,
    /// `loaded_rss_mib - idle_rss_mib`. Negative when the server released memory meanwhile.
    pub above_idle_mib: f64,
    /// `above_idle_mib` per waiting request in KiB, or `None` when nothing was waiting.
    pub per_connection_kib: Option<f64>,
    /// VmRSS of the load generator itself at the same moment.
    pub client_rss_mib: f64,
}

impl WaitingMemory {
    pub fn new(
        requested: u64,
        waiting: u64,
        idle: &MemoryReading,
        loaded: &MemoryReading,
        client: &MemoryReading,
    ) -> Self {
        let above_idle_mib = loaded.vm_rss_mib - idle.vm_rss_mib;
        let per_connection_kib = (waiting > 0).then(|| above_idle_mib * 1024.0 / waiting as f64);
        Self {
            requested,
            waiting,
            idle_rss_mib: idle.vm_rss_mib,
            loaded_rss_mib: loaded.vm_rss_mib,
            above_idle_mib,
            per_connection_kib,
            client_rss_mib: client.vm_rss_mib,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(vm_rss_mib: f64) -> MemoryReading {
        MemoryReading { pid: 1, vm_rss_mib, vm_hwm_mib: vm_rss_mib }
    }

    #[test]
    fn ramp_targets_end_at_total() {
        assert_eq!(ramp_targets(1000, 500), [500, 1000]);
        assert_eq!(ramp_targets(1100, 500), [500, 1000, 1100]);
        assert_eq!(ramp_targets(3, 10), [3]);
        assert!(ramp_targets(0, 10).is_empty());
    }

    #[test]
    fn ramp_targets_treat_zero_step_as_one() {
        assert_eq!(ramp_targets(3, 0), [1, 2, 3]);
    }

    #[test]
    fn connections_spread_over_users() {
        let mut per_user = [0_u32; 3];
        for index in 0..10 {
            per_user[user_of_connection(index, 3)] += 1;
        }
        assert_eq!(per_user, [4, 3, 3]);
        assert_eq!(user_of_connection(7, 0), 0);
    }

    #[test]
    fn sync_path_encodes_since() {
        let target = Target::new("http://127.0.0.1:8008").expect("valid URL");
        assert_eq!(
            sync_path_and_query(&target, "s12_3+x", 60_000),
            "/_matrix/client/v3/sync?since=s12_3%2Bx&timeout=60000"
        );
    }

    #[test]
    fn sync_path_keeps_base_path() {
        let target = Target::new("http://127.0.0.1:8008/matrix/").expect("valid URL");
        assert_eq!(sync_path_and_query(&target, "7", 5), "/matrix/_matrix/client/v3/sync?since=7&timeout=5");
    }

    #[test]
    fn memory_above_idle_per_connection() {
        let memory = WaitingMemory::new(1000, 800, &reading(10.0), &reading(35.0), &reading(50.0));
        assert_eq!(memory.above_idle_mib, 25.0);
        assert_eq!(memory.per_connection_kib, Some(32.0));
        assert_eq!(memory.client_rss_mib, 50.0);
        assert_eq!(memory.requested, 1000);
    }

    #[test]
    fn memory_without_waiting_has_no_per_connection() {
        let memory = WaitingMemory::new(10, 0, &reading(10.0), &reading(9.5), &reading(5.0));
        assert_eq!(memory.above_idle_mib, -0.5);
        assert_eq!(memory.per_connection_kib, None);
    }
}
