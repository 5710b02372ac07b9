//! The multi-device login policy and custom offline-push rules: sessions per install,
//! pushes per install, and the platforms a rule silences.

use super::*;
use crate::wire::OfflinePushRule;

fn multi_device(max_devices: usize) -> ZimServer {
    ZimServer::new(ServerConfig { login_policy: LoginPolicy::MultiDevice { max_devices }, ..ServerConfig::default() })
}

/// Logs `user` in from `device` on `platform`, with a PushID named after the install.
fn login_on(s: &mut ZimServer, conn: ConnId, user: &str, device: &str, platform: Platform, now: Millis) -> PushId {
    let p = apns_id(&format!("{device}-token"));
    login_with(s, conn, user, device, platform, Some(p.clone()), now);
    drain(s);
    p
}

/// Opens `conn` and sends a login from `device` on `platform`, leaving the outputs queued.
fn login_with(
    s: &mut ZimServer,
    conn: ConnId,
    user: &str,
    device: &str,
    platform: Platform,
    push_id: Option<PushId>,
    now: Millis,
) {
    s.on_connect(conn, now);
    let token = token_for(s, user, Millis(u64::MAX));
    let frame = ClientFrame::Login { req: 1, user_id: user.into(), token, device_id: device.into(), platform, push_id };
    s.on_frame(conn, frame, now);
}

fn pushed_to(out: &[ServerOutput]) -> Vec<String> {
    pushes(out).iter().map(|p| p.push_id.token.to_string()).collect()
}

const PHONE: ConnId = ConnId(10);
const TABLET: ConnId = ConnId(11);
const WEB: ConnId = ConnId(12);

#[test]
fn sessions_on_different_platforms_go_on_side_by_side_and_each_gets_the_message() {
    let mut s = multi_device(10);
    login_on(&mut s, PHONE, "bob", "bob-phone", Platform::Ios, Millis(0));
    login_on(&mut s, TABLET, "bob", "bob-tablet", Platform::Android, Millis(10));
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(20));
    send(&mut s, ALICE, 2, "bob", "hi", Some(push_config()), Millis(30));
    let out = drain(&mut s);
    for conn in [PHONE, TABLET] {
        assert!(
            matches!(frames_to(&out, conn).as_slice(), [ServerFrame::Deliver { .. }]),
            "{conn:?} gets the message online"
        );
    }
    assert_eq!(pushed_to(&out), Vec::<String>::new(), "no install is offline");
}

#[test]
fn a_login_on_the_same_platform_from_another_install_kicks_only_that_session_out() {
    let mut s = multi_device(10);
    let phone = login_on(&mut s, PHONE, "bob", "bob-phone", Platform::Ios, Millis(0));
    let web = login_on(&mut s, WEB, "bob", "bob-web", Platform::Web, Millis(10));
    login_with(&mut s, TABLET, "bob", "bob-ipad", Platform::Ios, None, Millis(20));
    let out = drain(&mut s);
    assert_eq!(frames_to(&out, PHONE), vec![ServerFrame::KickedOut]);
    assert_eq!(frames_to(&out, WEB), vec![], "the web session goes on");
    assert_eq!(s.binding(&phone), None, "the kicked install's PushID is unbound");
    assert_eq!(s.binding(&web), Some(&"bob".into()));
}

#[test]
fn past_the_device_limit_the_longest_open_session_is_kicked_out() {
    let mut s = multi_device(2);
    let phone = login_on(&mut s, PHONE, "bob", "bob-phone", Platform::Ios, Millis(0));
    login_on(&mut s, TABLET, "bob", "bob-tablet", Platform::Android, Millis(10));
    login_with(&mut s, WEB, "bob", "bob-web", Platform::Web, None, Millis(20));
    let out = drain(&mut s);
    assert_eq!(frames_to(&out, PHONE), vec![ServerFrame::KickedOut], "the oldest session makes room");
    assert_eq!(frames_to(&out, TABLET), vec![]);
    assert_eq!(s.binding(&phone), None);
}

/// Bob's phone (iOS) and tablet (Android) time out; his web session stays.
fn bob_on_the_web_only(rule: Option<OfflinePushRule>) -> ZimServer {
    let mut s = multi_device(10);
    login_on(&mut s, PHONE, "bob", "bob-phone", Platform::Ios, Millis(0));
    login_on(&mut s, TABLET, "bob", "bob-tablet", Platform::Android, Millis(0));
    login_with(&mut s, WEB, "bob", "bob-web", Platform::Web, None, Millis(0));
    drain(&mut s);
    if let Some(rule) = rule {
        s.on_frame(WEB, ClientFrame::UpdateOfflinePushRule { req: 2, rule }, Millis(1));
        let out = drain(&mut s);
        assert_eq!(frames_to(&out, WEB), vec![ServerFrame::SettingOk { req: 2 }]);
        for other in [PHONE, TABLET] {
            assert!(matches!(frames_to(&out, other).as_slice(), [ServerFrame::UserRuleUpdated { .. }]));
        }
    }
    s.on_frame(WEB, ClientFrame::Heartbeat, Millis(20_000));
    s.tick(Millis(30_000));
    drain(&mut s);
    assert!(s.is_online(&"bob".into()), "still online on the web");
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(30_000));
    s
}

