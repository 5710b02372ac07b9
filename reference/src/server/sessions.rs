//! Connections, sessions and presence, and the login / logout / kick-out rules that tie
//! them to bindings.
//!
//! A session is one user on one install ([`Install`]). Reference policies
//! (docs/policies.md):
//! - Presence lasts until `heartbeat_timeout_ms` after the last frame. A closed connection
//!   without logout only *detaches* the session: the install stays online (the SDK is
//!   expected to reconnect) until the timeout, which is when ZEGO's docs say offline push
//!   starts.
//! - Messages delivered online but not acked when the session times out are pushed then, to
//!   that install, so a message sent into a half-open connection is not silently lost for
//!   push purposes.
//! - [`LoginPolicy::SingleDevice`] (ZIM's default): a login from another install kicks the
//!   old session out and unbinds the PushIDs of every other install of the user.
//!   [`LoginPolicy::MultiDevice`]: the same, but only for installs of the same platform, and
//!   past `max_devices` sessions the longest-open one is kicked out.
//! - A login from the same install resumes quietly.
//! - One install serves one user: a login from an install ends every other user's session
//!   there and unbinds every other user's PushID it registered, whatever the login carries.

use super::push::{Installs, MessagePush};
use super::{remove_indexed, Outbox, ServerEvent, ServerOutput, SessionEnd, UnbindReason, ZimServer};
use crate::error::ZimErrorCode;
use crate::ids::{validate_user_id, ConnId, DeviceId, MessageId, UserId};
use crate::pushid::PushId;
use crate::small::{VecMap, VecSet};
use crate::time::{Millis, PerSecond};
use crate::token;
use crate::wire::{Platform, ServerFrame};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// How many sessions a user may hold at once (ZIM's login policies).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum LoginPolicy {
    /// One session per user: a login from another install kicks the old one out.
    #[default]
    SingleDevice,
    /// One session per platform, at most `max_devices` at once (ZIM: 10).
    MultiDevice { max_devices: usize },
}

impl LoginPolicy {
    /// ZIM's multi-device login with its documented limit of 10 devices.
    pub const MULTI_DEVICE: LoginPolicy = LoginPolicy::MultiDevice { max_devices: 10 };

    /// Whether a session on `a` and one on `b` (other installs) may go on side by side.
    pub fn coexist(self, a: Platform, b: Platform) -> bool {
        match self {
            LoginPolicy::SingleDevice => false,
            LoginPolicy::MultiDevice { .. } => a != b,
        }
    }
}

/// One user on one install: what a session, and its presence, belong to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Install {
    pub(super) user: UserId,
    pub(super) device: DeviceId,
}

#[derive(Debug)]
pub(super) struct Session {
    pub(super) platform: Platform,
    /// `None` while detached: the connection closed but presence has not timed out.
    pub(super) conn: Option<ConnId>,
    /// When the login opened it (the multi-device limit kicks the oldest out first).
    opened: Millis,
    last_seen: Millis,
    /// Delivered (or queued while detached) and not yet acked, with the push config to use
    /// if the session times out first.
    pub(super) unacked: BTreeMap<MessageId, Option<MessagePush>>,
    /// When the session's token expires, and whether the client was warned of it.
    token: TokenClock,
    /// When its last sends were accepted, for the sends-per-second limit.
    recent_sends: PerSecond,
}

/// A session's token deadlines: first the warning, then the expiry.
#[derive(Clone, Copy, Debug)]
struct TokenClock {
    expires: Millis,
    warned: bool,
}

impl TokenClock {
    fn new(expires: Millis) -> TokenClock {
        TokenClock { expires, warned: false }
    }

    /// The next moment the token needs attention.
    fn deadline(self, warning_ms: u64) -> Millis {
        if self.warned {
            self.expires
        } else {
            Millis(self.expires.0.saturating_sub(warning_ms))
        }
    }
}

