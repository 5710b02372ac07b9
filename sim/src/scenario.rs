//! Scenarios: a serde (JSON) document of devices and timed steps that a run plays out, its
//! validation, and the built-in canonical scenario. docs/scenarios.md describes the format.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use zimsim_reference::client::{AppCall, Brand, Build, IosEnvironment, ZpnsConfig};
use zimsim_reference::ids::{validate_user_id, ConversationType, DeviceId, UserId};
use zimsim_reference::push_services::resources::{PushResource, MAX_RESOURCES};
use zimsim_reference::pushid::Vendor;
use zimsim_reference::server::LoginPolicy;
use zimsim_reference::topology::{self, VendorHost};
use zimsim_reference::wire::{limits, Outgoing, Platform, PushConfig};

/// The longest run a scenario may ask for: one simulated day. (turmoil steps every
/// simulated millisecond, so a scenario much longer than this would effectively hang.)
pub const MAX_SCENARIO_MS: u64 = 86_400_000;
/// The latest a `vendor_fail` step may make a vendor's answers (ten minutes).
pub const MAX_SLOW_MS: u64 = 600_000;

/// A whole scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub config: ScenarioConfig,
    pub devices: Vec<DeviceSpec>,
    pub steps: Vec<Step>,
}

/// Timing and network knobs of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScenarioConfig {
    /// How often SDKs send heartbeats.
    pub heartbeat_interval_ms: u64,
    /// How long the server keeps a silent session (presence timeout).
    pub heartbeat_timeout_ms: u64,
    /// Quiet time after the last step before the eventually-invariants are judged.
    pub settle_ms: u64,
    pub min_latency_ms: u64,
    pub max_latency_ms: u64,
    /// The simulation's time step. 1 ms resolves every race; generated worlds use a
    /// coarser one (with latencies at least that long) to run many times faster.
    pub tick_ms: u64,
    /// How long the tokens the app's backend mints (for logins and renewals that leave the
    /// token out) stay valid.
    pub token_lifetime_ms: u64,
    /// The ZIM server's login policy: single-device (ZIM's default) or multi-device.
    pub login_policy: LoginPolicy,
    /// How long the relay asks vendors to hold a notification for a phone they cannot
    /// reach (APNs `apns-expiration`, each Android vendor's TTL, within its own bounds).
    pub push_ttl_s: u64,
    /// The push resources of ZEGO's console, by `resourcesID`: what a push config naming
    /// one gets at each vendor (an FCM data message, a sound, a channel).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub push_resources: BTreeMap<String, PushResource>,
}

impl Default for ScenarioConfig {
    fn default() -> Self {
        ScenarioConfig {
            heartbeat_interval_ms: 5_000,
            heartbeat_timeout_ms: 15_000,
            settle_ms: 5_000,
            min_latency_ms: 1,
            max_latency_ms: 20,
            tick_ms: 1,
            token_lifetime_ms: 24 * 3600 * 1000,
            login_policy: LoginPolicy::SingleDevice,
            push_ttl_s: 86_400,
            push_resources: BTreeMap::new(),
        }
    }
}

/// One simulated handset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSpec {
    pub id: DeviceId,
    pub platform: Platform,
    /// The phone's maker (Android only): which push services its OS offers.
    #[serde(default, skip_serializing_if = "is_google")]
    pub brand: Brand,
    pub build: Build,
    /// The user does not let the app show notifications: the OS shows none.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deny_notifications: bool,
}

fn is_google(brand: &Brand) -> bool {
    *brand == Brand::Google
}

/// A step: at `at_ms` of simulated time, `device` does `action` (a device step), or the
/// world changes (a world step, with no `device`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub at_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceId>,
    #[serde(flatten)]
    pub action: Action,
}

impl Step {
    /// At `at_ms`, `device` does `action`.
    pub fn on(at_ms: u64, device: impl Into<DeviceId>, action: Action) -> Step {
        Step { at_ms, device: Some(device.into()), action }
    }

    /// At `at_ms`, the world changes.
    pub fn world(at_ms: u64, step: WorldStep) -> Step {
        Step { at_ms, device: None, action: Action::World(step) }
    }
}

/// What a step does. In JSON every kind is one flat object named by `do`
/// (`{"at_ms": 10, "device": "d1", "do": "login", "user": "alice"}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The device: its app process and its network.
    Device(DeviceStep),
    /// A call the app makes into its SDK, handed over unchanged.
    App(AppCall),
    /// The network and the server-side hosts.
    World(WorldStep),
    /// The app's backend calling the ZIM server REST API.
    Backend(BackendStep),
}

