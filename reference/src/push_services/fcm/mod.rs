//! Fake FCM HTTP v1 (`POST /v1/projects/<project>/messages:send`). Tokens are issued per
//! sender project; the world configures one project per environment (debug and release
//! credential sets, as ZEGO's console keeps two per vendor), so a token pushed through the
//! other project's credentials gets `403 SENDER_ID_MISMATCH` as on the real service.
//!
//! Errors use Google's envelope: `{"error": {"code", "message", "status", "details":
//! [{"@type": ".../google.firebase.fcm.v1.FcmError", "errorCode"}]}}`.
//!
//! - `contract`: the request the relay builds and how it reads the answer.
//! - `decode`: what the Android SDK reads out of a delivered message.

pub mod contract;
pub mod decode;

use super::{random_string, DeviceNotification, Directory, StorePolicy, VendorApi, VendorEvent};
use crate::http::{HttpRequest, HttpResponse};
use crate::pushid::Environment;
use crate::time::Millis;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub use contract::{MAX_PAYLOAD, MAX_STORED, MAX_TTL_S};

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Every refusal the fake answers with: the HTTP status, Google's canonical status and
/// the `FcmError` code (firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A bad request; the message names the field.
    InvalidArgument(String),
    /// The token is well formed but not (or no longer) registered.
    Unregistered,
    /// The token belongs to another sender project.
    SenderIdMismatch,
    /// No, or no valid, OAuth bearer.
    Unauthenticated,
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
            Reason::InvalidArgument(_) | Reason::UnsupportedTarget => 400,
            Reason::Unauthenticated => 401,
            Reason::SenderIdMismatch | Reason::PermissionDenied(_) => 403,
            Reason::NotFound(_) | Reason::Unregistered => 404,
            Reason::MethodNotAllowed(_) => 405,
        }
    }

    /// Google's canonical status name.
    pub fn canonical(&self) -> &'static str {
        match self {
            Reason::InvalidArgument(_) | Reason::UnsupportedTarget | Reason::MethodNotAllowed(_) => "INVALID_ARGUMENT",
            Reason::Unauthenticated => "UNAUTHENTICATED",
            Reason::SenderIdMismatch | Reason::PermissionDenied(_) => "PERMISSION_DENIED",
            Reason::NotFound(_) | Reason::Unregistered => "NOT_FOUND",
        }
    }

    /// The `FcmError.errorCode` detail, when FCM sends one.
    pub fn error_code(&self) -> Option<&'static str> {
        match self {
            Reason::InvalidArgument(_) => Some("INVALID_ARGUMENT"),
            Reason::Unregistered => Some("UNREGISTERED"),
            Reason::SenderIdMismatch => Some("SENDER_ID_MISMATCH"),
            _ => None,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Reason::InvalidArgument(m) | Reason::PermissionDenied(m) | Reason::MethodNotAllowed(m) => m.clone(),
            Reason::NotFound(path) => format!("no such resource: {path}"),
            Reason::Unregistered => "Requested entity was not found.".into(),
            Reason::SenderIdMismatch => "SenderId mismatch".into(),
            Reason::Unauthenticated => "Request is missing required authentication credential.".into(),
            Reason::UnsupportedTarget => "only token sends are simulated".into(),
        }
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

/// The fake FCM service.
#[derive(Debug)]
pub struct Fcm {
    /// Sender projects and the environment each one's credentials belong to.
    projects: BTreeMap<String, Environment>,
    dir: Directory,
    next_id: u64,
}

impl Fcm {
    pub fn new(projects: BTreeMap<String, Environment>, seed: u64) -> Fcm {
        Fcm { projects, dir: Directory::new(seed, StorePolicy::Queue(MAX_STORED)), next_id: 1 }
    }

    /// Answers one `messages:send` request, delivering the notification if it is accepted.
    fn respond(&mut self, req: &HttpRequest) -> HttpResponse {
        let project = req
            .path
            .strip_prefix("/v1/projects/")
            .and_then(|rest| rest.strip_suffix("/messages:send"))
            .map(str::to_owned);
        let env = project.as_deref().and_then(|p| self.projects.get(p).copied());
        let body: Option<Value> = serde_json::from_slice(&req.body).ok();
        let token = body.as_ref().and_then(|b| b.pointer("/message/token")).and_then(Value::as_str).map(str::to_owned);
        let result = self.check(req, project.as_deref(), body.as_ref());
        let (status, reason) = match &result {
            Ok(_) => (200, None),
            Err(r) => (r.status(), Some(r.error_code().unwrap_or(r.canonical()).to_owned())),
        };
        self.dir.event(VendorEvent::Request { env, token, status, reason });
        match result {
            Ok(name) => HttpResponse::json(200, &json!({ "name": name })),
            Err(reason) => reason.response(),
        }
    }

    fn check(&mut self, req: &HttpRequest, project: Option<&str>, body: Option<&Value>) -> Result<String, Reason> {
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
        if bearer.is_none_or(str::is_empty) {
            return Err(Reason::Unauthenticated);
        }
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
        if contract::payload_len(message) > MAX_PAYLOAD {
            return Err(invalid("Message is too big"));
        }
        let Some(token) = message.get("token").and_then(Value::as_str) else {
            return Err(Reason::UnsupportedTarget);
        };
        let Some(issued) = self.dir.token(token) else {
            return Err(if looks_like_token(token) {
                Reason::Unregistered
            } else {
                invalid("The registration token is not a valid FCM registration token")
            });
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
            let n = DeviceNotification {
                id: name.clone(),
                app: issued.app.clone(),
                payload: Value::Object(message.clone()),
                delivery: 0,
            };
            self.dir.deliver(&device, n);
        }
        Ok(name)
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

    fn answer(&mut self, req: &HttpRequest, _now: Millis) -> HttpResponse {
        self.respond(req)
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
}

#[cfg(test)]
mod tests;
