//! Tests of `logout-clears-pushid` on hand-written traces.

use super::super::testkit::*;
use super::super::{Invariant, Status, Verdict};
use super::LogoutClearsPushId;
use zimsim_reference::server::SessionEnd;
use zimsim_reference::wire::ClientFrame;
use zimsim_sim::scenario::WorldStep;
use zimsim_sim::trace::{Event, Record};

const PHONE: &str = "ios-alice";

fn check(trace: &[Record]) -> Verdict {
    LogoutClearsPushId.check(trace)
}

/// Alice's phone registers `tok-a`, logs in and gets it bound (indices 0..=2).
fn logged_in_with_binding() -> Vec<Record> {
    let p = push_id("tok-a");
    vec![rec(100, PHONE, registered(&p)), rec(1_000, ZIM, bound("alice", &p)), rec(1_005, PHONE, logged_in("alice"))]
}

/// [`logged_in_with_binding`], then a clean logout: unbound at 3, acknowledged at 4.
fn logged_out_cleanly() -> Vec<Record> {
    let mut trace = logged_in_with_binding();
    trace.push(rec(5_000, ZIM, unbound("alice", &push_id("tok-a"))));
    trace.push(rec(5_003, PHONE, logged_out("alice")));
    trace
}

#[test]
fn is_vacuous_when_nobody_logs_out() {
    let mut trace = logged_in_with_binding();
    trace.push(rec(2_000, ZIM, accepted(1, "bob", "alice")));
    trace.push(rec(2_010, PHONE, notification("alice", 1)));

    assert_verdict(&check(&trace), Status::Vacuous, 0);
}

#[test]
fn is_vacuous_when_a_device_that_never_registered_a_pushid_logs_out() {
    let trace = vec![rec(1_000, PHONE, logged_in("alice")), rec(5_000, PHONE, logged_out("alice"))];

    assert_verdict(&check(&trace), Status::Vacuous, 0);
}

#[test]
fn holds_when_the_binding_is_removed_before_the_logout_is_acknowledged() {
    assert_verdict(&check(&logged_out_cleanly()), Status::Held, 1);
}

#[test]
fn is_violated_when_the_binding_is_still_held_when_the_logout_is_acknowledged() {
    let mut trace = logged_in_with_binding();
    trace.push(rec(5_003, PHONE, logged_out("alice")));

    let v = check(&trace);
    assert_verdict(&v, Status::Violated, 1);
    let violation = single_violation(&v);
    assert_eq!(violation.at_ms, 5_003);
    assert_mentions(&violation.detail, &["alice", PHONE, &push_id("tok-a").to_string()]);
    assert_eq!(violation.excerpt, excerpt(&trace, &[1, 3]));
}

#[test]
fn checks_every_pushid_the_device_registered_and_names_the_one_still_bound() {
    let (old, new) = (push_id("tok-old"), push_id("tok-new"));
    let trace = vec![
        rec(100, PHONE, registered(&old)),
        rec(1_000, ZIM, bound("alice", &old)),
        rec(1_005, PHONE, logged_in("alice")),
        rec(2_000, PHONE, registered(&new)),
        rec(2_010, ZIM, unbound("alice", &old)),
        rec(2_010, ZIM, bound("alice", &new)),
        rec(5_003, PHONE, logged_out("alice")),
    ];

    let v = check(&trace);
    assert_verdict(&v, Status::Violated, 2);
    let violation = single_violation(&v);
    assert_mentions(&violation.detail, &[&new.to_string()]);
    assert!(!violation.detail.contains(&old.to_string()), "{violation:#?}");
    assert_eq!(violation.excerpt, excerpt(&trace, &[5, 6]));
}

#[test]
fn is_not_violated_by_a_binding_owned_by_another_user_at_logout() {
    let p = push_id("tok-a");
    let mut trace = logged_in_with_binding();
    // The PushID moved to bob before alice's logout was acknowledged.
    trace.push(rec(4_000, ZIM, unbound("alice", &p)));
    trace.push(rec(4_000, ZIM, bound("bob", &p)));
    trace.push(rec(5_003, PHONE, logged_out("alice")));

    assert_verdict(&check(&trace), Status::Held, 1);
}

