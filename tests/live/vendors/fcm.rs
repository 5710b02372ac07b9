//! FCM over HTTP: the OAuth token endpoint's refusals and every send error docs/vendors.md
//! lists, in Google's envelopes.

use super::Class::{DeadToken, Delivered, Failed, Reauth};
use super::{apps, case, edit_json, form_post, header, jwt, path, push, serve, Tokens};
use crate::block_on;
use serde_json::{json, Value};
use zimsim_reference::http::HttpRequest;
use zimsim_reference::push_services::fcm::account::TEST_KEYS;
use zimsim_reference::push_services::fcm::{contract, ServiceAccount};
use zimsim_reference::push_services::oauth_answer;
use zimsim_reference::push_services::resources::{FcmPushType, FcmStrategy};
use zimsim_reference::pushid::{Environment, Vendor};
use zimsim_reference::topology::FCM;

/// The token request for `assertion`, with `grant_type`.
fn token_request(grant_type: &str, assertion: Option<&str>) -> HttpRequest {
    let mut pairs = vec![("grant_type", grant_type)];
    pairs.extend(assertion.map(|a| ("assertion", a)));
    form_post(contract::TOKEN_PATH, &pairs)
}

/// An RS256 assertion of `claims`, signed with the PKCS#8 key `pem`.
fn signed(pem: &str, kid: &str, claims: Value) -> String {
    use rsa::pkcs1v15::SigningKey;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::sha2::Sha256;
    use rsa::signature::{SignatureEncoding, Signer};
    let key = SigningKey::<Sha256>::new(rsa::RsaPrivateKey::from_pkcs8_pem(pem).expect("a committed test key"));
    jwt(json!({"alg": "RS256", "typ": "JWT", "kid": kid}), claims, |input| key.sign(input).to_vec())
}

/// Google's error envelope with canonical `status` and, when given, the `FcmError` code.
fn error(status: &str, fcm_error: Option<&str>) -> Value {
    let details: Vec<Value> = fcm_error.map(|c| json!({ "errorCode": c })).into_iter().collect();
    json!({"error": {"status": status, "details": details}})
}

/// `req` with its notification body grown so that the message without its token is `len`
/// bytes, what FCM's limit counts.
fn sized(req: &HttpRequest, len: usize) -> HttpRequest {
    edit_json(req, |b| {
        let now = b["message"].as_object().map(contract::payload_len).unwrap_or_default();
        let text = b["message"]["notification"]["body"].as_str().unwrap_or_default().to_owned();
        b["message"]["notification"]["body"] = json!(text + &"x".repeat(len - now));
    })
}

fn refusal(error: &str, description: Option<&str>) -> Value {
    match description {
        Some(d) => json!({"error": error, "error_description": d}),
        None => json!({ "error": error }),
    }
}

