//! The sans-IO cores with no network: offline fan-out through the ZIM server (routing each
//! message to the recipient's bound PushIDs) and the relay's payload mapping.

use criterion::{BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use zimsim_reference::ids::{ConnId, MessageId, UserId};
use zimsim_reference::pushid::{Environment, PushId, Vendor};
use zimsim_reference::relay::{PushRelay, Relay, RelayConfig};
use zimsim_reference::server::{ServerConfig, ServerOutput, ZimServer};
use zimsim_reference::wire::{ClientFrame, MessageBody, Platform, PushConfig, PushRequest};
use zimsim_reference::{token, Millis};

/// A server where `n` users have logged in once with a PushID and then timed out (offline,
/// still bound), and a sender who is online.
fn offline_population(n: usize) -> ZimServer {
    let config = ServerConfig::default();
    let (secret, app) = (config.server_secret.clone(), config.app_id);
    let mut server = ZimServer::new(config);
    let login = |server: &mut ZimServer, conn: u64, user: &UserId, push: Option<PushId>| {
        server.on_connect(ConnId(conn), Millis(0));
        let frame = ClientFrame::Login {
            req: 1,
            user_id: user.clone(),
            token: token::mint(&secret, app, user, Millis(u64::MAX / 2)),
            device_id: format!("d-{user}").as_str().into(),
            platform: Platform::Android,
            push_id: push,
        };
        server.on_frame(ConnId(conn), frame, Millis(0));
    };
    for i in 0..n {
        let user = UserId::new(format!("u{i}"));
        let push = PushId::new(Vendor::Fcm, Environment::Production, format!("tok{i}"));
        login(&mut server, i as u64 + 1, &user, Some(push));
        server.on_disconnect(ConnId(i as u64 + 1), Millis(0));
    }
    server.tick(Millis(60_000)); // every session times out: offline, still bound
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
            let push = Some(PushConfig { title: "t".into(), content: "c".into(), payload: String::new() });
            let mut req = 0;
            b.iter(|| {
                let mut pushes = 0;
                for i in 0..n {
                    req += 1;
                    let frame = ClientFrame::Send {
                        req,
                        to: UserId::new(format!("u{i}")),
                        body: MessageBody::Text { text: "hello".into() },
                        push: push.clone(),
                    };
                    server.on_frame(ConnId(0), frame, Millis(60_001));
                    while let Some(out) = server.poll_output() {
                        pushes += matches!(out, ServerOutput::Push(_)) as usize;
                    }
                }
                assert_eq!(pushes, n);
                black_box(pushes)
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("Relay::on_push");
    group.throughput(Throughput::Elements(1));
    for (name, vendor) in [("apns", Vendor::Apns), ("fcm", Vendor::Fcm)] {
        group.bench_function(name, |b| {
            let mut relay = Relay::new(RelayConfig::default());
            let request = PushRequest {
                push_id: PushId::new(vendor, Environment::Development, "0123456789abcdef"),
                user_id: "alice".into(),
                message_id: MessageId(7),
                conv: zimsim_reference::ids::ConvKey::peer(&"alice".into(), &"bob".into()),
                from: "bob".into(),
                title: "New message".into(),
                content: "hello".into(),
                payload: "p".into(),
            };
            b.iter(|| {
                relay.on_push(request.clone(), Millis(0)).expect("supported vendor");
                black_box(relay.poll_output())
            });
        });
    }
    group.finish();
}
