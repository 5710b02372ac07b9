//! Fake OPPO Push (HeyTap) server API: `POST /server/v1/auth` and
//! `POST /server/v1/message/notification/unicast`, both form-encoded, both answering HTTP 200
//! with `{"code", "message", "data"}` whatever the outcome (docs/vendors.md §5; OPPO's docs at
//! https://open.oppomobile.com/new/developmentDoc/info?id=11234 and ?id=11238).
//!
//! Apps are app keys, each with its master secret and the environment its credentials belong
//! to (ZEGO's console keeps a debug and a release set). RegIds are issued per app key (the
//! device's `project`), so a debug regId sent with the release app's auth token is an invalid
//! target, as is a regId whose app was uninstalled.
//!
//! Checked, in this order (reference policy where OPPO does not say): method (12), path (20);
//! for auth the app key, timestamp and sign, missing (15, 18, 17) before wrong (14, 19, 16);
//! for unicast the auth token (29, 11), then `message` and its fields (40 missing, 41 invalid),
//! a replayed `app_message_id` (answered with the first send's messageId, not delivered again),
//! the optional daily quota (33), and the target (10000). The fake never answers -2, -1, 13 or
//! 55; the relay's [`contract::verdict`] still classifies them.
//!
//! The device receives the `notification` object as sent (see [`decode`]). `off_line: false`
//! and `off_line_ttl` are checked but not acted on: stored notifications do not expire yet,
//! as for every vendor fake.
//!
//! - `contract`: the requests the relay builds and how it reads the answers.
//! - `decode`: what the Android SDK reads out of a delivered notification.

pub mod contract;
pub mod decode;

use super::{random_string, Access, AccessTokens, DeviceNotification, Directory, StorePolicy, VendorApi, VendorEvent};
use crate::http::{HttpRequest, HttpResponse};
use crate::pushid::Environment;
use crate::time::{Millis, SIM_EPOCH_UNIX_MS};
use contract::{code, AUTH_PATH, TARGET_REGISTRATION_ID, TIMESTAMP_WINDOW_MS, TOKEN_LIFETIME_MS, UNICAST_PATH};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub use contract::{
    MAX_ACTION_PARAMETERS, MAX_CONTENT, MAX_LONG_CONTENT, MAX_OFFLINE_TTL_S, MAX_SUB_TITLE, MAX_TITLE,
    MIN_OFFLINE_TTL_S,
};

/// Notifications kept per offline device. Reference policy: OPPO documents offline caching
/// for `off_line_ttl` but no count; FCM's 100 is used.
pub const MAX_STORED: usize = 100;
/// The length of a simulated day, for the daily quota (days start at the simulation epoch).
const DAY_MS: u64 = 86_400_000;
/// `click_action_type` values OPPO defines (3 is unused).
const CLICK_ACTIONS: [u64; 5] = [0, 1, 2, 4, 5];

/// Every refusal the fake answers with, by OPPO return code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// 12: not a POST.
    MethodNotAllowed,
    /// 20: no API at that path.
    InvalidMethod,
    MissingAppKey,
    InvalidAppKey,
    MissingTimestamp,
    /// Not 13 digits, or not within the last 10 minutes.
    InvalidTimestamp,
    MissingSign,
    InvalidSign,
    MissingAuthToken,
    /// Unknown or expired.
    InvalidAuthToken,
    /// 40; names the field.
    MissingArgument(String),
    /// 41; says what is wrong.
    InvalidArgument(String),
    /// 33: the app's daily quota is used up.
    DailyLimit,
    /// 10000: unknown to this app key, or unsubscribed.
    InvalidRegistrationId,
}

impl Reason {
    pub fn code(&self) -> i64 {
        match self {
            Reason::MethodNotAllowed => code::METHOD_NOT_ALLOWED,
            Reason::InvalidMethod => code::INVALID_METHOD,
            Reason::MissingAppKey => code::MISSING_APP_KEY,
            Reason::InvalidAppKey => code::INVALID_APP_KEY,
            Reason::MissingTimestamp => code::MISSING_TIMESTAMP,
            Reason::InvalidTimestamp => code::INVALID_TIMESTAMP,
            Reason::MissingSign => code::MISSING_SIGN,
            Reason::InvalidSign => code::INVALID_SIGN,
            Reason::MissingAuthToken => code::MISSING_AUTH_TOKEN,
            Reason::InvalidAuthToken => code::INVALID_AUTH_TOKEN,
            Reason::MissingArgument(_) => code::MISSING_ARGUMENTS,
            Reason::InvalidArgument(_) => code::INVALID_ARGUMENTS,
            Reason::DailyLimit => code::DAILY_LIMIT,
            Reason::InvalidRegistrationId => code::INVALID_REGISTRATION_ID,
        }
    }

