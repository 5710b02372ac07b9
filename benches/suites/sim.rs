//! The simulator's cost per push and per network message, against bare turmoil.
//!
//! - `sim/pushes/N`: one world ([`large_group`]) where N locked phones, spread over all six
//!   push services (both APNs hosts), are members of one group whose [`SENDS`] messages
//!   each push every one of them: N·SENDS offline pushes go ZIM → ZPNs → vendor → phone.
//! - `sim/pushes-setup/N`: the same world as long in simulated time, without the sends, so
//!   `(t_pushes − t_setup) / (N·SENDS)` is the marginal cost of one push.
//! - `sim/pingpong/R`: R round trips of a 100-byte message over one TCP connection between
//!   two hosts of a bare turmoil sim built with `world::run`'s settings: what a simulated
//!   network message costs with nothing around it.
//!
//! Before timing, each world runs once: every push must reach its phone, and the turmoil
//! messages (TCP segments, SYNs, FINs) the run sent are counted and printed, so a
//! per-message cost can be compared with ping-pong's (`time / messages`). A push adds
//! about 3.2 of them: the relay's HTTP/2 request to the vendor and its answer (streams
//! share segments), the vendor's delivery to the phone and the phone's acknowledgement,
//! and a hundredth of a hand-over exchange.

use criterion::{BenchmarkId, Criterion, Throughput};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zimsim_reference::client::{AppCall, Brand, Build};
use zimsim_reference::ids::ConversationType;
use zimsim_reference::pushid::Vendor;
use zimsim_reference::server::ServerConfig;
use zimsim_reference::wire::{Outgoing, Platform, PushConfig};
use zimsim_sim::catalog::{only, ScenarioBuilder};
use zimsim_sim::scenario::{Action, Scenario, ScenarioConfig};
use zimsim_sim::trace::{Event, Source};
use zimsim_sim::world::{run, sim_builder, Parts, RunOutput};

/// Group sizes of `sim/pushes`.
const MEMBERS: [usize; 2] = [300, 1_000];
/// Group messages sent, each pushed to every member.
const SENDS: usize = 5;
/// Round trips of `sim/pingpong`.
const ROUND_TRIPS: u64 = 10_000;
const SEED: u64 = 1;

/// The phones' apps are killed; the group is created; presence has timed out by then.
const KILL_MS: u64 = 3_000;
const CREATE_MS: u64 = 3_500;
const FIRST_SEND_MS: u64 = 10_000;
const SEND_EVERY_MS: u64 = 200;
/// When every world ends, sends or not. (The ZIM server hands pushes over in batches of
/// 100, one batch in flight: the 5,000th push reaches its phone at 29.2 s.)
const END_MS: u64 = 32_000;

/// The timing of generated worlds (60 ms step, 60–120 ms latencies), with a presence
/// timeout of 5 s so the phones are offline soon after their apps die.
fn timing() -> ScenarioConfig {
    ScenarioConfig {
        heartbeat_interval_ms: 2_000,
        heartbeat_timeout_ms: 5_000,
        min_latency_ms: 60,
        max_latency_ms: 120,
        tick_ms: 60,
        ..ScenarioConfig::default()
    }
}

/// The seven kinds of phone, one per vendor host: (platform, maker, build, the Android
/// channel its app enables).
const KINDS: [(Platform, Brand, Build, Option<Vendor>); 7] = [
    (Platform::Ios, Brand::Google, Build::Debug, None),   // APNs sandbox
    (Platform::Ios, Brand::Google, Build::Release, None), // APNs production
    (Platform::Android, Brand::Google, Build::Release, Some(Vendor::Fcm)),
    (Platform::Android, Brand::Huawei, Build::Release, Some(Vendor::Hms)),
    (Platform::Android, Brand::Xiaomi, Build::Release, Some(Vendor::Mi)),
    (Platform::Android, Brand::Oppo, Build::Release, Some(Vendor::Oppo)),
    (Platform::Android, Brand::Vivo, Build::Release, Some(Vendor::Vivo)),
];

