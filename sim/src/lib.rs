//! The zimsim simulator: the reference cores wired into a turmoil world through thin async
//! shells, scenarios that drive simulated devices, and the trace every run produces.
//!
//! # Layout
//!
//! - [`world`]: builds the turmoil world and runs a scenario (**start here**: [`world::run`]).
//! - [`scenario`]: the scenario format, its validation and the canonical scenario.
//! - [`catalog`]: the named built-in scenarios and the builder they are written with.
//! - [`generate`]: worlds generated from a seed with proptest, and their shrinking.
//! - [`device`]: a simulated handset: OS push channel, app process, SDK driver.
//! - [`shell`]: the I/O shells of the ZIM server, the relay and the vendors.
//! - [`trace`]: trace records, hash, human form, stats.
//! - [`net`], [`framed`], [`http`]: the socket seam, frame I/O and HTTP plumbing.
//!
//! # Example
//!
//! ```no_run
//! use zimsim_sim::{scenario::Scenario, world};
//!
//! let out = world::run(1, &Scenario::canonical(), &world::Parts::default()).unwrap();
//! println!("{} records, hash {}", out.trace.len(), out.trace_hash);
//! ```

// turmoil seeds each host's tokio runtime only under this cfg; without it `select!` and task
// order vary between runs. A RUSTFLAGS variable silently replaces .cargo/config.toml's flags,
// so refuse to build rather than lose determinism quietly.
#[cfg(not(tokio_unstable))]
compile_error!(
    "zimsim-sim needs `--cfg tokio_unstable` (set in .cargo/config.toml); a RUSTFLAGS environment variable \
     overrides it: add `--cfg tokio_unstable` to RUSTFLAGS or unset it"
);

pub mod backend;
pub mod catalog;
pub mod device;
pub mod framed;
pub mod generate;
pub mod http;
pub mod net;
pub mod scenario;
pub mod shell;
pub mod trace;
pub mod world;
