//! Exploration throughput: one generated default-profile world per iteration (healthy, and
//! under light faults), built, run and judged by every invariant, as `zimsim explore` does
//! on each core. Seeds rotate so no single world dominates; criterion reports seeds/s
//! (elements/s).

use criterion::{Criterion, Throughput};
use std::hint::black_box;
use zimsim_sim::generate::{generate, FaultMix, Profile};

pub fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("explore");
    group.sample_size(20);
    group.throughput(Throughput::Elements(1));
    for mix in [FaultMix::None, FaultMix::Light] {
        let mut seed = 0u64;
        let id = match mix {
            FaultMix::None => "seeds/default".to_owned(),
            _ => format!("seeds/default-{}", mix.name()),
        };
        group.bench_function(id, |b| {
            b.iter(|| {
                seed = (seed + 1) % 64;
                let scenario = generate(seed, Profile::Default, mix);
                black_box(zimsim_conformance::run(seed, &scenario, None).expect("run completes"))
            })
        });
    }
    group.finish();
}
