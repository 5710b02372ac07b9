//! ZPNs: registration, PushIDs and notifications.

use super::*;

#[test]
fn register_push_on_ios_with_production_environment_labels_production_even_in_debug() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Production, enable_ios_voip: false });
    let o = feed(&mut sdk, 1, SdkInput::VendorToken { vendor: Vendor::Apns, token: "ab12".into() });
    assert_eq!(
        o,
        vec![ev(AppEvent::Registered {
            error_code: 0,
            push_id: Some(PushId::new(Vendor::Apns, Environment::Production, "ab12")),
            message: String::new(),
        })]
    );
}

#[test]
fn register_push_on_an_ios_release_build_with_automatic_environment_labels_production() {
    let mut sdk = ReferenceSdk::new(SdkConfig::new("phone".into(), Platform::Ios, Build::Release), None);
    app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic, enable_ios_voip: false });
    let o = feed(&mut sdk, 1, SdkInput::VendorToken { vendor: Vendor::Apns, token: "t".into() });
    assert!(
        matches!(&o[..], [SdkOutput::Event { event: AppEvent::Registered { push_id: Some(p), .. } }] if p.env == Environment::Production),
        "{o:?}"
    );
}

#[test]
fn register_push_on_android_without_enable_fcm_push_fails_without_asking_the_os() {
    let mut sdk = ReferenceSdk::new(SdkConfig::new("pixel".into(), Platform::Android, Build::Debug), None);
    let o =
        app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic, enable_ios_voip: false });
    assert!(
        matches!(&o[..], [SdkOutput::Event { event: AppEvent::Registered { error_code: 1, push_id: None, .. } }]),
        "{o:?}"
    );
}

#[test]
fn register_push_on_android_with_enable_debug_labels_the_push_id_development() {
    let mut sdk = ReferenceSdk::new(SdkConfig::new("pixel".into(), Platform::Android, Build::Debug), None);
    let fcm = ZpnsConfig { enable_fcm_push: true, ..ZpnsConfig::default() };
    assert_eq!(app(&mut sdk, 0, AppCall::SetPushConfig { config: fcm }), vec![]);
    assert_eq!(app(&mut sdk, 0, AppCall::EnableDebug { debug: true }), vec![]);
    assert_eq!(
        app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic, enable_ios_voip: false }),
        vec![SdkOutput::RequestVendorToken { vendor: Vendor::Fcm }]
    );
    assert_eq!(
        feed(&mut sdk, 1, SdkInput::VendorToken { vendor: Vendor::Fcm, token: "x:APA91b".into() }),
        vec![ev(AppEvent::Registered {
            error_code: 0,
            push_id: Some(PushId::new(Vendor::Fcm, Environment::Development, "x:APA91b")),
            message: String::new(),
        })]
    );
}

#[test]
fn register_push_on_android_without_enable_debug_labels_the_push_id_production_even_in_a_debug_build() {
    let mut sdk = ReferenceSdk::new(SdkConfig::new("pixel".into(), Platform::Android, Build::Debug), None);
    let fcm = ZpnsConfig { enable_fcm_push: true, ..ZpnsConfig::default() };
    app(&mut sdk, 0, AppCall::SetPushConfig { config: fcm });
    // The iOS environment setting has no effect on Android.
    app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Development, enable_ios_voip: false });
    let o = feed(&mut sdk, 1, SdkInput::VendorToken { vendor: Vendor::Fcm, token: "t".into() });
    assert_eq!(
        o,
        vec![ev(AppEvent::Registered {
            error_code: 0,
            push_id: Some(PushId::new(Vendor::Fcm, Environment::Production, "t")),
            message: String::new(),
        })]
    );
}

#[test]
fn a_vendor_token_failure_is_reported_as_registered_with_an_error() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    let o = feed(&mut sdk, 0, SdkInput::VendorTokenFailed { vendor: Vendor::Apns, reason: "no entitlement".into() });
    assert_eq!(o, vec![ev(AppEvent::Registered { error_code: 1, push_id: None, message: "no entitlement".into() })]);
}

#[test]
fn a_vendor_token_arriving_after_login_is_bound_with_bind_push() {
    let mut sdk = logged_in(ios_debug());
    app(&mut sdk, 1, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic, enable_ios_voip: false });
    let p = PushId::new(Vendor::Apns, Environment::Development, "ab12");
    assert_eq!(
        feed(&mut sdk, 2, SdkInput::VendorToken { vendor: Vendor::Apns, token: "ab12".into() }),
        vec![
            ev(AppEvent::Registered { error_code: 0, push_id: Some(p.clone()), message: String::new() }),
            out(ClientFrame::BindPush { req: 3, push_id: p }),
        ]
    );
}

