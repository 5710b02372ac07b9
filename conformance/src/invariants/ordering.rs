//! Order and duplicates, each an `always` invariant.
//!
//! - `conversation-order`: the server numbers each conversation's stored messages 1, 2, 3…
//!   in the order it accepts them; and on each install, within one login, the stored
//!   messages of a conversation surface in increasing sequence order by each path (online
//!   delivery, sync). A message that arrives online beyond a gap may come before the
//!   earlier ones sync fills in: the two paths are judged apart.
//! - `at-most-once-delivery`: no install surfaces the same message to the same user twice,
//!   across kills, reconnects, and push and sync together.

use super::{device_of, Invariant, Kind, Tally, Verdict};
use std::collections::BTreeMap;
use zimsim_reference::client::{AppEvent, Via};
use zimsim_reference::ids::{ConvKey, DeviceId, MessageId, UserId};
use zimsim_reference::server::ServerEvent;
use zimsim_sim::trace::{Event, Record};

#[derive(Clone, Copy, Debug, Default)]
pub struct ConversationOrder;

impl Invariant for ConversationOrder {
    fn name(&self) -> &'static str {
        "conversation-order"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        // conversation -> (last seq the server gave, its trace index)
        let mut last_seq: BTreeMap<&ConvKey, (u64, usize)> = BTreeMap::new();
        // (install, conversation, path) -> (highest seq surfaced this login, its index)
        let mut surfaced: BTreeMap<(DeviceId, &ConvKey, Via), (u64, usize)> = BTreeMap::new();
        for (i, r) in trace.iter().enumerate() {
            match &r.event {
                Event::Server { event: ServerEvent::MessageAccepted { id, conv, seq, stored: true, .. } } => {
                    tally.check();
                    let (before, at) = last_seq.get(conv).copied().unwrap_or((0, i));
                    if *seq != before + 1 {
                        let detail = format!("{id} in {conv} got seq {seq} after seq {before}");
                        tally.violation(r.t, detail, &[at, i]);
                    }
                    last_seq.insert(conv, (*seq, i));
                }
                Event::App { event: AppEvent::LoggedIn { .. } } | Event::AppKilled | Event::AppUninstalled => {
                    let device = device_of(r);
                    surfaced.retain(|(d, _, _), _| *d != device);
                }
                Event::App { event: AppEvent::MessageReceived { message, via, .. } } if message.is_stored() => {
                    tally.check();
                    let key = (device_of(r), &message.conv, *via);
                    if let Some(&(highest, at)) = surfaced.get(&key) {
                        if message.seq < highest {
                            let detail = format!(
                                "{} surfaced {} (seq {}) of {} after seq {highest}, both by {via:?}",
                                key.0, message.id, message.seq, message.conv
                            );
                            tally.violation(r.t, detail, &[at, i]);
                            continue;
                        }
                    }
                    surfaced.insert(key, (message.seq, i));
                }
                _ => {}
            }
        }
        tally.verdict(self)
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct AtMostOnceDelivery;

impl Invariant for AtMostOnceDelivery {
    fn name(&self) -> &'static str {
        "at-most-once-delivery"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        let mut first: BTreeMap<(DeviceId, &UserId, MessageId), usize> = BTreeMap::new();
        for (i, r) in trace.iter().enumerate() {
            if r.event == Event::AppUninstalled {
                // A new install on the same phone starts with an empty database.
                let device = device_of(r);
                first.retain(|(d, _, _), _| *d != device);
                continue;
            }
            let Event::App { event: AppEvent::MessageReceived { user, message, .. } } = &r.event else { continue };
            tally.check();
            let key = (device_of(r), user, message.id);
            if let Some(&at) = first.get(&key) {
                let detail = format!("{} surfaced {} to {user} a second time", key.0, message.id);
                tally.violation(r.t, detail, &[at, i]);
            } else {
                first.insert(key, i);
            }
        }
        tally.verdict(self)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::super::{Invariant, Status};
    use super::*;

    const PHONE: &str = "ios-alice";

    #[test]
    fn messages_in_order_by_each_path_hold_even_when_online_overtakes_sync() {
        let trace = vec![
            rec(1_000, ZIM, accepted(1, "bob", "alice")),
            rec(1_001, ZIM, accepted(2, "bob", "alice")),
            rec(1_002, ZIM, accepted(3, "bob", "alice")),
            rec(2_000, PHONE, logged_in("alice")),
            rec(2_100, PHONE, received("alice", 3, "bob", Via::Online)),
            rec(2_200, PHONE, received("alice", 1, "bob", Via::Sync)),
            rec(2_200, PHONE, received("alice", 2, "bob", Via::Sync)),
        ];
        assert_verdict(&ConversationOrder.check(&trace), Status::Held, 6);
        assert_verdict(&AtMostOnceDelivery.check(&trace), Status::Held, 3);
    }

    #[test]
    fn a_sync_surfaced_backwards_is_caught_and_a_new_login_starts_afresh() {
        let mut trace = vec![
            rec(2_000, PHONE, logged_in("alice")),
            rec(2_200, PHONE, received("alice", 2, "bob", Via::Sync)),
            rec(2_200, PHONE, received("alice", 1, "bob", Via::Sync)),
        ];
        let v = ConversationOrder.check(&trace);
        assert_mentions(&single_violation(&v).detail, &["m1 (seq 1)", "after seq 2", "Sync"]);
        trace.insert(2, rec(2_100, PHONE, logged_in("alice")));
        assert_eq!(ConversationOrder.check(&trace).status, Status::Held);
    }

    #[test]
    fn a_gap_or_repeat_in_the_servers_numbering_is_caught() {
        let mut trace =
            vec![rec(1_000, ZIM, accepted(1, "bob", "alice")), rec(1_001, ZIM, accepted(3, "bob", "alice"))];
        let v = ConversationOrder.check(&trace);
        assert_mentions(&single_violation(&v).detail, &["m3", "got seq 3 after seq 1"]);
        trace[1] = rec(1_001, ZIM, accepted(1, "bob", "alice"));
        assert_eq!(ConversationOrder.check(&trace).status, Status::Violated);
    }

    #[test]
    fn the_same_message_surfaced_twice_on_an_install_is_caught_whatever_the_paths() {
        let trace = vec![
            rec(2_000, PHONE, received("alice", 1, "bob", Via::Online)),
            rec(9_000, PHONE, received("alice", 1, "bob", Via::Sync)),
            rec(9_000, "android-alice", received("alice", 1, "bob", Via::Sync)),
        ];
        let v = AtMostOnceDelivery.check(&trace);
        assert_mentions(&single_violation(&v).detail, &["ios-alice surfaced m1 to alice a second time"]);
    }
}
