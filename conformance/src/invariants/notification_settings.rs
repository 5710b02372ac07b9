//! What users set about their notifications, each an `always` invariant.
//!
//! - `dnd-suppresses-push`: no push for a conversation its recipient set to do-not-disturb
//!   (`notification_status_set`), until they set it back to notify.
//! - `badge-arithmetic`: an install's badge is what it last reported (`badge_set`, 0 at
//!   first) plus the increments of the badge-enabled pushes routed to it since; a push
//!   without a badge leaves it alone; and the phone's notification shows the badge the
//!   server computed, where the vendor's request carries one (APNs `aps.badge`, FCM
//!   `notification_count`, HMS `badge.set_num`, Xiaomi `extra.badge`; OPPO's and vivo's
//!   send APIs have no badge, so their notifications show none).

use super::{device_of, Invariant, Kind, Tally, Verdict};
use std::collections::{BTreeMap, BTreeSet};
use zimsim_reference::ids::{ConvKey, DeviceId, MessageId, UserId};
use zimsim_reference::pushid::{PushId, Vendor};
use zimsim_reference::server::ServerEvent;
use zimsim_reference::wire::NotificationStatus;
use zimsim_sim::trace::{Event, Record};

#[derive(Clone, Copy, Debug, Default)]
pub struct DndSuppressesPush;

