//! The sans-IO cores with no network: offline fan-out through the ZIM server (routing each
//! message to the recipient's bound PushIDs) and the relay's payload mapping.

use criterion::{BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use zimsim_reference::core::Core;
use zimsim_reference::ids::{ConnId, MessageId, UserId};
use zimsim_reference::pushid::{Environment, PushId, Vendor};
use zimsim_reference::relay::{Relay, RelayConfig};
use zimsim_reference::server::{ServerConfig, ServerEvent, ServerInput, ServerOutput, ZimServer};
use zimsim_reference::wire::{ClientFrame, Outgoing, Platform, PushConfig, PushRequest};
use zimsim_reference::{token, Millis};

/// A server where `n` users have logged in once with a PushID and then timed out (offline,
/// still bound), and a sender who is online.
fn offline_population(n: usize) -> ZimServer {
    let config = ServerConfig::default();
    let (secret, app) = (config.server_secret.clone(), config.app_id);
    let mut server = ZimServer::new(config);
    let login = |server: &mut ZimServer, conn: u64, user: &UserId, push: Option<PushId>| {
        server.handle(Millis(0), ServerInput::Connected { conn: ConnId(conn) });
        let frame = ClientFrame::Login {
            req: 1,
            user_id: user.clone(),
            token: token::mint(&secret, app, user, Millis(u64::MAX / 2)),
            device_id: format!("d-{user}").as_str().into(),
            platform: Platform::Android,
            push_id: push,
        };
        server.handle(Millis(0), ServerInput::Frame { conn: ConnId(conn), frame });
    };
    for i in 0..n {
        let user = UserId::new(format!("u{i}"));
        let push = PushId::new(Vendor::Fcm, Environment::Production, format!("tok{i}"));
        login(&mut server, i as u64 + 1, &user, Some(push));
        server.handle(Millis(0), ServerInput::Disconnected { conn: ConnId(i as u64 + 1) });
    }
    server.handle(Millis(60_000), ServerInput::Tick); // every session times out: offline, still bound
    login(&mut server, 0, &"sender".into(), None);
    while server.poll_output().is_some() {}
    server
}

pub fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("ZimServer::send_offline");
    for n in [1_000usize, 10_000] {
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            let mut server = offline_population(n);
            let push = Some(PushConfig::new("t", "c", ""));
            let mut req = 0;
            // The sender keeps to the documented 10 sends a second: the clock runs 100 ms
            // per send (and each send keeps the sender's presence alive).
            let mut now = Millis(60_000);
            b.iter(|| {
                let mut pushes = 0;
                for i in 0..n {
                    req += 1;
                    now = now.plus(100);
                    let frame =
                        ClientFrame::Send { req, message: Outgoing::text(format!("u{i}"), "hello", push.clone()) };
                    server.handle(now, ServerInput::Frame { conn: ConnId(0), frame });
                    while let Some(out) = server.poll_output() {
                        match out {
                            ServerOutput::Event(ServerEvent::PushRouted { .. }) => pushes += 1,
                            // The relay takes every hand-over at once.
                            ServerOutput::Handover { id, .. } => {
                                server.handle(now, ServerInput::HandoverDone { id, status: Some(202) })
                            }
                            _ => {}
                        }
                    }
                }
                assert_eq!(pushes, n);
                black_box(pushes)
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("Relay::accept");
    group.throughput(Throughput::Elements(1));
    for (name, vendor) in [("apns", Vendor::Apns), ("fcm", Vendor::Fcm)] {
        group.bench_function(name, |b| {
            let mut relay = Relay::new(RelayConfig::default());
            let mut request = PushRequest {
                push_id: PushId::new(vendor, Environment::Development, "0123456789abcdef"),
                user_id: "alice".into(),
                message_id: MessageId(7),
                conv: std::sync::Arc::new(zimsim_reference::ids::ConvKey::peer(&"alice".into(), &"bob".into())),
                from: std::sync::Arc::new("bob".into()),
                push: std::sync::Arc::new(PushConfig::new("New message", "hello", "p")),
                badge: None,
            };
            b.iter(|| {
                // A new message each time: a repeat would be answered by the relay's dedup.
                request.message_id.0 += 1;
                relay.accept(request.clone(), Millis(0));
                black_box(relay.poll_output())
            });
        });
    }
    group.finish();
}
