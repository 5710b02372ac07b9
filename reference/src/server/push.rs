//! Push decisions (who is notified of a message) and the hand-over of pushes to the ZPNs
//! relay.
//!
//! The hand-over sends pushes in order, in batches of up to `handover_batch`, one batch in
//! flight at a time. A batch the relay could not be reached for is tried again after
//! 250 ms, 500 ms and 1 s; after the fourth failure its pushes are dropped (and traced as
//! `push_submitted` without a status): every message is stored and reaches its recipient
//! by sync. The relay remembers what it accepted, so a batch retried after a lost answer
//! notifies nobody twice.

use super::{Outbox, ServerEvent, ServerOutput, ZimServer};
use crate::http::HttpRequest;
use crate::ids::{ConvKey, DeviceId, MessageId, UserId};
use crate::time::Millis;
use crate::wire::{Message, Platform, PushBatch, PushConfig, PushRequest};
use std::collections::VecDeque;
use std::sync::Arc;

/// How many times one batch is offered to the relay.
pub const HANDOVER_ATTEMPTS: u32 = 4;
/// The wait before the second attempt; each later wait doubles it.
pub const HANDOVER_FIRST_RETRY_MS: u64 = 250;

/// One message's push: what every recipient's push of it shares, made once per message so
/// a fan-out copies no text per recipient.
#[derive(Clone, Debug)]
pub(super) struct MessagePush {
    id: MessageId,
    conv: Arc<ConvKey>,
    from: Arc<UserId>,
    config: Arc<PushConfig>,
}

impl MessagePush {
    pub(super) fn new(message: &Message, config: PushConfig) -> MessagePush {
        MessagePush {
            id: message.id,
            conv: Arc::new(message.conv.clone()),
            from: Arc::new(message.from.clone()),
            config: Arc::new(config),
        }
    }
}

/// Which of a user's installs a push may go to.
#[derive(Clone, Copy, Debug)]
pub(super) enum Installs<'a> {
    /// Every install without a live session of the user (a new message).
    Offline,
    /// This install only (its session ended with the message unacked).
    Only(&'a DeviceId),
    /// Every install, online or not (only a mutant's defect asks for this).
    Every,
}

impl ZimServer {
    /// Routes a push for `message` to the PushIDs bound to `user` on `installs`: never to
    /// its sender, never for a conversation the user set to do-not-disturb, never to a
    /// platform the user's offline-push rule silences while they are online elsewhere.
    /// With `enable_badge`, each install's badge grows by the increment and the push
    /// carries the new count (kept per PushID).
    ///
    /// One push per install: to its alert PushID; for a push config with `voip`, to its
    /// VoIP PushID when it bound one, else to its alert PushID (reference policy: an alert
    /// rather than nothing). A VoIP PushID gets nothing but VoIP pushes.
    pub(super) fn push_to_bindings(&mut self, user: &UserId, message: &MessagePush, installs: Installs) {
        let defects = &self.config.defects;
        let push = &*message.config;
        if *message.from == *user && !defects.push_the_sender {
            return; // never notify a user about their own message
        }
        if self.settings.is_muted(user, &message.conv) && !defects.ignore_dnd {
            return;
        }
        let silenced = match self.settings.push_rule(user) {
            Some(rule) if !defects.ignore_push_rule => {
                let online_on = |p: &Platform| self.sessions.of(user).any(|(_, s)| s.platform == *p);
                if rule.online_platforms.iter().any(online_on) {
                    rule.not_to_receive_offline_push_platforms.as_slice()
                } else {
                    &[]
                }
            }
            _ => &[],
        };
        let wanted = |device: &DeviceId, platform: Platform| {
            let reachable = match installs {
                Installs::Offline => !self.sessions.has(user, device),
                Installs::Only(only) => device == only,
                Installs::Every => true,
            };
            reachable && !silenced.contains(&platform)
        };
        // Reused from message to message: a fan-out allocates no list per recipient.
        let mut push_ids = std::mem::take(&mut self.push_scratch);
        let bound = || self.bindings.installs_of(user).filter(|(_, d, pf)| wanted(d, *pf));
        let wants_voip = push.voip.is_some();
        for (p, d, _) in bound() {
            let take = match (wants_voip, p.is_voip()) {
                (true, true) => true,
                (true, false) => !bound().any(|(q, e, _)| q.is_voip() && e == d),
                (false, voip) => !voip,
            };
            if take {
                push_ids.push(p.clone());
            }
        }
        for push_id in push_ids.drain(..) {
            let badge = push.enable_badge.then(|| {
                let forget = self.config.defects.badge_forgets_count;
                self.settings.add_to_badge(&push_id, push.badge_increment, forget)
            });
            self.out.event(ServerEvent::PushRouted {
                id: message.id,
                user: user.clone(),
                push_id: push_id.clone(),
                badge,
                resources_id: push.resources_id.clone(),
            });
            self.handover.queue.push_back(PushRequest {
                push_id,
                user_id: user.clone(),
                message_id: message.id,
                conv: message.conv.clone(),
                from: message.from.clone(),
                push: message.config.clone(),
                badge,
            });
        }
        self.push_scratch = push_ids;
        self.handover.pump(&mut self.out);
    }
}

