//! What the canonical scenario must produce, record by record.

use super::canonical;
use zimsim_conformance::invariants::Status;
use zimsim_reference::client::{AppEvent, Via};
use zimsim_reference::ids::MessageId;
use zimsim_reference::push_services::VendorEvent;
use zimsim_reference::pushid::Environment;
use zimsim_reference::server::{ServerEvent, UnbindReason};
use zimsim_sim::trace::{Event, Record};

fn at_device<'a>(trace: &'a [Record], device: &'a str) -> impl Iterator<Item = &'a Record> + 'a {
    trace.iter().filter(move |r| r.src == device)
}

/// (device, message ID, shown) of every notification that reached a device.
fn notifications(trace: &[Record]) -> Vec<(String, u64, bool)> {
    trace
        .iter()
        .filter_map(|r| match &r.event {
            Event::Notification { shown, notification, .. } => {
                Some((r.src.to_string(), notification.message_id.map_or(0, |m| m.0), *shown))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn every_invariant_holds_and_actually_checked_something() {
    let (report, _) = canonical();
    assert!(report.passed());
    let absent = zimsim_conformance::invariants::VACUOUS_IN_CANONICAL;
    for v in &report.invariants {
        if absent.contains(&v.name.as_str()) {
            assert_eq!(v.status, Status::Vacuous, "{}", v.name);
            continue;
        }
        assert_eq!(v.status, Status::Held, "{}", v.name);
        assert!(v.checks > 0, "{} made no checks", v.name);
    }
}

#[test]
fn offline_pushes_arrive_through_the_vendor_and_environment_of_each_device() {
    let (_, out) = canonical();
    // alice (iOS debug) is notified of m1..m3 through APNs sandbox; bob (Android release) of
    // m4, m5 through FCM; both apps were killed, so the OS shows them.
    assert_eq!(
        notifications(&out.trace),
        vec![
            ("ios-alice".into(), 1, true),
            ("ios-alice".into(), 2, true),
            ("ios-alice".into(), 3, true),
            ("android-bob".into(), 4, true),
            ("android-bob".into(), 5, true),
        ]
    );
    let requests: Vec<(&str, Option<Environment>, u16)> = out
        .trace
        .iter()
        .filter_map(|r| match &r.event {
            Event::Vendor { event: VendorEvent::Request { env, status, .. } } => Some((r.src.as_str(), *env, *status)),
            _ => None,
        })
        .collect();
    let sandbox = ("apns-sandbox", Some(Environment::Development), 200);
    let fcm_release = ("fcm", Some(Environment::Production), 200);
    // At FCM the relay first signs in at the token endpoint with the release project's
    // service account, then sends twice with that access token.
    assert_eq!(requests, vec![sandbox, sandbox, sandbox, fcm_release, fcm_release, fcm_release]);
}

#[test]
fn notifications_carry_the_senders_push_config() {
    let (_, out) = canonical();
    let n = out
        .trace
        .iter()
        .find_map(|r| match &r.event {
            Event::Notification { notification, .. } if r.src == "android-bob" => Some(notification.clone()),
            _ => None,
        })
        .expect("bob was notified");
    assert_eq!((n.title.as_str(), n.content.as_str(), n.payload.as_str()), ("New message", "message 4", "p4"));
    assert_eq!(n.to_user, Some("bob".into()));
}

#[test]
fn relaunched_apps_sync_each_offline_message_exactly_once() {
    let (_, out) = canonical();
    let received = |device| -> Vec<(u64, Via)> {
        at_device(&out.trace, device)
            .filter_map(|r| match &r.event {
                Event::App { event: AppEvent::MessageReceived { message, via, .. } } => Some((message.id.0, *via)),
                _ => None,
            })
            .collect()
    };
    assert_eq!(received("ios-alice"), vec![(1, Via::Sync), (2, Via::Sync), (3, Via::Sync), (6, Via::Sync)]);
    assert_eq!(received("android-bob"), vec![(4, Via::Sync), (5, Via::Sync)]);
}

#[test]
fn logout_unbinds_before_the_app_hears_of_it_and_stops_pushes() {
    let (_, out) = canonical();
    let unbound = out
        .trace
        .iter()
        .position(|r| {
            matches!(&r.event, Event::Server { event: ServerEvent::Unbound { user, reason: UnbindReason::Logout, .. } } if user.as_str() == "alice")
        })
        .expect("alice's logout unbinds her PushID");
    let logged_out = out
        .trace
        .iter()
        .position(|r| matches!(&r.event, Event::App { event: AppEvent::LoggedOut { .. } }))
        .expect("the app is told about the logout");
    assert!(unbound < logged_out);
    // m6 was sent after the logout: stored, synced at the next login, never pushed.
    assert!(!notifications(&out.trace).iter().any(|(_, m, _)| *m == 6));
    assert!(!out
        .trace
        .iter()
        .any(|r| matches!(&r.event, Event::VendorCall { call } if call.message_id == MessageId(6))));
}

#[test]
fn stats_count_what_happened() {
    let (report, _) = canonical();
    let s = &report.stats;
    assert_eq!((s.messages_accepted, s.messages_surfaced), (6, 6));
    assert_eq!((s.pushes_submitted, s.vendor_requests, s.vendor_errors), (5, 5, 0));
    assert_eq!(s.notifications_shown, 5);
    assert_eq!(report.sim_time_ms, 75_000);
}
