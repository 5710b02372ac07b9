//! Unit tests of the reference SDK.

use super::*;
use crate::wire::{MessageBody, Outgoing};

fn ios_debug() -> SdkConfig {
    SdkConfig::new("phone".into(), Platform::Ios, Build::Debug)
}

fn drain(sdk: &mut ReferenceSdk) -> Vec<SdkOutput> {
    std::iter::from_fn(|| sdk.poll_output()).collect()
}

fn feed(sdk: &mut ReferenceSdk, now: u64, input: SdkInput) -> Vec<SdkOutput> {
    sdk.handle(Millis(now), input);
    drain(sdk)
}

fn app(sdk: &mut ReferenceSdk, now: u64, command: AppCall) -> Vec<SdkOutput> {
    feed(sdk, now, SdkInput::App { call: command })
}

fn server(sdk: &mut ReferenceSdk, now: u64, frame: ServerFrame) -> Vec<SdkOutput> {
    feed(sdk, now, SdkInput::Frame { frame })
}

fn tick(sdk: &mut ReferenceSdk, now: u64) -> Vec<SdkOutput> {
    feed(sdk, now, SdkInput::Tick)
}

fn ev(event: AppEvent) -> SdkOutput {
    SdkOutput::Event { event }
}

fn out(frame: ClientFrame) -> SdkOutput {
    SdkOutput::Send { frame }
}

fn state(state: ConnectionState, cause: ConnectionEvent) -> SdkOutput {
    ev(AppEvent::ConnectionStateChanged { state, cause })
}

fn conv() -> ConvKey {
    ConvKey::peer(&"alice".into(), &"bob".into())
}

fn msg(id: u64, seq: u64) -> Message {
    Message {
        id: MessageId(id),
        conv: conv(),
        seq,
        from: "bob".into(),
        body: MessageBody::Text { text: format!("m{id}") },
        sent_at: Millis(id),
        extended_data: String::new(),
    }
}

fn received(m: Message, via: Via) -> SdkOutput {
    ev(AppEvent::MessageReceived { user: "alice".into(), message: m, via })
}

fn login_command() -> AppCall {
    AppCall::Login { user: "alice".into(), token: Some("tok".into()) }
}

/// Logs "alice" in at time 0; the initial sync (req 2) is left outstanding.
fn logged_in(config: SdkConfig) -> ReferenceSdk {
    let mut sdk = ReferenceSdk::new(config, None);
    app(&mut sdk, 0, login_command());
    feed(&mut sdk, 0, SdkInput::Connected);
    let o = server(&mut sdk, 0, ServerFrame::LoginOk { req: 1 });
    assert!(matches!(o.last(), Some(SdkOutput::Send { frame: ClientFrame::Sync { req: 2, .. } })), "{o:?}");
    sdk
}

#[test]
fn login_connects_sends_login_once_connected_and_syncs_after_login_ok() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    assert_eq!(
        app(&mut sdk, 0, login_command()),
        vec![state(ConnectionState::Connecting, ConnectionEvent::ActiveLogin), SdkOutput::Connect]
    );
    assert_eq!(
        feed(&mut sdk, 10, SdkInput::Connected),
        vec![out(ClientFrame::Login {
            req: 1,
            user_id: "alice".into(),
            token: "tok".into(),
            device_id: "phone".into(),
            platform: Platform::Ios,
            push_id: None,
        })]
    );
    assert_eq!(
        server(&mut sdk, 20, ServerFrame::LoginOk { req: 1 }),
        vec![
            state(ConnectionState::Connected, ConnectionEvent::Success),
            ev(AppEvent::LoggedIn { user: "alice".into() }),
            out(ClientFrame::Sync { req: 2, cursors: vec![], limit: 50 }),
        ]
    );
}

#[test]
fn a_login_ok_for_another_request_is_ignored() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    app(&mut sdk, 0, login_command());
    feed(&mut sdk, 0, SdkInput::Connected);
    assert_eq!(server(&mut sdk, 0, ServerFrame::LoginOk { req: 99 }), vec![]);
}

#[test]
fn the_login_frame_carries_the_registered_push_id() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic });
    feed(&mut sdk, 0, SdkInput::VendorToken { vendor: Vendor::Apns, token: "ab12".into() });
    app(&mut sdk, 1, login_command());
    let o = feed(&mut sdk, 2, SdkInput::Connected);
    let expected = PushId::new(Vendor::Apns, Environment::Development, "ab12");
    assert_eq!(
        o,
        vec![out(ClientFrame::Login {
            req: 1,
            user_id: "alice".into(),
            token: "tok".into(),
            device_id: "phone".into(),
            platform: Platform::Ios,
            push_id: Some(expected),
        })]
    );
}

