//! A vendor that answers late: the relay gives the try up at its request timeout and
//! retries under the same idempotency key, so the phone shows the message once; a relay
//! that mints a new key for the retry makes it show twice.

use crate::phone::{shown, shown_log};
use crate::run;
use zimsim_conformance::mutants;
use zimsim_reference::pushid::Vendor;
use zimsim_reference::relay::{PushResult, REQUEST_TIMEOUT_MS};
use zimsim_sim::catalog;
use zimsim_sim::trace::{Event, Record, Stats};

const SEEDS: std::ops::Range<u64> = 1..4;

/// (attempt, requestId) of every vivo request the relay made.
fn vivo_tries(trace: &[Record]) -> Vec<(u32, String)> {
    trace
        .iter()
        .filter_map(|r| match &r.event {
            Event::VendorCall { call } if call.push_id.vendor == Vendor::Vivo => {
                let body: serde_json::Value = serde_json::from_slice(&call.request.body).ok()?;
                Some((call.attempt, body["requestId"].as_str()?.to_owned()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_slow_vivo_answer_is_retried_under_the_same_request_id_and_the_phone_shows_the_message_once() {
    for (seed, trace) in run::builtin("slow-vendor", SEEDS) {
        let tries = vivo_tries(&trace);
        assert_eq!(tries.len(), 2, "seed {seed}: the try that timed out and its retry: {tries:?}");
        assert_eq!((tries[0].0, tries[1].0), (1, 2));
        assert_eq!(tries[0].1, tries[1].1, "seed {seed}: the retry keeps the requestId");
        // The first try was given up at the timeout, not answered.
        let timeout = trace.iter().find_map(|r| match &r.event {
            Event::VendorTimeout { timeout } => Some((r.t.0, timeout.attempt)),
            _ => None,
        });
        assert!(
            matches!(timeout, Some((t, 1)) if (40_500 + REQUEST_TIMEOUT_MS..40_500 + REQUEST_TIMEOUT_MS + 1_000).contains(&t)),
            "seed {seed}: {timeout:?}"
        );
        let outcomes: Vec<_> = trace
            .iter()
            .filter_map(|r| match &r.event {
                Event::VendorOutcome { outcome } if outcome.push_id.vendor == Vendor::Vivo => {
                    Some((outcome.attempts, outcome.result.clone()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(outcomes, [(2, PushResult::Accepted)], "seed {seed}: one outcome, the late answer ignored");
        let shown = shown(&trace, "erin-vivo");
        assert_eq!(shown.len(), 1, "seed {seed}: {shown:?}");
        let stats = Stats::of(&trace).vendors[&Vendor::Vivo].clone();
        assert_eq!((stats.requests, stats.retries, stats.timeouts, stats.delivered), (2, 1, 1, 1), "seed {seed}");
    }
}

#[test]
fn a_relay_that_retries_without_its_idempotency_key_makes_the_phone_show_the_message_twice() {
    let m = mutants::find("relay-retries-without-idempotency-key").expect("mutant exists");
    let scenario = catalog::builtin(m.scenario).expect("the showcase is built in");
    for seed in SEEDS {
        let (_, out) = zimsim_conformance::run_with_trace(seed, &scenario, Some(&m)).expect("run completes");
        let tries = vivo_tries(&out.trace);
        assert_eq!(tries.len(), 2, "seed {seed}: {tries:?}");
        assert_ne!(tries[0].1, tries[1].1, "seed {seed}: the mutant's retry has a new requestId");
        let shown = shown(&out.trace, "erin-vivo");
        assert_eq!(shown.len(), 2, "seed {seed}: {shown:?}");
        assert_eq!(shown[0], shown[1], "seed {seed}: one message, two notifications");
    }
}

#[test]
fn a_slow_fcm_answer_is_retried_and_the_second_delivery_takes_the_first_ones_place_by_its_tag() {
    for (seed, trace) in run::builtin("slow-vendor", SEEDS) {
        // FCM has no idempotency key: it carried out both tries.
        let shown: Vec<_> =
            shown_log(&trace, "frank-pixel").into_iter().map(|s| (s.id, s.message, s.replaced)).collect();
        let [(first, message, None), (_, again, Some(replaced))] = shown.as_slice() else {
            panic!("seed {seed}: two deliveries, the second in place of the first: {shown:?}")
        };
        assert_eq!((again, replaced), (message, first), "seed {seed}");
        let stats = Stats::of(&trace).vendors[&Vendor::Fcm].clone();
        assert_eq!((stats.requests, stats.retries, stats.timeouts), (2, 1, 1), "seed {seed}");
    }
}

#[test]
fn a_relay_without_replace_keys_makes_the_pixel_show_the_retried_message_twice() {
    let m = mutants::find("relay-without-replace-keys").expect("mutant exists");
    let scenario = catalog::builtin(m.scenario).expect("the showcase is built in");
    for seed in SEEDS {
        let (report, out) = zimsim_conformance::run_with_trace(seed, &scenario, Some(&m)).expect("run completes");
        let shown: Vec<_> =
            shown_log(&out.trace, "frank-pixel").into_iter().map(|s| (s.id, s.message, s.replaced)).collect();
        assert!(
            matches!(shown.as_slice(), [(_, a, None), (_, b, None)] if a == b),
            "seed {seed}: one message, two notifications side by side: {shown:?}"
        );
        assert!(!report.passed(), "seed {seed}: at-most-one-notification catches it");
    }
}
