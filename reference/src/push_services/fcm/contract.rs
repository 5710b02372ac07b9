//! FCM HTTP v1 as the relay uses it: the OAuth 2.0 access-token request of a service
//! account (the JWT-bearer grant, RFC 7523, as Google's auth libraries send it), the
//! `messages:send` request for one push, and what each answer means (the token endpoint's
//! is OAuth's, read by [`crate::push_services::oauth_answer`] as HMS's is).
//!
//! Sources: developers.google.com/identity/protocols/oauth2/service-account ("Preparing to
//! make an authorized API call"), firebase.google.com/docs/cloud-messaging/auth-server, and
//! the token endpoint's error bodies as clients report them (docs/vendors.md).
//!
//! Mapping of a ZIM push (reference policy, docs/vendors.md): `notification` carries title
//! and content; `data` (string values only) carries `payload` and the [`ZimExtras`] as one
//! JSON string under `zim`; `android.notification.notification_count` the badge, and
//! `android.notification.tag` the message ID (one notification per message on the phone).
//! The console's strategy ([`FcmStrategy`]) adds the sound and channel, or makes the push
//! a data message: no `notification` at all, title, content and badge in `data` as
//! `title`, `body` and `badge`, so the phone shows nothing and hands it to the app.

use super::account::ServiceAccount;
use crate::http::{HttpRequest, HttpResponse};
use crate::push_services::resources::{FcmPushType, FcmStrategy};
use crate::push_services::{retry_after_ms, Verdict};
use crate::wire::{PushRequest, ZimExtras};
use serde::Serialize;
use serde_json::{Map, Value};

/// Payload limit for messages sent to a token (keys and values counted).
pub const MAX_PAYLOAD: usize = 4096;
/// FCM keeps at most this many non-collapsible messages for an offline device.
pub const MAX_STORED: usize = 100;
/// Longest allowed `android.ttl` in seconds (28 days).
pub const MAX_TTL_S: u64 = 2_419_200;

/// Where service-account assertions are exchanged for access tokens: the `token_uri` of a
/// service-account JSON, and the `aud` the assertion must name.
pub const TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// The token endpoint's path (the fake serves it next to `messages:send`).
pub const TOKEN_PATH: &str = "/token";
/// The grant type of a signed assertion (RFC 7523 §2.1).
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The scope FCM sends need.
pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// The broader scope that also covers FCM.
pub const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// Longest `exp - iat` Google accepts in an assertion.
pub const MAX_ASSERTION_LIFETIME_S: u64 = 3600;
/// The `expires_in` of an access token (an hour less the second Google takes off).
pub const ACCESS_TOKEN_LIFETIME_S: u64 = 3599;

/// What the relay needs to address one push.
#[derive(Clone, Debug)]
pub struct Send<'a> {
    pub push: &'a PushRequest,
    /// The sender project of the push's environment.
    pub project: &'a str,
    /// The OAuth2 access token for that project.
    pub access_token: &'a str,
    pub ttl_s: u64,
    /// The console's strategy for the push's `resourcesID`.
    pub strategy: &'a FcmStrategy,
}

/// The `messages:send` body of one push, encoded straight from its request. Keys are in
/// sorted order, as a JSON map would keep them.
#[derive(Serialize)]
struct Body<'a> {
    message: Message<'a>,
}

#[derive(Serialize)]
struct Message<'a> {
    android: Android<'a>,
    data: Data<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notification: Option<Notification<'a>>,
    token: &'a str,
}

#[derive(Serialize)]
struct Android<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    notification: Option<AndroidNotification<'a>>,
    priority: &'static str,
    ttl: String,
}

#[derive(Serialize)]
struct AndroidNotification<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notification_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sound: Option<&'a str>,
    tag: String,
}

/// FCM's `data` map: strings only.
#[derive(Serialize)]
struct Data<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    badge: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a str>,
    payload: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    zim: String,
}

#[derive(Serialize)]
struct Notification<'a> {
    body: &'a str,
    title: &'a str,
}