/// Who is connected and who is online.
#[derive(Debug)]
pub(super) struct Sessions {
    /// Each open connection and the session it carries, if logged in.
    conns: BTreeMap<ConnId, Option<Install>>,
    /// user -> their sessions, one per install.
    sessions: BTreeMap<UserId, VecMap<DeviceId, Session>>,
    /// Every session's last frame, in time order: the next presence timeout and the expired
    /// sessions are found without scanning every session on every turn.
    seen: BTreeSet<(Millis, Install)>,
    /// install -> users with a session from it, so a login finds them without a scan.
    users_on: BTreeMap<DeviceId, VecSet<UserId>>,
    /// Every session's next token deadline (warning or expiry), in time order.
    token_deadlines: BTreeSet<(Millis, Install)>,
    /// How long before expiry a session is warned (`ServerConfig::token_warning_ms`).
    warning_ms: u64,
}

impl Sessions {
    pub(super) fn new(warning_ms: u64) -> Sessions {
        Sessions {
            conns: BTreeMap::new(),
            sessions: BTreeMap::new(),
            seen: BTreeSet::new(),
            users_on: BTreeMap::new(),
            token_deadlines: BTreeSet::new(),
            warning_ms,
        }
    }

    /// The earliest token warning or expiry of any session.
    pub(super) fn next_token_deadline(&self) -> Option<Millis> {
        self.token_deadlines.first().map(|(t, _)| *t)
    }

    /// Gives a session a new token clock (a renewal).
    fn set_token(&mut self, at: &Install, clock: TokenClock) {
        if let Some(s) = self.sessions.get_mut(&at.user).and_then(|d| d.get_mut(&at.device)) {
            self.token_deadlines.remove(&(s.token.deadline(self.warning_ms), at.clone()));
            s.token = clock;
            self.token_deadlines.insert((clock.deadline(self.warning_ms), at.clone()));
        }
    }

    pub(super) fn connect(&mut self, conn: ConnId) {
        self.conns.insert(conn, None);
    }

    /// The connection closed. The session, if any, stays (detached) until it times out.
    pub(super) fn disconnect(&mut self, conn: ConnId) {
        if let Some(Some(at)) = self.conns.remove(&conn) {
            if let Some(s) = self.get_mut(&at) {
                if s.conn == Some(conn) {
                    s.conn = None;
                }
            }
        }
    }

    /// Every connection is gone (the process restarted).
    pub(super) fn forget_connections(&mut self) {
        self.conns.clear();
    }

    /// Closes a connection for good: frames still arriving on it are ignored, and the
    /// shell's later disconnect report is a no-op.
    pub(super) fn close(&mut self, conn: ConnId, out: &mut Outbox) {
        self.conns.remove(&conn);
        out.0.push_back(ServerOutput::Close { conn });
    }

    /// `None` for an unknown connection; otherwise the session on it, if logged in.
    pub(super) fn session_on(&self, conn: ConnId) -> Option<Option<&Install>> {
        self.conns.get(&conn).map(Option::as_ref)
    }

    /// Whether `user` has a session (attached or detached) on any install.
    pub(super) fn is_online(&self, user: &UserId) -> bool {
        self.sessions.contains_key(user)
    }

    /// Whether `user` has a session on `device`.
    pub(super) fn has(&self, user: &UserId, device: &DeviceId) -> bool {
        self.sessions.get(user).is_some_and(|d| d.contains_key(device))
    }

    pub(super) fn get(&self, at: &Install) -> Option<&Session> {
        self.sessions.get(&at.user)?.get(&at.device)
    }

    pub(super) fn get_mut(&mut self, at: &Install) -> Option<&mut Session> {
        self.sessions.get_mut(&at.user)?.get_mut(&at.device)
    }

    /// The user's sessions, by install.
    pub(super) fn of(&self, user: &UserId) -> impl Iterator<Item = (&DeviceId, &Session)> {
        self.sessions.get(user).into_iter().flatten()
    }

