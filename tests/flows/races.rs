//! Orderings between the OS token, login and logout that real SDKs get wrong.

use zimsim_reference::client::{Build, IosEnvironment};
use zimsim_reference::server::ServerEvent;
use zimsim_reference::wire::{Platform, PushConfig};
use zimsim_sim::scenario::{Action, DeviceSpec, Scenario, ScenarioConfig, Step};
use zimsim_sim::trace::{Event, Record};

const SEEDS: std::ops::Range<u64> = 1..9;

fn step(at_ms: u64, device: &str, action: Action) -> Step {
    Step::on(at_ms, device, action)
}

/// alice registers and logs in at the same instant, over a slow network, so the OS token
/// often arrives while the login is in flight; then her app dies and bob writes to her.
fn token_races_login() -> Scenario {
    let push = PushConfig::new("t", "c", "");
    Scenario {
        name: "token-races-login".into(),
        config: ScenarioConfig {
            heartbeat_interval_ms: 1_000,
            heartbeat_timeout_ms: 3_000,
            settle_ms: 2_000,
            min_latency_ms: 1,
            max_latency_ms: 300,
            tick_ms: 1,
            ..ScenarioConfig::default()
        },
        devices: vec![
            DeviceSpec {
                id: "ios".into(),
                platform: Platform::Ios,
                brand: Default::default(),
                build: Build::Debug,
                deny_notifications: false,
            },
            DeviceSpec {
                id: "web".into(),
                platform: Platform::Web,
                brand: Default::default(),
                build: Build::Release,
                deny_notifications: false,
            },
        ],
        steps: vec![
            step(0, "ios", Action::LAUNCH_APP),
            step(0, "web", Action::LAUNCH_APP),
            step(100, "ios", Action::register_push(IosEnvironment::Automatic)),
            step(100, "ios", Action::login("alice")),
            step(100, "web", Action::login("bob")),
            step(3_000, "ios", Action::KILL_APP),
            step(9_000, "web", Action::send("alice", "hi", Some(push))),
        ],
    }
}

fn bound(trace: &[Record]) -> bool {
    trace.iter().any(
        |r| matches!(&r.event, Event::Server { event: ServerEvent::Bound { user, .. } } if user.as_str() == "alice"),
    )
}

fn notified(trace: &[Record]) -> bool {
    trace.iter().any(|r| r.src == "ios" && matches!(r.event, Event::Notification { shown: true, .. }))
}

#[test]
fn a_token_that_arrives_while_login_is_in_flight_is_still_bound_and_pushed_to() {
    let scenario = token_races_login();
    for seed in SEEDS {
        let (report, out) = zimsim_conformance::run_with_trace(seed, &scenario, None).expect("run completes");
        assert!(report.passed(), "seed {seed}: {}", report.to_human());
        assert!(bound(&out.trace), "seed {seed}: alice's PushID was never bound");
        assert!(notified(&out.trace), "seed {seed}: alice's killed app got no notification");
    }
}
