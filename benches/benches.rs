//! criterion benchmarks. One `main`, one suite per subject; `cargo bench -- --test` runs
//! each once untimed (what CI does). Numbers and how they were measured: docs/benchmarks.md.

use criterion::Criterion;
use std::time::Duration;

mod suites;

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    suites::fanout::benches(&mut c);
    suites::reference_core::benches(&mut c);
    suites::sim_run::benches(&mut c);
    suites::explore::benches(&mut c);
    suites::sim::benches(&mut c);
    c.final_summary();
}
