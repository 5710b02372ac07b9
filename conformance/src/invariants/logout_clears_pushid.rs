//! `logout-clears-pushid`: once the app has called logout and the SDK could reach the
//! server, the server holds no binding of that user to a PushID the device registered, and
//! no notification for a message accepted after that reaches the device for that user,
//! until the server binds that user there again.
//!
//! "Could reach the server" is judged from the trace, at the first of:
//! - the app's `logged_out`, or the server ending the user's session on that install for a
//!   logout, a kick-out or a user switch;
//! - the server accepting a session from that install after the logout step and then
//!   receiving anything but the logout first (heartbeats and acks aside): the SDK reached
//!   the server and did something else;
//! - [`LAUNCH_GRACE_MS`] into an app launch that followed the logout step while the logout
//!   was still unfinished (the app died before the logout left): the SDK's durable data
//!   should have let it finish by then. Only time in which the device could reach the
//!   server counts (see [`Outages`]).
//!
//! A logout that has not reached the server is dropped when the running app logs the same
//! user in again (it wants that user bound; quick login / logout / login lands here).
//!
//! A window closes when the server accepts a login of that user from that install (whether
//! or not the app saw the answer), binds that user to one of its PushIDs, or the app logs in.

use super::{device_of, Invariant, Kind, Outages, Tally, Verdict};
use std::collections::{BTreeMap, BTreeSet};
use zimsim_reference::client::{AppCall, AppEvent, ConnectionEvent, ConnectionState};
use zimsim_reference::ids::{ConnId, DeviceId, MessageId, UserId};
use zimsim_reference::pushid::PushId;
use zimsim_reference::server::{ServerEvent, SessionEnd};
use zimsim_reference::wire::ClientFrame;
use zimsim_reference::Millis;
use zimsim_sim::scenario::Action;
use zimsim_sim::trace::{Event, Record};

/// How long a relaunched app may take to finish a logout its last run left pending.
pub const LAUNCH_GRACE_MS: u64 = 10_000;

#[derive(Clone, Copy, Debug, Default)]
pub struct LogoutClearsPushId;

/// A (device, user) logged out at trace index `ack` and not logged in again before `until`.
struct Window {
    device: DeviceId,
    user: UserId,
    ack: usize,
    until: Option<usize>,
}

/// A logout the app asked for (at trace index `step`) that has not reached the server yet.
struct Pending {
    step: usize,
    /// The end of the grace of an app launch that came after the step.
    deadline: Option<Millis>,
}

/// Walks the trace, keeping what the checks need to know at each point.
struct Walk<'t> {
    trace: &'t [Record],
    tally: Tally<'t>,
    bindings: BTreeMap<&'t PushId, (&'t UserId, usize)>,
    registered: BTreeMap<DeviceId, BTreeSet<&'t PushId>>,
    windows: Vec<Window>,
    pending: BTreeMap<(DeviceId, UserId), Pending>,
    /// Sessions opened while a logout of their user on their install was pending: the
    /// first thing on them must be that logout.
    must_log_out: BTreeMap<ConnId, (DeviceId, UserId)>,
    /// Per running app, the users it asked to log in during this launch whose login has
    /// not ended (failed or logged out): whom a logout step applies to.
    logins: BTreeMap<DeviceId, BTreeSet<UserId>>,
}

impl<'t> Walk<'t> {
    /// The logout of `user` on `device` has reached the server (or should have): from
    /// trace index `at`, check the bindings and watch for notifications.
    fn open(&mut self, device: &DeviceId, user: &UserId, at: usize, why: Option<String>) {
        self.pending.remove(&(device.clone(), user.clone()));
        let t = self.trace[at].t;
        if let Some(why) = why {
            self.tally.check();
            self.tally.violation(t, why, &[at]);
        }
        if self.windows.iter().any(|w| w.device == *device && w.user == *user && w.until.is_none()) {
            return;
        }
        for p in self.registered.get(device).into_iter().flatten() {
            self.tally.check();
            if let Some((owner, bound_at)) = self.bindings.get(p).filter(|(owner, _)| *owner == user) {
                self.tally.violation(
                    t,
                    format!("logout of {user} on {device} is done, but {owner} is still bound to {p}"),
                    &[*bound_at, at],
                );
            }
        }
        self.windows.push(Window { device: device.clone(), user: user.clone(), ack: at, until: None });
    }

