//! Unit tests of the fake FCM.

use super::*;
use crate::core::Core;
use crate::ids::ConnId;
use crate::push_services::{drain, oauth_answer, token_in, token_refusals};
use crate::push_services::{DeviceToVendor, Drive, VendorOutput, VendorToDevice, Verdict};

const APP: &str = "im.zego.zimsim.demo";
const DEBUG: &str = "zimsim-debug";
const RELEASE: &str = "zimsim-release";
const CHANNEL: ConnId = ConnId(1);

fn fcm() -> Fcm {
    let projects = [(DEBUG.to_owned(), Environment::Development), (RELEASE.to_owned(), Environment::Production)];
    Fcm::unchecked(projects.into_iter().collect(), 5)
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

#[test]
fn a_voip_token_request_is_refused_because_only_apns_issues_voip_tokens() {
    let mut f = fcm();
    hello(&mut f, CHANNEL, "phone");
    f.on_channel_frame(CHANNEL, DeviceToVendor::RequestVoipToken { req: 1, app: APP.into() });
    assert_eq!(
        drain(&mut f),
        vec![VendorOutput::ToDevice {
            channel: CHANNEL,
            frame: VendorToDevice::TokenError { req: 1, reason: "this push service issues no VoIP tokens".into() },
        }]
    );
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
                kind: crate::pushid::TokenKind::Alert,
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
                    replace_key: None,
                }),
            },
            VendorOutput::Event(VendorEvent::Request {
                env: Some(Environment::Development),
                token: Some(token.clone()),
                status: 200,
                reason: None,
                token_refused: false,
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
fn only_the_dead_token_reasons_refuse_the_token() {
    let refusing = [Reason::Unregistered, Reason::SenderIdMismatch, Reason::InvalidToken];
    assert!(refusing.iter().all(Reason::refuses_token));
    let others = [
        Reason::InvalidArgument("Message is too big".into()),
        Reason::Unauthenticated,
        Reason::InvalidCredentials,
        Reason::PermissionDenied("denied".into()),
        Reason::NotFound("/v1".into()),
        Reason::MethodNotAllowed("GET".into()),
        Reason::UnsupportedTarget,
    ];
    assert!(!others.iter().any(Reason::refuses_token));
}

#[test]
fn a_send_to_a_revoked_token_is_recorded_as_refused_for_the_token_only_when_the_token_is_why() {
    let (mut f, token) = fcm_with_device();
    f.on_channel_frame(CHANNEL, DeviceToVendor::Revoke { app: APP.into(), project: Some(DEBUG.into()) });
    drain(&mut f);
    let mut no_bearer = send_request(DEBUG, &message(&token));
    no_bearer.headers.retain(|(n, _)| n != "authorization");
    assert_eq!(token_refusals(&mut f, &no_bearer, Millis(1)), [false]);
    let mut bad_data = message(&token);
    bad_data["message"]["data"] = json!({"n": 1});
    assert_eq!(token_refusals(&mut f, &send_request(DEBUG, &bad_data), Millis(1)), [false]);
    // UNREGISTERED, SENDER_ID_MISMATCH and a malformed token.
    assert_eq!(token_refusals(&mut f, &send_request(DEBUG, &message(&token)), Millis(2)), [true]);
    assert_eq!(token_refusals(&mut f, &send_request(RELEASE, &message(&token)), Millis(2)), [true]);
    assert_eq!(token_refusals(&mut f, &send_request(DEBUG, &message("garbage")), Millis(2)), [true]);
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
            token_refused: false,
        })]
    );
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

// The token endpoint and access tokens, once service accounts are registered.

/// Unix second of `at(0)`: the moments below count from it.
const T0: u64 = crate::time::SIM_EPOCH_UNIX_MS / 1000 + 10_000;

/// The moment `s` seconds after `T0`.
fn at(s: u64) -> Millis {
    Millis((10_000 + s) * 1000)
}

fn debug_account() -> ServiceAccount {
    ServiceAccount::test(DEBUG, 0)
}

fn release_account() -> ServiceAccount {
    ServiceAccount::test(RELEASE, 1)
}

