//! Resident memory of a server process, read from `/proc/PID/status` (Linux only).

use anyhow::{Context, Result};
use serde::Serialize;

/// Memory figures of one process in MiB (1 MiB = 1024 KiB).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryReading {
    pub pid: u32,
    /// Current resident set size.
    pub vm_rss_mib: f64,
    /// Peak resident set size since the process started.
    pub vm_hwm_mib: f64,
}

pub fn read(pid: u32) -> Result<MemoryReading> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path)
        .with_context(|| format!("failed to read {path}; is --pid {pid} a running process?"))?;
    parse_status(pid, &status).with_context(|| format!("failed to parse {path}"))
}

/// Parses the `VmRSS:` and `VmHWM:` lines, which the kernel writes in kB (KiB).
pub fn parse_status(pid: u32, status: &str) -> Result<MemoryReading> {
    let field_kib = |name: &str| -> Result<u64> {
        let line = status
            .lines()
            .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.strip_prefix(':')))
            .with_context(|| format!("missing {name} line"))?;
        let number = line.trim().trim_end_matches("kB").trim();
        number.parse().with_context(|| format!("invalid {name} value {line:?}"))
    };
    Ok(MemoryReading {
        pid,
        vm_rss_mib: field_kib("VmRSS")? as f64 / 1024.0,
        vm_hwm_mib: field_kib("VmHWM")? as f64 / 1024.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tusher\nVmPeak:\t  200000 kB\nVmHWM:\t   30720 kB\nVmRSS:\t   25600 kB\nThreads:\t3\n";

    #[test]
    fn parse_status_reads_rss_and_hwm() {
        let reading = parse_status(7, STATUS).expect("valid status");
        assert_eq!(reading, MemoryReading { pid: 7, vm_rss_mib: 25.0, vm_hwm_mib: 30.0 });
    }

    #[test]
    fn parse_status_rejects_missing_field() {
        let error = parse_status(7, "Name:\tusher\nVmRSS:\t 100 kB\n").expect_err("VmHWM is missing");
        assert!(error.to_string().contains("VmHWM"), "{error}");
    }

    #[test]
    fn read_own_process() {
        let reading = read(std::process::id()).expect("this process has /proc status");
        assert!(reading.vm_rss_mib > 0.0);
        assert!(reading.vm_hwm_mib >= reading.vm_rss_mib);
    }
}