#[test]
fn fcm_answers_its_token_endpoint_and_every_send_error_over_http() {
    block_on(async {
        let apps = apps();
        let release = apps.fcm.production.as_str();
        let mut live = serve(FCM, apps.fake(FCM, 2)).await;
        let Tokens { token, debug_token, uninstalled } = live.tokens().await;

        let account = apps.fcm_account(Environment::Production);
        let now_s = live.now_unix_s();
        let claims = |scope: &str, aud: &str, iat: u64, exp: u64| json!({"iss": account.client_email, "scope": scope, "aud": aud, "iat": iat, "exp": exp});
        let key = TEST_KEYS[1]; // the release project's account (PushApps::fcm_account)
        let with = |assertion: &str| token_request(contract::GRANT_TYPE, Some(assertion));
        let grant = |description| refusal("invalid_grant", description);
        let other_key = ServiceAccount::from_pem(&account.client_email, &account.private_key_id, release, TEST_KEYS[0]);
        let other_kid = ServiceAccount::from_pem(&account.client_email, &"0".repeat(40), release, key);
        let answers = live
            .run(vec![
                case(
                    "a token for the release account",
                    apps.auth_request(Vendor::Fcm, Environment::Production, live.now_unix_ms()).expect("FCM signs in"),
                    200,
                    json!({"expires_in": 3599, "token_type": "Bearer"}),
                    None,
                ),
                case(
                    "a token for the debug account",
                    apps.auth_request(Vendor::Fcm, Environment::Development, live.now_unix_ms()).expect("FCM signs in"),
                    200,
                    json!({"expires_in": 3599, "token_type": "Bearer"}),
                    None,
                ),
                case(
                    "grant_type password",
                    token_request("password", Some(&account.assertion(now_s))),
                    400,
                    refusal("unsupported_grant_type", Some("Invalid grant_type: password")),
                    None,
                ),
                case(
                    "no assertion",
                    token_request(contract::GRANT_TYPE, None),
                    400,
                    refusal("invalid_request", Some("Missing required parameter: assertion")),
                    None,
                ),
                case("an assertion that is no JWT", with("not-a-jwt"), 400, grant(None), None),
                case(
                    "alg HS256",
                    with(&jwt(
                        json!({"alg": "HS256", "typ": "JWT"}),
                        claims(contract::SCOPE, contract::TOKEN_URI, now_s, now_s + 3600),
                        |_| vec![7; 32],
                    )),
                    400,
                    grant(None),
                    None,
                ),
                case(
                    "an unknown account",
                    with(&ServiceAccount::test("zimsim-nobody", 1).assertion(now_s)),
                    400,
                    grant(Some("Invalid grant: account not found")),
                    None,
                ),
                case(
                    "signed by another key",
                    with(&other_key.expect("a test key").assertion(now_s)),
                    400,
                    grant(Some("Invalid JWT Signature.")),
                    None,
                ),
                case(
                    "a kid that is not the account's",
                    with(&other_kid.expect("a test key").assertion(now_s)),
                    400,
                    grant(Some("Invalid JWT Signature.")),
                    None,
                ),
                case(
                    "another audience",
                    with(&signed(
                        key,
                        &account.private_key_id,
                        claims(contract::SCOPE, "https://example.com/token", now_s, now_s + 3600),
                    )),
                    400,
                    grant(Some("Invalid JWT: Failed audience check.")),
                    None,
                ),
                case("exp passed", with(&account.assertion(now_s - 3_700)), 400, grant(None), None),
                case("iat 2 minutes ahead", with(&account.assertion(now_s + 120)), 400, grant(None), None),
                case(
                    "two hours between iat and exp",
                    with(&signed(
                        key,
                        &account.private_key_id,
                        claims(contract::SCOPE, contract::TOKEN_URI, now_s, now_s + 7200),
                    )),
                    400,
                    grant(None),
                    None,
                ),
                case(
                    "a scope without firebase.messaging",
                    with(&signed(
                        key,
                        &account.private_key_id,
                        claims(
                            "https://www.googleapis.com/auth/userinfo.email",
                            contract::TOKEN_URI,
                            now_s,
                            now_s + 60,
                        ),
                    )),
                    400,
                    refusal("invalid_scope", Some("Invalid OAuth scope or ID token audience provided.")),
                    None,
                ),
            ])
            .await;
        let short_lived = "Invalid JWT: Token must be a short-lived token (60 minutes)";
        for (i, r) in answers.iter().enumerate().skip(10).take(3) {
            let d = r.body_json()["error_description"].as_str().map(str::to_owned).unwrap_or_default();
            assert!(d.starts_with(short_lived), "fcm token row {i}: {d}");
        }
        let access = oauth_answer(&answers[0]).expect("an access token").0;
        let debug_access = oauth_answer(&answers[1]).expect("an access token").0;
        assert!(access.starts_with("ya29.") && debug_access != access);

        let to = |token: &str| {
            let push = push(Vendor::Fcm, token, 1);
            contract::request(&contract::Send {
                push: &push,
                project: release,
                access_token: &access,
                ttl_s: 60,
                strategy: &Default::default(),
            })
        };
        let ok = to(&token);
        // The console's data-message strategy: no notification anywhere, accepted as any send.
        let data_message = FcmStrategy { push_type: FcmPushType::Data, ..FcmStrategy::default() };
        let data = contract::request(&contract::Send {
            push: &push(Vendor::Fcm, &token, 1),
            project: release,
            access_token: &access,
            ttl_s: 60,
            strategy: &data_message,
        });
        let invalid = error("INVALID_ARGUMENT", Some("INVALID_ARGUMENT"));
        let edit = |f: fn(&mut Value)| edit_json(&ok, f);
        let answers = live
            .run(vec![
                case("success", ok.clone(), 200, json!({}), Delivered),
                case("validate_only", edit(|b| b["validate_only"] = json!(true)), 200, json!({}), Delivered),
                case("a data message", data, 200, json!({}), Delivered),
                case("no bearer", header(&ok, "authorization", None), 401, error("UNAUTHENTICATED", None), Reauth),
                case(
                    "a bearer the endpoint did not issue",
                    header(&ok, "authorization", Some("Bearer ya29.forged")),
                    401,
                    error("UNAUTHENTICATED", None),
                    Reauth,
                ),
                case(
                    "the debug account's token",
                    header(&ok, "authorization", Some(&format!("Bearer {debug_access}"))),
                    403,
                    error("PERMISSION_DENIED", None),
                    Failed,
                ),
                case(
                    "an unknown project",
                    path(&ok, "/v1/projects/zimsim-nope/messages:send"),
                    403,
                    error("PERMISSION_DENIED", None),
                    Failed,
                ),
                case(
                    "a token and a topic",
                    edit(|b| b["message"]["topic"] = json!("news")),
                    400,
                    invalid.clone(),
                    Failed,
                ),
                case("a number in data", edit(|b| b["message"]["data"]["n"] = json!(1)), 400, invalid.clone(), Failed),
                case(
                    "data key from",
                    edit(|b| b["message"]["data"]["from"] = json!("x")),
                    400,
                    invalid.clone(),
                    Failed,
                ),
                case(
                    "a google. data key",
                    edit(|b| b["message"]["data"]["google.c.a"] = json!("x")),
                    400,
                    invalid.clone(),
                    Failed,
                ),
                case(
                    "ttl over 28 days",
                    edit(|b| b["message"]["android"]["ttl"] = json!("2419201s")),
                    400,
                    invalid.clone(),
                    Failed,
                ),
                case(
                    "a ttl without unit",
                    edit(|b| b["message"]["android"]["ttl"] = json!("60")),
                    400,
                    invalid.clone(),
                    Failed,
                ),
                case("4097 bytes without the token", sized(&ok, 4097), 400, invalid.clone(), Failed),
                case("4096 bytes without the token", sized(&ok, 4096), 200, json!({}), Delivered),
                case("a malformed token", to("not-a-token"), 400, invalid.clone(), DeadToken),
                case(
                    "an unknown token",
                    to(&format!("{}:APA91b{}", "a".repeat(11), "b".repeat(134))),
                    404,
                    error("NOT_FOUND", Some("UNREGISTERED")),
                    DeadToken,
                ),
                case(
                    "an uninstalled app's token",
                    to(&uninstalled),
                    404,
                    error("NOT_FOUND", Some("UNREGISTERED")),
                    DeadToken,
                ),
                case(
                    "the debug project's token",
                    to(&debug_token),
                    403,
                    error("PERMISSION_DENIED", Some("SENDER_ID_MISMATCH")),
                    DeadToken,
                ),
            ])
            .await;
        let name = answers[0].body_json()["name"].as_str().map(str::to_owned).unwrap_or_default();
        assert!(name.starts_with("projects/zimsim-release/messages/"), "fcm success names the message: {name}");

        live.injected(
            &ok,
            [
                (429, error("RESOURCE_EXHAUSTED", Some("QUOTA_EXCEEDED"))),
                (500, error("INTERNAL", Some("INTERNAL"))),
                (503, error("UNAVAILABLE", Some("UNAVAILABLE"))),
            ],
        )
        .await;

        // An access token works for 3599 s after it was issued.
        live.advance(3_599_000);
        live.run(vec![case("an expired access token", ok, 401, error("UNAUTHENTICATED", None), Reauth)]).await;
    });
}