#[test]
fn logout_sends_logout_and_emits_logged_out_only_after_logout_ok() {
    let mut sdk = logged_in(ios_debug());
    assert_eq!(app(&mut sdk, 1, AppCall::Logout), vec![out(ClientFrame::Logout { req: 3 })]);
    assert_eq!(server(&mut sdk, 2, ServerFrame::LogoutOk { req: 99 }), vec![], "another request's ack");
    assert_eq!(
        server(&mut sdk, 3, ServerFrame::LogoutOk { req: 3 }),
        vec![
            SdkOutput::Close,
            ev(AppEvent::LoggedOut { user: "alice".into() }),
            state(ConnectionState::Disconnected, ConnectionEvent::Success),
        ]
    );
    assert_eq!(sdk.poll_timeout(), None);
}

/// bob's message 4 to alice, as the vendor delivered it.
fn note_for_alice() -> Notification {
    Notification {
        title: "Bob".into(),
        content: "hi".into(),
        payload: "p".into(),
        message_id: Some(MessageId(4)),
        to_user: Some("alice".into()),
        badge: None,
    }
}

#[test]
fn a_notification_reaching_the_running_app_is_reported_as_notification_arrived() {
    let mut sdk = logged_in(ios_debug());
    let n = note_for_alice();
    assert_eq!(feed(&mut sdk, 0, apns_delivery(&n)), vec![ev(AppEvent::NotificationArrived { notification: n })]);
}

#[test]
fn an_sdk_with_nobody_logged_in_hands_the_app_no_notification() {
    // Say alice logged out or was kicked out, and a late push for her (or anyone) arrives:
    // whoever holds the phone now is not told.
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    let n = note_for_alice();
    assert_eq!(feed(&mut sdk, 0, apns_delivery(&n)), vec![]);
}

#[test]
fn a_second_login_while_logged_in_fails_with_6000111_user_has_already_logged() {
    let mut sdk = logged_in(ios_debug());
    let o = app(&mut sdk, 1, AppCall::Login { user: "bob".into(), token: Some("t".into()) });
    assert!(
        matches!(&o[..], [SdkOutput::Event { event: AppEvent::LoginFailed { code: 6_000_111, user, .. } }] if user.as_str() == "bob"),
        "{o:?}"
    );
}

fn ios_push_id(token: &str) -> PushId {
    PushId::new(Vendor::Apns, Environment::Development, token)
}

#[test]
fn a_push_id_that_arrives_while_the_login_is_in_flight_is_bound_after_login_ok() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic, enable_ios_voip: false });
    app(&mut sdk, 0, login_command());
    let o = feed(&mut sdk, 1, SdkInput::Connected);
    assert!(matches!(&o[..], [SdkOutput::Send { frame: ClientFrame::Login { push_id: None, .. } }]), "{o:?}");
    let o = feed(&mut sdk, 2, SdkInput::VendorToken { vendor: Vendor::Apns, token: "t1".into() });
    assert!(!o.iter().any(|x| matches!(x, SdkOutput::Send { .. })), "not logged in yet: {o:?}");
    let o = server(&mut sdk, 3, ServerFrame::LoginOk { req: 1 });
    assert!(o.contains(&out(ClientFrame::BindPush { req: 2, push_id: ios_push_id("t1") })), "{o:?}");
    assert!(matches!(o.last(), Some(SdkOutput::Send { frame: ClientFrame::Sync { req: 3, .. } })), "{o:?}");
}

#[test]
fn a_push_id_already_sent_with_login_is_not_bound_twice() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic, enable_ios_voip: false });
    feed(&mut sdk, 0, SdkInput::VendorToken { vendor: Vendor::Apns, token: "t1".into() });
    app(&mut sdk, 0, login_command());
    feed(&mut sdk, 1, SdkInput::Connected);
    let o = server(&mut sdk, 2, ServerFrame::LoginOk { req: 1 });
    assert!(!o.iter().any(|x| matches!(x, SdkOutput::Send { frame: ClientFrame::BindPush { .. } })), "{o:?}");
}

