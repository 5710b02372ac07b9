//! zimsim's conformance layer: invariant checkers over run traces, the built-in mutants
//! that prove each checker can fail, run reports, and the `zimsim` command line.
//!
//! # Layout
//!
//! - [`invariants`]: the checkers (**start here**), one file per invariant.
//! - [`explore`]: many generated worlds over a seed range, with a summary and shrunk failures.
//! - [`mutants`]: deliberately broken SDK and relay variants.
//! - [`report`]: the run report in JSON and human form.
//! - [`replay`]: one run's timeline annotated with the verdicts (human, JSON, mermaid).
//! - [`suite`]: the conformance cases and their reports (human, JSON, JUnit), with a baseline.
//! - [`sdk_cmd`]: an SDK in any language, as a subprocess speaking JSON lines.
//! - [`run`]: one simulation plus all checks, as the CLI and the tests use it.
//!
//! # Example
//!
//! ```no_run
//! let report = zimsim_conformance::run(1, &zimsim_sim::scenario::Scenario::canonical(), None).unwrap();
//! assert!(report.passed());
//! ```

pub mod explore;
pub mod invariants;
pub mod mutants;
pub mod replay;
pub mod report;
pub mod sdk_cmd;
pub mod suite;

use report::{Outcome, RunReport};
use zimsim_sim::scenario::Scenario;
use zimsim_sim::world::{self, Parts, RunOutput, SimError};

/// Runs `scenario` from `seed`, with `mutant` installed if given, and checks every invariant.
pub fn run(seed: u64, scenario: &Scenario, mutant: Option<&mutants::Mutant>) -> Result<RunReport, SimError> {
    Ok(run_with_trace(seed, scenario, mutant)?.0)
}

/// Like [`run`], also returning the raw run output (trace included).
pub fn run_with_trace(
    seed: u64,
    scenario: &Scenario,
    mutant: Option<&mutants::Mutant>,
) -> Result<(RunReport, RunOutput), SimError> {
    run_observed(seed, scenario, mutant, &mut |_, _| {})
}

/// Like [`run_with_trace`], reporting progress as [`world::run_observed`] does.
pub fn run_observed(
    seed: u64,
    scenario: &Scenario,
    mutant: Option<&mutants::Mutant>,
    progress: &mut dyn FnMut(zimsim_reference::Millis, zimsim_reference::Millis),
) -> Result<(RunReport, RunOutput), SimError> {
    let mut parts = Parts::default();
    if let Some(m) = mutant {
        m.install(&mut parts);
    }
    let out = world::run_observed(seed, scenario, &parts, progress)?;
    let verdicts = invariants::check_all(&out.trace);
    let report = RunReport {
        seed,
        scenario: scenario.name.clone(),
        sdk: parts.sdk.name(),
        mutant: mutant.map(|m| m.name.to_owned()),
        trace_hash: out.trace_hash.clone(),
        sim_time_ms: out.sim_time_ms,
        stats: out.stats.clone(),
        outcome: Outcome::of(&verdicts),
        invariants: verdicts,
    };
    Ok((report, out))
}
