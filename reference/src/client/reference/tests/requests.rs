//! Group and room calls, message types and the client-side limits, as the app sees them.

use super::*;
use crate::ids::{ConversationType, GroupId};
use crate::wire::GroupChange;

fn join(group: &str) -> AppCall {
    AppCall::JoinGroup { group_id: group.into() }
}

fn group_result(op: &str, group: &str, code: u32, message: &str) -> SdkOutput {
    ev(AppEvent::GroupResult { op: op.into(), group_id: Some(group.into()), code, message: message.into() })
}

#[test]
fn a_group_call_goes_to_the_server_and_its_answer_reaches_the_app_once() {
    let mut sdk = logged_in(ios_debug());
    let o = app(&mut sdk, 10, join("team"));
    assert_eq!(o, vec![out(ClientFrame::JoinGroup { req: 3, group_id: "team".into() })]);
    let o = server(&mut sdk, 20, ServerFrame::GroupOk { req: 3, group_id: "team".into() });
    assert_eq!(o, vec![group_result("join", "team", 0, "")]);
    assert_eq!(server(&mut sdk, 21, ServerFrame::GroupOk { req: 3, group_id: "team".into() }), vec![]);
}

#[test]
fn a_refused_group_call_reports_the_servers_code() {
    let mut sdk = logged_in(ios_debug());
    app(&mut sdk, 10, AppCall::DismissGroup { group_id: "team".into() });
    let refusal = ServerFrame::Error { req: Some(3), code: ZimErrorCode::NoAuthority, message: "not the owner".into() };
    assert_eq!(server(&mut sdk, 20, refusal), vec![group_result("dismiss", "team", 6_000_541, "not the owner")]);
}

#[test]
fn a_created_group_is_reported_with_the_id_the_server_gave_it() {
    let mut sdk = logged_in(ios_debug());
    app(&mut sdk, 10, AppCall::CreateGroup { group_id: None, name: "t".into(), members: vec!["bob".into()] });
    let o = server(&mut sdk, 20, ServerFrame::GroupOk { req: 3, group_id: "#7".into() });
    assert_eq!(o, vec![group_result("create", "#7", 0, "")]);
}

#[test]
fn group_and_room_calls_without_a_login_fail_with_6000121() {
    let mut sdk = ReferenceSdk::new(ios_debug(), None);
    assert_eq!(app(&mut sdk, 0, join("team")), vec![group_result("join", "team", 6_000_121, "not logged in")]);
    let o = app(&mut sdk, 0, AppCall::EnterRoom { room_id: "lobby".into() });
    assert_eq!(
        o,
        vec![ev(AppEvent::RoomResult {
            op: "enter".into(),
            room_id: "lobby".into(),
            code: 6_000_121,
            message: "not logged in".into()
        })]
    );
}

#[test]
fn calls_made_while_reconnecting_go_out_in_order_once_the_session_is_back() {
    let mut sdk = logged_in(ios_debug());
    feed(&mut sdk, 10, SdkInput::Disconnected);
    assert_eq!(app(&mut sdk, 20, join("team")), vec![]);
    assert_eq!(app(&mut sdk, 21, AppCall::send(Outgoing::text("bob", "hi", None))), vec![]);
    let at = sdk.poll_timeout().expect("a reconnect").0;
    tick(&mut sdk, at);
    feed(&mut sdk, at, SdkInput::Connected);
    let o = server(&mut sdk, at + 5, ServerFrame::LoginOk { req: 3 });
    let frames: Vec<&ClientFrame> = o
        .iter()
        .filter_map(|x| match x {
            SdkOutput::Send { frame } => Some(frame),
            _ => None,
        })
        .collect();
    assert!(matches!(frames[0], ClientFrame::JoinGroup { .. }), "{frames:?}");
    assert!(matches!(frames[1], ClientFrame::Send { .. }), "{frames:?}");
}

#[test]
fn a_group_change_reaches_the_app() {
    let mut sdk = logged_in(ios_debug());
    let change = GroupChange::Joined { users: vec!["carol".into()] };
    let o = server(&mut sdk, 10, ServerFrame::GroupChanged { group_id: GroupId::from("team"), change: change.clone() });
    assert_eq!(o, vec![ev(AppEvent::GroupChanged { group_id: "team".into(), change })]);
}

#[test]
fn an_eleventh_send_within_a_second_fails_locally_with_6000004() {
    let mut sdk = logged_in(ios_debug());
    for i in 0..10 {
        let o = app(&mut sdk, 100 + i * 10, AppCall::send(Outgoing::text("bob", "x", None)));
        assert!(matches!(o.as_slice(), [SdkOutput::Send { .. }]), "{o:?}");
    }
    let o = app(&mut sdk, 1_099, AppCall::send(Outgoing::text("bob", "x", None)));
    assert!(
        matches!(o.as_slice(), [SdkOutput::Event { event: AppEvent::SendFailed { code: 6_000_004, .. } }]),
        "{o:?}"
    );
    let o = app(&mut sdk, 1_100, AppCall::send(Outgoing::text("bob", "x", None)));
    assert!(matches!(o.as_slice(), [SdkOutput::Send { .. }]), "a second later it goes: {o:?}");
}

#[test]
fn a_message_breaking_a_limit_fails_locally_with_6000001_and_nothing_is_sent() {
    let mut sdk = logged_in(ios_debug());
    let group = |to: &str| Outgoing { conv_type: ConversationType::Group, ..Outgoing::text(to, "x", None) };
    for m in [
        Outgoing { priority: 9, ..Outgoing::text("bob", "x", None) },
        Outgoing { extended_data: "e".repeat(1025), ..Outgoing::text("bob", "x", None) },
        Outgoing { body: MessageBody::Command { data: String::new() }, ..Outgoing::text("bob", "x", None) },
        group("#"),
    ] {
        let o = app(&mut sdk, 10, AppCall::send(m.clone()));
        assert!(
            matches!(o.as_slice(), [SdkOutput::Event { event: AppEvent::SendFailed { code: 6_000_001, .. } }]),
            "{m:?}: {o:?}"
        );
    }
}

#[test]
fn a_command_message_is_surfaced_but_moves_no_sync_cursor() {
    let mut sdk = logged_in(ios_debug());
    let command = Message { seq: 0, body: MessageBody::Command { data: "typing".into() }, ..msg(9, 0) };
    let o = server(&mut sdk, 10, ServerFrame::Deliver { message: command.clone() });
    assert!(o.contains(&received(command, Via::Online)), "{o:?}");
    assert_eq!(sdk.user_store(&"alice".into()).cursors(), vec![], "no cursor for a message with no sequence");
}
