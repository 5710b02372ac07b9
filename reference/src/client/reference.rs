//! The reference SDK: the behaviour a conforming SDK must show, written plainly. This file
//! owns the ZIM login state machine (login, reconnect, logout, heartbeats, sync); the rest
//! is split by concern:
//!
//! - `local`: the local database that survives an app kill.
//! - `requests`: sends, group and room calls (checked, queued, answered once).
//! - `zpns`: vendor, environment, PushID and notifications.

use super::*;
use crate::error::ZimErrorCode;
use crate::ids::ConvKey;
use crate::pushid::Environment;
use crate::time::PerSecond;
use crate::wire::{check_send, limits, Cursor};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

mod local;
mod requests;
mod zpns;

use local::{LocalStore, PendingLogout, UserStore};

/// Where the ZIM login stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Zim {
    LoggedOut,
    /// Getting a session: waiting for the connection, or for `LoginOk` to `login_req`.
    Connecting {
        user: UserId,
        token: String,
        login_req: Option<u64>,
        /// The app already saw this login succeed: this is a reconnect, retried until it
        /// works, and the app hears of it only as a connection state change.
        resumed: bool,
        /// A `Login` frame went out in this login, so the server may hold a session and a
        /// binding: a logout must then reach the server before the app is told it is done.
        server_may_know: bool,
    },
    LoggedIn {
        user: UserId,
        token: String,
    },
    /// `Logout` sent; `token` is kept to redo it if the connection drops before `LogoutOk`.
    LoggingOut {
        user: UserId,
        token: String,
        req: u64,
    },
}

/// The longest wait for an answer, as a multiple of `pong_timeout_ms` (reference policy:
/// 5 s doubling to 20 s gets a login through a link of up to about 10 s each way).
pub const MAX_REPLY_TIMEOUT_FACTOR: u64 = 4;

/// The reference client SDK.
#[derive(Debug)]
pub struct ReferenceSdk {
    config: SdkConfig,
    store: LocalStore,
    zim: Zim,
    /// The transport is up (between `Connected` and `Disconnected`/`Close`).
    connected: bool,
    /// A login the app asked for while a logout was still under way: started once the
    /// logout is done, so the two never overlap.
    queued_login: Option<(UserId, String)>,
    /// The user (and token) whose login ended last without a logout (kicked out, failed,
    /// timed out): what a logout called now applies to.
    last_user: Option<(UserId, String)>,
    /// When the app's `login` call gives up (the first login only; reconnects retry forever).
    login_deadline: Option<Millis>,
    reconnect_attempt: usize,
    reconnect_at: Option<Millis>,
    heartbeat_at: Option<Millis>,
    /// An answer (`Pong` or `LoginOk`) is due by then, or the link counts as dead.
    reply_deadline: Option<Millis>,
    /// How long an answer may take: `pong_timeout_ms`, doubled after each answer that did
    /// not come (up to [`MAX_REPLY_TIMEOUT_FACTOR`] times it), so a link slower than the
    /// timeout still gets a login through; back to `pong_timeout_ms` on an answer.
    reply_timeout_ms: u64,
    sync_req: Option<u64>,
    /// Sends awaiting `SendOk` (by `toConversationID`): each ends as `MessageSent` or
    /// `SendFailed`, never silently.
    sends: BTreeMap<u64, String>,
    /// Group and room requests awaiting the server's answer.
    requests: BTreeMap<u64, requests::Request>,
    /// When the last sends were accepted, for the 10-per-second limit.
    recent_sends: PerSecond,
    /// Token renewals awaiting `RenewTokenOk`, with the token each offers.
    renewals: BTreeMap<u64, String>,
    /// Session calls the app made while reconnecting (logged in, link down): they go out
    /// once the session is back, or fail if it never comes back.
    outbox: VecDeque<AppCall>,
    next_req: u64,
    zpns: ZpnsConfig,
    debug: bool,
    ios_environment: IosEnvironment,
    push_id: Option<PushId>,
    /// The PushID the server was last given in this session (by `Login` or `BindPush`).
    server_push_id: Option<PushId>,
    /// `unregisterPush` was called with no session up: the next session unbinds.
    unbind_pending: bool,
    /// The app asked for VoIP pushes (`registerPush` with `enableIOSVoIP`, on iOS).
    ios_voip: bool,
    /// The install's VoIP PushID, once PushKit gave a token: bound beside `push_id`.
    voip_push_id: Option<PushId>,
    /// The VoIP PushID the server was last given in this session (by `BindPush`).
    server_voip_push_id: Option<PushId>,
    outputs: VecDeque<SdkOutput>,
}