/// `members` phones (`m0`, `m1`, ... of users `u0`, `u1`, ..., dealt over [`KINDS`]) sign in
/// and register for push; their apps are killed at 3 s. The sender's Pixel (user `sender`,
/// always online) creates group `big` with every member at 3.5 s and, from 10 s (presence
/// has timed out), sends `sends` texts to it with a push config. Every world ends at 32 s.
/// (With the sender, 1,000 members make 1,001 devices: two farm hosts; 999 members on one
/// farm cost the same.)
fn large_group(members: usize, sends: usize) -> Scenario {
    let mut b = ScenarioBuilder::new(&format!("large-group-{members}-{sends}"))
        .android("sender", Brand::Google, Build::Release)
        .sign_in(100, "sender", "sender");
    for i in 0..members {
        let (device, user) = (format!("m{i}"), format!("u{i}"));
        let (platform, brand, build, channel) = KINDS[i % KINDS.len()];
        b = match channel {
            None => b.device(&device, platform, build).sign_in(100, &device, &user),
            Some(v) => b.android(&device, brand, build).sign_in_with(100, &device, &user, only(&[v])),
        };
        b = b.at(KILL_MS, &device, Action::KILL_APP);
    }
    let create = AppCall::CreateGroup {
        group_id: Some("big".into()),
        name: "Big".into(),
        members: (0..members).map(|i| format!("u{i}").as_str().into()).collect(),
    };
    b = b.at(CREATE_MS, "sender", Action::App(create));
    for k in 0..sends {
        let text = format!("group message {k}");
        let push = PushConfig::new("Big", &text, "");
        let message = Outgoing { conv_type: ConversationType::Group, ..Outgoing::text("big", &text, Some(push)) };
        b = b.at(FIRST_SEND_MS + SEND_EVERY_MS * k as u64, "sender", Action::send_message(message));
    }
    let mut s = b.build();
    let last = s.steps.last().map_or(0, |st| st.at_ms);
    s.config = ScenarioConfig { settle_ms: END_MS - last, ..timing() };
    s
}

/// The reference parts, with groups as large as the benchmark needs.
fn parts() -> Parts {
    Parts { tune_server: |c: &mut ServerConfig| c.group_member_limit = 100_000, ..Parts::default() }
}

/// Checks that every member's phone got each of the `sends` pushes once (as a notification
/// in the tray: the apps are killed) and nothing more; returns how many arrived and when
/// the last did.
fn check(out: &RunOutput, members: usize, sends: usize) -> (usize, u64) {
    let mut per_device: BTreeMap<&str, usize> = BTreeMap::new();
    let mut last = 0;
    for r in &out.trace {
        if let (Source::Device(d), Event::Notification { shown, .. }) = (&r.src, &r.event) {
            assert!(shown, "{d}'s app is killed: the OS shows the notification");
            *per_device.entry(d.as_str()).or_default() += 1;
            last = r.t.0;
        }
    }
    let delivered: usize = per_device.values().sum();
    let want = if sends == 0 { 0 } else { members };
    assert_eq!(per_device.len(), want, "phones notified");
    assert!(per_device.values().all(|n| *n == sends), "each phone shows each message once: {per_device:?}");
    assert_eq!(delivered, members * sends);
    let bound = out.stats.bindings_added as usize;
    assert_eq!(bound, members + 1, "every phone bound its PushID");
    if sends > 0 {
        let used: Vec<Vendor> = out.stats.vendors.keys().copied().collect();
        assert_eq!(used.len(), 6, "all six push services delivered: {used:?}");
    }
    (delivered, last)
}

/// Counts the messages turmoil sends (its `Send` trace events: TCP segments, SYNs, FINs).
#[derive(Debug)]
struct CountSends(Arc<AtomicU64>);

