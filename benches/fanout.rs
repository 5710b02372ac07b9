//! One group message fanned out through the sans-IO ZIM server and ZPNs relay, with no
//! network: the world the `fanout/core` bench and the `fanout-rss` measurement share, and
//! the minimal loop (`fanout/baseline`) over the same data that the core is compared with.
//!
//! The group's members are phones that logged in once with a PushID: half iOS (APNs
//! production), half Android (FCM release). The offline ones disconnected and timed out
//! (still bound); the online ones keep a connection. One iteration is one message from an
//! online sender, carried until the relay has built every vendor request and heard its
//! answer: the server accepts and stores it, frames it to each online member, routes one
//! push per offline member, hands the pushes to the relay in batches, and the relay routes
//! each to its vendor, builds the request (headers and the vendor's JSON) and takes the
//! vendor's 200. The vendors themselves are not run: each answer is a canned success.
//! With [`Path::Server`] (`fanout/server`) the relay is left out too: each hand-over is
//! answered 202 as soon as it is made, so what is measured is the server's own part.

use std::rc::Rc;
use zimsim_reference::core::{ApiRequest, Core};
use zimsim_reference::http::HttpResponse;
use zimsim_reference::ids::{ConnId, ConversationType, GroupId, MessageId, UserId};
use zimsim_reference::pushid::{Environment, PushId, Vendor};
use zimsim_reference::relay::{PushResult, Relay, RelayConfig, RelayInput, RelayOutput};
use zimsim_reference::server::{ServerConfig, ServerEvent, ServerInput, ServerOutput, ZimServer};
use zimsim_reference::wire::{limits, ClientFrame, Outgoing, Platform, PushConfig, ServerFrame};
use zimsim_reference::{token, Millis};

/// The group every iteration writes to.
const GROUP: &str = "fanout";
/// The sender's connection.
const SENDER: ConnId = ConnId(0);
/// The time between two messages: long enough that the relay's dedup memory holds about
/// 50k pushes whatever the group's size (a 100k group waits past the ten-minute window,
/// so one message's pushes are remembered at a time), short enough for a small group that
/// token renewals (an RSA signature for FCM's) stay rare, as in a busy steady state.
fn step_ms(members: usize) -> u64 {
    let window = zimsim_reference::relay::DEDUP_WINDOW_MS;
    (window * members as u64 / 50_000).clamp(1_000 / limits::SENDS_PER_SECOND as u64, window + 60_000)
}

/// How far a message is carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// Through the server, whose hand-overs are answered at once: the pushes are routed,
    /// batched and encoded, and go no further.
    Server,
    /// Through the server and the relay, up to each vendor's (canned) answer.
    ServerAndRelay,
}

/// A server and a relay with one group of `members`, `offline_percent` of them offline.
#[derive(Debug)]
pub struct Fanout {
    server: ZimServer,
    relay: Option<Relay>,
    now: Millis,
    req: u64,
    /// Online deliveries of the last message, acked before the next one (untimed).
    deliveries: Vec<(ConnId, MessageId)>,
    pub members: usize,
    pub offline: usize,
}

/// What one message did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sent {
    /// Online members the message was framed to.
    pub delivered: usize,
    /// Vendor calls that ended accepted.
    pub pushed: usize,
}

impl Sent {
    pub fn recipients(&self) -> usize {
        self.delivered + self.pushed
    }
}

fn user(i: usize) -> UserId {
    UserId::new(format!("u{i}"))
}

/// Member `i`'s alert PushID: every other member an iPhone.
fn push_id(i: usize) -> (Platform, PushId) {
    match i % 2 {
        0 => (Platform::Ios, PushId::new(Vendor::Apns, Environment::Production, format!("{i:064x}"))),
        _ => (Platform::Android, PushId::new(Vendor::Fcm, Environment::Production, format!("fcm-token-{i:012}"))),
    }
}

