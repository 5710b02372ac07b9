//! The turmoil world: one host each for the ZIM server, the ZPNs relay and every vendor
//! endpoint, plus a device farm host whose devices are tasks. [`run`] builds it from a seed
//! and a scenario, plays the scenario, and returns the trace.

use crate::device::{self, Command, DeviceSetup};
use crate::http::Protocols;
use crate::net::sim::{SimConnector, SimListener};
use crate::net::Connector;
use crate::scenario::{Action, Scenario};
use crate::shell;
use crate::trace::{self, Env, Event, Record, SimEnv, Stats};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};
use tokio::sync::mpsc;
use zimsim_reference::client::{AppCommand, Build, ReferenceSdkFactory, SdkConfig, SdkFactory};
use zimsim_reference::relay::{PushRelay, Relay, RelayConfig};
use zimsim_reference::server::ServerConfig;
use zimsim_reference::vendor::apns::Apns;
use zimsim_reference::vendor::fcm::Fcm;
use zimsim_reference::{sub_seed, token, topology, Millis};

/// The simulation epoch: 2026-01-01T00:00:00Z. Fixed, so `since_epoch` is reproducible.
pub const EPOCH_UNIX_S: u64 = 1_767_225_600;
/// How long app tokens minted by the app's backend stay valid.
const TOKEN_LIFETIME_MS: u64 = 24 * 3600 * 1000;

/// Builds the relay core; a mutant supplies a broken one.
pub type RelayFactory = Rc<dyn Fn(RelayConfig) -> Box<dyn PushRelay>>;

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

