//! The report of one run, as JSON (SPEC §5 fields) or for a person.

use crate::invariants::{Status, Verdict};
use serde::Serialize;
use std::fmt::Write as _;
use zimsim_sim::trace::Stats;

/// What `zimsim run` prints.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub seed: u64,
    pub scenario: String,
    pub sdk: String,
    pub mutant: Option<String>,
    pub trace_hash: String,
    pub sim_time_ms: u64,
    pub stats: Stats,
    pub invariants: Vec<Verdict>,
}

impl RunReport {
    /// True when no invariant was violated.
    pub fn passed(&self) -> bool {
        self.invariants.iter().all(|v| v.status != Status::Violated)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("reports serialize")
    }

    pub fn to_human(&self) -> String {
        let mut o = String::new();
        let mutant = self.mutant.as_deref().map(|m| format!("  mutant={m}")).unwrap_or_default();
        let _ = writeln!(o, "zimsim run  seed={}  scenario={}  sdk={}{mutant}", self.seed, self.scenario, self.sdk);
        let _ = writeln!(
            o,
            "trace {}  ({} records, {} ms simulated)",
            self.trace_hash, self.stats.records, self.sim_time_ms
        );
        let s = &self.stats;
        let _ = writeln!(
            o,
            "stats messages accepted {}, surfaced {}; pushes {}, vendor errors {}; notifications shown {}",
            s.messages_accepted, s.messages_surfaced, s.vendor_requests, s.vendor_errors, s.notifications_shown
        );
        let _ = writeln!(o, "invariants");
        for v in &self.invariants {
            let status = format!("{:?}", v.status).to_lowercase();
            let kind = format!("{:?}", v.kind).to_lowercase();
            let _ = writeln!(o, "  {status:<9} {:<26} {kind:<10} {} checks", v.name, v.checks);
            for violation in &v.violations {
                let _ = writeln!(o, "    at {} ms: {}", violation.at_ms, violation.detail);
                for line in &violation.excerpt {
                    let _ = writeln!(o, "      {line}");
                }
            }
        }
        let verdict = if self.passed() { "PASS" } else { "FAIL" };
        let _ = writeln!(o, "{verdict}");
        o
    }
}
