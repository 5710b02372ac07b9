//! Generated worlds: proptest strategies that draw a whole [`Scenario`] (devices, builds,
//! vendor flags, iOS VoIP, users and each device's story of launches, kills, logins,
//! logouts, user switches and sends, call invitations among them) from one seed, and shrink a failing one to a smaller scenario that
//! still fails. A generated world is a plain scenario document: it can be saved, read,
//! edited and replayed like a hand-written one.
//!
//! Generation is two layers: proptest draws raw choices ([`DeviceDraw`], [`Op`], [`Fault`])
//! and shrinks them (fewer devices, fewer and simpler ops, fewer faults, shorter gaps);
//! [`compile`] turns choices into timed steps. Every world has two phases: chaos (the ops
//! and the faults), then heal-and-settle (a `heal` world step, every network back, every
//! device relaunched and logged back in, then quiet), so eventually-invariants judge every
//! generated world.
//!
//! This file owns the draws (profiles, fault mixes, ops) and shrinking; [`compile`] (in
//! `compile.rs`) turns a draw into timed steps.

mod compile;

pub use compile::compile;

use crate::catalog::ScenarioBuilder;
use crate::scenario::{Action, BackendStep, DeviceSpec, Scenario, ScenarioConfig, Step, WorldStep};
use proptest::prelude::*;
use proptest::strategy::{NewTree, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::{Deserialize, Serialize};
use zimsim_reference::client::{AppCall, Brand, Build, IosEnvironment, ZpnsConfig};
use zimsim_reference::ids::{ConversationType, UserId};
use zimsim_reference::pushid::Vendor;
use zimsim_reference::relay::REQUEST_TIMEOUT_MS;
use zimsim_reference::server::LoginPolicy;
use zimsim_reference::sub_seed;
use zimsim_reference::topology::{self, VendorHost};
use zimsim_reference::wire::{MessageBody, Outgoing, Platform, PushConfig};

/// How big a generated world is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// 2–3 devices, 2 users, a few ops each: quick to run and to read.
    Small,
    /// 6–8 devices, 4 users, 7–11 ops each (at least 40 steps), a minute or more of chaos.
    Default,
    /// 2000–3000 devices over 2–3 farm hosts and 600 users, a few ops each.
    Large,
}

/// The numbers behind a profile.
struct Shape {
    devices: std::ops::RangeInclusive<usize>,
    users: usize,
    ops: std::ops::Range<usize>,
    /// Time between one op of a device and its next.
    gap_ms: std::ops::Range<u64>,
}

impl Profile {
    pub const ALL: [Profile; 3] = [Profile::Small, Profile::Default, Profile::Large];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Small => "small",
            Profile::Default => "default",
            Profile::Large => "large",
        }
    }

    /// The profile called `name`, or a line naming the known ones.
    pub fn parse(name: &str) -> Result<Profile, String> {
        by_name("profile", name, Profile::ALL, Profile::name)
    }

    fn shape(self) -> Shape {
        match self {
            Profile::Small => Shape { devices: 2..=3, users: 2, ops: 3..7, gap_ms: 200..6_000 },
            Profile::Default => Shape { devices: 6..=8, users: 4, ops: 7..12, gap_ms: 500..7_500 },
            Profile::Large => Shape { devices: 2_000..=3_000, users: 600, ops: 2..5, gap_ms: 1_000..20_000 },
        }
    }
}

/// The one of `all` called `name`, or a line naming the known ones.
fn by_name<T: Copy, const N: usize>(
    what: &str,
    name: &str,
    all: [T; N],
    name_of: fn(T) -> &'static str,
) -> Result<T, String> {
    all.into_iter().find(|t| name_of(*t) == name).ok_or_else(|| {
        let known: Vec<_> = all.into_iter().map(name_of).collect();
        format!("unknown {what} {name:?}; known: {}", known.join(", "))
    })
}

