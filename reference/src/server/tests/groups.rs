//! Groups: create, join, leave, dismiss, fan-out, and what each member may sync.

use super::*;
use crate::ids::GroupId;
use crate::wire::GroupChange;

const DAN: ConnId = ConnId(4);

/// alice (owner), bob and carol online; alice created group "team" with bob in it.
fn team() -> ZimServer {
    let mut s = ZimServer::new(ServerConfig::default());
    for (conn, user) in [(ALICE, "alice"), (BOB, "bob"), (CAROL, "carol")] {
        login(&mut s, conn, user, &format!("{user}-phone"), Some(apns_id(&format!("{user}-token"))), Millis(0));
    }
    let create = ClientFrame::CreateGroup {
        req: 5,
        group_id: Some("team".into()),
        name: "Team".into(),
        members: vec!["bob".into()],
    };
    s.on_frame(ALICE, create, Millis(10));
    let out = drain(&mut s);
    assert_eq!(frames_to(&out, ALICE).last(), Some(&ServerFrame::GroupOk { req: 5, group_id: "team".into() }));
    s
}

fn group_frame(s: &mut ZimServer, conn: ConnId, frame: ClientFrame, now: u64) -> Vec<ServerOutput> {
    s.on_frame(conn, frame, Millis(now));
    drain(s)
}

fn team_id() -> GroupId {
    "team".into()
}

#[test]
fn the_creator_owns_the_group_and_every_member_hears_who_joined() {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(0));
    login(&mut s, BOB, "bob", "bob-phone", None, Millis(0));
    let create = ClientFrame::CreateGroup {
        req: 5,
        group_id: Some(team_id()),
        name: String::new(),
        members: vec!["bob".into()],
    };
    let out = group_frame(&mut s, ALICE, create, 10);
    let joined = GroupChange::Joined { users: vec!["alice".into(), "bob".into()] };
    assert_eq!(events(&out), vec![ServerEvent::GroupChanged { group_id: team_id(), change: joined.clone() }]);
    for conn in [ALICE, BOB] {
        assert!(
            frames_to(&out, conn).contains(&ServerFrame::GroupChanged { group_id: team_id(), change: joined.clone() })
        );
    }
    // Only the owner may dismiss it.
    let out = group_frame(&mut s, BOB, ClientFrame::DismissGroup { req: 6, group_id: team_id() }, 20);
    assert_eq!(error_code(&out, BOB), (Some(6), 6_000_541));
}

#[test]
fn a_group_created_without_an_id_gets_one_from_the_server_starting_with_a_hash() {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(0));
    let create = ClientFrame::CreateGroup { req: 1, group_id: None, name: String::new(), members: vec![] };
    let out = group_frame(&mut s, ALICE, create.clone(), 1);
    assert_eq!(frames_to(&out, ALICE).last(), Some(&ServerFrame::GroupOk { req: 1, group_id: "#1".into() }));
    let out = group_frame(&mut s, ALICE, create, 2);
    assert_eq!(frames_to(&out, ALICE).last(), Some(&ServerFrame::GroupOk { req: 1, group_id: "#2".into() }));
    let out = send_message(&mut s, ALICE, 3, to_group("#2", "hello", None), Millis(3));
    assert_eq!(sent_message(&out, ALICE).seq, 1, "a generated ID names a group like any other");
}

#[test]
fn bad_creations_get_their_documented_codes() {
    let mut s = team();
    let config = ServerConfig { group_member_limit: 2, ..ServerConfig::default() };
    s.config = config;
    let create = |req, id: &str, members: &[&str]| ClientFrame::CreateGroup {
        req,
        group_id: Some(id.into()),
        name: String::new(),
        members: members.iter().map(|m| UserId::from(*m)).collect(),
    };
    for (req, frame, code) in [
        (1, create(1, "team", &[]), 6_000_524),
        (2, create(2, "#mine", &[]), 6_000_001),
        (3, create(3, "g3", &["nobody"]), 6_000_204),
        (4, create(4, "g4", &["bob", "carol"]), 6_000_525),
        (5, create(5, "has space", &[]), 6_000_001),
    ] {
        let out = group_frame(&mut s, ALICE, frame, 100);
        assert_eq!(error_code(&out, ALICE), (Some(req), code), "request {req}");
    }
}

#[test]
fn a_group_message_reaches_every_other_member_online_or_by_push_and_never_the_sender() {
    let mut s = team();
    group_frame(&mut s, CAROL, ClientFrame::JoinGroup { req: 7, group_id: team_id() }, 20);
    // carol's app dies; her session times out while alice and bob stay.
    s.on_disconnect(CAROL, Millis(30));
    for t in [15_000, 29_000] {
        for conn in [ALICE, BOB] {
            s.on_frame(conn, ClientFrame::Heartbeat, Millis(t));
        }
    }
    s.tick(Millis(30_030));
    drain(&mut s);
    let out = send_message(&mut s, BOB, 8, to_group("team", "hi all", Some(push_config())), Millis(31_000));
    let m = sent_message(&out, BOB);
    assert_eq!((m.conv.clone(), m.seq), (ConvKey::Group { id: team_id() }, 1));
    assert!(events(&out).contains(&ServerEvent::MessageAccepted {
        id: m.id,
        conv: m.conv.clone(),
        seq: 1,
        from: "bob".into(),
        to: vec!["alice".into(), "carol".into()],
        push: true,
        stored: true,
        badge_increment: None,
    }));
    assert_eq!(frames_to(&out, ALICE), vec![ServerFrame::Deliver { message: m.clone() }]);
    assert!(!frames_to(&out, BOB).iter().any(|f| matches!(f, ServerFrame::Deliver { .. })), "not to the sender");
    let pushed: Vec<(UserId, PushId)> = pushes(&out).into_iter().map(|p| (p.user_id, p.push_id)).collect();
    assert_eq!(pushed, vec![("carol".into(), apns_id("carol-token"))], "only the offline member is pushed");
}

