//! Unit tests of the fake APNs.

use super::*;
use crate::core::Core;
use crate::ids::ConnId;
use crate::push_services::{drain, token_in, token_refusals};
use crate::push_services::{DeviceToVendor, Drive, DropReason, VendorInput, VendorOutput, VendorToDevice};
use serde_json::json;

const TOPIC: &str = "im.zego.zimsim.demo";
const ID: &str = "5e1f9b2c-0000-4000-8000-00000000002a";
const CHANNEL: ConnId = ConnId(1);

fn hello(a: &mut Apns, channel: ConnId, device: &str) {
    a.on_channel_open(channel);
    a.on_channel_frame(channel, DeviceToVendor::Hello { device: device.into() });
}

fn ask_token(a: &mut Apns, channel: ConnId, req: u64, app: &str) -> Vec<VendorOutput> {
    a.on_channel_frame(channel, DeviceToVendor::RequestToken { req, app: app.into(), project: None });
    drain(a)
}

fn ask_voip_token(a: &mut Apns, channel: ConnId, req: u64, app: &str) -> Vec<VendorOutput> {
    a.on_channel_frame(channel, DeviceToVendor::RequestVoipToken { req, app: app.into() });
    drain(a)
}

/// `req` made a VoIP push: push type `voip` on the `.voip` topic.
fn voip(req: HttpRequest) -> HttpRequest {
    with(with(req, "apns-push-type", "voip"), "apns-topic", &format!("{TOPIC}.voip"))
}

/// A sandbox APNs with device "phone" connected on `CHANNEL` and holding a token for `TOPIC`.
fn sandbox_with_device() -> (Apns, String) {
    let mut a = Apns::unchecked(Environment::Development, 1);
    hello(&mut a, CHANNEL, "phone");
    let token = token_in(&ask_token(&mut a, CHANNEL, 1, TOPIC));
    (a, token)
}

const BODY: &str = r#"{"aps":{"alert":{"title":"Alice","body":"hi"}},"payload":"p"}"#;

/// A request that passes every check.
fn request(token: &str) -> HttpRequest {
    HttpRequest::post(format!("/3/device/{token}"), BODY.as_bytes().to_vec())
        .header("authorization", "bearer provider-jwt")
        .header("apns-push-type", "alert")
        .header("apns-topic", TOPIC)
        .header("apns-priority", "10")
        .header("apns-expiration", "1767312005")
        .header("apns-id", ID)
        .header("apns-collapse-id", "m1")
        .header("content-type", "application/json")
}

fn with(mut req: HttpRequest, name: &str, value: &str) -> HttpRequest {
    req.headers.retain(|(n, _)| n != name);
    req.header(name, value)
}

fn without(mut req: HttpRequest, name: &str) -> HttpRequest {
    req.headers.retain(|(n, _)| n != name);
    req
}

