//! The conformance suite for SDK implementers: named cases ([`cases`]), each run in a few
//! variations (seeds, so message timing differs) against one SDK, judged by the invariants,
//! and reported for a person, as JSON (SPEC §5) or as JUnit XML for CI. A baseline of known
//! failures lets a team fail its CI only on regressions.

pub mod cases;

use crate::invariants::{self, Status};
use crate::mutants::Mutant;
use crate::sdk_cmd::{CommandSdk, Recording, SdkFailure};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};
use zimsim_sim::scenario::Scenario;
use zimsim_sim::world::{self, Parts};

/// One conformance case.
#[derive(Clone, Debug)]
pub struct Case {
    /// Stable, grouped by area: `push/…`, `login/…`, `group/…`, `vendor/…`, `sync/…`,
    /// `lifecycle/…`.
    pub id: String,
    pub scenario: Scenario,
    /// The documented behaviour or `docs/policies.md` rule it checks.
    pub checks: String,
    /// Invariants the case must check: each must hold with at least one check in every
    /// variation (any invariant violated fails the case too).
    pub holds: Vec<&'static str>,
}

impl Case {
    pub fn new(id: impl Into<String>, scenario: Scenario, checks: impl Into<String>, holds: &[&'static str]) -> Case {
        Case { id: id.into(), scenario, checks: checks.into(), holds: holds.to_vec() }
    }
}

/// The seeds each case runs under by default: three variations of its timing.
pub const SEEDS: std::ops::Range<u64> = 1..4;

/// How far a variation may move a phone's steps later, in ms.
pub const MAX_SHIFT_MS: u64 = 250;

/// The variation of `scenario` that `seed` runs: seed 1 is the story as written; any other
/// moves each phone's steps later by its own 0–250 ms (drawn from the seed and the phone),
/// so the phones' actions interleave differently with each other and with the world's
/// steps, while each phone keeps its own order and spacing. With the seed's own latencies,
/// an SDK cannot pass by matching one timeline.
pub fn variation(scenario: &Scenario, seed: u64) -> Scenario {
    if seed == 1 {
        return scenario.clone();
    }
    let shift = |device: &str| zimsim_reference::sub_seed(seed, device) % (MAX_SHIFT_MS + 1);
    let mut varied = scenario.clone();
    for step in &mut varied.steps {
        if let Some(device) = &step.device {
            step.at_ms += shift(device.as_str());
        }
    }
    varied.steps.sort_by_key(|s| s.at_ms); // stable: a phone's same-time steps keep their order
    varied
}

/// The SDK under test.
#[derive(Clone, Debug)]
pub enum SdkChoice {
    Reference,
    /// A built-in mutant (SDK, relay or server): the suite must fail.
    Mutant(Mutant),
    /// A program speaking docs/sdk-adapter.md, started with `sh -c`.
    Command {
        command: String,
        wait: Duration,
    },
}

impl SdkChoice {
    /// The arguments that choose this SDK on the command line.
    pub fn args(&self) -> String {
        match self {
            SdkChoice::Reference => "--sdk reference".into(),
            SdkChoice::Mutant(m) => format!("--sdk mutant:{}", m.name),
            SdkChoice::Command { command, .. } => format!("--sdk-cmd {}", shell_quote(command)),
        }
    }
}

/// A run of the suite.
#[derive(Clone, Debug)]
pub struct Suite {
    pub sdk: SdkChoice,
    /// Only the cases whose ID matches this glob (`*` any run of characters, `?` one).
    pub filter: Option<String>,
    pub seeds: std::ops::Range<u64>,
    /// Write every SDK exchange here (docs/sdk-adapter.md), per case and seed.
    pub record: Option<PathBuf>,
    /// Worker threads, each running whole cases.
    pub jobs: usize,
}

/// What became of one case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Pass,
    Fail,
    Skip,
}

