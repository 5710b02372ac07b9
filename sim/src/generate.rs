//! Generated worlds: proptest strategies that draw a whole [`Scenario`] (devices, builds,
//! vendor flags, users and each device's story of launches, kills, logins, logouts, user
//! switches and sends) from one seed, and shrink a failing one to a smaller scenario that
//! still fails. A generated world is a plain scenario document: it can be saved, read,
//! edited and replayed like a hand-written one.
//!
//! Generation is two layers: proptest draws raw choices ([`DeviceDraw`], [`Op`]) and shrinks
//! them (fewer devices, fewer and simpler ops, shorter gaps); [`compile`] turns choices into
//! timed steps and always ends with heal-and-settle (every device relaunched and logged back
//! in), so eventually-invariants judge every generated world.

use crate::scenario::{Action, DeviceSpec, Scenario, ScenarioConfig, Step};
use proptest::prelude::*;
use proptest::strategy::{NewTree, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::{Deserialize, Serialize};
use zimsim_reference::client::{Build, IosEnvironment, ZpnsConfig};
use zimsim_reference::ids::UserId;
use zimsim_reference::sub_seed;
use zimsim_reference::wire::{Platform, PushConfig};

/// How big a generated world is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// 2–3 devices, 2 users, a few ops each: quick to run and to read.
    Small,
    /// 6–8 devices, 4 users, 7–11 ops each (at least 40 steps), a minute or more of chaos.
    Default,
    /// 200–300 devices and 60 users in the farm host, a few ops each.
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
        Profile::ALL.into_iter().find(|p| p.name() == name).ok_or_else(|| {
            let known: Vec<_> = Profile::ALL.iter().map(|p| p.name()).collect();
            format!("unknown profile {name:?}; known: {}", known.join(", "))
        })
    }

    fn shape(self) -> Shape {
        match self {
            Profile::Small => Shape { devices: 2..=3, users: 2, ops: 3..7, gap_ms: 200..6_000 },
            Profile::Default => Shape { devices: 6..=8, users: 4, ops: 7..12, gap_ms: 500..9_000 },
            Profile::Large => Shape { devices: 200..=300, users: 60, ops: 2..5, gap_ms: 1_000..20_000 },
        }
    }
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

/// Every raw choice of a world: each device with its ops and the pause before each.
pub type Draw = Vec<(DeviceDraw, Vec<(u64, Op)>)>;

/// The strategy of a profile's raw choices.
pub fn draws(profile: Profile) -> impl Strategy<Value = Draw> {
    let shape = profile.shape();
    let (users, ops, gaps) = (shape.users, shape.ops, shape.gap_ms);
    prop::collection::vec((device(users), prop::collection::vec((gaps.clone(), op(users)), ops.clone())), shape.devices)
}

/// The proptest runner for `seed`: its own ChaCha stream, so a seed always draws the same.
fn runner(seed: u64) -> TestRunner {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&sub_seed(seed, "generate").to_le_bytes());
    TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &key))
}

fn tree(seed: u64, profile: Profile) -> NewTree<impl Strategy<Value = Draw>> {
    draws(profile).new_tree(&mut runner(seed))
}

/// The world generated from `seed`.
pub fn generate(seed: u64, profile: Profile) -> Scenario {
    let draw = tree(seed, profile).expect("these strategies never reject").current();
    compile(&format!("generated-{}-{seed}", profile.name()), &draw, profile.shape().users)
}

/// Shrinks the world generated from `seed` while `fails` still says it fails, trying at
/// most `budget` candidates, and returns the smallest failing scenario found (the original
/// if nothing smaller fails).
pub fn shrink(seed: u64, profile: Profile, budget: usize, mut fails: impl FnMut(&Scenario) -> bool) -> Scenario {
    let users = profile.shape().users;
    let name = format!("generated-{}-{seed}-shrunk", profile.name());
    let mut tree = tree(seed, profile).expect("these strategies never reject");
    let mut best = compile(&name, &tree.current(), users);
    let mut tries = 0;
    if !tree.simplify() {
        return best;
    }
    while tries < budget {
        tries += 1;
        let candidate = compile(&name, &tree.current(), users);
        if fails(&candidate) {
            best = candidate;
            if !tree.simplify() {
                break;
            }
        } else if !tree.complicate() {
            break;
        }
    }
    best
}

