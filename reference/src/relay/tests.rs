//! Unit tests of the relay core (and its requests against the vendor fakes).

use super::*;
use crate::ids::{ConnId, ConvKey};
use crate::push_services::apns;
use crate::push_services::apns::Apns;
use crate::push_services::fcm::Fcm;
use crate::push_services::{DeviceToVendor, Drive, VendorOutput, VendorToDevice};
use crate::wire::PushConfig;

const APNS_TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn request(push_id: PushId) -> PushRequest {
    PushRequest {
        push_id,
        user_id: "bob".into(),
        message_id: MessageId(42),
        conv: std::sync::Arc::new(ConvKey::peer(&"alice".into(), &"bob".into())),
        from: std::sync::Arc::new("alice".into()),
        push: std::sync::Arc::new(PushConfig::new("Alice", "hello bob", "{\"room\":7}")),
        badge: None,
    }
}

fn drain(r: &mut Relay) -> Vec<RelayOutput> {
    std::iter::from_fn(|| r.poll_output()).collect()
}

/// The access token the tests' token endpoints grant (FCM's and HMS's answer shape).
const ACCESS: &str = "ya29.test-access";

/// Answers the relay's access-token request `id` with [`ACCESS`], returning what the relay
/// did next but for the trace's `Authorized`.
fn grant(r: &mut Relay, id: u64, now: Millis) -> Vec<RelayOutput> {
    let body = serde_json::json!({"access_token": ACCESS, "expires_in": 3599, "token_type": "Bearer"});
    r.handle(now, RelayInput::AuthAnswered { id, response: Some(HttpResponse::json(200, &body)) });
    drain(r).into_iter().filter(|o| !matches!(o, RelayOutput::Authorized(_))).collect()
}

/// Pushes `push_id` and returns the single vendor call the relay made (granting the
/// access token it asked for first, if it did).
fn call_for(r: &mut Relay, push_id: PushId, now: Millis) -> VendorCall {
    r.accept(request(push_id), now);
    let mut out = drain(r);
    if let [RelayOutput::Auth { id, .. }] = out.as_slice() {
        out = grant(r, *id, now);
    }
    match out.as_slice() {
        [RelayOutput::Call(c)] => c.clone(),
        other => panic!("expected one call, got {other:?}"),
    }
}

fn body(c: &VendorCall) -> serde_json::Value {
    serde_json::from_slice(&c.request.body).expect("JSON body")
}

fn outcome(r: &mut Relay) -> PushOutcome {
    match drain(r).as_slice() {
        [RelayOutput::Outcome(o)] => o.clone(),
        other => panic!("expected one outcome, got {other:?}"),
    }
}

/// The provider token the relay's team key mints at `iat` (Unix seconds).
fn provider_token(iat: u64) -> String {
    format!("bearer {}", apns::contract::provider_token(&RelayConfig::default().apps.apns_signing_key(), iat))
}

const EPOCH_S: u64 = crate::time::SIM_EPOCH_UNIX_MS / 1000;

#[test]
fn an_apns_development_push_id_goes_to_the_sandbox_with_the_teams_provider_token() {
    let mut r = Relay::new(RelayConfig::default());
    let push_id = PushId::new(Vendor::Apns, Environment::Development, APNS_TOKEN);
    let c = call_for(&mut r, push_id.clone(), Millis(0));
    assert_eq!((c.call, c.host.as_str(), &c.push_id, c.message_id), (1, "apns-sandbox", &push_id, MessageId(42)));
    assert_eq!(c.request.get("authorization"), Some(provider_token(EPOCH_S).as_str()));
}

#[test]
fn an_apns_production_push_id_goes_to_production_with_the_same_provider_token() {
    let mut r = Relay::new(RelayConfig::default());
    let c = call_for(&mut r, PushId::new(Vendor::Apns, Environment::Production, APNS_TOKEN), Millis(0));
    assert_eq!(c.host, "apns-production");
    assert_eq!(c.request.get("authorization"), Some(provider_token(EPOCH_S).as_str()));
}

