//! Named built-in scenarios (`zimsim run --scenario NAME`), each a small story a user would
//! recognise, and the [`ScenarioBuilder`] they are written with. The tests, the mutants'
//! showcases and the command line all take them from here.

use crate::scenario::{Action, DeviceSpec, Scenario, ScenarioConfig, Step, WorldStep};
use zimsim_reference::client::{Brand, Build, IosEnvironment, ZpnsConfig};
use zimsim_reference::ids::DeviceId;
use zimsim_reference::pushid::Vendor;
use zimsim_reference::topology;
use zimsim_reference::wire::{Platform, PushConfig};

/// Every built-in scenario: its name and what it shows.
pub const BUILTIN: &[(&str, &str)] = &[
    ("canonical", "two phones, offline pushes through APNs sandbox and FCM release, sync, logout"),
    ("user-switch", "carol logs in on alice's phone without logging alice out or registering push"),
    ("logout-then-kill", "alice taps Log out and the app dies in the same millisecond; it relaunches"),
    ("relogin-killed", "alice logs out, logs in again, and the app dies before the answer arrives"),
    ("phone-offline", "alice's phone loses its network while bob writes; it comes back and catches up"),
    ("server-crash", "the ZIM server crashes and restarts; stored messages and PushID bindings survive it"),
    (
        "token-expiry",
        "tokens last 40 s: bob renews his and stays online; alice's expires, she is pushed, logs in again",
    ),
    ("group-chat", "a group of three with one phone locked, a late joiner, and a room never stored or pushed"),
    ("kick-out", "bob logs in on his tablet: his phone is kicked out and gets none of his pushes after"),
    ("switch-with-push", "carol registers push and logs in on alice's phone without alice logging out"),
    ("settings", "bob mutes alice and reports a badge: carol's pushes add to it, alice's are silent until unmuted"),
    ("backend-send", "the shop's backend messages alice (online) and bob (phone locked) through the REST API"),
    (
        "dead-tokens",
        "bob deletes the app, dan's token rotates, FCM fails twice: the group's pushes still reach carol and dan",
    ),
    (
        "android-vendors",
        "a Huawei, a Xiaomi, an OPPO, a vivo and a Pixel, each with its own push config, are pushed while locked",
    ),
    (
        "app-states",
        "pushes reach a frozen iPhone, a Pixel and a Xiaomi in the foreground and background, and an iPhone \
         whose user denied notifications; taps open the app; carol unregisters",
    ),
    (
        "slow-vendor",
        "vivo, then FCM, answer alice's push 12 s late; the relay gives up at 10 s and retries: erin's locked vivo \
         and frank's locked Pixel each show it once",
    ),
    (
        "push-expiry",
        "pushes live 60 s: six locked phones off the network for two minutes get only the newer message, but \
         OPPO keeps both for its one-hour minimum",
    ),
    (
        "data-messages",
        "the console makes \"silent\" pushes FCM data messages: Pixels show nothing and their apps hear them, \
         frozen, in the background or not at all; \"ring\" rings on its own channel; iOS and Xiaomi show both",
    ),
    (
        "multi-device",
        "bob is on his phone, tablet and the web at once; his push rule silences the phone while he is on the web",
    ),
];

/// The built-in scenario called `name`.
pub fn builtin(name: &str) -> Option<Scenario> {
    Some(match name {
        "canonical" => canonical(),
        "user-switch" => user_switch(),
        "logout-then-kill" => logout_then_kill(),
        "relogin-killed" => relogin_killed(),
        "phone-offline" => phone_offline(),
        "server-crash" => server_crash(),
        "token-expiry" => token_expiry(),
        "group-chat" => group_chat(),
        "kick-out" => kick_out(),
        "switch-with-push" => switch_with_push(),
        "settings" => settings(),
        "multi-device" => multi_device(),
        "backend-send" => backend_send(),
        "dead-tokens" => dead_tokens(),
        "android-vendors" => android_vendors(),
        "app-states" => app_states(),
        "slow-vendor" => slow_vendor(),
        "push-expiry" => push_expiry(),
        "data-messages" => data_messages(),
        _ => return None,
    })
}

/// Writes a scenario step by step.
#[derive(Debug)]
pub struct ScenarioBuilder {
    scenario: Scenario,
}

impl ScenarioBuilder {
    pub fn new(name: &str) -> ScenarioBuilder {
        ScenarioBuilder {
            scenario: Scenario {
                name: name.into(),
                config: ScenarioConfig::default(),
                devices: Vec::new(),
                steps: Vec::new(),
            },
        }
    }

    pub fn config(mut self, config: ScenarioConfig) -> Self {
        self.scenario.config = config;
        self
    }

    /// A device as `spec` describes it.
    pub fn spec(mut self, spec: DeviceSpec) -> Self {
        self.scenario.devices.push(spec);
        self
    }

    /// A device on `platform` (an Android one made by Google).
    pub fn device(self, id: &str, platform: Platform, build: Build) -> Self {
        self.spec(DeviceSpec { id: id.into(), platform, brand: Brand::Google, build, deny_notifications: false })
    }

    /// An Android phone made by `brand`.
    pub fn android(self, id: &str, brand: Brand, build: Build) -> Self {
        let platform = Platform::Android;
        self.spec(DeviceSpec { id: id.into(), platform, brand, build, deny_notifications: false })
    }

    /// At `at_ms`, `device` does `action`. Steps may be added in any time order; steps at
    /// the same time keep the order they were added in.
    pub fn at(mut self, at_ms: u64, device: &str, action: Action) -> Self {
        self.scenario.steps.push(Step::on(at_ms, device, action));
        self
    }

    /// Any step, device or world.
    pub fn step(mut self, step: Step) -> Self {
        self.scenario.steps.push(step);
        self
    }

    /// At `at_ms`, the world changes.
    pub fn world(mut self, at_ms: u64, step: WorldStep) -> Self {
        self.scenario.steps.push(Step::world(at_ms, step));
        self
    }