#[test]
fn sends_in_flight_when_the_link_drops_fail_with_6000009() {
    let mut sdk = logged_in(ios_debug());
    app(&mut sdk, 1, AppCall::send(Outgoing::text("bob", "hi", None)));
    let o = feed(&mut sdk, 2, SdkInput::Disconnected);
    assert_eq!(
        o[0],
        ev(AppEvent::SendFailed {
            to: "bob".into(),
            code: 6_000_009,
            message: "the connection closed before the server answered".into()
        })
    );
    // A late SendOk (from nowhere) for that request is not reported a second time.
    assert_eq!(server(&mut sdk, 3, ServerFrame::SendOk { req: 3, message: msg(1, 1) }), vec![]);
}

#[test]
fn an_explicit_ios_environment_overrides_the_build() {
    for (build, chosen, expected) in [
        (Build::Debug, IosEnvironment::Production, Environment::Production),
        (Build::Release, IosEnvironment::Development, Environment::Development),
        (Build::Debug, IosEnvironment::Automatic, Environment::Development),
        (Build::Release, IosEnvironment::Automatic, Environment::Production),
    ] {
        let mut sdk = ReferenceSdk::new(SdkConfig::new("phone".into(), Platform::Ios, build), None);
        app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: chosen, enable_ios_voip: false });
        let o = feed(&mut sdk, 1, SdkInput::VendorToken { vendor: Vendor::Apns, token: "t".into() });
        let expected_id = PushId::new(Vendor::Apns, expected, "t");
        assert!(
            o.contains(&ev(AppEvent::Registered { error_code: 0, push_id: Some(expected_id), message: String::new() })),
            "{build:?} + {chosen:?}: {o:?}"
        );
    }
}

#[test]
fn on_ios_an_explicit_environment_wins_over_the_android_debug_flag() {
    for (chosen, expected) in
        [(IosEnvironment::Production, Environment::Production), (IosEnvironment::Development, Environment::Development)]
    {
        let mut sdk = ReferenceSdk::new(SdkConfig::new("phone".into(), Platform::Ios, Build::Release), None);
        app(&mut sdk, 0, AppCall::EnableDebug { debug: chosen == IosEnvironment::Production });
        app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: chosen, enable_ios_voip: false });
        let o = feed(&mut sdk, 1, SdkInput::VendorToken { vendor: Vendor::Apns, token: "t".into() });
        let expected_id = PushId::new(Vendor::Apns, expected, "t");
        assert!(
            o.contains(&ev(AppEvent::Registered { error_code: 0, push_id: Some(expected_id), message: String::new() })),
            "{chosen:?}: {o:?}"
        );
    }
}

#[test]
fn the_reference_factory_names_itself_reference_and_launches_with_the_local_data() {
    let factory = ReferenceSdkFactory;
    assert_eq!(factory.name(), "reference");
    let mut sdk = factory.launch(ios_debug(), Some(killed_right_after_logout()));
    assert_eq!(sdk.poll_output(), Some(SdkOutput::Connect), "the local data was handed over");
}

/// `n` as FCM (`vendor` Fcm) or vivo delivers it.
fn android_delivery(vendor: Vendor, n: &Notification) -> serde_json::Value {
    let SdkInput::Notification { payload: apns, .. } = apns_delivery(n) else { unreachable!() };
    let zim = apns["zim"].to_string();
    match vendor {
        Vendor::Fcm => serde_json::json!({
            "notification": {"title": n.title, "body": n.content},
            "data": {"payload": n.payload, "zim": zim},
        }),
        _ => serde_json::json!({
            "title": n.title, "content": n.content, "clientCustomMap": {"payload": n.payload, "zim": zim},
        }),
    }
}