impl From<DeviceStep> for Action {
    fn from(step: DeviceStep) -> Action {
        Action::Device(step)
    }
}

impl From<AppCall> for Action {
    fn from(call: AppCall) -> Action {
        Action::App(call)
    }
}

impl From<BackendStep> for Action {
    fn from(step: BackendStep) -> Action {
        Action::Backend(step)
    }
}

impl From<WorldStep> for Action {
    fn from(step: WorldStep) -> Action {
        Action::World(step)
    }
}

/// What happens to a handset itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum DeviceStep {
    LaunchApp,
    KillApp,
    /// The handset loses its network (airplane mode, a tunnel): its connections go dead
    /// without a word to the other side, and new ones fail until `network_on`.
    NetworkOff,
    NetworkOn,
    /// The app is uninstalled: the process dies, its local data is wiped, and the OS tells
    /// the push vendor, which revokes the install's token (sends to it now get the vendor's
    /// dead-token answer). `launch_app` afterwards is a fresh install.
    UninstallApp,
    /// The vendor rotates the install's push token (FCM `onNewToken`, an APNs token change
    /// after a restore): the old token is revoked and a new one issued; a running app's SDK
    /// gets the new token at once, a stopped one asks for it on its next `register_push`.
    RefreshPushToken,
    /// The user leaves the app for another: it keeps running behind it (iOS suspends it
    /// after a few seconds, as `freeze` does).
    Background,
    /// The user opens the running app again; a frozen app thaws and handles what waited.
    Foreground,
    /// The OS suspends the running app: it runs no code, so its heartbeats stop and the
    /// ZIM server drops its session after the presence timeout.
    Freeze,
    /// The user taps the newest of the app's notifications in the tray: the app opens
    /// (launched if it was not running) and gets the notification's payload.
    TapNotification,
}

impl DeviceStep {
    const NAMES: &'static [&'static str] = &[
        "launch_app",
        "kill_app",
        "network_off",
        "network_on",
        "uninstall_app",
        "refresh_push_token",
        "background",
        "foreground",
        "freeze",
        "tap_notification",
    ];
}

/// What the app's backend does (host `backend`): a signed call to the ZIM server REST API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum BackendStep {
    /// `SendPeerMessage`: a text from `from` (which need not have logged in: a system
    /// account) to each user of `to` (1 to 100), with an offline push or not.
    ServerSend {
        from: UserId,
        to: Vec<UserId>,
        text: String,
        #[serde(default)]
        push: bool,
    },
}

impl BackendStep {
    const NAMES: &'static [&'static str] = &["server_send"];

    /// The users the step names.
    pub fn users(&self) -> Vec<&UserId> {
        match self {
            BackendStep::ServerSend { from, to, .. } => std::iter::once(from).chain(to).collect(),
        }
    }
}

/// A fault or a repair of the world. Hosts are named as in the topology (`zim`, `zpns`,
/// `apns-sandbox`, `apns-production`, `fcm`, `farm-0`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum WorldStep {
    /// Nothing gets through between `a` and `b`; TCP holds what is sent until `repair`
    /// (connections stall; the applications' own timeouts decide what breaks).
    Partition {
        a: String,
        b: String,
    },
    Repair {
        a: String,
        b: String,
    },
    /// The host's process dies: every connection to it breaks and it answers nothing until
    /// `bounce`. What survives is each host's documented durable state (docs/scenarios.md).
    Crash {
        host: String,
    },
    /// The host's process restarts (after a crash, or at once if it was running).
    Bounce {
        host: String,
    },
    /// Every message between `a` and `b` takes `ms` (until `heal`).
    Latency {
        a: String,
        b: String,
        ms: u64,
    },
    /// A vendor's provider API fails: the next `count` sends to vendor host `host` get
    /// HTTP `status` (with `Retry-After: retry_after_s` when given), in the vendor's own
    /// error shape, or until `heal`; with `slow_ms`, their answers come that late (without
    /// a `status` the sends are carried out as usual, only the answer is late). Token
    /// endpoints and device channels keep working. It ends by itself, so a run does not
    /// add a `heal` for it.
    VendorFail {
        host: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        count: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_s: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        slow_ms: Option<u64>,
    },
    /// Repair every partition, restart every crashed host, restore every latency and end
    /// every vendor failure.
    Heal,
}

