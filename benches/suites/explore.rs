//! Exploration throughput: one generated default-profile world per iteration, built, run
//! and judged by every invariant, as `zimsim explore` does on each core. Seeds rotate so no
//! single world dominates; criterion reports seeds/s (elements/s).

use criterion::{Criterion, Throughput};
use std::hint::black_box;
use zimsim_sim::generate::{generate, FaultMix, Profile};

pub fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("explore");
    group.sample_size(20);
    group.throughput(Throughput::Elements(1));
    let mut seed = 0u64;
    group.bench_function("seeds/default", |b| {
        b.iter(|| {
            seed = (seed + 1) % 64;
            let scenario = generate(seed, Profile::Default, FaultMix::None);
            black_box(zimsim_conformance::run(seed, &scenario, None).expect("run completes"))
        })
    });
    group.finish();
}
