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
fn a_server_that_pushes_online_users_violates_no_push_to_online_device() {
    assert_eq!(status_under("server-pushes-online-users", "no-push-to-online-device"), Status::Violated);
}

#[test]
fn a_server_that_pushes_the_sender_violates_no_self_push() {
    assert_eq!(status_under("server-pushes-the-sender", "no-self-push"), Status::Violated);
}

#[test]
fn a_server_that_pushes_room_messages_violates_room_messages_never_pushed() {
    assert_eq!(status_under("server-pushes-room-messages", "room-messages-never-pushed"), Status::Violated);
}

#[test]
fn a_server_that_pushes_without_a_config_violates_push_requires_push_config() {
    assert_eq!(status_under("server-pushes-without-config", "push-requires-push-config"), Status::Violated);
}

#[test]
fn a_server_that_keeps_kicked_bindings_violates_single_device_kickout() {
    assert_eq!(status_under("server-keeps-kicked-bindings", "single-device-kickout"), Status::Violated);
}

#[test]
fn a_server_with_a_stale_owner_index_violates_pushid_single_owner() {
    assert_eq!(status_under("server-stale-owner-index", "pushid-single-owner"), Status::Violated);
}

#[test]
fn an_sdk_that_loses_its_store_on_kill_violates_at_most_once_delivery() {
    assert_eq!(status_under("sdk-loses-local-store-on-kill", "at-most-once-delivery"), Status::Violated);
}

#[test]
fn an_sdk_that_surfaces_sync_backwards_violates_conversation_order() {
    assert_eq!(status_under("sdk-surfaces-sync-backwards", "conversation-order"), Status::Violated);
}

#[test]
fn a_server_that_ignores_dnd_violates_dnd_suppresses_push() {
    assert_eq!(status_under("server-ignores-dnd", "dnd-suppresses-push"), Status::Violated);
}

#[test]
fn a_server_that_forgets_the_badge_count_violates_badge_arithmetic() {
    assert_eq!(status_under("server-badge-forgets-count", "badge-arithmetic"), Status::Violated);
}

#[test]
fn a_server_that_ignores_the_push_rule_violates_push_rule_respected() {
    assert_eq!(status_under("server-ignores-push-rule", "push-rule-respected"), Status::Violated);
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

#[test]
fn an_sdk_that_ignores_the_push_config_violates_disabled_vendor_unused() {
    assert_eq!(status_under("sdk-ignores-push-config", "disabled-vendor-unused"), Status::Violated);
}

#[test]
fn an_sdk_that_raises_notification_arrived_for_fcm_violates_callback_per_vendor() {
    assert_eq!(status_under("sdk-arrived-for-every-vendor", "callback-per-vendor"), Status::Violated);
}

#[test]
fn a_relay_that_ignores_the_environment_is_caught_on_the_android_vendors_too() {
    // The android-vendors story has debug builds on a Xiaomi (FCM) and a vivo: each one's
    // token goes through release credentials, and each is named.
    let m = mutants::find("relay-ignores-environment").expect("mutant exists");
    let scenario = catalog::builtin("android-vendors").expect("built in");
    let report = zimsim_conformance::run(1, &scenario, Some(&m)).unwrap();
    let v = report.invariants.iter().find(|v| v.name == "debug-pushid-isolation").expect("reported");
    assert_eq!(v.status, Status::Violated);
    for (device, vendor) in [("carol-xiaomi", "fcm"), ("erin-vivo", "vivo")] {
        let named =
            v.violations.iter().any(|x| x.detail.contains(device) && x.detail.contains(&format!("to {vendor}")));
        assert!(named, "{device} on {vendor}: {:#?}", v.violations);
    }
}

#[test]
fn a_relay_that_retries_without_its_idempotency_key_violates_at_most_one_notification() {
    assert_eq!(status_under("relay-retries-without-idempotency-key", "at-most-one-notification"), Status::Violated);
}

#[test]
fn a_relay_without_replace_keys_violates_at_most_one_notification() {
    assert_eq!(status_under("relay-without-replace-keys", "at-most-one-notification"), Status::Violated);
}
