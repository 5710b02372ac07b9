//! vivo Push over HTTP: the auth call's results, its rate limit, and every send result
//! docs/vendors.md lists.

use super::Class::{DeadToken, Delivered, Failed, Reauth};
use super::{apps, bare_failures, body, case, edit_json, header, method, path, push, serve, Tokens};
use crate::block_on;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use zimsim_reference::http::HttpRequest;
use zimsim_reference::push_services::vivo::contract::{self, result, status};
use zimsim_reference::push_services::vivo::Vivo;
use zimsim_reference::pushid::{Environment, Vendor};
use zimsim_reference::topology::VIVO;

fn auth(body: Value) -> HttpRequest {
    HttpRequest::post(contract::AUTH_PATH, body.to_string().into_bytes()).header("content-type", "application/json")
}

/// The relay's send of push 1 to `token` of the release app, with `access`, as request
/// `request_id`.
fn send(token: &str, access: &str, request_id: &str) -> HttpRequest {
    let push = push(Vendor::Vivo, token, 1);
    let app_id = &apps().vivo.production.id;
    contract::request(&contract::Send {
        push: &push,
        app_id,
        auth_token: access,
        request_id: request_id.into(),
        ttl_s: 60,
    })
}

fn answer(c: i64) -> Value {
    json!({ "result": c })
}