/// How much goes wrong in a generated world.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultMix {
    /// A healthy network and hosts that never fail.
    None,
    /// One to three faults, each short: a partition, a host restart, a slow link, a phone
    /// off the network.
    Light,
    /// Four to ten faults, longer and overlapping, including crashes of the ZIM server.
    Heavy,
}

impl FaultMix {
    pub const ALL: [FaultMix; 3] = [FaultMix::None, FaultMix::Light, FaultMix::Heavy];

    pub fn name(self) -> &'static str {
        match self {
            FaultMix::None => "none",
            FaultMix::Light => "light",
            FaultMix::Heavy => "heavy",
        }
    }

    /// The mix called `name`, or a line naming the known ones.
    pub fn parse(name: &str) -> Result<FaultMix, String> {
        by_name("fault mix", name, FaultMix::ALL, FaultMix::name)
    }

    /// How many faults, how far apart, and how long each lasts.
    fn shape(self) -> (std::ops::Range<usize>, std::ops::Range<u64>, std::ops::Range<u64>) {
        match self {
            FaultMix::None => (0..1, 1..2, 1..2),
            FaultMix::Light => (1..4, 3_000..15_000, 500..6_000),
            FaultMix::Heavy => (4..11, 1_000..8_000, 1_000..25_000),
        }
    }
}

/// One fault of the world, drawn for the chaos phase: it starts after a pause and ends
/// (repair, restart, network back) `for_ms` later, or at the heal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Nothing gets through on one link of the topology.
    Partition { link: usize, for_ms: u64 },
    /// A server-side host dies and restarts.
    Crash { host: usize, for_ms: u64 },
    /// One link becomes slow (until the heal).
    Latency { link: usize, ms: u64 },
    /// A phone loses its network.
    NetworkOff { device: usize, for_ms: u64 },
    /// A vendor's send API fails `count` times with `status` (a 5xx or 429), with a
    /// `Retry-After` or not.
    VendorFail { vendor: usize, status: u16, count: u32, retry_after_s: Option<u64> },
    /// A vendor answers its next `count` sends `ms` late (it carries them out at once).
    VendorSlow { vendor: usize, count: u32, ms: u64 },
}

/// The links a partition or a slow link may hit: phones to the server and to the vendors,
/// the server to the relay, the relay to each vendor.
fn links(vendors: &[VendorHost]) -> Vec<(&'static str, &'static str)> {
    let mut links = vec![(topology::FARM, topology::ZIM.host), (topology::ZIM.host, topology::ZPNS.host)];
    for v in vendors {
        links.push((topology::ZPNS.host, v.name));
        links.push((topology::FARM, v.name));
    }
    links
}

/// The hosts a crash may hit: every server-side host (light faults spare the ZIM server).
fn crashable(mix: FaultMix, vendors: &[VendorHost]) -> Vec<&'static str> {
    let mut hosts = vec![topology::ZPNS.host];
    hosts.extend(vendors.iter().map(|v| v.name));
    if mix == FaultMix::Heavy {
        hosts.push(topology::ZIM.host);
    }
    hosts
}

fn fault(mix: FaultMix, devices: usize) -> impl Strategy<Value = Fault> {
    let (_, _, span) = mix.shape();
    // Indices over every vendor; a world reduces them to the vendors its phones use.
    let (links, hosts) = (links(&topology::VENDORS).len(), crashable(mix, &topology::VENDORS).len());
    prop_oneof![
        3 => (0..links, span.clone()).prop_map(|(link, for_ms)| Fault::Partition { link, for_ms }),
        2 => (0..hosts, span.clone()).prop_map(|(host, for_ms)| Fault::Crash { host, for_ms }),
        1 => (0..links, 200u64..3_000).prop_map(|(link, ms)| Fault::Latency { link, ms }),
        3 => (0..devices.max(1), span).prop_map(|(device, for_ms)| Fault::NetworkOff { device, for_ms }),
        2 => (
            0..topology::VENDORS.len(),
            prop_oneof![Just(500u16), Just(503), Just(429)],
            1u32..4,
            prop::option::of(1u64..5)
        )
            .prop_map(|(vendor, status, count, retry_after_s)| Fault::VendorFail { vendor, status, count, retry_after_s }),
        2 => (0..topology::VENDORS.len(), 1u32..4, 4_000u64..20_000)
            .prop_map(|(vendor, count, ms)| Fault::VendorSlow { vendor, count, ms }),
    ]
}

