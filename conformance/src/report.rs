//! The report of one run, as JSON (SPEC §5 fields) or for a person.

use crate::invariants::{Status, Verdict};
use serde::Serialize;
use std::fmt::Write as _;
use zimsim_sim::trace::Stats;

/// The verdict of a run as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// No invariant was violated and at least one held.
    Pass,
    /// An invariant was violated.
    Fail,
    /// Every invariant was vacuous: the run checked nothing, which is not a pass.
    NothingChecked,
}

impl Outcome {
    /// Judges a set of verdicts.
    pub fn of(verdicts: &[Verdict]) -> Outcome {
        if verdicts.iter().any(|v| v.status == Status::Violated) {
            Outcome::Fail
        } else if verdicts.iter().any(|v| v.status == Status::Held) {
            Outcome::Pass
        } else {
            Outcome::NothingChecked
        }
    }

    /// The process exit status for it: 0 only for a pass.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Pass => 0,
            Outcome::Fail | Outcome::NothingChecked => 1,
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::NothingChecked => "NOTHING CHECKED",
        })
    }
}

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
    /// The verdict of the run as a whole (derived from `invariants`).
    pub outcome: Outcome,
}

impl RunReport {
    /// True when no invariant was violated and something was checked.
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Pass
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
        for (vendor, v) in &s.vendors {
            let failed: Vec<String> = v.failed.iter().map(|(reason, n)| format!("{reason} {n}")).collect();
            let failed = if failed.is_empty() { "none".to_owned() } else { failed.join(", ") };
            let _ = writeln!(
                o,
                "  {vendor:<5} requests {}, retries {}, delivered {}, dead tokens {}; failed: {failed}",
                v.requests, v.retries, v.delivered, v.dead_tokens
            );
        }
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
        let _ = writeln!(o, "{}", self.outcome);
        o
    }
}