#[test]
fn a_failed_login_closes_and_reports_the_error_code() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    app(&mut sdk, 0, login_command());
    feed(&mut sdk, 0, SdkInput::Connected);
    let o = server(
        &mut sdk,
        1,
        ServerFrame::Error { req: Some(1), code: ZimErrorCode::TokenExpired, message: "expired".into() },
    );
    assert_eq!(
        o,
        vec![
            SdkOutput::Close,
            ev(AppEvent::LoginFailed { user: "alice".into(), code: 6_000_106, message: "expired".into() }),
            state(ConnectionState::Disconnected, ConnectionEvent::TokenExpired),
        ]
    );
    assert_eq!(sdk.poll_timeout(), None, "no heartbeat or reconnect after a failed login");
}

#[test]
fn a_sync_batch_with_more_asks_again_from_the_advanced_cursors() {
    let mut sdk = logged_in(ios_debug());
    let o = server(&mut sdk, 5, ServerFrame::SyncBatch { req: 2, messages: vec![msg(1, 1), msg(2, 2)], more: true });
    assert_eq!(
        o,
        vec![
            received(msg(1, 1), Via::Sync),
            received(msg(2, 2), Via::Sync),
            out(ClientFrame::Sync { req: 3, cursors: vec![Cursor { conv: conv(), seq: 2 }], limit: 50 }),
        ]
    );
    let o = server(&mut sdk, 6, ServerFrame::SyncBatch { req: 3, messages: vec![msg(3, 3)], more: false });
    assert_eq!(o, vec![received(msg(3, 3), Via::Sync), ev(AppEvent::SyncCompleted { user: "alice".into() })]);
}

#[test]
fn a_sync_batch_for_a_stale_request_is_ignored() {
    let mut sdk = logged_in(ios_debug());
    assert_eq!(server(&mut sdk, 5, ServerFrame::SyncBatch { req: 7, messages: vec![msg(1, 1)], more: false }), vec![]);
}

#[test]
fn a_message_arriving_by_deliver_and_by_sync_is_surfaced_once() {
    let mut sdk = logged_in(ios_debug());
    assert_eq!(
        server(&mut sdk, 5, ServerFrame::Deliver { message: msg(1, 1) }),
        vec![out(ClientFrame::Ack { id: MessageId(1) }), received(msg(1, 1), Via::Online)]
    );
    assert_eq!(
        server(&mut sdk, 6, ServerFrame::SyncBatch { req: 2, messages: vec![msg(1, 1), msg(2, 2)], more: false }),
        vec![received(msg(2, 2), Via::Sync), ev(AppEvent::SyncCompleted { user: "alice".into() })]
    );
    assert_eq!(
        server(&mut sdk, 7, ServerFrame::Deliver { message: msg(2, 2) }),
        vec![out(ClientFrame::Ack { id: MessageId(2) })],
        "a known message is acked again but not surfaced"
    );
}

#[test]
fn a_gap_keeps_the_sync_cursor_at_the_contiguous_position() {
    let mut sdk = logged_in(ios_debug());
    server(&mut sdk, 1, ServerFrame::SyncBatch { req: 2, messages: vec![], more: false });
    server(&mut sdk, 2, ServerFrame::Deliver { message: msg(1, 1) });
    let o = server(&mut sdk, 3, ServerFrame::Deliver { message: msg(3, 3) });
    assert_eq!(o, vec![out(ClientFrame::Ack { id: MessageId(3) }), received(msg(3, 3), Via::Online)]);

    // Reconnect: the new sync starts after seq 1, not 3, so seq 2 is fetched.
    feed(&mut sdk, 4, SdkInput::Disconnected);
    assert_eq!(tick(&mut sdk, 504), vec![SdkOutput::Connect]);
    feed(&mut sdk, 505, SdkInput::Connected);
    let o = server(&mut sdk, 506, ServerFrame::LoginOk { req: 3 });
    assert_eq!(
        o.last(),
        Some(&out(ClientFrame::Sync { req: 4, cursors: vec![Cursor { conv: conv(), seq: 1 }], limit: 50 }))
    );

    // Filling the gap moves the cursor past the message that came early.
    let o = server(&mut sdk, 507, ServerFrame::SyncBatch { req: 4, messages: vec![msg(2, 2), msg(3, 3)], more: true });
    assert_eq!(
        o,
        vec![
            received(msg(2, 2), Via::Sync),
            out(ClientFrame::Sync { req: 5, cursors: vec![Cursor { conv: conv(), seq: 3 }], limit: 50 }),
        ]
    );
}

#[test]
fn register_push_on_ios_labels_a_debug_build_with_automatic_environment_development() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    assert_eq!(
        app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic }),
        vec![SdkOutput::RequestVendorToken { vendor: Vendor::Apns }]
    );
    assert_eq!(
        feed(&mut sdk, 1, SdkInput::VendorToken { vendor: Vendor::Apns, token: "ab12".into() }),
        vec![ev(AppEvent::Registered {
            error_code: 0,
            push_id: Some(PushId::new(Vendor::Apns, Environment::Development, "ab12")),
            message: String::new(),
        })]
    );
}