/// The fixed facts of one generated device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceDraw {
    pub platform: Platform,
    /// Android: the phone's maker (which push services it offers).
    pub brand: Brand,
    pub build: Build,
    /// Android / Web: the vendor channels the app enables (with none the phone offers,
    /// `registerPush` fails).
    pub zpns: ZpnsConfig,
    /// iOS: whether the app names its environment explicitly (always the build's own:
    /// a mislabelled build is the app's bug, not one zimsim looks for).
    pub explicit_ios_environment: bool,
    /// iOS: whether the app registers with `enableIOSVoIP`, so its PushKit token is bound
    /// beside its alert token and call invitations to it go out as VoIP pushes (always
    /// false elsewhere, and the value it shrinks to).
    pub ios_voip: bool,
    /// Index of the user who first logs in here.
    pub home_user: usize,
}

/// One thing a device's user does, after a pause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// A message to user `to`, with an offline push config or not; with `voip` (only with
    /// `push`) the config is a call invitation's, with a VoIP config.
    Send {
        to: usize,
        push: bool,
        voip: bool,
    },
    Kill,
    Launch,
    Register,
    Login {
        user: usize,
    },
    Logout,
    /// Log out, then log in as another user.
    SwitchWithLogout {
        user: usize,
    },
    /// Restart the app and log in as another user without logging out, registering for
    /// push in that launch or not.
    SwitchWithoutLogout {
        user: usize,
        register: bool,
    },
    /// Log in and out again within a few milliseconds.
    QuickLoginLogout {
        user: usize,
    },
    /// Log in and kill the app `after_ms` (1–400) later: mid-login, or mid-sync when later.
    KillAfterLogin {
        user: usize,
        after_ms: u64,
    },
    /// Tap Log out and kill the app in the same millisecond.
    LogoutThenKill,
    /// Put the phone away: the app is killed for `for_ms` (longer than the presence
    /// timeout, so what others send meanwhile is pushed), then relaunched and logged in.
    /// `unreachable`: the phone is out of coverage meanwhile too, so the vendors hold its
    /// pushes (and let them expire in short-lived-push worlds).
    Away {
        for_ms: u64,
        unreachable: bool,
    },
    /// `renewToken` with a fresh token from the app's backend.
    RenewToken,
    /// Uninstall the app (its token dies at the vendor), and install it again `for_ms`
    /// later: launch, set up push and log in as the last user.
    Reinstall {
        for_ms: u64,
    },
    /// The vendor rotates the install's push token.
    RefreshPushToken,
    /// The user leaves the app for another for `for_ms` (longer than the presence timeout
    /// when the app freezes, as iOS makes it and `freeze` does anywhere), then comes back
    /// to it, by tapping its newest notification when `tap`.
    Behind {
        for_ms: u64,
        freeze: bool,
        tap: bool,
    },
    /// `unregisterPush`: no offline pushes until the app registers again.
    Unregister,
    /// Delete the app, without logging out, and never install it again: the device's
    /// last op.
    DeleteApp,
    /// A message to group `group`, with a push config or not, a call invitation's with
    /// `voip` (as in [`Op::Send`]).
    GroupSend {
        group: usize,
        push: bool,
        voip: bool,
    },
    JoinGroup {
        group: usize,
    },
    LeaveGroup {
        group: usize,
    },
    /// Create group `group` with user `with` in it (refused if it exists).
    CreateGroup {
        group: usize,
        with: usize,
    },
    /// Dismiss group `group` (refused unless the user owns it).
    DismissGroup {
        group: usize,
    },
    /// Enter the world's room, say something there (with a push config, which must be ignored),
    /// say something again and leave `stay_ms` later. With `drop`, the app is killed just
    /// after entering and stays dead past the presence timeout: what others say there
    /// meanwhile reaches a session with no connection and must never be pushed.
    RoomVisit {
        stay_ms: u64,
        drop: bool,
    },
    /// A command message (typing indicator) to user `to`.
    Command {
        to: usize,
    },
    /// Do-not-disturb on (or off) for the chat with user `with`, or for the group all
    /// users are in; then the phone is put away for 20 s, so what comes meanwhile would be
    /// pushed if it were not muted.
    Mute {
        with: usize,
        on: bool,
        group: bool,
    },
    /// Report the app's icon badge.
    SetBadge {
        badge: u8,
    },
    /// A custom message to user `to`, at priority `priority`.
    Custom {
        to: usize,
        priority: u8,
    },
    /// Set the user's offline-push rule: the platforms in bit mask `silenced` (bit 0 iOS,
    /// 1 Android, 2 Web) get no pushes while the user is online on this device's platform
    /// or any other in `online` (an empty `silenced` removes the rule).
    PushRule {
        online: u8,
        silenced: u8,
    },
}

