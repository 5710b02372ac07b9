//! Each built-in mutant must turn the invariant it breaks to `violated` (and the reference
//! run above shows the same invariant `held`), so no checker is a test that cannot fail.

use zimsim_conformance::invariants::Status;
use zimsim_conformance::mutants;
use zimsim_sim::scenario::Scenario;

fn status_under(mutant: &str, invariant: &str) -> Status {
    let m = mutants::find(mutant).expect("mutant exists");
    let report = zimsim_conformance::run(1, &Scenario::canonical(), Some(&m)).unwrap();
    assert!(!report.passed(), "{mutant} went unnoticed");
    report.invariants.iter().find(|v| v.name == invariant).expect("invariant reported").status
}

#[test]
fn an_sdk_that_skips_unbind_on_logout_violates_logout_clears_pushid() {
    assert_eq!(status_under("sdk-skips-unbind-on-logout", "logout-clears-pushid"), Status::Violated);
}

#[test]
fn a_relay_that_ignores_the_environment_violates_debug_pushid_isolation() {
    assert_eq!(status_under("relay-ignores-environment", "debug-pushid-isolation"), Status::Violated);
}

#[test]
fn an_sdk_that_skips_sync_violates_exactly_once_delivery() {
    assert_eq!(status_under("sdk-skips-sync", "exactly-once-delivery"), Status::Violated);
}

#[test]
fn every_mutant_names_an_invariant_that_exists() {
    let names: Vec<&str> = zimsim_conformance::invariants::all().iter().map(|i| i.name()).collect();
    for m in mutants::all() {
        assert!(names.contains(&m.breaks), "{} breaks unknown invariant {}", m.name, m.breaks);
    }
}
