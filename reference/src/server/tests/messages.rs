//! Sends, sequences, sync and the limits on what a client sends.

use super::*;

#[test]
fn peer_sends_get_increasing_per_conversation_seqs_and_server_unique_ids() {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(0));
    login(&mut s, BOB, "bob", "bob-phone", None, Millis(0));
    login(&mut s, CAROL, "carol", "carol-phone", None, Millis(0));

    send(&mut s, ALICE, 10, "bob", "one", None, Millis(100));
    let out = drain(&mut s);
    let m1 = Message {
        id: MessageId(1),
        conv: ab(),
        seq: 1,
        from: "alice".into(),
        body: text_body("one"),
        sent_at: Millis(100),
        extended_data: String::new(),
    };
    assert_eq!(
        out,
        vec![
            event(ServerEvent::MessageAccepted {
                id: MessageId(1),
                conv: ab(),
                seq: 1,
                from: "alice".into(),
                to: vec!["bob".into()],
                push: false,
                stored: true,
                badge_increment: None,
            }),
            frame(ALICE, ServerFrame::SendOk { req: 10, message: m1.clone() }),
            frame(BOB, ServerFrame::Deliver { message: m1.clone() }),
        ]
    );

    // A reply in the same conversation continues its sequence.
    send(&mut s, BOB, 11, "alice", "two", None, Millis(200));
    let m2 = sent_message(&drain(&mut s), BOB);
    assert_eq!((m2.id, m2.seq, m2.conv.clone(), m2.from.clone()), (MessageId(2), 2, ab(), "bob".into()));

    // Another conversation starts at seq 1, but message IDs keep increasing server-wide.
    send(&mut s, ALICE, 12, "carol", "three", None, Millis(300));
    let out = drain(&mut s);
    let m3 = sent_message(&out, ALICE);
    assert_eq!((m3.id, m3.seq), (MessageId(3), 1));
    assert_eq!(frames_to(&out, CAROL), vec![ServerFrame::Deliver { message: m3.clone() }]);
    assert_eq!(frames_to(&out, BOB), vec![]);

    assert_eq!(s.conversation(&ab()), &[m1, m2][..]);
}

#[test]
fn a_send_to_a_user_who_never_logged_in_fails_with_6000204() {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(0));
    send(&mut s, ALICE, 3, "ghost", "hello?", Some(push_config()), Millis(1));
    let out = drain(&mut s);
    assert_eq!(error_code(&out, ALICE), (Some(3), 6_000_204));
    assert!(s.conversation(&ConvKey::peer(&"alice".into(), &"ghost".into())).is_empty());
}

#[test]
fn empty_and_oversized_texts_are_rejected_with_6000001() {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(0));
    login(&mut s, BOB, "bob", "bob-phone", None, Millis(0));
    send(&mut s, ALICE, 2, "bob", "", None, Millis(1));
    assert_eq!(error_code(&drain(&mut s), ALICE), (Some(2), 6_000_001));
    let max = s.config().max_text_bytes;
    send(&mut s, ALICE, 3, "bob", &"x".repeat(max + 1), None, Millis(1));
    assert_eq!(error_code(&drain(&mut s), ALICE), (Some(3), 6_000_001));
    send(&mut s, ALICE, 4, "bob", &"x".repeat(max), None, Millis(1));
    assert_eq!(sent_message(&drain(&mut s), ALICE).seq, 1);
}
#[test]
fn sync_returns_messages_after_the_cursors_and_pages_at_the_limit() {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(0));
    login(&mut s, BOB, "bob", "bob-phone", None, Millis(0));
    login(&mut s, CAROL, "carol", "carol-phone", None, Millis(0));
    for (i, text) in ["a1", "a2", "a3"].into_iter().enumerate() {
        send(&mut s, ALICE, i as u64 + 1, "bob", text, None, Millis(1));
    }
    send(&mut s, CAROL, 9, "bob", "c1", None, Millis(2));
    drain(&mut s);
    let bc = ConvKey::peer(&"bob".into(), &"carol".into());
    let ab_log = s.conversation(&ab()).to_vec();
    let bc_log = s.conversation(&bc).to_vec();
    assert_eq!((ab_log.len(), bc_log.len()), (3, 1));

    fn sync(s: &mut ZimServer, req: u64, cursors: Vec<Cursor>, limit: u32) -> Vec<ServerOutput> {
        s.on_frame(BOB, ClientFrame::Sync { req, cursors, limit }, Millis(3));
        drain(s)
    }

    // From nothing, two at a time: the first page fills from the first conversation.
    let out = sync(&mut s, 20, vec![], 2);
    assert_eq!(out, vec![frame(BOB, ServerFrame::SyncBatch { req: 20, messages: ab_log[..2].to_vec(), more: true })]);

    // Exactly filling the page with more left in a later conversation still says `more`.
    let out = sync(&mut s, 21, vec![Cursor { conv: ab(), seq: 1 }], 2);
    assert_eq!(out, vec![frame(BOB, ServerFrame::SyncBatch { req: 21, messages: ab_log[1..].to_vec(), more: true })]);

    // From the advanced cursor: the rest of one conversation and all of the next.
    let out = sync(&mut s, 22, vec![Cursor { conv: ab(), seq: 2 }], 2);
    let expected = vec![ab_log[2].clone(), bc_log[0].clone()];
    assert_eq!(out, vec![frame(BOB, ServerFrame::SyncBatch { req: 22, messages: expected, more: false })]);

    // Up to date everywhere.
    let out = sync(&mut s, 23, vec![Cursor { conv: ab(), seq: 3 }, Cursor { conv: bc.clone(), seq: 1 }], 50);
    assert_eq!(out, vec![frame(BOB, ServerFrame::SyncBatch { req: 23, messages: vec![], more: false })]);

    // Alice only sees her own conversation.
    s.on_frame(ALICE, ClientFrame::Sync { req: 24, cursors: vec![], limit: 50 }, Millis(3));
    assert_eq!(
        drain(&mut s),
        vec![frame(ALICE, ServerFrame::SyncBatch { req: 24, messages: ab_log.clone(), more: false })]
    );
}

