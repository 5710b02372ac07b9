//! HMS Push Kit over HTTP: the OAuth endpoint's refusals and every send code
//! docs/vendors.md lists.

use super::Class::{DeadToken, Delivered, Failed, Reauth};
use super::{apps, bare_failures, body, case, edit_json, form_post, header, push, serve, Tokens};
use crate::block_on;
use serde_json::{json, Value};
use zimsim_reference::http::HttpRequest;
use zimsim_reference::push_services::hms::contract::{self, code};
use zimsim_reference::push_services::oauth_answer;
use zimsim_reference::pushid::{Environment, Vendor};
use zimsim_reference::topology::HMS;

fn oauth(pairs: &[(&str, &str)]) -> HttpRequest {
    form_post(contract::OAUTH_PATH, pairs)
}

#[test]
fn hms_answers_its_oauth_endpoint_and_every_send_code_over_http() {
    block_on(async {
        let apps = apps();
        let (release, debug) = (&apps.hms.production, &apps.hms.development);
        let mut live = serve(HMS, apps.fake(HMS, 3)).await;
        let Tokens { token, debug_token, uninstalled } = live.tokens().await;

        let refused = |error: &str| json!({ "error": error });
        let grant = |id: &str, secret: &str| {
            oauth(&[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)])
        };
        let answers = live
            .run(vec![
                case(
                    "the release app signs in",
                    apps.auth_request(Vendor::Hms, Environment::Production, 0).expect("HMS signs in"),
                    200,
                    json!({"expires_in": 3600, "token_type": "Bearer"}),
                    None,
                ),
                case(
                    "the debug app signs in",
                    apps.auth_request(Vendor::Hms, Environment::Development, 0).expect("HMS signs in"),
                    200,
                    json!({"expires_in": 3600, "token_type": "Bearer"}),
                    None,
                ),
                case("a wrong secret", grant(&release.id, "wrong"), 401, refused("invalid_client"), None),
                case("another app's secret", grant(&release.id, &debug.secret), 401, refused("invalid_client"), None),
                case("an unknown client", grant("104999999", &release.secret), 401, refused("invalid_client"), None),
                case(
                    "grant_type password",
                    oauth(&[
                        ("grant_type", "password"),
                        ("client_id", &release.id),
                        ("client_secret", &release.secret),
                    ]),
                    400,
                    refused("unsupported_grant_type"),
                    None,
                ),
                case(
                    "no client_secret",
                    oauth(&[("grant_type", "client_credentials"), ("client_id", &release.id)]),
                    400,
                    refused("invalid_request"),
                    None,
                ),
                case("no grant_type", oauth(&[("client_id", &release.id)]), 400, refused("invalid_request"), None),
            ])
            .await;
        let access = oauth_answer(&answers[0]).expect("an access token").0;
        let debug_access = oauth_answer(&answers[1]).expect("an access token").0;

        let to = |token: &str| {
            let push = push(Vendor::Hms, token, 1);
            contract::request(&contract::Send { push: &push, app_id: &release.id, access_token: &access, ttl_s: 60 })
        };
        let ok = to(&token);
        let code = |c: &str| json!({ "code": c });
        let edit = |f: fn(&mut Value)| edit_json(&ok, f);
        let unknown = format!("IQAAAACy0{}", "A".repeat(120));
        let answers = live
            .run(vec![
                case("success", ok.clone(), 200, code(code::SUCCESS), Delivered),
                case(
                    "one valid token and one unknown",
                    edit_json(&ok, |b| b["message"]["token"] = json!([token, unknown])),
                    200,
                    code(code::PARTIAL_FAILURE),
                    DeadToken,
                ),
                case(
                    "urgency LOW",
                    edit(|b| b["message"]["android"]["urgency"] = json!("LOW")),
                    200,
                    code(code::INVALID_PARAMETER),
                    Failed,
                ),
                case(
                    "ttl forever",
                    edit(|b| b["message"]["android"]["ttl"] = json!("forever")),
                    200,
                    code(code::INVALID_PARAMETER),
                    Failed,
                ),
                case(
                    "a topic",
                    edit(|b| b["message"]["topic"] = json!("news")),
                    200,
                    code(code::INVALID_PARAMETER),
                    Failed,
                ),
                case(
                    "validate_only yes",
                    edit(|b| b["validate_only"] = json!("yes")),
                    200,
                    code(code::INVALID_PARAMETER),
                    Failed,
                ),
                case("a body that is no JSON", body(&ok, "{"), 200, code(code::BAD_STRUCTURE), Failed),
                case(
                    "data as an object",
                    edit(|b| b["message"]["data"] = json!({})),
                    200,
                    code(code::BAD_STRUCTURE),
                    Failed,
                ),
                case(
                    "no click_action",
                    edit(|b| b["message"]["android"]["notification"]["click_action"] = Value::Null),
                    200,
                    code(code::BAD_STRUCTURE),
                    Failed,
                ),
                case(
                    "badge set_num 100",
                    edit(|b| b["message"]["android"]["notification"]["badge"] = json!({"set_num": 100})),
                    200,
                    code(code::BAD_STRUCTURE),
                    Failed,
                ),
                case("no bearer", header(&ok, "authorization", None), 401, code(code::AUTH_FAILED), Reauth),
                case(
                    "an access token the endpoint did not issue",
                    header(&ok, "authorization", Some("Bearer CgB6e3x9forged")),
                    401,
                    code(code::AUTH_FAILED),
                    Reauth,
                ),
                case(
                    "the debug app's access token",
                    header(&ok, "authorization", Some(&format!("Bearer {debug_access}"))),
                    401,
                    code(code::AUTH_FAILED),
                    Reauth,
                ),
                case("an unknown token", to(&unknown), 200, code(code::ALL_TOKENS_INVALID), DeadToken),
                case("an uninstalled app's token", to(&uninstalled), 200, code(code::ALL_TOKENS_INVALID), DeadToken),
                case("the debug app's token", to(&debug_token), 200, code(code::ALL_TOKENS_INVALID), DeadToken),
                case(
                    "a body over 4096 bytes",
                    edit(|b| b["message"]["data"] = json!("x".repeat(4100))),
                    200,
                    code(code::BODY_TOO_LARGE),
                    Failed,
                ),
                case("no token", edit(|b| b["message"]["token"] = json!([])), 200, code(code::TOO_MANY_TOKENS), Failed),
                case(
                    "1001 tokens",
                    edit_json(&ok, |b| b["message"]["token"] = json!(vec![token.clone(); 1001])),
                    200,
                    code(code::TOO_MANY_TOKENS),
                    Failed,
                ),
            ])
            .await;
        assert_eq!(
            contract::illegal_tokens(&answers[1].body_json()),
            vec![unknown],
            "80100000 names the unknown token"
        );

        // The bare status: HMS's contract retries 5xx (503 is its flow control) and 429.
        live.injected(&ok, bare_failures()).await;

        // An access token works for 3600 s after it was issued.
        live.advance(3_600_000);
        live.run(vec![case("an expired access token", ok, 401, code(code::TOKEN_EXPIRED), Reauth)]).await;
    });
}
