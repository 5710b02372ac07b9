//! Fake vivo Push (PUSH-UPS-API): `POST /message/auth` and `POST /message/send`, JSON in and
//! out, answering HTTP 200 with `{"result", "desc", ...}` for business outcomes
//! (docs/vendors.md §6; vivo's docs at https://dev.vivo.com.cn/documentCenter/doc/362).
//!
//! Apps are app IDs, each with its app key, app secret and the environment its credentials
//! belong to (ZEGO's console keeps a debug and a release set). RegIds are issued per app ID
//! (the device's `project`), so a debug regId sent with the release app's token is an unknown
//! user to that app (10302, status 1); a revoked one answers status 2 (uninstalled).
//!
//! Checked, in this order (reference policy where vivo does not say): method (HTTP 405) and
//! path (HTTP 404); for auth the body, `appId`, `appKey`, `timestamp`, `sign` present, the app
//! and its key, the auth rate (10 a second per app, counting every call that names a known
//! app), the timestamp window, the sign; for a send the `authToken` header, the body, `appId`
//! against the token's, `requestId`, then a replay, then every field, the optional daily quota
//! (10070) and the target (10302). Result codes: see [`contract::result`].
//!
//! `requestId` is an idempotency key (reference policy: vivo requires it unique): a send whose
//! app and `requestId` match an accepted one is answered with that send's `taskId` and not
//! delivered again, whatever its body. Refused sends are not remembered, so the relay may
//! retry them with the same `requestId`. Remembered for the life of the fake.
//!
//! Descriptions: success says `请求成功` as vivo does; errors carry the fake's own English
//! `desc` (the relay reads only `result`).
//!
//! The device receives the displayed fields and `clientCustomMap` (see [`decode`]).
//! `timeToLive` is checked but not acted on: stored notifications do not expire yet.
//!
//! - `contract`: the requests the relay builds and how it reads the answers.
//! - `decode`: what the Android SDK reads out of a delivered notification.

pub mod contract;
pub mod decode;

use super::{random_string, Access, AccessTokens, DeviceNotification, Directory, StorePolicy, VendorApi, VendorEvent};
use crate::http::{HttpRequest, HttpResponse};
use crate::pushid::Environment;
use crate::time::{Millis, PerSecond, SIM_EPOCH_UNIX_MS};
use contract::{result, status, AUTH_PATH, AUTH_PER_SECOND, SEND_PATH, TIMESTAMP_WINDOW_MS, TOKEN_LIFETIME_MS};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub use contract::{
    width, MAX_CONTENT, MAX_CUSTOM_CHARS, MAX_CUSTOM_PAIRS, MAX_REQUEST_ID, MAX_SKIP_CONTENT, MAX_SKIP_URL, MAX_TITLE,
    MAX_TTL_S, MIN_TTL_S, REG_ID_LEN,
};

/// Notifications kept per offline device. Reference policy: vivo documents `timeToLive` but
/// no count; FCM's 100 is used.
pub const MAX_STORED: usize = 100;
/// The length of a simulated day, for the daily quota (days start at the simulation epoch).
const DAY_MS: u64 = 86_400_000;
/// The fields of a send the device receives.
const DELIVERED: [&str; 6] = ["title", "content", "notifyType", "skipType", "skipContent", "clientCustomMap"];

/// Every refusal the fake answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// HTTP 404: no API at that path.
    NotFound,
    /// HTTP 405: not a POST.
    MethodNotAllowed,
    InvalidBody,
    AppIdEmpty,
    AppKeyEmpty,
    TimestampEmpty,
    SignEmpty,
    InvalidApp,
    InvalidSign,
    InvalidTimestamp,
    AuthRateLimited,
    InvalidAuthToken,
    AppIdMismatch,
    InvalidRequestId,
    MissingRegId,
    InvalidNotifyType,
    InvalidTitle,
    InvalidContent,
    InvalidTtl,
    InvalidSkip,
    InvalidCustomMap,
    InvalidPushMode,
    DailyQuota,
    /// 10302 with `invalidUser {status, userid}`.
    InvalidUser {
        status: u64,
        userid: String,
    },
}