    pub(super) fn of_mut(&mut self, user: &UserId) -> impl Iterator<Item = (&DeviceId, &mut Session)> {
        self.sessions.get_mut(user).into_iter().flatten()
    }

    /// Every session, in order.
    pub(super) fn all(&self) -> Vec<Install> {
        let mut all = Vec::new();
        for (user, devices) in &self.sessions {
            all.extend(devices.keys().map(|device| Install { user: user.clone(), device: device.clone() }));
        }
        all
    }

    /// The last frame of the longest-silent session.
    pub(super) fn oldest_frame(&self) -> Option<Millis> {
        self.seen.first().map(|(t, _)| *t)
    }

    /// A frame from the session at `now`: presence goes on.
    pub(super) fn touch(&mut self, at: &Install, now: Millis) {
        if let Some(s) = self.sessions.get_mut(&at.user).and_then(|d| d.get_mut(&at.device)) {
            self.seen.remove(&(s.last_seen, at.clone()));
            s.last_seen = now;
            self.seen.insert((now, at.clone()));
        }
    }

    /// Whether the session may send at `now` (at most `per_second` sends in any second);
    /// counts the send if so.
    pub(super) fn allow_send(&mut self, at: &Install, now: Millis, per_second: usize) -> bool {
        self.get_mut(at).is_none_or(|s| s.recent_sends.allow(now, per_second))
    }

    pub(super) fn acked(&mut self, at: &Install, id: MessageId) {
        if let Some(s) = self.get_mut(at) {
            s.unacked.remove(&id);
        }
    }

    fn open(&mut self, at: &Install, session: Session) {
        self.conns.insert(session.conn.expect("a new session has its connection"), Some(at.clone()));
        self.users_on.entry(at.device.clone()).or_default().insert(at.user.clone());
        let (last_seen, token) = (session.last_seen, session.token);
        let devices = self.sessions.entry(at.user.clone()).or_default();
        if let Some(old) = devices.insert(at.device.clone(), session) {
            self.seen.remove(&(old.last_seen, at.clone()));
            self.token_deadlines.remove(&(old.token.deadline(self.warning_ms), at.clone()));
        }
        self.seen.insert((last_seen, at.clone()));
        self.token_deadlines.insert((token.deadline(self.warning_ms), at.clone()));
    }

    fn remove(&mut self, at: &Install) -> Option<Session> {
        let devices = self.sessions.get_mut(&at.user)?;
        let session = devices.remove(&at.device)?;
        if devices.is_empty() {
            self.sessions.remove(&at.user);
        }
        self.seen.remove(&(session.last_seen, at.clone()));
        self.token_deadlines.remove(&(session.token.deadline(self.warning_ms), at.clone()));
        remove_indexed(&mut self.users_on, &at.device, &at.user);
        // The connection (if still open) stays, logged out: it may log in again.
        if let Some(slot) = session.conn.and_then(|c| self.conns.get_mut(&c)) {
            *slot = None;
        }
        Some(session)
    }
}

/// A login request as the frame carries it.
pub(super) struct Login {
    pub(super) conn: ConnId,
    pub(super) req: u64,
    pub(super) user: UserId,
    pub(super) token: String,
    pub(super) device: DeviceId,
    pub(super) platform: Platform,
    pub(super) push_id: Option<PushId>,
}