#[derive(Clone, Debug, Serialize)]
pub struct CaseResult {
    pub id: String,
    pub checks: String,
    pub status: CaseStatus,
    /// The invariants the case failed on (violated, or left unchecked where it must check).
    pub invariants: Vec<String>,
    /// Why it failed, with the trace excerpt; empty on a pass.
    pub detail: String,
    /// The seed it failed under, and the one-line command that runs that variation again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<String>,
    /// The baseline expected it to fail.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub known: bool,
    pub wall_ms: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub cases: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Failures the baseline expected.
    pub known_failures: usize,
    /// Failures the baseline did not expect: what fails a CI run.
    pub regressions: usize,
    /// Cases the baseline expected to fail that now pass.
    pub fixed: Vec<String>,
}

/// The report of a suite run (`zimsim conformance --format json`).
#[derive(Clone, Debug, Serialize)]
pub struct SuiteReport {
    pub sdk: String,
    pub seeds: String,
    pub cases: Vec<CaseResult>,
    pub summary: Summary,
}

impl Suite {
    /// The cases the filter selects, in catalog order.
    pub fn selected(&self) -> Vec<Case> {
        let pattern = self.filter.as_deref().map(wildmatch::WildMatch::new);
        cases::all().into_iter().filter(|c| pattern.as_ref().is_none_or(|p| p.matches(&c.id))).collect()
    }

    /// Runs every selected case on `jobs` threads (the report is the same whatever the
    /// number); `progress` hears each case's result as it ends. After an SDK process fails
    /// (exits, hangs, garbage), the cases not yet started are skipped.
    pub fn run(&self, baseline: &[String], progress: &mut dyn FnMut(&CaseResult)) -> SuiteReport {
        self.run_cases(&self.selected(), baseline, progress)
    }

