//! The turmoil world: one host each for the ZIM server, the ZPNs relay and every vendor
//! endpoint, plus a device farm host whose devices are tasks. [`run`] builds it from a seed
//! and a scenario, plays the scenario, and returns the trace.
//!
//! Device steps are played by the farm, inside the simulation; world steps (partitions,
//! crashes, latency) by the driver loop between turmoil steps, through turmoil's own verbs.
//! A partition is turmoil's `hold`: TCP keeps what is sent and delivers it at the repair,
//! as a real stack retransmitting through an outage would (turmoil's `partition` drops
//! segments of a live stream, which no real TCP does). The durable state of the ZIM server
//! and of each vendor lives outside its host, so a crashed host restarts over it.

use crate::device::{self, DeviceSetup, PushService};
use crate::net::sim::{SimConnector, SimListener};
use crate::net::Connector;
use crate::scenario::{Action, Scenario, ScenarioConfig, WorldStep};
use crate::shell;
use crate::trace::{self, Env, Event, Record, SimEnv, Source, Stats};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};
use tokio::sync::mpsc;
use zimsim_reference::client::{AppCall, ReferenceSdkFactory, SdkConfig, SdkFactory};
use zimsim_reference::ids::{DeviceId, UserId};
use zimsim_reference::push_services::{DynVendor, VendorInput};
use zimsim_reference::relay::{DynRelay, Relay, RelayConfig};
use zimsim_reference::server::{ServerConfig, ZimServer};
use zimsim_reference::{sub_seed, token, topology, Millis};

/// The simulation epoch: 2026-01-01T00:00:00Z. Fixed, so `since_epoch` is reproducible.
pub const EPOCH_UNIX_S: u64 = zimsim_reference::time::SIM_EPOCH_UNIX_MS / 1000;

/// Builds the relay core; a mutant supplies a broken one.
pub type RelayFactory = Rc<dyn Fn(RelayConfig) -> DynRelay>;

/// The parts of the system a run may swap: the SDK on every device, the relay, and the
/// server's policies.
#[derive(Clone)]
pub struct Parts {
    pub sdk: Rc<dyn SdkFactory>,
    pub relay: RelayFactory,
    /// Adjusts the server's configuration after the scenario's timing is applied (a server
    /// mutant turns a reference policy off here).
    pub tune_server: fn(&mut ServerConfig),
}

impl Default for Parts {
    fn default() -> Self {
        Parts { sdk: Rc::new(ReferenceSdkFactory), relay: Rc::new(|c| Box::new(Relay::new(c))), tune_server: |_| {} }
    }
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts").field("sdk", &self.sdk.name()).finish_non_exhaustive()
    }
}

/// The result of one run.
#[derive(Clone, Debug)]
pub struct RunOutput {
    pub seed: u64,
    pub trace: Vec<Record>,
    pub trace_hash: String,
    pub sim_time_ms: u64,
    pub stats: Stats,
}

/// Why a run could not complete (the simulator itself failed, not an invariant).
#[derive(Debug, thiserror::Error)]
#[error("simulation failed at {at}: {message}")]
pub struct SimError {
    pub at: Millis,
    pub message: String,
}

/// How often (in simulated time) [`run_observed`] reports progress.
const PROGRESS_EVERY_MS: u64 = 1_000;

/// Runs `scenario` from `seed` with the given parts.
pub fn run(seed: u64, scenario: &Scenario, parts: &Parts) -> Result<RunOutput, SimError> {
    run_observed(seed, scenario, parts, &mut |_, _| {})
}

/// The turmoil builder every world is made with: the seed, the fixed epoch, the step and
/// latencies of `cfg`, the TCP capacity and random delivery order, for `duration` of
/// simulated time. The bare-turmoil baseline of the benches (`sim/pingpong`) uses it too,
/// so the two are compared on the same settings.
pub fn sim_builder(seed: u64, cfg: &ScenarioConfig, duration: Duration) -> turmoil::Builder {
    let mut builder = turmoil::Builder::new();
    builder
        .rng_seed(seed)
        .epoch(UNIX_EPOCH + Duration::from_secs(EPOCH_UNIX_S))
        .simulation_duration(duration)
        .tick_duration(Duration::from_millis(cfg.tick_ms))
        .min_message_latency(Duration::from_millis(cfg.min_latency_ms))
        .max_message_latency(Duration::from_millis(cfg.max_latency_ms))
        .tcp_capacity(4096)
        .enable_random_order();
    builder
}

