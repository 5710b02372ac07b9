//! The `zimsim` binary as users call it: output shape, exit status, bad input.

use serde_json::Value;
use std::process::{Command, Output};
use zimsim_conformance::invariants::VACUOUS_IN_CANONICAL;

fn zimsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zimsim")).args(args).env_remove("RUST_LOG").output().expect("zimsim runs")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON document")
}

#[test]
fn run_prints_the_spec_json_fields_and_exits_0_when_every_invariant_holds() {
    let out = zimsim(&["run", "--seed", "1", "--scenario", "canonical", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = json(&out);
    assert_eq!(doc["seed"], 1);
    assert!(doc["trace_hash"].as_str().is_some_and(|h| h.len() == 64));
    assert_eq!(doc["sim_time_ms"], 75_000);
    assert!(doc["stats"]["messages_accepted"].as_u64() > Some(0));
    let invariants = doc["invariants"].as_array().expect("a list");
    let names: Vec<&str> = invariants.iter().filter_map(|i| i["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "logout-clears-pushid",
            "debug-pushid-isolation",
            "disabled-vendor-unused",
            "exactly-once-delivery",
            "no-cross-user-leak",
            "offline-push-notified",
            "no-push-to-online-device",
            "no-self-push",
            "room-messages-never-pushed",
            "push-requires-push-config",
            "single-device-kickout",
            "pushid-single-owner",
            "conversation-order",
            "at-most-once-delivery",
            "dnd-suppresses-push",
            "badge-arithmetic",
            "push-rule-respected",
            "dead-token-unbound",
            "live-token-retained",
            "at-most-one-notification",
            "callback-per-vendor",
        ]
    );
    assert_eq!(doc["outcome"], "pass");
    for i in invariants {
        if VACUOUS_IN_CANONICAL.contains(&i["name"].as_str().unwrap_or_default()) {
            assert_eq!(i["status"], "vacuous", "{i}");
            continue;
        }
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
    let out = zimsim(&["run", "--seed", "1", "--scenario", "canonical"]);
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
    let built_in = json(&zimsim(&["run", "--seed", "3", "--scenario", "canonical", "--format", "json"]));
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
    assert!(pairs.contains(&("server-keeps-other-users-bindings", "no-cross-user-leak")));
}

/// Writes `text` to a temporary scenario file and runs `zimsim run --scenario` on it.
fn run_scenario_text(tag: &str, text: &str, extra: &[&str]) -> Output {
    let path = std::env::temp_dir().join(format!("zimsim-cli-{tag}-{}.json", std::process::id()));
    std::fs::write(&path, text).expect("temp file");
    let mut args = vec!["run", "--scenario", path.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    let out = zimsim(&args);
    let _ = std::fs::remove_file(&path);
    out
}

#[test]
fn a_run_that_checked_nothing_says_so_and_exits_1() {
    for (tag, text) in [
        ("no-steps", r#"{"name":"empty","devices":[{"id":"d","platform":"ios","build":"debug"}],"steps":[]}"#),
        ("no-devices", r#"{"name":"empty","devices":[],"steps":[]}"#),
    ] {
        let out = run_scenario_text(tag, text, &[]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{tag}: {stdout}");
        assert!(stdout.trim_end().ends_with("NOTHING CHECKED"), "{tag}: {stdout}");
        let out = run_scenario_text(tag, text, &["--format", "json"]);
        assert_eq!(json(&out)["outcome"], "nothing_checked", "{tag}");
    }
}

#[test]
fn a_misspelt_field_in_a_step_is_refused_with_exit_2_naming_the_step_and_field() {
    let text = r#"{"name":"typo","devices":[{"id":"d","platform":"ios","build":"release"}],
        "steps":[{"at_ms":1,"device":"d","do":"launch_app"},
                 {"at_ms":2,"device":"d","do":"register_push","ios_enviroment":"production"}]}"#;
    let out = run_scenario_text("typo", text, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("step 1 (register_push at 2 ms): unknown field `ios_enviroment`"), "{err}");
}

#[test]
fn a_scenario_file_may_start_with_a_byte_order_mark() {
    let text = format!("\u{feff}{}", zimsim_sim::scenario::Scenario::canonical().to_json());
    let out = run_scenario_text("bom", &text, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_reader_that_stops_early_gets_a_quiet_exit_not_a_panic() {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_zimsim"))
        .args(["run", "--seed", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("zimsim starts");
    drop(child.stdout.take()); // like `| head -0`: the pipe closes before anything is read
    let mut err = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut err).expect("stderr reads");
    let status = child.wait().expect("zimsim ends");
    assert_ne!(status.code(), Some(101), "panicked: {err}");
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "nothing on stderr: {err}");
}

#[test]
fn built_in_scenarios_run_by_name_and_a_mutant_runs_on_its_showcase() {
    let list = String::from_utf8_lossy(&zimsim(&["scenarios"]).stdout).to_string();
    for name in ["canonical", "user-switch", "logout-then-kill", "relogin-killed"] {
        assert!(list.contains(name), "{list}");
    }
    let out = zimsim(&["run", "--scenario", "user-switch", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["scenario"], "user-switch");

    let out = zimsim(&["run", "--mutant", "server-keeps-other-users-bindings", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(doc["scenario"], "user-switch");
    let leak = doc["invariants"].as_array().unwrap().iter().find(|i| i["name"] == "no-cross-user-leak").unwrap();
    assert_eq!(leak["status"], "violated");

    let out = zimsim(&["run", "--scenario", "no-such-scenario"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("built-in: canonical"));
}

#[test]
fn run_without_a_scenario_plays_the_world_generated_from_the_seed() {
    let out = zimsim(&["run", "--seed", "4", "--profile", "small", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(json(&out)["scenario"], "generated-small-4");
    let other = json(&zimsim(&["run", "--seed", "5", "--profile", "small", "--format", "json"]));
    assert_eq!(other["scenario"], "generated-small-5");
}

fn explore(args: &[&str]) -> Output {
    let mut all = vec!["explore"];
    all.extend_from_slice(args);
    zimsim(&all)
}

#[test]
fn explore_reports_the_spec_shape_and_the_same_runs_whatever_the_number_of_jobs() {
    let args = ["--seeds", "0..6", "--profile", "small", "--faults", "heavy", "--format", "json"];
    let one = explore(&[&args[..], &["--jobs", "1"]].concat());
    assert_eq!(one.status.code(), Some(0), "{}", String::from_utf8_lossy(&one.stdout));
    let two = explore(&[&args[..], &["--jobs", "2"]].concat());
    let (one, two) = (json(&one), json(&two));
    assert_eq!(one["runs"], two["runs"], "per-seed results do not depend on --jobs");
    assert_eq!(one["invariants"], two["invariants"]);
    assert_eq!(one["seeds"], "0..6");
    assert_eq!(one["runs"].as_array().map(Vec::len), Some(6));
    for inv in one["invariants"].as_array().expect("a list") {
        let counts: u64 = ["held", "violated", "vacuous"].iter().filter_map(|k| inv[k].as_u64()).sum();
        assert_eq!(counts, 6, "{inv}");
    }
}

#[test]
fn explore_shards_split_the_range_without_overlap() {
    let run = |shard: &str| {
        let doc = json(&explore(&["--seeds", "0..6", "--profile", "small", "--shard", shard, "--format", "json"]));
        doc["runs"].as_array().expect("runs").iter().map(|r| r["seed"].as_u64().unwrap()).collect::<Vec<_>>()
    };
    assert_eq!(run("1/2"), vec![0, 2, 4]);
    assert_eq!(run("2/2"), vec![1, 3, 5]);
}

#[test]
fn explore_under_a_mutant_fails_saves_the_scenario_and_it_replays_to_the_same_violation() {
    let dir = std::env::temp_dir().join(format!("zimsim-cli-explore-{}", std::process::id()));
    let out = explore(&[
        "--seeds",
        "0..1",
        "--mutant",
        "sdk-skips-sync",
        "--shrink-budget",
        "3",
        "--format",
        "json",
        "--out-dir",
        dir.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    let failure = &doc["failures"][0];
    assert_eq!(failure["invariants"][0], "exactly-once-delivery");
    let file = failure["scenario_file"].as_str().expect("a file");
    let replay = failure["replay"].as_str().expect("a command");
    assert!(replay.starts_with("zimsim run --seed 0 --scenario ") && replay.ends_with("--mutant sdk-skips-sync"));
    let again = zimsim(&["run", "--seed", "0", "--scenario", file, "--mutant", "sdk-skips-sync", "--format", "json"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(again.status.code(), Some(1));
    let doc = json(&again);
    let verdict = doc["invariants"].as_array().unwrap().iter().find(|i| i["name"] == "exactly-once-delivery").unwrap();
    assert_eq!(verdict["status"], "violated");
}

#[test]
fn rust_log_turns_on_logs_on_stderr_and_leaves_the_trace_alone() {
    let args = ["run", "--seed", "3", "--scenario", "server-crash", "--format", "json"];
    let quiet = zimsim(&args);
    assert!(quiet.stderr.is_empty(), "no logs unless asked: {}", String::from_utf8_lossy(&quiet.stderr));
    let logged = Command::new(env!("CARGO_BIN_EXE_zimsim"))
        .args(args)
        .env("RUST_LOG", "zimsim_sim=debug,zimsim::trace=debug")
        .output()
        .expect("zimsim runs");
    let log = String::from_utf8_lossy(&logged.stderr);
    assert!(log.contains("world step") && log.contains("session_ended"), "{log}");
    assert_eq!(json(&quiet)["trace_hash"], json(&logged)["trace_hash"]);
}

#[test]
fn explore_refuses_bad_ranges_profiles_shards_and_faults_with_one_line() {
    for (args, says) in [
        (&["--seeds", "5..2"][..], "expected A..B with A < B"),
        (&["--seeds", "x"][..], "expected A..B"),
        (&["--profile", "huge"][..], "unknown profile \"huge\""),
        (&["--shard", "0/2"][..], "expected I/N with 1 <= I <= N"),
        (&["--faults", "chaos"][..], "unknown fault mix \"chaos\"; known: none, light, heavy"),
    ] {
        let out = explore(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn replay_marks_the_records_a_violation_points_at_and_draws_a_sequence_diagram() {
    let out = zimsim(&["replay", "--mutant", "server-keeps-other-users-bindings"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let marked: Vec<&str> = text.lines().filter(|l| l.starts_with(">>")).collect();
    assert!(marked.iter().any(|l| l.contains("session_opened") && l.contains("carol")), "{text}");
    assert!(text.contains("^ no-cross-user-leak: carol logged in on shared-phone"), "{text}");
    assert!(text.trim_end().ends_with("FAIL"));

    let out = zimsim(&["replay", "--mutant", "server-keeps-other-users-bindings", "--format", "mermaid"]);
    let diagram = String::from_utf8_lossy(&out.stdout);
    assert!(diagram.starts_with("sequenceDiagram\n"), "{diagram}");
    assert!(diagram.contains(" as shared-phone\n"), "{diagram}");
    assert!(diagram.contains("VIOLATED no-cross-user-leak"), "{diagram}");

    let out = zimsim(&["replay", "--scenario", "canonical", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let doc = json(&out);
    assert_eq!(doc["marks"], serde_json::json!({}));
    assert_eq!(doc["trace"].as_array().map(Vec::len), doc["report"]["stats"]["records"].as_u64().map(|n| n as usize));
}

#[test]
fn replay_as_html_is_one_page_with_the_violating_records_highlighted() {
    let out = zimsim(&["replay", "--mutant", "server-keeps-other-users-bindings", "--format", "html"]);
    assert_eq!(out.status.code(), Some(1));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.starts_with("<!doctype html>") && page.trim_end().ends_with("</html>"));
    assert!(!page.contains("<script") && !page.contains("http://") && !page.contains("https://"), "self-contained");
    let highlighted = page.matches("class=\"v\"").count();
    assert!(highlighted >= 3, "{highlighted} highlighted rows");
    assert!(page.contains("<a href=\"#r"), "violations link to their records");
    assert!(page.contains("✗ no-cross-user-leak"));
}

#[test]
fn replay_as_html_draws_each_fault_as_a_band_while_it_lasts() {
    let out = zimsim(&["replay", "--scenario", "phone-offline", "--format", "html"]);
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains("<th>faults</th>"));
    // Named once where it starts, and a band on every row until the network returns.
    assert_eq!(page.matches(">alice-phone offline<").count(), 1);
    assert!(page.matches("class=\"band\" title=\"alice-phone offline\"").count() >= 5);
    assert!(page.contains("<tr id=\"r") && page.contains(" class=\"f\""), "the fault steps themselves stand out");
}

#[test]
fn profile_and_faults_shape_generated_worlds_and_are_refused_with_a_scenario() {
    let out = zimsim(&["run", "--scenario", "canonical", "--faults", "heavy"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--profile and --faults shape generated worlds") && err.lines().count() == 1, "{err}");
    // With a mutant, --faults asks for the generated world rather than the showcase.
    let out = zimsim(&["run", "--seed", "3", "--mutant", "sdk-skips-sync", "--faults", "light", "--format", "json"]);
    assert_eq!(json(&out)["scenario"], "generated-default-light-3");
}

#[test]
fn token_mints_a_token04_the_reference_server_accepts_and_decodes_it_back() {
    let out = zimsim(&["token", "--user", "alice", "--effective-s", "120"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("04"), "{token}");
    // The same arguments mint the same token.
    let again = zimsim(&["token", "--user", "alice", "--effective-s", "120"]);
    assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), token);
    // The server's own check accepts it, for alice only, until it expires.
    let config = zimsim_reference::server::ServerConfig::default();
    let epoch_s = (zimsim_reference::time::SIM_EPOCH_UNIX_MS / 1000) as i64;
    let check = |user: &str, at: i64| {
        zimsim_reference::token::verify(&config.server_secret, config.app_id, &user.into(), &token, at).map(|_| ())
    };
    assert_eq!(check("alice", epoch_s + 119), Ok(()));
    assert_eq!(check("alice", epoch_s + 120).map_err(|c| c.code()), Err(6_000_106));
    assert_eq!(check("bob", epoch_s).map_err(|c| c.code()), Err(6_000_103));

    let decoded = zimsim(&["token", "--decode", &token]);
    assert_eq!(decoded.status.code(), Some(0));
    let claims = json(&decoded);
    assert_eq!((claims["user_id"].as_str(), claims["expire"].as_i64()), (Some("alice"), Some(epoch_s + 120)));
}

#[test]
fn token_refuses_bad_input_with_one_line_and_exit_2() {
    for (args, says) in [
        (&["token", "--user", "alice", "--secret", "short"][..], "ServerSecret must be 32 bytes"),
        (&["token", "--user", "alice", "--effective-s", "0"][..], "effective time must be positive"),
        (&["token", "--decode", "04garbage"][..], "6000103"),
        (&["token", "--decode", "05AAAA"][..], "6000107"),
    ] {
        let out = zimsim(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says) && err.lines().count() == 1, "{args:?}: {err}");
    }
}

#[test]
fn conformance_reports_cases_as_json_and_junit_and_exits_by_regressions() {
    let filter = "push/register-bind-and-offline-routing";
    let out = zimsim(&["conformance", "--filter", filter, "--seeds", "1..2", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = json(&out);
    assert_eq!(doc["sdk"], "reference");
    assert_eq!(doc["cases"][0]["id"], filter);
    assert_eq!(doc["cases"][0]["status"], "pass");
    assert_eq!(doc["summary"]["passed"], 1);

    let dir = std::env::temp_dir().join(format!("zimsim-cli-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (xml, baseline) = (dir.join("report.xml"), dir.join("baseline.json"));
    let mutant = ["conformance", "--sdk", "mutant:relay-drops-pushes", "--filter", filter, "--seeds", "1..2"];
    let out = zimsim(&[&mutant[..], &["--format", "junit", "--out", xml.to_str().unwrap()]].concat());
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&xml).expect("the JUnit report was written");
    assert!(
        text.contains("<testsuite") && text.contains("<failure") && text.contains("offline-push-notified"),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 failed (1 regressions)"));

    // Saved as a baseline, the same failure no longer fails the run.
    let out = zimsim(&[&mutant[..], &["--format", "json", "--out", baseline.to_str().unwrap()]].concat());
    assert_eq!(out.status.code(), Some(1));
    let out = zimsim(&[&mutant[..], &["--baseline", baseline.to_str().unwrap()]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("known {filter}")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn conformance_refuses_bad_input_with_exit_2() {
    for (args, says) in [
        (&["conformance", "--filter", "nothing/*"][..], "matches no case"),
        (&["conformance", "--sdk", "mine"][..], "expected `reference` or `mutant:NAME`"),
        (&["conformance", "--sdk", "mutant:nope"][..], "unknown mutant"),
        (&["conformance", "--sdk-cmd", " "][..], "--sdk-cmd is empty"),
        (&["conformance", "--baseline", "/nonexistent/b.json"][..], "cannot read baseline"),
    ] {
        let out = zimsim(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says) && stderr.lines().count() == 1, "{args:?}: {stderr}");
    }
}

#[test]
fn conformance_lists_its_cases_with_what_each_checks() {
    let out = zimsim(&["conformance", "--list", "--filter", "vendor/vivo/*"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(text.lines().all(|l| l.starts_with("vendor/vivo/") && l.contains("vivo Push")), "{text}");
}