    /// At `at_ms`, vendor host `host` fails its next send: it answers HTTP `status` (without
    /// `Retry-After`), or with `slow_ms` answers that late (both: a late failure).
    pub fn vendor_fail(self, at_ms: u64, host: &str, status: Option<u16>, slow_ms: Option<u64>) -> Self {
        self.world(at_ms, WorldStep::VendorFail { host: host.into(), status, count: 1, retry_after_s: None, slow_ms })
    }

    /// At `at_ms`, the app's backend calls the server REST API.
    pub fn backend(self, at_ms: u64, action: Action) -> Self {
        self.step(crate::scenario::Step { at_ms, device: None, action })
    }

    /// Launches the app, enables FCM on Android, registers for push and logs `user` in.
    pub fn sign_in(self, at_ms: u64, device: &str, user: &str) -> Self {
        let android = self.platform(device) != Some(Platform::Ios);
        self.sign_in_after(at_ms, device, user, android.then(fcm))
    }

    /// Like [`ScenarioBuilder::sign_in`] on an Android phone, with the push config
    /// `config` and the debug flag of the device's build.
    pub fn sign_in_with(self, at_ms: u64, device: &str, user: &str, config: ZpnsConfig) -> Self {
        let debug = self.scenario.devices.iter().any(|d| d.id == DeviceId::from(device) && d.build == Build::Debug);
        let setup = [Action::set_push_config(config), Action::enable_debug(debug)];
        self.sign_in_after(at_ms, device, user, setup)
    }

    /// At `at_ms`, `device` launches the app and takes the `setup` steps; it registers for
    /// push 100 ms later and logs `user` in 500 ms later.
    fn sign_in_after(self, at_ms: u64, device: &str, user: &str, setup: impl IntoIterator<Item = Action>) -> Self {
        let b = self.at(at_ms, device, Action::LAUNCH_APP);
        let b = setup.into_iter().fold(b, |b, action| b.at(at_ms, device, action));
        b.at(at_ms + 100, device, register()).at(at_ms + 500, device, login(user))
    }

    pub fn build(mut self) -> Scenario {
        self.scenario.steps.sort_by_key(|s| s.at_ms); // stable: equal times keep their order
        self.scenario
    }

    fn platform(&self, device: &str) -> Option<Platform> {
        self.scenario.devices.iter().find(|d| d.id == DeviceId::from(device)).map(|d| d.platform)
    }
}

/// alice (an iOS debug phone) and bob (an Android release phone) register for push and log
/// in at the start: the opening of most stories.
pub fn alice_and_bob(name: &str) -> ScenarioBuilder {
    ScenarioBuilder::new(name)
        .device("alice-phone", Platform::Ios, Build::Debug)
        .device("bob-phone", Platform::Android, Build::Release)
        .sign_in(100, "alice-phone", "alice")
        .sign_in(100, "bob-phone", "bob")
}

pub fn login(user: &str) -> Action {
    Action::login(user)
}

pub fn register() -> Action {
    Action::register_push(IosEnvironment::Automatic)
}

pub fn fcm() -> Action {
    Action::set_push_config(ZpnsConfig { enable_fcm_push: true, ..ZpnsConfig::default() })
}

/// A text to `to` with a push config whose content is the text.
pub fn send(to: &str, text: &str) -> Action {
    let push = PushConfig::new("New message", text, "");
    Action::send(to, text, Some(push))
}

/// The walking-skeleton scenario: an iOS debug device (alice) and an Android release
/// device (bob) register push and log in; each in turn is killed, times out, and is sent
/// messages with a push config, which arrive through APNs sandbox and FCM (release
/// project) respectively; each relaunches, logs in and syncs. Then alice logs out, bob
/// messages her (no push may reach her device), and alice logs back in to read it.
pub fn canonical() -> Scenario {
    let (ios, android) = ("ios-alice", "android-bob");
    let send = |to: &str, n: u32| {
        let push = PushConfig::new("New message", format!("message {n}"), format!("p{n}"));
        Action::send(to, format!("message {n}"), Some(push))
    };
    ScenarioBuilder::new("canonical")
        .device(ios, Platform::Ios, Build::Debug)
        .device(android, Platform::Android, Build::Release)
        .at(100, ios, Action::LAUNCH_APP)
        .at(100, android, Action::LAUNCH_APP)
        .at(200, android, fcm())
        .at(300, ios, register())
        .at(300, android, register())
        .at(1_000, ios, login("alice"))
        .at(1_000, android, login("bob"))
        // alice's app dies; the server notices only when her heartbeat times out.
        .at(3_000, ios, Action::KILL_APP)
        .at(25_000, android, send("alice", 1))
        .at(25_500, android, send("alice", 2))
        .at(26_000, android, send("alice", 3))
        .at(30_000, ios, Action::LAUNCH_APP)
        .at(30_100, ios, register())
        .at(30_200, ios, login("alice"))
        // Now bob's app dies and alice writes to him.
        .at(35_000, android, Action::KILL_APP)
        .at(57_000, ios, send("bob", 4))
        .at(57_500, ios, send("bob", 5))
        .at(60_000, android, Action::LAUNCH_APP)
        .at(60_100, android, fcm())
        .at(60_200, android, register())
        .at(60_300, android, login("bob"))
        // Logout must clear alice's PushID: this message may not be pushed to her device.
        .at(65_000, ios, Action::LOGOUT)
        .at(67_000, android, send("alice", 6))
        .at(70_000, ios, login("alice"))
        .build()
}

