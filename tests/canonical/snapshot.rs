//! The canonical trace, human-readable, pinned. A change here is a change in observable
//! behaviour: review it with `cargo insta review`.

use super::canonical;
use zimsim_sim::trace::to_human;

#[test]
fn the_canonical_trace_at_seed_1_is_pinned() {
    let (report, out) = canonical();
    insta::assert_snapshot!("canonical_seed_1", to_human(&out.trace));
    // The hash pins the exact JSON records too, across processes and machines.
    insta::assert_snapshot!("canonical_seed_1_hash", report.trace_hash);
}
