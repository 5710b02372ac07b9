//! Regressions of the defects found by probing the skeleton (issue: cross-user push leak,
//! lost logout, false alarm, self-send, oversize, kicked-out logout), each judged from the
//! phone's side (what it shows, to whom, when) as well as by the invariants.

use crate::phone::app_events;
use zimsim_conformance::invariants::Status;
use zimsim_reference::client::{AppEvent, Build, ConnectionState};
use zimsim_reference::error::ZimErrorCode;
use zimsim_reference::push_services::VendorEvent;
use zimsim_reference::server::{ServerEvent, UnbindReason};
use zimsim_reference::wire::Platform;
use zimsim_sim::catalog::{self, alice_and_bob, login, send, ScenarioBuilder};
use zimsim_sim::scenario::{Action, Scenario, ScenarioConfig, WorldStep};
use zimsim_sim::trace::{Event, Record};

const SEEDS: std::ops::Range<u64> = 1..6;

/// Runs `scenario` over [`SEEDS`] on the reference, asserting every run passes, and hands
/// each trace to `look`.
fn each_seed(scenario: &Scenario, mut look: impl FnMut(u64, &[Record])) {
    for seed in SEEDS {
        let (report, out) = zimsim_conformance::run_with_trace(seed, scenario, None).expect("run completes");
        assert!(report.passed(), "seed {seed}: {}", report.to_human());
        look(seed, &out.trace);
    }
}

/// (time, message ID, shown by the OS) of every notification for `user` on `device`.
fn notifications_for(trace: &[Record], device: &str, user: &str) -> Vec<(u64, u64, bool)> {
    trace
        .iter()
        .filter(|r| r.src == device)
        .filter_map(|r| match &r.event {
            Event::Notification { shown, notification, .. }
                if notification.to_user.as_ref().is_some_and(|u| u.as_str() == user) =>
            {
                Some((r.t.0, notification.message_id.map_or(0, |m| m.0), *shown))
            }
            _ => None,
        })
        .collect()
}

fn verdict(scenario: &Scenario, seed: u64, invariant: &str) -> Status {
    let report = zimsim_conformance::run(seed, scenario, None).expect("run completes");
    report.invariants.iter().find(|v| v.name == invariant).expect("reported").status
}

#[test]
fn a_user_switch_without_logout_or_registration_shows_none_of_the_previous_users_messages() {
    let scenario = catalog::builtin("user-switch").unwrap();
    each_seed(&scenario, |seed, trace| {
        // carol logs in at 4.5 s; bob writes to alice at 6, 20 and 25 s.
        assert_eq!(notifications_for(trace, "shared-phone", "alice"), vec![], "seed {seed}");
        assert!(
            !app_events(trace, "shared-phone").any(|(_, e)| matches!(e, AppEvent::NotificationArrived { .. })),
            "seed {seed}: carol's app was handed a notification"
        );
        let switched = trace.iter().any(|r| {
            matches!(&r.event, Event::Server { event: ServerEvent::Unbound { user, reason: UnbindReason::UserSwitch, .. } }
                if user.as_str() == "alice")
        });
        assert!(switched, "seed {seed}: alice's binding on the shared phone was never removed");
        // alice still gets everything on her tablet.
        let on_tablet = app_events(trace, "alice-tablet")
            .filter(|(_, e)| matches!(e, AppEvent::MessageReceived { user, .. } if user.as_str() == "alice"))
            .count();
        assert_eq!(on_tablet, 4, "seed {seed}");
    });
    assert_eq!(verdict(&scenario, 1, "no-cross-user-leak"), Status::Held);
}

#[test]
fn a_logout_cut_short_by_a_kill_is_finished_by_the_relaunch_and_nothing_more_is_shown() {
    let scenario = catalog::builtin("logout-then-kill").unwrap();
    each_seed(&scenario, |seed, trace| {
        // The relaunch at 8 s finishes the logout, silently and before anything else.
        let done = app_events(trace, "alice-phone")
            .find(|(_, e)| matches!(e, AppEvent::LoggedOut { user } if user.as_str() == "alice"))
            .map(|(t, _)| t);
        assert!(done.is_some_and(|t| (8_000..9_000).contains(&t)), "seed {seed}: logout finished at {done:?}");
        let unbound = trace.iter().any(|r| {
            matches!(&r.event, Event::Server { event: ServerEvent::Unbound { user, reason: UnbindReason::Logout, .. } }
                if user.as_str() == "alice")
        });
        assert!(unbound, "seed {seed}: the server never heard the logout");
        // bob's messages at 20 and 24 s never reach the phone alice logged out of.
        assert_eq!(notifications_for(trace, "alice-phone", "alice"), vec![], "seed {seed}");
    });
    assert_eq!(verdict(&scenario, 1, "logout-clears-pushid"), Status::Held);
}

