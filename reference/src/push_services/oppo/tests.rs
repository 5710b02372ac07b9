//! Unit tests of the fake OPPO Push and its contract (docs/vendors.md §5; OPPO's
//! https://open.oppomobile.com/new/developmentDoc/info?id=11234 and ?id=11238).

use super::*;
use crate::ids::{ConnId, ConvKey, MessageId};
use crate::push_services::{drain, reconnect, token_in, token_refusals};
use crate::push_services::{DeviceToVendor, Drive, VendorOutput, VendorToDevice, Verdict};
use crate::pushid::{PushId, Vendor};
use crate::wire::{PushConfig, PushRequest};
use contract::{auth_answer, auth_request, request, sign, verdict, Send};

const APP: &str = "im.zego.zimsim.demo";
const DEBUG_KEY: &str = "oppo-debug-key";
const DEBUG_SECRET: &str = "oppo-debug-master-secret";
const RELEASE_KEY: &str = "oppo-release-key";
const RELEASE_SECRET: &str = "oppo-release-master-secret";
const CHANNEL: ConnId = ConnId(1);
const T0: Millis = Millis(1_000_000);

fn oppo() -> Oppo {
    let apps = [
        (DEBUG_KEY.to_owned(), (DEBUG_SECRET.to_owned(), Environment::Development)),
        (RELEASE_KEY.to_owned(), (RELEASE_SECRET.to_owned(), Environment::Production)),
    ];
    Oppo::new(apps.into_iter().collect(), 7)
}

fn unix(now: Millis) -> u64 {
    SIM_EPOCH_UNIX_MS + now.0
}

fn ask_token(o: &mut Oppo, req: u64, project: Option<&str>) -> Vec<VendorOutput> {
    o.on_channel_frame(
        CHANNEL,
        DeviceToVendor::RequestToken { req, app: APP.into(), project: project.map(str::to_owned) },
    );
    drain(o)
}

/// OPPO with device "phone" connected on `CHANNEL`, holding a regId of the debug app, and
/// an auth token of the debug app issued at `T0`.
fn oppo_with_device() -> (Oppo, String, String) {
    let mut o = oppo();
    o.on_channel_open(CHANNEL);
    o.on_channel_frame(CHANNEL, DeviceToVendor::Hello { device: "phone".into() });
    let reg_id = token_in(&ask_token(&mut o, 1, Some(DEBUG_KEY)));
    let token = authenticate(&mut o, DEBUG_KEY, DEBUG_SECRET, T0);
    (o, reg_id, token)
}

fn authenticate(o: &mut Oppo, key: &str, secret: &str, now: Millis) -> String {
    let resp = o.call(&auth_request(key, secret, unix(now)), now);
    drain(o);
    auth_answer(&resp).expect("auth succeeds").0
}

fn form(path: &str, pairs: &[(&str, &str)]) -> HttpRequest {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    HttpRequest::post(path, s.finish().into_bytes()).header("content-type", "application/x-www-form-urlencoded")
}

fn message(reg_id: &str) -> Value {
    json!({
        "target_type": 2,
        "target_value": reg_id,
        "notification": {
            "title": "Alice",
            "content": "hi",
            "click_action_type": 0,
            "action_parameters": "{\"payload\":\"p\"}",
            "off_line": true,
            "off_line_ttl": 86400,
        },
    })
}

fn unicast(auth_token: &str, message: &Value) -> HttpRequest {
    form(UNICAST_PATH, &[("message", &message.to_string()), ("auth_token", auth_token)])
}

fn auth_form(key: &str, timestamp: &str, sign: &str) -> HttpRequest {
    form(AUTH_PATH, &[("app_key", key), ("timestamp", timestamp), ("sign", sign)])
}

