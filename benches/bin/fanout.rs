//! `fanout MEMBERS OFFLINE_PERCENT [MESSAGES] [--server]`: builds the `fanout/core` world
//! (with `--server`, `fanout/server`'s), sends MESSAGES group messages (default 3), and
//! prints the time of each and the process's peak resident memory (Linux `VmHWM`). For profiling (`perf record`) and for the memory target
//! of docs/benchmarks.md, which a criterion bench cannot measure.

use std::time::Instant;
use zimsim_benches::fanout::{Fanout, Path};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let server_only = args.iter().any(|a| a == "--server");
    args.retain(|a| a != "--server");
    let path = if server_only { Path::Server } else { Path::ServerAndRelay };
    let number = |i: usize, default: Option<usize>| -> usize {
        match args.get(i) {
            Some(a) => a.parse().unwrap_or_else(|_| fail(&format!("not a number: {a}"))),
            None => default.unwrap_or_else(|| fail("usage: fanout MEMBERS OFFLINE_PERCENT [MESSAGES] [--server]")),
        }
    };
    let (members, offline, messages) = (number(0, None), number(1, None), number(2, Some(3)));
    if offline > 100 {
        fail("OFFLINE_PERCENT is 0..=100");
    }
    let start = Instant::now();
    let mut world = Fanout::new(members, offline, path);
    let allocator = zimsim_benches::ALLOCATOR_NAME;
    println!("built {members} members, {} offline, in {:.2?} ({allocator} allocator)", world.offline, start.elapsed());
    for _ in 0..messages {
        world.ack();
        let start = Instant::now();
        let sent = world.send();
        let took = start.elapsed();
        let rate = sent.recipients() as f64 / took.as_secs_f64() / 1e6;
        println!(
            "one message: {} online, {} pushed, {took:.2?} ({rate:.3} M recipients/s)",
            sent.delivered, sent.pushed
        );
    }
    match peak_rss_kib() {
        Some(kib) => println!("peak RSS {:.1} MiB", kib as f64 / 1024.0),
        None => println!("peak RSS unknown (no /proc/self/status)"),
    }
}

fn fail(why: &str) -> ! {
    eprintln!("fanout: {why}");
    std::process::exit(2)
}

/// The process's peak resident set, from Linux's `/proc/self/status`.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