/// FCM serving the token endpoint for one account per project, with a debug-project
/// device token.
fn fcm_with_accounts() -> (Fcm, String) {
    let projects = [(DEBUG.to_owned(), Environment::Development), (RELEASE.to_owned(), Environment::Production)];
    let mut f = Fcm::new(projects.into_iter().collect(), 5, [debug_account().public(), release_account().public()]);
    hello(&mut f, CHANNEL, "phone");
    let token = token_in(&ask_token(&mut f, 1, Some(DEBUG)));
    (f, token)
}

/// An access token for `account` at `now`, through the contract and the fake.
fn access_token(f: &mut Fcm, account: &ServiceAccount, now: Millis) -> String {
    let resp = f.call(&contract::auth_request(account, now.unix_s(crate::time::SIM_EPOCH_UNIX_MS) as u64), now);
    drain(f);
    oauth_answer(&resp).expect("an access token").0
}

fn send_as(project: &str, bearer: &str, token: &str) -> HttpRequest {
    with_bearer(send_request(project, &message(token)), bearer)
}

fn with_bearer(mut req: HttpRequest, bearer: &str) -> HttpRequest {
    req.headers.retain(|(n, _)| n != "authorization");
    req.header("authorization", format!("Bearer {bearer}"))
}

/// A token request carrying `assertion` under `grant_type`.
fn token_request(grant_type: &str, assertion: Option<&str>) -> HttpRequest {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", grant_type);
    if let Some(a) = assertion {
        form.append_pair("assertion", a);
    }
    HttpRequest::post(TOKEN_PATH, form.finish().into_bytes())
}

/// An assertion of `account`'s key with these claims over the usual header.
fn assertion_with(account: &ServiceAccount, header: Value, claims: Value) -> String {
    use rsa::signature::{SignatureEncoding, Signer};
    crate::push_services::jwt::encode(&header, &claims, |input| account.key.sign(input).to_vec())
}

fn header(account: &ServiceAccount) -> Value {
    json!({"alg": "RS256", "typ": "JWT", "kid": account.private_key_id})
}

fn claims(account: &ServiceAccount, iat: u64, exp: u64) -> Value {
    json!({"iss": account.client_email, "scope": contract::SCOPE, "aud": TOKEN_URI, "iat": iat, "exp": exp})
}

/// Posts `req` to the token endpoint at `now`: the status, `error` and `error_description`.
fn token_refusal(f: &mut Fcm, req: &HttpRequest, now: Millis) -> (u16, String, String) {
    let resp = f.call(req, now);
    let body = resp.body_json();
    let out = drain(f);
    assert!(
        matches!(out.as_slice(), [VendorOutput::Event(VendorEvent::Request { token: None, status: 400, .. })]),
        "{out:?}"
    );
    let text = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
    (resp.status, text("error"), text("error_description"))
}

#[test]
fn an_assertion_is_the_same_for_the_same_account_and_time_and_has_googles_header_and_claims() {
    let a = debug_account();
    let assertion = a.assertion(T0);
    assert_eq!(assertion, ServiceAccount::test(DEBUG, 0).assertion(T0));
    assert_ne!(assertion, a.assertion(T0 + 1));
    let parsed = crate::push_services::jwt::parse(&assertion).expect("a compact JWT");
    assert_eq!(Value::Object(parsed.header), header(&a));
    assert_eq!(Value::Object(parsed.claims), claims(&a, T0, T0 + 3600));
    assert_eq!(a.private_key_id.len(), 40);
    assert_eq!(a.client_email, "zimsim-fcm@zimsim-debug.iam.gserviceaccount.com");
    assert_ne!(a.public(), ServiceAccount::test(DEBUG, 1).public(), "two test keys");
}

