//! What the benchmarks share with the measurement binaries: the fan-out world and its
//! baseline (`fanout`), and the reading of criterion's results (`report`). The suites
//! themselves live in `benches.rs` and `suites/`.

pub mod fanout;
pub mod report;
