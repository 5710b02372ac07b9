//! Fake Huawei HMS Push Kit (server API v1): the OAuth client-credentials endpoint
//! (`POST /oauth2/v3/token`) and the send API (`POST /v1/<appId>/messages:send`), both
//! served by one core (the shell routes both hosts to it).
//!
//! Device tokens are issued per app ID (the `project` of a token request). The world
//! configures two apps, the debug and the release credential sets, so a debug token sent
//! through the release app is invalid there (80300007), as a token of another app is on
//! the real service.
//!
//! Answers are `{"code", "msg", "requestId"}` with the code as a string. Business errors
//! come with HTTP 200 and only the code tells them apart; the two OAuth errors (80200001,
//! 80200003) come with HTTP 401, the status the result-code page gives authentication
//! failures. Checked in this order: route, bearer, body structure, parameters, token count,
//! body size, then each token.
//!
//! Sources: https://developer.huawei.com/consumer/en/doc/HMSCore-References/https-send-api-0000001050986197/ ,
//! https://developer.huawei.com/consumer/en/doc/doccenter-references/api/push-scenariozed-api-response/ ,
//! https://developer.huawei.com/consumer/en/doc/HMSCore-Guides/android-offline-msg-cache-0000001050040130/ .
//!
//! - `contract`: the requests the relay builds and how it reads the answers.
//! - `decode`: what the Android SDK's HMS integration reads out of a delivered message.

pub mod contract;
pub mod decode;

use super::{random_string, Access, AccessTokens, DeviceNotification, Directory, StorePolicy, VendorApi, VendorEvent};
use crate::http::{HttpRequest, HttpResponse};
use crate::pushid::Environment;
use crate::time::Millis;
use contract::code;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub use contract::{ACCESS_TOKEN_LIFETIME_S, MAX_BODY, MAX_STORED, MAX_TOKENS, OAUTH_PATH};

const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// Device tokens: this fixed prefix and [`TOKEN_CHARS`] base64url characters. Real tokens
/// are opaque; the prefix only makes the fake's own easy to spot in a trace.
pub const TOKEN_PREFIX: &str = "IQAAAACy0";
pub const TOKEN_CHARS: usize = 120;
/// Prefix of the access tokens the OAuth endpoint issues.
const ACCESS_PREFIX: &str = "CgB6e3x9";

/// Every answer of the send API but success: the code, the HTTP status and the `msg`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Some tokens were invalid; the others were sent to. `msg` is a JSON string.
    PartialFailure { success: usize, illegal: Vec<String> },
    /// A parameter has a value Push Kit does not take (the message names it).
    InvalidParameter(String),
    /// The body is not the message structure, or a payload field is malformed.
    BadStructure(String),
    /// Missing or unknown bearer, or an access token of another app.
    AuthFailed,
    /// The access token is past its hour.
    TokenExpired,
    /// No token of the request is a valid token of this app (unknown, revoked, another app's).
    AllTokensInvalid,
    /// The message without its tokens is over [`MAX_BODY`] bytes.
    BodyTooLarge,
    /// More than [`MAX_TOKENS`] tokens, or none.
    TooManyTokens,
    /// Push Kit's own failure. The fake does not produce it (no fault injection yet); it is
    /// here so tests and the contract share its spelling.
    InternalError,
}

impl Reason {
    pub fn code(&self) -> &'static str {
        match self {
            Reason::PartialFailure { .. } => code::PARTIAL_FAILURE,
            Reason::InvalidParameter(_) => code::INVALID_PARAMETER,
            Reason::BadStructure(_) => code::BAD_STRUCTURE,
            Reason::AuthFailed => code::AUTH_FAILED,
            Reason::TokenExpired => code::TOKEN_EXPIRED,
            Reason::AllTokensInvalid => code::ALL_TOKENS_INVALID,
            Reason::BodyTooLarge => code::BODY_TOO_LARGE,
            Reason::TooManyTokens => code::TOO_MANY_TOKENS,
            Reason::InternalError => code::INTERNAL_ERROR,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Reason::AuthFailed | Reason::TokenExpired => 401,
            Reason::InternalError => 500,
            _ => 200,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Reason::PartialFailure { success, illegal } => {
                json!({"success": success, "failure": illegal.len(), "illegal_tokens": illegal}).to_string()
            }
            Reason::InvalidParameter(m) => m.clone(),
            Reason::BadStructure(m) => format!("Illegal payload, {m}"),
            Reason::AuthFailed => "Oauth authentication error".into(),
            Reason::TokenExpired => "Oauth Token expired".into(),
            Reason::AllTokensInvalid => "All the tokens are invalid".into(),
            Reason::BodyTooLarge => format!("The message body exceeds {MAX_BODY} bytes"),
            Reason::TooManyTokens => format!("The message must carry 1 to {MAX_TOKENS} tokens"),
            Reason::InternalError => "System internal error".into(),
        }
    }

    /// Whether this refuses the send to `token` because of the token (Push Kit's dead-token
    /// answers): every token is invalid, or a partial failure lists this one as illegal. The
    /// other tokens of a partial failure were sent to; every other reason is about the
    /// request or the credentials.
    pub fn refuses_token(&self, token: &str) -> bool {
        match self {
            Reason::AllTokensInvalid => true,
            Reason::PartialFailure { illegal, .. } => illegal.iter().any(|t| t == token),
            _ => false,
        }
    }

    pub fn response(&self, request_id: &str) -> HttpResponse {
        HttpResponse::json(self.status(), &json!({"code": self.code(), "msg": self.message(), "requestId": request_id}))
    }
}

