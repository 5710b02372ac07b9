//! Benchmarks live in `benches.rs` and `suites/`.
