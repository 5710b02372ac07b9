//! Offline push: who is pushed, when, and when not.

use super::*;
use crate::core::step;
use crate::wire::DeadToken;

#[test]
fn an_offline_recipient_with_a_binding_gets_a_push_request() {
    let (mut s, p) = bob_timed_out_with_binding();
    send(&mut s, ALICE, 5, "bob", "hello", Some(push_config()), Millis(31_000));
    let out = drain(&mut s);
    assert_eq!(frames_to(&out, BOB), vec![], "no online delivery to an offline user");
    assert_eq!(
        pushes(&out),
        vec![PushRequest {
            push_id: p,
            user_id: "bob".into(),
            message_id: MessageId(1),
            conv: std::sync::Arc::new(ab()),
            from: std::sync::Arc::new("alice".into()),
            push: std::sync::Arc::new(PushConfig::new("Alice", "hello", "{\"k\":1}")),
            badge: None,
        }]
    );
    assert!(matches!(out.last(), Some(ServerOutput::Handover { .. })), "the push follows SendOk: {out:?}");
}

#[test]
fn an_offline_recipient_gets_no_push_when_the_message_has_no_push_config() {
    let (mut s, _) = bob_timed_out_with_binding();
    send(&mut s, ALICE, 5, "bob", "hello", None, Millis(31_000));
    let out = drain(&mut s);
    assert_eq!(pushes(&out), vec![]);
    assert!(out.contains(&event(ServerEvent::MessageAccepted {
        id: MessageId(1),
        conv: ab(),
        seq: 1,
        from: "alice".into(),
        to: vec!["bob".into()],
        push: false,
        stored: true,
        badge_increment: None,
    })));
    assert_eq!(s.conversation(&ab()).len(), 1, "the message is still stored for sync");
}

#[test]
fn an_offline_recipient_without_a_binding_gets_no_push() {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, BOB, "bob", "bob-phone", None, Millis(0));
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(20_000));
    s.tick(Millis(30_000));
    drain(&mut s);
    send(&mut s, ALICE, 5, "bob", "hello", Some(push_config()), Millis(31_000));
    assert_eq!(pushes(&drain(&mut s)), vec![]);
}

#[test]
fn a_message_delivered_before_the_connection_closed_and_never_acked_is_pushed_at_timeout() {
    let mut s = ZimServer::new(ServerConfig::default());
    let p = apns_id("bob-token");
    login(&mut s, BOB, "bob", "bob-phone", Some(p.clone()), Millis(0));
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(10_000));
    send(&mut s, ALICE, 2, "bob", "are you there", Some(push_config()), Millis(10_000));
    let out = drain(&mut s);
    let m = sent_message(&out, ALICE);
    assert_eq!(frames_to(&out, BOB), vec![ServerFrame::Deliver { message: m.clone() }]);
    assert_eq!(pushes(&out), vec![], "online: no push yet");

    s.on_disconnect(BOB, Millis(11_000));
    assert!(s.is_online(&"bob".into()), "a closed connection only detaches the session");
    s.tick(Millis(29_999));
    assert_eq!(drain(&mut s), vec![]);

    s.tick(Millis(30_000));
    let out = drain(&mut s);
    assert_eq!(
        out,
        vec![
            event(ServerEvent::SessionEnded {
                user: "bob".into(),
                device: "bob-phone".into(),
                reason: SessionEnd::Timeout
            }),
            event(ServerEvent::PushRouted {
                id: m.id,
                user: "bob".into(),
                push_id: p.clone(),
                badge: None,
                resources_id: String::new(),
            }),
            ServerOutput::Handover {
                id: 1,
                request: PushBatch {
                    pushes: vec![PushRequest {
                        push_id: p,
                        user_id: "bob".into(),
                        message_id: m.id,
                        conv: std::sync::Arc::new(ab()),
                        from: std::sync::Arc::new("alice".into()),
                        push: std::sync::Arc::new(PushConfig::new("Alice", "hello", "{\"k\":1}")),
                        badge: None,
                    }]
                }
                .to_http()
            },
        ],
        "detached: no Close, just the push"
    );
}