#[test]
fn register_push_on_ios_with_production_environment_labels_production_even_in_debug() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Production });
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
    app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic });
    let o = feed(&mut sdk, 1, SdkInput::VendorToken { vendor: Vendor::Apns, token: "t".into() });
    assert!(
        matches!(&o[..], [SdkOutput::Event { event: AppEvent::Registered { push_id: Some(p), .. } }] if p.env == Environment::Production),
        "{o:?}"
    );
}

#[test]
fn register_push_on_android_without_enable_fcm_push_fails_without_asking_the_os() {
    let mut sdk = ReferenceSdk::new(SdkConfig::new("pixel".into(), Platform::Android, Build::Debug), None);
    let o = app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic });
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
        app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic }),
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
    app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Development });
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
    app(&mut sdk, 1, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic });
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

#[test]
fn a_connection_lost_during_logout_redoes_the_logout_on_a_new_session() {
    let mut sdk = logged_in(ios_debug());
    app(&mut sdk, 1, AppCall::Logout);
    assert_eq!(feed(&mut sdk, 2, SdkInput::Disconnected), vec![], "no LoggedOut without LogoutOk");
    assert_eq!(tick(&mut sdk, 502), vec![SdkOutput::Connect]);
    let o = feed(&mut sdk, 503, SdkInput::Connected);
    assert!(matches!(&o[..], [SdkOutput::Send { frame: ClientFrame::Login { req: 4, .. } }]), "{o:?}");
    // The interim session only carries the logout: the app hears nothing of it.
    assert_eq!(server(&mut sdk, 504, ServerFrame::LoginOk { req: 4 }), vec![out(ClientFrame::Logout { req: 5 })]);
    let o = server(&mut sdk, 505, ServerFrame::LogoutOk { req: 5 });
    assert!(o.contains(&ev(AppEvent::LoggedOut { user: "alice".into() })), "{o:?}");
}

#[test]
fn a_disconnect_while_logged_in_reports_reconnecting_and_reconnects_after_the_backoff() {
    let mut sdk = logged_in(ios_debug());
    assert_eq!(
        feed(&mut sdk, 1_000, SdkInput::Disconnected),
        vec![state(ConnectionState::Reconnecting, ConnectionEvent::LoginInterrupted)]
    );
    assert_eq!(sdk.poll_timeout(), Some(Millis(1_500)), "first backoff step, heartbeat cleared");
    assert_eq!(tick(&mut sdk, 1_499), vec![]);
    assert_eq!(tick(&mut sdk, 1_500), vec![SdkOutput::Connect]);
    assert_eq!(sdk.poll_timeout(), None);

    // The connect fails: the next step of the backoff.
    assert_eq!(feed(&mut sdk, 1_600, SdkInput::Disconnected), vec![]);
    assert_eq!(sdk.poll_timeout(), Some(Millis(2_600)));
    assert_eq!(tick(&mut sdk, 2_600), vec![SdkOutput::Connect]);

    assert_eq!(
        feed(&mut sdk, 2_700, SdkInput::Connected),
        vec![out(ClientFrame::Login {
            req: 3,
            user_id: "alice".into(),
            token: "tok".into(),
            device_id: "phone".into(),
            platform: Platform::Ios,
            push_id: None,
        })]
    );
    // A reconnect shows as a connection state change only: the app logged in once.
    assert_eq!(
        server(&mut sdk, 2_800, ServerFrame::LoginOk { req: 3 }),
        vec![
            state(ConnectionState::Connected, ConnectionEvent::Success),
            out(ClientFrame::Sync { req: 4, cursors: vec![], limit: 50 }),
        ]
    );

    // A successful login resets the backoff.
    feed(&mut sdk, 3_000, SdkInput::Disconnected);
    assert_eq!(sdk.poll_timeout(), Some(Millis(3_500)));
}

#[test]
fn heartbeats_go_out_every_interval_and_a_missing_pong_closes_the_link() {
    let mut sdk = logged_in(ios_debug());
    assert_eq!(sdk.poll_timeout(), Some(Millis(10_000)));
    assert_eq!(tick(&mut sdk, 9_999), vec![]);
    assert_eq!(tick(&mut sdk, 10_000), vec![out(ClientFrame::Heartbeat)]);
    assert_eq!(sdk.poll_timeout(), Some(Millis(15_000)), "the pong deadline comes first");
    assert_eq!(server(&mut sdk, 10_050, ServerFrame::Pong), vec![]);
    assert_eq!(sdk.poll_timeout(), Some(Millis(20_000)));

    assert_eq!(tick(&mut sdk, 20_000), vec![out(ClientFrame::Heartbeat)]);
    assert_eq!(tick(&mut sdk, 24_999), vec![]);
    assert_eq!(
        tick(&mut sdk, 25_000),
        vec![SdkOutput::Close, state(ConnectionState::Reconnecting, ConnectionEvent::LoginInterrupted)]
    );
    assert_eq!(sdk.poll_timeout(), Some(Millis(25_500)));
}