/// Refusals of the OAuth endpoint. Huawei's own error body is not in the notes this fake
/// follows, so it answers the RFC 6749 §5.2 shape `{"error", "error_description"}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OAuthError {
    /// A parameter is missing (the description names it).
    InvalidRequest(&'static str),
    UnsupportedGrantType,
    /// Unknown client ID or wrong secret.
    InvalidClient,
}

impl OAuthError {
    pub fn status(&self) -> u16 {
        match self {
            OAuthError::InvalidClient => 401,
            _ => 400,
        }
    }

    pub fn error(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::InvalidClient => "invalid_client",
        }
    }

    pub fn response(&self) -> HttpResponse {
        let description = match self {
            OAuthError::InvalidRequest(p) => format!("missing parameter {p}"),
            OAuthError::UnsupportedGrantType => "only client_credentials is supported".into(),
            OAuthError::InvalidClient => "unknown client_id or wrong client_secret".into(),
        };
        HttpResponse::json(self.status(), &json!({"error": self.error(), "error_description": description}))
    }
}

/// The fake Push Kit.
#[derive(Debug)]
pub struct Hms {
    /// App ID -> (app secret, environment of those credentials).
    apps: BTreeMap<String, (String, Environment)>,
    access: AccessTokens,
    dir: Directory,
    next_request: u64,
}

impl Hms {
    /// Store policy: Huawei documents caching for the message `ttl` but no count per device
    /// (and `collapse_key` -1, the default, keeps every data message), so the fake keeps the
    /// newest [`MAX_STORED`] per device, the same bound as FCM, dropping the oldest.
    pub fn new(apps: BTreeMap<String, (String, Environment)>, seed: u64) -> Hms {
        Hms {
            apps,
            access: AccessTokens::default(),
            dir: Directory::new(seed, StorePolicy::Queue(MAX_STORED)),
            next_request: 1,
        }
    }

    fn env_of(&self, app_id: &str) -> Option<Environment> {
        self.apps.get(app_id).map(|(_, env)| *env)
    }

    /// Answers one token request.
    fn oauth(&mut self, req: &HttpRequest, now: Millis) -> HttpResponse {
        let form: BTreeMap<String, String> = form_urlencoded::parse(&req.body).into_owned().collect();
        let client = form.get("client_id").cloned();
        let result = self.grant(&form, now);
        let env = client.as_deref().and_then(|c| self.env_of(c));
        let (status, reason) = match &result {
            Ok(_) => (200, None),
            Err(e) => (e.status(), Some(e.error().to_owned())),
        };
        self.dir.event(VendorEvent::Request { env, token: None, status, reason, token_refused: false });
        match result {
            Ok(token) => HttpResponse::json(
                200,
                &json!({"access_token": token, "expires_in": ACCESS_TOKEN_LIFETIME_S, "token_type": "Bearer"}),
            ),
            Err(e) => e.response(),
        }
    }

    fn grant(&mut self, form: &BTreeMap<String, String>, now: Millis) -> Result<String, OAuthError> {
        let param = |k: &'static str| form.get(k).filter(|v| !v.is_empty()).ok_or(OAuthError::InvalidRequest(k));
        if param("grant_type")? != "client_credentials" {
            return Err(OAuthError::UnsupportedGrantType);
        }
        let (client, secret) = (param("client_id")?, param("client_secret")?);
        match self.apps.get(client) {
            Some((s, _)) if s == secret => {
                Ok(self.access.issue(ACCESS_PREFIX, client, now, ACCESS_TOKEN_LIFETIME_S * 1000))
            }
            _ => Err(OAuthError::InvalidClient),
        }
    }