impl ReferenceSdk {
    pub fn new(config: SdkConfig, persisted: Option<serde_json::Value>) -> ReferenceSdk {
        // Unreadable local data is treated like a fresh install: sync refetches everything
        // and nothing is lost, only re-downloaded.
        let store: LocalStore = persisted.and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
        let mut sdk = ReferenceSdk {
            reply_timeout_ms: config.pong_timeout_ms,
            config,
            store,
            zim: Zim::LoggedOut,
            connected: false,
            queued_login: None,
            last_user: None,
            login_deadline: None,
            reconnect_attempt: 0,
            reconnect_at: None,
            heartbeat_at: None,
            reply_deadline: None,
            sync_req: None,
            sends: BTreeMap::new(),
            renewals: BTreeMap::new(),
            requests: BTreeMap::new(),
            recent_sends: PerSecond::default(),
            outbox: VecDeque::new(),
            next_req: 1,
            zpns: ZpnsConfig::default(),
            debug: false,
            ios_environment: IosEnvironment::Automatic,
            push_id: None,
            server_push_id: None,
            unbind_pending: false,
            ios_voip: false,
            voip_push_id: None,
            server_voip_push_id: None,
            outputs: VecDeque::new(),
        };
        // A logout the last run could not finish comes before anything else in this one.
        if let Some(PendingLogout { user, token }) = sdk.store.pending_logout.clone() {
            sdk.zim = Zim::Connecting { user, token, login_req: None, resumed: true, server_may_know: true };
            sdk.connect();
        }
        sdk
    }

    /// Whether the server may still hold a binding of `user` from this install: their
    /// session was the last one the server accepted here and no logout or kick-out ended it
    /// (a killed app's binding stays, for offline push).
    fn server_holds(&self, user: &UserId) -> bool {
        self.store.last_login.as_ref() == Some(user)
    }

    /// True while the current session exists only to carry out a pending logout.
    fn logging_out(&self) -> bool {
        self.store.pending_logout.is_some()
    }

    fn req(&mut self) -> u64 {
        self.next_req += 1;
        self.next_req - 1
    }

    fn emit(&mut self, event: AppEvent) {
        self.outputs.push_back(SdkOutput::Event { event });
    }

    fn send(&mut self, frame: ClientFrame) {
        self.outputs.push_back(SdkOutput::Send { frame });
    }

    fn state(&mut self, state: ConnectionState, cause: ConnectionEvent) {
        self.emit(AppEvent::ConnectionStateChanged { state, cause });
    }

    fn user_store(&mut self, user: &UserId) -> &mut UserStore {
        self.store.users.entry(user.clone()).or_default()
    }

    /// Forgets everything tied to the current connection; `close` also asks the host to
    /// close it. Sends that were in flight on it fail: their outcome is unknown, and a later
    /// sync shows whether the server stored them.
    fn drop_link(&mut self, close: bool) {
        if close && self.connected {
            self.outputs.push_back(SdkOutput::Close);
        }
        self.connected = false;
        self.heartbeat_at = None;
        self.reply_deadline = None;
        self.sync_req = None;
        self.server_push_id = None;
        self.server_voip_push_id = None;
        self.fail_in_flight();
    }

