//! The link: reconnects, heartbeats, kick-outs.

use super::*;

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
fn a_link_slower_than_the_pong_timeout_gets_a_longer_wait_on_each_try_until_the_login_answer_comes() {
    // Each way takes 3 s: a login answer comes 6 s after the login, past the 5 s timeout.
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    app(&mut sdk, 0, login_command());
    feed(&mut sdk, 0, SdkInput::Connected);
    assert_eq!(sdk.poll_timeout(), Some(Millis(5_000)), "the first try waits the pong timeout");
    let dropped = tick(&mut sdk, 5_000);
    assert_eq!(dropped.first(), Some(&SdkOutput::Close), "{dropped:?}");
    // The reconnect's login waits twice as long, and its answer makes it.
    let at = sdk.poll_timeout().expect("a reconnect").0;
    assert!(tick(&mut sdk, at).contains(&SdkOutput::Connect), "reconnects");
    let login = feed(&mut sdk, at, SdkInput::Connected);
    let Some(SdkOutput::Send { frame: ClientFrame::Login { req, .. } }) = login.last().cloned() else {
        panic!("a login: {login:?}")
    };
    assert_eq!(tick(&mut sdk, at + 5_000), vec![], "still waiting where the first try gave up");
    let answered = server(&mut sdk, at + 6_000, ServerFrame::LoginOk { req });
    assert!(answered.contains(&ev(AppEvent::LoggedIn { user: "alice".into() })), "{answered:?}");
    // An answer brings the wait back to the pong timeout.
    let beat = at + 6_000 + 10_000;
    assert_eq!(tick(&mut sdk, beat), vec![out(ClientFrame::Heartbeat)]);
    assert_eq!(sdk.poll_timeout(), Some(Millis(beat + 5_000)));
}

#[test]
fn the_wait_for_an_answer_doubles_up_to_four_times_the_pong_timeout() {
    // Logged in, the link goes silent: the heartbeat's pong never comes, nor any login's
    // answer on the reconnects after it.
    let mut sdk = logged_in(ios_debug());
    tick(&mut sdk, 10_000);
    let (mut waits, mut now) = (Vec::new(), 10_000);
    for _ in 0..5 {
        let deadline = sdk.poll_timeout().expect("a deadline").0;
        waits.push(deadline - now);
        tick(&mut sdk, deadline);
        now = sdk.poll_timeout().expect("a reconnect").0;
        tick(&mut sdk, now);
        feed(&mut sdk, now, SdkInput::Connected);
    }
    assert_eq!(waits, [5_000, 10_000, 20_000, 20_000, 20_000]);
}
