//! Presence, kick-out, resume, user switches on one install, and the presence index.

use super::*;

#[test]
fn heartbeats_keep_a_session_alive_past_the_timeout() {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(0));
    s.on_frame(ALICE, ClientFrame::Heartbeat, Millis(20_000));
    assert_eq!(drain(&mut s), vec![frame(ALICE, ServerFrame::Pong)]);
    s.tick(Millis(30_000));
    assert_eq!(drain(&mut s), vec![]);
    assert!(s.is_online(&"alice".into()));
    s.tick(Millis(50_000));
    assert_eq!(
        drain(&mut s),
        vec![
            event(ServerEvent::SessionEnded {
                user: "alice".into(),
                device: "alice-phone".into(),
                reason: SessionEnd::Timeout
            }),
            ServerOutput::Close { conn: ALICE },
        ]
    );
    assert!(!s.is_online(&"alice".into()));
    // A frame racing the close of the timed-out connection does not revive anything.
    s.on_frame(ALICE, ClientFrame::Heartbeat, Millis(50_001));
    assert_eq!(drain(&mut s), vec![]);
    assert!(!s.is_online(&"alice".into()));
}

#[test]
fn a_login_from_another_device_kicks_the_first_session_out() {
    let mut s = ZimServer::new(ServerConfig::default());
    let p = apns_id("phone-token");
    login(&mut s, ConnId(1), "bob", "bob-phone", Some(p.clone()), Millis(0));
    let out = login(&mut s, ConnId(2), "bob", "tablet", None, Millis(5));
    assert_eq!(
        out,
        vec![
            frame(ConnId(1), ServerFrame::KickedOut),
            ServerOutput::Close { conn: ConnId(1) },
            event(ServerEvent::Unbound { user: "bob".into(), push_id: p.clone(), reason: UnbindReason::KickedOut }),
            event(ServerEvent::SessionEnded {
                user: "bob".into(),
                device: "bob-phone".into(),
                reason: SessionEnd::KickedOut
            }),
            event(ServerEvent::SessionOpened {
                user: "bob".into(),
                device: "tablet".into(),
                platform: Platform::Ios,
                conn: ConnId(2)
            }),
            frame(ConnId(2), ServerFrame::LoginOk { req: 1 }),
        ]
    );
    assert_eq!(s.binding(&p), None);
    // The kicked connection is closed for good: whatever still arrives on it is ignored.
    s.on_frame(ConnId(1), ClientFrame::Heartbeat, Millis(6));
    assert_eq!(drain(&mut s), vec![]);
    // Its late close does not detach the new session.
    s.on_disconnect(ConnId(1), Millis(7));
    s.on_frame(ConnId(2), ClientFrame::Heartbeat, Millis(8));
    assert_eq!(drain(&mut s), vec![frame(ConnId(2), ServerFrame::Pong)]);
}

#[test]
fn a_relogin_from_the_same_device_resumes_without_a_kick() {
    let mut s = ZimServer::new(ServerConfig::default());
    let p = apns_id("phone-token");
    login(&mut s, ConnId(1), "bob", "bob-phone", Some(p.clone()), Millis(0));
    let out = login(&mut s, ConnId(2), "bob", "bob-phone", Some(p.clone()), Millis(5));
    assert_eq!(
        out,
        vec![
            ServerOutput::Close { conn: ConnId(1) },
            event(ServerEvent::SessionEnded {
                user: "bob".into(),
                device: "bob-phone".into(),
                reason: SessionEnd::Resumed
            }),
            event(ServerEvent::SessionOpened {
                user: "bob".into(),
                device: "bob-phone".into(),
                platform: Platform::Ios,
                conn: ConnId(2)
            }),
            frame(ConnId(2), ServerFrame::LoginOk { req: 1 }),
        ]
    );
    assert_eq!(s.binding(&p), Some(&"bob".into()), "the same PushID stays bound");
}