impl WorldStep {
    const NAMES: &'static [&'static str] =
        &["partition", "repair", "crash", "bounce", "latency", "vendor_fail", "heal"];

    /// The hosts this step names.
    pub fn hosts(&self) -> Vec<&str> {
        match self {
            WorldStep::Partition { a, b } | WorldStep::Repair { a, b } | WorldStep::Latency { a, b, .. } => {
                vec![a, b]
            }
            WorldStep::Crash { host } | WorldStep::Bounce { host } | WorldStep::VendorFail { host, .. } => vec![host],
            WorldStep::Heal => vec![],
        }
    }
}

impl Serialize for Action {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Action::Device(step) => step.serialize(s),
            Action::App(call) => call.serialize(s),
            Action::World(step) => step.serialize(s),
            Action::Backend(step) => step.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Action {
    /// Routes on `do` to the one type that owns that name, so an error names the real
    /// problem (an unknown `do` lists every known one).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Action, D::Error> {
        use serde::de::Error;
        let value = serde_json::Value::deserialize(d)?;
        let Some(name) = value.get("do").and_then(|v| v.as_str()) else {
            return Err(D::Error::missing_field("do"));
        };
        let result = if DeviceStep::NAMES.contains(&name) {
            DeviceStep::deserialize(value).map(Action::Device)
        } else if AppCall::NAMES.contains(&name) {
            AppCall::deserialize(value).map(Action::App)
        } else if WorldStep::NAMES.contains(&name) {
            WorldStep::deserialize(value).map(Action::World)
        } else if BackendStep::NAMES.contains(&name) {
            BackendStep::deserialize(value).map(Action::Backend)
        } else {
            return Err(D::Error::unknown_variant(name, &ACTION_NAMES));
        };
        result.map_err(D::Error::custom)
    }
}

/// Every `do` name: the device steps', the app calls', the world steps' and the backend's,
/// each list owned by its type.
pub static ACTION_NAMES: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(|| [DeviceStep::NAMES, AppCall::NAMES, WorldStep::NAMES, BackendStep::NAMES].concat());

impl Action {
    pub const LAUNCH_APP: Action = Action::Device(DeviceStep::LaunchApp);
    pub const KILL_APP: Action = Action::Device(DeviceStep::KillApp);
    pub const NETWORK_OFF: Action = Action::Device(DeviceStep::NetworkOff);
    pub const NETWORK_ON: Action = Action::Device(DeviceStep::NetworkOn);
    pub const UNINSTALL_APP: Action = Action::Device(DeviceStep::UninstallApp);
    pub const REFRESH_PUSH_TOKEN: Action = Action::Device(DeviceStep::RefreshPushToken);
    pub const BACKGROUND: Action = Action::Device(DeviceStep::Background);
    pub const FOREGROUND: Action = Action::Device(DeviceStep::Foreground);
    pub const FREEZE: Action = Action::Device(DeviceStep::Freeze);
    pub const TAP_NOTIFICATION: Action = Action::Device(DeviceStep::TapNotification);
    pub const UNREGISTER_PUSH: Action = Action::App(AppCall::UnregisterPush);
    pub const APPLY_NOTIFICATION_PERMISSION: Action = Action::App(AppCall::ApplyNotificationPermission);
    pub const LOGOUT: Action = Action::App(AppCall::Logout);

    /// `login` as `user`, with a token the app's backend mints.
    pub fn login(user: impl Into<UserId>) -> Action {
        Action::App(AppCall::login(user))
    }

    /// `sendMessage` of `text` to user `to`, with an offline push config or not.
    pub fn send(to: impl Into<UserId>, text: impl Into<String>, push: Option<PushConfig>) -> Action {
        Action::App(AppCall::send(Outgoing::text(to.into().as_str(), text, push)))
    }

    /// `sendMessage` of any message to any conversation.
    pub fn send_message(message: Outgoing) -> Action {
        Action::App(AppCall::send(message))
    }

    /// `registerPush` with the given iOS environment.
    pub fn register_push(ios_environment: IosEnvironment) -> Action {
        Action::App(AppCall::RegisterPush { ios_environment, enable_ios_voip: false })
    }

    /// `registerPush` with the given iOS environment and `enableIOSVoIP`: an iPhone's app
    /// also gets a VoIP token and binds its VoIP PushID.
    pub fn register_push_with_voip(ios_environment: IosEnvironment) -> Action {
        Action::App(AppCall::RegisterPush { ios_environment, enable_ios_voip: true })
    }

