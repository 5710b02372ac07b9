//! Unit tests of the fake Push Kit and its contract.

use super::contract::{self, code, Send};
use super::*;
use crate::ids::{ConnId, ConvKey, MessageId};
use crate::push_services::{delivered, drain, oauth_answer, reconnect, token_in, token_refusals};
use crate::push_services::{DeviceToVendor, Drive, VendorOutput, VendorToDevice, Verdict};
use crate::pushid::{PushId, Vendor};
use crate::wire::{PushConfig, PushRequest};

const APP: &str = "im.zego.zimsim.demo";
const DEBUG: &str = "100000001";
const RELEASE: &str = "100000002";
const DEBUG_SECRET: &str = "debug-secret";
const RELEASE_SECRET: &str = "release-secret";
const CHANNEL: ConnId = ConnId(1);
const HOUR_MS: u64 = ACCESS_TOKEN_LIFETIME_S * 1000;

fn hms() -> Hms {
    let apps = [
        (DEBUG.to_owned(), (DEBUG_SECRET.to_owned(), Environment::Development)),
        (RELEASE.to_owned(), (RELEASE_SECRET.to_owned(), Environment::Production)),
    ];
    Hms::new(apps.into_iter().collect(), 7)
}

fn hello(h: &mut Hms, channel: ConnId, device: &str) {
    h.on_channel_open(channel);
    h.on_channel_frame(channel, DeviceToVendor::Hello { device: device.into() });
}

fn ask_token(h: &mut Hms, req: u64, project: Option<&str>) -> Vec<VendorOutput> {
    let frame = DeviceToVendor::RequestToken { req, app: APP.into(), project: project.map(str::to_owned) };
    h.on_channel_frame(CHANNEL, frame);
    drain(h)
}

/// Push Kit with device "phone" connected on `CHANNEL`, holding a token of the debug app,
/// and a debug access token issued at 0.
fn hms_with_device() -> (Hms, String, String) {
    let mut h = hms();
    hello(&mut h, CHANNEL, "phone");
    let token = token_in(&ask_token(&mut h, 1, Some(DEBUG)));
    let bearer = access(&mut h, DEBUG, DEBUG_SECRET, Millis(0));
    (h, token, bearer)
}

fn access(h: &mut Hms, app_id: &str, secret: &str, now: Millis) -> String {
    let resp = h.call(&contract::auth_request(app_id, secret), now);
    drain(h);
    oauth_answer(&resp).expect("an access token").0
}

fn message(tokens: &[&str]) -> Value {
    json!({
        "message": {
            "data": r#"{"payload":"p"}"#,
            "android": {
                "urgency": "HIGH",
                "ttl": "86400s",
                "notification": {"title": "Alice", "body": "hi", "click_action": {"type": 3}},
            },
            "token": tokens,
        }
    })
}

fn send_request(app_id: &str, bearer: &str, body: &Value) -> HttpRequest {
    HttpRequest::post(contract::send_path(app_id), body.to_string().into_bytes())
        .header("authorization", format!("Bearer {bearer}"))
        .header("content-type", "application/json")
}

/// Sends `req` and checks the status, the result code and the request ID, and that nothing
/// went to a device; returns the answer's `msg`.
fn assert_code(h: &mut Hms, req: &HttpRequest, now: Millis, status: u16, expected: &str) -> String {
    let resp = h.call(req, now);
    let body = resp.body_json();
    assert_eq!((resp.status, body["code"].as_str()), (status, Some(expected)), "{body}");
    assert!(body["requestId"].as_str().is_some_and(|id| id.len() == 24), "{body}");
    let out = drain(h);
    assert!(out.iter().all(|o| matches!(o, VendorOutput::Event(VendorEvent::Request { .. }))), "{out:?}");
    body["msg"].as_str().expect("msg").to_owned()
}

fn assert_rejected(h: &mut Hms, req: &HttpRequest, expected: &str) -> String {
    assert_code(h, req, Millis(0), 200, expected)
}

fn push_request(token: &str, badge: Option<u32>) -> PushRequest {
    PushRequest {
        push_id: PushId::new(Vendor::Hms, Environment::Development, token),
        user_id: "bob".into(),
        message_id: MessageId(42),
        conv: std::sync::Arc::new(ConvKey::peer(&"alice".into(), &"bob".into())),
        from: std::sync::Arc::new("alice".into()),
        push: std::sync::Arc::new(PushConfig::new("Alice", "hello bob", "{\"room\":7}")),
        badge,
    }
}