/// alice uses a phone with push; her app restarts and carol logs in there without
/// registering push in that launch (her login carries no PushID). bob keeps writing to
/// alice: none of it may show on the phone carol holds, before or after carol's app dies.
/// alice reads everything on her tablet at the end; carol relaunches and reads bob's note.
fn user_switch() -> Scenario {
    ScenarioBuilder::new("user-switch")
        .device("shared-phone", Platform::Ios, Build::Release)
        .device("bob-phone", Platform::Android, Build::Release)
        .device("alice-tablet", Platform::Ios, Build::Release)
        .sign_in(100, "shared-phone", "alice")
        .sign_in(100, "bob-phone", "bob")
        .at(2_000, "bob-phone", send("alice", "hi alice"))
        .at(3_000, "shared-phone", Action::KILL_APP)
        .at(4_000, "shared-phone", Action::LAUNCH_APP)
        .at(4_500, "shared-phone", login("carol"))
        .at(6_000, "bob-phone", send("alice", "for alice, while carol holds her phone"))
        .at(20_000, "bob-phone", send("alice", "for alice, after her session timed out"))
        .at(22_000, "shared-phone", Action::KILL_APP)
        .at(25_000, "bob-phone", send("alice", "for alice, on a locked phone"))
        .at(26_000, "bob-phone", send("carol", "for carol"))
        .at(35_000, "shared-phone", Action::LAUNCH_APP)
        .at(35_500, "shared-phone", login("carol"))
        .sign_in(40_000, "alice-tablet", "alice")
        .build()
}

/// alice taps Log out and the app dies in the same millisecond: no logout frame leaves the
/// phone. It relaunches (nobody logs in) and stays up; bob writes to alice, whose phone may
/// not show it. alice logs in again later and reads it by sync.
fn logout_then_kill() -> Scenario {
    alice_and_bob("logout-then-kill")
        .at(5_000, "alice-phone", Action::LOGOUT)
        .at(5_000, "alice-phone", Action::KILL_APP)
        .at(8_000, "alice-phone", Action::LAUNCH_APP)
        .at(20_000, "bob-phone", send("alice", "after your logout"))
        .at(21_000, "alice-phone", Action::KILL_APP)
        .at(24_000, "bob-phone", send("alice", "on a locked phone after your logout"))
        .at(30_000, "alice-phone", Action::LAUNCH_APP)
        .at(30_500, "alice-phone", login("alice"))
        .build()
}

/// alice logs out, logs in again, and the app dies a few milliseconds later: the server
/// accepted the login (and bound her PushID again) but the answer never reached the app.
/// bob's later message is rightly pushed to her. Fixed 3 ms latency makes the race exact:
/// connected at +3 ms, login accepted at +6, the kill at +8, `login_ok` due at +9.
fn relogin_killed() -> Scenario {
    let config = ScenarioConfig { min_latency_ms: 3, max_latency_ms: 3, ..ScenarioConfig::default() };
    alice_and_bob("relogin-killed")
        .config(config)
        .at(5_000, "alice-phone", Action::LOGOUT)
        .at(7_000, "alice-phone", login("alice"))
        .at(7_008, "alice-phone", Action::KILL_APP)
        .at(10_000, "bob-phone", send("alice", "after your relogin"))
        .at(40_000, "alice-phone", Action::LAUNCH_APP)
        .at(40_500, "alice-phone", login("alice"))
        .build()
}

/// alice's phone loses its network at 5 s with the app running: the server hears nothing
/// and keeps her session until it times out. bob writes at 8 s (delivered into the dead
/// connection, never acked, so pushed when the session times out) and at 25 s (pushed at
/// once). At 40 s the network returns: the notification waiting at APNs arrives, the SDK
/// reconnects and syncs both messages.
fn phone_offline() -> Scenario {
    alice_and_bob("phone-offline")
        .config(ScenarioConfig { settle_ms: 20_000, ..ScenarioConfig::default() })
        .at(5_000, "alice-phone", Action::NETWORK_OFF)
        .at(8_000, "bob-phone", send("alice", "while your phone is offline"))
        .at(25_000, "bob-phone", send("alice", "after your session timed out"))
        .at(40_000, "alice-phone", Action::NETWORK_ON)
        .build()
}

/// alice's app is killed; bob's first message is pushed to her. The ZIM server crashes at
/// 26 s and restarts at 30 s: every session ends, but the stored message, the sequence and
/// alice's PushID binding survive, so bob's second message (after his SDK reconnects) is
/// pushed to her too and takes the next sequence number. alice relaunches at 50 s and syncs
/// both.
fn server_crash() -> Scenario {
    alice_and_bob("server-crash")
        .at(5_000, "alice-phone", Action::KILL_APP)
        .at(25_000, "bob-phone", send("alice", "before the crash"))
        .world(26_000, WorldStep::Crash { host: topology::ZIM.host.into() })
        .world(30_000, WorldStep::Bounce { host: topology::ZIM.host.into() })
        .at(40_000, "bob-phone", send("alice", "after the restart"))
        .at(50_000, "alice-phone", Action::LAUNCH_APP)
        .at(50_100, "alice-phone", register())
        .at(50_500, "alice-phone", login("alice"))
        .build()
}

/// The app's backend mints tokens that last 40 s. Both users are warned 30 s before
/// expiry; bob renews (twice) and stays online, alice does not: at 40 s her session ends
/// with `TokenExpired` but keeps her PushID (she never logged out), so bob's message at
/// 45 s is pushed to her phone. She logs in again at 50 s and reads it by sync.
fn token_expiry() -> Scenario {
    let renew = || Action::App(zimsim_reference::client::AppCall::RenewToken { token: None });
    alice_and_bob("token-expiry")
        .config(ScenarioConfig { token_lifetime_ms: 40_000, settle_ms: 10_000, ..ScenarioConfig::default() })
        .at(15_000, "bob-phone", renew())
        .at(40_000, "bob-phone", renew())
        .at(45_000, "bob-phone", send("alice", "after your token expired"))
        .at(50_000, "alice-phone", login("alice"))
        .build()
}

