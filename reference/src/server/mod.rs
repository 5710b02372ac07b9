//! The ZIM server core. It owns no sockets and no clock: the shell feeds it
//! [`ServerInput`]s with `now` and carries out the [`ServerOutput`]s (the [`Core`] contract).
//!
//! This file owns the server's vocabulary (config, inputs, outputs, trace events) and the
//! dispatch of each client frame; each concern keeps its state and rules in its own file:
//!
//! - [`api`]: the REST API an app's backend calls (signed; sends and online state).
//! - [`sessions`]: connections, sessions, presence deadlines, login / logout / kick-out.
//! - [`bindings`]: user <-> PushID bindings, one owner per PushID.
//! - [`store`]: conversations, sequences, sends, online delivery, sync.
//! - [`groups`]: groups, their owners and members.
//! - [`rooms`]: rooms, online-only.
//! - [`settings`]: do-not-disturb per conversation, badges.
//! - [`push`]: who is pushed for a message, and the hand-over queue to the ZPNs relay.
//!
//! Reference policies where ZEGO's docs are silent are listed in docs/policies.md.

mod api;
mod bindings;
mod groups;
mod push;
mod rooms;
mod sessions;
mod settings;
mod store;

use crate::core::{ApiRequest, ApiResponse, Core};
use crate::error::ZimErrorCode;
use crate::http::HttpRequest;
use crate::ids::{ConnId, ConvKey, DeviceId, GroupId, MessageId, UserId};
use crate::pushid::PushId;
use crate::small::VecSet;
use crate::time::Millis;
use crate::wire::{
    ClientFrame, GroupChange, Message, NotificationStatus, OfflinePushRule, Platform, PushRequest, ServerFrame,
    MAX_FRAME_LEN,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

use bindings::Bindings;
use groups::Groups;
use push::Handover;
use rooms::Rooms;
pub use sessions::LoginPolicy;
use sessions::Sessions;
use settings::Settings;
use store::Store;

/// Server settings. Defaults are the reference policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerConfig {
    pub app_id: u32,
    /// Shared with the app's backend, which mints Token04 login tokens (32 bytes: the
    /// AES-256 key).
    pub server_secret: String,
    /// How many sessions a user may hold at once: ZIM's default single-device login, or
    /// its multi-device login (one session per platform).
    #[serde(default)]
    pub login_policy: LoginPolicy,
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
    /// Most pushes carried by one hand-over request to the relay.
    pub handover_batch: usize,
    /// Unix time (ms) of simulated time 0, to judge token expiries (unix seconds).
    pub epoch_unix_ms: u64,
    /// A session is told its token will expire this long before it does (ZIM: 30 s).
    pub token_warning_ms: u64,
    /// Most members a group may have (ZIM's Basic and Pro plans: 200).
    pub group_member_limit: usize,
    /// Deliberate defects, all off: never a policy. The conformance suite's server mutants
    /// turn one on to show that the invariant it breaks catches it.
    #[serde(default, skip_serializing_if = "Defects::is_none")]
    pub defects: Defects,
}

/// Bugs a ZIM server could have, each off by default (see `ServerConfig::defects`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Defects {
    /// Push a message to recipients with a live session too.
    pub push_online_users: bool,
    /// Push a message to its sender's own PushIDs too.
    pub push_the_sender: bool,
    /// Treat room messages like stored ones for push: honour their push config.
    pub push_room_messages: bool,
    /// Push a message sent without a push config with an empty one.
    pub push_without_config: bool,
    /// On a login from another install, kick the old session out but keep its PushIDs.
    pub keep_kicked_bindings: bool,
    /// When another user takes a PushID, leave it in the old owner's routing index.
    pub stale_owner_index: bool,
    /// Push conversations the recipient set to do-not-disturb.
    pub ignore_dnd: bool,
    /// Set the badge to each push's increment instead of adding it to the count.
    pub badge_forgets_count: bool,
    /// Push every install, whatever the user's offline-push rule says.
    pub ignore_push_rule: bool,
}

impl Defects {
    pub fn is_none(&self) -> bool {
        *self == Defects::default()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            app_id: 1_234_567_890,
            server_secret: "zimsim0server0secret0f0r0token04".into(),
            login_policy: LoginPolicy::SingleDevice,
            heartbeat_timeout_ms: 30_000,
            max_sync_page: 100,
            max_text_bytes: 2048,
            one_user_per_install: true,
            handover_batch: 100,
            epoch_unix_ms: crate::time::SIM_EPOCH_UNIX_MS,
            token_warning_ms: 30_000,
            group_member_limit: 200,
            defects: Defects::default(),
        }
    }
}

