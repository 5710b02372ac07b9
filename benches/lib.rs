//! What the benchmarks share with the measurement binaries: the fan-out world and its
//! baseline (`fanout`), and the reading of criterion's results (`report`). The suites
//! themselves live in `benches.rs` and `suites/`.

pub mod fanout;
pub mod report;

/// The allocator of every bench binary (the criterion suites and the tools): mimalloc, or
/// the system's with `--no-default-features`. A large fan-out allocates a few small values
/// per recipient and frees them soon after; glibc's malloc spent about half of a 100k
/// fan-out consolidating its free lists (docs/benchmarks.md).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Which allocator the bench binaries run on, for their reports.
pub const ALLOCATOR_NAME: &str = if cfg!(feature = "mimalloc") { "mimalloc" } else { "system" };
