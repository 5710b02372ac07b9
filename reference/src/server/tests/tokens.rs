//! Token expiry, warnings and renewal.

use super::*;

/// alice logged in at 0 with a token that expires at 100 s.
fn alice_with_a_token_until_100s() -> ZimServer {
    let mut s = ZimServer::new(ServerConfig::default());
    s.on_connect(ALICE, Millis(0));
    let token = token_for(&s, "alice", Millis(100_000));
    s.on_frame(ALICE, login_frame(1, "alice", token, "alice-phone", Some(apns_id("alice-token"))), Millis(0));
    drain(&mut s);
    s
}

/// Heartbeats from alice every 20 s in `from..to`, so presence never times out.
fn keep_alive(s: &mut ZimServer, from: u64, to: u64) {
    for t in (from..to).step_by(20_000) {
        s.on_frame(ALICE, ClientFrame::Heartbeat, Millis(t));
    }
    drain(s);
}

#[test]
fn a_session_is_warned_30_s_before_its_token_expires_and_then_ended_with_token_expired() {
    let mut s = alice_with_a_token_until_100s();
    keep_alive(&mut s, 20_000, 70_000);
    assert_eq!(s.poll_timeout(), Some(Millis(70_000)), "the warning is the next deadline");
    s.tick(Millis(70_000));
    assert_eq!(frames_to(&drain(&mut s), ALICE), vec![ServerFrame::TokenWillExpire { second: 30 }]);
    keep_alive(&mut s, 80_000, 100_000);
    assert_eq!(s.poll_timeout(), Some(Millis(100_000)));
    s.tick(Millis(100_000));
    let out = drain(&mut s);
    assert_eq!(
        out,
        vec![
            frame(ALICE, ServerFrame::TokenExpired),
            event(ServerEvent::SessionEnded {
                user: "alice".into(),
                device: "alice-phone".into(),
                reason: SessionEnd::TokenExpired
            }),
            ServerOutput::Close { conn: ALICE },
        ]
    );
    assert!(!s.is_online(&"alice".into()));
    assert_eq!(s.binding(&apns_id("alice-token")), Some(&"alice".into()), "she did not log out: still pushed");
}

#[test]
fn a_renewed_token_moves_the_expiry_and_rearms_the_warning() {
    let mut s = alice_with_a_token_until_100s();
    keep_alive(&mut s, 20_000, 70_000);
    s.tick(Millis(70_000));
    drain(&mut s);
    let fresh = token_for(&s, "alice", Millis(500_000));
    s.on_frame(ALICE, ClientFrame::RenewToken { req: 5, token: fresh }, Millis(80_000));
    assert_eq!(frames_to(&drain(&mut s), ALICE), vec![ServerFrame::RenewTokenOk { req: 5 }]);
    keep_alive(&mut s, 80_000, 100_001);
    s.tick(Millis(100_000));
    assert_eq!(drain(&mut s), vec![], "the old expiry passes unnoticed");
    assert!(s.is_online(&"alice".into()));
    let timeout = s.config().heartbeat_timeout_ms;
    assert_eq!(s.poll_timeout(), Some(Millis(100_000 + timeout)), "presence, then the warning at 470 s");
}

#[test]
fn a_renewal_with_someone_elses_expired_or_garbage_token_is_refused_with_its_code() {
    let mut s = alice_with_a_token_until_100s();
    let cases = [
        (token_for(&s, "bob", Millis(500_000)), 6_000_103),
        (token_for(&s, "alice", Millis(10_000)), 6_000_106),
        ("not a token".to_owned(), 6_000_103),
        (format!("03{}", &token_for(&s, "alice", Millis(500_000))[2..]), 6_000_107),
    ];
    for (i, (token, code)) in cases.into_iter().enumerate() {
        let req = 10 + i as u64;
        s.on_frame(ALICE, ClientFrame::RenewToken { req, token }, Millis(20_000));
        assert_eq!(error_code(&drain(&mut s), ALICE), (Some(req), code));
    }
    keep_alive(&mut s, 40_000, 100_000);
    s.tick(Millis(100_000));
    assert!(!s.is_online(&"alice".into()), "no refused renewal extended the session");
}

#[test]
fn a_login_with_a_token_of_another_version_is_refused_with_6000107() {
    let mut s = ZimServer::new(ServerConfig::default());
    s.on_connect(ALICE, Millis(0));
    let other = format!("05{}", &token_for(&s, "alice", Millis(60_000))[2..]);
    s.on_frame(ALICE, login_frame(3, "alice", other, "alice-phone", None), Millis(0));
    assert_eq!(error_code(&drain(&mut s), ALICE), (Some(3), 6_000_107));
}

#[test]
fn a_token_expiring_within_the_warning_is_warned_at_once() {
    let mut s = ZimServer::new(ServerConfig::default());
    s.on_connect(ALICE, Millis(0));
    let token = token_for(&s, "alice", Millis(20_000));
    s.on_frame(ALICE, login_frame(1, "alice", token, "alice-phone", None), Millis(0));
    drain(&mut s);
    assert_eq!(s.poll_timeout(), Some(Millis(0)));
    s.tick(Millis(0));
    assert_eq!(frames_to(&drain(&mut s), ALICE), vec![ServerFrame::TokenWillExpire { second: 20 }]);
}
