//! The server REST API: signatures, timestamps, rate limits, and what a backend's send does
//! to the recipients (stored, delivered, pushed), each refusal with its documented code.

use super::*;
use crate::core::{step, ApiRequest};
use crate::server_api::{
    codes, Action, Answer, Credentials, MessageBody as ApiBody, OfflinePush, SendGroupMessage, SendPeerMessage,
};
use serde_json::json;

/// Unix seconds at simulated time `t`.
fn unix(s: &ZimServer, t: Millis) -> i64 {
    t.unix_s(s.config().epoch_unix_ms)
}

fn creds(s: &ZimServer) -> Credentials {
    Credentials { app_id: s.config().app_id, server_secret: s.config().server_secret.clone() }
}

/// Feeds one REST request at `now`, returning the answer and everything else the call did.
fn call(s: &mut ZimServer, request: HttpRequest, now: Millis) -> (Answer, Vec<ServerOutput>) {
    s.handle(now, ServerInput::Api(ApiRequest { id: 9, request }));
    let mut out = drain(s);
    let at = out.iter().position(|o| matches!(o, ServerOutput::Respond(_))).expect("every request is answered");
    let ServerOutput::Respond(r) = out.remove(at) else { unreachable!() };
    assert_eq!((r.id, r.response.status), (9, 200));
    (serde_json::from_slice(&r.response.body).expect("a JSON answer"), out)
}

fn text_to(to: &[&str], push: bool) -> serde_json::Value {
    let offline_push = push.then(|| OfflinePush {
        enable: 1,
        title: "Shop".into(),
        content: "Your order".into(),
        payload: "{}".into(),
    });
    let to = to.iter().map(|u| (*u).to_owned()).collect();
    let body = SendPeerMessage::text("shop", to, "Your order shipped", offline_push);
    serde_json::to_value(body).expect("serializes")
}

fn send_peer(s: &mut ZimServer, to: &[&str], push: bool, now: Millis) -> (Answer, Vec<ServerOutput>) {
    let r = creds(s).request(Action::SendPeerMessage, "0123456789abcdef", unix(s, now), &[], Some(&text_to(to, push)));
    call(s, r, now)
}

/// alice online, bob offline with a binding (timed out at 30 s).
fn alice_on_bob_off() -> ZimServer {
    let (mut s, _) = bob_timed_out_with_binding();
    s.on_frame(ALICE, ClientFrame::Heartbeat, Millis(30_000));
    drain(&mut s);
    s
}

#[test]
fn a_signed_send_reaches_the_online_user_live_and_pushes_the_offline_one() {
    let mut s = alice_on_bob_off();
    let now = Millis(31_000);
    let (answer, out) = send_peer(&mut s, &["alice", "bob", "zed"], true, now);
    assert_eq!((answer.code, answer.request_id.as_str()), (0, "zimsim-1"));
    assert_eq!(answer.error_list, vec![crate::server_api::ItemError { user_id: "zed".into(), sub_code: 51_102 }]);
    assert!(
        matches!(frames_to(&out, ALICE).as_slice(), [ServerFrame::Deliver { message }] if message.from.as_str() == "shop")
    );
    let pushed = pushes(&out);
    assert_eq!(pushed.len(), 1);
    assert_eq!((pushed[0].user_id.as_str(), pushed[0].push.title.as_str()), ("bob", "Shop"));
    // Stored like any message: bob reads it in his conversation with the shop.
    let conv = ConvKey::peer(&"shop".into(), &"bob".into());
    assert_eq!(s.conversation(&conv).len(), 1);
}

#[test]
fn offline_push_disabled_stores_the_message_without_a_push() {
    let mut s = alice_on_bob_off();
    let (answer, out) = send_peer(&mut s, &["bob"], false, Millis(31_000));
    assert_eq!(answer.code, 0);
    assert_eq!(pushes(&out), vec![]);
    assert_eq!(s.conversation(&ConvKey::peer(&"shop".into(), &"bob".into())).len(), 1);
}

