//! `offline-push-notified` (eventually): every push the server decided on (`push_routed`:
//! message m for user U to PushID p) reaches the install that registered p as a
//! notification about m for U, unless the trace records why it could not: the hand-over to
//! the relay failed, the vendor rejected the request or could not be reached, or the vendor
//! did not keep one for that device under its storage rules (`coalesced`: replaced by a
//! newer one, as APNs keeps one per app or a collapse key one per key; `dropped`: expired,
//! or not to be stored; `discarded`: FCM's all-or-nothing limit of 100), or a crash lost it in memory: the ZIM server crashed before handing it to the relay, or
//! the relay crashed after accepting it and before a vendor answered (docs/policies.md:
//! hand-over queues are memory; the message itself is durable and arrives by sync), or
//! the app was deleted from the install before the notification reached it (the phone
//! drops a push for an app it no longer has; docs/policies.md).
//! A push decided in the last [`IN_FLIGHT_MS`] of the run may still be on its way and is not
//! judged.
//!
//! It must also arrive as what the console asked for: a push whose `resourcesID` names a
//! strategy with FCM's data-message type (the `push_resources` record of the trace) reaches
//! an FCM install as a data message, and any other as a notification.
//!
//! With `exactly-once-delivery` this is the mission's "every offline message reaches its
//! recipient": the message by sync, and the notification while the app was away.

use super::{device_of, Invariant, Kind, Tally, Verdict};
use std::collections::{BTreeMap, BTreeSet};
use zimsim_reference::client::AppEvent;
use zimsim_reference::ids::{DeviceId, MessageId, UserId};
use zimsim_reference::push_services::resources::FcmPushType;
use zimsim_reference::push_services::{MessageKind, VendorEvent};
use zimsim_reference::pushid::{PushId, Vendor};
use zimsim_reference::relay::PushResult;
use zimsim_reference::server::ServerEvent;
use zimsim_reference::topology;
use zimsim_sim::scenario::{Action, WorldStep};
use zimsim_sim::trace::{Event, Record};

/// How close to the end of the run a push may be decided and still be in flight.
pub const IN_FLIGHT_MS: u64 = 2_000;

#[derive(Clone, Copy, Debug, Default)]
pub struct OfflinePushNotified;

