//! Unit tests of the relay core (and its requests against the vendor fakes).

use super::*;
use crate::ids::{ConnId, ConvKey};
use crate::vendor::apns::Apns;
use crate::vendor::fcm::Fcm;
use crate::vendor::{DeviceToVendor, Drive, VendorOutput, VendorToDevice};
use crate::wire::PushConfig;

const APNS_TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn request(push_id: PushId) -> PushRequest {
    PushRequest {
        push_id,
        user_id: "bob".into(),
        message_id: MessageId(42),
        conv: ConvKey::peer(&"alice".into(), &"bob".into()),
        from: "alice".into(),
        push: PushConfig::new("Alice", "hello bob", "{\"room\":7}"),
        badge: None,
    }
}

fn drain(r: &mut Relay) -> Vec<RelayOutput> {
    std::iter::from_fn(|| r.poll_output()).collect()
}

/// Pushes `push_id` and returns the single vendor call the relay made.
fn call_for(r: &mut Relay, push_id: PushId, now: Millis) -> VendorCall {
    r.accept(request(push_id), now).expect("supported vendor");
    match drain(r).as_slice() {
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

#[test]
fn the_debug_fcm_project_belongs_to_development_and_the_release_project_to_production() {
    let config =
        RelayConfig { fcm_debug_project: "dbg".into(), fcm_release_project: "rel".into(), ..RelayConfig::default() };
    let projects = config.fcm_projects();
    assert_eq!(
        projects,
        BTreeMap::from([("dbg".to_owned(), Environment::Development), ("rel".to_owned(), Environment::Production)])
    );
    // The same table the relay routes by.
    for env in [Environment::Development, Environment::Production] {
        assert_eq!(projects.get(config.fcm_project(env)), Some(&env));
    }
}

#[test]
fn an_apns_development_push_id_goes_to_the_sandbox_with_the_sandbox_bearer() {
    let mut r = Relay::new(RelayConfig::default());
    let push_id = PushId::new(Vendor::Apns, Environment::Development, APNS_TOKEN);
    let c = call_for(&mut r, push_id.clone(), Millis(0));
    assert_eq!((c.call, c.host.as_str(), &c.push_id, c.message_id), (1, "apns-sandbox", &push_id, MessageId(42)));
    assert_eq!(c.request.get("authorization"), Some("bearer sandbox-provider-token"));
}

#[test]
fn an_apns_production_push_id_goes_to_production_with_the_production_bearer() {
    let mut r = Relay::new(RelayConfig::default());
    let c = call_for(&mut r, PushId::new(Vendor::Apns, Environment::Production, APNS_TOKEN), Millis(0));
    assert_eq!(c.host, "apns-production");
    assert_eq!(c.request.get("authorization"), Some("bearer production-provider-token"));
}

#[test]
fn an_apns_request_posts_to_the_device_path_with_apple_headers() {
    let mut r = Relay::new(RelayConfig::default());
    let push_id = PushId::new(Vendor::Apns, Environment::Development, APNS_TOKEN);
    r.accept(PushRequest { message_id: MessageId(41), ..request(push_id.clone()) }, Millis(0)).unwrap();
    drain(&mut r);
    let c = call_for(&mut r, push_id, Millis(5_000));
    assert_eq!(c.call, 2);
    let req = &c.request;
    assert_eq!((req.method.as_str(), req.path.clone()), ("POST", format!("/3/device/{APNS_TOKEN}")));
    assert_eq!(req.get("apns-topic"), Some("im.zego.zimsim.demo"));
    assert_eq!(req.get("apns-push-type"), Some("alert"));
    assert_eq!(req.get("apns-priority"), Some("10"));
    assert_eq!(req.get("apns-id"), Some("21000000-0000-4000-8000-000000000002"));
    assert!(crate::vendor::apns::is_canonical_uuid(req.get("apns-id").unwrap_or_default()));
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
    assert_eq!(c.request.get("authorization"), Some("Bearer ya29.zimsim-access-token"));
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
                    "zim_message_id": "42",
                    "zim_to": "bob",
                    "zim_from": "alice",
                    "zim": "{\"conv\":{\"a\":\"alice\",\"b\":\"bob\",\"type\":\"peer\"},\"from\":\"alice\",\"message_id\":42,\"to\":\"bob\"}",
                },
                "android": {"priority": "HIGH", "ttl": "86400s"},
            }
        })
    );
    let data = b.pointer("/message/data").and_then(|d| d.as_object()).expect("data map");
    assert!(data.values().all(serde_json::Value::is_string), "FCM rejects non-string data values: {data:?}");
}