    /// OPPO's English name of the code (the invalid regId's is the fake's own).
    pub fn label(&self) -> &'static str {
        match self {
            Reason::MethodNotAllowed => "Http Action Not Allowed",
            Reason::InvalidMethod => "Invalid Method",
            Reason::MissingAppKey => "Missing App Key",
            Reason::InvalidAppKey => "Invalid App Key",
            Reason::MissingTimestamp => "Missing Timestamp",
            Reason::InvalidTimestamp => "Invalid Timestamp",
            Reason::MissingSign => "Missing Signature",
            Reason::InvalidSign => "Invalid Signature",
            Reason::MissingAuthToken => "Missing Auth Token",
            Reason::InvalidAuthToken => "Invalid AuthToken",
            Reason::MissingArgument(_) => "Missing Required Arguments",
            Reason::InvalidArgument(_) => "Invalid Arguments",
            Reason::DailyLimit => "The number of messages exceeds the daily limit",
            Reason::InvalidRegistrationId => "Invalid RegistrationId",
        }
    }

    /// The `message` of the answer: the label, and for argument errors what is wrong.
    pub fn message(&self) -> String {
        match self {
            Reason::MissingArgument(d) | Reason::InvalidArgument(d) => format!("{}: {d}", self.label()),
            _ => self.label().to_owned(),
        }
    }

    /// Whether this refuses the send because of its regId (OPPO's dead-token answer):
    /// unknown to this app key, or unsubscribed. Every other reason is about the request,
    /// the credentials or the quota.
    pub fn refuses_token(&self) -> bool {
        code::is_dead(self.code())
    }

    /// OPPO answers business errors with HTTP 200 and no `data`.
    pub fn response(&self) -> HttpResponse {
        HttpResponse::json(200, &json!({"code": self.code(), "message": self.message()}))
    }
}

fn missing(field: &str) -> Reason {
    Reason::MissingArgument(field.to_owned())
}

fn invalid(what: impl Into<String>) -> Reason {
    Reason::InvalidArgument(what.into())
}

/// The fake OPPO Push service.
#[derive(Debug)]
pub struct Oppo {
    /// App key -> (master secret, environment of these credentials).
    apps: BTreeMap<String, (String, Environment)>,
    dir: Directory,
    auth_tokens: AccessTokens,
    /// Accepted sends per app key and day, for the quota.
    daily_quota: Option<u64>,
    sent: BTreeMap<(String, u64), u64>,
    /// (app key, regId, app_message_id) -> messageId of the send that was delivered.
    by_app_message_id: BTreeMap<(String, String, String), String>,
    next_id: u64,
}

impl Oppo {
    /// `apps`: app key -> (master secret, environment).
    pub fn new(apps: BTreeMap<String, (String, Environment)>, seed: u64) -> Oppo {
        Oppo {
            apps,
            dir: Directory::new(seed, StorePolicy::Queue(MAX_STORED)),
            auth_tokens: AccessTokens::default(),
            daily_quota: None,
            sent: BTreeMap::new(),
            by_app_message_id: BTreeMap::new(),
            next_id: 1,
        }
    }

    /// Limits each app to `per_app` accepted sends a simulated day (code 33 beyond). OPPO
    /// sets the real quota per app from its subscriber count; unlimited by default.
    pub fn with_daily_quota(mut self, per_app: u64) -> Oppo {
        self.daily_quota = Some(per_app);
        self
    }

    fn respond(&mut self, req: &HttpRequest, now: Millis) -> HttpResponse {
        let mut env = None;
        let mut target = None;
        let result = if req.method != "POST" {
            Err(Reason::MethodNotAllowed)
        } else {
            let form: BTreeMap<String, String> = form_urlencoded::parse(&req.body).into_owned().collect();
            match req.path.as_str() {
                AUTH_PATH => self.auth(&form, now, &mut env),
                UNICAST_PATH => self.unicast(&form, now, &mut env, &mut target),
                _ => Err(Reason::InvalidMethod),
            }
        };
        let reason = result.as_ref().err().map(|r| format!("{} {}", r.code(), r.label()));
        let token_refused = result.as_ref().is_err_and(Reason::refuses_token);
        self.dir.event(VendorEvent::Request { env, token: target, status: 200, reason, token_refused });
        match result {
            Ok(data) => HttpResponse::json(200, &json!({"code": code::SUCCESS, "message": "Success", "data": data})),
            Err(reason) => reason.response(),
        }
    }