/// The platforms a bit mask of an [`Op::PushRule`] names.
fn platforms(mask: u8) -> Vec<Platform> {
    let all = [Platform::Ios, Platform::Android, Platform::Web];
    all.into_iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, p)| p).collect()
}

/// How many groups a generated world names (and it has one room, so visits overlap).
const GROUPS: usize = 2;
const ROOM: &str = "r0";

fn group_id(i: usize) -> String {
    format!("g{}", i % GROUPS)
}

/// How often a send with a push config is a call invitation (a VoIP config), and how often
/// an iPhone's app registers for VoIP pushes. Drawn as booleans, so both shrink to no VoIP.
const VOIP_SENDS: f64 = 0.4;
const VOIP_IPHONES: f64 = 0.6;

fn op(users: usize) -> impl Strategy<Value = Op> {
    let user = 0..users;
    prop_oneof![
        8 => (0..users, prop::bool::weighted(0.8), prop::bool::weighted(VOIP_SENDS))
            .prop_map(|(to, push, voip)| Op::Send { to, push, voip: push && voip }),
        3 => Just(Op::Kill),
        2 => Just(Op::Launch),
        1 => Just(Op::Register),
        2 => user.clone().prop_map(|user| Op::Login { user }),
        2 => Just(Op::Logout),
        1 => user.clone().prop_map(|user| Op::SwitchWithLogout { user }),
        1 => (user.clone(), any::<bool>()).prop_map(|(user, register)| Op::SwitchWithoutLogout { user, register }),
        1 => user.clone().prop_map(|user| Op::QuickLoginLogout { user }),
        1 => (user, 1u64..400).prop_map(|(user, after_ms)| Op::KillAfterLogin { user, after_ms }),
        1 => Just(Op::LogoutThenKill),
        2 => (16_000u64..24_000).prop_map(|for_ms| Op::Away { for_ms, unreachable: false }),
        1 => (20_000u64..40_000).prop_map(|for_ms| Op::Away { for_ms, unreachable: true }),
        2 => Just(Op::RenewToken),
        1 => (16_000u64..24_000).prop_map(|for_ms| Op::Reinstall { for_ms }),
        1 => Just(Op::RefreshPushToken),
        2 => (16_000u64..24_000, any::<bool>(), any::<bool>()).prop_map(|(for_ms, freeze, tap)| Op::Behind { for_ms, freeze, tap }),
        1 => Just(Op::Unregister),
        1 => Just(Op::DeleteApp),
        4 => (0..GROUPS, prop::bool::weighted(0.8), prop::bool::weighted(VOIP_SENDS))
            .prop_map(|(group, push, voip)| Op::GroupSend { group, push, voip: push && voip }),
        1 => (0..GROUPS).prop_map(|group| Op::JoinGroup { group }),
        1 => (0..GROUPS).prop_map(|group| Op::LeaveGroup { group }),
        1 => (0..GROUPS, 0..users).prop_map(|(group, with)| Op::CreateGroup { group, with }),
        1 => (0..GROUPS).prop_map(|group| Op::DismissGroup { group }),
        4 => (1_000u64..10_000, prop::bool::weighted(0.5)).prop_map(|(stay_ms, drop)| Op::RoomVisit { stay_ms, drop }),
        1 => (0..users).prop_map(|to| Op::Command { to }),
        1 => (0..users, 1u8..=3).prop_map(|(to, priority)| Op::Custom { to, priority }),
        4 => (0..users, prop::bool::weighted(0.8), any::<bool>()).prop_map(|(with, on, group)| Op::Mute { with, on, group }),
        2 => (0u8..10).prop_map(|badge| Op::SetBadge { badge }),
        2 => (0u8..8, 0u8..8).prop_map(|(online, silenced)| Op::PushRule { online, silenced }),
    ]
}