    /// Answers one `messages:send` request, delivering to every valid token.
    fn send(&mut self, req: &HttpRequest, app_id: &str, now: Millis) -> HttpResponse {
        let request_id = format!("{:024}", self.next_request);
        self.next_request += 1;
        let body: Option<Value> = serde_json::from_slice(&req.body).ok();
        let tokens: Vec<String> = body
            .as_ref()
            .and_then(|b| b.pointer("/message/token"))
            .and_then(Value::as_array)
            .map(|t| t.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        let result = self.check(req, app_id, body.as_ref(), now, &request_id);
        let (status, reason) = match &result {
            Ok(()) => (200, None),
            Err(r) => (r.status(), Some(r.code().to_owned())),
        };
        // One event per addressed token, so the isolation checker sees each of them.
        let env = self.env_of(app_id);
        let addressed: Vec<Option<String>> =
            if tokens.is_empty() { vec![None] } else { tokens.into_iter().map(Some).collect() };
        for token in addressed {
            let token_refused = match (&result, &token) {
                (Err(r), Some(t)) => r.refuses_token(t),
                _ => false,
            };
            self.dir.event(VendorEvent::Request { env, token, status, reason: reason.clone(), token_refused });
        }
        match result {
            Ok(()) => {
                HttpResponse::json(200, &json!({"code": code::SUCCESS, "msg": "Success", "requestId": request_id}))
            }
            Err(r) => r.response(&request_id),
        }
    }

    fn check(
        &mut self,
        req: &HttpRequest,
        app_id: &str,
        body: Option<&Value>,
        now: Millis,
        request_id: &str,
    ) -> Result<(), Reason> {
        let bearer = req.get("authorization").and_then(|a| {
            let (scheme, token) = a.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
        });
        match bearer.map(|b| self.access.check(b, now)) {
            Some(Access::Valid(client)) if client == app_id => {}
            Some(Access::Expired) => return Err(Reason::TokenExpired),
            _ => return Err(Reason::AuthFailed),
        }
        let structure = |m: &str| Reason::BadStructure(m.to_owned());
        let Some(body) = body.and_then(Value::as_object) else {
            return Err(structure("the body must be a JSON object"));
        };
        let Some(message) = body.get("message").and_then(Value::as_object) else {
            return Err(structure("the body must carry a message object"));
        };
        check_structure(message)?;
        check_parameters(body, message)?;
        let tokens: Vec<&str> = message
            .get("token")
            .and_then(Value::as_array)
            .map(|t| t.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if tokens.is_empty() || tokens.len() > MAX_TOKENS {
            return Err(Reason::TooManyTokens);
        }
        if contract::body_len(message) > MAX_BODY {
            return Err(Reason::BodyTooLarge);
        }
        let (valid, illegal): (Vec<&str>, Vec<&str>) = tokens.iter().partition(|t| {
            self.dir.token(t).is_some_and(|i| i.project.as_deref() == Some(app_id) && i.revoked_at.is_none())
        });
        if valid.is_empty() {
            return Err(Reason::AllTokensInvalid);
        }
        if !body.get("validate_only").and_then(Value::as_bool).unwrap_or(false) {
            // What the device gets: the message without the other devices' tokens.
            let mut delivered = message.clone();
            delivered.remove("token");
            // Cached for `android.ttl` (a day without it, 15 days at most); a shown
            // notification with the same `android.notification.tag` is replaced.
            let ttl_s = message
                .get("android")
                .and_then(|a| a.get("ttl"))
                .and_then(contract::ttl_seconds)
                .map_or(contract::DEFAULT_TTL_S as f64, |t| t.min(contract::MAX_TTL_S as f64));
            let tag = message
                .get("android")
                .and_then(|a| a.pointer("/notification/tag"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            for (i, token) in valid.iter().enumerate() {
                let issued = self.dir.token(token).expect("partitioned as issued").clone();
                let n = DeviceNotification {
                    id: format!("{request_id}.{i}"),
                    app: issued.app,
                    payload: Value::Object(delivered.clone()),
                    delivery: 0,
                    replace_key: tag.clone(),
                };
                self.dir.deliver(&issued.device, n, now, super::Keep::for_ms(now, (ttl_s * 1000.0) as u64));
            }
        }
        if illegal.is_empty() {
            Ok(())
        } else {
            let illegal = illegal.into_iter().map(str::to_owned).collect();
            Err(Reason::PartialFailure { success: valid.len(), illegal })
        }
    }
}

/// JSON types of the message fields (80100003), and the payload rules of an Android
/// notification: a `click_action` that can be carried out, badge numbers in range.
fn check_structure(message: &Map<String, Value>) -> Result<(), Reason> {
    /// Absent, or present and passing `f`.
    fn is(v: Option<&Value>, f: impl Fn(&Value) -> bool) -> bool {
        v.is_none_or(f)
    }
    let bad = |m: &str| Err(Reason::BadStructure(m.to_owned()));
    if !is(message.get("data"), Value::is_string) {
        return bad("message.data must be a string");
    }
    if !is(message.get("token"), |t| t.as_array().is_some_and(|a| a.iter().all(Value::is_string))) {
        return bad("message.token must be an array of strings");
    }
    let texts =
        |n: &Value| n.as_object().is_some_and(|o| ["title", "body"].iter().all(|k| is(o.get(*k), Value::is_string)));
    if !is(message.get("notification"), texts) {
        return bad("message.notification must be an object of strings");
    }
    let Some(android) = message.get("android") else { return Ok(()) };
    let Some(android) = android.as_object() else { return bad("message.android must be an object") };
    if !is(android.get("data"), Value::is_string) {
        return bad("android.data must be a string");
    }
    let Some(notification) = android.get("notification") else { return Ok(()) };
    if !texts(notification) {
        return bad("android.notification must be an object with string title and body");
    }
    let title = notification.get("title").or_else(|| message.get("notification").and_then(|n| n.get("title")));
    let body = notification.get("body").or_else(|| message.get("notification").and_then(|n| n.get("body")));
    if title.is_none() || body.is_none() {
        return bad("a notification message needs a title and a body");
    }
    if !is(notification.get("tag"), Value::is_string) {
        return bad("android.notification.tag must be a string");
    }
    let Some(click) = notification.get("click_action") else {
        return bad("android.notification.click_action is mandatory");
    };
    let text = |k: &str| click.get(k).and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    match click.get("type").and_then(Value::as_u64) {
        Some(1) if !text("intent") && !text("action") => {
            return bad("click_action type 1 needs an intent or an action")
        }
        Some(2) if !text("url") => return bad("click_action type 2 needs a url"),
        Some(1..=4) => {}
        _ => return bad("click_action type ranges from 1 to 4"),
    }
    if let Some(badge) = notification.get("badge") {
        let num = |k: &str, min: u64| badge.get(k).is_none_or(|n| n.as_u64().is_some_and(|n| (min..=99).contains(&n)));
        if !badge.is_object() || !num("add_num", 1) {
            return bad("badge add_num ranges from 1 to 99");
        }
        if !num("set_num", 0) {
            return bad("badge set_num ranges from 0 to 99");
        }
    }
    Ok(())
}

/// Request parameters (80100001): the target kind, `validate_only` and the Android
/// delivery options.
fn check_parameters(body: &Map<String, Value>, message: &Map<String, Value>) -> Result<(), Reason> {
    let invalid = |m: &str| Err(Reason::InvalidParameter(m.to_owned()));
    if body.get("validate_only").is_some_and(|v| !v.is_boolean()) {
        return invalid("validate_only must be a boolean");
    }
    if message.contains_key("topic") || message.contains_key("condition") {
        return invalid("only token messages are simulated");
    }
    let Some(android) = message.get("android") else { return Ok(()) };
    if android.get("ttl").is_some_and(|t| contract::ttl_seconds(t).is_none()) {
        return invalid("android.ttl is invalid");
    }
    if android.get("urgency").is_some_and(|u| !matches!(u.as_str(), Some("HIGH" | "NORMAL"))) {
        return invalid("android.urgency must be HIGH or NORMAL");
    }
    if android.get("collapse_key").is_some_and(|c| c.as_i64().is_none_or(|c| !(-1..=100).contains(&c))) {
        return invalid("android.collapse_key ranges from -1 to 100");
    }
    Ok(())
}

fn make_token(rng: &mut ChaCha8Rng) -> String {
    format!("{TOKEN_PREFIX}{}", random_string(rng, BASE64URL, TOKEN_CHARS))
}

impl VendorApi for Hms {
    fn is_send(&self, req: &HttpRequest) -> bool {
        req.path.ends_with("/messages:send")
    }

    fn answer(&mut self, req: &HttpRequest, now: Millis) -> HttpResponse {
        if req.method != "POST" {
            return HttpResponse::new(405);
        }
        if req.path == OAUTH_PATH {
            return self.oauth(req, now);
        }
        match req.path.strip_prefix("/v1/").and_then(|p| p.strip_suffix("/messages:send")) {
            Some(app_id) if !app_id.is_empty() && !app_id.contains('/') => self.send(req, app_id, now),
            // The gateway answers before Push Kit sees the request: no result code.
            _ => HttpResponse::new(404),
        }
    }

    fn token_env(&self, project: Option<&str>) -> Result<Environment, String> {
        let app_id = project.ok_or("HMS tokens need an app ID")?;
        self.env_of(app_id).ok_or_else(|| format!("unknown app ID {app_id:?}"))
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