#[test]
fn a_kicked_out_frame_moves_to_disconnected_with_kicked_out() {
    let mut sdk = logged_in(ios_debug());
    assert_eq!(
        server(&mut sdk, 1, ServerFrame::KickedOut),
        vec![SdkOutput::Close, state(ConnectionState::Disconnected, ConnectionEvent::KickedOut)]
    );
    assert_eq!(sdk.poll_timeout(), None, "a kicked-out SDK does not reconnect");
    assert_eq!(feed(&mut sdk, 2, SdkInput::Disconnected), vec![]);
    let o = app(&mut sdk, 3, AppCall::send(Outgoing::text("bob", "hi", None)));
    assert!(matches!(&o[..], [SdkOutput::Event { event: AppEvent::SendFailed { code: 6_000_121, .. } }]), "{o:?}");
}

#[test]
fn persisted_state_lets_a_relaunched_sdk_skip_known_messages_and_sync_from_its_cursor() {
    let mut first = logged_in(ios_debug());
    server(&mut first, 1, ServerFrame::SyncBatch { req: 2, messages: vec![msg(1, 1), msg(2, 2)], more: false });
    let saved = first.persisted();
    drop(first);

    let mut sdk = ReferenceSdk::new(ios_debug(), Some(saved.clone()));
    assert_eq!(sdk.persisted(), saved, "the store round-trips unchanged");
    app(&mut sdk, 0, login_command());
    feed(&mut sdk, 0, SdkInput::Connected);
    let o = server(&mut sdk, 0, ServerFrame::LoginOk { req: 1 });
    assert_eq!(
        o.last(),
        Some(&out(ClientFrame::Sync { req: 2, cursors: vec![Cursor { conv: conv(), seq: 2 }], limit: 50 }))
    );
    assert_eq!(
        server(&mut sdk, 1, ServerFrame::SyncBatch { req: 2, messages: vec![msg(2, 2), msg(3, 3)], more: false }),
        vec![received(msg(3, 3), Via::Sync), ev(AppEvent::SyncCompleted { user: "alice".into() })]
    );
    assert_eq!(
        server(&mut sdk, 2, ServerFrame::Deliver { message: msg(1, 1) }),
        vec![out(ClientFrame::Ack { id: MessageId(1) })]
    );
}

#[test]
fn unreadable_persisted_data_starts_like_a_fresh_install() {
    let mut sdk = ReferenceSdk::new(ios_debug(), Some(serde_json::json!({"users": 42})));
    app(&mut sdk, 0, login_command());
    feed(&mut sdk, 0, SdkInput::Connected);
    let o = server(&mut sdk, 0, ServerFrame::LoginOk { req: 1 });
    assert_eq!(o.last(), Some(&out(ClientFrame::Sync { req: 2, cursors: vec![], limit: 50 })));
}

#[test]
fn send_while_logged_out_fails_with_6000121() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    assert_eq!(
        app(&mut sdk, 0, AppCall::send(Outgoing::text("bob", "hi", None))),
        vec![ev(AppEvent::SendFailed { to: "bob".into(), code: 6_000_121, message: "not logged in".into() })]
    );
}

#[test]
fn a_sent_message_is_reported_on_send_ok_and_not_surfaced_again_by_sync() {
    let mut sdk = logged_in(ios_debug());
    let push = Some(PushConfig { title: "t".into(), content: "c".into(), payload: String::new() });
    assert_eq!(
        app(&mut sdk, 1, AppCall::send(Outgoing::text("bob", "hi", push.clone()))),
        vec![out(ClientFrame::Send { req: 3, message: Outgoing::text("bob", "hi", push) })]
    );
    let mine = Message { from: "alice".into(), ..msg(7, 1) };
    assert_eq!(
        server(&mut sdk, 2, ServerFrame::SendOk { req: 3, message: mine.clone() }),
        vec![ev(AppEvent::MessageSent { message: mine.clone() })]
    );
    assert_eq!(
        server(&mut sdk, 3, ServerFrame::SyncBatch { req: 2, messages: vec![mine], more: false }),
        vec![ev(AppEvent::SyncCompleted { user: "alice".into() })]
    );
}

