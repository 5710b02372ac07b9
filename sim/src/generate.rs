//! Generated worlds: proptest strategies that draw a whole [`Scenario`] (devices, builds,
//! vendor flags, users and each device's story of launches, kills, logins, logouts, user
//! switches and sends) from one seed, and shrink a failing one to a smaller scenario that
//! still fails. A generated world is a plain scenario document: it can be saved, read,
//! edited and replayed like a hand-written one.
//!
//! Generation is two layers: proptest draws raw choices ([`DeviceDraw`], [`Op`], [`Fault`])
//! and shrinks them (fewer devices, fewer and simpler ops, fewer faults, shorter gaps);
//! [`compile`] turns choices into timed steps. Every world has two phases: chaos (the ops
//! and the faults), then heal-and-settle (a `heal` world step, every network back, every
//! device relaunched and logged back in, then quiet), so eventually-invariants judge every
//! generated world.

use crate::catalog::ScenarioBuilder;
use crate::scenario::{Action, DeviceSpec, Scenario, ScenarioConfig, Step, WorldStep};
use proptest::prelude::*;
use proptest::strategy::{NewTree, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::{Deserialize, Serialize};
use zimsim_reference::client::{AppCall, Build, IosEnvironment, ZpnsConfig};
use zimsim_reference::ids::{ConversationType, UserId};
use zimsim_reference::sub_seed;
use zimsim_reference::topology;
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
}

/// The links a partition or a slow link may hit: phones to the server and to the vendors,
/// the server to the relay, the relay to each vendor.
fn links() -> Vec<(&'static str, &'static str)> {
    let mut links = vec![(topology::FARM, topology::ZIM.host), (topology::ZIM.host, topology::ZPNS.host)];
    for v in topology::VENDORS {
        links.push((topology::ZPNS.host, v.name));
        links.push((topology::FARM, v.name));
    }
    links
}

/// The hosts a crash may hit: every server-side host (light faults spare the ZIM server).
fn crashable(mix: FaultMix) -> Vec<&'static str> {
    let mut hosts = vec![topology::ZPNS.host];
    hosts.extend(topology::VENDORS.iter().map(|v| v.name));
    if mix == FaultMix::Heavy {
        hosts.push(topology::ZIM.host);
    }
    hosts
}

fn fault(mix: FaultMix, devices: usize) -> impl Strategy<Value = Fault> {
    let (_, _, span) = mix.shape();
    let (links, hosts) = (links().len(), crashable(mix).len());
    prop_oneof![
        3 => (0..links, span.clone()).prop_map(|(link, for_ms)| Fault::Partition { link, for_ms }),
        2 => (0..hosts, span.clone()).prop_map(|(host, for_ms)| Fault::Crash { host, for_ms }),
        1 => (0..links, 200u64..3_000).prop_map(|(link, ms)| Fault::Latency { link, ms }),
        3 => (0..devices.max(1), span).prop_map(|(device, for_ms)| Fault::NetworkOff { device, for_ms }),
    ]
}

/// The fixed facts of one generated device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceDraw {
    pub platform: Platform,
    pub build: Build,
    /// Android / Web: whether the app enables FCM (without it, `registerPush` fails).
    pub fcm: bool,
    /// iOS: whether the app names its environment explicitly (always the build's own:
    /// a mislabelled build is the app's bug, not one zimsim looks for).
    pub explicit_ios_environment: bool,
    /// Index of the user who first logs in here.
    pub home_user: usize,
}

