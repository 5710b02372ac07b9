//! Integration tests live in the per-area test binaries (`canonical/`, ...). The invariants
//! the canonical story leaves vacuous are listed once, by the checkers' crate:
//! `zimsim_conformance::invariants::VACUOUS_IN_CANONICAL`.
