//! The offline-push flow end to end on real sockets.

use super::{block_on, start};
use std::rc::Rc;
use std::time::Duration;
use zimsim_conformance::invariants::{check_all, Status};
use zimsim_reference::client::{AppEvent, Build, IosEnvironment, ZpnsConfig};
use zimsim_reference::wire::{Platform, PushConfig};
use zimsim_sim::scenario::{Action, DeviceSpec, Scenario, ScenarioConfig, Step};
use zimsim_sim::trace::{Env, Event, Record};
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

async fn run_live(scenario: Scenario) -> Vec<Record> {
    let world = start(scenario.config.heartbeat_timeout_ms).await;
    let env: Rc<dyn Env> = Rc::new(world.env.clone());
    let end = Duration::from_millis(scenario.end_ms());
    let sdk = Rc::new(zimsim_reference::client::ReferenceSdkFactory);
    let farm = tokio::task::spawn_local(farm(world.connector, scenario, sdk, world.relay, world.server, env));
    tokio::time::sleep(end).await;
    farm.abort();
    world.env.take()
}

#[test]
fn the_offline_push_flow_works_on_real_loopback_sockets_and_keeps_every_invariant() {
    let trace = block_on(run_live(scenario()));

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
