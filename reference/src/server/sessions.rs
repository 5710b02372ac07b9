//! Connections, sessions and presence, and the login / logout / kick-out rules that tie
//! them to bindings.
//!
//! Reference policies (docs/policies.md):
//! - Presence lasts until `heartbeat_timeout_ms` after the last frame. A closed connection
//!   without logout only *detaches* the session: the user stays online (the SDK is expected
//!   to reconnect) until the timeout, which is when ZEGO's docs say offline push starts.
//! - Messages delivered online but not acked when the session times out are pushed then, so
//!   a message sent into a half-open connection is not silently lost for push purposes.
//! - Single-device login: a login from another device kicks the old session out and unbinds
//!   its PushID; a login from the same device resumes quietly.
//! - One install serves one user: a login from an install ends every other user's session
//!   there and unbinds every other user's PushID it registered, whatever the login carries.

use super::{remove_indexed, Outbox, ServerEvent, ServerOutput, SessionEnd, UnbindReason, ZimServer};
use crate::error::ZimErrorCode;
use crate::ids::{validate_user_id, ConnId, DeviceId, MessageId, UserId};
use crate::pushid::PushId;
use crate::time::Millis;
use crate::token;
use crate::wire::{Message, Platform, PushConfig, ServerFrame};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

#[derive(Debug)]
pub(super) struct Session {
    pub(super) device: DeviceId,
    /// `None` while detached: the connection closed but presence has not timed out.
    pub(super) conn: Option<ConnId>,
    last_seen: Millis,
    /// Delivered (or queued while detached) and not yet acked, with the push config to use
    /// if the session times out first.
    pub(super) unacked: BTreeMap<MessageId, (Message, Option<PushConfig>)>,
    /// When the session's token expires, and whether the client was warned of it.
    token: TokenClock,
    /// When its last sends were accepted, for the sends-per-second limit.
    recent_sends: VecDeque<Millis>,
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
    /// Each open connection and the user whose session it carries, if logged in.
    conns: BTreeMap<ConnId, Option<UserId>>,
    /// Single-device policy: at most one session per user.
    sessions: BTreeMap<UserId, Session>,
    /// Every session's last frame, in time order: the next presence timeout and the expired
    /// sessions are found without scanning every session on every turn.
    seen: BTreeSet<(Millis, UserId)>,
    /// install -> users with a session from it, so a login finds them without a scan.
    users_on: BTreeMap<DeviceId, BTreeSet<UserId>>,
    /// Every session's next token deadline (warning or expiry), in time order.
    token_deadlines: BTreeSet<(Millis, UserId)>,
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

    /// Gives `user`'s session a new token clock (a renewal).
    fn set_token(&mut self, user: &UserId, clock: TokenClock) {
        if let Some(s) = self.sessions.get_mut(user) {
            self.token_deadlines.remove(&(s.token.deadline(self.warning_ms), user.clone()));
            s.token = clock;
            self.token_deadlines.insert((clock.deadline(self.warning_ms), user.clone()));
        }
    }

    pub(super) fn connect(&mut self, conn: ConnId) {
        self.conns.insert(conn, None);
    }

