//! `zimsim explore`: many generated worlds, on every core, judged by every invariant; a
//! summary of what each invariant checked across the seeds; each failure shrunk to a small
//! scenario saved to a file with the one-line command that replays it. The report is the
//! same whatever the number of jobs (results are put back in seed order).

use crate::invariants::{Kind, Status};
use crate::mutants::Mutant;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use zimsim_sim::generate::{self, FaultMix, Profile};
use zimsim_sim::scenario::Scenario;

/// What to explore.
#[derive(Clone, Debug)]
pub struct Explore {
    /// The seed range, as given (`A..B`).
    pub from: u64,
    pub to: u64,
    /// This machine's share (1-based index, count): seeds `s` with `s % count == index - 1`.
    pub shard: Option<(u64, u64)>,
    pub jobs: usize,
    pub profile: Profile,
    pub faults: FaultMix,
    pub mutant: Option<Mutant>,
    /// Where failing scenarios are saved.
    pub out_dir: PathBuf,
    /// How many failures (the lowest seeds) are shrunk; the rest are saved as generated.
    pub shrink_failures: usize,
    /// Candidate runs one shrink may spend.
    pub shrink_budget: usize,
}

/// One seed's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeedRun {
    pub seed: u64,
    pub trace_hash: String,
    /// `pass` or `fail`.
    pub status: &'static str,
    pub violated: Vec<String>,
    #[serde(skip)]
    statuses: Vec<(String, Kind, Status, u64)>,
}

/// One invariant over every seed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InvariantSummary {
    pub name: String,
    pub kind: Kind,
    pub held: u64,
    pub violated: u64,
    pub vacuous: u64,
    pub checks: u64,
}

/// A failing seed and how to replay it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub seed: u64,
    pub invariants: Vec<String>,
    pub scenario_file: String,
    /// Whether the saved scenario is the shrunk one.
    pub shrunk: bool,
    pub steps: usize,
    pub replay: String,
}

/// The SPEC §5 explore report.
#[derive(Clone, Debug, Serialize)]
pub struct ExploreReport {
    pub seeds: String,
    pub shard: Option<String>,
    pub profile: &'static str,
    pub faults: &'static str,
    pub mutant: Option<String>,
    pub wall_ms: u64,
    pub seeds_per_s: f64,
    pub runs: Vec<SeedRun>,
    pub invariants: Vec<InvariantSummary>,
    pub failures: Vec<Failure>,
    /// Invariants vacuous in every seed: nothing they guard was ever exercised.
    pub never_checked: Vec<String>,
}

impl ExploreReport {
    /// 0 when every seed passed and something was checked; 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        let checked_nothing = self.invariants.iter().all(|i| i.held + i.violated == 0);
        u8::from(!self.failures.is_empty() || checked_nothing)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("reports serialize")
    }

    pub fn to_human(&self) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        let mutant = self.mutant.as_deref().map(|m| format!("  mutant={m}")).unwrap_or_default();
        let shard = self.shard.as_deref().map(|s| format!("  shard={s}")).unwrap_or_default();
        let _ = writeln!(
            o,
            "zimsim explore  seeds={}{shard}  profile={}  faults={}{mutant}",
            self.seeds, self.profile, self.faults
        );
        let failed = self.runs.iter().filter(|r| r.status == "fail").count();
        let _ = writeln!(
            o,
            "{} seeds, {failed} failed, {:.1} seeds/s ({} ms)",
            self.runs.len(),
            self.seeds_per_s,
            self.wall_ms
        );
        let _ = writeln!(o, "invariants                   kind        held  violated  vacuous     checks");
        for i in &self.invariants {
            let kind = format!("{:?}", i.kind).to_lowercase();
            let flag = if self.never_checked.contains(&i.name) { "  never checked" } else { "" };
            let _ = writeln!(
                o,
                "  {:<26} {kind:<10} {:>5} {:>9} {:>8} {:>10}{flag}",
                i.name, i.held, i.violated, i.vacuous, i.checks
            );
        }
        for f in &self.failures {
            let what = if f.shrunk { "shrunk to" } else { "saved as" };
            let _ = writeln!(
                o,
                "FAIL seed {}: {} ({what} {} steps: {})\n  replay: {}",
                f.seed,
                f.invariants.join(", "),
                f.steps,
                f.scenario_file,
                f.replay
            );
        }
        let verdict = match self.exit_code() {
            0 => "PASS",
            _ if self.failures.is_empty() => "NOTHING CHECKED",
            _ => "FAIL",
        };
        let _ = writeln!(o, "{verdict}");
        o
    }
}

/// Why an exploration could not run or report.
#[derive(Debug, thiserror::Error)]
pub enum ExploreError {
    #[error("seed {seed}: {message}")]
    Sim { seed: u64, message: String },
    #[error("cannot save failing scenario {path}: {error}")]
    Save { path: String, error: String },
}

impl Explore {
    /// The seeds this machine runs, in order.
    pub fn seeds(&self) -> Vec<u64> {
        (self.from..self.to).filter(|s| self.shard.is_none_or(|(index, count)| s % count == index - 1)).collect()
    }