#[test]
fn a_relogin_from_the_same_device_with_a_new_push_id_replaces_the_old_binding() {
    let mut s = ZimServer::new(ServerConfig::default());
    let (old, new) = (apns_id("old"), apns_id("new"));
    login(&mut s, ConnId(1), "bob", "bob-phone", Some(old.clone()), Millis(0));
    let out = login(&mut s, ConnId(2), "bob", "bob-phone", Some(new.clone()), Millis(5));
    assert_eq!(
        out,
        vec![
            ServerOutput::Close { conn: ConnId(1) },
            event(ServerEvent::SessionEnded {
                user: "bob".into(),
                device: "bob-phone".into(),
                reason: SessionEnd::Resumed
            }),
            event(ServerEvent::SessionOpened {
                user: "bob".into(),
                device: "bob-phone".into(),
                platform: Platform::Ios,
                conn: ConnId(2)
            }),
            event(ServerEvent::Unbound { user: "bob".into(), push_id: old.clone(), reason: UnbindReason::Replaced }),
            event(ServerEvent::Bound { user: "bob".into(), push_id: new.clone() }),
            frame(ConnId(2), ServerFrame::LoginOk { req: 1 }),
        ]
    );
    assert_eq!((s.binding(&old), s.binding(&new)), (None, Some(&"bob".into())));
}

#[test]
fn a_push_id_bound_to_a_second_user_is_taken_from_the_first() {
    let mut s = ZimServer::new(ServerConfig::default());
    let p = apns_id("shared-install");
    login(&mut s, ConnId(1), "alice", "alice-phone", Some(p.clone()), Millis(0));
    let out = login(&mut s, ConnId(2), "bob", "bob-phone", Some(p.clone()), Millis(5));
    assert_eq!(
        out,
        vec![
            event(ServerEvent::SessionOpened {
                user: "bob".into(),
                device: "bob-phone".into(),
                platform: Platform::Ios,
                conn: ConnId(2)
            }),
            event(ServerEvent::Unbound { user: "alice".into(), push_id: p.clone(), reason: UnbindReason::UserSwitch }),
            event(ServerEvent::Bound { user: "bob".into(), push_id: p.clone() }),
            frame(ConnId(2), ServerFrame::LoginOk { req: 1 }),
        ]
    );
    assert_eq!(s.binding(&p), Some(&"bob".into()));

    // Alice's later logout must not take the PushID from its new owner.
    s.on_frame(ConnId(1), ClientFrame::Logout { req: 2 }, Millis(6));
    let out = drain(&mut s);
    assert!(!out.iter().any(|o| matches!(o, ServerOutput::Event(ServerEvent::Unbound { .. }))), "{out:?}");
    assert_eq!(s.binding(&p), Some(&"bob".into()));

    // Offline pushes for Alice no longer reach the shared install.
    login(&mut s, ConnId(3), "carol", "pc", Some(apns_id("carol-token")), Millis(8));
    send(&mut s, ConnId(3), 2, "alice", "hi alice", Some(push_config()), Millis(9));
    assert_eq!(pushes(&drain(&mut s)), vec![]);
}

#[test]
fn next_deadline_is_the_earliest_last_frame_plus_the_heartbeat_timeout() {
    let mut s = ZimServer::new(ServerConfig::default());
    assert_eq!(s.poll_timeout(), None);
    login(&mut s, BOB, "bob", "bob-phone", None, Millis(1_000));
    assert_eq!(s.poll_timeout(), Some(Millis(31_000)));
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(5_000));
    assert_eq!(s.poll_timeout(), Some(Millis(31_000)));
    s.on_frame(BOB, ClientFrame::Heartbeat, Millis(10_000));
    assert_eq!(s.poll_timeout(), Some(Millis(35_000)), "alice is now first");
    s.tick(Millis(35_000));
    assert_eq!(s.poll_timeout(), Some(Millis(40_000)), "only bob left");
    s.tick(Millis(40_000));
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn a_login_from_another_device_unbinds_the_old_device_even_after_its_session_timed_out() {
    let mut s = ZimServer::new(ServerConfig::default());
    let phone = apns_id("phone-token");
    login(&mut s, ConnId(1), "bob", "bob-phone", Some(phone.clone()), Millis(0));
    s.on_disconnect(ConnId(1), Millis(1));
    s.tick(Millis(40_000)); // the phone's session times out; its binding stays for push
    drain(&mut s);
    assert_eq!(s.binding(&phone), Some(&"bob".into()));
    let out = login(&mut s, ConnId(2), "bob", "tablet", Some(apns_id("tablet-token")), Millis(40_001));
    assert!(
        out.contains(&event(ServerEvent::Unbound {
            user: "bob".into(),
            push_id: phone.clone(),
            reason: UnbindReason::KickedOut
        })),
        "{out:?}"
    );
    assert_eq!(s.binding(&phone), None, "single-device: only the tablet gets bob's pushes now");
}