#[test]
fn a_send_error_is_reported_as_send_failed_with_the_server_code() {
    let mut sdk = logged_in(ios_debug());
    app(&mut sdk, 1, AppCall::send(Outgoing::text("ghost", "hi", None)));
    let o = server(
        &mut sdk,
        2,
        ServerFrame::Error { req: Some(3), code: ZimErrorCode::TargetDoesNotExist, message: "no such user".into() },
    );
    assert_eq!(
        o,
        vec![ev(AppEvent::SendFailed { to: "ghost".into(), code: 6_000_204, message: "no such user".into() })]
    );
}

/// bob's message 4 to alice, as the vendor delivered it.
fn note_for_alice() -> Notification {
    Notification {
        title: "Bob".into(),
        content: "hi".into(),
        payload: "p".into(),
        message_id: Some(MessageId(4)),
        to_user: Some("alice".into()),
    }
}

#[test]
fn a_notification_reaching_the_running_app_is_reported_as_notification_arrived() {
    let mut sdk = logged_in(ios_debug());
    let n = note_for_alice();
    assert_eq!(
        feed(&mut sdk, 0, SdkInput::Notification { notification: n.clone() }),
        vec![ev(AppEvent::NotificationArrived { notification: n })]
    );
}

#[test]
fn an_sdk_with_nobody_logged_in_hands_the_app_no_notification() {
    // Say alice logged out or was kicked out, and a late push for her (or anyone) arrives:
    // whoever holds the phone now is not told.
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    let n = note_for_alice();
    assert_eq!(feed(&mut sdk, 0, SdkInput::Notification { notification: n }), vec![]);
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
    app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic });
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
    app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic });
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
fn logout_before_anything_reached_the_server_finishes_locally_at_once() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    app(&mut sdk, 0, login_command());
    feed(&mut sdk, 100, SdkInput::Disconnected); // the server is unreachable
    assert_eq!(
        app(&mut sdk, 200, AppCall::Logout),
        vec![
            ev(AppEvent::LoggedOut { user: "alice".into() }),
            state(ConnectionState::Disconnected, ConnectionEvent::Success),
        ]
    );
    assert_eq!(sdk.poll_timeout(), None, "no more reconnects");
    // And the app may log in again.
    let o = app(&mut sdk, 300, login_command());
    assert_eq!(o.last(), Some(&SdkOutput::Connect));
}

#[test]
fn logout_after_a_login_frame_left_is_done_on_the_server_without_rebinding() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    feed(&mut sdk, 0, SdkInput::VendorToken { vendor: Vendor::Apns, token: "t1".into() });
    app(&mut sdk, 0, login_command());
    feed(&mut sdk, 1, SdkInput::Connected); // Login (with the PushID) went out...
    feed(&mut sdk, 2, SdkInput::Disconnected); // ...and the link died before LoginOk
    assert_eq!(app(&mut sdk, 3, AppCall::Logout), vec![], "not done until the server says so");
    assert_eq!(tick(&mut sdk, 502), vec![SdkOutput::Connect]);
    let o = feed(&mut sdk, 503, SdkInput::Connected);
    assert!(matches!(&o[..], [SdkOutput::Send { frame: ClientFrame::Login { req: 2, push_id: None, .. } }]), "{o:?}");
    assert_eq!(server(&mut sdk, 504, ServerFrame::LoginOk { req: 2 }), vec![out(ClientFrame::Logout { req: 3 })]);
    let o = server(&mut sdk, 505, ServerFrame::LogoutOk { req: 3 });
    assert!(o.contains(&ev(AppEvent::LoggedOut { user: "alice".into() })), "{o:?}");
}

#[test]
fn a_logout_whose_session_the_server_refuses_is_reported_as_failed_not_done() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    app(&mut sdk, 0, login_command());
    feed(&mut sdk, 1, SdkInput::Connected);
    feed(&mut sdk, 2, SdkInput::Disconnected);
    app(&mut sdk, 3, AppCall::Logout);
    tick(&mut sdk, 502);
    feed(&mut sdk, 503, SdkInput::Connected);
    let expired = ServerFrame::Error { req: Some(2), code: ZimErrorCode::TokenExpired, message: "expired".into() };
    let o = server(&mut sdk, 504, expired);
    assert!(
        o.contains(&ev(AppEvent::LogoutFailed { user: "alice".into(), code: 6_000_106, message: "expired".into() })),
        "{o:?}"
    );
    assert!(!o.iter().any(|x| matches!(x, SdkOutput::Event { event: AppEvent::LoggedOut { .. } })), "{o:?}");
}

