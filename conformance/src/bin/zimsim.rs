//! The `zimsim` command line. It only parses arguments and prints; the work is in the
//! library crates. Exit status: 0 all held, 1 an invariant violated, 2 bad usage or input.

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;
use zimsim_conformance::mutants;
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
        /// A scenario file (JSON); the canonical scenario when absent.
        #[arg(long)]
        scenario: Option<std::path::PathBuf>,
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
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run { seed, scenario, mutant, trace: trace_file, format } => {
            let scenario = match scenario {
                None => Scenario::canonical(),
                Some(path) => match std::fs::read_to_string(&path) {
                    Err(e) => return bad_input(&format!("cannot read scenario {}: {e}", path.display())),
                    Ok(text) => match Scenario::from_json(&text) {
                        Ok(s) => s,
                        Err(e) => return bad_input(&format!("{}: {e}", path.display())),
                    },
                },
            };
            let mutant = match mutant.as_deref().map(|m| (m, mutants::find(m))) {
                None => None,
                Some((_, Some(m))) => Some(m),
                Some((name, None)) => {
                    let known: Vec<_> = mutants::all().iter().map(|m| m.name).collect();
                    return bad_input(&format!("unknown mutant {name:?}; known: {}", known.join(", ")));
                }
            };
            let (report, out) = match zimsim_conformance::run_with_trace(seed, &scenario, mutant.as_ref()) {
                Ok(r) => r,
                Err(e) => return bad_input(&e.to_string()),
            };
            if let Some(path) = trace_file {
                if let Err(e) = std::fs::write(&path, trace::to_json_lines(&out.trace)) {
                    return bad_input(&format!("cannot write trace {}: {e}", path.display()));
                }
            }
            match format {
                Format::Json => println!("{}", report.to_json()),
                Format::Human => print!("{}", report.to_human()),
            }
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Command::Mutants { format } => {
            let all = mutants::all();
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&all).expect("mutants serialize")),
                Format::Human => {
                    for m in all {
                        println!("{:<28} {:<6} breaks {:<24} {}", m.name, m.part, m.breaks, m.description);
                    }
                }
            }
            ExitCode::SUCCESS
        }
    }
}

fn bad_input(message: &str) -> ExitCode {
    eprintln!("zimsim: {message}");
    ExitCode::from(2)
}