#[test]
fn a_restarted_relay_mints_the_provider_token_it_had_so_apns_sees_no_second_update() {
    // The first relay mints at 10 min, on the grid point of 0; its successor, started at
    // 30 min, mints the same token, where a token issued then would be APNs's second
    // update within 20 minutes (429 TooManyProviderTokenUpdates).
    assert_eq!(EPOCH_S % PROVIDER_TOKEN_REMINT_S, 0, "the simulation starts on a grid point");
    let bearer = |boot: u64, at_s: u64| {
        let mut r = Relay::new(RelayConfig { boot, ..RelayConfig::default() });
        let c = call_for(&mut r, PushId::new(Vendor::Apns, Environment::Production, APNS_TOKEN), Millis(at_s * 1000));
        c.request.get("authorization").map(str::to_owned)
    };
    assert_eq!(bearer(0, 600), Some(provider_token(EPOCH_S)));
    assert_eq!(bearer(1, 1_800), Some(provider_token(EPOCH_S)));
    assert_eq!(bearer(2, PROVIDER_TOKEN_REMINT_S + 60), Some(provider_token(EPOCH_S + PROVIDER_TOKEN_REMINT_S)));
}

#[test]
fn the_provider_token_is_reminted_after_40_minutes_and_after_apns_calls_it_expired() {
    let mut r = Relay::new(RelayConfig::default());
    let apns = |m| PushRequest {
        message_id: MessageId(m),
        ..request(PushId::new(Vendor::Apns, Environment::Production, APNS_TOKEN))
    };
    let bearer_at = |r: &mut Relay, m, at: u64| {
        r.accept(apns(m), Millis(at * 1000));
        match drain(r).as_slice() {
            [RelayOutput::Call(c)] => (c.call, c.request.get("authorization").map(str::to_owned)),
            other => panic!("{other:?}"),
        }
    };
    for (m, at) in [(1, 0), (2, PROVIDER_TOKEN_REMINT_S - 1)] {
        let (call, bearer) = bearer_at(&mut r, m, at);
        assert_eq!(bearer, Some(provider_token(EPOCH_S)));
        let response = HttpResponse::new(200);
        r.handle(Millis(at * 1000 + 1), RelayInput::VendorResponse { call, attempt: 1, response });
        drain(&mut r);
    }
    let at = PROVIDER_TOKEN_REMINT_S;
    let (call, bearer) = bearer_at(&mut r, 3, at);
    assert_eq!(bearer, Some(provider_token(EPOCH_S + at)));
    // APNs calls it expired: the retry carries a token minted then.
    let expired = HttpResponse::json(403, &serde_json::json!({"reason": "ExpiredProviderToken"}));
    r.handle(Millis(at * 1000 + 5), RelayInput::VendorResponse { call, attempt: 1, response: expired });
    let due = r.poll_timeout().expect("a retry");
    r.handle(due, RelayInput::Tick);
    let Some(RelayOutput::Call(retry)) = r.poll_output() else { panic!("the retry") };
    assert_eq!(
        retry.request.get("authorization"),
        Some(provider_token((crate::time::SIM_EPOCH_UNIX_MS + due.0) / 1000).as_str())
    );
}

#[test]
fn an_apns_request_posts_to_the_device_path_with_apple_headers() {
    let mut r = Relay::new(RelayConfig::default());
    let push_id = PushId::new(Vendor::Apns, Environment::Development, APNS_TOKEN);
    r.accept(PushRequest { message_id: MessageId(41), ..request(push_id.clone()) }, Millis(0));
    drain(&mut r);
    let c = call_for(&mut r, push_id, Millis(5_000));
    assert_eq!(c.call, 2);
    let req = &c.request;
    assert_eq!((req.method.as_str(), req.path.clone()), ("POST", format!("/3/device/{APNS_TOKEN}")));
    assert_eq!(req.get("apns-topic"), Some("im.zego.zimsim.demo"));
    assert_eq!(req.get("apns-push-type"), Some("alert"));
    assert_eq!(req.get("apns-priority"), Some("10"));
    assert_eq!(req.get("apns-id"), Some("21000000-0000-4000-8000-000000000002"));
    assert!(crate::push_services::apns::is_canonical_uuid(req.get("apns-id").unwrap_or_default()));
    assert_eq!(req.get("apns-collapse-id"), Some("m42"));
    // (epoch 1_767_225_600_000 ms + 5 s) / 1000 + 86_400 s of TTL.
    assert_eq!(req.get("apns-expiration"), Some("1767312005"));
    assert_eq!(req.get("content-type"), Some("application/json"));
    assert_eq!(req.duplicate_header(), None);
}

