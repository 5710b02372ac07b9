//! The conformance suite as its users meet it: every case passes on the reference SDK,
//! every built-in mutant fails the cases that show it (naming the invariant), reports parse
//! as JUnit, a baseline turns known failures into a pass, and an SDK process that crashes,
//! hangs or prints garbage ends the suite at once with a failure naming the case.

use std::time::Duration;
use zimsim_conformance::mutants;
use zimsim_conformance::suite::{self, cases, CaseStatus, SdkChoice, Suite, SuiteReport};

fn suite(sdk: SdkChoice, filter: Option<&str>) -> Suite {
    Suite { sdk, filter: filter.map(str::to_owned), seeds: 1..2, record: None, jobs: 2 }
}

fn run(sdk: SdkChoice, filter: Option<&str>) -> SuiteReport {
    suite(sdk, filter).run(&[], &mut |_| {})
}

#[test]
fn every_case_passes_on_the_reference_and_the_junit_report_says_so() {
    let report = run(SdkChoice::Reference, None);
    assert!(report.summary.cases >= 40, "{} cases", report.summary.cases);
    assert_eq!(report.summary.passed, report.summary.cases, "{}", report.to_human());
    assert_eq!(report.exit_code(), 0);
    let junit = quick_junit::Report::deserialize_from_str(&report.to_junit()).expect("JUnit XML parses");
    let suite = &junit.test_suites[0];
    assert_eq!(suite.test_cases.len(), report.summary.cases);
    assert_eq!((suite.failures, suite.errors), (0, 0));
    assert_eq!(suite.test_cases[0].name.as_str(), "push/register-bind-and-offline-routing");
    assert_eq!(suite.test_cases[0].classname.as_ref().map(|c| c.as_str()), Some("push"));
}

#[test]
fn case_ids_are_unique_grouped_by_area_and_each_names_what_it_checks() {
    let all = cases::all();
    let ids: std::collections::BTreeSet<_> = all.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), all.len(), "duplicate IDs");
    for c in &all {
        let area = c.id.split('/').next().unwrap_or_default();
        assert!(["login", "push", "group", "vendor", "sync", "lifecycle"].contains(&area), "{}", c.id);
        assert!(!c.checks.is_empty() && !c.holds.is_empty(), "{}", c.id);
        let known: Vec<_> = zimsim_conformance::invariants::all().iter().map(|i| i.name()).collect();
        assert!(c.holds.iter().all(|h| known.contains(h)), "{}: {:?}", c.id, c.holds);
    }
}

#[test]
fn every_mutant_fails_the_cases_of_its_showcase_naming_the_invariant_it_breaks() {
    for m in mutants::all() {
        let showing: Vec<_> = cases::all().into_iter().filter(|c| c.scenario.name == m.scenario).collect();
        assert!(!showing.is_empty(), "{}: no case tells {}", m.name, m.scenario);
        for case in showing {
            let report = run(SdkChoice::Mutant(m), Some(&case.id));
            let result = &report.cases[0];
            assert_eq!(result.status, CaseStatus::Fail, "{} passes {}", m.name, case.id);
            assert!(
                result.invariants.iter().any(|i| i == m.breaks),
                "{} on {}: {:?}",
                m.name,
                case.id,
                result.invariants
            );
            assert!(result.detail.contains(m.breaks), "{}", result.detail);
            let replay = result.replay.as_deref().unwrap_or_default();
            assert!(replay.contains(&format!("--sdk mutant:{}", m.name)) && replay.contains(&case.id), "{replay}");
            assert_eq!(report.exit_code(), 1);
        }
    }
}

#[test]
fn a_baseline_of_known_failures_passes_a_run_that_fails_only_those() {
    let m = mutants::find("sdk-skips-unbind-on-logout").expect("a mutant");
    let first = run(SdkChoice::Mutant(m), Some("login/*"));
    assert_eq!(first.exit_code(), 1);
    let baseline = suite::read_baseline(&first.to_json()).expect("the JSON report is a baseline");
    assert!(!baseline.is_empty());
    let again = suite(SdkChoice::Mutant(m), Some("login/*")).run(&baseline, &mut |_| {});
    assert_eq!((again.summary.regressions, again.summary.known_failures), (0, baseline.len()));
    assert_eq!(again.exit_code(), 0, "{}", again.to_human());
    // The reference fixes them all: reported as fixed, and still a pass.
    let fixed = suite(SdkChoice::Reference, Some("login/*")).run(&baseline, &mut |_| {});
    assert_eq!(fixed.summary.fixed, baseline);
    assert_eq!(fixed.exit_code(), 0);
    assert!(suite::read_baseline("{\"not\": \"a report\"}").is_err());
}

/// A suite over the `push/*` cases against `command`, waiting at most 300 ms per answer,
/// one case at a time (so the first case is the one that meets the failure).
fn broken_sdk(command: &str) -> SuiteReport {
    let sdk = SdkChoice::Command { command: command.into(), wait: Duration::from_millis(300) };
    Suite { jobs: 1, ..suite(sdk, Some("push/*")) }.run(&[], &mut |_| {})
}

