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
                Event::Server { event: ServerEvent::SessionOpened { user, device, conn, .. } } => {
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
                // The app and its data are gone: a logout it had not sent yet is lost with
                // them, and its PushIDs are dead with its token (unbinding those is
                // `dead-token-unbound`'s business); a new install starts with none.
                Event::AppUninstalled => {
                    let d = device();
                    w.logins.remove(&d);
                    w.pending.retain(|(pd, _), _| *pd != d);
                    w.registered.remove(&d);
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
mod tests;