#[test]
fn an_unsupported_vendor_is_refused_without_a_call() {
    let mut r = Relay::new(RelayConfig::default());
    for vendor in [Vendor::Hms, Vendor::Mi, Vendor::Oppo, Vendor::Vivo] {
        let err = r.accept(request(PushId::new(vendor, Environment::Production, "t")), Millis(0));
        assert_eq!(err, Err(RelayError::UnsupportedVendor(vendor)));
    }
    assert_eq!(drain(&mut r), vec![]);
    // No call number was used up.
    let c = call_for(&mut r, PushId::new(Vendor::Apns, Environment::Production, APNS_TOKEN), Millis(0));
    assert_eq!(c.call, 1);
}

#[test]
fn a_2xx_vendor_response_is_accepted() {
    let mut r = Relay::new(RelayConfig::default());
    let push_id = PushId::new(Vendor::Apns, Environment::Production, APNS_TOKEN);
    let c = call_for(&mut r, push_id.clone(), Millis(0));
    r.handle(Millis(1), RelayInput::VendorResponse { call: c.call, response: HttpResponse::new(200) });
    assert_eq!(
        outcome(&mut r),
        PushOutcome { call: 1, push_id, message_id: MessageId(42), result: PushResult::Accepted }
    );
}

#[test]
fn an_apns_rejection_is_reported_with_its_reason() {
    let mut r = Relay::new(RelayConfig::default());
    let c = call_for(&mut r, PushId::new(Vendor::Apns, Environment::Production, APNS_TOKEN), Millis(0));
    let resp = HttpResponse::json(400, &serde_json::json!({"reason": "BadDeviceToken"}));
    r.handle(Millis(1), RelayInput::VendorResponse { call: c.call, response: resp.clone() });
    assert_eq!(outcome(&mut r).result, PushResult::Rejected { status: 400, reason: "BadDeviceToken".into() });
}

#[test]
fn an_fcm_rejection_is_reported_with_the_fcm_error_code() {
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
    r.handle(Millis(1), RelayInput::VendorResponse { call: c.call, response: resp.clone() });
    assert_eq!(outcome(&mut r).result, PushResult::Rejected { status: 404, reason: "UNREGISTERED".into() });
}

#[test]
fn an_fcm_rejection_without_an_error_code_falls_back_to_the_canonical_status() {
    let mut r = Relay::new(RelayConfig::default());
    let c = call_for(&mut r, PushId::new(Vendor::Fcm, Environment::Production, "t"), Millis(0));
    let resp = HttpResponse::json(
        401,
        &serde_json::json!({"error": {"code": 401, "message": "no", "status": "UNAUTHENTICATED", "details": []}}),
    );
    r.handle(Millis(1), RelayInput::VendorResponse { call: c.call, response: resp.clone() });
    assert_eq!(outcome(&mut r).result, PushResult::Rejected { status: 401, reason: "UNAUTHENTICATED".into() });
}

#[test]
fn a_rejection_without_a_readable_body_has_reason_unknown() {
    let mut r = Relay::new(RelayConfig::default());
    let c = call_for(&mut r, PushId::new(Vendor::Apns, Environment::Production, APNS_TOKEN), Millis(0));
    r.handle(Millis(1), RelayInput::VendorResponse { call: c.call, response: HttpResponse::new(503) });
    assert_eq!(outcome(&mut r).result, PushResult::Rejected { status: 503, reason: "unknown".into() });
}

#[test]
fn an_unreachable_vendor_is_reported_once_and_later_answers_are_ignored() {
    let mut r = Relay::new(RelayConfig::default());
    let push_id = PushId::new(Vendor::Fcm, Environment::Development, "t");
    let c = call_for(&mut r, push_id.clone(), Millis(0));
    r.handle(Millis(1), RelayInput::VendorUnreachable { call: c.call });
    assert_eq!(
        outcome(&mut r),
        PushOutcome { call: 1, push_id, message_id: MessageId(42), result: PushResult::Unreachable }
    );
    r.handle(Millis(2), RelayInput::VendorResponse { call: c.call, response: HttpResponse::new(200) });
    r.handle(Millis(2), RelayInput::VendorUnreachable { call: c.call });
    assert_eq!(drain(&mut r), vec![]);
}

