//! Unit tests of the fake FCM.

use super::*;
use crate::core::Core;
use crate::ids::ConnId;
use crate::push_services::{drain, token_in};
use crate::push_services::{DeviceToVendor, Drive, VendorOutput, VendorToDevice};

const APP: &str = "im.zego.zimsim.demo";
const DEBUG: &str = "zimsim-debug";
const RELEASE: &str = "zimsim-release";
const CHANNEL: ConnId = ConnId(1);

fn fcm() -> Fcm {
    let projects = [(DEBUG.to_owned(), Environment::Development), (RELEASE.to_owned(), Environment::Production)];
    Fcm::new(projects.into_iter().collect(), 5)
}

fn hello(f: &mut Fcm, channel: ConnId, device: &str) {
    f.on_channel_open(channel);
    f.on_channel_frame(channel, DeviceToVendor::Hello { device: device.into() });
}

fn ask_token(f: &mut Fcm, req: u64, project: Option<&str>) -> Vec<VendorOutput> {
    f.on_channel_frame(
        CHANNEL,
        DeviceToVendor::RequestToken { req, app: APP.into(), project: project.map(str::to_owned) },
    );
    drain(f)
}

/// FCM with device "phone" connected on `CHANNEL` and holding a token from the debug project.
fn fcm_with_device() -> (Fcm, String) {
    let mut f = fcm();
    hello(&mut f, CHANNEL, "phone");
    let token = token_in(&ask_token(&mut f, 1, Some(DEBUG)));
    (f, token)
}

fn message(token: &str) -> Value {
    json!({
        "message": {
            "token": token,
            "notification": {"title": "Alice", "body": "hi"},
            "data": {"payload": "p", "zim_message_id": "1"},
            "android": {"priority": "HIGH", "ttl": "86400s"},
        }
    })
}

fn send_request(project: &str, body: &Value) -> HttpRequest {
    HttpRequest::post(format!("/v1/projects/{project}/messages:send"), body.to_string().into_bytes())
        .header("authorization", "Bearer ya29.token")
        .header("content-type", "application/json")
}

/// Sends `body` and checks Google's error envelope, the FcmError code (if any) and that the
/// only output is the `Request` event with the same verdict (nothing was delivered).
fn assert_rejected(f: &mut Fcm, req: &HttpRequest, status: u16, canonical: &str, error_code: Option<&str>) -> String {
    let resp = f.call(req, Millis(0));
    let body = resp.body_json();
    assert_eq!(resp.status, status, "{body}");
    assert_eq!(body["error"]["code"], json!(status));
    assert_eq!(body["error"]["status"], json!(canonical));
    let codes: Vec<&str> = body["error"]["details"]
        .as_array()
        .expect("details array")
        .iter()
        .filter_map(|d| d["errorCode"].as_str())
        .collect();
    assert_eq!(codes, error_code.into_iter().collect::<Vec<_>>());
    if let Some(detail) = body["error"]["details"].get(0) {
        assert_eq!(detail["@type"], "type.googleapis.com/google.firebase.fcm.v1.FcmError");
    }
    let out = drain(f);
    match out.as_slice() {
        [VendorOutput::Event(VendorEvent::Request { status: s, reason: Some(r), .. })] => {
            assert_eq!((*s, r.as_str()), (status, error_code.unwrap_or(canonical)));
        }
        other => panic!("expected only the Request event, got {other:?}"),
    }
    body["error"]["message"].as_str().expect("message").to_owned()
}

fn assert_invalid_argument(f: &mut Fcm, body: &Value) -> String {
    assert_rejected(f, &send_request(DEBUG, body), 400, "INVALID_ARGUMENT", Some("INVALID_ARGUMENT"))
}

#[test]
fn token_issuing_needs_a_known_sender_project() {
    let mut f = fcm();
    hello(&mut f, CHANNEL, "phone");
    assert_eq!(
        ask_token(&mut f, 1, None),
        vec![VendorOutput::ToDevice {
            channel: CHANNEL,
            frame: VendorToDevice::TokenError { req: 1, reason: "FCM tokens need a sender project".into() },
        }]
    );
    assert_eq!(
        ask_token(&mut f, 2, Some("nope")),
        vec![VendorOutput::ToDevice {
            channel: CHANNEL,
            frame: VendorToDevice::TokenError { req: 2, reason: "unknown sender project \"nope\"".into() },
        }]
    );
    let out = ask_token(&mut f, 3, Some(RELEASE));
    let token = token_in(&out);
    assert_eq!(
        out,
        vec![
            VendorOutput::Event(VendorEvent::TokenIssued {
                device: "phone".into(),
                app: APP.into(),
                token: token.clone(),
                env: Environment::Production,
            }),
            VendorOutput::ToDevice { channel: CHANNEL, frame: VendorToDevice::Token { req: 3, token: token.clone() } },
        ]
    );
    assert!(looks_like_token(&token), "{token}");
    let (instance, _) = token.split_once(":APA91b").expect("FCM token shape");
    assert_eq!((instance.len(), token.len()), (11, 11 + ":APA91b".len() + 134));
}

