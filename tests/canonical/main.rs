//! Integration tests of the canonical scenario (SPEC §2 flow, issue 2): what happens, its
//! trace snapshot, determinism, and that each built-in mutant is caught.

mod determinism;
mod mutants;
mod outcomes;
mod snapshot;

use std::sync::OnceLock;
use zimsim_conformance::report::RunReport;
use zimsim_sim::scenario::Scenario;
use zimsim_sim::world::RunOutput;

/// The reference run of the canonical scenario at seed 1, shared by the tests that only read it.
fn canonical() -> &'static (RunReport, RunOutput) {
    static RUN: OnceLock<(RunReport, RunOutput)> = OnceLock::new();
    RUN.get_or_init(|| zimsim_conformance::run_with_trace(1, &Scenario::canonical(), None).expect("the run completes"))
}