    /// Ends the login locally: no session, no timers, no pending logout.
    fn become_logged_out(&mut self) {
        self.drop_link(true);
        self.fail_outbox();
        self.last_user = match &self.zim {
            Zim::LoggedIn { user, token }
            | Zim::LoggingOut { user, token, .. }
            | Zim::Connecting { user, token, .. } => Some((user.clone(), token.clone())),
            Zim::LoggedOut => None,
        };
        self.zim = Zim::LoggedOut;
        self.store.pending_logout = None;
        self.login_deadline = None;
        self.reconnect_at = None;
        self.reconnect_attempt = 0;
    }

    /// A logout is over (done or given up on): a login the app asked for meanwhile starts.
    fn after_logout(&mut self, now: Millis) {
        self.last_user = None;
        if let Some((user, token)) = self.queued_login.take() {
            self.on_app(now, AppCall::Login { user, token: Some(token) });
        }
    }

    fn on_app(&mut self, now: Millis, call: AppCall) {
        match call {
            AppCall::SetPushConfig { config } => self.zpns = config,
            AppCall::EnableDebug { debug } => self.debug = debug,
            AppCall::RegisterPush { ios_environment, enable_ios_voip } => {
                self.register_push(ios_environment, enable_ios_voip)
            }
            AppCall::UnregisterPush => self.unregister_push(),
            AppCall::ApplyNotificationPermission => self.outputs.push_back(SdkOutput::RequestNotificationPermission),
            AppCall::Login { user, token } => match &self.zim {
                Zim::LoggedOut => {
                    // No token: the server refuses the login (6000103), as ZIM would.
                    let token = token.unwrap_or_default();
                    self.last_user = None;
                    self.zim = Zim::Connecting { user, token, login_req: None, resumed: false, server_may_know: false };
                    self.login_deadline = Some(now.plus(self.config.login_timeout_ms));
                    self.state(ConnectionState::Connecting, ConnectionEvent::ActiveLogin);
                    self.connect();
                }
                // A logout is still reaching the server (a logout in flight is always
                // pending on disk too): this login follows it.
                _ if self.logging_out() => {
                    self.queued_login = Some((user, token.unwrap_or_default()));
                }
                _ => {
                    let message = "already logged in; call logout before switching users".into();
                    self.emit(AppEvent::LoginFailed { user, code: ZimErrorCode::UserHasAlreadyLogged.code(), message })
                }
            },
            AppCall::RenewToken { token } => {
                let token = token.unwrap_or_default();
                match &mut self.zim {
                    Zim::LoggedIn { .. } if self.connected => {
                        let req = self.req();
                        self.renewals.insert(req, token.clone());
                        self.send(ClientFrame::RenewToken { req, token });
                    }
                    // Reconnecting: the next login carries the new token, and the server
                    // judges it there.
                    Zim::Connecting { token: current, resumed: true, .. } => {
                        *current = token;
                        self.emit(AppEvent::TokenRenewed { code: 0, message: String::new() });
                    }
                    _ => {
                        let (code, message) = (ZimErrorCode::UserIsNotLogged.code(), "not logged in".into());
                        self.emit(AppEvent::TokenRenewed { code, message });
                    }
                }
            }
            AppCall::Logout => match self.zim.clone() {
                Zim::LoggedIn { user, token } => {
                    // On disk first: if the app dies before the server answers, the next
                    // launch finishes the logout.
                    self.store.pending_logout = Some(PendingLogout { user: user.clone(), token: token.clone() });
                    let req = self.req();
                    self.send(ClientFrame::Logout { req });
                    self.zim = Zim::LoggingOut { user, token, req };
                }
                // Nothing of this login reached the server, and the install's last session
                // there was someone else's (or none): there is nothing to undo.
                Zim::Connecting { user, server_may_know: false, .. } if !self.server_holds(&user) => {
                    self.become_logged_out();
                    self.emit(AppEvent::LoggedOut { user });
                    self.state(ConnectionState::Disconnected, ConnectionEvent::Success);
                    self.after_logout(now);
                }
                Zim::Connecting { user, token, .. } => {
                    self.store.pending_logout = Some(PendingLogout { user, token });
                    self.login_deadline = None; // the server must hear it, however long that takes
                }
                Zim::LoggedOut => match self.last_user.clone() {
                    // The login failed, but an earlier launch's session may have left a
                    // binding: a session must carry the logout.
                    Some((user, token)) if self.server_holds(&user) => {
                        self.store.pending_logout = Some(PendingLogout { user: user.clone(), token: token.clone() });
                        self.zim =
                            Zim::Connecting { user, token, login_req: None, resumed: true, server_may_know: true };
                        self.connect();
                    }
                    // Kicked out, or a login that never reached the server: nothing to undo.
                    Some((user, _)) => {
                        self.emit(AppEvent::LoggedOut { user });
                        self.after_logout(now);
                    }
                    None => self.emit(AppEvent::LogoutFailed {
                        user: UserId::new(""),
                        code: ZimErrorCode::UserIsNotLogged.code(),
                        message: "nobody is logged in".into(),
                    }),
                },
                Zim::LoggingOut { .. } => {} // its answer is on the way
            },
            call @ (AppCall::Send { .. }
            | AppCall::CreateGroup { .. }
            | AppCall::JoinGroup { .. }
            | AppCall::LeaveGroup { .. }
            | AppCall::DismissGroup { .. }
            | AppCall::EnterRoom { .. }
            | AppCall::LeaveRoom { .. }
            | AppCall::SetNotificationStatus { .. }
            | AppCall::SetBadge { .. }
            | AppCall::UpdateOfflinePushRule { .. }) => self.on_session_call(now, call),
        }
    }

