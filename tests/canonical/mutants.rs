//! Each built-in mutant must turn the invariant it breaks to `violated` on its showcase
//! scenario (where the reference holds it), so no checker is a test that cannot fail.

use zimsim_conformance::invariants::Status;
use zimsim_conformance::mutants;
use zimsim_sim::catalog;

fn status_under(mutant: &str, invariant: &str) -> Status {
    let m = mutants::find(mutant).expect("mutant exists");
    let scenario = catalog::builtin(m.scenario).expect("the showcase is built in");
    let reference = zimsim_conformance::run(1, &scenario, None).unwrap();
    let held = reference.invariants.iter().find(|v| v.name == invariant).expect("invariant reported").status;
    assert_eq!(held, Status::Held, "the reference must hold {invariant} on {}", m.scenario);
    let report = zimsim_conformance::run(1, &scenario, Some(&m)).unwrap();
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
fn an_sdk_that_forgets_a_logout_cut_short_by_a_kill_violates_logout_clears_pushid() {
    assert_eq!(status_under("sdk-forgets-logout-on-kill", "logout-clears-pushid"), Status::Violated);
}

#[test]
fn a_server_that_keeps_other_users_bindings_on_login_violates_no_cross_user_leak() {
    assert_eq!(status_under("server-keeps-other-users-bindings", "no-cross-user-leak"), Status::Violated);
}

#[test]
fn a_relay_that_drops_pushes_violates_offline_push_notified() {
    assert_eq!(status_under("relay-drops-pushes", "offline-push-notified"), Status::Violated);
}

#[test]
fn every_invariant_has_a_mutant_that_breaks_it() {
    let broken: Vec<&str> = mutants::all().iter().map(|m| m.breaks).collect();
    for i in zimsim_conformance::invariants::all() {
        assert!(broken.contains(&i.name()), "no mutant breaks {}", i.name());
    }
}

#[test]
fn every_mutant_names_an_invariant_that_exists() {
    let names: Vec<&str> = zimsim_conformance::invariants::all().iter().map(|i| i.name()).collect();
    for m in mutants::all() {
        assert!(names.contains(&m.breaks), "{} breaks unknown invariant {}", m.name, m.breaks);
    }
}
