//! The message store and sends: conversations with gap-free per-conversation sequences,
//! who reads which part of which conversation, the users ZIM can deliver to, sends of every
//! conversation and message type, online delivery, and paged sync.
//!
//! Reference policies (docs/policies.md): a message to oneself is refused (6000001), as ZIM
//! does. Room and command messages are not stored: they get an ID but no sequence number
//! (`seq` 0), reach only the recipients online, and are never pushed.

use super::push::{Installs, MessagePush};
use super::sessions::Install;
use super::ZimServer;
use crate::error::ZimErrorCode;
use crate::ids::{ConnId, ConvKey, MessageId, UserId};
use crate::small::VecMap;
use crate::time::Millis;
use crate::wire::{check_send, limits, Cursor, Message, Outgoing, PushConfig, ServerFrame};
use std::collections::{BTreeMap, BTreeSet};

use super::ServerEvent;

/// The part of a conversation a user reads: the messages with `after < seq <= until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    after: u64,
    until: Option<u64>,
}

/// The durable store (it survives a restart).
#[derive(Debug)]
pub(super) struct Store {
    /// Users who have logged in at least once (ZIM only delivers to those).
    known_users: BTreeSet<UserId>,
    convs: BTreeMap<ConvKey, Vec<Message>>,
    /// Which stored conversations each user reads, and which parts: a peer chat whole, a
    /// group from when they joined to when they left (each membership its own span).
    readers: BTreeMap<UserId, VecMap<ConvKey, Vec<Span>>>,
    next_message_id: u64,
}

impl Default for Store {
    fn default() -> Self {
        Store { known_users: BTreeSet::new(), convs: BTreeMap::new(), readers: BTreeMap::new(), next_message_id: 1 }
    }
}

impl Store {
    pub(super) fn know(&mut self, user: &UserId) {
        self.known_users.insert(user.clone());
    }

    pub(super) fn knows(&self, user: &UserId) -> bool {
        self.known_users.contains(user)
    }

    pub(super) fn conversation(&self, conv: &ConvKey) -> &[Message] {
        self.convs.get(conv).map(Vec::as_slice).unwrap_or_default()
    }

    /// `user` reads `conv` from its next message on.
    pub(super) fn open_span(&mut self, user: &UserId, conv: &ConvKey) {
        let after = self.conversation(conv).len() as u64;
        let spans = self.readers.entry(user.clone()).or_default().entry(conv.clone()).or_default();
        if spans.last().is_none_or(|s| s.until.is_some()) {
            spans.push(Span { after, until: None });
        }
    }

    /// `user` stops reading `conv` after its current last message.
    pub(super) fn close_span(&mut self, user: &UserId, conv: &ConvKey) {
        let last = self.conversation(conv).len() as u64;
        if let Some(span) = self.readers.get_mut(user).and_then(|c| c.get_mut(conv)).and_then(|s| s.last_mut()) {
            span.until.get_or_insert(last);
        }
    }

    /// A new message: stored with the next sequence number, or (room and command messages)
    /// only numbered.
    fn accept(&mut self, conv: ConvKey, from: UserId, m: Outgoing, now: Millis, stored: bool) -> Message {
        let id = MessageId(self.next_message_id);
        self.next_message_id += 1;
        let seq = if stored { self.conversation(&conv).len() as u64 + 1 } else { 0 };
        let (body, extended_data) = (m.body, m.extended_data);
        let message = Message { id, conv: conv.clone(), seq, from, body, sent_at: now, extended_data };
        if stored {
            self.convs.entry(conv).or_default().push(message.clone());
        }
        message
    }
}

type Refusal = (ZimErrorCode, String);
pub(super) type Accepted = (Message, Vec<UserId>, Option<PushConfig>);

impl ZimServer {
    /// A send: accepted (the sender hears `send_ok` first), then routed to each recipient;
    /// or refused with its code.
    pub(super) fn send(&mut self, conn: ConnId, req: u64, at: &Install, m: Outgoing, now: Millis) {
        if let Err(why) = check_send(&at.user, &m, self.config.max_text_bytes) {
            return self.out.error(conn, Some(req), ZimErrorCode::ParamInvalid, &why);
        }
        if !self.sessions.allow_send(at, now, limits::SENDS_PER_SECOND) {
            let why = format!("more than {} sends within a second", limits::SENDS_PER_SECOND);
            return self.out.error(conn, Some(req), ZimErrorCode::ServerRateLimited, &why);
        }
        let accepted = match self.accept_send(&at.user, m, now) {
            Ok(accepted) => accepted,
            Err((code, why)) => return self.out.error(conn, Some(req), code, &why),
        };
        self.out.frame(conn, ServerFrame::SendOk { req, message: accepted.0.clone() });
        self.route_accepted(&at.user, accepted);
    }

