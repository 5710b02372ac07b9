//! Tests of scenario documents: validation, and strict parsing that names each problem.

use super::*;

#[test]
fn the_canonical_scenario_is_valid_and_round_trips_through_json() {
    let s = Scenario::canonical();
    s.validate().unwrap();
    assert_eq!(Scenario::from_json(&s.to_json()).unwrap(), s);
}

#[test]
fn push_resources_parse_from_json_and_a_console_past_its_limits_is_refused() {
    let text =
        r#"{"name":"x","config":{"push_resources":{"silent":{"fcm":{"push_type":"data"}}}},"devices":[],"steps":[]}"#;
    let s = Scenario::from_json(text).unwrap();
    assert_eq!(s.config.push_resources["silent"], PushResource::data_message());
    let typo = text.replace("push_type", "pushtype");
    assert!(Scenario::from_json(&typo).unwrap_err().to_string().contains("pushtype"));
    let mut s = Scenario::canonical();
    s.config.push_resources = (0..11).map(|n| (format!("r{n}"), PushResource::default())).collect();
    assert!(matches!(s.validate(), Err(ScenarioError::Config(m)) if m.contains("at most 10")));
    s.config.push_resources = [("r".repeat(33), PushResource::default())].into();
    assert!(matches!(s.validate(), Err(ScenarioError::Config(m)) if m.contains("1 to 32 characters")));
}

