//! Fake FCM HTTP v1 (`POST /v1/projects/<project>/messages:send`). Tokens are issued per
//! sender project; the world configures one project per environment (debug and release
//! credential sets, as ZEGO's console keeps two per vendor), so a token pushed through the
//! other project's credentials gets `403 SENDER_ID_MISMATCH` as on the real service.
//!
//! Errors use Google's envelope: `{"error": {"code", "message", "status", "details":
//! [{"@type": ".../google.firebase.fcm.v1.FcmError", "errorCode"}]}}`.
//!
//! The same core plays Google's OAuth 2.0 token endpoint (`POST /token`, the `token_uri`
//! of a service account) for the accounts given to [`Fcm::new`]:
//! it exchanges an RS256 assertion of a registered account for an hour's access token, and
//! sends then need such a token, of an account of the project they send for. Its refusals
//! are [`TokenError`]s.
//!
//! - `contract`: the requests the relay builds and how it reads the answers.
//! - `account`: the service account's key and the public half the fake registers.
//! - `decode`: what the Android SDK reads out of a delivered message.

pub mod account;
pub mod contract;
pub mod decode;

use super::{
    random_string, Access, AccessTokens, DeviceNotification, Directory, Keep, StorePolicy, VendorApi, VendorEvent,
};
use crate::http::{HttpRequest, HttpResponse};
use crate::pushid::Environment;
use crate::time::{Millis, SIM_EPOCH_UNIX_MS};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub use account::{ServiceAccount, ServiceAccountKey};
pub use contract::{ACCESS_TOKEN_LIFETIME_S, MAX_ASSERTION_LIFETIME_S, TOKEN_PATH, TOKEN_URI};
pub use contract::{MAX_PAYLOAD, MAX_STORED, MAX_TTL_S};

/// Prefix of the access tokens the token endpoint issues (Google's start with `ya29.`).
const ACCESS_PREFIX: &str = "ya29.";
/// How far in the future an assertion's `iat` may lie (*policy*: Google documents none).
pub const ASSERTION_MAX_SKEW_S: u64 = 60;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Every refusal the fake answers with: the HTTP status, Google's canonical status and
/// the `FcmError` code (firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A bad request; the message names the field.
    InvalidArgument(String),
    /// The token is not an FCM registration token at all (Google answers it as an
    /// `INVALID_ARGUMENT` like any other bad field, and says so in the message).
    InvalidToken,
    /// The token is well formed but not (or no longer) registered.
    Unregistered,
    /// The token belongs to another sender project.
    SenderIdMismatch,
    /// No OAuth bearer.
    Unauthenticated,
    /// A bearer the token endpoint did not issue, or one past its lifetime.
    InvalidCredentials,
    /// The credentials are not allowed on this project.
    PermissionDenied(String),
    NotFound(String),
    MethodNotAllowed(String),
    /// Only token sends are simulated.
    UnsupportedTarget,
}

impl Reason {
    pub fn status(&self) -> u16 {
        match self {
            Reason::InvalidArgument(_) | Reason::InvalidToken | Reason::UnsupportedTarget => 400,
            Reason::Unauthenticated | Reason::InvalidCredentials => 401,
            Reason::SenderIdMismatch | Reason::PermissionDenied(_) => 403,
            Reason::NotFound(_) | Reason::Unregistered => 404,
            Reason::MethodNotAllowed(_) => 405,
        }
    }