/// One thing a device's user does, after a pause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// A message to user `to`, with an offline push config or not.
    Send {
        to: usize,
        push: bool,
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
    Away {
        for_ms: u64,
    },
    /// `renewToken` with a fresh token from the app's backend.
    RenewToken,
    /// A message to group `group`, with a push config or not.
    GroupSend {
        group: usize,
        push: bool,
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
    /// A custom message to user `to`, at priority `priority`.
    Custom {
        to: usize,
        priority: u8,
    },
}

/// How many groups a generated world names (and it has one room, so visits overlap).
const GROUPS: usize = 2;
const ROOM: &str = "r0";

fn group_id(i: usize) -> String {
    format!("g{}", i % GROUPS)
}

fn op(users: usize) -> impl Strategy<Value = Op> {
    let user = 0..users;
    prop_oneof![
        8 => (0..users, prop::bool::weighted(0.8)).prop_map(|(to, push)| Op::Send { to, push }),
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
        2 => (16_000u64..24_000).prop_map(|for_ms| Op::Away { for_ms }),
        2 => Just(Op::RenewToken),
        4 => (0..GROUPS, prop::bool::weighted(0.8)).prop_map(|(group, push)| Op::GroupSend { group, push }),
        1 => (0..GROUPS).prop_map(|group| Op::JoinGroup { group }),
        1 => (0..GROUPS).prop_map(|group| Op::LeaveGroup { group }),
        1 => (0..GROUPS, 0..users).prop_map(|(group, with)| Op::CreateGroup { group, with }),
        1 => (0..GROUPS).prop_map(|group| Op::DismissGroup { group }),
        3 => (1_000u64..10_000, prop::bool::weighted(0.3)).prop_map(|(stay_ms, drop)| Op::RoomVisit { stay_ms, drop }),
        1 => (0..users).prop_map(|to| Op::Command { to }),
        1 => (0..users, 1u8..=3).prop_map(|(to, priority)| Op::Custom { to, priority }),
    ]
}

fn device(users: usize) -> impl Strategy<Value = DeviceDraw> {
    let platform = prop_oneof![Just(Platform::Ios), Just(Platform::Android), Just(Platform::Web)];
    let build = prop_oneof![Just(Build::Debug), Just(Build::Release)];
    (platform, build, prop::bool::weighted(0.9), any::<bool>(), 0..users).prop_map(
        |(platform, build, fcm, explicit_ios_environment, home_user)| DeviceDraw {
            platform,
            build,
            fcm,
            explicit_ios_environment,
            home_user,
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
}

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
    (devices, faults, lifetime).prop_map(move |(devices, faults, token_lifetime_ms)| Draw {
        devices,
        faults: if mix == FaultMix::None { Vec::new() } else { faults },
        token_lifetime_ms,
    })
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

/// The timing of generated worlds: a 60 ms step with latencies of 60–120 ms, so a run costs
/// a small fraction of a 1 ms one (docs/benchmarks.md has the measurements); presence times
/// out after 15 s. A login then takes a few hundred milliseconds, which the kill-after-login
/// op spans.
/// With faults the settle is longer: a phone back from a dead network reconnects after its
/// SDK's backoff (up to 8 s) and then syncs.
fn config(mix: FaultMix, token_lifetime_ms: u64) -> ScenarioConfig {
    ScenarioConfig {
        token_lifetime_ms,
        heartbeat_interval_ms: 5_000,
        heartbeat_timeout_ms: 15_000,
        settle_ms: if mix == FaultMix::None { 10_000 } else { 15_000 },
        min_latency_ms: 60,
        max_latency_ms: 120,
        tick_ms: 60,
    }
}

/// What the generator knows of a device while it writes its steps: enough to end with a
/// heal that brings it back, not a model of the SDK.
#[derive(Default)]
struct Track {
    running: bool,
    logged_in: Option<usize>,
    last_user: Option<usize>,
    /// The user logged out on purpose (and has not logged in since): they stay out.
    chose_logout: bool,
}

impl Track {
    fn follow(&mut self, action: &Action) {
        match action {
            Action::Device(crate::scenario::DeviceStep::LaunchApp) => self.running = true,
            Action::Device(crate::scenario::DeviceStep::KillApp) => (self.running, self.logged_in) = (false, None),
            Action::App(AppCall::Login { user, .. }) if self.running && self.logged_in.is_none() => {
                let i = user.as_str()[1..].parse().unwrap_or(0);
                (self.logged_in, self.last_user, self.chose_logout) = (Some(i), Some(i), false);
            }
            Action::App(AppCall::Logout) => (self.logged_in, self.chose_logout) = (None, true),
            _ => {}
        }
    }
}

/// Turns raw choices into a scenario: each device starts (launch, push setup, register,
/// login as its home user), plays its ops while the faults come and go, and then the world
/// heals: every fault repaired, every network back, every device relaunched and logged
/// back in.
pub fn compile(name: &str, draw: &Draw, users: usize, mix: FaultMix) -> Scenario {
    let user = |i: usize| UserId::new(format!("u{}", i % users.max(1)));
    let mut devices = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut tracks = Vec::new();
    let mut chaos_end = 0;
    let mut sent = 0;
    for (n, (d, ops)) in draw.devices.iter().enumerate() {
        let id = format!("d{n}-{}-{}", platform_name(d.platform), build_name(d.build));
        devices.push(DeviceSpec { id: id.as_str().into(), platform: d.platform, build: d.build });
        let mut track = Track::default();
        let mut at = 100 + 10 * n as u64;
        let mut push = |at: u64, action: Action, track: &mut Track| {
            track.follow(&action);
            steps.push(Step::on(at, id.as_str(), action));
        };
        push(at, Action::LAUNCH_APP, &mut track);
        for action in setup(d) {
            push(at, action, &mut track);
        }
        // The first devices cover every user, so nobody is a recipient who never logs in.
        let home = if n < users { n } else { d.home_user };
        push(at + 200, Action::login(user(home)), &mut track);
        if n + 1 == draw.devices.len() {
            // Once everyone's first login is in, the last device to log in (so nobody's
            // login kicks it out first) opens a group for all.
            let members = (0..users).filter(|u| *u != home).map(user).collect();
            let call =
                AppCall::CreateGroup { group_id: Some(group_id(0).as_str().into()), name: "all".into(), members };
            push(at + 1_500, Action::App(call), &mut track);
        }
        at += 2_000;
        for (gap, op) in ops {
            at += gap;
            match *op {
                Op::Send { to, push: with_push } => {
                    let me = ready(d, &mut at, &mut track, home, &mut push);
                    let to = other(to, me);
                    sent += 1;
                    let text = format!("m{sent} from {id}");
                    push(
                        at,
                        Action::send(user(to), text.clone(), with_push.then(|| push_config(&text, sent))),
                        &mut track,
                    );
                }
                Op::GroupSend { group, push: with_push } => {
                    ready(d, &mut at, &mut track, home, &mut push);
                    sent += 1;
                    let text = format!("m{sent} from {id} to {}", group_id(group));
                    let message = Outgoing {
                        conv_type: ConversationType::Group,
                        ..Outgoing::text(group_id(group), text.clone(), with_push.then(|| push_config(&text, sent)))
                    };
                    push(at, Action::send_message(message), &mut track);
                }
                Op::JoinGroup { group } => {
                    ready(d, &mut at, &mut track, home, &mut push);
                    push(at, Action::App(AppCall::JoinGroup { group_id: group_id(group).as_str().into() }), &mut track);
                }
                Op::LeaveGroup { group } => {
                    ready(d, &mut at, &mut track, home, &mut push);
                    push(
                        at,
                        Action::App(AppCall::LeaveGroup { group_id: group_id(group).as_str().into() }),
                        &mut track,
                    );
                }
                Op::CreateGroup { group, with } => {
                    let me = ready(d, &mut at, &mut track, home, &mut push);
                    let members = vec![user(other(with, me))];
                    let call = AppCall::CreateGroup {
                        group_id: Some(group_id(group).as_str().into()),
                        name: String::new(),
                        members,
                    };
                    push(at, Action::App(call), &mut track);
                }
                Op::DismissGroup { group } => {
                    ready(d, &mut at, &mut track, home, &mut push);
                    push(
                        at,
                        Action::App(AppCall::DismissGroup { group_id: group_id(group).as_str().into() }),
                        &mut track,
                    );
                }
                Op::RoomVisit { stay_ms, drop } => {
                    ready(d, &mut at, &mut track, home, &mut push);
                    let room_id = ROOM;
                    let enter = AppCall::EnterRoom { room_id: room_id.into() };
                    push(at, Action::App(enter), &mut track);
                    let mut say = |at: u64| {
                        sent += 1;
                        let text = format!("m{sent} from {id} in {room_id}");
                        let config = Some(push_config(&text, sent));
                        let message =
                            Outgoing { conv_type: ConversationType::Room, ..Outgoing::text(room_id, text, config) };
                        (at, Action::send_message(message))
                    };
                    let (t, a) = say(at + 300);
                    push(t, a, &mut track);
                    if drop {
                        push(at + 400, Action::KILL_APP, &mut track);
                        at += 20_400;
                    } else {
                        let (t, a) = say(at + 300 + stay_ms);
                        push(t, a, &mut track);
                        let leave = AppCall::LeaveRoom { room_id: room_id.into() };
                        push(at + 400 + stay_ms, Action::App(leave), &mut track);
                        at += stay_ms + 400;
                    }
                }
                Op::Command { to } => {
                    let me = ready(d, &mut at, &mut track, home, &mut push);
                    let body = MessageBody::Command { data: "typing".into() };
                    let message = Outgoing { body, ..Outgoing::text(user(other(to, me)).0, "", None) };
                    push(at, Action::send_message(message), &mut track);
                }
                Op::Custom { to, priority } => {
                    let me = ready(d, &mut at, &mut track, home, &mut push);
                    sent += 1;
                    let body = MessageBody::Custom {
                        message: format!("{{\"m\":{sent}}}"),
                        sub_type: 7,
                        searched_content: String::new(),
                    };
                    let config = Some(push_config(&format!("m{sent} from {id}"), sent));
                    let message = Outgoing { body, priority, ..Outgoing::text(user(other(to, me)).0, "", config) };
                    push(at, Action::send_message(message), &mut track);
                }
                Op::Kill => push(at, Action::KILL_APP, &mut track),
                Op::Launch => push(at, Action::LAUNCH_APP, &mut track),
                Op::Register => push(at, register(d), &mut track),
                Op::Login { user: u } => push(at, Action::login(user(u)), &mut track),
                Op::Logout => push(at, Action::LOGOUT, &mut track),
                Op::SwitchWithLogout { user: u } => {
                    push(at, Action::LOGOUT, &mut track);
                    push(at + 500, Action::login(user(u)), &mut track);
                }
                Op::SwitchWithoutLogout { user: u, register: with_register } => {
                    push(at, Action::KILL_APP, &mut track);
                    push(at + 300, Action::LAUNCH_APP, &mut track);
                    if with_register {
                        for action in setup(d) {
                            push(at + 300, action, &mut track);
                        }
                    }
                    push(at + 600, Action::login(user(u)), &mut track);
                }
                Op::QuickLoginLogout { user: u } => {
                    push(at, Action::login(user(u)), &mut track);
                    push(at + 5, Action::LOGOUT, &mut track);
                    push(at + 10, Action::login(user(u)), &mut track);
                }
                Op::KillAfterLogin { user: u, after_ms } => {
                    push(at, Action::login(user(u)), &mut track);
                    push(at + after_ms, Action::KILL_APP, &mut track);
                }
                Op::RenewToken => push(at, Action::App(AppCall::RenewToken { token: None }), &mut track),
                Op::LogoutThenKill => {
                    push(at, Action::LOGOUT, &mut track);
                    push(at, Action::KILL_APP, &mut track);
                }
                Op::Away { for_ms } => {
                    push(at, Action::KILL_APP, &mut track);
                    at += for_ms;
                    push(at, Action::LAUNCH_APP, &mut track);
                    for action in setup(d) {
                        push(at, action, &mut track);
                    }
                    if !track.chose_logout {
                        let me = track.last_user.unwrap_or(home);
                        push(at + 200, Action::login(user(me)), &mut track);
                    }
                }
            }
            at += 1_000; // the longest op spans 600 ms
        }
        chaos_end = chaos_end.max(at);
        tracks.push((id, d.clone(), track));
    }
    let heal = chaos_end + 1_000;

    // Faults, each ended by its own repair or at the latest by the heal.
    let (links, hosts) = (links(), crashable(mix));
    let mut offline = vec![false; devices.len()];
    let mut at = 2_000;
    for (gap, fault) in &draw.faults {
        at += gap;
        if at >= chaos_end {
            break;
        }
        let end = |for_ms: u64| (at + for_ms < heal).then_some(at + for_ms);
        match *fault {
            Fault::Partition { link, for_ms } => {
                let (a, b) = links[link % links.len()];
                let (a, b) = (a.to_owned(), b.to_owned());
                steps.push(Step::world(at, WorldStep::Partition { a: a.clone(), b: b.clone() }));
                if let Some(end) = end(for_ms) {
                    steps.push(Step::world(end, WorldStep::Repair { a, b }));
                }
            }
            Fault::Crash { host, for_ms } => {
                let host = hosts[host % hosts.len()].to_owned();
                steps.push(Step::world(at, WorldStep::Crash { host: host.clone() }));
                if let Some(end) = end(for_ms) {
                    steps.push(Step::world(end, WorldStep::Bounce { host }));
                }
            }
            Fault::Latency { link, ms } => {
                let (a, b) = links[link % links.len()];
                steps.push(Step::world(at, WorldStep::Latency { a: a.into(), b: b.into(), ms }));
            }
            Fault::NetworkOff { device, for_ms } => {
                let Some(spec) = devices.get(device % devices.len().max(1)) else { continue };
                steps.push(Step::on(at, spec.id.clone(), Action::NETWORK_OFF));
                match end(for_ms) {
                    Some(end) => steps.push(Step::on(end, spec.id.clone(), Action::NETWORK_ON)),
                    None => offline[device % devices.len()] = true,
                }
            }
        }
    }

    // Heal and settle: the world is repaired, and every device comes back, registered and
    // logged in as its last user.
    // Always there, even with nothing to repair: it marks where the chaos ends (the
    // shrinker keeps everything from here on).
    steps.push(Step::world(heal, WorldStep::Heal));
    for (n, (id, d, mut track)) in tracks.into_iter().enumerate() {
        let mut at_heal = |at: u64, action: Action, track: &mut Track| {
            track.follow(&action);
            steps.push(Step::on(at, id.as_str(), action));
        };
        if offline[n] {
            at_heal(heal, Action::NETWORK_ON, &mut track);
        }
        if !track.running {
            at_heal(heal, Action::LAUNCH_APP, &mut track);
            for action in setup(&d) {
                at_heal(heal, action, &mut track);
            }
        }
        match (track.logged_in, track.last_user) {
            (None, Some(u)) => at_heal(heal + 500, Action::login(user(u)), &mut track),
            // The session may have expired with its token (the generator does not model
            // when): the app logs in again, which an SDK still logged in refuses (6000111).
            (Some(u), _) if draw.token_lifetime_ms < DAY_MS => {
                steps.push(Step::on(heal + 500, id.as_str(), Action::login(user(u))))
            }
            _ => {}
        }
    }
    // The builder orders the steps (stably: each device's same-time steps keep their order).
    let mut b = ScenarioBuilder::new(name).config(config(mix, draw.token_lifetime_ms));
    for d in devices {
        b = b.device(d.id.as_str(), d.platform, d.build);
    }
    steps.into_iter().fold(b, ScenarioBuilder::step).build()
}

/// Makes the device's user ready to act: the app opened (and logged back in, unless the
/// user logged out on purpose). Returns the user's index: whoever acts is logged in, so a
/// world whose sends mostly fail checks little.
fn ready(
    d: &DeviceDraw,
    at: &mut u64,
    track: &mut Track,
    home: usize,
    push: &mut impl FnMut(u64, Action, &mut Track),
) -> usize {
    if !track.running {
        push(*at, Action::LAUNCH_APP, track);
        for action in setup(d) {
            push(*at, action, track);
        }
    }
    if track.logged_in.is_none() && !track.chose_logout {
        let me = track.last_user.unwrap_or(home);
        push(*at + 200, Action::login(UserId::new(format!("u{me}"))), track);
        *at += 800;
    }
    track.logged_in.unwrap_or(home)
}

/// User `to`, or the next one if that is `me` (nobody writes to themself).
fn other(to: usize, me: usize) -> usize {
    if to == me {
        to + 1
    } else {
        to
    }
}

fn push_config(text: &str, n: usize) -> PushConfig {
    PushConfig { title: "New message".into(), content: text.into(), payload: format!("p{n}") }
}

/// What an app does at launch before logging in: push config, debug flag, registerPush.
fn setup(d: &DeviceDraw) -> Vec<Action> {
    let mut actions = Vec::new();
    if d.platform != Platform::Ios {
        actions.push(Action::set_push_config(ZpnsConfig { enable_fcm_push: d.fcm, ..ZpnsConfig::default() }));
        actions.push(Action::enable_debug(d.build == Build::Debug));
    }
    actions.push(register(d));
    actions
}

fn register(d: &DeviceDraw) -> Action {
    let ios_environment = match (d.explicit_ios_environment, d.build) {
        (false, _) => IosEnvironment::Automatic,
        (true, Build::Debug) => IosEnvironment::Development,
        (true, Build::Release) => IosEnvironment::Production,
    };
    Action::register_push(ios_environment)
}

fn platform_name(p: Platform) -> &'static str {
    match p {
        Platform::Ios => "ios",
        Platform::Android => "android",
        Platform::Web => "web",
    }
}

fn build_name(b: Build) -> &'static str {
    match b {
        Build::Debug => "debug",
        Build::Release => "release",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_always_generates_the_same_valid_world_and_seeds_differ() {
        for (profile, mix) in Profile::ALL.into_iter().flat_map(|p| FaultMix::ALL.map(|m| (p, m))) {
            let a = generate(7, profile, mix);
            assert_eq!(a, generate(7, profile, mix), "{profile:?}");
            assert_ne!(a, generate(8, profile, mix), "{profile:?}");
            a.validate().unwrap_or_else(|e| panic!("{profile:?}: {e}"));
            assert_eq!(Scenario::from_json(&a.to_json()).unwrap(), a, "{profile:?} round-trips");
        }
    }

    #[test]
    fn the_default_profile_has_at_least_6_devices_4_users_40_steps_and_a_minute() {
        for seed in 0..20 {
            let s = generate(seed, Profile::Default, FaultMix::None);
            assert!(s.devices.len() >= 6, "seed {seed}");
            assert!(s.steps.len() >= 40, "seed {seed}: {}", s.steps.len());
            assert!(s.end_ms() >= 60_000, "seed {seed}: {}", s.end_ms());
            let users: std::collections::BTreeSet<_> = s
                .steps
                .iter()
                .filter_map(|st| match &st.action {
                    Action::App(AppCall::Login { user, .. }) => Some(user.0.clone()),
                    Action::App(AppCall::Send { to, .. }) => Some(to.clone()),
                    _ => None,
                })
                .collect();
            assert!(users.len() >= 3, "seed {seed}: {users:?}");
        }
    }

    #[test]
    fn every_device_ends_relaunched_and_logged_back_in() {
        let s = generate(3, Profile::Small, FaultMix::None);
        let heal = s.steps.iter().map(|st| st.at_ms).max().unwrap();
        for d in &s.devices {
            let last_login = s.steps.iter().rev().find(|st| {
                st.device.as_ref() == Some(&d.id) && matches!(st.action, Action::App(AppCall::Login { .. }))
            });
            assert!(last_login.is_some(), "{} never logs in", d.id);
        }
        assert!(s.end_ms() >= heal + 10_000, "settle after the heal");
    }

    #[test]
    fn generation_covers_every_kind_of_op_over_a_few_seeds() {
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..30 {
            let draw = tree(seed, Profile::Default, FaultMix::None).unwrap().current();
            for (_, ops) in draw.devices {
                for (_, op) in ops {
                    let name = format!("{op:?}");
                    seen.insert(name.split([' ', '{']).next().unwrap_or_default().to_owned());
                }
            }
        }
        assert_eq!(seen.len(), 21, "every Op variant is drawn");
    }

    #[test]
    fn shrinking_keeps_a_failing_world_failing_and_makes_it_smaller() {
        // "Fails" when some device sends a message with a push config.
        let fails = |s: &Scenario| {
            s.steps.iter().any(|st| matches!(st.action, Action::App(AppCall::Send { push: Some(_), .. })))
        };
        let seed = (0..50).find(|&s| fails(&generate(s, Profile::Default, FaultMix::None))).expect("a failing seed");
        let original = generate(seed, Profile::Default, FaultMix::None);
        let small = shrink(seed, Profile::Default, FaultMix::None, 500, fails);
        assert!(fails(&small));
        assert!(small.steps.len() < original.steps.len(), "{} -> {}", original.steps.len(), small.steps.len());
        assert!(small.devices.len() <= original.devices.len());
        small.validate().unwrap();
    }

    #[test]
    fn fault_mixes_draw_faults_that_all_end_by_the_heal() {
        let world_steps = |s: &Scenario| {
            s.steps.iter().filter(|st| matches!(st.action, Action::World(_) | Action::NETWORK_OFF)).count()
        };
        for seed in 0..20 {
            assert_eq!(
                world_steps(&generate(seed, Profile::Default, FaultMix::None)),
                1,
                "seed {seed}: the heal alone"
            );
            for mix in [FaultMix::Light, FaultMix::Heavy] {
                let s = generate(seed, Profile::Default, mix);
                assert!(world_steps(&s) >= 2, "seed {seed} {mix:?}: a fault and the heal");
                let heal = s.steps.iter().position(|st| st.action == Action::World(WorldStep::Heal)).unwrap();
                let after = &s.steps[heal + 1..];
                assert!(
                    after.iter().all(|st| !matches!(st.action, Action::World(_) | Action::NETWORK_OFF)),
                    "seed {seed} {mix:?}: nothing breaks after the heal"
                );
            }
        }
        let crashes_zim = |mix| {
            (0..40).any(|seed| {
                generate(seed, Profile::Default, mix).steps.iter().any(
                    |st| matches!(&st.action, Action::World(WorldStep::Crash { host }) if host == topology::ZIM.host),
                )
            })
        };
        assert!(!crashes_zim(FaultMix::Light), "light faults spare the ZIM server");
        assert!(crashes_zim(FaultMix::Heavy));
    }
}
