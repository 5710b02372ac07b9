//! The client SDK: the plug-in trait every SDK implements ([`ClientSdk`]) and the reference
//! implementation of it ([`ReferenceSdk`]), with a ZIM part (login, heartbeats, reconnect,
//! sync with gap-fill, dedup by message ID) and a ZPNs part (push config, debug flag,
//! registerPush -> vendor token -> PushID -> `registered`).
//!
//! The SDK is sans-IO: the device feeds it [`SdkInput`]s with `now` and carries out the
//! [`SdkOutput`]s (open or close the connection to the ZIM server, send a frame, ask the OS
//! for a vendor token, show an event to the app).

mod reference;

pub use crate::wire::Notification;
pub use reference::ReferenceSdk;

use crate::core::Core;
use crate::ids::{ConversationType, DeviceId, GroupId, MessageId, RoomId, UserId};
use crate::pushid::{Environment, PushId, Vendor};
use crate::time::Millis;
use crate::wire::{
    ClientFrame, GroupChange, Message, MessageBody, NotificationStatus, OfflinePushRule, Outgoing, Platform,
    PushConfig, ServerFrame,
};
use serde::{Deserialize, Serialize};

/// How the app was built: decides the APNs environment and the Android credential set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Build {
    Debug,
    Release,
}

impl Build {
    /// The environment whose credentials this build carries (its provisioning on iOS, its
    /// vendor app IDs on Android).
    pub fn environment(self) -> Environment {
        match self {
            Build::Debug => Environment::Development,
            Build::Release => Environment::Production,
        }
    }
}

/// Who made an Android phone: decides which maker's push service its OS offers besides
/// (or instead of) FCM. `google` stands for any phone that has only Google's services.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Brand {
    #[default]
    Google,
    Huawei,
    Xiaomi,
    Oppo,
    Vivo,
}

impl Brand {
    pub const ALL: [Brand; 5] = [Brand::Google, Brand::Huawei, Brand::Xiaomi, Brand::Oppo, Brand::Vivo];

    /// The maker's own push service, if it has one.
    pub fn vendor(self) -> Option<Vendor> {
        match self {
            Brand::Google => None,
            Brand::Huawei => Some(Vendor::Hms),
            Brand::Xiaomi => Some(Vendor::Mi),
            Brand::Oppo => Some(Vendor::Oppo),
            Brand::Vivo => Some(Vendor::Vivo),
        }
    }

    /// Whether the phone has Google's services, and so FCM (reference policy: Huawei's
    /// phones have been sold without them since 2019; the other makers' global models
    /// carry them).
    pub fn has_google_services(self) -> bool {
        self != Brand::Huawei
    }
}

/// Where the app's process stands, as the phone's OS sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppState {
    /// Not running: never launched, killed or uninstalled.
    #[default]
    NotRunning,
    Foreground,
    /// Running behind other apps: its code runs and its connections stay up.
    Background,
    /// Suspended by the OS: no code runs and nobody reads its sockets, so its heartbeats
    /// stop and the ZIM server drops the session after its presence timeout.
    Frozen,
}

impl AppState {
    pub fn is_running(self) -> bool {
        self != AppState::NotRunning
    }
}

/// `ZPNsIOSEnvironment`: which APNs environment the PushID is labelled with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IosEnvironment {
    /// Follow the build's provisioning (debug -> development, release -> production).
    #[default]
    Automatic,
    Development,
    Production,
}

/// `ZPNsConfig`: which vendor channels the app enabled (all default to off).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ZpnsConfig {
    pub enable_fcm_push: bool,
    pub enable_hw_push: bool,
    pub enable_mi_push: bool,
    pub enable_oppo_push: bool,
    pub enable_vivo_push: bool,
}

impl ZpnsConfig {
    /// Whether the app enabled `vendor`'s channel (APNs needs no flag).
    pub fn enables(&self, vendor: Vendor) -> bool {
        match vendor {
            Vendor::Apns => true,
            Vendor::Fcm => self.enable_fcm_push,
            Vendor::Hms => self.enable_hw_push,
            Vendor::Mi => self.enable_mi_push,
            Vendor::Oppo => self.enable_oppo_push,
            Vendor::Vivo => self.enable_vivo_push,
        }
    }

