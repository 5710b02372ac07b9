//! Exploration throughput, as `zimsim explore` runs it: each iteration explores 64 fresh
//! default-profile seeds (built, run, judged by every invariant) on every core
//! (`seeds/default`, the SPEC's target), under light faults, and on one core
//! (`seeds/one-core`, the per-core cost). Seeds move on each iteration so no world
//! dominates; criterion reports seeds/s (elements/s).

use criterion::{BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use zimsim_conformance::explore::Explore;
use zimsim_sim::generate::{FaultMix, Profile};

/// Seeds per iteration.
const SEEDS: u64 = 64;

pub fn benches(c: &mut Criterion) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut group = c.benchmark_group("explore");
    group.sample_size(10);
    group.throughput(Throughput::Elements(SEEDS));
    for (name, faults, jobs) in
        [("default", FaultMix::None, cores), ("default-light", FaultMix::Light, cores), ("one-core", FaultMix::None, 1)]
    {
        let mut from = 0;
        group.bench_function(BenchmarkId::new("seeds", name), |b| {
            b.iter(|| {
                let explore = Explore {
                    from,
                    to: from + SEEDS,
                    shard: None,
                    jobs,
                    profile: Profile::Default,
                    faults,
                    mutant: None,
                    out_dir: std::env::temp_dir().join("zimsim-bench-explore"),
                    shrink_failures: 0,
                    shrink_budget: 0,
                };
                from = (from + SEEDS) % 1_024;
                let report = explore.run(&mut |_, _| {}).expect("exploration runs");
                assert_eq!(report.exit_code(), 0, "the reference holds on every seed");
                black_box(report)
            })
        });
    }
    group.finish();
}