#[test]
fn an_apns_body_carries_the_alert_the_zim_extras_and_the_payload() {
    let mut r = Relay::new(RelayConfig::default());
    let c = call_for(&mut r, PushId::new(Vendor::Apns, Environment::Production, APNS_TOKEN), Millis(0));
    assert_eq!(
        body(&c),
        serde_json::json!({
            "aps": {"alert": {"title": "Alice", "body": "hello bob"}, "sound": "default", "mutable-content": 1},
            "zim": {
                "message_id": 42,
                "to": "bob",
                "from": "alice",
                "conv": {"type": "peer", "a": "alice", "b": "bob"},
            },
            "payload": "{\"room\":7}",
        })
    );
}

#[test]
fn an_fcm_development_push_id_goes_through_the_debug_project() {
    let mut r = Relay::new(RelayConfig::default());
    let push_id = PushId::new(Vendor::Fcm, Environment::Development, "iid:APA91bxyz");
    let c = call_for(&mut r, push_id.clone(), Millis(0));
    assert_eq!((c.call, c.host.as_str(), &c.push_id), (1, "fcm", &push_id));
    assert_eq!(c.request.method, "POST");
    assert_eq!(c.request.path, "/v1/projects/zimsim-debug/messages:send");
    assert_eq!(c.request.get("authorization"), Some(format!("Bearer {ACCESS}").as_str()));
    assert_eq!(c.request.get("content-type"), Some("application/json"));
}

#[test]
fn an_fcm_production_push_id_goes_through_the_release_project() {
    let mut r = Relay::new(RelayConfig::default());
    let c = call_for(&mut r, PushId::new(Vendor::Fcm, Environment::Production, "iid:APA91bxyz"), Millis(0));
    assert_eq!(c.host, "fcm");
    assert_eq!(c.request.path, "/v1/projects/zimsim-release/messages:send");
}

#[test]
fn an_fcm_body_targets_the_token_with_string_only_data() {
    let mut r = Relay::new(RelayConfig::default());
    let c = call_for(&mut r, PushId::new(Vendor::Fcm, Environment::Production, "iid:APA91bxyz"), Millis(0));
    let b = body(&c);
    assert_eq!(
        b,
        serde_json::json!({
            "message": {
                "token": "iid:APA91bxyz",
                "notification": {"title": "Alice", "body": "hello bob"},
                "data": {
                    "payload": "{\"room\":7}",
                    "zim": "{\"conv\":{\"a\":\"alice\",\"b\":\"bob\",\"type\":\"peer\"},\"from\":\"alice\",\"message_id\":42,\"to\":\"bob\"}",
                },
                "android": {"priority": "HIGH", "ttl": "86400s", "notification": {"tag": "m42"}},
            }
        })
    );
    let data = b.pointer("/message/data").and_then(|d| d.as_object()).expect("data map");
    assert!(data.values().all(serde_json::Value::is_string), "FCM rejects non-string data values: {data:?}");
}

#[test]
fn a_2xx_vendor_response_is_accepted() {
    let mut r = Relay::new(RelayConfig::default());
    let push_id = PushId::new(Vendor::Apns, Environment::Production, APNS_TOKEN);
    let c = call_for(&mut r, push_id.clone(), Millis(0));
    r.handle(
        Millis(1),
        RelayInput::VendorResponse { call: c.call, attempt: c.attempt, response: HttpResponse::new(200) },
    );
    assert_eq!(
        outcome(&mut r),
        PushOutcome { call: 1, attempts: 1, push_id, message_id: MessageId(42), result: PushResult::Accepted }
    );
}