#[test]
fn every_public_parameter_is_checked_with_its_documented_code() {
    let mut s = alice_on_bob_off();
    let now = Millis(31_000);
    let ts = unix(&s, now);
    let good = creds(&s).request(Action::QueryUserOnlineState, "n", ts, &[("UserId[]", "alice")], None);
    let swap = |from: &str, to: &str| HttpRequest { path: good.path.replacen(from, to, 1), ..good.clone() };
    let sig = crate::server_api::signature(s.config().app_id, "n", &s.config().server_secret, ts);
    let cases = [
        (swap("Action=QueryUserOnlineState", "Action="), codes::ACTION_EMPTY),
        (swap("Action=QueryUserOnlineState", "Action=DropAllUsers"), codes::ACTION_UNSUPPORTED),
        (swap("AppId=", "AppId=x"), codes::APP_ID_INVALID),
        (swap("AppId=", "AppId=1"), codes::APP_ID_INVALID),
        (swap("Timestamp=", "Stamp="), codes::TIMESTAMP_EMPTY),
        (swap(&format!("Timestamp={ts}"), "Timestamp=soon"), codes::TIMESTAMP_INVALID),
        (swap("SignatureNonce=n", "SignatureNonce="), codes::NONCE_EMPTY),
        (swap(&format!("Signature={sig}"), "Signature="), codes::SIGNATURE_EMPTY),
        (swap("SignatureVersion=2.0", "SignatureVersion="), codes::SIGNATURE_VERSION_EMPTY),
        (swap("SignatureVersion=2.0", "SignatureVersion=1.0"), codes::SIGNATURE_VERSION_UNSUPPORTED),
        (swap(&format!("Signature={sig}"), &format!("Signature={}", sig.replace('a', "b"))), codes::SIGNATURE_INVALID),
    ];
    for (request, code) in cases {
        let (answer, out) = call(&mut s, request.clone(), now);
        assert_eq!(answer.code, code, "{}: {}", request.path, answer.message);
        assert!(!answer.message.is_empty() && !answer.message.contains('\n'));
        assert_eq!(out, vec![], "a refused call does nothing");
    }
    assert_eq!(call(&mut s, good, now).0.code, 0);
}

#[test]
fn a_timestamp_more_than_ten_minutes_off_either_way_has_expired() {
    let mut s = alice_on_bob_off();
    let now = Millis(31_000);
    for (skew, code) in [(600, 0), (-600, 0), (601, codes::SIGNATURE_EXPIRED), (-601, codes::SIGNATURE_EXPIRED)] {
        let ts = unix(&s, now) + skew;
        let r = creds(&s).request(Action::QueryUserOnlineState, "n", ts, &[("UserId[]", "alice")], None);
        assert_eq!(call(&mut s, r, now).0.code, code, "skew {skew}");
    }
}

#[test]
fn a_forged_secret_is_refused() {
    let mut s = alice_on_bob_off();
    let forger = Credentials { app_id: s.config().app_id, server_secret: "not-the-secret".into() };
    let r = forger.request(Action::SendPeerMessage, "n", unix(&s, Millis(31_000)), &[], Some(&text_to(&["bob"], true)));
    let (answer, out) = call(&mut s, r, Millis(31_000));
    assert_eq!(answer.code, codes::SIGNATURE_INVALID);
    assert_eq!(out, vec![], "nothing stored, nothing pushed");
}

#[test]
fn online_state_lists_who_is_online_and_who_does_not_exist() {
    let mut s = alice_on_bob_off();
    let now = Millis(31_000);
    let users = [("UserId[]", "alice"), ("UserId[]", "bob"), ("UserId[]", "zed")];
    let r = creds(&s).request(Action::QueryUserOnlineState, "n", unix(&s, now), &users, None);
    let answer = call(&mut s, r, now).0;
    let states: Vec<(String, String)> =
        answer.result.unwrap_or_default().into_iter().map(|o| (o.user_id, o.status)).collect();
    assert_eq!(states, [("alice".into(), "Online".into()), ("bob".into(), "Offline".into())]);
    assert_eq!(answer.error_list.len(), 1);
    assert_eq!((answer.error_list[0].user_id.as_str(), answer.error_list[0].sub_code), ("zed", 51_102));
}

#[test]
fn more_than_a_hundred_users_in_one_call_is_refused() {
    let mut s = alice_on_bob_off();
    let now = Millis(31_000);
    let names: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    let many: Vec<(&str, &str)> = names.iter().map(|n| ("UserId[]", n.as_str())).collect();
    let r = creds(&s).request(Action::QueryUserOnlineState, "n", unix(&s, now), &many, None);
    assert_eq!(call(&mut s, r, now).0.code, codes::TOO_MANY_USERS);
    let r = creds(&s).request(Action::QueryUserOnlineState, "n", unix(&s, now), &many[..100], None);
    assert_eq!(call(&mut s, r, now).0.code, 0, "a hundred is the limit, not past it");
    let to: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(send_peer(&mut s, &to, true, now).0.code, codes::BAD_PARAMETER);
}

#[test]
fn each_action_is_held_to_its_calls_per_second() {
    let mut s = alice_on_bob_off();
    let t = |ms: u64| Millis(31_000 + ms);
    for i in 0..20 {
        assert_eq!(send_peer(&mut s, &["alice"], false, t(i)).0.code, 0, "call {i}");
    }
    let (answer, out) = send_peer(&mut s, &["alice"], false, t(20));
    assert_eq!(answer.code, codes::QPS_EXCEEDED);
    assert_eq!(frames_to(&out, ALICE), vec![], "a refused call sends nothing");
    // Another action has its own budget; a second later the send's is back.
    let r = creds(&s).request(Action::QueryUserOnlineState, "n", unix(&s, t(20)), &[("UserId[]", "bob")], None);
    assert_eq!(call(&mut s, r, t(20)).0.code, 0);
    assert_eq!(send_peer(&mut s, &["alice"], false, t(1_000)).0.code, 0);
}

