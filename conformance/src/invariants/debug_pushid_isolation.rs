//! `debug-pushid-isolation`: a token issued in the development environment (APNs sandbox,
//! the debug FCM project) is never sent through production endpoints or credentials, and a
//! production token never through development ones. The environment of a token is what the
//! vendor issued it under (the ground truth), not what the PushID claims.

use super::{Invariant, Kind, Tally, Verdict};
use std::collections::BTreeMap;
use zimsim_reference::pushid::Environment;
use zimsim_reference::vendor::VendorEvent;
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
        let mut issued: BTreeMap<&str, (Environment, usize)> = BTreeMap::new();
        for (i, r) in trace.iter().enumerate() {
            let Event::Vendor { event } = &r.event else { continue };
            match event {
                VendorEvent::TokenIssued { token, env, .. } => {
                    issued.insert(token, (*env, i));
                }
                VendorEvent::Request { env: Some(endpoint), token: Some(token), .. } => {
                    let Some(&(token_env, issued_at)) = issued.get(token.as_str()) else { continue };
                    tally.check();
                    if token_env != *endpoint {
                        tally.violation(
                            r.t,
                            format!("a {token_env} token was sent to {} through {endpoint} credentials", r.src),
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