    fn connect(&mut self) {
        self.reconnect_at = None;
        if !self.connected {
            self.outputs.push_back(SdkOutput::Connect);
        }
    }

    fn on_connected(&mut self, now: Millis) {
        self.connected = true;
        self.reconnect_at = None;
        let Zim::Connecting { user, token, resumed, .. } = self.zim.clone() else {
            return self.drop_link(true); // nothing to do on this connection any more
        };
        let req = self.req();
        // A login that only exists to log out must not bind the PushID again.
        let push_id = if self.logging_out() { None } else { self.push_id.clone() };
        self.server_push_id = push_id.clone();
        // On disk before it leaves: the server may accept it even if the app dies first.
        self.store.last_login = Some(user.clone());
        self.send(ClientFrame::Login {
            req,
            user_id: user.clone(),
            token: token.clone(),
            device_id: self.config.device_id.clone(),
            platform: self.config.platform,
            push_id,
        });
        self.zim = Zim::Connecting { user, token, login_req: Some(req), resumed, server_may_know: true };
        self.reply_deadline = Some(now.plus(self.reply_timeout_ms));
    }

    fn on_disconnected(&mut self, now: Millis) {
        self.drop_link(false);
        match self.zim.clone() {
            Zim::LoggedIn { user, token } => {
                self.zim = Zim::Connecting { user, token, login_req: None, resumed: true, server_may_know: true };
                self.state(ConnectionState::Reconnecting, ConnectionEvent::LoginInterrupted);
                self.schedule_reconnect(now);
            }
            Zim::LoggingOut { user, token, .. } => {
                // The logout may not have reached the server: redo it on a new session (it
                // is still pending on disk).
                self.zim = Zim::Connecting { user, token, login_req: None, resumed: true, server_may_know: true };
                self.schedule_reconnect(now);
            }
            Zim::Connecting { user, token, resumed, server_may_know, .. } => {
                self.zim = Zim::Connecting { user, token, login_req: None, resumed, server_may_know };
                self.schedule_reconnect(now);
            }
            Zim::LoggedOut => {}
        }
    }

