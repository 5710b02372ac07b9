//! The message store: conversations with gap-free per-conversation sequences, the users
//! ZIM can deliver to, sends with online delivery, and paged sync.
//!
//! Reference policy: a message to oneself is refused (6000001), as ZIM does.

use super::ZimServer;
use crate::error::ZimErrorCode;
use crate::ids::{ConnId, ConvKey, MessageId, UserId};
use crate::time::Millis;
use crate::wire::{check_send, Cursor, Message, MessageBody, PushConfig, ServerFrame};
use std::collections::{BTreeMap, BTreeSet};

use super::ServerEvent;

/// The durable store (it survives a restart).
#[derive(Debug)]
pub(super) struct Store {
    /// Users who have logged in at least once (ZIM only delivers to those).
    known_users: BTreeSet<UserId>,
    convs: BTreeMap<ConvKey, Vec<Message>>,
    user_convs: BTreeMap<UserId, BTreeSet<ConvKey>>,
    next_message_id: u64,
}

impl Default for Store {
    fn default() -> Self {
        Store { known_users: BTreeSet::new(), convs: BTreeMap::new(), user_convs: BTreeMap::new(), next_message_id: 1 }
    }
}

impl Store {
    pub(super) fn know(&mut self, user: &UserId) {
        self.known_users.insert(user.clone());
    }

    pub(super) fn conversation(&self, conv: &ConvKey) -> &[Message] {
        self.convs.get(conv).map(Vec::as_slice).unwrap_or_default()
    }

    /// Stores a new message from `from` in `conv`, giving it the next ID and sequence.
    fn append(&mut self, conv: ConvKey, from: UserId, body: MessageBody, now: Millis) -> Message {
        let log = self.convs.entry(conv.clone()).or_default();
        let message =
            Message { id: MessageId(self.next_message_id), conv, seq: log.len() as u64 + 1, from, body, sent_at: now };
        self.next_message_id += 1;
        log.push(message.clone());
        message
    }
}

/// A send request as the frame carries it.
pub(super) struct Send {
    pub(super) conn: ConnId,
    pub(super) req: u64,
    pub(super) from: UserId,
    pub(super) to: UserId,
    pub(super) body: MessageBody,
    pub(super) push: Option<PushConfig>,
}

impl ZimServer {
    pub(super) fn send(&mut self, send: Send, now: Millis) {
        let Send { conn, req, from, to, body, push } = send;
        if let Err(why) = check_send(&from, &to, &body, push.as_ref(), self.config.max_text_bytes) {
            return self.out.error(conn, Some(req), ZimErrorCode::ParamInvalid, &why);
        }
        if !self.store.known_users.contains(&to) {
            let why = "the recipient has never logged in";
            return self.out.error(conn, Some(req), ZimErrorCode::TargetDoesNotExist, why);
        }
        let conv = ConvKey::peer(&from, &to);
        let message = self.store.append(conv.clone(), from.clone(), body, now);
        let recipients = conv.recipients(&from);
        for member in [&from, &to] {
            self.store.user_convs.entry(member.clone()).or_default().insert(conv.clone());
        }
        self.out.event(ServerEvent::MessageAccepted {
            id: message.id,
            conv,
            seq: message.seq,
            from,
            to: recipients.clone(),
            push: push.is_some(),
        });
        self.out.frame(conn, ServerFrame::SendOk { req, message: message.clone() });
        for user in recipients {
            self.route(&user, &message, push.as_ref());
        }
    }

    /// Online delivery if the user has a session, offline push otherwise.
    fn route(&mut self, user: &UserId, message: &Message, push: Option<&PushConfig>) {
        if let Some(s) = self.sessions.get_mut(user) {
            s.unacked.insert(message.id, (message.clone(), push.cloned()));
            if let Some(conn) = s.conn {
                self.out.frame(conn, ServerFrame::Deliver { message: message.clone() });
            }
        } else if let Some(push) = push {
            self.push_to_bindings(user, message, push);
        }
    }

    pub(super) fn sync(&mut self, conn: ConnId, req: u64, user: &UserId, cursors: Vec<Cursor>, limit: u32) {
        let limit = limit.clamp(1, self.config.max_sync_page) as usize;
        let from: BTreeMap<&ConvKey, u64> = cursors.iter().map(|c| (&c.conv, c.seq)).collect();
        let mut messages = Vec::new();
        let mut more = false;
        for conv in self.store.user_convs.get(user).into_iter().flatten() {
            let after = from.get(conv).copied().unwrap_or(0) as usize;
            let log = &self.store.convs[conv];
            let pending = log.get(after..).unwrap_or_default();
            let room = limit - messages.len();
            messages.extend(pending.iter().take(room).cloned());
            if pending.len() > room {
                more = true;
                break;
            }
        }
        // Synced messages reached the client: they are no longer due for push at timeout.
        if let Some(session) = self.sessions.get_mut(user) {
            for m in &messages {
                session.unacked.remove(&m.id);
            }
        }
        self.out.frame(conn, ServerFrame::SyncBatch { req, messages, more });
    }
}