    /// The vendor an install on `platform` made by `brand` registers with (reference
    /// policy, docs/policies.md): APNs on iOS; on Android the phone maker's own service when
    /// the app enabled it, else FCM when the app enabled it and the phone has Google's
    /// services; FCM in a browser when enabled. A vendor left off is never used.
    pub fn channel(&self, platform: Platform, brand: Brand) -> Option<Vendor> {
        let enabled = |v: Vendor| self.enables(v).then_some(v);
        match platform {
            Platform::Ios => Some(Vendor::Apns),
            Platform::Web => enabled(Vendor::Fcm),
            Platform::Android => {
                let own = brand.vendor().and_then(enabled);
                own.or_else(|| brand.has_google_services().then(|| enabled(Vendor::Fcm)).flatten())
            }
        }
    }

    /// Every Android channel enabled.
    pub fn all() -> ZpnsConfig {
        ZpnsConfig {
            enable_fcm_push: true,
            enable_hw_push: true,
            enable_mi_push: true,
            enable_oppo_push: true,
            enable_vivo_push: true,
        }
    }
}

/// Fixed facts about the install the SDK runs in, and its timing knobs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdkConfig {
    pub device_id: DeviceId,
    pub platform: Platform,
    /// The phone's maker (Android; ignored elsewhere).
    #[serde(default)]
    pub brand: Brand,
    pub build: Build,
    pub heartbeat_interval_ms: u64,
    /// A heartbeat or login not answered within this long means the link is dead.
    pub pong_timeout_ms: u64,
    /// The app's `login` call fails (`LoginTimeout`) if no session is up by then.
    pub login_timeout_ms: u64,
    /// Delays between reconnect attempts (the last one repeats).
    pub reconnect_backoff_ms: Vec<u64>,
    pub sync_page: u32,
}

impl SdkConfig {
    pub fn new(device_id: DeviceId, platform: Platform, build: Build) -> SdkConfig {
        SdkConfig {
            device_id,
            platform,
            brand: Brand::Google,
            build,
            heartbeat_interval_ms: 10_000,
            pong_timeout_ms: 5_000,
            login_timeout_ms: 15_000,
            reconnect_backoff_ms: vec![500, 1_000, 2_000, 4_000, 8_000],
            sync_page: 50,
        }
    }
}

/// A call the app makes into the SDK (the ZIM and ZPNs APIs). This is the one spelling of
/// an app call: scenario steps carry it (`{"do": "login", ...}`), the device hands it to the
/// SDK unchanged, and an SDK plug-in receives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum AppCall {
    SetPushConfig {
        #[serde(default)]
        config: ZpnsConfig,
    },
    EnableDebug {
        debug: bool,
    },
    /// `registerPush(iOSEnvironment, enableIOSVoIP)`. With `enable_ios_voip` on an iPhone
    /// the SDK also asks for the app's PushKit (VoIP) token and binds its VoIP PushID
    /// beside the alert one (iOS native: `setVoipToken`); elsewhere the flag does nothing.
    RegisterPush {
        #[serde(default)]
        ios_environment: IosEnvironment,
        #[serde(default, skip_serializing_if = "is_false")]
        enable_ios_voip: bool,
    },
    /// `unregisterPush`: the install stops receiving offline pushes. The SDK unbinds its
    /// PushID at the server (when a session is up) and has the OS delete its vendor token,
    /// so a binding the server still holds meets the vendor's dead-token answer.
    UnregisterPush,
    /// `applyNotificationPermission` (iOS): the OS asks the user once whether the app may
    /// show notifications; later calls do nothing.
    ApplyNotificationPermission,
    /// `login(userID, {token})`. A scenario may leave `token` out: the app's backend then
    /// mints a valid one just before the call, so an SDK always receives one.
    Login {
        user: UserId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
    },
    Logout,
    /// `renewToken(token)`, best called on `tokenWillExpire`. A scenario may leave `token`
    /// out: the app's backend then mints a fresh one for the logged-in user.
    RenewToken {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
    },
    /// `sendMessage(message, toConversationID, conversationType, config)`. A text message
    /// may be written as `text`; any other as `body` (`{"type": "command", "data": ...}`).
    Send {
        to: String,
        #[serde(default, skip_serializing_if = "is_peer")]
        conv_type: ConversationType,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<MessageBody>,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        extended_data: String,
        #[serde(default = "low_priority", skip_serializing_if = "is_low")]
        priority: u8,
        #[serde(default)]
        push: Option<PushConfig>,
    },
    /// `createGroup`; without `group_id` the server names it.
    CreateGroup {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group_id: Option<GroupId>,
        #[serde(default)]
        name: String,
        #[serde(default)]
        members: Vec<UserId>,
    },
    JoinGroup {
        group_id: GroupId,
    },
    LeaveGroup {
        group_id: GroupId,
    },
    DismissGroup {
        group_id: GroupId,
    },
    EnterRoom {
        room_id: RoomId,
    },
    LeaveRoom {
        room_id: RoomId,
    },
    /// `setConversationNotificationStatus`: do-not-disturb on, or off, for a conversation.
    SetNotificationStatus {
        to: String,
        #[serde(default, skip_serializing_if = "is_peer")]
        conv_type: ConversationType,
        status: NotificationStatus,
    },
    /// `setBadge`: report the app's icon badge (iOS).
    SetBadge {
        badge: i64,
    },
    /// `updateUserOfflinePushRule`: which platforms go without offline pushes while the
    /// user is online on others (an empty rule removes it).
    UpdateOfflinePushRule {
        rule: OfflinePushRule,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_peer(t: &ConversationType) -> bool {
    *t == ConversationType::Peer
}

fn low_priority() -> u8 {
    1
}

fn is_low(p: &u8) -> bool {
    *p == 1
}

impl AppCall {
    /// Every call's `do` name, for parsers that route on it.
    pub const NAMES: &'static [&'static str] = &[
        "set_push_config",
        "enable_debug",
        "register_push",
        "unregister_push",
        "apply_notification_permission",
        "login",
        "logout",
        "renew_token",
        "send",
        "create_group",
        "join_group",
        "leave_group",
        "dismiss_group",
        "enter_room",
        "leave_room",
        "set_notification_status",
        "set_badge",
        "update_offline_push_rule",
    ];

    /// The call that sends `message` (a text is written as `text`).
    pub fn send(message: Outgoing) -> AppCall {
        let Outgoing { to, conv_type, body, extended_data, priority, push } = message;
        let (text, body) = match body {
            MessageBody::Text { text } => (text, None),
            other => (String::new(), Some(other)),
        };
        AppCall::Send { to, conv_type, text, body, extended_data, priority, push }
    }

    /// The message a `send` call hands over (`None` for any other call).
    pub fn outgoing(&self) -> Option<Outgoing> {
        let AppCall::Send { to, conv_type, text, body, extended_data, priority, push } = self else { return None };
        Some(Outgoing {
            to: to.clone(),
            conv_type: *conv_type,
            body: body.clone().unwrap_or_else(|| MessageBody::Text { text: text.clone() }),
            extended_data: extended_data.clone(),
            priority: *priority,
            push: push.clone(),
        })
    }

    /// A login with the token the app's backend will mint.
    pub fn login(user: impl Into<UserId>) -> AppCall {
        AppCall::Login { user: user.into(), token: None }
    }
}

