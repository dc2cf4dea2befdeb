//! Latency recording with hdrhistogram, in microseconds.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Highest recordable latency. Larger samples are recorded as this value.
const MAX_LATENCY_US: u64 = 120_000_000;

/// Significant digits kept by the histogram: values up to 32.8 ms are exact to 1 µs,
/// and larger values are within 0.01%.
const SIGNIFICANT_DIGITS: u8 = 4;

/// Latencies and failures of one measured operation, mergeable across workers.
#[derive(Debug, Clone)]
pub struct Recorder {
    histogram: Histogram<u64>,
    failures: BTreeMap<String, u64>,
    first_failure: Option<String>,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    pub fn new() -> Self {
        let histogram = Histogram::new_with_bounds(1, MAX_LATENCY_US, SIGNIFICANT_DIGITS)
            .unwrap_or_else(|error| panic!("histogram bounds are constants and valid: {error}"));
        Self { histogram, failures: BTreeMap::new(), first_failure: None }
    }

    pub fn record(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).max(1);
        self.histogram.saturating_record(micros);
    }

    /// Counts a failure under `kind` (for example `429 M_LIMIT_EXCEEDED`) and keeps the first message.
    pub fn record_failure(&mut self, kind: String, message: String) {
        *self.failures.entry(kind).or_default() += 1;
        self.first_failure.get_or_insert(message);
    }

    /// Counts `count` failures under `kind` and keeps `message` when no failure was recorded before.
    pub fn record_failures(&mut self, kind: &str, count: u64, message: Option<&str>) {
        if count == 0 {
            return;
        }
        *self.failures.entry(kind.to_owned()).or_default() += count;
        if self.first_failure.is_none() {
            self.first_failure = message.map(str::to_owned);
        }
    }

    /// Records the outcome of one operation that took `latency`.
    pub fn record_result(&mut self, latency: Duration, result: &anyhow::Result<()>) {
        match result {
            Ok(()) => self.record(latency),
            Err(error) => self.record_failure(failure_kind(error), format!("{error:#}")),
        }
    }

    pub fn merge(&mut self, other: &Recorder) {
        // Every Recorder is built by `new` with the same bounds, so `add` cannot fail with an out-of-range value.
        let _ = self.histogram.add(&other.histogram);
        for (kind, count) in &other.failures {
            *self.failures.entry(kind.clone()).or_default() += count;
        }
        if self.first_failure.is_none() {
            self.first_failure.clone_from(&other.first_failure);
        }
    }

    pub fn successes(&self) -> u64 {
        self.histogram.len()
    }

    pub fn failures(&self) -> &BTreeMap<String, u64> {
        &self.failures
    }

    pub fn first_failure(&self) -> Option<&str> {
        self.first_failure.as_deref()
    }

    /// Returns the percentiles, or `None` when nothing succeeded.
    pub fn summary(&self) -> Option<LatencySummary> {
        if self.histogram.is_empty() {
            return None;
        }
        let at = |quantile: f64| micros_to_ms(self.histogram.value_at_quantile(quantile));
        Some(LatencySummary {
            count: self.histogram.len(),
            min_ms: micros_to_ms(self.histogram.min()),
            mean_ms: self.histogram.mean().round() / 1000.0,
            p50_ms: at(0.50),
            p90_ms: at(0.90),
            p99_ms: at(0.99),
            max_ms: micros_to_ms(self.histogram.max()),
        })
    }
}

/// Latency percentiles in milliseconds, rounded to whole microseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub min_ms: f64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Returns the key that groups a failure: `STATUS ERRCODE` (for example `429 M_LIMIT_EXCEEDED`)
/// for an error response, `timeout` or `transport` for a failed HTTP exchange, else `other`.
pub fn failure_kind(error: &anyhow::Error) -> String {
    if let Some(api_error) = error.downcast_ref::<crate::client::ApiError>() {
        return api_error.kind();
    }
    let http_error = error.chain().find_map(|cause| cause.downcast_ref::<reqwest::Error>());
    match http_error {
        Some(http_error) if http_error.is_timeout() => "timeout".to_owned(),
        Some(_) => "transport".to_owned(),
        None => "other".to_owned(),
    }
}

fn micros_to_ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_uniform_samples() {
        let mut recorder = Recorder::new();
        for micros in 1..=1000 {
            recorder.record(Duration::from_micros(micros));
        }
        let summary = recorder.summary().expect("samples were recorded");
        assert_eq!(summary.count, 1000);
        assert_eq!(summary.min_ms, 0.001);
        assert_eq!(summary.p50_ms, 0.5);
        assert_eq!(summary.p90_ms, 0.9);
        assert_eq!(summary.p99_ms, 0.99);
        assert_eq!(summary.max_ms, 1.0);
        assert_eq!(summary.mean_ms, 0.501);
    }

    #[test]
    fn summary_keeps_microseconds_below_32ms() {
        let mut recorder = Recorder::new();
        recorder.record(Duration::from_micros(17_345));
        let summary = recorder.summary().expect("one sample");
        assert_eq!(summary.max_ms, 17.345);
    }

    #[test]
    fn empty_recorder_has_no_summary() {
        assert_eq!(Recorder::new().summary(), None);
    }

    #[test]
    fn oversized_latency_is_clamped() {
        let mut recorder = Recorder::new();
        recorder.record(Duration::from_secs(10_000));
        assert_eq!(recorder.successes(), 1);
        let max_ms = recorder.summary().expect("one sample").max_ms;
        assert!((max_ms - 120_000.0).abs() < 120_000.0 * 1e-4, "max_ms = {max_ms}");
    }

    #[test]
    fn record_failures_adds_count() {
        let mut recorder = Recorder::new();
        recorder.record_failures("connect", 0, Some("ignored"));
        assert_eq!(recorder.failures().get("connect"), None);
        assert_eq!(recorder.first_failure(), None);

        recorder.record_failures("connect", 3, Some("refused"));
        recorder.record_failures("connect", 2, Some("reset"));
        assert_eq!(recorder.failures().get("connect"), Some(&5));
        assert_eq!(recorder.first_failure(), Some("refused"));
    }

    #[test]
    fn merge_adds_samples_and_failures() {
        let mut first = Recorder::new();
        first.record(Duration::from_micros(100));
        first.record_failure("429 M_LIMIT_EXCEEDED".to_owned(), "first".to_owned());

        let mut second = Recorder::new();
        second.record(Duration::from_micros(300));
        second.record_failure("429 M_LIMIT_EXCEEDED".to_owned(), "second".to_owned());
        second.record_failure("timeout".to_owned(), "third".to_owned());

        first.merge(&second);
        assert_eq!(first.successes(), 2);
        assert_eq!(first.failures().get("429 M_LIMIT_EXCEEDED"), Some(&2));
        assert_eq!(first.failures().get("timeout"), Some(&1));
        assert_eq!(first.first_failure(), Some("first"));
    }
}
