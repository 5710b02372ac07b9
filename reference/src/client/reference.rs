//! The reference SDK: the behaviour a conforming SDK must show, written plainly.

use super::*;
use crate::error::ZimErrorCode;
use crate::ids::ConvKey;
use crate::pushid::Environment;
use crate::wire::{Cursor, MessageBody};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Per-conversation read position with gap tracking: `contiguous` is the highest seq such
/// that every seq up to it is held; `ahead` holds seqs received beyond a gap. Sync always
/// restarts from `contiguous`, so a message that arrives out of order never hides a gap.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct ConvCursor {
    contiguous: u64,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    ahead: BTreeSet<u64>,
}

impl ConvCursor {
    fn mark(&mut self, seq: u64) {
        if seq <= self.contiguous {
            return;
        }
        self.ahead.insert(seq);
        while self.ahead.remove(&(self.contiguous + 1)) {
            self.contiguous += 1;
        }
    }
}

/// The SDK's local database: what survives an app kill.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct LocalStore {
    /// Per user (an install can be shared by several accounts over time).
    users: BTreeMap<UserId, UserStore>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct UserStore {
    #[serde(with = "cursor_pairs")]
    cursors: BTreeMap<ConvKey, ConvCursor>,
    seen: BTreeSet<MessageId>,
}

/// JSON object keys must be strings and a [`ConvKey`] is a tagged struct, so the cursors are
/// stored as a list of `[conv, cursor]` pairs (as a map, `persisted()` could not serialize).
mod cursor_pairs {
    use super::{BTreeMap, ConvCursor, ConvKey};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(map: &BTreeMap<ConvKey, ConvCursor>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(map)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<ConvKey, ConvCursor>, D::Error> {
        Ok(Vec::<(ConvKey, ConvCursor)>::deserialize(d)?.into_iter().collect())
    }
}

impl UserStore {
    /// Records a message; true if it is new to this install.
    fn admit(&mut self, m: &Message) -> bool {
        self.cursors.entry(m.conv.clone()).or_default().mark(m.seq);
        self.seen.insert(m.id)
    }