    /// `user` is bound on `device` again: open windows there close.
    fn close(&mut self, device: &DeviceId, user: &UserId, at: usize) {
        for w in self.windows.iter_mut().filter(|w| w.device == *device && w.user == *user) {
            w.until.get_or_insert(at);
        }
    }

    /// Opens the window of every pending logout whose launch grace ran out before `at`.
    fn expire(&mut self, at: usize) {
        let t = self.trace[at].t;
        let due: Vec<(DeviceId, UserId)> =
            self.pending.iter().filter(|(_, p)| p.deadline.is_some_and(|d| t >= d)).map(|(k, _)| k.clone()).collect();
        for (device, user) in due {
            let step = self.pending[&(device.clone(), user.clone())].step;
            self.tally.check();
            self.tally.violation(
                t,
                format!(
                    "logout of {user} on {device} was still unfinished {LAUNCH_GRACE_MS} ms (of reach to the server) after the app relaunched"
                ),
                &[step, at],
            );
            self.open(&device, &user, at, None);
        }
    }
}

impl Invariant for LogoutClearsPushId {
    fn name(&self) -> &'static str {
        "logout-clears-pushid"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut w = Walk {
            trace,
            tally: Tally::new(trace),
            bindings: BTreeMap::new(),
            registered: BTreeMap::new(),
            windows: Vec::new(),
            pending: BTreeMap::new(),
            must_log_out: BTreeMap::new(),
            logins: BTreeMap::new(),
        };
        let mut accepted: BTreeMap<MessageId, usize> = BTreeMap::new();
        let outages = Outages::of(trace);
        let mut notifications = Vec::new();