#[test]
fn is_violated_by_a_notification_for_a_message_accepted_after_the_logout() {
    let mut trace = logged_out_cleanly();
    trace.push(rec(6_000, ZIM, accepted(7, "bob", "alice")));
    trace.push(rec(6_020, PHONE, notification("alice", 7)));

    let v = check(&trace);
    assert_verdict(&v, Status::Violated, 2);
    let violation = single_violation(&v);
    assert_eq!(violation.at_ms, 6_020);
    assert_mentions(&violation.detail, &[PHONE, "m7", "alice"]);
    assert_eq!(violation.excerpt, excerpt(&trace, &[4, 5, 6]));
}

#[test]
fn holds_for_a_notification_of_a_message_accepted_before_the_logout() {
    let p = push_id("tok-a");
    let mut trace = logged_in_with_binding();
    trace.push(rec(4_000, ZIM, accepted(7, "bob", "alice")));
    trace.push(rec(5_000, ZIM, unbound("alice", &p)));
    trace.push(rec(5_003, PHONE, logged_out("alice")));
    trace.push(rec(5_500, PHONE, notification("alice", 7)));

    assert_verdict(&check(&trace), Status::Held, 2);
}

#[test]
fn holds_for_a_message_accepted_after_the_user_logged_in_again_on_the_device() {
    let p = push_id("tok-a");
    let mut trace = logged_out_cleanly();
    trace.push(rec(8_000, ZIM, bound("alice", &p)));
    trace.push(rec(8_005, PHONE, logged_in("alice")));
    trace.push(rec(9_000, ZIM, accepted(7, "bob", "alice")));
    trace.push(rec(9_020, PHONE, notification("alice", 7)));

    assert_verdict(&check(&trace), Status::Held, 2);
}

#[test]
fn is_violated_for_a_message_accepted_while_logged_out_even_if_notified_after_logging_in_again() {
    let p = push_id("tok-a");
    let mut trace = logged_out_cleanly();
    trace.push(rec(6_000, ZIM, accepted(7, "bob", "alice")));
    trace.push(rec(8_000, ZIM, bound("alice", &p)));
    trace.push(rec(8_005, PHONE, logged_in("alice")));
    trace.push(rec(8_020, PHONE, notification("alice", 7)));

    let v = check(&trace);
    assert_verdict(&v, Status::Violated, 2);
    let violation = single_violation(&v);
    assert_mentions(&violation.detail, &[PHONE, "m7", "alice"]);
    assert_eq!(violation.excerpt, excerpt(&trace, &[4, 5, 8]));
}

#[test]
fn leaves_notifications_for_another_user_on_the_device_alone() {
    let mut trace = logged_out_cleanly();
    trace.push(rec(7_005, PHONE, logged_in("bob")));
    trace.push(rec(8_000, ZIM, accepted(7, "carol", "bob")));
    trace.push(rec(8_020, PHONE, notification("bob", 7)));

    // Only the binding check at alice's logout; bob's notification is not looked at.
    assert_verdict(&check(&trace), Status::Held, 1);
}

#[test]
fn a_window_closes_when_the_server_accepts_the_users_login_again_even_if_the_app_never_saw_it() {
    let p = push_id("tok-a");
    let mut trace = logged_out_cleanly();
    // alice logs in again; the app dies before login_ok, but the server accepted it.
    trace.push(rec(8_000, ZIM, session_opened("alice", PHONE)));
    trace.push(rec(8_000, ZIM, bound("alice", &p)));
    trace.push(rec(8_004, PHONE, Event::AppKilled));
    trace.push(rec(9_000, ZIM, accepted(7, "bob", "alice")));
    trace.push(rec(9_020, PHONE, notification("alice", 7)));

    assert_verdict(&check(&trace), Status::Held, 2);
}

