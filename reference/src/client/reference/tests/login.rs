//! Login, its failures and timeouts.

use super::*;

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
    app(&mut sdk, 0, AppCall::RegisterPush { ios_environment: IosEnvironment::Automatic, enable_ios_voip: false });
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
