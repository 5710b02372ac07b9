//! Unit tests of the fake vivo Push and its contract (docs/vendors.md §6; vivo's
//! https://dev.vivo.com.cn/documentCenter/doc/362).

use super::*;
use crate::ids::{ConnId, ConvKey, MessageId};
use crate::push_services::{delivered, drain, reconnect, token_in, token_refusals};
use crate::push_services::{DeviceToVendor, Drive, VendorOutput, VendorToDevice, Verdict};
use crate::pushid::{PushId, Vendor};
use crate::wire::{PushConfig, PushRequest};
use contract::{auth_answer, auth_request, request, sign, verdict, Send, AUTH_PATH, SEND_PATH};

const APP: &str = "im.zego.zimsim.demo";
const DEBUG_ID: &str = "10004";
const DEBUG_KEY: &str = "vivo-debug-app-key";
const DEBUG_SECRET: &str = "vivo-debug-app-secret";
const RELEASE_ID: &str = "10005";
const RELEASE_KEY: &str = "vivo-release-app-key";
const RELEASE_SECRET: &str = "vivo-release-app-secret";
const CHANNEL: ConnId = ConnId(1);
const T0: Millis = Millis(1_000_000);

fn vivo() -> Vivo {
    let apps = [
        (DEBUG_ID.to_owned(), (DEBUG_KEY.to_owned(), DEBUG_SECRET.to_owned(), Environment::Development)),
        (RELEASE_ID.to_owned(), (RELEASE_KEY.to_owned(), RELEASE_SECRET.to_owned(), Environment::Production)),
    ];
    Vivo::new(apps.into_iter().collect(), 11)
}

fn unix(now: Millis) -> u64 {
    SIM_EPOCH_UNIX_MS + now.0
}

fn ask_token(v: &mut Vivo, req: u64, project: Option<&str>) -> Vec<VendorOutput> {
    v.on_channel_frame(
        CHANNEL,
        DeviceToVendor::RequestToken { req, app: APP.into(), project: project.map(str::to_owned) },
    );
    drain(v)
}

/// vivo with device "phone" connected on `CHANNEL`, holding a regId of the debug app, and an
/// auth token of the debug app issued at `T0`.
fn vivo_with_device() -> (Vivo, String, String) {
    let mut v = vivo();
    v.on_channel_open(CHANNEL);
    v.on_channel_frame(CHANNEL, DeviceToVendor::Hello { device: "phone".into() });
    let reg_id = token_in(&ask_token(&mut v, 1, Some(DEBUG_ID)));
    let token = authenticate(&mut v, DEBUG_ID, DEBUG_KEY, DEBUG_SECRET, T0);
    (v, reg_id, token)
}

fn authenticate(v: &mut Vivo, id: &str, key: &str, secret: &str, now: Millis) -> String {
    let resp = v.call(&auth_request(id, key, secret, unix(now)), now);
    drain(v);
    auth_answer(&resp).expect("auth succeeds").0
}

fn auth_body(now: Millis) -> Value {
    json!({
        "appId": 10004,
        "appKey": DEBUG_KEY,
        "timestamp": unix(now),
        "sign": sign(DEBUG_ID, DEBUG_KEY, unix(now), DEBUG_SECRET),
    })
}

fn post(path: &str, body: &Value) -> HttpRequest {
    HttpRequest::post(path, body.to_string().into_bytes()).header("content-type", "application/json")
}

fn message(reg_id: &str, request_id: &str) -> Value {
    json!({
        "appId": DEBUG_ID,
        "regId": reg_id,
        "notifyType": 4,
        "title": "Alice",
        "content": "hi",
        "timeToLive": 86400,
        "skipType": 1,
        "clientCustomMap": {"payload": "p"},
        "requestId": request_id,
        "pushMode": 0,
    })
}

fn send(auth_token: &str, body: &Value) -> HttpRequest {
    post(SEND_PATH, body).header("authToken", auth_token)
}