const APNS: fn() -> PushId = || PushId::new(Vendor::Apns, Environment::Production, APNS_TOKEN);

fn answer(r: &mut Relay, now: u64, call: &VendorCall, response: HttpResponse) -> Vec<RelayOutput> {
    r.handle(Millis(now), RelayInput::VendorResponse { call: call.call, attempt: call.attempt, response });
    drain(r)
}

/// Fires the relay's timer and returns the call it resends.
fn fire(r: &mut Relay) -> (u64, VendorCall) {
    let due = r.poll_timeout().expect("a retry is scheduled");
    r.handle(due, RelayInput::Tick);
    match drain(r).as_slice() {
        [RelayOutput::Call(c)] => (due.0, c.clone()),
        other => panic!("expected one resent call, got {other:?}"),
    }
}

fn apns_error(status: u16, reason: &str) -> HttpResponse {
    HttpResponse::json(status, &serde_json::json!({ "reason": reason }))
}

#[test]
fn a_dead_apns_token_ends_the_call_and_is_reported_to_zim_for_unbinding() {
    let mut r = Relay::new(RelayConfig::default());
    let c = call_for(&mut r, APNS(), Millis(0));
    let out = answer(&mut r, 1, &c, apns_error(410, "Unregistered"));
    let report = DeadToken { push_id: APNS(), reason: "Unregistered".into() };
    assert_eq!(
        out,
        vec![
            RelayOutput::ToZim { id: 1, request: report.to_http() },
            RelayOutput::Outcome(PushOutcome {
                call: 1,
                attempts: 1,
                push_id: APNS(),
                message_id: MessageId(42),
                result: PushResult::DeadToken { status: 410, reason: "Unregistered".into() },
            }),
        ]
    );
    assert_eq!(r.poll_timeout(), None, "a dead token is not retried");
}

#[test]
fn an_unregistered_fcm_token_is_dead_and_an_unauthenticated_call_is_not() {
    let mut r = Relay::new(RelayConfig::default());
    let c = call_for(&mut r, PushId::new(Vendor::Fcm, Environment::Production, "t"), Millis(0));
    let resp = HttpResponse::json(
        404,
        &serde_json::json!({"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.BadRequest"},
            {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"},
        ]}}),
    );
    let out = answer(&mut r, 1, &c, resp);
    assert!(
        matches!(&out[..], [RelayOutput::ToZim { .. }, RelayOutput::Outcome(o)]
        if o.result == PushResult::DeadToken { status: 404, reason: "UNREGISTERED".into() }),
        "{out:?}"
    );
    let c = call_for(&mut r, PushId::new(Vendor::Fcm, Environment::Production, "u"), Millis(2));
    let unauthenticated =
        serde_json::json!({"error": {"code": 401, "message": "no", "status": "UNAUTHENTICATED", "details": []}});
    let out = answer(&mut r, 3, &c, HttpResponse::json(401, &unauthenticated));
    assert_eq!(out, vec![], "re-auth, then another try: never an unbind");
}

#[test]
fn payload_topic_and_auth_errors_end_the_call_without_a_retry_or_an_unbind() {
    for reason in ["PayloadTooLarge", "BadTopic", "MissingTopic", "InvalidProviderToken", "BadPayload"] {
        let mut r = Relay::new(RelayConfig::default());
        let c = call_for(&mut r, APNS(), Millis(0));
        let status = apns::Reason::parse(reason).map_or(400, |r| r.status());
        let out = answer(&mut r, 1, &c, apns_error(status, reason));
        assert!(
            matches!(&out[..], [RelayOutput::Outcome(o)]
            if o.result == PushResult::Rejected { status, reason: reason.into() }),
            "{reason}: {out:?}"
        );
        assert_eq!(r.poll_timeout(), None, "{reason}");
    }
}

