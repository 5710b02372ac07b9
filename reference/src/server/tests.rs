//! Unit tests of the ZIM server core.

use super::*;
use crate::pushid::{Environment, Vendor};
use crate::token;
use crate::wire::{Cursor, MessageBody, Platform, PushBatch, PushConfig};

/// The inputs these tests feed, spelled as calls.
trait Drive {
    fn on_connect(&mut self, conn: ConnId, now: Millis);
    fn on_frame(&mut self, conn: ConnId, frame: ClientFrame, now: Millis);
    fn on_frame_too_large(&mut self, conn: ConnId, req: Option<u64>, len: usize, now: Millis);
    fn on_disconnect(&mut self, conn: ConnId, now: Millis);
    fn tick(&mut self, now: Millis);
}

impl Drive for ZimServer {
    fn on_connect(&mut self, conn: ConnId, now: Millis) {
        self.handle(now, ServerInput::Connected { conn });
    }
    fn on_frame(&mut self, conn: ConnId, frame: ClientFrame, now: Millis) {
        self.handle(now, ServerInput::Frame { conn, frame });
    }
    fn on_frame_too_large(&mut self, conn: ConnId, req: Option<u64>, len: usize, now: Millis) {
        self.handle(now, ServerInput::FrameTooLarge { conn, req, len });
    }
    fn on_disconnect(&mut self, conn: ConnId, now: Millis) {
        self.handle(now, ServerInput::Disconnected { conn });
    }
    fn tick(&mut self, now: Millis) {
        self.handle(now, ServerInput::Tick);
    }
}

const ALICE: ConnId = ConnId(1);
const BOB: ConnId = ConnId(2);
const CAROL: ConnId = ConnId(3);

/// Everything the server asked for. The relay accepts every hand-over at once (its own
/// tests live in `push.rs`), and the resulting `push_submitted` events are left out.
fn drain(s: &mut ZimServer) -> Vec<ServerOutput> {
    let mut all = Vec::new();
    while let Some(out) = s.poll_output() {
        match out {
            ServerOutput::Event(ServerEvent::PushSubmitted { .. }) => {}
            ServerOutput::Handover { id, .. } => {
                all.push(out);
                // An HTTP answer ends a hand-over whatever the time: any `now` will do.
                s.handle(Millis::ZERO, ServerInput::HandoverDone { id, status: Some(202) });
            }
            out => all.push(out),
        }
    }
    all
}

fn handover(out: &ServerOutput) -> Vec<PushRequest> {
    match out {
        ServerOutput::Handover { request, .. } => PushBatch::from_http(request).expect("a well-formed batch").pushes,
        _ => Vec::new(),
    }
}

fn token_for(s: &ZimServer, user: &str, expires: Millis) -> String {
    token::mint(&s.config().server_secret, s.config().app_id, &user.into(), expires)
}

fn login_frame(req: u64, user: &str, token: String, device: &str, push_id: Option<PushId>) -> ClientFrame {
    ClientFrame::Login { req, user_id: user.into(), token, device_id: device.into(), platform: Platform::Ios, push_id }
}

/// Opens `conn` and logs `user` in on it from `device`, returning what the server said.
fn login(
    s: &mut ZimServer,
    conn: ConnId,
    user: &str,
    device: &str,
    push_id: Option<PushId>,
    now: Millis,
) -> Vec<ServerOutput> {
    s.on_connect(conn, now);
    let token = token_for(s, user, Millis(u64::MAX));
    s.on_frame(conn, login_frame(1, user, token, device, push_id), now);
    drain(s)
}

fn send(s: &mut ZimServer, conn: ConnId, req: u64, to: &str, text: &str, push: Option<PushConfig>, now: Millis) {
    s.on_frame(conn, ClientFrame::Send { req, to: to.into(), body: text_body(text), push }, now);
}

fn text_body(text: &str) -> MessageBody {
    MessageBody::Text { text: text.into() }
}

fn apns_id(token: &str) -> PushId {
    PushId::new(Vendor::Apns, Environment::Production, token)
}

fn push_config() -> PushConfig {
    PushConfig { title: "Alice".into(), content: "hello".into(), payload: "{\"k\":1}".into() }
}

fn frame(conn: ConnId, frame: ServerFrame) -> ServerOutput {
    ServerOutput::Frame { conn, frame }
}

fn event(e: ServerEvent) -> ServerOutput {
    ServerOutput::Event(e)
}

fn frames_to(out: &[ServerOutput], conn: ConnId) -> Vec<ServerFrame> {
    out.iter()
        .filter_map(|o| match o {
            ServerOutput::Frame { conn: c, frame } if *c == conn => Some(frame.clone()),
            _ => None,
        })
        .collect()
}

fn pushes(out: &[ServerOutput]) -> Vec<PushRequest> {
    out.iter().flat_map(handover).collect()
}

fn sent_message(out: &[ServerOutput], conn: ConnId) -> Message {
    frames_to(out, conn)
        .into_iter()
        .find_map(|f| match f {
            ServerFrame::SendOk { message, .. } => Some(message),
            _ => None,
        })
        .expect("a SendOk for the sender")
}