#[test]
fn an_offline_install_is_pushed_while_the_user_is_online_on_another() {
    let mut s = bob_on_the_web_only(None);
    send(&mut s, ALICE, 2, "bob", "hi", Some(push_config()), Millis(31_000));
    let out = drain(&mut s);
    assert!(matches!(frames_to(&out, WEB).as_slice(), [ServerFrame::Deliver { .. }]));
    assert_eq!(pushed_to(&out), vec!["bob-phone-token", "bob-tablet-token"]);
}

#[test]
fn a_push_rule_silences_its_platforms_while_the_user_is_online_on_the_named_ones() {
    let rule = OfflinePushRule {
        online_platforms: vec![Platform::Web],
        not_to_receive_offline_push_platforms: vec![Platform::Ios],
    };
    let mut s = bob_on_the_web_only(Some(rule));
    send(&mut s, ALICE, 2, "bob", "hi", Some(push_config()), Millis(31_000));
    assert_eq!(pushed_to(&drain(&mut s)), vec!["bob-tablet-token"], "Android is not silenced");
    // Once the web session is over the rule no longer applies: the phone is pushed again.
    s.tick(Millis(50_000));
    drain(&mut s);
    assert!(!s.is_online(&"bob".into()));
    send(&mut s, ALICE, 3, "bob", "again", Some(push_config()), Millis(50_001));
    assert_eq!(pushed_to(&drain(&mut s)), vec!["bob-phone-token", "bob-tablet-token"]);
}

#[test]
fn an_empty_rule_removes_the_rule() {
    let rule = OfflinePushRule {
        online_platforms: vec![Platform::Web],
        not_to_receive_offline_push_platforms: vec![Platform::Ios],
    };
    let mut s = bob_on_the_web_only(Some(rule));
    s.on_frame(WEB, ClientFrame::UpdateOfflinePushRule { req: 3, rule: OfflinePushRule::default() }, Millis(30_500));
    drain(&mut s);
    send(&mut s, ALICE, 2, "bob", "hi", Some(push_config()), Millis(31_000));
    assert_eq!(pushed_to(&drain(&mut s)), vec!["bob-phone-token", "bob-tablet-token"]);
}

#[test]
fn an_unacked_message_is_pushed_at_timeout_to_that_install_only() {
    let mut s = multi_device(10);
    login_on(&mut s, PHONE, "bob", "bob-phone", Platform::Ios, Millis(0));
    login_on(&mut s, TABLET, "bob", "bob-tablet", Platform::Android, Millis(0));
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(0));
    send(&mut s, ALICE, 2, "bob", "hi", Some(push_config()), Millis(10));
    let out = drain(&mut s);
    let id = match frames_to(&out, TABLET).as_slice() {
        [ServerFrame::Deliver { message }] => message.id,
        other => panic!("expected a delivery, got {other:?}"),
    };
    s.on_frame(TABLET, ClientFrame::Ack { id }, Millis(20));
    for conn in [TABLET, ALICE] {
        s.on_frame(conn, ClientFrame::Heartbeat, Millis(20_000));
    }
    s.tick(Millis(30_000));
    assert_eq!(pushed_to(&drain(&mut s)), vec!["bob-phone-token"], "the tablet acked it and is online");
}

#[test]
fn room_membership_lasts_while_any_session_of_the_user_does() {
    let mut s = multi_device(10);
    login_on(&mut s, PHONE, "bob", "bob-phone", Platform::Ios, Millis(0));
    login_on(&mut s, TABLET, "bob", "bob-tablet", Platform::Android, Millis(0));
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(0));
    for (conn, who) in [(TABLET, 2), (ALICE, 3)] {
        s.on_frame(conn, ClientFrame::EnterRoom { req: who, room_id: "r0".into() }, Millis(5));
    }
    s.on_frame(PHONE, ClientFrame::Logout { req: 4 }, Millis(6));
    drain(&mut s);
    let out = send_message(&mut s, ALICE, 5, to_room("r0", "hi", None), Millis(10));
    assert!(matches!(frames_to(&out, TABLET).as_slice(), [ServerFrame::Deliver { .. }]), "still in the room");
}

#[test]
fn under_the_single_device_policy_a_push_rule_changes_nothing_visible() {
    // Only one session at a time: "online elsewhere" never holds for an offline install.
    let mut s = ZimServer::new(ServerConfig::default());
    let p = apns_id("bob-token");
    login(&mut s, BOB, "bob", "bob-phone", Some(p), Millis(0));
    let rule = OfflinePushRule {
        online_platforms: vec![Platform::Ios],
        not_to_receive_offline_push_platforms: vec![Platform::Ios],
    };
    s.on_frame(BOB, ClientFrame::UpdateOfflinePushRule { req: 2, rule }, Millis(1));
    s.tick(Millis(40_000));
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(40_000));
    send(&mut s, ALICE, 2, "bob", "hi", Some(push_config()), Millis(40_001));
    assert_eq!(pushed_to(&drain(&mut s)), vec!["bob-token"]);
}
