//! Invariant checkers. Each reads a finished trace and returns a [`Verdict`]: held,
//! violated (with the records that show it) or vacuous (nothing it guards happened), and how
//! many individual checks it made. Names are fixed by the spec and used in reports.
//!
//! - [`logout_clears_pushid`]: a logout acknowledged to the app leaves no binding behind and
//!   no notification for later messages.
//! - [`debug_pushid_isolation`]: a token only ever travels through its own environment.
//! - [`exactly_once_delivery`]: every message reaches every device of its recipient once.
//! - [`no_cross_user_leak`]: an install shows and surfaces only its own user's messages.
//! - [`offline_push_notified`]: every push the server decided on reaches its install.

pub mod debug_pushid_isolation;
pub mod exactly_once_delivery;
pub mod logout_clears_pushid;
pub mod no_cross_user_leak;
pub mod offline_push_notified;
#[cfg(test)]
pub(crate) mod testkit;

use serde::{Deserialize, Serialize};
use zimsim_reference::Millis;
use zimsim_sim::trace::{to_human, Record};

/// When an invariant is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Over the whole trace, faults included (safety).
    Always,
    /// At the end of the run, after heal-and-settle (liveness).
    Eventually,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Held,
    Violated,
    /// Nothing this invariant guards happened: not a pass.
    Vacuous,
}

/// One way the trace breaks an invariant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub at_ms: u64,
    pub detail: String,
    /// The records that show it, in the trace's human form.
    pub excerpt: Vec<String>,
    /// Their positions in the trace (0-based), so a timeline can mark them.
    pub records: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub name: String,
    pub kind: Kind,
    pub status: Status,
    pub checks: u64,
    pub violations: Vec<Violation>,
}

/// A checker over a finished trace.
pub trait Invariant {
    fn name(&self) -> &'static str;
    fn kind(&self) -> Kind;
    fn check(&self, trace: &[Record]) -> Verdict;
}

/// Every implemented invariant, in report order.
pub fn all() -> Vec<Box<dyn Invariant>> {
    vec![
        Box::new(logout_clears_pushid::LogoutClearsPushId),
        Box::new(debug_pushid_isolation::DebugPushIdIsolation),
        Box::new(exactly_once_delivery::ExactlyOnceDelivery),
        Box::new(no_cross_user_leak::NoCrossUserLeak),
        Box::new(offline_push_notified::OfflinePushNotified),
    ]
}

/// Checks every invariant against a trace.
pub fn check_all(trace: &[Record]) -> Vec<Verdict> {
    all().iter().map(|i| i.check(trace)).collect()
}

/// Accumulates checks and violations while a checker walks the trace.
#[derive(Debug)]
pub(crate) struct Tally<'t> {
    trace: &'t [Record],
    checks: u64,
    violations: Vec<Violation>,
}

impl<'t> Tally<'t> {
    pub(crate) fn new(trace: &'t [Record]) -> Self {
        Tally { trace, checks: 0, violations: Vec::new() }
    }

    pub(crate) fn check(&mut self) {
        self.checks += 1;
    }

    /// Records a violation shown by the records at `indices` (trace positions).
    pub(crate) fn violation(&mut self, at: Millis, detail: String, indices: &[usize]) {
        let mut idx = indices.to_vec();
        idx.sort_unstable();
        idx.dedup();
        let records: Vec<Record> = idx.iter().filter_map(|&i| self.trace.get(i).cloned()).collect();
        let excerpt = to_human(&records).lines().map(str::to_owned).collect();
        let records = idx.into_iter().filter(|&i| i < self.trace.len()).collect();
        self.violations.push(Violation { at_ms: at.0, detail, excerpt, records });
    }

    pub(crate) fn verdict(self, inv: &dyn Invariant) -> Verdict {
        let status = if !self.violations.is_empty() {
            Status::Violated
        } else if self.checks == 0 {
            Status::Vacuous
        } else {
            Status::Held
        };
        Verdict {
            name: inv.name().to_owned(),
            kind: inv.kind(),
            status,
            checks: self.checks,
            violations: self.violations,
        }
    }
}