fn device(users: usize) -> impl Strategy<Value = DeviceDraw> {
    let platform = prop_oneof![Just(Platform::Ios), Just(Platform::Android), Just(Platform::Web)];
    let build = prop_oneof![Just(Build::Debug), Just(Build::Release)];
    let brand = prop::sample::select(Brand::ALL.to_vec());
    // FCM mostly on, the phone maker's channel mostly on, the others now and then (they
    // must make no difference on a phone without them).
    let flags =
        (prop::bool::weighted(0.9), prop::bool::weighted(0.8), prop::collection::vec(prop::bool::weighted(0.3), 4));
    let ios = (any::<bool>(), prop::bool::weighted(VOIP_IPHONES));
    (platform, brand, build, flags, ios, 0..users).prop_map(
        |(platform, brand, build, (fcm, own, others), (explicit_ios_environment, voip), home_user)| {
            let brand = if platform == Platform::Android { brand } else { Brand::Google };
            let on = |vendor: Vendor, i: usize| if brand.vendor() == Some(vendor) { own } else { others[i] };
            let zpns = ZpnsConfig {
                enable_fcm_push: fcm,
                enable_hw_push: on(Vendor::Hms, 0),
                enable_mi_push: on(Vendor::Mi, 1),
                enable_oppo_push: on(Vendor::Oppo, 2),
                enable_vivo_push: on(Vendor::Vivo, 3),
            };
            let ios_voip = voip && platform == Platform::Ios;
            DeviceDraw { platform, brand, build, zpns, explicit_ios_environment, ios_voip, home_user }
        },
    )
}

/// Every raw choice of a world: each device with its ops and the pause before each, and
/// the faults with the pause before each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draw {
    pub devices: Vec<(DeviceDraw, Vec<(u64, Op)>)>,
    pub faults: Vec<(u64, Fault)>,
    /// How long the app's backend makes tokens last: a day, or in some worlds short
    /// enough that sessions expire (or are renewed) during the chaos.
    pub token_lifetime_ms: u64,
    /// The server's login policy: single-device in most worlds, multi-device in the rest.
    pub login_policy: LoginPolicy,
    /// The app's backend's REST sends: the pause before each, its recipients (user
    /// indices) and whether it asks for an offline push.
    pub backend: Vec<(u64, Vec<usize>, bool)>,
    /// How long vendors may hold a push (`push_ttl_s`): a day, or in some worlds short
    /// enough that a push to a phone off the network expires before it is back.
    pub push_ttl_s: u64,
    /// Whether the console has a data-message resource ([`DATA_RESOURCE`]), which one
    /// pushed send in two then names.
    pub data_pushes: bool,
    /// With faults: a push aimed through a slow vendor, in half the worlds.
    pub slow_push: Option<SlowPush>,
}