impl Reason {
    /// The HTTP status: 200 for every business refusal.
    pub fn http_status(&self) -> u16 {
        match self {
            Reason::NotFound => 404,
            Reason::MethodNotAllowed => 405,
            _ => 200,
        }
    }

    /// The `result` code, for a business refusal.
    pub fn result(&self) -> Option<i64> {
        use result::*;
        Some(match self {
            Reason::NotFound | Reason::MethodNotAllowed => return None,
            Reason::InvalidBody => INVALID_BODY,
            Reason::AppIdEmpty => APP_ID_EMPTY,
            Reason::AppKeyEmpty => APP_KEY_EMPTY,
            Reason::TimestampEmpty => TIMESTAMP_EMPTY,
            Reason::SignEmpty => SIGN_EMPTY,
            Reason::InvalidApp => INVALID_APP,
            Reason::InvalidSign => INVALID_SIGN,
            Reason::InvalidTimestamp => INVALID_TIMESTAMP,
            Reason::AuthRateLimited => AUTH_RATE_LIMITED,
            Reason::InvalidAuthToken => INVALID_AUTH_TOKEN,
            Reason::AppIdMismatch => APP_ID_MISMATCH,
            Reason::InvalidRequestId => INVALID_REQUEST_ID,
            Reason::MissingRegId => MISSING_REG_ID,
            Reason::InvalidNotifyType => INVALID_NOTIFY_TYPE,
            Reason::InvalidTitle => INVALID_TITLE,
            Reason::InvalidContent => INVALID_CONTENT,
            Reason::InvalidTtl => INVALID_TTL,
            Reason::InvalidSkip => INVALID_SKIP,
            Reason::InvalidCustomMap => INVALID_CUSTOM_MAP,
            Reason::InvalidPushMode => INVALID_PUSH_MODE,
            Reason::DailyQuota => DAILY_QUOTA,
            Reason::InvalidUser { .. } => INVALID_USER,
        })
    }

    /// The fake's `desc` (vivo's own are Chinese; only `result` is meant to be read).
    pub fn desc(&self) -> &'static str {
        match self {
            Reason::NotFound => "not found",
            Reason::MethodNotAllowed => "method not allowed",
            Reason::InvalidBody => "the body must be a JSON object",
            Reason::AppIdEmpty => "appId must not be empty",
            Reason::AppKeyEmpty => "appKey must not be empty",
            Reason::TimestampEmpty => "timestamp must not be empty",
            Reason::SignEmpty => "sign must not be empty",
            Reason::InvalidApp => "appId unknown or appKey not its",
            Reason::InvalidSign => "sign does not match",
            Reason::InvalidTimestamp => "timestamp is not within 10 minutes of the server time",
            Reason::AuthRateLimited => "more than 10 auth calls in one second",
            Reason::InvalidAuthToken => "authToken is missing, unknown or expired",
            Reason::AppIdMismatch => "appId is not the authToken's",
            Reason::InvalidRequestId => "requestId must be 1 to 64 characters",
            Reason::MissingRegId => "regId must not be empty (alias sends are not simulated)",
            Reason::InvalidNotifyType => "notifyType must be 1 to 4",
            Reason::InvalidTitle => "title must be 1 to 40 width units",
            Reason::InvalidContent => "content must be 1 to 100 width units",
            Reason::InvalidTtl => "timeToLive must be 60 seconds to 7 days",
            Reason::InvalidSkip => "skipType must be 1 to 4 with a skipContent that fits it",
            Reason::InvalidCustomMap => "clientCustomMap must hold at most 10 string pairs of 1024 characters",
            Reason::InvalidPushMode => "pushMode must be 0 or 1",
            Reason::DailyQuota => "the sends of today exceed the quota",
            Reason::InvalidUser { .. } => "regId is invalid",
        }
    }

    /// The name in the trace: the result code (with the status for 10302), or the HTTP status.
    pub fn name(&self) -> String {
        match (self, self.result()) {
            (Reason::InvalidUser { status, .. }, _) => format!("{} status {status}", result::INVALID_USER),
            (_, Some(code)) => code.to_string(),
            (_, None) => format!("HTTP {}", self.http_status()),
        }
    }

    /// Whether this refuses the send because of its regId (vivo's dead-token answers):
    /// 10302 for a user that does not exist, unsubscribed or was offline 90 days. A test
    /// push to a device that is not a test device (status 4) is about the send, not the
    /// regId; every other reason is about the request, the credentials or the quota.
    pub fn refuses_token(&self) -> bool {
        matches!(self, Reason::InvalidUser { status, .. } if status::is_dead(*status))
    }

    pub fn response(&self) -> HttpResponse {
        let Some(code) = self.result() else {
            return HttpResponse::new(self.http_status());
        };
        let mut body = json!({"result": code, "desc": self.desc()});
        if let Reason::InvalidUser { status, userid } = self {
            body["invalidUser"] = json!({"status": status, "userid": userid});
        }
        HttpResponse::json(200, &body)
    }
}

