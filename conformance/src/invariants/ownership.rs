//! Who a PushID and a session belong to, each an `always` invariant.
//!
//! - `pushid-single-owner`: a PushID has at most one owner at a time (a `bound` to a new
//!   user comes after the old owner's `unbound`), and a push for a user goes only to a
//!   PushID that user owns.
//! - `single-device-kickout`: under the single-device policy a login from another install
//!   ends the user's session there (`kicked_out`), and that install, like every other
//!   install of the user, gets none of the user's pushes until the user logs in there again.

use super::{device_of, Invariant, Kind, Tally, Verdict};
use std::collections::BTreeMap;
use zimsim_reference::client::AppEvent;
use zimsim_reference::ids::{DeviceId, UserId};
use zimsim_reference::pushid::PushId;
use zimsim_reference::server::{ServerEvent, SessionEnd};
use zimsim_sim::trace::{Event, Record};

#[derive(Clone, Copy, Debug, Default)]
pub struct PushIdSingleOwner;

impl Invariant for PushIdSingleOwner {
    fn name(&self) -> &'static str {
        "pushid-single-owner"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        // PushID -> (owner, trace index of the binding)
        let mut owner: BTreeMap<&PushId, (&UserId, usize)> = BTreeMap::new();
        for (i, r) in trace.iter().enumerate() {
            let Event::Server { event } = &r.event else { continue };
            match event {
                ServerEvent::Bound { user, push_id } => {
                    tally.check();
                    if let Some((old, at)) = owner.get(push_id).filter(|(old, _)| *old != user) {
                        let detail = format!("{push_id} was bound to {user} while {old} still owned it");
                        tally.violation(r.t, detail, &[*at, i]);
                    }
                    owner.insert(push_id, (user, i));
                }
                ServerEvent::Unbound { user, push_id, .. } if owner.get(push_id).is_some_and(|(o, _)| *o == user) => {
                    owner.remove(push_id);
                }
                ServerEvent::PushRouted { id, user, push_id, .. } => {
                    tally.check();
                    match owner.get(push_id) {
                        Some((o, _)) if *o == user => {}
                        Some((o, at)) => {
                            let detail = format!("{id} for {user} was pushed to {push_id}, which {o} owns");
                            tally.violation(r.t, detail, &[*at, i]);
                        }
                        None => {
                            let detail = format!("{id} for {user} was pushed to {push_id}, which nobody owns");
                            tally.violation(r.t, detail, &[i]);
                        }
                    }
                }
                _ => {}
            }
        }
        tally.verdict(self)
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct SingleDeviceKickout;

impl Invariant for SingleDeviceKickout {
    fn name(&self) -> &'static str {
        "single-device-kickout"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        let mut registered_by: BTreeMap<&PushId, DeviceId> = BTreeMap::new();
        // user -> (install, trace index) of the session the server holds
        let mut session: BTreeMap<&UserId, (&DeviceId, usize)> = BTreeMap::new();
        // PushID -> owner, and the installs each user's login replaced (with that login).
        let mut owner: BTreeMap<&PushId, &UserId> = BTreeMap::new();
        let mut replaced: BTreeMap<(&UserId, DeviceId), usize> = BTreeMap::new();
        // user -> the install a kick-out just ended their session on
        let mut kicked: BTreeMap<&UserId, &DeviceId> = BTreeMap::new();
        for (i, r) in trace.iter().enumerate() {
            match &r.event {
                Event::App { event: AppEvent::Registered { push_id: Some(p), .. } } => {
                    registered_by.insert(p, device_of(r));
                }
                Event::Server { event: ServerEvent::Bound { user, push_id } } => {
                    owner.insert(push_id, user);
                    if let Some(d) = registered_by.get(push_id) {
                        replaced.remove(&(user, d.clone())); // bound again from there: it is theirs
                    }
                }
                Event::Server { event: ServerEvent::Unbound { push_id, .. } } => {
                    owner.remove(push_id);
                }
                Event::Server { event: ServerEvent::SessionEnded { user, device, reason } } => {
                    if *reason == SessionEnd::KickedOut {
                        kicked.insert(user, device);
                    }
                    if session.get(user).is_some_and(|(d, _)| *d == device) {
                        session.remove(user);
                    }
                }
                Event::Server { event: ServerEvent::SessionOpened { user, device, .. } } => {
                    if let Some((old, at)) = session.get(user).filter(|(old, _)| *old != device) {
                        tally.check();
                        let detail = format!("{user} logged in on {device} while the session on {old} went on");
                        tally.violation(r.t, detail, &[*at, i]);
                    } else if kicked.get(user).is_some_and(|old| *old != device) {
                        tally.check(); // the login kicked the old session out, as it must
                    }
                    // Every other install of the user is replaced, timed-out sessions included.
                    for (p, o) in &owner {
                        if *o == user {
                            if let Some(d) = registered_by.get(p).filter(|d| *d != device) {
                                replaced.insert((user, d.clone()), i);
                            }
                        }
                    }
                    replaced.remove(&(user, device.clone()));
                    kicked.remove(user);
                    session.insert(user, (device, i));
                }
                Event::Server { event: ServerEvent::PushRouted { id, user, push_id, .. } } => {
                    let Some(device) = registered_by.get(push_id) else { continue };
                    if let Some(&login) = replaced.get(&(user, device.clone())) {
                        tally.check();
                        let detail =
                            format!("{id} for {user} was pushed to {device}, which {user}'s login elsewhere replaced");
                        tally.violation(r.t, detail, &[login, i]);
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

    #[test]
    fn a_pushid_moves_to_a_new_owner_only_after_the_old_one_lost_it() {
        let p = push_id("tok");
        let mut trace = vec![
            rec(100, ZIM, bound("alice", &p)),
            rec(200, ZIM, unbound("alice", &p)),
            rec(200, ZIM, bound("carol", &p)),
            rec(300, ZIM, push_routed(1, "carol", &p)),
        ];
        assert_verdict(&PushIdSingleOwner.check(&trace), Status::Held, 3);
        trace.remove(1);
        let v = PushIdSingleOwner.check(&trace);
        assert_mentions(&single_violation(&v).detail, &["bound to carol while alice still owned it"]);
    }

    #[test]
    fn a_push_for_a_user_to_a_pushid_another_user_owns_is_caught() {
        let p = push_id("tok");
        let trace = vec![
            rec(100, ZIM, bound("alice", &p)),
            rec(200, ZIM, unbound("alice", &p)),
            rec(200, ZIM, bound("carol", &p)),
            rec(300, ZIM, push_routed(1, "alice", &p)),
        ];
        let v = PushIdSingleOwner.check(&trace);
        assert_mentions(&single_violation(&v).detail, &["m1 for alice", "which carol owns"]);
    }

    /// bob is logged in on his phone (PushID `tok`), then logs in on his tablet.
    fn moved_to_the_tablet() -> Vec<Record> {
        let p = push_id("tok");
        vec![
            rec(100, "bob-phone", registered(&p)),
            rec(500, ZIM, session_opened("bob", "bob-phone")),
            rec(500, ZIM, bound("bob", &p)),
            rec(9_000, ZIM, unbound("bob", &p)),
            rec(9_000, ZIM, session_ended("bob", "bob-phone", SessionEnd::KickedOut)),
            rec(9_000, ZIM, session_opened("bob", "bob-tablet")),
        ]
    }

    #[test]
    fn a_login_elsewhere_that_kicks_the_old_session_out_holds() {
        assert_verdict(&SingleDeviceKickout.check(&moved_to_the_tablet()), Status::Held, 1);
    }

    #[test]
    fn a_login_elsewhere_that_leaves_the_old_session_on_is_caught() {
        let mut trace = moved_to_the_tablet();
        trace.remove(4);
        let v = SingleDeviceKickout.check(&trace);
        assert_mentions(
            &single_violation(&v).detail,
            &["logged in on bob-tablet while the session on bob-phone went on"],
        );
    }

    #[test]
    fn a_push_to_the_replaced_install_is_caught_until_the_user_returns_there() {
        let p = push_id("tok");
        let mut trace = moved_to_the_tablet();
        trace.remove(3); // the phone's PushID stayed bound
        trace.push(rec(10_000, ZIM, session_ended("bob", "bob-tablet", SessionEnd::Timeout)));
        trace.push(rec(20_000, ZIM, push_routed(1, "bob", &p)));
        let v = SingleDeviceKickout.check(&trace);
        assert_mentions(
            &single_violation(&v).detail,
            &["m1 for bob", "pushed to bob-phone", "login elsewhere replaced"],
        );
        // Back on the phone: pushes there are his again.
        trace.insert(trace.len() - 1, rec(15_000, ZIM, session_opened("bob", "bob-phone")));
        trace.insert(trace.len() - 1, rec(16_000, ZIM, session_ended("bob", "bob-phone", SessionEnd::Timeout)));
        assert_eq!(SingleDeviceKickout.check(&trace).status, Status::Held);
    }
}