#[test]
fn sends_to_a_group_one_is_not_in_or_that_does_not_exist_are_refused() {
    let mut s = team();
    let out = send_message(&mut s, CAROL, 1, to_group("team", "let me in", None), Millis(20));
    assert_eq!(error_code(&out, CAROL), (Some(1), 6_000_521));
    let out = send_message(&mut s, ALICE, 2, to_group("nope", "anyone?", None), Millis(20));
    assert_eq!(error_code(&out, ALICE), (Some(2), 6_000_523));
    assert!(s.conversation(&ConvKey::Group { id: team_id() }).is_empty());
}

#[test]
fn a_member_syncs_what_was_sent_while_they_were_in_the_group_and_nothing_else() {
    let mut s = team();
    send_message(&mut s, ALICE, 1, to_group("team", "before carol", None), Millis(20));
    group_frame(&mut s, CAROL, ClientFrame::JoinGroup { req: 2, group_id: team_id() }, 30);
    send_message(&mut s, ALICE, 3, to_group("team", "with carol", None), Millis(40));
    group_frame(&mut s, CAROL, ClientFrame::LeaveGroup { req: 4, group_id: team_id() }, 50);
    send_message(&mut s, ALICE, 5, to_group("team", "after carol", None), Millis(60));
    s.on_frame(CAROL, ClientFrame::Sync { req: 6, cursors: vec![], limit: 100 }, Millis(70));
    let texts: Vec<String> = frames_to(&drain(&mut s), CAROL)
        .into_iter()
        .flat_map(|f| match f {
            ServerFrame::SyncBatch { messages, .. } => messages,
            _ => vec![],
        })
        .map(|m| format!("{:?}", m.body))
        .collect();
    assert_eq!(texts, vec![format!("{:?}", text_body("with carol"))]);
}

#[test]
fn joining_twice_leaving_when_out_and_joining_a_full_group_get_their_codes() {
    let mut s = team();
    let out = group_frame(&mut s, BOB, ClientFrame::JoinGroup { req: 1, group_id: team_id() }, 20);
    assert_eq!(error_code(&out, BOB), (Some(1), 6_000_522));
    let out = group_frame(&mut s, CAROL, ClientFrame::LeaveGroup { req: 2, group_id: team_id() }, 20);
    assert_eq!(error_code(&out, CAROL), (Some(2), 6_000_521));
    let out = group_frame(&mut s, CAROL, ClientFrame::JoinGroup { req: 3, group_id: "nope".into() }, 20);
    assert_eq!(error_code(&out, CAROL), (Some(3), 6_000_523));
    s.config.group_member_limit = 2;
    let out = group_frame(&mut s, CAROL, ClientFrame::JoinGroup { req: 4, group_id: team_id() }, 20);
    assert_eq!(error_code(&out, CAROL), (Some(4), 6_000_525));
}

#[test]
fn when_the_owner_leaves_the_next_member_owns_the_group_and_the_last_one_out_dismisses_it() {
    let mut s = team();
    login(&mut s, DAN, "dan", "dan-phone", None, Millis(0));
    group_frame(&mut s, DAN, ClientFrame::JoinGroup { req: 1, group_id: team_id() }, 20);
    group_frame(&mut s, ALICE, ClientFrame::LeaveGroup { req: 2, group_id: team_id() }, 30);
    // bob now owns it: dan may not dismiss, bob may.
    let out = group_frame(&mut s, DAN, ClientFrame::DismissGroup { req: 3, group_id: team_id() }, 40);
    assert_eq!(error_code(&out, DAN), (Some(3), 6_000_541));
    group_frame(&mut s, BOB, ClientFrame::LeaveGroup { req: 4, group_id: team_id() }, 50);
    let out = group_frame(&mut s, DAN, ClientFrame::LeaveGroup { req: 5, group_id: team_id() }, 60);
    assert_eq!(
        events(&out),
        vec![ServerEvent::GroupChanged { group_id: team_id(), change: GroupChange::Dismissed }],
        "the last member out dismisses it"
    );
    let out = send_message(&mut s, DAN, 6, to_group("team", "hello?", None), Millis(70));
    assert_eq!(error_code(&out, DAN), (Some(6), 6_000_523));
}

#[test]
fn a_dismissed_group_tells_its_members_and_takes_no_more_messages() {
    let mut s = team();
    let out = group_frame(&mut s, ALICE, ClientFrame::DismissGroup { req: 1, group_id: team_id() }, 20);
    for conn in [ALICE, BOB] {
        assert!(
            frames_to(&out, conn)
                .contains(&ServerFrame::GroupChanged { group_id: team_id(), change: GroupChange::Dismissed }),
            "{conn:?}"
        );
    }
    assert_eq!(frames_to(&out, ALICE).last(), Some(&ServerFrame::GroupOk { req: 1, group_id: team_id() }));
    let out = send_message(&mut s, BOB, 2, to_group("team", "still there?", None), Millis(30));
    assert_eq!(error_code(&out, BOB), (Some(2), 6_000_523));
}

#[test]
fn groups_survive_a_restart() {
    let mut s = team();
    s.handle(Millis(100), ServerInput::Restart);
    drain(&mut s);
    login(&mut s, ConnId(9), "bob", "bob-phone", None, Millis(200));
    let out = send_message(&mut s, ConnId(9), 1, to_group("team", "still here", None), Millis(300));
    assert_eq!(sent_message(&out, ConnId(9)).seq, 1);
}