/// The timing of generated worlds: a 50 ms step with latencies of 50–100 ms, so a run costs
/// a small fraction of a 1 ms one (docs/benchmarks.md has the measurements); presence times
/// out after 15 s. A login then takes a few hundred milliseconds, which the kill-after-login
/// op spans.
fn config() -> ScenarioConfig {
    ScenarioConfig {
        heartbeat_interval_ms: 5_000,
        heartbeat_timeout_ms: 15_000,
        settle_ms: 10_000,
        min_latency_ms: 50,
        max_latency_ms: 100,
        tick_ms: 50,
    }
}

/// What the generator knows of a device while it writes its steps: enough to end with a
/// heal that brings it back, not a model of the SDK.
#[derive(Default)]
struct Track {
    running: bool,
    logged_in: Option<usize>,
    last_user: Option<usize>,
}

/// Turns raw choices into a scenario: each device starts (launch, push setup, register,
/// login as its home user), plays its ops, and after the chaos every device is relaunched
/// and logged back in (heal-and-settle).
pub fn compile(name: &str, draw: &Draw, users: usize) -> Scenario {
    let user = |i: usize| UserId::new(format!("u{}", i % users.max(1)));
    let mut devices = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut tracks = Vec::new();
    let mut chaos_end = 0;
    let mut sent = 0;
    for (n, (d, ops)) in draw.iter().enumerate() {
        let id = format!("d{n}-{}-{}", platform_name(d.platform), build_name(d.build));
        devices.push(DeviceSpec { id: id.as_str().into(), platform: d.platform, build: d.build });
        let mut track = Track::default();
        let mut at = 100 + 10 * n as u64;
        let mut push = |at: u64, action: Action, track: &mut Track| {
            match &action {
                Action::LaunchApp => track.running = true,
                Action::KillApp => (track.running, track.logged_in) = (false, None),
                Action::Login { user } if track.running && track.logged_in.is_none() => {
                    let i = user.as_str()[1..].parse().unwrap_or(0);
                    (track.logged_in, track.last_user) = (Some(i), Some(i));
                }
                Action::Logout => track.logged_in = None,
                _ => {}
            }
            steps.push(Step { at_ms: at, device: id.as_str().into(), action });
        };
        push(at, Action::LaunchApp, &mut track);
        for action in setup(d) {
            push(at, action, &mut track);
        }
        push(at + 200, Action::Login { user: user(d.home_user) }, &mut track);
        at += 1_000;
        for (gap, op) in ops {
            at += gap;
            match *op {
                Op::Send { to, push: with_push } => {
                    sent += 1;
                    let text = format!("m{sent} from {id}");
                    let config = with_push.then(|| PushConfig {
                        title: "New message".into(),
                        content: text.clone(),
                        payload: format!("p{sent}"),
                    });
                    push(at, Action::Send { to: user(to), text, push: config }, &mut track);
                }
                Op::Kill => push(at, Action::KillApp, &mut track),
                Op::Launch => push(at, Action::LaunchApp, &mut track),
                Op::Register => push(at, register(d), &mut track),
                Op::Login { user: u } => push(at, Action::Login { user: user(u) }, &mut track),
                Op::Logout => push(at, Action::Logout, &mut track),
                Op::SwitchWithLogout { user: u } => {
                    push(at, Action::Logout, &mut track);
                    push(at + 500, Action::Login { user: user(u) }, &mut track);
                }
                Op::SwitchWithoutLogout { user: u, register: with_register } => {
                    push(at, Action::KillApp, &mut track);
                    push(at + 300, Action::LaunchApp, &mut track);
                    if with_register {
                        for action in setup(d) {
                            push(at + 300, action, &mut track);
                        }
                    }
                    push(at + 600, Action::Login { user: user(u) }, &mut track);
                }
                Op::QuickLoginLogout { user: u } => {
                    push(at, Action::Login { user: user(u) }, &mut track);
                    push(at + 5, Action::Logout, &mut track);
                    push(at + 10, Action::Login { user: user(u) }, &mut track);
                }
                Op::KillAfterLogin { user: u, after_ms } => {
                    push(at, Action::Login { user: user(u) }, &mut track);
                    push(at + after_ms, Action::KillApp, &mut track);
                }
                Op::LogoutThenKill => {
                    push(at, Action::Logout, &mut track);
                    push(at, Action::KillApp, &mut track);
                }
            }
            at += 1_000; // the longest op spans 600 ms
        }
        chaos_end = chaos_end.max(at);
        tracks.push((id, d.clone(), track));
    }
    // Heal and settle: every device comes back, registered and logged in as its last user.
    let heal = chaos_end + 1_000;
    for (id, d, track) in tracks {
        let mut at_heal = |action| steps.push(Step { at_ms: heal, device: id.as_str().into(), action });
        if !track.running {
            at_heal(Action::LaunchApp);
            for action in setup(&d) {
                at_heal(action);
            }
        }
        if let (None, Some(u)) = (track.logged_in, track.last_user) {
            steps.push(Step { at_ms: heal + 500, device: id.as_str().into(), action: Action::Login { user: user(u) } });
        }
    }
    steps.sort_by_key(|s| s.at_ms); // stable: each device's same-time steps keep their order
    Scenario { name: name.into(), config: config(), devices, steps }
}