fn error_code(out: &[ServerOutput], conn: ConnId) -> (Option<u64>, u32) {
    match frames_to(out, conn).as_slice() {
        [ServerFrame::Error { req, code, .. }] => (*req, code.code()),
        other => panic!("expected exactly one error frame, got {other:?}"),
    }
}

fn ab() -> ConvKey {
    ConvKey::peer(&"alice".into(), &"bob".into())
}

#[test]
fn login_with_a_valid_token_opens_a_session_and_answers_login_ok() {
    let mut s = ZimServer::new(ServerConfig::default());
    let out = login(&mut s, ALICE, "alice", "alice-phone", None, Millis(5));
    assert_eq!(
        out,
        vec![
            event(ServerEvent::SessionOpened { user: "alice".into(), device: "alice-phone".into(), conn: ALICE }),
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
            event(ServerEvent::SessionOpened { user: "alice".into(), device: "alice-phone".into(), conn: ALICE }),
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
                push: false
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

/// Bob logs in at 0 with a PushID, Alice at 20s; at 30s Bob's session times out.
fn bob_timed_out_with_binding() -> (ZimServer, PushId) {
    let mut s = ZimServer::new(ServerConfig::default());
    let p = apns_id("bob-token");
    login(&mut s, BOB, "bob", "bob-phone", Some(p.clone()), Millis(0));
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(20_000));
    s.tick(Millis(29_999));
    assert_eq!(drain(&mut s), vec![], "nothing expires before the timeout");
    s.tick(Millis(30_000));
    assert_eq!(
        drain(&mut s),
        vec![
            event(ServerEvent::SessionEnded {
                user: "bob".into(),
                device: "bob-phone".into(),
                reason: SessionEnd::Timeout
            }),
            ServerOutput::Close { conn: BOB },
        ]
    );
    assert!(!s.is_online(&"bob".into()));
    assert_eq!(s.binding(&p), Some(&"bob".into()), "a timeout keeps the binding");
    (s, p)
}

#[test]
fn an_offline_recipient_with_a_binding_gets_a_push_request() {
    let (mut s, p) = bob_timed_out_with_binding();
    send(&mut s, ALICE, 5, "bob", "hello", Some(push_config()), Millis(31_000));
    let out = drain(&mut s);
    assert_eq!(frames_to(&out, BOB), vec![], "no online delivery to an offline user");
    assert_eq!(
        pushes(&out),
        vec![PushRequest {
            push_id: p,
            user_id: "bob".into(),
            message_id: MessageId(1),
            conv: ab(),
            from: "alice".into(),
            title: "Alice".into(),
            content: "hello".into(),
            payload: "{\"k\":1}".into(),
        }]
    );
    assert!(matches!(out.last(), Some(ServerOutput::Handover { .. })), "the push follows SendOk: {out:?}");
}

#[test]
fn an_offline_recipient_gets_no_push_when_the_message_has_no_push_config() {
    let (mut s, _) = bob_timed_out_with_binding();
    send(&mut s, ALICE, 5, "bob", "hello", None, Millis(31_000));
    let out = drain(&mut s);
    assert_eq!(pushes(&out), vec![]);
    assert!(out.contains(&event(ServerEvent::MessageAccepted {
        id: MessageId(1),
        conv: ab(),
        seq: 1,
        from: "alice".into(),
        to: vec!["bob".into()],
        push: false
    })));
    assert_eq!(s.conversation(&ab()).len(), 1, "the message is still stored for sync");
}

#[test]
fn an_offline_recipient_without_a_binding_gets_no_push() {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, BOB, "bob", "bob-phone", None, Millis(0));
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(20_000));
    s.tick(Millis(30_000));
    drain(&mut s);
    send(&mut s, ALICE, 5, "bob", "hello", Some(push_config()), Millis(31_000));
    assert_eq!(pushes(&drain(&mut s)), vec![]);
}

#[test]
fn a_message_delivered_before_the_connection_closed_and_never_acked_is_pushed_at_timeout() {
    let mut s = ZimServer::new(ServerConfig::default());
    let p = apns_id("bob-token");
    login(&mut s, BOB, "bob", "bob-phone", Some(p.clone()), Millis(0));
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(10_000));
    send(&mut s, ALICE, 2, "bob", "are you there", Some(push_config()), Millis(10_000));
    let out = drain(&mut s);
    let m = sent_message(&out, ALICE);
    assert_eq!(frames_to(&out, BOB), vec![ServerFrame::Deliver { message: m.clone() }]);
    assert_eq!(pushes(&out), vec![], "online: no push yet");

    s.on_disconnect(BOB, Millis(11_000));
    assert!(s.is_online(&"bob".into()), "a closed connection only detaches the session");
    s.tick(Millis(29_999));
    assert_eq!(drain(&mut s), vec![]);

    s.tick(Millis(30_000));
    let out = drain(&mut s);
    assert_eq!(
        out,
        vec![
            event(ServerEvent::SessionEnded {
                user: "bob".into(),
                device: "bob-phone".into(),
                reason: SessionEnd::Timeout
            }),
            event(ServerEvent::PushRouted { id: m.id, user: "bob".into(), push_id: p.clone() }),
            ServerOutput::Handover {
                id: 1,
                request: PushBatch {
                    pushes: vec![PushRequest {
                        push_id: p,
                        user_id: "bob".into(),
                        message_id: m.id,
                        conv: ab(),
                        from: "alice".into(),
                        title: "Alice".into(),
                        content: "hello".into(),
                        payload: "{\"k\":1}".into(),
                    }]
                }
                .to_http()
            },
        ],
        "detached: no Close, just the push"
    );
}

