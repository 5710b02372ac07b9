//! Logout: on the server first, across kills, queued logins.

use super::*;

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