impl ZimServer {
    pub(super) fn login(&mut self, login: Login, now: Millis) {
        let Login { conn, req, user, token, device, platform, push_id } = login;
        if let Err(why) = validate_user_id(user.as_str()) {
            return self.out.error(conn, Some(req), ZimErrorCode::ParamInvalid, &why);
        }
        let expires = match self.check_token(&user, &token, now) {
            Ok(expires) => expires,
            Err(code) => return self.out.error(conn, Some(req), code, "login token rejected"),
        };
        let at = Install { user: user.clone(), device: device.clone() };
        let mut unacked = BTreeMap::new();
        if let Some(old_conn) = self.sessions.get(&at).map(|s| s.conn) {
            // A relaunch or reconnect of the same install takes the session over: the old
            // connection is stale, and what it had not acked stays due for push until the
            // new session syncs it.
            if let Some(c) = old_conn {
                self.sessions.close(c, &mut self.out);
            }
            unacked = self.end_session(&at, SessionEnd::Resumed).unacked;
        }
        self.make_room_for(&at, platform);
        // One install serves one user: whoever used it before is gone from it, whether or
        // not they logged out and whether or not this login carries a PushID.
        if self.config.one_user_per_install {
            let others: Vec<UserId> =
                self.sessions.users_on.get(&device).into_iter().flatten().filter(|u| **u != user).cloned().collect();
            for other in others {
                self.go_offline(&Install { user: other, device: device.clone() }, SessionEnd::UserSwitch);
            }
            for p in self.bindings.registered_on_for_others(&device, &user) {
                self.bindings.unbind(&p, UnbindReason::UserSwitch, &mut self.out);
            }
        }
        self.store.know(&user);
        let session = Session {
            platform,
            conn: Some(conn),
            opened: now,
            last_seen: now,
            unacked,
            token: TokenClock::new(expires),
            recent_sends: PerSecond::default(),
        };
        self.sessions.open(&at, session);
        self.out.event(ServerEvent::SessionOpened { user: user.clone(), device: device.clone(), platform, conn });
        if let Some(p) = push_id {
            self.bindings.bind(&user, &device, platform, p, self.config.defects.stale_owner_index, &mut self.out);
        }
        self.out.frame(conn, ServerFrame::LoginOk { req });
    }

    /// The login policy, before `at` logs in on `platform`: kicks out the user's sessions
    /// on installs that may not go on beside it, and unbinds the PushIDs of every install
    /// the login replaces, including installs whose sessions already timed out (they would
    /// still get pushes).
    fn make_room_for(&mut self, at: &Install, platform: Platform) {
        let policy = self.config.login_policy;
        let mut kicked: Vec<DeviceId> = self
            .sessions
            .of(&at.user)
            .filter(|(d, s)| **d != at.device && !policy.coexist(s.platform, platform))
            .map(|(d, _)| d.clone())
            .collect();
        if let LoginPolicy::MultiDevice { max_devices } = policy {
            // Past the limit, the longest-open sessions make room.
            let mut staying: Vec<(Millis, DeviceId)> = self
                .sessions
                .of(&at.user)
                .filter(|(d, _)| **d != at.device && !kicked.contains(d))
                .map(|(d, s)| (s.opened, d.clone()))
                .collect();
            staying.sort();
            let over = (staying.len() + 1).saturating_sub(max_devices.max(1));
            kicked.extend(staying.into_iter().take(over).map(|(_, d)| d));
        }
        for device in kicked {
            let old = Install { user: at.user.clone(), device };
            if let Some(c) = self.sessions.get(&old).and_then(|s| s.conn) {
                self.out.frame(c, ServerFrame::KickedOut);
                self.sessions.close(c, &mut self.out);
            }
            self.end_session(&old, SessionEnd::KickedOut);
        }
        if !self.config.defects.keep_kicked_bindings {
            for p in self.bindings.replaced_by(&at.user, &at.device, |other| !policy.coexist(other, platform)) {
                self.bindings.unbind(&p, UnbindReason::KickedOut, &mut self.out);
            }
        }
    }

    /// Verifies a Token04 for `user` at `now`, returning when it expires.
    fn check_token(&self, user: &UserId, token: &str, now: Millis) -> Result<Millis, ZimErrorCode> {
        let (secret, app, epoch) = (&self.config.server_secret, self.config.app_id, self.config.epoch_unix_ms);
        let claims = token::verify(secret, app, user, token, now.unix_s(epoch))?;
        Ok(Millis::from_unix_s(claims.expire, epoch))
    }

