//! `logout-clears-pushid`: once the app is told a logout succeeded, the server holds no
//! binding of that user to any PushID the device registered, and no notification for a
//! message accepted after that (until the user logs in there again) reaches the device.

use super::{Invariant, Kind, Tally, Verdict};
use std::collections::{BTreeMap, BTreeSet};
use zimsim_reference::client::AppEvent;
use zimsim_reference::ids::{DeviceId, MessageId, UserId};
use zimsim_reference::pushid::PushId;
use zimsim_reference::server::ServerEvent;
use zimsim_sim::trace::{Event, Record};

#[derive(Clone, Copy, Debug, Default)]
pub struct LogoutClearsPushId;

/// A (device, user) logged out at trace index `ack` and not logged in again before `until`.
struct Window {
    device: DeviceId,
    user: UserId,
    ack: usize,
    until: Option<usize>,
}

impl Invariant for LogoutClearsPushId {
    fn name(&self) -> &'static str {
        "logout-clears-pushid"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        let mut bindings: BTreeMap<&PushId, (&UserId, usize)> = BTreeMap::new();
        let mut registered: BTreeMap<DeviceId, BTreeSet<&PushId>> = BTreeMap::new();
        let mut accepted: BTreeMap<MessageId, usize> = BTreeMap::new();
        let mut windows: Vec<Window> = Vec::new();
        let mut notifications = Vec::new();

        for (i, r) in trace.iter().enumerate() {
            match &r.event {
                Event::Server { event: ServerEvent::Bound { user, push_id } } => {
                    bindings.insert(push_id, (user, i));
                }
                Event::Server { event: ServerEvent::Unbound { user, push_id, .. } }
                    if bindings.get(push_id).is_some_and(|(owner, _)| *owner == user) =>
                {
                    bindings.remove(push_id);
                }
                Event::Server { event: ServerEvent::MessageAccepted { id, .. } } => {
                    accepted.insert(*id, i);
                }
                Event::App { event: AppEvent::Registered { push_id: Some(p), .. } } => {
                    registered.entry(DeviceId::new(r.src.clone())).or_default().insert(p);
                }
                Event::App { event: AppEvent::LoggedIn { user } } => {
                    let device = DeviceId::new(r.src.clone());
                    for w in windows.iter_mut().filter(|w| w.device == device && &w.user == user) {
                        w.until.get_or_insert(i);
                    }
                }
                Event::App { event: AppEvent::LoggedOut { user } } => {
                    let device = DeviceId::new(r.src.clone());
                    for p in registered.get(&device).into_iter().flatten() {
                        tally.check();
                        if let Some((owner, bound_at)) = bindings.get(p).filter(|(owner, _)| *owner == user) {
                            tally.violation(
                                r.t,
                                format!("logout of {user} acknowledged on {device}, but {owner} is still bound to {p}"),
                                &[*bound_at, i],
                            );
                        }
                    }
                    windows.push(Window { device, user: user.clone(), ack: i, until: None });
                }
                Event::Notification { .. } => notifications.push((i, r)),
                _ => {}
            }
        }

        // A notification breaks the rule if its message was accepted inside a logout window
        // of the same device and user.
        for (i, r) in notifications {
            let Event::Notification { notification, .. } = &r.event else { continue };
            let (Some(user), Some(m)) = (&notification.to_user, notification.message_id) else { continue };
            let device = DeviceId::new(r.src.clone());
            let Some(&accepted_at) = accepted.get(&m) else { continue };
            for w in windows.iter().filter(|w| w.device == device && &w.user == user) {
                tally.check();
                if accepted_at > w.ack && w.until.is_none_or(|u| accepted_at < u) {
                    tally.violation(
                        r.t,
                        format!("{device} was notified of {m} for {user}, accepted after {user} logged out there"),
                        &[w.ack, accepted_at, i],
                    );
                }
            }
        }
        tally.verdict(self)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::super::{Invariant, Status, Verdict};
    use super::LogoutClearsPushId;
    use zimsim_sim::trace::Record;

    const PHONE: &str = "ios-alice";

    fn check(trace: &[Record]) -> Verdict {
        LogoutClearsPushId.check(trace)
    }

    /// Alice's phone registers `tok-a`, logs in and gets it bound (indices 0..=2).
    fn logged_in_with_binding() -> Vec<Record> {
        let p = push_id("tok-a");
        vec![
            rec(100, PHONE, registered(&p)),
            rec(1_000, ZIM, bound("alice", &p)),
            rec(1_005, PHONE, logged_in("alice")),
        ]
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
    fn leaves_notifications_for_the_user_on_another_device_alone() {
        let mut trace = logged_out_cleanly();
        trace.push(rec(6_000, ZIM, accepted(7, "bob", "alice")));
        trace.push(rec(6_020, "ipad-alice", notification("alice", 7)));

        assert_verdict(&check(&trace), Status::Held, 1);
    }
}