#[test]
fn an_access_token_from_the_endpoint_lets_a_send_through_until_its_3599_seconds_are_over() {
    let (mut f, token) = fcm_with_accounts();
    let req = contract::auth_request(&debug_account(), T0);
    assert_eq!(req.path, "/token");
    assert_eq!(req.get("content-type"), Some("application/x-www-form-urlencoded"));
    let form: BTreeMap<String, String> = form_urlencoded::parse(&req.body).into_owned().collect();
    assert_eq!(form.get("grant_type").map(String::as_str), Some("urn:ietf:params:oauth:grant-type:jwt-bearer"));
    assert_eq!(form.get("assertion"), Some(&debug_account().assertion(T0)));

    let resp = f.call(&req, at(0));
    let body = resp.body_json();
    assert_eq!((resp.status, &body["expires_in"], &body["token_type"]), (200, &json!(3599), &json!("Bearer")));
    assert_eq!(
        drain(&mut f),
        vec![VendorOutput::Event(VendorEvent::Request {
            env: Some(Environment::Development),
            token: None,
            status: 200,
            reason: None,
            token_refused: false,
        })]
    );
    let (bearer, lifetime_ms) = oauth_answer(&resp).expect("an access token");
    assert!(bearer.starts_with("ya29."), "{bearer}");
    assert_eq!(lifetime_ms, 3_599_000);

    let sent = f.call(&send_as(DEBUG, &bearer, &token), at(1));
    assert_eq!(sent.status, 200, "{}", sent.body_json());
    assert!(drain(&mut f)
        .iter()
        .any(|o| matches!(o, VendorOutput::ToDevice { frame: VendorToDevice::Notification(_), .. })));

    let last_ms = Millis(at(3599).0 - 1);
    assert_eq!(f.call(&send_as(DEBUG, &bearer, &token), last_ms).status, 200);
    drain(&mut f);
    let resp = f.call(&send_as(DEBUG, &bearer, &token), at(3599));
    let body = resp.body_json();
    assert_eq!(
        (resp.status, &body["error"]["status"], &body["error"]["details"]),
        (401, &json!("UNAUTHENTICATED"), &json!([]))
    );
    let m = body["error"]["message"].as_str().unwrap_or_default();
    assert!(m.starts_with("Request had invalid authentication credentials."), "{m}");
    assert_eq!(contract::verdict(&resp), Verdict::Reauth { reason: "UNAUTHENTICATED".into() });
}

#[test]
fn with_accounts_a_bearer_the_endpoint_did_not_issue_or_none_gets_401_unauthenticated() {
    let (mut f, token) = fcm_with_accounts();
    let m = assert_rejected(&mut f, &send_as(DEBUG, "ya29.made-up", &token), 401, "UNAUTHENTICATED", None);
    assert!(m.starts_with("Request had invalid authentication credentials."), "{m}");
    let mut bare = send_request(DEBUG, &message(&token));
    bare.headers.retain(|(n, _)| n != "authorization");
    let m = assert_rejected(&mut f, &bare, 401, "UNAUTHENTICATED", None);
    assert!(m.starts_with("Request is missing required authentication credential."), "{m}");
}

#[test]
fn an_access_token_of_one_projects_account_used_on_another_project_gets_403_permission_denied() {
    let (mut f, _) = fcm_with_accounts();
    hello(&mut f, CHANNEL, "phone");
    let release_token = token_in(&ask_token(&mut f, 2, Some(RELEASE)));
    let debug_bearer = access_token(&mut f, &debug_account(), at(0));
    let req = send_as(RELEASE, &debug_bearer, &release_token);
    let resp = f.call(&req, at(1));
    assert_eq!(contract::verdict(&resp), Verdict::Failed { reason: "PERMISSION_DENIED".into() });
    drain(&mut f);
    let m = assert_rejected(&mut f, &req, 403, "PERMISSION_DENIED", None);
    assert!(m.contains("cloudmessaging.messages.create") && m.contains("projects/zimsim-release"), "{m}");
    let release_bearer = access_token(&mut f, &release_account(), at(0));
    assert_eq!(f.call(&send_as(RELEASE, &release_bearer, &release_token), at(1)).status, 200);
}

