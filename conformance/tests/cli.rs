//! The `zimsim` binary as users call it: output shape, exit status, bad input.

use serde_json::Value;
use std::process::{Command, Output};

fn zimsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zimsim")).args(args).output().expect("zimsim runs")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON document")
}

#[test]
fn run_prints_the_spec_json_fields_and_exits_0_when_every_invariant_holds() {
    let out = zimsim(&["run", "--seed", "1", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = json(&out);
    assert_eq!(doc["seed"], 1);
    assert!(doc["trace_hash"].as_str().is_some_and(|h| h.len() == 64));
    assert_eq!(doc["sim_time_ms"], 75_000);
    assert!(doc["stats"]["messages_accepted"].as_u64() > Some(0));
    let invariants = doc["invariants"].as_array().expect("a list");
    let names: Vec<&str> = invariants.iter().filter_map(|i| i["name"].as_str()).collect();
    assert_eq!(names, ["logout-clears-pushid", "debug-pushid-isolation", "exactly-once-delivery"]);
    for i in invariants {
        assert_eq!(i["status"], "held", "{i}");
        assert!(i["checks"].as_u64() > Some(0), "{i}");
        assert!(["always", "eventually"].contains(&i["kind"].as_str().unwrap_or_default()));
        assert_eq!(i["violations"], Value::Array(vec![]));
    }
}

#[test]
fn the_same_command_twice_prints_the_same_trace_hash() {
    let a = json(&zimsim(&["run", "--seed", "7", "--format", "json"]));
    let b = json(&zimsim(&["run", "--seed", "7", "--format", "json"]));
    assert_eq!(a["trace_hash"], b["trace_hash"]);
}

#[test]
fn a_mutant_run_reports_the_violation_and_exits_1() {
    let out = zimsim(&["run", "--seed", "1", "--mutant", "sdk-skips-unbind-on-logout", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(doc["mutant"], "sdk-skips-unbind-on-logout");
    let logout = &doc["invariants"][0];
    assert_eq!((logout["name"].as_str(), logout["status"].as_str()), (Some("logout-clears-pushid"), Some("violated")));
    assert!(logout["violations"][0]["detail"].as_str().unwrap_or_default().contains("still bound"));
}

#[test]
fn the_human_format_names_each_verdict() {
    let out = zimsim(&["run", "--seed", "1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("held      logout-clears-pushid"), "{text}");
    assert!(text.trim_end().ends_with("PASS"), "{text}");
}

#[test]
fn trace_writes_one_json_record_per_line() {
    let path = std::env::temp_dir().join(format!("zimsim-cli-trace-{}.jsonl", std::process::id()));
    let out = zimsim(&["run", "--seed", "1", "--format", "json", "--trace", path.to_str().expect("utf-8 path")]);
    let records = json(&out)["stats"]["records"].as_u64().expect("record count");
    let text = std::fs::read_to_string(&path).expect("trace written");
    let _ = std::fs::remove_file(&path);
    assert_eq!(text.lines().count() as u64, records);
    for line in text.lines() {
        let r: Value = serde_json::from_str(line).expect("each line is JSON");
        assert!(r["t"].is_u64() && r["src"].is_string() && r["kind"].is_string(), "{r}");
    }
}

#[test]
fn bad_input_exits_2_with_one_line_naming_the_problem() {
    let out = zimsim(&["run", "--mutant", "no-such-mutant"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("unknown mutant \"no-such-mutant\""), "{err}");

    let path = std::env::temp_dir().join(format!("zimsim-cli-bad-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{"name": "x", "devices": [], "steps": [{"at_ms": 5, "device": "ghost", "do": "kill_app"}]}"#,
    )
    .expect("temp file");
    let out = zimsim(&["run", "--scenario", path.to_str().expect("utf-8 path")]);
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("step 0 names unknown device \"ghost\""), "{err}");

    let out = zimsim(&["run", "--seed", "not-a-number"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_scenario_file_runs_like_the_built_in_one() {
    let path = std::env::temp_dir().join(format!("zimsim-cli-scenario-{}.json", std::process::id()));
    std::fs::write(&path, zimsim_sim::scenario::Scenario::canonical().to_json()).expect("temp file");
    let from_file = json(&zimsim(&["run", "--seed", "3", "--format", "json", "--scenario", path.to_str().unwrap()]));
    let _ = std::fs::remove_file(&path);
    let built_in = json(&zimsim(&["run", "--seed", "3", "--format", "json"]));
    assert_eq!(from_file["trace_hash"], built_in["trace_hash"]);
}

#[test]
fn mutants_lists_each_mutant_with_the_invariant_it_breaks() {
    let out = zimsim(&["mutants", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let list = json(&out);
    let pairs: Vec<(&str, &str)> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|m| (m["name"].as_str().unwrap_or_default(), m["breaks"].as_str().unwrap_or_default()))
        .collect();
    assert!(pairs.contains(&("sdk-skips-unbind-on-logout", "logout-clears-pushid")));
    assert!(pairs.contains(&("relay-ignores-environment", "debug-pushid-isolation")));
    assert!(pairs.contains(&("sdk-skips-sync", "exactly-once-delivery")));
}