    /// Google's canonical status name.
    pub fn canonical(&self) -> &'static str {
        match self {
            Reason::InvalidArgument(_)
            | Reason::InvalidToken
            | Reason::UnsupportedTarget
            | Reason::MethodNotAllowed(_) => "INVALID_ARGUMENT",
            Reason::Unauthenticated | Reason::InvalidCredentials => "UNAUTHENTICATED",
            Reason::SenderIdMismatch | Reason::PermissionDenied(_) => "PERMISSION_DENIED",
            Reason::NotFound(_) | Reason::Unregistered => "NOT_FOUND",
        }
    }

    /// The `FcmError.errorCode` detail, when FCM sends one.
    pub fn error_code(&self) -> Option<&'static str> {
        match self {
            Reason::InvalidArgument(_) | Reason::InvalidToken => Some("INVALID_ARGUMENT"),
            Reason::Unregistered => Some("UNREGISTERED"),
            Reason::SenderIdMismatch => Some("SENDER_ID_MISMATCH"),
            _ => None,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Reason::InvalidArgument(m) | Reason::PermissionDenied(m) | Reason::MethodNotAllowed(m) => m.clone(),
            Reason::InvalidToken => "The registration token is not a valid FCM registration token".into(),
            Reason::NotFound(path) => format!("no such resource: {path}"),
            Reason::Unregistered => "Requested entity was not found.".into(),
            Reason::SenderIdMismatch => "SenderId mismatch".into(),
            Reason::Unauthenticated => "Request is missing required authentication credential. Expected OAuth 2 \
                access token, login cookie or other valid authentication credential. See \
                https://developers.google.com/identity/sign-in/web/devconsole-project."
                .into(),
            Reason::InvalidCredentials => "Request had invalid authentication credentials. Expected OAuth 2 access \
                token, login cookie or other valid authentication credential. See \
                https://developers.google.com/identity/sign-in/web/devconsole-project."
                .into(),
            Reason::UnsupportedTarget => "only token sends are simulated".into(),
        }
    }

    /// Whether this refuses the send because of its token (FCM's dead-token answers):
    /// `UNREGISTERED`, `SENDER_ID_MISMATCH` or not a registration token. Every other reason
    /// is about the request or the credentials.
    pub fn refuses_token(&self) -> bool {
        matches!(self, Reason::Unregistered | Reason::SenderIdMismatch | Reason::InvalidToken)
    }

    /// Google's error envelope for this refusal.
    pub fn response(&self) -> HttpResponse {
        let details: Vec<Value> = self
            .error_code()
            .map(|c| json!({"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": c}))
            .into_iter()
            .collect();
        let body = json!({"error": {
            "code": self.status(), "message": self.message(), "status": self.canonical(), "details": details,
        }});
        HttpResponse::json(self.status(), &body)
    }
}

/// Refusals of the token endpoint: HTTP 400 and the RFC 6749 §5.2 body
/// `{"error", "error_description"}`, with the descriptions Google's endpoint gives where
/// clients have reported them (docs/vendors.md lists the sources).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// A form parameter is missing (*policy*: the description names it).
    InvalidRequest(&'static str),
    /// A `grant_type` other than the JWT-bearer one.
    UnsupportedGrantType(String),
    /// The assertion is not a compact JWT, is not `RS256`, or lacks a claim (*policy*
    /// wording: Google's is not on record).
    MalformedAssertion,
    /// `iss` names no registered account.
    AccountNotFound,
    /// The signature is not the account's (another key, a `kid` the account does not
    /// have, a tampered token).
    BadSignature,
    /// `aud` is not [`TOKEN_URI`] (*policy* wording).
    BadAudience,
    /// `exp` passed, `exp - iat` over an hour or not positive, or `iat` too far ahead.
    BadTime,
    /// `scope` covers neither FCM nor cloud-platform.
    InvalidScope,
}

impl TokenError {
    pub fn error(&self) -> &'static str {
        match self {
            TokenError::InvalidRequest(_) => "invalid_request",
            TokenError::UnsupportedGrantType(_) => "unsupported_grant_type",
            TokenError::InvalidScope => "invalid_scope",
            _ => "invalid_grant",
        }
    }

    pub fn description(&self) -> String {
        match self {
            TokenError::InvalidRequest(p) => format!("Missing required parameter: {p}"),
            TokenError::UnsupportedGrantType(g) => format!("Invalid grant_type: {g}"),
            TokenError::MalformedAssertion => "Invalid JWT: the assertion is not a well-formed RS256 JWT.".into(),
            TokenError::AccountNotFound => "Invalid grant: account not found".into(),
            TokenError::BadSignature => "Invalid JWT Signature.".into(),
            TokenError::BadAudience => "Invalid JWT: Failed audience check.".into(),
            TokenError::BadTime => "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable \
                timeframe. Check your iat and exp values and use a clock with skew to account for clock differences \
                between systems."
                .into(),
            TokenError::InvalidScope => "Invalid OAuth scope or ID token audience provided.".into(),
        }
    }

    pub fn response(&self) -> HttpResponse {
        HttpResponse::json(400, &json!({"error": self.error(), "error_description": self.description()}))
    }
}