#[test]
fn token_issuing_needs_a_known_app_id_and_draws_hms_style_tokens() {
    let mut h = hms();
    hello(&mut h, CHANNEL, "phone");
    let refused = |req, reason: &str| {
        vec![VendorOutput::ToDevice {
            channel: CHANNEL,
            frame: VendorToDevice::TokenError { req, reason: reason.into() },
        }]
    };
    assert_eq!(ask_token(&mut h, 1, None), refused(1, "HMS tokens need an app ID"));
    assert_eq!(ask_token(&mut h, 2, Some("999")), refused(2, "unknown app ID \"999\""));
    let out = ask_token(&mut h, 3, Some(RELEASE));
    let token = token_in(&out);
    assert!(matches!(&out[0], VendorOutput::Event(VendorEvent::TokenIssued { env: Environment::Production, .. })));
    assert!(token.starts_with(TOKEN_PREFIX) && token.len() == TOKEN_PREFIX.len() + TOKEN_CHARS, "{token}");
    assert!(token[TOKEN_PREFIX.len()..].bytes().all(|b| BASE64URL.contains(&b)));
    assert_ne!(token_in(&ask_token(&mut h, 4, Some(DEBUG))), token, "each app ID has its own token");
}

#[test]
fn the_oauth_endpoint_issues_hour_long_bearer_tokens() {
    let mut h = hms();
    let resp = h.call(&contract::auth_request(DEBUG, DEBUG_SECRET), Millis(0));
    let body = resp.body_json();
    assert_eq!(resp.status, 200);
    assert_eq!((body["expires_in"].clone(), body["token_type"].clone()), (json!(3600), json!("Bearer")));
    let (token, lifetime_ms) = oauth_answer(&resp).expect("a token");
    assert_eq!((body["access_token"].as_str(), lifetime_ms), (Some(token.as_str()), HOUR_MS));
    assert_eq!(
        drain(&mut h),
        vec![VendorOutput::Event(VendorEvent::Request {
            env: Some(Environment::Development),
            token: None,
            status: 200,
            reason: None,
            token_refused: false,
        })]
    );
    let again = oauth_answer(&h.call(&contract::auth_request(DEBUG, DEBUG_SECRET), Millis(0)));
    assert_ne!(again.expect("a token").0, token, "every grant is a new token");
}

