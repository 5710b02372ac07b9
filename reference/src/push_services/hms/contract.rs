//! HMS Push Kit as the relay uses it: the OAuth client-credentials request, the
//! `messages:send` request for one push, and what each answer means (the OAuth endpoint's
//! is read by [`crate::push_services::oauth_answer`], as FCM's is). The fake in the parent
//! module checks the same rules and answers with the same codes.
//!
//! Sources: send API https://developer.huawei.com/consumer/en/doc/HMSCore-References/https-send-api-0000001050986197/ ,
//! result codes https://developer.huawei.com/consumer/en/doc/doccenter-references/api/push-scenariozed-api-response/ ,
//! OAuth https://developer.huawei.com/consumer/en/doc/doccenter-references/api/payment-api-common-get-app-token/ .
//!
//! Mapping of a ZIM push (reference policy): `android.notification` carries title, content,
//! a `click_action`, the badge (`badge.set_num`) and the message ID as its `tag`; the message `data` string is a JSON
//! object `{"payload": <sender payload>, "zim": <ZimExtras>}`. One token per request, so
//! every answer is about that one token.

use crate::http::{HttpRequest, HttpResponse};
use crate::push_services::{retry_after_ms, Verdict};
use crate::wire::{PushRequest, ZimExtras};
use serde_json::{json, Map, Value};

/// The OAuth 2.0 token endpoint (host `oauth-login.cloud.huawei.com`).
pub const OAUTH_PATH: &str = "/oauth2/v3/token";
/// Access tokens last one hour.
pub const ACCESS_TOKEN_LIFETIME_S: u64 = 3600;
/// Limit on the message body, tokens not counted.
pub const MAX_BODY: usize = 4096;
/// Most tokens one request may address.
pub const MAX_TOKENS: usize = 1000;
/// Notifications the fake keeps per offline device (reference policy, see the fake).
pub const MAX_STORED: usize = 100;
/// The intent action the reference app's chat activity filters on: `click_action` type 1
/// opens that page, where type 3 would only start the launcher activity.
pub const CLICK_ACTION: &str = "im.zego.zpns.action.OPEN_NOTIFICATION";
/// How long Push Kit caches a message for an offline device when `android.ttl` is absent
/// (one day), and the longest `android.ttl` it honours (15 days).
pub const DEFAULT_TTL_S: u64 = 86_400;
pub const MAX_TTL_S: u64 = 15 * 86_400;
/// HMS badge numbers range over 0..=99.
pub const MAX_BADGE: u32 = 99;

/// Push Kit's result codes (the `code` string of every send answer).
pub mod code {
    pub const SUCCESS: &str = "80000000";
    pub const PARTIAL_FAILURE: &str = "80100000";
    pub const INVALID_PARAMETER: &str = "80100001";
    pub const BAD_STRUCTURE: &str = "80100003";
    pub const AUTH_FAILED: &str = "80200001";
    pub const TOKEN_EXPIRED: &str = "80200003";
    pub const ALL_TOKENS_INVALID: &str = "80300007";
    pub const BODY_TOO_LARGE: &str = "80300008";
    pub const TOO_MANY_TOKENS: &str = "80300010";
    pub const INTERNAL_ERROR: &str = "81000001";
}

/// What the relay needs to address one push.
#[derive(Clone, Debug)]
pub struct Send<'a> {
    pub push: &'a PushRequest,
    /// The HMS app ID of the push's environment (debug or release credentials).
    pub app_id: &'a str,
    /// The OAuth access token for that app.
    pub access_token: &'a str,
    pub ttl_s: u64,
}

/// The path of the send API for `app_id`.
pub fn send_path(app_id: &str) -> String {
    format!("/v1/{app_id}/messages:send")
}

