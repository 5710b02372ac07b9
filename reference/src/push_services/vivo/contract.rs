//! vivo Push (PUSH-UPS-API) as the relay uses it: the auth call, the single-send request for
//! one push, and what each answer means. The fake in the parent module checks the same rules.
//!
//! Docs: https://dev.vivo.com.cn/documentCenter/doc/362 (server API; docs/vendors.md §6 also
//! cites the v2.9.2 mirrors).
//!
//! Mapping of a ZIM push (reference policy): `title` and `content` carry the texts, cut to
//! vivo's limits (40 and 100 width units) so a long chat message is shortened rather than
//! refused; `clientCustomMap` (string values only) carries `payload` and the [`ZimExtras`] as
//! one JSON string under `zim`; `requestId` is the relay's idempotency key for the push, so a
//! retry with the same one is answered without a second delivery; `skipType` 1 opens the app;
//! `notifyType` 4 rings and vibrates; `pushMode` 0 (formal). ZEGO documents that its vivo
//! integration does not pass the payload to the notification-click callback; the map is sent
//! anyway, and the SDK side decides what it reads. vivo has no badge field.

use crate::http::{HttpRequest, HttpResponse};
use crate::push_services::{retry_after_ms, Verdict};
use crate::wire::{PushRequest, ZimExtras};
use md5::{Digest, Md5};
use serde_json::{json, Value};

pub const AUTH_PATH: &str = "/message/auth";
pub const SEND_PATH: &str = "/message/send";
/// An `authToken` works for one day after it is issued.
pub const TOKEN_LIFETIME_MS: u64 = 86_400_000;
/// The auth `timestamp` must lie within 10 minutes either side of vivo's clock.
pub const TIMESTAMP_WINDOW_MS: u64 = 10 * 60_000;
/// Auth calls allowed per app in any one second.
pub const AUTH_PER_SECOND: usize = 10;
pub const REG_ID_LEN: usize = 23;
/// Width limits: a Latin character counts one, a CJK character two, an emoji one.
pub const MAX_TITLE: usize = 40;
pub const MAX_CONTENT: usize = 100;
/// `timeToLive`: 60 s to 7 days, a day when absent.
pub const MIN_TTL_S: u64 = 60;
pub const MAX_TTL_S: u64 = 7 * 86_400;
pub const DEFAULT_TTL_S: u64 = 86_400;
pub const MAX_CUSTOM_PAIRS: usize = 10;
/// Characters of all keys and values of `clientCustomMap` together.
pub const MAX_CUSTOM_CHARS: usize = 1024;
pub const MAX_REQUEST_ID: usize = 64;
/// `skipContent` limit for a URL (skipType 2) and for a custom or in-app target (3, 4).
pub const MAX_SKIP_URL: usize = 1000;
pub const MAX_SKIP_CONTENT: usize = 1024;

/// The `result` of an answer. 10070, 10094, 10200, 10201 and 10302 are vivo's (docs/vendors.md
/// §6). vivo's full table was not read: the others are reference-policy picks, 10000 for a
/// refused auth token (recalled as vivo's "authentication failed"), 100xx for the send's
/// parameters and 102xx for the auth call's.
pub mod result {
    pub const SUCCESS: i64 = 0;
    /// `authToken` missing, unknown or expired.
    pub const INVALID_AUTH_TOKEN: i64 = 10000;
    pub const MISSING_REG_ID: i64 = 10050;
    pub const INVALID_TITLE: i64 = 10055;
    pub const INVALID_CONTENT: i64 = 10056;
    pub const INVALID_TTL: i64 = 10057;
    pub const INVALID_NOTIFY_TYPE: i64 = 10058;
    pub const INVALID_SKIP: i64 = 10059;
    pub const INVALID_CUSTOM_MAP: i64 = 10060;
    pub const INVALID_REQUEST_ID: i64 = 10065;
    pub const INVALID_PUSH_MODE: i64 = 10066;
    /// The body is not a JSON object.
    pub const INVALID_BODY: i64 = 10067;
    /// The app's sends for today are used up: do not call again today.
    pub const DAILY_QUOTA: i64 = 10070;
    /// The body's `appId` is not the auth token's.
    pub const APP_ID_MISMATCH: i64 = 10094;
    pub const APP_ID_EMPTY: i64 = 10200;
    pub const APP_KEY_EMPTY: i64 = 10201;
    pub const TIMESTAMP_EMPTY: i64 = 10202;
    pub const SIGN_EMPTY: i64 = 10203;
    /// Unknown `appId`, or an `appKey` that is not its.
    pub const INVALID_APP: i64 = 10204;
    pub const INVALID_SIGN: i64 = 10205;
    /// Not a number, or more than 10 minutes off.
    pub const INVALID_TIMESTAMP: i64 = 10206;
    pub const AUTH_RATE_LIMITED: i64 = 10207;
    /// The target is invalid; `invalidUser.status` says why.
    pub const INVALID_USER: i64 = 10302;
}

/// `invalidUser.status` of a 10302 answer.
pub mod status {
    pub const NO_SUCH_USER: u64 = 1;
    /// Uninstalled, or notifications turned off.
    pub const UNSUBSCRIBED: u64 = 2;
    pub const OFFLINE_90_DAYS: u64 = 3;
    /// A test push (`pushMode` 1) to a device that is not a registered test device.
    pub const NOT_A_TEST_USER: u64 = 4;

