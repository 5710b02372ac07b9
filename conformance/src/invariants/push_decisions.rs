//! The server's push decisions, each an `always` invariant over the same facts: which push
//! was routed (`push_routed`), for which message (`message_accepted`), to the install that
//! registered the PushID (`registered`), and what each phone showed (`notification`).
//!
//! - `no-push-to-online-device`: never a push to an install where its user has a session.
//! - `no-self-push`: never a push (or a shown notification) about one's own message.
//! - `room-messages-never-pushed`: a room message is never pushed, whatever it carries.
//! - `push-requires-push-config`: a message sent without a push config is never pushed.

use super::{device_of, Invariant, Kind, Tally, Verdict};
use std::collections::{BTreeMap, BTreeSet};
use zimsim_reference::client::AppEvent;
use zimsim_reference::ids::{ConvKey, DeviceId, MessageId, UserId};
use zimsim_reference::pushid::PushId;
use zimsim_reference::server::ServerEvent;
use zimsim_sim::trace::{Event, Record};

/// A message the server accepted.
struct Accepted<'t> {
    index: usize,
    from: &'t UserId,
    conv: &'t ConvKey,
    push: bool,
}

/// A push the server routed, with what held at that moment.
struct Routed<'t> {
    index: usize,
    id: MessageId,
    user: &'t UserId,
    push_id: &'t PushId,
    /// The install that registered the PushID, if the trace shows it.
    device: Option<DeviceId>,
    /// Whether `user` had a session on that install then.
    online: bool,
}

/// A notification an install's OS received.
struct Shown<'t> {
    index: usize,
    device: DeviceId,
    id: MessageId,
    to: &'t UserId,
}

/// One walk of the trace: every accepted message, routed push and notification.
struct Facts<'t> {
    accepted: BTreeMap<MessageId, Accepted<'t>>,
    routed: Vec<Routed<'t>>,
    shown: Vec<Shown<'t>>,
}