    fn auth(
        &mut self,
        form: &BTreeMap<String, String>,
        now: Millis,
        env: &mut Option<Environment>,
    ) -> Result<Value, Reason> {
        let app_key = field(form, "app_key").ok_or(Reason::MissingAppKey)?;
        let timestamp = field(form, "timestamp").ok_or(Reason::MissingTimestamp)?;
        let sign = field(form, "sign").ok_or(Reason::MissingSign)?;
        let (secret, app_env) = self.apps.get(app_key).ok_or(Reason::InvalidAppKey)?;
        *env = Some(*app_env);
        let now_unix = SIM_EPOCH_UNIX_MS + now.0;
        // 13-digit milliseconds, not in the future, at most 10 minutes old.
        let fresh = timestamp.len() == 13
            && timestamp.bytes().all(|b| b.is_ascii_digit())
            && timestamp.parse::<u64>().is_ok_and(|t| t <= now_unix && now_unix - t <= TIMESTAMP_WINDOW_MS);
        if !fresh {
            return Err(Reason::InvalidTimestamp);
        }
        if !sign.eq_ignore_ascii_case(&contract::sign(app_key, timestamp, secret)) {
            return Err(Reason::InvalidSign);
        }
        let token = self.auth_tokens.issue("oppo-auth-", app_key, now, TOKEN_LIFETIME_MS);
        Ok(json!({"auth_token": token, "create_time": now_unix}))
    }

    fn unicast(
        &mut self,
        form: &BTreeMap<String, String>,
        now: Millis,
        env: &mut Option<Environment>,
        target: &mut Option<String>,
    ) -> Result<Value, Reason> {
        let auth_token = field(form, "auth_token").ok_or(Reason::MissingAuthToken)?;
        let Access::Valid(app_key) = self.auth_tokens.check(auth_token, now) else {
            return Err(Reason::InvalidAuthToken);
        };
        *env = self.apps.get(&app_key).map(|(_, e)| *e);
        let raw = field(form, "message").ok_or_else(|| missing("message"))?;
        let Ok(Value::Object(message)) = serde_json::from_str::<Value>(raw) else {
            return Err(invalid("message is not a JSON object"));
        };
        *target = message.get("target_value").and_then(Value::as_str).map(str::to_owned);
        let (reg_id, notification) = check_message(&message)?;

        let replay = notification
            .get("app_message_id")
            .and_then(Value::as_str)
            .map(|id| (app_key.clone(), reg_id.to_owned(), id.to_owned()));
        if let Some(message_id) = replay.as_ref().and_then(|key| self.by_app_message_id.get(key)) {
            return Ok(json!({"messageId": message_id}));
        }
        let day = (app_key.clone(), now.0 / DAY_MS);
        if self.daily_quota.is_some_and(|q| self.sent.get(&day).copied().unwrap_or(0) >= q) {
            return Err(Reason::DailyLimit);
        }
        let issued = self
            .dir
            .token(reg_id)
            .filter(|t| t.project.as_deref() == Some(app_key.as_str()) && t.revoked_at.is_none())
            .ok_or(Reason::InvalidRegistrationId)?;
        let (device, app) = (issued.device.clone(), issued.app.clone());
        let message_id = format!("{:024x}", self.next_id);
        self.next_id += 1;
        *self.sent.entry(day).or_default() += 1;
        if let Some(key) = replay {
            self.by_app_message_id.insert(key, message_id.clone());
        }
        // Held for `off_line_ttl` (an hour to 10 days), or not at all when `off_line` is false.
        let ttl_s = match notification.get("off_line").and_then(Value::as_bool) {
            Some(false) => 0,
            _ => notification
                .get("off_line_ttl")
                .and_then(Value::as_u64)
                .unwrap_or(MIN_OFFLINE_TTL_S)
                .clamp(MIN_OFFLINE_TTL_S, MAX_OFFLINE_TTL_S),
        };
        let payload = Value::Object(notification.clone());
        let n = DeviceNotification { id: message_id.clone(), app, payload, delivery: 0, replace_key: None };
        self.dir.deliver(&device, n, now, super::Keep::for_ms(now, ttl_s * 1000));
        Ok(json!({"messageId": message_id}))
    }
}