/// Like [`run`], calling `progress(simulated, end)` about every simulated second, so a
/// caller can show how far a long run has got. (It only watches: the trace is the same.)
pub fn run_observed(
    seed: u64,
    scenario: &Scenario,
    parts: &Parts,
    progress: &mut dyn FnMut(Millis, Millis),
) -> Result<RunOutput, SimError> {
    let cfg = &scenario.config;
    let end = Duration::from_millis(scenario.end_ms());
    let mut sim = turmoil::Builder::new()
        .rng_seed(seed)
        .epoch(UNIX_EPOCH + Duration::from_secs(EPOCH_UNIX_S))
        .simulation_duration(end + Duration::from_secs(60))
        .tick_duration(Duration::from_millis(cfg.tick_ms))
        .min_message_latency(Duration::from_millis(cfg.min_latency_ms))
        .max_message_latency(Duration::from_millis(cfg.max_latency_ms))
        .tcp_capacity(4096)
        .enable_random_order()
        .build();
    let env = SimEnv::default();
    let mut server_config = ServerConfig { heartbeat_timeout_ms: cfg.heartbeat_timeout_ms, ..ServerConfig::default() };
    (parts.tune_server)(&mut server_config);
    let relay_config = RelayConfig { epoch_unix_ms: EPOCH_UNIX_S * 1000, ..RelayConfig::default() };

    {
        let (env, config) = (env.clone(), server_config.clone());
        sim.host(topology::ZIM.host, move || {
            let (env, config) = (env.clone(), config.clone());
            async move {
                let listener = SimListener::bind(topology::ZIM.port).await?;
                shell::zim::run(listener, SimConnector, config, Rc::new(env)).await?;
                Ok(())
            }
        });
    }
    {
        let (env, config, make) = (env.clone(), relay_config.clone(), parts.relay.clone());
        sim.host(topology::ZPNS.host, move || {
            let (env, core) = (env.clone(), make(config.clone()));
            async move {
                let listener = SimListener::bind(topology::ZPNS.port).await?;
                shell::relay::run(listener, SimConnector, core, Rc::new(env)).await?;
                Ok(())
            }
        });
    }
    for vendor in [topology::APNS_SANDBOX, topology::APNS_PRODUCTION] {
        let (host, apns_env) = (vendor.name, vendor.env.expect("an APNs host serves one environment"));
        let env = env.clone();
        let seed = sub_seed(seed, host);
        sim.host(host, move || {
            let env = env.clone();
            async move {
                let core = Box::new(Apns::new(apns_env, seed));
                let (api, devices) =
                    (SimListener::bind(vendor.api.port).await?, SimListener::bind(vendor.devices.port).await?);
                shell::vendor::run(api, devices, Protocols::Http2, core, Rc::new(env), host).await?;
                Ok(())
            }
        });
    }
    {
        let env = env.clone();
        let fcm = topology::FCM;
        let seed = sub_seed(seed, fcm.name);
        let projects = relay_config.fcm_projects();
        sim.host(fcm.name, move || {
            let (env, projects) = (env.clone(), projects.clone());
            async move {
                let core = Box::new(Fcm::new(projects, seed));
                let (api, devices) =
                    (SimListener::bind(fcm.api.port).await?, SimListener::bind(fcm.devices.port).await?);
                shell::vendor::run(api, devices, Protocols::Auto, core, Rc::new(env), fcm.name).await?;
                Ok(())
            }
        });
    }
    {
        let (env, scenario, sdk) = (env.clone(), scenario.clone(), parts.sdk.clone());
        let (relay_config, server_config) = (relay_config.clone(), server_config.clone());
        sim.host(topology::FARM, move || {
            let (env, scenario, sdk) = (env.clone(), scenario.clone(), sdk.clone());
            let (relay_config, server_config) = (relay_config.clone(), server_config.clone());
            async move {
                farm(SimConnector, scenario, sdk, relay_config, server_config, Rc::new(env)).await;
                Ok(())
            }
        });
    }

    let end_ms = Millis(scenario.end_ms());
    let mut next_report = 0;
    while sim.elapsed() < end {
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

/// The device farm: starts every device of the scenario and plays its steps on time. It
/// never returns (devices keep running until the world stops).
pub async fn farm<C: Connector>(
    connector: C,
    scenario: Scenario,
    sdk: Rc<dyn SdkFactory>,
    relay: RelayConfig,
    server: ServerConfig,
    env: Rc<dyn Env>,
) {
    let mut inboxes = BTreeMap::new();
    for spec in &scenario.devices {
        let push_service = topology::push_service(spec.platform, spec.build);
        let fcm_project = (push_service == topology::FCM).then(|| match spec.build {
            Build::Debug => relay.fcm_debug_project.clone(),
            Build::Release => relay.fcm_release_project.clone(),
        });
        let mut sdk_config = SdkConfig::new(spec.id.clone(), spec.platform, spec.build);
        sdk_config.heartbeat_interval_ms = scenario.config.heartbeat_interval_ms;
        let setup = DeviceSetup {
            id: spec.id.clone(),
            platform: spec.platform,
            app: relay.apns_topic.clone(),
            push_service,
            fcm_project,
            sdk: sdk_config,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        inboxes.insert(spec.id.clone(), tx);
        tokio::task::spawn_local(device::run(setup, connector.clone(), sdk.clone(), rx, env.clone()));
    }
    for step in &scenario.steps {
        let wait = step.at_ms.saturating_sub(env.now().0);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        env.record(step.device.as_str(), Event::Step { action: step.action.clone() });
        let command = match step.action.clone() {
            Action::LaunchApp => Command::LaunchApp,
            Action::KillApp => Command::KillApp,
            Action::SetPushConfig { config } => Command::App(AppCommand::SetPushConfig { config }),
            Action::EnableDebug { debug } => Command::App(AppCommand::EnableDebug { debug }),
            Action::RegisterPush { ios_environment } => Command::App(AppCommand::RegisterPush { ios_environment }),
            Action::Login { user } => {
                // The app's own backend mints the login token.
                let expires = env.now().plus(TOKEN_LIFETIME_MS);
                let token = token::mint(&server.server_secret, server.app_id, &user, expires);
                Command::App(AppCommand::Login { user, token })
            }
            Action::Logout => Command::App(AppCommand::Logout),
            Action::Send { to, text, push } => Command::App(AppCommand::Send { to, text, push }),
        };
        if let Some(inbox) = inboxes.get(&step.device) {
            let _ = inbox.send(command);
        }
    }
    // Keep the devices' command channels open: a closed farm would look like a crash.
    std::future::pending::<()>().await;
}
