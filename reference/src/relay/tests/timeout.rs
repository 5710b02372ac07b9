//! The relay's request timeout: a try unanswered for [`REQUEST_TIMEOUT_MS`] is given up and
//! retried under the same idempotency key, and its late answer changes nothing.

use super::*;
use crate::push_services::VendorInput;

/// Feeds the relay's timer at its deadline, returning what it did.
fn tick(r: &mut Relay) -> (Millis, Vec<RelayOutput>) {
    let due = r.poll_timeout().expect("a deadline");
    r.handle(due, RelayInput::Tick);
    (due, drain(r))
}

fn timed_out(call: &VendorCall) -> RelayOutput {
    RelayOutput::TimedOut(TimedOut {
        call: call.call,
        attempt: call.attempt,
        push_id: call.push_id.clone(),
        message_id: call.message_id,
    })
}

#[test]
fn a_try_unanswered_for_the_timeout_is_given_up_and_retried_with_the_same_apns_id() {
    let mut r = Relay::new(RelayConfig::default());
    let first = call_for(&mut r, APNS(), Millis(0));
    assert_eq!(r.poll_timeout(), Some(Millis(REQUEST_TIMEOUT_MS)), "the try's deadline");
    let (at, out) = tick(&mut r);
    assert_eq!((at, out), (Millis(REQUEST_TIMEOUT_MS), vec![timed_out(&first)]));
    let (_, retry) = fire(&mut r);
    assert_eq!((retry.call, retry.attempt), (first.call, 2));
    assert_eq!(retry.request.get("apns-id"), first.request.get("apns-id"), "the retry keeps the key");
    assert_eq!(retry.request.body, first.request.body);
}

#[test]
fn a_late_answer_to_a_timed_out_try_is_ignored_and_the_retrys_answer_counts_once() {
    let mut r = Relay::new(RelayConfig::default());
    let first = call_for(&mut r, APNS(), Millis(0));
    tick(&mut r);
    // The first try's answer comes while the retry waits, and again while it is out.
    assert_eq!(answer(&mut r, 10_500, &first, HttpResponse::new(200)), vec![]);
    let (at, retry) = fire(&mut r);
    assert_eq!(answer(&mut r, at + 1, &first, apns_error(503, "ServiceUnavailable")), vec![]);
    r.handle(Millis(at + 2), RelayInput::VendorUnreachable { call: first.call, attempt: first.attempt });
    assert_eq!(drain(&mut r), vec![]);
    let out = answer(&mut r, at + 3, &retry, HttpResponse::new(200));
    assert!(
        matches!(&out[..], [RelayOutput::Outcome(o)] if o.attempts == 2 && o.result == PushResult::Accepted),
        "{out:?}"
    );
    assert_eq!(r.poll_timeout(), None, "nothing left to wait for");
}

#[test]
fn a_timed_out_try_frees_its_in_flight_slot() {
    let mut r = Relay::new(RelayConfig::default());
    for m in 0..=MAX_IN_FLIGHT as u64 {
        r.accept(PushRequest { message_id: MessageId(m), ..request(APNS()) }, Millis(0));
    }
    let calls = drain(&mut r).into_iter().filter(|o| matches!(o, RelayOutput::Call(_))).count();
    assert_eq!(calls, MAX_IN_FLIGHT);
    let (_, out) = tick(&mut r);
    // Every try out times out at once; the waiting push goes out in a freed slot.
    let timeouts = out.iter().filter(|o| matches!(o, RelayOutput::TimedOut(_))).count();
    assert_eq!(timeouts, MAX_IN_FLIGHT);
    assert!(
        matches!(out.last(), Some(RelayOutput::Call(c)) if c.message_id == MessageId(MAX_IN_FLIGHT as u64)),
        "{out:?}"
    );
}

#[test]
fn a_call_whose_every_try_times_out_ends_unreachable() {
    let mut r = Relay::new(RelayConfig::default());
    call_for(&mut r, APNS(), Millis(0));
    let mut tries = 1;
    let outcome = loop {
        let (_, out) = tick(&mut r);
        match &out[..] {
            [RelayOutput::TimedOut(_)] => {}
            [RelayOutput::TimedOut(_), RelayOutput::Outcome(o)] => break o.clone(),
            [RelayOutput::Call(c)] => tries = c.attempt,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(outcome.result, PushResult::Unreachable);
    assert_eq!(outcome.attempts, tries);
    assert_eq!(tries, MAX_ATTEMPTS, "tries 10 s and a backoff apart fit in the 60 s deadline");
}

#[test]
fn a_slow_vivo_answer_and_the_retry_deliver_one_notification() {
    let (mut fake, token) = vendors::fake_with_token(Vendor::Vivo, Environment::Production);
    fake.handle(Millis(0), VendorInput::Slow { ms: 12_000, count: 1 });
    let mut r = Relay::new(RelayConfig::default());
    r.accept(request(PushId::new(Vendor::Vivo, Environment::Production, token)), Millis(0));
    let mut notified = Vec::new();
    let mut held = Vec::new();
    let mut now = Millis(0);
    let mut outcome = None;
    // Play relay, vendor and clock until the call ends and the vendor's held answer is out.
    for _ in 0..20 {
        while let Some(out) = r.poll_output() {
            match out {
                RelayOutput::Auth { id, request: req, .. } => {
                    let response = Some(vendors::ask(&mut fake, &req, now));
                    r.handle(now, RelayInput::AuthAnswered { id, response });
                }
                RelayOutput::Call(c) => {
                    fake.handle(now, VendorInput::Api(ApiRequest { id: c.attempt.into(), request: c.request }));
                    held.push((c.call, c.attempt));
                }
                RelayOutput::Outcome(o) => outcome = Some(o),
                _ => {}
            }
        }
        for o in std::iter::from_fn(|| fake.poll_output()) {
            match o {
                VendorOutput::Respond(resp) => {
                    let (call, attempt) = held.iter().copied().find(|(_, a)| u64::from(*a) == resp.id).expect("asked");
                    r.handle(now, RelayInput::VendorResponse { call, attempt, response: resp.response });
                }
                VendorOutput::ToDevice { frame: VendorToDevice::Notification(n), .. } => notified.push(n),
                _ => {}
            }
        }
        let next = [r.poll_timeout(), fake.poll_timeout()].into_iter().flatten().min();
        let Some(next) = next else { break };
        now = next;
        r.handle(now, RelayInput::Tick);
        fake.handle(now, VendorInput::Tick);
    }
    let outcome = outcome.expect("the call ended");
    assert_eq!((outcome.result, outcome.attempts), (PushResult::Accepted, 2));
    assert_eq!(notified.len(), 1, "vivo took the retry's requestId as the send it made: {notified:?}");
}