/// Sends `req` at `now`, checks the HTTP-200 error answer with `code` and no `data`, and that
/// the only output is the `Request` event with the same code. Returns the answer's message.
fn assert_rejected(o: &mut Oppo, req: &HttpRequest, now: Millis, code: i64) -> String {
    let resp = o.call(req, now);
    let body = resp.body_json();
    assert_eq!((resp.status, &body["code"]), (200, &json!(code)), "{body}");
    assert_eq!(body.get("data"), None, "{body}");
    match drain(o).as_slice() {
        [VendorOutput::Event(VendorEvent::Request { status: 200, reason: Some(r), .. })] => {
            assert!(r.starts_with(&format!("{code} ")), "{r}");
        }
        other => panic!("expected only the Request event, got {other:?}"),
    }
    body["message"].as_str().expect("message").to_owned()
}

fn assert_invalid_argument(o: &mut Oppo, token: &str, message: &Value, says: &str) {
    let m = assert_rejected(o, &unicast(token, message), T0, code::INVALID_ARGUMENTS);
    assert!(m.starts_with("Invalid Arguments: ") && m.contains(says), "{m}");
}

fn assert_missing_argument(o: &mut Oppo, token: &str, message: &Value, field: &str) {
    let m = assert_rejected(o, &unicast(token, message), T0, code::MISSING_ARGUMENTS);
    assert_eq!(m, format!("Missing Required Arguments: {field}"));
}

fn push_request(reg_id: &str) -> PushRequest {
    PushRequest {
        push_id: PushId::new(Vendor::Oppo, Environment::Development, reg_id),
        user_id: "bob".into(),
        message_id: MessageId(42),
        conv: std::sync::Arc::new(ConvKey::peer(&"alice".into(), &"bob".into())),
        from: std::sync::Arc::new("alice".into()),
        push: std::sync::Arc::new(PushConfig::new("Alice", "hello bob", "{\"room\":7}")),
        badge: Some(3),
    }
}

fn ok_response(body: Value) -> HttpResponse {
    HttpResponse::json(200, &body)
}

// --- tokens --------------------------------------------------------------------------------