#[derive(Debug)]
struct InFlight {
    id: u64,
    pushes: Vec<PushRequest>,
    /// The batch's hand-over request, encoded once for every attempt.
    request: HttpRequest,
    /// Attempts made so far (1 once the first request is out).
    attempts: u32,
    /// When the next attempt goes out, while waiting between attempts.
    retry_at: Option<Millis>,
}

/// Pushes waiting for the relay, and the batch it is being offered.
#[derive(Debug)]
pub(super) struct Handover {
    batch: usize,
    queue: VecDeque<PushRequest>,
    in_flight: Option<InFlight>,
    next_id: u64,
}

impl Handover {
    pub(super) fn new(batch: usize) -> Handover {
        Handover { batch: batch.max(1), queue: VecDeque::new(), in_flight: None, next_id: 1 }
    }

    pub(super) fn retry_at(&self) -> Option<Millis> {
        self.in_flight.as_ref().and_then(|f| f.retry_at)
    }

    /// Offers the next batch if none is in flight.
    fn pump(&mut self, out: &mut Outbox) {
        if self.in_flight.is_some() || self.queue.is_empty() {
            return;
        }
        let n = self.queue.len().min(self.batch);
        let pushes: Vec<PushRequest> = self.queue.drain(..n).collect();
        let request = PushBatch::request(&pushes);
        let mut flight = InFlight { id: 0, pushes, request, attempts: 0, retry_at: None };
        self.offer(&mut flight, out);
        self.in_flight = Some(flight);
    }

    /// Sends one attempt of `flight`, under a fresh id so a late answer to an earlier
    /// attempt is never taken for this one.
    fn offer(&mut self, flight: &mut InFlight, out: &mut Outbox) {
        flight.id = self.next_id;
        self.next_id += 1;
        flight.attempts += 1;
        flight.retry_at = None;
        out.0.push_back(ServerOutput::Handover { id: flight.id, request: flight.request.clone() });
    }

    pub(super) fn done(&mut self, id: u64, status: Option<u16>, now: Millis, out: &mut Outbox) {
        let Some(flight) = self.in_flight.as_mut().filter(|f| f.id == id && f.retry_at.is_none()) else {
            return; // an answer to an attempt this core no longer waits for
        };
        if status.is_none() && flight.attempts < HANDOVER_ATTEMPTS {
            flight.retry_at = Some(now.plus(HANDOVER_FIRST_RETRY_MS << (flight.attempts - 1)));
            return;
        }
        let flight = self.in_flight.take().expect("matched above");
        for request in flight.pushes {
            out.event(ServerEvent::PushSubmitted { request, status });
        }
        self.pump(out);
    }