/// alice creates "team" with bob and carol. carol's app is killed; bob writes to the team:
/// alice reads it online, carol's phone shows a notification, bob's own phones nothing.
/// alice, bob and dan are in room "lobby"; dan's phone drops off the network just before
/// alice writes there (with a push config, which must be ignored): bob reads it, dan never
/// does, and nobody is pushed. dan joins the team late: he reads what is sent after he
/// joined, not before. carol relaunches and reads the team's messages once each.
fn group_chat() -> Scenario {
    use zimsim_reference::client::AppCall;
    use zimsim_reference::ids::ConversationType;
    let to = conv_message;
    team("group-chat", Platform::Web, &["bob", "carol"])
        .at(3_000, "carol-phone", Action::KILL_APP)
        .at(4_000, "alice-phone", Action::App(AppCall::EnterRoom { room_id: "lobby".into() }))
        .at(4_000, "bob-phone", Action::App(AppCall::EnterRoom { room_id: "lobby".into() }))
        .at(4_000, "dan-phone", Action::App(AppCall::EnterRoom { room_id: "lobby".into() }))
        .at(4_500, "dan-phone", Action::NETWORK_OFF)
        .at(5_000, "alice-phone", to(ConversationType::Room, "lobby", "hello lobby"))
        .at(21_000, "dan-phone", Action::NETWORK_ON)
        .at(25_000, "bob-phone", to(ConversationType::Group, "team", "before dan"))
        .at(30_000, "dan-phone", Action::App(AppCall::JoinGroup { group_id: "team".into() }))
        .at(32_000, "alice-phone", to(ConversationType::Group, "team", "after dan"))
        .at(40_000, "carol-phone", Action::LAUNCH_APP)
        .at(40_100, "carol-phone", register())
        .at(40_500, "carol-phone", login("carol"))
        .build()
}

/// alice (iOS debug), bob (Android release), carol (iOS release) and dan (on `dan`) sign
/// in, and alice creates the group "team" with `members`: the opening of the group stories.
fn team(name: &str, dan: Platform, members: &[&str]) -> ScenarioBuilder {
    let create = zimsim_reference::client::AppCall::CreateGroup {
        group_id: Some("team".into()),
        name: "Team".into(),
        members: members.iter().map(|m| (*m).into()).collect(),
    };
    ScenarioBuilder::new(name)
        .device("alice-phone", Platform::Ios, Build::Debug)
        .device("bob-phone", Platform::Android, Build::Release)
        .device("carol-phone", Platform::Ios, Build::Release)
        .device("dan-phone", dan, Build::Release)
        .sign_in(100, "alice-phone", "alice")
        .sign_in(100, "bob-phone", "bob")
        .sign_in(100, "carol-phone", "carol")
        .sign_in(100, "dan-phone", "dan")
        .at(2_000, "alice-phone", Action::App(create))
}

/// A text to conversation `id` of kind `kind`, with a push config titled "Team".
fn conv_message(kind: zimsim_reference::ids::ConversationType, id: &str, text: &str) -> Action {
    use zimsim_reference::wire::Outgoing;
    let push = PushConfig::new("Team", text, "");
    Action::send_message(Outgoing { conv_type: kind, ..Outgoing::text(id, text, Some(push)) })
}

/// The push path's bad days, as the group "team" (alice, bob, carol, dan) lives them:
/// - bob (Android) deletes the app without logging out and never comes back; alice's next
///   group message finds his token dead at FCM, ZIM unbinds it, and carol (iOS, locked)
///   and dan (Android, locked) are still pushed;
/// - dan's token rotates while his app is stopped: the push to his old token is dead and
///   unbound, and when he opens the app it binds the new one;
/// - FCM answers 503 twice with `Retry-After: 2`: the relay retries, and dan is pushed once.
fn dead_tokens() -> Scenario {
    use zimsim_reference::ids::ConversationType;
    let to_team = |text: &str| conv_message(ConversationType::Group, "team", text);
    team("dead-tokens", Platform::Android, &["bob", "carol", "dan"])
        .at(3_000, "bob-phone", Action::UNINSTALL_APP)
        .at(3_000, "carol-phone", Action::KILL_APP)
        .at(3_000, "dan-phone", Action::KILL_APP)
        .at(40_000, "alice-phone", to_team("bob's phone is gone"))
        .at(45_000, "dan-phone", Action::REFRESH_PUSH_TOKEN)
        .at(50_000, "alice-phone", to_team("dan's token changed"))
        .sign_in(60_000, "dan-phone", "dan")
        .at(65_000, "dan-phone", Action::KILL_APP)
        .world(
            100_000,
            WorldStep::VendorFail {
                host: topology::FCM.name.into(),
                status: Some(503),
                count: 2,
                retry_after_s: Some(2),
                slow_ms: None,
            },
        )
        .at(101_000, "alice-phone", to_team("fcm is flaky"))
        .build()
}

/// One Android phone of each maker, each app with its own push config, and the channel
/// each one registers with (reference policy: the maker's own when enabled, else FCM):
/// - bob's Huawei (release) enables HMS and FCM: HMS, as the phone has no Google services;
/// - carol's Xiaomi (debug) enables FCM only: FCM, although MiPush is on the phone;
/// - dan's OPPO (release) enables OPPO and FCM: OPPO;
/// - erin's vivo (debug) enables vivo only: vivo, with the debug app's credentials;
/// - frank's Pixel (release) enables FCM and MiPush: FCM, as a Pixel has no MiPush.
///
/// Everyone locks the phone; alice (iOS) writes to each, and each is notified through
/// the channel above. HMS then fails once with 503: alice's second message to bob is
/// retried and arrives once. Everyone opens the app again and reads both messages.
fn android_vendors() -> Scenario {
    let phones: [(&str, &str, Brand, Build, ZpnsConfig); 5] = [
        ("bob-huawei", "bob", Brand::Huawei, Build::Release, only(&[Vendor::Hms, Vendor::Fcm])),
        ("carol-xiaomi", "carol", Brand::Xiaomi, Build::Debug, only(&[Vendor::Fcm])),
        ("dan-oppo", "dan", Brand::Oppo, Build::Release, only(&[Vendor::Oppo, Vendor::Fcm])),
        ("erin-vivo", "erin", Brand::Vivo, Build::Debug, only(&[Vendor::Vivo])),
        ("frank-pixel", "frank", Brand::Google, Build::Release, only(&[Vendor::Fcm, Vendor::Mi])),
    ];
    let mut b = ScenarioBuilder::new("android-vendors").device("alice-phone", Platform::Ios, Build::Debug);
    for (device, _, brand, build, _) in phones {
        b = b.android(device, brand, build);
    }
    b = b.sign_in(100, "alice-phone", "alice");
    for (device, user, _, _, config) in phones {
        b = b.sign_in_with(100, device, user, config).at(3_000, device, Action::KILL_APP);
    }
    for (n, (_, user, ..)) in phones.iter().enumerate() {
        b = b.at(40_000 + 500 * n as u64, "alice-phone", send(user, &format!("hi {user}")));
    }
    b = b.vendor_fail(50_000, topology::HMS.name, Some(503), None);
    b = b.at(51_000, "alice-phone", send("bob", "hms had a bad second"));
    for (device, user, _, _, config) in phones {
        b = b.sign_in_with(70_000, device, user, config);
    }
    b.build()
}