/// The `messages:send` request for one push.
pub fn request(send: &Send<'_>) -> HttpRequest {
    let req = send.push;
    let mut notification = json!({
        "title": req.push.title,
        "body": req.push.content,
        "click_action": {"type": 1, "action": CLICK_ACTION},
        // One notification per message on the phone: a retried delivery replaces the first.
        "tag": req.message_id.to_string(),
    });
    if let Some(badge) = req.badge {
        notification["badge"] = json!({"set_num": badge.min(MAX_BADGE)});
    }
    let data = json!({"payload": req.push.payload, "zim": ZimExtras::of(req).to_json()});
    let body = json!({
        "message": {
            "data": data.to_string(),
            "android": {"urgency": "HIGH", "ttl": format!("{}s", send.ttl_s), "notification": notification},
            "token": [req.push_id.token],
        }
    });
    HttpRequest::post(send_path(send.app_id), serde_json::to_vec(&body).expect("JSON values serialize"))
        .header("authorization", format!("Bearer {}", send.access_token))
        .header("content-type", "application/json")
}

/// The client-credentials request for an access token of `app_id`.
pub fn auth_request(app_id: &str, secret: &str) -> HttpRequest {
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("client_id", app_id)
        .append_pair("client_secret", secret)
        .finish();
    HttpRequest::post(OAUTH_PATH, form.into_bytes()).header("content-type", "application/x-www-form-urlencoded")
}

/// The size the 4096-byte limit applies to: the message without its tokens.
pub fn body_len(message: &Map<String, Value>) -> usize {
    let mut m = message.clone();
    m.remove("token");
    Value::Object(m).to_string().len()
}

/// A valid `android.ttl` in seconds: digits, an optional fraction of up to 9 digits and an
/// optional `s`/`S` (Huawei's samples send both `"86400s"` and `"1000"`).
pub fn ttl_seconds(ttl: &Value) -> Option<f64> {
    let s = ttl.as_str()?;
    let s = s.strip_suffix(['s', 'S']).unwrap_or(s);
    let (whole, frac) = match s.split_once('.') {
        Some((whole, frac)) => (whole, Some(frac)),
        None => (s, None),
    };
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    let ok = digits(whole) && frac.is_none_or(|f| digits(f) && f.len() <= 9);
    ok.then(|| s.parse::<f64>().ok()).flatten()
}

/// The tokens an 80100000 answer lists as illegal (its `msg` is itself JSON).
pub fn illegal_tokens(body: &Value) -> Vec<String> {
    body.get("msg")
        .and_then(Value::as_str)
        .and_then(|m| serde_json::from_str::<Value>(m).ok())
        .and_then(|m| m.get("illegal_tokens").cloned())
        .and_then(|t| serde_json::from_value(t).ok())
        .unwrap_or_default()
}

/// How the relay must treat an answer. Push Kit reports in the `code` string, mostly with
/// HTTP 200, so the code decides first: 80300007 (all tokens invalid) and an 80100000 that
/// lists tokens are dead tokens (one token per request, so a listed token is ours);
/// 80200001/80200003 mean a new access token; 81000001 and HTTP 5xx (503 is flow control)
/// are retried, honouring `Retry-After`; anything else is a request the relay must fix.
pub fn verdict(resp: &HttpResponse) -> Verdict {
    let body = resp.body_json();
    let found = body.get("code").and_then(Value::as_str).map(str::to_owned);
    let reason = found.clone().unwrap_or_else(|| format!("HTTP {}", resp.status));
    let after_ms = retry_after_ms(resp);
    match found.as_deref() {
        Some(code::SUCCESS) if resp.is_success() => Verdict::Delivered,
        Some(code::PARTIAL_FAILURE) if illegal_tokens(&body).is_empty() => Verdict::Delivered,
        Some(code::PARTIAL_FAILURE | code::ALL_TOKENS_INVALID) => Verdict::DeadToken { reason },
        Some(code::AUTH_FAILED | code::TOKEN_EXPIRED) => Verdict::Reauth { reason },
        Some(code::INTERNAL_ERROR) => Verdict::Retry { reason, after_ms },
        _ if resp.status >= 500 || resp.status == 429 => Verdict::Retry { reason, after_ms },
        None if resp.status == 401 => Verdict::Reauth { reason },
        _ => Verdict::Failed { reason },
    }
}
