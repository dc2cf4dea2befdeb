//! A closed-loop load runner: each worker sends its next request as soon as the previous one returns.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::stats::Recorder;

/// Bounds of one measured run, which stops at whichever comes first.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Operations to start in total, shared by all workers.
    pub count: u64,
    /// Wall-clock time after which no new operation starts.
    pub max_duration: Duration,
}

/// Runs `operation(worker, index)` for indices `0..limits.count`, spread over the
/// workers, one operation at a time per worker.
///
/// Returns the merged latencies and the wall-clock time from start until the last operation finished.
pub async fn run<W, F, Fut>(workers: Vec<W>, limits: Limits, operation: F) -> Result<(Recorder, Duration)>
where
    W: Send + Sync + 'static,
    F: Fn(Arc<W>, u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<()>> + Send,
{
    let next_index = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + limits.max_duration;

    let mut tasks = Vec::with_capacity(workers.len());
    for worker in workers {
        let worker = Arc::new(worker);
        let next_index = Arc::clone(&next_index);
        let operation = operation.clone();
        tasks.push(tokio::spawn(async move {
            let mut recorder = Recorder::new();
            while Instant::now() < deadline {
                let index = next_index.fetch_add(1, Ordering::Relaxed);
                if index >= limits.count {
                    break;
                }
                let sent = Instant::now();
                let result = operation(Arc::clone(&worker), index).await;
                recorder.record_result(sent.elapsed(), &result);
            }
            recorder
        }));
    }

    let mut merged = Recorder::new();
    for task in tasks {
        let recorder = task.await.context("a load worker panicked")?;
        merged.merge(&recorder);
    }
    Ok((merged, started.elapsed()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn run_stops_at_count() {
        let limits = Limits { count: 25, max_duration: Duration::from_secs(10) };
        let (recorder, _) = run(vec![(); 4], limits, |_, _| async { Ok(()) }).await.expect("workers finish");
        assert_eq!(recorder.successes(), 25);
    }

    #[tokio::test]
    async fn run_stops_at_deadline() {
        let limits = Limits { count: u64::MAX, max_duration: Duration::from_millis(100) };
        let operation = |_, _| async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            Ok(())
        };
        let (recorder, elapsed) = run(vec![(); 2], limits, operation).await.expect("workers finish");
        assert!(elapsed < Duration::from_secs(2), "elapsed {elapsed:?}");
        assert!(recorder.successes() > 0);
        assert!(recorder.successes() < 100, "{} operations", recorder.successes());
    }

    #[tokio::test]
    async fn run_counts_failures() {
        let limits = Limits { count: 10, max_duration: Duration::from_secs(10) };
        let operation = |_, index: u64| async move {
            if index % 2 == 0 {
                Ok(())
            } else {
                Err(anyhow::anyhow!("odd index {index}"))
            }
        };
        let (recorder, _) = run(vec![()], limits, operation).await.expect("workers finish");
        assert_eq!(recorder.successes(), 5);
        assert_eq!(recorder.failures().get("other"), Some(&5));
    }
}