    /// `setPushConfig` with these vendor channels enabled.
    pub fn set_push_config(config: ZpnsConfig) -> Action {
        Action::App(AppCall::SetPushConfig { config })
    }

    /// `enableDebug`.
    pub fn enable_debug(debug: bool) -> Action {
        Action::App(AppCall::EnableDebug { debug })
    }

    /// The `do` name of this action.
    pub fn name(&self) -> String {
        let v = serde_json::to_value(self).expect("actions serialize");
        v["do"].as_str().unwrap_or_default().to_owned()
    }
}

/// A scenario that cannot be run, with one line naming the problem.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScenarioError {
    #[error("scenario is not valid JSON for the scenario format: {0}")]
    Parse(String),
    /// A field the format does not have (a typo would otherwise silently take a default).
    #[error("{place}: unknown field `{field}`")]
    UnknownField { place: String, field: String },
    #[error("device \"{0}\" is declared twice")]
    DuplicateDevice(DeviceId),
    #[error("step {index} names unknown device \"{device}\"")]
    UnknownDevice { index: usize, device: DeviceId },
    /// A device step without a device, or a world step with one.
    #[error("step {index} ({action}): {why}")]
    BadTarget { index: usize, action: String, why: String },
    #[error("step {index} ({action}): unknown host \"{host}\"; hosts: {known}")]
    UnknownHost { index: usize, action: String, host: String, known: String },
    #[error("step {index}: {why}")]
    BadUser { index: usize, why: String },
    #[error("step {index} at {at_ms} ms comes before the previous step at {previous_ms} ms")]
    OutOfOrder { index: usize, at_ms: u64, previous_ms: u64 },
    #[error("config: {0}")]
    Config(String),
}

/// The vendor hosts a world with `devices` runs: every push service its phones' OSes
/// offer, and both APNs hosts when there is an iPhone (an app may label its PushID with
/// the other environment). A host no phone can reach is not started, as an idle host costs
/// the simulation about as much per step as a busy one.
pub fn vendor_hosts(devices: &[DeviceSpec]) -> Vec<VendorHost> {
    let offered = |v: &VendorHost, d: &DeviceSpec| {
        (v.vendor == Vendor::Apns && d.platform == Platform::Ios)
            || topology::push_services(d.platform, d.brand, d.build).contains(v)
    };
    topology::VENDORS.into_iter().filter(|v| devices.iter().any(|d| offered(v, d))).collect()
}

