//! The `zimsim` command line. It only parses arguments and prints; the work is in the
//! library crates. Exit status: 0 all held, 1 an invariant violated or nothing checked,
//! 2 bad usage or input.

use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::process::ExitCode;
use zimsim_conformance::mutants;
use zimsim_sim::catalog;
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
        /// The seed every source of randomness derives from.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// A built-in scenario's name (see `zimsim scenarios`) or a scenario file (JSON).
        /// Default: the mutant's showcase with `--mutant`, else `canonical`.
        #[arg(long)]
        scenario: Option<String>,
        /// Replace the part a built-in mutant breaks (see `zimsim mutants`).
        #[arg(long)]
        mutant: Option<String>,
        /// Write the trace to this file as JSON lines.
        #[arg(long)]
        trace: Option<std::path::PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// List the built-in mutants and the invariant each one breaks.
    Mutants {
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// List the built-in scenarios.
    Scenarios,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run { seed, scenario, mutant, trace: trace_file, format } => {
            let mutant = match mutant.as_deref().map(|m| (m, mutants::find(m))) {
                None => None,
                Some((_, Some(m))) => Some(m),
                Some((name, None)) => {
                    let known: Vec<_> = mutants::all().iter().map(|m| m.name).collect();
                    return bad_input(&format!("unknown mutant {name:?}; known: {}", known.join(", ")));
                }
            };
            let default = mutant.as_ref().map_or("canonical", |m| m.scenario);
            let scenario = match load_scenario(scenario.as_deref().unwrap_or(default)) {
                Ok(s) => s,
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
        Command::Scenarios => {
            let text: String = catalog::BUILTIN.iter().map(|(name, what)| format!("{name:<18} {what}\n")).collect();
            print_or_exit(&text);
            ExitCode::SUCCESS
        }
    }
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

fn bad_input(message: &str) -> ExitCode {
    eprintln!("zimsim: {message}");
    ExitCode::from(2)
}
