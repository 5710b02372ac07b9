//! Sync, sends and the local store.

use super::*;

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
        app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic, enable_ios_voip: false }),
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
    let push = Some(PushConfig::new("t", "c", ""));
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
fn an_oversized_text_or_push_config_is_refused_locally_and_nothing_is_sent() {
    let mut sdk = logged_in(ios_debug());
    let huge = "x".repeat(2 << 20);
    let o = app(&mut sdk, 1, AppCall::send(Outgoing::text("bob", huge.clone(), None)));
    assert!(matches!(&o[..], [SdkOutput::Event { event: AppEvent::SendFailed { code: 6_000_001, .. } }]), "{o:?}");
    let push = Some(PushConfig::new("t", huge, ""));
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
        badge: None,
    };
    assert_eq!(feed(&mut sdk, 1, apns_delivery(&n("carol"))), vec![]);
    assert_eq!(
        feed(&mut sdk, 2, apns_delivery(&n("alice"))),
        vec![ev(AppEvent::NotificationArrived { notification: n("alice") })]
    );
    // After a relaunch, before anyone logs in, the install still belongs to alice.
    let mut next = ReferenceSdk::new(ios_debug(), Some(sdk.persisted()));
    assert_eq!(feed(&mut next, 3, apns_delivery(&n("carol"))), vec![]);
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