#[test]
fn a_message_sent_while_the_recipient_is_detached_is_pushed_at_timeout() {
    let mut s = ZimServer::new(ServerConfig::default());
    let p = apns_id("bob-token");
    login(&mut s, BOB, "bob", "bob-phone", Some(p.clone()), Millis(0));
    s.on_disconnect(BOB, Millis(1_000));
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(10_000));
    send(&mut s, ALICE, 2, "bob", "hi", Some(push_config()), Millis(10_000));
    let out = drain(&mut s);
    assert_eq!(frames_to(&out, BOB), vec![], "nowhere to deliver while detached");
    assert_eq!(pushes(&out), vec![], "still online until the timeout");
    s.tick(Millis(30_000));
    let pushed = pushes(&drain(&mut s));
    assert_eq!(pushed.len(), 1);
    assert_eq!((pushed[0].push_id.clone(), pushed[0].message_id), (p, MessageId(1)));
}

#[test]
fn an_acked_message_is_not_pushed_when_the_session_times_out() {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, BOB, "bob", "bob-phone", Some(apns_id("bob-token")), Millis(0));
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(10_000));
    send(&mut s, ALICE, 2, "bob", "hi", Some(push_config()), Millis(10_000));
    let m = sent_message(&drain(&mut s), ALICE);
    s.on_frame(BOB, ClientFrame::Ack { id: m.id }, Millis(10_001));
    assert_eq!(drain(&mut s), vec![], "an ack has no reply");
    s.on_disconnect(BOB, Millis(11_000));
    s.on_frame(ALICE, ClientFrame::Heartbeat, Millis(40_000));
    assert_eq!(drain(&mut s), vec![frame(ALICE, ServerFrame::Pong)]);
    // Bob's last frame (the ack) was at 10_001.
    s.tick(Millis(40_001));
    assert_eq!(
        drain(&mut s),
        vec![event(ServerEvent::SessionEnded {
            user: "bob".into(),
            device: "bob-phone".into(),
            reason: SessionEnd::Timeout
        })]
    );
}

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
            event(ServerEvent::SessionOpened { user: "bob".into(), device: "tablet".into(), conn: ConnId(2) }),
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
            event(ServerEvent::SessionOpened { user: "bob".into(), device: "bob-phone".into(), conn: ConnId(2) }),
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
            event(ServerEvent::SessionOpened { user: "bob".into(), device: "bob-phone".into(), conn: ConnId(2) }),
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
            event(ServerEvent::SessionOpened { user: "bob".into(), device: "bob-phone".into(), conn: ConnId(2) }),
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

#[test]
fn messages_served_by_sync_are_no_longer_due_for_push() {
    let (mut s, _) = bob_timed_out_with_binding();
    login(&mut s, ConnId(5), "bob", "bob-phone", None, Millis(100_000));
    send(&mut s, ALICE, 20, "bob", "hi", Some(push_config()), Millis(100_001));
    s.on_frame(ConnId(5), ClientFrame::Sync { req: 7, cursors: vec![], limit: 50 }, Millis(100_002));
    s.on_disconnect(ConnId(5), Millis(100_003));
    s.tick(Millis(200_000));
    assert_eq!(pushes(&drain(&mut s)), vec![]);
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
            event(ServerEvent::SessionOpened { user: "carol".into(), device: "shared-phone".into(), conn: ConnId(7) }),
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
            event(ServerEvent::SessionOpened { user: "carol".into(), device: "shared-phone".into(), conn: ConnId(7) }),
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
    let push = |n: usize| Some(PushConfig { title: "t".into(), content: "c".repeat(n - 1), payload: String::new() });
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
            ServerOutput::Event(ServerEvent::SessionEnded { user, reason: SessionEnd::Timeout, .. }) => Some(user.0),
            _ => None,
        })
        .collect();
    let odd: Vec<String> = (1..20).step_by(2).map(|i| format!("u{i}")).collect();
    assert_eq!(expired, odd, "the silent ones, longest silent first");
    assert_eq!(s.poll_timeout(), Some(Millis(20_000 + timeout)));
    assert!((0..20).step_by(2).all(|i| s.is_online(&UserId::new(format!("u{i}")))));
}

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
