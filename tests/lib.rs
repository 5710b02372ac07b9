//! Integration tests live in the per-area test binaries (`canonical/`, ...).