/// A JSON body of exactly `len` bytes.
fn body_of_len(len: usize) -> Vec<u8> {
    let overhead = r#"{"aps":{"alert":""}}"#.len();
    let body = format!(r#"{{"aps":{{"alert":"{}"}}}}"#, "x".repeat(len - overhead));
    assert_eq!(body.len(), len);
    body.into_bytes()
}

/// Sends `req` and checks the response, and that the only output is the `Request` event
/// with the same verdict (nothing was delivered).
fn assert_rejected(a: &mut Apns, req: &HttpRequest, status: u16, reason: &str) {
    let resp = a.call(req, Millis(0));
    assert_eq!((resp.status, resp.body_json()), (status, json!({ "reason": reason })));
    assert_eq!(resp.get("content-type"), Some("application/json"));
    let out = drain(a);
    match out.as_slice() {
        [VendorOutput::Event(VendorEvent::Request { env, status: s, reason: Some(r), .. })] => {
            assert_eq!((*env, *s, r.as_str()), (Some(a.env()), status, reason));
        }
        other => panic!("expected only the Request event, got {other:?}"),
    }
}

#[test]
fn a_device_gets_a_64_hex_character_token_over_its_channel() {
    let mut a = Apns::unchecked(Environment::Production, 1);
    hello(&mut a, CHANNEL, "phone");
    assert_eq!(drain(&mut a), vec![], "hello with nothing stored is silent");
    let out = ask_token(&mut a, CHANNEL, 7, TOPIC);
    let token = token_in(&out);
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{token}");
    assert_eq!(
        out,
        vec![
            VendorOutput::Event(VendorEvent::TokenIssued {
                device: "phone".into(),
                app: TOPIC.into(),
                token: token.clone(),
                env: Environment::Production,
                kind: TokenKind::Alert,
            }),
            VendorOutput::ToDevice { channel: CHANNEL, frame: VendorToDevice::Token { req: 7, token } },
        ]
    );
}

#[test]
fn the_same_install_asking_again_gets_the_same_token_without_a_new_issue() {
    let (mut a, token) = sandbox_with_device();
    assert_eq!(
        ask_token(&mut a, CHANNEL, 2, TOPIC),
        vec![VendorOutput::ToDevice {
            channel: CHANNEL,
            frame: VendorToDevice::Token { req: 2, token: token.clone() }
        }]
    );
    // On a new channel (reboot) too.
    a.on_channel_close(CHANNEL);
    hello(&mut a, ConnId(2), "phone");
    assert_eq!(token_in(&ask_token(&mut a, ConnId(2), 3, TOPIC)), token);
    // Another app on the same device, or the same app on another device, gets its own.
    let other_app = token_in(&ask_token(&mut a, ConnId(2), 4, "com.example.other"));
    hello(&mut a, ConnId(3), "tablet");
    let other_device = token_in(&ask_token(&mut a, ConnId(3), 5, TOPIC));
    assert_ne!(other_app, token);
    assert_ne!(other_device, token);
    assert_ne!(other_app, other_device);
}

#[test]
fn a_token_request_before_hello_is_refused() {
    let mut a = Apns::unchecked(Environment::Development, 1);
    a.on_channel_open(CHANNEL);
    let out = ask_token(&mut a, CHANNEL, 1, TOPIC);
    assert!(
        matches!(
            &out[..],
            [VendorOutput::ToDevice { channel: CHANNEL, frame: VendorToDevice::TokenError { req: 1, .. } }]
        ),
        "{out:?}"
    );
}

#[test]
fn token_issuing_is_deterministic_for_a_seed() {
    let issue = |seed| {
        let mut a = Apns::unchecked(Environment::Development, seed);
        hello(&mut a, CHANNEL, "phone");
        token_in(&ask_token(&mut a, CHANNEL, 1, TOPIC))
    };
    assert_eq!(issue(3), issue(3));
    assert_ne!(issue(3), issue(4));
}

#[test]
fn a_valid_request_delivers_a_notification_to_the_connected_device() {
    let (mut a, token) = sandbox_with_device();
    let resp = a.call(&request(&token), Millis(0));
    assert_eq!((resp.status, resp.get("apns-id"), resp.body.is_empty()), (200, Some(ID), true));
    assert_eq!(
        drain(&mut a),
        vec![
            VendorOutput::Event(VendorEvent::Notified { device: "phone".into(), id: ID.into(), stored: false }),
            VendorOutput::ToDevice {
                channel: CHANNEL,
                frame: VendorToDevice::Notification(DeviceNotification {
                    id: ID.into(),
                    app: TOPIC.into(),
                    payload: serde_json::from_str(BODY).expect("json"),
                    delivery: 1,
                    replace_key: Some("m1".into()),
                }),
            },
            VendorOutput::Event(VendorEvent::Request {
                env: Some(Environment::Development),
                token: Some(token),
                status: 200,
                reason: None,
                token_refused: false,
            }),
        ]
    );
}

#[test]
fn a_request_without_apns_id_gets_a_generated_canonical_one() {
    let (mut a, token) = sandbox_with_device();
    let req = without(request(&token), "apns-id");
    let first = a.call(&req, Millis(0)).get("apns-id").map(str::to_owned).expect("apns-id");
    let second = a.call(&req, Millis(0)).get("apns-id").map(str::to_owned).expect("apns-id");
    assert!(is_canonical_uuid(&first), "{first}");
    assert_ne!(first, second);
}

#[test]
fn a_request_that_is_not_a_post_gets_405_method_not_allowed() {
    let (mut a, token) = sandbox_with_device();
    let req = HttpRequest { method: "GET".into(), ..request(&token) };
    assert_rejected(&mut a, &req, 405, "MethodNotAllowed");
}

#[test]
fn a_request_outside_3_device_gets_404_bad_path() {
    let (mut a, token) = sandbox_with_device();
    let req = HttpRequest { path: format!("/2/device/{token}"), ..request(&token) };
    assert_rejected(&mut a, &req, 404, "BadPath");
}

#[test]
fn a_request_without_a_token_in_the_path_gets_400_missing_device_token() {
    let (mut a, token) = sandbox_with_device();
    let req = HttpRequest { path: "/3/device/".into(), ..request(&token) };
    assert_rejected(&mut a, &req, 400, "MissingDeviceToken");
}

#[test]
fn a_request_without_a_bearer_gets_403_missing_provider_token() {
    let (mut a, token) = sandbox_with_device();
    assert_rejected(&mut a, &without(request(&token), "authorization"), 403, "MissingProviderToken");
    assert_rejected(&mut a, &with(request(&token), "authorization", "bearer "), 403, "MissingProviderToken");
    assert_rejected(&mut a, &with(request(&token), "authorization", "Basic abc"), 403, "MissingProviderToken");
    // The scheme is case-insensitive.
    assert_eq!(a.call(&with(request(&token), "authorization", "Bearer jwt"), Millis(0)).status, 200);
}

#[test]
fn a_repeated_header_gets_400_duplicate_headers() {
    let (mut a, token) = sandbox_with_device();
    assert_rejected(&mut a, &request(&token).header("apns-topic", TOPIC), 400, "DuplicateHeaders");
}

#[test]
fn an_unknown_push_type_gets_400_invalid_push_type() {
    let (mut a, token) = sandbox_with_device();
    assert_rejected(&mut a, &with(request(&token), "apns-push-type", "banner"), 400, "InvalidPushType");
}

#[test]
fn a_request_without_a_topic_gets_400_missing_topic() {
    let (mut a, token) = sandbox_with_device();
    assert_rejected(&mut a, &without(request(&token), "apns-topic"), 400, "MissingTopic");
}

#[test]
fn a_priority_other_than_10_5_or_1_gets_400_bad_priority() {
    let (mut a, token) = sandbox_with_device();
    assert_rejected(&mut a, &with(request(&token), "apns-priority", "7"), 400, "BadPriority");
    // Background pushes must not use priority 10.
    let background = with(request(&token), "apns-push-type", "background");
    assert_rejected(&mut a, &background, 400, "BadPriority");
    assert_eq!(a.call(&with(background, "apns-priority", "5"), Millis(0)).status, 200);
}

#[test]
fn a_non_numeric_expiration_gets_400_bad_expiration_date() {
    let (mut a, token) = sandbox_with_device();
    assert_rejected(&mut a, &with(request(&token), "apns-expiration", "tomorrow"), 400, "BadExpirationDate");
}

#[test]
fn a_non_canonical_apns_id_gets_400_bad_message_id() {
    let (mut a, token) = sandbox_with_device();
    let upper = ID.to_ascii_uppercase();
    assert_rejected(&mut a, &with(request(&token), "apns-id", &upper), 400, "BadMessageId");
    assert_rejected(&mut a, &with(request(&token), "apns-id", "not-a-uuid"), 400, "BadMessageId");
}

#[test]
fn a_collapse_id_over_64_bytes_gets_400_bad_collapse_id() {
    let (mut a, token) = sandbox_with_device();
    assert_rejected(&mut a, &with(request(&token), "apns-collapse-id", &"c".repeat(65)), 400, "BadCollapseId");
    assert_eq!(a.call(&with(request(&token), "apns-collapse-id", &"c".repeat(64)), Millis(0)).status, 200);
}

#[test]
fn an_empty_body_gets_400_payload_empty() {
    let (mut a, token) = sandbox_with_device();
    assert_rejected(&mut a, &HttpRequest { body: vec![], ..request(&token) }, 400, "PayloadEmpty");
}

#[test]
fn an_alert_body_over_4096_bytes_gets_413_payload_too_large() {
    let (mut a, token) = sandbox_with_device();
    assert_rejected(&mut a, &HttpRequest { body: body_of_len(4097), ..request(&token) }, 413, "PayloadTooLarge");
    assert_eq!(a.call(&HttpRequest { body: body_of_len(4096), ..request(&token) }, Millis(0)).status, 200);
}

#[test]
fn a_voip_body_may_reach_5120_bytes_but_not_more() {
    let (mut a, _) = sandbox_with_device();
    let token = token_in(&ask_voip_token(&mut a, CHANNEL, 2, TOPIC));
    let voip = voip(request(&token));
    assert_eq!(a.call(&HttpRequest { body: body_of_len(5120), ..voip.clone() }, Millis(0)).status, 200);
    drain(&mut a);
    assert_rejected(&mut a, &HttpRequest { body: body_of_len(5121), ..voip }, 413, "PayloadTooLarge");
}

#[test]
fn a_body_that_is_not_an_object_with_aps_gets_400_bad_payload() {
    let (mut a, token) = sandbox_with_device();
    assert_rejected(&mut a, &HttpRequest { body: b"[1]".to_vec(), ..request(&token) }, 400, "BadPayload");
    assert_rejected(&mut a, &HttpRequest { body: br#"{"alert":"x"}"#.to_vec(), ..request(&token) }, 400, "BadPayload");
}

#[test]
fn a_token_issued_by_the_other_environment_gets_400_bad_device_token() {
    // Each environment runs with its own seed, as the world derives them.
    let mut production = Apns::unchecked(Environment::Production, 2);
    hello(&mut production, CHANNEL, "phone");
    let production_token = token_in(&ask_token(&mut production, CHANNEL, 1, TOPIC));
    let (mut sandbox, sandbox_token) = sandbox_with_device();
    assert_ne!(production_token, sandbox_token);
    assert_rejected(&mut sandbox, &request(&production_token), 400, "BadDeviceToken");
    assert_rejected(&mut production, &request(&sandbox_token), 400, "BadDeviceToken");
    assert_rejected(&mut sandbox, &request("zzzz"), 400, "BadDeviceToken");
}

#[test]
fn a_token_issued_for_another_app_gets_400_device_token_not_for_topic() {
    let (mut a, _) = sandbox_with_device();
    let other = token_in(&ask_token(&mut a, CHANNEL, 2, "com.example.other"));
    assert_rejected(&mut a, &request(&other), 400, "DeviceTokenNotForTopic");
}

#[test]
fn an_app_gets_a_voip_token_apart_from_its_alert_token_and_the_same_one_when_it_asks_again() {
    let (mut a, alert) = sandbox_with_device();
    let out = ask_voip_token(&mut a, CHANNEL, 2, TOPIC);
    let voip = token_in(&out);
    assert_ne!(voip, alert);
    assert_eq!(voip.len(), 64, "a VoIP token has the alert token's form");
    assert_eq!(
        out[0],
        VendorOutput::Event(VendorEvent::TokenIssued {
            device: "phone".into(),
            app: TOPIC.into(),
            token: voip.clone(),
            env: Environment::Development,
            kind: TokenKind::Voip,
        })
    );
    assert_eq!(a.directory().token(&voip).map(|t| t.kind), Some(TokenKind::Voip));
    assert_eq!(token_in(&ask_voip_token(&mut a, CHANNEL, 3, TOPIC)), voip);
    assert_eq!(token_in(&ask_token(&mut a, CHANNEL, 4, TOPIC)), alert, "the alert token is untouched");
}

#[test]
fn a_voip_push_to_the_voip_token_on_the_voip_topic_is_delivered() {
    let (mut a, _) = sandbox_with_device();
    let token = token_in(&ask_voip_token(&mut a, CHANNEL, 2, TOPIC));
    let resp = a.call(&voip(request(&token)), Millis(0));
    assert_eq!(resp.status, 200, "{resp:?}");
    let delivered = drain(&mut a)
        .into_iter()
        .any(|o| matches!(o, VendorOutput::ToDevice { frame: VendorToDevice::Notification(n), .. } if n.app == TOPIC));
    assert!(delivered, "the phone gets the VoIP push");
}

#[test]
fn a_voip_push_to_the_alert_token_gets_400_device_token_not_for_topic() {
    let (mut a, alert) = sandbox_with_device();
    assert_rejected(&mut a, &voip(request(&alert)), 400, "DeviceTokenNotForTopic");
}

#[test]
fn an_alert_push_to_the_voip_token_gets_400_device_token_not_for_topic() {
    let (mut a, _) = sandbox_with_device();
    let token = token_in(&ask_voip_token(&mut a, CHANNEL, 2, TOPIC));
    assert_rejected(&mut a, &request(&token), 400, "DeviceTokenNotForTopic");
}

#[test]
fn a_voip_token_of_another_app_gets_400_device_token_not_for_topic() {
    let (mut a, _) = sandbox_with_device();
    let other = token_in(&ask_voip_token(&mut a, CHANNEL, 2, "com.example.other"));
    assert_rejected(&mut a, &voip(request(&other)), 400, "DeviceTokenNotForTopic");
}

#[test]
fn a_push_type_and_topic_that_disagree_about_voip_get_400_bad_topic_whatever_the_token() {
    let (mut a, alert) = sandbox_with_device();
    let token = token_in(&ask_voip_token(&mut a, CHANNEL, 2, TOPIC));
    for t in [&alert, &token] {
        // `voip` on the bare bundle ID, and `alert` on the `.voip` topic.
        assert_rejected(&mut a, &with(request(t), "apns-push-type", "voip"), 400, "BadTopic");
        assert_rejected(&mut a, &with(request(t), "apns-topic", &format!("{TOPIC}.voip")), 400, "BadTopic");
    }
    assert_eq!(
        super::contract::verdict(&HttpResponse::json(400, &json!({"reason": "BadTopic"}))),
        crate::push_services::Verdict::Failed { reason: "BadTopic".into() },
        "a topic error is the request's fault: the binding stays"
    );
}

#[test]
fn uninstalling_revokes_the_voip_token_too_and_a_voip_push_to_it_gets_410_unregistered() {
    let (mut a, alert) = sandbox_with_device();
    let token = token_in(&ask_voip_token(&mut a, CHANNEL, 2, TOPIC));
    a.handle(
        Millis(5_000),
        VendorInput::ChannelFrame {
            channel: CHANNEL,
            frame: DeviceToVendor::Revoke { app: TOPIC.into(), project: None },
        },
    );
    let revoked: Vec<String> = drain(&mut a)
        .into_iter()
        .filter_map(|o| match o {
            VendorOutput::Event(VendorEvent::TokenRevoked { token, .. }) => Some(token),
            _ => None,
        })
        .collect();
    assert_eq!(revoked, vec![alert, token.clone()], "the alert token first, then the VoIP token");
    let resp = a.call(&voip(request(&token)), Millis(6_000));
    assert_eq!(resp.status, 410);
    assert_eq!(
        super::contract::verdict(&resp),
        crate::push_services::Verdict::DeadToken { reason: "Unregistered".into() }
    );
}

#[test]
fn refreshing_the_voip_token_revokes_only_it() {
    let (mut a, alert) = sandbox_with_device();
    let old = token_in(&ask_voip_token(&mut a, CHANNEL, 2, TOPIC));
    a.on_channel_frame(CHANNEL, DeviceToVendor::RefreshVoipToken { req: 3, app: TOPIC.into() });
    let fresh = token_in(&drain(&mut a));
    assert_ne!(fresh, old);
    assert_eq!(a.call(&voip(request(&old)), Millis(0)).status, 410);
    assert_eq!(a.call(&voip(request(&fresh)), Millis(0)).status, 200);
    assert_eq!(a.call(&request(&alert), Millis(0)).status, 200, "the alert token still works");
}

#[test]
fn a_notification_for_an_offline_device_is_stored_and_only_the_newest_per_app_is_kept() {
    let (mut a, token) = sandbox_with_device();
    let other_token = token_in(&ask_token(&mut a, CHANNEL, 2, "com.example.other"));
    a.on_channel_close(CHANNEL);

    let id = |n: u64| format!("5e1f9b2c-0000-4000-8000-{n:012x}");
    let stored =
        |n: u64| VendorOutput::Event(VendorEvent::Notified { device: "phone".into(), id: id(n), stored: true });
    let accepted = |token: &str| {
        VendorOutput::Event(VendorEvent::Request {
            env: Some(Environment::Development),
            token: Some(token.to_owned()),
            status: 200,
            reason: None,
            token_refused: false,
        })
    };

    assert_eq!(a.call(&with(request(&token), "apns-id", &id(1)), Millis(0)).status, 200);
    assert_eq!(drain(&mut a), vec![stored(1), accepted(&token)]);

    assert_eq!(a.call(&with(request(&token), "apns-id", &id(2)), Millis(1)).status, 200);
    assert_eq!(
        drain(&mut a),
        vec![
            stored(2),
            VendorOutput::Event(VendorEvent::Coalesced { device: "phone".into(), id: id(1) }),
            accepted(&token),
        ]
    );

    // Another app's notification is kept alongside.
    let other_req = with(with(request(&other_token), "apns-id", &id(3)), "apns-topic", "com.example.other");
    assert_eq!(a.call(&other_req, Millis(2)).status, 200);
    assert_eq!(drain(&mut a), vec![stored(3), accepted(&other_token)]);

    // The next hello flushes what is stored, once.
    hello(&mut a, ConnId(2), "phone");
    let delivered: Vec<(ConnId, String, String)> = drain(&mut a)
        .into_iter()
        .map(|o| match o {
            VendorOutput::ToDevice { channel, frame: VendorToDevice::Notification(n) } => (channel, n.id, n.app),
            other => panic!("expected only notifications, got {other:?}"),
        })
        .collect();
    assert_eq!(
        delivered,
        vec![(ConnId(2), id(2), TOPIC.to_owned()), (ConnId(2), id(3), "com.example.other".to_owned())]
    );
    // Acknowledged, they are gone from the vendor for good.
    for delivery in [2, 3] {
        a.on_channel_frame(ConnId(2), DeviceToVendor::Ack { delivery });
    }
    a.on_channel_close(ConnId(2));
    hello(&mut a, ConnId(3), "phone");
    assert_eq!(drain(&mut a), vec![]);
}

#[test]
fn a_notification_sent_on_a_channel_that_breaks_before_the_ack_is_delivered_again() {
    let id = |n: u64| format!("5e1f9b2c-0000-4000-8000-{n:012x}");
    let (mut a, token) = sandbox_with_device();
    hello(&mut a, ConnId(2), "phone");
    drain(&mut a);
    assert_eq!(a.call(&with(request(&token), "apns-id", &id(4)), Millis(1)).status, 200);
    assert!(drain(&mut a).iter().any(|o| matches!(o, VendorOutput::ToDevice { channel: ConnId(2), .. })));
    // The channel breaks before the phone acknowledged: stored again, and sent on the next.
    a.on_channel_close(ConnId(2));
    assert!(matches!(drain(&mut a).as_slice(), [VendorOutput::Event(VendorEvent::Notified { stored: true, .. })]));
    hello(&mut a, ConnId(3), "phone");
    let again = drain(&mut a);
    assert!(
        matches!(again.as_slice(), [VendorOutput::ToDevice { channel: ConnId(3), frame: VendorToDevice::Notification(n) }] if n.id == id(4)),
        "{again:?}"
    );
    // A restart of the vendor's front end is the same as every channel breaking.
    a.handle(Millis(0), VendorInput::Restart);
    hello(&mut a, ConnId(4), "phone");
    assert_eq!(drain(&mut a).iter().filter(|o| matches!(o, VendorOutput::ToDevice { .. })).count(), 1);
}

#[test]
fn closing_an_old_channel_does_not_take_a_newer_one_offline() {
    let (mut a, token) = sandbox_with_device();
    hello(&mut a, ConnId(2), "phone");
    a.on_channel_close(CHANNEL);
    assert_eq!(a.call(&request(&token), Millis(0)).status, 200);
    let out = drain(&mut a);
    assert!(
        out.iter().any(|o| matches!(
            o,
            VendorOutput::ToDevice { channel: ConnId(2), frame: VendorToDevice::Notification(_) }
        )),
        "{out:?}"
    );
}

#[test]
fn generated_apns_ids_count_up_from_1_in_a_per_environment_sequence() {
    let generated = |env, seed| {
        let mut a = Apns::unchecked(env, seed);
        hello(&mut a, CHANNEL, "phone");
        let token = token_in(&ask_token(&mut a, CHANNEL, 1, TOPIC));
        let req = without(request(&token), "apns-id");
        let mut next = || a.call(&req, Millis(0)).get("apns-id").map(str::to_owned).expect("apns-id");
        [next(), next()]
    };
    let dev = generated(Environment::Development, 1);
    assert_eq!(dev, ["a9500000-0000-4000-800d-000000000001", "a9500000-0000-4000-800d-000000000002"]);
    let prod = generated(Environment::Production, 2);
    assert_eq!(prod, ["a9500000-0000-4000-800f-000000000001", "a9500000-0000-4000-800f-000000000002"]);
}

#[test]
fn requests_that_bring_their_own_apns_id_or_are_rejected_use_no_generated_id() {
    let (mut a, token) = sandbox_with_device();
    let generate = without(request(&token), "apns-id");
    assert_eq!(a.call(&generate, Millis(0)).get("apns-id"), Some("a9500000-0000-4000-800d-000000000001"));
    assert_eq!(a.call(&request(&token), Millis(0)).get("apns-id"), Some(ID));
    assert_eq!(a.call(&with(generate.clone(), "apns-priority", "7"), Millis(0)).status, 400);
    assert_eq!(a.call(&generate, Millis(0)).get("apns-id"), Some("a9500000-0000-4000-800d-000000000002"));
}

#[test]
fn a_reopened_channel_is_anonymous_until_its_next_hello() {
    let (mut a, token) = sandbox_with_device();
    a.on_channel_open(CHANNEL);
    assert_eq!(
        ask_token(&mut a, CHANNEL, 2, TOPIC),
        vec![VendorOutput::ToDevice {
            channel: CHANNEL,
            frame: VendorToDevice::TokenError { req: 2, reason: "send hello before requesting a token".into() },
        }]
    );
    a.on_channel_frame(CHANNEL, DeviceToVendor::Hello { device: "phone".into() });
    assert_eq!(
        ask_token(&mut a, CHANNEL, 3, TOPIC),
        vec![VendorOutput::ToDevice { channel: CHANNEL, frame: VendorToDevice::Token { req: 3, token } }]
    );
}

#[test]
fn an_injected_failure_answers_the_next_sends_in_apples_shape_then_ends() {
    let (mut a, token) = sandbox_with_device();
    a.handle(Millis(0), VendorInput::Fail { status: 503, count: 2, retry_after_s: Some(7) });
    drain(&mut a);
    for _ in 0..2 {
        let resp = a.call(&request(&token), Millis(1));
        assert_eq!((resp.status, resp.body_json()), (503, json!({"reason": "ServiceUnavailable"})));
        assert_eq!(resp.get("retry-after"), Some("7"));
        assert!(!drain(&mut a).iter().any(|o| matches!(o, VendorOutput::ToDevice { .. })), "nothing delivered");
    }
    assert_eq!(a.call(&request(&token), Millis(2)).status, 200, "the failure ended after two sends");
    // count 0 ends a failure in force at once.
    a.handle(Millis(3), VendorInput::Fail { status: 500, count: 9, retry_after_s: None });
    a.handle(Millis(3), VendorInput::Fail { status: 500, count: 0, retry_after_s: None });
    assert_eq!(a.call(&request(&token), Millis(4)).status, 200);
}

#[test]
fn a_revoked_token_gets_410_unregistered_with_the_revocation_time_in_ms() {
    let (mut a, token) = sandbox_with_device();
    a.handle(
        Millis(5_000),
        VendorInput::ChannelFrame {
            channel: CHANNEL,
            frame: DeviceToVendor::Revoke { app: TOPIC.into(), project: None },
        },
    );
    assert_eq!(
        drain(&mut a),
        vec![VendorOutput::Event(VendorEvent::TokenRevoked {
            device: "phone".into(),
            app: TOPIC.into(),
            token: token.clone()
        })]
    );
    let resp = a.call(&request(&token), Millis(6_000));
    let revoked_at = crate::time::SIM_EPOCH_UNIX_MS + 5_000;
    assert_eq!((resp.status, resp.body_json()), (410, json!({"reason": "Unregistered", "timestamp": revoked_at})));
    assert_eq!(
        super::contract::verdict(&resp),
        crate::push_services::Verdict::DeadToken { reason: "Unregistered".into() }
    );
    // The install asking again gets a new token, which works.
    let fresh = token_in(&ask_token(&mut a, CHANNEL, 9, TOPIC));
    assert_ne!(fresh, token);
    assert_eq!(a.call(&request(&fresh), Millis(7_000)).status, 200);
}

#[test]
fn only_the_dead_token_reasons_refuse_the_token() {
    use Reason::*;
    let refusing: Vec<Reason> = Reason::ALL.into_iter().filter(|r| r.refuses_token()).collect();
    assert_eq!(refusing, vec![BadDeviceToken, DeviceTokenNotForTopic, Unregistered, ExpiredToken]);
}

#[test]
fn a_send_to_a_revoked_token_is_recorded_as_refused_for_the_token_only_when_the_token_is_why() {
    let (mut a, token) = sandbox_with_device();
    a.on_channel_frame(CHANNEL, DeviceToVendor::Revoke { app: TOPIC.into(), project: None });
    drain(&mut a);
    // Refused before the token is looked at: the bearer, the payload, an injected failure.
    let no_bearer = without(request(&token), "authorization");
    assert_eq!(token_refusals(&mut a, &no_bearer, Millis(1)), [false]);
    let empty = HttpRequest { body: Vec::new(), ..request(&token) };
    assert_eq!(token_refusals(&mut a, &empty, Millis(1)), [false]);
    a.handle(Millis(1), VendorInput::Fail { status: 503, count: 1, retry_after_s: None });
    assert_eq!(token_refusals(&mut a, &request(&token), Millis(1)), [false]);
    // 410 Unregistered, and a token of another environment (400 BadDeviceToken).
    assert_eq!(token_refusals(&mut a, &request(&token), Millis(2)), [true]);
    assert_eq!(token_refusals(&mut a, &request(&"0".repeat(64)), Millis(2)), [true]);
}

// Provider tokens (ES256 JWT), once keys are registered.

const TEAM: &str = "TEAM000001";
const KEY_ID: &str = "KEY0000001";
/// Unix second of `at(0)`: the moments below count from it.
const T0: u64 = SIM_EPOCH_UNIX_MS / 1000 + 10_000;

/// The moment `s` seconds after `T0`.
fn at(s: u64) -> Millis {
    Millis((10_000 + s) * 1000)
}

fn provider_key() -> ProviderKey {
    ProviderKey::from_seed(TEAM, KEY_ID, 1)
}

/// A sandbox APNs that checks provider tokens against `provider_key()`, with a device token.
fn keyed_sandbox() -> (Apns, String) {
    sandbox_with_keys(&[provider_key()])
}

fn sandbox_with_keys(keys: &[ProviderKey]) -> (Apns, String) {
    let mut a = Apns::new(Environment::Development, 1, keys.iter().map(ProviderKey::public));
    hello(&mut a, CHANNEL, "phone");
    let token = token_in(&ask_token(&mut a, CHANNEL, 1, TOPIC));
    (a, token)
}

fn bearing(token: &str, jwt: &str) -> HttpRequest {
    with(request(token), "authorization", &format!("bearer {jwt}"))
}

/// Sends with `jwt` at `now` and returns the status and reason (none on success).
fn send_with(a: &mut Apns, token: &str, jwt: &str, now: Millis) -> (u16, Option<String>) {
    let resp = a.call(&bearing(token, jwt), now);
    drain(a);
    (resp.status, resp.body_json().get("reason").and_then(|r| r.as_str()).map(str::to_owned))
}

fn refused(status: u16, reason: &str) -> (u16, Option<String>) {
    (status, Some(reason.to_owned()))
}

const OK: (u16, Option<String>) = (200, None);

/// A token of `key` with this header and claims, validly signed.
fn signed(key: &ProviderKey, header: serde_json::Value, claims: serde_json::Value) -> String {
    use p256::ecdsa::signature::Signer;
    crate::push_services::jwt::encode(&header, &claims, |input| {
        let s: p256::ecdsa::Signature = key.signing.sign(input);
        s.to_bytes().to_vec()
    })
}

#[test]
fn a_provider_token_is_the_same_for_the_same_key_and_iat_and_has_apples_header_and_claims() {
    let jwt = contract::provider_token(&provider_key(), T0);
    assert_eq!(jwt, contract::provider_token(&ProviderKey::from_seed(TEAM, KEY_ID, 1), T0));
    assert_ne!(jwt, contract::provider_token(&provider_key(), T0 + 1));
    assert_ne!(jwt, contract::provider_token(&ProviderKey::from_seed(TEAM, KEY_ID, 2), T0));
    let parsed = crate::push_services::jwt::parse(&jwt).expect("a compact JWT");
    assert_eq!(serde_json::Value::Object(parsed.header), json!({"alg": "ES256", "kid": KEY_ID}));
    assert_eq!(serde_json::Value::Object(parsed.claims), json!({"iss": TEAM, "iat": T0}));
    assert_eq!(parsed.signature.len(), 64, "JWS wants the raw r || s, not DER");
    assert!(provider_key().public().verifies(parsed.signing_input.as_bytes(), &parsed.signature));
}

#[test]
fn with_keys_a_valid_provider_token_is_accepted_and_without_keys_any_bearer_still_passes() {
    let (mut a, token) = keyed_sandbox();
    assert_eq!(send_with(&mut a, &token, &contract::provider_token(&provider_key(), T0), at(0)), OK);
    // `Apns::unchecked`, which the unit tests of the other checks use.
    let (mut lenient, token) = sandbox_with_device();
    assert_eq!(send_with(&mut lenient, &token, "anything", at(0)), OK);
}

#[test]
fn with_keys_a_send_without_a_provider_token_gets_403_missing_provider_token() {
    let (mut a, token) = keyed_sandbox();
    assert_rejected(&mut a, &without(request(&token), "authorization"), 403, "MissingProviderToken");
    assert_rejected(&mut a, &with(request(&token), "authorization", "bearer "), 403, "MissingProviderToken");
}

#[test]
fn a_bearer_that_is_not_an_es256_jwt_of_a_registered_key_and_its_team_gets_403_invalid_provider_token() {
    let (mut a, token) = keyed_sandbox();
    let key = provider_key();
    let invalid = refused(403, "InvalidProviderToken");
    let cases = [
        ("not a JWT", "provider-jwt".to_owned()),
        ("signed by another key", contract::provider_token(&ProviderKey::from_seed(TEAM, KEY_ID, 2), T0)),
        (
            "the key's signature, another team",
            contract::provider_token(&ProviderKey::from_seed("TEAM000002", KEY_ID, 1), T0),
        ),
        ("an unknown key ID", contract::provider_token(&ProviderKey::from_seed(TEAM, "KEY0000002", 1), T0)),
        ("alg other than ES256", signed(&key, json!({"alg": "ES384", "kid": KEY_ID}), json!({"iss": TEAM, "iat": T0}))),
        ("no iat", signed(&key, json!({"alg": "ES256", "kid": KEY_ID}), json!({"iss": TEAM}))),
        (
            "a string iat",
            signed(&key, json!({"alg": "ES256", "kid": KEY_ID}), json!({"iss": TEAM, "iat": T0.to_string()})),
        ),
        ("tampered claims", {
            let jwt = contract::provider_token(&key, T0);
            let other = contract::provider_token(&key, T0 - 1);
            let mut parts: Vec<&str> = jwt.split('.').collect();
            parts[1] = other.split('.').nth(1).expect("claims");
            parts.join(".")
        }),
    ];
    for (what, jwt) in cases {
        assert_eq!(send_with(&mut a, &token, &jwt, at(0)), invalid, "{what}");
    }
    // Apple's IDs are 10 characters: a key registered under a shorter one never passes.
    let short = ProviderKey::from_seed(TEAM, "KEY1", 1);
    let mut a = Apns::new(Environment::Development, 1, [short.public()]);
    hello(&mut a, CHANNEL, "phone");
    let token = token_in(&ask_token(&mut a, CHANNEL, 1, TOPIC));
    assert_eq!(send_with(&mut a, &token, &contract::provider_token(&short, T0), at(0)), invalid);
}

#[test]
fn a_provider_token_exactly_an_hour_old_passes_and_a_second_older_gets_403_expired_provider_token() {
    let (mut a, token) = keyed_sandbox();
    let jwt = contract::provider_token(&provider_key(), T0);
    assert_eq!(send_with(&mut a, &token, &jwt, at(0)), OK);
    assert_eq!(send_with(&mut a, &token, &jwt, at(3600)), OK);
    assert_eq!(send_with(&mut a, &token, &jwt, at(3601)), refused(403, "ExpiredProviderToken"));
    // Checked on first sight too.
    let (mut a, token) = keyed_sandbox();
    assert_eq!(send_with(&mut a, &token, &jwt, at(3601)), refused(403, "ExpiredProviderToken"));
}

#[test]
fn an_iat_up_to_60_s_ahead_passes_and_further_ahead_gets_403_invalid_provider_token() {
    let (mut a, token) = keyed_sandbox();
    let ahead = |s| contract::provider_token(&provider_key(), T0 + s);
    assert_eq!(send_with(&mut a, &token, &ahead(61), at(0)), refused(403, "InvalidProviderToken"));
    assert_eq!(send_with(&mut a, &token, &ahead(60), at(0)), OK);
}

#[test]
fn a_new_provider_token_within_20_minutes_of_the_last_new_one_gets_429_and_the_old_one_keeps_working() {
    let (mut a, token) = keyed_sandbox();
    let minted = |s| contract::provider_token(&provider_key(), T0 + s);
    assert_eq!(send_with(&mut a, &token, &minted(0), at(0)), OK);
    let too_many = refused(429, "TooManyProviderTokenUpdates");
    // 19:59 after the first was accepted: too soon, and the refusal does not count as a new one.
    assert_eq!(send_with(&mut a, &token, &minted(1199), at(1199)), too_many);
    assert_eq!(send_with(&mut a, &token, &minted(0), at(1199)), OK, "the earlier token still works");
    // 20:00: the new one is accepted, and the next new one waits 20 minutes from now.
    assert_eq!(send_with(&mut a, &token, &minted(1199), at(1200)), OK);
    assert_eq!(send_with(&mut a, &token, &minted(2000), at(2000)), too_many);
    // Both accepted tokens work, each until its own hour is over.
    assert_eq!(send_with(&mut a, &token, &minted(0), at(2000)), OK);
    assert_eq!(send_with(&mut a, &token, &minted(1199), at(2000)), OK);
    assert_eq!(send_with(&mut a, &token, &minted(0), at(3601)), refused(403, "ExpiredProviderToken"));
    assert_eq!(send_with(&mut a, &token, &minted(1199), at(3601)), OK);
    // Another key of the same team has its own limit.
    let second = ProviderKey::from_seed(TEAM, "KEY0000002", 2);
    let (mut b, token) = sandbox_with_keys(&[provider_key(), second.clone()]);
    assert_eq!(send_with(&mut b, &token, &minted(0), at(0)), OK);
    assert_eq!(send_with(&mut b, &token, &contract::provider_token(&second, T0 + 1), at(1)), OK);
}

#[test]
fn the_verdict_on_provider_token_answers_is_reauth_failed_or_retry() {
    use crate::push_services::Verdict;
    let answer = |r: Reason| HttpResponse::json(r.status(), &json!({"reason": r.as_str()}));
    assert_eq!(
        contract::verdict(&answer(Reason::ExpiredProviderToken)),
        Verdict::Reauth { reason: "ExpiredProviderToken".into() }
    );
    for r in [Reason::InvalidProviderToken, Reason::MissingProviderToken] {
        assert_eq!(contract::verdict(&answer(r)), Verdict::Failed { reason: r.as_str().into() });
    }
    assert_eq!(
        contract::verdict(&answer(Reason::TooManyProviderTokenUpdates)),
        Verdict::Retry { reason: "TooManyProviderTokenUpdates".into(), after_ms: None }
    );
    // What the fake answers is what the verdict reads.
    let (mut a, token) = keyed_sandbox();
    let resp = a.call(&bearing(&token, "provider-jwt"), at(0));
    assert_eq!(contract::verdict(&resp), Verdict::Failed { reason: "InvalidProviderToken".into() });
}

// --- storage: `apns-expiration` ---

/// The events and frames of a phone that comes back on a new channel at `now`.
fn come_back(a: &mut Apns, now: Millis) -> Vec<VendorOutput> {
    a.handle(now, VendorInput::ChannelOpen { channel: ConnId(2) });
    a.handle(
        now,
        VendorInput::ChannelFrame { channel: ConnId(2), frame: DeviceToVendor::Hello { device: "phone".into() } },
    );
    drain(a)
}

fn delivered(outputs: &[VendorOutput]) -> usize {
    outputs
        .iter()
        .filter(|o| matches!(o, VendorOutput::ToDevice { frame: VendorToDevice::Notification(_), .. }))
        .count()
}

fn dropped(outputs: &[VendorOutput]) -> Vec<DropReason> {
    outputs
        .iter()
        .filter_map(|o| match o {
            VendorOutput::Event(VendorEvent::Dropped { reason, .. }) => Some(*reason),
            _ => None,
        })
        .collect()
}

#[test]
fn an_expiration_of_0_is_delivered_to_a_connected_phone_and_never_stored_for_an_absent_one() {
    let (mut a, token) = sandbox_with_device();
    assert_eq!(a.call(&with(request(&token), "apns-expiration", "0"), Millis(0)).status, 200);
    let out = drain(&mut a);
    assert_eq!(delivered(&out), 1);
    // The phone has it (acknowledged), then goes away.
    for o in out {
        if let VendorOutput::ToDevice { frame: VendorToDevice::Notification(n), .. } = o {
            a.on_channel_frame(CHANNEL, DeviceToVendor::Ack { delivery: n.delivery });
        }
    }
    a.on_channel_close(CHANNEL);
    drain(&mut a);
    assert_eq!(a.call(&with(request(&token), "apns-expiration", "0"), Millis(10)).status, 200, "accepted all the same");
    assert_eq!(dropped(&drain(&mut a)), [DropReason::NotStored]);
    assert_eq!(delivered(&come_back(&mut a, Millis(20))), 0);
}

#[test]
fn a_stored_notification_is_delivered_until_its_expiration_and_dropped_after() {
    // The simulation epoch is Unix 1767225600 s: expire 60 s into the run.
    let expiring = |token: &str| with(request(token), "apns-expiration", "1767225660");
    for (back_at, shown) in [(59_999, 1), (60_000, 0)] {
        let (mut a, token) = sandbox_with_device();
        a.on_channel_close(CHANNEL);
        assert_eq!(a.call(&expiring(&token), Millis(1_000)).status, 200);
        drain(&mut a);
        let out = come_back(&mut a, Millis(back_at));
        assert_eq!(delivered(&out), shown, "back at {back_at} ms");
        assert_eq!(dropped(&out).len(), 1 - shown, "back at {back_at} ms");
    }
}
