pub mod reference_core;
pub mod sim_run;