/// Like [`run`], calling `progress(simulated, end)` about every simulated second, so a
/// caller can show how far a long run has got. (It only watches: the trace is the same.)
pub fn run_observed(
    seed: u64,
    scenario: &Scenario,
    parts: &Parts,
    progress: &mut dyn FnMut(Millis, Millis),
) -> Result<RunOutput, SimError> {
    let scenario = &scenario.with_heal();
    let cfg = &scenario.config;
    // Every log line of this run (hosts are polled on this thread) carries its seed.
    let _run = tracing::info_span!("run", seed, scenario = %scenario.name).entered();
    let end = Duration::from_millis(scenario.end_ms());
    let mut sim = sim_builder(seed, cfg, end + Duration::from_secs(60)).build();
    let env = SimEnv::default();
    let mut server_config = ServerConfig {
        heartbeat_timeout_ms: cfg.heartbeat_timeout_ms,
        login_policy: cfg.login_policy,
        ..ServerConfig::default()
    };
    (parts.tune_server)(&mut server_config);
    let mut relay_config = RelayConfig {
        epoch_unix_ms: EPOCH_UNIX_S * 1000,
        seed: sub_seed(seed, "zpns"),
        ttl_s: cfg.push_ttl_s,
        ..RelayConfig::default()
    };
    relay_config.apps.resources = cfg.push_resources.clone();
    if !cfg.push_resources.is_empty() {
        // The console's table is part of the world a checker judges pushes by.
        let resources = cfg.push_resources.clone();
        env.record_at(Millis(0), Source::Host(topology::ZPNS.host), Event::PushResources { resources });
    }

    {
        let (env, core) = (env.clone(), Rc::new(RefCell::new(ZimServer::new(server_config.clone()))));
        sim.host(topology::ZIM.host, move || {
            let (env, core) = (env.clone(), core.clone());
            async move {
                let listener = SimListener::bind(topology::ZIM.port).await?;
                let api = SimListener::bind(topology::ZIM_API.port).await?;
                shell::zim::run(listener, api, SimConnector, core, Rc::new(env)).await?;
                Ok(())
            }
        });
    }
    {
        let (env, config, make) = (env.clone(), relay_config.clone(), parts.relay.clone());
        let boots = Rc::new(std::cell::Cell::new(0));
        sim.host(topology::ZPNS.host, move || {
            // The relay keeps nothing across a restart but the count of its starts.
            let config = RelayConfig { boot: boots.replace(boots.get() + 1), ..config.clone() };
            let (env, core) = (env.clone(), make(config));
            async move {
                let listener = SimListener::bind(topology::ZPNS.port).await?;
                shell::relay::run(listener, SimConnector, core, Rc::new(env)).await?;
                Ok(())
            }
        });
    }
    let mut vendor_cores = BTreeMap::new();
    for vendor in crate::scenario::vendor_hosts(&scenario.devices) {
        let core = relay_config.apps.fake(vendor, sub_seed(seed, vendor.name));
        let (env, core) = (env.clone(), Rc::new(RefCell::new(core)));
        vendor_cores.insert(vendor.name, core.clone());
        sim.host(vendor.name, move || {
            let (env, core) = (env.clone(), core.clone());
            async move {
                let (api, devices) =
                    (SimListener::bind(vendor.api.port).await?, SimListener::bind(vendor.devices.port).await?);
                shell::vendor::run(api, devices, vendor, core, Rc::new(env)).await?;
                Ok(())
            }
        });
    }
    let farms = topology::farms_for(scenario.devices.len());
    for (index, name) in topology::FARMS.into_iter().take(farms).enumerate() {
        let (env, scenario, sdk) = (env.clone(), scenario.clone(), parts.sdk.clone());
        let (relay_config, server_config) = (relay_config.clone(), server_config.clone());
        sim.host(name, move || {
            let (env, scenario, sdk) = (env.clone(), scenario.clone(), sdk.clone());
            let (relay_config, server_config) = (relay_config.clone(), server_config.clone());
            async move {
                let share = Share { index, of: farms };
                farm(SimConnector, scenario, share, sdk, relay_config, server_config, Rc::new(env)).await;
                Ok(())
            }
        });
    }

    if scenario.steps.iter().any(|s| matches!(s.action, Action::Backend(_))) {
        let (env, scenario, server_config) = (env.clone(), scenario.clone(), server_config.clone());
        sim.host(topology::BACKEND, move || {
            let (env, scenario, server_config) = (env.clone(), scenario.clone(), server_config.clone());
            async move {
                crate::backend::run(SimConnector, scenario, server_config, Rc::new(env)).await;
                std::future::pending::<()>().await;
                Ok(())
            }
        });
    }
    let end_ms = Millis(scenario.end_ms());
    let mut next_report = 0;
    let mut world = Faults::new(cfg.min_latency_ms, cfg.max_latency_ms, vendor_cores);
    let mut world_steps: VecDeque<(u64, WorldStep)> = scenario
        .steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::World(w) => Some((s.at_ms, w.clone())),
            _ => None,
        })
        .collect();
    while sim.elapsed() < end {
        let now = sim.elapsed().as_millis() as u64;
        while world_steps.front().is_some_and(|(at, _)| *at <= now) {
            let (_, step) = world_steps.pop_front().expect("checked");
            tracing::info!(at_ms = now, ?step, "world step");
            env.record_at(Millis(now), Source::World, Event::Step { action: Action::World(step.clone()) });
            world.apply(&mut sim, Millis(now), step);
        }
        if let Err(e) = sim.step() {
            return Err(SimError { at: Millis(sim.elapsed().as_millis() as u64), message: e.to_string() });
        }
        let now = sim.elapsed().as_millis() as u64;
        if now >= next_report {
            progress(Millis(now.min(end_ms.0)), end_ms);
            next_report = now + PROGRESS_EVERY_MS;
        }
    }
    progress(end_ms, end_ms);
    let trace = env.take();
    Ok(RunOutput {
        seed,
        trace_hash: trace::hash(&trace),
        stats: Stats::of(&trace),
        sim_time_ms: sim.elapsed().as_millis() as u64,
        trace,
    })
}