/// The first case failed with a message naming it and containing `what`; the rest were
/// skipped.
fn assert_stopped_at_first_case(report: &SuiteReport, what: &str) {
    let first = &report.cases[0];
    assert_eq!(first.status, CaseStatus::Fail, "{}", report.to_human());
    assert!(first.detail.contains(&format!("case {}", first.id)), "{}", first.detail);
    assert!(first.detail.contains(what), "{}", first.detail);
    assert!(report.cases[1..].iter().all(|c| c.status == CaseStatus::Skip), "{}", report.to_human());
    assert!(report.cases.len() > 1);
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn an_sdk_process_that_crashes_fails_the_case_with_its_exit_status_and_stderr() {
    let report = broken_sdk("sh -c 'read line; echo \"segfault in login\" >&2; exit 3'");
    assert_stopped_at_first_case(&report, "exited (exit status: 3)");
    assert!(report.cases[0].detail.contains("segfault in login"), "{}", report.cases[0].detail);
    assert!(report.cases[0].detail.contains("\"type\":\"launch\""), "the last line sent is named");
}

#[test]
fn an_sdk_process_that_hangs_fails_the_case_after_the_wait() {
    let report = broken_sdk("sleep 30");
    assert_stopped_at_first_case(&report, "did not answer within 300 ms");
}

#[test]
fn an_sdk_process_that_prints_garbage_fails_the_case_quoting_it() {
    let report = broken_sdk("sh -c 'read line; echo hello world; cat > /dev/null'");
    assert_stopped_at_first_case(&report, "not a protocol message");
    assert!(report.cases[0].detail.contains("hello world"), "{}", report.cases[0].detail);
}

#[test]
fn an_sdk_process_speaking_another_protocol_version_is_refused() {
    let ready = r#"{"type":"ready","protocol":2,"name":"future"}"#;
    let report = broken_sdk(&format!("sh -c 'read line; echo \"{}\"; cat > /dev/null'", ready.replace('"', "\\\"")));
    assert_stopped_at_first_case(&report, "speaks protocol 2");
}

#[test]
fn an_sdk_that_answers_but_does_nothing_fails_on_what_it_never_did() {
    // Well-formed answers, no behaviour: every case fails on the invariants it must check,
    // and none is skipped (the process itself is sound).
    let script = r#"while read line; do case "$line" in *'"launch"'*) echo '{"type":"ready","protocol":1,"name":"idle"}';; *'"persist"'*) echo '{"type":"persisted","data":null}';; *) echo '{"type":"outputs","outputs":[],"timeout":null}';; esac; done"#;
    let report = run(
        SdkChoice::Command {
            command: format!("sh -c '{}'", script.replace('\'', r"'\''")),
            wait: Duration::from_secs(5),
        },
        Some("push/register-bind-and-offline-routing"),
    );
    assert_eq!(report.sdk, "idle");
    let case = &report.cases[0];
    assert_eq!(case.status, CaseStatus::Fail, "{}", report.to_human());
    assert!(case.detail.contains("offline-push-notified checked nothing"), "{}", case.detail);
}

#[test]
fn a_recorded_transcript_replays_exactly_on_a_fresh_reference_sdk() {
    // What a port does with `--record`: feed the recorded requests, compare the answers.
    use zimsim_reference::client::{ReferenceSdkFactory, SdkFactory, SdkInput, SdkOutput};
    let dir = std::env::temp_dir().join(format!("zimsim-record-{}", std::process::id()));
    let mut s = suite(SdkChoice::Reference, Some("push/register-bind-and-offline-routing"));
    s.record = Some(dir.clone());
    assert_eq!(s.run(&[], &mut |_| {}).exit_code(), 0);
    let launches = dir.join("push_register-bind-and-offline-routing").join("1");
    let mut files: Vec<_> = std::fs::read_dir(&launches).expect("recorded").map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    let mut exchanges = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len() % 2, 0, "{}: a request, then its answer", file.display());
        let launch = &lines[0];
        assert_eq!((launch["type"].as_str(), launch["protocol"].as_u64()), (Some("launch"), Some(1)));
        let config = serde_json::from_value(launch["config"].clone()).unwrap();
        let persisted = Some(launch["persisted"].clone()).filter(|p| !p.is_null());
        let mut sdk = ReferenceSdkFactory.launch(config, persisted);
        let drain = |sdk: &mut Box<dyn zimsim_reference::client::ClientSdk>| {
            let outputs: Vec<SdkOutput> = std::iter::from_fn(|| sdk.poll_output()).collect();
            serde_json::json!({"outputs": outputs, "timeout": sdk.poll_timeout()})
        };
        let ready = drain(&mut sdk);
        assert_eq!(
            (ready["outputs"].clone(), ready["timeout"].clone()),
            (lines[1]["outputs"].clone(), lines[1]["timeout"].clone())
        );
        for pair in lines[2..].chunks(2) {
            let (request, answer) = (&pair[0], &pair[1]);
            match request["type"].as_str() {
                Some("input") => {
                    let input: SdkInput = serde_json::from_value(request["input"].clone()).unwrap();
                    let now = zimsim_reference::Millis(request["now"].as_u64().unwrap());
                    sdk.handle(now, input);
                    let got = drain(&mut sdk);
                    assert_eq!(answer["type"], "outputs");
                    assert_eq!(
                        (&got["outputs"], &got["timeout"]),
                        (&answer["outputs"], &answer["timeout"]),
                        "{request}"
                    );
                }
                Some("persist") => assert_eq!(sdk.persisted(), answer["data"]),
                other => panic!("unexpected request {other:?}"),
            }
            exchanges += 1;
        }
    }
    assert!(exchanges > 20, "{exchanges} exchanges");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The suite against `script` of the JavaScript SDK (examples/js-sdk), on the cases `filter`