#[test]
fn sync_pages_are_capped_by_max_sync_page_whatever_the_client_asks() {
    let mut s = ZimServer::new(ServerConfig { max_sync_page: 2, ..ServerConfig::default() });
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(0));
    login(&mut s, BOB, "bob", "bob-phone", None, Millis(0));
    for req in 1..=3 {
        send(&mut s, ALICE, req, "bob", "x", None, Millis(1));
    }
    drain(&mut s);
    s.on_frame(BOB, ClientFrame::Sync { req: 5, cursors: vec![], limit: 1_000 }, Millis(2));
    let out = drain(&mut s);
    assert_eq!(
        out,
        vec![frame(BOB, ServerFrame::SyncBatch { req: 5, messages: s.conversation(&ab())[..2].to_vec(), more: true })]
    );
}

#[test]
fn a_message_to_oneself_is_refused_with_6000001_and_not_stored() {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(0));
    send(&mut s, ALICE, 2, "alice", "note to self", None, Millis(1));
    assert_eq!(error_code(&drain(&mut s), ALICE), (Some(2), 6_000_001));
    assert!(s.conversation(&ConvKey::peer(&"alice".into(), &"alice".into())).is_empty());
}

#[test]
fn a_push_config_over_the_limit_is_refused_with_6000001_and_one_at_it_is_accepted() {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(0));
    login(&mut s, BOB, "bob", "bob-phone", None, Millis(0));
    let max = crate::wire::limits::PUSH_CONFIG_MAX_BYTES;
    let push = |n: usize| Some(PushConfig::new("t", "c".repeat(n - 1), ""));
    send(&mut s, ALICE, 2, "bob", "hi", push(max + 1), Millis(1));
    assert_eq!(error_code(&drain(&mut s), ALICE), (Some(2), 6_000_001));
    send(&mut s, ALICE, 3, "bob", "hi", push(max), Millis(1));
    assert_eq!(sent_message(&drain(&mut s), ALICE).seq, 1);
}

#[test]
fn an_oversized_frame_from_a_logged_in_client_gets_6000001_naming_the_request_and_keeps_the_connection() {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(0));
    s.on_frame_too_large(ALICE, Some(9), 2 << 20, Millis(1));
    let out = drain(&mut s);
    assert_eq!(error_code(&out, ALICE), (Some(9), 6_000_001));
    assert!(!out.contains(&ServerOutput::Close { conn: ALICE }));
    s.on_frame(ALICE, ClientFrame::Heartbeat, Millis(2));
    assert_eq!(frames_to(&drain(&mut s), ALICE), vec![ServerFrame::Pong]);
}

#[test]
fn an_oversized_frame_before_login_closes_the_connection() {
    let mut s = ZimServer::new(ServerConfig::default());
    s.on_connect(ALICE, Millis(0));
    s.on_frame_too_large(ALICE, None, 2 << 20, Millis(1));
    assert_eq!(drain(&mut s), vec![ServerOutput::Close { conn: ALICE }]);
}

#[test]
fn the_server_keeps_the_configuration_it_was_given() {
    let config = ServerConfig { max_text_bytes: 10, heartbeat_timeout_ms: 1_234, ..ServerConfig::default() };
    let s = ZimServer::new(config.clone());
    assert_eq!(s.config(), &config);
}
