//! Rooms: online only, never stored, never pushed.

use super::*;

/// alice and bob online, both in room "lobby"; carol online, outside.
fn lobby() -> ZimServer {
    let mut s = ZimServer::new(ServerConfig::default());
    for (conn, user) in [(ALICE, "alice"), (BOB, "bob"), (CAROL, "carol")] {
        login(&mut s, conn, user, &format!("{user}-phone"), Some(apns_id(&format!("{user}-token"))), Millis(0));
    }
    for (conn, req) in [(ALICE, 5), (BOB, 6)] {
        s.on_frame(conn, ClientFrame::EnterRoom { req, room_id: "lobby".into() }, Millis(10));
        let out = drain(&mut s);
        assert_eq!(frames_to(&out, conn), vec![ServerFrame::RoomOk { req, room_id: "lobby".into() }]);
    }
    s
}

#[test]
fn a_room_message_reaches_the_members_online_is_not_stored_and_is_never_pushed() {
    let mut s = lobby();
    let out = send_message(&mut s, ALICE, 1, to_room("lobby", "hi room", Some(push_config())), Millis(20));
    let m = sent_message(&out, ALICE);
    assert_eq!((m.seq, m.conv.clone()), (0, ConvKey::Room { id: "lobby".into() }));
    assert_eq!(frames_to(&out, BOB), vec![ServerFrame::Deliver { message: m.clone() }]);
    assert!(frames_to(&out, CAROL).is_empty(), "carol is not in the room");
    assert!(events(&out).iter().any(|e| matches!(e, ServerEvent::MessageAccepted { push: false, stored: false, .. })));
    assert!(s.conversation(&m.conv).is_empty());
    // bob's connection dies and his session times out unacked: still no push.
    s.on_disconnect(BOB, Millis(30));
    s.on_frame(ALICE, ClientFrame::Heartbeat, Millis(20_000));
    s.tick(Millis(30_030));
    assert_eq!(pushes(&drain(&mut s)), vec![]);
}

#[test]
fn a_session_that_ends_leaves_its_rooms() {
    let mut s = lobby();
    s.on_disconnect(BOB, Millis(30));
    s.on_frame(ALICE, ClientFrame::Heartbeat, Millis(20_000));
    s.tick(Millis(30_030));
    drain(&mut s);
    login(&mut s, ConnId(9), "bob", "bob-phone", None, Millis(31_000));
    let out = send_message(&mut s, ALICE, 1, to_room("lobby", "anyone?", None), Millis(31_100));
    assert!(frames_to(&out, ConnId(9)).is_empty(), "bob's new session is not in the room");
    let out = send_message(&mut s, ConnId(9), 2, to_room("lobby", "let me in", None), Millis(31_200));
    assert_eq!(error_code(&out, ConnId(9)), (Some(2), 6_000_321));
}

#[test]
fn sends_and_leaves_outside_a_room_get_their_codes() {
    let mut s = lobby();
    let out = send_message(&mut s, CAROL, 1, to_room("lobby", "hi", None), Millis(20));
    assert_eq!(error_code(&out, CAROL), (Some(1), 6_000_321));
    let out = send_message(&mut s, CAROL, 2, to_room("attic", "hi", None), Millis(20));
    assert_eq!(error_code(&out, CAROL), (Some(2), 6_000_322));
    s.on_frame(CAROL, ClientFrame::LeaveRoom { req: 3, room_id: "lobby".into() }, Millis(20));
    assert_eq!(error_code(&drain(&mut s), CAROL), (Some(3), 6_000_321));
    s.on_frame(CAROL, ClientFrame::EnterRoom { req: 4, room_id: "r".repeat(129).as_str().into() }, Millis(20));
    assert_eq!(error_code(&drain(&mut s), CAROL), (Some(4), 6_000_001));
}

#[test]
fn a_restart_empties_every_room() {
    let mut s = lobby();
    s.handle(Millis(100), ServerInput::Restart);
    drain(&mut s);
    login(&mut s, ConnId(9), "alice", "alice-phone", None, Millis(200));
    let out = send_message(&mut s, ConnId(9), 1, to_room("lobby", "hello?", None), Millis(300));
    assert_eq!(error_code(&out, ConnId(9)), (Some(1), 6_000_322));
}