/// What happened to the server, as its shell reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerInput {
    /// The process (re)started: at the first start, or after a crash. The durable store
    /// survives, because every write to it is committed before it is answered: PushID
    /// bindings, the users who ever logged in, every conversation with its sequence, and
    /// the message ID counter. Connections, sessions, presence and the hand-over queue were
    /// memory: each session ends (`server_restart`), and what a session had not acked is
    /// not pushed (it is stored, and reaches its recipients by sync).
    Restart,
    /// The shell accepted a connection and numbered it with [`ZimServer::next_conn`].
    Connected {
        conn: ConnId,
    },
    Frame {
        conn: ConnId,
        frame: ClientFrame,
    },
    /// A frame of `len` bytes, over the frame limit, was skipped unread (`req` as far as
    /// its first bytes show it).
    FrameTooLarge {
        conn: ConnId,
        req: Option<u64>,
        len: usize,
    },
    /// The connection closed (either side).
    Disconnected {
        conn: ConnId,
    },
    /// The relay answered hand-over `id` with `status`, or could not be reached (`None`).
    HandoverDone {
        id: u64,
        status: Option<u16>,
    },
    /// A call to the server REST API; answered with [`ServerOutput::Respond`].
    Api(ApiRequest),
    /// Time passed; [`Core::poll_timeout`] may be due.
    Tick,
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
    /// The vendor said the token is dead (uninstall, expiry, refresh); the relay reported it.
    DeadToken,
    /// The app called `unregisterPush`.
    Unregister,
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
    /// The session's token expired without a renewal.
    TokenExpired,
}

/// Facts the server establishes, for the trace and the invariant checkers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ServerEvent {
    /// The process (re)started, with the login policy checkers judge sessions by.
    Started {
        login_policy: LoginPolicy,
    },
    SessionOpened {
        user: UserId,
        device: DeviceId,
        platform: Platform,
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
        /// 0 for a message that is not stored.
        seq: u64,
        from: UserId,
        /// Who it is for: the peer, or the group's or room's other members at that moment.
        to: Vec<UserId>,
        /// Whether it came with a push config the server will use (never for rooms or
        /// commands).
        push: bool,
        /// Whether it is stored (synced, pushable); room and command messages are not.
        #[serde(default = "yes")]
        stored: bool,
        /// The badge increment its push config asks for, when it enables the badge.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        badge_increment: Option<u32>,
    },
    /// A group was created or dismissed, or its members changed.
    GroupChanged {
        group_id: GroupId,
        change: GroupChange,
    },
    /// The server decided to notify `push_id` of message `id` for `user` (the push is then
    /// handed to the relay). Checkers judge a push by this moment, not by its arrival.
    PushRouted {
        id: MessageId,
        user: UserId,
        push_id: PushId,
        /// The badge the push sets, when its config enables one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        badge: Option<u32>,
        /// The console push resource the push config names, if any.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        resources_id: String,
    },
    /// A user set a conversation's notification status (do-not-disturb or notify).
    NotificationStatusSet {
        user: UserId,
        conv: ConvKey,
        status: NotificationStatus,
    },
    /// A user replaced their offline-push rule (an empty rule removes it).
    PushRuleSet {
        user: UserId,
        rule: OfflinePushRule,
    },
    /// An install reported its badge.
    BadgeSet {
        user: UserId,
        push_id: PushId,
        badge: u32,
    },
    /// The hand-over of `request` to the relay ended: the relay's HTTP status, or `None`
    /// when every attempt failed to reach it (the push is dropped; the message is stored
    /// and reaches the user by sync).
    PushSubmitted {
        request: PushRequest,
        status: Option<u16>,
    },
}

fn yes() -> bool {
    true
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
    /// Send this request to the ZPNs relay and answer with [`ServerInput::HandoverDone`].
    Handover {
        id: u64,
        request: HttpRequest,
    },
    /// The answer to [`ServerInput::Api`] with the same number.
    Respond(ApiResponse),
    Event(ServerEvent),
}

/// The reference ZIM server.
#[derive(Debug)]
pub struct ZimServer {
    config: ServerConfig,
    sessions: Sessions,
    bindings: Bindings,
    store: Store,
    groups: Groups,
    rooms: Rooms,
    settings: Settings,
    handover: Handover,
    /// The PushIDs one push goes to, kept between pushes (`push::push_to_bindings`).
    push_scratch: Vec<PushId>,
    api_calls: api::ApiCalls,
    /// REST requests served, to number their `RequestId`s.
    api_requests: u64,
    /// Durable, so connection numbers stay unique across restarts (traces name them).
    next_conn_id: u64,
    out: Outbox,
}