#[test]
fn a_relogin_the_server_accepted_before_the_app_died_is_no_violation_and_is_pushed_to() {
    let scenario = catalog::builtin("relogin-killed").unwrap();
    each_seed(&scenario, |seed, trace| {
        let accepted = trace.iter().any(|r| {
            matches!(&r.event, Event::Server { event: ServerEvent::SessionOpened { user, .. } }
                if user.as_str() == "alice" && r.t.0 >= 7_000 && r.t.0 < 7_008)
        });
        assert!(accepted, "seed {seed}: the server should accept the relogin before the kill");
        let seen = app_events(trace, "alice-phone")
            .any(|(t, e)| (7_000..40_000).contains(&t) && matches!(e, AppEvent::LoggedIn { .. }));
        assert!(!seen, "seed {seed}: the app should die before login_ok reaches it");
        let shown: Vec<_> = notifications_for(trace, "alice-phone", "alice").into_iter().filter(|n| n.2).collect();
        assert_eq!(shown.len(), 1, "seed {seed}: bob's message is rightly pushed to alice: {shown:?}");
    });
}

fn send_failures(trace: &[Record], device: &str) -> Vec<u32> {
    app_events(trace, device)
        .filter_map(|(_, e)| match e {
            AppEvent::SendFailed { code, .. } => Some(*code),
            _ => None,
        })
        .collect()
}

#[test]
fn a_message_to_oneself_is_refused_with_6000001_and_the_run_passes() {
    let scenario = alice_and_bob("two-online").at(2_000, "alice-phone", send("alice", "note to self")).build();
    each_seed(&scenario, |seed, trace| {
        assert_eq!(send_failures(trace, "alice-phone"), vec![ZimErrorCode::ParamInvalid.code()], "seed {seed}");
        let stored =
            trace.iter().any(|r| matches!(r.event, Event::Server { event: ServerEvent::MessageAccepted { .. } }));
        assert!(!stored, "seed {seed}");
    });
}

#[test]
fn an_oversized_message_is_refused_on_the_phone_and_costs_no_connection() {
    let big = Action::send("bob", "x".repeat(2 << 20), None);
    let scenario = alice_and_bob("two-online")
        .at(2_000, "alice-phone", big)
        .at(2_500, "alice-phone", send("bob", "a normal one"))
        .build();
    each_seed(&scenario, |seed, trace| {
        assert_eq!(send_failures(trace, "alice-phone"), vec![ZimErrorCode::ParamInvalid.code()], "seed {seed}");
        let reconnects = app_events(trace, "alice-phone")
            .filter(|(_, e)| matches!(e, AppEvent::ConnectionStateChanged { state: ConnectionState::Reconnecting, .. }))
            .count();
        assert_eq!(reconnects, 0, "seed {seed}: the connection survived");
        let delivered =
            app_events(trace, "bob-phone").filter(|(_, e)| matches!(e, AppEvent::MessageReceived { .. })).count();
        assert_eq!(delivered, 1, "seed {seed}: the next message still goes through");
    });
}

#[test]
fn a_logout_on_a_kicked_out_phone_is_reported_done() {
    let scenario = alice_and_bob("two-online")
        .device("alice-tablet", Platform::Ios, Build::Release)
        .sign_in(2_000, "alice-tablet", "alice")
        .at(4_000, "alice-phone", Action::LOGOUT)
        .build();
    each_seed(&scenario, |seed, trace| {
        let events: Vec<_> = app_events(trace, "alice-phone").filter(|(t, _)| *t >= 4_000).collect();
        assert!(
            matches!(&events[..], [(4_000, AppEvent::LoggedOut { user })] if user.as_str() == "alice"),
            "seed {seed}: {events:?}"
        );
    });
}