/// The fake vivo Push service.
#[derive(Debug)]
pub struct Vivo {
    /// App ID -> (app key, app secret, environment of these credentials).
    apps: BTreeMap<String, (String, String, Environment)>,
    dir: Directory,
    auth_tokens: AccessTokens,
    auth_calls: BTreeMap<String, PerSecond>,
    /// (app ID, requestId) -> taskId of the accepted send.
    requests: BTreeMap<(String, String), String>,
    daily_quota: Option<u64>,
    /// Accepted sends per app ID and day, for the quota.
    sent: BTreeMap<(String, u64), u64>,
    next_task: u64,
}

impl Vivo {
    /// `apps`: app ID -> (app key, app secret, environment).
    pub fn new(apps: BTreeMap<String, (String, String, Environment)>, seed: u64) -> Vivo {
        Vivo {
            apps,
            dir: Directory::new(seed, StorePolicy::Queue(MAX_STORED)),
            auth_tokens: AccessTokens::default(),
            auth_calls: BTreeMap::new(),
            requests: BTreeMap::new(),
            daily_quota: None,
            sent: BTreeMap::new(),
            next_task: 1,
        }
    }

    /// Limits each app to `per_app` accepted sends a simulated day (10070 beyond). vivo sets
    /// the real quota per app from its subscriber count; unlimited by default.
    pub fn with_daily_quota(mut self, per_app: u64) -> Vivo {
        self.daily_quota = Some(per_app);
        self
    }

    fn respond(&mut self, req: &HttpRequest, now: Millis) -> HttpResponse {
        let mut env = None;
        let mut target = None;
        let outcome = if req.method != "POST" {
            Err(Reason::MethodNotAllowed)
        } else {
            match req.path.as_str() {
                AUTH_PATH => self.auth(req, now, &mut env),
                SEND_PATH => self.send(req, now, &mut env, &mut target),
                _ => Err(Reason::NotFound),
            }
        };
        let (status, reason) = match &outcome {
            Ok(_) => (200, None),
            Err(r) => (r.http_status(), Some(r.name())),
        };
        let token_refused = outcome.as_ref().is_err_and(Reason::refuses_token);
        self.dir.event(VendorEvent::Request { env, token: target, status, reason, token_refused });
        match outcome {
            Ok(fields) => {
                let mut body = json!({"result": result::SUCCESS, "desc": "请求成功"});
                body.as_object_mut().expect("an object").extend(fields);
                HttpResponse::json(200, &body)
            }
            Err(reason) => reason.response(),
        }
    }