#[test]
fn a_first_login_that_gets_no_session_in_time_fails_with_login_timeout() {
    let mut config = ios_debug();
    config.login_timeout_ms = 3_000;
    let mut sdk = ReferenceSdk::new(config, None);
    app(&mut sdk, 0, login_command());
    feed(&mut sdk, 100, SdkInput::Disconnected);
    assert_eq!(sdk.poll_timeout(), Some(Millis(600)), "the reconnect comes first");
    tick(&mut sdk, 600);
    feed(&mut sdk, 700, SdkInput::Disconnected);
    tick(&mut sdk, 1_700);
    assert_eq!(
        tick(&mut sdk, 3_000),
        vec![
            ev(AppEvent::LoginFailed {
                user: "alice".into(),
                code: 6_000_104,
                message: "no session within the login timeout".into()
            }),
            state(ConnectionState::Disconnected, ConnectionEvent::LoginTimeout),
        ]
    );
    assert_eq!(sdk.poll_timeout(), None);
    // A connection that opens after the give-up is closed straight away.
    assert_eq!(feed(&mut sdk, 3_100, SdkInput::Connected), vec![SdkOutput::Close]);
}

#[test]
fn heartbeats_start_only_once_logged_in_and_an_unanswered_login_drops_the_link() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    app(&mut sdk, 0, login_command());
    feed(&mut sdk, 0, SdkInput::Connected);
    // No heartbeat goes out before LoginOk; the login itself must be answered in time.
    assert_eq!(sdk.poll_timeout(), Some(Millis(5_000)));
    let o = tick(&mut sdk, 5_000);
    assert_eq!(o, vec![SdkOutput::Close]);
    assert!(!o.iter().any(|x| matches!(x, SdkOutput::Send { frame: ClientFrame::Heartbeat })));
    assert_eq!(sdk.poll_timeout(), Some(Millis(5_500)), "reconnect after the first backoff step");
}

/// alice taps Log out and the app dies before anything reaches the server: what the next
/// launch finds on disk.
fn killed_right_after_logout() -> serde_json::Value {
    let mut sdk = logged_in(ios_debug());
    assert_eq!(app(&mut sdk, 1, AppCall::Logout), vec![out(ClientFrame::Logout { req: 3 })]);
    sdk.persisted()
}

#[test]
fn a_logout_cut_short_by_a_kill_is_completed_first_thing_on_the_next_launch() {
    let mut sdk = ReferenceSdk::new(ios_debug(), Some(killed_right_after_logout()));
    assert_eq!(drain(&mut sdk), vec![SdkOutput::Connect], "the launch goes straight to the server");
    let o = feed(&mut sdk, 10, SdkInput::Connected);
    assert!(
        matches!(&o[..], [SdkOutput::Send { frame: ClientFrame::Login { req: 1, push_id: None, user_id, .. } }] if user_id.as_str() == "alice"),
        "a session only to log out, binding nothing: {o:?}"
    );
    assert_eq!(server(&mut sdk, 11, ServerFrame::LoginOk { req: 1 }), vec![out(ClientFrame::Logout { req: 2 })]);
    let o = server(&mut sdk, 12, ServerFrame::LogoutOk { req: 2 });
    assert!(o.contains(&ev(AppEvent::LoggedOut { user: "alice".into() })), "{o:?}");
    // Done for good: a later launch has nothing left to do.
    let mut next = ReferenceSdk::new(ios_debug(), Some(sdk.persisted()));
    assert_eq!(drain(&mut next), vec![]);
}

#[test]
fn a_pending_logout_survives_kills_until_the_server_confirms_it() {
    let mut sdk = ReferenceSdk::new(ios_debug(), Some(killed_right_after_logout()));
    drain(&mut sdk);
    feed(&mut sdk, 10, SdkInput::Connected);
    server(&mut sdk, 11, ServerFrame::LoginOk { req: 1 });
    // Killed again before LogoutOk.
    let mut again = ReferenceSdk::new(ios_debug(), Some(sdk.persisted()));
    assert_eq!(drain(&mut again), vec![SdkOutput::Connect]);
}

#[test]
fn a_login_asked_for_while_a_pending_logout_runs_starts_once_it_is_done() {
    let mut sdk = ReferenceSdk::new(ios_debug(), Some(killed_right_after_logout()));
    drain(&mut sdk);
    let carol = AppCall::Login { user: "carol".into(), token: Some("tok-c".into()) };
    assert_eq!(app(&mut sdk, 5, carol), vec![], "queued behind alice's logout, not refused");
    feed(&mut sdk, 10, SdkInput::Connected);
    server(&mut sdk, 11, ServerFrame::LoginOk { req: 1 });
    let o = server(&mut sdk, 12, ServerFrame::LogoutOk { req: 2 });
    let tail = &o[o.len() - 2..];
    assert_eq!(tail, &[state(ConnectionState::Connecting, ConnectionEvent::ActiveLogin), SdkOutput::Connect], "{o:?}");
    let o = feed(&mut sdk, 13, SdkInput::Connected);
    assert!(
        matches!(&o[..], [SdkOutput::Send { frame: ClientFrame::Login { user_id, .. } }] if user_id.as_str() == "carol"),
        "{o:?}"
    );
}