impl Core for ZimServer {
    type Input = ServerInput;
    type Output = ServerOutput;

    fn handle(&mut self, now: Millis, input: ServerInput) {
        match input {
            ServerInput::Restart => self.restart(),
            ServerInput::Connected { conn } => self.sessions.connect(conn),
            ServerInput::Frame { conn, frame } => self.client_frame(conn, frame, now),
            ServerInput::FrameTooLarge { conn, req, len } => self.frame_too_large(conn, req, len, now),
            ServerInput::Disconnected { conn } => self.sessions.disconnect(conn),
            ServerInput::HandoverDone { id, status } => self.handover.done(id, status, now, &mut self.out),
            ServerInput::Api(request) => self.api(now, request),
            ServerInput::Tick => {
                self.expire_tokens(now);
                self.expire_sessions(now);
                self.handover.tick(now, &mut self.out);
            }
        }
    }

    fn poll_output(&mut self) -> Option<ServerOutput> {
        self.out.0.pop_front()
    }

    /// The earliest presence timeout, token warning or expiry, or hand-over retry.
    fn poll_timeout(&self) -> Option<Millis> {
        let presence = self.sessions.oldest_frame().map(|t| t.plus(self.config.heartbeat_timeout_ms));
        [presence, self.sessions.next_token_deadline(), self.handover.retry_at()].into_iter().flatten().min()
    }
}