    /// [`Suite::run`] over `cases` (what [`Suite::selected`] gave: a caller that already
    /// selected does not build every case's scenario again).
    pub fn run_cases(&self, cases: &[Case], baseline: &[String], progress: &mut dyn FnMut(&CaseResult)) -> SuiteReport {
        let mut sdk_name = match &self.sdk {
            SdkChoice::Reference => "reference".to_owned(),
            SdkChoice::Mutant(m) => format!("mutant:{}", m.name),
            SdkChoice::Command { command, .. } => format!("cmd: {command}"),
        };
        let (next, broken) = (AtomicUsize::new(0), Mutex::new(None::<String>));
        let (tx, rx) = mpsc::channel::<(usize, CaseResult, Option<String>)>();
        let mut slots: Vec<Option<CaseResult>> = vec![None; cases.len()];
        std::thread::scope(|scope| {
            for _ in 0..self.jobs.max(1) {
                let (tx, next, broken) = (tx.clone(), &next, &broken);
                scope.spawn(move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { return };
                    let started = Instant::now();
                    let first = broken.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    let (mut result, name) = match first {
                        Some(first) => (skipped(case, &first), None),
                        None => {
                            let (result, name, sdk_failed) = self.run_case(case);
                            if sdk_failed {
                                broken.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(case.id.clone());
                            }
                            (result, name)
                        }
                    };
                    result.wall_ms = started.elapsed().as_millis() as u64;
                    if tx.send((i, result, name)).is_err() {
                        return;
                    }
                });
            }
            drop(tx);
            for (i, mut result, name) in rx {
                result.known = result.status == CaseStatus::Fail && baseline.contains(&result.id);
                progress(&result);
                slots[i] = Some(result);
                if let Some(name) = name {
                    sdk_name = name;
                }
            }
        });
        let results: Vec<CaseResult> = slots.into_iter().map(|r| r.expect("every case ran")).collect();
        let mut summary = Summary { cases: results.len(), ..Summary::default() };
        for r in &results {
            match r.status {
                CaseStatus::Pass => {
                    summary.passed += 1;
                    if baseline.contains(&r.id) {
                        summary.fixed.push(r.id.clone());
                    }
                }
                CaseStatus::Fail if r.known => {
                    (summary.failed, summary.known_failures) = (summary.failed + 1, summary.known_failures + 1)
                }
                CaseStatus::Fail => {
                    (summary.failed, summary.regressions) = (summary.failed + 1, summary.regressions + 1)
                }
                CaseStatus::Skip => summary.skipped += 1,
            }
        }
        let seeds = format!("{}..{}", self.seeds.start, self.seeds.end);
        SuiteReport { sdk: sdk_name, seeds, cases: results, summary }
    }

    /// Runs one case under each seed; the first failing seed decides. Also returns the name
    /// a subprocess SDK gave, and whether its process failed.
    fn run_case(&self, case: &Case) -> (CaseResult, Option<String>, bool) {
        let mut sdk_name = None;
        let mut result = CaseResult {
            id: case.id.clone(),
            checks: case.checks.clone(),
            status: CaseStatus::Pass,
            invariants: Vec::new(),
            detail: String::new(),
            seed: None,
            replay: None,
            known: false,
            wall_ms: 0,
        };
        for seed in self.seeds.clone() {
            let (mut parts, command) = (Parts::default(), self.command_sdk());
            match (&self.sdk, &command) {
                (SdkChoice::Mutant(m), _) => m.install(&mut parts),
                (_, Some(sdk)) => parts.sdk = sdk.clone(),
                _ => {}
            }
            if let Some(dir) = &self.record {
                let dir = dir.join(case.id.replace('/', "_")).join(seed.to_string());
                parts.sdk = Rc::new(Recording::new(parts.sdk.clone(), dir));
            }
            let run = world::run(seed, &variation(&case.scenario, seed), &parts);
            if let Some(sdk) = &command {
                sdk_name = Some(zimsim_reference::client::SdkFactory::name(sdk.as_ref()));
            }
            let failed = |result: &mut CaseResult, invariants: Vec<String>, detail: String| {
                result.status = CaseStatus::Fail;
                result.invariants = invariants;
                result.seed = Some(seed);
                result.replay = Some(self.replay(&case.id, seed));
                result.detail = detail;
            };
            if let Some(failure) = command.as_ref().and_then(|c| c.failure()) {
                failed(&mut result, Vec::new(), sdk_failure(&case.id, seed, &failure));
                return (result, sdk_name, true);
            }
            let out = match run {
                Ok(out) => out,
                Err(e) => {
                    failed(&mut result, Vec::new(), format!("seed {seed}: the run could not complete: {e}"));
                    return (result, sdk_name, false);
                }
            };
            let verdicts = invariants::check_all(&out.trace);
            let violated: Vec<_> = verdicts.iter().filter(|v| v.status == Status::Violated).collect();
            let unchecked: Vec<_> = (verdicts.iter())
                .filter(|v| case.holds.contains(&v.name.as_str()) && v.status == Status::Vacuous)
                .collect();
            if violated.is_empty() && unchecked.is_empty() {
                continue;
            }
            let mut detail = String::new();
            for v in &violated {
                for violation in v.violations.iter().take(3) {
                    let _ = writeln!(
                        detail,
                        "seed {seed}: {} violated at {} ms: {}",
                        v.name, violation.at_ms, violation.detail
                    );
                    for line in &violation.excerpt {
                        let _ = writeln!(detail, "    {line}");
                    }
                }
            }
            for v in &unchecked {
                let _ = writeln!(
                    detail,
                    "seed {seed}: {} checked nothing: the case needs it to hold on something (did the SDK register, log in, bind?)",
                    v.name
                );
            }
            let names = violated.iter().chain(&unchecked).map(|v| v.name.clone()).collect();
            failed(&mut result, names, detail.trim_end().to_owned());
            return (result, sdk_name, false);
        }
        (result, sdk_name, false)
    }

    /// A fresh subprocess factory for one run, when the SDK is a command.
    fn command_sdk(&self) -> Option<Rc<CommandSdk>> {
        match &self.sdk {
            SdkChoice::Command { command, wait } => Some(Rc::new(CommandSdk::new(command, *wait))),
            _ => None,
        }
    }

    /// The one-line command that runs `case` under `seed` again.
    fn replay(&self, case: &str, seed: u64) -> String {
        format!("zimsim conformance {} --filter '{case}' --seeds {seed}..{}", self.sdk.args(), seed + 1)
    }
}

/// A case not run because the SDK process failed in case `first`.
fn skipped(case: &Case, first: &str) -> CaseResult {
    CaseResult {
        id: case.id.clone(),
        checks: case.checks.clone(),
        status: CaseStatus::Skip,
        invariants: Vec::new(),
        detail: format!("not run: the SDK process failed in {first}"),
        seed: None,
        replay: None,
        known: false,
        wall_ms: 0,
    }
}