#[test]
fn a_503_is_retried_with_the_same_request_after_a_jittered_backoff_until_it_is_delivered() {
    let mut r = Relay::new(RelayConfig::default());
    let first = call_for(&mut r, APNS(), Millis(0));
    assert_eq!(answer(&mut r, 10, &first, apns_error(503, "ServiceUnavailable")), vec![], "no outcome yet");
    let (at, second) = fire(&mut r);
    assert!((10 + BASE_BACKOFF_MS / 2..=10 + BASE_BACKOFF_MS).contains(&at), "{at}");
    assert_eq!((second.call, second.attempt, &second.request), (first.call, 2, &first.request), "same apns-id");
    assert_eq!(answer(&mut r, at, &second, HttpResponse::json(500, &serde_json::json!({}))), vec![]);
    let (at2, third) = fire(&mut r);
    assert!((at + BASE_BACKOFF_MS..=at + 2 * BASE_BACKOFF_MS).contains(&at2), "doubles: {at} -> {at2}");
    let out = answer(&mut r, at2, &third, HttpResponse::new(200));
    assert!(matches!(&out[..], [RelayOutput::Outcome(o)] if o.result == PushResult::Accepted && o.attempts == 3));
}

#[test]
fn retry_after_is_honoured_and_one_past_the_deadline_ends_the_call() {
    let mut r = Relay::new(RelayConfig::default());
    let c = call_for(&mut r, APNS(), Millis(0));
    let out = answer(&mut r, 0, &c, apns_error(429, "TooManyRequests").header("retry-after", "30"));
    assert_eq!(out, vec![]);
    assert_eq!(r.poll_timeout(), Some(Millis(30_000)));
    let (_, again) = fire(&mut r);
    let late = apns_error(503, "ServiceUnavailable").header("retry-after", "40");
    let out = answer(&mut r, 30_000, &again, late);
    assert!(
        matches!(&out[..], [RelayOutput::Outcome(o)]
        if o.result == PushResult::Rejected { status: 503, reason: "ServiceUnavailable".into() }),
        "{out:?}"
    );
}

#[test]
fn an_unreachable_vendor_is_tried_max_attempts_times_and_later_answers_are_ignored() {
    let mut r = Relay::new(RelayConfig::default());
    let mut c = call_for(&mut r, APNS(), Millis(0));
    for attempt in 2..=MAX_ATTEMPTS {
        r.handle(Millis(0), RelayInput::VendorUnreachable { call: c.call, attempt: c.attempt });
        assert_eq!(drain(&mut r), vec![]);
        c = fire(&mut r).1;
        assert_eq!(c.attempt, attempt);
    }
    r.handle(Millis(40_000), RelayInput::VendorUnreachable { call: c.call, attempt: c.attempt });
    assert_eq!(
        outcome(&mut r),
        PushOutcome {
            call: 1,
            attempts: MAX_ATTEMPTS,
            push_id: APNS(),
            message_id: MessageId(42),
            result: PushResult::Unreachable
        }
    );
    r.handle(
        Millis(40_001),
        RelayInput::VendorResponse { call: c.call, attempt: c.attempt, response: HttpResponse::new(200) },
    );
    assert_eq!(drain(&mut r), vec![]);
}

#[test]
fn at_most_max_in_flight_calls_are_outstanding_and_an_answer_frees_a_slot() {
    let mut r = Relay::new(RelayConfig::default());
    for m in 0..=MAX_IN_FLIGHT as u64 {
        r.accept(PushRequest { message_id: MessageId(m), ..request(APNS()) }, Millis(0));
    }
    let calls: Vec<VendorCall> =
        drain(&mut r).into_iter().filter_map(|o| if let RelayOutput::Call(c) = o { Some(c) } else { None }).collect();
    assert_eq!(calls.len(), MAX_IN_FLIGHT);
    let out = answer(&mut r, 1, &calls[0], HttpResponse::new(200));
    assert!(
        matches!(&out[..], [RelayOutput::Outcome(_), RelayOutput::Call(c)] if c.message_id == MessageId(MAX_IN_FLIGHT as u64)),
        "{out:?}"
    );
}