/// A vendor answers one push past the relay's timeout while its phone is put away, so the
/// relay retries a send the vendor has already carried out. Aimed rather than left to a
/// [`Fault::VendorSlow`]: a push, a phone that shows it and a slow answer rarely meet by
/// chance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlowPush {
    /// Which [`Op::Away`] of the world (counted over every device's ops, modulo their number).
    pub away: usize,
    /// Aim only at the phones of a vendor that delivers a retried send once (OPPO, vivo),
    /// if the world has one away: they are few, and only there does the relay's
    /// idempotency key show.
    pub once: bool,
    /// How late the vendor answers (past the relay's timeout).
    pub ms: u64,
}

/// The `resourcesID` of generated worlds' console resource that makes FCM pushes data
/// messages.
pub const DATA_RESOURCE: &str = "silent";

/// The strategy of a profile's raw choices under a fault mix.
pub fn draws(profile: Profile, mix: FaultMix) -> impl Strategy<Value = Draw> {
    let shape = profile.shape();
    let (users, ops, gaps) = (shape.users, shape.ops, shape.gap_ms);
    let devices = prop::collection::vec(
        (device(users), prop::collection::vec((gaps.clone(), op(users)), ops.clone())),
        shape.devices,
    );
    let (count, apart, _) = mix.shape();
    let most_devices = *profile.shape().devices.start();
    let count = if mix == FaultMix::None { 0..1 } else { count };
    let faults = prop::collection::vec((apart, fault(mix, most_devices)), count);
    let lifetime = prop_oneof![1 => Just(DAY_MS), 1 => 30_000u64..60_000];
    let policy = prop_oneof![3 => Just(LoginPolicy::SingleDevice), 2 => Just(LoginPolicy::MULTI_DEVICE)];
    let send = (2_000u64..15_000, prop::collection::vec(0..users, 1..=2), prop::bool::weighted(0.7));
    let backend = prop::collection::vec(send, 0..4);
    let push_ttl = prop_oneof![1 => Just(DAY_MS / 1000), 1 => 2u64..12];
    // Drawn last, so the earlier choices of a seed are those it drew before data pushes
    // (and aimed slow pushes after them).
    let data_pushes = prop::bool::ANY;
    let slow_push = prop::option::weighted(0.7, (any::<usize>(), any::<bool>(), REQUEST_TIMEOUT_MS + 500..20_000))
        .prop_map(|aim| aim.map(|(away, once, ms)| SlowPush { away, once, ms }));
    let late = (data_pushes, slow_push);
    (devices, faults, lifetime, policy, backend, push_ttl, late).prop_map(
        move |(devices, faults, token_lifetime_ms, login_policy, backend, push_ttl_s, (data_pushes, slow_push))| Draw {
            devices,
            faults: if mix == FaultMix::None { Vec::new() } else { faults },
            token_lifetime_ms,
            login_policy,
            backend,
            push_ttl_s,
            data_pushes,
            slow_push: if mix == FaultMix::None { None } else { slow_push },
        },
    )
}

const DAY_MS: u64 = 24 * 3600 * 1000;

/// The proptest runner for `seed`: its own ChaCha stream, so a seed always draws the same.
fn runner(seed: u64) -> TestRunner {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&sub_seed(seed, "generate").to_le_bytes());
    TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &key))
}

fn tree(seed: u64, profile: Profile, mix: FaultMix) -> NewTree<impl Strategy<Value = Draw>> {
    draws(profile, mix).new_tree(&mut runner(seed))
}

