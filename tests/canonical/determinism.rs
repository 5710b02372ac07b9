//! Same seed, same bytes; other seed, other run.

use super::canonical;
use zimsim_conformance::run_with_trace;
use zimsim_sim::scenario::Scenario;

#[test]
fn the_same_seed_gives_a_byte_identical_trace() {
    let (first, first_out) = canonical();
    let (again, again_out) = run_with_trace(1, &Scenario::canonical(), None).unwrap();
    assert_eq!(first.trace_hash, again.trace_hash);
    assert_eq!(first_out.trace, again_out.trace);
}

#[test]
fn different_seeds_give_different_traces_with_the_same_outcome() {
    let (first, _) = canonical();
    let (other, _) = run_with_trace(2, &Scenario::canonical(), None).unwrap();
    assert_ne!(first.trace_hash, other.trace_hash);
    assert!(other.passed());
    assert_eq!(other.stats.messages_surfaced, first.stats.messages_surfaced);
}

#[test]
fn a_watched_run_reports_progress_up_to_its_end_and_the_same_trace() {
    let (plain, _) = canonical();
    let mut seen = Vec::new();
    let (watched, _) =
        zimsim_conformance::run_observed(1, &Scenario::canonical(), None, &mut |at, end| seen.push((at.0, end.0)))
            .unwrap();
    assert_eq!(watched.trace_hash, plain.trace_hash, "watching changes nothing");
    let end = Scenario::canonical().end_ms();
    assert!(seen.len() >= (end / 1_000) as usize, "about one report per simulated second: {}", seen.len());
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "progress never goes back");
    assert_eq!(seen.last(), Some(&(end, end)));
}