#[test]
fn a_logout_after_a_login_queued_behind_a_pending_logout_cancels_that_login() {
    let mut sdk = ReferenceSdk::new(ios_debug(), Some(killed_right_after_logout()));
    drain(&mut sdk);
    let carol = AppCall::Login { user: "carol".into(), token: Some("tok-c".into()) };
    app(&mut sdk, 5, carol);
    assert_eq!(app(&mut sdk, 6, AppCall::Logout), vec![ev(AppEvent::LoggedOut { user: "carol".into() })]);
    feed(&mut sdk, 10, SdkInput::Connected);
    server(&mut sdk, 11, ServerFrame::LoginOk { req: 1 });
    let o = server(&mut sdk, 12, ServerFrame::LogoutOk { req: 2 });
    assert!(o.contains(&ev(AppEvent::LoggedOut { user: "alice".into() })), "{o:?}");
    assert!(!o.contains(&SdkOutput::Connect), "carol's login never starts: {o:?}");
}

#[test]
fn a_logout_on_a_kicked_out_device_completes_locally_and_is_reported() {
    let mut sdk = logged_in(ios_debug());
    server(&mut sdk, 1, ServerFrame::KickedOut);
    assert_eq!(app(&mut sdk, 2, AppCall::Logout), vec![ev(AppEvent::LoggedOut { user: "alice".into() })]);
    assert_eq!(drain(&mut sdk), vec![]);
}

#[test]
fn a_logout_when_nobody_ever_logged_in_fails_with_6000121() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    let o = app(&mut sdk, 0, AppCall::Logout);
    assert!(matches!(&o[..], [SdkOutput::Event { event: AppEvent::LogoutFailed { code: 6_000_121, .. } }]), "{o:?}");
}

#[test]
fn a_kick_out_during_a_logout_completes_it() {
    let mut sdk = logged_in(ios_debug());
    app(&mut sdk, 1, AppCall::Logout);
    let o = server(&mut sdk, 2, ServerFrame::KickedOut);
    assert!(o.contains(&ev(AppEvent::LoggedOut { user: "alice".into() })), "{o:?}");
    let mut next = ReferenceSdk::new(ios_debug(), Some(sdk.persisted()));
    assert_eq!(drain(&mut next), vec![], "nothing pending: the kick-out unbound the install");
}

#[test]
fn a_message_to_oneself_is_refused_locally_with_6000001_and_nothing_is_sent() {
    let mut sdk = logged_in(ios_debug());
    let o = app(&mut sdk, 1, AppCall::send(Outgoing::text("alice", "note", None)));
    assert!(
        matches!(&o[..], [SdkOutput::Event { event: AppEvent::SendFailed { code: 6_000_001, to, .. } }] if to.as_str() == "alice"),
        "{o:?}"
    );
}

#[test]
fn an_oversized_text_or_push_config_is_refused_locally_and_nothing_is_sent() {
    let mut sdk = logged_in(ios_debug());
    let huge = "x".repeat(2 << 20);
    let o = app(&mut sdk, 1, AppCall::send(Outgoing::text("bob", huge.clone(), None)));
    assert!(matches!(&o[..], [SdkOutput::Event { event: AppEvent::SendFailed { code: 6_000_001, .. } }]), "{o:?}");
    let push = Some(PushConfig { title: "t".into(), content: huge, payload: String::new() });
    let o = app(&mut sdk, 2, AppCall::send(Outgoing::text("bob", "hi", push)));
    assert!(matches!(&o[..], [SdkOutput::Event { event: AppEvent::SendFailed { code: 6_000_001, .. } }]), "{o:?}");
    // The largest text ZIM allows still goes out.
    let max = "x".repeat(crate::wire::limits::TEXT_MAX_BYTES);
    let o = app(&mut sdk, 3, AppCall::send(Outgoing::text("bob", max, None)));
    assert!(matches!(&o[..], [SdkOutput::Send { frame: ClientFrame::Send { .. } }]), "{o:?}");
}

#[test]
fn a_notification_for_another_user_than_the_one_logged_in_is_not_handed_to_the_app() {
    let mut sdk = logged_in(ios_debug());
    let n = |to: &str| Notification {
        title: "t".into(),
        content: "c".into(),
        payload: String::new(),
        message_id: Some(MessageId(9)),
        to_user: Some(to.into()),
    };
    assert_eq!(feed(&mut sdk, 1, SdkInput::Notification { notification: n("carol") }), vec![]);
    assert_eq!(
        feed(&mut sdk, 2, SdkInput::Notification { notification: n("alice") }),
        vec![ev(AppEvent::NotificationArrived { notification: n("alice") })]
    );
    // After a relaunch, before anyone logs in, the install still belongs to alice.
    let mut next = ReferenceSdk::new(ios_debug(), Some(sdk.persisted()));
    assert_eq!(feed(&mut next, 3, SdkInput::Notification { notification: n("carol") }), vec![]);
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
        app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: chosen });
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
        app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: chosen });
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