#[test]
fn a_second_login_while_logged_in_is_refused_with_6000111() {
    let scenario = alice_and_bob("two-online").at(2_000, "alice-phone", login("carol")).build();
    each_seed(&scenario, |seed, trace| {
        let failed = app_events(trace, "alice-phone").find_map(|(_, e)| match e {
            AppEvent::LoginFailed { code, .. } => Some(*code),
            _ => None,
        });
        assert_eq!(failed, Some(ZimErrorCode::UserHasAlreadyLogged.code()), "seed {seed}");
    });
}

#[test]
fn a_user_switch_whose_login_reached_the_server_before_the_app_died_still_unbinds_the_previous_user() {
    // carol's login starts at 4.5 s; with 3 ms each way the server accepts it at 4.506 s and
    // the app dies at 4.508 s, before login_ok arrives (4.509 s).
    let config = zimsim_sim::scenario::ScenarioConfig { min_latency_ms: 3, max_latency_ms: 3, ..Default::default() };
    let scenario = ScenarioBuilder::new("switch-then-kill")
        .config(config)
        .device("shared-phone", Platform::Ios, Build::Release)
        .device("bob-phone", Platform::Android, Build::Release)
        .sign_in(100, "shared-phone", "alice")
        .sign_in(100, "bob-phone", "bob")
        .at(3_000, "shared-phone", Action::KILL_APP)
        .at(4_000, "shared-phone", Action::LAUNCH_APP)
        .at(4_500, "shared-phone", login("carol"))
        .at(4_508, "shared-phone", Action::KILL_APP)
        .at(25_000, "bob-phone", send("alice", "for alice only"))
        .build();
    each_seed(&scenario, |seed, trace| {
        let carol_in = trace.iter().any(|r| {
            matches!(&r.event, Event::Server { event: ServerEvent::SessionOpened { user, .. } } if user.as_str() == "carol")
        });
        assert!(carol_in, "seed {seed}: the server should accept carol's login before the kill");
        let carol_saw_it = app_events(trace, "shared-phone")
            .any(|(_, e)| matches!(e, AppEvent::LoggedIn { user } if user.as_str() == "carol"));
        assert!(!carol_saw_it, "seed {seed}: the app should die before login_ok reaches it");
        assert_eq!(notifications_for(trace, "shared-phone", "alice"), vec![], "seed {seed}");
    });
}

#[test]
fn a_push_to_a_deleted_app_shows_nothing_and_the_phone_tells_the_vendor_again() {
    // alice deletes the app; APNs' sandbox host crashes while the phone's word that the app
    // is gone is on its way, and loses it. bob writes at 8 s: APNs still takes the token and
    // delivers, and the phone, which no longer has the app, shows nothing and tells APNs
    // again. bob's next message meets a dead token, and ZIM unbinds it.
    let slow_links = ScenarioConfig { min_latency_ms: 10, ..ScenarioConfig::default() };
    let scenario = alice_and_bob("deleted-app")
        .config(slow_links)
        .at(2_995, "alice-phone", Action::UNINSTALL_APP)
        .world(3_000, WorldStep::Crash { host: "apns-sandbox".into() })
        .world(4_000, WorldStep::Bounce { host: "apns-sandbox".into() })
        .at(8_000, "bob-phone", send("alice", "still there?"))
        .at(20_000, "bob-phone", send("alice", "hello?"))
        .build();
    each_seed(&scenario, |seed, trace| {
        assert_eq!(notifications_for(trace, "alice-phone", "alice"), vec![], "seed {seed}: shown for a deleted app");
        let revoked: Vec<u64> = trace
            .iter()
            .filter(|r| {
                matches!(&r.event, Event::Vendor { event: VendorEvent::TokenRevoked { device, .. } }
                if device.as_str() == "alice-phone")
            })
            .map(|r| r.t.0)
            .collect();
        assert!(revoked.first().is_some_and(|&t| (8_000..20_000).contains(&t)), "seed {seed}: revoked at {revoked:?}");
        let unbound = trace.iter().any(|r| {
            matches!(&r.event, Event::Server { event: ServerEvent::Unbound { user, reason: UnbindReason::DeadToken, .. } }
                if user.as_str() == "alice")
        });
        assert!(unbound, "seed {seed}: the dead token stayed bound");
    });
}