impl Fanout {
    /// Builds the world (logs every member in, creates the group): seconds at 100k members.
    pub fn new(members: usize, offline_percent: usize, path: Path) -> Fanout {
        let config = ServerConfig { group_member_limit: members + 1, ..ServerConfig::default() };
        let (secret, app) = (config.server_secret.clone(), config.app_id);
        let mut server = ZimServer::new(config);
        let login =
            |server: &mut ZimServer, now: Millis, conn: ConnId, user: &UserId, push: Option<(Platform, PushId)>| {
                server.handle(now, ServerInput::Connected { conn });
                let (platform, push_id) = push.map_or((Platform::Android, None), |(pf, p)| (pf, Some(p)));
                let frame = ClientFrame::Login {
                    req: 1,
                    user_id: user.clone(),
                    token: token::mint(&secret, app, user, Millis(u64::MAX / 2)),
                    device_id: format!("d-{user}").as_str().into(),
                    platform,
                    push_id,
                };
                server.handle(now, ServerInput::Frame { conn, frame });
                while server.poll_output().is_some() {}
            };
        // Every member logs in once and leaves; the group is made while they are away (a
        // group change is framed to each member online, listing every member: quadratic in
        // a group this size). Then they time out, still bound, and the online ones return.
        let offline = members * offline_percent / 100;
        let is_offline = |i: usize| i * offline_percent / 100 != (i + 1) * offline_percent / 100;
        for i in 0..members {
            let conn = ConnId(i as u64 + 1);
            login(&mut server, Millis(0), conn, &user(i), Some(push_id(i)));
            server.handle(Millis(0), ServerInput::Disconnected { conn });
            while server.poll_output().is_some() {}
        }
        login(&mut server, Millis(0), SENDER, &"sender".into(), None);
        let frame = ClientFrame::CreateGroup {
            req: 2,
            group_id: Some(GroupId::new(GROUP)),
            name: "fan-out".into(),
            members: (0..members).map(user).collect(),
        };
        server.handle(Millis(0), ServerInput::Frame { conn: SENDER, frame });
        // The sender's own session stays: it is kept alive by its sends. The server is
        // never ticked again, so the online members stay as if their heartbeats kept them.
        server.handle(Millis(45_000), ServerInput::Frame { conn: SENDER, frame: ClientFrame::Heartbeat });
        server.handle(Millis(60_000), ServerInput::Tick);
        let now = Millis(60_000);
        for i in (0..members).filter(|&i| !is_offline(i)) {
            login(&mut server, now, ConnId(i as u64 + 1), &user(i), Some(push_id(i)));
        }
        while server.poll_output().is_some() {}
        let relay = (path == Path::ServerAndRelay).then(|| Relay::new(RelayConfig::default()));
        let mut world = Fanout { server, relay, now, req: 10, deliveries: Vec::new(), members, offline };
        // The first message fetches FCM's access token and mints the APNs provider token.
        let sent = world.send();
        assert_eq!(sent, Sent { delivered: members - offline, pushed: offline }, "every member reached");
        world
    }