    fn auth(
        &mut self,
        req: &HttpRequest,
        now: Millis,
        env: &mut Option<Environment>,
    ) -> Result<Map<String, Value>, Reason> {
        let body = json_object(req)?;
        let app_id = app_id(&body).ok_or(Reason::AppIdEmpty)?;
        let app_key = text(&body, "appKey").ok_or(Reason::AppKeyEmpty)?;
        let timestamp = match body.get("timestamp") {
            None | Some(Value::Null) => return Err(Reason::TimestampEmpty),
            Some(t) => t.as_u64().or_else(|| t.as_str().and_then(|s| s.parse().ok())),
        };
        let sign = text(&body, "sign").ok_or(Reason::SignEmpty)?;
        let (secret, app_env) = match self.apps.get(&app_id) {
            Some((key, secret, app_env)) if key == app_key => (secret.clone(), *app_env),
            _ => return Err(Reason::InvalidApp),
        };
        *env = Some(app_env);
        if !self.auth_calls.entry(app_id.clone()).or_default().allow(now, AUTH_PER_SECOND) {
            return Err(Reason::AuthRateLimited);
        }
        let now_unix = SIM_EPOCH_UNIX_MS + now.0;
        let Some(timestamp) = timestamp.filter(|t| t.abs_diff(now_unix) <= TIMESTAMP_WINDOW_MS) else {
            return Err(Reason::InvalidTimestamp);
        };
        // vivo asks for lower case: an upper-case sign does not match.
        if sign != contract::sign(&app_id, app_key, timestamp, &secret) {
            return Err(Reason::InvalidSign);
        }
        let token = self.auth_tokens.issue("vivo-auth-", &app_id, now, TOKEN_LIFETIME_MS);
        Ok(Map::from_iter([("authToken".to_owned(), json!(token))]))
    }

    fn send(
        &mut self,
        req: &HttpRequest,
        now: Millis,
        env: &mut Option<Environment>,
        target: &mut Option<String>,
    ) -> Result<Map<String, Value>, Reason> {
        let token = req.get("authtoken").filter(|t| !t.is_empty()).ok_or(Reason::InvalidAuthToken)?;
        let Access::Valid(app) = self.auth_tokens.check(token, now) else {
            return Err(Reason::InvalidAuthToken);
        };
        *env = self.apps.get(&app).map(|(.., e)| *e);
        let body = json_object(req)?;
        *target = text(&body, "regId").map(str::to_owned);
        if app_id(&body).as_deref() != Some(app.as_str()) {
            return Err(Reason::AppIdMismatch);
        }
        let request_id =
            text(&body, "requestId").filter(|r| r.chars().count() <= MAX_REQUEST_ID).ok_or(Reason::InvalidRequestId)?;
        let key = (app.clone(), request_id.to_owned());
        if let Some(task_id) = self.requests.get(&key) {
            return Ok(Map::from_iter([("taskId".to_owned(), json!(task_id))]));
        }
        let reg_id = text(&body, "regId").ok_or(Reason::MissingRegId)?;
        check_fields(&body)?;
        let day = (app.clone(), now.0 / DAY_MS);
        if self.daily_quota.is_some_and(|q| self.sent.get(&day).copied().unwrap_or(0) >= q) {
            return Err(Reason::DailyQuota);
        }
        let invalid = |status| Reason::InvalidUser { status, userid: reg_id.to_owned() };
        let issued = self.dir.token(reg_id).filter(|t| t.project.as_deref() == Some(app.as_str()));
        let Some(issued) = issued else { return Err(invalid(status::NO_SUCH_USER)) };
        if issued.revoked_at.is_some() {
            return Err(invalid(status::UNSUBSCRIBED));
        }
        // The fake has no test devices registered in vivo's console.
        if body.get("pushMode").and_then(Value::as_u64) == Some(1) {
            return Err(invalid(status::NOT_A_TEST_USER));
        }
        let (device, app_name) = (issued.device.clone(), issued.app.clone());
        let task_id = (100_000_000 + self.next_task).to_string();
        self.next_task += 1;
        *self.sent.entry(day).or_default() += 1;
        self.requests.insert(key, task_id.clone());
        let payload: Map<String, Value> =
            DELIVERED.iter().filter_map(|k| body.get(*k).map(|v| ((*k).to_owned(), v.clone()))).collect();
        let n = DeviceNotification {
            id: task_id.clone(),
            app: app_name,
            payload: Value::Object(payload),
            delivery: 0,
            replace_key: None,
        };
        // Held for `timeToLive` (checked to lie within 60 s and 7 days), a day without it.
        let ttl_s = body.get("timeToLive").and_then(Value::as_u64).unwrap_or(contract::DEFAULT_TTL_S);
        self.dir.deliver(&device, n, now, super::Keep::for_ms(now, ttl_s * 1000));
        Ok(Map::from_iter([("taskId".to_owned(), json!(task_id))]))
    }
}