/// The name of the world generated from `seed`.
fn world_name(seed: u64, profile: Profile, mix: FaultMix) -> String {
    match mix {
        FaultMix::None => format!("generated-{}-{seed}", profile.name()),
        _ => format!("generated-{}-{}-{seed}", profile.name(), mix.name()),
    }
}

/// The world generated from `seed`.
pub fn generate(seed: u64, profile: Profile, mix: FaultMix) -> Scenario {
    let draw = tree(seed, profile, mix).expect("these strategies never reject").current();
    compile(&world_name(seed, profile, mix), &draw, profile.shape().users, mix)
}

/// Shrinks the world generated from `seed` while `fails` still says it fails, trying at
/// most `budget` candidates, and returns the smallest failing scenario found (the original
/// if nothing smaller fails). Two phases: proptest's value tree (fewer and simpler draws)
/// with half the budget, then delta debugging on the scenario itself with the rest
/// (whole devices, then runs of chaos steps; the heal and what follows it stay).
pub fn shrink(
    seed: u64,
    profile: Profile,
    mix: FaultMix,
    budget: usize,
    mut fails: impl FnMut(&Scenario) -> bool,
) -> Scenario {
    let users = profile.shape().users;
    let name = format!("{}-shrunk", world_name(seed, profile, mix));
    let mut tree = tree(seed, profile, mix).expect("these strategies never reject");
    let mut best = compile(&name, &tree.current(), users, mix);
    let mut tries = 0;
    if tree.simplify() {
        while tries < budget / 2 {
            tries += 1;
            let candidate = compile(&name, &tree.current(), users, mix);
            if fails(&candidate) {
                best = candidate;
                if !tree.simplify() {
                    break;
                }
            } else if !tree.complicate() {
                break;
            }
        }
    }
    reduce(best, budget.saturating_sub(tries), fails)
}

/// Delta debugging over a failing scenario: drops whole devices, then ever smaller runs of
/// the steps before the heal, keeping each cut that still fails, within `budget` runs.
pub fn reduce(mut best: Scenario, budget: usize, mut fails: impl FnMut(&Scenario) -> bool) -> Scenario {
    let mut tries = 0;
    let mut i = 0;
    while i < best.devices.len() && best.devices.len() > 1 && tries < budget {
        tries += 1;
        let mut candidate = best.clone();
        let gone = candidate.devices.remove(i).id;
        candidate.steps.retain(|s| s.device.as_ref() != Some(&gone));
        if fails(&candidate) {
            best = candidate;
        } else {
            i += 1;
        }
    }
    let heal = best.steps.iter().position(|s| s.action == Action::World(WorldStep::Heal)).unwrap_or(best.steps.len());
    let mut cut: Vec<bool> = vec![false; heal]; // which chaos steps are gone
    let mut pieces = 2;
    loop {
        let left: Vec<usize> = (0..heal).filter(|&j| !cut[j]).collect();
        if left.is_empty() || tries >= budget {
            break;
        }
        let size = left.len().div_ceil(pieces);
        let mut removed = false;
        for chunk in left.chunks(size) {
            if tries >= budget {
                break;
            }
            tries += 1;
            let mut trial = cut.clone();
            for &j in chunk {
                trial[j] = true;
            }
            let candidate = without(&best, &trial);
            if fails(&candidate) {
                cut = trial;
                pieces = (pieces - 1).max(2);
                removed = true;
                break;
            }
        }
        if !removed {
            if size == 1 {
                break;
            }
            pieces = (pieces * 2).min(left.len());
        }
    }
    without(&best, &cut)
}

/// `scenario` without the steps marked in `cut` (positions past its length stay).
fn without(scenario: &Scenario, cut: &[bool]) -> Scenario {
    let mut s = scenario.clone();
    let mut j = 0;
    s.steps.retain(|_| {
        let keep = !cut.get(j).copied().unwrap_or(false);
        j += 1;
        keep
    });
    s
}

#[cfg(test)]
mod tests;
