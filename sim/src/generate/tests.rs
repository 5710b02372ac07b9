//! Tests of world generation and shrinking.

use super::*;

#[test]
fn a_seed_always_generates_the_same_valid_world_and_seeds_differ() {
    for (profile, mix) in Profile::ALL.into_iter().flat_map(|p| FaultMix::ALL.map(|m| (p, m))) {
        let a = generate(7, profile, mix);
        assert_eq!(a, generate(7, profile, mix), "{profile:?}");
        assert_ne!(a, generate(8, profile, mix), "{profile:?}");
        a.validate().unwrap_or_else(|e| panic!("{profile:?}: {e}"));
        assert_eq!(Scenario::from_json(&a.to_json()).unwrap(), a, "{profile:?} round-trips");
    }
}

#[test]
fn the_default_profile_has_at_least_6_devices_4_users_40_steps_and_a_minute() {
    for seed in 0..20 {
        let s = generate(seed, Profile::Default, FaultMix::None);
        assert!(s.devices.len() >= 6, "seed {seed}");
        assert!(s.steps.len() >= 40, "seed {seed}: {}", s.steps.len());
        assert!(s.end_ms() >= 60_000, "seed {seed}: {}", s.end_ms());
        let users: std::collections::BTreeSet<_> = s
            .steps
            .iter()
            .filter_map(|st| match &st.action {
                Action::App(AppCall::Login { user, .. }) => Some(user.as_str().to_owned()),
                Action::App(AppCall::Send { to, .. }) => Some(to.clone()),
                _ => None,
            })
            .collect();
        assert!(users.len() >= 3, "seed {seed}: {users:?}");
    }
}

#[test]
fn every_device_ends_relaunched_and_logged_back_in() {
    let s = generate(3, Profile::Small, FaultMix::None);
    let heal = s.steps.iter().map(|st| st.at_ms).max().unwrap();
    for d in &s.devices {
        let last_login =
            s.steps.iter().rev().find(|st| {
                st.device.as_ref() == Some(&d.id) && matches!(st.action, Action::App(AppCall::Login { .. }))
            });
        assert!(last_login.is_some(), "{} never logs in", d.id);
    }
    assert!(s.end_ms() >= heal + 10_000, "settle after the heal");
}

#[test]
fn generation_covers_every_kind_of_op_over_a_few_seeds() {
    let (mut seen, mut policies) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
    for seed in 0..30 {
        let draw = tree(seed, Profile::Default, FaultMix::None).unwrap().current();
        policies.insert(format!("{:?}", draw.login_policy));
        for (_, ops) in draw.devices {
            for (_, op) in ops {
                let name = format!("{op:?}");
                seen.insert(name.split([' ', '{']).next().unwrap_or_default().to_owned());
            }
        }
    }
    assert_eq!(seen.len(), 29, "every Op variant is drawn");
    assert_eq!(policies.len(), 2, "both login policies are drawn: {policies:?}");
}

#[test]
fn shrinking_keeps_a_failing_world_failing_and_makes_it_smaller() {
    // "Fails" when some device sends a message with a push config.
    let fails =
        |s: &Scenario| s.steps.iter().any(|st| matches!(st.action, Action::App(AppCall::Send { push: Some(_), .. })));
    let seed = (0..50).find(|&s| fails(&generate(s, Profile::Default, FaultMix::None))).expect("a failing seed");
    let original = generate(seed, Profile::Default, FaultMix::None);
    let small = shrink(seed, Profile::Default, FaultMix::None, 500, fails);
    assert!(fails(&small));
    assert!(small.steps.len() < original.steps.len(), "{} -> {}", original.steps.len(), small.steps.len());
    assert!(small.devices.len() <= original.devices.len());
    small.validate().unwrap();
}

#[test]
fn fault_mixes_draw_faults_that_all_end_by_the_heal() {
    let world_steps =
        |s: &Scenario| s.steps.iter().filter(|st| matches!(st.action, Action::World(_) | Action::NETWORK_OFF)).count();
    // A phone off the network is a fault, or part of putting it away out of coverage (an op,
    // drawn in every mix): without faults, only the world's own steps count.
    let own_steps = |s: &Scenario| s.steps.iter().filter(|st| matches!(st.action, Action::World(_))).count();
    for seed in 0..20 {
        assert_eq!(own_steps(&generate(seed, Profile::Default, FaultMix::None)), 1, "seed {seed}: the heal alone");
        for mix in [FaultMix::Light, FaultMix::Heavy] {
            let s = generate(seed, Profile::Default, mix);
            assert!(world_steps(&s) >= 2, "seed {seed} {mix:?}: a fault and the heal");
            let heal = s.steps.iter().position(|st| st.action == Action::World(WorldStep::Heal)).unwrap();
            let after = &s.steps[heal + 1..];
            assert!(
                after.iter().all(|st| !matches!(st.action, Action::World(_) | Action::NETWORK_OFF)),
                "seed {seed} {mix:?}: nothing breaks after the heal"
            );
        }
    }
    let crashes_zim = |mix| {
        (0..40).any(|seed| {
            generate(seed, Profile::Default, mix)
                .steps
                .iter()
                .any(|st| matches!(&st.action, Action::World(WorldStep::Crash { host }) if host == topology::ZIM.host))
        })
    };
    assert!(!crashes_zim(FaultMix::Light), "light faults spare the ZIM server");
    assert!(crashes_zim(FaultMix::Heavy));
}

