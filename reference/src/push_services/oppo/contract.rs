//! OPPO Push (HeyTap) server API as the relay uses it: the auth call, the unicast request for
//! one push, and what each answer means. The fake in the parent module checks the same rules.
//!
//! Docs: https://open.oppomobile.com/new/developmentDoc/info?id=11234 (auth),
//! https://open.oppomobile.com/new/developmentDoc/info?id=11238 (unicast),
//! https://open.oppomobile.com/new/developmentDoc/info?id=11236 (notification fields), and the
//! "request URLs, public parameters and return codes" page (docs/vendors.md §5).
//!
//! Mapping of a ZIM push (reference policy): `notification.title` and `content` carry the texts,
//! cut to OPPO's display limits (50 characters each, standard style) so a long chat message is
//! shortened rather than refused; `action_parameters` (the JSON string OPPO hands the app when
//! the notification is tapped) carries `{"payload": <sender payload>, "zim": <ZimExtras>}`;
//! `app_message_id` is the ZIM message ID, so OPPO's per-target dedup of that field makes a
//! retried send deliver once. OPPO has no badge field: the badge is not sent.

use crate::http::{HttpRequest, HttpResponse};
use crate::push_services::{first_chars, retry_after_ms, Verdict};
use crate::wire::{PushRequest, ZimExtras};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const AUTH_PATH: &str = "/server/v1/auth";
pub const UNICAST_PATH: &str = "/server/v1/message/notification/unicast";
/// An `auth_token` works for 24 hours after it is issued.
pub const TOKEN_LIFETIME_MS: u64 = 24 * 3_600_000;
/// The auth `timestamp` must lie within the last 10 minutes.
pub const TIMESTAMP_WINDOW_MS: u64 = 10 * 60_000;
/// `target_type` of a send to one registration ID (5, an alias, is not simulated).
pub const TARGET_REGISTRATION_ID: u64 = 2;
/// Character limits (every character counts one, CJK and emoji included).
pub const MAX_TITLE: usize = 50;
pub const MAX_SUB_TITLE: usize = 10;
/// `content` limit of the standard (1) and big-picture (3) styles...
pub const MAX_CONTENT: usize = 50;
/// ...and of the long-text style (2).
pub const MAX_LONG_CONTENT: usize = 128;
pub const MAX_ACTION_PARAMETERS: usize = 4000;
/// Longest offline lifetime; OPPO takes a longer `off_line_ttl` as this one, it does not refuse it.
pub const MAX_OFFLINE_TTL_S: u64 = 10 * 86_400;
/// Shortest offline lifetime (an hour), which is also the default without `off_line_ttl`;
/// a shorter one is taken as this one.
pub const MIN_OFFLINE_TTL_S: u64 = 3_600;

/// The `code` of an answer. Public codes are OPPO's return-code table; business codes
/// (10000-20000) are per API.
pub mod code {
    pub const SUCCESS: i64 = 0;
    pub const FLOW_CONTROL: i64 = -2;
    pub const UNAVAILABLE: i64 = -1;
    pub const INVALID_AUTH_TOKEN: i64 = 11;
    pub const METHOD_NOT_ALLOWED: i64 = 12;
    pub const CALL_LIMITED: i64 = 13;
    pub const INVALID_APP_KEY: i64 = 14;
    pub const MISSING_APP_KEY: i64 = 15;
    pub const INVALID_SIGN: i64 = 16;
    pub const MISSING_SIGN: i64 = 17;
    pub const MISSING_TIMESTAMP: i64 = 18;
    pub const INVALID_TIMESTAMP: i64 = 19;
    pub const INVALID_METHOD: i64 = 20;
    pub const MISSING_AUTH_TOKEN: i64 = 29;
    pub const DAILY_LIMIT: i64 = 33;
    pub const MISSING_ARGUMENTS: i64 = 40;
    pub const INVALID_ARGUMENTS: i64 = 41;
    pub const FREQUENCY_LIMIT: i64 = 55;
    /// The target registration ID does not exist for this app, or was unsubscribed.
    /// Reference policy: OPPO lists the unicast business codes per API and the exact number
    /// was not verified (docs/vendors.md §5, §9); the first business code is used.
    pub const INVALID_REGISTRATION_ID: i64 = 10000;

    /// Whether `code` says the target's token is dead (the one list the fake and the
    /// relay's verdict share).
    pub fn is_dead(code: i64) -> bool {
        code == INVALID_REGISTRATION_ID
    }
}