        for (i, r) in trace.iter().enumerate() {
            w.expire(i);
            let device = || device_of(r);
            match &r.event {
                Event::Server { event: ServerEvent::Bound { user, push_id } } => {
                    w.bindings.insert(push_id, (user, i));
                    let mine = w.registered.iter().find(|(_, ps)| ps.contains(push_id)).map(|(d, _)| d.clone());
                    if let Some(d) = mine {
                        w.close(&d, user, i);
                    }
                }
                Event::Server { event: ServerEvent::Unbound { user, push_id, .. } }
                    if w.bindings.get(push_id).is_some_and(|(owner, _)| *owner == user) =>
                {
                    w.bindings.remove(push_id);
                }
                Event::Server { event: ServerEvent::MessageAccepted { id, .. } } => {
                    accepted.insert(*id, i);
                }
                Event::Server { event: ServerEvent::SessionOpened { user, device, conn } } => {
                    w.close(device, user, i);
                    let theirs: Vec<UserId> =
                        w.pending.keys().filter(|(d, u)| d == device && u != user).map(|(_, u)| u.clone()).collect();
                    // Another user on the install: whatever the SDK did, the old binding must
                    // be gone now.
                    for other in theirs {
                        w.open(device, &other, i, None);
                    }
                    // Judged only while the app runs: a login a killed app left in flight (a
                    // slow link) is no choice of the SDK's; its next launch must log out.
                    if w.pending.contains_key(&(device.clone(), user.clone())) && w.logins.contains_key(device) {
                        w.must_log_out.insert(*conn, (device.clone(), user.clone()));
                    }
                }
                Event::Server { event: ServerEvent::SessionEnded { user, device, reason } } => match reason {
                    SessionEnd::Logout | SessionEnd::KickedOut | SessionEnd::UserSwitch => {
                        w.must_log_out.retain(|_, (d, u)| !(d == device && u == user));
                        if w.pending.contains_key(&(device.clone(), user.clone())) || *reason == SessionEnd::Logout {
                            w.open(device, user, i, None);
                        }
                    }
                    SessionEnd::Timeout
                    | SessionEnd::Resumed
                    | SessionEnd::ServerRestart
                    | SessionEnd::TokenExpired => {}
                },
                Event::FrameIn { conn, frame } => {
                    if matches!(frame, ClientFrame::Heartbeat | ClientFrame::Ack { .. } | ClientFrame::Logout { .. }) {
                        continue;
                    }
                    if let Some((device, user)) = w.must_log_out.remove(conn) {
                        let why = format!(
                            "the SDK reached the server as {user} from {device} with a logout pending, and sent {} before it",
                            frame_name(frame)
                        );
                        w.open(&device, &user, i, Some(why));
                    }
                }
                // Steps reach only a running app (`logins` has an entry while it runs).
                Event::Step { action: Action::App(AppCall::Login { user, .. }) } => {
                    if let Some(users) = w.logins.get_mut(&device()) {
                        users.insert(user.clone());
                        // The app logs the same user in again before its logout reached the
                        // server: it wants that user bound, so the logout has nothing to clear.
                        w.pending.remove(&(device(), user.clone()));
                    }
                }
                Event::Step { action: Action::LOGOUT } => {
                    for user in w.logins.get_mut(&device()).map(std::mem::take).unwrap_or_default() {
                        w.pending.entry((device(), user)).or_insert(Pending { step: i, deadline: None });
                    }
                }
                Event::App { event: AppEvent::LoginFailed { user, .. } | AppEvent::LogoutFailed { user, .. } } => {
                    if let Some(users) = w.logins.get_mut(&device()) {
                        users.remove(user);
                    }
                    if matches!(r.event, Event::App { event: AppEvent::LogoutFailed { .. } }) {
                        // The server refused the session the logout needed, and the app was told.
                        w.pending.remove(&(device(), user.clone()));
                    }
                }
                Event::AppLaunched => {
                    let d = device();
                    w.logins.insert(d.clone(), BTreeSet::new());
                    let deadline = outages.deadline(&d, r.t, LAUNCH_GRACE_MS);
                    for ((pd, _), p) in w.pending.iter_mut() {
                        if *pd == d {
                            p.deadline = deadline;
                        }
                    }
                }
                Event::AppKilled => {
                    let d = device();
                    w.logins.remove(&d);
                    for ((pd, _), p) in w.pending.iter_mut() {
                        if *pd == d {
                            p.deadline = None;
                        }
                    }
                }
                Event::App { event: AppEvent::Registered { push_id: Some(p), .. } } => {
                    w.registered.entry(device()).or_default().insert(p);
                }
                Event::App { event: AppEvent::LoggedIn { user } } => {
                    w.close(&device(), user, i);
                }
                // A kick-out ends every login of the app: nothing is left to log out.
                Event::App {
                    event:
                        AppEvent::ConnectionStateChanged {
                            state: ConnectionState::Disconnected,
                            cause: ConnectionEvent::KickedOut,
                        },
                } => {
                    if let Some(users) = w.logins.get_mut(&device()) {
                        users.clear();
                    }
                }
                Event::App { event: AppEvent::LoggedOut { user } } => {
                    if let Some(users) = w.logins.get_mut(&device()) {
                        users.remove(user);
                    }
                    w.open(&device(), user, i, None);
                }
                Event::Notification { .. } => notifications.push((i, r)),
                _ => {}
            }
        }

