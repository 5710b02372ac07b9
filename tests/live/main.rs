//! The same shells, devices and SDK as the simulation, on real loopback sockets and the
//! real clock (the "real arm"): the socket seam is not simulation-only, and the invariants
//! hold there too. Timings are scaled down and padded generously, because real time on a
//! busy 2-core machine can stall.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;
use tokio::net::TcpListener;
use zimsim_conformance::invariants::{check_all, Status};
use zimsim_reference::client::{AppEvent, Build, IosEnvironment, ZpnsConfig};
use zimsim_reference::pushid::Environment;
use zimsim_reference::relay::{Relay, RelayConfig};
use zimsim_reference::server::ServerConfig;
use zimsim_reference::vendor::apns::Apns;
use zimsim_reference::vendor::fcm::Fcm;
use zimsim_reference::wire::{Platform, PushConfig};
use zimsim_sim::http::Protocols;
use zimsim_sim::net::real::{TokioConnector, TokioListener};
use zimsim_sim::scenario::{Action, DeviceSpec, Scenario, ScenarioConfig, Step};
use zimsim_sim::shell::{self, ports};
use zimsim_sim::trace::{Env, Event, RealEnv, Record};
use zimsim_sim::world::farm;

/// alice (iOS debug) is killed, times out, gets a push through APNs sandbox, relaunches and
/// syncs; then logs out, and a later message is not pushed.
fn scenario() -> Scenario {
    let step = |at_ms, device: &str, action| Step { at_ms, device: device.into(), action };
    let send = |to: &str, n: u32| Action::Send {
        to: to.into(),
        text: format!("live {n}"),
        push: Some(PushConfig { title: "t".into(), content: format!("live {n}"), payload: String::new() }),
    };
    Scenario {
        name: "live".into(),
        config: ScenarioConfig {
            heartbeat_interval_ms: 200,
            heartbeat_timeout_ms: 1_000,
            settle_ms: 800,
            ..Default::default()
        },
        devices: vec![
            DeviceSpec { id: "ios".into(), platform: Platform::Ios, build: Build::Debug },
            DeviceSpec { id: "android".into(), platform: Platform::Android, build: Build::Release },
        ],
        steps: vec![
            step(0, "ios", Action::LaunchApp),
            step(0, "android", Action::LaunchApp),
            step(
                10,
                "android",
                Action::SetPushConfig { config: ZpnsConfig { enable_fcm_push: true, ..Default::default() } },
            ),
            step(20, "ios", Action::RegisterPush { ios_environment: IosEnvironment::Automatic }),
            step(20, "android", Action::RegisterPush { ios_environment: IosEnvironment::Automatic }),
            step(200, "ios", Action::Login { user: "alice".into() }),
            step(200, "android", Action::Login { user: "bob".into() }),
            step(600, "ios", Action::KillApp),
            step(2_400, "android", send("alice", 1)),
            step(2_900, "ios", Action::LaunchApp),
            step(2_920, "ios", Action::RegisterPush { ios_environment: IosEnvironment::Automatic }),
            step(2_940, "ios", Action::Login { user: "alice".into() }),
            step(3_500, "ios", Action::Logout),
            step(3_900, "android", send("alice", 2)),
            step(4_300, "ios", Action::Login { user: "alice".into() }),
        ],
    }
}

async fn listen() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("loopback bind");
    let addr = l.local_addr().expect("bound");
    (l, addr)
}

async fn run_live(scenario: Scenario) -> Vec<Record> {
    let env = RealEnv::new();
    let mut table = BTreeMap::new();
    let mut listeners = Vec::new();
    let endpoints = [
        ("zim", ports::ZIM),
        ("zpns", ports::ZPNS),
        ("apns-sandbox", ports::VENDOR_API),
        ("apns-sandbox", ports::APNS_DEVICE),
        ("apns-production", ports::VENDOR_API),
        ("apns-production", ports::APNS_DEVICE),
        ("fcm", ports::VENDOR_API),
        ("fcm", ports::FCM_DEVICE),
    ];
    for (name, port) in endpoints {
        let (l, addr) = listen().await;
        table.insert((name.to_owned(), port), addr);
        listeners.push(TokioListener(l));
    }
    let connector = TokioConnector(Rc::new(table));
    let mut l = listeners.into_iter();
    let mut next = || l.next().expect("one listener per endpoint");
    let shared: Rc<dyn Env> = Rc::new(env.clone());
    let server = ServerConfig { heartbeat_timeout_ms: scenario.config.heartbeat_timeout_ms, ..Default::default() };
    let relay = RelayConfig::default();
    let projects = [
        (relay.fcm_debug_project.clone(), Environment::Development),
        (relay.fcm_release_project.clone(), Environment::Production),
    ];
    tokio::task::spawn_local(shell::zim::run(next(), connector.clone(), server.clone(), shared.clone()));
    tokio::task::spawn_local(shell::relay::run(
        next(),
        connector.clone(),
        Box::new(Relay::new(relay.clone())),
        shared.clone(),
    ));
    for (host, apns_env, seed) in
        [("apns-sandbox", Environment::Development, 1), ("apns-production", Environment::Production, 2)]
    {
        let core = Box::new(Apns::new(apns_env, seed));
        tokio::task::spawn_local(shell::vendor::run(next(), next(), Protocols::Http2, core, shared.clone(), host));
    }
    let fcm = Box::new(Fcm::new(projects.into(), 3));
    tokio::task::spawn_local(shell::vendor::run(next(), next(), Protocols::Auto, fcm, shared.clone(), "fcm"));
    let end = Duration::from_millis(scenario.end_ms());
    let sdk = Rc::new(zimsim_reference::client::ReferenceSdkFactory);
    let farm = tokio::task::spawn_local(farm(connector, scenario, sdk, relay, server, shared));
    tokio::time::sleep(end).await;
    farm.abort();
    env.take()
}

#[test]
fn the_offline_push_flow_works_on_real_loopback_sockets_and_keeps_every_invariant() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let trace = tokio::task::LocalSet::new().block_on(&rt, run_live(scenario()));

    for v in check_all(&trace) {
        assert_eq!(v.status, Status::Held, "{} on real sockets: {:#?}", v.name, v.violations);
    }
    // The push went through APNs sandbox to alice's killed app and was shown by the OS...
    let shown: Vec<&Record> =
        trace.iter().filter(|r| r.src == "ios" && matches!(r.event, Event::Notification { shown: true, .. })).collect();
    assert_eq!(shown.len(), 1, "exactly one notification (for message 1), not one for the post-logout message");
    // ...and after relaunch she synced it, and later the post-logout message too.
    let synced = trace
        .iter()
        .filter(|r| r.src == "ios" && matches!(&r.event, Event::App { event: AppEvent::MessageReceived { .. } }))
        .count();
    assert_eq!(synced, 2);
}