#[test]
fn the_token_endpoint_refuses_a_wrong_grant_type_or_a_missing_or_malformed_assertion() {
    let (mut f, _) = fcm_with_accounts();
    let a = debug_account();
    let grant = contract::GRANT_TYPE;
    assert_eq!(
        token_refusal(&mut f, &token_request("client_credentials", Some(&a.assertion(T0))), at(0)),
        (400, "unsupported_grant_type".into(), "Invalid grant_type: client_credentials".into())
    );
    let (status, error, _) = token_refusal(&mut f, &token_request(grant, None), at(0));
    assert_eq!((status, error.as_str()), (400, "invalid_request"));
    for bad in [
        "not-a-jwt".to_owned(),
        assertion_with(&a, json!({"alg": "HS256", "typ": "JWT"}), claims(&a, T0, T0 + 3600)),
        assertion_with(&a, header(&a), json!({"iss": a.client_email, "aud": TOKEN_URI, "iat": T0})),
    ] {
        let (status, error, _) = token_refusal(&mut f, &token_request(grant, Some(&bad)), at(0));
        assert_eq!((status, error.as_str()), (400, "invalid_grant"), "{bad}");
    }
}

#[test]
fn the_token_endpoint_refuses_an_unknown_account_and_a_signature_that_is_not_the_accounts() {
    let (mut f, _) = fcm_with_accounts();
    let a = debug_account();
    let request = |account: &ServiceAccount| contract::auth_request(account, T0);
    let unknown =
        ServiceAccount::from_pem("nobody@zimsim-debug.iam.gserviceaccount.com", "k", DEBUG, account::TEST_KEYS[0])
            .expect("test key");
    assert_eq!(
        token_refusal(&mut f, &request(&unknown), at(0)),
        (400, "invalid_grant".into(), "Invalid grant: account not found".into())
    );
    let bad_signature = (400, "invalid_grant".to_owned(), "Invalid JWT Signature.".to_owned());
    let other_key =
        ServiceAccount::from_pem(&a.client_email, &a.private_key_id, DEBUG, account::TEST_KEYS[1]).expect("test key");
    assert_eq!(token_refusal(&mut f, &request(&other_key), at(0)), bad_signature);
    let other_kid =
        ServiceAccount::from_pem(&a.client_email, "0123456789", DEBUG, account::TEST_KEYS[0]).expect("test key");
    assert_eq!(token_refusal(&mut f, &request(&other_kid), at(0)), bad_signature);
    let tampered = {
        let good = a.assertion(T0);
        let other = a.assertion(T0 - 10);
        let mut parts: Vec<&str> = good.split('.').collect();
        parts[1] = other.split('.').nth(1).expect("claims");
        parts.join(".")
    };
    assert_eq!(token_refusal(&mut f, &token_request(contract::GRANT_TYPE, Some(&tampered)), at(0)), bad_signature);
    // Unregistered, the fake has no accounts at all: every assertion names an unknown one.
    let (mut lenient, _) = fcm_with_device();
    let (_, _, description) = token_refusal(&mut lenient, &request(&a), at(0));
    assert_eq!(description, "Invalid grant: account not found");
}

#[test]
fn the_token_endpoint_refuses_another_audience_a_scope_without_fcm_and_bad_times() {
    let (mut f, _) = fcm_with_accounts();
    let a = debug_account();
    let post = |f: &mut Fcm, claims: Value, now: Millis| {
        let req = token_request(contract::GRANT_TYPE, Some(&assertion_with(&a, header(&a), claims)));
        let resp = f.call(&req, now);
        drain(f);
        let body = resp.body_json();
        (resp.status, body["error"].as_str().unwrap_or("granted").to_owned())
    };
    let granted = (200, "granted".to_owned());
    let bad_grant = (400, "invalid_grant".to_owned());
    let mut other_aud = claims(&a, T0, T0 + 3600);
    other_aud["aud"] = json!("https://accounts.google.com/o/oauth2/token");
    assert_eq!(post(&mut f, other_aud, at(0)), bad_grant);
    let mut email_only = claims(&a, T0, T0 + 3600);
    email_only["scope"] = json!("https://www.googleapis.com/auth/userinfo.email");
    assert_eq!(post(&mut f, email_only, at(0)), (400, "invalid_scope".into()));
    let mut broad = claims(&a, T0, T0 + 3600);
    broad["scope"] = json!(format!("openid {}", contract::CLOUD_PLATFORM_SCOPE));
    assert_eq!(post(&mut f, broad, at(0)), granted);
    // At most an hour between iat and exp.
    assert_eq!(post(&mut f, claims(&a, T0, T0 + 3600), at(0)), granted);
    assert_eq!(post(&mut f, claims(&a, T0, T0 + 3601), at(0)), bad_grant);
    assert_eq!(post(&mut f, claims(&a, T0, T0), at(0)), bad_grant);
    // Refused once exp is reached.
    assert_eq!(post(&mut f, claims(&a, T0, T0 + 3600), Millis(at(3600).0 - 1)), granted);
    assert_eq!(post(&mut f, claims(&a, T0, T0 + 3600), at(3600)), bad_grant);
    // iat up to 60 s ahead of the endpoint's clock.
    assert_eq!(post(&mut f, claims(&a, T0 + 60, T0 + 3660), at(0)), granted);
    assert_eq!(post(&mut f, claims(&a, T0 + 61, T0 + 3661), at(0)), bad_grant);
    let resp = f.call(
        &token_request(contract::GRANT_TYPE, Some(&assertion_with(&a, header(&a), claims(&a, T0, T0 + 3601)))),
        at(0),
    );
    assert_eq!(
        oauth_answer(&resp),
        Err("invalid_grant: Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. \
             Check your iat and exp values and use a clock with skew to account for clock differences between systems."
            .into())
    );
}

