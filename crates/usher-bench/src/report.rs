//! Benchmark results: the stdout table and the JSON file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;

use crate::scenarios::memory::MemoryReading;
use crate::scenarios::waiting_syncs::plan::WaitingMemory;
use crate::stats::{LatencySummary, Recorder};

/// One measurement, complete enough to be compared later without the command line.
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    /// `registration`, `sync`, `send`, `memory` or `waiting-syncs`.
    pub scenario: &'static str,
    /// Short description of the variant, for example `concurrency 10`.
    pub label: String,
    /// Base URL of the measured server.
    pub target: String,
    /// RFC 3339 UTC time at which the measurement finished.
    pub timestamp: String,
    pub parameters: BTreeMap<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_s: Option<f64>,
    pub successes: u64,
    /// Failure counts by `STATUS ERRCODE`, `timeout`, `transport` (other HTTP failures) or `other`.
    pub failures: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_failure: Option<String>,
    /// Successful operations per second of wall-clock time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throughput_per_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<LatencySummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryReading>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_memory: Option<WaitingMemory>,
}

impl BenchResult {
    /// Builds a result from recorded latencies. `elapsed` is the wall-clock time of the
    /// measured phase and gives the throughput.
    pub fn from_recorder(
        scenario: &'static str,
        label: String,
        target: &str,
        parameters: BTreeMap<String, Value>,
        recorder: &Recorder,
        elapsed: Duration,
    ) -> Self {
        let elapsed_s = elapsed.as_secs_f64();
        let throughput_per_s = (elapsed_s > 0.0).then(|| recorder.successes() as f64 / elapsed_s);
        Self {
            scenario,
            label,
            target: target.to_owned(),
            timestamp: now_rfc3339(),
            parameters,
            elapsed_s: Some(elapsed_s),
            successes: recorder.successes(),
            failures: recorder.failures().clone(),
            first_failure: recorder.first_failure().map(str::to_owned),
            throughput_per_s,
            latency_ms: recorder.summary(),
            memory: None,
            waiting_memory: None,
        }
    }

    /// Builds the result of the waiting-syncs memory reading. `failures` contains the failed
    /// long-poll attempts, and `ramp_up` is the time taken to open the connections.
    pub fn from_waiting_memory(
        target: &str,
        parameters: BTreeMap<String, Value>,
        figures: WaitingMemory,
        failures: &Recorder,
        ramp_up: Duration,
    ) -> Self {
        let ramp_up_s = ramp_up.as_secs_f64();
        Self {
            scenario: "waiting-syncs",
            label: format!("{} waiting /sync", figures.requested),
            target: target.to_owned(),
            timestamp: now_rfc3339(),
            parameters,
            elapsed_s: Some(ramp_up_s),
            successes: figures.waiting,
            failures: failures.failures().clone(),
            first_failure: failures.first_failure().map(str::to_owned),
            throughput_per_s: (ramp_up_s > 0.0).then(|| figures.waiting as f64 / ramp_up_s),
            latency_ms: None,
            memory: None,
            waiting_memory: Some(figures),
        }
    }

    /// Builds a memory result. `phase` names when it was read, for example `before load`.
    pub fn from_memory(target: &str, phase: &str, reading: MemoryReading) -> Self {
        let parameters =
            BTreeMap::from([("pid".to_owned(), Value::from(reading.pid)), ("phase".to_owned(), Value::from(phase))]);
        Self {
            scenario: "memory",
            label: phase.to_owned(),
            target: target.to_owned(),
            timestamp: now_rfc3339(),
            parameters,
            elapsed_s: None,
            successes: 1,
            failures: BTreeMap::new(),
            first_failure: None,
            throughput_per_s: None,
            latency_ms: None,
            memory: Some(reading),
            waiting_memory: None,
        }
    }
}

/// The JSON file written by `--json`.
#[derive(Debug, Serialize)]
struct ReportFile<'a> {
    tool: &'static str,
    version: &'static str,
    run_id: &'a str,
    results: &'a [BenchResult],
}

pub fn write_json(path: &Path, run_id: &str, results: &[BenchResult]) -> Result<()> {
    let file = ReportFile { tool: "usher-bench", version: env!("CARGO_PKG_VERSION"), run_id, results };
    let text = serde_json::to_string_pretty(&file).context("failed to serialize the results")?;
    std::fs::write(path, text + "\n").with_context(|| format!("failed to write {}", path.display()))
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

const HEADERS: [&str; 9] = ["scenario", "variant", "ok", "failed", "per s", "p50 ms", "p90 ms", "p99 ms", "max ms"];

/// Formats the results as a text table, followed by memory readings as separate lines.
pub fn format_table(results: &[BenchResult]) -> String {
    let rows: Vec<[String; 9]> = results.iter().filter(|result| result.memory.is_none()).map(table_row).collect();
    let mut widths = HEADERS.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }

    let mut out = String::new();
    if !rows.is_empty() {
        push_row(&mut out, &HEADERS.map(str::to_owned), &widths);
        for row in &rows {
            push_row(&mut out, row, &widths);
        }
    }
    for result in results {
        if let Some(memory) = &result.memory {
            let _ = writeln!(
                out,
                "memory  pid {} {}: VmRSS {:.1} MiB, VmHWM {:.1} MiB",
                memory.pid, result.label, memory.vm_rss_mib, memory.vm_hwm_mib
            );
        }
    }
    for result in results {
        if let Some(figures) = &result.waiting_memory {
            out.push_str(&format_waiting_memory(figures));
        }
    }
    for result in results {
        if let Some(first_failure) = &result.first_failure {
            let _ = writeln!(out, "first failure in {} ({}): {first_failure}", result.scenario, result.label);
        }
    }
    out
}

