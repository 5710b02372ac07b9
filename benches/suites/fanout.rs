//! Fan-out: one group message through the sans-IO server and relay (`fanout/core`), through
//! the server alone (`fanout/server`), and the minimal loop over the same data
//! (`fanout/baseline`), for groups of 100 to 100k members, 0 %, 50 % and 100 % of them
//! offline with bound PushIDs. Each reports recipients/s; `bench-report` prints the ratios.

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use std::hint::black_box;
use std::time::{Duration, Instant};
use zimsim_benches::fanout::{Baseline, Fanout, Path};

pub const MEMBERS: [usize; 4] = [100, 1_000, 10_000, 100_000];
pub const OFFLINE_PERCENT: [usize; 3] = [0, 50, 100];

pub fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("fanout");
    for members in MEMBERS {
        if members >= 10_000 {
            // An iteration takes tens of milliseconds or more: one per sample.
            group.sampling_mode(SamplingMode::Flat).sample_size(10);
        }
        group.throughput(Throughput::Elements(members as u64));
        for offline in OFFLINE_PERCENT {
            let id = format!("{members}/{offline}%");
            for (name, path) in [("core", Path::ServerAndRelay), ("server", Path::Server)] {
                let mut world = None; // built once, on first use: seconds at 100k members
                group.bench_function(BenchmarkId::new(name, &id), |b| {
                    let world = world.get_or_insert_with(|| Fanout::new(members, offline, path));
                    b.iter_custom(|iters| {
                        let mut timed = Duration::ZERO;
                        for _ in 0..iters {
                            world.ack(); // the last message's acks are not this one's work
                            let start = Instant::now();
                            let sent = world.send();
                            timed += start.elapsed();
                            assert_eq!(sent.recipients(), members);
                        }
                        timed
                    })
                });
            }
            group.bench_function(BenchmarkId::new("baseline", &id), |b| {
                let mut baseline = Baseline::new(members, offline);
                b.iter(|| black_box(baseline.send()))
            });
        }
    }
    group.finish();
}