/// alice logged in with a binding; she taps Log out and the app dies at once (5..=7):
/// no logout frame left. The app relaunches at 10 s.
fn logout_then_killed_then_relaunched() -> Vec<Record> {
    let mut trace = logged_in_with_binding();
    trace.insert(0, rec(900, PHONE, login_step("alice")));
    trace.insert(0, rec(50, PHONE, Event::AppLaunched));
    trace.push(rec(5_000, PHONE, logout_step()));
    trace.push(rec(5_000, PHONE, Event::AppKilled));
    trace.push(rec(10_000, PHONE, Event::AppLaunched));
    trace
}

#[test]
fn holds_when_the_relaunched_sdk_finishes_the_pending_logout_before_anything_else() {
    let p = push_id("tok-a");
    let mut trace = logout_then_killed_then_relaunched();
    trace.push(rec(10_010, ZIM, session_opened("alice", PHONE)));
    trace.push(rec(10_020, ZIM, frame_in(1, ClientFrame::Logout { req: 2 })));
    trace.push(rec(10_020, ZIM, unbound("alice", &p)));
    trace.push(rec(10_020, ZIM, session_ended("alice", PHONE, SessionEnd::Logout)));
    trace.push(rec(10_025, PHONE, logged_out("alice")));
    trace.push(rec(30_000, ZIM, accepted(7, "bob", "alice")));

    assert_verdict(&check(&trace), Status::Held, 1);
}

#[test]
fn is_violated_when_the_relaunched_sdk_reaches_the_server_and_does_something_else_first() {
    let mut trace = logout_then_killed_then_relaunched();
    trace.push(rec(10_010, ZIM, session_opened("alice", PHONE)));
    trace.push(rec(10_020, ZIM, frame_in(1, ClientFrame::Heartbeat)));
    trace.push(rec(10_030, ZIM, frame_in(1, ClientFrame::Sync { req: 3, cursors: vec![], limit: 50 })));

    let v = check(&trace);
    assert_eq!(v.status, Status::Violated, "{v:#?}");
    assert_mentions(&v.violations[0].detail, &["logout pending", "sync"]);
    assert_mentions(&v.violations[1].detail, &["still bound"]);
}

#[test]
fn is_violated_when_a_relaunch_leaves_the_logout_unfinished_past_the_grace() {
    let mut trace = logout_then_killed_then_relaunched();
    trace.push(rec(25_000, ZIM, accepted(7, "bob", "alice")));
    trace.push(rec(25_020, PHONE, notification("alice", 7)));

    let v = check(&trace);
    let details: Vec<&str> = v.violations.iter().map(|x| x.detail.as_str()).collect();
    assert_eq!(v.status, Status::Violated, "{v:#?}");
    assert!(
        details[0].contains("still unfinished 10000 ms (of reach to the server) after the app relaunched"),
        "{details:?}"
    );
    assert!(details.iter().any(|d| d.contains("notified of m7 for alice")), "{details:?}");
}

#[test]
fn the_grace_after_a_relaunch_waits_out_a_server_crash() {
    // The server is down from 9 s to 30 s: the relaunched SDK cannot finish before it is
    // back, and finishing 2 s after the restart is in time.
    let crash = |step| Event::Step { action: zimsim_sim::scenario::Action::World(step) };
    let p = push_id("tok-a");
    let mut trace = logout_then_killed_then_relaunched();
    trace.insert(trace.len() - 1, rec(9_000, "world", crash(WorldStep::Crash { host: "zim".into() })));
    trace.push(rec(30_000, "world", crash(WorldStep::Bounce { host: "zim".into() })));
    trace.push(rec(32_000, ZIM, session_opened("alice", PHONE)));
    trace.push(rec(32_010, ZIM, frame_in(1, ClientFrame::Logout { req: 2 })));
    trace.push(rec(32_010, ZIM, unbound("alice", &p)));
    trace.push(rec(32_010, ZIM, session_ended("alice", PHONE, SessionEnd::Logout)));
    assert_verdict(&check(&trace), Status::Held, 1);
}