impl Scenario {
    /// Parses and validates a JSON scenario. A UTF-8 byte-order mark is allowed; a field
    /// the format does not have is refused wherever it stands.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let parse = |e: serde_json::Error| ScenarioError::Parse(e.to_string());
        let input: serde_json::Value = serde_json::from_str(text).map_err(parse)?;
        let s: Scenario = serde_json::from_value(input.clone()).map_err(parse)?;
        // serde cannot deny unknown fields inside a flattened step, so every field read is
        // checked against what the parsed scenario writes back: anything else was ignored.
        let known = serde_json::to_value(&s).expect("scenarios serialize");
        if let Some(path) = first_unknown(&input, &known, &mut Vec::new()) {
            return Err(unknown_field(&s, &path));
        }
        s.validate()?;
        Ok(s)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("scenarios serialize")
    }

    pub fn validate(&self) -> Result<(), ScenarioError> {
        let c = &self.config;
        if c.tick_ms == 0 || c.tick_ms > 100 {
            return Err(ScenarioError::Config("tick_ms must be 1..=100".into()));
        }
        if c.min_latency_ms > c.max_latency_ms {
            return Err(ScenarioError::Config("min_latency_ms exceeds max_latency_ms".into()));
        }
        if c.heartbeat_interval_ms == 0 || c.heartbeat_timeout_ms <= c.heartbeat_interval_ms {
            return Err(ScenarioError::Config(
                "heartbeat_timeout_ms must exceed a non-zero heartbeat_interval_ms".into(),
            ));
        }
        if c.push_resources.len() > MAX_RESOURCES {
            let n = c.push_resources.len();
            return Err(ScenarioError::Config(format!(
                "{n} push_resources; the console keeps at most {MAX_RESOURCES}"
            )));
        }
        let too_long = |id: &String| id.is_empty() || id.chars().count() > limits::RESOURCES_ID_MAX_CHARS;
        if let Some(id) = c.push_resources.keys().find(|id| too_long(id)) {
            return Err(ScenarioError::Config(format!(
                "push_resources: resourcesID {id:?} must have 1 to {} characters",
                limits::RESOURCES_ID_MAX_CHARS
            )));
        }
        let mut ids = BTreeSet::new();
        let hosts = topology::hosts();
        for d in &self.devices {
            if !ids.insert(&d.id) {
                return Err(ScenarioError::DuplicateDevice(d.id.clone()));
            }
            // Trace records name devices and hosts alike: a device may not take a host's name.
            if hosts.contains(&d.id.as_str()) || d.id.as_str() == crate::trace::Source::WORLD {
                return Err(ScenarioError::Config(format!("device id \"{}\" is the name of a host", d.id)));
            }
        }
        let mut previous = 0;
        for (index, step) in self.steps.iter().enumerate() {
            let bad_target =
                |why: &str| ScenarioError::BadTarget { index, action: step.action.name(), why: why.into() };
            match (&step.action, &step.device) {
                (Action::World(_), Some(_)) => return Err(bad_target("a world step names no device")),
                (Action::World(w), None) => {
                    for host in w.hosts() {
                        if !hosts.contains(&host) {
                            let (action, host, known) = (step.action.name(), host.to_owned(), hosts.join(", "));
                            return Err(ScenarioError::UnknownHost { index, action, host, known });
                        }
                    }
                    match w {
                        WorldStep::Partition { a, b }
                        | WorldStep::Repair { a, b }
                        | WorldStep::Latency { a, b, .. }
                            if a == b =>
                        {
                            return Err(bad_target("a link joins two different hosts"))
                        }
                        WorldStep::Crash { host } | WorldStep::Bounce { host } if topology::is_farm(host) => {
                            return Err(bad_target("the device farm cannot crash; kill apps or turn networks off"))
                        }
                        WorldStep::VendorFail { host, status, retry_after_s, slow_ms, .. } => {
                            if !topology::VENDORS.iter().any(|v| v.name == host) {
                                return Err(bad_target("vendor_fail names a vendor host"));
                            }
                            if status.is_some_and(|s| !(400..=599).contains(&s)) {
                                return Err(bad_target("vendor_fail takes an HTTP error status (400 to 599)"));
                            }
                            if status.is_none() && slow_ms.is_none() {
                                return Err(bad_target("vendor_fail needs a `status`, a `slow_ms` or both"));
                            }
                            if status.is_none() && retry_after_s.is_some() {
                                return Err(bad_target("vendor_fail sends `retry_after_s` only with a `status`"));
                            }
                            if slow_ms.is_some_and(|ms| ms == 0 || ms > MAX_SLOW_MS) {
                                return Err(bad_target(&format!(
                                    "vendor_fail takes `slow_ms` from 1 to {MAX_SLOW_MS} (ten minutes)"
                                )));
                            }
                        }
                        _ => {}
                    }
                }
                (Action::Backend(_), Some(_)) => return Err(bad_target("a backend step names no device")),
                (Action::Backend(b), None) => {
                    for user in b.users() {
                        validate_user_id(user.as_str()).map_err(|why| ScenarioError::BadUser { index, why })?;
                    }
                    let BackendStep::ServerSend { to, .. } = b;
                    if to.is_empty() || to.len() > zimsim_reference::server_api::MAX_USERS_PER_CALL {
                        return Err(bad_target("`to` names 1 to 100 users"));
                    }
                }
                (_, None) => return Err(bad_target("a device step needs a \"device\"")),
                (_, Some(device)) if !ids.contains(device) => {
                    return Err(ScenarioError::UnknownDevice { index, device: device.clone() });
                }
                (_, Some(_)) => {}
            }
            if step.at_ms < previous {
                return Err(ScenarioError::OutOfOrder { index, at_ms: step.at_ms, previous_ms: previous });
            }
            previous = step.at_ms;
            let user = match &step.action {
                Action::App(AppCall::Login { user, .. }) => Some(user.as_str()),
                Action::App(AppCall::Send { to, conv_type: ConversationType::Peer, .. }) => Some(to.as_str()),
                _ => None,
            };
            if let Some(user) = user {
                validate_user_id(user).map_err(|why| ScenarioError::BadUser { index, why })?;
            }
        }
        let end = self.steps.last().map_or(0, |s| s.at_ms).checked_add(c.settle_ms);
        if end.is_none_or(|end| end > MAX_SCENARIO_MS) {
            return Err(ScenarioError::Config(format!(
                "the last step plus settle_ms must be at most {MAX_SCENARIO_MS} ms (one simulated day)"
            )));
        }
        Ok(())
    }

    /// The scenario as a run plays it: if faults are still in force after its last step (a
    /// partition never repaired, a host never restarted, a slow link, a phone left off the
    /// network), a `heal` world step and the missing `network_on` steps follow at the last
    /// step's time, so eventually-invariants are judged on a healed world (SPEC §4: every
    /// run ends with heal-and-settle). An app ever sent behind others or frozen is brought to
    /// the front (a no-op if it is there, or not running); otherwise apps are left as the
    /// scenario left them.
    pub fn with_heal(&self) -> Scenario {
        let mut s = self.clone();
        let Some(last) = self.steps.last().map(|st| st.at_ms) else { return s };
        let mut open: BTreeSet<String> = BTreeSet::new();
        let mut offline: Vec<&DeviceId> = Vec::new();
        // Devices whose app was sent behind others or frozen: brought to the front at the end.
        let mut behind: Vec<&DeviceId> = Vec::new();
        for step in &self.steps {
            match (&step.action, &step.device) {
                (Action::World(WorldStep::Heal), _) => open.clear(),
                (Action::World(w), _) => {
                    let link = |a: &str, b: &str| if a <= b { format!("{a} {b}") } else { format!("{b} {a}") };
                    match w {
                        WorldStep::Partition { a, b } => open.insert(format!("partition {}", link(a, b))),
                        WorldStep::Repair { a, b } => open.remove(&format!("partition {}", link(a, b))),
                        WorldStep::Crash { host } => open.insert(format!("crash {host}")),
                        WorldStep::Bounce { host } => open.remove(&format!("crash {host}")),
                        WorldStep::Latency { a, b, .. } => open.insert(format!("latency {}", link(a, b))),
                        // Ends by itself after `count` sends, which the relay retries.
                        WorldStep::VendorFail { .. } => false,
                        WorldStep::Heal => unreachable!("handled above"),
                    };
                }
                (Action::Device(DeviceStep::NetworkOff), Some(d)) if !offline.contains(&d) => offline.push(d),
                (Action::Device(DeviceStep::NetworkOn), Some(d)) => offline.retain(|o| *o != d),
                (Action::Device(DeviceStep::Background | DeviceStep::Freeze), Some(d)) if !behind.contains(&d) => {
                    behind.push(d)
                }
                _ => {}
            }
        }
        if !open.is_empty() {
            s.steps.push(Step::world(last, WorldStep::Heal));
        }
        for d in offline {
            s.steps.push(Step::on(last, d.clone(), Action::NETWORK_ON));
        }
        for d in behind {
            s.steps.push(Step::on(last, d.clone(), Action::FOREGROUND));
        }
        s
    }

    /// When the run ends: the last step plus the settle time.
    pub fn end_ms(&self) -> u64 {
        self.steps.last().map_or(0, |s| s.at_ms).saturating_add(self.config.settle_ms)
    }

    /// The canonical scenario (written in [`crate::catalog::canonical`], with the others).
    pub fn canonical() -> Scenario {
        crate::catalog::canonical()
    }
}

