//! `debug-pushid-isolation`: a token issued in the development environment (APNs sandbox,
//! the debug FCM project) is never sent through production endpoints or credentials, and a
//! production token never through development ones. The environment of a token is what the
//! vendor issued it under (the ground truth), not what the PushID claims.

use super::{Invariant, Kind, Tally, Verdict};
use std::collections::BTreeMap;
use zimsim_reference::push_services::VendorEvent;
use zimsim_reference::pushid::Environment;
use zimsim_sim::trace::{Event, Record};

#[derive(Clone, Copy, Debug, Default)]
pub struct DebugPushIdIsolation;

impl Invariant for DebugPushIdIsolation {
    fn name(&self) -> &'static str {
        "debug-pushid-isolation"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        let mut issued: BTreeMap<&str, (Environment, &str, usize)> = BTreeMap::new();
        for (i, r) in trace.iter().enumerate() {
            let Event::Vendor { event } = &r.event else { continue };
            match event {
                VendorEvent::TokenIssued { token, env, device, .. } => {
                    issued.insert(token, (*env, device.as_str(), i));
                }
                VendorEvent::Request { env: Some(endpoint), token: Some(token), .. } => {
                    let Some(&(token_env, device, issued_at)) = issued.get(token.as_str()) else { continue };
                    tally.check();
                    if token_env != *endpoint {
                        tally.violation(
                            r.t,
                            format!(
                                "{device}'s {token_env} token was sent to {} through {endpoint} credentials",
                                r.src
                            ),
                            &[issued_at, i],
                        );
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
    use super::super::{Invariant, Status, Verdict};
    use super::DebugPushIdIsolation;
    use zimsim_reference::pushid::Environment::{Development, Production};
    use zimsim_sim::trace::Record;

    fn check(trace: &[Record]) -> Verdict {
        DebugPushIdIsolation.check(trace)
    }

    #[test]
    fn is_vacuous_when_tokens_are_issued_but_never_pushed_to() {
        let trace = vec![
            rec(300, "apns-sandbox", token_issued("ios-alice", "tok-dev", Development)),
            rec(300, "fcm", token_issued("android-bob", "tok-prod", Production)),
        ];

        assert_verdict(&check(&trace), Status::Vacuous, 0);
    }

    #[test]
    fn holds_when_every_request_uses_its_tokens_environment() {
        let trace = vec![
            rec(300, "apns-sandbox", token_issued("ios-alice", "tok-dev", Development)),
            rec(300, "fcm", token_issued("android-bob", "tok-prod", Production)),
            rec(25_000, "apns-sandbox", request(Some(Development), Some("tok-dev"))),
            rec(25_100, "fcm", request(Some(Production), Some("tok-prod"))),
            rec(26_000, "apns-sandbox", request(Some(Development), Some("tok-dev"))),
        ];

        assert_verdict(&check(&trace), Status::Held, 3);
    }

    #[test]
    fn is_violated_when_a_development_token_goes_through_production_credentials() {
        let trace = vec![
            rec(300, "apns-sandbox", token_issued("ios-alice", "tok-dev", Development)),
            rec(1_000, "apns", request(Some(Production), Some("tok-dev"))),
        ];

        let v = check(&trace);
        assert_verdict(&v, Status::Violated, 1);
        let violation = single_violation(&v);
        assert_eq!(violation.at_ms, 1_000);
        assert_mentions(&violation.detail, &["ios-alice's development token", "apns", "through production"]);
        // The issuing record names the device and the token.
        assert_eq!(violation.excerpt, excerpt(&trace, &[0, 1]));
        assert!(violation.excerpt[0].contains("ios-alice") && violation.excerpt[0].contains("tok-dev"));
    }

    #[test]
    fn is_violated_when_a_production_token_goes_through_development_credentials() {
        let trace = vec![
            rec(300, "fcm", token_issued("android-bob", "tok-prod", Production)),
            rec(900, "apns-sandbox", token_issued("ios-alice", "tok-dev", Development)),
            rec(1_000, "fcm-debug", request(Some(Development), Some("tok-prod"))),
        ];

        let v = check(&trace);
        assert_verdict(&v, Status::Violated, 1);
        let violation = single_violation(&v);
        assert_mentions(&violation.detail, &["android-bob's production token", "fcm-debug", "through development"]);
        assert_eq!(violation.excerpt, excerpt(&trace, &[0, 2]));
    }

    #[test]
    fn reports_every_misrouted_request() {
        let trace = vec![
            rec(300, "apns-sandbox", token_issued("ios-alice", "tok-dev", Development)),
            rec(1_000, "apns", request(Some(Production), Some("tok-dev"))),
            rec(2_000, "apns-sandbox", request(Some(Development), Some("tok-dev"))),
            rec(3_000, "apns", request(Some(Production), Some("tok-dev"))),
        ];

        let v = check(&trace);
        assert_verdict(&v, Status::Violated, 3);
        let at: Vec<u64> = v.violations.iter().map(|x| x.at_ms).collect();
        assert_eq!(at, [1_000, 3_000]);
    }

    #[test]
    fn does_not_count_requests_for_a_token_that_was_never_issued() {
        let trace = vec![
            rec(300, "apns-sandbox", token_issued("ios-alice", "tok-dev", Development)),
            rec(1_000, "apns", request(Some(Production), Some("tok-unknown"))),
        ];

        assert_verdict(&check(&trace), Status::Vacuous, 0);
    }

    #[test]
    fn does_not_count_a_request_made_before_its_token_was_issued() {
        let trace = vec![
            rec(100, "apns", request(Some(Production), Some("tok-dev"))),
            rec(300, "apns-sandbox", token_issued("ios-alice", "tok-dev", Development)),
        ];

        assert_verdict(&check(&trace), Status::Vacuous, 0);
    }

    #[test]
    fn does_not_count_requests_whose_environment_or_token_is_unknown() {
        let trace = vec![
            rec(300, "apns-sandbox", token_issued("ios-alice", "tok-dev", Development)),
            rec(1_000, "apns", request(None, Some("tok-dev"))),
            rec(1_100, "apns", request(Some(Production), None)),
        ];

        assert_verdict(&check(&trace), Status::Vacuous, 0);
    }
}
