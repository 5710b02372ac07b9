//! Short scenarios aimed at one flow each, run over several seeds so that message timing
//! varies: the flows must hold whatever the interleaving.

mod app_states;
mod data;
mod defects;
mod expiry;
mod explore;
mod faults;
mod phone;
mod races;
mod run;
mod slow;
mod voip;