    /// The connection closed. The session, if any, stays (detached) until it times out.
    pub(super) fn disconnect(&mut self, conn: ConnId) {
        if let Some(Some(user)) = self.conns.remove(&conn) {
            if let Some(s) = self.sessions.get_mut(&user) {
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

    /// `None` for an unknown connection; otherwise the user logged in on it, if any.
    pub(super) fn user_on(&self, conn: ConnId) -> Option<Option<&UserId>> {
        self.conns.get(&conn).map(Option::as_ref)
    }

    pub(super) fn is_online(&self, user: &UserId) -> bool {
        self.sessions.contains_key(user)
    }

    pub(super) fn get_mut(&mut self, user: &UserId) -> Option<&mut Session> {
        self.sessions.get_mut(user)
    }

    pub(super) fn device_of(&self, user: &UserId) -> Option<&DeviceId> {
        self.sessions.get(user).map(|s| &s.device)
    }

    pub(super) fn users(&self) -> Vec<UserId> {
        self.sessions.keys().cloned().collect()
    }

    /// The last frame of the longest-silent session.
    pub(super) fn oldest_frame(&self) -> Option<Millis> {
        self.seen.first().map(|(t, _)| *t)
    }

    /// A frame from `user`'s session at `now`: presence goes on.
    pub(super) fn touch(&mut self, user: &UserId, now: Millis) {
        if let Some(s) = self.sessions.get_mut(user) {
            self.seen.remove(&(s.last_seen, user.clone()));
            s.last_seen = now;
            self.seen.insert((now, user.clone()));
        }
    }

    /// Whether `user`'s session may send at `now` (at most `per_second` sends in any
    /// second); counts the send if so.
    pub(super) fn allow_send(&mut self, user: &UserId, now: Millis, per_second: usize) -> bool {
        let Some(s) = self.sessions.get_mut(user) else { return true };
        while s.recent_sends.front().is_some_and(|t| now.since(*t) >= 1_000) {
            s.recent_sends.pop_front();
        }
        if s.recent_sends.len() >= per_second {
            return false;
        }
        s.recent_sends.push_back(now);
        true
    }

    pub(super) fn acked(&mut self, user: &UserId, id: MessageId) {
        if let Some(s) = self.sessions.get_mut(user) {
            s.unacked.remove(&id);
        }
    }

    fn open(&mut self, user: &UserId, session: Session) {
        self.conns.insert(session.conn.expect("a new session has its connection"), Some(user.clone()));
        self.users_on.entry(session.device.clone()).or_default().insert(user.clone());
        let (last_seen, token) = (session.last_seen, session.token);
        if let Some(old) = self.sessions.insert(user.clone(), session) {
            self.seen.remove(&(old.last_seen, user.clone()));
            self.token_deadlines.remove(&(old.token.deadline(self.warning_ms), user.clone()));
        }
        self.seen.insert((last_seen, user.clone()));
        self.token_deadlines.insert((token.deadline(self.warning_ms), user.clone()));
    }

    fn remove(&mut self, user: &UserId) -> Option<Session> {
        let session = self.sessions.remove(user)?;
        self.seen.remove(&(session.last_seen, user.clone()));
        self.token_deadlines.remove(&(session.token.deadline(self.warning_ms), user.clone()));
        remove_indexed(&mut self.users_on, &session.device, user);
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
    #[allow(dead_code)] // the multi-device policy keys sessions by platform
    pub(super) platform: Platform,
    pub(super) push_id: Option<PushId>,
}

impl ZimServer {
    pub(super) fn login(&mut self, login: Login, now: Millis) {
        let Login { conn, req, user, token, device, push_id, .. } = login;
        if let Err(why) = validate_user_id(user.as_str()) {
            return self.out.error(conn, Some(req), ZimErrorCode::ParamInvalid, &why);
        }
        let expires = match self.check_token(&user, &token, now) {
            Ok(expires) => expires,
            Err(code) => return self.out.error(conn, Some(req), code, "login token rejected"),
        };
        let mut unacked = BTreeMap::new();
        if let Some(old) = self.sessions.sessions.get(&user) {
            let (old_conn, same_device) = (old.conn, old.device == device);
            if same_device {
                // A relaunch or reconnect of the same install takes the session over: the old
                // connection is stale, and what it had not acked stays due for push until the
                // new session syncs it.
                if let Some(c) = old_conn {
                    self.sessions.close(c, &mut self.out);
                }
                unacked = self.end_session(&user, SessionEnd::Resumed).unacked;
            } else {
                if let Some(c) = old_conn {
                    self.out.frame(c, ServerFrame::KickedOut);
                    self.sessions.close(c, &mut self.out);
                }
                self.end_session(&user, SessionEnd::KickedOut);
            }
        }
        // Single-device login: the new install replaces every other install of this user,
        // including ones whose sessions already timed out (they would still get pushes).
        if !self.config.defects.keep_kicked_bindings {
            for p in self.bindings.of_other_devices(&user, &device) {
                self.bindings.unbind(&p, UnbindReason::KickedOut, &mut self.out);
            }
        }
        // One install serves one user: whoever used it before is gone from it, whether or
        // not they logged out and whether or not this login carries a PushID.
        if self.config.one_user_per_install {
            let others: Vec<UserId> =
                self.sessions.users_on.get(&device).into_iter().flatten().filter(|u| **u != user).cloned().collect();
            for other in others {
                self.go_offline(&other, SessionEnd::UserSwitch);
            }
            for p in self.bindings.registered_on_for_others(&device, &user) {
                self.bindings.unbind(&p, UnbindReason::UserSwitch, &mut self.out);
            }
        }
        self.store.know(&user);
        let session = Session {
            device: device.clone(),
            conn: Some(conn),
            last_seen: now,
            unacked,
            token: TokenClock::new(expires),
            recent_sends: VecDeque::new(),
        };
        self.sessions.open(&user, session);
        self.out.event(ServerEvent::SessionOpened { user: user.clone(), device: device.clone(), conn });
        if let Some(p) = push_id {
            self.bindings.bind(&user, &device, p, self.config.defects.stale_owner_index, &mut self.out);
        }
        self.out.frame(conn, ServerFrame::LoginOk { req });
    }

    /// Verifies a Token04 for `user` at `now`, returning when it expires.
    fn check_token(&self, user: &UserId, token: &str, now: Millis) -> Result<Millis, ZimErrorCode> {
        let (secret, app, epoch) = (&self.config.server_secret, self.config.app_id, self.config.epoch_unix_ms);
        let claims = token::verify(secret, app, user, token, now.unix_s(epoch))?;
        Ok(Millis::from_unix_s(claims.expire, epoch))
    }

    /// `renewToken`: a fresh token for the session's own user replaces the old one.
    pub(super) fn renew_token(&mut self, conn: ConnId, req: u64, user: &UserId, token: &str, now: Millis) {
        match self.check_token(user, token, now) {
            Ok(expires) => {
                self.sessions.set_token(user, TokenClock::new(expires));
                self.out.frame(conn, ServerFrame::RenewTokenOk { req });
            }
            Err(code) => self.out.error(conn, Some(req), code, "renewal token rejected"),
        }
    }

    /// Warns sessions whose token is about to expire and ends those whose token has.
    pub(super) fn expire_tokens(&mut self, now: Millis) {
        while let Some((at, user)) = self.sessions.token_deadlines.first().cloned() {
            if at > now {
                break;
            }
            let s = &self.sessions.sessions[&user];
            let (clock, conn) = (s.token, s.conn);
            if clock.warned {
                if let Some(conn) = conn {
                    self.out.frame(conn, ServerFrame::TokenExpired);
                }
                self.go_offline(&user, SessionEnd::TokenExpired);
            } else {
                if let Some(conn) = conn {
                    let second = clock.expires.since(now).div_ceil(1000);
                    self.out.frame(conn, ServerFrame::TokenWillExpire { second });
                }
                self.sessions.set_token(&user, TokenClock { warned: true, ..clock });
            }
        }
    }

    /// Expires sessions whose heartbeat has timed out, the longest silent first.
    pub(super) fn expire_sessions(&mut self, now: Millis) {
        let timeout = self.config.heartbeat_timeout_ms;
        while let Some((last, user)) = self.sessions.seen.first().cloned() {
            if now.since(last) < timeout {
                break;
            }
            self.go_offline(&user, SessionEnd::Timeout); // ends the session and its entry
        }
    }

    /// Ends the user's session for a reason that leaves no way to reach them online: the
    /// connection is closed and what the session never acked goes to push.
    pub(super) fn go_offline(&mut self, user: &UserId, reason: SessionEnd) {
        let session = self.end_session(user, reason);
        if let Some(conn) = session.conn {
            self.sessions.close(conn, &mut self.out);
        }
        for (message, push) in session.unacked.into_values() {
            if let Some(push) = push {
                self.push_to_bindings(user, &message, &push);
            }
        }
    }

    /// Removes the user's session; logout and kick-out also drop its install's PushID
    /// bindings, a timeout keeps them (that is what makes offline push possible).
    pub(super) fn end_session(&mut self, user: &UserId, reason: SessionEnd) -> Session {
        let session = self.sessions.remove(user).expect("caller checked the session exists");
        let unbind = match reason {
            SessionEnd::Logout => Some(UnbindReason::Logout),
            SessionEnd::KickedOut => (!self.config.defects.keep_kicked_bindings).then_some(UnbindReason::KickedOut),
            SessionEnd::UserSwitch => Some(UnbindReason::UserSwitch),
            // An expired token ends the session as a timeout does: the user did not log
            // out, so the install keeps its binding and is pushed while offline.
            SessionEnd::Timeout | SessionEnd::Resumed | SessionEnd::ServerRestart | SessionEnd::TokenExpired => None,
        };
        if let Some(reason) = unbind {
            for p in self.bindings.of_device(user, &session.device) {
                self.bindings.unbind(&p, reason, &mut self.out);
            }
        }
        // Room membership lasts while the session does (a resumed session goes on).
        if reason != SessionEnd::Resumed {
            self.rooms.leave_all(user);
        }
        self.out.event(ServerEvent::SessionEnded { user: user.clone(), device: session.device.clone(), reason });
        session
    }
}