#[test]
fn nothing_is_surfaced_while_a_logout_is_under_way() {
    let mut sdk = ReferenceSdk::new(ios_debug(), Some(killed_right_after_logout()));
    drain(&mut sdk);
    feed(&mut sdk, 10, SdkInput::Connected);
    server(&mut sdk, 11, ServerFrame::LoginOk { req: 1 });
    // A message routed to the session that only exists to log out.
    let o = server(&mut sdk, 12, ServerFrame::Deliver { message: msg(5, 1) });
    assert!(!o.iter().any(|x| matches!(x, SdkOutput::Event { event: AppEvent::MessageReceived { .. } })), "{o:?}");
}

/// alice was logged in and the app was killed (her binding stays for offline push): the
/// local data of the next launch.
fn killed_while_logged_in() -> serde_json::Value {
    logged_in(ios_debug()).persisted()
}

#[test]
fn a_logout_before_the_login_reaches_the_server_still_goes_there_if_an_earlier_session_may_have_left_a_binding() {
    let mut sdk = ReferenceSdk::new(ios_debug(), Some(killed_while_logged_in()));
    app(&mut sdk, 0, login_command());
    // Tapped before the connection is even up: nothing of *this* login reached the server,
    // but last launch's session did, and its binding is still there.
    assert_eq!(app(&mut sdk, 5, AppCall::Logout), vec![], "not done until the server says so");
    let o = feed(&mut sdk, 10, SdkInput::Connected);
    assert!(matches!(&o[..], [SdkOutput::Send { frame: ClientFrame::Login { push_id: None, .. } }]), "{o:?}");
    assert_eq!(server(&mut sdk, 11, ServerFrame::LoginOk { req: 1 }), vec![out(ClientFrame::Logout { req: 2 })]);
}

#[test]
fn a_logout_after_a_failed_login_carries_it_to_the_server_if_an_earlier_session_may_have_left_a_binding() {
    let mut config = ios_debug();
    config.login_timeout_ms = 3_000;
    let mut sdk = ReferenceSdk::new(config, Some(killed_while_logged_in()));
    app(&mut sdk, 0, login_command());
    feed(&mut sdk, 100, SdkInput::Disconnected);
    tick(&mut sdk, 3_000); // LoginFailed (timeout)
    assert_eq!(app(&mut sdk, 4_000, AppCall::Logout), vec![SdkOutput::Connect]);
}

#[test]
fn a_login_the_app_died_waiting_for_still_counts_as_possibly_bound_at_the_next_logout() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    app(&mut sdk, 0, login_command());
    feed(&mut sdk, 1, SdkInput::Connected); // the Login frame leaves; the app dies before LoginOk
    let mut next = ReferenceSdk::new(ios_debug(), Some(sdk.persisted()));
    app(&mut next, 10, login_command());
    assert_eq!(app(&mut next, 15, AppCall::Logout), vec![], "goes to the server, not finished locally");
}

#[test]
fn a_send_while_reconnecting_waits_for_the_session_and_goes_out_when_it_is_back() {
    let mut sdk = logged_in(ios_debug());
    feed(&mut sdk, 10, SdkInput::Disconnected);
    let hi = AppCall::send(Outgoing::text("bob", "hi", None));
    assert_eq!(app(&mut sdk, 20, hi), vec![], "not refused with 6000121: the app is still logged in");
    // The reconnect: connect, login, login_ok; then the waiting message leaves.
    let o = tick(&mut sdk, 10_000);
    assert!(o.contains(&SdkOutput::Connect), "{o:?}");
    let o = feed(&mut sdk, 10_001, SdkInput::Connected);
    let Some(SdkOutput::Send { frame: ClientFrame::Login { req, .. } }) = o.last().cloned() else {
        panic!("expected a login: {o:?}")
    };
    let o = server(&mut sdk, 10_002, ServerFrame::LoginOk { req });
    assert!(
        o.iter()
            .any(|x| matches!(x, SdkOutput::Send { frame: ClientFrame::Send { message, .. } } if message.to == "bob")),
        "{o:?}"
    );
}

#[test]
fn a_send_waiting_for_a_session_that_never_comes_back_fails() {
    let mut sdk = logged_in(ios_debug());
    feed(&mut sdk, 10, SdkInput::Disconnected);
    app(&mut sdk, 20, AppCall::send(Outgoing::text("bob", "hi", None)));
    tick(&mut sdk, 10_000);
    feed(&mut sdk, 10_001, SdkInput::Connected);
    let o = server(&mut sdk, 10_002, ServerFrame::KickedOut);
    assert!(
        o.iter().any(|x| matches!(x, SdkOutput::Event { event: AppEvent::SendFailed { code: 6_000_121, .. } })),
        "{o:?}"
    );
}

mod requests;
mod token;