/// A form field that is present and not empty.
fn field<'a>(form: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    form.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

/// A JSON field that is a non-empty string.
fn text<'a>(m: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    m.get(name).and_then(Value::as_str).filter(|v| !v.is_empty())
}

/// The target regId and the notification of a unicast `message`, if they are well formed.
fn check_message(m: &Map<String, Value>) -> Result<(&str, &Map<String, Value>), Reason> {
    match m.get("target_type") {
        None | Some(Value::Null) => return Err(missing("target_type")),
        Some(t) if t.as_u64() == Some(TARGET_REGISTRATION_ID) => {}
        Some(_) => return Err(invalid("target_type: only 2 (registration_id) is simulated")),
    }
    let reg_id = text(m, "target_value").ok_or_else(|| missing("target_value"))?;
    let n = m.get("notification").and_then(Value::as_object).ok_or_else(|| missing("notification"))?;
    check_notification(n)?;
    Ok((reg_id, n))
}

fn check_notification(n: &Map<String, Value>) -> Result<(), Reason> {
    let number = |name: &str| -> Result<Option<u64>, Reason> {
        match n.get(name) {
            None => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| invalid(format!("notification.{name} must be a number"))),
        }
    };
    let string = |name: &str, max: usize| -> Result<(), Reason> {
        match n.get(name) {
            None => Ok(()),
            Some(Value::String(s)) if s.chars().count() <= max => Ok(()),
            Some(_) => Err(invalid(format!("notification.{name} must be a string of at most {max} characters"))),
        }
    };
    let title = text(n, "title").ok_or_else(|| missing("notification.title"))?;
    if title.chars().count() > MAX_TITLE {
        return Err(invalid(format!("notification.title is over {MAX_TITLE} characters")));
    }
    let style = number("style")?.unwrap_or(1);
    if !(1..=3).contains(&style) {
        return Err(invalid("notification.style must be 1, 2 or 3"));
    }
    let content = text(n, "content").ok_or_else(|| missing("notification.content"))?;
    let max = if style == 2 { MAX_LONG_CONTENT } else { MAX_CONTENT };
    if content.chars().count() > max {
        return Err(invalid(format!("notification.content is over {max} characters")));
    }
    string("sub_title", MAX_SUB_TITLE)?;
    if number("click_action_type")?.is_some_and(|t| !CLICK_ACTIONS.contains(&t)) {
        return Err(invalid("notification.click_action_type must be 0, 1, 2, 4 or 5"));
    }
    string("action_parameters", MAX_ACTION_PARAMETERS)?;
    if let Some(Value::String(params)) = n.get("action_parameters") {
        if !matches!(serde_json::from_str::<Value>(params), Ok(Value::Object(_))) {
            return Err(invalid("notification.action_parameters must be a JSON object"));
        }
    }
    if n.get("off_line").is_some_and(|v| !v.is_boolean()) {
        return Err(invalid("notification.off_line must be a boolean"));
    }
    number("off_line_ttl")?; // taken within an hour and 10 days, not refused
    string("channel_id", usize::MAX)?;
    string("app_message_id", usize::MAX)?;
    Ok(())
}

/// OPPO regIds: `CN_` (a China device) and 32 lower-case hex characters.
fn make_token(rng: &mut ChaCha8Rng) -> String {
    format!("CN_{}", random_string(rng, b"0123456789abcdef", 32))
}

impl VendorApi for Oppo {
    fn is_send(&self, req: &HttpRequest) -> bool {
        req.path == contract::UNICAST_PATH
    }

    fn answer(&mut self, req: &HttpRequest, now: Millis) -> HttpResponse {
        self.respond(req, now)
    }

    fn token_env(&self, project: Option<&str>) -> Result<Environment, String> {
        let key = project.ok_or("OPPO regIds need the app key")?;
        self.apps.get(key).map(|(_, env)| *env).ok_or_else(|| format!("unknown OPPO app key {key:?}"))
    }

    fn new_token(rng: &mut ChaCha8Rng) -> String {
        make_token(rng)
    }

    fn directory(&mut self) -> &mut Directory {
        &mut self.dir
    }
    fn directory_ref(&self) -> &Directory {
        &self.dir
    }
}

#[cfg(test)]
mod tests;