    fn cursors(&self) -> Vec<Cursor> {
        self.cursors.iter().map(|(conv, c)| Cursor { conv: conv.clone(), seq: c.contiguous }).collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Zim {
    LoggedOut,
    /// Waiting for a connection or a `LoginOk`.
    Connecting {
        user: UserId,
        token: String,
        login_req: Option<u64>,
    },
    LoggedIn {
        user: UserId,
        token: String,
    },
    /// Lost the connection while logged in; `retry_at` is the next attempt.
    Reconnecting {
        user: UserId,
        token: String,
    },
    /// `token` is kept to redo the logout if the connection drops before `LogoutOk`.
    LoggingOut {
        user: UserId,
        token: String,
        req: u64,
    },
}

/// The reference client SDK.
#[derive(Debug)]
pub struct ReferenceSdk {
    config: SdkConfig,
    store: LocalStore,
    zim: Zim,
    /// The transport is up (between `Connected` and `Disconnected`/`Close`).
    connected: bool,
    /// Logout was called while not connected; done as soon as the session is back.
    pending_logout: bool,
    reconnect_attempt: usize,
    reconnect_at: Option<Millis>,
    heartbeat_at: Option<Millis>,
    pong_deadline: Option<Millis>,
    sync_req: Option<u64>,
    sends: BTreeMap<u64, UserId>,
    next_req: u64,
    zpns: ZpnsConfig,
    debug: bool,
    ios_environment: IosEnvironment,
    push_id: Option<PushId>,
    outputs: VecDeque<SdkOutput>,
}

impl ReferenceSdk {
    pub fn new(config: SdkConfig, persisted: Option<serde_json::Value>) -> ReferenceSdk {
        // Unreadable local data is treated like a fresh install: sync refetches everything
        // and nothing is lost, only re-downloaded.
        let store = persisted.and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
        ReferenceSdk {
            config,
            store,
            zim: Zim::LoggedOut,
            connected: false,
            pending_logout: false,
            reconnect_attempt: 0,
            reconnect_at: None,
            heartbeat_at: None,
            pong_deadline: None,
            sync_req: None,
            sends: BTreeMap::new(),
            next_req: 1,
            zpns: ZpnsConfig::default(),
            debug: false,
            ios_environment: IosEnvironment::Automatic,
            push_id: None,
            outputs: VecDeque::new(),
        }
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

    fn close(&mut self) {
        if self.connected {
            self.connected = false;
            self.outputs.push_back(SdkOutput::Close);
        }
        self.heartbeat_at = None;
        self.pong_deadline = None;
        self.sync_req = None;
    }

    fn on_app(&mut self, now: Millis, command: AppCommand) {
        match command {
            AppCommand::SetPushConfig { config } => self.zpns = config,
            AppCommand::EnableDebug { debug } => self.debug = debug,
            AppCommand::RegisterPush { ios_environment } => {
                self.ios_environment = ios_environment;
                match self.vendor() {
                    Some(vendor) => self.outputs.push_back(SdkOutput::RequestVendorToken { vendor }),
                    None => self.emit(AppEvent::Registered {
                        error_code: 1,
                        push_id: None,
                        message: "no push vendor enabled for this platform (see setPushConfig)".into(),
                    }),
                }
            }
            AppCommand::Login { user, token } => match &self.zim {
                Zim::LoggedOut => {
                    self.zim = Zim::Connecting { user, token, login_req: None };
                    self.state(ConnectionState::Connecting, ConnectionEvent::ActiveLogin);
                    self.connect(now);
                }
                _ => {
                    let message = "already logged in; call logout before switching users".into();
                    self.emit(AppEvent::LoginFailed { user, code: ZimErrorCode::ParamInvalid.code(), message })
                }
            },
            AppCommand::Logout => match self.zim.clone() {
                Zim::LoggedIn { user, token } => {
                    let req = self.req();
                    self.send(ClientFrame::Logout { req });
                    self.zim = Zim::LoggingOut { user, token, req };
                }
                Zim::Connecting { .. } | Zim::Reconnecting { .. } => self.pending_logout = true,
                Zim::LoggedOut | Zim::LoggingOut { .. } => {}
            },
            AppCommand::Send { to, text, push } => match &self.zim {
                Zim::LoggedIn { .. } => {
                    let req = self.req();
                    self.sends.insert(req, to.clone());
                    self.send(ClientFrame::Send { req, to, body: MessageBody::Text { text }, push });
                }
                _ => self.emit(AppEvent::SendFailed {
                    to,
                    code: ZimErrorCode::UserIsNotLogged.code(),
                    message: "not logged in".into(),
                }),
            },
        }
    }

    /// The vendor this install registers with.
    fn vendor(&self) -> Option<Vendor> {
        match self.config.platform {
            Platform::Ios => Some(Vendor::Apns),
            Platform::Android | Platform::Web => self.zpns.enable_fcm_push.then_some(Vendor::Fcm),
        }
    }

    fn environment(&self) -> Environment {
        let from_build = match self.config.build {
            Build::Debug => Environment::Development,
            Build::Release => Environment::Production,
        };
        match (self.config.platform, self.ios_environment) {
            (Platform::Ios, IosEnvironment::Automatic) => from_build,
            (Platform::Ios, IosEnvironment::Development) => Environment::Development,
            (Platform::Ios, IosEnvironment::Production) => Environment::Production,
            _ if self.debug => Environment::Development,
            _ => Environment::Production,
        }
    }

    fn connect(&mut self, _now: Millis) {
        self.reconnect_at = None;
        if !self.connected {
            self.outputs.push_back(SdkOutput::Connect);
        }
    }

    fn on_connected(&mut self, now: Millis) {
        self.connected = true;
        self.reconnect_at = None;
        match self.zim.clone() {
            Zim::Connecting { user, token, .. } | Zim::Reconnecting { user, token } => {
                let req = self.req();
                self.send(ClientFrame::Login {
                    req,
                    user_id: user.clone(),
                    token: token.clone(),
                    device_id: self.config.device_id.clone(),
                    platform: self.config.platform,
                    push_id: self.push_id.clone(),
                });
                self.zim = Zim::Connecting { user, token, login_req: Some(req) };
                self.heartbeat_at = Some(now.plus(self.config.heartbeat_interval_ms));
            }
            // Nothing to do on this connection any more.
            Zim::LoggedOut | Zim::LoggedIn { .. } | Zim::LoggingOut { .. } => self.close(),
        }
    }

    fn on_disconnected(&mut self, now: Millis) {
        self.connected = false;
        self.heartbeat_at = None;
        self.pong_deadline = None;
        self.sync_req = None;
        match self.zim.clone() {
            Zim::LoggedIn { user, token } => {
                self.zim = Zim::Reconnecting { user, token };
                self.state(ConnectionState::Reconnecting, ConnectionEvent::LoginInterrupted);
                self.schedule_reconnect(now);
            }
            Zim::Connecting { user, token, .. } => {
                self.zim = Zim::Connecting { user, token, login_req: None };
                self.schedule_reconnect(now);
            }
            Zim::LoggingOut { user, token, .. } => {
                // The logout may not have reached the server: redo it on a new session.
                self.pending_logout = true;
                self.zim = Zim::Connecting { user, token, login_req: None };
                self.schedule_reconnect(now);
            }
            Zim::Reconnecting { .. } => self.schedule_reconnect(now),
            Zim::LoggedOut => {}
        }
    }

    fn schedule_reconnect(&mut self, now: Millis) {
        let steps = &self.config.reconnect_backoff_ms;
        let delay = steps.get(self.reconnect_attempt).or(steps.last()).copied().unwrap_or(1_000);
        self.reconnect_attempt += 1;
        self.reconnect_at = Some(now.plus(delay));
    }

    fn on_frame(&mut self, now: Millis, frame: ServerFrame) {
        match frame {
            ServerFrame::LoginOk { req } => {
                let Zim::Connecting { user, token, login_req: Some(r) } = self.zim.clone() else {
                    return;
                };
                if r != req {
                    return;
                }
                self.reconnect_attempt = 0;
                self.zim = Zim::LoggedIn { user: user.clone(), token };
                self.state(ConnectionState::Connected, ConnectionEvent::Success);
                self.emit(AppEvent::LoggedIn { user: user.clone() });
                if std::mem::take(&mut self.pending_logout) {
                    return self.on_app(now, AppCommand::Logout);
                }
                self.start_sync(&user);
            }
            ServerFrame::LogoutOk { req } => {
                if let Zim::LoggingOut { user, req: r, .. } = self.zim.clone() {
                    if r == req {
                        self.zim = Zim::LoggedOut;
                        self.close();
                        self.emit(AppEvent::LoggedOut { user });
                        self.state(ConnectionState::Disconnected, ConnectionEvent::Success);
                    }
                }
            }
            ServerFrame::Pong => self.pong_deadline = None,
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
            ServerFrame::KickedOut => {
                self.zim = Zim::LoggedOut;
                self.close();
                self.state(ConnectionState::Disconnected, ConnectionEvent::KickedOut);
            }
            ServerFrame::Error { req, code, message } => self.on_error(req, code, message),
        }
    }

    fn on_error(&mut self, req: Option<u64>, code: ZimErrorCode, message: String) {
        let Some(req) = req else { return };
        if let Some(to) = self.sends.remove(&req) {
            return self.emit(AppEvent::SendFailed { to, code: code.code(), message });
        }
        if let Zim::Connecting { user, login_req: Some(r), .. } = self.zim.clone() {
            if r == req {
                self.zim = Zim::LoggedOut;
                self.pending_logout = false;
                self.close();
                self.emit(AppEvent::LoginFailed { user, code: code.code(), message });
                let cause = match code {
                    ZimErrorCode::TokenExpired => ConnectionEvent::TokenExpired,
                    _ => ConnectionEvent::LoginTimeout,
                };
                self.state(ConnectionState::Disconnected, cause);
            }
        }
    }

    fn user(&self) -> Option<UserId> {
        match &self.zim {
            Zim::LoggedIn { user, .. } | Zim::LoggingOut { user, .. } => Some(user.clone()),
            Zim::Connecting { user, .. } | Zim::Reconnecting { user, .. } => Some(user.clone()),
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

    /// Shows a message to the app unless this install already has it.
    fn surface(&mut self, message: Message, via: Via) {
        let Some(user) = self.user() else { return };
        if self.user_store(&user).admit(&message) {
            self.emit(AppEvent::MessageReceived { user, message, via });
        }
    }

    fn on_vendor_token(&mut self, vendor: Vendor, token: String) {
        let push_id = PushId::new(vendor, self.environment(), token);
        self.push_id = Some(push_id.clone());
        self.emit(AppEvent::Registered { error_code: 0, push_id: Some(push_id.clone()), message: String::new() });
        if let Zim::LoggedIn { .. } = self.zim {
            let req = self.req();
            self.send(ClientFrame::BindPush { req, push_id });
        }
    }

    fn on_tick(&mut self, now: Millis) {
        if self.pong_deadline.is_some_and(|d| now >= d) {
            // The link is dead even though no close was seen (half-open): drop it.
            self.close();
            return self.on_disconnected(now);
        }
        if self.reconnect_at.is_some_and(|t| now >= t) {
            self.connect(now);
        }
        if self.heartbeat_at.is_some_and(|t| now >= t) && self.connected {
            self.send(ClientFrame::Heartbeat);
            self.heartbeat_at = Some(now.plus(self.config.heartbeat_interval_ms));
            if self.pong_deadline.is_none() {
                self.pong_deadline = Some(now.plus(self.config.pong_timeout_ms));
            }
        }
    }
}

impl ClientSdk for ReferenceSdk {
    fn handle(&mut self, now: Millis, input: SdkInput) {
        match input {
            SdkInput::App { command } => self.on_app(now, command),
            SdkInput::Connected => self.on_connected(now),
            SdkInput::Disconnected => self.on_disconnected(now),
            SdkInput::Frame { frame } => self.on_frame(now, frame),
            SdkInput::VendorToken { vendor, token } => self.on_vendor_token(vendor, token),
            SdkInput::VendorTokenFailed { reason, .. } => {
                self.emit(AppEvent::Registered { error_code: 1, push_id: None, message: reason })
            }
            SdkInput::Notification { notification } => self.emit(AppEvent::NotificationArrived { notification }),
            SdkInput::Tick => self.on_tick(now),
        }
    }

    fn poll_output(&mut self) -> Option<SdkOutput> {
        self.outputs.pop_front()
    }

    fn next_timer(&self) -> Option<Millis> {
        [self.reconnect_at, self.heartbeat_at, self.pong_deadline].into_iter().flatten().min()
    }

    fn persisted(&self) -> serde_json::Value {
        serde_json::to_value(&self.store).expect("the local store always serializes")
    }
}

#[cfg(test)]
mod tests;