/// The fake FCM service.
#[derive(Debug)]
pub struct Fcm {
    /// Sender projects and the environment each one's credentials belong to.
    projects: BTreeMap<String, Environment>,
    dir: Directory,
    next_id: u64,
    /// Registered service accounts by client email. `None` only in unit tests of other
    /// checks ([`Fcm::unchecked`]): any non-empty bearer passes.
    accounts: Option<BTreeMap<String, ServiceAccountKey>>,
    /// Access tokens the token endpoint issued, each for a client email.
    access: AccessTokens,
}

impl Fcm {
    /// An FCM serving `projects` (sender project -> the environment of its credentials),
    /// whose token endpoint serves `accounts` and whose sends need its access tokens.
    pub fn new(
        projects: BTreeMap<String, Environment>,
        seed: u64,
        accounts: impl IntoIterator<Item = ServiceAccountKey>,
    ) -> Fcm {
        Fcm {
            projects,
            dir: Directory::new(seed, StorePolicy::DiscardAll(MAX_STORED)),
            next_id: 1,
            accounts: Some(accounts.into_iter().map(|a| (a.client_email.clone(), a)).collect()),
            access: AccessTokens::default(),
        }
    }

    /// An FCM that takes any non-empty bearer: for the unit tests of its other checks.
    #[cfg(test)]
    pub(crate) fn unchecked(projects: BTreeMap<String, Environment>, seed: u64) -> Fcm {
        Fcm { accounts: None, ..Fcm::new(projects, seed, []) }
    }

    /// Answers one token request.
    fn token(&mut self, req: &HttpRequest, now: Millis) -> HttpResponse {
        let form: BTreeMap<String, String> = form_urlencoded::parse(&req.body).into_owned().collect();
        let result = self.grant(&form, now);
        let env = match &result {
            Ok((_, project)) => self.projects.get(project).copied(),
            Err(_) => None,
        };
        let (status, reason) = match &result {
            Ok(_) => (200, None),
            Err(e) => (400, Some(e.error().to_owned())),
        };
        self.dir.event(VendorEvent::Request { env, token: None, status, reason, token_refused: false });
        match result {
            Ok((token, _)) => HttpResponse::json(
                200,
                &json!({"access_token": token, "expires_in": ACCESS_TOKEN_LIFETIME_S, "token_type": "Bearer"}),
            ),
            Err(e) => e.response(),
        }
    }

    /// The JWT-bearer grant: the access token and the project of the account, or the
    /// refusal. Checked in this order: grant type, assertion present, JWT form and `alg`,
    /// account (`iss`), signature (by the account's key; a `kid` other than its key ID
    /// fails here too), `aud`, times, scope.
    fn grant(&mut self, form: &BTreeMap<String, String>, now: Millis) -> Result<(String, String), TokenError> {
        use crate::push_services::jwt::{parse, secs_field, str_field};
        let grant_type = form.get("grant_type").map(String::as_str).unwrap_or_default();
        if grant_type != contract::GRANT_TYPE {
            return Err(TokenError::UnsupportedGrantType(grant_type.to_owned()));
        }
        let assertion =
            form.get("assertion").filter(|a| !a.is_empty()).ok_or(TokenError::InvalidRequest("assertion"))?;
        let jwt = parse(assertion).ok_or(TokenError::MalformedAssertion)?;
        if str_field(&jwt.header, "alg") != Some("RS256") {
            return Err(TokenError::MalformedAssertion);
        }
        let claim = |k| str_field(&jwt.claims, k).ok_or(TokenError::MalformedAssertion);
        let (iss, aud) = (claim("iss")?, claim("aud")?);
        let times = (secs_field(&jwt.claims, "iat"), secs_field(&jwt.claims, "exp"));
        let (Some(iat), Some(exp)) = times else { return Err(TokenError::MalformedAssertion) };
        let accounts = self.accounts.as_ref().ok_or(TokenError::AccountNotFound)?;
        let account = accounts.get(iss).ok_or(TokenError::AccountNotFound)?;
        let kid_ok = str_field(&jwt.header, "kid").is_none_or(|k| k == account.private_key_id);
        if !kid_ok || !account.verifies(jwt.signing_input.as_bytes(), &jwt.signature) {
            return Err(TokenError::BadSignature);
        }
        if aud != TOKEN_URI {
            return Err(TokenError::BadAudience);
        }
        let now_unix_ms = SIM_EPOCH_UNIX_MS + now.0;
        let lifetime_ok = exp > iat && exp - iat <= MAX_ASSERTION_LIFETIME_S;
        let not_ahead = iat.saturating_mul(1000) <= now_unix_ms + ASSERTION_MAX_SKEW_S * 1000;
        if !lifetime_ok || !not_ahead || exp.saturating_mul(1000) <= now_unix_ms {
            return Err(TokenError::BadTime);
        }
        let scopes = str_field(&jwt.claims, "scope").unwrap_or_default();
        if !scopes.split(' ').any(|s| s == contract::SCOPE || s == contract::CLOUD_PLATFORM_SCOPE) {
            return Err(TokenError::InvalidScope);
        }
        let (email, project) = (account.client_email.clone(), account.project_id.clone());
        Ok((self.access.issue(ACCESS_PREFIX, &email, now, ACCESS_TOKEN_LIFETIME_S * 1000), project))
    }