/// What an app does at launch before logging in: push config, debug flag, registerPush.
fn setup(d: &DeviceDraw) -> Vec<Action> {
    let mut actions = Vec::new();
    if d.platform != Platform::Ios {
        let config = ZpnsConfig { enable_fcm_push: d.fcm, ..ZpnsConfig::default() };
        actions.push(Action::SetPushConfig { config });
        actions.push(Action::EnableDebug { debug: d.build == Build::Debug });
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
    Action::RegisterPush { ios_environment }
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
        for profile in Profile::ALL {
            let a = generate(7, profile);
            assert_eq!(a, generate(7, profile), "{profile:?}");
            assert_ne!(a, generate(8, profile), "{profile:?}");
            a.validate().unwrap_or_else(|e| panic!("{profile:?}: {e}"));
            assert_eq!(Scenario::from_json(&a.to_json()).unwrap(), a, "{profile:?} round-trips");
        }
    }

    #[test]
    fn the_default_profile_has_at_least_6_devices_4_users_40_steps_and_a_minute() {
        for seed in 0..20 {
            let s = generate(seed, Profile::Default);
            assert!(s.devices.len() >= 6, "seed {seed}");
            assert!(s.steps.len() >= 40, "seed {seed}: {}", s.steps.len());
            assert!(s.end_ms() >= 60_000, "seed {seed}: {}", s.end_ms());
            let users: std::collections::BTreeSet<_> = s
                .steps
                .iter()
                .filter_map(|st| match &st.action {
                    Action::Login { user } | Action::Send { to: user, .. } => Some(user.clone()),
                    _ => None,
                })
                .collect();
            assert!(users.len() >= 3, "seed {seed}: {users:?}");
        }
    }

    #[test]
    fn every_device_ends_relaunched_and_logged_back_in() {
        let s = generate(3, Profile::Small);
        let heal = s.steps.iter().map(|st| st.at_ms).max().unwrap();
        for d in &s.devices {
            let last_login =
                s.steps.iter().rev().find(|st| st.device == d.id && matches!(st.action, Action::Login { .. }));
            assert!(last_login.is_some(), "{} never logs in", d.id);
        }
        assert!(s.end_ms() >= heal + 10_000, "settle after the heal");
    }

    #[test]
    fn generation_covers_every_kind_of_op_over_a_few_seeds() {
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..30 {
            let draw = tree(seed, Profile::Default).unwrap().current();
            for (_, ops) in draw {
                for (_, op) in ops {
                    let name = format!("{op:?}");
                    seen.insert(name.split([' ', '{']).next().unwrap_or_default().to_owned());
                }
            }
        }
        assert_eq!(seen.len(), 11, "every Op variant is drawn");
    }

    #[test]
    fn shrinking_keeps_a_failing_world_failing_and_makes_it_smaller() {
        // "Fails" when some device sends a message with a push config.
        let fails = |s: &Scenario| s.steps.iter().any(|st| matches!(st.action, Action::Send { push: Some(_), .. }));
        let seed = (0..50).find(|&s| fails(&generate(s, Profile::Default))).expect("a failing seed");
        let original = generate(seed, Profile::Default);
        let small = shrink(seed, Profile::Default, 500, fails);
        assert!(fails(&small));
        assert!(small.steps.len() < original.steps.len(), "{} -> {}", original.steps.len(), small.steps.len());
        assert!(small.devices.len() <= original.devices.len());
        small.validate().unwrap();
    }
}