#[test]
fn the_verdict_on_401_without_an_fcm_error_is_reauth_and_on_other_credential_answers_failed() {
    let envelope = |status: u16, canonical: &str, code: Option<&str>| {
        let details: Vec<Value> = code
            .map(|c| json!({"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": c}))
            .into_iter()
            .collect();
        HttpResponse::json(
            status,
            &json!({"error": {"code": status, "message": "m", "status": canonical, "details": details}}),
        )
    };
    assert_eq!(
        contract::verdict(&envelope(401, "UNAUTHENTICATED", None)),
        Verdict::Reauth { reason: "UNAUTHENTICATED".into() }
    );
    assert_eq!(contract::verdict(&HttpResponse::new(401)), Verdict::Reauth { reason: "HTTP 401".into() });
    assert_eq!(
        contract::verdict(&envelope(401, "UNAUTHENTICATED", Some("THIRD_PARTY_AUTH_ERROR"))),
        Verdict::Failed { reason: "THIRD_PARTY_AUTH_ERROR".into() }
    );
    assert_eq!(
        contract::verdict(&envelope(403, "PERMISSION_DENIED", None)),
        Verdict::Failed { reason: "PERMISSION_DENIED".into() }
    );
    assert_eq!(
        contract::verdict(&Reason::InvalidCredentials.response()),
        Verdict::Reauth { reason: "UNAUTHENTICATED".into() }
    );
}

// --- storage: TTL, collapse keys, the 100-message limit ---

/// `message(token)` with `android` fields replaced.
fn with_android(token: &str, android: Value) -> Value {
    let mut m = message(token);
    m["message"]["android"] = android;
    m
}

fn come_back(f: &mut Fcm, now: Millis) -> Vec<VendorOutput> {
    f.handle(now, crate::push_services::VendorInput::ChannelOpen { channel: ConnId(2) });
    let hello = DeviceToVendor::Hello { device: "phone".into() };
    f.handle(now, crate::push_services::VendorInput::ChannelFrame { channel: ConnId(2), frame: hello });
    drain(f)
}

fn shown(outputs: &[VendorOutput]) -> Vec<String> {
    outputs
        .iter()
        .filter_map(|o| match o {
            VendorOutput::ToDevice { frame: VendorToDevice::Notification(n), .. } => Some(n.id.clone()),
            _ => None,
        })
        .collect()
}

/// FCM whose debug-project phone is away.
fn away() -> (Fcm, String) {
    let (mut f, token) = fcm_with_device();
    f.on_channel_close(CHANNEL);
    drain(&mut f);
    (f, token)
}

fn send_at(f: &mut Fcm, body: &Value, now: Millis) -> u16 {
    f.call(&send_request(DEBUG, body), now).status
}