/// The push config that enables exactly the Android vendors in `flags`.
pub fn only(flags: &[Vendor]) -> ZpnsConfig {
    ZpnsConfig {
        enable_fcm_push: flags.contains(&Vendor::Fcm),
        enable_hw_push: flags.contains(&Vendor::Hms),
        enable_mi_push: flags.contains(&Vendor::Mi),
        enable_oppo_push: flags.contains(&Vendor::Oppo),
        enable_vivo_push: flags.contains(&Vendor::Vivo),
    }
}

/// The relay asks every vendor to hold a notification for 60 s (`push_ttl_s`). Six phones,
/// one per push service, are locked (app killed) and lose their network at 4 s. alice writes
/// to each at 30 s ("first") and at 120 s ("second"); the phones come back at 150 s:
/// - APNs, FCM, HMS, MiPush and vivo let "first" expire (`dropped`, `expired`) and show
///   "second" (APNs holds only the newest per app anyway);
/// - OPPO holds a notification for at least an hour, whatever the sender asks, and shows both.
///
/// Everyone then opens the app and reads both messages through the sync.
fn push_expiry() -> Scenario {
    let android: [(&str, &str, Brand, Vendor); 5] = [
        ("carol-pixel", "carol", Brand::Google, Vendor::Fcm),
        ("dan-huawei", "dan", Brand::Huawei, Vendor::Hms),
        ("erin-xiaomi", "erin", Brand::Xiaomi, Vendor::Mi),
        ("frank-oppo", "frank", Brand::Oppo, Vendor::Oppo),
        ("grace-vivo", "grace", Brand::Vivo, Vendor::Vivo),
    ];
    let mut b = ScenarioBuilder::new("push-expiry")
        .config(ScenarioConfig { push_ttl_s: 60, ..ScenarioConfig::default() })
        .device("alice-phone", Platform::Ios, Build::Debug)
        .device("bob-iphone", Platform::Ios, Build::Release)
        .sign_in(100, "alice-phone", "alice")
        .sign_in(100, "bob-iphone", "bob");
    for (device, user, brand, vendor) in android {
        b = b.android(device, brand, Build::Release).sign_in_with(100, device, user, only(&[vendor]));
    }
    let phones = std::iter::once(("bob-iphone", "bob", None)).chain(android.map(|(d, u, _, v)| (d, u, Some(v))));
    for (n, (device, user, vendor)) in phones.enumerate() {
        let n = n as u64;
        b = b
            .at(3_000, device, Action::KILL_APP)
            .at(4_000, device, Action::NETWORK_OFF)
            .at(30_000 + 200 * n, "alice-phone", send(user, &format!("first for {user}")))
            .at(120_000 + 200 * n, "alice-phone", send(user, &format!("second for {user}")))
            .at(150_000, device, Action::NETWORK_ON);
        b = match vendor {
            None => b.sign_in(160_000, device, user),
            Some(v) => b.sign_in_with(160_000, device, user, only(&[v])),
        };
    }
    b.build()
}

/// The `resourcesID` of [`data_messages`]' data-message resource.
pub const SILENT: &str = "silent";
/// The `resourcesID` of [`data_messages`]' resource with its own sound and channel.
pub const RING: &str = "ring";

