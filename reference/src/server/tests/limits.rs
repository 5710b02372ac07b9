//! Message types and the documented limits on what a client sends.

use super::*;
use crate::wire::limits;

fn alice_and_bob() -> ZimServer {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(0));
    login(&mut s, BOB, "bob", "bob-phone", Some(apns_id("bob-token")), Millis(0));
    s
}

fn with_body(body: MessageBody) -> Outgoing {
    Outgoing { body, ..Outgoing::text("bob", "x", Some(push_config())) }
}

#[test]
fn a_command_message_is_delivered_online_but_never_stored_synced_or_pushed() {
    let mut s = alice_and_bob();
    let out = send_message(&mut s, ALICE, 1, with_body(MessageBody::Command { data: "typing".into() }), Millis(10));
    let m = sent_message(&out, ALICE);
    assert_eq!(m.seq, 0);
    assert_eq!(frames_to(&out, BOB), vec![ServerFrame::Deliver { message: m.clone() }]);
    assert!(s.conversation(&ab()).is_empty());
    // bob goes offline: a command for him is dropped, never pushed.
    s.on_disconnect(BOB, Millis(20));
    s.on_frame(ALICE, ClientFrame::Heartbeat, Millis(20_000));
    s.tick(Millis(30_020));
    drain(&mut s);
    let out = send_message(&mut s, ALICE, 2, with_body(MessageBody::Command { data: "ping".into() }), Millis(30_100));
    assert_eq!(pushes(&out), vec![]);
}

#[test]
fn a_custom_message_is_stored_like_text() {
    let mut s = alice_and_bob();
    let body = MessageBody::Custom { message: "{\"card\":1}".into(), sub_type: 7, searched_content: "card".into() };
    let out = send_message(&mut s, ALICE, 1, with_body(body.clone()), Millis(10));
    assert_eq!(sent_message(&out, ALICE).seq, 1);
    assert_eq!(s.conversation(&ab())[0].body, body);
}

#[test]
fn each_limit_is_allowed_at_its_edge_and_refused_with_6000001_past_it() {
    let mut s = alice_and_bob();
    let custom = |sub_type, searched: usize| MessageBody::Custom {
        message: "m".into(),
        sub_type,
        searched_content: "s".repeat(searched),
    };
    let cases: Vec<(Outgoing, Outgoing)> = vec![
        (
            with_body(MessageBody::Command { data: "c".repeat(limits::COMMAND_MAX_BYTES) }),
            with_body(MessageBody::Command { data: "c".repeat(limits::COMMAND_MAX_BYTES + 1) }),
        ),
        (with_body(custom(200, 64)), with_body(custom(201, 0))),
        (with_body(custom(0, 64)), with_body(custom(0, 65))),
        (
            Outgoing { extended_data: "e".repeat(1024), ..Outgoing::text("bob", "x", None) },
            Outgoing { extended_data: "e".repeat(1025), ..Outgoing::text("bob", "x", None) },
        ),
        (
            Outgoing { priority: 3, ..Outgoing::text("bob", "x", None) },
            Outgoing { priority: 4, ..Outgoing::text("bob", "x", None) },
        ),
        (
            Outgoing { priority: 1, ..Outgoing::text("bob", "x", None) },
            Outgoing { priority: 0, ..Outgoing::text("bob", "x", None) },
        ),
    ];
    let mut req = 0;
    let mut now = 10;
    for (ok, bad) in cases {
        req += 2;
        now += 1_000; // stay within the sends-per-second limit
        let out = send_message(&mut s, ALICE, req, ok.clone(), Millis(now));
        assert!(frames_to(&out, ALICE).iter().any(|f| matches!(f, ServerFrame::SendOk { .. })), "{ok:?}: {out:?}");
        let out = send_message(&mut s, ALICE, req + 1, bad.clone(), Millis(now));
        assert_eq!(error_code(&out, ALICE), (Some(req + 1), 6_000_001), "{bad:?}");
    }
}

#[test]
fn an_eleventh_send_within_a_second_is_refused_with_6000005_and_the_next_second_is_free() {
    let mut s = alice_and_bob();
    for i in 0..10 {
        let out = send_message(&mut s, ALICE, i, Outgoing::text("bob", "x", None), Millis(1_000 + i * 50));
        assert_eq!(sent_message(&out, ALICE).seq, i + 1);
    }
    let out = send_message(&mut s, ALICE, 10, Outgoing::text("bob", "x", None), Millis(1_999));
    assert_eq!(error_code(&out, ALICE), (Some(10), 6_000_005));
    let out = send_message(&mut s, ALICE, 11, Outgoing::text("bob", "x", None), Millis(2_000));
    assert_eq!(sent_message(&out, ALICE).seq, 11, "the first send of the window has aged out");
    assert_eq!(s.conversation(&ab()).len(), 11, "the refused one was not stored");
}

#[test]
fn invalid_conversation_ids_are_refused_with_6000001() {
    let mut s = alice_and_bob();
    for (req, m) in [
        (1, Outgoing::text("bad user", "x", None)),
        (2, to_group("#", "x", None)),
        (3, to_group(&"g".repeat(33), "x", None)),
        (4, to_room("", "x", None)),
    ] {
        let out = send_message(&mut s, ALICE, req, m, Millis(10 + req * 200));
        assert_eq!(error_code(&out, ALICE), (Some(req), 6_000_001), "request {req}");
    }
}