#[test]
fn a_ttl_of_0_is_now_or_never_and_a_stored_message_expires_with_its_ttl() {
    let (mut f, token) = away();
    assert_eq!(send_at(&mut f, &with_android(&token, json!({"ttl": "0s"})), Millis(0)), 200);
    let out = drain(&mut f);
    assert!(
        out.iter().any(|o| matches!(
            o,
            VendorOutput::Event(VendorEvent::Dropped { reason: crate::push_services::DropReason::NotStored, .. })
        )),
        "{out:?}"
    );
    for (back_at, kept) in [(60_999, 1), (61_000, 0)] {
        let (mut f, token) = away();
        assert_eq!(send_at(&mut f, &with_android(&token, json!({"ttl": "60s"})), Millis(1_000)), 200);
        assert_eq!(shown(&come_back(&mut f, Millis(back_at))).len(), kept, "back at {back_at} ms");
    }
}

#[test]
fn a_collapse_key_keeps_only_the_newest_message_with_that_key() {
    let (mut f, token) = away();
    let keyed = |k: &str| with_android(&token, json!({"collapse_key": k}));
    for body in [keyed("score"), message(&token), keyed("score")] {
        assert_eq!(send_at(&mut f, &body, Millis(0)), 200);
    }
    let out = drain(&mut f);
    let replaced = out.iter().filter(|o| matches!(o, VendorOutput::Event(VendorEvent::Coalesced { .. }))).count();
    assert_eq!(replaced, 1);
    let ids = shown(&come_back(&mut f, Millis(5)));
    assert_eq!(ids.len(), 2, "the plain message and the newest keyed one");
    assert!(ids.iter().all(|i| !i.ends_with(":0000000000000001")), "the first keyed one was replaced: {ids:?}");
}

#[test]
fn past_100_stored_messages_all_are_discarded_and_the_phone_is_told_when_it_comes_back() {
    let (mut f, token) = away();
    for _ in 0..MAX_STORED {
        assert_eq!(send_at(&mut f, &message(&token), Millis(0)), 200);
    }
    assert!(!drain(&mut f).iter().any(|o| matches!(o, VendorOutput::Event(VendorEvent::Discarded { .. }))));
    assert_eq!(send_at(&mut f, &message(&token), Millis(0)), 200);
    let out = drain(&mut f);
    assert!(out.iter().any(|o| matches!(o, VendorOutput::Event(VendorEvent::Discarded { count: 101, .. }))), "{out:?}");
    let back = come_back(&mut f, Millis(10));
    assert_eq!(shown(&back), Vec::<String>::new());
    assert!(back.iter().any(
        |o| matches!(o, VendorOutput::ToDevice { frame: VendorToDevice::DeletedMessages { app }, .. } if app == APP)
    ));
    // Told once; what comes after is kept again.
    assert_eq!(send_at(&mut f, &message(&token), Millis(20)), 200);
    assert_eq!(shown(&drain(&mut f)).len(), 1);
}

#[test]
fn a_message_sent_into_a_dead_channel_keeps_its_ttl_until_the_phone_acknowledges_it() {
    use crate::push_services::{reconnect, DropReason, VendorInput};
    for (closed_at, back_at, kept) in [(30_000, 50_000, 1), (30_000, 61_000, 0), (70_000, 80_000, 0)] {
        let (mut f, token) = fcm_with_device();
        // Online: sent on the channel at once, never acknowledged.
        assert_eq!(send_at(&mut f, &with_android(&token, json!({"ttl": "60s"})), Millis(1_000)), 200);
        assert_eq!(shown(&drain(&mut f)).len(), 1);
        f.handle(Millis(closed_at), VendorInput::ChannelClose { channel: CHANNEL });
        let closed = drain(&mut f);
        let expired = closed
            .iter()
            .any(|o| matches!(o, VendorOutput::Event(VendorEvent::Dropped { reason: DropReason::Expired, .. })));
        assert_eq!(expired, closed_at >= 61_000, "closed at {closed_at}: {closed:?}");
        let back = reconnect(&mut f, ConnId(2), "phone", Millis(back_at));
        assert_eq!(back.len(), kept, "closed at {closed_at}, back at {back_at}");
    }
}
