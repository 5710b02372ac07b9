//! MiPush as the relay uses it: the `/v3/message/regid` request for one push, and what each
//! answer means. The fake in the parent module checks the same rules. MiPush has no token
//! endpoint: every request carries the app secret.
//!
//! Sources: send API https://dev.mi.com/xiaomihyperos/documentation/detail?pId=1559 ,
//! error codes https://dev.mi.com/xiaomihyperos/documentation/detail?pId=1560 .
//!
//! Mapping of a ZIM push (reference policy): `title` and `description` carry title and
//! content, cut to Xiaomi's limits (a long chat message still gets a notification instead of
//! a 65009 refusal); the form's `payload` is the sender payload; `extra.zim` the
//! [`ZimExtras`] as a JSON string; `extra.badge` the badge. MiPush has no badge field (MIUI
//! counts notifications), so the badge rides as a custom extra the SDK reads; `notify_id`
//! numbers the notification after its message (see [`notify_id`]).

use crate::http::{HttpRequest, HttpResponse};
use crate::push_services::{first_chars, retry_after_ms, Verdict};
use crate::wire::{PushRequest, ZimExtras};
use serde_json::Value;

pub const SEND_PATH: &str = "/v3/message/regid";
/// Longest `time_to_live`: two weeks, in ms.
pub const MAX_TTL_MS: u64 = 14 * 24 * 3600 * 1000;
/// `title` must be shorter than 50 characters, `description` shorter than 128.
pub const MAX_TITLE_CHARS: usize = 49;
pub const MAX_DESCRIPTION_CHARS: usize = 127;
/// At most 10 custom `extra.*` pairs, each value at most 1024 characters.
pub const MAX_EXTRAS: usize = 10;
pub const MAX_EXTRA_CHARS: usize = 1024;
/// Largest `notify_id`: it is a non-negative 32-bit integer.
pub const MAX_NOTIFY_ID: u64 = i32::MAX as u64;
/// Notifications the fake keeps per offline device (reference policy, see the fake).
pub const MAX_STORED: usize = 100;
/// `extra.*` keys Xiaomi defines itself; they do not count against [`MAX_EXTRAS`].
pub const SYSTEM_EXTRAS: [&str; 9] = [
    "notify_effect",
    "intent_uri",
    "web_uri",
    "channel_id",
    "channel_name",
    "sound_uri",
    "notify_foreground",
    "callback",
    "callback.type",
];

/// MiPush's result codes (the numeric `code` of every answer).
pub mod code {
    pub const SUCCESS: i64 = 0;
    pub const MISSING_PARAMETER: i64 = 10016;
    pub const INVALID_PARAMETER: i64 = 10017;
    pub const TOO_FREQUENT: i64 = 10027;
    pub const NO_VALID_TARGETS: i64 = 20301;

    /// Whether `code` says the target's token is dead (the one list the fake and the
    /// relay's verdict share).
    pub fn is_dead(code: i64) -> bool {
        code == NO_VALID_TARGETS
    }
    pub const INVALID_SECRET: i64 = 21301;
    pub const CONTENT_TOO_LONG: i64 = 65009;
    pub const TOO_MANY_EXTRAS: i64 = 65014;
    pub const EXTRA_TOO_LONG: i64 = 65015;
    /// Xiaomi's own failures: unknown, internal, system error, busy, remote error.
    pub const SERVER_ERRORS: [i64; 5] = [-1, 1, 10001, 10002, 10003];
}

/// What the relay needs to address one push.
#[derive(Clone, Debug)]
pub struct Send<'a> {
    pub push: &'a PushRequest,
    /// The Android package (`restricted_package_name`) of the push's environment.
    pub package: &'a str,
    /// The AppSecret of the Mi app of that environment.
    pub app_secret: &'a str,
    pub ttl_s: u64,
}

/// The `/v3/message/regid` request for one push: a notification (`pass_through` 0) with
/// the default sound, vibration and lights (`notify_type` -1).
pub fn request(send: &Send<'_>) -> HttpRequest {
    let req = send.push;
    let ttl_ms = send.ttl_s.saturating_mul(1000).clamp(1, MAX_TTL_MS);
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("registration_id", &req.push_id.token)
        .append_pair("restricted_package_name", send.package)
        .append_pair("title", first_chars(&req.push.title, MAX_TITLE_CHARS))
        .append_pair("description", first_chars(&req.push.content, MAX_DESCRIPTION_CHARS))
        .append_pair("payload", &req.push.payload)
        .append_pair("pass_through", "0")
        .append_pair("notify_type", "-1")
        .append_pair("time_to_live", &ttl_ms.to_string())
        .append_pair("notify_id", &notify_id(req.message_id.0).to_string())
        .append_pair("extra.zim", &ZimExtras::json_string_of(req));
    if let Some(badge) = req.badge {
        form.append_pair("extra.badge", &badge.to_string());
    }
    HttpRequest::post(SEND_PATH, form.finish().into_bytes())
        .header("authorization", format!("key={}", send.app_secret))
        .header("content-type", "application/x-www-form-urlencoded;charset=UTF-8")
}

/// The `notify_id` of a message: MIUI shows one notification per `notify_id` (without one,
/// all share 0 and each replaces the last), so numbering them by message ID shows every
/// message once, a retried delivery in place of the first.
pub fn notify_id(message_id: u64) -> u64 {
    message_id % (MAX_NOTIFY_ID + 1)
}

/// How the relay must treat an answer (codes from pId=1560). 20301 "No valid targets!" on a
/// single-regId send is a dead token; 21301 is a wrong secret in the relay's config, which no
/// retry fixes, so it fails without unbinding; Xiaomi's own errors (-1, 1, 10001-10003),
/// 10027 (called too often) and HTTP 5xx are retried; anything else is a request to fix.
pub fn verdict(resp: &HttpResponse) -> Verdict {
    let body = resp.body_json();
    let found = body.get("code").and_then(Value::as_i64);
    let reason = found.map_or_else(|| format!("HTTP {}", resp.status), |c| c.to_string());
    let retry = Verdict::Retry { reason: reason.clone(), after_ms: retry_after_ms(resp) };
    if resp.status >= 500 || resp.status == 429 {
        return retry;
    }
    match found {
        Some(code::SUCCESS) if resp.is_success() && body.get("result").and_then(Value::as_str) == Some("ok") => {
            Verdict::Delivered
        }
        Some(c) if code::is_dead(c) => Verdict::DeadToken { reason },
        Some(c) if code::SERVER_ERRORS.contains(&c) || c == code::TOO_FREQUENT => retry,
        _ => Verdict::Failed { reason },
    }
}
