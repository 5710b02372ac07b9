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
