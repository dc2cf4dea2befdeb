//! The open-file limit (`RLIMIT_NOFILE`) of the load generator and of the server.

use anyhow::{bail, Context, Result};
use rlimit::Resource;

/// Change to the soft limit that lets `needed` descriptors fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitPlan {
    /// The soft limit already allows `needed` descriptors.
    Keep,
    /// Raise the soft limit to this value, the hard limit.
    RaiseTo(u64),
    /// Even the hard limit is below `needed`.
    TooLow { hard: u64 },
}

/// Decides how to fit `needed` open files under the soft limit `soft` and the hard limit `hard`.
pub fn plan(needed: u64, soft: u64, hard: u64) -> LimitPlan {
    if needed <= soft {
        LimitPlan::Keep
    } else if needed <= hard {
        LimitPlan::RaiseTo(hard)
    } else {
        LimitPlan::TooLow { hard }
    }
}

/// Makes room for `needed` open files in this process, raising the soft limit up to the
/// hard limit when necessary. Returns the soft limit in force afterwards.
pub fn ensure_own(needed: u64) -> Result<u64> {
    let (soft, hard) = Resource::NOFILE.get().context("failed to read RLIMIT_NOFILE")?;
    match plan(needed, soft, hard) {
        LimitPlan::Keep => Ok(soft),
        LimitPlan::RaiseTo(limit) => {
            Resource::NOFILE
                .set(limit, hard)
                .with_context(|| format!("failed to raise the open-file soft limit from {soft} to {limit}"))?;
            eprintln!("raised the open-file soft limit from {soft} to {limit}");
            Ok(limit)
        }
        LimitPlan::TooLow { hard } => bail!(
            "the load generator needs about {needed} open files but its hard limit \
             (ulimit -Hn) is {hard}; raise it (for example `ulimit -n {needed}` as root) \
             or lower --waiting-syncs"
        ),
    }
}

/// Returns the soft open-file limit of process `pid` from `/proc/PID/limits`, or `None`
/// when it is unlimited. Linux only.
pub fn soft_limit_of(pid: u32) -> Result<Option<u64>> {
    let path = format!("/proc/{pid}/limits");
    let raw_pid = i32::try_from(pid).with_context(|| format!("invalid process ID {pid}"))?;
    let limits = rlimit::ProcLimits::read_process(raw_pid).with_context(|| format!("failed to read {path}"))?;
    let open_files = limits.max_open_files.with_context(|| format!("{path} has no \"Max open files\" line"))?;
    Ok(open_files.soft_limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_keeps_sufficient_soft_limit() {
        assert_eq!(plan(1000, 1024, 4096), LimitPlan::Keep);
        assert_eq!(plan(1024, 1024, 4096), LimitPlan::Keep);
    }

    #[test]
    fn plan_raises_to_hard_limit() {
        assert_eq!(plan(2000, 1024, 4096), LimitPlan::RaiseTo(4096));
        assert_eq!(plan(4096, 1024, 4096), LimitPlan::RaiseTo(4096));
    }

    #[test]
    fn plan_reports_low_hard_limit() {
        assert_eq!(plan(5000, 1024, 4096), LimitPlan::TooLow { hard: 4096 });
    }

    #[test]
    fn ensure_own_accepts_small_need() {
        let soft = ensure_own(16).expect("16 open files fit any limit");
        assert!(soft >= 16);
    }

    #[test]
    fn soft_limit_of_own_process() {
        let (soft, _) = Resource::NOFILE.get().expect("getrlimit works");
        let read = soft_limit_of(std::process::id()).expect("/proc/self/limits is readable");
        // getrlimit reports "unlimited" as RLIM_INFINITY, which is u64::MAX on Linux.
        assert_eq!(read.unwrap_or(u64::MAX), soft);
    }
}