#[test]
fn the_same_install_and_project_gets_the_same_token_and_each_project_its_own() {
    let (mut f, debug_token) = fcm_with_device();
    assert_eq!(
        ask_token(&mut f, 2, Some(DEBUG)),
        vec![VendorOutput::ToDevice {
            channel: CHANNEL,
            frame: VendorToDevice::Token { req: 2, token: debug_token.clone() }
        }]
    );
    let out = ask_token(&mut f, 3, Some(RELEASE));
    assert!(matches!(&out[0], VendorOutput::Event(VendorEvent::TokenIssued { env: Environment::Production, .. })));
    assert_ne!(token_in(&out), debug_token);
}

#[test]
fn a_valid_send_returns_the_message_name_and_delivers_to_the_device() {
    let (mut f, token) = fcm_with_device();
    let body = message(&token);
    let resp = f.call(&send_request(DEBUG, &body), Millis(0));
    let name = "projects/zimsim-debug/messages/0:0000000000000001";
    assert_eq!((resp.status, resp.body_json()), (200, json!({ "name": name })));
    assert_eq!(
        drain(&mut f),
        vec![
            VendorOutput::Event(VendorEvent::Notified { device: "phone".into(), id: name.into(), stored: false }),
            VendorOutput::ToDevice {
                channel: CHANNEL,
                frame: VendorToDevice::Notification(DeviceNotification {
                    id: name.into(),
                    app: APP.into(),
                    payload: body["message"].clone(),
                    delivery: 1,
                }),
            },
            VendorOutput::Event(VendorEvent::Request {
                env: Some(Environment::Development),
                token: Some(token.clone()),
                status: 200,
                reason: None,
            }),
        ]
    );
    let second = f.call(&send_request(DEBUG, &body), Millis(1)).body_json();
    assert_eq!(second, json!({"name": "projects/zimsim-debug/messages/0:0000000000000002"}));
}

#[test]
fn a_send_without_a_bearer_gets_401_unauthenticated() {
    let (mut f, token) = fcm_with_device();
    let mut req = send_request(DEBUG, &message(&token));
    req.headers.retain(|(n, _)| n != "authorization");
    assert_rejected(&mut f, &req, 401, "UNAUTHENTICATED", None);
    let empty = send_request(DEBUG, &message(&token));
    let empty = HttpRequest { headers: vec![("authorization".into(), "Bearer ".into())], ..empty };
    assert_rejected(&mut f, &empty, 401, "UNAUTHENTICATED", None);
    let legacy = HttpRequest { headers: vec![("authorization".into(), "key=AIza".into())], ..empty };
    assert_rejected(&mut f, &legacy, 401, "UNAUTHENTICATED", None);
}

#[test]
fn a_send_to_an_unknown_project_gets_403_permission_denied() {
    let (mut f, token) = fcm_with_device();
    let m = assert_rejected(&mut f, &send_request("someone-else", &message(&token)), 403, "PERMISSION_DENIED", None);
    assert!(m.contains("someone-else"), "{m}");
}

#[test]
fn a_send_outside_messages_send_gets_404() {
    let (mut f, token) = fcm_with_device();
    let req = HttpRequest { path: "/v1/projects/zimsim-debug/topics".into(), ..send_request(DEBUG, &message(&token)) };
    assert_rejected(&mut f, &req, 404, "NOT_FOUND", None);
}

#[test]
fn a_non_string_data_value_gets_400_invalid_argument() {
    let (mut f, token) = fcm_with_device();
    let mut body = message(&token);
    body["message"]["data"]["zim_message_id"] = json!(1);
    let m = assert_invalid_argument(&mut f, &body);
    // Keys are ordered: payload (0), zim_message_id (1).
    assert_eq!(m, "Invalid value at 'message.data[1].value' (TYPE_STRING)");
}