#[test]
fn a_resumed_session_keeps_what_the_old_one_had_not_acked_until_it_is_synced() {
    let (mut s, _) = bob_timed_out_with_binding();
    // bob is back on his phone; alice writes; his connection dies before he acks.
    login(&mut s, ConnId(5), "bob", "bob-phone", None, Millis(100_000));
    send(&mut s, ALICE, 20, "bob", "hi", Some(push_config()), Millis(100_001));
    s.on_disconnect(ConnId(5), Millis(100_002));
    drain(&mut s);
    // A relaunch resumes the session, and dies again before syncing.
    login(&mut s, ConnId(6), "bob", "bob-phone", None, Millis(100_003));
    s.on_disconnect(ConnId(6), Millis(100_004));
    s.tick(Millis(200_000));
    let out = drain(&mut s);
    assert_eq!(pushes(&out).len(), 1, "the unacked message is still pushed at timeout: {out:?}");
}

/// alice used "shared-phone" with PushID `p`; her app died and her session timed out, so
/// the binding stays for offline push. Returns the server at 40 s.
fn alice_timed_out_on_the_shared_phone() -> (ZimServer, PushId) {
    let mut s = ZimServer::new(ServerConfig::default());
    let p = apns_id("shared-phone-token");
    login(&mut s, ConnId(1), "alice", "shared-phone", Some(p.clone()), Millis(0));
    s.on_disconnect(ConnId(1), Millis(1));
    s.tick(Millis(40_000));
    login(&mut s, BOB, "bob", "bob-phone", None, Millis(40_000));
    drain(&mut s);
    assert_eq!(s.binding(&p), Some(&"alice".into()));
    (s, p)
}

#[test]
fn a_login_without_a_push_id_from_an_install_unbinds_the_previous_users_push_id_there() {
    let (mut s, p) = alice_timed_out_on_the_shared_phone();
    let out = login(&mut s, ConnId(7), "carol", "shared-phone", None, Millis(40_001));
    assert_eq!(
        out,
        vec![
            event(ServerEvent::Unbound { user: "alice".into(), push_id: p.clone(), reason: UnbindReason::UserSwitch }),
            event(ServerEvent::SessionOpened {
                user: "carol".into(),
                device: "shared-phone".into(),
                platform: Platform::Ios,
                conn: ConnId(7)
            }),
            frame(ConnId(7), ServerFrame::LoginOk { req: 1 }),
        ]
    );
    // From the phone's side: bob's next message to alice is not pushed to carol's phone.
    send(&mut s, BOB, 3, "alice", "for alice only", Some(push_config()), Millis(40_002));
    let out = drain(&mut s);
    assert_eq!(sent_message(&out, BOB).seq, 1);
    assert_eq!(pushes(&out), vec![]);
}

