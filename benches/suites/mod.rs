//! One suite per subject: the sans-IO cores, and whole simulation runs.

pub mod explore;
pub mod fanout;
pub mod reference_core;
pub mod sim;
pub mod sim_run;