#[test]
fn a_malformed_body_a_wrong_method_or_a_bad_message_is_a_bad_parameter() {
    let mut s = alice_on_bob_off();
    let now = Millis(31_000);
    let ts = unix(&s, now);
    let c = creds(&s);
    let mut garbage = c.request(Action::SendPeerMessage, "n", ts, &[], Some(&json!({"FromUserId": 7})));
    assert_eq!(call(&mut s, garbage.clone(), now).0.code, codes::BAD_PARAMETER);
    garbage.method = "GET".into();
    assert_eq!(call(&mut s, garbage, now).0.code, codes::BAD_PARAMETER);
    for (field, value) in [("MessageType", json!(99)), ("Priority", json!(4)), ("FromUserId", json!("bad id!"))] {
        let mut body = text_to(&["bob"], true);
        body[field] = value;
        let r = c.request(Action::SendPeerMessage, "n", ts, &[], Some(&body));
        let (answer, out) = call(&mut s, r, now);
        assert_eq!(answer.code, codes::BAD_PARAMETER, "{field}: {}", answer.message);
        assert_eq!(out, vec![]);
    }
    let mut body = text_to(&["bob"], true);
    body["MessageBody"]["Message"] = json!("x".repeat(2049));
    let r = c.request(Action::SendPeerMessage, "n", ts, &[], Some(&body));
    assert_eq!(call(&mut s, r, now).0.code, codes::BAD_PARAMETER, "over the 2 KB text limit");
}

#[test]
fn a_group_send_reaches_the_members_and_needs_a_member_as_sender() {
    let mut s = alice_on_bob_off();
    let create = ClientFrame::CreateGroup {
        req: 5,
        group_id: Some("team".into()),
        name: "T".into(),
        members: vec!["bob".into()],
    };
    s.on_frame(ALICE, create, Millis(30_500));
    drain(&mut s);
    let now = Millis(31_000);
    let group = |from: &str| {
        let body = SendGroupMessage {
            from_user_id: from.into(),
            group_id: "team".into(),
            message_type: 1,
            priority: 2,
            message_body: ApiBody {
                message: "standup".into(),
                extended_data: String::new(),
                offline_push: Some(OfflinePush { enable: 1, ..OfflinePush::default() }),
            },
            sub_msg_type: 0,
            searched_content: String::new(),
        };
        serde_json::to_value(body).expect("serializes")
    };
    let r = creds(&s).request(Action::SendGroupMessage, "n", unix(&s, now), &[], Some(&group("alice")));
    let (answer, out) = call(&mut s, r, now);
    assert_eq!(answer.code, 0, "{}", answer.message);
    assert_eq!(pushes(&out).iter().map(|p| p.user_id.as_str()).collect::<Vec<_>>(), ["bob"], "never the sender");
    let r = creds(&s).request(Action::SendGroupMessage, "n", unix(&s, now), &[], Some(&group("carol")));
    let (answer, out) = call(&mut s, r, now);
    assert_eq!(answer.code, ZimErrorCode::NotInGroup.code(), "{}", answer.message);
    assert_eq!(out, vec![]);
}

#[test]
fn the_same_call_through_step_is_answered_once() {
    let mut s = alice_on_bob_off();
    let now = Millis(31_000);
    let r = creds(&s).request(Action::QueryUserOnlineState, "n", unix(&s, now), &[("UserId[]", "alice")], None);
    let out = step(&mut s, now, ServerInput::Api(ApiRequest { id: 1, request: r }));
    assert_eq!(out.iter().filter(|o| matches!(o, ServerOutput::Respond(_))).count(), 1);
}

#[test]
fn a_call_refused_for_its_content_sends_nobody_anything_and_oneself_is_listed_not_sent() {
    let mut s = alice_on_bob_off();
    let now = Millis(31_000);
    let mut body = text_to(&["alice", "bob"], true);
    body["MessageBody"]["Message"] = json!("x".repeat(2049));
    let r = creds(&s).request(Action::SendPeerMessage, "n", unix(&s, now), &[], Some(&body));
    let (answer, out) = call(&mut s, r, now);
    assert_eq!(answer.code, codes::BAD_PARAMETER);
    assert_eq!(out, vec![], "not alice first and then a refusal");
    // The shop writing to itself among others: the others are served, the shop is listed.
    let (answer, out) = send_peer(&mut s, &["shop", "alice"], false, now);
    assert_eq!(answer.code, 0);
    let listed: Vec<(&str, u32)> = answer.error_list.iter().map(|e| (e.user_id.as_str(), e.sub_code)).collect();
    assert_eq!(listed, [("shop", 6_000_001)]);
    assert!(matches!(frames_to(&out, ALICE).as_slice(), [ServerFrame::Deliver { .. }]));
}