/// Inputs to an SDK.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "snake_case")]
pub enum SdkInput {
    App {
        call: AppCall,
    },
    /// The connection asked for with [`SdkOutput::Connect`] is up.
    Connected,
    /// The connection failed to open or closed.
    Disconnected,
    Frame {
        frame: ServerFrame,
    },
    /// The OS answered [`SdkOutput::RequestVendorToken`].
    VendorToken {
        vendor: Vendor,
        token: String,
    },
    VendorTokenFailed {
        vendor: Vendor,
        reason: String,
    },
    /// The OS answered [`SdkOutput::RequestVoipToken`] (PushKit's token, from APNs).
    VoipToken {
        token: String,
    },
    VoipTokenFailed {
        reason: String,
    },
    /// A vendor delivered a notification while the app runs: the OS hands the SDK the
    /// vendor's payload as it came (APNs `userInfo`, an FCM `RemoteMessage`, ...), and the
    /// SDK's integration of that vendor reads it.
    Notification {
        vendor: Vendor,
        payload: serde_json::Value,
    },
    /// The user tapped a notification the OS showed for this app (the app was launched or
    /// brought to the foreground for it): the OS hands over the payload it carried.
    NotificationTapped {
        vendor: Vendor,
        payload: serde_json::Value,
    },
    /// Time passed; the SDK's timer (see [`Core::poll_timeout`]) may be due.
    Tick,
}

/// What an SDK asks its host to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "output", rename_all = "snake_case")]
pub enum SdkOutput {
    /// Open a connection to the ZIM server (answered by `Connected` or `Disconnected`).
    Connect,
    Send {
        frame: ClientFrame,
    },
    /// Close the connection to the ZIM server.
    Close,
    /// Ask the OS for this app's token from `vendor`.
    RequestVendorToken {
        vendor: Vendor,
    },
    /// Ask the OS to delete this app's token at `vendor` (the vendor revokes it).
    DeleteVendorToken {
        vendor: Vendor,
    },
    /// Ask the OS to prompt the user for the notification permission (once per install).
    RequestNotificationPermission,
    /// Ask the OS for this app's VoIP token (iOS PushKit), which is not its alert token.
    RequestVoipToken,
    Event {
        event: AppEvent,
    },
}