#[test]
fn the_oauth_endpoint_refuses_a_wrong_secret_an_unknown_client_and_a_bad_form() {
    let mut h = hms();
    let oauth = |body: &str| HttpRequest::post(OAUTH_PATH, body.as_bytes().to_vec());
    let cases = [
        (contract::auth_request(DEBUG, RELEASE_SECRET), 401, "invalid_client"),
        (contract::auth_request("999", DEBUG_SECRET), 401, "invalid_client"),
        (oauth("grant_type=password&client_id=100000001&client_secret=debug-secret"), 400, "unsupported_grant_type"),
        (oauth("client_id=100000001&client_secret=debug-secret"), 400, "invalid_request"),
        (oauth("grant_type=client_credentials&client_id=100000001"), 400, "invalid_request"),
    ];
    for (req, status, error) in cases {
        let resp = h.call(&req, Millis(0));
        let body = resp.body_json();
        assert_eq!((resp.status, body["error"].as_str()), (status, Some(error)), "{body}");
        assert!(body["error_description"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
        let reason = oauth_answer(&resp).expect_err("no token");
        assert!(reason.starts_with(error), "{reason}");
    }
}

#[test]
fn the_oauth_answer_names_a_numeric_error_with_its_description_and_else_the_status() {
    let numeric = HttpResponse::json(400, &json!({"error": 1101, "error_description": "invalid client"}));
    assert_eq!(oauth_answer(&numeric), Err("1101: invalid client".into()));
    assert_eq!(
        oauth_answer(&HttpResponse::json(401, &json!({"error": "invalid_client"}))),
        Err("invalid_client".into())
    );
    let no_lifetime = HttpResponse::json(200, &json!({"access_token": "t"}));
    assert_eq!(oauth_answer(&no_lifetime), Err("HTTP 200 without an access token".into()));
    assert_eq!(oauth_answer(&HttpResponse::new(503)), Err("HTTP 503 without an access token".into()));
}

#[test]
fn a_valid_send_answers_80000000_and_delivers_the_message_without_tokens() {
    let (mut h, token, bearer) = hms_with_device();
    let body = message(&[&token]);
    let resp = h.call(&send_request(DEBUG, &bearer, &body), Millis(0));
    let request_id = format!("{:024}", 1);
    assert_eq!(
        (resp.status, resp.body_json()),
        (200, json!({"code": "80000000", "msg": "Success", "requestId": request_id}))
    );
    let mut delivered = body["message"].clone();
    delivered.as_object_mut().expect("object").remove("token");
    let id = format!("{request_id}.0");
    assert_eq!(
        drain(&mut h),
        vec![
            VendorOutput::Event(VendorEvent::Notified { device: "phone".into(), id: id.clone(), stored: false }),
            VendorOutput::ToDevice {
                channel: CHANNEL,
                frame: VendorToDevice::Notification(DeviceNotification {
                    id,
                    app: APP.into(),
                    payload: delivered,
                    delivery: 1,
                    replace_key: None
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
fn a_send_without_a_valid_bearer_of_the_app_gets_80200001_with_401() {
    let (mut h, token, bearer) = hms_with_device();
    let body = message(&[&token]);
    let mut none = send_request(DEBUG, &bearer, &body);
    none.headers.retain(|(n, _)| n != "authorization");
    let basic = HttpRequest { headers: vec![("authorization".into(), format!("Basic {bearer}"))], ..none.clone() };
    let release_bearer = access(&mut h, RELEASE, RELEASE_SECRET, Millis(0));
    for req in [
        none,
        basic,
        send_request(DEBUG, "CgB6e3x9forged", &body),
        send_request(DEBUG, &release_bearer, &body),
        send_request("999", &bearer, &body),
    ] {
        assert_eq!(assert_code(&mut h, &req, Millis(0), 401, code::AUTH_FAILED), "Oauth authentication error");
    }
}

#[test]
fn an_access_token_past_its_hour_gets_80200003_with_401() {
    let (mut h, token, bearer) = hms_with_device();
    let req = send_request(DEBUG, &bearer, &message(&[&token]));
    assert_eq!(h.call(&req, Millis(HOUR_MS - 1)).body_json()["code"], "80000000");
    drain(&mut h);
    assert_code(&mut h, &req, Millis(HOUR_MS), 401, code::TOKEN_EXPIRED);
    assert_code(&mut h, &req, Millis(HOUR_MS + 1), 401, code::TOKEN_EXPIRED);
    let fresh = access(&mut h, DEBUG, DEBUG_SECRET, Millis(HOUR_MS + 1));
    let req = send_request(DEBUG, &fresh, &message(&[&token]));
    assert_eq!(h.call(&req, Millis(HOUR_MS + 1)).body_json()["code"], "80000000");
}

#[test]
fn a_body_that_is_not_the_message_structure_gets_80100003() {
    let (mut h, token, bearer) = hms_with_device();
    let garbage = HttpRequest { body: b"not json".to_vec(), ..send_request(DEBUG, &bearer, &json!({})) };
    assert_rejected(&mut h, &garbage, code::BAD_STRUCTURE);
    let mut cases = vec![json!({"msg": {}}), json!({"message": "x"})];
    let edits: [(&str, Value); 8] = [
        ("/message/data", json!({"payload": "p"})),
        ("/message/token", json!(token)),
        ("/message/notification", json!({"title": 1})),
        ("/message/android/notification/click_action", Value::Null),
        ("/message/android/notification/click_action", json!({"type": 1})),
        ("/message/android/notification/click_action", json!({"type": 5})),
        ("/message/android/notification/badge", json!({"set_num": 100})),
        ("/message/android/notification/badge", json!({"add_num": 0})),
    ];
    for (pointer, value) in edits {
        let mut body = message(&[&token]);
        let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
        let parent = body.pointer_mut(parent).and_then(Value::as_object_mut).expect("parent object");
        if value.is_null() {
            parent.remove(key);
        } else {
            parent.insert(key.to_owned(), value);
        }
        cases.push(body);
    }
    for body in cases {
        let m = assert_rejected(&mut h, &send_request(DEBUG, &bearer, &body), code::BAD_STRUCTURE);
        assert!(m.starts_with("Illegal payload, "), "{m}");
    }
    let mut type_one = message(&[&token]);
    type_one["message"]["android"]["notification"]["click_action"] = json!({"type": 1, "action": "a.b.OPEN"});
    type_one["message"]["android"]["notification"]["badge"] = json!({"set_num": 0, "add_num": 99});
    assert_eq!(h.call(&send_request(DEBUG, &bearer, &type_one), Millis(0)).body_json()["code"], "80000000");
}

#[test]
fn invalid_request_parameters_get_80100001() {
    let (mut h, token, bearer) = hms_with_device();
    let edits: [(&str, &str, Value); 6] = [
        ("", "validate_only", json!("yes")),
        ("/message", "topic", json!("news")),
        ("/message/android", "ttl", json!("a day")),
        ("/message/android", "ttl", json!("1.s")),
        ("/message/android", "urgency", json!("LOW")),
        ("/message/android", "collapse_key", json!(101)),
    ];
    for (parent, key, value) in edits {
        let mut body = message(&[&token]);
        body.pointer_mut(parent).and_then(Value::as_object_mut).expect("parent object").insert(key.into(), value);
        assert_rejected(&mut h, &send_request(DEBUG, &bearer, &body), code::INVALID_PARAMETER);
    }
    for ttl in ["1000", "86400s", "1.5S", "0.123456789"] {
        let mut body = message(&[&token]);
        body["message"]["android"]["ttl"] = json!(ttl);
        assert_eq!(h.call(&send_request(DEBUG, &bearer, &body), Millis(0)).body_json()["code"], "80000000", "{ttl}");
    }
}

#[test]
fn a_message_over_4096_bytes_without_its_tokens_gets_80300008() {
    let (mut h, token, bearer) = hms_with_device();
    let mut body = message(&[&token]);
    body["message"]["data"] = json!("p");
    let len = contract::body_len(body["message"].as_object().expect("object"));
    let grow = |body: &mut Value, by: isize| {
        let d = body["message"]["data"].as_str().expect("data").len() as isize + by;
        body["message"]["data"] = json!("p".repeat(d as usize));
    };
    grow(&mut body, MAX_BODY as isize - len as isize);
    assert_eq!(contract::body_len(body["message"].as_object().expect("object")), MAX_BODY);
    // Tokens do not count: 1000 of them still fit.
    let many: Vec<String> = (0..MAX_TOKENS - 1).map(|i| format!("unknown-{i}")).chain([token.clone()]).collect();
    body["message"]["token"] = json!(many);
    let resp = h.call(&send_request(DEBUG, &bearer, &body), Millis(0));
    assert_eq!(resp.body_json()["code"], "80100000");
    drain(&mut h);
    grow(&mut body, 1);
    let m = assert_rejected(&mut h, &send_request(DEBUG, &bearer, &body), code::BODY_TOO_LARGE);
    assert_eq!(m, "The message body exceeds 4096 bytes");
}

#[test]
fn more_than_1000_tokens_or_none_gets_80300010() {
    let (mut h, token, bearer) = hms_with_device();
    let many: Vec<String> = (0..MAX_TOKENS).map(|i| format!("t{i}")).chain([token]).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_rejected(&mut h, &send_request(DEBUG, &bearer, &message(&refs)), code::TOO_MANY_TOKENS);
    assert_rejected(&mut h, &send_request(DEBUG, &bearer, &message(&[])), code::TOO_MANY_TOKENS);
    let mut none = message(&[]);
    none["message"].as_object_mut().expect("object").remove("token");
    assert_rejected(&mut h, &send_request(DEBUG, &bearer, &none), code::TOO_MANY_TOKENS);
}

#[test]
fn unknown_tokens_get_80300007_all_tokens_invalid() {
    let (mut h, _, bearer) = hms_with_device();
    let forged = format!("{TOKEN_PREFIX}{}", "A".repeat(TOKEN_CHARS));
    let req = send_request(DEBUG, &bearer, &message(&[&forged, "garbage"]));
    assert_eq!(assert_rejected(&mut h, &req, code::ALL_TOKENS_INVALID), "All the tokens are invalid");
}

#[test]
fn a_revoked_token_gets_80300007_and_the_verdict_is_a_dead_token() {
    let (mut h, token, bearer) = hms_with_device();
    h.on_channel_frame(CHANNEL, DeviceToVendor::Revoke { app: APP.into(), project: Some(DEBUG.into()) });
    assert!(matches!(drain(&mut h).as_slice(), [VendorOutput::Event(VendorEvent::TokenRevoked { .. })]));
    let resp = h.call(&send_request(DEBUG, &bearer, &message(&[&token])), Millis(1));
    assert_eq!(resp.body_json()["code"], "80300007");
    assert_eq!(contract::verdict(&resp), Verdict::DeadToken { reason: code::ALL_TOKENS_INVALID.into() });
}

#[test]
fn a_send_to_a_revoked_token_is_recorded_as_refused_for_the_token_only_when_the_token_is_why() {
    let (mut h, token, bearer) = hms_with_device();
    h.on_channel_frame(CHANNEL, DeviceToVendor::Revoke { app: APP.into(), project: Some(DEBUG.into()) });
    drain(&mut h);
    let fresh = token_in(&ask_token(&mut h, 2, Some(DEBUG)));
    let bad_auth = send_request(DEBUG, "not-a-bearer", &message(&[&token]));
    assert_eq!(token_refusals(&mut h, &bad_auth, Millis(1)), [false]);
    let mut bad_data = message(&[&token]);
    bad_data["message"]["data"] = json!({"n": 1});
    assert_eq!(token_refusals(&mut h, &send_request(DEBUG, &bearer, &bad_data), Millis(1)), [false]);
    // All tokens invalid; in a partial failure, only the listed token.
    assert_eq!(token_refusals(&mut h, &send_request(DEBUG, &bearer, &message(&[&token])), Millis(2)), [true]);
    let both = send_request(DEBUG, &bearer, &message(&[&fresh, &token]));
    assert_eq!(token_refusals(&mut h, &both, Millis(2)), [false, true]);
}

#[test]
fn a_debug_token_sent_through_the_release_app_gets_80300007() {
    let (mut h, debug_token, _) = hms_with_device();
    let release_bearer = access(&mut h, RELEASE, RELEASE_SECRET, Millis(0));
    let req = send_request(RELEASE, &release_bearer, &message(&[&debug_token]));
    let resp = h.call(&req, Millis(0));
    assert_eq!((resp.status, resp.body_json()["code"].as_str()), (200, Some(code::ALL_TOKENS_INVALID)));
    // The request is recorded against the release credentials the token came in on.
    assert_eq!(
        drain(&mut h),
        vec![VendorOutput::Event(VendorEvent::Request {
            env: Some(Environment::Production),
            token: Some(debug_token),
            status: 200,
            reason: Some(code::ALL_TOKENS_INVALID.into()),
            token_refused: true,
        })]
    );
}

#[test]
fn some_invalid_tokens_get_80100000_listing_them_and_the_valid_ones_are_delivered() {
    let (mut h, token, bearer) = hms_with_device();
    let resp = h.call(&send_request(DEBUG, &bearer, &message(&[&token, "gone"])), Millis(0));
    let body = resp.body_json();
    assert_eq!((resp.status, body["code"].as_str()), (200, Some(code::PARTIAL_FAILURE)));
    let msg: Value = serde_json::from_str(body["msg"].as_str().expect("msg")).expect("msg is JSON");
    assert_eq!(msg, json!({"success": 1, "failure": 1, "illegal_tokens": ["gone"]}));
    assert_eq!(contract::illegal_tokens(&body), vec!["gone".to_owned()]);
    let out = drain(&mut h);
    let delivered = out.iter().filter(|o| matches!(o, VendorOutput::ToDevice { .. })).count();
    let requests = out.iter().filter(|o| matches!(o, VendorOutput::Event(VendorEvent::Request { .. }))).count();
    assert_eq!((delivered, requests), (1, 2), "{out:?}");
}

#[test]
fn a_validate_only_send_answers_success_without_delivering() {
    let (mut h, token, bearer) = hms_with_device();
    let mut body = message(&[&token]);
    body["validate_only"] = json!(true);
    assert_eq!(assert_code(&mut h, &send_request(DEBUG, &bearer, &body), Millis(0), 200, code::SUCCESS), "Success");
}

#[test]
fn other_routes_get_404_and_other_methods_405_without_a_result_code() {
    let (mut h, token, bearer) = hms_with_device();
    let req = send_request(DEBUG, &bearer, &message(&[&token]));
    for path in ["/v2/100000001/messages:send", "/v1//messages:send", "/v1/a/b/messages:send", "/oauth2/v2/token"] {
        let resp = h.call(&HttpRequest { path: path.into(), ..req.clone() }, Millis(0));
        assert_eq!((resp.status, resp.body.len()), (404, 0), "{path}");
    }
    assert_eq!(h.call(&HttpRequest { method: "GET".into(), ..req }, Millis(0)).status, 405);
}

#[test]
fn a_notification_for_an_offline_device_is_stored_and_delivered_on_its_next_channel() {
    let (mut h, token, bearer) = hms_with_device();
    h.on_channel_close(CHANNEL);
    assert_eq!(h.call(&send_request(DEBUG, &bearer, &message(&[&token])), Millis(0)).status, 200);
    assert!(drain(&mut h).iter().any(|o| matches!(o, VendorOutput::Event(VendorEvent::Notified { stored: true, .. }))));
    hello(&mut h, ConnId(2), "phone");
    let out = drain(&mut h);
    assert!(
        matches!(
            out.as_slice(),
            [VendorOutput::ToDevice { channel: ConnId(2), frame: VendorToDevice::Notification(_) }]
        ),
        "{out:?}"
    );
}

#[test]
fn the_contract_request_is_accepted_and_decodes_back_to_the_same_notification() {
    let (mut h, token, bearer) = hms_with_device();
    for badge in [Some(5), Some(150), None] {
        let push = push_request(&token, badge);
        let req = contract::request(&Send { push: &push, app_id: DEBUG, access_token: &bearer, ttl_s: 86_400 });
        let resp = h.call(&req, Millis(0));
        assert_eq!(contract::verdict(&resp), Verdict::Delivered, "{}", resp.body_json());
        let payload = drain(&mut h)
            .into_iter()
            .find_map(|o| match o {
                VendorOutput::ToDevice { frame: VendorToDevice::Notification(n), .. } => Some(n.payload),
                _ => None,
            })
            .expect("a delivered notification");
        let n = crate::push_services::decode(Vendor::Hms, &payload).expect("an HMS message");
        assert_eq!((n.title.as_str(), n.content.as_str(), n.payload.as_str()), ("Alice", "hello bob", "{\"room\":7}"));
        assert_eq!((n.message_id, n.to_user.as_ref().map(|u| u.as_str())), (Some(MessageId(42)), Some("bob")));
        assert_eq!(n.badge, badge.map(|b| b.min(contract::MAX_BADGE)));
    }
}

#[test]
fn the_verdict_sorts_every_answer() {
    let answer =
        |status: u16, code: &str| HttpResponse::json(status, &json!({"code": code, "msg": "", "requestId": "1"}));
    let partial = |illegal: Vec<String>| Reason::PartialFailure { success: 0, illegal }.response("1");
    let dead = |c: &str| Verdict::DeadToken { reason: c.into() };
    let reauth = |c: &str| Verdict::Reauth { reason: c.into() };
    let failed = |c: &str| Verdict::Failed { reason: c.into() };
    let cases = [
        (answer(200, code::SUCCESS), Verdict::Delivered),
        (partial(vec![]), Verdict::Delivered),
        (partial(vec!["t".into()]), dead(code::PARTIAL_FAILURE)),
        (Reason::AllTokensInvalid.response("1"), dead(code::ALL_TOKENS_INVALID)),
        (Reason::AuthFailed.response("1"), reauth(code::AUTH_FAILED)),
        (Reason::TokenExpired.response("1"), reauth(code::TOKEN_EXPIRED)),
        (Reason::InternalError.response("1"), Verdict::Retry { reason: code::INTERNAL_ERROR.into(), after_ms: None }),
        (Reason::InvalidParameter("x".into()).response("1"), failed(code::INVALID_PARAMETER)),
        (Reason::BadStructure("x".into()).response("1"), failed(code::BAD_STRUCTURE)),
        (Reason::BodyTooLarge.response("1"), failed(code::BODY_TOO_LARGE)),
        (Reason::TooManyTokens.response("1"), failed(code::TOO_MANY_TOKENS)),
        (answer(200, "80300002"), failed("80300002")),
        (
            HttpResponse::new(503).header("retry-after", "2"),
            Verdict::Retry { reason: "HTTP 503".into(), after_ms: Some(2000) },
        ),
        (HttpResponse::new(502), Verdict::Retry { reason: "HTTP 502".into(), after_ms: None }),
        (HttpResponse::new(401), reauth("HTTP 401")),
        (HttpResponse::new(404), failed("HTTP 404")),
        (HttpResponse::new(200), failed("HTTP 200")),
    ];
    for (resp, expected) in cases {
        assert_eq!(contract::verdict(&resp), expected, "{resp:?}");
    }
}

#[test]
fn the_contract_request_has_huaweis_shape() {
    let push = push_request("tok", Some(3));
    let req = contract::request(&Send { push: &push, app_id: RELEASE, access_token: "CgB6e3x9abc", ttl_s: 600 });
    assert_eq!((req.method.as_str(), req.path.as_str()), ("POST", "/v1/100000002/messages:send"));
    assert_eq!(req.get("authorization"), Some("Bearer CgB6e3x9abc"));
    let body: Value = serde_json::from_slice(&req.body).expect("JSON");
    assert_eq!(body["message"]["token"], json!(["tok"]));
    assert_eq!(body["message"]["android"]["ttl"], "600s");
    assert_eq!(
        body["message"]["android"]["notification"],
        json!({"title": "Alice", "body": "hello bob", "badge": {"set_num": 3},
            "click_action": {"type": 1, "action": contract::CLICK_ACTION}, "tag": "m42"})
    );
    let data: Value = serde_json::from_str(body["message"]["data"].as_str().expect("a string")).expect("JSON");
    assert_eq!(data["payload"], "{\"room\":7}");
    assert_eq!(data["zim"]["message_id"], 42);
    let auth = contract::auth_request(RELEASE, "s&=x");
    assert_eq!(auth.body, b"grant_type=client_credentials&client_id=100000002&client_secret=s%26%3Dx");
}

#[test]
fn a_stored_message_lives_for_its_android_ttl_and_a_day_without_one() {
    for (ttl, back_at, kept) in
        [(Some("60s"), 59_999, 1), (Some("60s"), 60_000, 0), (None, 86_399_999, 1), (None, 86_400_000, 0)]
    {
        let (mut h, token, bearer) = hms_with_device();
        h.on_channel_close(CHANNEL);
        let mut body = message(&[&token]);
        match ttl {
            Some(ttl) => body["message"]["android"]["ttl"] = json!(ttl),
            None => drop(body["message"]["android"].as_object_mut().map(|a| a.remove("ttl"))),
        }
        assert_eq!(h.call(&send_request(DEBUG, &bearer, &body), Millis(0)).body_json()["code"], code::SUCCESS);
        drain(&mut h);
        assert_eq!(
            reconnect(&mut h, ConnId(2), "phone", Millis(back_at)).len(),
            kept,
            "ttl {ttl:?}, back at {back_at}"
        );
    }
}

#[test]
fn the_notification_tag_is_the_replace_key_and_must_be_a_string() {
    let (mut h, token, bearer) = hms_with_device();
    let mut body = message(&[&token]);
    body["message"]["android"]["notification"]["tag"] = json!("m7");
    assert_eq!(h.call(&send_request(DEBUG, &bearer, &body), Millis(0)).body_json()["code"], code::SUCCESS);
    let shown = delivered(drain(&mut h));
    assert_eq!(shown.iter().map(|n| n.replace_key.as_deref()).collect::<Vec<_>>(), [Some("m7")]);
    body["message"]["android"]["notification"]["tag"] = json!(7);
    let msg = assert_rejected(&mut h, &send_request(DEBUG, &bearer, &body), code::BAD_STRUCTURE);
    assert!(msg.contains("tag"), "{msg}");
}