#[test]
fn bad_scenarios_name_the_problem() {
    let mut s = Scenario::canonical();
    s.steps[1].device = Some("nokia".into());
    assert_eq!(s.validate(), Err(ScenarioError::UnknownDevice { index: 1, device: "nokia".into() }));
    let mut s = Scenario::canonical();
    s.steps.swap(0, 5);
    assert!(matches!(s.validate(), Err(ScenarioError::OutOfOrder { .. })));
    let err =
        Scenario::from_json(r#"{"name":"x","devices":[],"steps":[{"at_ms":1,"device":"d","do":"fly"}]}"#).unwrap_err();
    assert!(err.to_string().contains("unknown variant `fly`"), "{err}");
    let mut s = Scenario::canonical();
    s.steps.last_mut().unwrap().at_ms = u64::MAX;
    assert!(matches!(s.validate(), Err(ScenarioError::Config(m)) if m.contains("one simulated day")));
    for (host, status, why) in [("zim", 503, "names a vendor host"), ("fcm", 200, "an HTTP error status")] {
        let mut s = Scenario::canonical();
        let fail = WorldStep::VendorFail {
            host: host.into(),
            status: Some(status),
            count: 1,
            retry_after_s: None,
            slow_ms: None,
        };
        s.steps.push(Step::world(s.steps.last().unwrap().at_ms, fail));
        assert!(
            matches!(s.validate(), Err(ScenarioError::BadTarget { why: w, .. }) if w.contains(why)),
            "{host} {status}"
        );
    }
}

#[test]
fn a_vendor_fail_step_without_slow_ms_reads_and_writes_as_before() {
    let json = r#"{"at_ms":5,"do":"vendor_fail","host":"fcm","status":503,"count":2,"retry_after_s":2}"#;
    let step: Step = serde_json::from_str(json).expect("reads");
    assert_eq!(serde_json::to_string(&step).unwrap(), json);
    let slow = r#"{"at_ms":5,"do":"vendor_fail","host":"vivo","count":1,"slow_ms":12000}"#;
    let step: Step = serde_json::from_str(slow).expect("reads");
    let Action::World(WorldStep::VendorFail { status: None, slow_ms: Some(12_000), .. }) = &step.action else {
        panic!("{step:?}")
    };
    assert_eq!(serde_json::to_string(&step).unwrap(), slow);
}

#[test]
fn a_vendor_fail_step_needs_a_status_or_a_slow_answer_of_sane_length() {
    let cases = [
        (None, None, None, "needs a `status`, a `slow_ms` or both"),
        (None, Some(3), Some(1_000), "`retry_after_s` only with a `status`"),
        (None, None, Some(0), "`slow_ms` from 1 to 600000"),
        (Some(503), None, Some(MAX_SLOW_MS + 1), "`slow_ms` from 1 to 600000"),
    ];
    for (status, retry_after_s, slow_ms, why) in cases {
        let mut s = Scenario::canonical();
        let fail = WorldStep::VendorFail { host: "fcm".into(), status, count: 1, retry_after_s, slow_ms };
        s.steps.push(Step::world(s.steps.last().unwrap().at_ms, fail));
        let err = s.validate().unwrap_err();
        assert!(matches!(&err, ScenarioError::BadTarget { why: w, .. } if w.contains(why)), "{err}");
        assert_eq!(err.to_string().lines().count(), 1);
    }
    let mut s = Scenario::canonical();
    let fail = WorldStep::VendorFail {
        host: "fcm".into(),
        status: Some(503),
        count: 1,
        retry_after_s: None,
        slow_ms: Some(9_000),
    };
    s.steps.push(Step::world(s.steps.last().unwrap().at_ms, fail));
    assert_eq!(s.validate(), Ok(()));
}

mod strictness {
    use super::*;

    fn one_step(step: &str) -> String {
        format!(
            r#"{{"name":"x","devices":[{{"id":"d","platform":"ios","build":"debug"}}],"steps":[
                {{"at_ms":1,"device":"d","do":"launch_app"}},{step}]}}"#
        )
    }

    #[test]
    fn a_misspelt_field_in_a_step_is_refused_naming_the_step_and_the_field() {
        let text = one_step(r#"{"at_ms":5,"device":"d","do":"register_push","ios_enviroment":"production"}"#);
        let err = Scenario::from_json(&text).unwrap_err();
        assert_eq!(
            err,
            ScenarioError::UnknownField {
                place: "step 1 (register_push at 5 ms)".into(),
                field: "ios_enviroment".into()
            }
        );
        assert_eq!(err.to_string(), "step 1 (register_push at 5 ms): unknown field `ios_enviroment`");
    }

    #[test]
    fn a_misspelt_field_inside_a_push_config_is_refused_with_its_path() {
        let text =
            one_step(r#"{"at_ms":5,"device":"d","do":"send","to":"bob","text":"hi","push":{"titel":"New message"}}"#);
        let err = Scenario::from_json(&text).unwrap_err();
        assert_eq!(
            err,
            ScenarioError::UnknownField { place: "step 1 (send at 5 ms)".into(), field: "push.titel".into() }
        );
    }

    #[test]
    fn a_misspelt_vendor_flag_is_refused() {
        let text = one_step(r#"{"at_ms":5,"device":"d","do":"set_push_config","config":{"enable_fmc_push":true}}"#);
        let err = Scenario::from_json(&text).unwrap_err();
        assert!(
            matches!(&err, ScenarioError::UnknownField { field, .. } if field == "config.enable_fmc_push"),
            "{err}"
        );
    }

    #[test]
    fn well_formed_steps_with_every_optional_field_are_accepted() {
        let text = one_step(
            r#"{"at_ms":5,"device":"d","do":"send","to":"bob","text":"hi","push":{"title":"t","content":"c","payload":"p"}}"#,
        );
        assert_eq!(Scenario::from_json(&text).unwrap().steps.len(), 2);
    }

    #[test]
    fn world_steps_read_flat_and_name_real_hosts_without_a_device() {
        let text = r#"{"name":"x","devices":[{"id":"d","platform":"ios","build":"debug"}],"steps":[
            {"at_ms":1,"do":"partition","a":"farm-0","b":"zim"},
            {"at_ms":2,"do":"crash","host":"zpns"},
            {"at_ms":3,"do":"latency","a":"zpns","b":"fcm","ms":900},
            {"at_ms":4,"device":"d","do":"network_off"},
            {"at_ms":5,"do":"heal"}]}"#;
        let s = Scenario::from_json(text).unwrap();
        assert_eq!(s.steps[0].action, Action::World(WorldStep::Partition { a: "farm-0".into(), b: "zim".into() }));
        assert_eq!(s.steps[3], Step::on(4, "d", Action::NETWORK_OFF));
        assert_eq!(Scenario::from_json(&s.to_json()).unwrap(), s);
    }

    #[test]
    fn misplaced_or_unknown_world_steps_are_refused_with_one_line() {
        for (step, says) in [
            (r#"{"at_ms":5,"device":"d","do":"crash","host":"zim"}"#, "step 1 (crash): a world step names no device"),
            (r#"{"at_ms":5,"do":"kill_app"}"#, "step 1 (kill_app): a device step needs a \"device\""),
            (r#"{"at_ms":5,"do":"crash","host":"db"}"#, "step 1 (crash): unknown host \"db\"; hosts: zim, zpns"),
            (r#"{"at_ms":5,"do":"partition","a":"zim","b":"zim"}"#, "a link joins two different hosts"),
            (r#"{"at_ms":5,"do":"crash","host":"farm-0"}"#, "the device farm cannot crash"),
            (r#"{"at_ms":5,"do":"explode"}"#, "unknown variant `explode`"),
        ] {
            let err = Scenario::from_json(&one_step(step)).unwrap_err().to_string();
            assert!(err.contains(says), "{step}: {err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }

    #[test]
    fn every_action_name_is_owned_by_one_type() {
        let mut names = ACTION_NAMES.clone();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ACTION_NAMES.len(), "a `do` name two types claim");
    }

    #[test]
    fn a_scenario_that_leaves_faults_in_force_is_healed_after_its_last_step() {
        let text = r#"{"name":"x","devices":[{"id":"d","platform":"ios","build":"debug"}],"steps":[
            {"at_ms":1,"do":"partition","a":"farm-0","b":"zim"},
            {"at_ms":2,"do":"repair","a":"zim","b":"farm-0"},
            {"at_ms":3,"do":"crash","host":"zpns"},
            {"at_ms":4,"device":"d","do":"network_off"},
            {"at_ms":9,"device":"d","do":"launch_app"}]}"#;
        let s = Scenario::from_json(text).unwrap();
        let healed = s.with_heal();
        assert_eq!(healed.steps[..5], s.steps[..]);
        assert_eq!(healed.steps[5..], [Step::world(9, WorldStep::Heal), Step::on(9, "d", Action::NETWORK_ON)]);
        healed.validate().unwrap();
        // Nothing left in force: nothing added.
        let canonical = Scenario::canonical();
        assert_eq!(canonical.with_heal(), canonical);
    }

    #[test]
    fn a_device_may_not_take_a_host_name() {
        let text = r#"{"name":"x","devices":[{"id":"zim","platform":"ios","build":"debug"}],"steps":[]}"#;
        assert!(Scenario::from_json(text).unwrap_err().to_string().contains("is the name of a host"));
    }

    #[test]
    fn a_utf8_byte_order_mark_at_the_start_is_accepted() {
        let text = format!("\u{feff}{}", Scenario::canonical().to_json());
        assert_eq!(Scenario::from_json(&text).unwrap(), Scenario::canonical());
    }
}