/// `ZIMConnectionState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    Disconnected,
    Connecting,
    Connected,
    Reconnecting,
}

/// `ZIMConnectionEvent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionEvent {
    Success,
    ActiveLogin,
    LoginTimeout,
    LoginInterrupted,
    KickedOut,
    TokenExpired,
    Unregistered,
}

/// How a message reached the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    Online,
    Sync,
}

/// Events the app sees (ZIM and ZPNs callbacks).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AppEvent {
    /// ZPNs `registered`: error code 0 carries the PushID.
    Registered {
        error_code: u32,
        push_id: Option<PushId>,
        message: String,
    },
    ConnectionStateChanged {
        state: ConnectionState,
        cause: ConnectionEvent,
    },
    LoggedIn {
        user: UserId,
    },
    LoginFailed {
        user: UserId,
        code: u32,
        message: String,
    },
    /// The logout is done: the server confirmed it (session and PushID binding gone), or
    /// nothing of this login ever reached the server.
    LoggedOut {
        user: UserId,
    },
    /// The logout could not be confirmed by the server (it refused the session needed to
    /// carry it out): the binding may still exist.
    LogoutFailed {
        user: UserId,
        code: u32,
        message: String,
    },
    MessageSent {
        message: Message,
    },
    SendFailed {
        /// `toConversationID` of the failed send.
        to: String,
        code: u32,
        message: String,
    },
    /// A message surfaced to the app; never twice for the same ID on one install.
    MessageReceived {
        user: UserId,
        message: Message,
        via: Via,
    },
    SyncCompleted {
        user: UserId,
    },
    /// A group request's result (`code` 0: done), for `op` one of `create`, `join`,
    /// `leave`, `dismiss`.
    GroupResult {
        op: String,
        group_id: Option<GroupId>,
        code: u32,
        message: String,
    },
    /// A room request's result, for `op` `enter` or `leave`.
    RoomResult {
        op: String,
        room_id: RoomId,
        code: u32,
        message: String,
    },
    /// A setting's result (`op`: `notification_status`, `badge` or `push_rule`; `code` 0:
    /// stored).
    SettingResult {
        op: String,
        code: u32,
        message: String,
    },
    /// `onUserRuleUpdated`: another session of the user changed their offline-push rule.
    UserRuleUpdated {
        rule: OfflinePushRule,
    },
    /// `groupMemberStateChanged` / `groupStateChanged`.
    GroupChanged {
        group_id: GroupId,
        change: GroupChange,
    },
    /// `onTokenWillExpire`: the session's token expires in `second` seconds.
    TokenWillExpire {
        second: u64,
    },
    /// The result of `renewToken`: code 0 when the server took the new token.
    TokenRenewed {
        code: u32,
        message: String,
    },
    /// ZPNs `notificationArrived`: the OS handed the running app a notification (APNs in
    /// the foreground, Mi while the app runs).
    NotificationArrived {
        notification: Notification,
    },
    /// ZPNs `throughMessageReceived`: a pass-through (data) message reached the running app
    /// (FCM in the foreground).
    ThroughMessageReceived {
        notification: Notification,
    },
    /// ZPNs `notificationClicked`: the user tapped one of the app's notifications.
    NotificationClicked {
        notification: Notification,
    },
}

/// The plug-in trait: the reference SDK, built-in mutants and foreign SDKs all implement it.
/// It is the [`Core`] contract over the SDK's inputs and outputs, plus the local data that
/// outlives an app kill.
pub trait ClientSdk: Core<Input = SdkInput, Output = SdkOutput> {
    /// The SDK's durable local data (its on-device database). Every write is taken to be
    /// durable at once, so reading it when the app is killed loses nothing.
    fn persisted(&self) -> serde_json::Value;
}

/// Starts SDK instances: once per app launch, with the local data the last run left.
pub trait SdkFactory {
    fn name(&self) -> String;
    fn launch(&self, config: SdkConfig, persisted: Option<serde_json::Value>) -> Box<dyn ClientSdk>;
}

/// The reference SDK's factory.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReferenceSdkFactory;

impl SdkFactory for ReferenceSdkFactory {
    fn name(&self) -> String {
        "reference".into()
    }

    fn launch(&self, config: SdkConfig, persisted: Option<serde_json::Value>) -> Box<dyn ClientSdk> {
        Box::new(ReferenceSdk::new(config, persisted))
    }
}