impl ZimServer {
    pub fn new(config: ServerConfig) -> ZimServer {
        ZimServer {
            handover: Handover::new(config.handover_batch),
            push_scratch: Vec::new(),
            api_calls: api::ApiCalls::default(),
            api_requests: 0,
            sessions: Sessions::new(config.token_warning_ms),
            config,
            bindings: Bindings::default(),
            store: Store::default(),
            groups: Groups::default(),
            rooms: Rooms::default(),
            settings: Settings::default(),
            next_conn_id: 1,
            out: Outbox::default(),
        }
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The owner of `push_id`, if bound.
    pub fn binding(&self, push_id: &PushId) -> Option<&UserId> {
        self.bindings.owner(push_id)
    }

    /// Whether `user` has a session (attached or detached) right now.
    pub fn is_online(&self, user: &UserId) -> bool {
        self.sessions.is_online(user)
    }

    /// Every stored message of a conversation, in sequence order.
    pub fn conversation(&self, conv: &ConvKey) -> &[Message] {
        self.store.conversation(conv)
    }

    /// A number for a connection the shell just accepted, never used before by this server
    /// (restarts included).
    pub fn next_conn(&mut self) -> ConnId {
        let conn = ConnId(self.next_conn_id);
        self.next_conn_id += 1;
        conn
    }

    fn restart(&mut self) {
        self.out.0.clear();
        self.out.event(ServerEvent::Started { login_policy: self.config.login_policy });
        self.handover = Handover::new(self.config.handover_batch);
        self.api_calls = api::ApiCalls::default();
        for at in self.sessions.all() {
            self.end_session(&at, SessionEnd::ServerRestart);
        }
        self.sessions.forget_connections();
        self.rooms = Rooms::default();
    }

    /// A logged-in client is told which request was too large and keeps its connection;
    /// anyone else is disconnected.
    fn frame_too_large(&mut self, conn: ConnId, req: Option<u64>, len: usize, now: Millis) {
        match self.sessions.session_on(conn) {
            None => {}
            Some(None) => self.sessions.close(conn, &mut self.out),
            Some(Some(at)) => {
                let at = at.clone();
                self.sessions.touch(&at, now);
                let why = format!("frame of {len} bytes exceeds the {MAX_FRAME_LEN}-byte limit");
                self.out.error(conn, req, ZimErrorCode::ParamInvalid, &why);
            }
        }
    }

    fn client_frame(&mut self, conn: ConnId, frame: ClientFrame, now: Millis) {
        let Some(slot) = self.sessions.session_on(conn) else {
            return; // a frame racing its connection's close
        };
        let Some(at) = slot.cloned() else {
            return self.logged_out_frame(conn, frame, now);
        };
        self.sessions.touch(&at, now);
        let user = &at.user;
        match frame {
            ClientFrame::Login { req, .. } => self.out.error(
                conn,
                Some(req),
                ZimErrorCode::UserHasAlreadyLogged,
                "this connection is already logged in",
            ),
            ClientFrame::Heartbeat => self.out.frame(conn, ServerFrame::Pong),
            ClientFrame::Logout { req } => {
                self.end_session(&at, SessionEnd::Logout);
                self.out.frame(conn, ServerFrame::LogoutOk { req });
            }
            ClientFrame::BindPush { req, push_id } => {
                let platform = self.sessions.get(&at).expect("a logged-in connection has a session").platform;
                let stale = self.config.defects.stale_owner_index;
                self.bindings.bind(user, &at.device, platform, push_id, stale, &mut self.out);
                self.out.frame(conn, ServerFrame::BindOk { req });
            }
            ClientFrame::UnbindPush { req } => {
                for push_id in self.bindings.of_device(user, &at.device) {
                    self.bindings.unbind(&push_id, UnbindReason::Unregister, &mut self.out);
                }
                self.out.frame(conn, ServerFrame::BindOk { req });
            }
            ClientFrame::Send { req, message } => self.send(conn, req, &at, message, now),
            ClientFrame::CreateGroup { req, group_id, members, .. } => {
                self.create_group(conn, req, user, group_id, members)
            }
            ClientFrame::JoinGroup { req, group_id } => self.join_group(conn, req, user, group_id),
            ClientFrame::LeaveGroup { req, group_id } => self.leave_group(conn, req, user, group_id),
            ClientFrame::DismissGroup { req, group_id } => self.dismiss_group(conn, req, user, group_id),
            ClientFrame::EnterRoom { req, room_id } => self.enter_room(conn, req, user, room_id),
            ClientFrame::LeaveRoom { req, room_id } => self.leave_room(conn, req, user, room_id),
            ClientFrame::SetNotificationStatus { req, to, conv_type, status } => {
                let conv = ConvKey::named(user, &to, conv_type);
                self.set_notification_status(conn, req, user, conv, status)
            }
            ClientFrame::SetBadge { req, badge } => self.set_badge(conn, req, &at, badge),
            ClientFrame::UpdateOfflinePushRule { req, rule } => self.set_push_rule(conn, req, user, rule),
            ClientFrame::RenewToken { req, token } => self.renew_token(conn, req, &at, &token, now),
            ClientFrame::Ack { id } => self.sessions.acked(&at, id),
            ClientFrame::Sync { req, cursors, limit } => self.sync(conn, req, &at, cursors, limit),
        }
    }

    /// A frame on a connection with no session: only a login is welcome.
    fn logged_out_frame(&mut self, conn: ConnId, frame: ClientFrame, now: Millis) {
        match frame {
            ClientFrame::Login { req, user_id, token, device_id, platform, push_id } => {
                let login = sessions::Login { conn, req, user: user_id, token, device: device_id, platform, push_id };
                self.login(login, now)
            }
            frame => {
                let req = request_id(&frame);
                self.out.error(conn, req, ZimErrorCode::UserIsNotLogged, "log in first");
            }
        }
    }
}

/// The outputs the core has queued for its shell, with a helper per kind.
#[derive(Debug, Default)]
struct Outbox(VecDeque<ServerOutput>);

impl Outbox {
    fn frame(&mut self, conn: ConnId, frame: ServerFrame) {
        self.0.push_back(ServerOutput::Frame { conn, frame });
    }

    fn error(&mut self, conn: ConnId, req: Option<u64>, code: ZimErrorCode, message: &str) {
        self.frame(conn, ServerFrame::Error { req, code, message: message.to_owned() });
    }

    fn event(&mut self, e: ServerEvent) {
        self.0.push_back(ServerOutput::Event(e));
    }
}

/// Removes `value` from the set indexed under `key`, dropping the set once it is empty.
fn remove_indexed<K: Ord, V: Ord>(index: &mut BTreeMap<K, VecSet<V>>, key: &K, value: &V) {
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
        | ClientFrame::UnbindPush { req }
        | ClientFrame::RenewToken { req, .. }
        | ClientFrame::CreateGroup { req, .. }
        | ClientFrame::JoinGroup { req, .. }
        | ClientFrame::LeaveGroup { req, .. }
        | ClientFrame::DismissGroup { req, .. }
        | ClientFrame::EnterRoom { req, .. }
        | ClientFrame::LeaveRoom { req, .. }
        | ClientFrame::SetNotificationStatus { req, .. }
        | ClientFrame::SetBadge { req, .. }
        | ClientFrame::UpdateOfflinePushRule { req, .. }
        | ClientFrame::Send { req, .. }
        | ClientFrame::Sync { req, .. } => Some(*req),
        ClientFrame::Heartbeat | ClientFrame::Ack { .. } => None,
    }
}

#[cfg(test)]
mod tests;
