//! `no-cross-user-leak`: a device never surfaces or shows a message for a user other than
//! the one using it. One install serves one user: from the moment the server accepts a
//! login from an install, that user owns it, and everyone else's messages stay off it.
//!
//! Judged four ways, each from a different witness:
//! - the server's state: when it opens a session on an install, no other user still holds
//!   a binding of a PushID that install registered (and none is bound there later);
//! - the server's decisions: it never routes a push for one user to a PushID of an install
//!   another user owns at that moment;
//! - the phone: a notification for a user reaches an install another user owns only if the
//!   push was already on its way when the owner changed (pushes cannot be recalled);
//! - the app: while a user is logged in, the SDK hands it notifications and messages for
//!   that user only.

use super::{device_of, Invariant, Kind, Tally, Verdict};
use std::collections::BTreeMap;
use zimsim_reference::client::AppEvent;
use zimsim_reference::ids::{DeviceId, MessageId, UserId};
use zimsim_reference::pushid::PushId;
use zimsim_reference::server::ServerEvent;
use zimsim_sim::trace::{Event, Record};

#[derive(Clone, Copy, Debug, Default)]
pub struct NoCrossUserLeak;

/// Who owns an install since which trace index (the server accepted their login there).
#[derive(Clone, Copy)]
struct Owner<'t> {
    user: &'t UserId,
    since: usize,
}

impl Invariant for NoCrossUserLeak {
    fn name(&self) -> &'static str {
        "no-cross-user-leak"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        // Which install registered each PushID (the app's `registered` callback).
        let mut registered_by: BTreeMap<&PushId, DeviceId> = BTreeMap::new();
        let mut owner: BTreeMap<DeviceId, Owner> = BTreeMap::new();
        // PushID -> (user, index of the Bound record).
        let mut bindings: BTreeMap<&PushId, (&UserId, usize)> = BTreeMap::new();
        // (message, user, install) -> index of the last decision to push it there.
        let mut routed: BTreeMap<(MessageId, &UserId, DeviceId), usize> = BTreeMap::new();
        // message -> its sender and recipients.
        let mut parties: BTreeMap<MessageId, (&UserId, &[UserId])> = BTreeMap::new();
        // install -> the user the app last logged in as, and whether still logged in.
        let mut app_user: BTreeMap<DeviceId, (&UserId, usize, bool)> = BTreeMap::new();