#[test]
fn a_message_sent_while_the_recipient_is_detached_is_pushed_at_timeout() {
    let mut s = ZimServer::new(ServerConfig::default());
    let p = apns_id("bob-token");
    login(&mut s, BOB, "bob", "bob-phone", Some(p.clone()), Millis(0));
    s.on_disconnect(BOB, Millis(1_000));
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(10_000));
    send(&mut s, ALICE, 2, "bob", "hi", Some(push_config()), Millis(10_000));
    let out = drain(&mut s);
    assert_eq!(frames_to(&out, BOB), vec![], "nowhere to deliver while detached");
    assert_eq!(pushes(&out), vec![], "still online until the timeout");
    s.tick(Millis(30_000));
    let pushed = pushes(&drain(&mut s));
    assert_eq!(pushed.len(), 1);
    assert_eq!((pushed[0].push_id.clone(), pushed[0].message_id), (p, MessageId(1)));
}

#[test]
fn an_acked_message_is_not_pushed_when_the_session_times_out() {
    let mut s = ZimServer::new(ServerConfig::default());
    login(&mut s, BOB, "bob", "bob-phone", Some(apns_id("bob-token")), Millis(0));
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(10_000));
    send(&mut s, ALICE, 2, "bob", "hi", Some(push_config()), Millis(10_000));
    let m = sent_message(&drain(&mut s), ALICE);
    s.on_frame(BOB, ClientFrame::Ack { id: m.id }, Millis(10_001));
    assert_eq!(drain(&mut s), vec![], "an ack has no reply");
    s.on_disconnect(BOB, Millis(11_000));
    s.on_frame(ALICE, ClientFrame::Heartbeat, Millis(40_000));
    assert_eq!(drain(&mut s), vec![frame(ALICE, ServerFrame::Pong)]);
    // Bob's last frame (the ack) was at 10_001.
    s.tick(Millis(40_001));
    assert_eq!(
        drain(&mut s),
        vec![event(ServerEvent::SessionEnded {
            user: "bob".into(),
            device: "bob-phone".into(),
            reason: SessionEnd::Timeout
        })]
    );
}

#[test]
fn messages_served_by_sync_are_no_longer_due_for_push() {
    let (mut s, _) = bob_timed_out_with_binding();
    login(&mut s, ConnId(5), "bob", "bob-phone", None, Millis(100_000));
    send(&mut s, ALICE, 20, "bob", "hi", Some(push_config()), Millis(100_001));
    s.on_frame(ConnId(5), ClientFrame::Sync { req: 7, cursors: vec![], limit: 50 }, Millis(100_002));
    s.on_disconnect(ConnId(5), Millis(100_003));
    s.tick(Millis(200_000));
    assert_eq!(pushes(&drain(&mut s)), vec![]);
}

#[test]
fn a_dead_token_report_unbinds_the_push_id_once_and_a_resent_report_changes_nothing() {
    let (mut s, push_id) = bob_timed_out_with_binding();
    let report = DeadToken { push_id: push_id.clone(), reason: "Unregistered".into() };
    let out = step(&mut s, Millis(50_000), ServerInput::Api(ApiRequest { id: 1, request: report.to_http() }));
    assert!(out.contains(&event(ServerEvent::Unbound {
        user: "bob".into(),
        push_id: push_id.clone(),
        reason: UnbindReason::DeadToken
    })));
    assert!(out.iter().any(|o| matches!(o, ServerOutput::Respond(r) if r.id == 1 && r.response.status == 204)));
    let again = step(&mut s, Millis(50_001), ServerInput::Api(ApiRequest { id: 2, request: report.to_http() }));
    assert!(!again.iter().any(|o| matches!(o, ServerOutput::Event(ServerEvent::Unbound { .. }))), "{again:?}");
    assert_eq!(s.binding(&push_id), None);
    // alice's next message to the offline bob is not pushed: his only PushID is dead.
    send(&mut s, ALICE, 9, "bob", "still there?", Some(push_config()), Millis(50_002));
    assert_eq!(pushes(&drain(&mut s)), vec![]);
}