/// The `messages:send` request for one push.
pub fn request(send: &Send<'_>) -> HttpRequest {
    let (req, strategy) = (send.push, send.strategy);
    let mut message = Message {
        android: Android { notification: None, priority: "HIGH", ttl: format!("{}s", send.ttl_s) },
        data: Data {
            badge: None,
            body: None,
            payload: &req.push.payload,
            title: None,
            zim: ZimExtras::json_string_of(req),
        },
        notification: None,
        token: &req.push_id.token,
    };
    match strategy.push_type {
        FcmPushType::Notification => {
            message.android.notification = Some(AndroidNotification {
                channel_id: strategy.channel_id.as_deref(),
                notification_count: req.badge,
                sound: strategy.sound.as_deref(),
                // The tag names the notification after its message, so a second delivery
                // of the same push (a retry after a lost answer) replaces the first.
                tag: req.message_id.to_string(),
            });
            message.notification = Some(Notification { body: &req.push.content, title: &req.push.title });
        }
        FcmPushType::Data => {
            message.data.title = Some(&req.push.title);
            message.data.body = Some(&req.push.content);
            message.data.badge = req.badge.map(|b| b.to_string());
        }
    }
    let body = serde_json::to_vec(&Body { message }).expect("FCM messages serialize");
    HttpRequest::post(format!("/v1/projects/{}/messages:send", send.project), body)
        .header("authorization", format!("Bearer {}", send.access_token))
        .header("content-type", "application/json")
}

/// The token request of `account` at `now_unix_s`: a form POST of the grant type and the
/// signed assertion to [`TOKEN_PATH`].
pub fn auth_request(account: &ServiceAccount, now_unix_s: u64) -> HttpRequest {
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", GRANT_TYPE)
        .append_pair("assertion", &account.assertion(now_unix_s))
        .finish();
    HttpRequest::post(TOKEN_PATH, form.into_bytes()).header("content-type", "application/x-www-form-urlencoded")
}

/// The size FCM's 4096-byte limit applies to: the message without its target (the token,
/// topic or condition is addressing, not payload).
pub fn payload_len(message: &Map<String, Value>) -> usize {
    let mut m = message.clone();
    for target in ["token", "topic", "condition"] {
        m.remove(target);
    }
    Value::Object(m).to_string().len()
}

/// A valid `android.ttl` (`"<seconds>s"`, 0 to 28 days) in seconds.
pub fn ttl_seconds(ttl: &Value) -> Option<f64> {
    let secs = ttl.as_str()?.strip_suffix('s')?.parse::<f64>().ok()?;
    (0.0..=MAX_TTL_S as f64).contains(&secs).then_some(secs)
}

/// How the relay must treat an answer (firebase.google.com/docs/cloud-messaging/error-codes:
/// UNREGISTERED, SENDER_ID_MISMATCH and an invalid registration token are dead; 429, 500 and
/// 503 are retried with backoff, honouring `Retry-After`). A 401 without an `FcmError`
/// detail is Google's answer to a missing, unknown or expired access token: fetch a new one
/// (reauth). A 401 with one (`THIRD_PARTY_AUTH_ERROR`: the APNs or web-push credentials in
/// the Firebase console) and a 403 `PERMISSION_DENIED` (credentials of another project) need
/// a fix: failed, the binding is kept.
pub fn verdict(resp: &HttpResponse) -> Verdict {
    if resp.is_success() {
        return Verdict::Delivered;
    }
    let body = resp.body_json();
    let fcm_error = body
        .pointer("/error/details")
        .and_then(Value::as_array)
        .and_then(|d| d.iter().find_map(|x| x.get("errorCode")))
        .and_then(Value::as_str);
    let code =
        fcm_error.or_else(|| body.pointer("/error/status").and_then(Value::as_str)).unwrap_or_default().to_owned();
    let message = body.pointer("/error/message").and_then(Value::as_str).unwrap_or_default();
    let reason = if code.is_empty() { format!("HTTP {}", resp.status) } else { code.clone() };
    match (resp.status, code.as_str()) {
        (_, "UNREGISTERED" | "SENDER_ID_MISMATCH") => Verdict::DeadToken { reason },
        (400, "INVALID_ARGUMENT") if message.contains("not a valid FCM registration token") => {
            Verdict::DeadToken { reason }
        }
        (401, _) if fcm_error.is_none() => Verdict::Reauth { reason },
        (429 | 500 | 503, _) | (500.., _) => Verdict::Retry { reason, after_ms: retry_after_ms(resp) },
        _ => Verdict::Failed { reason },
    }
}