/// The path of the first object key in `input` that `known` lacks.
fn first_unknown(input: &serde_json::Value, known: &serde_json::Value, path: &mut Vec<String>) -> Option<Vec<String>> {
    use serde_json::Value;
    match (input, known) {
        (Value::Object(i), Value::Object(k)) => i.iter().find_map(|(key, v)| {
            path.push(key.clone());
            let found = match k.get(key) {
                None => Some(path.clone()),
                Some(kv) => first_unknown(v, kv, path),
            };
            path.pop();
            found
        }),
        (Value::Array(i), Value::Array(k)) => i.iter().zip(k).enumerate().find_map(|(n, (v, kv))| {
            path.push(n.to_string());
            let found = first_unknown(v, kv, path);
            path.pop();
            found
        }),
        _ => None,
    }
}

/// Names an unknown field by the step or section it stands in.
fn unknown_field(s: &Scenario, path: &[String]) -> ScenarioError {
    let step = match path {
        [steps, index, ..] if steps == "steps" => index.parse::<usize>().ok().and_then(|i| Some((i, s.steps.get(i)?))),
        _ => None,
    };
    match step {
        Some((index, step)) => ScenarioError::UnknownField {
            place: format!("step {index} ({} at {} ms)", step.action.name(), step.at_ms),
            field: path[2..].join("."),
        },
        None => ScenarioError::UnknownField { place: "scenario".into(), field: path.join(".") },
    }
}

#[cfg(test)]
mod tests;
