//! The relay against HMS, Xiaomi, OPPO and vivo: routing by vendor and environment, the
//! access tokens of the vendors that take one, and whole round trips through each fake.

use super::*;
use crate::push_services::apps::PushApps;
use crate::push_services::{takes_access_token, DynVendor, VendorInput};
use crate::topology;

const ANDROID: [Vendor; 4] = [Vendor::Hms, Vendor::Mi, Vendor::Oppo, Vendor::Vivo];

/// The fake of `vendor`, with a device that took a token for the `env` build's app.
pub(super) fn fake_with_token(vendor: Vendor, env: Environment) -> (DynVendor, String) {
    let apps = PushApps::default();
    let mut fake = apps.fake(topology::vendor_host(vendor, env), 5);
    fake.handle(Millis(0), VendorInput::ChannelOpen { channel: ConnId(1) });
    for frame in device_frames(apps.project(vendor, env)) {
        fake.handle(Millis(0), VendorInput::ChannelFrame { channel: ConnId(1), frame });
    }
    let token = token_from(std::iter::from_fn(|| fake.poll_output()));
    (fake, token)
}

/// Answers `req` with `fake` at `now`; what else the fake did goes to `rest`.
fn ask_and_keep(fake: &mut DynVendor, req: &HttpRequest, now: Millis, rest: &mut Vec<VendorOutput>) -> HttpResponse {
    fake.handle(now, VendorInput::Api(ApiRequest { id: 77, request: req.clone() }));
    let mut response = None;
    for o in std::iter::from_fn(|| fake.poll_output()) {
        match o {
            VendorOutput::Respond(r) if r.id == 77 => response = Some(r.response),
            other => rest.push(other),
        }
    }
    response.expect("the fake answers at once")
}

pub(super) fn ask(fake: &mut DynVendor, req: &HttpRequest, now: Millis) -> HttpResponse {
    ask_and_keep(fake, req, now, &mut Vec::new())
}

/// Plays the relay's outputs against `fake` until nothing is left, returning the outcomes
/// (and what else the fake did to `rest`).
fn settle_and_keep(r: &mut Relay, fake: &mut DynVendor, now: Millis, rest: &mut Vec<VendorOutput>) -> Vec<PushOutcome> {
    let mut outcomes = Vec::new();
    while let Some(out) = r.poll_output() {
        match out {
            RelayOutput::Auth { id, request: req, .. } => {
                let response = Some(ask_and_keep(fake, &req, now, rest));
                r.handle(now, RelayInput::AuthAnswered { id, response });
            }
            RelayOutput::Call(c) => {
                let response = ask_and_keep(fake, &c.request, now, rest);
                r.handle(now, RelayInput::VendorResponse { call: c.call, attempt: c.attempt, response });
            }
            RelayOutput::Outcome(o) => outcomes.push(o),
            _ => {}
        }
    }
    outcomes
}

fn settle(r: &mut Relay, fake: &mut DynVendor, now: Millis) -> Vec<PushOutcome> {
    settle_and_keep(r, fake, now, &mut Vec::new())
}

#[test]
fn every_android_vendors_push_goes_to_its_host_and_is_delivered_in_each_environment() {
    for vendor in ANDROID {
        for env in [Environment::Development, Environment::Production] {
            let (mut fake, token) = fake_with_token(vendor, env);
            let mut r = Relay::new(RelayConfig::default());
            r.accept(request(PushId::new(vendor, env, token)), Millis(0));
            let mut frames = Vec::new();
            let outcomes = settle_and_keep(&mut r, &mut fake, Millis(0), &mut frames);
            assert_eq!(outcomes.len(), 1, "{vendor} {env}");
            assert_eq!(outcomes[0].result, PushResult::Accepted, "{vendor} {env}");
            // The device got the notification on its channel, and its SDK can read it.
            let payload = frames.iter().find_map(|o| match o {
                VendorOutput::ToDevice { frame: VendorToDevice::Notification(n), .. } => Some(n.payload.clone()),
                _ => None,
            });
            let n = crate::push_services::decode(vendor, &payload.expect("a notification")).expect("decodable");
            assert_eq!(
                (n.title.as_str(), n.content.as_str(), n.message_id),
                ("Alice", "hello bob", Some(MessageId(42))),
                "{vendor} {env}"
            );
        }
    }
}