#[test]
fn each_vendor_raises_its_own_callback_once_per_message() {
    let mut sdk = logged_in(SdkConfig::new("pixel".into(), Platform::Android, Build::Release));
    let n = note_for_alice();
    let fcm = SdkInput::Notification { vendor: Vendor::Fcm, payload: android_delivery(Vendor::Fcm, &n) };
    assert_eq!(
        feed(&mut sdk, 0, fcm.clone()),
        vec![ev(AppEvent::ThroughMessageReceived { notification: n.clone() })],
        "FCM raises throughMessageReceived, never notificationArrived"
    );
    assert_eq!(feed(&mut sdk, 1, fcm), vec![], "a redelivery of the same message raises nothing");
    // HMS, OPPO and vivo hand nothing to the app; were a payload to reach the SDK, it says nothing.
    let vivo = SdkInput::Notification { vendor: Vendor::Vivo, payload: android_delivery(Vendor::Vivo, &n) };
    let mut other = logged_in(SdkConfig::new("vivo".into(), Platform::Android, Build::Release));
    assert_eq!(feed(&mut other, 0, vivo), vec![]);
    // The IDs it was told of survive a kill: a retry after a restart raises nothing either.
    let mut first = logged_in(ios_debug());
    assert_eq!(feed(&mut first, 0, apns_delivery(&n)).len(), 1);
    let mut relaunched = ReferenceSdk::new(ios_debug(), Some(first.persisted()));
    assert_eq!(feed(&mut relaunched, 0, apns_delivery(&n)), vec![]);
}

#[test]
fn an_fcm_data_message_raises_through_message_received_with_what_its_data_says() {
    let mut sdk = logged_in(SdkConfig::new("pixel".into(), Platform::Android, Build::Release));
    let n = Notification { badge: Some(4), ..note_for_alice() };
    let SdkInput::Notification { payload: apns, .. } = apns_delivery(&n) else { unreachable!() };
    let data = serde_json::json!({"data": {
        "title": n.title, "body": n.content, "payload": n.payload, "badge": "4", "zim": apns["zim"].to_string(),
    }});
    let input = SdkInput::Notification { vendor: Vendor::Fcm, payload: data };
    assert_eq!(feed(&mut sdk, 0, input.clone()), vec![ev(AppEvent::ThroughMessageReceived { notification: n })]);
    assert_eq!(feed(&mut sdk, 1, input), vec![], "once per message");
}

#[test]
fn a_tap_raises_notification_clicked_with_what_it_said_but_vivo_keeps_the_payload_back() {
    let n = note_for_alice();
    let mut sdk = logged_in(ios_debug());
    let SdkInput::Notification { payload, .. } = apns_delivery(&n) else { unreachable!() };
    let tap = SdkInput::NotificationTapped { vendor: Vendor::Apns, payload };
    assert_eq!(feed(&mut sdk, 0, tap), vec![ev(AppEvent::NotificationClicked { notification: n.clone() })]);
    // A tap on a notification already announced still clicks: it is the user's act.
    let mut vivo = logged_in(SdkConfig::new("vivo".into(), Platform::Android, Build::Release));
    let tap = SdkInput::NotificationTapped { vendor: Vendor::Vivo, payload: android_delivery(Vendor::Vivo, &n) };
    let without = Notification { payload: String::new(), ..n.clone() };
    assert_eq!(feed(&mut vivo, 0, tap), vec![ev(AppEvent::NotificationClicked { notification: without })]);
    // Another user's notification is not opened for whoever holds the phone.
    let mut nobody = ReferenceSdk::new(ios_debug(), None);
    let SdkInput::Notification { payload, .. } = apns_delivery(&n) else { unreachable!() };
    assert_eq!(feed(&mut nobody, 0, SdkInput::NotificationTapped { vendor: Vendor::Apns, payload }), vec![]);
}

#[test]
fn unregister_push_deletes_the_token_and_unbinds_now_or_in_the_next_session() {
    let mut sdk = logged_in(ios_debug());
    app(&mut sdk, 1, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic, enable_ios_voip: false });
    feed(&mut sdk, 1, SdkInput::VendorToken { vendor: Vendor::Apns, token: "t1".into() });
    assert_eq!(
        app(&mut sdk, 2, AppCall::UnregisterPush),
        vec![SdkOutput::DeleteVendorToken { vendor: Vendor::Apns }, out(ClientFrame::UnbindPush { req: 4 })]
    );
    // Offline: the token goes at once, the unbinding with the next session.
    let mut offline = ReferenceSdk::new(ios_debug(), None);
    app(&mut offline, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic, enable_ios_voip: false });
    feed(&mut offline, 0, SdkInput::VendorToken { vendor: Vendor::Apns, token: "t1".into() });
    assert_eq!(
        app(&mut offline, 1, AppCall::UnregisterPush),
        vec![SdkOutput::DeleteVendorToken { vendor: Vendor::Apns }]
    );
    app(&mut offline, 2, login_command());
    feed(&mut offline, 2, SdkInput::Connected);
    let o = server(&mut offline, 3, ServerFrame::LoginOk { req: 1 });
    assert!(o.contains(&out(ClientFrame::UnbindPush { req: 2 })), "{o:?}");
    assert!(!o.iter().any(|x| matches!(x, SdkOutput::Send { frame: ClientFrame::BindPush { .. } })), "{o:?}");
}

