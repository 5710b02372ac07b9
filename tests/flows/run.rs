//! Running a story for the flow tests: one scenario over several seeds, so that message
//! timing varies, each run required to pass every invariant before its trace is read.

use std::ops::Range;
use zimsim_sim::catalog;
use zimsim_sim::scenario::Scenario;
use zimsim_sim::trace::Record;

/// (seed, trace) of `scenario` run under each of `seeds` on the reference; asserts that
/// every run passed.
pub fn scenario(scenario: &Scenario, seeds: Range<u64>) -> Vec<(u64, Vec<Record>)> {
    seeds
        .map(|seed| {
            let (report, out) = zimsim_conformance::run_with_trace(seed, scenario, None).expect("run completes");
            assert!(report.passed(), "{} seed {seed}: {}", scenario.name, report.to_human());
            (seed, out.trace)
        })
        .collect()
}

/// [`scenario`] for the built-in scenario called `name`.
pub fn builtin(name: &str, seeds: Range<u64>) -> Vec<(u64, Vec<Record>)> {
    scenario(&catalog::builtin(name).expect("built in"), seeds)
}