#[test]
fn a_token_of_one_environment_pushed_as_the_other_is_refused_and_kept_bound() {
    for vendor in ANDROID {
        let (mut fake, token) = fake_with_token(vendor, Environment::Development);
        let mut r = Relay::new(RelayConfig::default());
        r.accept(request(PushId::new(vendor, Environment::Production, token)), Millis(0));
        let outcomes = settle(&mut r, &mut fake, Millis(0));
        let result = &outcomes.last().expect("an outcome").result;
        assert!(!matches!(result, PushResult::Accepted), "{vendor}: {result:?}");
    }
}

#[test]
fn the_relay_fetches_one_access_token_per_vendor_and_environment_and_reuses_it() {
    for vendor in ANDROID.into_iter().filter(|v| takes_access_token(*v)) {
        let mut r = Relay::new(RelayConfig::default());
        let (mut fake, token) = fake_with_token(vendor, Environment::Production);
        for m in 1..=3 {
            let push = PushRequest {
                message_id: MessageId(m),
                ..request(PushId::new(vendor, Environment::Production, &token))
            };
            r.accept(push, Millis(m * 1000));
        }
        // One token request, and the three pushes wait for it.
        let out = drain(&mut r);
        let [RelayOutput::Auth { id, host, request: req }] = out.as_slice() else { panic!("{vendor}: {out:?}") };
        assert_eq!(host, topology::vendor_host(vendor, Environment::Production).name);
        let response = Some(ask(&mut fake, req, Millis(3_000)));
        r.handle(Millis(3_000), RelayInput::AuthAnswered { id: *id, response });
        let out = drain(&mut r);
        let calls: Vec<&VendorCall> =
            out.iter().filter_map(|o| if let RelayOutput::Call(c) = o { Some(c) } else { None }).collect();
        assert_eq!(calls.iter().map(|c| c.message_id.0).collect::<Vec<_>>(), [1, 2, 3], "{vendor}: in order");
        let expected =
            AuthOutcome { vendor, env: Environment::Production, lifetime_ms: Some(lifetime(vendor)), error: None };
        assert_eq!(out[0], RelayOutput::Authorized(expected));
        // A later push reuses the token, and the development app gets its own.
        r.accept(
            PushRequest { message_id: MessageId(9), ..request(PushId::new(vendor, Environment::Production, &token)) },
            Millis(4_000),
        );
        assert!(matches!(drain(&mut r).as_slice(), [RelayOutput::Call(_)]), "{vendor}");
        r.accept(request(PushId::new(vendor, Environment::Development, "x")), Millis(4_000));
        assert!(matches!(drain(&mut r).as_slice(), [RelayOutput::Auth { .. }]), "{vendor}");
    }
}

/// How long `vendor`'s access tokens last.
fn lifetime(vendor: Vendor) -> u64 {
    match vendor {
        Vendor::Hms => crate::push_services::hms::contract::ACCESS_TOKEN_LIFETIME_S * 1000,
        Vendor::Oppo => crate::push_services::oppo::contract::TOKEN_LIFETIME_MS,
        _ => crate::push_services::vivo::contract::TOKEN_LIFETIME_MS,
    }
}

#[test]
fn an_access_token_is_replaced_before_it_expires() {
    let vendor = Vendor::Hms;
    let (mut fake, token) = fake_with_token(vendor, Environment::Production);
    let mut r = Relay::new(RelayConfig::default());
    r.accept(request(PushId::new(vendor, Environment::Production, &token)), Millis(0));
    assert_eq!(settle(&mut r, &mut fake, Millis(0))[0].result, PushResult::Accepted);
    // HMS tokens last an hour: the relay stops using one after 54 minutes.
    let (part, whole) = AUTH_REFRESH_FRACTION;
    let stale = Millis(3_600_000 / whole * part);
    let push = |m, at| {
        let p =
            PushRequest { message_id: MessageId(m), ..request(PushId::new(vendor, Environment::Production, &token)) };
        (p, at)
    };
    let (p, at) = push(2, Millis(stale.0 - 1));
    r.accept(p, at);
    assert!(matches!(drain(&mut r).as_slice(), [RelayOutput::Call(_)]));
    let (p, at) = push(3, stale);
    r.accept(p, at);
    assert!(matches!(drain(&mut r).as_slice(), [RelayOutput::Auth { .. }]));
}