    /// Sends one group message and carries it to every member; returns what it did.
    pub fn send(&mut self) -> Sent {
        self.ack();
        self.now = self.now.plus(step_ms(self.members));
        self.req += 1;
        let push = PushConfig::new("Team", "hello, everyone", "{\"room\":\"fanout\"}");
        let mut message = Outgoing::text(GROUP, "hello, everyone", Some(push));
        message.conv_type = ConversationType::Group;
        self.server
            .handle(self.now, ServerInput::Frame { conn: SENDER, frame: ClientFrame::Send { req: self.req, message } });
        let mut sent = Sent::default();
        let fcm_ok = Rc::new(HttpResponse::json(200, &serde_json::json!({ "name": "projects/p/messages/1" })));
        loop {
            let mut idle = true;
            while let Some(out) = self.server.poll_output() {
                idle = false;
                match out {
                    ServerOutput::Frame { conn, frame: ServerFrame::Deliver { message } } if conn != SENDER => {
                        self.deliveries.push((conn, message.id));
                        sent.delivered += 1;
                    }
                    ServerOutput::Handover { id, request } => match &mut self.relay {
                        Some(relay) => relay.handle(self.now, RelayInput::Api(ApiRequest { id, request })),
                        None => self.server.handle(self.now, ServerInput::HandoverDone { id, status: Some(202) }),
                    },
                    ServerOutput::Event(ServerEvent::PushSubmitted { status: Some(202), .. })
                        if self.relay.is_none() =>
                    {
                        sent.pushed += 1;
                    }
                    _ => {}
                }
            }
            let Some(relay) = &mut self.relay else {
                if idle {
                    return sent;
                }
                continue;
            };
            while let Some(out) = relay.poll_output() {
                idle = false;
                let input = match out {
                    RelayOutput::Respond(answer) => {
                        let status = Some(answer.response.status);
                        self.server.handle(self.now, ServerInput::HandoverDone { id: answer.id, status });
                        continue;
                    }
                    RelayOutput::Call(call) => {
                        let response = match call.push_id.vendor {
                            Vendor::Fcm => (*fcm_ok).clone(),
                            _ => HttpResponse::new(200).header("apns-id", "a"),
                        };
                        RelayInput::VendorResponse { call: call.call, attempt: call.attempt, response }
                    }
                    RelayOutput::Auth { id, .. } => {
                        let token = serde_json::json!({ "access_token": "ya29.bench", "expires_in": 3599 });
                        RelayInput::AuthAnswered { id, response: Some(HttpResponse::json(200, &token)) }
                    }
                    RelayOutput::Outcome(outcome) => {
                        assert_eq!(outcome.result, PushResult::Accepted, "a canned success");
                        sent.pushed += 1;
                        continue;
                    }
                    _ => continue,
                };
                relay.handle(self.now, input);
            }
            if idle {
                return sent;
            }
        }
    }

    /// Acks the online deliveries of the last message, as the members' apps do.
    pub fn ack(&mut self) {
        for (conn, id) in std::mem::take(&mut self.deliveries) {
            self.server.handle(self.now, ServerInput::Frame { conn, frame: ClientFrame::Ack { id } });
        }
        while self.server.poll_output().is_some() {}
    }
}

/// The minimal loop over the same data: members as dense indices, presence as a bitmap,
/// each member's PushID as an index into a token table, and one push per offline member
/// appended with the message's payload shared. What a fan-out costs when nothing but the
/// decision and the append is done: the speed of light the core is measured against.
#[derive(Debug)]
pub struct Baseline {
    members: Vec<u32>,
    online: Vec<u64>,
    push_ids: Vec<Option<u32>>,
    tokens: Vec<PushId>,
    pushes: Vec<(u32, u32, Rc<PushConfig>)>,
    frames: Vec<(u32, Rc<PushConfig>)>,
}

impl Baseline {
    pub fn new(members: usize, offline_percent: usize) -> Baseline {
        let is_offline = |i: usize| i * offline_percent / 100 != (i + 1) * offline_percent / 100;
        let mut online = vec![0u64; members.div_ceil(64)];
        for i in (0..members).filter(|&i| !is_offline(i)) {
            online[i / 64] |= 1 << (i % 64);
        }
        Baseline {
            members: (0..members as u32).collect(),
            online,
            push_ids: (0..members as u32).map(Some).collect(),
            tokens: (0..members).map(|i| push_id(i).1).collect(),
            pushes: Vec::with_capacity(members),
            frames: Vec::with_capacity(members),
        }
    }

    /// One message to every member: a frame to each online one, a push to each offline
    /// one with a PushID. Returns the recipients reached.
    pub fn send(&mut self) -> usize {
        self.pushes.clear();
        self.frames.clear();
        let payload = Rc::new(PushConfig::new("Team", "hello, everyone", "{\"room\":\"fanout\"}"));
        for &m in &self.members {
            if self.online[m as usize / 64] & (1 << (m % 64)) != 0 {
                self.frames.push((m, payload.clone()));
            } else if let Some(p) = self.push_ids[m as usize] {
                self.pushes.push((m, p, payload.clone()));
            }
        }
        debug_assert!(self.pushes.iter().all(|(_, p, _)| (*p as usize) < self.tokens.len()));
        self.frames.len() + self.pushes.len()
    }
}
