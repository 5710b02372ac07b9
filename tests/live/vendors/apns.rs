//! APNs over HTTP/2: every reason docs/vendors.md lists, each with Apple's status.

use super::Class::{DeadToken, Delivered, Failed, Reauth, Retry};
use super::{apps, body, case, header, jwt, method, path, push, serve};
use crate::block_on;
use serde_json::{json, Value};
use zimsim_reference::push_services::apns::{contract, ProviderKey};
use zimsim_reference::pushid::Vendor;
use zimsim_reference::topology::{APNS_PRODUCTION, APNS_SANDBOX};

/// A JSON payload with `aps` of exactly `len` bytes.
fn payload_of(len: usize) -> Vec<u8> {
    let frame = r#"{"aps":{},"pad":""}"#;
    format!(r#"{{"aps":{{}},"pad":"{}"}}"#, "x".repeat(len - frame.len())).into_bytes()
}

#[test]
fn apns_answers_success_and_every_reason_over_http2() {
    block_on(async {
        let apps = apps();
        let bundle = apps.bundle.as_str();
        let mut live = serve(APNS_PRODUCTION, apps.fake(APNS_PRODUCTION, 1)).await;
        let token = live.phone.token(bundle, None).await;
        let other_app = live.phone.token("im.zego.other", None).await;
        let voip_token = live.phone.voip_token(bundle).await;
        let mut sandbox = serve(APNS_SANDBOX, apps.fake(APNS_SANDBOX, 0)).await;
        let sandbox_token = sandbox.phone.token(bundle, None).await;
        let (uninstalled, revocation) = live.revoked(bundle, None).await;

        let key = apps.apns_signing_key();
        let now_s = live.now_unix_s();
        let provider = contract::provider_token(&key, now_s);
        let to = |token: &str, message: u64| {
            contract::request(&contract::Send {
                push: &push(Vendor::Apns, token, message),
                topic: bundle,
                provider_token: &provider,
                apns_id: format!("a9500000-0000-4000-8000-{message:012x}"),
                expiration_unix_s: 0,
                strategy: &Default::default(),
            })
        };
        let ok = to(&token, 1);
        let bearer = |jwt: &str| header(&ok, "authorization", Some(&format!("bearer {jwt}")));
        let reason = |r: &str| json!({ "reason": r });
        let (team, kid) = (apps.apns_key.team_id.as_str(), apps.apns_key.key_id.as_str());
        let voip_of = |req: &zimsim_reference::http::HttpRequest| {
            header(&header(req, "apns-push-type", Some("voip")), "apns-topic", Some(&format!("{bundle}.voip")))
        };
        let voip = voip_of(&to(&voip_token, 6));
        let voip_to_alert = voip_of(&ok);

        let answers = live
            .run(vec![
                // The first token of the key: it is accepted, and starts the key's 20 minutes.
                case("success", ok.clone(), 200, Value::Null, Delivered),
                case("GET", method(&ok, "GET"), 405, reason("MethodNotAllowed"), Failed),
                case("a path that is not /3/device/", path(&ok, "/3/notification/x"), 404, reason("BadPath"), Failed),
                case("an empty device token", path(&ok, "/3/device/"), 400, reason("MissingDeviceToken"), Failed),
                case(
                    "no authorization",
                    header(&ok, "authorization", None),
                    403,
                    reason("MissingProviderToken"),
                    Failed,
                ),
                case("an empty bearer", bearer(""), 403, reason("MissingProviderToken"), Failed),
                case("a bearer that is no JWT", bearer("t"), 403, reason("InvalidProviderToken"), Failed),
                case(
                    "alg HS256",
                    bearer(&jwt(json!({"alg": "HS256", "kid": kid}), json!({"iss": team, "iat": now_s}), |_| {
                        vec![7; 64]
                    })),
                    403,
                    reason("InvalidProviderToken"),
                    Failed,
                ),
                case(
                    "an unknown key ID",
                    bearer(&ProviderKey::from_seed(team, "ZS8KEYID99", apps.apns_key.seed).token(now_s)),
                    403,
                    reason("InvalidProviderToken"),
                    Failed,
                ),
                case(
                    "another team as iss",
                    bearer(&ProviderKey::from_seed("ZS7OTHER42", kid, apps.apns_key.seed).token(now_s)),
                    403,
                    reason("InvalidProviderToken"),
                    Failed,
                ),
                case(
                    "signed by another key",
                    bearer(&ProviderKey::from_seed(team, kid, apps.apns_key.seed + 1).token(now_s)),
                    403,
                    reason("InvalidProviderToken"),
                    Failed,
                ),
                case(
                    "iat 2 minutes ahead",
                    bearer(&contract::provider_token(&key, now_s + 120)),
                    403,
                    reason("InvalidProviderToken"),
                    Failed,
                ),
                case(
                    "iat over an hour ago",
                    bearer(&contract::provider_token(&key, now_s - 3_700)),
                    403,
                    reason("ExpiredProviderToken"),
                    Reauth,
                ),
                case(
                    "a new iat within 20 minutes",
                    bearer(&contract::provider_token(&key, now_s - 60)),
                    429,
                    reason("TooManyProviderTokenUpdates"),
                    Retry,
                ),
                case(
                    "apns-topic twice",
                    ok.clone().header("apns-topic", bundle),
                    400,
                    reason("DuplicateHeaders"),
                    Failed,
                ),
                case(
                    "an unknown push type",
                    header(&ok, "apns-push-type", Some("banner")),
                    400,
                    reason("InvalidPushType"),
                    Failed,
                ),
                case("no apns-topic", header(&ok, "apns-topic", None), 400, reason("MissingTopic"), Failed),
                case("priority 7", header(&ok, "apns-priority", Some("7")), 400, reason("BadPriority"), Failed),
                case(
                    "background at priority 10",
                    header(&ok, "apns-push-type", Some("background")),
                    400,
                    reason("BadPriority"),
                    Failed,
                ),
                case(
                    "a non-numeric expiration",
                    header(&ok, "apns-expiration", Some("soon")),
                    400,
                    reason("BadExpirationDate"),
                    Failed,
                ),
                case(
                    "an upper-case apns-id",
                    header(&ok, "apns-id", Some("A9500000-0000-4000-8000-000000000001")),
                    400,
                    reason("BadMessageId"),
                    Failed,
                ),
                case(
                    "a 65-byte collapse ID",
                    header(&ok, "apns-collapse-id", Some(&"c".repeat(65))),
                    400,
                    reason("BadCollapseId"),
                    Failed,
                ),
                case("an empty body", body(&ok, ""), 400, reason("PayloadEmpty"), Failed),
                case("4097 bytes", body(&ok, payload_of(4097)), 413, reason("PayloadTooLarge"), Failed),
                case("4096 bytes", body(&ok, payload_of(4096)), 200, Value::Null, Delivered),
                case("voip, 5121 bytes", body(&voip, payload_of(5121)), 413, reason("PayloadTooLarge"), Failed),
                case("voip, 5120 bytes", body(&voip, payload_of(5120)), 200, Value::Null, Delivered),
                case("voip to an alert token", voip_to_alert, 400, reason("DeviceTokenNotForTopic"), DeadToken),
                case("alert to a VoIP token", to(&voip_token, 7), 400, reason("DeviceTokenNotForTopic"), DeadToken),
                case(
                    "voip on the bare bundle ID",
                    header(&voip, "apns-topic", Some(bundle)),
                    400,
                    reason("BadTopic"),
                    Failed,
                ),
                case("a body without aps", body(&ok, r#"{"alert":"hi"}"#), 400, reason("BadPayload"), Failed),
                case("a body that is no object", body(&ok, "[1]"), 400, reason("BadPayload"), Failed),
                case("an unknown token", to(&"0f".repeat(32), 2), 400, reason("BadDeviceToken"), DeadToken),
                case("a sandbox token", to(&sandbox_token, 3), 400, reason("BadDeviceToken"), DeadToken),
                case("another bundle's token", to(&other_app, 4), 400, reason("DeviceTokenNotForTopic"), DeadToken),
                case("an uninstalled app's token", to(&uninstalled, 5), 410, reason("Unregistered"), DeadToken),
            ])
            .await;
        assert_eq!(answers[0].get("apns-id"), Some("a9500000-0000-4000-8000-000000000001"), "apns-id is echoed");
        let generated = live.send(header(&ok, "apns-id", None)).await;
        assert_eq!(generated.status, 200);
        assert!(generated.get("apns-id").is_some_and(|id| id.len() == 36), "apns-id is generated: {generated:?}");
        let revoked_at = answers.last().and_then(|r| r.body_json()["timestamp"].as_u64());
        assert!(
            revoked_at.is_some_and(|t| revocation.contains(&t)),
            "the 410 carries the revocation time in Unix ms, {revocation:?}: {revoked_at:?}"
        );

        live.injected(
            &ok,
            [
                (503, reason("ServiceUnavailable")),
                (500, reason("InternalServerError")),
                (429, reason("TooManyRequests")),
            ],
        )
        .await;

        // Twenty minutes after the key's first token, the refused one is taken.
        live.advance(20 * 60_000);
        let later = bearer(&contract::provider_token(&key, now_s - 60));
        live.run(vec![case("a new iat after 20 minutes", later, 200, Value::Null, Delivered)]).await;
    });
}