impl Invariant for DndSuppressesPush {
    fn name(&self) -> &'static str {
        "dnd-suppresses-push"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        let mut conv_of: BTreeMap<MessageId, &ConvKey> = BTreeMap::new();
        // (user, conversation) -> the trace index where it was muted
        let mut muted: BTreeMap<(&UserId, &ConvKey), usize> = BTreeMap::new();
        for (i, r) in trace.iter().enumerate() {
            let Event::Server { event } = &r.event else { continue };
            match event {
                ServerEvent::MessageAccepted { id, conv, .. } => {
                    conv_of.insert(*id, conv);
                }
                ServerEvent::NotificationStatusSet { user, conv, status } => match status {
                    NotificationStatus::DoNotDisturb => {
                        muted.insert((user, conv), i);
                    }
                    NotificationStatus::Notify => {
                        muted.remove(&(user, conv));
                    }
                },
                ServerEvent::PushRouted { id, user, push_id, .. } => {
                    let Some(conv) = conv_of.get(id) else { continue };
                    if muted.keys().any(|(u, _)| *u == user) {
                        tally.check(); // a user with a muted conversation was pushed
                    }
                    if let Some(&at) = muted.get(&(user, *conv)) {
                        let detail = format!("{id} in {conv} was pushed to {user} ({push_id}), who muted {conv}");
                        tally.violation(r.t, detail, &[at, i]);
                    }
                }
                _ => {}
            }
        }
        tally.verdict(self)
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct BadgeArithmetic;

impl Invariant for BadgeArithmetic {
    fn name(&self) -> &'static str {
        "badge-arithmetic"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        let mut increment: BTreeMap<MessageId, Option<u32>> = BTreeMap::new();
        let mut badge: BTreeMap<&PushId, (u64, usize)> = BTreeMap::new();
        // (PushID, message) -> (badge the server routed, index); and who registered each.
        let mut routed: BTreeMap<(&PushId, MessageId), (Option<u32>, usize)> = BTreeMap::new();
        let mut registered_by: BTreeMap<DeviceId, BTreeSet<&PushId>> = BTreeMap::new();
        for (i, r) in trace.iter().enumerate() {
            match &r.event {
                Event::App { event: zimsim_reference::client::AppEvent::Registered { push_id: Some(p), .. } } => {
                    registered_by.entry(device_of(r)).or_default().insert(p);
                }
                Event::Server { event: ServerEvent::MessageAccepted { id, badge_increment, .. } } => {
                    increment.insert(*id, *badge_increment);
                }
                Event::Server { event: ServerEvent::BadgeSet { push_id, badge: b, .. } } => {
                    badge.insert(push_id, (u64::from(*b), i));
                }
                Event::Server { event: ServerEvent::PushRouted { id, push_id, badge: got, .. } } => {
                    let Some(inc) = increment.get(id).copied() else { continue };
                    tally.check();
                    routed.insert((push_id, *id), (*got, i));
                    let (before, at) = badge.get(push_id).copied().unwrap_or((0, i));
                    let expected = inc.map(|inc| before + u64::from(inc));
                    if got.map(u64::from) != expected {
                        let detail = format!(
                            "{id} to {push_id} carried badge {got:?} where {before} plus its increment {inc:?} makes {expected:?}"
                        );
                        tally.violation(r.t, detail, &[at, i]);
                    }
                    if let Some(e) = expected {
                        badge.insert(push_id, (e, i));
                    }
                }
                Event::Notification { notification, vendor, .. } => {
                    let Some(m) = notification.message_id else { continue };
                    if matches!(vendor, Vendor::Oppo | Vendor::Vivo) {
                        continue; // no badge field to carry it (restated from docs/vendors.md)
                    }
                    let device = device_of(r);
                    let mine = registered_by.get(&device).into_iter().flatten();
                    let Some(&(sent, at)) = mine.filter_map(|p| routed.get(&(*p, m))).next() else { continue };
                    tally.check();
                    if notification.badge != sent {
                        let detail = format!(
                            "{device} showed {m} with badge {:?}; the server sent {sent:?}",
                            notification.badge
                        );
                        tally.violation(r.t, detail, &[at, i]);
                    }
                }
                _ => {}
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
    use zimsim_reference::client::Notification;

    fn routed(id: u64, user: &str, p: &PushId, badge: Option<u32>) -> Event {
        Event::Server {
            event: ServerEvent::PushRouted {
                id: MessageId(id),
                user: user.into(),
                push_id: p.clone(),
                badge,
                resources_id: String::new(),
            },
        }
    }

    fn accepted_with_badge(id: u64, increment: Option<u32>) -> Event {
        let mut e = accepted(id, "alice", "bob");
        if let Event::Server { event: ServerEvent::MessageAccepted { badge_increment, .. } } = &mut e {
            *badge_increment = increment;
        }
        e
    }

    fn status(user: &str, status: NotificationStatus) -> Event {
        let conv = ConvKey::peer(&"alice".into(), &"bob".into());
        Event::Server { event: ServerEvent::NotificationStatusSet { user: user.into(), conv, status } }
    }

    fn shown(id: u64, badge: Option<u32>) -> Event {
        let mut e = notification("bob", id);
        if let Event::Notification { notification: Notification { badge: b, .. }, .. } = &mut e {
            *b = badge;
        }
        e
    }

    #[test]
    fn a_push_for_a_muted_conversation_is_caught_and_one_after_unmuting_holds() {
        let p = push_id("tok");
        let mut trace = vec![
            rec(100, ZIM, status("bob", NotificationStatus::DoNotDisturb)),
            rec(200, ZIM, accepted(1, "alice", "bob")),
            rec(200, ZIM, routed(1, "bob", &p, None)),
        ];
        let v = DndSuppressesPush.check(&trace);
        assert_mentions(&single_violation(&v).detail, &["m1", "pushed to bob", "who muted"]);
        trace.insert(1, rec(150, ZIM, status("bob", NotificationStatus::Notify)));
        assert_eq!(DndSuppressesPush.check(&trace).status, Status::Vacuous, "no mute in force: nothing to judge");
    }

    #[test]
    fn badges_add_up_from_the_last_report_and_pushes_without_one_leave_them() {
        let p = push_id("tok");
        let badge_set =
            |b| Event::Server { event: ServerEvent::BadgeSet { user: "bob".into(), push_id: p.clone(), badge: b } };
        let trace = vec![
            rec(50, "bob-phone", registered(&p)),
            rec(100, ZIM, badge_set(3)),
            rec(200, ZIM, accepted_with_badge(1, Some(2))),
            rec(200, ZIM, routed(1, "bob", &p, Some(5))),
            rec(250, "bob-phone", shown(1, Some(5))),
            rec(300, ZIM, accepted_with_badge(2, None)),
            rec(300, ZIM, routed(2, "bob", &p, None)),
            rec(400, ZIM, accepted_with_badge(3, Some(1))),
            rec(400, ZIM, routed(3, "bob", &p, Some(6))),
        ];
        assert_verdict(&BadgeArithmetic.check(&trace), Status::Held, 4);
        let mut wrong = trace.clone();
        wrong[8] = rec(400, ZIM, routed(3, "bob", &p, Some(1)));
        let v = BadgeArithmetic.check(&wrong);
        assert_mentions(
            &single_violation(&v).detail,
            &["m3", "badge Some(1)", "5 plus its increment Some(1) makes Some(6)"],
        );
        let mut shown_wrong = trace;
        shown_wrong[4] = rec(250, "bob-phone", shown(1, None));
        let v = BadgeArithmetic.check(&shown_wrong);
        assert_mentions(
            &single_violation(&v).detail,
            &["bob-phone showed m1 with badge None; the server sent Some(5)"],
        );
        // OPPO's and vivo's send APIs carry no badge: their notifications show none.
        for vendor in [Vendor::Oppo, Vendor::Vivo] {
            let mut no_field = shown_wrong.clone();
            if let Event::Notification { vendor: v, .. } = &mut no_field[4].event {
                *v = vendor;
            }
            assert_eq!(BadgeArithmetic.check(&no_field).status, Status::Held, "{vendor:?}");
        }
    }
}