    fn schedule_reconnect(&mut self, now: Millis) {
        let steps = &self.config.reconnect_backoff_ms;
        let delay = steps.get(self.reconnect_attempt).or(steps.last()).copied().unwrap_or(1_000);
        self.reconnect_attempt += 1;
        self.reconnect_at = Some(now.plus(delay));
    }

    fn on_login_ok(&mut self, now: Millis, req: u64) {
        let Zim::Connecting { user, token, login_req: Some(r), resumed, .. } = self.zim.clone() else { return };
        if r != req {
            return;
        }
        self.reconnect_attempt = 0;
        self.login_deadline = None;
        self.reply_deadline = None;
        self.reply_timeout_ms = self.config.pong_timeout_ms;
        self.heartbeat_at = Some(now.plus(self.config.heartbeat_interval_ms));
        self.zim = Zim::LoggedIn { user: user.clone(), token };
        if self.logging_out() {
            return self.on_app(now, AppCall::Logout);
        }
        self.state(ConnectionState::Connected, ConnectionEvent::Success);
        if !resumed {
            self.emit(AppEvent::LoggedIn { user: user.clone() });
        }
        // What the app sent while reconnecting goes out now, in order.
        while let Some(call) = self.outbox.pop_front() {
            self.dispatch(call);
        }
        // The token may have arrived after the Login frame left: bind it now.
        if self.push_id.is_some() && self.push_id != self.server_push_id {
            self.bind_push();
        }
        if self.voip_push_id.is_some() && self.voip_push_id != self.server_voip_push_id {
            self.bind_voip_push();
        }
        if std::mem::take(&mut self.unbind_pending) {
            self.unbind_push();
        }
        self.start_sync(&user);
    }

    fn on_frame(&mut self, now: Millis, frame: ServerFrame) {
        match frame {
            ServerFrame::LoginOk { req } => self.on_login_ok(now, req),
            ServerFrame::LogoutOk { req } => {
                if let Zim::LoggingOut { user, req: r, .. } = self.zim.clone() {
                    if r == req {
                        self.store.last_login = None; // the server unbound it
                        self.become_logged_out();
                        self.emit(AppEvent::LoggedOut { user });
                        self.state(ConnectionState::Disconnected, ConnectionEvent::Success);
                        self.after_logout(now);
                    }
                }
            }
            ServerFrame::Pong => {
                self.reply_deadline = None;
                self.reply_timeout_ms = self.config.pong_timeout_ms;
            }
            ServerFrame::BindOk { .. } => {}
            ServerFrame::SendOk { req, message } => {
                if self.sends.remove(&req).is_some() {
                    if let Some(user) = self.user() {
                        self.user_store(&user).admit(&message);
                    }
                    self.emit(AppEvent::MessageSent { message });
                }
            }
            ServerFrame::Deliver { message } => {
                self.send(ClientFrame::Ack { id: message.id });
                self.surface(message, Via::Online);
            }
            ServerFrame::SyncBatch { req, messages, more } => {
                if self.sync_req != Some(req) {
                    return;
                }
                self.sync_req = None;
                for m in messages {
                    self.surface(m, Via::Sync);
                }
                let Some(user) = self.user() else { return };
                if more {
                    self.start_sync(&user);
                } else {
                    self.emit(AppEvent::SyncCompleted { user });
                }
            }
            ServerFrame::RenewTokenOk { req } => {
                if let Some(new) = self.renewals.remove(&req) {
                    // Reconnects log in with the renewed token from now on.
                    if let Zim::LoggedIn { token, .. } = &mut self.zim {
                        *token = new;
                    }
                    self.emit(AppEvent::TokenRenewed { code: 0, message: String::new() });
                }
            }
            ServerFrame::TokenWillExpire { second } => self.emit(AppEvent::TokenWillExpire { second }),
            ServerFrame::TokenExpired => {
                // The session is over; the binding stays (the user did not log out), so the
                // install is still `last_login` and a logout called now must reach the server.
                let logging_out = self.logging_out();
                self.become_logged_out();
                if let (true, Some((user, _))) = (logging_out, self.last_user.clone()) {
                    let message = "the session's token expired before the logout reached the server".into();
                    self.emit(AppEvent::LogoutFailed { user, code: ZimErrorCode::TokenExpired.code(), message });
                }
                self.state(ConnectionState::Disconnected, ConnectionEvent::TokenExpired);
                if logging_out {
                    self.after_logout(now);
                }
            }
            ServerFrame::GroupOk { req, group_id } => {
                self.answer_request(req, Ok(Some(group_id)));
            }
            ServerFrame::RoomOk { req, .. } | ServerFrame::SettingOk { req } => {
                self.answer_request(req, Ok(None));
            }
            ServerFrame::GroupChanged { group_id, change } => self.emit(AppEvent::GroupChanged { group_id, change }),
            ServerFrame::UserRuleUpdated { rule } => self.emit(AppEvent::UserRuleUpdated { rule }),
            ServerFrame::KickedOut => {
                self.store.last_login = None; // the kick-out unbound this install
                let logging_out = self.logging_out();
                self.become_logged_out();
                self.state(ConnectionState::Disconnected, ConnectionEvent::KickedOut);
                // The kick-out ended the session and its binding: a logout under way is done.
                if let (true, Some((user, _))) = (logging_out, self.last_user.clone()) {
                    self.emit(AppEvent::LoggedOut { user });
                    self.after_logout(now);
                }
            }
            ServerFrame::Error { req, code, message } => self.on_error(now, req, code, message),
        }
    }