#[test]
fn answers_for_unknown_calls_are_ignored() {
    let mut r = Relay::new(RelayConfig::default());
    r.handle(Millis(0), RelayInput::VendorResponse { call: 7, response: HttpResponse::new(200) });
    r.handle(Millis(0), RelayInput::VendorUnreachable { call: 8 });
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
        let mut apns = Apns::new(env, 7);
        apns.on_channel_open(ConnId(1));
        for f in device_frames(None) {
            apns.on_channel_frame(ConnId(1), f);
        }
        let token = token_from(std::iter::from_fn(|| apns.poll_output()));
        let mut r = Relay::new(RelayConfig::default());
        let c = call_for(&mut r, PushId::new(Vendor::Apns, env, token), Millis(0));
        let resp = apns.call(&c.request, Millis(0));
        assert_eq!((resp.status, resp.get("apns-id")), (200, c.request.get("apns-id")), "{env}");
        r.handle(Millis(0), RelayInput::VendorResponse { call: c.call, response: resp.clone() });
        assert_eq!(outcome(&mut r).result, PushResult::Accepted);
    }
}

#[test]
fn the_relays_fcm_requests_are_accepted_by_the_fake_fcm_under_the_right_project() {
    let projects = [("zimsim-debug", Environment::Development), ("zimsim-release", Environment::Production)];
    for (project, env) in projects {
        let mut fcm = Fcm::new(projects.iter().map(|(p, e)| (p.to_string(), *e)).collect(), 9);
        fcm.on_channel_open(ConnId(1));
        for f in device_frames(Some(project)) {
            fcm.on_channel_frame(ConnId(1), f);
        }
        let token = token_from(std::iter::from_fn(|| fcm.poll_output()));
        let mut r = Relay::new(RelayConfig::default());
        let c = call_for(&mut r, PushId::new(Vendor::Fcm, env, token), Millis(0));
        let resp = fcm.call(&c.request, Millis(0));
        assert_eq!(resp.status, 200, "{project}: {:?}", resp.body_json());
        r.handle(Millis(0), RelayInput::VendorResponse { call: c.call, response: resp.clone() });
        assert_eq!(outcome(&mut r).result, PushResult::Accepted);
    }
}

#[test]
fn a_retried_hand_over_of_the_same_push_is_accepted_without_a_second_vendor_call() {
    let mut r = Relay::new(RelayConfig::default());
    let push_id = PushId::new(Vendor::Apns, Environment::Development, APNS_TOKEN);
    call_for(&mut r, push_id.clone(), Millis(0));
    assert_eq!(r.accept(request(push_id.clone()), Millis(6_000)), Ok(()));
    assert_eq!(drain(&mut r), vec![], "the retry is answered, not sent again");
    // Another message to the same PushID is a new push.
    r.accept(PushRequest { message_id: MessageId(43), ..request(push_id.clone()) }, Millis(6_000)).unwrap();
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
    assert_eq!(calls, 1, "only the supported push is called out: {out:?}");
    assert!(out.contains(&RelayOutput::Rejected {
        message_id: MessageId(43),
        push_id: PushId::new(Vendor::Hms, Environment::Production, "t"),
        error: "vendor hms is not supported by this relay yet".into()
    }));
    let Some(RelayOutput::Respond(ApiResponse { id: 9, response })) = out.last() else {
        panic!("the answer comes last: {out:?}");
    };
    assert_eq!(response.status, 202);
    assert_eq!(
        response.body_json(),
        serde_json::json!({"results": ["accepted", {"rejected": {"error": "vendor hms is not supported by this relay yet"}}]})
    );
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
        let mut r = Relay::new(RelayConfig::default());
        let token = if vendor == Vendor::Apns { APNS_TOKEN } else { "t" };
        let req = PushRequest {
            push: push.clone(),
            badge: Some(7),
            ..request(PushId::new(vendor, Environment::Production, token))
        };
        r.accept(req, Millis(0)).expect("supported vendor");
        let Some(RelayOutput::Call(c)) = r.poll_output() else { panic!("a vendor call") };
        let b = body(&c);
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