/// Sends `req` at `now`, checks the HTTP-200 answer `{"result": code, "desc"}` (and nothing
/// more unless it is 10302), and that the only output is the `Request` event naming it.
/// Returns the body.
fn assert_refused(v: &mut Vivo, req: &HttpRequest, now: Millis, code: i64) -> Value {
    let resp = v.call(req, now);
    let body = resp.body_json();
    assert_eq!((resp.status, &body["result"]), (200, &json!(code)), "{body}");
    assert!(body["desc"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
    let keys = body.as_object().expect("an object").len();
    assert_eq!(keys, if code == result::INVALID_USER { 3 } else { 2 }, "{body}");
    match drain(v).as_slice() {
        [VendorOutput::Event(VendorEvent::Request { status: 200, reason: Some(r), .. })] => {
            assert!(r.starts_with(&code.to_string()), "{r}");
        }
        other => panic!("expected only the Request event, got {other:?}"),
    }
    body
}

fn assert_field_refused(v: &mut Vivo, token: &str, body: &Value, code: i64) {
    assert_refused(v, &send(token, body), T0, code);
}

fn push_request(reg_id: &str) -> PushRequest {
    PushRequest {
        push_id: PushId::new(Vendor::Vivo, Environment::Development, reg_id),
        user_id: "bob".into(),
        message_id: MessageId(42),
        conv: std::sync::Arc::new(ConvKey::peer(&"alice".into(), &"bob".into())),
        from: std::sync::Arc::new("alice".into()),
        push: std::sync::Arc::new(PushConfig::new("Alice", "hello bob", "{\"room\":7}")),
        badge: Some(2),
    }
}

// --- tokens --------------------------------------------------------------------------------

#[test]
fn regids_are_23_digits_issued_per_known_app_id() {
    let mut v = vivo();
    v.on_channel_open(CHANNEL);
    v.on_channel_frame(CHANNEL, DeviceToVendor::Hello { device: "phone".into() });
    let refused = |req, reason: &str| VendorOutput::ToDevice {
        channel: CHANNEL,
        frame: VendorToDevice::TokenError { req, reason: reason.into() },
    };
    assert_eq!(ask_token(&mut v, 1, None), vec![refused(1, "vivo regIds need the app ID")]);
    assert_eq!(ask_token(&mut v, 2, Some("1")), vec![refused(2, "unknown vivo app ID \"1\"")]);
    let out = ask_token(&mut v, 3, Some(RELEASE_ID));
    assert!(matches!(&out[0], VendorOutput::Event(VendorEvent::TokenIssued { env: Environment::Production, .. })));
    let reg_id = token_in(&out);
    assert!(reg_id.len() == REG_ID_LEN && reg_id.bytes().all(|b| b.is_ascii_digit()), "{reg_id}");
}

// --- auth ----------------------------------------------------------------------------------

#[test]
fn auth_with_a_signed_timestamp_returns_an_auth_token_valid_for_a_day() {
    let mut v = vivo();
    let resp = v.call(&auth_request(DEBUG_ID, DEBUG_KEY, DEBUG_SECRET, unix(T0)), T0);
    let body = resp.body_json();
    assert_eq!((resp.status, &body["result"], &body["desc"]), (200, &json!(0), &json!("请求成功")));
    let token = body["authToken"].as_str().expect("authToken").to_owned();
    assert_eq!(auth_answer(&resp), Ok((token, 86_400_000)));
    assert_eq!(
        drain(&mut v),
        vec![VendorOutput::Event(VendorEvent::Request {
            env: Some(Environment::Development),
            token: None,
            status: 200,
            reason: None,
            token_refused: false,
        })]
    );
    // The numeric appId of the contract, a string appId, and timestamps 10 minutes either side.
    assert_eq!(auth_request(DEBUG_ID, DEBUG_KEY, DEBUG_SECRET, 1).body_json_for_test()["appId"], json!(10004));
    let mut as_string = auth_body(T0);
    as_string["appId"] = json!(DEBUG_ID);
    assert_eq!(v.call(&post(AUTH_PATH, &as_string), T0).body_json()["result"], json!(0));
    for ts in [unix(T0) - TIMESTAMP_WINDOW_MS, unix(T0) + TIMESTAMP_WINDOW_MS] {
        let req = auth_request(DEBUG_ID, DEBUG_KEY, DEBUG_SECRET, ts);
        assert_eq!(v.call(&req, T0).body_json()["result"], json!(0), "{ts}");
    }
}

#[test]
fn the_sign_is_the_lower_case_hex_md5_of_id_key_timestamp_and_secret() {
    assert_eq!(sign("", "", 0, ""), "cfcd208495d565ef66e7dff9f98764da"); // md5("0")
    assert_eq!(sign(" a", "b ", 0, " c "), sign("a", "b", 0, "c"), "each part is trimmed");
}

#[test]
fn each_missing_auth_field_gets_its_code() {
    let mut v = vivo();
    for (field, code) in [
        ("appId", result::APP_ID_EMPTY),
        ("appKey", result::APP_KEY_EMPTY),
        ("timestamp", result::TIMESTAMP_EMPTY),
        ("sign", result::SIGN_EMPTY),
    ] {
        let mut body = auth_body(T0);
        body.as_object_mut().expect("object").remove(field);
        assert_refused(&mut v, &post(AUTH_PATH, &body), T0, code);
    }
    let mut empty = auth_body(T0);
    empty["appId"] = json!("");
    assert_refused(&mut v, &post(AUTH_PATH, &empty), T0, result::APP_ID_EMPTY);
    let garbage = HttpRequest { body: b"appId=1".to_vec(), ..post(AUTH_PATH, &json!({})) };
    assert_refused(&mut v, &garbage, T0, result::INVALID_BODY);
}

#[test]
fn an_unknown_app_or_a_key_of_another_app_gets_10204() {
    let mut v = vivo();
    let mut unknown = auth_body(T0);
    unknown["appId"] = json!(99);
    assert_refused(&mut v, &post(AUTH_PATH, &unknown), T0, result::INVALID_APP);
    let wrong_key = auth_request(DEBUG_ID, RELEASE_KEY, DEBUG_SECRET, unix(T0));
    assert_refused(&mut v, &wrong_key, T0, result::INVALID_APP);
}

#[test]
fn a_wrong_or_upper_case_sign_gets_10205() {
    let mut v = vivo();
    let wrong = auth_request(DEBUG_ID, DEBUG_KEY, RELEASE_SECRET, unix(T0));
    assert_refused(&mut v, &wrong, T0, result::INVALID_SIGN);
    let mut upper = auth_body(T0);
    upper["sign"] = json!(upper["sign"].as_str().expect("sign").to_uppercase());
    assert_refused(&mut v, &post(AUTH_PATH, &upper), T0, result::INVALID_SIGN);
}

#[test]
fn a_timestamp_more_than_10_minutes_off_or_not_a_number_gets_10206() {
    let mut v = vivo();
    for ts in [unix(T0) - TIMESTAMP_WINDOW_MS - 1, unix(T0) + TIMESTAMP_WINDOW_MS + 1] {
        assert_refused(&mut v, &auth_request(DEBUG_ID, DEBUG_KEY, DEBUG_SECRET, ts), T0, result::INVALID_TIMESTAMP);
    }
    let mut text = auth_body(T0);
    text["timestamp"] = json!("soon");
    assert_refused(&mut v, &post(AUTH_PATH, &text), T0, result::INVALID_TIMESTAMP);
}

#[test]
fn the_eleventh_auth_call_of_an_app_in_one_second_gets_10207() {
    let mut v = vivo();
    for i in 0..AUTH_PER_SECOND as u64 {
        let now = T0.plus(i * 10);
        assert_eq!(
            v.call(&auth_request(DEBUG_ID, DEBUG_KEY, DEBUG_SECRET, unix(now)), now).body_json()["result"],
            json!(0)
        );
    }
    drain(&mut v);
    let now = T0.plus(999);
    assert_refused(&mut v, &auth_request(DEBUG_ID, DEBUG_KEY, DEBUG_SECRET, unix(now)), now, result::AUTH_RATE_LIMITED);
    // The other app has its own budget, and a second later the first has its again.
    assert!(!authenticate(&mut v, RELEASE_ID, RELEASE_KEY, RELEASE_SECRET, now).is_empty());
    let later = T0.plus(1_000);
    assert!(!authenticate(&mut v, DEBUG_ID, DEBUG_KEY, DEBUG_SECRET, later).is_empty());
}

#[test]
fn a_get_gets_http_405_and_an_unknown_path_http_404() {
    let (mut v, reg_id, token) = vivo_with_device();
    let get = HttpRequest { method: "GET".into(), ..send(&token, &message(&reg_id, "r1")) };
    let resp = v.call(&get, T0);
    assert_eq!((resp.status, resp.body.is_empty()), (405, true));
    let resp = v.call(&post("/message/all", &message(&reg_id, "r1")).header("authToken", &token), T0);
    assert_eq!(resp.status, 404);
    let reasons: Vec<Option<String>> = drain(&mut v)
        .into_iter()
        .map(|o| match o {
            VendorOutput::Event(VendorEvent::Request { reason, .. }) => reason,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(reasons, vec![Some("HTTP 405".into()), Some("HTTP 404".into())]);
}

// --- send ----------------------------------------------------------------------------------

#[test]
fn a_valid_send_returns_a_task_id_and_delivers_the_shown_fields_and_the_custom_map() {
    let (mut v, reg_id, token) = vivo_with_device();
    let body = message(&reg_id, "r1");
    let resp = v.call(&send(&token, &body), T0);
    assert_eq!((resp.status, resp.body_json()), (200, json!({"result": 0, "desc": "请求成功", "taskId": "100000001"})));
    assert_eq!(
        drain(&mut v),
        vec![
            VendorOutput::Event(VendorEvent::Notified {
                device: "phone".into(),
                id: "100000001".into(),
                stored: false
            }),
            VendorOutput::ToDevice {
                channel: CHANNEL,
                frame: VendorToDevice::Notification(DeviceNotification {
                    id: "100000001".into(),
                    app: APP.into(),
                    payload: json!({
                        "title": "Alice", "content": "hi", "notifyType": 4, "skipType": 1,
                        "clientCustomMap": {"payload": "p"},
                    }),
                    delivery: 1,
                    replace_key: None,
                }),
            },
            VendorOutput::Event(VendorEvent::Request {
                env: Some(Environment::Development),
                token: Some(reg_id.clone()),
                status: 200,
                reason: None,
                token_refused: false,
            }),
        ]
    );
}

#[test]
fn a_missing_unknown_or_expired_auth_token_gets_10000() {
    let (mut v, reg_id, token) = vivo_with_device();
    let no_header = post(SEND_PATH, &message(&reg_id, "r1"));
    assert_refused(&mut v, &no_header, T0, result::INVALID_AUTH_TOKEN);
    assert_refused(&mut v, &send("made-up", &message(&reg_id, "r1")), T0, result::INVALID_AUTH_TOKEN);
    let last = T0.plus(TOKEN_LIFETIME_MS - 1);
    assert_eq!(v.call(&send(&token, &message(&reg_id, "r1")), last).body_json()["result"], json!(0));
    drain(&mut v);
    let expired = T0.plus(TOKEN_LIFETIME_MS);
    assert_refused(&mut v, &send(&token, &message(&reg_id, "r2")), expired, result::INVALID_AUTH_TOKEN);
}

#[test]
fn a_body_app_id_other_than_the_tokens_or_none_gets_10094() {
    let (mut v, reg_id, token) = vivo_with_device();
    let mut other = message(&reg_id, "r1");
    other["appId"] = json!(RELEASE_ID);
    assert_refused(&mut v, &send(&token, &other), T0, result::APP_ID_MISMATCH);
    other.as_object_mut().expect("object").remove("appId");
    assert_refused(&mut v, &send(&token, &other), T0, result::APP_ID_MISMATCH);
    let mut numeric = message(&reg_id, "r1");
    numeric["appId"] = json!(10004);
    assert_eq!(v.call(&send(&token, &numeric), T0).body_json()["result"], json!(0));
}

#[test]
fn a_missing_or_over_64_character_request_id_gets_10065() {
    let (mut v, reg_id, token) = vivo_with_device();
    let mut body = message(&reg_id, "r1");
    body.as_object_mut().expect("object").remove("requestId");
    assert_refused(&mut v, &send(&token, &body), T0, result::INVALID_REQUEST_ID);
    assert_field_refused(
        &mut v,
        &token,
        &message(&reg_id, &"r".repeat(MAX_REQUEST_ID + 1)),
        result::INVALID_REQUEST_ID,
    );
    let at_limit = message(&reg_id, &"r".repeat(MAX_REQUEST_ID));
    assert_eq!(v.call(&send(&token, &at_limit), T0).body_json()["result"], json!(0));
}

#[test]
fn a_body_that_is_not_a_json_object_gets_10067() {
    let (mut v, _, token) = vivo_with_device();
    assert_refused(&mut v, &send(&token, &json!([1, 2])), T0, result::INVALID_BODY);
}

#[test]
fn a_duplicate_request_id_answers_the_first_task_id_without_a_second_delivery() {
    let (mut v, reg_id, token) = vivo_with_device();
    let first = v.call(&send(&token, &message(&reg_id, "dup")), T0).body_json();
    assert_eq!(delivered(drain(&mut v)).len(), 1);
    // Even with another body and after a new auth token.
    let token2 = authenticate(&mut v, DEBUG_ID, DEBUG_KEY, DEBUG_SECRET, T0.plus(1));
    let mut changed = message(&reg_id, "dup");
    changed["title"] = json!("Other");
    let again = v.call(&send(&token2, &changed), T0.plus(2)).body_json();
    assert_eq!(again, first);
    assert_eq!(
        drain(&mut v),
        vec![VendorOutput::Event(VendorEvent::Request {
            env: Some(Environment::Development),
            token: Some(reg_id.clone()),
            status: 200,
            reason: None,
            token_refused: false,
        })]
    );
    // A refused send is not remembered: its requestId may be retried.
    let mut bad = message(&reg_id, "retry");
    bad["title"] = json!("");
    assert_field_refused(&mut v, &token, &bad, result::INVALID_TITLE);
    assert_eq!(v.call(&send(&token, &message(&reg_id, "retry")), T0).body_json()["taskId"], json!("100000002"));
}

#[test]
fn a_missing_reg_id_gets_10050() {
    let (mut v, reg_id, token) = vivo_with_device();
    let mut body = message(&reg_id, "r1");
    body.as_object_mut().expect("object").remove("regId");
    body["alias"] = json!("bob");
    assert_field_refused(&mut v, &token, &body, result::MISSING_REG_ID);
}

#[test]
fn each_bad_field_gets_its_code() {
    let (mut v, reg_id, token) = vivo_with_device();
    let cases: Vec<(&str, Value, i64)> = vec![
        ("notifyType", json!(0), result::INVALID_NOTIFY_TYPE),
        ("notifyType", json!(5), result::INVALID_NOTIFY_TYPE),
        ("notifyType", Value::Null, result::INVALID_NOTIFY_TYPE),
        ("title", json!(""), result::INVALID_TITLE),
        ("title", json!("t".repeat(MAX_TITLE + 1)), result::INVALID_TITLE),
        ("title", json!("标".repeat(MAX_TITLE / 2 + 1)), result::INVALID_TITLE),
        ("content", json!(""), result::INVALID_CONTENT),
        ("content", json!("c".repeat(MAX_CONTENT + 1)), result::INVALID_CONTENT),
        ("content", json!("内".repeat(MAX_CONTENT / 2 + 1)), result::INVALID_CONTENT),
        ("timeToLive", json!(MIN_TTL_S - 1), result::INVALID_TTL),
        ("timeToLive", json!(MAX_TTL_S + 1), result::INVALID_TTL),
        ("timeToLive", json!("1d"), result::INVALID_TTL),
        ("skipType", json!(5), result::INVALID_SKIP),
        ("skipType", json!(2), result::INVALID_SKIP), // a URL needs skipContent
        ("skipContent", json!(7), result::INVALID_SKIP),
        ("clientCustomMap", json!({"a": 1}), result::INVALID_CUSTOM_MAP),
        ("clientCustomMap", json!("payload"), result::INVALID_CUSTOM_MAP),
        ("pushMode", json!(2), result::INVALID_PUSH_MODE),
    ];
    for (field, value, code) in cases {
        let mut body = message(&reg_id, "r1");
        body[field] = value.clone();
        let resp = v.call(&send(&token, &body), T0);
        assert_eq!(resp.body_json()["result"], json!(code), "{field} = {value}");
        drain(&mut v);
    }
}

#[test]
fn limits_count_cjk_as_two_and_emoji_as_one_and_hold_at_their_edges() {
    assert_eq!((width("ab"), width("标题"), width("😀")), (2, 4, 1));
    let (mut v, reg_id, token) = vivo_with_device();
    let mut body = message(&reg_id, "edges");
    body["title"] = json!("标".repeat(MAX_TITLE / 2));
    body["content"] = json!("😀".repeat(MAX_CONTENT));
    body["timeToLive"] = json!(MIN_TTL_S);
    body["skipType"] = json!(2);
    body["skipContent"] = json!("u".repeat(MAX_SKIP_URL));
    assert_eq!(v.call(&send(&token, &body), T0).body_json()["result"], json!(0));
    drain(&mut v);
    let mut over = message(&reg_id, "url");
    over["skipType"] = json!(2);
    over["skipContent"] = json!("u".repeat(MAX_SKIP_URL + 1));
    assert_field_refused(&mut v, &token, &over, result::INVALID_SKIP);
}

#[test]
fn a_custom_map_over_10_pairs_or_1024_characters_gets_10060() {
    let (mut v, reg_id, token) = vivo_with_device();
    let pairs = |n: usize| Value::Object((0..n).map(|i| (format!("k{i}"), json!("v"))).collect());
    let mut body = message(&reg_id, "r1");
    body["clientCustomMap"] = pairs(MAX_CUSTOM_PAIRS + 1);
    assert_field_refused(&mut v, &token, &body, result::INVALID_CUSTOM_MAP);
    body["clientCustomMap"] = json!({"k": "v".repeat(MAX_CUSTOM_CHARS)});
    assert_field_refused(&mut v, &token, &body, result::INVALID_CUSTOM_MAP);
    body["clientCustomMap"] = json!({"k": "v".repeat(MAX_CUSTOM_CHARS - 1)});
    assert_eq!(v.call(&send(&token, &body), T0).body_json()["result"], json!(0));
    drain(&mut v);
    let mut ten = message(&reg_id, "r2");
    ten["clientCustomMap"] = pairs(MAX_CUSTOM_PAIRS);
    assert_eq!(v.call(&send(&token, &ten), T0).body_json()["result"], json!(0));
}

#[test]
fn an_unknown_reg_id_gets_10302_status_1() {
    let (mut v, _, token) = vivo_with_device();
    let unknown = "12345678901234567890123";
    let body = assert_refused(&mut v, &send(&token, &message(unknown, "r1")), T0, result::INVALID_USER);
    assert_eq!(body["invalidUser"], json!({"status": 1, "userid": unknown}));
}

#[test]
fn a_revoked_reg_id_gets_10302_status_2() {
    let (mut v, reg_id, token) = vivo_with_device();
    v.on_channel_frame(CHANNEL, DeviceToVendor::Revoke { app: APP.into(), project: Some(DEBUG_ID.into()) });
    drain(&mut v);
    let body = assert_refused(&mut v, &send(&token, &message(&reg_id, "r1")), T0, result::INVALID_USER);
    assert_eq!(body["invalidUser"], json!({"status": 2, "userid": reg_id}));
}

#[test]
fn a_debug_reg_id_sent_with_the_release_app_gets_10302_status_1() {
    let (mut v, debug_reg_id, _) = vivo_with_device();
    let release = authenticate(&mut v, RELEASE_ID, RELEASE_KEY, RELEASE_SECRET, T0);
    let mut body = message(&debug_reg_id, "r1");
    body["appId"] = json!(RELEASE_ID);
    let answer = assert_refused(&mut v, &send(&release, &body), T0, result::INVALID_USER);
    assert_eq!(answer["invalidUser"]["status"], json!(1));
}

#[test]
fn a_test_push_gets_10302_status_4_as_the_fake_has_no_test_devices() {
    let (mut v, reg_id, token) = vivo_with_device();
    let mut body = message(&reg_id, "r1");
    body["pushMode"] = json!(1);
    let answer = assert_refused(&mut v, &send(&token, &body), T0, result::INVALID_USER);
    assert_eq!(answer["invalidUser"]["status"], json!(4));
}

#[test]
fn a_send_to_a_revoked_reg_id_is_recorded_as_refused_for_the_token_only_when_the_token_is_why() {
    let (mut v, reg_id, token) = vivo_with_device();
    // A test push to a live regId is refused (10302 status 4), but not for the regId.
    let mut test_push = message(&reg_id, "r0");
    test_push["pushMode"] = json!(1);
    assert_eq!(token_refusals(&mut v, &send(&token, &test_push), T0), [false]);
    v.on_channel_frame(CHANNEL, DeviceToVendor::Revoke { app: APP.into(), project: Some(DEBUG_ID.into()) });
    drain(&mut v);
    assert_eq!(token_refusals(&mut v, &send("not-a-token", &message(&reg_id, "r1")), T0), [false]);
    let mut no_title = message(&reg_id, "r2");
    no_title["title"] = json!("");
    assert_eq!(token_refusals(&mut v, &send(&token, &no_title), T0), [false]);
    // Unsubscribed (status 2), and unknown (status 1).
    assert_eq!(token_refusals(&mut v, &send(&token, &message(&reg_id, "r3")), T0), [true]);
    assert_eq!(token_refusals(&mut v, &send(&token, &message("12345678901234567890123", "r4")), T0), [true]);
}

#[test]
fn the_daily_quota_answers_10070_until_the_next_day() {
    let (v, reg_id, token) = vivo_with_device();
    let mut v = v.with_daily_quota(1);
    assert_eq!(v.call(&send(&token, &message(&reg_id, "r1")), T0).body_json()["result"], json!(0));
    drain(&mut v);
    assert_refused(&mut v, &send(&token, &message(&reg_id, "r2")), T0, result::DAILY_QUOTA);
    // A replay of the accepted send is still answered.
    assert_eq!(v.call(&send(&token, &message(&reg_id, "r1")), T0).body_json()["result"], json!(0));
    let next_day = Millis(DAY_MS);
    let fresh = authenticate(&mut v, DEBUG_ID, DEBUG_KEY, DEBUG_SECRET, next_day);
    assert_eq!(v.call(&send(&fresh, &message(&reg_id, "r2")), next_day).body_json()["result"], json!(0));
}

// --- contract ------------------------------------------------------------------------------

#[test]
fn the_contract_request_is_accepted_and_decodes_back_to_the_push() {
    let (mut v, reg_id, token) = vivo_with_device();
    let push = push_request(&reg_id);
    let req =
        request(&Send { push: &push, app_id: DEBUG_ID, auth_token: &token, request_id: "push-42".into(), ttl_s: 3600 });
    let resp = v.call(&req, T0);
    assert_eq!(verdict(&resp), Verdict::Delivered, "{}", resp.body_json());
    let notes = delivered(drain(&mut v));
    let [n] = notes.as_slice() else { panic!("one delivery: {notes:?}") };
    assert_eq!(n.app, APP);
    let decoded = crate::push_services::decode(Vendor::Vivo, &n.payload).expect("a vivo notification");
    assert_eq!(
        (decoded.title.as_str(), decoded.content.as_str(), decoded.payload.as_str()),
        ("Alice", "hello bob", "{\"room\":7}")
    );
    assert_eq!(
        (decoded.message_id, decoded.to_user.as_ref().map(|u| u.as_str()), decoded.badge),
        (Some(MessageId(42)), Some("bob"), None)
    );
    // The relay's retry with the same requestId delivers nothing more.
    assert_eq!(v.call(&req, T0.plus(1_000)).body_json(), resp.body_json());
    assert!(delivered(drain(&mut v)).is_empty());
}

#[test]
fn the_contract_cuts_texts_to_vivo_widths_and_keeps_the_ttl_in_range() {
    let mut push = push_request("r");
    std::sync::Arc::make_mut(&mut push.push).title = "标".repeat(30);
    std::sync::Arc::make_mut(&mut push.push).content = "c".repeat(150);
    let build = |ttl_s| request(&Send { push: &push, app_id: "app", auth_token: "t", request_id: "q".into(), ttl_s });
    let req = build(1);
    assert_eq!((req.path.as_str(), req.get("authtoken")), (SEND_PATH, Some("t")));
    let body = req.body_json_for_test();
    assert_eq!(body["title"], json!("标".repeat(MAX_TITLE / 2)));
    assert_eq!(body["content"], json!("c".repeat(MAX_CONTENT)));
    assert_eq!(
        (&body["timeToLive"], &body["appId"], &body["requestId"]),
        (&json!(MIN_TTL_S), &json!("app"), &json!("q"))
    );
    assert_eq!(build(30 * 86_400).body_json_for_test()["timeToLive"], json!(MAX_TTL_S));
    assert!(body["clientCustomMap"].as_object().expect("map").values().all(Value::is_string));
}

#[test]
fn the_auth_answer_of_a_failure_names_the_result() {
    let mut v = vivo();
    let resp = v.call(&auth_request(DEBUG_ID, DEBUG_KEY, "wrong", unix(T0)), T0);
    assert_eq!(auth_answer(&resp), Err("10205".into()));
    assert_eq!(auth_answer(&HttpResponse::new(500)), Err("HTTP 500".into()));
    let no_token = HttpResponse::json(200, &json!({"result": 0, "desc": "请求成功"}));
    assert_eq!(auth_answer(&no_token), Err("auth answer without authToken".into()));
}

#[test]
fn verdict_classifies_every_result() {
    let with = |body: Value| verdict(&HttpResponse::json(200, &body));
    let user = |status: u64| json!({"result": 10302, "desc": "x", "invalidUser": {"status": status, "userid": "1"}});
    assert_eq!(with(json!({"result": 0, "desc": "请求成功", "taskId": "1"})), Verdict::Delivered);
    for s in [1, 2, 3] {
        assert_eq!(with(user(s)), Verdict::DeadToken { reason: format!("10302 status {s}") });
    }
    assert_eq!(with(user(4)), Verdict::Failed { reason: "10302 status 4".into() });
    assert_eq!(with(json!({"result": 10302, "desc": "x"})), Verdict::DeadToken { reason: "10302".into() });
    assert_eq!(with(json!({"result": 10000, "desc": "x"})), Verdict::Reauth { reason: "10000".into() });
    for code in [10050, 10055, 10056, 10057, 10058, 10059, 10060, 10065, 10066, 10067, 10070, 10094, 10200] {
        assert_eq!(with(json!({"result": code, "desc": "x"})), Verdict::Failed { reason: code.to_string() }, "{code}");
    }
    let busy = HttpResponse { body: b"Internet server error!".to_vec(), ..HttpResponse::new(500) };
    assert_eq!(verdict(&busy), Verdict::Retry { reason: "HTTP 500".into(), after_ms: None });
    assert_eq!(verdict(&HttpResponse::new(405)), Verdict::Failed { reason: "HTTP 405".into() });
}

#[test]
fn verdict_reads_the_fakes_own_answers() {
    let (mut v, reg_id, token) = vivo_with_device();
    let dead = v.call(&send(&token, &message("12345678901234567890123", "a")), T0);
    assert_eq!(verdict(&dead), Verdict::DeadToken { reason: "10302 status 1".into() });
    let reauth = v.call(&send(&token, &message(&reg_id, "b")), T0.plus(TOKEN_LIFETIME_MS));
    assert_eq!(verdict(&reauth), Verdict::Reauth { reason: "10000".into() });
    let mut other = message(&reg_id, "c");
    other["appId"] = json!(RELEASE_ID);
    assert_eq!(verdict(&v.call(&send(&token, &other), T0)), Verdict::Failed { reason: "10094".into() });
}

/// Test-only: a request body as JSON.
trait BodyJson {
    fn body_json_for_test(&self) -> Value;
}

impl BodyJson for HttpRequest {
    fn body_json_for_test(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[test]
fn a_stored_message_lives_for_its_time_to_live_and_a_day_without_one() {
    for (ttl, back_after_ms, kept) in
        [(Some(60), 59_999, 1), (Some(60), 60_000, 0), (None, 86_399_999, 1), (None, 86_400_000, 0)]
    {
        let (mut v, reg_id, token) = vivo_with_device();
        v.on_channel_close(CHANNEL);
        let mut body = message(&reg_id, "r1");
        match ttl {
            Some(ttl) => body["timeToLive"] = json!(ttl),
            None => drop(body.as_object_mut().map(|b| b.remove("timeToLive"))),
        }
        assert_eq!(v.call(&send(&token, &body), T0).body_json()["result"], json!(0));
        drain(&mut v);
        let back = reconnect(&mut v, ConnId(2), "phone", T0.plus(back_after_ms));
        assert_eq!(back.len(), kept, "ttl {ttl:?}, back after {back_after_ms} ms");
    }
}