/// ZEGO's console (`push_resources`) has two push resources: "silent" makes FCM pushes
/// data messages, "ring" gives notifications their own sound (and on Android the "chat"
/// channel). alice writes to everyone at 30 s, naming one of them:
/// - carol's Pixel is frozen in the background ("silent"): nothing is shown; the app hears
///   the data message (`throughMessageReceived`) when carol brings it to the front.
/// - dan's Pixel is in the background, off the network ("silent"): FCM holds the data
///   message and hands it to the running app when the phone is back; nothing is shown.
/// - erin's Pixel has its app killed ("silent"): the OS drops the data message, as Android
///   does for a stopped app; erin reads the message when she opens the app.
/// - frank's Pixel has its app killed ("ring"): a notification on the "chat" channel.
/// - bob's iPhone and grace's Xiaomi, apps killed ("silent"): the strategy is FCM's, so
///   APNs and MiPush show notifications as ever.
///
/// Everyone opens the app by 60 s and reads the message through the sync.
fn data_messages() -> Scenario {
    use zimsim_reference::push_services::resources::{ApnsStrategy, FcmPushType, FcmStrategy, PushResource};
    let ring = PushResource {
        apns: ApnsStrategy { sound: Some("ring.caf".into()) },
        fcm: FcmStrategy {
            push_type: FcmPushType::Notification,
            sound: Some("ring".into()),
            channel_id: Some("chat".into()),
        },
    };
    let resources = [(SILENT.to_owned(), PushResource::data_message()), (RING.to_owned(), ring)].into();
    let to = |user: &str, resource: &str| {
        let text = format!("for {user}");
        let push = PushConfig { resources_id: resource.into(), ..PushConfig::new("New message", &text, "p") };
        Action::send(user, text, Some(push))
    };
    let mi = only(&[Vendor::Mi]);
    let mut b = ScenarioBuilder::new("data-messages")
        .config(ScenarioConfig { push_resources: resources, ..ScenarioConfig::default() })
        .device("alice-phone", Platform::Ios, Build::Debug)
        .device("bob-iphone", Platform::Ios, Build::Release)
        .android("carol-pixel", Brand::Google, Build::Release)
        .android("dan-pixel", Brand::Google, Build::Release)
        .android("erin-pixel", Brand::Google, Build::Release)
        .android("frank-pixel", Brand::Google, Build::Release)
        .android("grace-xiaomi", Brand::Xiaomi, Build::Release)
        .sign_in(100, "alice-phone", "alice")
        .sign_in_with(100, "grace-xiaomi", "grace", mi)
        .at(3_000, "grace-xiaomi", Action::KILL_APP)
        .at(30_000, "alice-phone", to("grace", SILENT))
        .sign_in_with(60_000, "grace-xiaomi", "grace", mi);
    // (device, its user, whether its app is killed at 3 s and opened again at 60 s)
    let phones = [
        ("bob-iphone", "bob", true),
        ("carol-pixel", "carol", false),
        ("dan-pixel", "dan", false),
        ("erin-pixel", "erin", true),
        ("frank-pixel", "frank", true),
    ];
    for (device, user, _) in phones {
        b = b.sign_in(100, device, user);
    }
    b = b
        .at(3_000, "carol-pixel", Action::BACKGROUND)
        .at(3_000, "carol-pixel", Action::FREEZE)
        .at(3_000, "dan-pixel", Action::BACKGROUND)
        .at(3_000, "dan-pixel", Action::NETWORK_OFF)
        .at(30_000, "alice-phone", to("carol", SILENT))
        .at(30_200, "alice-phone", to("dan", SILENT))
        .at(30_400, "alice-phone", to("erin", SILENT))
        .at(30_600, "alice-phone", to("frank", RING))
        .at(30_800, "alice-phone", to("bob", SILENT))
        .at(45_000, "dan-pixel", Action::NETWORK_ON)
        .at(50_000, "carol-pixel", Action::FOREGROUND);
    for (device, user, _) in phones.into_iter().filter(|(_, _, killed)| *killed) {
        b = b.at(3_000, device, Action::KILL_APP).sign_in(60_000, device, user);
    }
    b.build()
}

/// What the phone shows and the app hears in each app state (ZEGO's callback table):
/// - bob's iPhone is backgrounded, so iOS freezes it and the server drops his session: alice's
///   first message is shown in the tray; bob taps it (`notificationClicked` with the
///   payload) and the thawed app syncs the message. Later his phone loses its network in the
///   foreground; the message APNs held for it arrives with the app in front, so iOS shows
///   nothing and the SDK raises `notificationArrived`.
/// - carol's Pixel (FCM) loses its network in the foreground: the held message comes back
///   as `throughMessageReceived`. Later she calls `unregisterPush`: her next message is
///   not pushed at all.
/// - dan's Xiaomi (MiPush) is in the background: MiPush shows the message and tells the
///   running app (`notificationArrived`). Then the OS freezes it: the next one is shown only.
/// - erin's iPhone has notifications denied: APNs delivers, and nothing is shown.
pub fn app_states() -> Scenario {
    let mi = ZpnsConfig { enable_mi_push: true, ..ZpnsConfig::default() };
    let with_payload = |to: &str, text: &str| {
        let push = PushConfig::new("New message", text, format!("{{\"chat\":\"{to}\"}}"));
        Action::send(to, text, Some(push))
    };
    ScenarioBuilder::new("app-states")
        .device("alice-phone", Platform::Ios, Build::Debug)
        .device("bob-iphone", Platform::Ios, Build::Release)
        .device("carol-pixel", Platform::Android, Build::Release)
        .android("dan-xiaomi", Brand::Xiaomi, Build::Release)
        .spec(DeviceSpec {
            id: "erin-iphone".into(),
            platform: Platform::Ios,
            brand: Brand::Google,
            build: Build::Release,
            deny_notifications: true,
        })
        .sign_in(100, "alice-phone", "alice")
        .at(100, "bob-iphone", Action::LAUNCH_APP)
        .at(150, "bob-iphone", Action::APPLY_NOTIFICATION_PERMISSION)
        .sign_in(200, "bob-iphone", "bob")
        .sign_in(100, "carol-pixel", "carol")
        .sign_in_with(100, "dan-xiaomi", "dan", mi)
        .at(100, "erin-iphone", Action::LAUNCH_APP)
        .at(150, "erin-iphone", Action::APPLY_NOTIFICATION_PERMISSION)
        .sign_in(200, "erin-iphone", "erin")
        // Frozen, background, and in-front-but-offline phones; erin's app is killed.
        .at(3_000, "bob-iphone", Action::BACKGROUND)
        .at(3_000, "carol-pixel", Action::NETWORK_OFF)
        .at(3_000, "dan-xiaomi", Action::NETWORK_OFF)
        .at(3_000, "dan-xiaomi", Action::BACKGROUND)
        .at(3_000, "erin-iphone", Action::KILL_APP)
        .at(40_000, "alice-phone", with_payload("bob", "bob, frozen"))
        .at(40_500, "alice-phone", with_payload("carol", "carol, offline in front"))
        .at(41_000, "alice-phone", with_payload("dan", "dan, in the background"))
        .at(41_500, "alice-phone", with_payload("erin", "erin, who said no"))
        .at(50_000, "carol-pixel", Action::NETWORK_ON)
        .at(50_000, "dan-xiaomi", Action::NETWORK_ON)
        .at(55_000, "bob-iphone", Action::TAP_NOTIFICATION)
        // dan's Xiaomi is frozen; bob's iPhone goes offline in front.
        .at(60_000, "dan-xiaomi", Action::FREEZE)
        .at(60_000, "bob-iphone", Action::NETWORK_OFF)
        .at(90_000, "alice-phone", with_payload("dan", "dan, frozen"))
        .at(90_500, "alice-phone", with_payload("bob", "bob, offline in front"))
        .at(100_000, "bob-iphone", Action::NETWORK_ON)
        .at(100_000, "dan-xiaomi", Action::FOREGROUND)
        .at(100_000, "erin-iphone", Action::LAUNCH_APP)
        .at(100_500, "erin-iphone", login("erin"))
        // carol opts out of offline pushes, then closes the app.
        .at(110_000, "carol-pixel", Action::UNREGISTER_PUSH)
        .at(111_000, "carol-pixel", Action::KILL_APP)
        .at(140_000, "alice-phone", with_payload("carol", "carol, unregistered"))
        .at(150_000, "carol-pixel", Action::LAUNCH_APP)
        .at(150_500, "carol-pixel", login("carol"))
        .build()
}

