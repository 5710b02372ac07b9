//! The APNs provider API as the relay uses it: the request for one push, and what each
//! answer means. The fake in the parent module checks the same rules.
//!
//! Mapping of a ZIM push (reference policy, docs/vendors.md): `aps.alert` carries title and
//! content, `aps.badge` the badge, `aps.sound` the console strategy's sound (`default`
//! without one), the top-level `payload` key the sender's payload and `zim` the
//! [`ZimExtras`]. The PushID's kind decides the push type: one naming a VoIP
//! token goes out as push-type `voip` on the `<bundle>.voip` topic, any other as `alert`
//! on the bundle ID. (The ZIM server picks the VoIP PushID for a push config with `voip`
//! when the install bound one; otherwise the push falls back to the alert token.)

use super::jwt::ProviderKey;
use super::Reason;
use crate::http::{HttpRequest, HttpResponse};
use crate::push_services::resources::ApnsStrategy;
use crate::push_services::{retry_after_ms, Verdict};
use crate::wire::{PushRequest, ZimExtrasOf};
use serde::Serialize;

/// Payload limit for every push type but VoIP.
pub const MAX_PAYLOAD: usize = 4096;
/// Payload limit for `apns-push-type: voip`.
pub const MAX_VOIP_PAYLOAD: usize = 5120;
/// What a `voip` push appends to the bundle ID to make its `apns-topic`.
pub const VOIP_TOPIC_SUFFIX: &str = ".voip";

/// A provider token is refused as expired once its `iat` is more than this long ago.
pub const PROVIDER_TOKEN_LIFETIME_S: u64 = 3600;
/// A key's new provider token is refused as too frequent within this long of its previous
/// one (Apple: refresh no more than once every 20 minutes).
pub const PROVIDER_TOKEN_REFRESH_S: u64 = 20 * 60;
/// How far in the future an `iat` may lie before the fake calls the token invalid
/// (*policy*: Apple documents no tolerance).
pub const PROVIDER_TOKEN_MAX_SKEW_S: u64 = 60;

/// The provider token (ES256 JWT) of `key` issued at `iat_unix_s`. Deterministic: the same
/// key and `iat` always give the same token. Mint a new one every 20 to 60 minutes
/// ([`PROVIDER_TOKEN_REFRESH_S`], [`PROVIDER_TOKEN_LIFETIME_S`]).
pub fn provider_token(key: &ProviderKey, iat_unix_s: u64) -> String {
    key.token(iat_unix_s)
}

/// The `apns-push-type` values Apple accepts.
pub const PUSH_TYPES: [&str; 11] = [
    "alert",
    "background",
    "location",
    "voip",
    "complication",
    "fileprovider",
    "mdm",
    "liveactivity",
    "pushtotalk",
    "widgets",
    "controls",
];

/// What the relay needs to address one push.
#[derive(Clone, Debug)]
pub struct Send<'a> {
    pub push: &'a PushRequest,
    /// The bundle ID (`apns-topic`; `.voip` is appended for a push to a VoIP token).
    pub topic: &'a str,
    /// The provider token (JWT) of the push's environment.
    pub provider_token: &'a str,
    /// The `apns-id`, chosen by the relay so a retry carries the same one.
    pub apns_id: String,
    /// `apns-expiration` in Unix seconds (0: deliver now or never).
    pub expiration_unix_s: u64,
    /// The console's strategy for the push's `resourcesID`.
    pub strategy: &'a ApnsStrategy,
}

/// The payload of one push, encoded straight from its request. Keys are in sorted order,
/// as a JSON map would keep them.
#[derive(Serialize)]
struct Body<'a> {
    aps: Aps<'a>,
    payload: &'a str,
    zim: ZimExtrasOf<'a>,
}

#[derive(Serialize)]
struct Aps<'a> {
    alert: Alert<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    badge: Option<u32>,
    #[serde(rename = "mutable-content")]
    mutable_content: u8,
    sound: &'a str,
}

#[derive(Serialize)]
struct Alert<'a> {
    body: &'a str,
    title: &'a str,
}

/// The provider API request for one push.
pub fn request(send: &Send<'_>) -> HttpRequest {
    let req = send.push;
    let voip = req.push_id.is_voip();
    let body = Body {
        aps: Aps {
            alert: Alert { body: &req.push.content, title: &req.push.title },
            badge: req.badge,
            mutable_content: 1,
            sound: send.strategy.sound.as_deref().unwrap_or("default"),
        },
        payload: &req.push.payload,
        zim: ZimExtrasOf::new(req),
    };
    let (push_type, topic) =
        if voip { ("voip", format!("{}{VOIP_TOPIC_SUFFIX}", send.topic)) } else { ("alert", send.topic.to_owned()) };
    HttpRequest::post(
        format!("/3/device/{}", req.push_id.token),
        serde_json::to_vec(&body).expect("APNs payloads serialize"),
    )
    .header("authorization", format!("bearer {}", send.provider_token))
    .header("apns-push-type", push_type)
    .header("apns-topic", topic)
    .header("apns-priority", "10")
    .header("apns-expiration", send.expiration_unix_s.to_string())
    .header("apns-id", send.apns_id.clone())
    .header("apns-collapse-id", req.message_id.to_string())
    .header("content-type", "application/json")
}

/// How the relay must treat an answer (Apple's guidance: never retry the dead-token
/// reasons or PayloadTooLarge; 5xx and TooManyRequests may be retried after a delay).
/// Provider-token answers: `ExpiredProviderToken` wants a new token (reauth);
/// `TooManyProviderTokenUpdates` wants the earlier token and a pause (retry);
/// `InvalidProviderToken` and `MissingProviderToken` need a fix of the credentials (failed,
/// the binding is kept).
pub fn verdict(resp: &HttpResponse) -> Verdict {
    if resp.is_success() {
        return Verdict::Delivered;
    }
    let body = resp.body_json();
    let name = body.get("reason").and_then(|r| r.as_str()).unwrap_or_default().to_owned();
    let after_ms = retry_after_ms(resp);
    use Reason::*;
    match Reason::parse(&name) {
        // BadDeviceToken for the environment the PushID names is a dead token: the relay
        // routes by the PushID's environment, so it is not the other environment's.
        Some(r) if r.refuses_token() => Verdict::DeadToken { reason: name },
        Some(ExpiredProviderToken) => Verdict::Reauth { reason: name },
        Some(TooManyProviderTokenUpdates | TooManyRequests | InternalServerError | ServiceUnavailable | Shutdown) => {
            Verdict::Retry { reason: name, after_ms }
        }
        Some(InvalidProviderToken | MissingProviderToken) => Verdict::Failed { reason: name },
        Some(_) => Verdict::Failed { reason: name },
        None if resp.status >= 500 || resp.status == 429 => {
            let reason = if name.is_empty() { format!("HTTP {}", resp.status) } else { name };
            Verdict::Retry { reason, after_ms }
        }
        None => Verdict::Failed { reason: if name.is_empty() { format!("HTTP {}", resp.status) } else { name } },
    }
}