#[test]
fn some_iphones_register_for_voip_and_some_sends_are_call_invitations() {
    let (mut voip_iphones, mut calls) = (0, 0);
    for seed in 0..10 {
        let s = generate(seed, Profile::Default, FaultMix::None);
        for st in &s.steps {
            let device = s.devices.iter().find(|d| st.device.as_ref() == Some(&d.id));
            match &st.action {
                Action::App(AppCall::RegisterPush { enable_ios_voip: true, .. }) => {
                    let platform = device.map(|d| d.platform);
                    assert_eq!(platform, Some(Platform::Ios), "seed {seed}: VoIP on iPhones only");
                    voip_iphones += 1;
                }
                Action::App(AppCall::Send { push: Some(push), .. }) if push.voip.is_some() => calls += 1,
                _ => {}
            }
        }
    }
    assert!(voip_iphones > 0 && calls > 0, "{voip_iphones} VoIP registrations, {calls} call invitations");
}

#[test]
fn a_fully_shrunk_world_has_no_voip() {
    // Accepting every simplification walks the value tree to its simplest world.
    let seed = (0..50)
        .find(|&s| {
            let draw = tree(s, Profile::Default, FaultMix::None).unwrap().current();
            let calls = draw.devices.iter().flat_map(|(_, ops)| ops).any(|(_, op)| is_call(op));
            calls && draw.devices.iter().any(|(d, _)| d.ios_voip)
        })
        .expect("a world with VoIP iPhones and call invitations");
    let mut tree = tree(seed, Profile::Default, FaultMix::None).unwrap();
    while tree.simplify() {}
    let draw = tree.current();
    assert!(draw.devices.iter().all(|(d, _)| !d.ios_voip), "{draw:?}");
    assert!(!draw.devices.iter().flat_map(|(_, ops)| ops).any(|(_, op)| is_call(op)), "{draw:?}");
}

fn is_call(op: &Op) -> bool {
    matches!(op, Op::Send { voip: true, .. } | Op::GroupSend { voip: true, .. })
}

#[test]
fn android_phones_keep_the_brand_they_were_drawn_with() {
    // The world's devices are the drawn ones: a vivo phone is a vivo, so every vendor's
    // channel is used somewhere over a few seeds.
    let mut brands = std::collections::BTreeSet::new();
    for seed in 0..20 {
        let draw = tree(seed, Profile::Default, FaultMix::Light).unwrap().current();
        let s = generate(seed, Profile::Default, FaultMix::Light);
        for ((d, _), spec) in draw.devices.iter().zip(&s.devices) {
            assert_eq!((spec.platform, spec.brand, spec.build), (d.platform, d.brand, d.build), "seed {seed}");
            if let Some(vendor) = d.zpns.channel(d.platform, d.brand) {
                brands.insert(format!("{vendor:?}"));
            }
        }
    }
    assert_eq!(brands.len(), 6, "every vendor is some phone's channel: {brands:?}");
}

/// The slow answers past the relay's timeout in `s`: (host, from when).
fn late_answers(s: &Scenario) -> Vec<(String, u64)> {
    let late = |st: &Step| match &st.action {
        Action::World(WorldStep::VendorFail { host, slow_ms: Some(ms), .. }) if *ms > REQUEST_TIMEOUT_MS => {
            Some((host.clone(), st.at_ms))
        }
        _ => None,
    };
    s.steps.iter().filter_map(late).collect()
}

#[test]
fn a_slow_push_is_aimed_at_a_phone_put_away_and_its_vendors_phones_are_not_tapped_after() {
    let (mut aimed, mut once) = (0, 0);
    for seed in 0..60 {
        let s = generate(seed, Profile::Default, FaultMix::Light);
        let draw = tree(seed, Profile::Default, FaultMix::Light).unwrap().current();
        // Each device's channel host, by device ID.
        let hosts: std::collections::BTreeMap<_, _> = (s.devices.iter().zip(&draw.devices))
            .map(|(spec, (d, _))| {
                let host = d.zpns.channel(d.platform, d.brand).map(|v| topology::vendor_host(v, d.build.environment()));
                (spec.id.clone(), host.map(|h| h.name))
            })
            .collect();
        for (host, from) in late_answers(&s) {
            // The aimed kind: the app's backend writes to the away phone's user 100 ms later.
            let send = |st: &Step| matches!(st.action, Action::Backend(BackendStep::ServerSend { push: true, .. }));
            if !s.steps.iter().any(|st| st.at_ms == from + 100 && send(st)) {
                continue;
            }
            aimed += 1;
            let vendor = topology::VENDORS.iter().find(|v| v.name == host).map(|v| v.vendor).unwrap();
            if zimsim_reference::push_services::dedups_retries(vendor) {
                once += 1;
                continue;
            }
            for st in s.steps.iter().filter(|st| st.at_ms >= from && st.action == Action::TAP_NOTIFICATION) {
                let at = st.device.as_ref().and_then(|id| hosts[id]);
                assert_ne!(at, Some(host.as_str()), "seed {seed}: a tap at {} on a {host} phone", st.at_ms);
            }
        }
    }
    assert!(aimed >= 10, "{aimed} aimed slow pushes over 60 seeds");
    assert!(once >= 1, "{once} of them at a vendor that delivers a retry once");
}