#[test]
fn a_dead_token_report_zim_did_not_take_is_sent_again_until_it_does() {
    let mut r = Relay::new(RelayConfig::default());
    let c = call_for(&mut r, APNS(), Millis(0));
    let out = answer(&mut r, 0, &c, apns_error(400, "BadDeviceToken"));
    let Some(RelayOutput::ToZim { id, request }) = out.first().cloned() else { panic!("{out:?}") };
    r.handle(Millis(5), RelayInput::ZimAnswered { id, ok: false });
    let due = r.poll_timeout().expect("a resend");
    r.handle(due, RelayInput::Tick);
    assert_eq!(drain(&mut r), vec![RelayOutput::ToZim { id, request }]);
    r.handle(due, RelayInput::ZimAnswered { id, ok: true });
    assert_eq!(r.poll_timeout(), None);
}

#[test]
fn the_same_seed_gives_the_same_retry_times() {
    let times = |seed| {
        let mut r = Relay::new(RelayConfig { seed, ..RelayConfig::default() });
        let c = call_for(&mut r, APNS(), Millis(0));
        answer(&mut r, 0, &c, HttpResponse::new(503));
        r.poll_timeout()
    };
    assert_eq!(times(7), times(7));
    assert_ne!((1..20).map(times).collect::<BTreeSet<_>>().len(), 1, "jitter varies with the seed");
}

#[test]
fn answers_for_unknown_calls_are_ignored() {
    let mut r = Relay::new(RelayConfig::default());
    r.handle(Millis(0), RelayInput::VendorResponse { call: 7, attempt: 1, response: HttpResponse::new(200) });
    r.handle(Millis(0), RelayInput::VendorUnreachable { call: 8, attempt: 1 });
    assert_eq!(drain(&mut r), vec![]);
}

fn token_from(outputs: impl IntoIterator<Item = VendorOutput>) -> String {
    outputs
        .into_iter()
        .find_map(|o| match o {
            VendorOutput::ToDevice { frame: VendorToDevice::Token { token, .. }, .. } => Some(token),
            _ => None,
        })
        .expect("a token")
}

fn device_frames(project: Option<&str>) -> [DeviceToVendor; 2] {
    [
        DeviceToVendor::Hello { device: "phone".into() },
        DeviceToVendor::RequestToken { req: 1, app: "im.zego.zimsim.demo".into(), project: project.map(str::to_owned) },
    ]
}

#[test]
fn the_relays_apns_requests_are_accepted_by_the_fake_apns_of_their_environment() {
    for env in [Environment::Development, Environment::Production] {
        let mut apns = Apns::new(env, 7, [RelayConfig::default().apps.apns_signing_key().public()]);
        apns.on_channel_open(ConnId(1));
        for f in device_frames(None) {
            apns.on_channel_frame(ConnId(1), f);
        }
        let token = token_from(std::iter::from_fn(|| apns.poll_output()));
        let mut r = Relay::new(RelayConfig::default());
        let c = call_for(&mut r, PushId::new(Vendor::Apns, env, token), Millis(0));
        let resp = apns.call(&c.request, Millis(0));
        assert_eq!((resp.status, resp.get("apns-id")), (200, c.request.get("apns-id")), "{env}");
        r.handle(Millis(0), RelayInput::VendorResponse { call: c.call, attempt: c.attempt, response: resp.clone() });
        assert_eq!(outcome(&mut r).result, PushResult::Accepted);
    }
}