#[test]
fn a_reserved_data_key_gets_400_invalid_argument() {
    let (mut f, token) = fcm_with_device();
    for key in ["from", "gcm", "google.sent_time", "googlex"] {
        let mut body = message(&token);
        body["message"]["data"][key] = json!("x");
        assert_eq!(assert_invalid_argument(&mut f, &body), format!("Invalid data payload key: {key}"));
    }
}

#[test]
fn a_message_with_two_targets_or_none_gets_400_invalid_argument() {
    let (mut f, token) = fcm_with_device();
    let mut two = message(&token);
    two["message"]["topic"] = json!("news");
    let m = assert_invalid_argument(&mut f, &two);
    assert_eq!(m, "Exactly one of token, topic or condition must be set.");
    let mut none = message(&token);
    none["message"].as_object_mut().expect("object").remove("token");
    assert_eq!(assert_invalid_argument(&mut f, &none), m);
}

#[test]
fn a_bad_android_ttl_gets_400_invalid_argument() {
    let (mut f, token) = fcm_with_device();
    for ttl in [json!("86400"), json!("abc"), json!("-1s"), json!("2419201s"), json!(60)] {
        let mut body = message(&token);
        body["message"]["android"]["ttl"] = ttl;
        assert_eq!(assert_invalid_argument(&mut f, &body), "Invalid value at 'message.android.ttl'");
    }
    let mut max = message(&token);
    max["message"]["android"]["ttl"] = json!("2419200s");
    assert_eq!(f.call(&send_request(DEBUG, &max), Millis(0)).status, 200);
}

#[test]
fn a_message_over_4096_bytes_without_its_token_gets_400_invalid_argument() {
    // The limit counts the message's payload, not the envelope or the ~150-byte token.
    let (mut f, token) = fcm_with_device();
    let mut body = message(&token);
    let len = |b: &Value| contract::payload_len(b["message"].as_object().expect("message"));
    let base = len(&body);
    body["message"]["data"]["payload"] = json!("p".repeat(4096 - base + 2));
    assert_eq!(len(&body), 4097);
    assert!(body.to_string().len() > 4096 + token.len());
    assert_eq!(assert_invalid_argument(&mut f, &body), "Message is too big");
    body["message"]["data"]["payload"] = json!("p".repeat(4096 - base + 1));
    assert_eq!(f.call(&send_request(DEBUG, &body), Millis(0)).status, 200);
}

#[test]
fn a_body_without_a_message_object_gets_400_invalid_argument() {
    let (mut f, _) = fcm_with_device();
    assert_invalid_argument(&mut f, &json!({"msg": {}}));
    let garbage = HttpRequest { body: b"not json".to_vec(), ..send_request(DEBUG, &json!({})) };
    assert_rejected(&mut f, &garbage, 400, "INVALID_ARGUMENT", Some("INVALID_ARGUMENT"));
}

#[test]
fn a_well_formed_unknown_token_gets_404_unregistered() {
    let (mut f, _) = fcm_with_device();
    let unknown = format!("{}:APA91b{}", "A".repeat(11), "b".repeat(134));
    assert!(looks_like_token(&unknown));
    let req = send_request(DEBUG, &message(&unknown));
    assert_rejected(&mut f, &req, 404, "NOT_FOUND", Some("UNREGISTERED"));
}

#[test]
fn a_malformed_token_gets_400_invalid_argument() {
    let (mut f, _) = fcm_with_device();
    let m = assert_invalid_argument(&mut f, &message("garbage"));
    assert_eq!(m, "The registration token is not a valid FCM registration token");
}

#[test]
fn a_debug_project_token_sent_through_the_release_project_gets_403_sender_id_mismatch() {
    let (mut f, debug_token) = fcm_with_device();
    let req = send_request(RELEASE, &message(&debug_token));
    assert_rejected(&mut f, &req, 403, "PERMISSION_DENIED", Some("SENDER_ID_MISMATCH"));
}

#[test]
fn a_validate_only_send_answers_200_without_delivering() {
    let (mut f, token) = fcm_with_device();
    let mut body = message(&token);
    body["validate_only"] = json!(true);
    let resp = f.call(&send_request(DEBUG, &body), Millis(0));
    assert_eq!(resp.status, 200);
    assert!(resp.body_json()["name"].as_str().is_some_and(|n| n.starts_with("projects/zimsim-debug/messages/")));
    assert_eq!(
        drain(&mut f),
        vec![VendorOutput::Event(VendorEvent::Request {
            env: Some(Environment::Development),
            token: Some(token),
            status: 200,
            reason: None,
        })]
    );
}

