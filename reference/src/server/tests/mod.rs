//! Unit tests of the ZIM server core.

use super::*;
use crate::ids::ConversationType;
use crate::pushid::{Environment, Vendor};
use crate::token;
use crate::wire::{Cursor, MessageBody, Outgoing, Platform, PushBatch, PushConfig};

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
    s.on_frame(conn, ClientFrame::Send { req, message: Outgoing::text(to, text, push) }, now);
}

fn text_body(text: &str) -> MessageBody {
    MessageBody::Text { text: text.into() }
}

fn apns_id(token: &str) -> PushId {
    PushId::new(Vendor::Apns, Environment::Production, token)
}

fn push_config() -> PushConfig {
    PushConfig::new("Alice", "hello", "{\"k\":1}")
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

mod login;
mod messages;
mod push;
mod sessions;
mod tokens;

fn send_message(s: &mut ZimServer, conn: ConnId, req: u64, message: Outgoing, now: Millis) -> Vec<ServerOutput> {
    s.on_frame(conn, ClientFrame::Send { req, message }, now);
    drain(s)
}

fn to_group(group: &str, text: &str, push: Option<PushConfig>) -> Outgoing {
    Outgoing { conv_type: ConversationType::Group, ..Outgoing::text(group, text, push) }
}

fn to_room(room: &str, text: &str, push: Option<PushConfig>) -> Outgoing {
    Outgoing { conv_type: ConversationType::Room, ..Outgoing::text(room, text, push) }
}

/// The server events among `out`.
fn events(out: &[ServerOutput]) -> Vec<ServerEvent> {
    out.iter()
        .filter_map(|o| match o {
            ServerOutput::Event(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

mod api;
mod groups;
mod limits;
mod multi_device;
mod rooms;
mod settings;
