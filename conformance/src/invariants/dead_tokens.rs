//! Dead tokens, judged from the vendors' side: a token is dead when its vendor revoked it
//! (`token_revoked`: an uninstall or a token refresh), whatever the relay made of it.
//!
//! - `dead-token-unbound` (eventually): once a vendor has refused a send to a token it
//!   revoked because of that token (its dead-token answer, a `request` with
//!   `token_refused`), and the relay has the answer (an outcome for that PushID follows), the
//!   ZIM server no longer binds that PushID at the end of the run. Any other answer to a send
//!   to the revoked token (a credentials, payload or quota error, a 5xx, an injected failure)
//!   says nothing about the token and obliges nothing. The relay keeps its reports in
//!   memory, so a crash of the relay's host after the answer excuses it (docs/policies.md).
//! - `live-token-retained` (always): every unbinding for a dead token names a token its
//!   vendor revoked before. A 5xx, a 429, a payload, topic or credentials error never
//!   unbinds a live token.

use super::{Invariant, Kind, Tally, Verdict};
use std::collections::{BTreeMap, BTreeSet};
use zimsim_reference::push_services::VendorEvent;
use zimsim_reference::pushid::{PushId, Vendor};
use zimsim_reference::relay::PushResult;
use zimsim_reference::server::{ServerEvent, UnbindReason};
use zimsim_reference::topology;
use zimsim_sim::scenario::{Action, WorldStep};
use zimsim_sim::trace::{Event, Record, Source};

/// The vendor a trace source speaks for, if it is a vendor host.
fn vendor_of(src: &Source) -> Option<Vendor> {
    let Source::Host(host) = src else { return None };
    topology::VENDORS.iter().find(|v| v.name == *host).map(|v| v.vendor)
}

/// Tokens each vendor revoked, with the trace index of the revocation.
fn revoked(trace: &[Record]) -> BTreeMap<(Vendor, &str), usize> {
    let mut revoked = BTreeMap::new();
    for (i, r) in trace.iter().enumerate() {
        if let (Event::Vendor { event: VendorEvent::TokenRevoked { token, .. } }, Some(vendor)) =
            (&r.event, vendor_of(&r.src))
        {
            revoked.entry((vendor, token.as_str())).or_insert(i);
        }
    }
    revoked
}

#[derive(Clone, Copy, Debug, Default)]
pub struct DeadTokenUnbound;