/// `hex(sha256(app_key ‖ timestamp ‖ master_secret))`.
pub fn sign(app_key: &str, timestamp: &str, master_secret: &str) -> String {
    hex::encode(Sha256::digest(format!("{app_key}{timestamp}{master_secret}")))
}

/// The auth request for one app key, signed at `now_unix_ms`.
pub fn auth_request(app_key: &str, master_secret: &str, now_unix_ms: u64) -> HttpRequest {
    let timestamp = now_unix_ms.to_string();
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("app_key", app_key)
        .append_pair("timestamp", &timestamp)
        .append_pair("sign", &sign(app_key, &timestamp, master_secret))
        .finish();
    HttpRequest::post(AUTH_PATH, body.into_bytes()).header("content-type", "application/x-www-form-urlencoded")
}

/// The `auth_token` of a successful auth answer and how long it works (OPPO does not say in
/// the answer: 24 hours by its docs), or why there is none.
pub fn auth_answer(resp: &HttpResponse) -> Result<(String, u64), String> {
    let body = resp.body_json();
    match body.get("code").and_then(Value::as_i64) {
        Some(code::SUCCESS) if resp.is_success() => body
            .pointer("/data/auth_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(|t| (t.to_owned(), TOKEN_LIFETIME_MS))
            .ok_or_else(|| "auth answer without data.auth_token".to_owned()),
        Some(code) if resp.is_success() => Err(describe(code, &body)),
        _ => Err(format!("HTTP {}", resp.status)),
    }
}

/// What the relay needs to address one push.
#[derive(Clone, Debug)]
pub struct Send<'a> {
    pub push: &'a PushRequest,
    /// The `auth_token` of the app key of the push's environment.
    pub auth_token: &'a str,
    /// Offline lifetime in seconds (cut to [`MAX_OFFLINE_TTL_S`]).
    pub ttl_s: u64,
}

/// The unicast request for one push: form fields `message` (JSON) and `auth_token`.
pub fn request(send: &Send<'_>) -> HttpRequest {
    let req = send.push;
    let action = json!({"payload": req.push.payload, "zim": ZimExtras::of(req).to_json()});
    let message = json!({
        "target_type": TARGET_REGISTRATION_ID,
        "target_value": req.push_id.token,
        "notification": {
            "app_message_id": req.message_id.0.to_string(),
            "title": first_chars(&req.push.title, MAX_TITLE),
            "content": first_chars(&req.push.content, MAX_CONTENT),
            "click_action_type": 0,
            "action_parameters": action.to_string(),
            "off_line": true,
            "off_line_ttl": send.ttl_s.min(MAX_OFFLINE_TTL_S),
        },
    });
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("message", &message.to_string())
        .append_pair("auth_token", send.auth_token)
        .finish();
    HttpRequest::post(UNICAST_PATH, body.into_bytes()).header("content-type", "application/x-www-form-urlencoded")
}

/// How the relay must treat an answer. OPPO answers HTTP 200 with a `code`: the invalid
/// registration ID is dead; 11 wants a new auth token; flow control (-2), unavailability (-1)
/// and the call-rate limits (13, 55) are retried later, as is any 5xx; the daily message
/// limit (33) is not retried today; everything else is a request to fix.
pub fn verdict(resp: &HttpResponse) -> Verdict {
    if resp.status >= 500 || resp.status == 429 {
        return Verdict::Retry { reason: format!("HTTP {}", resp.status), after_ms: retry_after_ms(resp) };
    }
    let body = resp.body_json();
    let Some(code) = body.get("code").and_then(Value::as_i64).filter(|_| resp.is_success()) else {
        return Verdict::Failed { reason: format!("HTTP {}", resp.status) };
    };
    let reason = describe(code, &body);
    match code {
        code::SUCCESS => Verdict::Delivered,
        c if code::is_dead(c) => Verdict::DeadToken { reason },
        code::INVALID_AUTH_TOKEN => Verdict::Reauth { reason },
        code::FLOW_CONTROL | code::UNAVAILABLE | code::CALL_LIMITED | code::FREQUENCY_LIMIT => {
            Verdict::Retry { reason, after_ms: retry_after_ms(resp) }
        }
        _ => Verdict::Failed { reason },
    }
}

/// `<code> <message>`, the reason a verdict carries.
fn describe(code: i64, body: &Value) -> String {
    let message = body.get("message").and_then(Value::as_str).unwrap_or_default();
    format!("{code} {message}").trim_end().to_owned()
}
