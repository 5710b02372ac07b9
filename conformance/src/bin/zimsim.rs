//! The `zimsim` command line. It only parses arguments and prints; the work is in the
//! library crates. Exit status: 0 all held, 1 an invariant violated or nothing checked,
//! 2 bad usage or input.

use clap::{Parser, Subcommand, ValueEnum};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::io::Write;
use std::process::ExitCode;
use zimsim_conformance::explore::Explore;
use zimsim_conformance::suite::{self, SdkChoice, Suite};
use zimsim_conformance::{mutants, replay};
use zimsim_reference::server::ServerConfig;
use zimsim_reference::time::SIM_EPOCH_UNIX_MS;
use zimsim_reference::token;
use zimsim_sim::catalog;
use zimsim_sim::generate::{self, FaultMix, Profile};
use zimsim_sim::scenario::Scenario;
use zimsim_sim::trace;

#[derive(Parser)]
#[command(name = "zimsim", version, about = "Deterministic simulator of in-app chat with offline push")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one simulation and check every invariant.
    Run {
        #[command(flatten)]
        world: WorldArgs,
        /// Write the trace to this file as JSON lines.
        #[arg(long)]
        trace: Option<std::path::PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Run the worlds generated from a range of seeds and summarise every invariant.
    Explore {
        /// The seed range, `A..B` (B excluded).
        #[arg(long, default_value = "0..100")]
        seeds: String,
        /// Run only this machine's share of the range, `I/N` (1-based): seeds `s` with
        /// `s % N == I - 1`.
        #[arg(long)]
        shard: Option<String>,
        /// Worker threads (the report is the same whatever the number).
        #[arg(long)]
        jobs: Option<usize>,
        /// The size of the generated worlds: small, default or large.
        #[arg(long, default_value = "default")]
        profile: String,
        /// The faults of the generated worlds: none, light or heavy.
        #[arg(long, default_value = "none")]
        faults: String,
        /// Replace the part a built-in mutant breaks.
        #[arg(long)]
        mutant: Option<String>,
        /// Where the scenarios of failing seeds are saved.
        #[arg(long, default_value = "zimsim-failures")]
        out_dir: std::path::PathBuf,
        /// How many candidate runs shrinking one failure may spend (the first 3 failures are
        /// shrunk; 0 saves them as generated).
        #[arg(long, default_value_t = 150)]
        shrink_budget: usize,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// The timeline of one run, annotated with the invariant verdicts.
    Replay {
        #[command(flatten)]
        world: WorldArgs,
        #[arg(long, value_enum, default_value_t = ReplayFormat::Human)]
        format: ReplayFormat,
    },
    /// Run the named conformance cases against an SDK (docs/sdk-adapter.md plugs in one in
    /// any language).
    Conformance {
        /// `reference`, or `mutant:NAME` (a built-in broken variant; the suite must fail).
        #[arg(long, default_value = "reference", conflicts_with = "sdk_cmd")]
        sdk: String,
        /// A command that speaks the SDK adapter protocol (started with `sh -c` per app
        /// launch).
        #[arg(long)]
        sdk_cmd: Option<String>,
        /// How long to wait for each answer of an `--sdk-cmd` process, in ms (real time).
        #[arg(long, default_value_t = 5_000)]
        sdk_timeout_ms: u64,
        /// Only the cases whose ID matches this glob (`*`, `?`), e.g. `vendor/fcm/*`.
        #[arg(long)]
        filter: Option<String>,
        /// The variations each case runs, a seed range `A..B`.
        #[arg(long, default_value = "1..4")]
        seeds: String,
        #[arg(long, value_enum, default_value_t = SuiteFormat::Human)]
        format: SuiteFormat,
        /// Write the report here instead of standard output.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// An earlier `--format json` report: its failed cases are expected to fail, and
        /// only other failures (regressions) fail this run.
        #[arg(long)]
        baseline: Option<std::path::PathBuf>,
        /// Write every SDK exchange to this directory (the adapter protocol's lines).
        #[arg(long)]
        record: Option<std::path::PathBuf>,
        /// List the cases instead of running them.
        #[arg(long)]
        list: bool,
        /// Worker threads, each running whole cases (the report is the same whatever the
        /// number). Default: one per core.
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// List the built-in mutants and the invariant each one breaks.
    Mutants {
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// List the built-in scenarios.
    Scenarios,
    /// Mint a Token04 login token as an app's backend does (defaults: the reference
    /// server's app ID and ServerSecret), or decode one with `--decode`.
    Token {
        /// The user ID the token is for.
        #[arg(long, required_unless_present = "decode")]
        user: Option<String>,
        #[arg(long, default_value_t = ServerConfig::default().app_id)]
        app_id: u32,
        /// The app's 32-byte ServerSecret.
        #[arg(long, default_value_t = ServerConfig::default().server_secret)]
        secret: String,
        /// How long the token is valid, in seconds.
        #[arg(long, default_value_t = 3600)]
        effective_s: i64,
        /// Issue time, unix seconds. Default: the simulation epoch (2026-01-01T00:00:00Z),
        /// so the same arguments always mint the same token.
        #[arg(long, default_value_t = (SIM_EPOCH_UNIX_MS / 1000) as i64)]
        ctime: i64,
        /// Seeds the token's IV and nonce.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print this token's claims instead (decrypted with `--secret`), or the ZIM error
        /// code it would get.
        #[arg(long, conflicts_with = "user")]
        decode: Option<String>,
    },
}

/// Which world a `run` or `replay` plays.
#[derive(clap::Args)]
struct WorldArgs {
    /// The seed every source of randomness derives from.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// A built-in scenario's name (see `zimsim scenarios`) or a scenario file (JSON).
    /// Default: the world generated from the seed (with `--mutant` alone, the mutant's
    /// showcase scenario).
    #[arg(long)]
    scenario: Option<String>,
    /// The size of the generated world: small, default (the default) or large.
    #[arg(long)]
    profile: Option<String>,
    /// The faults of the generated world: none (the default), light or heavy.
    #[arg(long)]
    faults: Option<String>,
    /// Replace the part a built-in mutant breaks (see `zimsim mutants`).
    #[arg(long)]
    mutant: Option<String>,
}

impl WorldArgs {
    /// The scenario and mutant asked for.
    fn choose(&self) -> Result<(Scenario, Option<mutants::Mutant>), String> {
        let profile = Profile::parse(self.profile.as_deref().unwrap_or("default"))?;
        let faults = FaultMix::parse(self.faults.as_deref().unwrap_or("none"))?;
        let mutant = self.mutant.as_deref().map(find_mutant).transpose()?;
        let generated = self.profile.is_some() || self.faults.is_some();
        let scenario = match (self.scenario.as_deref(), &mutant) {
            (Some(_), _) if generated => {
                return Err("--profile and --faults shape generated worlds; a --scenario brings its own steps".into())
            }
            (Some(name), _) => load_scenario(name)?,
            (None, Some(m)) if !generated => load_scenario(m.scenario)?,
            (None, _) => generate::generate(self.seed, profile, faults),
        };
        Ok((scenario, mutant))
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum SuiteFormat {
    Human,
    Json,
    /// JUnit XML, as CI systems read test results.
    Junit,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReplayFormat {
    Human,
    Json,
    /// A mermaid `sequenceDiagram`.
    Mermaid,
    /// One self-contained HTML page (lanes per host and device, violations highlighted).
    Html,
}

/// Logs to stderr when `RUST_LOG` asks for them (off otherwise), stamped with simulated
/// time. Logs are for watching a run; the trace is the record of it.
fn init_logging() {
    let Ok(filter) = tracing_subscriber::EnvFilter::try_from_default_env() else { return };
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_timer(SimClock).init();
}

/// Simulated time for log lines (`-` outside a simulated host).
struct SimClock;

impl tracing_subscriber::fmt::time::FormatTime for SimClock {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        match zimsim_sim::trace::sim_now() {
            Some(t) => write!(w, "{:>9}", t.to_string()),
            None => write!(w, "{:>9}", "-"),
        }
    }
}

fn main() -> ExitCode {
    init_logging();
    match Cli::parse().command {
        Command::Run { world, trace: trace_file, format } => {
            let seed = world.seed;
            let (scenario, mutant) = match world.choose() {
                Ok(chosen) => chosen,
                Err(e) => return bad_input(&e),
            };
            let mut progress = Progress::new(seed);
            let result = zimsim_conformance::run_observed(seed, &scenario, mutant.as_ref(), &mut |at, end| {
                progress.update(at.0, end.0)
            });
            progress.finish();
            let (report, out) = match result {
                Ok(r) => r,
                Err(e) => return bad_input(&e.to_string()),
            };
            if let Some(path) = trace_file {
                if let Err(e) = std::fs::write(&path, trace::to_json_lines(&out.trace)) {
                    return bad_input(&format!("cannot write trace {}: {e}", path.display()));
                }
            }
            let text = match format {
                Format::Json => format!("{}\n", report.to_json()),
                Format::Human => report.to_human(),
            };
            print_or_exit(&text);
            ExitCode::from(report.outcome.exit_code())
        }
        Command::Explore { seeds, shard, jobs, profile, faults, mutant, out_dir, shrink_budget, format } => {
            let setup = (|| -> Result<Explore, String> {
                let (from, to) = parse_range(&seeds)?;
                let shard = shard.as_deref().map(parse_shard).transpose()?;
                let profile = Profile::parse(&profile)?;
                let faults = FaultMix::parse(&faults)?;
                let mutant = mutant.as_deref().map(find_mutant).transpose()?;
                let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
                if jobs == 0 {
                    return Err("--jobs must be at least 1".into());
                }
                let shrink_failures = if shrink_budget == 0 { 0 } else { 3 };
                Ok(Explore { from, to, shard, jobs, profile, faults, mutant, out_dir, shrink_failures, shrink_budget })
            })();
            let explore = match setup {
                Ok(e) => e,
                Err(e) => return bad_input(&e),
            };
            let mut progress = SeedProgress::new("explored", "seeds");
            let report = explore.run(&mut |done, total| progress.update(done, total));
            progress.finish();
            let report = match report {
                Ok(r) => r,
                Err(e) => return bad_input(&e.to_string()),
            };
            let text = match format {
                Format::Json => format!("{}\n", report.to_json()),
                Format::Human => report.to_human(),
            };
            print_or_exit(&text);
            ExitCode::from(report.exit_code())
        }
        Command::Replay { world, format } => {
            let seed = world.seed;
            let (scenario, mutant) = match world.choose() {
                Ok(chosen) => chosen,
                Err(e) => return bad_input(&e),
            };
            let (report, out) = match zimsim_conformance::run_with_trace(seed, &scenario, mutant.as_ref()) {
                Ok(r) => r,
                Err(e) => return bad_input(&e.to_string()),
            };
            let text = match format {
                ReplayFormat::Human => replay::human(&report, &out.trace),
                ReplayFormat::Json => format!("{}\n", replay::json(&report, &out.trace)),
                ReplayFormat::Mermaid => replay::mermaid(&report, &out.trace),
                ReplayFormat::Html => replay::html(&report, &out.trace),
            };
            print_or_exit(&text);
            ExitCode::from(report.outcome.exit_code())
        }
        Command::Conformance {
            sdk,
            sdk_cmd,
            sdk_timeout_ms,
            filter,
            seeds,
            format,
            out,
            baseline,
            record,
            list,
            jobs,
        } => {
            let setup = (|| -> Result<(Suite, Vec<suite::Case>, Vec<String>), String> {
                let (from, to) = parse_range(&seeds)?;
                let sdk = match (sdk_cmd, sdk.as_str()) {
                    (Some(command), _) if command.trim().is_empty() => return Err("--sdk-cmd is empty".into()),
                    (Some(command), _) => {
                        SdkChoice::Command { command, wait: std::time::Duration::from_millis(sdk_timeout_ms) }
                    }
                    (None, "reference") => SdkChoice::Reference,
                    (None, other) => match other.strip_prefix("mutant:") {
                        Some(name) => SdkChoice::Mutant(find_mutant(name)?),
                        None => {
                            return Err(format!(
                                "--sdk {other:?}: expected `reference` or `mutant:NAME` (or use --sdk-cmd)"
                            ))
                        }
                    },
                };
                let baseline = match baseline {
                    Some(path) => std::fs::read_to_string(&path)
                        .map_err(|e| format!("cannot read baseline {}: {e}", path.display()))
                        .and_then(|text| suite::read_baseline(&text).map_err(|e| format!("{}: {e}", path.display())))?,
                    None => Vec::new(),
                };
                let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
                if jobs == 0 {
                    return Err("--jobs must be at least 1".into());
                }
                let suite = Suite { sdk, filter, seeds: from..to, record, jobs };
                let cases = suite.selected();
                if cases.is_empty() {
                    return Err(format!(
                        "--filter {:?} matches no case (see --list)",
                        suite.filter.unwrap_or_default()
                    ));
                }
                Ok((suite, cases, baseline))
            })();
            let (suite, cases, baseline) = match setup {
                Ok(s) => s,
                Err(e) => return bad_input(&e),
            };
            if list {
                let text: String = cases.iter().map(|c| format!("{:<44} {}\n", c.id, c.checks)).collect();
                print_or_exit(&text);
                return ExitCode::SUCCESS;
            }
            let mut progress = SeedProgress::new("ran", "cases");
            let total = cases.len();
            let mut done = 0;
            let report = suite.run_cases(&cases, &baseline, &mut |_| {
                done += 1;
                progress.update(done, total);
            });
            progress.finish();
            let text = match format {
                SuiteFormat::Human => report.to_human(),
                SuiteFormat::Json => format!("{}\n", report.to_json()),
                SuiteFormat::Junit => report.to_junit(),
            };
            match out {
                Some(path) => {
                    if let Err(e) = std::fs::write(&path, text) {
                        return bad_input(&format!("cannot write {}: {e}", path.display()));
                    }
                    // The file has the details; the terminal gets the summary line.
                    let s = &report.summary;
                    eprintln!(
                        "zimsim conformance: {} cases, {} passed, {} failed ({} regressions), {} skipped; report in {}",
                        s.cases,
                        s.passed,
                        s.failed,
                        s.regressions,
                        s.skipped,
                        path.display()
                    );
                }
                None => print_or_exit(&text),
            }
            ExitCode::from(report.exit_code())
        }
        Command::Mutants { format } => {
            let all = mutants::all();
            let text = match format {
                Format::Json => format!("{}\n", serde_json::to_string_pretty(&all).expect("mutants serialize")),
                Format::Human => all
                    .iter()
                    .map(|m| {
                        format!(
                            "{:<34} {:<6} breaks {:<24} on {:<17} {}\n",
                            m.name, m.part, m.breaks, m.scenario, m.description
                        )
                    })
                    .collect(),
            };
            print_or_exit(&text);
            ExitCode::SUCCESS
        }
        Command::Token { user, app_id, secret, effective_s, ctime, seed, decode } => {
            let result = match (decode, user) {
                (Some(token), _) => token::decode(&secret, &token)
                    .map(|claims| serde_json::to_string_pretty(&claims).expect("claims serialize"))
                    .map_err(|code| format!("not a valid token for this secret: {} ({code:?})", code.code())),
                (None, Some(user)) => {
                    let rng = &mut ChaCha8Rng::seed_from_u64(seed);
                    token::generate(app_id, &user, &secret, ctime, effective_s, rng).map_err(|e| e.to_string())
                }
                (None, None) => Err("give --user to mint a token, or --decode TOKEN".into()),
            };
            match result {
                Ok(text) => {
                    print_or_exit(&format!("{text}\n"));
                    ExitCode::SUCCESS
                }
                Err(why) => {
                    eprintln!("zimsim token: {why}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Scenarios => {
            let text: String = catalog::BUILTIN.iter().map(|(name, what)| format!("{name:<18} {what}\n")).collect();
            print_or_exit(&text);
            ExitCode::SUCCESS
        }
    }
}

fn find_mutant(name: &str) -> Result<mutants::Mutant, String> {
    mutants::find(name).ok_or_else(|| {
        let known: Vec<_> = mutants::all().iter().map(|m| m.name).collect();
        format!("unknown mutant {name:?}; known: {}", known.join(", "))
    })
}

/// `A..B` with A < B.
fn parse_range(text: &str) -> Result<(u64, u64), String> {
    let bad = || format!("--seeds {text:?}: expected A..B with A < B, e.g. 0..500");
    let (a, b) = text.split_once("..").ok_or_else(bad)?;
    let (a, b): (u64, u64) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
    if a >= b {
        return Err(bad());
    }
    Ok((a, b))
}

/// `I/N` with 1 <= I <= N.
fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let bad = || format!("--shard {text:?}: expected I/N with 1 <= I <= N, e.g. 2/4");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (u64, u64) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if i == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// A built-in scenario by name, else a scenario file.
fn load_scenario(name_or_path: &str) -> Result<Scenario, String> {
    if let Some(s) = catalog::builtin(name_or_path) {
        return Ok(s);
    }
    let path = std::path::Path::new(name_or_path);
    if !path.exists() && !name_or_path.ends_with(".json") && !name_or_path.contains('/') {
        let known: Vec<_> = catalog::BUILTIN.iter().map(|(n, _)| *n).collect();
        return Err(format!("no built-in scenario or file {name_or_path:?}; built-in: {}", known.join(", ")));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read scenario {}: {e}", path.display()))?;
    Scenario::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes to stdout. A reader that went away (`zimsim run | head`) is not an error worth a
/// word: the process ends quietly with the status it would have had.
fn print_or_exit(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("zimsim: cannot write the report: {e}");
            std::process::exit(2);
        }
    }
}

/// A progress bar on stderr for runs that take more than a moment of wall time, and only
/// when stderr is a terminal (pipes and CI logs get nothing). Wall time only decides
/// whether to draw; it never reaches the simulation.
struct Progress {
    seed: u64,
    started: std::time::Instant,
    bar: Option<indicatif::ProgressBar>,
}

/// How long a run goes before it gets a progress bar.
const SHOW_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

impl Progress {
    fn new(seed: u64) -> Progress {
        Progress { seed, started: std::time::Instant::now(), bar: None }
    }

    fn update(&mut self, at_ms: u64, end_ms: u64) {
        if self.bar.is_none() && self.started.elapsed() >= SHOW_AFTER {
            let target = indicatif::ProgressDrawTarget::stderr();
            if target.is_hidden() {
                return;
            }
            let bar = indicatif::ProgressBar::with_draw_target(Some(end_ms), target);
            let style = indicatif::ProgressStyle::with_template(
                "seed {msg} {bar:40} {pos}/{len} simulated ms, {elapsed} elapsed, ~{eta} left",
            )
            .expect("the template is valid");
            bar.set_style(style);
            bar.set_message(self.seed.to_string());
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            bar.set_position(at_ms);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// Seeds done so far: a bar on a terminal, a line every tenth of the range otherwise.
struct SeedProgress {
    /// "explored", "seeds": how a progress line reads without a terminal.
    done: &'static str,
    unit: &'static str,
    bar: Option<indicatif::ProgressBar>,
    terminal: bool,
    last_tenth: usize,
}

impl SeedProgress {
    fn new(done: &'static str, unit: &'static str) -> SeedProgress {
        let terminal = !indicatif::ProgressDrawTarget::stderr().is_hidden();
        SeedProgress { done, unit, bar: None, terminal, last_tenth: 0 }
    }

    fn update(&mut self, done: usize, total: usize) {
        if self.terminal {
            let unit = self.unit;
            let bar = self.bar.get_or_insert_with(|| {
                let bar = indicatif::ProgressBar::with_draw_target(
                    Some(total as u64),
                    indicatif::ProgressDrawTarget::stderr(),
                );
                let style = indicatif::ProgressStyle::with_template(&format!(
                    "{{bar:40}} {{pos}}/{{len}} {unit}, {{per_sec}}, ~{{eta}} left"
                ))
                .expect("the template is valid");
                bar.set_style(style);
                bar
            });
            bar.set_position(done as u64);
        } else if done * 10 / total.max(1) > self.last_tenth {
            self.last_tenth = done * 10 / total.max(1);
            eprintln!("{} {done}/{total} {}", self.done, self.unit);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

fn bad_input(message: &str) -> ExitCode {
    eprintln!("zimsim: {message}");
    ExitCode::from(2)
}