#[test]
fn a_login_from_an_install_ends_another_users_live_session_there_before_opening_its_own() {
    let mut s = ZimServer::new(ServerConfig::default());
    let p = apns_id("shared-phone-token");
    login(&mut s, ConnId(1), "alice", "shared-phone", Some(p.clone()), Millis(0));
    login(&mut s, BOB, "bob", "bob-phone", None, Millis(0));
    // bob writes to alice while her old connection is still up but dead (never acked).
    send(&mut s, BOB, 2, "alice", "hi", Some(push_config()), Millis(10));
    drain(&mut s);
    let out = login(&mut s, ConnId(7), "carol", "shared-phone", None, Millis(20));
    assert_eq!(
        out,
        vec![
            event(ServerEvent::Unbound { user: "alice".into(), push_id: p.clone(), reason: UnbindReason::UserSwitch }),
            event(ServerEvent::SessionEnded {
                user: "alice".into(),
                device: "shared-phone".into(),
                reason: SessionEnd::UserSwitch
            }),
            ServerOutput::Close { conn: ConnId(1) },
            event(ServerEvent::SessionOpened {
                user: "carol".into(),
                device: "shared-phone".into(),
                platform: Platform::Ios,
                conn: ConnId(7)
            }),
            frame(ConnId(7), ServerFrame::LoginOk { req: 1 }),
        ],
        "alice's unacked message is not pushed to the phone carol now holds"
    );
    assert!(!s.is_online(&"alice".into()));
}

#[test]
fn a_server_that_trusts_the_app_to_log_out_keeps_the_previous_users_binding() {
    let (mut s, p) = alice_timed_out_on_the_shared_phone();
    s.config.one_user_per_install = false;
    login(&mut s, ConnId(7), "carol", "shared-phone", None, Millis(40_001));
    assert_eq!(s.binding(&p), Some(&"alice".into()));
    send(&mut s, BOB, 3, "alice", "leaks", Some(push_config()), Millis(40_002));
    let sent = pushes(&drain(&mut s));
    assert_eq!(sent.iter().map(|r| &r.push_id).collect::<Vec<_>>(), vec![&p], "the leak the reference policy closes");
}

#[test]
fn the_same_users_relogin_from_its_install_keeps_its_binding() {
    let (mut s, p) = alice_timed_out_on_the_shared_phone();
    let out = login(&mut s, ConnId(7), "alice", "shared-phone", Some(p.clone()), Millis(40_001));
    assert!(!out.iter().any(|o| matches!(o, ServerOutput::Event(ServerEvent::Unbound { .. }))), "{out:?}");
    assert!(!out.iter().any(|o| matches!(o, ServerOutput::Event(ServerEvent::Bound { .. }))), "already bound: {out:?}");
    assert_eq!(s.binding(&p), Some(&"alice".into()));
}

#[test]
fn the_presence_index_follows_every_frame_and_expires_exactly_the_silent_sessions() {
    // 20 users log in 100 ms apart; the even ones send a heartbeat at 20 s.
    let mut s = ZimServer::new(ServerConfig::default());
    let timeout = s.config().heartbeat_timeout_ms;
    for i in 0..20u64 {
        login(&mut s, ConnId(i + 1), &format!("u{i}"), &format!("d{i}"), None, Millis(i * 100));
    }
    assert_eq!(s.poll_timeout(), Some(Millis(timeout)), "u0's silence ends first");
    for i in (0..20u64).step_by(2) {
        s.on_frame(ConnId(i + 1), ClientFrame::Heartbeat, Millis(20_000));
    }
    drain(&mut s);
    assert_eq!(s.poll_timeout(), Some(Millis(100 + timeout)), "u1 is now the longest silent");
    s.tick(Millis(1_900 + timeout));
    let expired: Vec<String> = drain(&mut s)
        .into_iter()
        .filter_map(|o| match o {
            ServerOutput::Event(ServerEvent::SessionEnded { user, reason: SessionEnd::Timeout, .. }) => {
                Some(user.as_str().to_owned())
            }
            _ => None,
        })
        .collect();
    let odd: Vec<String> = (1..20).step_by(2).map(|i| format!("u{i}")).collect();
    assert_eq!(expired, odd, "the silent ones, longest silent first");
    assert_eq!(s.poll_timeout(), Some(Millis(20_000 + timeout)));
    assert!((0..20).step_by(2).all(|i| s.is_online(&UserId::new(format!("u{i}")))));
}