/// Formats the waiting-syncs memory figures as one line.
fn format_waiting_memory(figures: &WaitingMemory) -> String {
    let per_connection = figures.per_connection_kib.map_or_else(|| "-".to_owned(), |kib| format!("{kib:.1}"));
    format!(
        "waiting /sync: {} of {} waiting, server VmRSS {:.1} MiB idle, {:.1} MiB loaded, \
         {:.1} MiB above idle, {per_connection} KiB per connection; load generator VmRSS {:.1} MiB\n",
        figures.waiting,
        figures.requested,
        figures.idle_rss_mib,
        figures.loaded_rss_mib,
        figures.above_idle_mib,
        figures.client_rss_mib
    )
}

fn table_row(result: &BenchResult) -> [String; 9] {
    let failed: u64 = result.failures.values().sum();
    let latency = |pick: fn(&LatencySummary) -> f64| {
        result.latency_ms.as_ref().map_or_else(|| "-".to_owned(), |summary| format!("{:.3}", pick(summary)))
    };
    [
        result.scenario.to_owned(),
        result.label.clone(),
        result.successes.to_string(),
        failed.to_string(),
        result.throughput_per_s.map_or_else(|| "-".to_owned(), |rate| format!("{rate:.1}")),
        latency(|summary| summary.p50_ms),
        latency(|summary| summary.p90_ms),
        latency(|summary| summary.p99_ms),
        latency(|summary| summary.max_ms),
    ]
}

/// Appends one row: the first two columns left-aligned, the numbers right-aligned.
fn push_row(out: &mut String, cells: &[String; 9], widths: &[usize; 9]) {
    let mut line = String::new();
    for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
        if index > 0 {
            line.push_str("  ");
        }
        if index < 2 {
            let _ = write!(line, "{cell:<width$}");
        } else {
            let _ = write!(line, "{cell:>width$}");
        }
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send_result() -> BenchResult {
        let mut recorder = Recorder::new();
        for micros in [1_000, 2_000, 3_000, 4_000] {
            recorder.record(Duration::from_micros(micros));
        }
        recorder.record_failure("429 M_LIMIT_EXCEEDED".to_owned(), "PUT /send failed".to_owned());
        BenchResult::from_recorder(
            "send",
            "1 sender".to_owned(),
            "http://127.0.0.1:8008",
            BTreeMap::new(),
            &recorder,
            Duration::from_secs(2),
        )
    }

    #[test]
    fn result_counts_and_throughput() {
        let result = send_result();
        assert_eq!(result.successes, 4);
        assert_eq!(result.failures.get("429 M_LIMIT_EXCEEDED"), Some(&1));
        assert_eq!(result.throughput_per_s, Some(2.0));
        assert_eq!(result.latency_ms.as_ref().map(|summary| summary.p50_ms), Some(2.0));
    }

    #[test]
    fn table_has_header_and_aligned_row() {
        let table = format_table(&[send_result()]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(lines[0].starts_with("scenario  variant   ok  failed  per s  p50 ms"), "{table}");
        assert!(lines[1].starts_with("send      1 sender   4       1    2.0   2.000"), "{table}");
        assert_eq!(lines[2], "first failure in send (1 sender): PUT /send failed");
    }

    #[test]
    fn table_lists_memory_separately() {
        let reading = MemoryReading { pid: 42, vm_rss_mib: 25.3, vm_hwm_mib: 30.0 };
        let table = format_table(&[BenchResult::from_memory("http://127.0.0.1:8008", "before load", reading)]);
        assert_eq!(table, "memory  pid 42 before load: VmRSS 25.3 MiB, VmHWM 30.0 MiB\n");
    }

    #[test]
    fn table_lists_waiting_memory() {
        let reading = |vm_rss_mib| MemoryReading { pid: 42, vm_rss_mib, vm_hwm_mib: vm_rss_mib };
        let figures = WaitingMemory::new(100, 100, &reading(10.0), &reading(12.0), &reading(8.0));
        let result = BenchResult::from_waiting_memory(
            "http://127.0.0.1:8008",
            BTreeMap::new(),
            figures,
            &Recorder::new(),
            Duration::from_secs(2),
        );
        assert_eq!(result.successes, 100);
        assert_eq!(result.throughput_per_s, Some(50.0));
        let table = format_table(&[result]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(lines[1].starts_with("waiting-syncs  100 waiting /sync  100"), "{table}");
        assert_eq!(
            lines[2],
            "waiting /sync: 100 of 100 waiting, server VmRSS 10.0 MiB idle, 12.0 MiB loaded, \
             2.0 MiB above idle, 20.5 KiB per connection; load generator VmRSS 8.0 MiB"
        );
    }

    #[test]
    fn json_contains_target_parameters_and_timestamp() {
        let mut result = send_result();
        result.parameters.insert("senders".to_owned(), Value::from(1));
        let json = serde_json::to_value(&result).expect("result serializes");
        assert_eq!(json["target"], "http://127.0.0.1:8008");
        assert_eq!(json["parameters"]["senders"], 1);
        assert!(json["timestamp"].as_str().is_some_and(|stamp| stamp.ends_with('Z')), "{json}");
        assert_eq!(json["latency_ms"]["count"], 4);
    }
}