#[test]
fn a_malformed_dead_token_report_gets_400_and_unbinds_nothing() {
    let (mut s, _) = bob_timed_out_with_binding();
    let bad = HttpRequest::post(DeadToken::PATH, b"{}".to_vec());
    let out = step(&mut s, Millis(50_000), ServerInput::Api(ApiRequest { id: 3, request: bad }));
    assert!(out.iter().any(|o| matches!(o, ServerOutput::Respond(r) if r.id == 3 && r.response.status == 400)));
    assert!(!out.iter().any(|o| matches!(o, ServerOutput::Event(ServerEvent::Unbound { .. }))));
}

/// bob logs in with an alert PushID, binds his VoIP PushID on the same session, and his
/// session times out; alice is online.
fn bob_timed_out_with_voip() -> (ZimServer, PushId, PushId) {
    let mut s = ZimServer::new(ServerConfig::default());
    let (alert, voip) = (apns_id("bob-token"), PushId::voip(Environment::Production, "bob-voip"));
    login(&mut s, BOB, "bob", "bob-phone", Some(alert.clone()), Millis(0));
    s.on_frame(BOB, ClientFrame::BindPush { req: 2, push_id: voip.clone() }, Millis(0));
    let out = drain(&mut s);
    assert!(out.contains(&event(ServerEvent::Bound { user: "bob".into(), push_id: voip.clone() })), "{out:?}");
    assert!(!out.iter().any(|o| matches!(o, ServerOutput::Event(ServerEvent::Unbound { .. }))), "both kinds stay");
    login(&mut s, ALICE, "alice", "alice-phone", None, Millis(20_000));
    s.tick(Millis(30_000));
    drain(&mut s);
    (s, alert, voip)
}

fn call_config() -> PushConfig {
    let voip = crate::wire::VoipConfig { handle_type: 1, handle_value: "alice".into(), has_video: false };
    PushConfig { voip: Some(voip), ..push_config() }
}

#[test]
fn a_push_with_a_voip_config_goes_to_the_installs_voip_push_id_and_any_other_to_its_alert_push_id() {
    let (mut s, alert, voip) = bob_timed_out_with_voip();
    send(&mut s, ALICE, 5, "bob", "ring ring", Some(call_config()), Millis(31_000));
    let to: Vec<PushId> = pushes(&drain(&mut s)).into_iter().map(|p| p.push_id).collect();
    assert_eq!(to, vec![voip]);
    send(&mut s, ALICE, 6, "bob", "hello", Some(push_config()), Millis(32_000));
    let to: Vec<PushId> = pushes(&drain(&mut s)).into_iter().map(|p| p.push_id).collect();
    assert_eq!(to, vec![alert]);
}

#[test]
fn a_voip_push_falls_back_to_the_alert_push_id_once_the_voip_token_is_dead_and_only_it_is_unbound() {
    let (mut s, alert, voip) = bob_timed_out_with_voip();
    let report = DeadToken { push_id: voip.clone(), reason: "Unregistered".into() };
    step(&mut s, Millis(31_000), ServerInput::Api(crate::core::ApiRequest { id: 1, request: report.to_http() }));
    assert_eq!(s.binding(&voip), None);
    assert_eq!(s.binding(&alert), Some(&"bob".into()));
    send(&mut s, ALICE, 5, "bob", "ring ring", Some(call_config()), Millis(32_000));
    let to: Vec<PushId> = pushes(&drain(&mut s)).into_iter().map(|p| p.push_id).collect();
    assert_eq!(to, vec![alert], "no VoIP token: the call goes out as an alert");
}

#[test]
fn a_logout_unbinds_both_the_alert_and_the_voip_push_id() {
    let mut s = ZimServer::new(ServerConfig::default());
    let (alert, voip) = (apns_id("bob-token"), PushId::voip(Environment::Production, "bob-voip"));
    login(&mut s, BOB, "bob", "bob-phone", Some(alert.clone()), Millis(0));
    s.on_frame(BOB, ClientFrame::BindPush { req: 2, push_id: voip.clone() }, Millis(0));
    s.on_frame(BOB, ClientFrame::Logout { req: 3 }, Millis(1_000));
    drain(&mut s);
    assert_eq!((s.binding(&alert), s.binding(&voip)), (None, None));
}