    /// Runs every seed on `jobs` threads, calling `progress(done, total)` as seeds finish.
    pub fn run(&self, progress: &mut dyn FnMut(usize, usize)) -> Result<ExploreReport, ExploreError> {
        let started = std::time::Instant::now();
        let seeds = self.seeds();
        let results = self.run_seeds(&seeds, progress)?;
        let failures = self.failures(&results)?;
        let wall_ms = started.elapsed().as_millis() as u64;
        let mut invariants: BTreeMap<usize, InvariantSummary> = BTreeMap::new();
        for r in &results {
            for (n, (name, kind, status, checks)) in r.statuses.iter().enumerate() {
                let s = invariants.entry(n).or_insert_with(|| InvariantSummary {
                    name: name.clone(),
                    kind: *kind,
                    held: 0,
                    violated: 0,
                    vacuous: 0,
                    checks: 0,
                });
                match status {
                    Status::Held => s.held += 1,
                    Status::Violated => s.violated += 1,
                    Status::Vacuous => s.vacuous += 1,
                }
                s.checks += checks;
            }
        }
        let invariants: Vec<_> = invariants.into_values().collect();
        let never_checked = invariants.iter().filter(|i| i.held + i.violated == 0).map(|i| i.name.clone()).collect();
        Ok(ExploreReport {
            seeds: format!("{}..{}", self.from, self.to),
            shard: self.shard.map(|(i, n)| format!("{i}/{n}")),
            profile: self.profile.name(),
            faults: self.faults.name(),
            mutant: self.mutant.map(|m| m.name.to_owned()),
            wall_ms,
            seeds_per_s: seeds.len() as f64 / (wall_ms.max(1) as f64 / 1000.0),
            runs: results,
            invariants,
            failures,
            never_checked,
        })
    }

    fn run_seeds(&self, seeds: &[u64], progress: &mut dyn FnMut(usize, usize)) -> Result<Vec<SeedRun>, ExploreError> {
        let next = AtomicUsize::new(0);
        let (tx, rx) = mpsc::channel::<(usize, Result<SeedRun, ExploreError>)>();
        let mut slots: Vec<Option<SeedRun>> = vec![None; seeds.len()];
        std::thread::scope(|scope| {
            for _ in 0..self.jobs.max(1) {
                let (tx, next) = (tx.clone(), &next);
                scope.spawn(move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&seed) = seeds.get(i) else { return };
                    if tx.send((i, self.run_one(seed))).is_err() {
                        return;
                    }
                });
            }
            drop(tx);
            let mut done = 0;
            for (i, result) in rx {
                slots[i] = Some(result?);
                done += 1;
                progress(done, seeds.len());
            }
            Ok(())
        })?;
        Ok(slots.into_iter().map(|s| s.expect("every seed ran")).collect())
    }

    fn run_one(&self, seed: u64) -> Result<SeedRun, ExploreError> {
        let scenario = generate::generate(seed, self.profile, self.faults);
        let report = crate::run(seed, &scenario, self.mutant.as_ref())
            .map_err(|e| ExploreError::Sim { seed, message: e.to_string() })?;
        let violated: Vec<String> =
            report.invariants.iter().filter(|v| v.status == Status::Violated).map(|v| v.name.clone()).collect();
        Ok(SeedRun {
            seed,
            trace_hash: report.trace_hash,
            status: if violated.is_empty() { "pass" } else { "fail" },
            violated,
            statuses: report.invariants.iter().map(|v| (v.name.clone(), v.kind, v.status, v.checks)).collect(),
        })
    }

    /// Saves every failing seed's scenario, shrinking the first few. Under a mutant, the
    /// seeds that break the mutant's own invariant come first, and their shrink keeps that
    /// invariant broken: the saved story shows the mutant's fault, not a side effect.
    fn failures(&self, results: &[SeedRun]) -> Result<Vec<Failure>, ExploreError> {
        let mut failing: Vec<&SeedRun> = results.iter().filter(|r| r.status == "fail").collect();
        let target = self.mutant.map(|m| m.breaks);
        let shows_target = |r: &SeedRun| target.is_some_and(|t| r.violated.iter().any(|v| v == t));
        failing.sort_by_key(|r| !shows_target(r)); // stable: seed order within each part
        let mut out = Vec::new();
        for (n, r) in failing.into_iter().enumerate() {
            let first = match target {
                Some(t) if shows_target(r) => t.to_owned(),
                _ => r.violated[0].clone(),
            };
            let (scenario, shrunk) = if n < self.shrink_failures {
                let mutant = self.mutant;
                // Under a mutant, a smaller world must still show the mutant's fault: the
                // reference must hold there (a cut can break a world for everyone, e.g. a
                // recipient who never comes back).
                let still_fails = |s: &Scenario| {
                    violates(r.seed, s, mutant.as_ref(), &first)
                        && (mutant.is_none() || !violates(r.seed, s, None, &first))
                };
                (generate::shrink(r.seed, self.profile, self.faults, self.shrink_budget, still_fails), true)
            } else {
                (generate::generate(r.seed, self.profile, self.faults), false)
            };
            let path = self.out_dir.join(format!("seed-{}.json", r.seed));
            save(&path, &scenario)?;
            let mutant = self.mutant.map(|m| format!(" --mutant {}", m.name)).unwrap_or_default();
            out.push(Failure {
                seed: r.seed,
                invariants: r.violated.clone(),
                scenario_file: path.display().to_string(),
                shrunk,
                steps: scenario.steps.len(),
                replay: format!("zimsim run --seed {} --scenario {}{mutant}", r.seed, path.display()),
            });
        }
        Ok(out)
    }
}

/// Whether running `scenario` from `seed` violates `invariant`.
pub fn violates(seed: u64, scenario: &Scenario, mutant: Option<&Mutant>, invariant: &str) -> bool {
    crate::run(seed, scenario, mutant)
        .is_ok_and(|r| r.invariants.iter().any(|v| v.name == invariant && v.status == Status::Violated))
}

fn save(path: &Path, scenario: &Scenario) -> Result<(), ExploreError> {
    let err = |e: std::io::Error| ExploreError::Save { path: path.display().to_string(), error: e.to_string() };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    std::fs::write(path, scenario.to_json()).map_err(err)
}
