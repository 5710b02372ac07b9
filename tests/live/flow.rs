//! The offline-push flow end to end on real sockets.

use super::{block_on, start};
use std::rc::Rc;
use std::time::Duration;
use zimsim_conformance::invariants::{check_all, Status};
use zimsim_reference::client::{AppEvent, Build, IosEnvironment, ZpnsConfig};
use zimsim_reference::wire::{Platform, PushConfig};
use zimsim_sim::catalog::ScenarioBuilder;
use zimsim_sim::scenario::{Action, Scenario, ScenarioConfig};
use zimsim_sim::trace::{Env, Event, Record};
use zimsim_sim::world::{farm, Share};

/// alice (iOS debug) is killed, times out, gets a push through APNs sandbox, relaunches and
/// syncs; then logs out, and a later message is not pushed. (Short timings: real time.)
fn scenario() -> Scenario {
    let send = |to: &str, n: u32| {
        let push = PushConfig::new("t", format!("live {n}"), "");
        Action::send(to, format!("live {n}"), Some(push))
    };
    let register = || Action::register_push(IosEnvironment::Automatic);
    ScenarioBuilder::new("live")
        .config(ScenarioConfig {
            heartbeat_interval_ms: 200,
            heartbeat_timeout_ms: 1_000,
            settle_ms: 800,
            ..Default::default()
        })
        .device("ios", Platform::Ios, Build::Debug)
        .device("android", Platform::Android, Build::Release)
        .at(0, "ios", Action::LAUNCH_APP)
        .at(0, "android", Action::LAUNCH_APP)
        .at(10, "android", Action::set_push_config(ZpnsConfig { enable_fcm_push: true, ..Default::default() }))
        .at(20, "ios", register())
        .at(20, "android", register())
        .at(200, "ios", Action::login("alice"))
        .at(200, "android", Action::login("bob"))
        .at(600, "ios", Action::KILL_APP)
        .at(2_400, "android", send("alice", 1))
        .at(2_900, "ios", Action::LAUNCH_APP)
        .at(2_920, "ios", register())
        .at(2_940, "ios", Action::login("alice"))
        .at(3_500, "ios", Action::LOGOUT)
        .at(3_900, "android", send("alice", 2))
        .at(4_300, "ios", Action::login("alice"))
        .build()
}

async fn run_live(scenario: Scenario) -> Vec<Record> {
    let world = start(scenario.config.heartbeat_timeout_ms).await;
    let env: Rc<dyn Env> = Rc::new(world.env.clone());
    let end = Duration::from_millis(scenario.end_ms());
    let sdk = Rc::new(zimsim_reference::client::ReferenceSdkFactory);
    let farm =
        tokio::task::spawn_local(farm(world.connector, scenario, Share::ALL, sdk, world.relay, world.server, env));
    tokio::time::sleep(end).await;
    farm.abort();
    world.env.take()
}

#[test]
fn the_offline_push_flow_works_on_real_loopback_sockets_and_keeps_every_invariant() {
    let trace = block_on(run_live(scenario()));

    let absent = zimsim_conformance::invariants::VACUOUS_IN_CANONICAL;
    for v in check_all(&trace) {
        let expected = if absent.contains(&v.name.as_str()) { Status::Vacuous } else { Status::Held };
        assert_eq!(v.status, expected, "{} on real sockets: {:#?}", v.name, v.violations);
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
