//! Login, binding and logout.

use super::*;

#[test]
fn login_with_a_valid_token_opens_a_session_and_answers_login_ok() {
    let mut s = ZimServer::new(ServerConfig::default());
    let out = login(&mut s, ALICE, "alice", "alice-phone", None, Millis(5));
    assert_eq!(
        out,
        vec![
            event(ServerEvent::SessionOpened {
                user: "alice".into(),
                device: "alice-phone".into(),
                platform: Platform::Ios,
                conn: ALICE
            }),
            frame(ALICE, ServerFrame::LoginOk { req: 1 }),
        ]
    );
    assert!(s.is_online(&"alice".into()));
}

#[test]
fn login_with_a_token_signed_by_another_secret_is_rejected_with_6000103() {
    let mut s = ZimServer::new(ServerConfig::default());
    s.on_connect(ALICE, Millis(0));
    let forged = token::mint("an-attacker-guessed-this-secret!", s.config().app_id, &"alice".into(), Millis(60_000));
    s.on_frame(ALICE, login_frame(4, "alice", forged, "alice-phone", None), Millis(0));
    let out = drain(&mut s);
    assert_eq!(error_code(&out, ALICE), (Some(4), 6_000_103));
    assert_eq!(out.len(), 1, "no session events for a rejected login: {out:?}");
    assert!(!s.is_online(&"alice".into()));
}

#[test]
fn login_with_an_expired_token_is_rejected_with_6000106() {
    let mut s = ZimServer::new(ServerConfig::default());
    s.on_connect(ALICE, Millis(0));
    let expired = token_for(&s, "alice", Millis(1_000));
    s.on_frame(ALICE, login_frame(2, "alice", expired, "alice-phone", None), Millis(1_000));
    let out = drain(&mut s);
    assert_eq!(error_code(&out, ALICE), (Some(2), 6_000_106));
    assert!(!s.is_online(&"alice".into()));
}

#[test]
fn login_with_an_invalid_user_id_is_rejected_with_6000001() {
    let mut s = ZimServer::new(ServerConfig::default());
    s.on_connect(ALICE, Millis(0));
    let token = token_for(&s, "has space", Millis(60_000));
    s.on_frame(ALICE, login_frame(3, "has space", token, "phone", None), Millis(0));
    let out = drain(&mut s);
    assert_eq!(error_code(&out, ALICE), (Some(3), 6_000_001));
    assert!(!s.is_online(&"has space".into()));
}

#[test]
fn frames_before_login_are_answered_with_6000121_echoing_the_request_id() {
    let mut s = ZimServer::new(ServerConfig::default());
    s.on_connect(ALICE, Millis(0));
    send(&mut s, ALICE, 7, "bob", "hi", None, Millis(0));
    assert_eq!(error_code(&drain(&mut s), ALICE), (Some(7), 6_000_121));
    s.on_frame(ALICE, ClientFrame::Sync { req: 8, cursors: vec![], limit: 10 }, Millis(0));
    assert_eq!(error_code(&drain(&mut s), ALICE), (Some(8), 6_000_121));
    s.on_frame(ALICE, ClientFrame::Heartbeat, Millis(0));
    assert_eq!(error_code(&drain(&mut s), ALICE), (None, 6_000_121));
    s.on_frame(ALICE, ClientFrame::Logout { req: 9 }, Millis(0));
    assert_eq!(error_code(&drain(&mut s), ALICE), (Some(9), 6_000_121));
}

#[test]
fn a_second_login_on_a_logged_in_connection_is_rejected_with_6000111() {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(0));
    let token = token_for(&s, "alice", Millis(60_000));
    s.on_frame(ALICE, login_frame(5, "alice", token, "alice-phone", None), Millis(1));
    assert_eq!(error_code(&drain(&mut s), ALICE), (Some(5), 6_000_111));
}

#[test]
fn frames_on_an_unknown_connection_are_ignored() {
    let mut s = ZimServer::new(ServerConfig::default());
    send(&mut s, ConnId(99), 1, "bob", "hi", None, Millis(0));
    assert_eq!(drain(&mut s), vec![]);
}

#[test]
fn login_with_a_push_id_binds_it_to_the_user_before_answering() {
    let mut s = ZimServer::new(ServerConfig::default());
    let p = apns_id("tok-a");
    let out = login(&mut s, ALICE, "alice", "alice-phone", Some(p.clone()), Millis(0));
    assert_eq!(
        out,
        vec![
            event(ServerEvent::SessionOpened {
                user: "alice".into(),
                device: "alice-phone".into(),
                platform: Platform::Ios,
                conn: ALICE
            }),
            event(ServerEvent::Bound { user: "alice".into(), push_id: p.clone() }),
            frame(ALICE, ServerFrame::LoginOk { req: 1 }),
        ]
    );
    assert_eq!(s.binding(&p), Some(&"alice".into()));
}

#[test]
fn bind_push_after_login_binds_and_answers_bind_ok() {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(0));
    let p = apns_id("tok-a");
    s.on_frame(ALICE, ClientFrame::BindPush { req: 2, push_id: p.clone() }, Millis(1));
    assert_eq!(
        drain(&mut s),
        vec![
            event(ServerEvent::Bound { user: "alice".into(), push_id: p.clone() }),
            frame(ALICE, ServerFrame::BindOk { req: 2 }),
        ]
    );
    assert_eq!(s.binding(&p), Some(&"alice".into()));
}

#[test]
fn binding_a_newer_push_id_from_the_same_session_replaces_the_old_one() {
    let mut s = ZimServer::new(ServerConfig::default());
    let (old, new) = (apns_id("old"), apns_id("new"));
    login(&mut s, ALICE, "alice", "alice-phone", Some(old.clone()), Millis(0));
    s.on_frame(ALICE, ClientFrame::BindPush { req: 2, push_id: new.clone() }, Millis(1));
    assert_eq!(
        drain(&mut s),
        vec![
            event(ServerEvent::Unbound { user: "alice".into(), push_id: old.clone(), reason: UnbindReason::Replaced }),
            event(ServerEvent::Bound { user: "alice".into(), push_id: new.clone() }),
            frame(ALICE, ServerFrame::BindOk { req: 2 }),
        ]
    );
    assert_eq!(s.binding(&old), None);
    assert_eq!(s.binding(&new), Some(&"alice".into()));
}

#[test]
fn logout_unbinds_the_push_id_then_acks_with_logout_ok() {
    let mut s = ZimServer::new(ServerConfig::default());
    let p = apns_id("tok-a");
    login(&mut s, ALICE, "alice", "alice-phone", Some(p.clone()), Millis(0));
    s.on_frame(ALICE, ClientFrame::Logout { req: 2 }, Millis(10));
    assert_eq!(
        drain(&mut s),
        vec![
            event(ServerEvent::Unbound { user: "alice".into(), push_id: p.clone(), reason: UnbindReason::Logout }),
            event(ServerEvent::SessionEnded {
                user: "alice".into(),
                device: "alice-phone".into(),
                reason: SessionEnd::Logout
            }),
            frame(ALICE, ServerFrame::LogoutOk { req: 2 }),
        ]
    );
    assert_eq!(s.binding(&p), None);
    assert!(!s.is_online(&"alice".into()));
    assert_eq!(s.poll_timeout(), None);
    // The connection is back to logged-out.
    s.on_frame(ALICE, ClientFrame::Heartbeat, Millis(11));
    assert_eq!(error_code(&drain(&mut s), ALICE), (None, 6_000_121));
}