#[test]
fn fcm_stores_up_to_100_notifications_for_an_offline_device_dropping_the_oldest() {
    let (mut f, token) = fcm_with_device();
    f.on_channel_close(CHANNEL);
    let name = |n: usize| format!("projects/zimsim-debug/messages/0:{n:016x}");
    for n in 1..=MAX_STORED + 1 {
        assert_eq!(f.call(&send_request(DEBUG, &message(&token)), Millis(n as u64)).status, 200);
    }
    let events: Vec<VendorEvent> = drain(&mut f)
        .into_iter()
        .map(|o| match o {
            VendorOutput::Event(e) => e,
            other => panic!("nothing goes to a closed channel: {other:?}"),
        })
        .collect();
    let stored = events.iter().filter(|e| matches!(e, VendorEvent::Notified { stored: true, .. })).count();
    assert_eq!(stored, MAX_STORED + 1);
    let coalesced: Vec<&VendorEvent> = events.iter().filter(|e| matches!(e, VendorEvent::Coalesced { .. })).collect();
    assert_eq!(coalesced, vec![&VendorEvent::Coalesced { device: "phone".into(), id: name(1) }]);

    hello(&mut f, ConnId(2), "phone");
    let delivered: Vec<String> = drain(&mut f)
        .into_iter()
        .map(|o| match o {
            VendorOutput::ToDevice { channel: ConnId(2), frame: VendorToDevice::Notification(n) } => n.id,
            other => panic!("expected only notifications on the new channel, got {other:?}"),
        })
        .collect();
    assert_eq!(delivered, (2..=MAX_STORED + 1).map(name).collect::<Vec<_>>());
}

#[test]
fn a_token_with_a_wrong_length_instance_id_or_key_gets_400_invalid_argument() {
    let (mut f, _) = fcm_with_device();
    let token = |id: usize, key: usize| format!("{}:APA91b{}", "A".repeat(id), "b".repeat(key));
    let wrong = [token(11, 133), token(11, 135), token(10, 134), token(12, 134), token(0, 0)];
    for t in wrong.iter().map(String::as_str).chain([":APA91b", "AAAAAAAAAAA:APA91c"]) {
        let m = assert_invalid_argument(&mut f, &message(t));
        assert_eq!(m, "The registration token is not a valid FCM registration token", "{t}");
    }
}

#[test]
fn a_reopened_channel_is_anonymous_until_its_next_hello() {
    let (mut f, token) = fcm_with_device();
    f.on_channel_open(CHANNEL);
    assert_eq!(
        ask_token(&mut f, 2, Some(DEBUG)),
        vec![VendorOutput::ToDevice {
            channel: CHANNEL,
            frame: VendorToDevice::TokenError { req: 2, reason: "send hello before requesting a token".into() },
        }]
    );
    f.on_channel_frame(CHANNEL, DeviceToVendor::Hello { device: "phone".into() });
    assert_eq!(
        ask_token(&mut f, 3, Some(DEBUG)),
        vec![VendorOutput::ToDevice { channel: CHANNEL, frame: VendorToDevice::Token { req: 3, token } }]
    );
}

#[test]
fn an_injected_failure_answers_in_googles_envelope_and_a_refreshed_token_leaves_the_old_one_unregistered() {
    let (mut f, token) = fcm_with_device();
    f.handle(Millis(0), crate::push_services::VendorInput::Fail { status: 503, count: 1, retry_after_s: Some(3) });
    let resp = f.call(&send_request(DEBUG, &message(&token)), Millis(1));
    assert_eq!((resp.status, resp.get("retry-after")), (503, Some("3")));
    assert_eq!(resp.body_json()["error"]["status"], json!("UNAVAILABLE"));
    assert_eq!(
        contract::verdict(&resp),
        crate::push_services::Verdict::Retry { reason: "UNAVAILABLE".into(), after_ms: Some(3_000) }
    );
    f.on_channel_frame(CHANNEL, DeviceToVendor::RefreshToken { req: 7, app: APP.into(), project: Some(DEBUG.into()) });
    let fresh = drain(&mut f)
        .into_iter()
        .find_map(|o| match o {
            VendorOutput::ToDevice { frame: VendorToDevice::Token { req: 7, token }, .. } => Some(token),
            _ => None,
        })
        .expect("a new token");
    assert_ne!(fresh, token);
    assert_rejected(&mut f, &send_request(DEBUG, &message(&token)), 404, "NOT_FOUND", Some("UNREGISTERED"));
    assert_eq!(f.call(&send_request(DEBUG, &message(&fresh)), Millis(2)).status, 200);
}
