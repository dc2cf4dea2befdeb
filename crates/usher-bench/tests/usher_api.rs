//! Runs the usher-bench binary against the in-process mock of Usher's API.

mod mock;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// Runs usher-bench against `url` as the mock's admin and returns its output and the parsed JSON report.
async fn run_bench(url: &str, json_path: &Path, args: &[&str]) -> (Output, Value) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_usher-bench"));
    command
        .args(["--url", url, "--admin-user", mock::ADMIN_USER, "--admin-password", mock::ADMIN_PASSWORD])
        .args(["--registration-api", "usher", "--max-duration-secs", "30", "--json"])
        .arg(json_path)
        .args(args);
    let output = tokio::task::spawn_blocking(move || command.output()).await.expect("join").expect("usher-bench runs");
    let report = std::fs::read_to_string(json_path).map(|text| serde_json::from_str(&text).expect("report is JSON"));
    (output, report.unwrap_or(Value::Null))
}

fn results_of<'a>(report: &'a Value, scenario: &str) -> Vec<&'a Value> {
    let results = report["results"].as_array().map(Vec::as_slice).unwrap_or_default();
    results.iter().filter(|result| result["scenario"] == scenario).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_scenarios_against_mock() {
    let url = mock::start(u64::MAX).await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let json_path = dir.path().join("report.json");
    let pid = std::process::id().to_string();
    let args = [
        "--registrations",
        "6",
        "--concurrency",
        "1,3",
        "--sync-count",
        "5",
        "--sync-warmup",
        "1",
        "--sync-timeout-ms",
        "5000",
        "--settle-ms",
        "5",
        "--send-count",
        "30",
        "--senders",
        "1,3",
        "--send-warmup",
        "1",
        "--pid",
        &pid,
    ];
    let (output, report) = run_bench(&url, &json_path, &args).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stderr: {stderr}");

    let registrations = results_of(&report, "registration");
    assert_eq!(registrations.len(), 2, "{report}");
    assert_eq!(registrations[0]["successes"], 6);
    assert_eq!(registrations[1]["parameters"]["concurrency"], 3);
    assert_eq!(registrations[1]["successes"], 6);

    let sync = results_of(&report, "sync");
    assert_eq!(sync.len(), 1, "{report}");
    assert_eq!(sync[0]["latency_ms"]["count"], 5);
    let sync_p50 = sync[0]["latency_ms"]["p50_ms"].as_f64().expect("a p50 in milliseconds");
    assert!(sync_p50 > 0.0, "{report}");
    assert!(sync_p50 < 5000.0, "{report}");

    let sends = results_of(&report, "send");
    assert_eq!(sends.len(), 2, "{report}");
    assert_eq!(sends[0]["successes"], 30);
    assert_eq!(sends[1]["parameters"]["senders"], 3);
    assert_eq!(sends[1]["successes"], 30);

    assert_eq!(results_of(&report, "memory").len(), 2, "{report}");
    for result in report["results"].as_array().into_iter().flatten() {
        assert_eq!(result["target"], url.as_str());
        assert!(result["timestamp"].is_string());
    }

    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.starts_with("scenario"), "{table}");
    assert!(table.contains("send to waiting /sync"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_room_setup_against_mock() {
    let url = mock::start(u64::MAX).await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let json_path = dir.path().join("report.json");
    let args = [
        "--scenario",
        "sync,send",
        "--room-setup",
        "groups",
        "--sync-count",
        "3",
        "--settle-ms",
        "5",
        "--send-count",
        "12",
        "--senders",
        "2",
        "--separate-rooms",
    ];
    let (output, report) = run_bench(&url, &json_path, &args).await;
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));

    let sync = results_of(&report, "sync");
    assert_eq!(sync.len(), 1, "{report}");
    assert_eq!(sync[0]["successes"], 3);
    assert_eq!(sync[0]["parameters"]["room_setup"], "groups");

    let send = results_of(&report, "send");
    assert_eq!(send.len(), 1, "{report}");
    assert_eq!(send[0]["successes"], 12);
    assert_eq!(send[0]["parameters"]["separate_rooms"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_syncs_against_mock() {
    let url = mock::start(u64::MAX).await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let json_path = dir.path().join("report.json");
    let pid = std::process::id().to_string();
    // A 700 ms long-poll expires during the 2 s settle pause, so every connection re-sends its request.
    let args = [
        "--scenario",
        "waiting-syncs",
        "--waiting-syncs",
        "40",
        "--waiting-users",
        "4",
        "--ramp-step",
        "15",
        "--waiting-timeout-ms",
        "700",
        "--waiting-settle-secs",
        "2",
        "--pid",
        &pid,
    ];
    let (output, report) = run_bench(&url, &json_path, &args).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stderr: {stderr}");

    let results = results_of(&report, "waiting-syncs");
    assert_eq!(results.len(), 2, "{report}");
    let memory = &results[0]["waiting_memory"];
    assert_eq!(memory["requested"], 40, "{report}");
    // A request that just returned may not have been re-sent at the moment of the reading.
    let waiting = memory["waiting"].as_u64().unwrap_or_default();
    assert!(waiting > 30, "{report}");
    assert!(waiting <= 40, "{report}");
    assert!(memory["idle_rss_mib"].as_f64().is_some_and(|mib| mib > 0.0));
    assert_eq!(results[0]["failures"], serde_json::json!({}), "{report}");
    assert!(results[0]["parameters"]["reissued"].as_u64().is_some_and(|reissued| reissued >= 40), "{report}");

    let fan_out = results[1];
    assert_eq!(fan_out["label"], "fan-out to 40 connections");
    assert_eq!(fan_out["successes"], 40, "{report}");
    assert_eq!(fan_out["latency_ms"]["count"], 40);

    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains(" of 40 waiting, server VmRSS"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_quota_counts_429() {
    let url = mock::start(4).await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let json_path = dir.path().join("report.json");
    let args = ["--scenario", "register", "--registrations", "6", "--concurrency", "2", "--no-password"];
    let (output, report) = run_bench(&url, &json_path, &args).await;
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));

    let registration = results_of(&report, "registration");
    assert_eq!(registration.len(), 1, "{report}");
    assert_eq!(registration[0]["successes"], 4);
    assert_eq!(registration[0]["failures"]["429 M_LIMIT_EXCEEDED"], 2);
    assert_eq!(registration[0]["parameters"]["supply_password"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_admin_password_fails() {
    let url = mock::start(u64::MAX).await;
    let output = Command::new(env!("CARGO_BIN_EXE_usher-bench"))
        .args(["--url", &url, "--admin-user", mock::ADMIN_USER, "--admin-password", "wrong-password"])
        .output()
        .expect("usher-bench runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("403 M_FORBIDDEN"), "{stderr}");
}

/// Measures how fast the load generator itself can go, against a mock that does almost no work.
/// Run with `cargo test --release -p usher-bench -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
#[ignore = "a measurement, not a check; prints the client's ceiling"]
async fn client_ceiling_against_mock() {
    let url = mock::start(u64::MAX).await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let json_path = dir.path().join("report.json");
    let args = [
        "--scenario",
        "sync,send",
        "--sync-count",
        "500",
        "--settle-ms",
        "1",
        "--send-count",
        "20000",
        "--senders",
        "1,10",
    ];
    let (output, _) = run_bench(&url, &json_path, &args).await;
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    println!("{}", String::from_utf8_lossy(&output.stdout));
}
