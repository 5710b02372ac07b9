//! `exactly-once-delivery` (eventually): every stored message the server accepted for a
//! user is surfaced exactly once on every device logged in as that user at the end of the
//! run, whether it arrived online or by sync.

use super::{device_of, Invariant, Kind, Tally, Verdict};
use std::collections::BTreeMap;
use zimsim_reference::client::{AppEvent, ConnectionState};
use zimsim_reference::ids::{DeviceId, MessageId, UserId};
use zimsim_reference::server::ServerEvent;
use zimsim_sim::trace::{Event, Record};

#[derive(Clone, Copy, Debug, Default)]
pub struct ExactlyOnceDelivery;

impl Invariant for ExactlyOnceDelivery {
    fn name(&self) -> &'static str {
        "exactly-once-delivery"
    }

    fn kind(&self) -> Kind {
        Kind::Eventually
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        // message -> (recipients, trace index of acceptance)
        let mut accepted: BTreeMap<MessageId, (&[UserId], usize)> = BTreeMap::new();
        // device -> user logged in there now (and the index of that login)
        let mut logged_in: BTreeMap<DeviceId, (&UserId, usize)> = BTreeMap::new();
        // (device, user, message) -> indices where it was surfaced
        let mut surfaced: BTreeMap<(DeviceId, &UserId, MessageId), Vec<usize>> = BTreeMap::new();

        for (i, r) in trace.iter().enumerate() {
            let device = || device_of(r);
            match &r.event {
                // Room and command messages reach only who is online: nothing to catch up on.
                Event::Server { event: ServerEvent::MessageAccepted { id, to, stored: true, .. } } => {
                    accepted.insert(*id, (to, i));
                }
                Event::App { event: AppEvent::LoggedIn { user } } => {
                    logged_in.insert(device(), (user, i));
                }
                Event::App { event: AppEvent::LoggedOut { .. } }
                | Event::App { event: AppEvent::ConnectionStateChanged { state: ConnectionState::Disconnected, .. } }
                | Event::AppKilled => {
                    logged_in.remove(&device());
                }
                Event::AppUninstalled => {
                    // A new install on the same phone starts with an empty database.
                    let device = device();
                    logged_in.remove(&device);
                    surfaced.retain(|(d, _, _), _| *d != device);
                }
                Event::App { event: AppEvent::MessageReceived { user, message, .. } } => {
                    surfaced.entry((device(), user, message.id)).or_default().push(i);
                }
                _ => {}
            }
        }

        let end = trace.last().map(|r| r.t).unwrap_or_default();
        for (device, (user, login_at)) in &logged_in {
            for (id, (to, accepted_at)) in &accepted {
                if !to.contains(user) {
                    continue;
                }
                tally.check();
                let seen = surfaced.get(&(device.clone(), *user, *id)).map(Vec::as_slice).unwrap_or_default();
                match seen.len() {
                    1 => {}
                    0 => tally.violation(
                        end,
                        format!("{id} for {user} never surfaced on {device}, which is logged in as {user} at the end"),
                        &[*accepted_at, *login_at],
                    ),
                    n => {
                        let mut shown = vec![*accepted_at];
                        shown.extend_from_slice(seen);
                        tally.violation(end, format!("{id} for {user} surfaced {n} times on {device}"), &shown)
                    }
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
    use super::ExactlyOnceDelivery;
    use zimsim_reference::client::Via;
    use zimsim_sim::trace::{Event, Record};

    const PHONE: &str = "ios-alice";

    fn check(trace: &[Record]) -> Verdict {
        ExactlyOnceDelivery.check(trace)
    }

    /// Alice logs in on her phone (0) and bob sends her m1 (1), not yet surfaced.
    fn m1_for_alice() -> Vec<Record> {
        vec![rec(1_000, PHONE, logged_in("alice")), rec(2_000, ZIM, accepted(1, "bob", "alice"))]
    }

    #[test]
    fn is_vacuous_when_no_message_was_accepted() {
        let trace = vec![rec(1_000, PHONE, logged_in("alice"))];

        assert_verdict(&check(&trace), Status::Vacuous, 0);
    }

    #[test]
    fn is_vacuous_when_no_device_is_logged_in_at_the_end() {
        let trace = vec![rec(2_000, ZIM, accepted(1, "bob", "alice"))];

        assert_verdict(&check(&trace), Status::Vacuous, 0);
    }

    #[test]
    fn holds_when_each_message_surfaced_once_online_or_by_sync() {
        let mut trace = m1_for_alice();
        trace.push(rec(2_005, PHONE, received("alice", 1, "bob", Via::Online)));
        trace.push(rec(3_000, ZIM, accepted(2, "bob", "alice")));
        trace.push(rec(4_000, PHONE, received("alice", 2, "bob", Via::Sync)));

        assert_verdict(&check(&trace), Status::Held, 2);
    }

    #[test]
    fn is_violated_when_a_message_never_surfaced() {
        let mut trace = m1_for_alice();
        trace.push(rec(9_000, "android-bob", logged_in("bob")));

        let v = check(&trace);
        assert_verdict(&v, Status::Violated, 1);
        let violation = single_violation(&v);
        assert_eq!(violation.at_ms, 9_000, "judged at the end of the trace");
        assert_mentions(&violation.detail, &["m1", "alice", PHONE, "never surfaced"]);
        assert_eq!(violation.excerpt, excerpt(&trace, &[0, 1]));
    }

    #[test]
    fn is_violated_when_a_message_surfaced_on_another_device_only() {
        let mut trace = m1_for_alice();
        trace.push(rec(2_005, "ipad-alice", received("alice", 1, "bob", Via::Online)));

        let v = check(&trace);
        assert_verdict(&v, Status::Violated, 1);
        assert_mentions(&single_violation(&v).detail, &["m1", PHONE, "never surfaced"]);
    }

    #[test]
    fn is_violated_when_a_message_surfaced_twice() {
        let mut trace = m1_for_alice();
        trace.push(rec(2_005, PHONE, received("alice", 1, "bob", Via::Online)));
        trace.push(rec(3_000, PHONE, received("alice", 1, "bob", Via::Sync)));

        let v = check(&trace);
        assert_verdict(&v, Status::Violated, 1);
        let violation = single_violation(&v);
        assert_eq!(violation.at_ms, 3_000);
        assert_mentions(&violation.detail, &["m1", "alice", PHONE, "surfaced 2 times"]);
        assert_eq!(violation.excerpt, excerpt(&trace, &[1, 2, 3]));
    }

    #[test]
    fn counts_a_duplicate_surfaced_in_an_earlier_session() {
        let mut trace = m1_for_alice();
        trace.push(rec(2_005, PHONE, received("alice", 1, "bob", Via::Online)));
        trace.push(rec(3_000, PHONE, logged_out("alice")));
        trace.push(rec(4_000, PHONE, logged_in("alice")));
        trace.push(rec(4_010, PHONE, received("alice", 1, "bob", Via::Sync)));

        let v = check(&trace);
        assert_verdict(&v, Status::Violated, 1);
        let violation = single_violation(&v);
        assert_mentions(&violation.detail, &["m1", PHONE, "surfaced 2 times"]);
        assert_eq!(violation.excerpt, excerpt(&trace, &[1, 2, 5]));
    }

    /// m1 never surfaces, then the phone's session ends with `end`: nothing is checked.
    fn assert_not_checked_after(end: Event) {
        let mut trace = m1_for_alice();
        trace.push(rec(5_000, PHONE, end));

        assert_verdict(&check(&trace), Status::Vacuous, 0);
    }

    #[test]
    fn does_not_check_a_device_that_logged_out_at_the_end() {
        assert_not_checked_after(logged_out("alice"));
    }

    #[test]
    fn does_not_check_a_device_whose_app_was_killed_at_the_end() {
        assert_not_checked_after(Event::AppKilled);
    }

    #[test]
    fn does_not_check_a_device_that_is_disconnected_at_the_end() {
        assert_not_checked_after(disconnected());
    }

    #[test]
    fn checks_a_device_again_once_it_logs_back_in() {
        let mut trace = m1_for_alice();
        trace.push(rec(5_000, PHONE, Event::AppKilled));
        trace.push(rec(6_000, PHONE, logged_in("alice")));

        let v = check(&trace);
        assert_verdict(&v, Status::Violated, 1);
        assert_eq!(single_violation(&v).excerpt, excerpt(&trace, &[1, 3]), "shows the latest login");
    }

    #[test]
    fn does_not_check_messages_for_other_users() {
        let mut trace = m1_for_alice();
        trace.push(rec(2_005, PHONE, received("alice", 1, "bob", Via::Online)));
        // m2 is for carol: neither alice's phone nor dave's iPad is owed it.
        trace.push(rec(3_000, ZIM, accepted(2, "bob", "carol")));
        trace.push(rec(4_000, "ipad-dave", logged_in("dave")));

        assert_verdict(&check(&trace), Status::Held, 1);
    }

    #[test]
    fn does_not_check_a_device_for_a_user_no_longer_logged_in_there() {
        let mut trace = m1_for_alice();
        trace.push(rec(3_000, PHONE, logged_out("alice")));
        trace.push(rec(4_000, PHONE, logged_in("bob")));

        assert_verdict(&check(&trace), Status::Vacuous, 0);
    }
}