        for (i, r) in trace.iter().enumerate() {
            let device = || device_of(r);
            match &r.event {
                Event::App { event: AppEvent::Registered { push_id: Some(p), .. } } => {
                    registered_by.insert(p, device());
                }
                Event::Server { event: ServerEvent::SessionOpened { user, device, .. } } => {
                    owner.insert(device.clone(), Owner { user, since: i });
                    for (p, (holder, bound_at)) in &bindings {
                        if registered_by.get(p) != Some(device) {
                            continue;
                        }
                        tally.check();
                        if *holder != user {
                            tally.violation(
                                r.t,
                                format!("{user} logged in on {device}, but {holder} is still bound to its PushID {p}"),
                                &[*bound_at, i],
                            );
                        }
                    }
                }
                Event::Server { event: ServerEvent::Bound { user, push_id } } => {
                    bindings.insert(push_id, (user, i));
                    if let Some((d, o)) = registered_by.get(push_id).and_then(|d| Some((d, owner.get(d)?))) {
                        tally.check();
                        if o.user != user {
                            tally.violation(
                                r.t,
                                format!("{user} was bound to {d}'s PushID {push_id} while {} uses {d}", o.user),
                                &[o.since, i],
                            );
                        }
                    }
                }
                Event::Server { event: ServerEvent::Unbound { push_id, user, .. } }
                    if bindings.get(push_id).is_some_and(|(holder, _)| *holder == user) =>
                {
                    bindings.remove(push_id);
                }
                Event::Server { event: ServerEvent::MessageAccepted { id, from, to, .. } } => {
                    parties.insert(*id, (from, to));
                }
                Event::Server { event: ServerEvent::PushRouted { id, user, push_id, .. } } => {
                    let Some(d) = registered_by.get(push_id) else { continue };
                    routed.insert((*id, user, d.clone()), i);
                    let Some(o) = owner.get(d) else { continue };
                    tally.check();
                    if o.user != user {
                        tally.violation(
                            r.t,
                            format!("{id} for {user} was pushed to {d}, which {} uses", o.user),
                            &[o.since, i],
                        );
                    }
                }
                Event::Notification { notification, .. } => {
                    let (Some(to), Some(m)) = (&notification.to_user, notification.message_id) else { continue };
                    let d = device();
                    let Some(o) = owner.get(&d) else { continue };
                    tally.check();
                    let on_its_way = routed.get(&(m, to, d.clone())).is_some_and(|&at| at < o.since);
                    if o.user != to && !on_its_way {
                        tally.violation(r.t, format!("{d} showed {m} for {to}, but {} uses it", o.user), &[o.since, i]);
                    }
                }
                Event::App { event: AppEvent::LoggedIn { user } } => {
                    app_user.insert(device(), (user, i, true));
                }
                Event::App { event: AppEvent::LoggedOut { .. } } | Event::AppKilled | Event::AppUninstalled => {
                    if let Some(entry) = app_user.get_mut(&device()) {
                        entry.2 = false;
                    }
                }
                Event::App { event: AppEvent::NotificationArrived { notification } } => {
                    // Judged while a user is logged in; otherwise the phone's witness applies.
                    let (Some(to), Some(&(user, since, true))) = (&notification.to_user, app_user.get(&device()))
                    else {
                        continue;
                    };
                    tally.check();
                    if to != user {
                        let d = device();
                        tally.violation(
                            r.t,
                            format!("{d}'s app, logged in as {user}, was handed a notification for {to}"),
                            &[since, i],
                        );
                    }
                }
                Event::App { event: AppEvent::MessageReceived { user, message, .. } } => {
                    tally.check();
                    let d = device();
                    let party = parties.get(&message.id).is_none_or(|(from, to)| *from == user || to.contains(user));
                    match app_user.get(&d) {
                        Some(&(current, _, true)) if current == user && party => {}
                        Some(&(current, since, logged_in)) => {
                            let state = if logged_in { "logged in" } else { "last logged in" };
                            tally.violation(
                                r.t,
                                format!("{d}'s app, {state} as {current}, surfaced {} for {user}", message.id),
                                &[since, i],
                            );
                        }
                        None => tally.violation(
                            r.t,
                            format!("{d}'s app surfaced {} for {user} with nobody logged in", message.id),
                            &[i],
                        ),
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
    use super::super::{Invariant, Status, Verdict};
    use super::NoCrossUserLeak;
    use zimsim_reference::client::Via;
    use zimsim_sim::trace::Record;

    const PHONE: &str = "shared-phone";

    fn check(trace: &[Record]) -> Verdict {
        NoCrossUserLeak.check(trace)
    }

    /// alice registers `tok` on the phone and the server binds it to her (0..=3).
    fn alice_on_the_phone() -> Vec<Record> {
        let p = push_id("tok");
        vec![
            rec(100, PHONE, registered(&p)),
            rec(1_000, ZIM, session_opened("alice", PHONE)),
            rec(1_000, ZIM, bound("alice", &p)),
            rec(1_005, PHONE, logged_in("alice")),
        ]
    }

    #[test]
    fn is_vacuous_when_no_install_is_ever_used() {
        assert_verdict(&check(&[rec(1, ZIM, accepted(1, "bob", "alice"))]), Status::Vacuous, 0);
    }

    #[test]
    fn holds_when_pushes_and_messages_reach_the_install_of_their_user() {
        let mut trace = alice_on_the_phone();
        trace.push(rec(2_000, ZIM, accepted(1, "bob", "alice")));
        trace.push(rec(2_000, ZIM, push_routed(1, "alice", &push_id("tok"))));
        trace.push(rec(2_020, PHONE, notification("alice", 1)));
        trace.push(rec(3_000, PHONE, received("alice", 1, "bob", Via::Sync)));

        // Bound while alice owns it, routed, shown, surfaced: four checks.
        assert_verdict(&check(&trace), Status::Held, 4);
    }

    #[test]
    fn is_violated_when_another_user_logs_in_and_the_old_binding_stays() {
        let mut trace = alice_on_the_phone();
        trace.push(rec(5_000, ZIM, session_opened("carol", PHONE)));

        let v = check(&trace);
        let violation = single_violation(&v);
        assert_mentions(&violation.detail, &["carol", "alice", PHONE]);
        assert_eq!(violation.excerpt, excerpt(&trace, &[2, 4]));
    }

    #[test]
    fn holds_when_the_binding_goes_before_the_new_user_is_let_in() {
        let mut trace = alice_on_the_phone();
        trace.push(rec(5_000, ZIM, unbound("alice", &push_id("tok"))));
        trace.push(rec(5_000, ZIM, session_opened("carol", PHONE)));
        let v = check(&trace);
        assert_eq!(v.status, Status::Held, "{v:#?}");
    }

    #[test]
    fn is_violated_by_a_push_for_the_previous_user_routed_after_the_switch_and_shown() {
        let mut trace = alice_on_the_phone();
        trace.push(rec(5_000, ZIM, session_opened("carol", PHONE)));
        trace.push(rec(6_000, ZIM, accepted(7, "bob", "alice")));
        trace.push(rec(6_000, ZIM, push_routed(7, "alice", &push_id("tok"))));
        trace.push(rec(6_030, PHONE, notification("alice", 7)));

        let v = check(&trace);
        assert_eq!(v.status, Status::Violated);
        let details: Vec<&str> = v.violations.iter().map(|x| x.detail.as_str()).collect();
        assert!(details.iter().any(|d| d.contains("m7 for alice was pushed to shared-phone")), "{details:?}");
        assert!(
            details.iter().any(|d| d.contains("shared-phone showed m7 for alice, but carol uses it")),
            "{details:?}"
        );
    }

    #[test]
    fn excuses_a_push_already_on_its_way_when_the_user_switched() {
        let p = push_id("tok");
        let mut trace = alice_on_the_phone();
        trace.push(rec(4_990, ZIM, accepted(7, "bob", "alice")));
        trace.push(rec(4_990, ZIM, push_routed(7, "alice", &p)));
        trace.push(rec(5_000, ZIM, unbound("alice", &p)));
        trace.push(rec(5_000, ZIM, session_opened("carol", PHONE)));
        trace.push(rec(5_010, PHONE, notification("alice", 7)));

        let v = check(&trace);
        assert_eq!(v.status, Status::Held, "{v:#?}");
    }

    #[test]
    fn is_violated_by_a_notification_that_no_push_to_this_install_explains() {
        let mut trace = alice_on_the_phone();
        trace.push(rec(6_030, PHONE, notification("dave", 7)));

        let v = check(&trace);
        assert_mentions(&single_violation(&v).detail, &["showed m7 for dave", "alice uses it"]);
    }

    #[test]
    fn is_violated_when_the_app_is_handed_a_notification_for_another_user() {
        let mut trace = alice_on_the_phone();
        trace.push(rec(6_030, PHONE, notification_arrived("bob", 7)));

        let v = check(&trace);
        assert_mentions(&single_violation(&v).detail, &["logged in as alice", "notification for bob"]);
    }

    #[test]
    fn is_violated_when_the_app_surfaces_a_message_for_someone_else_or_not_addressed_to_its_user() {
        let mut trace = alice_on_the_phone();
        trace.push(rec(6_000, ZIM, accepted(7, "bob", "dave")));
        trace.push(rec(6_010, PHONE, received("alice", 7, "bob", Via::Online)));
        trace.push(rec(6_020, PHONE, received("dave", 8, "bob", Via::Online)));

        let v = check(&trace);
        assert_eq!(v.violations.len(), 2, "{v:#?}");
        assert_mentions(&v.violations[0].detail, &["surfaced m7 for alice"]);
        assert_mentions(&v.violations[1].detail, &["logged in as alice", "surfaced m8 for dave"]);
    }
}
