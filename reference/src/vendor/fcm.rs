//! Fake FCM HTTP v1 (`POST /v1/projects/<project>/messages:send`). Tokens are issued per
//! sender project; the world configures one project per environment (debug and release
//! credential sets, as ZEGO's console keeps two per vendor), so a token pushed through the
//! other project's credentials gets `403 SENDER_ID_MISMATCH` as on the real service.
//!
//! Errors use Google's envelope: `{"error": {"code", "message", "status", "details":
//! [{"@type": ".../google.firebase.fcm.v1.FcmError", "errorCode"}]}}`.

use super::{random_string, DeviceNotification, DeviceToVendor, Directory, StorePolicy, VendorApi, VendorEvent};
use crate::http::{HttpRequest, HttpResponse};
use crate::ids::ConnId;
use crate::pushid::Environment;
use crate::time::Millis;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Payload limit for messages sent to a token (keys and values counted).
pub const MAX_PAYLOAD: usize = 4096;
/// FCM keeps at most this many non-collapsible messages for an offline device.
pub const MAX_STORED: usize = 100;
/// Longest allowed `android.ttl` in seconds (28 days).
pub const MAX_TTL_S: u64 = 2_419_200;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A rejected request: HTTP status, canonical status, FcmError code (if any) and message.
type Reject = (u16, &'static str, Option<&'static str>, String);

/// The fake FCM service.
#[derive(Debug)]
pub struct Fcm {
    /// Sender projects and the environment each one's credentials belong to.
    projects: BTreeMap<String, Environment>,
    rng: ChaCha8Rng,
    dir: Directory,
    next_id: u64,
}

impl Fcm {
    pub fn new(projects: BTreeMap<String, Environment>, seed: u64) -> Fcm {
        Fcm {
            projects,
            rng: ChaCha8Rng::seed_from_u64(seed),
            dir: Directory::new(None, StorePolicy::Queue(MAX_STORED)),
            next_id: 1,
        }
    }

    fn token_frame(&mut self, channel: ConnId, frame: DeviceToVendor) {
        let projects = &self.projects;
        self.dir.on_channel_frame(channel, frame, &mut self.rng, make_token, |project| {
            let p = project.ok_or("FCM tokens need a sender project")?;
            projects.get(p).copied().ok_or_else(|| format!("unknown sender project {p:?}"))
        });
    }

    /// Answers one `messages:send` request, delivering the notification if it is accepted.
    fn respond(&mut self, req: &HttpRequest, _now: Millis) -> HttpResponse {
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
            Err((status, canonical, code, _)) => (*status, Some(code.unwrap_or(canonical).to_owned())),
        };
        self.dir.event(VendorEvent::Request { env, token, status, reason });
        match result {
            Ok(name) => HttpResponse::json(200, &json!({ "name": name })),
            Err((status, canonical, code, message)) => {
                let details: Vec<Value> = code
                    .map(|c| json!({"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": c}))
                    .into_iter()
                    .collect();
                let body =
                    json!({"error": {"code": status, "message": message, "status": canonical, "details": details}});
                HttpResponse::json(status, &body)
            }
        }
    }

    fn check(&mut self, req: &HttpRequest, project: Option<&str>, body: Option<&Value>) -> Result<String, Reject> {
        let invalid = |m: &str| -> Reject { (400, "INVALID_ARGUMENT", Some("INVALID_ARGUMENT"), m.to_owned()) };
        if req.method != "POST" {
            return Err((405, "INVALID_ARGUMENT", None, format!("method {} not allowed", req.method)));
        }
        let Some(project) = project else {
            return Err((404, "NOT_FOUND", None, format!("no such resource: {}", req.path)));
        };
        let bearer = req.get("authorization").and_then(|a| {
            let (scheme, token) = a.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token)
        });
        if bearer.is_none_or(str::is_empty) {
            let m = "Request is missing required authentication credential.".to_owned();
            return Err((401, "UNAUTHENTICATED", None, m));
        }
        if !self.projects.contains_key(project) {
            let m = format!("Permission denied on resource project {project}.");
            return Err((403, "PERMISSION_DENIED", None, m));
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
            let secs = ttl.as_str().and_then(|t| t.strip_suffix('s')).and_then(|t| t.parse::<f64>().ok());
            if !secs.is_some_and(|s| (0.0..=MAX_TTL_S as f64).contains(&s)) {
                return Err(invalid("Invalid value at 'message.android.ttl'"));
            }
        }
        if req.body.len() > MAX_PAYLOAD {
            return Err(invalid("Message is too big"));
        }
        let Some(token) = message.get("token").and_then(Value::as_str) else {
            // Topic and condition sends are not simulated.
            return Err((400, "INVALID_ARGUMENT", None, "only token sends are simulated".into()));
        };
        let Some(issued) = self.dir.token(token) else {
            return Err(if looks_like_token(token) {
                (404, "NOT_FOUND", Some("UNREGISTERED"), "Requested entity was not found.".into())
            } else {
                invalid("The registration token is not a valid FCM registration token")
            });
        };
        if issued.project.as_deref() != Some(project) {
            let m = "SenderId mismatch".to_owned();
            return Err((403, "PERMISSION_DENIED", Some("SENDER_ID_MISMATCH"), m));
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
    fn answer(&mut self, req: &HttpRequest, now: Millis) -> HttpResponse {
        self.respond(req, now)
    }

    fn channel_frame(&mut self, channel: ConnId, frame: DeviceToVendor) {
        self.token_frame(channel, frame);
    }

    fn directory(&mut self) -> &mut Directory {
        &mut self.dir
    }
}

#[cfg(test)]
mod tests;