impl tracing::Subscriber for CountSends {
    fn register_callsite(&self, meta: &'static tracing::Metadata<'static>) -> tracing::subscriber::Interest {
        match self.enabled(meta) {
            true => tracing::subscriber::Interest::always(),
            false => tracing::subscriber::Interest::never(),
        }
    }
    fn enabled(&self, meta: &tracing::Metadata<'_>) -> bool {
        meta.is_event() && meta.target() == "turmoil"
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct IsSend(bool);
        impl tracing::field::Visit for IsSend {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0 |= field.name() == "message" && format!("{value:?}") == "Send";
            }
        }
        let mut send = IsSend(false);
        event.record(&mut send);
        if send.0 {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// Runs `f` counting the network messages turmoil sends meanwhile.
fn count_messages<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let count = Arc::new(AtomicU64::new(0));
    let out = tracing::subscriber::with_default(CountSends(count.clone()), f);
    // Back to no subscriber at all, so the timed runs pay nothing for the count.
    tracing::callsite::rebuild_interest_cache();
    (out, count.load(Ordering::Relaxed))
}

/// One world run, checked, with its turmoil message count, printed once.
fn checked_run(members: usize, sends: usize, scenario: &Scenario, parts: &Parts) -> u64 {
    let (out, messages) = count_messages(|| run(SEED, scenario, parts).expect("run completes"));
    let (pushes, last) = check(&out, members, sends);
    let what = match sends {
        0 => format!("sim/pushes-setup/{members}:"),
        _ => format!("sim/pushes/{members}: {pushes} pushes delivered (the last at {last} ms),"),
    };
    let (records, simulated) = (out.stats.records, out.sim_time_ms);
    eprintln!("{what} {messages} network messages, {records} trace records, {simulated} ms simulated");
    let id = if sends == 0 { "pushes-setup" } else { "pushes" };
    zimsim_benches::report::record_count(&format!("sim/{id}/{members}/messages"), messages);
    messages
}

/// `round_trips` exchanges of a 100-byte message between a client and an echo server, in a
/// turmoil sim built as `world::run` builds its own from `config`; returns the simulated
/// time it took.
fn pingpong(round_trips: u64, config: &ScenarioConfig) -> Duration {
    const PORT: u16 = 7000;
    const LEN: usize = 100;
    let longest = 2 * (config.max_latency_ms + config.tick_ms);
    let mut sim = sim_builder(SEED, config, Duration::from_millis(round_trips * longest + 60_000)).build();
    sim.host("server", || async {
        let listener = turmoil::net::TcpListener::bind(("0.0.0.0", PORT)).await?;
        let (mut stream, _) = listener.accept().await?;
        let mut buf = [0u8; LEN];
        while stream.read_exact(&mut buf).await.is_ok() {
            stream.write_all(&buf).await?;
        }
        Ok(())
    });
    sim.client("client", async move {
        let mut stream = turmoil::net::TcpStream::connect(("server", PORT)).await?;
        let mut buf = [7u8; LEN];
        for _ in 0..round_trips {
            stream.write_all(&buf).await?;
            stream.read_exact(&mut buf).await?;
        }
        Ok(())
    });
    sim.run().expect("ping-pong completes");
    sim.elapsed()
}

pub fn benches(c: &mut Criterion) {
    let parts = parts();
    let mut group = c.benchmark_group("sim");
    group.sample_size(10);
    // Setup first: a group's throughput stays set for the benchmarks after it.
    let setup_messages: RefCell<BTreeMap<usize, u64>> = RefCell::default();
    for members in MEMBERS {
        let scenario = large_group(members, 0);
        let mut checked = false;
        group.bench_function(BenchmarkId::new("pushes-setup", members), |b| {
            if !checked {
                let messages = checked_run(members, 0, &scenario, &parts);
                setup_messages.borrow_mut().insert(members, messages);
                checked = true;
            }
            b.iter(|| black_box(run(SEED, &scenario, &parts).expect("run completes")))
        });
    }
    for members in MEMBERS {
        let scenario = large_group(members, SENDS);
        let pushes = (members * SENDS) as u64;
        group.throughput(Throughput::Elements(pushes));
        let mut checked = false;
        group.bench_function(BenchmarkId::new("pushes", members), |b| {
            if !checked {
                let messages = checked_run(members, SENDS, &scenario, &parts);
                if let Some(setup) = setup_messages.borrow().get(&members) {
                    let per_push = messages.saturating_sub(*setup) as f64 / pushes as f64;
                    eprintln!("sim/pushes/{members}: {per_push:.2} network messages per push beyond setup");
                }
                checked = true;
            }
            b.iter(|| black_box(run(SEED, &scenario, &parts).expect("run completes")))
        });
    }
    let config = timing();
    group.throughput(Throughput::Elements(2 * ROUND_TRIPS));
    let mut checked = false;
    group.bench_function(BenchmarkId::new("pingpong", ROUND_TRIPS), |b| {
        if !checked {
            let (simulated, messages) = count_messages(|| pingpong(ROUND_TRIPS, &config));
            let (ms, steps) = (simulated.as_millis(), simulated.as_millis() / u128::from(config.tick_ms));
            eprintln!("sim/pingpong/{ROUND_TRIPS}: {messages} network messages, {ms} ms simulated ({steps} steps)");
            checked = true;
        }
        b.iter(|| black_box(pingpong(ROUND_TRIPS, &config)))
    });
    group.finish();
}