#[test]
fn vivo_answers_its_auth_call_and_every_send_result_over_http() {
    block_on(async {
        let apps = apps();
        let release = &apps.vivo.production;
        let mut live = serve(VIVO, apps.fake(VIVO, 7)).await;
        let Tokens { token, debug_token, uninstalled } = live.tokens().await;

        let now = live.now_unix_ms();
        let id: u64 = release.id.parse().expect("a numeric app ID");
        let full = |timestamp: u64, secret: &str| {
            let sign = contract::sign(&release.id, &release.key, timestamp, secret);
            json!({"appId": id, "appKey": release.key, "timestamp": timestamp, "sign": sign})
        };
        let without = |field: &str| {
            let mut b = full(now, &release.secret);
            if let Some(o) = b.as_object_mut() {
                o.remove(field);
            }
            auth(b)
        };
        let good = apps.auth_request(Vendor::Vivo, Environment::Production, now).expect("vivo signs in");
        let answers = live
            .run(vec![
                case("the release app signs in", good.clone(), 200, answer(result::SUCCESS), None),
                case("GET", method(&good, "GET"), 405, Value::Null, None),
                case("an unknown path", path(&good, "/message/other"), 404, Value::Null, None),
                case("a body that is no JSON", body(&good, "{"), 200, answer(result::INVALID_BODY), None),
                case("no appId", without("appId"), 200, answer(result::APP_ID_EMPTY), None),
                case("no appKey", without("appKey"), 200, answer(result::APP_KEY_EMPTY), None),
                case("no timestamp", without("timestamp"), 200, answer(result::TIMESTAMP_EMPTY), None),
                case("no sign", without("sign"), 200, answer(result::SIGN_EMPTY), None),
                case(
                    "an unknown appId",
                    edit_json(&good, |b| b["appId"] = json!(105999999)),
                    200,
                    answer(result::INVALID_APP),
                    None,
                ),
                case(
                    "another app's key",
                    edit_json(&good, |b| b["appKey"] = json!("vivo-debug-app-key")),
                    200,
                    answer(result::INVALID_APP),
                    None,
                ),
                case("a wrong secret", auth(full(now, "wrong")), 200, answer(result::INVALID_SIGN), None),
                case(
                    "a timestamp 11 minutes off",
                    auth(full(now - 660_000, &release.secret)),
                    200,
                    answer(result::INVALID_TIMESTAMP),
                    None,
                ),
            ])
            .await;
        let access = contract::auth_answer(&answers[0]).expect("an auth token").0;
        let debug_access = live.sign_in(Environment::Development).await;

        // Ten auth calls in a second pass; the eleventh is refused. The fake's clock is held
        // still, so all of them fall in one second however slow the machine.
        live.advance(1_000);
        live.freeze(true);
        let burst = live.now_unix_ms();
        let mut results = Vec::new();
        for _ in 0..11 {
            let resp = live.send(auth(full(burst, &release.secret))).await;
            results.push(resp.body_json()["result"].as_i64());
        }
        live.freeze(false);
        let mut want = vec![Some(result::SUCCESS); 10];
        want.push(Some(result::AUTH_RATE_LIMITED));
        assert_eq!(results, want, "vivo auth: ten calls a second, then 10207");

        let to = |token: &str, request_id: &str| send(token, &access, request_id);
        let ok = to(&token, "r1");
        let dead = |s: u64, token: &str| json!({"result": result::INVALID_USER, "invalidUser": {"status": s, "userid": token}});
        let answers = live
            .run(vec![
                case("success", ok.clone(), 200, answer(result::SUCCESS), Delivered),
                case("the same requestId again", ok.clone(), 200, answer(result::SUCCESS), Delivered),
                case("no authToken", header(&ok, "authtoken", None), 200, answer(result::INVALID_AUTH_TOKEN), Reauth),
                case(
                    "an authToken vivo did not issue",
                    header(&ok, "authtoken", Some("vivo-auth-forged")),
                    200,
                    answer(result::INVALID_AUTH_TOKEN),
                    Reauth,
                ),
                case(
                    "the debug app's authToken",
                    header(&to(&token, "r2"), "authtoken", Some(&debug_access)),
                    200,
                    answer(result::APP_ID_MISMATCH),
                    Failed,
                ),
                case("a body that is no JSON", body(&ok, "{"), 200, answer(result::INVALID_BODY), Failed),
                case("no requestId", to(&token, ""), 200, answer(result::INVALID_REQUEST_ID), Failed),
                case(
                    "a 65-character requestId",
                    to(&token, &"r".repeat(65)),
                    200,
                    answer(result::INVALID_REQUEST_ID),
                    Failed,
                ),
                case(
                    "no regId",
                    edit_json(&to(&token, "r3"), |b| b["regId"] = json!("")),
                    200,
                    answer(result::MISSING_REG_ID),
                    Failed,
                ),
            ])
            .await;
        let task = |i: usize| answers[i].body_json()["taskId"].as_str().map(str::to_owned);
        assert!(task(0).is_some() && task(0) == task(1), "a repeated requestId gets the first taskId");

        // Field checks come after the replay check: each row has its own requestId.
        let fresh = to(&token, "r4");
        let field = |f: fn(&mut Value)| edit_json(&fresh, f);
        let invalid = |name: &str, f: fn(&mut Value), r: i64| case(name, field(f), 200, answer(r), Failed);
        let dead_row = |name: &str, token: &str, request_id: &str, s: u64| {
            case(name, to(token, request_id), 200, dead(s, token), DeadToken)
        };
        live.run(vec![
            invalid("notifyType 9", |b| b["notifyType"] = json!(9), result::INVALID_NOTIFY_TYPE),
            invalid("a title of 41 units", |b| b["title"] = json!("t".repeat(41)), result::INVALID_TITLE),
            invalid("a title of 21 CJK characters", |b| b["title"] = json!("字".repeat(21)), result::INVALID_TITLE),
            invalid("an empty content", |b| b["content"] = json!(""), result::INVALID_CONTENT),
            invalid("a content of 101 units", |b| b["content"] = json!("c".repeat(101)), result::INVALID_CONTENT),
            invalid("timeToLive 59", |b| b["timeToLive"] = json!(59), result::INVALID_TTL),
            invalid("skipType 2 without a URL", |b| b["skipType"] = json!(2), result::INVALID_SKIP),
            invalid(
                "11 custom pairs",
                |b| {
                    b["clientCustomMap"] =
                        json!((0..11).map(|i| (format!("k{i}"), json!("v"))).collect::<serde_json::Map<_, _>>())
                },
                result::INVALID_CUSTOM_MAP,
            ),
            invalid(
                "custom pairs over 1024 characters",
                |b| b["clientCustomMap"] = json!({"k": "v".repeat(1024)}),
                result::INVALID_CUSTOM_MAP,
            ),
            invalid("pushMode 2", |b| b["pushMode"] = json!(2), result::INVALID_PUSH_MODE),
            dead_row("an unknown regId", "12345678901234567890123", "r5", status::NO_SUCH_USER),
            dead_row("the debug app's regId", &debug_token, "r6", status::NO_SUCH_USER),
            dead_row("an uninstalled app's regId", &uninstalled, "r7", status::UNSUBSCRIBED),
            case(
                "a test push to a device not registered for tests",
                field(|b| b["pushMode"] = json!(1)),
                200,
                dead(status::NOT_A_TEST_USER, &token),
                Failed,
            ),
            case("the same fields, pushMode 0", fresh.clone(), 200, answer(result::SUCCESS), Delivered),
        ])
        .await;

        live.injected(&to(&token, "r8"), bare_failures()).await;

        // An authToken works for one day.
        live.advance(contract::TOKEN_LIFETIME_MS);
        let late = to(&token, "r9");
        live.run(vec![case("an expired authToken", late, 200, answer(result::INVALID_AUTH_TOKEN), Reauth)]).await;
    });
}

/// The world's fake has no daily quota; this one, with the release app's credentials,
/// allows one send a day.
#[test]
fn vivo_answers_10070_over_http_once_the_daily_quota_is_used() {
    block_on(async {
        let apps = apps();
        let release = &apps.vivo.production;
        let entry = (release.key.clone(), release.secret.clone(), Environment::Production);
        let fake = Vivo::new(BTreeMap::from([(release.id.clone(), entry)]), 8).with_daily_quota(1);
        let mut live = serve(VIVO, Box::new(fake)).await;
        let token = live.phone.token(&apps.bundle, Some(&release.id)).await;
        let access = live.sign_in(Environment::Production).await;
        let to = |request_id: &str| send(&token, &access, request_id);
        live.run(vec![
            case("the day's first send", to("q1"), 200, answer(result::SUCCESS), Delivered),
            case("the day's second send", to("q2"), 200, answer(result::DAILY_QUOTA), Failed),
        ])
        .await;
    });
}