impl Invariant for DeadTokenUnbound {
    fn name(&self) -> &'static str {
        "dead-token-unbound"
    }

    fn kind(&self) -> Kind {
        Kind::Eventually
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        let revoked = revoked(trace);
        // PushID -> owner's binding index, while bound.
        let mut bound: BTreeMap<&PushId, usize> = BTreeMap::new();
        // PushIDs by token, as bound (the vendors name tokens, the server PushIDs).
        let mut by_token: BTreeMap<(Vendor, &str), BTreeSet<&PushId>> = BTreeMap::new();
        // PushIDs whose dead-token answer the vendor gave: index of that answer.
        let mut answered: BTreeMap<&PushId, usize> = BTreeMap::new();
        // PushIDs the relay heard dead about: (answer index, outcome index).
        let mut heard: BTreeMap<&PushId, (usize, usize)> = BTreeMap::new();
        for (i, r) in trace.iter().enumerate() {
            match &r.event {
                Event::Server { event: ServerEvent::Bound { push_id, .. } } => {
                    bound.insert(push_id, i);
                    by_token.entry((push_id.vendor, &*push_id.token)).or_default().insert(push_id);
                }
                Event::Server { event: ServerEvent::Unbound { push_id, .. } } => {
                    bound.remove(push_id);
                }
                // Only a refusal because of the token is the vendor calling it dead: an auth
                // or payload refusal to a revoked token says nothing about it.
                Event::Vendor { event: VendorEvent::Request { token: Some(token), token_refused: true, .. } } => {
                    let Some(vendor) = vendor_of(&r.src) else { continue };
                    let key = (vendor, token.as_str());
                    if revoked.get(&key).is_some_and(|at| *at < i) {
                        for push_id in by_token.get(&key).into_iter().flatten() {
                            answered.insert(push_id, i);
                        }
                    }
                }
                Event::VendorOutcome { outcome } if outcome.result != PushResult::Unreachable => {
                    if let Some((&push_id, &at)) = answered.get_key_value(&outcome.push_id) {
                        if bound.contains_key(push_id) {
                            heard.entry(push_id).or_insert((at, i));
                        }
                    }
                }
                Event::Step { action: Action::World(WorldStep::Crash { host }) } if host == topology::ZPNS.host => {
                    heard.clear(); // the relay's reports do not survive it
                }
                _ => {}
            }
        }
        let end = trace.last().map(|r| r.t).unwrap_or_default();
        for (push_id, (answer, outcome)) in heard {
            tally.check();
            if let Some(&bound_at) = bound.get(push_id) {
                let detail = format!("{push_id} is still bound at the end, though its vendor called the token dead");
                tally.violation(end, detail, &[bound_at, answer, outcome]);
            }
        }
        tally.verdict(self)
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct LiveTokenRetained;

impl Invariant for LiveTokenRetained {
    fn name(&self) -> &'static str {
        "live-token-retained"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        let mut revoked: BTreeSet<(Vendor, &str)> = BTreeSet::new();
        for (i, r) in trace.iter().enumerate() {
            match &r.event {
                Event::Vendor { event: VendorEvent::TokenRevoked { token, .. } } => {
                    if let Some(vendor) = vendor_of(&r.src) {
                        revoked.insert((vendor, token.as_str()));
                    }
                }
                Event::Server { event: ServerEvent::Unbound { push_id, reason: UnbindReason::DeadToken, .. } } => {
                    tally.check();
                    if !revoked.contains(&(push_id.vendor, &*push_id.token)) {
                        let detail = format!("{push_id} was unbound as dead, but its vendor never revoked the token");
                        tally.violation(r.t, detail, &[i]);
                    }
                }
                _ => {}
            }
        }
        tally.verdict(self)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::super::{Invariant, Status};
    use super::*;
    use zimsim_reference::ids::MessageId;
    use zimsim_reference::relay::PushOutcome;
    use zimsim_reference::server::UnbindReason;

    const SANDBOX: &str = "apns-sandbox";

    fn revoke(token: &str) -> Event {
        Event::Vendor {
            event: VendorEvent::TokenRevoked { device: "ios-alice".into(), app: "app".into(), token: token.into() },
        }
    }

    /// The vendor's answer to a send to `token`: `refused` when it refused the token itself.
    fn answer(token: &str, status: u16, reason: &str, refused: bool) -> Event {
        let (token, reason) = (Some(token.into()), Some(reason.into()));
        Event::Vendor { event: VendorEvent::Request { env: None, token, status, reason, token_refused: refused } }
    }

    fn outcome(p: &PushId, result: PushResult) -> Event {
        Event::VendorOutcome {
            outcome: PushOutcome { call: 1, attempts: 1, push_id: p.clone(), message_id: MessageId(1), result },
        }
    }

    fn dead_unbound(p: &PushId) -> Event {
        Event::Server {
            event: ServerEvent::Unbound { user: "alice".into(), push_id: p.clone(), reason: UnbindReason::DeadToken },
        }
    }

    fn dead_answer_heard(p: &PushId) -> Vec<Record> {
        let dead = PushResult::DeadToken { status: 410, reason: "Unregistered".into() };
        vec![
            rec(1_000, ZIM, bound("alice", p)),
            rec(2_000, SANDBOX, revoke("t1")),
            rec(3_000, SANDBOX, answer("t1", 410, "Unregistered", true)),
            rec(3_001, "zpns", outcome(p, dead)),
        ]
    }

    #[test]
    fn a_dead_token_the_relay_heard_of_must_be_unbound_by_the_end() {
        let p = push_id("t1");
        let mut trace = dead_answer_heard(&p);
        let v = DeadTokenUnbound.check(&trace);
        assert_eq!((v.status, v.checks), (Status::Violated, 1), "{v:?}");
        trace.push(rec(3_010, ZIM, dead_unbound(&p)));
        let v = DeadTokenUnbound.check(&trace);
        assert_eq!((v.status, v.checks), (Status::Held, 1), "{v:?}");
    }

    #[test]
    fn an_auth_or_payload_refusal_to_a_revoked_token_obliges_no_unbinding() {
        // The relay's credentials or its payload were refused before the vendor looked at the
        // token: the vendor has not called the token dead, so it may stay bound.
        let p = push_id("t1");
        for (status, reason) in [(403, "InvalidProviderToken"), (413, "PayloadTooLarge")] {
            let rejected = PushResult::Rejected { status, reason: reason.into() };
            let trace = vec![
                rec(1_000, ZIM, bound("alice", &p)),
                rec(2_000, SANDBOX, revoke("t1")),
                rec(3_000, SANDBOX, answer("t1", status, reason, false)),
                rec(3_001, "zpns", outcome(&p, rejected)),
            ];
            let v = DeadTokenUnbound.check(&trace);
            assert_eq!((v.status, v.checks), (Status::Vacuous, 0), "{reason}: {v:?}");
        }
    }

    #[test]
    fn a_dead_answer_the_relay_never_got_or_lost_in_a_crash_is_not_judged() {
        let p = push_id("t1");
        let mut lost = dead_answer_heard(&p);
        lost.pop(); // the answer never reached the relay
        assert_eq!(DeadTokenUnbound.check(&lost).status, Status::Vacuous);
        let mut crashed = dead_answer_heard(&p);
        let crash = Action::World(WorldStep::Crash { host: topology::ZPNS.host.into() });
        crashed.push(rec(3_005, "world", Event::Step { action: crash }));
        assert_eq!(DeadTokenUnbound.check(&crashed).status, Status::Vacuous);
    }

    #[test]
    fn a_live_token_answered_with_an_error_is_not_the_vendor_calling_it_dead() {
        let p = push_id("t1");
        let rejected = PushResult::Rejected { status: 503, reason: "ServiceUnavailable".into() };
        let trace = vec![
            rec(1_000, ZIM, bound("alice", &p)),
            rec(3_000, SANDBOX, answer("t1", 503, "ServiceUnavailable", false)),
            rec(3_001, "zpns", outcome(&p, rejected)),
        ];
        assert_eq!(DeadTokenUnbound.check(&trace).status, Status::Vacuous);
    }

    #[test]
    fn unbinding_a_token_its_vendor_never_revoked_breaks_live_token_retained() {
        let p = push_id("t1");
        let trace = vec![rec(1_000, ZIM, bound("alice", &p)), rec(3_000, ZIM, dead_unbound(&p))];
        let v = LiveTokenRetained.check(&trace);
        assert_eq!((v.status, v.checks), (Status::Violated, 1), "{v:?}");
        let ok = vec![
            rec(1_000, ZIM, bound("alice", &p)),
            rec(2_000, SANDBOX, revoke("t1")),
            rec(3_000, ZIM, dead_unbound(&p)),
        ];
        assert_eq!(LiveTokenRetained.check(&ok).status, Status::Held);
        // A token of the same string at another vendor is not this one.
        let elsewhere = vec![rec(2_000, "fcm", revoke("t1")), rec(3_000, ZIM, dead_unbound(&p))];
        assert_eq!(LiveTokenRetained.check(&elsewhere).status, Status::Violated);
    }

    #[test]
    fn unbinding_for_another_reason_is_not_judged() {
        let p = push_id("t1");
        assert_eq!(LiveTokenRetained.check(&[rec(1_000, ZIM, unbound("alice", &p))]).status, Status::Vacuous);
    }
}
