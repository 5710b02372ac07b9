//! The ZIM server core: sessions and presence, user <-> PushID bindings, the message store
//! with per-conversation sequences, online delivery with acks, offline routing to the ZPNs
//! relay, and sync. It owns no sockets and no clock: the shell feeds it connection events,
//! frames and ticks (each with `now`) and drains [`ServerOutput`]s.
//!
//! Reference policies where ZEGO's docs are silent (docs/policies.md):
//! - Presence lasts until `heartbeat_timeout_ms` after the last frame. A closed connection
//!   without logout only *detaches* the session: the user stays online (the SDK is expected
//!   to reconnect) until the timeout, which is when ZEGO's docs say offline push starts.
//! - Messages delivered online but not acked when the session times out are pushed then, so
//!   a message sent into a half-open connection is not silently lost for push purposes.
//! - Single-device login: a login from another device kicks the old session out and unbinds
//!   its PushID; a login from the same device resumes quietly.
//! - One install serves one user: a login from an install ends every other user's session
//!   there and unbinds every other user's PushID it registered, whatever the login carries.
//! - A PushID has at most one owner: binding it to a new user unbinds the previous one.
//! - A message to oneself is refused (6000001), as ZIM does.

use crate::error::ZimErrorCode;
use crate::ids::{validate_user_id, ConnId, ConvKey, DeviceId, MessageId, UserId};
use crate::pushid::PushId;
use crate::time::Millis;
use crate::token;
use crate::wire::{
    check_send, ClientFrame, Cursor, Message, MessageBody, Platform, PushConfig, PushRequest, ServerFrame,
    MAX_FRAME_LEN,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Server settings. Defaults are the reference policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerConfig {
    pub app_id: u32,
    /// Shared with the app's backend, which mints login tokens.
    pub server_secret: String,
    /// Presence ends this long after the last frame from the session.
    pub heartbeat_timeout_ms: u64,
    /// Upper bound on messages per `SyncBatch`, whatever the client asks for.
    pub max_sync_page: u32,
    /// Largest text message body in bytes (ZIM's server default is 2 KB, up to 32 KB).
    pub max_text_bytes: usize,
    /// A login from an install unbinds every other user's PushID registered there (the
    /// reference policy). `false` trusts the app to log out before switching users, as
    /// ZEGO's docs ask of it; a user switch without logout then leaks pushes.
    pub one_user_per_install: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            app_id: 1_234_567_890,
            server_secret: "zimsim-server-secret-0123456789ab".into(),
            heartbeat_timeout_ms: 30_000,
            max_sync_page: 100,
            max_text_bytes: 2048,
            one_user_per_install: true,
        }
    }
}

/// Why a binding went away. `live-token-retained` checks that only these remove one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnbindReason {
    Logout,
    KickedOut,
    /// Another user took the PushID or logged in from its install (user switch without
    /// logout).
    UserSwitch,
    /// The device bound a newer PushID.
    Replaced,
}

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionEnd {
    Logout,
    Timeout,
    KickedOut,
    /// A new login from the same install took the session over.
    Resumed,
    /// Another user logged in from the same install.
    UserSwitch,
    /// The server process restarted; sessions were memory.
    ServerRestart,
}

/// Facts the server establishes, for the trace and the invariant checkers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ServerEvent {
    SessionOpened {
        user: UserId,
        device: DeviceId,
        conn: ConnId,
    },
    SessionEnded {
        user: UserId,
        device: DeviceId,
        reason: SessionEnd,
    },
    Bound {
        user: UserId,
        push_id: PushId,
    },
    Unbound {
        user: UserId,
        push_id: PushId,
        reason: UnbindReason,
    },
    MessageAccepted {
        id: MessageId,
        conv: ConvKey,
        seq: u64,
        from: UserId,
        to: Vec<UserId>,
        push: bool,
    },
    /// The server decided to notify `push_id` of message `id` for `user` (the push is then
    /// handed to the relay). Checkers judge a push by this moment, not by its arrival.
    PushRouted {
        id: MessageId,
        user: UserId,
        push_id: PushId,
    },
}