    pub(super) fn tick(&mut self, now: Millis, out: &mut Outbox) {
        if let Some(mut flight) = self.in_flight.take() {
            if flight.retry_at.is_some_and(|at| at <= now) {
                self.offer(&mut flight, out);
            }
            self.in_flight = Some(flight);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ConvKey, MessageId};
    use crate::pushid::{Environment, PushId, Vendor};

    fn push(n: u64) -> PushRequest {
        PushRequest {
            push_id: PushId::new(Vendor::Apns, Environment::Production, format!("t{n}")),
            user_id: "bob".into(),
            message_id: MessageId(n),
            conv: Arc::new(ConvKey::peer(&"alice".into(), &"bob".into())),
            from: Arc::new("alice".into()),
            push: Arc::default(),
            badge: None,
        }
    }

    fn offered(out: &mut Outbox) -> Vec<(u64, Vec<u64>)> {
        out.0
            .drain(..)
            .filter_map(|o| match o {
                ServerOutput::Handover { id, request } => {
                    let batch = PushBatch::from_http(&request).expect("a well-formed hand-over");
                    Some((id, batch.pushes.iter().map(|p| p.message_id.0).collect()))
                }
                _ => None,
            })
            .collect()
    }

    fn submitted(out: &mut Outbox) -> Vec<(u64, Option<u16>)> {
        out.0
            .drain(..)
            .filter_map(|o| match o {
                ServerOutput::Event(ServerEvent::PushSubmitted { request, status }) => {
                    Some((request.message_id.0, status))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn pushes_go_out_in_order_in_batches_one_batch_in_flight() {
        let (mut h, mut out) = (Handover::new(2), Outbox::default());
        h.queue.extend((1..=5).map(push));
        h.pump(&mut out);
        assert_eq!(offered(&mut out), vec![(1, vec![1, 2])]);
        h.pump(&mut out);
        assert_eq!(offered(&mut out), vec![], "one batch at a time");
        h.done(1, Some(202), Millis(10), &mut out);
        assert_eq!(out.0.len(), 3, "two submitted events and the next batch");
        assert_eq!(submitted(&mut Outbox(out.0.drain(..2).collect())), vec![(1, Some(202)), (2, Some(202))]);
        assert_eq!(offered(&mut out), vec![(2, vec![3, 4])]);
        h.done(2, Some(202), Millis(20), &mut out);
        out.0.retain(|o| matches!(o, ServerOutput::Handover { .. }));
        assert_eq!(offered(&mut out), vec![(3, vec![5])]);
    }

    #[test]
    fn an_unreachable_relay_is_retried_after_250_500_and_1000_ms_then_the_batch_is_dropped() {
        let (mut h, mut out) = (Handover::new(10), Outbox::default());
        h.queue.push_back(push(7));
        h.pump(&mut out);
        let mut id = offered(&mut out)[0].0;
        let mut now = Millis(1_000);
        for wait in [250, 500, 1_000] {
            h.done(id, None, now, &mut out);
            assert_eq!(h.retry_at(), Some(now.plus(wait)));
            h.tick(now.plus(wait - 1), &mut out);
            assert!(out.0.is_empty(), "nothing before the retry is due");
            now = now.plus(wait);
            h.tick(now, &mut out);
            let again = offered(&mut out);
            assert_eq!(again.len(), 1);
            assert_ne!(again[0].0, id, "each attempt has its own id");
            assert_eq!(again[0].1, vec![7]);
            id = again[0].0;
        }
        h.done(id, None, now, &mut out);
        assert_eq!(submitted(&mut out), vec![(7, None)], "dropped after the fourth attempt, and traced");
        assert_eq!(h.retry_at(), None);
    }

    #[test]
    fn a_late_answer_to_an_earlier_attempt_is_ignored() {
        let (mut h, mut out) = (Handover::new(10), Outbox::default());
        h.queue.push_back(push(1));
        h.pump(&mut out);
        let first = offered(&mut out)[0].0;
        h.done(first, None, Millis(0), &mut out);
        h.tick(Millis(250), &mut out);
        offered(&mut out);
        h.done(first, Some(202), Millis(260), &mut out);
        assert!(out.0.is_empty(), "the first attempt's answer does not settle the second");
    }

    #[test]
    fn any_http_answer_ends_the_hand_over_of_a_batch() {
        let (mut h, mut out) = (Handover::new(10), Outbox::default());
        h.queue.push_back(push(1));
        h.pump(&mut out);
        let id = offered(&mut out)[0].0;
        h.done(id, Some(500), Millis(0), &mut out);
        assert_eq!(submitted(&mut out), vec![(1, Some(500))]);
    }
}
