//! Faults seen from the phone: what a user sees when their phone loses its network or the
//! ZIM server crashes, checked over several seeds on the built-in fault scenarios.

use crate::phone::{app_events, notifications, notifications_on, texts_on};
use crate::run;
use zimsim_reference::client::{AppEvent, ConnectionEvent, Via};
use zimsim_reference::server::{ServerEvent, SessionEnd};
use zimsim_reference::topology;
use zimsim_sim::catalog;
use zimsim_sim::scenario::WorldStep;
use zimsim_sim::trace::{Event, Record};

const SEEDS: std::ops::Range<u64> = 1..6;

/// (time, text) of every message alice's app surfaced, and how.
fn surfaced(trace: &[Record]) -> Vec<(u64, String, Via)> {
    trace
        .iter()
        .filter(|r| r.src == "alice-phone")
        .filter_map(|r| match &r.event {
            Event::App { event: AppEvent::MessageReceived { message, via, .. } } => {
                let text = serde_json::to_value(&message.body).ok()?["text"].as_str()?.to_owned();
                Some((r.t.0, text, *via))
            }
            _ => None,
        })
        .collect()
}

/// Times at which a notification about a message for alice reached her phone.
fn notified(trace: &[Record]) -> Vec<(u64, u64)> {
    trace
        .iter()
        .filter(|r| r.src == "alice-phone")
        .filter_map(|r| match &r.event {
            Event::Notification { notification, .. } => Some((r.t.0, notification.message_id?.0)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_phone_off_the_network_catches_up_once_when_it_returns_and_not_before() {
    for (seed, trace) in run::builtin("phone-offline", SEEDS) {
        let got = surfaced(&trace);
        let texts: Vec<&str> = got.iter().map(|(_, t, _)| t.as_str()).collect();
        assert_eq!(texts, ["while your phone is offline", "after your session timed out"], "seed {seed}: {got:?}");
        assert!(got.iter().all(|(t, _, via)| *t >= 40_000 && *via == Via::Sync), "seed {seed}: {got:?}");
        // The server learned nothing at 5 s: the session lasted until its timeout.
        let ended = trace.iter().find_map(|r| match &r.event {
            Event::Server { event: ServerEvent::SessionEnded { user, reason, .. } } if user.as_str() == "alice" => {
                Some((r.t.0, *reason))
            }
            _ => None,
        });
        assert!(
            matches!(ended, Some((t, SessionEnd::Timeout)) if (15_000..30_000).contains(&t)),
            "seed {seed}: {ended:?}"
        );
        // What APNs held for the phone arrives when the network returns, not before.
        let notes = notified(&trace);
        assert!(!notes.is_empty() && notes.iter().all(|(t, _)| *t >= 40_000), "seed {seed}: {notes:?}");
    }
}

#[test]
fn a_server_crash_keeps_stored_messages_sequences_and_push_bindings() {
    for (seed, trace) in run::builtin("server-crash", SEEDS) {
        let restarts = trace
            .iter()
            .filter(|r| {
                matches!(
                    &r.event,
                    Event::Server { event: ServerEvent::SessionEnded { reason: SessionEnd::ServerRestart, .. } }
                )
            })
            .count();
        assert_eq!(restarts, 1, "seed {seed}: bob's session ends with the process (alice's had timed out)");
        // Both messages pushed to alice's phone: the binding outlived the crash.
        let notes: Vec<u64> = notified(&trace).into_iter().map(|(_, m)| m).collect();
        assert_eq!(notes.len(), 2, "seed {seed}: {notes:?}");
        // The conversation's sequence went on where it was.
        let seqs: Vec<u64> = trace
            .iter()
            .filter_map(|r| match &r.event {
                Event::Server { event: ServerEvent::MessageAccepted { seq, .. } } => Some(*seq),
                _ => None,
            })
            .collect();
        assert_eq!(seqs, [1, 2], "seed {seed}");
        let texts: Vec<String> = surfaced(&trace).into_iter().map(|(_, t, _)| t).collect();
        assert_eq!(texts, ["before the crash", "after the restart"], "seed {seed}");
    }
}

#[test]
fn messages_sent_while_reconnecting_after_server_restarts_all_arrive() {
    // The server restarts every 4 s; bob writes half a second after each restart, while
    // his SDK is reconnecting. Each message goes out once the session is back.
    let mut b = catalog::alice_and_bob("restarts");
    for i in 0..5u64 {
        b = b.world(3_000 + i * 4_000, WorldStep::Bounce { host: topology::ZIM.host.into() }).at(
            3_500 + i * 4_000,
            "bob-phone",
            catalog::send("alice", &format!("b{i}")),
        );
    }
    for (seed, trace) in run::scenario(&b.build(), SEEDS) {
        let texts: Vec<String> = surfaced(&trace).into_iter().map(|(_, t, _)| t).collect();
        assert_eq!(texts, ["b0", "b1", "b2", "b3", "b4"], "seed {seed}");
    }
}

#[test]
fn an_unrenewed_token_expires_with_a_warning_and_the_user_is_pushed_then_catches_up_once() {
    use zimsim_reference::client::{ConnectionEvent, ConnectionState};
    for (seed, trace) in run::builtin("token-expiry", SEEDS) {
        let alice: Vec<(u64, &AppEvent)> = app_events(&trace, "alice-phone").collect();
        let warned = alice.iter().find(|(_, e)| matches!(e, AppEvent::TokenWillExpire { .. }));
        assert!(
            matches!(warned, Some((t, AppEvent::TokenWillExpire { second: 30 })) if (10_000..10_500).contains(t)),
            "seed {seed}: {warned:?}"
        );
        let expired = alice.iter().find(|(_, e)| {
            matches!(
                e,
                AppEvent::ConnectionStateChanged {
                    state: ConnectionState::Disconnected,
                    cause: ConnectionEvent::TokenExpired
                }
            )
        });
        assert!(expired.is_some_and(|(t, _)| (40_000..40_500).contains(t)), "seed {seed}: {expired:?}");
        // Her phone shows bob's message while she is out, and she reads it once, by sync.
        assert!(notified(&trace).iter().any(|(t, _)| (45_000..50_000).contains(t)), "seed {seed}");
        let got = surfaced(&trace);
        assert_eq!(got.len(), 1, "seed {seed}: {got:?}");
        assert_eq!((got[0].1.as_str(), got[0].2), ("after your token expired", Via::Sync), "seed {seed}");

        // bob renewed in time: his renewals succeeded and his session never ended.
        let renewed = app_events(&trace, "bob-phone")
            .filter(|(_, e)| matches!(e, AppEvent::TokenRenewed { code: 0, .. }))
            .count();
        assert_eq!(renewed, 2, "seed {seed}");
        let bob_ended = trace.iter().any(|r| {
            matches!(&r.event, Event::Server { event: ServerEvent::SessionEnded { user, .. } } if user.as_str() == "bob")
        });
        assert!(!bob_ended, "seed {seed}: bob's session ended");
        let alice_ended = trace.iter().find_map(|r| match &r.event {
            Event::Server { event: ServerEvent::SessionEnded { user, reason, .. } } if user.as_str() == "alice" => {
                Some(*reason)
            }
            _ => None,
        });
        assert_eq!(alice_ended, Some(SessionEnd::TokenExpired), "seed {seed}");
    }
}

/// The texts `device`'s app surfaced, in order.
#[test]
fn a_group_reaches_every_member_once_pushes_only_the_locked_phone_and_a_room_stays_live_only() {
    for (seed, trace) in run::builtin("group-chat", SEEDS) {
        assert_eq!(texts_on(&trace, "alice-phone"), ["before dan"], "seed {seed}");
        assert_eq!(texts_on(&trace, "bob-phone"), ["hello lobby", "after dan"], "seed {seed}");
        assert_eq!(
            texts_on(&trace, "carol-phone"),
            ["before dan", "after dan"],
            "seed {seed}: read once each, by sync"
        );
        assert_eq!(texts_on(&trace, "dan-phone"), ["after dan"], "seed {seed}: no history from before he joined");
        // Only carol's locked phone was pushed, once per group message, and never for the room.
        let shown: Vec<(&str, Option<String>)> = trace
            .iter()
            .filter_map(|r| match &r.event {
                Event::Notification { notification, .. } => Some((r.src.as_str(), Some(notification.content.clone()))),
                _ => None,
            })
            .collect();
        assert_eq!(
            shown,
            [("carol-phone", Some("before dan".into())), ("carol-phone", Some("after dan".into()))],
            "seed {seed}"
        );
    }
}

#[test]
fn a_kicked_out_phone_is_told_so_and_gets_none_of_its_users_pushes_after() {
    use zimsim_reference::client::{ConnectionEvent, ConnectionState};
    for (seed, trace) in run::builtin("kick-out", SEEDS) {
        let phone: Vec<(u64, &AppEvent)> = app_events(&trace, "bob-phone").collect();
        assert!(
            phone.iter().any(|(t, e)| *t >= 5_000
                && matches!(
                    e,
                    AppEvent::ConnectionStateChanged {
                        state: ConnectionState::Disconnected,
                        cause: ConnectionEvent::KickedOut
                    }
                )),
            "seed {seed}: the phone was not told"
        );
        assert_eq!(texts_on(&trace, "bob-phone"), ["hello"], "seed {seed}");
        // Each message once on the tablet; the one without a push config never notified.
        assert_eq!(texts_on(&trace, "bob-tablet"), ["hello", "while you are away", "no push for this"], "seed {seed}");
        let shown = notifications(&trace);
        assert_eq!(shown, [("bob-tablet", "while you are away".to_owned())], "seed {seed}");
    }
}

#[test]
fn a_muted_chat_stays_silent_and_badges_add_up_on_the_phone() {
    for (seed, trace) in run::builtin("settings", SEEDS) {
        let shown: Vec<(String, Option<u32>)> = trace
            .iter()
            .filter(|r| r.src == "bob-phone")
            .filter_map(|r| match &r.event {
                Event::Notification { notification, .. } => Some((notification.content.clone(), notification.badge)),
                _ => None,
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("plus two".to_owned(), Some(5)),
                ("plus one".to_owned(), Some(6)),
                ("after you unmuted me".to_owned(), None)
            ],
            "seed {seed}"
        );
        // Muted, not lost: bob reads alice's message when he comes back.
        assert!(texts_on(&trace, "bob-phone").iter().any(|t| t == "while you muted me"), "seed {seed}");
    }
}

#[test]
fn under_multi_device_login_a_push_rule_keeps_the_phone_quiet_while_the_user_is_on_the_web() {
    for (seed, trace) in run::builtin("multi-device", SEEDS) {
        let shown = |device: &str| notifications_on(&trace, device);
        assert_eq!(shown("bob-phone"), ["while you are away"], "seed {seed}: silenced while bob was on the web");
        assert_eq!(shown("bob-tablet"), ["while you are on the web", "while you are away"], "seed {seed}");
        assert_eq!(shown("bob-web"), ["while you are away"], "seed {seed}: the browser was online for the first");
        assert_eq!(texts_on(&trace, "bob-web"), ["while you are on the web"], "seed {seed}");
        let kicked = trace.iter().any(|r| {
            matches!(
                &r.event,
                Event::App { event: AppEvent::ConnectionStateChanged { cause: ConnectionEvent::KickedOut, .. } }
            )
        });
        assert!(!kicked, "seed {seed}: three platforms, three sessions, nobody kicked out");
    }
}

#[test]
fn a_backend_s_message_reaches_the_online_app_and_the_locked_phone_once_each() {
    for (seed, trace) in run::builtin("backend-send", SEEDS) {
        let answers: Vec<u32> = trace
            .iter()
            .filter_map(|r| match &r.event {
                Event::BackendAnswer { answer } => Some(answer.as_ref().map_or(u32::MAX, |a| a.code)),
                _ => None,
            })
            .collect();
        assert_eq!(answers, [0, 0], "seed {seed}: both calls succeed");
        let shown = notifications(&trace);
        assert_eq!(
            shown,
            [("bob-phone", "Your order shipped".to_owned())],
            "seed {seed}: one push, to the offline phone"
        );
        assert_eq!(texts_on(&trace, "alice-phone"), ["Your order shipped", "Rate your order"], "seed {seed}");
        assert_eq!(texts_on(&trace, "bob-phone"), ["Your order shipped", "Rate your order"], "seed {seed}");
    }
}

#[test]
fn after_bob_deletes_the_app_and_dans_token_rotates_the_group_still_reaches_carol_and_dan_once_each() {
    use zimsim_reference::relay::PushResult;
    use zimsim_reference::server::UnbindReason;
    for (seed, trace) in run::builtin("dead-tokens", SEEDS) {
        // What each phone shows: bob's phone has no app, so nothing; carol every message; dan
        // the first (his old token still worked), not the second (it went to the token that
        // had just rotated), and the third once, after FCM's two failures.
        let on = |device: &str| notifications_on(&trace, device);
        assert_eq!(on("bob-phone"), Vec::<String>::new(), "seed {seed}");
        assert_eq!(on("carol-phone"), ["bob's phone is gone", "dan's token changed", "fcm is flaky"], "seed {seed}");
        assert_eq!(on("dan-phone"), ["bob's phone is gone", "fcm is flaky"], "seed {seed}");
        // Both dead PushIDs were unbound as dead, and nothing else was.
        let dead: Vec<&str> = trace
            .iter()
            .filter_map(|r| match &r.event {
                Event::Server { event: ServerEvent::Unbound { user, reason: UnbindReason::DeadToken, .. } } => {
                    Some(user.as_str())
                }
                _ => None,
            })
            .collect();
        assert_eq!(dead, ["bob", "dan"], "seed {seed}");
        // The relay retried FCM's two 503s and delivered: no push ended in a failure.
        let (mut retried, mut failed) = (0, 0);
        for r in &trace {
            match &r.event {
                Event::VendorCall { call } if call.attempt > 1 => retried += 1,
                Event::VendorOutcome { outcome } if matches!(outcome.result, PushResult::Rejected { .. }) => {
                    failed += 1
                }
                _ => {}
            }
        }
        assert_eq!((retried, failed), (2, 0), "seed {seed}");
    }
}

#[test]
fn each_android_phone_is_pushed_through_the_channel_its_maker_and_push_config_pick() {
    use zimsim_reference::pushid::{Environment, Vendor};
    use zimsim_reference::relay::PushResult;
    for (seed, trace) in run::builtin("android-vendors", SEEDS) {
        // What each locked phone shows, once each, and what its app reads when opened.
        let on = |device: &str| notifications_on(&trace, device);
        assert_eq!(on("bob-huawei"), ["hi bob", "hms had a bad second"], "seed {seed}");
        assert_eq!(texts_on(&trace, "bob-huawei"), ["hi bob", "hms had a bad second"], "seed {seed}");
        for user in ["carol", "dan", "erin", "frank"] {
            let device = trace.iter().find(|r| r.src.as_str().starts_with(user)).expect("a phone").src.as_str();
            assert_eq!(on(device), [format!("hi {user}")], "seed {seed}: {device}");
            assert_eq!(texts_on(&trace, device), [format!("hi {user}")], "seed {seed}: {device}");
        }
        assert_eq!(on("alice-phone"), Vec::<String>::new(), "seed {seed}");
        // The PushID each app was handed: the maker's channel when enabled, else FCM; in
        // the environment of the build.
        let registered: Vec<(&str, Vendor, Environment)> = trace
            .iter()
            .filter_map(|r| match &r.event {
                Event::App { event: AppEvent::Registered { push_id: Some(p), .. } } if r.t.0 < 10_000 => {
                    Some((r.src.as_str(), p.vendor, p.env))
                }
                _ => None,
            })
            .filter(|(d, ..)| *d != "alice-phone")
            .collect();
        let mut registered = registered;
        registered.sort();
        assert_eq!(
            registered,
            [
                ("bob-huawei", Vendor::Hms, Environment::Production),
                ("carol-xiaomi", Vendor::Fcm, Environment::Development),
                ("dan-oppo", Vendor::Oppo, Environment::Production),
                ("erin-vivo", Vendor::Vivo, Environment::Development),
                ("frank-pixel", Vendor::Fcm, Environment::Production),
            ],
            "seed {seed}"
        );
        // The relay signed in once per vendor and environment that takes an access token
        // (FCM's OAuth, HMS, OPPO, vivo; APNs's provider token is minted, not fetched), retried
        // HMS's one 503, and no push failed.
        let auths: Vec<(Vendor, Environment, bool)> = trace
            .iter()
            .filter_map(|r| match &r.event {
                Event::RelayAuth { outcome } => Some((outcome.vendor, outcome.env, outcome.error.is_none())),
                _ => None,
            })
            .collect();
        let mut auths = auths;
        auths.sort();
        assert_eq!(
            auths,
            [
                (Vendor::Fcm, Environment::Development, true),
                (Vendor::Fcm, Environment::Production, true),
                (Vendor::Hms, Environment::Production, true),
                (Vendor::Oppo, Environment::Production, true),
                (Vendor::Vivo, Environment::Development, true),
            ],
            "seed {seed}"
        );
        let (mut retried, mut failed) = (0, 0);
        for r in &trace {
            match &r.event {
                Event::VendorCall { call } if call.attempt > 1 => retried += 1,
                Event::VendorOutcome { outcome } if outcome.result != PushResult::Accepted => failed += 1,
                _ => {}
            }
        }
        assert_eq!((retried, failed), (1, 0), "seed {seed}");
    }
}