/// What the shell must do after feeding an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerOutput {
    Frame {
        conn: ConnId,
        frame: ServerFrame,
    },
    /// Close the connection (after sending any frames queued before this).
    Close {
        conn: ConnId,
    },
    /// Hand this to the ZPNs relay.
    Push(PushRequest),
    Event(ServerEvent),
}

#[derive(Debug)]
struct Session {
    device: DeviceId,
    /// `None` while detached: the connection closed but presence has not timed out.
    conn: Option<ConnId>,
    last_seen: Millis,
    /// Delivered (or queued while detached) and not yet acked, with the push config to use
    /// if the session times out first.
    unacked: BTreeMap<MessageId, (Message, Option<PushConfig>)>,
}

/// Who a PushID is bound to, and which install registered it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Binding {
    user: UserId,
    device: DeviceId,
}

/// The reference ZIM server.
#[derive(Debug)]
pub struct ZimServer {
    config: ServerConfig,
    /// Each open connection and the user whose session it carries, if logged in.
    conns: BTreeMap<ConnId, Option<UserId>>,
    /// Single-device policy: at most one session per user.
    sessions: BTreeMap<UserId, Session>,
    /// Every session's last frame, in time order: the next presence timeout and the expired
    /// sessions are found without scanning every session on every turn.
    seen: BTreeSet<(Millis, UserId)>,
    /// PushID -> owner and the install it belongs to; at most one owner per PushID.
    bindings: BTreeMap<PushId, Binding>,
    /// owner -> PushIDs: the same bindings indexed by user, so routing a push costs
    /// O(log n) rather than a scan of every binding.
    pushes_of: BTreeMap<UserId, BTreeSet<PushId>>,
    /// install -> PushIDs it registered: the same bindings indexed by install, so a login
    /// finds other users' bindings there without a scan.
    pushes_from: BTreeMap<DeviceId, BTreeSet<PushId>>,
    /// install -> users with a session from it, so a login finds them without a scan.
    users_on: BTreeMap<DeviceId, BTreeSet<UserId>>,
    /// Users who have logged in at least once (ZIM only delivers to those).
    known_users: BTreeSet<UserId>,
    convs: BTreeMap<ConvKey, Vec<Message>>,
    user_convs: BTreeMap<UserId, BTreeSet<ConvKey>>,
    next_message_id: u64,
    /// Durable, so connection numbers stay unique across restarts (traces name them).
    next_conn_id: u64,
    outputs: VecDeque<ServerOutput>,
}

