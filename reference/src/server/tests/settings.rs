//! Do-not-disturb and badges.

use super::*;
use crate::wire::NotificationStatus;

fn set_status(s: &mut ZimServer, conn: ConnId, req: u64, to: &str, status: NotificationStatus) -> Vec<ServerOutput> {
    s.on_frame(
        conn,
        ClientFrame::SetNotificationStatus { req, to: to.into(), conv_type: ConversationType::Peer, status },
        Millis(100),
    );
    drain(s)
}

/// Heartbeats from `conns` at `from` and `to`, so their sessions outlive the others'.
fn alive(s: &mut ZimServer, conns: &[ConnId], from: u64, to: u64) {
    for t in [from, to] {
        for &c in conns {
            s.on_frame(c, ClientFrame::Heartbeat, Millis(t));
        }
    }
    drain(s);
}

fn badged(increment: u32) -> Option<PushConfig> {
    Some(PushConfig { enable_badge: true, badge_increment: increment, ..push_config() })
}

#[test]
fn a_muted_conversation_is_not_pushed_until_it_is_unmuted_and_others_still_are() {
    let (mut s, p) = bob_timed_out_with_binding();
    login(&mut s, BOB, "bob", "bob-phone", Some(p.clone()), Millis(30_500));
    let out = set_status(&mut s, BOB, 7, "alice", NotificationStatus::DoNotDisturb);
    assert_eq!(frames_to(&out, BOB), vec![ServerFrame::SettingOk { req: 7 }]);
    s.on_disconnect(BOB, Millis(30_600));
    alive(&mut s, &[ALICE], 45_000, 60_000);
    s.tick(Millis(60_600));
    assert!(!s.is_online(&"bob".into()));
    drain(&mut s);
    send(&mut s, ALICE, 5, "bob", "muted", Some(push_config()), Millis(61_000));
    assert_eq!(pushes(&drain(&mut s)), vec![], "muted: stored, not pushed");
    login(&mut s, CAROL, "carol", "carol-phone", None, Millis(61_000));
    send(&mut s, CAROL, 2, "bob", "not muted", Some(push_config()), Millis(61_100));
    assert_eq!(pushes(&drain(&mut s)).len(), 1, "another chat is pushed");
    // bob unmutes (a new session) and leaves again: alice is pushed again.
    login(&mut s, ConnId(9), "bob", "bob-phone", Some(p), Millis(62_000));
    set_status(&mut s, ConnId(9), 8, "alice", NotificationStatus::Notify);
    s.on_disconnect(ConnId(9), Millis(62_100));
    alive(&mut s, &[ALICE, CAROL], 75_000, 90_000);
    s.tick(Millis(92_200));
    drain(&mut s);
    send(&mut s, ALICE, 6, "bob", "unmuted", Some(push_config()), Millis(93_000));
    assert_eq!(pushes(&drain(&mut s)).len(), 1);
    assert_eq!(s.conversation(&ab()).len(), 2, "the muted message was stored all along");
}

#[test]
fn badges_start_from_the_reported_count_and_grow_by_each_badge_push() {
    let (mut s, p) = bob_timed_out_with_binding();
    login(&mut s, BOB, "bob", "bob-phone", Some(p.clone()), Millis(30_500));
    s.on_frame(BOB, ClientFrame::SetBadge { req: 3, badge: 4 }, Millis(30_600));
    let out = drain(&mut s);
    assert!(events(&out).contains(&ServerEvent::BadgeSet { user: "bob".into(), push_id: p.clone(), badge: 4 }));
    s.on_disconnect(BOB, Millis(30_700));
    alive(&mut s, &[ALICE], 45_000, 60_000);
    s.tick(Millis(60_700));
    assert!(!s.is_online(&"bob".into()));
    drain(&mut s);
    let mut badges = Vec::new();
    for (req, push) in [(5, badged(2)), (6, Some(push_config())), (7, badged(1))] {
        send(&mut s, ALICE, req, "bob", "hi", push, Millis(61_000 + req * 200));
        badges.extend(pushes(&drain(&mut s)).into_iter().map(|r| r.badge));
    }
    assert_eq!(badges, vec![Some(6), None, Some(7)], "4 + 2, untouched, + 1");
}

#[test]
fn a_negative_badge_is_refused_with_6000001() {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, BOB, "bob", "bob-phone", Some(apns_id("t")), Millis(0));
    s.on_frame(BOB, ClientFrame::SetBadge { req: 3, badge: -1 }, Millis(1));
    assert_eq!(error_code(&drain(&mut s), BOB), (Some(3), 6_000_001));
}

#[test]
fn a_resources_id_over_32_characters_is_refused_with_6000001() {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(0));
    login(&mut s, BOB, "bob", "bob-phone", None, Millis(0));
    let push = |n: usize| Some(PushConfig { resources_id: "r".repeat(n), ..push_config() });
    send(&mut s, ALICE, 1, "bob", "hi", push(33), Millis(1));
    assert_eq!(error_code(&drain(&mut s), ALICE), (Some(1), 6_000_001));
    send(&mut s, ALICE, 2, "bob", "hi", push(32), Millis(2));
    assert_eq!(sent_message(&drain(&mut s), ALICE).seq, 1);
}