#[test]
fn a_refused_second_login_does_not_make_the_logout_apply_to_that_user() {
    let p = push_id("tok-a");
    let trace = vec![
        rec(50, PHONE, Event::AppLaunched),
        rec(100, PHONE, registered(&p)),
        rec(900, PHONE, login_step("alice")),
        rec(1_000, ZIM, session_opened("alice", PHONE)),
        rec(1_000, ZIM, bound("alice", &p)),
        rec(1_005, PHONE, logged_in("alice")),
        // carol's login is refused (6000111): alice stays logged in.
        rec(4_000, PHONE, login_step("carol")),
        rec(4_000, PHONE, login_failed("carol", 6_000_111)),
        rec(5_000, PHONE, logout_step()),
        rec(5_005, ZIM, unbound("alice", &p)),
        rec(5_005, ZIM, session_ended("alice", PHONE, SessionEnd::Logout)),
        rec(5_010, PHONE, logged_out("alice")),
        rec(6_000, PHONE, Event::AppKilled),
        rec(7_000, PHONE, Event::AppLaunched),
        rec(30_000, ZIM, accepted(7, "bob", "carol")),
    ];

    assert_verdict(&check(&trace), Status::Held, 1);
}

#[test]
fn a_logout_after_a_kick_out_has_nothing_left_to_finish() {
    let mut trace = logout_then_killed_then_relaunched();
    let at = trace.iter().position(|r| matches!(r.event, Event::Step { .. }) && r.t.0 == 5_000).unwrap();
    trace.insert(at, rec(4_000, PHONE, disconnected())); // kicked out before the logout
    trace.push(rec(25_000, ZIM, accepted(7, "bob", "alice")));

    let v = check(&trace);
    assert_ne!(v.status, Status::Violated, "{v:#?}");
}

#[test]
fn ignores_login_and_logout_steps_that_reach_a_dead_app() {
    let mut trace = logged_in_with_binding();
    trace.push(rec(4_000, PHONE, login_step("alice"))); // the app never launched
    trace.push(rec(5_000, PHONE, logout_step()));
    trace.push(rec(6_000, PHONE, Event::AppLaunched));
    trace.push(rec(25_000, ZIM, accepted(7, "bob", "alice")));

    assert_verdict(&check(&trace), Status::Vacuous, 0);
}

#[test]
fn tolerates_pushes_while_the_app_that_logged_out_stays_dead() {
    let mut trace = logged_in_with_binding();
    trace.insert(0, rec(900, PHONE, login_step("alice")));
    trace.insert(0, rec(50, PHONE, Event::AppLaunched));
    trace.push(rec(5_000, PHONE, logout_step()));
    trace.push(rec(5_000, PHONE, Event::AppKilled));
    trace.push(rec(25_000, ZIM, accepted(7, "bob", "alice")));
    trace.push(rec(25_020, PHONE, notification("alice", 7)));

    // The SDK could not reach the server: nothing is judged yet.
    assert_verdict(&check(&trace), Status::Vacuous, 0);
}

#[test]
fn is_violated_when_another_user_logs_in_over_a_pending_logout_and_the_binding_stays() {
    let mut trace = logout_then_killed_then_relaunched();
    trace.push(rec(10_010, ZIM, session_opened("carol", PHONE)));

    let v = check(&trace);
    assert_mentions(&single_violation(&v).detail, &["alice", "still bound"]);
}

#[test]
fn leaves_notifications_for_the_user_on_another_device_alone() {
    let mut trace = logged_out_cleanly();
    trace.push(rec(6_000, ZIM, accepted(7, "bob", "alice")));
    trace.push(rec(6_020, "ipad-alice", notification("alice", 7)));

    assert_verdict(&check(&trace), Status::Held, 1);
}