impl ZimServer {
    pub fn new(config: ServerConfig) -> ZimServer {
        ZimServer {
            config,
            conns: BTreeMap::new(),
            sessions: BTreeMap::new(),
            seen: BTreeSet::new(),
            bindings: BTreeMap::new(),
            pushes_of: BTreeMap::new(),
            pushes_from: BTreeMap::new(),
            users_on: BTreeMap::new(),
            known_users: BTreeSet::new(),
            convs: BTreeMap::new(),
            user_convs: BTreeMap::new(),
            next_message_id: 1,
            next_conn_id: 1,
            outputs: VecDeque::new(),
        }
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The next output to carry out, if any.
    pub fn poll_output(&mut self) -> Option<ServerOutput> {
        self.outputs.pop_front()
    }

    /// The owner of `push_id`, if bound.
    pub fn binding(&self, push_id: &PushId) -> Option<&UserId> {
        self.bindings.get(push_id).map(|b| &b.user)
    }

    /// Whether `user` has a session (attached or detached) right now.
    pub fn is_online(&self, user: &UserId) -> bool {
        self.sessions.contains_key(user)
    }

    /// Every stored message of a conversation, in sequence order.
    pub fn conversation(&self, conv: &ConvKey) -> &[Message] {
        self.convs.get(conv).map(Vec::as_slice).unwrap_or_default()
    }

    /// When `tick` next has work to do (the earliest presence timeout).
    pub fn next_deadline(&self) -> Option<Millis> {
        self.seen.first().map(|(t, _)| t.plus(self.config.heartbeat_timeout_ms))
    }

    /// A number for a connection the shell just accepted, never used before by this server
    /// (restarts included).
    pub fn next_conn(&mut self) -> ConnId {
        let conn = ConnId(self.next_conn_id);
        self.next_conn_id += 1;
        conn
    }

    pub fn on_connect(&mut self, conn: ConnId, _now: Millis) {
        self.conns.insert(conn, None);
    }

    /// The connection closed (either side). The session, if any, stays until it times out.
    pub fn on_disconnect(&mut self, conn: ConnId, _now: Millis) {
        if let Some(Some(user)) = self.conns.remove(&conn) {
            if let Some(s) = self.sessions.get_mut(&user) {
                if s.conn == Some(conn) {
                    s.conn = None;
                }
            }
        }
    }

    /// A frame of `len` bytes, over the frame limit, arrived on `conn` and was skipped
    /// unread (`req` as far as its first bytes show it). A logged-in client is told which
    /// request failed and keeps its connection; anyone else is disconnected.
    pub fn on_frame_too_large(&mut self, conn: ConnId, req: Option<u64>, len: usize, now: Millis) {
        match self.conns.get(&conn) {
            None => {}
            Some(None) => self.close(conn),
            Some(Some(user)) => {
                let user = user.clone();
                self.touch(&user, now);
                let why = format!("frame of {len} bytes exceeds the {MAX_FRAME_LEN}-byte limit");
                self.error(conn, req, ZimErrorCode::ParamInvalid, &why);
            }
        }
    }

    /// The process (re)started: at the first start, or after a crash. The durable store
    /// survives, because every write to it is committed before it is answered: PushID
    /// bindings, the users who ever logged in, every conversation with its sequence, and
    /// the message ID counter. Connections, sessions and presence were memory: each
    /// session ends (`server_restart`), and what a session had not acked is not pushed (it
    /// is stored, and reaches its recipients by sync).
    pub fn restart(&mut self, _now: Millis) {
        self.outputs.clear();
        let users: Vec<UserId> = self.sessions.keys().cloned().collect();
        for user in users {
            self.end_session(&user, SessionEnd::ServerRestart);
        }
        self.conns.clear();
    }

    /// Expires sessions whose heartbeat has timed out, the longest silent first.
    pub fn tick(&mut self, now: Millis) {
        let timeout = self.config.heartbeat_timeout_ms;
        while let Some((last, user)) = self.seen.first().cloned() {
            if now.since(last) < timeout {
                break;
            }
            self.go_offline(&user, SessionEnd::Timeout); // ends the session and its entry
        }
    }

    /// A frame from `user`'s session at `now`: presence goes on.
    fn touch(&mut self, user: &UserId, now: Millis) {
        if let Some(s) = self.sessions.get_mut(user) {
            self.seen.remove(&(s.last_seen, user.clone()));
            s.last_seen = now;
            self.seen.insert((now, user.clone()));
        }
    }

    /// Ends the user's session for a reason that leaves no way to reach them online: the
    /// connection is closed and what the session never acked goes to push.
    fn go_offline(&mut self, user: &UserId, reason: SessionEnd) {
        let session = self.end_session(user, reason);
        if let Some(conn) = session.conn {
            self.close(conn);
        }
        for (message, push) in session.unacked.into_values() {
            if let Some(push) = push {
                self.push_to_bindings(user, &message, &push);
            }
        }
    }

    pub fn on_frame(&mut self, conn: ConnId, frame: ClientFrame, now: Millis) {
        let Some(slot) = self.conns.get(&conn) else {
            return; // a frame racing its connection's close
        };
        let user = slot.clone();
        if let Some(user) = &user {
            self.touch(user, now);
        }
        match (frame, user) {
            (ClientFrame::Login { req, user_id, token, device_id, platform, push_id }, None) => {
                self.login(conn, req, user_id, &token, device_id, platform, push_id, now)
            }
            (ClientFrame::Login { req, .. }, Some(_)) => {
                self.error(conn, Some(req), ZimErrorCode::UserHasAlreadyLogged, "this connection is already logged in")
            }
            (ClientFrame::Heartbeat, Some(_)) => self.frame(conn, ServerFrame::Pong),
            (ClientFrame::Logout { req }, Some(user)) => {
                self.end_session(&user, SessionEnd::Logout);
                self.frame(conn, ServerFrame::LogoutOk { req });
            }
            (ClientFrame::BindPush { req, push_id }, Some(user)) => {
                let device = self.sessions[&user].device.clone();
                self.bind(&user, &device, push_id);
                self.frame(conn, ServerFrame::BindOk { req });
            }
            (ClientFrame::Send { req, to, body, push }, Some(user)) => self.send(conn, req, user, to, body, push, now),
            (ClientFrame::Ack { id }, Some(user)) => {
                if let Some(s) = self.sessions.get_mut(&user) {
                    s.unacked.remove(&id);
                }
            }
            (ClientFrame::Sync { req, cursors, limit }, Some(user)) => self.sync(conn, req, &user, cursors, limit),
            (frame, None) => {
                let req = request_id(&frame);
                self.error(conn, req, ZimErrorCode::UserIsNotLogged, "log in first");
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn login(
        &mut self,
        conn: ConnId,
        req: u64,
        user: UserId,
        token: &str,
        device: DeviceId,
        _platform: Platform,
        push_id: Option<PushId>,
        now: Millis,
    ) {
        if let Err(why) = validate_user_id(user.as_str()) {
            return self.error(conn, Some(req), ZimErrorCode::ParamInvalid, &why);
        }
        if let Err(code) = token::verify(&self.config.server_secret, self.config.app_id, &user, token, now) {
            return self.error(conn, Some(req), code, "login token rejected");
        }
        let mut unacked = BTreeMap::new();
        if let Some(old) = self.sessions.get(&user) {
            let (old_conn, same_device) = (old.conn, old.device == device);
            if same_device {
                // A relaunch or reconnect of the same install takes the session over: the old
                // connection is stale, and what it had not acked stays due for push until the
                // new session syncs it.
                if let Some(c) = old_conn {
                    self.close(c);
                }
                unacked = self.end_session(&user, SessionEnd::Resumed).unacked;
            } else {
                if let Some(c) = old_conn {
                    self.frame(c, ServerFrame::KickedOut);
                    self.close(c);
                }
                self.end_session(&user, SessionEnd::KickedOut);
            }
        }
        // Single-device login: the new install replaces every other install of this user,
        // including ones whose sessions already timed out (they would still get pushes).
        for p in self.pushes_of_other_devices(&user, &device) {
            self.unbind(&p, UnbindReason::KickedOut);
        }
        // One install serves one user: whoever used it before is gone from it, whether or
        // not they logged out and whether or not this login carries a PushID.
        if self.config.one_user_per_install {
            let others: Vec<UserId> =
                self.users_on.get(&device).into_iter().flatten().filter(|u| **u != user).cloned().collect();
            for other in others {
                self.go_offline(&other, SessionEnd::UserSwitch);
            }
            let theirs: Vec<PushId> = self
                .pushes_from
                .get(&device)
                .into_iter()
                .flatten()
                .filter(|p| self.bindings[*p].user != user)
                .cloned()
                .collect();
            for p in theirs {
                self.unbind(&p, UnbindReason::UserSwitch);
            }
        }
        self.known_users.insert(user.clone());
        self.conns.insert(conn, Some(user.clone()));
        self.users_on.entry(device.clone()).or_default().insert(user.clone());
        let session = Session { device: device.clone(), conn: Some(conn), last_seen: now, unacked };
        if let Some(old) = self.sessions.insert(user.clone(), session) {
            self.seen.remove(&(old.last_seen, user.clone()));
        }
        self.seen.insert((now, user.clone()));
        self.event(ServerEvent::SessionOpened { user: user.clone(), device: device.clone(), conn });
        if let Some(p) = push_id {
            self.bind(&user, &device, p);
        }
        self.frame(conn, ServerFrame::LoginOk { req });
    }

    /// Binds `push_id` to `user` on `device`, taking it from any previous owner; an install
    /// has one current PushID, so its older ones are unbound.
    fn bind(&mut self, user: &UserId, device: &DeviceId, push_id: PushId) {
        let binding = Binding { user: user.clone(), device: device.clone() };
        if let Some(b) = self.bindings.get(&push_id) {
            if *b == binding {
                return;
            }
            // A PushID names one install, and a user's other installs were unbound when this
            // session logged in: a binding held by anyone else is another user's.
            self.unbind(&push_id, UnbindReason::UserSwitch);
        }
        for old in self.pushes_of_device(user, device) {
            self.unbind(&old, UnbindReason::Replaced);
        }
        self.bindings.insert(push_id.clone(), binding);
        self.pushes_of.entry(user.clone()).or_default().insert(push_id.clone());
        self.pushes_from.entry(device.clone()).or_default().insert(push_id.clone());
        self.event(ServerEvent::Bound { user: user.clone(), push_id });
    }

    /// The user's PushIDs registered by `device`.
    fn pushes_of_device(&self, user: &UserId, device: &DeviceId) -> Vec<PushId> {
        self.pushes_of(user).filter(|p| self.bindings[*p].device == *device).cloned().collect()
    }

    /// The user's PushIDs registered by any other install.
    fn pushes_of_other_devices(&self, user: &UserId, device: &DeviceId) -> Vec<PushId> {
        self.pushes_of(user).filter(|p| self.bindings[*p].device != *device).cloned().collect()
    }

    fn pushes_of(&self, user: &UserId) -> impl Iterator<Item = &PushId> {
        self.pushes_of.get(user).into_iter().flatten()
    }

    fn unbind(&mut self, push_id: &PushId, reason: UnbindReason) {
        if let Some(Binding { user, device }) = self.bindings.remove(push_id) {
            remove_indexed(&mut self.pushes_of, &user, push_id);
            remove_indexed(&mut self.pushes_from, &device, push_id);
            self.event(ServerEvent::Unbound { user, push_id: push_id.clone(), reason });
        }
    }

    /// Removes the user's session; logout and kick-out also drop its install's PushID
    /// bindings, a timeout keeps them (that is what makes offline push possible).
    fn end_session(&mut self, user: &UserId, reason: SessionEnd) -> Session {
        let session = self.sessions.remove(user).expect("caller checked the session exists");
        self.seen.remove(&(session.last_seen, user.clone()));
        remove_indexed(&mut self.users_on, &session.device, user);
        // The connection (if still open) stays, logged out: it may log in again.
        if let Some(slot) = session.conn.and_then(|c| self.conns.get_mut(&c)) {
            *slot = None;
        }
        let unbind = match reason {
            SessionEnd::Logout => Some(UnbindReason::Logout),
            SessionEnd::KickedOut => Some(UnbindReason::KickedOut),
            SessionEnd::UserSwitch => Some(UnbindReason::UserSwitch),
            SessionEnd::Timeout | SessionEnd::Resumed | SessionEnd::ServerRestart => None,
        };
        if let Some(reason) = unbind {
            for p in self.pushes_of_device(user, &session.device) {
                self.unbind(&p, reason);
            }
        }
        self.event(ServerEvent::SessionEnded { user: user.clone(), device: session.device.clone(), reason });
        session
    }

    #[allow(clippy::too_many_arguments)]
    fn send(
        &mut self,
        conn: ConnId,
        req: u64,
        from: UserId,
        to: UserId,
        body: MessageBody,
        push: Option<PushConfig>,
        now: Millis,
    ) {
        if let Err(why) = check_send(&from, &to, &body, push.as_ref(), self.config.max_text_bytes) {
            return self.error(conn, Some(req), ZimErrorCode::ParamInvalid, &why);
        }
        if !self.known_users.contains(&to) {
            return self.error(conn, Some(req), ZimErrorCode::TargetDoesNotExist, "the recipient has never logged in");
        }
        let conv = ConvKey::peer(&from, &to);
        let log = self.convs.entry(conv.clone()).or_default();
        let message = Message {
            id: MessageId(self.next_message_id),
            conv: conv.clone(),
            seq: log.len() as u64 + 1,
            from: from.clone(),
            body,
            sent_at: now,
        };
        self.next_message_id += 1;
        log.push(message.clone());
        let recipients = conv.recipients(&from);
        for member in [&from, &to] {
            self.user_convs.entry(member.clone()).or_default().insert(conv.clone());
        }
        self.event(ServerEvent::MessageAccepted {
            id: message.id,
            conv,
            seq: message.seq,
            from,
            to: recipients.clone(),
            push: push.is_some(),
        });
        self.frame(conn, ServerFrame::SendOk { req, message: message.clone() });
        for user in recipients {
            self.route(&user, &message, push.as_ref());
        }
    }

    /// Online delivery if the user has a session, offline push otherwise.
    fn route(&mut self, user: &UserId, message: &Message, push: Option<&PushConfig>) {
        if let Some(s) = self.sessions.get_mut(user) {
            s.unacked.insert(message.id, (message.clone(), push.cloned()));
            if let Some(conn) = s.conn {
                self.frame(conn, ServerFrame::Deliver { message: message.clone() });
            }
        } else if let Some(push) = push {
            self.push_to_bindings(user, message, push);
        }
    }

    fn push_to_bindings(&mut self, user: &UserId, message: &Message, push: &PushConfig) {
        if &message.from == user {
            return; // never notify a user about their own message
        }
        for push_id in self.pushes_of.get(user).into_iter().flatten() {
            self.outputs.push_back(ServerOutput::Event(ServerEvent::PushRouted {
                id: message.id,
                user: user.clone(),
                push_id: push_id.clone(),
            }));
            self.outputs.push_back(ServerOutput::Push(PushRequest {
                push_id: push_id.clone(),
                user_id: user.clone(),
                message_id: message.id,
                conv: message.conv.clone(),
                from: message.from.clone(),
                title: push.title.clone(),
                content: push.content.clone(),
                payload: push.payload.clone(),
            }));
        }
    }

    fn sync(&mut self, conn: ConnId, req: u64, user: &UserId, cursors: Vec<Cursor>, limit: u32) {
        let limit = limit.clamp(1, self.config.max_sync_page) as usize;
        let from: BTreeMap<&ConvKey, u64> = cursors.iter().map(|c| (&c.conv, c.seq)).collect();
        let mut messages = Vec::new();
        let mut more = false;
        for conv in self.user_convs.get(user).into_iter().flatten() {
            let after = from.get(conv).copied().unwrap_or(0) as usize;
            let log = &self.convs[conv];
            let pending = log.get(after..).unwrap_or_default();
            let room = limit - messages.len();
            messages.extend(pending.iter().take(room).cloned());
            if pending.len() > room {
                more = true;
                break;
            }
        }
        // Synced messages reached the client: they are no longer due for push at timeout.
        if let Some(session) = self.sessions.get_mut(user) {
            for m in &messages {
                session.unacked.remove(&m.id);
            }
        }
        self.frame(conn, ServerFrame::SyncBatch { req, messages, more });
    }

    /// Closes a connection for good: frames still arriving on it are ignored, and the
    /// shell's later disconnect report is a no-op.
    fn close(&mut self, conn: ConnId) {
        self.conns.remove(&conn);
        self.outputs.push_back(ServerOutput::Close { conn });
    }

    fn frame(&mut self, conn: ConnId, frame: ServerFrame) {
        self.outputs.push_back(ServerOutput::Frame { conn, frame });
    }

    fn error(&mut self, conn: ConnId, req: Option<u64>, code: ZimErrorCode, message: &str) {
        self.frame(conn, ServerFrame::Error { req, code, message: message.to_owned() });
    }

    fn event(&mut self, e: ServerEvent) {
        self.outputs.push_back(ServerOutput::Event(e));
    }
}

/// Removes `value` from the set indexed under `key`, dropping the set once it is empty.
fn remove_indexed<K: Ord, V: Ord>(index: &mut BTreeMap<K, BTreeSet<V>>, key: &K, value: &V) {
    if let Some(set) = index.get_mut(key) {
        set.remove(value);
        if set.is_empty() {
            index.remove(key);
        }
    }
}

fn request_id(frame: &ClientFrame) -> Option<u64> {
    match frame {
        ClientFrame::Login { req, .. }
        | ClientFrame::Logout { req }
        | ClientFrame::BindPush { req, .. }
        | ClientFrame::Send { req, .. }
        | ClientFrame::Sync { req, .. } => Some(*req),
        ClientFrame::Heartbeat | ClientFrame::Ack { .. } => None,
    }
}

#[cfg(test)]
mod tests;
