//! Generated worlds: the reference holds every invariant over a range of seeds, and every
//! built-in mutant is caught by exploration, with a saved scenario that replays the break.

use zimsim_conformance::explore::{violates, Explore};
use zimsim_conformance::mutants;
use zimsim_sim::generate::{generate, FaultMix, Profile};
use zimsim_sim::scenario::Scenario;
use zimsim_sim::trace::Event;

fn explore(seeds: std::ops::Range<u64>, mutant: Option<mutants::Mutant>, out_dir: &std::path::Path) -> Explore {
    explore_with(seeds, FaultMix::None, mutant, out_dir)
}

fn explore_with(
    seeds: std::ops::Range<u64>,
    faults: FaultMix,
    mutant: Option<mutants::Mutant>,
    out_dir: &std::path::Path,
) -> Explore {
    Explore {
        from: seeds.start,
        to: seeds.end,
        shard: None,
        jobs: 2,
        profile: Profile::Default,
        faults,
        mutant,
        out_dir: out_dir.to_owned(),
        shrink_failures: 1,
        shrink_budget: 100,
    }
}

#[test]
fn the_reference_holds_every_invariant_over_generated_worlds() {
    let dir = std::env::temp_dir().join(format!("zimsim-explore-ref-{}", std::process::id()));
    let report = explore(0..24, None, &dir).run(&mut |_, _| {}).expect("explores");
    assert!(report.failures.is_empty(), "{}", report.to_human());
    assert_eq!(report.exit_code(), 0);
    let never: Vec<_> = report.never_checked.clone();
    assert!(never.is_empty(), "vacuous in every seed: {never:?}");
}

#[test]
fn the_reference_holds_every_invariant_through_faults() {
    for (faults, seeds) in [(FaultMix::Light, 0..16), (FaultMix::Heavy, 0..8)] {
        let dir = std::env::temp_dir().join(format!("zimsim-explore-{}-{}", faults.name(), std::process::id()));
        let report = explore_with(seeds, faults, None, &dir).run(&mut |_, _| {}).expect("explores");
        assert!(report.failures.is_empty(), "{}", report.to_human());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn every_mutant_is_caught_by_exploration_and_its_saved_scenario_replays_the_violation() {
    for m in mutants::all() {
        let dir = std::env::temp_dir().join(format!("zimsim-explore-{}-{}", m.name, std::process::id()));
        // Hunted 16 seeds at a time, up to 128: a mutant that needs a rare coincidence (a
        // muted chat written to while its user is away, a push rule silencing a platform the
        // user is away on, a fault during a push) may need several chunks.
        let report = (0..8u64)
            .map(|chunk| {
                let seeds = chunk * 16..(chunk + 1) * 16;
                explore_with(seeds, m.faults, Some(m), &dir).run(&mut |_, _| {}).expect("explores")
            })
            .find(|report| report.exit_code() == 1);
        let Some(report) = report else { panic!("{} went unnoticed over 128 seeds", m.name) };
        let failure = &report.failures[0];
        assert!(failure.invariants.iter().any(|i| i == m.breaks), "{}: {:?}", m.name, failure.invariants);
        let text = std::fs::read_to_string(&failure.scenario_file).expect("the scenario was saved");
        let scenario = Scenario::from_json(&text).expect("the saved scenario loads");
        assert!(violates(failure.seed, &scenario, Some(&m), m.breaks), "{}: the saved scenario replays", m.name);
        // Shrunk to at most half the story, still showing the mutant's own fault (the shrink
        // budget is kept small for CI time); the reference holds it.
        let original = generate(failure.seed, Profile::Default, m.faults).steps.len();
        assert!(
            failure.shrunk && scenario.steps.len() * 2 < original,
            "{}: {} of {original} steps",
            m.name,
            scenario.steps.len()
        );
        assert!(!violates(failure.seed, &scenario, None, m.breaks), "{}: the reference holds there", m.name);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_large_world_spreads_thousands_of_devices_over_several_farm_hosts_and_holds() {
    let scenario = generate(1, Profile::Large, FaultMix::None);
    assert!(scenario.devices.len() >= 2_000, "{}", scenario.devices.len());
    let farms = zimsim_reference::topology::farms_for(scenario.devices.len());
    assert!(farms >= 2, "{farms} farm hosts");
    let (report, out) = zimsim_conformance::run_with_trace(1, &scenario, None).expect("run completes");
    assert!(report.passed(), "{}", report.to_human());
    // Every farm's devices came to life: each one's first device launched its app.
    for index in 0..farms {
        let id = &scenario.devices[index].id;
        assert!(
            out.trace.iter().any(|r| r.src.device() == Some(id) && matches!(r.event, Event::AppLaunched)),
            "{id} on farm {index} never launched"
        );
    }
}