#[test]
fn a_send_refused_for_its_access_token_is_retried_with_a_fresh_one() {
    let vendor = Vendor::Hms;
    let (mut fake, token) = fake_with_token(vendor, Environment::Production);
    let mut r = Relay::new(RelayConfig::default());
    r.accept(request(PushId::new(vendor, Environment::Production, &token)), Millis(0));
    let Some(RelayOutput::Auth { id, .. }) = r.poll_output() else { panic!("a token request") };
    // The endpoint answers with a token HMS never issued: the send is refused for it.
    let forged = HttpResponse::json(
        200,
        &serde_json::json!({"access_token": "forged", "expires_in": 3600, "token_type": "Bearer"}),
    );
    r.handle(Millis(0), RelayInput::AuthAnswered { id, response: Some(forged) });
    let call = drain(&mut r)
        .into_iter()
        .find_map(|o| if let RelayOutput::Call(c) = o { Some(c) } else { None })
        .expect("a call");
    let refused = ask(&mut fake, &call.request, Millis(0));
    assert!(matches!(crate::push_services::verdict(vendor, &refused), Verdict::Reauth { .. }), "{refused:?}");
    r.handle(Millis(0), RelayInput::VendorResponse { call: call.call, attempt: call.attempt, response: refused });
    assert_eq!(drain(&mut r), vec![], "nothing until the backoff is over");
    let due = r.poll_timeout().expect("a retry is due");
    r.handle(due, RelayInput::Tick);
    // The retry fetches a new token, then resends the same push with it.
    let outcomes = settle(&mut r, &mut fake, due);
    assert_eq!(outcomes.len(), 1);
    assert_eq!((outcomes[0].result.clone(), outcomes[0].attempts), (PushResult::Accepted, 2));
}

#[test]
fn a_token_endpoint_that_refuses_the_relay_fails_the_waiting_pushes_under_the_retry_rule() {
    let vendor = Vendor::Vivo;
    let mut r = Relay::new(RelayConfig::default());
    r.accept(request(PushId::new(vendor, Environment::Production, "12345678901234567890123")), Millis(0));
    let mut now = Millis(0);
    let mut auths = 0;
    loop {
        match r.poll_output() {
            Some(RelayOutput::Auth { id, .. }) => {
                auths += 1;
                r.handle(now, RelayInput::AuthAnswered { id, response: None });
            }
            Some(RelayOutput::Outcome(o)) => {
                assert_eq!(o.attempts, MAX_ATTEMPTS);
                assert!(
                    matches!(&o.result, PushResult::Rejected { status: 0, reason } if reason == "auth: no answer"),
                    "{o:?}"
                );
                break;
            }
            Some(_) => {}
            None => {
                now = r.poll_timeout().expect("a retry is due");
                r.handle(now, RelayInput::Tick);
            }
        }
    }
    assert_eq!(auths, MAX_ATTEMPTS);
}

#[test]
fn every_try_of_a_vivo_push_carries_the_same_request_id() {
    let mut r = Relay::new(RelayConfig { boot: 2, ..RelayConfig::default() });
    let push_id = PushId::new(Vendor::Vivo, Environment::Production, "12345678901234567890123");
    r.accept(request(push_id), Millis(0));
    let Some(RelayOutput::Auth { id, .. }) = r.poll_output() else { panic!("a token request") };
    let granted = HttpResponse::json(200, &serde_json::json!({"result": 0, "desc": "ok", "authToken": "tok"}));
    r.handle(Millis(0), RelayInput::AuthAnswered { id, response: Some(granted) });
    let first = drain(&mut r)
        .into_iter()
        .find_map(|o| if let RelayOutput::Call(c) = o { Some(c) } else { None })
        .expect("a call");
    assert_eq!(body(&first)["requestId"], "zpns-2-1");
    r.handle(
        Millis(0),
        RelayInput::VendorResponse { call: first.call, attempt: first.attempt, response: HttpResponse::new(503) },
    );
    let due = r.poll_timeout().expect("a retry");
    r.handle(due, RelayInput::Tick);
    let Some(RelayOutput::Call(second)) = r.poll_output() else { panic!("the retry") };
    assert_eq!((second.attempt, second.request.clone()), (2, first.request));
}

#[test]
fn an_overloaded_vendor_answering_a_bare_429_or_5xx_is_retried_by_every_contract() {
    for vendor in [Vendor::Apns, Vendor::Fcm, Vendor::Hms, Vendor::Mi, Vendor::Oppo, Vendor::Vivo] {
        for status in [429, 500, 503] {
            let resp = HttpResponse::new(status).header("retry-after", "3");
            let verdict = crate::push_services::verdict(vendor, &resp);
            assert!(matches!(verdict, Verdict::Retry { after_ms: Some(3000), .. }), "{vendor} {status}: {verdict:?}");
        }
    }
}