/// Which of a world's farms this is: it carries the scenario's devices whose position `i`
/// has `i % of == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    pub index: usize,
    pub of: usize,
}

impl Share {
    /// The only farm of a world.
    pub const ALL: Share = Share { index: 0, of: 1 };
}

/// A device farm: starts its share of the scenario's devices and plays their steps on
/// time. It never returns (devices keep running until the world stops).
pub async fn farm<C: Connector>(
    connector: C,
    scenario: Scenario,
    share: Share,
    sdk: Rc<dyn SdkFactory>,
    relay: RelayConfig,
    server: ServerConfig,
    env: Rc<dyn Env>,
) {
    let mut inboxes = BTreeMap::new();
    let mine = scenario.devices.iter().enumerate().filter(|(i, _)| i % share.of == share.index);
    for (_, spec) in mine {
        let build_env = spec.build.environment();
        let push_services = topology::push_services(spec.platform, spec.brand, spec.build)
            .into_iter()
            .map(|host| PushService { host, project: relay.apps.project(host.vendor, build_env).map(str::to_owned) })
            .collect();
        let mut sdk_config = SdkConfig::new(spec.id.clone(), spec.platform, spec.build);
        sdk_config.brand = spec.brand;
        sdk_config.heartbeat_interval_ms = scenario.config.heartbeat_interval_ms;
        let setup = DeviceSetup {
            id: spec.id.clone(),
            platform: spec.platform,
            app: relay.apps.bundle.clone(),
            push_services,
            notifications_denied: spec.deny_notifications,
            sdk: sdk_config,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        inboxes.insert(spec.id.clone(), tx);
        tokio::task::spawn_local(device::run(setup, connector.clone(), sdk.clone(), rx, env.clone()));
    }
    let mut last_user: BTreeMap<DeviceId, UserId> = BTreeMap::new();
    for step in &scenario.steps {
        // World steps are the driver's; other farms' devices are theirs.
        let Some(device) = step.device.as_ref().filter(|d| inboxes.contains_key(*d)) else { continue };
        let wait = step.at_ms.saturating_sub(env.now().0);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        env.record(Source::Device(device.clone()), Event::Step { action: step.action.clone() });
        let mut action = step.action.clone();
        // The app's own backend mints the tokens a scenario leaves out, for the user who
        // logged in last on that device.
        let mint = |user: &UserId| {
            let (now, lifetime) = (env.now(), scenario.config.token_lifetime_ms);
            let (secret, app, epoch) = (&server.server_secret, server.app_id, server.epoch_unix_ms);
            // A user ID the generator refuses gets no token, and the login fails as it would.
            token::mint_between(secret, app, user, now, now.plus(lifetime), epoch).unwrap_or_default()
        };
        match &mut action {
            Action::App(AppCall::Login { user, token }) => {
                last_user.insert(device.clone(), user.clone());
                if token.is_none() {
                    *token = Some(mint(user));
                }
            }
            Action::App(AppCall::RenewToken { token: token @ None }) => {
                *token = Some(last_user.get(device).map(&mint).unwrap_or_default());
            }
            _ => {}
        }
        if let Some(inbox) = inboxes.get(device) {
            let _ = inbox.send(action);
        }
    }
    // Keep the devices' command channels open: a closed farm would look like a crash.
    std::future::pending::<()>().await;
}

/// The faults in force, so `heal` can undo them all.
struct Faults {
    held: BTreeSet<(String, String)>,
    crashed: BTreeSet<String>,
    slowed: BTreeSet<(String, String)>,
    /// Vendors failing sends (`vendor_fail`), and every vendor core to tell.
    failing: BTreeSet<String>,
    vendors: BTreeMap<&'static str, Rc<RefCell<DynVendor>>>,
    /// The scenario's latency range, which `heal` restores.
    min_latency: Duration,
    max_latency: Duration,
}

impl Faults {
    fn new(min_ms: u64, max_ms: u64, vendors: BTreeMap<&'static str, Rc<RefCell<DynVendor>>>) -> Faults {
        Faults {
            held: BTreeSet::new(),
            crashed: BTreeSet::new(),
            slowed: BTreeSet::new(),
            failing: BTreeSet::new(),
            vendors,
            min_latency: Duration::from_millis(min_ms),
            max_latency: Duration::from_millis(max_ms),
        }
    }

    /// Carries out one world step (validation already checked its host names). A step on
    /// a vendor host this world does not run (no phone can reach it) does nothing.
    fn apply(&mut self, sim: &mut turmoil::Sim<'_>, now: Millis, step: WorldStep) {
        let absent = |h: &&str| topology::VENDORS.iter().any(|v| v.name == *h) && !self.vendors.contains_key(*h);
        if step.hosts().iter().any(absent) {
            return;
        }
        let fail = |vendors: &BTreeMap<_, Rc<RefCell<DynVendor>>>, host: &str, input| {
            if let Some(core) = vendors.get(host) {
                core.borrow_mut().handle(now, input);
            }
        };
        let pair = |a: &str, b: &str| if a <= b { (a.to_owned(), b.to_owned()) } else { (b.to_owned(), a.to_owned()) };
        match step {
            WorldStep::Partition { a, b } => {
                sim.hold(a.as_str(), b.as_str());
                self.held.insert(pair(&a, &b));
            }
            WorldStep::Repair { a, b } => {
                sim.release(a.as_str(), b.as_str());
                self.held.remove(&pair(&a, &b));
            }
            WorldStep::Crash { host } => {
                sim.crash(host.as_str());
                self.crashed.insert(host);
            }
            WorldStep::Bounce { host } => {
                sim.bounce(host.as_str());
                self.crashed.remove(&host);
            }
            WorldStep::Latency { a, b, ms } => {
                sim.set_link_latency(a.as_str(), b.as_str(), Duration::from_millis(ms));
                self.slowed.insert(pair(&a, &b));
            }
            WorldStep::VendorFail { host, status, count, retry_after_s, slow_ms } => {
                if let Some(status) = status {
                    fail(&self.vendors, &host, VendorInput::Fail { status, count, retry_after_s });
                }
                if let Some(ms) = slow_ms {
                    fail(&self.vendors, &host, VendorInput::Slow { ms, count });
                }
                self.failing.insert(host);
            }
            WorldStep::Heal => {
                for host in std::mem::take(&mut self.failing) {
                    fail(&self.vendors, &host, VendorInput::Fail { status: 503, count: 0, retry_after_s: None });
                    fail(&self.vendors, &host, VendorInput::Slow { ms: 0, count: 0 });
                }
                for (a, b) in std::mem::take(&mut self.held) {
                    sim.release(a.as_str(), b.as_str());
                }
                for host in std::mem::take(&mut self.crashed) {
                    sim.bounce(host.as_str());
                }
                for (a, b) in std::mem::take(&mut self.slowed) {
                    sim.set_link_latency(a.as_str(), b.as_str(), self.min_latency);
                    sim.set_link_max_message_latency(a.as_str(), b.as_str(), self.max_latency);
                }
            }
        }
    }
}