    /// Answers one `messages:send` request, delivering the notification if it is accepted.
    fn respond(&mut self, req: &HttpRequest, now: Millis) -> HttpResponse {
        let project = req
            .path
            .strip_prefix("/v1/projects/")
            .and_then(|rest| rest.strip_suffix("/messages:send"))
            .map(str::to_owned);
        let env = project.as_deref().and_then(|p| self.projects.get(p).copied());
        let body: Option<Value> = serde_json::from_slice(&req.body).ok();
        let token = body.as_ref().and_then(|b| b.pointer("/message/token")).and_then(Value::as_str).map(str::to_owned);
        let result = self.check(req, project.as_deref(), body.as_ref(), now);
        let (status, reason) = match &result {
            Ok(_) => (200, None),
            Err(r) => (r.status(), Some(r.error_code().unwrap_or(r.canonical()).to_owned())),
        };
        let token_refused = result.as_ref().is_err_and(Reason::refuses_token);
        self.dir.event(VendorEvent::Request { env, token, status, reason, token_refused });
        match result {
            Ok(name) => HttpResponse::json(200, &json!({ "name": name })),
            Err(reason) => reason.response(),
        }
    }

    fn check(
        &mut self,
        req: &HttpRequest,
        project: Option<&str>,
        body: Option<&Value>,
        now: Millis,
    ) -> Result<String, Reason> {
        let invalid = |m: &str| Reason::InvalidArgument(m.to_owned());
        if req.method != "POST" {
            return Err(Reason::MethodNotAllowed(format!("method {} not allowed", req.method)));
        }
        let Some(project) = project else {
            return Err(Reason::NotFound(req.path.clone()));
        };
        let bearer = req.get("authorization").and_then(|a| {
            let (scheme, token) = a.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token)
        });
        let Some(bearer) = bearer.filter(|b| !b.is_empty()) else {
            return Err(Reason::Unauthenticated);
        };
        self.check_access(bearer, project, now)?;
        if !self.projects.contains_key(project) {
            return Err(Reason::PermissionDenied(format!("Permission denied on resource project {project}.")));
        }
        let Some(message) = body.and_then(|b| b.get("message")).and_then(Value::as_object) else {
            return Err(invalid("Request body must be JSON with a `message` object."));
        };
        let targets = ["token", "topic", "condition"].iter().filter(|k| message.contains_key(**k)).count();
        if targets != 1 {
            return Err(invalid("Exactly one of token, topic or condition must be set."));
        }
        if let Some(data) = message.get("data") {
            let Some(data) = data.as_object() else {
                return Err(invalid("Invalid value at 'message.data': expected a map."));
            };
            if let Some((i, _)) = data.iter().enumerate().find(|(_, (_, v))| !v.is_string()) {
                return Err(invalid(&format!("Invalid value at 'message.data[{i}].value' (TYPE_STRING)")));
            }
            if let Some(k) = data.keys().find(|k| *k == "from" || *k == "gcm" || k.starts_with("google")) {
                return Err(invalid(&format!("Invalid data payload key: {k}")));
            }
        }
        if let Some(ttl) = message.get("android").and_then(|a| a.get("ttl")) {
            if contract::ttl_seconds(ttl).is_none() {
                return Err(invalid("Invalid value at 'message.android.ttl'"));
            }
        }
        if message.get("android").and_then(|a| a.pointer("/notification/tag")).is_some_and(|t| !t.is_string()) {
            return Err(invalid("Invalid value at 'message.android.notification.tag' (TYPE_STRING)"));
        }
        if contract::payload_len(message) > MAX_PAYLOAD {
            return Err(invalid("Message is too big"));
        }
        let Some(token) = message.get("token").and_then(Value::as_str) else {
            return Err(Reason::UnsupportedTarget);
        };
        let Some(issued) = self.dir.token(token) else {
            return Err(if looks_like_token(token) { Reason::Unregistered } else { Reason::InvalidToken });
        };
        if issued.project.as_deref() != Some(project) {
            return Err(Reason::SenderIdMismatch);
        }
        if issued.revoked_at.is_some() {
            return Err(Reason::Unregistered);
        }
        let validate_only = body.and_then(|b| b.get("validate_only")).and_then(Value::as_bool).unwrap_or(false);
        let name = format!("projects/{project}/messages/0:{:016x}", self.next_id);
        self.next_id += 1;
        if !validate_only {
            let device = issued.device.clone();
            // `android.notification.tag` replaces a shown notification with the same tag.
            let tag = message
                .get("android")
                .and_then(|a| a.pointer("/notification/tag"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let n = DeviceNotification {
                id: name.clone(),
                app: issued.app.clone(),
                payload: Value::Object(message.clone()),
                delivery: 0,
                replace_key: tag,
            };
            // `android.ttl` bounds how long it is held (0: now or never; without it, the
            // longest FCM allows); `android.collapse_key` replaces a held one with the same key.
            let android = message.get("android");
            let ttl_s = android.and_then(|a| a.get("ttl")).and_then(contract::ttl_seconds).unwrap_or(MAX_TTL_S as f64);
            let collapse_key = android.and_then(|a| a.get("collapse_key")).and_then(Value::as_str).map(str::to_owned);
            let keep = Keep { until: Some(now.plus((ttl_s * 1000.0) as u64)), collapse_key };
            self.dir.deliver(&device, n, now, keep);
        }
        Ok(name)
    }
}

impl Fcm {
    /// With registered accounts: `bearer` must be an access token the token endpoint issued,
    /// within its lifetime (else 401 `UNAUTHENTICATED`), of an account of `project` (else
    /// 403 `PERMISSION_DENIED`, Google's answer to credentials without send permission on
    /// the project). In unit tests without accounts any bearer passes (see `accounts`).
    fn check_access(&self, bearer: &str, project: &str, now: Millis) -> Result<(), Reason> {
        let Some(accounts) = &self.accounts else { return Ok(()) };
        let Access::Valid(email) = self.access.check(bearer, now) else {
            return Err(Reason::InvalidCredentials);
        };
        if accounts.get(&email).is_some_and(|a| a.project_id == project) {
            return Ok(());
        }
        Err(Reason::PermissionDenied(format!(
            "Permission 'cloudmessaging.messages.create' denied on resource \
             '//cloudresourcemanager.googleapis.com/projects/{project}' (or it may not exist)."
        )))
    }
}

/// FCM tokens look like `<instance id>:APA91b<base64url>`.
fn make_token(rng: &mut ChaCha8Rng) -> String {
    format!("{}:APA91b{}", random_string(rng, BASE62, 11), random_string(rng, BASE64URL, 134))
}

fn looks_like_token(t: &str) -> bool {
    t.split_once(":APA91b").is_some_and(|(id, rest)| id.len() == 11 && rest.len() == 134)
}

impl VendorApi for Fcm {
    fn is_send(&self, req: &HttpRequest) -> bool {
        req.path.ends_with("/messages:send")
    }

    fn failure(&self, status: u16) -> HttpResponse {
        let (canonical, code) = match status {
            429 => ("RESOURCE_EXHAUSTED", Some("QUOTA_EXCEEDED")),
            500 => ("INTERNAL", Some("INTERNAL")),
            _ => ("UNAVAILABLE", Some("UNAVAILABLE")),
        };
        let details: Vec<Value> = code
            .map(|c| json!({"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": c}))
            .into_iter()
            .collect();
        let body = json!({"error": {"code": status, "message": "The service is unavailable.", "status": canonical, "details": details}});
        HttpResponse::json(status, &body)
    }

    fn answer(&mut self, req: &HttpRequest, now: Millis) -> HttpResponse {
        if req.path == TOKEN_PATH && req.method == "POST" {
            return self.token(req, now);
        }
        self.respond(req, now)
    }

    fn token_env(&self, project: Option<&str>) -> Result<Environment, String> {
        let p = project.ok_or("FCM tokens need a sender project")?;
        self.projects.get(p).copied().ok_or_else(|| format!("unknown sender project {p:?}"))
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