fn register_with_voip() -> AppCall {
    AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic, enable_ios_voip: true }
}

#[test]
fn register_push_with_ios_voip_asks_for_the_alert_and_the_voip_token_and_binds_both_after_login_ok() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    let o = app(&mut sdk, 0, register_with_voip());
    assert_eq!(o, vec![SdkOutput::RequestVendorToken { vendor: Vendor::Apns }, SdkOutput::RequestVoipToken]);
    feed(&mut sdk, 0, SdkInput::VendorToken { vendor: Vendor::Apns, token: "t1".into() });
    let voip = PushId::voip(Environment::Development, "v1");
    let o = feed(&mut sdk, 0, SdkInput::VoipToken { token: "v1".into() });
    assert_eq!(
        o,
        vec![ev(AppEvent::Registered { error_code: 0, push_id: Some(voip.clone()), message: String::new() })]
    );
    app(&mut sdk, 0, login_command());
    let o = feed(&mut sdk, 1, SdkInput::Connected);
    // The login carries the alert PushID; the VoIP PushID follows once the session is up.
    assert!(
        matches!(&o[..], [SdkOutput::Send { frame: ClientFrame::Login { push_id: Some(p), .. } }] if *p == ios_push_id("t1")),
        "{o:?}"
    );
    let o = server(&mut sdk, 2, ServerFrame::LoginOk { req: 1 });
    let binds: Vec<&SdkOutput> =
        o.iter().filter(|x| matches!(x, SdkOutput::Send { frame: ClientFrame::BindPush { .. } })).collect();
    assert_eq!(binds, vec![&out(ClientFrame::BindPush { req: 2, push_id: voip.clone() })], "{o:?}");
    // A new VoIP token (the OS refreshed it) is bound at once; the same one is not bound again.
    let o = feed(&mut sdk, 3, SdkInput::VoipToken { token: "v2".into() });
    assert!(o.contains(&out(ClientFrame::BindPush { req: 4, push_id: PushId::voip(Environment::Development, "v2") })));
    let o = feed(&mut sdk, 4, SdkInput::VoipToken { token: "v2".into() });
    assert!(!o.iter().any(|x| matches!(x, SdkOutput::Send { .. })), "{o:?}");
}

#[test]
fn register_push_with_ios_voip_asks_for_no_voip_token_off_ios_and_ignores_one_it_did_not_ask_for() {
    let android = SdkConfig::new("phone".into(), Platform::Android, Build::Release);
    let mut sdk = ReferenceSdk::new(android, None);
    app(&mut sdk, 0, AppCall::SetPushConfig { config: ZpnsConfig::all() });
    let o = app(&mut sdk, 0, register_with_voip());
    assert_eq!(o, vec![SdkOutput::RequestVendorToken { vendor: Vendor::Fcm }]);
    let mut ios = ReferenceSdk::new(ios_debug(), None);
    app(&mut ios, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic, enable_ios_voip: false });
    assert_eq!(feed(&mut ios, 0, SdkInput::VoipToken { token: "v1".into() }), vec![]);
}

#[test]
fn a_voip_token_the_os_cannot_give_is_reported_as_a_failed_registration() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    app(&mut sdk, 0, register_with_voip());
    let o = feed(&mut sdk, 0, SdkInput::VoipTokenFailed { reason: "no PushKit".into() });
    assert!(
        matches!(&o[..], [SdkOutput::Event { event: AppEvent::Registered { error_code: 1, push_id: None, message } }] if message.contains("VoIP")),
        "{o:?}"
    );
}

#[test]
fn register_push_without_ios_voip_reads_as_before_in_a_scenario() {
    let call = AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic, enable_ios_voip: false };
    assert_eq!(serde_json::to_string(&call).unwrap(), r#"{"do":"register_push","ios_environment":"automatic"}"#);
    let old: AppCall = serde_json::from_str(r#"{"do":"register_push"}"#).unwrap();
    assert_eq!(old, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic, enable_ios_voip: false });
    let voip: AppCall = serde_json::from_str(r#"{"do":"register_push","enable_ios_voip":true}"#).unwrap();
    assert_eq!(voip, register_with_voip());
}
