fn main() {
    let seed = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1);
    let out = zimsim_sim::world::run(seed, &zimsim_sim::scenario::Scenario::canonical(), &Default::default()).unwrap();
    print!("{}", zimsim_sim::trace::to_human(&out.trace));
    eprintln!("{:?} {}", out.stats, out.trace_hash);
}
