//! Unit tests of the fake MiPush and its contract.

use super::contract::{self, code, Send};
use super::*;
use crate::ids::{ConnId, ConvKey, MessageId};
use crate::push_services::{delivered, drain, reconnect, token_in, token_refusals};
use crate::push_services::{DeviceToVendor, Drive, VendorOutput, VendorToDevice, Verdict};
use crate::pushid::{PushId, Vendor};
use crate::wire::{PushConfig, PushRequest};

const APP: &str = "im.zego.zimsim.demo";
const DEBUG: &str = "2882303761500000001";
const RELEASE: &str = "2882303761500000002";
const DEBUG_SECRET: &str = "debugSecret==";
const RELEASE_SECRET: &str = "releaseSecret==";
const CHANNEL: ConnId = ConnId(1);

fn mi() -> Mi {
    let apps = [
        (DEBUG.to_owned(), (DEBUG_SECRET.to_owned(), Environment::Development)),
        (RELEASE.to_owned(), (RELEASE_SECRET.to_owned(), Environment::Production)),
    ];
    Mi::new(apps.into_iter().collect(), 11)
}

fn hello(m: &mut Mi, channel: ConnId, device: &str) {
    m.on_channel_open(channel);
    m.on_channel_frame(channel, DeviceToVendor::Hello { device: device.into() });
}

fn ask_token(m: &mut Mi, req: u64, project: Option<&str>) -> Vec<VendorOutput> {
    let frame = DeviceToVendor::RequestToken { req, app: APP.into(), project: project.map(str::to_owned) };
    m.on_channel_frame(CHANNEL, frame);
    drain(m)
}

/// MiPush with device "phone" connected on `CHANNEL` and holding a regId of the debug app.
fn mi_with_device() -> (Mi, String) {
    let mut m = mi();
    hello(&mut m, CHANNEL, "phone");
    let regid = token_in(&ask_token(&mut m, 1, Some(DEBUG)));
    (m, regid)
}