fn json_object(req: &HttpRequest) -> Result<Map<String, Value>, Reason> {
    match serde_json::from_slice(&req.body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Reason::InvalidBody),
    }
}

/// `appId`, given as a number (as vivo documents it) or a string.
fn app_id(body: &Map<String, Value>) -> Option<String> {
    match body.get("appId")? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// A JSON field that is a non-empty string.
fn text<'a>(m: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    m.get(name).and_then(Value::as_str).filter(|v| !v.is_empty())
}

/// The fields of a send after its target: each one's own code.
fn check_fields(body: &Map<String, Value>) -> Result<(), Reason> {
    let number = |name: &str| body.get(name).and_then(Value::as_u64);
    if !number("notifyType").is_some_and(|t| (1..=4).contains(&t)) {
        return Err(Reason::InvalidNotifyType);
    }
    if text(body, "title").is_none_or(|t| width(t) > MAX_TITLE) {
        return Err(Reason::InvalidTitle);
    }
    if text(body, "content").is_none_or(|c| width(c) > MAX_CONTENT) {
        return Err(Reason::InvalidContent);
    }
    if body.contains_key("timeToLive") && !number("timeToLive").is_some_and(|t| (MIN_TTL_S..=MAX_TTL_S).contains(&t)) {
        return Err(Reason::InvalidTtl);
    }
    let skip_content = match body.get("skipContent") {
        None => None,
        Some(Value::String(s)) => Some(s.chars().count()),
        Some(_) => return Err(Reason::InvalidSkip),
    };
    let skip_ok = match number("skipType") {
        Some(1) => true,
        Some(2) => skip_content.is_some_and(|n| (1..=MAX_SKIP_URL).contains(&n)),
        Some(3) => skip_content.is_none_or(|n| n <= MAX_SKIP_CONTENT),
        Some(4) => skip_content.is_some_and(|n| (1..=MAX_SKIP_CONTENT).contains(&n)),
        _ => false,
    };
    if !skip_ok {
        return Err(Reason::InvalidSkip);
    }
    if let Some(map) = body.get("clientCustomMap") {
        let fits = map.as_object().is_some_and(|m| {
            m.len() <= MAX_CUSTOM_PAIRS
                && m.values().all(Value::is_string)
                && m.iter().map(|(k, v)| k.chars().count() + v.as_str().map_or(0, |s| s.chars().count())).sum::<usize>()
                    <= MAX_CUSTOM_CHARS
        });
        if !fits {
            return Err(Reason::InvalidCustomMap);
        }
    }
    if body.contains_key("pushMode") && number("pushMode").is_none_or(|m| m > 1) {
        return Err(Reason::InvalidPushMode);
    }
    Ok(())
}

/// vivo regIds: 23 digits.
fn make_token(rng: &mut ChaCha8Rng) -> String {
    random_string(rng, b"0123456789", REG_ID_LEN)
}

impl VendorApi for Vivo {
    fn is_send(&self, req: &HttpRequest) -> bool {
        req.path == contract::SEND_PATH
    }

    fn answer(&mut self, req: &HttpRequest, now: Millis) -> HttpResponse {
        self.respond(req, now)
    }

    fn token_env(&self, project: Option<&str>) -> Result<Environment, String> {
        let id = project.ok_or("vivo regIds need the app ID")?;
        self.apps.get(id).map(|(.., env)| *env).ok_or_else(|| format!("unknown vivo app ID {id:?}"))
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