fn sdk_failure(case: &str, seed: u64, failure: &SdkFailure) -> String {
    format!("case {case}, seed {seed}: {failure}")
}

/// `s` quoted for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl SuiteReport {
    /// 0: every case passed, or failed as the baseline expected; 1: a regression.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.summary.regressions > 0 || self.summary.skipped > 0)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("reports serialize")
    }

    pub fn to_human(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "zimsim conformance  sdk={}  seeds={}", self.sdk, self.seeds);
        for c in &self.cases {
            let status = match (c.status, c.known) {
                (CaseStatus::Pass, _) => "pass",
                (CaseStatus::Fail, true) => "known",
                (CaseStatus::Fail, false) => "FAIL",
                (CaseStatus::Skip, _) => "skip",
            };
            let _ = writeln!(o, "  {status:<5} {:<44} {}", c.id, c.invariants.join(", "));
        }
        for c in self.cases.iter().filter(|c| c.status == CaseStatus::Fail) {
            let _ = writeln!(o, "\n{} {}", if c.known { "known failure" } else { "FAILED" }, c.id);
            let _ = writeln!(o, "  checks: {}", c.checks);
            for line in c.detail.lines() {
                let _ = writeln!(o, "  {line}");
            }
            if let Some(replay) = &c.replay {
                let _ = writeln!(o, "  replay: {replay}");
            }
        }
        if let Some(skipped) = self.cases.iter().find(|c| c.status == CaseStatus::Skip) {
            let _ = writeln!(o, "\n{} cases skipped: {}", self.summary.skipped, skipped.detail);
        }
        let s = &self.summary;
        let _ = writeln!(
            o,
            "\n{} cases: {} passed, {} failed ({} known, {} regressions), {} skipped",
            s.cases, s.passed, s.failed, s.known_failures, s.regressions, s.skipped
        );
        if !s.fixed.is_empty() {
            let _ = writeln!(o, "fixed since the baseline: {}", s.fixed.join(", "));
        }
        o
    }

    /// JUnit XML: one test suite, a test case per conformance case (class name: its area).
    pub fn to_junit(&self) -> String {
        use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
        let mut suite = TestSuite::new("zimsim conformance");
        for c in &self.cases {
            let status = match c.status {
                CaseStatus::Pass => TestCaseStatus::success(),
                CaseStatus::Skip => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(c.detail.clone());
                    s
                }
                CaseStatus::Fail => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    let first = c.detail.lines().next().unwrap_or_default();
                    s.set_message(if c.known { format!("known failure: {first}") } else { first.to_owned() });
                    s.set_type(c.invariants.join(", "));
                    let replay = c.replay.as_deref().map(|r| format!("\nreplay: {r}")).unwrap_or_default();
                    s.set_description(format!("{}\n{}{replay}", c.checks, c.detail));
                    s
                }
            };
            let mut case = TestCase::new(c.id.clone(), status);
            case.set_classname(c.id.split('/').next().unwrap_or_default().to_owned());
            case.set_time(Duration::from_millis(c.wall_ms));
            suite.add_test_case(case);
        }
        let mut report = Report::new(format!("zimsim conformance ({})", self.sdk));
        report.add_test_suite(suite);
        report.to_string().expect("JUnit reports serialize")
    }
}

/// The case IDs a baseline expects to fail: the failed cases of an earlier
/// `--format json` report.
pub fn read_baseline(text: &str) -> Result<Vec<String>, String> {
    #[derive(Deserialize)]
    struct Earlier {
        cases: Vec<EarlierCase>,
    }
    #[derive(Deserialize)]
    struct EarlierCase {
        id: String,
        status: CaseStatus,
    }
    let earlier: Earlier =
        serde_json::from_str(text).map_err(|e| format!("not a `zimsim conformance --format json` report: {e}"))?;
    Ok(earlier.cases.into_iter().filter(|c| c.status == CaseStatus::Fail).map(|c| c.id).collect())
}
