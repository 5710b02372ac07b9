//! Who a PushID and a session belong to, each an `always` invariant.
//!
//! - `pushid-single-owner`: a PushID has at most one owner at a time (a `bound` to a new
//!   user comes after the old owner's `unbound`), and a push for a user goes only to a
//!   PushID that user owns.
//! - `single-device-kickout`: the login policy's kick-out. Under the single-device policy
//!   (the trace's `started` says which) a login from another install ends the user's
//!   session there (`kicked_out`), and that install, like every other install of the user,
//!   gets none of the user's pushes until the user logs in there again. Under the
//!   multi-device policy the same holds for installs of the same platform, and no login
//!   leaves more sessions than the limit.

use super::{device_of, Invariant, Kind, Tally, Verdict};
use std::collections::BTreeMap;
use zimsim_reference::client::AppEvent;
use zimsim_reference::ids::{DeviceId, UserId};
use zimsim_reference::pushid::PushId;
use zimsim_reference::server::{LoginPolicy, ServerEvent, SessionEnd};
use zimsim_reference::wire::Platform;
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
        let mut policy = LoginPolicy::SingleDevice;
        let mut registered_by: BTreeMap<&PushId, DeviceId> = BTreeMap::new();
        let mut platform_of: BTreeMap<&DeviceId, Platform> = BTreeMap::new();
        // user -> install -> (platform, trace index) of the sessions the server holds
        let mut sessions: BTreeMap<&UserId, BTreeMap<&DeviceId, (Platform, usize)>> = BTreeMap::new();
        // PushID -> owner, and the installs each user's login replaced (with that login).
        let mut owner: BTreeMap<&PushId, &UserId> = BTreeMap::new();
        let mut replaced: BTreeMap<(&UserId, DeviceId), usize> = BTreeMap::new();
        // user -> the installs a kick-out just ended their sessions on
        let mut kicked: BTreeMap<&UserId, Vec<&DeviceId>> = BTreeMap::new();
        for (i, r) in trace.iter().enumerate() {
            match &r.event {
                Event::Server { event: ServerEvent::Started { login_policy } } => policy = *login_policy,
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
                        kicked.entry(user).or_default().push(device);
                    }
                    if let Some(held) = sessions.get_mut(user) {
                        held.remove(device);
                    }
                }
                Event::Server { event: ServerEvent::SessionOpened { user, device, platform, .. } } => {
                    platform_of.insert(device, *platform);
                    let held = sessions.entry(user).or_default();
                    let others: Vec<(&DeviceId, Platform, usize)> =
                        held.iter().filter(|(d, _)| **d != device).map(|(d, (p, at))| (*d, *p, *at)).collect();
                    let clash = others.iter().find(|(_, p, _)| !side_by_side(policy, *p, *platform));
                    if let Some((old, _, at)) = clash {
                        tally.check();
                        let detail = format!("{user} logged in on {device} while the session on {old} went on");
                        tally.violation(r.t, detail, &[*at, i]);
                    } else if let LoginPolicy::MultiDevice { max_devices } = policy {
                        if others.len() >= max_devices {
                            tally.check();
                            let detail = format!(
                                "{user} logged in on {device} beside {} other sessions (the limit is {max_devices})",
                                others.len()
                            );
                            tally.violation(r.t, detail, &[i]);
                        }
                    }
                    if kicked.get(user).is_some_and(|k| k.iter().any(|old| *old != device)) {
                        tally.check(); // the login kicked an old session out, as it must
                    }
                    // The installs this login replaces, timed-out sessions included.
                    for (p, o) in &owner {
                        if *o != user {
                            continue;
                        }
                        let Some(d) = registered_by.get(p).filter(|d| *d != device) else { continue };
                        let theirs = platform_of.get(d).copied();
                        if theirs.is_none_or(|pf| !side_by_side(policy, pf, *platform)) {
                            replaced.insert((user, d.clone()), i);
                        }
                    }
                    replaced.remove(&(user, device.clone()));
                    kicked.remove(user);
                    held.insert(device, (*platform, i));
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

/// ZIM's login policies as documented, restated here rather than borrowed from the
/// server: single-device keeps no two installs on at once, multi-device keeps one per
/// platform.
fn side_by_side(policy: LoginPolicy, a: Platform, b: Platform) -> bool {
    match policy {
        LoginPolicy::SingleDevice => false,
        LoginPolicy::MultiDevice { .. } => a != b,
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