/// erin's vivo (release, vivo push only) is locked when alice writes to her, and vivo is
/// slow: it delivers the notification at once but its answer reaches the relay 12 s later.
/// The relay gives the try up after 10 s (`REQUEST_TIMEOUT_MS`) and retries with the same
/// `requestId`, which vivo answers as the send it already made: erin's phone shows the
/// message once. Then FCM is as slow for frank's locked Pixel; FCM has no idempotency key
/// and delivers the retry too, but under the same `tag` (the message ID), so the phone
/// shows it in place of the first: one notification. Both open the app later and read.
fn slow_vendor() -> Scenario {
    let (vivo, fcm) = (only(&[Vendor::Vivo]), only(&[Vendor::Fcm]));
    ScenarioBuilder::new("slow-vendor")
        .device("alice-phone", Platform::Ios, Build::Debug)
        .android("erin-vivo", Brand::Vivo, Build::Release)
        .android("frank-pixel", Brand::Google, Build::Release)
        .sign_in(100, "alice-phone", "alice")
        .sign_in_with(100, "erin-vivo", "erin", vivo)
        .sign_in_with(100, "frank-pixel", "frank", fcm)
        .at(3_000, "erin-vivo", Action::KILL_APP)
        .at(3_000, "frank-pixel", Action::KILL_APP)
        .vendor_fail(40_000, topology::VIVO.name, None, Some(12_000))
        .at(40_500, "alice-phone", send("erin", "are you there?"))
        .vendor_fail(60_000, topology::FCM.name, None, Some(12_000))
        .at(60_500, "alice-phone", send("frank", "running late"))
        .sign_in_with(90_000, "erin-vivo", "erin", vivo)
        .sign_in_with(90_000, "frank-pixel", "frank", fcm)
        .build()
}

/// bob reads alice's "hello" on his phone, then logs in on his tablet: the phone is kicked
/// out (and its PushID unbound), the tablet syncs "hello". The tablet's app is killed;
/// alice writes twice, once with a push config and once without: only the first is pushed,
/// and only to the tablet. bob relaunches the tablet and reads both once.
fn kick_out() -> Scenario {
    use zimsim_reference::wire::Outgoing;
    alice_and_bob("kick-out")
        .device("bob-tablet", Platform::Android, Build::Release)
        .at(2_000, "alice-phone", send("bob", "hello"))
        .sign_in(5_000, "bob-tablet", "bob")
        .at(8_000, "bob-tablet", Action::KILL_APP)
        .at(30_000, "alice-phone", send("bob", "while you are away"))
        .at(30_500, "alice-phone", Action::send_message(Outgoing::text("bob", "no push for this", None)))
        .at(40_000, "bob-tablet", Action::LAUNCH_APP)
        .at(40_000, "bob-tablet", fcm())
        .at(40_100, "bob-tablet", register())
        .at(40_500, "bob-tablet", login("bob"))
        .build()
}

/// alice uses a phone with push; her app restarts and carol registers push and logs in
/// there without alice logging out: the PushID is carol's now. bob writes to alice: her
/// push may not reach the phone carol holds.
fn switch_with_push() -> Scenario {
    ScenarioBuilder::new("switch-with-push")
        .device("shared-phone", Platform::Ios, Build::Release)
        .device("bob-phone", Platform::Android, Build::Release)
        .sign_in(100, "shared-phone", "alice")
        .sign_in(100, "bob-phone", "bob")
        .at(3_000, "shared-phone", Action::KILL_APP)
        .at(4_000, "shared-phone", Action::LAUNCH_APP)
        .at(4_100, "shared-phone", register())
        .at(4_500, "shared-phone", login("carol"))
        .at(22_000, "shared-phone", Action::KILL_APP)
        .at(40_000, "bob-phone", send("alice", "for alice only"))
        .at(41_000, "bob-phone", send("carol", "for carol"))
        .build()
}