impl Invariant for OfflinePushNotified {
    fn name(&self) -> &'static str {
        "offline-push-notified"
    }

    fn kind(&self) -> Kind {
        Kind::Eventually
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        let mut registered_by: BTreeMap<&PushId, (DeviceId, usize)> = BTreeMap::new();
        // Per device, where its app was deleted.
        let mut uninstalled: BTreeMap<DeviceId, Vec<usize>> = BTreeMap::new();
        let mut routed: Vec<(usize, MessageId, &UserId, &PushId, &str)> = Vec::new();
        // Pushes that cannot arrive, for a documented reason: (message, PushID).
        let mut excused: BTreeSet<(MessageId, &PushId)> = BTreeSet::new();
        // Per device, when its vendor replaced a stored notification (once per replacement).
        let mut coalesced: BTreeMap<DeviceId, Vec<usize>> = BTreeMap::new();
        // Where the ZIM server and the relay crashed, and what each had handed on.
        let mut crashes: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        let mut submitted: BTreeMap<(MessageId, &PushId), usize> = BTreeMap::new();
        let mut answered: BTreeSet<(MessageId, &PushId)> = BTreeSet::new();
        // (install, message, user) that a notification reached, with the kinds it came as.
        let mut notified: BTreeMap<(DeviceId, MessageId, &UserId), BTreeSet<MessageKind>> = BTreeMap::new();
        // The console's FCM push type by resourcesID.
        let mut fcm_types: BTreeMap<&str, FcmPushType> = BTreeMap::new();

        for (i, r) in trace.iter().enumerate() {
            match &r.event {
                Event::App { event: AppEvent::Registered { push_id: Some(p), .. } } => {
                    registered_by.insert(p, (device_of(r), i));
                }
                Event::AppUninstalled => uninstalled.entry(device_of(r)).or_default().push(i),
                Event::Server { event: ServerEvent::PushRouted { id, user, push_id, resources_id, .. } } => {
                    routed.push((i, *id, user, push_id, resources_id));
                }
                Event::RelayRejected { message_id, push_id, .. } => {
                    excused.insert((*message_id, push_id));
                }
                Event::Server { event: ServerEvent::PushSubmitted { request, status } } => {
                    if status.is_none_or(|s| s >= 300) {
                        excused.insert((request.message_id, &request.push_id));
                    }
                    submitted.entry((request.message_id, &request.push_id)).or_insert(i);
                }
                Event::PushResources { resources } => {
                    fcm_types.extend(resources.iter().map(|(id, r)| (id.as_str(), r.fcm.push_type)));
                }
                Event::VendorCall { call } => {
                    // The relay took it on before the server heard its answer.
                    submitted.entry((call.message_id, &call.push_id)).or_insert(i);
                }
                Event::VendorOutcome { outcome } => {
                    if outcome.result != PushResult::Accepted {
                        excused.insert((outcome.message_id, &outcome.push_id));
                    }
                    answered.insert((outcome.message_id, &outcome.push_id));
                }
                // A bounce restarts the host: memory is lost then too if it was running.
                Event::Step { action: Action::World(WorldStep::Crash { host } | WorldStep::Bounce { host }) } => {
                    crashes.entry(host.as_str()).or_default().push(i);
                }
                // What the vendor did not keep for the device (replaced, expired, not to be
                // stored, thrown away past its limit) explains that many missing notifications.
                Event::Vendor {
                    event: VendorEvent::Coalesced { device, .. } | VendorEvent::Dropped { device, .. },
                } => {
                    coalesced.entry(device.clone()).or_default().push(i);
                }
                Event::Vendor { event: VendorEvent::Discarded { device, count } } => {
                    coalesced.entry(device.clone()).or_default().extend(std::iter::repeat_n(i, *count));
                }
                Event::Notification { notification, message_kind, .. } => {
                    if let (Some(m), Some(u)) = (notification.message_id, &notification.to_user) {
                        notified.entry((device_of(r), m, u)).or_default().insert(*message_kind);
                    }
                }
                _ => {}
            }
        }

        let end = trace.last().map(|r| r.t).unwrap_or_default();
        let mut missing: BTreeMap<DeviceId, Vec<(usize, MessageId, &UserId, &PushId)>> = BTreeMap::new();
        for (i, m, user, p, resources_id) in routed {
            let Some((device, registered)) = registered_by.get(p) else { continue };
            if end.since(trace[i].t) < IN_FLIGHT_MS || excused.contains(&(m, p)) {
                continue;
            }
            let deleted = uninstalled.get(device).is_some_and(|u| u.iter().any(|at| at > registered));
            let crashed_after =
                |host: &str, from: usize| crashes.get(host).is_some_and(|c| c.iter().any(|&at| at > from));
            let lost = match submitted.get(&(m, p)) {
                None => crashed_after(topology::ZIM.host, i),
                Some(&at) => !answered.contains(&(m, p)) && crashed_after(topology::ZPNS.host, at),
            };
            if lost {
                continue;
            }
            tally.check();
            let Some(kinds) = notified.get(&(device.clone(), m, user)) else {
                if !deleted {
                    missing.entry(device.clone()).or_default().push((i, m, user, p));
                }
                continue;
            };
            let data = p.vendor == Vendor::Fcm && fcm_types.get(resources_id) == Some(&FcmPushType::Data);
            let due = if data { MessageKind::Data } else { MessageKind::Notification };
            if !kinds.contains(&due) {
                let came = kinds.iter().map(MessageKind::to_string).collect::<Vec<_>>().join(", ");
                let detail = format!(
                    "{m} for {user} was due at {device} ({p}) as {due} (resourcesID {resources_id:?}) and came as {came}"
                );
                tally.violation(end, detail, &[i]);
            }
        }
        // Each replacement the vendor recorded for a device explains one missing
        // notification there, routed before it (the oldest first: a vendor keeps the newest).
        for (device, pushes) in missing {
            let mut replaced: Vec<usize> = coalesced.get(&device).cloned().unwrap_or_default();
            for (i, m, user, p) in pushes {
                if let Some(k) = replaced.iter().position(|&at| at > i) {
                    replaced.remove(k);
                    continue;
                }
                tally.violation(end, format!("{m} for {user} was pushed to {device} ({p}) and never reached it"), &[i]);
            }
        }
        tally.verdict(self)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::super::{Invariant, Status, Verdict};
    use super::OfflinePushNotified;
    use zimsim_sim::scenario::{Action, WorldStep};
    use zimsim_sim::trace::{Event, Record};

    const PHONE: &str = "ios-alice";

    fn check(trace: &[Record]) -> Verdict {
        OfflinePushNotified.check(trace)
    }

    /// alice's phone registered `tok`; bob's m1 is pushed to it at 20 s (0..=2).
    fn pushed() -> Vec<Record> {
        let p = push_id("tok");
        vec![
            rec(100, PHONE, registered(&p)),
            rec(20_000, ZIM, accepted(1, "bob", "alice")),
            rec(20_000, ZIM, push_routed(1, "alice", &p)),
        ]
    }

    #[test]
    fn is_vacuous_when_nothing_is_pushed() {
        assert_verdict(&check(&[rec(100, PHONE, registered(&push_id("tok")))]), Status::Vacuous, 0);
    }

    #[test]
    fn holds_when_the_notification_reaches_the_install() {
        let mut trace = pushed();
        trace.push(rec(20_040, PHONE, notification("alice", 1)));
        trace.push(rec(40_000, ZIM, accepted(2, "bob", "carol")));
        assert_verdict(&check(&trace), Status::Held, 1);
    }

    #[test]
    fn is_violated_when_a_push_never_reaches_the_install() {
        let mut trace = pushed();
        trace.push(rec(40_000, ZIM, accepted(2, "bob", "carol")));
        let v = check(&trace);
        assert_mentions(&single_violation(&v).detail, &["m1 for alice", PHONE, "never reached it"]);
    }

    #[test]
    fn a_push_to_an_install_whose_app_was_deleted_since_it_registered_is_excused() {
        // Deleted before the push, or before it came: the phone drops it.
        for at in [10_000, 20_500] {
            let mut trace = pushed();
            trace.push(rec(at, PHONE, Event::AppUninstalled));
            trace.sort_by_key(|r| r.t);
            trace.push(rec(40_000, ZIM, accepted(2, "bob", "carol")));
            assert_verdict(&check(&trace), Status::Held, 1);
        }
        // A deletion before the registration excuses nothing.
        let mut trace = pushed();
        trace.insert(0, rec(50, PHONE, Event::AppUninstalled));
        trace.push(rec(40_000, ZIM, accepted(2, "bob", "carol")));
        assert_mentions(&single_violation(&check(&trace)).detail, &["m1 for alice", "never reached it"]);
    }

    #[test]
    fn does_not_judge_a_push_still_in_flight_at_the_end() {
        assert_verdict(&check(&pushed()), Status::Vacuous, 0);
    }

    #[test]
    fn each_replacement_by_the_vendor_excuses_one_missing_notification_not_more() {
        let coalesced = || Event::Vendor {
            event: zimsim_reference::push_services::VendorEvent::Coalesced { device: PHONE.into(), id: "n1".into() },
        };
        // m1 and m2 pushed, the vendor replaced one stored notification by a newer one, and
        // the phone got m3: one of the two missing is explained, the other is not.
        let p = push_id("tok");
        let mut trace = pushed();
        trace.push(rec(21_000, ZIM, accepted(2, "bob", "alice")));
        trace.push(rec(21_000, ZIM, push_routed(2, "alice", &p)));
        trace.push(rec(22_000, ZIM, accepted(3, "bob", "alice")));
        trace.push(rec(22_000, ZIM, push_routed(3, "alice", &p)));
        trace.push(rec(30_000, "apns-sandbox", coalesced()));
        trace.push(rec(30_010, PHONE, notification("alice", 3)));
        trace.push(rec(40_000, ZIM, accepted(4, "bob", "carol")));
        let v = check(&trace);
        assert_eq!(v.violations.len(), 1, "{v:#?}");
        assert_mentions(&v.violations[0].detail, &["m2 for alice", "never reached it"]);
        // A second replacement explains the second.
        trace.insert(trace.len() - 1, rec(30_005, "apns-sandbox", coalesced()));
        assert_eq!(check(&trace).status, Status::Held);
    }

    #[test]
    fn a_notification_the_vendor_did_not_keep_excuses_one_and_a_discard_excuses_its_count() {
        use zimsim_reference::push_services::{DropReason, VendorEvent};
        let p = push_id("tok");
        let mut trace = pushed();
        trace.push(rec(21_000, ZIM, accepted(2, "bob", "alice")));
        trace.push(rec(21_000, ZIM, push_routed(2, "alice", &p)));
        trace.push(rec(40_000, ZIM, accepted(4, "bob", "carol")));
        assert_eq!(check(&trace).violations.len(), 2);
        let dropped = VendorEvent::Dropped { device: PHONE.into(), id: "n1".into(), reason: DropReason::Expired };
        trace.insert(trace.len() - 1, rec(30_000, "fcm", Event::Vendor { event: dropped }));
        assert_eq!(check(&trace).violations.len(), 1, "one expired notification explains one");
        let discarded = VendorEvent::Discarded { device: PHONE.into(), count: 2 };
        trace.insert(trace.len() - 1, rec(30_001, "fcm", Event::Vendor { event: discarded }));
        assert_eq!(check(&trace).status, Status::Held, "a discard of two explains the rest");
    }

    #[test]
    fn excuses_a_push_lost_in_the_memory_of_a_crashed_server_but_not_one_it_had_handed_on() {
        let crash = |host: &str| Event::Step { action: Action::World(WorldStep::Crash { host: host.into() }) };
        let mut trace = pushed();
        trace.push(rec(21_000, "world", crash(ZIM)));
        trace.push(rec(40_000, ZIM, accepted(2, "bob", "carol")));
        assert_verdict(&check(&trace), Status::Vacuous, 0);
        // Handed to the relay and accepted there before the crash: the server is not to blame.
        let mut trace = pushed();
        trace.push(rec(20_100, ZIM, push_submitted(1, &push_id("tok"), 202)));
        trace.push(rec(21_000, "world", crash(ZIM)));
        trace.push(rec(40_000, ZIM, accepted(2, "bob", "carol")));
        assert_eq!(check(&trace).status, Status::Violated);
    }

    #[test]
    fn a_bounce_of_a_running_relay_loses_what_it_held_like_a_crash() {
        let bounce = |host: &str| Event::Step { action: Action::World(WorldStep::Bounce { host: host.into() }) };
        let mut trace = pushed();
        trace.push(rec(20_100, ZIM, push_submitted(1, &push_id("tok"), 202)));
        trace.push(rec(40_000, ZIM, accepted(2, "bob", "carol")));
        assert_eq!(check(&trace).status, Status::Violated, "accepted by the relay and never delivered");
        trace.insert(trace.len() - 1, rec(20_200, "world", bounce("zpns")));
        assert_verdict(&check(&trace), Status::Vacuous, 0);
    }

    #[test]
    fn a_push_named_for_a_data_message_must_reach_an_fcm_install_as_one() {
        use zimsim_reference::client::{AppState, Notification};
        use zimsim_reference::push_services::resources::PushResource;
        use zimsim_reference::push_services::MessageKind;
        use zimsim_reference::pushid::{Environment, PushId, Vendor};
        use zimsim_reference::server::ServerEvent;
        let p = PushId::new(Vendor::Fcm, Environment::Production, "ftok");
        let mut routed = push_routed(1, "alice", &p);
        if let Event::Server { event: ServerEvent::PushRouted { resources_id, .. } } = &mut routed {
            *resources_id = "silent".into();
        }
        let console = Event::PushResources { resources: [("silent".into(), PushResource::data_message())].into() };
        let arrived = |kind: MessageKind| {
            let Event::Notification { notification, .. } = notification("alice", 1) else { unreachable!() };
            let notification = Notification { ..notification };
            let (app, shown) = (AppState::Background, kind == MessageKind::Notification);
            Event::Notification {
                id: "n1".into(),
                vendor: Vendor::Fcm,
                app,
                message_kind: kind,
                shown,
                replaced: None,
                notification,
            }
        };
        let trace = |kind: MessageKind, with_console: bool| {
            let mut t = vec![rec(0, "zpns", console.clone()), rec(100, PHONE, registered(&p))];
            if !with_console {
                t.remove(0);
            }
            t.push(rec(20_000, ZIM, routed.clone()));
            t.push(rec(20_040, PHONE, arrived(kind)));
            t.push(rec(40_000, ZIM, accepted(2, "bob", "carol")));
            t
        };
        assert_verdict(&check(&trace(MessageKind::Data, true)), Status::Held, 1);
        let v = check(&trace(MessageKind::Notification, true));
        assert_mentions(&single_violation(&v).detail, &["m1 for alice", "as a data message", "came as a notification"]);
        // The same resourcesID unknown to the console is a notification.
        assert_verdict(&check(&trace(MessageKind::Notification, false)), Status::Held, 1);
        assert_eq!(check(&trace(MessageKind::Data, false)).status, Status::Violated);
    }

    #[test]
    fn excuses_a_push_the_vendor_rejected_or_the_relay_never_got() {
        let mut trace = pushed();
        trace.push(rec(20_030, "zpns", vendor_rejected(1, &push_id("tok"))));
        trace.push(rec(40_000, ZIM, accepted(2, "bob", "carol")));
        assert_verdict(&check(&trace), Status::Vacuous, 0);
    }
}