    /// Carries an accepted message to each recipient: stored ones online or by push, the
    /// others (rooms, commands) online only.
    pub(super) fn route_accepted(&mut self, from: &UserId, (message, recipients, push): Accepted) {
        let pushed_room = self.config.defects.push_room_messages && push.is_some();
        let sender_pushed = self.config.defects.push_the_sender && push.is_some();
        let push = push.or_else(|| self.config.defects.push_without_config.then(PushConfig::default));
        let push = push.map(|config| MessagePush::new(&message, config));
        for user in &recipients {
            if message.is_stored() || pushed_room {
                self.route(user, &message, push.as_ref());
            } else {
                self.deliver_live(user, &message);
            }
        }
        if let (true, Some(push)) = (sender_pushed, &push) {
            self.push_to_bindings(from, push, Installs::Every);
        }
    }

    /// Stores a send whose content passed [`check_send`], returning the message, its
    /// recipients and the push config that applies; or refuses it for its conversation.
    pub(super) fn accept_send(&mut self, from: &UserId, m: Outgoing, now: Millis) -> Result<Accepted, Refusal> {
        let conv = m.conv(from);
        let recipients: Vec<UserId> = match &conv {
            ConvKey::Peer { .. } => {
                let to = UserId::from(m.to.as_str());
                if !self.store.knows(&to) {
                    return Err((ZimErrorCode::TargetDoesNotExist, "the recipient has never logged in".into()));
                }
                for member in [from, &to] {
                    self.store.open_span(member, &conv);
                }
                vec![to]
            }
            ConvKey::Group { id } => {
                self.member_check(id, from)?;
                let members = self.groups.members(id).expect("checked above");
                members.iter().filter(|u| *u != from).cloned().collect()
            }
            ConvKey::Room { id } => {
                let members = self
                    .rooms
                    .members(id)
                    .ok_or_else(|| (ZimErrorCode::RoomDoesNotExist, format!("room {id} does not exist")))?;
                if !members.contains(from) {
                    return Err((ZimErrorCode::NotInRoom, format!("{from} is not in room {id}")));
                }
                members.iter().filter(|u| *u != from).cloned().collect()
            }
        };
        // Rooms and commands are online only; only what is stored may be pushed.
        let room = matches!(conv, ConvKey::Room { .. });
        let stored = m.body.is_stored() && !room;
        let pushable = stored || (room && self.config.defects.push_room_messages);
        let push = m.push.clone().filter(|_| pushable);
        let message = self.store.accept(conv.clone(), from.clone(), m, now, stored);
        self.out.event(ServerEvent::MessageAccepted {
            id: message.id,
            conv,
            seq: message.seq,
            from: from.clone(),
            to: recipients.clone(),
            push: push.is_some(),
            stored,
            badge_increment: push.as_ref().filter(|p| p.enable_badge).map(|p| p.badge_increment),
        });
        Ok((message, recipients, push))
    }

    /// Online delivery to each of the user's sessions, offline push to their other installs.
    fn route(&mut self, user: &UserId, message: &Message, push: Option<&MessagePush>) {
        for (_, s) in self.sessions.of_mut(user) {
            s.unacked.insert(message.id, push.cloned());
            if let Some(conn) = s.conn {
                self.out.frame(conn, ServerFrame::Deliver { message: message.clone() });
            }
        }
        if let Some(push) = push {
            let every = self.config.defects.push_online_users;
            self.push_to_bindings(user, push, if every { Installs::Every } else { Installs::Offline });
        }
    }

    /// Delivery of a message that is not stored: now, on live connections, or never.
    fn deliver_live(&mut self, user: &UserId, message: &Message) {
        self.frame_to_user(user, ServerFrame::Deliver { message: message.clone() });
    }

    pub(super) fn sync(&mut self, conn: ConnId, req: u64, at: &Install, cursors: Vec<Cursor>, limit: u32) {
        let user = &at.user;
        let limit = limit.clamp(1, self.config.max_sync_page) as usize;
        let from: BTreeMap<&ConvKey, u64> = cursors.iter().map(|c| (&c.conv, c.seq)).collect();
        let mut messages = Vec::new();
        let mut more = false;
        'convs: for (conv, spans) in self.store.readers.get(user).into_iter().flatten() {
            let log = self.store.conversation(conv);
            let cursor = from.get(conv).copied().unwrap_or(0);
            for span in spans {
                let start = span.after.max(cursor) as usize;
                let end = span.until.map_or(log.len(), |u| (u as usize).min(log.len()));
                let pending = log.get(start..end).unwrap_or_default();
                let room = limit - messages.len();
                messages.extend(pending.iter().take(room).cloned());
                if pending.len() > room {
                    more = true;
                    break 'convs;
                }
            }
        }
        // Synced messages reached the client: they are no longer due for push at timeout.
        if let Some(session) = self.sessions.get_mut(at) {
            for m in &messages {
                session.unacked.remove(&m.id);
            }
        }
        self.out.frame(conn, ServerFrame::SyncBatch { req, messages, more });
    }

    /// Sends `frame` to each of `user`'s live connections.
    pub(super) fn frame_to_user(&mut self, user: &UserId, frame: ServerFrame) {
        let conns: Vec<ConnId> = self.sessions.of(user).filter_map(|(_, s)| s.conn).collect();
        for conn in conns {
            self.out.frame(conn, frame.clone());
        }
    }
}
