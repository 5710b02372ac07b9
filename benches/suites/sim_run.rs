//! The whole simulator: one canonical run (six hosts, two devices, 75 s of simulated time,
//! five pushes end to end) per iteration.

use criterion::Criterion;
use std::hint::black_box;
use zimsim_sim::scenario::Scenario;
use zimsim_sim::world::{run, Parts};

pub fn benches(c: &mut Criterion) {
    let scenario = Scenario::canonical();
    let parts = Parts::default();
    let mut group = c.benchmark_group("world::run");
    group.sample_size(10);
    group.bench_function("canonical", |b| b.iter(|| black_box(run(1, &scenario, &parts).expect("run completes"))));
    group.finish();
}