/// bob reports a badge of 3 and mutes his chat with alice, then his app is killed. alice's
/// message is not pushed; carol's two badge-enabled messages are, with badges 5 and 6. bob
/// comes back, unmutes alice and leaves again: her next message is pushed.
fn settings() -> Scenario {
    use zimsim_reference::client::AppCall;
    use zimsim_reference::ids::ConversationType;
    use zimsim_reference::wire::{NotificationStatus, Outgoing};
    let status = |status| {
        Action::App(AppCall::SetNotificationStatus { to: "alice".into(), conv_type: ConversationType::Peer, status })
    };
    let badged = |text: &str, increment| {
        let push =
            PushConfig { enable_badge: true, badge_increment: increment, ..PushConfig::new("New message", text, "") };
        Action::send_message(Outgoing::text("bob", text, Some(push)))
    };
    ScenarioBuilder::new("settings")
        .device("alice-phone", Platform::Ios, Build::Debug)
        .device("bob-phone", Platform::Ios, Build::Release)
        .device("carol-phone", Platform::Android, Build::Release)
        .sign_in(100, "alice-phone", "alice")
        .sign_in(100, "bob-phone", "bob")
        .sign_in(100, "carol-phone", "carol")
        .at(1_000, "bob-phone", Action::App(AppCall::SetBadge { badge: 3 }))
        .at(1_200, "bob-phone", status(NotificationStatus::DoNotDisturb))
        .at(3_000, "bob-phone", Action::KILL_APP)
        .at(25_000, "alice-phone", send("bob", "while you muted me"))
        .at(26_000, "carol-phone", badged("plus two", 2))
        .at(27_000, "carol-phone", badged("plus one", 1))
        .at(30_000, "bob-phone", Action::LAUNCH_APP)
        .at(30_100, "bob-phone", register())
        .at(30_500, "bob-phone", login("bob"))
        .at(31_000, "bob-phone", status(NotificationStatus::Notify))
        .at(32_000, "bob-phone", Action::KILL_APP)
        .at(50_000, "alice-phone", send("bob", "after you unmuted me"))
        .build()
}

/// The app's backend (user `shop`, which never logs in) sends a signed `SendPeerMessage`
/// to alice, online, and bob, whose phone is locked: alice gets it in the app, bob as a
/// notification, and both read it in their chat with the shop. Then a second one without
/// an offline push: bob reads it when he opens the app, with no notification.
fn backend_send() -> Scenario {
    use crate::scenario::BackendStep;
    let server_send = |text: &str, push| {
        Action::Backend(BackendStep::ServerSend {
            from: "shop".into(),
            to: vec!["alice".into(), "bob".into()],
            text: text.into(),
            push,
        })
    };
    ScenarioBuilder::new("backend-send")
        .device("alice-phone", Platform::Ios, Build::Debug)
        .device("bob-phone", Platform::Android, Build::Release)
        .sign_in(100, "alice-phone", "alice")
        .sign_in(100, "bob-phone", "bob")
        .at(3_000, "bob-phone", Action::KILL_APP)
        .backend(25_000, server_send("Your order shipped", true))
        .backend(26_000, server_send("Rate your order", false))
        .at(30_000, "bob-phone", Action::LAUNCH_APP)
        .at(30_000, "bob-phone", fcm())
        .at(30_100, "bob-phone", register())
        .at(30_500, "bob-phone", login("bob"))
        .build()
}

/// Multi-device login: bob's phone (iOS), tablet (Android) and browser are all logged in.
/// His offline-push rule says "while I am on the web, no pushes to iOS". The phone and the
/// tablet go offline; alice's first message reaches the browser online and the tablet by
/// push, not the phone. Once the browser is gone too, both are pushed.
fn multi_device() -> Scenario {
    use zimsim_reference::client::AppCall;
    use zimsim_reference::server::LoginPolicy;
    use zimsim_reference::wire::OfflinePushRule;
    let rule = OfflinePushRule {
        online_platforms: vec![Platform::Web],
        not_to_receive_offline_push_platforms: vec![Platform::Ios],
    };
    ScenarioBuilder::new("multi-device")
        .config(ScenarioConfig { login_policy: LoginPolicy::MULTI_DEVICE, ..ScenarioConfig::default() })
        .device("alice-phone", Platform::Ios, Build::Debug)
        .device("bob-phone", Platform::Ios, Build::Release)
        .device("bob-tablet", Platform::Android, Build::Release)
        .device("bob-web", Platform::Web, Build::Release)
        .sign_in(100, "alice-phone", "alice")
        .sign_in(100, "bob-phone", "bob")
        .sign_in(200, "bob-tablet", "bob")
        .sign_in(300, "bob-web", "bob")
        .at(1_000, "bob-web", Action::App(AppCall::UpdateOfflinePushRule { rule }))
        .at(3_000, "bob-phone", Action::KILL_APP)
        .at(3_000, "bob-tablet", Action::KILL_APP)
        .at(25_000, "alice-phone", send("bob", "while you are on the web"))
        .at(27_000, "bob-web", Action::KILL_APP)
        .at(50_000, "alice-phone", send("bob", "while you are away"))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_scenario_is_valid_and_found_by_its_name() {
        for (name, _) in BUILTIN {
            let s = builtin(name).unwrap_or_else(|| panic!("{name} is listed but not built"));
            assert_eq!(s.name, *name);
            s.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(Scenario::from_json(&s.to_json()).unwrap(), s, "{name} round-trips");
        }
        assert_eq!(builtin("no-such-scenario"), None);
    }

    #[test]
    fn sign_in_enables_fcm_on_android_only_and_sign_in_with_sets_the_config_and_debug_flag() {
        let steps = |device: &str, actions: Vec<(u64, Action)>| -> Vec<Step> {
            actions.into_iter().map(|(at, a)| Step::on(at, device, a)).collect()
        };
        let config = ZpnsConfig { enable_hw_push: true, ..ZpnsConfig::default() };
        let s = ScenarioBuilder::new("s")
            .device("ios", Platform::Ios, Build::Debug)
            .device("android", Platform::Android, Build::Release)
            .android("huawei", Brand::Huawei, Build::Debug)
            .sign_in(100, "ios", "alice")
            .sign_in(200, "android", "bob")
            .sign_in_with(300, "huawei", "carol", config)
            .build();
        let mut want = steps("ios", vec![(100, Action::LAUNCH_APP), (200, register()), (600, login("alice"))]);
        want.extend(steps(
            "android",
            vec![(200, Action::LAUNCH_APP), (200, fcm()), (300, register()), (700, login("bob"))],
        ));
        want.extend(steps(
            "huawei",
            vec![
                (300, Action::LAUNCH_APP),
                (300, Action::set_push_config(config)),
                (300, Action::enable_debug(true)),
                (400, register()),
                (800, login("carol")),
            ],
        ));
        want.sort_by_key(|s| s.at_ms);
        assert_eq!(s.steps, want);
    }
}