    /// `renewToken`: a fresh token for the session's own user replaces the old one.
    pub(super) fn renew_token(&mut self, conn: ConnId, req: u64, at: &Install, token: &str, now: Millis) {
        match self.check_token(&at.user, token, now) {
            Ok(expires) => {
                self.sessions.set_token(at, TokenClock::new(expires));
                self.out.frame(conn, ServerFrame::RenewTokenOk { req });
            }
            Err(code) => self.out.error(conn, Some(req), code, "renewal token rejected"),
        }
    }

    /// Warns sessions whose token is about to expire and ends those whose token has.
    pub(super) fn expire_tokens(&mut self, now: Millis) {
        while let Some((at, install)) = self.sessions.token_deadlines.first().cloned() {
            if at > now {
                break;
            }
            let s = self.sessions.get(&install).expect("indexed sessions exist");
            let (clock, conn) = (s.token, s.conn);
            if clock.warned {
                if let Some(conn) = conn {
                    self.out.frame(conn, ServerFrame::TokenExpired);
                }
                self.go_offline(&install, SessionEnd::TokenExpired);
            } else {
                if let Some(conn) = conn {
                    let second = clock.expires.since(now).div_ceil(1000);
                    self.out.frame(conn, ServerFrame::TokenWillExpire { second });
                }
                self.sessions.set_token(&install, TokenClock { warned: true, ..clock });
            }
        }
    }

    /// Expires sessions whose heartbeat has timed out, the longest silent first.
    pub(super) fn expire_sessions(&mut self, now: Millis) {
        let timeout = self.config.heartbeat_timeout_ms;
        while let Some((last, at)) = self.sessions.seen.first().cloned() {
            if now.since(last) < timeout {
                break;
            }
            self.go_offline(&at, SessionEnd::Timeout); // ends the session and its entry
        }
    }

    /// Ends a session for a reason that leaves no way to reach it online: the connection is
    /// closed and what the session never acked is pushed to its install.
    pub(super) fn go_offline(&mut self, at: &Install, reason: SessionEnd) {
        let session = self.end_session(at, reason);
        if let Some(conn) = session.conn {
            self.sessions.close(conn, &mut self.out);
        }
        for push in session.unacked.into_values().flatten() {
            self.push_to_bindings(&at.user, &push, Installs::Only(&at.device));
        }
    }

    /// Removes a session; logout and kick-out also drop its install's PushID bindings, a
    /// timeout keeps them (that is what makes offline push possible).
    pub(super) fn end_session(&mut self, at: &Install, reason: SessionEnd) -> Session {
        let session = self.sessions.remove(at).expect("caller checked the session exists");
        let unbind = match reason {
            SessionEnd::Logout => Some(UnbindReason::Logout),
            SessionEnd::KickedOut => (!self.config.defects.keep_kicked_bindings).then_some(UnbindReason::KickedOut),
            SessionEnd::UserSwitch => Some(UnbindReason::UserSwitch),
            // An expired token ends the session as a timeout does: the user did not log
            // out, so the install keeps its binding and is pushed while offline.
            SessionEnd::Timeout | SessionEnd::Resumed | SessionEnd::ServerRestart | SessionEnd::TokenExpired => None,
        };
        if let Some(reason) = unbind {
            for p in self.bindings.of_device(&at.user, &at.device) {
                self.bindings.unbind(&p, reason, &mut self.out);
            }
        }
        // Room membership lasts while the user has a session (a resumed one goes on).
        if reason != SessionEnd::Resumed && !self.sessions.is_online(&at.user) {
            self.rooms.leave_all(&at.user);
        }
        let (user, device) = (at.user.clone(), at.device.clone());
        self.out.event(ServerEvent::SessionEnded { user, device, reason });
        session
    }
}