#[test]
fn regids_are_issued_per_known_app_key_in_oppo_format() {
    let mut o = oppo();
    o.on_channel_open(CHANNEL);
    o.on_channel_frame(CHANNEL, DeviceToVendor::Hello { device: "phone".into() });
    let refused = |req, reason: &str| VendorOutput::ToDevice {
        channel: CHANNEL,
        frame: VendorToDevice::TokenError { req, reason: reason.into() },
    };
    assert_eq!(ask_token(&mut o, 1, None), vec![refused(1, "OPPO regIds need the app key")]);
    assert_eq!(ask_token(&mut o, 2, Some("nope")), vec![refused(2, "unknown OPPO app key \"nope\"")]);
    let out = ask_token(&mut o, 3, Some(RELEASE_KEY));
    let reg_id = token_in(&out);
    assert!(matches!(&out[0], VendorOutput::Event(VendorEvent::TokenIssued { env: Environment::Production, .. })));
    let hex = reg_id.strip_prefix("CN_").expect("CN_ prefix");
    assert!(hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{reg_id}");
    assert_ne!(token_in(&ask_token(&mut o, 4, Some(DEBUG_KEY))), reg_id);
}

// --- auth ----------------------------------------------------------------------------------

#[test]
fn auth_with_a_fresh_signed_timestamp_returns_a_token_and_its_creation_time() {
    let mut o = oppo();
    let resp = o.call(&auth_request(DEBUG_KEY, DEBUG_SECRET, unix(T0)), T0);
    let body = resp.body_json();
    assert_eq!((resp.status, &body["code"], &body["message"]), (200, &json!(0), &json!("Success")));
    assert_eq!(body["data"]["create_time"], json!(unix(T0)));
    let token = body["data"]["auth_token"].as_str().expect("auth_token").to_owned();
    assert_eq!(auth_answer(&resp), Ok((token, 24 * 3_600_000)));
    assert_eq!(
        drain(&mut o),
        vec![VendorOutput::Event(VendorEvent::Request {
            env: Some(Environment::Development),
            token: None,
            status: 200,
            reason: None,
            token_refused: false,
        })]
    );
    // A timestamp exactly 10 minutes old is still fresh.
    let ten_min = auth_request(RELEASE_KEY, RELEASE_SECRET, unix(T0) - TIMESTAMP_WINDOW_MS);
    assert_eq!(o.call(&ten_min, T0).body_json()["code"], json!(0));
}

#[test]
fn the_sign_is_the_lower_case_hex_sha256_of_key_timestamp_and_secret() {
    // sha256("abc") = ba7816bf...
    assert_eq!(sign("a", "b", "c"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

#[test]
fn auth_without_or_with_an_unknown_app_key_gets_15_or_14() {
    let mut o = oppo();
    let ts = unix(T0).to_string();
    let good = sign(DEBUG_KEY, &ts, DEBUG_SECRET);
    let m = assert_rejected(&mut o, &auth_form("", &ts, &good), T0, code::MISSING_APP_KEY);
    assert_eq!(m, "Missing App Key");
    let no_key = form(AUTH_PATH, &[("timestamp", &ts), ("sign", &good)]);
    assert_rejected(&mut o, &no_key, T0, code::MISSING_APP_KEY);
    let m = assert_rejected(&mut o, &auth_form("other", &ts, &good), T0, code::INVALID_APP_KEY);
    assert_eq!(m, "Invalid App Key");
}

#[test]
fn auth_without_or_with_a_bad_sign_gets_17_or_16() {
    let mut o = oppo();
    let ts = unix(T0).to_string();
    let m = assert_rejected(&mut o, &auth_form(DEBUG_KEY, &ts, ""), T0, code::MISSING_SIGN);
    assert_eq!(m, "Missing Signature");
    let m = assert_rejected(&mut o, &auth_form(DEBUG_KEY, &ts, &"0".repeat(64)), T0, code::INVALID_SIGN);
    assert_eq!(m, "Invalid Signature");
    // Signed with the other app's secret.
    let wrong = auth_request(DEBUG_KEY, RELEASE_SECRET, unix(T0));
    assert_rejected(&mut o, &wrong, T0, code::INVALID_SIGN);
}

#[test]
fn auth_without_or_with_a_stale_future_or_malformed_timestamp_gets_18_or_19() {
    let mut o = oppo();
    let m = assert_rejected(&mut o, &auth_form(DEBUG_KEY, "", "x"), T0, code::MISSING_TIMESTAMP);
    assert_eq!(m, "Missing Timestamp");
    let stale = auth_request(DEBUG_KEY, DEBUG_SECRET, unix(T0) - TIMESTAMP_WINDOW_MS - 1);
    assert_eq!(assert_rejected(&mut o, &stale, T0, code::INVALID_TIMESTAMP), "Invalid Timestamp");
    let future = auth_request(DEBUG_KEY, DEBUG_SECRET, unix(T0) + 1);
    assert_rejected(&mut o, &future, T0, code::INVALID_TIMESTAMP);
    let seconds = (unix(T0) / 1000).to_string();
    let sign_s = sign(DEBUG_KEY, &seconds, DEBUG_SECRET);
    assert_rejected(&mut o, &auth_form(DEBUG_KEY, &seconds, &sign_s), T0, code::INVALID_TIMESTAMP);
    assert_rejected(&mut o, &auth_form(DEBUG_KEY, "17672256000xx", "x"), T0, code::INVALID_TIMESTAMP);
}

#[test]
fn a_get_gets_12_and_an_unknown_path_gets_20() {
    let (mut o, reg_id, token) = oppo_with_device();
    let get = HttpRequest { method: "GET".into(), ..unicast(&token, &message(&reg_id)) };
    assert_eq!(assert_rejected(&mut o, &get, T0, code::METHOD_NOT_ALLOWED), "Http Action Not Allowed");
    let other = HttpRequest { path: "/server/v1/message/notification/broadcast".into(), ..get };
    let other = HttpRequest { method: "POST".into(), ..other };
    assert_eq!(assert_rejected(&mut o, &other, T0, code::INVALID_METHOD), "Invalid Method");
}

// --- unicast -------------------------------------------------------------------------------

#[test]
fn a_valid_unicast_returns_a_message_id_and_delivers_the_notification_object() {
    let (mut o, reg_id, token) = oppo_with_device();
    let m = message(&reg_id);
    let resp = o.call(&unicast(&token, &m), T0);
    let id = format!("{:024x}", 1);
    assert_eq!(
        (resp.status, resp.body_json()),
        (200, json!({"code": 0, "message": "Success", "data": {"messageId": id}}))
    );
    assert_eq!(
        drain(&mut o),
        vec![
            VendorOutput::Event(VendorEvent::Notified { device: "phone".into(), id: id.clone(), stored: false }),
            VendorOutput::ToDevice {
                channel: CHANNEL,
                frame: VendorToDevice::Notification(DeviceNotification {
                    id: id.clone(),
                    app: APP.into(),
                    payload: m["notification"].clone(),
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
    let second = o.call(&unicast(&token, &m), T0).body_json();
    assert_eq!(second["data"]["messageId"], json!(format!("{:024x}", 2)));
}

#[test]
fn a_unicast_without_an_auth_token_gets_29() {
    let (mut o, reg_id, _) = oppo_with_device();
    let req = form(UNICAST_PATH, &[("message", &message(&reg_id).to_string())]);
    assert_eq!(assert_rejected(&mut o, &req, T0, code::MISSING_AUTH_TOKEN), "Missing Auth Token");
    assert_rejected(&mut o, &unicast("", &message(&reg_id)), T0, code::MISSING_AUTH_TOKEN);
}

#[test]
fn an_unknown_or_expired_auth_token_gets_11() {
    let (mut o, reg_id, token) = oppo_with_device();
    let m = assert_rejected(&mut o, &unicast("made-up", &message(&reg_id)), T0, code::INVALID_AUTH_TOKEN);
    assert_eq!(m, "Invalid AuthToken");
    let last = T0.plus(TOKEN_LIFETIME_MS - 1);
    assert_eq!(o.call(&unicast(&token, &message(&reg_id)), last).body_json()["code"], json!(0));
    drain(&mut o);
    let expired = T0.plus(TOKEN_LIFETIME_MS);
    assert_rejected(&mut o, &unicast(&token, &message(&reg_id)), expired, code::INVALID_AUTH_TOKEN);
}

#[test]
fn a_unicast_without_message_or_with_one_that_is_not_an_object_gets_40_or_41() {
    let (mut o, _, token) = oppo_with_device();
    let req = form(UNICAST_PATH, &[("auth_token", &token)]);
    assert_eq!(assert_rejected(&mut o, &req, T0, code::MISSING_ARGUMENTS), "Missing Required Arguments: message");
    let req = form(UNICAST_PATH, &[("auth_token", &token), ("message", "[1]")]);
    assert_eq!(
        assert_rejected(&mut o, &req, T0, code::INVALID_ARGUMENTS),
        "Invalid Arguments: message is not a JSON object"
    );
}

#[test]
fn each_missing_required_field_gets_40_naming_it() {
    let (mut o, reg_id, token) = oppo_with_device();
    for (path, field) in [
        ("/target_type", "target_type"),
        ("/target_value", "target_value"),
        ("/notification", "notification"),
        ("/notification/title", "notification.title"),
        ("/notification/content", "notification.content"),
    ] {
        let mut m = message(&reg_id);
        let (parent, key) = path.rsplit_once('/').expect("a path");
        m.pointer_mut(if parent.is_empty() { "" } else { parent })
            .and_then(Value::as_object_mut)
            .expect("parent object")
            .remove(key);
        assert_missing_argument(&mut o, &token, &m, field);
    }
    let mut empty = message(&reg_id);
    empty["notification"]["title"] = json!("");
    assert_missing_argument(&mut o, &token, &empty, "notification.title");
}

#[test]
fn an_alias_target_or_a_bad_field_type_gets_41() {
    let (mut o, reg_id, token) = oppo_with_device();
    let mut alias = message(&reg_id);
    alias["target_type"] = json!(5);
    assert_invalid_argument(&mut o, &token, &alias, "only 2 (registration_id)");
    for (field, value, says) in [
        ("click_action_type", json!(3), "click_action_type must be 0, 1, 2, 4 or 5"),
        ("style", json!(4), "style must be 1, 2 or 3"),
        ("off_line", json!("yes"), "off_line must be a boolean"),
        ("off_line_ttl", json!(-1), "off_line_ttl must be a number"),
        ("action_parameters", json!({"payload": "p"}), "action_parameters must be a string"),
        ("action_parameters", json!("not json"), "action_parameters must be a JSON object"),
    ] {
        let mut m = message(&reg_id);
        m["notification"][field] = value;
        assert_invalid_argument(&mut o, &token, &m, says);
    }
}

#[test]
fn a_title_over_50_characters_gets_41_counting_every_character_as_one() {
    let (mut o, reg_id, token) = oppo_with_device();
    let mut m = message(&reg_id);
    m["notification"]["title"] = json!("标".repeat(MAX_TITLE + 1));
    assert_invalid_argument(&mut o, &token, &m, "title is over 50 characters");
    m["notification"]["title"] = json!("标".repeat(MAX_TITLE));
    assert_eq!(o.call(&unicast(&token, &m), T0).body_json()["code"], json!(0));
}

#[test]
fn content_is_limited_to_50_characters_or_128_in_the_long_text_style() {
    let (mut o, reg_id, token) = oppo_with_device();
    let mut m = message(&reg_id);
    m["notification"]["content"] = json!("c".repeat(MAX_CONTENT + 1));
    assert_invalid_argument(&mut o, &token, &m, "content is over 50 characters");
    m["notification"]["style"] = json!(2);
    assert_eq!(o.call(&unicast(&token, &m), T0).body_json()["code"], json!(0));
    drain(&mut o);
    m["notification"]["content"] = json!("c".repeat(MAX_LONG_CONTENT + 1));
    assert_invalid_argument(&mut o, &token, &m, "content is over 128 characters");
}

#[test]
fn a_sub_title_over_10_or_action_parameters_over_4000_characters_gets_41() {
    let (mut o, reg_id, token) = oppo_with_device();
    let mut m = message(&reg_id);
    m["notification"]["sub_title"] = json!("s".repeat(MAX_SUB_TITLE + 1));
    assert_invalid_argument(&mut o, &token, &m, "sub_title must be a string of at most 10 characters");
    let mut m = message(&reg_id);
    let long = json!({"payload": "p".repeat(MAX_ACTION_PARAMETERS)}).to_string();
    m["notification"]["action_parameters"] = json!(long);
    assert_invalid_argument(&mut o, &token, &m, "action_parameters must be a string of at most 4000 characters");
}

#[test]
fn an_offline_ttl_over_10_days_is_accepted_as_oppo_takes_it_as_10_days() {
    let (mut o, reg_id, token) = oppo_with_device();
    let mut m = message(&reg_id);
    m["notification"]["off_line_ttl"] = json!(MAX_OFFLINE_TTL_S * 3);
    assert_eq!(o.call(&unicast(&token, &m), T0).body_json()["code"], json!(0));
}

#[test]
fn an_unknown_regid_gets_10000() {
    let (mut o, _, token) = oppo_with_device();
    let m = assert_rejected(&mut o, &unicast(&token, &message("CN_0123456789abcdef0123456789abcdef")), T0, 10000);
    assert_eq!(m, "Invalid RegistrationId");
}

#[test]
fn a_revoked_or_refreshed_regid_gets_10000() {
    let (mut o, reg_id, token) = oppo_with_device();
    o.on_channel_frame(CHANNEL, DeviceToVendor::Revoke { app: APP.into(), project: Some(DEBUG_KEY.into()) });
    assert!(drain(&mut o).iter().any(|e| matches!(e, VendorOutput::Event(VendorEvent::TokenRevoked { .. }))));
    assert_rejected(&mut o, &unicast(&token, &message(&reg_id)), T0, code::INVALID_REGISTRATION_ID);

    let fresh = token_in(&ask_token(&mut o, 2, Some(DEBUG_KEY)));
    assert_ne!(fresh, reg_id);
    o.on_channel_frame(
        CHANNEL,
        DeviceToVendor::RefreshToken { req: 3, app: APP.into(), project: Some(DEBUG_KEY.into()) },
    );
    drain(&mut o);
    assert_rejected(&mut o, &unicast(&token, &message(&fresh)), T0, code::INVALID_REGISTRATION_ID);
}

#[test]
fn a_send_to_a_revoked_regid_is_recorded_as_refused_for_the_token_only_when_the_token_is_why() {
    let (mut o, reg_id, token) = oppo_with_device();
    o.on_channel_frame(CHANNEL, DeviceToVendor::Revoke { app: APP.into(), project: Some(DEBUG_KEY.into()) });
    drain(&mut o);
    assert_eq!(token_refusals(&mut o, &unicast("not-a-token", &message(&reg_id)), T0), [false]);
    let mut no_title = message(&reg_id);
    no_title["notification"].as_object_mut().expect("an object").remove("title");
    assert_eq!(token_refusals(&mut o, &unicast(&token, &no_title), T0), [false]);
    assert_eq!(token_refusals(&mut o, &unicast(&token, &message(&reg_id)), T0), [true]);
}

#[test]
fn a_debug_regid_sent_with_the_release_app_token_gets_10000() {
    let (mut o, debug_reg_id, _) = oppo_with_device();
    let release = authenticate(&mut o, RELEASE_KEY, RELEASE_SECRET, T0);
    assert_rejected(&mut o, &unicast(&release, &message(&debug_reg_id)), T0, code::INVALID_REGISTRATION_ID);
}

#[test]
fn a_replayed_app_message_id_answers_the_first_message_id_without_a_second_delivery() {
    let (mut o, reg_id, token) = oppo_with_device();
    let mut m = message(&reg_id);
    m["notification"]["app_message_id"] = json!("42");
    let first = o.call(&unicast(&token, &m), T0).body_json();
    drain(&mut o);
    let again = o.call(&unicast(&token, &m), T0.plus(5_000)).body_json();
    assert_eq!(again, first);
    assert_eq!(
        drain(&mut o),
        vec![VendorOutput::Event(VendorEvent::Request {
            env: Some(Environment::Development),
            token: Some(reg_id.clone()),
            status: 200,
            reason: None,
            token_refused: false,
        })]
    );
    m["notification"]["app_message_id"] = json!("43");
    assert_ne!(o.call(&unicast(&token, &m), T0).body_json(), first);
}

#[test]
fn the_daily_quota_answers_33_until_the_next_day() {
    let (o, reg_id, token) = oppo_with_device();
    let mut o = o.with_daily_quota(1);
    assert_eq!(o.call(&unicast(&token, &message(&reg_id)), T0).body_json()["code"], json!(0));
    drain(&mut o);
    let m = assert_rejected(&mut o, &unicast(&token, &message(&reg_id)), T0, code::DAILY_LIMIT);
    assert_eq!(m, "The number of messages exceeds the daily limit");
    let fresh = authenticate(&mut o, DEBUG_KEY, DEBUG_SECRET, Millis(DAY_MS));
    assert_eq!(o.call(&unicast(&fresh, &message(&reg_id)), Millis(DAY_MS)).body_json()["code"], json!(0));
}

#[test]
fn a_notification_for_an_offline_device_is_stored_and_delivered_on_its_next_hello() {
    let (mut o, reg_id, token) = oppo_with_device();
    o.on_channel_close(CHANNEL);
    assert_eq!(o.call(&unicast(&token, &message(&reg_id)), T0).body_json()["code"], json!(0));
    assert!(drain(&mut o).contains(&VendorOutput::Event(VendorEvent::Notified {
        device: "phone".into(),
        id: format!("{:024x}", 1),
        stored: true
    })));
    o.on_channel_open(ConnId(2));
    o.on_channel_frame(ConnId(2), DeviceToVendor::Hello { device: "phone".into() });
    assert!(matches!(
        drain(&mut o).as_slice(),
        [VendorOutput::ToDevice { channel: ConnId(2), frame: VendorToDevice::Notification(_) }]
    ));
}

// --- contract ------------------------------------------------------------------------------

#[test]
fn the_contract_request_is_accepted_and_decodes_back_to_the_push() {
    let (mut o, reg_id, token) = oppo_with_device();
    let push = push_request(&reg_id);
    let req = request(&Send { push: &push, auth_token: &token, ttl_s: 86_400 });
    let resp = o.call(&req, T0);
    assert_eq!(verdict(&resp), Verdict::Delivered, "{}", resp.body_json());
    let delivered = drain(&mut o)
        .into_iter()
        .find_map(|out| match out {
            VendorOutput::ToDevice { frame: VendorToDevice::Notification(n), .. } => Some(n),
            _ => None,
        })
        .expect("a notification to the device");
    assert_eq!(delivered.app, APP);
    let n = crate::push_services::decode(Vendor::Oppo, &delivered.payload).expect("an OPPO notification");
    assert_eq!((n.title.as_str(), n.content.as_str(), n.payload.as_str()), ("Alice", "hello bob", "{\"room\":7}"));
    assert_eq!(
        (n.message_id, n.to_user.as_ref().map(|u| u.as_str()), n.badge),
        (Some(MessageId(42)), Some("bob"), None)
    );
    // A retry of the same push is deduplicated by app_message_id.
    let again = o.call(&req, T0.plus(1_000));
    assert_eq!(again.body_json(), resp.body_json());
}

#[test]
fn the_contract_cuts_texts_to_oppo_limits_and_the_ttl_to_10_days() {
    let mut push = push_request("CN_x");
    std::sync::Arc::make_mut(&mut push.push).title = "t".repeat(80);
    std::sync::Arc::make_mut(&mut push.push).content = "内".repeat(80);
    let req = request(&Send { push: &push, auth_token: "a", ttl_s: 30 * 86_400 });
    let form: BTreeMap<String, String> = form_urlencoded::parse(&req.body).into_owned().collect();
    assert_eq!(form["auth_token"], "a");
    let m: Value = serde_json::from_str(&form["message"]).expect("message JSON");
    assert_eq!(m["notification"]["title"], json!("t".repeat(MAX_TITLE)));
    assert_eq!(m["notification"]["content"], json!("内".repeat(MAX_CONTENT)));
    assert_eq!(m["notification"]["off_line_ttl"], json!(MAX_OFFLINE_TTL_S));
    assert_eq!(m["notification"]["app_message_id"], json!("42"));
    assert_eq!((&m["target_type"], &m["target_value"]), (&json!(2), &json!("CN_x")));
    assert_eq!((req.method.as_str(), req.path.as_str()), ("POST", UNICAST_PATH));
}

#[test]
fn the_auth_answer_of_a_failure_names_the_code() {
    let mut o = oppo();
    let resp = o.call(&auth_request(DEBUG_KEY, "wrong", unix(T0)), T0);
    assert_eq!(auth_answer(&resp), Err("16 Invalid Signature".into()));
    assert_eq!(auth_answer(&HttpResponse::new(502)), Err("HTTP 502".into()));
    assert_eq!(
        auth_answer(&ok_response(json!({"code": 0, "data": {}}))),
        Err("auth answer without data.auth_token".into())
    );
}

#[test]
fn verdict_classifies_every_code() {
    let with = |code: i64| ok_response(json!({"code": code, "message": "m"}));
    assert_eq!(
        verdict(&ok_response(json!({"code": 0, "message": "Success", "data": {"messageId": "x"}}))),
        Verdict::Delivered
    );
    assert_eq!(verdict(&with(10000)), Verdict::DeadToken { reason: "10000 m".into() });
    assert_eq!(verdict(&with(11)), Verdict::Reauth { reason: "11 m".into() });
    for code in [-2, -1, 13, 55] {
        assert_eq!(verdict(&with(code)), Verdict::Retry { reason: format!("{code} m"), after_ms: None }, "{code}");
    }
    for code in [12, 14, 15, 16, 17, 18, 19, 20, 29, 33, 40, 41, 10001] {
        assert_eq!(verdict(&with(code)), Verdict::Failed { reason: format!("{code} m") }, "{code}");
    }
    let busy = HttpResponse::new(503).header("retry-after", "2");
    assert_eq!(verdict(&busy), Verdict::Retry { reason: "HTTP 503".into(), after_ms: Some(2_000) });
    assert_eq!(verdict(&HttpResponse::new(404)), Verdict::Failed { reason: "HTTP 404".into() });
    assert_eq!(verdict(&HttpResponse::new(200)), Verdict::Failed { reason: "HTTP 200".into() });
}

#[test]
fn verdict_reads_the_fakes_own_answers() {
    let (mut o, reg_id, token) = oppo_with_device();
    let dead = o.call(&unicast(&token, &message("CN_unknown")), T0);
    assert!(matches!(verdict(&dead), Verdict::DeadToken { .. }));
    let reauth = o.call(&unicast(&token, &message(&reg_id)), T0.plus(TOKEN_LIFETIME_MS));
    assert_eq!(verdict(&reauth), Verdict::Reauth { reason: "11 Invalid AuthToken".into() });
    let mut bad = message(&reg_id);
    bad["target_type"] = json!(5);
    assert!(matches!(verdict(&o.call(&unicast(&token, &bad), T0)), Verdict::Failed { .. }));
}

#[test]
fn a_stored_message_lives_for_its_off_line_ttl_within_an_hour_and_10_days_and_not_at_all_if_not_off_line() {
    const HOUR: u64 = 3_600_000;
    let cases: [(Value, u64, usize); 8] = [
        (json!({"off_line_ttl": 7_200}), 2 * HOUR - 1, 1),
        (json!({"off_line_ttl": 7_200}), 2 * HOUR, 0),
        (json!({"off_line_ttl": 60}), HOUR - 1, 1),
        (json!({"off_line_ttl": 60}), HOUR, 0),
        (json!({"off_line_ttl": 30 * 86_400}), 240 * HOUR - 1, 1),
        (json!({"off_line_ttl": 30 * 86_400}), 240 * HOUR, 0),
        (json!({}), HOUR, 0),
        (json!({"off_line": false}), 1, 0),
    ];
    for (fields, back_after_ms, kept) in cases {
        let (mut o, reg_id, token) = oppo_with_device();
        o.on_channel_close(CHANNEL);
        let mut body = message(&reg_id);
        let n = body["notification"].as_object_mut().expect("notification");
        n.remove("off_line_ttl");
        n.extend(fields.as_object().expect("fields").clone());
        assert_eq!(o.call(&unicast(&token, &body), T0).body_json()["code"], json!(0));
        drain(&mut o);
        let back = reconnect(&mut o, ConnId(2), "phone", T0.plus(back_after_ms));
        assert_eq!(back.len(), kept, "{fields}, back after {back_after_ms} ms");
    }
}