    /// Whether a 10302 target `status` says the token is dead (the one list the fake and
    /// the relay's verdict share).
    pub fn is_dead(status: u64) -> bool {
        matches!(status, NO_SUCH_USER | UNSUBSCRIBED | OFFLINE_90_DAYS)
    }
}

/// `md5(appId ‖ appKey ‖ timestamp ‖ appSecret)`, each part trimmed, lower-case hex.
pub fn sign(app_id: &str, app_key: &str, timestamp: u64, app_secret: &str) -> String {
    hex::encode(Md5::digest(format!("{}{}{timestamp}{}", app_id.trim(), app_key.trim(), app_secret.trim())))
}

/// vivo documents `appId` as a number: sent as one when it is one.
fn app_id_json(app_id: &str) -> Value {
    app_id.parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::from(app_id))
}

/// The auth request for one app, signed at `now_unix_ms`.
pub fn auth_request(app_id: &str, app_key: &str, app_secret: &str, now_unix_ms: u64) -> HttpRequest {
    let body = json!({
        "appId": app_id_json(app_id),
        "appKey": app_key,
        "timestamp": now_unix_ms,
        "sign": sign(app_id, app_key, now_unix_ms, app_secret),
    });
    HttpRequest::post(AUTH_PATH, serde_json::to_vec(&body).expect("JSON values serialize"))
        .header("content-type", "application/json")
}

/// The `authToken` of a successful auth answer and how long it works (one day by vivo's docs;
/// the answer does not say), or why there is none.
pub fn auth_answer(resp: &HttpResponse) -> Result<(String, u64), String> {
    let body = resp.body_json();
    match body.get("result").and_then(Value::as_i64) {
        Some(result::SUCCESS) if resp.is_success() => body
            .get("authToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(|t| (t.to_owned(), TOKEN_LIFETIME_MS))
            .ok_or_else(|| "auth answer without authToken".to_owned()),
        Some(code) if resp.is_success() => Err(describe(code, &body)),
        _ => Err(format!("HTTP {}", resp.status)),
    }
}

/// What the relay needs to address one push.
#[derive(Clone, Debug)]
pub struct Send<'a> {
    pub push: &'a PushRequest,
    /// The app ID of the push's environment (the auth token's).
    pub app_id: &'a str,
    pub auth_token: &'a str,
    /// Unique per push, the same on every retry of it (at most 64 characters).
    pub request_id: String,
    /// `timeToLive` in seconds (kept within 60 s to 7 days).
    pub ttl_s: u64,
}

/// The single-send request for one push.
pub fn request(send: &Send<'_>) -> HttpRequest {
    let req = send.push;
    let body = json!({
        "appId": app_id_json(send.app_id),
        "regId": req.push_id.token,
        "notifyType": 4,
        "title": cut(&req.push.title, MAX_TITLE),
        "content": cut(&req.push.content, MAX_CONTENT),
        "timeToLive": send.ttl_s.clamp(MIN_TTL_S, MAX_TTL_S),
        "skipType": 1,
        "clientCustomMap": {"payload": req.push.payload, "zim": ZimExtras::json_string_of(req)},
        "requestId": send.request_id,
        "pushMode": 0,
    });
    HttpRequest::post(SEND_PATH, serde_json::to_vec(&body).expect("JSON values serialize"))
        .header("authToken", send.auth_token)
        .header("content-type", "application/json")
}

/// How the relay must treat an answer. 10302 is a dead target for statuses 1 (no such user),
/// 2 (uninstalled or notifications off) and 3 (offline 90 days), and for a 10302 without a
/// status (reference policy: the answer names the regId itself invalid); status 4 only
/// concerns test pushes and keeps the binding. 10000 wants a new auth token; HTTP 5xx is
/// retried; the daily quota (10070) is not retried today; everything else is a request to fix.
pub fn verdict(resp: &HttpResponse) -> Verdict {
    if resp.status >= 500 || resp.status == 429 {
        return Verdict::Retry { reason: format!("HTTP {}", resp.status), after_ms: retry_after_ms(resp) };
    }
    let body = resp.body_json();
    let Some(code) = body.get("result").and_then(Value::as_i64).filter(|_| resp.is_success()) else {
        return Verdict::Failed { reason: format!("HTTP {}", resp.status) };
    };
    let reason = describe(code, &body);
    match code {
        result::SUCCESS => Verdict::Delivered,
        result::INVALID_USER => match body.pointer("/invalidUser/status").and_then(Value::as_u64) {
            Some(s) if !status::is_dead(s) => Verdict::Failed { reason },
            _ => Verdict::DeadToken { reason },
        },
        result::INVALID_AUTH_TOKEN => Verdict::Reauth { reason },
        _ => Verdict::Failed { reason },
    }
}

/// `<result>` with the target's status for 10302, the reason a verdict carries.
fn describe(code: i64, body: &Value) -> String {
    match body.pointer("/invalidUser/status").and_then(Value::as_u64) {
        Some(s) if code == result::INVALID_USER => format!("{code} status {s}"),
        _ => code.to_string(),
    }
}

/// vivo's width of one character: CJK and other BMP non-Latin characters count two, ASCII and
/// emoji (outside the BMP) one.
pub fn width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() || c as u32 > 0xFFFF { 1 } else { 2 }).sum()
}

/// The longest prefix of `s` whose [`width`] is at most `max`.
pub fn cut(s: &str, max: usize) -> String {
    let mut used = 0;
    s.chars()
        .take_while(|c| {
            used += width(c.encode_utf8(&mut [0; 4]));
            used <= max
        })
        .collect()
}
