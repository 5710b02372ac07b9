//! OPPO Push over HTTP: the auth call's codes and every unicast code docs/vendors.md
//! lists, each in an HTTP 200.

use super::Class::{DeadToken, Delivered, Failed, Reauth};
use super::{apps, bare_failures, case, edit_form, form_post, method, path, push, serve, set_field, Tokens};
use crate::block_on;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use zimsim_reference::http::HttpRequest;
use zimsim_reference::push_services::oppo::contract::{self, code};
use zimsim_reference::push_services::oppo::Oppo;
use zimsim_reference::pushid::{Environment, Vendor};
use zimsim_reference::topology::OPPO;

fn auth(pairs: &[(&str, &str)]) -> HttpRequest {
    form_post(contract::AUTH_PATH, pairs)
}

/// `req` with the JSON of its `message` field edited by `f`.
fn message(req: &HttpRequest, f: fn(&mut Value)) -> HttpRequest {
    edit_form(req, |pairs| {
        for (_, v) in pairs.iter_mut().filter(|(k, _)| k == "message") {
            let mut m: Value = serde_json::from_str(v).expect("message is JSON");
            f(&mut m);
            *v = m.to_string();
        }
    })
}

#[test]
fn oppo_answers_its_auth_call_and_every_unicast_code_over_http() {
    block_on(async {
        let apps = apps();
        let (release, debug) = (&apps.oppo.production, &apps.oppo.development);
        let mut live = serve(OPPO, apps.fake(OPPO, 5)).await;
        let Tokens { token, debug_token, uninstalled } = live.tokens().await;

        let code = |c: i64| json!({ "code": c });
        let now = live.now_unix_ms();
        let signed = |ts: u64, secret: &str| {
            let ts = ts.to_string();
            auth(&[("app_key", &release.key), ("timestamp", &ts), ("sign", &contract::sign(&release.key, &ts, secret))])
        };
        let ts = now.to_string();
        let sign = contract::sign(&release.key, &ts, &release.secret);
        let good = apps.auth_request(Vendor::Oppo, Environment::Production, now).expect("OPPO signs in");
        let answers = live
            .run(vec![
                case("the release app signs in", good.clone(), 200, code(code::SUCCESS), None),
                case("GET", method(&good, "GET"), 200, code(code::METHOD_NOT_ALLOWED), None),
                case("an unknown path", path(&good, "/server/v1/other"), 200, code(code::INVALID_METHOD), None),
                case(
                    "no app_key",
                    auth(&[("timestamp", &ts), ("sign", &sign)]),
                    200,
                    code(code::MISSING_APP_KEY),
                    None,
                ),
                case(
                    "an unknown app_key",
                    auth(&[("app_key", "0000"), ("timestamp", &ts), ("sign", &sign)]),
                    200,
                    code(code::INVALID_APP_KEY),
                    None,
                ),
                case(
                    "no timestamp",
                    auth(&[("app_key", &release.key), ("sign", &sign)]),
                    200,
                    code(code::MISSING_TIMESTAMP),
                    None,
                ),
                case(
                    "no sign",
                    auth(&[("app_key", &release.key), ("timestamp", &ts)]),
                    200,
                    code(code::MISSING_SIGN),
                    None,
                ),
                case(
                    "a timestamp 11 minutes old",
                    signed(now - 660_000, &release.secret),
                    200,
                    code(code::INVALID_TIMESTAMP),
                    None,
                ),
                case(
                    "a timestamp a minute ahead",
                    signed(now + 60_000, &release.secret),
                    200,
                    code(code::INVALID_TIMESTAMP),
                    None,
                ),
                case(
                    "a timestamp in seconds",
                    signed(now / 1000, &release.secret),
                    200,
                    code(code::INVALID_TIMESTAMP),
                    None,
                ),
                case("a wrong secret", signed(now, "wrong"), 200, code(code::INVALID_SIGN), None),
                case("another app's secret", signed(now, &debug.secret), 200, code(code::INVALID_SIGN), None),
            ])
            .await;
        let access = contract::auth_answer(&answers[0]).expect("an auth token").0;

        let to = |token: &str, id: u64| {
            let push = push(Vendor::Oppo, token, id);
            contract::request(&contract::Send { push: &push, auth_token: &access, ttl_s: 60 })
        };
        let ok = to(&token, 1);
        let field = |name: &str, value: Option<&str>| edit_form(&ok, |f| set_field(f, name, value));
        let answers = live
            .run(vec![
                case("success", ok.clone(), 200, code(code::SUCCESS), Delivered),
                case("the same app_message_id again", ok.clone(), 200, code(code::SUCCESS), Delivered),
                case("GET", method(&ok, "GET"), 200, code(code::METHOD_NOT_ALLOWED), Failed),
                case("no auth_token", field("auth_token", None), 200, code(code::MISSING_AUTH_TOKEN), Failed),
                case(
                    "an auth token OPPO did not issue",
                    field("auth_token", Some("oppo-auth-forged")),
                    200,
                    code(code::INVALID_AUTH_TOKEN),
                    Reauth,
                ),
                case("no message", field("message", None), 200, code(code::MISSING_ARGUMENTS), Failed),
                case(
                    "no title",
                    message(&ok, |m| m["notification"]["title"] = Value::Null),
                    200,
                    code(code::MISSING_ARGUMENTS),
                    Failed,
                ),
                case(
                    "no target_value",
                    message(&ok, |m| m["target_value"] = Value::Null),
                    200,
                    code(code::MISSING_ARGUMENTS),
                    Failed,
                ),
                case(
                    "a message that is no JSON",
                    field("message", Some("{")),
                    200,
                    code(code::INVALID_ARGUMENTS),
                    Failed,
                ),
                case(
                    "a 51-character title",
                    message(&ok, |m| m["notification"]["title"] = json!("t".repeat(51))),
                    200,
                    code(code::INVALID_ARGUMENTS),
                    Failed,
                ),
                case(
                    "style 4",
                    message(&ok, |m| m["notification"]["style"] = json!(4)),
                    200,
                    code(code::INVALID_ARGUMENTS),
                    Failed,
                ),
                case(
                    "target_type 5",
                    message(&ok, |m| m["target_type"] = json!(5)),
                    200,
                    code(code::INVALID_ARGUMENTS),
                    Failed,
                ),
                case(
                    "action_parameters that are no object",
                    message(&ok, |m| m["notification"]["action_parameters"] = json!("[]")),
                    200,
                    code(code::INVALID_ARGUMENTS),
                    Failed,
                ),
                case(
                    "an unknown regId",
                    to("CN_00000000000000000000000000000000", 2),
                    200,
                    code(code::INVALID_REGISTRATION_ID),
                    DeadToken,
                ),
                case(
                    "an uninstalled app's regId",
                    to(&uninstalled, 3),
                    200,
                    code(code::INVALID_REGISTRATION_ID),
                    DeadToken,
                ),
                case("the debug app's regId", to(&debug_token, 4), 200, code(code::INVALID_REGISTRATION_ID), DeadToken),
            ])
            .await;
        let id = |i: usize| answers[i].body_json()["data"]["messageId"].as_str().map(str::to_owned);
        assert!(id(0).is_some() && id(0) == id(1), "a repeated app_message_id gets the first messageId");

        live.injected(&to(&token, 5), bare_failures()).await;

        // An auth token works for 24 hours.
        live.advance(contract::TOKEN_LIFETIME_MS);
        live.run(vec![case("an expired auth token", to(&token, 6), 200, code(code::INVALID_AUTH_TOKEN), Reauth)]).await;
    });
}

/// The world's fake has no daily quota; this one, with the release app's credentials,
/// allows one send a day.
#[test]
fn oppo_answers_33_over_http_once_the_daily_quota_is_used() {
    block_on(async {
        let apps = apps();
        let release = &apps.oppo.production;
        let fake =
            Oppo::new(BTreeMap::from([(release.key.clone(), (release.secret.clone(), Environment::Production))]), 6)
                .with_daily_quota(1);
        let mut live = serve(OPPO, Box::new(fake)).await;
        let token = live.phone.token(&apps.bundle, Some(&release.key)).await;
        let access = live.sign_in(Environment::Production).await;
        let to = |id: u64| {
            let push = push(Vendor::Oppo, &token, id);
            contract::request(&contract::Send { push: &push, auth_token: &access, ttl_s: 60 })
        };
        live.run(vec![
            case("the day's first send", to(1), 200, json!({"code": code::SUCCESS}), Delivered),
            case("the day's second send", to(2), 200, json!({"code": code::DAILY_LIMIT}), Failed),
        ])
        .await;
    });
}