#[test]
fn the_relays_fcm_requests_are_accepted_by_the_fake_fcm_under_the_right_project() {
    let projects = [("zimsim-debug", Environment::Development), ("zimsim-release", Environment::Production)];
    for (project, env) in projects {
        let apps = RelayConfig::default().apps;
        let accounts = [Environment::Development, Environment::Production].map(|e| apps.fcm_account(e).public());
        let mut fcm = Fcm::new(projects.iter().map(|(p, e)| (p.to_string(), *e)).collect(), 9, accounts);
        fcm.on_channel_open(ConnId(1));
        for f in device_frames(Some(project)) {
            fcm.on_channel_frame(ConnId(1), f);
        }
        let token = token_from(std::iter::from_fn(|| fcm.poll_output()));
        let mut r = Relay::new(RelayConfig::default());
        // The relay signs in at the token endpoint with the project's service account.
        r.accept(request(PushId::new(Vendor::Fcm, env, token)), Millis(0));
        let Some(RelayOutput::Auth { id, request: ask, .. }) = r.poll_output() else { panic!("a token request") };
        let granted = fcm.call(&ask, Millis(0));
        assert_eq!(granted.status, 200, "{project}: {:?}", granted.body_json());
        r.handle(Millis(0), RelayInput::AuthAnswered { id, response: Some(granted) });
        let c = drain(&mut r).into_iter().find_map(|o| if let RelayOutput::Call(c) = o { Some(c) } else { None });
        let c = c.expect("the send");
        let resp = fcm.call(&c.request, Millis(0));
        assert_eq!(resp.status, 200, "{project}: {:?}", resp.body_json());
        r.handle(Millis(0), RelayInput::VendorResponse { call: c.call, attempt: c.attempt, response: resp.clone() });
        assert_eq!(outcome(&mut r).result, PushResult::Accepted);
    }
}

#[test]
fn a_retried_hand_over_of_the_same_push_is_accepted_without_a_second_vendor_call() {
    let mut r = Relay::new(RelayConfig::default());
    let push_id = PushId::new(Vendor::Apns, Environment::Development, APNS_TOKEN);
    call_for(&mut r, push_id.clone(), Millis(0));
    r.accept(request(push_id.clone()), Millis(6_000));
    assert_eq!(drain(&mut r), vec![], "the retry is answered, not sent again");
    // Another message to the same PushID is a new push.
    r.accept(PushRequest { message_id: MessageId(43), ..request(push_id.clone()) }, Millis(6_000));
    assert_eq!(drain(&mut r).len(), 1);
    // Past the window the relay has forgotten it.
    let c = call_for(&mut r, push_id, Millis(crate::relay::DEDUP_WINDOW_MS + 1));
    assert_eq!(c.message_id, MessageId(42));
}

#[test]
fn a_hand_over_batch_is_answered_202_with_one_verdict_per_push_in_order() {
    let mut r = Relay::new(RelayConfig::default());
    let good = request(PushId::new(Vendor::Apns, Environment::Production, APNS_TOKEN));
    let odd =
        PushRequest { message_id: MessageId(43), ..request(PushId::new(Vendor::Hms, Environment::Production, "t")) };
    let batch = crate::wire::PushBatch { pushes: vec![good, odd] };
    let out = crate::core::step(&mut r, Millis(0), RelayInput::Api(ApiRequest { id: 9, request: batch.to_http() }));
    let calls = out.iter().filter(|o| matches!(o, RelayOutput::Call(_))).count();
    assert_eq!(calls, 1, "the APNs push is called out at once: {out:?}");
    // The HMS push waits for an access token, which the relay asks HMS for.
    assert!(matches!(out.as_slice(), [_, RelayOutput::Auth { host, .. }, _] if host == "hms"), "{out:?}");
    let Some(RelayOutput::Respond(ApiResponse { id: 9, response })) = out.last() else {
        panic!("the answer comes last: {out:?}");
    };
    assert_eq!(response.status, 202);
    assert_eq!(response.body_json(), serde_json::json!({"results": ["accepted", "accepted"]}));
}

#[test]
fn a_malformed_hand_over_gets_400_and_an_unknown_route_404_each_naming_the_problem() {
    let mut r = Relay::new(RelayConfig::default());
    let bad = HttpRequest::post(crate::wire::PushBatch::PATH, b"{\"pushes\": 7}".to_vec());
    let lost = HttpRequest::post("/v2/push", b"{}".to_vec());
    for (id, req, status, says) in [(1, bad, 400, "bad push batch"), (2, lost, 404, "no route for POST /v2/push")] {
        match crate::core::step(&mut r, Millis(0), RelayInput::Api(ApiRequest { id, request: req })).as_slice() {
            [RelayOutput::Respond(ApiResponse { id: i, response })] => {
                assert_eq!((*i, response.status), (id, status));
                assert!(response.body_json()["error"].as_str().unwrap().starts_with(says), "{response:?}");
            }
            other => panic!("expected one answer, got {other:?}"),
        }
    }
}