/// A valid notification's form fields for `regid`.
fn fields(regid: &str) -> Vec<(String, String)> {
    [
        ("registration_id", regid),
        ("restricted_package_name", APP),
        ("title", "Alice"),
        ("description", "hi"),
        ("payload", "p&q=1"),
        ("pass_through", "0"),
        ("notify_type", "-1"),
        ("time_to_live", "86400000"),
        ("extra.zim", "{}"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn with(mut fields: Vec<(String, String)>, key: &str, value: &str) -> Vec<(String, String)> {
    fields.retain(|(k, _)| k != key);
    fields.push((key.to_owned(), value.to_owned()));
    fields
}

fn without(mut fields: Vec<(String, String)>, key: &str) -> Vec<(String, String)> {
    fields.retain(|(k, _)| k != key);
    fields
}

fn send_request(secret: &str, fields: &[(String, String)]) -> HttpRequest {
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    HttpRequest::post(SEND_PATH, body.into_bytes())
        .header("authorization", format!("key={secret}"))
        .header("content-type", "application/x-www-form-urlencoded")
}

/// Sends `req`, checks an HTTP 200 error answer with `expected` and that nothing went to a
/// device; returns the `reason`.
fn assert_rejected(m: &mut Mi, req: &HttpRequest, expected: i64) -> String {
    let resp = m.call(req, Millis(0));
    let body = resp.body_json();
    assert_eq!((resp.status, body["result"].as_str(), body["code"].as_i64()), (200, Some("error"), Some(expected)));
    assert!(body["description"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
    assert!(body["trace_id"].as_str().is_some_and(|t| t.starts_with("Xcm")), "{body}");
    let out = drain(m);
    assert!(out.iter().all(|o| matches!(o, VendorOutput::Event(VendorEvent::Request { .. }))), "{out:?}");
    body["reason"].as_str().expect("reason").to_owned()
}

/// Sends `req` and checks it was accepted; drains the outputs.
fn assert_ok(m: &mut Mi, req: &HttpRequest) {
    let body = m.call(req, Millis(0)).body_json();
    assert_eq!((body["result"].as_str(), body["code"].as_i64()), (Some("ok"), Some(0)), "{body}");
    drain(m);
}

fn push_request(regid: &str, push: PushConfig, badge: Option<u32>) -> PushRequest {
    PushRequest {
        push_id: PushId::new(Vendor::Mi, Environment::Development, regid),
        user_id: "bob".into(),
        message_id: MessageId(42),
        conv: std::sync::Arc::new(ConvKey::peer(&"alice".into(), &"bob".into())),
        from: std::sync::Arc::new("alice".into()),
        push: push.into(),
        badge,
    }
}

#[test]
fn regid_issuing_needs_a_known_app_id_and_draws_base64_regids() {
    let mut m = mi();
    hello(&mut m, CHANNEL, "phone");
    let refused = |req, reason: &str| {
        vec![VendorOutput::ToDevice {
            channel: CHANNEL,
            frame: VendorToDevice::TokenError { req, reason: reason.into() },
        }]
    };
    assert_eq!(ask_token(&mut m, 1, None), refused(1, "Mi regIds need an app ID"));
    assert_eq!(ask_token(&mut m, 2, Some(APP)), refused(2, "unknown app ID \"im.zego.zimsim.demo\""));
    let out = ask_token(&mut m, 3, Some(RELEASE));
    assert!(matches!(&out[0], VendorOutput::Event(VendorEvent::TokenIssued { env: Environment::Production, .. })));
    let regid = token_in(&out);
    assert!(regid.len() == REGID_CHARS && regid.bytes().all(|b| BASE64.contains(&b)), "{regid}");
}

#[test]
fn a_valid_send_answers_ok_and_delivers_a_mipush_message() {
    let (mut m, regid) = mi_with_device();
    let resp = m.call(&send_request(DEBUG_SECRET, &with(fields(&regid), "extra.badge", "2")), Millis(0));
    let id = format!("scm{:017}", 1);
    assert_eq!(
        (resp.status, resp.body_json()),
        (
            200,
            json!({"result": "ok", "code": 0, "data": {"id": id}, "trace_id": format!("Xcm{:017}", 1),
                "info": "Received push messages for 1 REGID"})
        )
    );
    let payload = json!({
        "message_id": id, "title": "Alice", "description": "hi", "payload": "p&q=1", "pass_through": 0,
        "notify_type": -1, "notify_id": 0, "extra": {"zim": "{}", "badge": "2"},
    });
    assert_eq!(
        drain(&mut m),
        vec![
            VendorOutput::Event(VendorEvent::Notified { device: "phone".into(), id: id.clone(), stored: false }),
            VendorOutput::ToDevice {
                channel: CHANNEL,
                frame: VendorToDevice::Notification(DeviceNotification {
                    id,
                    app: APP.into(),
                    payload,
                    delivery: 1,
                    replace_key: Some("0".into())
                }),
            },
            VendorOutput::Event(VendorEvent::Request {
                env: Some(Environment::Development),
                token: Some(regid),
                status: 200,
                reason: None,
                token_refused: false,
            }),
        ]
    );
}

#[test]
fn a_missing_or_wrong_app_secret_gets_21301() {
    let (mut m, regid) = mi_with_device();
    let mut none = send_request(DEBUG_SECRET, &fields(&regid));
    none.headers.retain(|(n, _)| n != "authorization");
    let upper = HttpRequest { headers: vec![("authorization".into(), format!("Key={DEBUG_SECRET}"))], ..none.clone() };
    for req in [none, upper, send_request("nope", &fields(&regid))] {
        assert_eq!(assert_rejected(&mut m, &req, code::INVALID_SECRET), "Invalid application secret.");
    }
}

#[test]
fn a_missing_parameter_gets_10016() {
    let (mut m, regid) = mi_with_device();
    for key in ["registration_id", "restricted_package_name", "title", "description"] {
        let reason = assert_rejected(&mut m, &send_request(DEBUG_SECRET, &without(fields(&regid), key)), 10016);
        assert_eq!(reason, format!("{key} is required"));
        let empty = with(fields(&regid), key, "");
        assert_rejected(&mut m, &send_request(DEBUG_SECRET, &empty), code::MISSING_PARAMETER);
    }
    // A pass-through message needs a payload instead of title and description.
    let pass = without(without(with(fields(&regid), "pass_through", "1"), "title"), "description");
    assert_ok(&mut m, &send_request(DEBUG_SECRET, &pass));
    let reason = assert_rejected(&mut m, &send_request(DEBUG_SECRET, &without(pass, "payload")), 10016);
    assert_eq!(reason, "payload is required");
}

#[test]
fn an_invalid_parameter_value_gets_10017() {
    let (mut m, regid) = mi_with_device();
    let two_weeks = MAX_TTL_MS.to_string();
    let over = (MAX_TTL_MS + 1).to_string();
    let bad = [
        ("pass_through", "2"),
        ("notify_type", "8"),
        ("notify_type", "all"),
        ("time_to_live", "0"),
        ("time_to_live", over.as_str()),
        ("time_to_live", "a day"),
        ("title", "   "),
    ];
    for (key, value) in bad {
        assert_rejected(
            &mut m,
            &send_request(DEBUG_SECRET, &with(fields(&regid), key, value)),
            code::INVALID_PARAMETER,
        );
    }
    for (key, value) in [("time_to_live", two_weeks.as_str()), ("notify_type", "7")] {
        assert_ok(&mut m, &send_request(DEBUG_SECRET, &with(fields(&regid), key, value)));
    }
}

#[test]
fn a_title_of_50_or_a_description_of_128_characters_gets_65009() {
    let (mut m, regid) = mi_with_device();
    let at = |key: &str, n: usize| with(fields(&regid), key, &"字".repeat(n));
    for (key, limit) in [("title", MAX_TITLE_CHARS), ("description", MAX_DESCRIPTION_CHARS)] {
        assert_ok(&mut m, &send_request(DEBUG_SECRET, &at(key, limit)));
        let reason = assert_rejected(&mut m, &send_request(DEBUG_SECRET, &at(key, limit + 1)), code::CONTENT_TOO_LONG);
        assert_eq!(reason, format!("{key} is too long"));
    }
}

#[test]
fn more_than_10_custom_extras_get_65014_and_a_long_extra_65015() {
    let (mut m, regid) = mi_with_device();
    // `extra.zim` and nine more make ten custom extras; system extras do not count.
    let mut ten = fields(&regid);
    ten.extend((1..MAX_EXTRAS).map(|i| (format!("extra.k{i}"), "v".to_owned())));
    ten.extend(contract::SYSTEM_EXTRAS.iter().map(|k| (format!("extra.{k}"), "1".to_owned())));
    assert_ok(&mut m, &send_request(DEBUG_SECRET, &ten));
    let eleven = with(ten, "extra.k10", "v");
    assert_rejected(&mut m, &send_request(DEBUG_SECRET, &eleven), code::TOO_MANY_EXTRAS);
    let fits = with(fields(&regid), "extra.long", &"v".repeat(MAX_EXTRA_CHARS));
    assert_ok(&mut m, &send_request(DEBUG_SECRET, &fits));
    let long = with(fields(&regid), "extra.long", &"v".repeat(MAX_EXTRA_CHARS + 1));
    let reason = assert_rejected(&mut m, &send_request(DEBUG_SECRET, &long), code::EXTRA_TOO_LONG);
    assert_eq!(reason, "extra.long is over 1024 characters");
}

#[test]
fn an_unknown_regid_or_another_package_gets_20301_no_valid_targets() {
    let (mut m, regid) = mi_with_device();
    let unknown = "A".repeat(REGID_CHARS);
    let reason = assert_rejected(&mut m, &send_request(DEBUG_SECRET, &fields(&unknown)), code::NO_VALID_TARGETS);
    assert_eq!(reason, "No valid targets!");
    let other_package = with(fields(&regid), "restricted_package_name", "com.example.other");
    assert_rejected(&mut m, &send_request(DEBUG_SECRET, &other_package), code::NO_VALID_TARGETS);
}

#[test]
fn a_revoked_regid_gets_20301_and_the_verdict_is_a_dead_token() {
    let (mut m, regid) = mi_with_device();
    m.on_channel_frame(CHANNEL, DeviceToVendor::Revoke { app: APP.into(), project: Some(DEBUG.into()) });
    assert!(matches!(drain(&mut m).as_slice(), [VendorOutput::Event(VendorEvent::TokenRevoked { .. })]));
    let resp = m.call(&send_request(DEBUG_SECRET, &fields(&regid)), Millis(1));
    assert_eq!(resp.body_json()["code"], code::NO_VALID_TARGETS);
    assert_eq!(contract::verdict(&resp), Verdict::DeadToken { reason: "20301".into() });
}

#[test]
fn a_send_to_a_revoked_regid_is_recorded_as_refused_for_the_token_only_when_the_token_is_why() {
    let (mut m, regid) = mi_with_device();
    m.on_channel_frame(CHANNEL, DeviceToVendor::Revoke { app: APP.into(), project: Some(DEBUG.into()) });
    drain(&mut m);
    let wrong_secret = send_request("not-the-secret", &fields(&regid));
    assert_eq!(token_refusals(&mut m, &wrong_secret, Millis(1)), [false]);
    let no_title = send_request(DEBUG_SECRET, &without(fields(&regid), "title"));
    assert_eq!(token_refusals(&mut m, &no_title, Millis(1)), [false]);
    assert_eq!(token_refusals(&mut m, &send_request(DEBUG_SECRET, &fields(&regid)), Millis(2)), [true]);
}

#[test]
fn a_debug_regid_sent_with_the_release_secret_gets_20301() {
    let (mut m, debug_regid) = mi_with_device();
    let resp = m.call(&send_request(RELEASE_SECRET, &fields(&debug_regid)), Millis(0));
    assert_eq!((resp.status, resp.body_json()["code"].as_i64()), (200, Some(code::NO_VALID_TARGETS)));
    assert_eq!(
        drain(&mut m),
        vec![VendorOutput::Event(VendorEvent::Request {
            env: Some(Environment::Production),
            token: Some(debug_regid),
            status: 200,
            reason: Some("20301".into()),
            token_refused: true,
        })]
    );
}

#[test]
fn a_send_to_several_regids_delivers_to_the_valid_ones() {
    let (mut m, regid) = mi_with_device();
    let list = format!("{regid}, unknown");
    let resp = m.call(&send_request(DEBUG_SECRET, &with(fields(&regid), "registration_id", &list)), Millis(0));
    assert_eq!(resp.body_json()["info"], "Received push messages for 1 REGID");
    let out = drain(&mut m);
    let delivered = out.iter().filter(|o| matches!(o, VendorOutput::ToDevice { .. })).count();
    let requests = out.iter().filter(|o| matches!(o, VendorOutput::Event(VendorEvent::Request { .. }))).count();
    assert_eq!((delivered, requests), (1, 2), "{out:?}");
}

#[test]
fn other_routes_get_404_and_other_methods_405() {
    let (mut m, regid) = mi_with_device();
    let req = send_request(DEBUG_SECRET, &fields(&regid));
    assert_eq!(m.call(&HttpRequest { path: "/v3/message/alias".into(), ..req.clone() }, Millis(0)).status, 404);
    assert_eq!(m.call(&HttpRequest { method: "GET".into(), ..req }, Millis(0)).status, 405);
}

#[test]
fn a_notification_for_an_offline_device_is_stored_and_delivered_on_its_next_channel() {
    let (mut m, regid) = mi_with_device();
    m.on_channel_close(CHANNEL);
    assert_eq!(m.call(&send_request(DEBUG_SECRET, &fields(&regid)), Millis(0)).body_json()["code"], 0);
    assert!(drain(&mut m).iter().any(|o| matches!(o, VendorOutput::Event(VendorEvent::Notified { stored: true, .. }))));
    hello(&mut m, ConnId(2), "phone");
    let out = drain(&mut m);
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
    let (mut m, regid) = mi_with_device();
    for badge in [Some(3), None] {
        let push =
            push_request(&regid, PushConfig::new("Alice", "hello bob & co", "{\"room\":7,\"q\":\"a=b\"}"), badge);
        let req = contract::request(&Send { push: &push, package: APP, app_secret: DEBUG_SECRET, ttl_s: 86_400 });
        let resp = m.call(&req, Millis(0));
        assert_eq!(contract::verdict(&resp), Verdict::Delivered, "{}", resp.body_json());
        let payload = drain(&mut m)
            .into_iter()
            .find_map(|o| match o {
                VendorOutput::ToDevice { frame: VendorToDevice::Notification(n), .. } => Some(n.payload),
                _ => None,
            })
            .expect("a delivered notification");
        let n = crate::push_services::decode(Vendor::Mi, &payload).expect("a MiPush message");
        assert_eq!(
            (n.title.as_str(), n.content.as_str(), n.payload.as_str()),
            ("Alice", "hello bob & co", "{\"room\":7,\"q\":\"a=b\"}")
        );
        assert_eq!((n.message_id, n.to_user.as_ref().map(|u| u.as_str())), (Some(MessageId(42)), Some("bob")));
        assert_eq!(n.badge, badge);
    }
}

#[test]
fn the_contract_cuts_title_and_content_to_xiaomis_limits_and_caps_the_ttl() {
    let (mut m, regid) = mi_with_device();
    let push = push_request(&regid, PushConfig::new("名".repeat(60), "x".repeat(300), ""), None);
    let req = contract::request(&Send { push: &push, package: APP, app_secret: DEBUG_SECRET, ttl_s: 30 * 86_400 });
    let form: BTreeMap<String, String> = form_urlencoded::parse(&req.body).into_owned().collect();
    assert_eq!(form["title"], "名".repeat(MAX_TITLE_CHARS));
    assert_eq!(form["description"], "x".repeat(MAX_DESCRIPTION_CHARS));
    assert_eq!(form["time_to_live"], MAX_TTL_MS.to_string());
    assert_eq!((form["pass_through"].as_str(), form["notify_type"].as_str()), ("0", "-1"));
    assert_eq!(req.get("authorization"), Some("key=debugSecret=="));
    assert_eq!(contract::verdict(&m.call(&req, Millis(0))), Verdict::Delivered);
}

#[test]
fn the_verdict_sorts_every_answer() {
    let answer = |c: i64| HttpResponse::json(200, &json!({"result": "error", "code": c, "description": ""}));
    let ok = HttpResponse::json(200, &json!({"result": "ok", "code": 0, "data": {"id": "scm1"}}));
    let retry = |reason: &str, after_ms| Verdict::Retry { reason: reason.into(), after_ms };
    let failed = |c: i64| Verdict::Failed { reason: c.to_string() };
    let mut cases = vec![
        (ok, Verdict::Delivered),
        (Reason::NoValidTargets.response("t"), Verdict::DeadToken { reason: "20301".into() }),
        (Reason::InvalidSecret.response("t"), failed(code::INVALID_SECRET)),
        (Reason::MissingParameter("title").response("t"), failed(code::MISSING_PARAMETER)),
        (Reason::InvalidParameter("x".into()).response("t"), failed(code::INVALID_PARAMETER)),
        (Reason::ContentTooLong("title").response("t"), failed(code::CONTENT_TOO_LONG)),
        (Reason::TooManyExtras.response("t"), failed(code::TOO_MANY_EXTRAS)),
        (Reason::ExtraTooLong("k".into()).response("t"), failed(code::EXTRA_TOO_LONG)),
        (answer(10034), failed(10034)),
        (answer(code::TOO_FREQUENT), retry("10027", None)),
        (HttpResponse::new(503).header("retry-after", "3"), retry("HTTP 503", Some(3000))),
        (HttpResponse::new(500), retry("HTTP 500", None)),
        (HttpResponse::new(404), Verdict::Failed { reason: "HTTP 404".into() }),
    ];
    cases.extend(code::SERVER_ERRORS.iter().map(|&c| (answer(c), retry(&c.to_string(), None))));
    for (resp, expected) in cases {
        assert_eq!(contract::verdict(&resp), expected, "{resp:?}");
    }
}

#[test]
fn a_stored_message_lives_for_its_time_to_live_and_two_weeks_without_one() {
    let two_weeks = contract::MAX_TTL_MS;
    for (ttl, back_at, kept) in
        [(Some("60000"), 59_999, 1), (Some("60000"), 60_000, 0), (None, two_weeks - 1, 1), (None, two_weeks, 0)]
    {
        let (mut m, regid) = mi_with_device();
        m.on_channel_close(CHANNEL);
        let form = match ttl {
            Some(ttl) => with(fields(&regid), "time_to_live", ttl),
            None => without(fields(&regid), "time_to_live"),
        };
        assert_ok(&mut m, &send_request(DEBUG_SECRET, &form));
        assert_eq!(
            reconnect(&mut m, ConnId(2), "phone", Millis(back_at)).len(),
            kept,
            "ttl {ttl:?}, back at {back_at}"
        );
    }
}

#[test]
fn notify_id_is_the_replace_key_0_without_one_and_must_be_a_31_bit_integer() {
    let (mut m, regid) = mi_with_device();
    for (notify_id, key) in [(None, "0"), (Some("42"), "42"), (Some("2147483647"), "2147483647")] {
        let form = match notify_id {
            Some(id) => with(fields(&regid), "notify_id", id),
            None => fields(&regid),
        };
        assert_eq!(m.call(&send_request(DEBUG_SECRET, &form), Millis(0)).body_json()["code"], 0);
        let shown = delivered(drain(&mut m));
        assert_eq!(shown.iter().map(|n| n.replace_key.as_deref()).collect::<Vec<_>>(), [Some(key)]);
    }
    for bad in ["-1", "2147483648", "x"] {
        let reason = assert_rejected(
            &mut m,
            &send_request(DEBUG_SECRET, &with(fields(&regid), "notify_id", bad)),
            code::INVALID_PARAMETER,
        );
        assert!(reason.contains("notify_id"), "{reason}");
    }
    assert_eq!(contract::notify_id(42), 42);
    assert_eq!(contract::notify_id(contract::MAX_NOTIFY_ID + 5), 4);
}