    fn on_error(&mut self, now: Millis, req: Option<u64>, code: ZimErrorCode, message: String) {
        let Some(req) = req else { return };
        if let Some(to) = self.sends.remove(&req) {
            return self.emit(AppEvent::SendFailed { to, code: code.code(), message });
        }
        if self.renewals.remove(&req).is_some() {
            return self.emit(AppEvent::TokenRenewed { code: code.code(), message });
        }
        if self.requests.contains_key(&req) {
            self.answer_request(req, Err((code, message)));
            return;
        }
        let Zim::Connecting { user, login_req: Some(r), .. } = self.zim.clone() else { return };
        if r != req {
            return;
        }
        let logging_out = self.logging_out();
        self.become_logged_out();
        if logging_out {
            // The server would not take a session, so the logout could not be confirmed
            // there: the app must not believe the binding is gone. (Another user's login
            // from this install still unbinds it: one install serves one user.)
            self.emit(AppEvent::LogoutFailed { user, code: code.code(), message });
        } else {
            self.emit(AppEvent::LoginFailed { user, code: code.code(), message });
        }
        let cause = match code {
            ZimErrorCode::TokenExpired => ConnectionEvent::TokenExpired,
            _ => ConnectionEvent::LoginTimeout,
        };
        self.state(ConnectionState::Disconnected, cause);
        if logging_out {
            self.after_logout(now);
        }
    }

    fn user(&self) -> Option<UserId> {
        match &self.zim {
            Zim::LoggedIn { user, .. } | Zim::LoggingOut { user, .. } | Zim::Connecting { user, .. } => {
                Some(user.clone())
            }
            Zim::LoggedOut => None,
        }
    }

    fn start_sync(&mut self, user: &UserId) {
        let req = self.req();
        self.sync_req = Some(req);
        let cursors = self.user_store(user).cursors();
        let limit = self.config.sync_page;
        self.send(ClientFrame::Sync { req, cursors, limit });
    }