/// The body of the first send a relay with `config` makes for `push` (setting `badge`) to a
/// production PushID of `vendor`, an access token granted if it asks for one.
fn first_send(config: RelayConfig, vendor: Vendor, push: PushConfig, badge: u32) -> serde_json::Value {
    let mut r = Relay::new(config);
    let token = if vendor == Vendor::Apns { APNS_TOKEN } else { "t" };
    let req = PushRequest {
        push: push.into(),
        badge: Some(badge),
        ..request(PushId::new(vendor, Environment::Production, token))
    };
    r.accept(req, Millis(0));
    let mut out = drain(&mut r);
    if let [RelayOutput::Auth { id, .. }] = out.as_slice() {
        out = grant(&mut r, *id, Millis(0));
    }
    let Some(RelayOutput::Call(c)) = out.first() else { panic!("a vendor call: {out:?}") };
    body(c)
}

#[test]
fn a_badge_and_the_rest_of_the_push_config_reach_each_vendors_payload() {
    let voip = crate::wire::VoipConfig { handle_type: 2, handle_value: "+15550100".into(), has_video: true };
    let push = PushConfig {
        resources_id: "calls".into(),
        enable_badge: true,
        badge_increment: 1,
        voip: Some(voip.clone()),
        ..PushConfig::new("Alice", "hello bob", "p")
    };
    for vendor in [Vendor::Apns, Vendor::Fcm] {
        let b = first_send(RelayConfig::default(), vendor, push.clone(), 7);
        let (badge, zim) = match vendor {
            Vendor::Apns => (b["aps"]["badge"].clone(), b["zim"].clone()),
            _ => (
                b["message"]["android"]["notification"]["notification_count"].clone(),
                serde_json::from_str(b["message"]["data"]["zim"].as_str().expect("zim extras as a string")).unwrap(),
            ),
        };
        assert_eq!(badge, serde_json::json!(7), "{vendor:?}");
        assert_eq!(zim["resources_id"], "calls", "{vendor:?}");
        assert_eq!(zim["voip"], serde_json::to_value(&voip).unwrap(), "{vendor:?}");
    }
}

#[test]
fn a_console_data_resource_makes_the_fcm_push_a_data_message_and_leaves_apns_an_alert() {
    use crate::push_services::resources::PushResource;
    let push = PushConfig { resources_id: "silent".into(), ..PushConfig::new("Alice", "hello bob", "p") };
    let call = |vendor: Vendor, console: bool| {
        let mut config = RelayConfig::default();
        if console {
            config.apps.resources.insert("silent".into(), PushResource::data_message());
        }
        first_send(config, vendor, push.clone(), 2)
    };
    let data = call(Vendor::Fcm, true);
    let m = &data["message"];
    assert!(m.get("notification").is_none() && m["android"].get("notification").is_none(), "{data}");
    assert_eq!(
        (&m["data"]["title"], &m["data"]["body"], &m["data"]["badge"]),
        (&json!("Alice"), &json!("hello bob"), &json!("2"))
    );
    assert!(crate::push_services::fcm::decode::is_data_message(m));
    // A resourcesID the console does not know gets the default: a notification message.
    let plain = call(Vendor::Fcm, false);
    assert_eq!(plain["message"]["notification"]["body"], "hello bob", "{plain}");
    // The strategy is FCM's: APNs still gets an alert with the default sound.
    let apns = call(Vendor::Apns, true);
    assert_eq!((&apns["aps"]["alert"]["body"], &apns["aps"]["sound"]), (&json!("hello bob"), &json!("default")));
}

mod timeout;
mod vendors;