impl<'t> Facts<'t> {
    fn of(trace: &'t [Record]) -> Facts<'t> {
        let mut facts = Facts { accepted: BTreeMap::new(), routed: Vec::new(), shown: Vec::new() };
        let mut registered_by: BTreeMap<&PushId, DeviceId> = BTreeMap::new();
        let mut sessions: BTreeSet<(&UserId, &DeviceId)> = BTreeSet::new();
        for (index, r) in trace.iter().enumerate() {
            match &r.event {
                Event::App { event: AppEvent::Registered { push_id: Some(p), .. } } => {
                    registered_by.insert(p, device_of(r));
                }
                Event::Server { event: ServerEvent::SessionOpened { user, device, .. } } => {
                    sessions.insert((user, device));
                }
                Event::Server { event: ServerEvent::SessionEnded { user, device, .. } } => {
                    sessions.remove(&(user, device));
                }
                Event::Server { event: ServerEvent::MessageAccepted { id, from, conv, push, .. } } => {
                    facts.accepted.insert(*id, Accepted { index, from, conv, push: *push });
                }
                Event::Server { event: ServerEvent::PushRouted { id, user, push_id, .. } } => {
                    let device = registered_by.get(push_id).cloned();
                    let online = device.as_ref().is_some_and(|d| sessions.contains(&(user, d)));
                    facts.routed.push(Routed { index, id: *id, user, push_id, device, online });
                }
                Event::Notification { notification, .. } => {
                    if let (Some(id), Some(to)) = (notification.message_id, &notification.to_user) {
                        facts.shown.push(Shown { index, device: device_of(r), id, to });
                    }
                }
                _ => {}
            }
        }
        facts
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct NoPushToOnlineDevice;

impl Invariant for NoPushToOnlineDevice {
    fn name(&self) -> &'static str {
        "no-push-to-online-device"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        for p in Facts::of(trace).routed {
            let Some(device) = &p.device else { continue };
            tally.check();
            if p.online {
                let detail = format!("{} for {} was pushed to {device}, where {} had a session", p.id, p.user, p.user);
                tally.violation(trace[p.index].t, detail, &[p.index]);
            }
        }
        tally.verdict(self)
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct NoSelfPush;

impl Invariant for NoSelfPush {
    fn name(&self) -> &'static str {
        "no-self-push"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        let facts = Facts::of(trace);
        for p in &facts.routed {
            let Some(m) = facts.accepted.get(&p.id) else { continue };
            tally.check();
            if m.from == p.user {
                let detail = format!("{} was pushed to its own sender {} ({})", p.id, p.user, p.push_id);
                tally.violation(trace[p.index].t, detail, &[m.index, p.index]);
            }
        }
        for s in &facts.shown {
            let Some(m) = facts.accepted.get(&s.id) else { continue };
            tally.check();
            if m.from == s.to {
                let detail = format!("{} showed {}'s own message {} as a notification", s.device, s.to, s.id);
                tally.violation(trace[s.index].t, detail, &[m.index, s.index]);
            }
        }
        tally.verdict(self)
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct RoomMessagesNeverPushed;

impl Invariant for RoomMessagesNeverPushed {
    fn name(&self) -> &'static str {
        "room-messages-never-pushed"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        let facts = Facts::of(trace);
        let is_room = |id: &MessageId| facts.accepted.get(id).is_some_and(|m| matches!(m.conv, ConvKey::Room { .. }));
        for _ in facts.accepted.values().filter(|m| matches!(m.conv, ConvKey::Room { .. })) {
            tally.check();
        }
        for p in facts.routed.iter().filter(|p| is_room(&p.id)) {
            let m = &facts.accepted[&p.id];
            let detail = format!("room message {} in {} was pushed to {} for {}", p.id, m.conv, p.push_id, p.user);
            tally.violation(trace[p.index].t, detail, &[m.index, p.index]);
        }
        for s in facts.shown.iter().filter(|s| is_room(&s.id)) {
            let m = &facts.accepted[&s.id];
            let detail = format!("{} showed room message {} in {} as a notification", s.device, s.id, m.conv);
            tally.violation(trace[s.index].t, detail, &[m.index, s.index]);
        }
        tally.verdict(self)
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct PushRequiresPushConfig;

impl Invariant for PushRequiresPushConfig {
    fn name(&self) -> &'static str {
        "push-requires-push-config"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        let facts = Facts::of(trace);
        for _ in facts.accepted.values().filter(|m| !m.push) {
            tally.check();
        }
        for p in &facts.routed {
            let Some(m) = facts.accepted.get(&p.id).filter(|m| !m.push) else { continue };
            let detail = format!("{} was sent without a push config and pushed to {} for {}", p.id, p.push_id, p.user);
            tally.violation(trace[p.index].t, detail, &[m.index, p.index]);
        }
        tally.verdict(self)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::super::{Invariant, Status};
    use super::*;
    use zimsim_reference::ids::RoomId;
    use zimsim_reference::server::SessionEnd;

    /// bob's phone registered `tok`, bob logged in there and his session timed out; alice
    /// sends him m1 with a push config, which is pushed.
    fn pushed() -> Vec<Record> {
        let p = push_id("tok");
        vec![
            rec(100, "bob-phone", registered(&p)),
            rec(500, ZIM, session_opened("bob", "bob-phone")),
            rec(600, ZIM, bound("bob", &p)),
            rec(15_000, ZIM, session_ended("bob", "bob-phone", SessionEnd::Timeout)),
            rec(20_000, ZIM, accepted(1, "alice", "bob")),
            rec(20_000, ZIM, push_routed(1, "bob", &p)),
            rec(20_200, "bob-phone", notification("bob", 1)),
        ]
    }

    fn without_push(mut event: Event) -> Event {
        if let Event::Server { event: ServerEvent::MessageAccepted { push, .. } } = &mut event {
            *push = false;
        }
        event
    }

    fn in_room(mut event: Event) -> Event {
        if let Event::Server { event: ServerEvent::MessageAccepted { conv, .. } } = &mut event {
            *conv = ConvKey::Room { id: RoomId::from("lobby") };
        }
        event
    }

    #[test]
    fn every_push_decision_holds_on_an_offline_push_with_a_config() {
        let trace = pushed();
        assert_verdict(&NoPushToOnlineDevice.check(&trace), Status::Held, 1);
        assert_verdict(&NoSelfPush.check(&trace), Status::Held, 2);
        assert_eq!(RoomMessagesNeverPushed.check(&trace).status, Status::Vacuous);
        assert_eq!(PushRequiresPushConfig.check(&trace).status, Status::Vacuous);
    }

    #[test]
    fn a_push_while_the_user_has_a_session_on_that_install_is_caught() {
        let mut trace = pushed();
        trace.remove(3); // the session never ended
        let v = NoPushToOnlineDevice.check(&trace);
        assert_mentions(&single_violation(&v).detail, &["m1 for bob", "bob-phone", "had a session"]);
    }

    #[test]
    fn a_push_or_notification_to_the_sender_is_caught() {
        let p = push_id("tok");
        let trace = vec![
            rec(100, "alice-phone", registered(&p)),
            rec(20_000, ZIM, accepted(1, "alice", "bob")),
            rec(20_000, ZIM, push_routed(1, "alice", &p)),
            rec(20_200, "alice-phone", notification("alice", 1)),
        ];
        let v = NoSelfPush.check(&trace);
        assert_eq!(v.violations.len(), 2, "{v:?}");
        assert_mentions(&v.violations[0].detail, &["m1", "its own sender alice"]);
        assert_mentions(&v.violations[1].detail, &["alice-phone", "alice's own message m1"]);
    }

    #[test]
    fn a_pushed_room_message_is_caught_and_an_unpushed_one_holds() {
        let mut trace = pushed();
        trace[4].event = in_room(trace[4].event.clone());
        let v = RoomMessagesNeverPushed.check(&trace);
        assert_eq!(v.violations.len(), 2, "the push and the notification: {v:?}");
        assert_mentions(&v.violations[0].detail, &["room message m1", "room(lobby)"]);
        trace.truncate(5);
        assert_verdict(&RoomMessagesNeverPushed.check(&trace), Status::Held, 1);
    }

    #[test]
    fn a_push_for_a_message_sent_without_a_push_config_is_caught() {
        let mut trace = pushed();
        trace[4].event = without_push(trace[4].event.clone());
        let v = PushRequiresPushConfig.check(&trace);
        assert_mentions(&single_violation(&v).detail, &["m1 was sent without a push config"]);
        trace.truncate(5);
        assert_verdict(&PushRequiresPushConfig.check(&trace), Status::Held, 1);
    }
}