        // A notification breaks the rule if its message was accepted inside a logout window
        // of the same device and user.
        let mut tally = w.tally;
        for (i, r) in notifications {
            let Event::Notification { notification, .. } = &r.event else { continue };
            let (Some(user), Some(m)) = (&notification.to_user, notification.message_id) else { continue };
            let device = device_of(r);
            let Some(&accepted_at) = accepted.get(&m) else { continue };
            for w in w.windows.iter().filter(|w| w.device == device && &w.user == user) {
                tally.check();
                if accepted_at >= w.ack && w.until.is_none_or(|u| accepted_at < u) {
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

/// A client frame's type as the wire names it.
fn frame_name(frame: &ClientFrame) -> String {
    serde_json::to_value(frame).ok().and_then(|v| v["type"].as_str().map(str::to_owned)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::super::{Invariant, Status, Verdict};
    use super::LogoutClearsPushId;
    use zimsim_reference::server::SessionEnd;
    use zimsim_reference::wire::ClientFrame;
    use zimsim_sim::scenario::WorldStep;
    use zimsim_sim::trace::{Event, Record};

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
    fn a_window_closes_when_the_server_accepts_the_users_login_again_even_if_the_app_never_saw_it() {
        let p = push_id("tok-a");
        let mut trace = logged_out_cleanly();
        // alice logs in again; the app dies before login_ok, but the server accepted it.
        trace.push(rec(8_000, ZIM, session_opened("alice", PHONE)));
        trace.push(rec(8_000, ZIM, bound("alice", &p)));
        trace.push(rec(8_004, PHONE, Event::AppKilled));
        trace.push(rec(9_000, ZIM, accepted(7, "bob", "alice")));
        trace.push(rec(9_020, PHONE, notification("alice", 7)));

        assert_verdict(&check(&trace), Status::Held, 2);
    }

    /// alice logged in with a binding; she taps Log out and the app dies at once (5..=7):
    /// no logout frame left. The app relaunches at 10 s.
    fn logout_then_killed_then_relaunched() -> Vec<Record> {
        let mut trace = logged_in_with_binding();
        trace.insert(0, rec(900, PHONE, login_step("alice")));
        trace.insert(0, rec(50, PHONE, Event::AppLaunched));
        trace.push(rec(5_000, PHONE, logout_step()));
        trace.push(rec(5_000, PHONE, Event::AppKilled));
        trace.push(rec(10_000, PHONE, Event::AppLaunched));
        trace
    }

    #[test]
    fn holds_when_the_relaunched_sdk_finishes_the_pending_logout_before_anything_else() {
        let p = push_id("tok-a");
        let mut trace = logout_then_killed_then_relaunched();
        trace.push(rec(10_010, ZIM, session_opened("alice", PHONE)));
        trace.push(rec(10_020, ZIM, frame_in(1, ClientFrame::Logout { req: 2 })));
        trace.push(rec(10_020, ZIM, unbound("alice", &p)));
        trace.push(rec(10_020, ZIM, session_ended("alice", PHONE, SessionEnd::Logout)));
        trace.push(rec(10_025, PHONE, logged_out("alice")));
        trace.push(rec(30_000, ZIM, accepted(7, "bob", "alice")));

        assert_verdict(&check(&trace), Status::Held, 1);
    }

    #[test]
    fn is_violated_when_the_relaunched_sdk_reaches_the_server_and_does_something_else_first() {
        let mut trace = logout_then_killed_then_relaunched();
        trace.push(rec(10_010, ZIM, session_opened("alice", PHONE)));
        trace.push(rec(10_020, ZIM, frame_in(1, ClientFrame::Heartbeat)));
        trace.push(rec(10_030, ZIM, frame_in(1, ClientFrame::Sync { req: 3, cursors: vec![], limit: 50 })));

        let v = check(&trace);
        assert_eq!(v.status, Status::Violated, "{v:#?}");
        assert_mentions(&v.violations[0].detail, &["logout pending", "sync"]);
        assert_mentions(&v.violations[1].detail, &["still bound"]);
    }

    #[test]
    fn is_violated_when_a_relaunch_leaves_the_logout_unfinished_past_the_grace() {
        let mut trace = logout_then_killed_then_relaunched();
        trace.push(rec(25_000, ZIM, accepted(7, "bob", "alice")));
        trace.push(rec(25_020, PHONE, notification("alice", 7)));

        let v = check(&trace);
        let details: Vec<&str> = v.violations.iter().map(|x| x.detail.as_str()).collect();
        assert_eq!(v.status, Status::Violated, "{v:#?}");
        assert!(
            details[0].contains("still unfinished 10000 ms (of reach to the server) after the app relaunched"),
            "{details:?}"
        );
        assert!(details.iter().any(|d| d.contains("notified of m7 for alice")), "{details:?}");
    }

    #[test]
    fn the_grace_after_a_relaunch_waits_out_a_server_crash() {
        // The server is down from 9 s to 30 s: the relaunched SDK cannot finish before it is
        // back, and finishing 2 s after the restart is in time.
        let crash = |step| Event::Step { action: zimsim_sim::scenario::Action::World(step) };
        let p = push_id("tok-a");
        let mut trace = logout_then_killed_then_relaunched();
        trace.insert(trace.len() - 1, rec(9_000, "world", crash(WorldStep::Crash { host: "zim".into() })));
        trace.push(rec(30_000, "world", crash(WorldStep::Bounce { host: "zim".into() })));
        trace.push(rec(32_000, ZIM, session_opened("alice", PHONE)));
        trace.push(rec(32_010, ZIM, frame_in(1, ClientFrame::Logout { req: 2 })));
        trace.push(rec(32_010, ZIM, unbound("alice", &p)));
        trace.push(rec(32_010, ZIM, session_ended("alice", PHONE, SessionEnd::Logout)));
        assert_verdict(&check(&trace), Status::Held, 1);
    }

    #[test]
    fn a_refused_second_login_does_not_make_the_logout_apply_to_that_user() {
        let p = push_id("tok-a");
        let trace = vec![
            rec(50, PHONE, Event::AppLaunched),
            rec(100, PHONE, registered(&p)),
            rec(900, PHONE, login_step("alice")),
            rec(1_000, ZIM, session_opened("alice", PHONE)),
            rec(1_000, ZIM, bound("alice", &p)),
            rec(1_005, PHONE, logged_in("alice")),
            // carol's login is refused (6000111): alice stays logged in.
            rec(4_000, PHONE, login_step("carol")),
            rec(4_000, PHONE, login_failed("carol", 6_000_111)),
            rec(5_000, PHONE, logout_step()),
            rec(5_005, ZIM, unbound("alice", &p)),
            rec(5_005, ZIM, session_ended("alice", PHONE, SessionEnd::Logout)),
            rec(5_010, PHONE, logged_out("alice")),
            rec(6_000, PHONE, Event::AppKilled),
            rec(7_000, PHONE, Event::AppLaunched),
            rec(30_000, ZIM, accepted(7, "bob", "carol")),
        ];

        assert_verdict(&check(&trace), Status::Held, 1);
    }

    #[test]
    fn a_logout_after_a_kick_out_has_nothing_left_to_finish() {
        let mut trace = logout_then_killed_then_relaunched();
        let at = trace.iter().position(|r| matches!(r.event, Event::Step { .. }) && r.t.0 == 5_000).unwrap();
        trace.insert(at, rec(4_000, PHONE, disconnected())); // kicked out before the logout
        trace.push(rec(25_000, ZIM, accepted(7, "bob", "alice")));

        let v = check(&trace);
        assert_ne!(v.status, Status::Violated, "{v:#?}");
    }

    #[test]
    fn ignores_login_and_logout_steps_that_reach_a_dead_app() {
        let mut trace = logged_in_with_binding();
        trace.push(rec(4_000, PHONE, login_step("alice"))); // the app never launched
        trace.push(rec(5_000, PHONE, logout_step()));
        trace.push(rec(6_000, PHONE, Event::AppLaunched));
        trace.push(rec(25_000, ZIM, accepted(7, "bob", "alice")));

        assert_verdict(&check(&trace), Status::Vacuous, 0);
    }

    #[test]
    fn tolerates_pushes_while_the_app_that_logged_out_stays_dead() {
        let mut trace = logged_in_with_binding();
        trace.insert(0, rec(900, PHONE, login_step("alice")));
        trace.insert(0, rec(50, PHONE, Event::AppLaunched));
        trace.push(rec(5_000, PHONE, logout_step()));
        trace.push(rec(5_000, PHONE, Event::AppKilled));
        trace.push(rec(25_000, ZIM, accepted(7, "bob", "alice")));
        trace.push(rec(25_020, PHONE, notification("alice", 7)));

        // The SDK could not reach the server: nothing is judged yet.
        assert_verdict(&check(&trace), Status::Vacuous, 0);
    }

    #[test]
    fn is_violated_when_another_user_logs_in_over_a_pending_logout_and_the_binding_stays() {
        let mut trace = logout_then_killed_then_relaunched();
        trace.push(rec(10_010, ZIM, session_opened("carol", PHONE)));

        let v = check(&trace);
        assert_mentions(&single_violation(&v).detail, &["alice", "still bound"]);
    }

    #[test]
    fn leaves_notifications_for_the_user_on_another_device_alone() {
        let mut trace = logged_out_cleanly();
        trace.push(rec(6_000, ZIM, accepted(7, "bob", "alice")));
        trace.push(rec(6_020, "ipad-alice", notification("alice", 7)));

        assert_verdict(&check(&trace), Status::Held, 1);
    }
}