    /// Shows a message to the app unless this install already has it. Nothing surfaces
    /// while a logout is under way: the user has left (a later sync fetches it if they
    /// come back, since it is not marked as seen).
    fn surface(&mut self, message: Message, via: Via) {
        if self.logging_out() {
            return; // (a logout in flight is always pending on disk too)
        }
        let Some(user) = self.user() else { return };
        if self.user_store(&user).admit(&message) {
            self.emit(AppEvent::MessageReceived { user, message, via });
        }
    }

    fn on_tick(&mut self, now: Millis) {
        if self.login_deadline.is_some_and(|d| now >= d) {
            if let Zim::Connecting { user, .. } = self.zim.clone() {
                self.become_logged_out();
                let message = "no session within the login timeout".into();
                self.emit(AppEvent::LoginFailed { user, code: ZimErrorCode::NetworkError.code(), message });
                self.state(ConnectionState::Disconnected, ConnectionEvent::LoginTimeout);
                return;
            }
        }
        if self.reply_deadline.is_some_and(|d| now >= d) {
            // The link is dead even though no close was seen (half-open), or slower than
            // the timeout: drop it, and wait longer on the next one.
            let max = self.config.pong_timeout_ms * MAX_REPLY_TIMEOUT_FACTOR;
            self.reply_timeout_ms = (self.reply_timeout_ms * 2).min(max);
            self.drop_link(true);
            return self.on_disconnected(now);
        }
        if self.reconnect_at.is_some_and(|t| now >= t) {
            self.connect();
        }
        if self.heartbeat_at.is_some_and(|t| now >= t) && self.connected {
            self.send(ClientFrame::Heartbeat);
            self.heartbeat_at = Some(now.plus(self.config.heartbeat_interval_ms));
            if self.reply_deadline.is_none() {
                self.reply_deadline = Some(now.plus(self.reply_timeout_ms));
            }
        }
    }
}

impl Core for ReferenceSdk {
    type Input = SdkInput;
    type Output = SdkOutput;

    fn handle(&mut self, now: Millis, input: SdkInput) {
        match input {
            // A login the app asked for while a logout was under way, and now a logout: that
            // login never starts (nothing of it reached the server); the logout under way
            // goes on.
            SdkInput::App { call: AppCall::Logout } if self.queued_login.is_some() => {
                let (user, _) = self.queued_login.take().expect("checked");
                // The same user's logout under way reports itself when the server confirms.
                if self.store.pending_logout.as_ref().is_none_or(|p| p.user != user) {
                    self.emit(AppEvent::LoggedOut { user });
                }
            }
            SdkInput::App { call } => self.on_app(now, call),
            SdkInput::Connected => self.on_connected(now),
            SdkInput::Disconnected => self.on_disconnected(now),
            SdkInput::Frame { frame } => self.on_frame(now, frame),
            SdkInput::VendorToken { vendor, token } => self.on_vendor_token(vendor, token),
            SdkInput::VendorTokenFailed { reason, .. } => {
                self.emit(AppEvent::Registered { error_code: 1, push_id: None, message: reason })
            }
            SdkInput::VoipToken { token } => self.on_voip_token(token),
            SdkInput::VoipTokenFailed { reason } => self.emit(AppEvent::Registered {
                error_code: 1,
                push_id: None,
                message: format!("no VoIP token: {reason}"),
            }),
            SdkInput::Notification { vendor, payload } => self.on_notification(vendor, &payload),
            SdkInput::NotificationTapped { vendor, payload } => self.on_notification_tapped(vendor, &payload),
            SdkInput::Tick => self.on_tick(now),
        }
    }

    fn poll_output(&mut self) -> Option<SdkOutput> {
        self.outputs.pop_front()
    }

    fn poll_timeout(&self) -> Option<Millis> {
        [self.login_deadline, self.reconnect_at, self.heartbeat_at, self.reply_deadline].into_iter().flatten().min()
    }
}

impl ClientSdk for ReferenceSdk {
    fn persisted(&self) -> serde_json::Value {
        serde_json::to_value(&self.store).expect("the local store always serializes")
    }
}

#[cfg(test)]
mod tests;