/// selects. Node.js runs it: the suite's users bring their own runtime, and CI has Node.
fn js(script: &str, filter: &str) -> SuiteReport {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the repository root");
    let node = std::process::Command::new("node").arg("--version").output();
    assert!(node.is_ok_and(|o| o.status.success()), "the JavaScript SDK's tests need Node.js (`node`) on the PATH");
    let command = format!("node {}", root.join("examples/js-sdk").join(script).display());
    run(SdkChoice::Command { command, wait: Duration::from_secs(10) }, Some(filter))
}

#[test]
fn the_javascript_sdk_passes_the_cases_of_registration_logout_and_environments() {
    for filter in ["push/register-bind-and-offline-routing", "login/logout-then-kill", "vendor/vivo/*"] {
        let report = js("bin/zimsim-sdk.js", filter);
        assert_eq!(report.summary.passed, report.summary.cases, "{}", report.to_human());
        assert_eq!(report.sdk, "zimsim-js-sdk 0.1.0", "the name from its handshake");
    }
}

#[test]
fn a_javascript_sdk_that_does_not_unbind_on_logout_fails_the_logout_cases() {
    let report = js("broken/no-unbind-on-logout.js", "login/*");
    let failed: Vec<_> = report.cases.iter().filter(|c| c.status == CaseStatus::Fail).collect();
    let ids: Vec<_> = failed.iter().map(|c| c.id.as_str()).collect();
    assert!(ids.contains(&"login/logout-then-kill") && ids.contains(&"login/relogin-killed"), "{ids:?}");
    assert!(failed.iter().all(|c| c.invariants.iter().any(|i| i == "logout-clears-pushid")), "{}", report.to_human());
}

#[test]
fn a_javascript_sdk_that_labels_a_release_build_debug_fails_the_environment_cases() {
    let report = js("broken/debug-push-on-release.js", "vendor/*/environments");
    assert_eq!(report.summary.failed, 6, "{}", report.to_human());
    assert!(
        report.cases.iter().all(|c| c.invariants.iter().any(|i| i == "debug-pushid-isolation")),
        "{}",
        report.to_human()
    );
}

#[test]
fn each_variation_moves_every_phone_by_its_own_offset_and_keeps_its_order() {
    let case = cases::find("push/register-bind-and-offline-routing").expect("a case");
    assert_eq!(suite::variation(&case.scenario, 1), case.scenario, "seed 1 is the story as written");
    let (two, three) = (suite::variation(&case.scenario, 2), suite::variation(&case.scenario, 3));
    assert_ne!(two, three);
    for varied in [&two, &three] {
        varied.validate().expect("a variation is a valid scenario");
        for device in &case.scenario.devices {
            let times = |s: &zimsim_sim::scenario::Scenario| -> Vec<u64> {
                s.steps.iter().filter(|st| st.device.as_ref() == Some(&device.id)).map(|st| st.at_ms).collect()
            };
            let (before, after) = (times(&case.scenario), times(varied));
            let shift = after[0] - before[0];
            assert!(shift <= suite::MAX_SHIFT_MS, "{shift}");
            assert!(before.iter().zip(&after).all(|(b, a)| a - b == shift), "{}: one offset per phone", device.id);
        }
        let world = |s: &zimsim_sim::scenario::Scenario| -> Vec<u64> {
            s.steps.iter().filter(|st| st.device.is_none()).map(|st| st.at_ms).collect()
        };
        assert_eq!(world(varied), world(&case.scenario), "the world's steps stay put");
    }
}

#[test]
fn the_report_is_the_same_whatever_the_number_of_jobs() {
    let m = mutants::find("sdk-forgets-logout-on-kill").expect("a mutant");
    let verdicts = |jobs| {
        let report = Suite { jobs, ..suite(SdkChoice::Mutant(m), Some("login/*")) }.run(&[], &mut |_| {});
        report
            .cases
            .iter()
            .map(|c| (c.id.clone(), c.status, c.invariants.clone(), c.detail.clone()))
            .collect::<Vec<_>>()
    };
    let one = verdicts(1);
    assert!(one.iter().any(|(_, status, ..)| *status == CaseStatus::Fail));
    assert_eq!(one, verdicts(3));
}
