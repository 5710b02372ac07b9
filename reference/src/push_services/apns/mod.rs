//! Fake APNs (provider API `POST /3/device/<token>` over HTTP/2). One instance is one
//! environment: the sandbox and production hosts each run their own, with their own tokens,
//! so a token sent to the other environment gets `400 BadDeviceToken` as on the real service.
//!
//! Checked, in Apple's order of the reason table: method, path, device token, provider
//! authorization, repeated headers, `apns-push-type`, `apns-topic`, `apns-priority`,
//! `apns-expiration`, `apns-id`, `apns-collapse-id`, payload presence, size and shape, then
//! the token: the environment, the topic, and whether it was revoked (`410 Unregistered`
//! with the revocation time in ms, which clients such as PyAPNs2 read on every 410).
//! (ES256 provider-token verification comes with the credentials work; a bearer must be
//! present.)
//!
//! - `contract`: the request the relay builds and how it reads the answer.
//! - `decode`: what the iOS SDK reads out of a delivered payload.

pub mod contract;
pub mod decode;

use super::{random_string, DeviceNotification, Directory, StorePolicy, VendorApi, VendorEvent};
use crate::http::{HttpRequest, HttpResponse};
use crate::pushid::Environment;
use crate::time::{Millis, SIM_EPOCH_UNIX_MS};
use rand_chacha::ChaCha8Rng;

pub use contract::{MAX_PAYLOAD, MAX_VOIP_PAYLOAD, PUSH_TYPES};

/// Every `reason` the fake answers with: Apple's names and statuses
/// (developer.apple.com, "Handling notification responses from APNs").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    BadCollapseId,
    BadDeviceToken,
    BadExpirationDate,
    BadMessageId,
    BadPriority,
    /// Not one of Apple's: the body is not a JSON object with `aps` (docs/vendors.md).
    BadPayload,
    DeviceTokenNotForTopic,
    DuplicateHeaders,
    InvalidPushType,
    MissingDeviceToken,
    MissingTopic,
    PayloadEmpty,
    MissingProviderToken,
    InvalidProviderToken,
    ExpiredProviderToken,
    BadPath,
    MethodNotAllowed,
    Unregistered,
    ExpiredToken,
    PayloadTooLarge,
    TooManyProviderTokenUpdates,
    TooManyRequests,
    InternalServerError,
    ServiceUnavailable,
    Shutdown,
}

impl Reason {
    pub const ALL: [Reason; 25] = [
        Reason::BadCollapseId,
        Reason::BadDeviceToken,
        Reason::BadExpirationDate,
        Reason::BadMessageId,
        Reason::BadPriority,
        Reason::BadPayload,
        Reason::DeviceTokenNotForTopic,
        Reason::DuplicateHeaders,
        Reason::InvalidPushType,
        Reason::MissingDeviceToken,
        Reason::MissingTopic,
        Reason::PayloadEmpty,
        Reason::MissingProviderToken,
        Reason::InvalidProviderToken,
        Reason::ExpiredProviderToken,
        Reason::BadPath,
        Reason::MethodNotAllowed,
        Reason::Unregistered,
        Reason::ExpiredToken,
        Reason::PayloadTooLarge,
        Reason::TooManyProviderTokenUpdates,
        Reason::TooManyRequests,
        Reason::InternalServerError,
        Reason::ServiceUnavailable,
        Reason::Shutdown,
    ];

    pub fn status(self) -> u16 {
        use Reason::*;
        match self {
            MissingProviderToken | InvalidProviderToken | ExpiredProviderToken => 403,
            BadPath => 404,
            MethodNotAllowed => 405,
            Unregistered | ExpiredToken => 410,
            PayloadTooLarge => 413,
            TooManyProviderTokenUpdates | TooManyRequests => 429,
            InternalServerError => 500,
            ServiceUnavailable | Shutdown => 503,
            _ => 400,
        }
    }

    /// The `reason` string of the answer body.
    pub fn as_str(self) -> &'static str {
        use Reason::*;
        match self {
            BadCollapseId => "BadCollapseId",
            BadDeviceToken => "BadDeviceToken",
            BadExpirationDate => "BadExpirationDate",
            BadMessageId => "BadMessageId",
            BadPriority => "BadPriority",
            BadPayload => "BadPayload",
            DeviceTokenNotForTopic => "DeviceTokenNotForTopic",
            DuplicateHeaders => "DuplicateHeaders",
            InvalidPushType => "InvalidPushType",
            MissingDeviceToken => "MissingDeviceToken",
            MissingTopic => "MissingTopic",
            PayloadEmpty => "PayloadEmpty",
            MissingProviderToken => "MissingProviderToken",
            InvalidProviderToken => "InvalidProviderToken",
            ExpiredProviderToken => "ExpiredProviderToken",
            BadPath => "BadPath",
            MethodNotAllowed => "MethodNotAllowed",
            Unregistered => "Unregistered",
            ExpiredToken => "ExpiredToken",
            PayloadTooLarge => "PayloadTooLarge",
            TooManyProviderTokenUpdates => "TooManyProviderTokenUpdates",
            TooManyRequests => "TooManyRequests",
            InternalServerError => "InternalServerError",
            ServiceUnavailable => "ServiceUnavailable",
            Shutdown => "Shutdown",
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// One APNs environment.
#[derive(Debug)]
pub struct Apns {
    env: Environment,
    dir: Directory,
    next_id: u64,
}

impl Apns {
    pub fn new(env: Environment, seed: u64) -> Apns {
        Apns { env, dir: Directory::new(seed, StorePolicy::NewestPerApp), next_id: 1 }
    }

    pub fn env(&self) -> Environment {
        self.env
    }

    /// Answers one provider API request, delivering the notification if it is accepted.
    fn respond(&mut self, req: &HttpRequest) -> HttpResponse {
        let token = req.path.strip_prefix("/3/device/").map(str::to_owned);
        let (status, reason, response) = match self.check(req) {
            Ok(n) => {
                let id = n.id.clone();
                let device = self
                    .dir
                    .token(token.as_deref().unwrap_or_default())
                    .map(|t| t.device.clone())
                    .expect("check() accepted a known token");
                self.dir.deliver(&device, n);
                (200, None, HttpResponse::new(200).header("apns-id", id))
            }
            Err(Rejected { reason, revoked_at }) => {
                let mut body = serde_json::json!({ "reason": reason.as_str() });
                if let Some(at) = revoked_at {
                    body["timestamp"] = serde_json::json!(SIM_EPOCH_UNIX_MS + at.0);
                }
                (reason.status(), Some(reason), HttpResponse::json(reason.status(), &body))
            }
        };
        self.dir.event(VendorEvent::Request {
            env: Some(self.env),
            token: token.filter(|t| !t.is_empty()),
            status,
            reason: reason.map(|r| r.as_str().to_owned()),
        });
        response
    }

    fn check(&mut self, req: &HttpRequest) -> Result<DeviceNotification, Rejected> {
        use Reason::*;
        if req.method != "POST" {
            return Err(MethodNotAllowed.into());
        }
        let Some(token) = req.path.strip_prefix("/3/device/") else {
            return Err(BadPath.into());
        };
        if token.is_empty() {
            return Err(MissingDeviceToken.into());
        }
        let bearer = req.get("authorization").and_then(|a| {
            let (scheme, rest) = a.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(rest)
        });
        if bearer.is_none_or(str::is_empty) {
            return Err(MissingProviderToken.into());
        }
        if req.duplicate_header().is_some() {
            return Err(DuplicateHeaders.into());
        }
        let push_type = req.get("apns-push-type").unwrap_or("alert");
        if !PUSH_TYPES.contains(&push_type) {
            return Err(InvalidPushType.into());
        }
        let Some(topic) = req.get("apns-topic") else {
            return Err(MissingTopic.into());
        };
        let priority = req.get("apns-priority").unwrap_or("10");
        if !["10", "5", "1"].contains(&priority) || (push_type == "background" && priority == "10") {
            return Err(BadPriority.into());
        }
        if req.get("apns-expiration").is_some_and(|e| e.parse::<u64>().is_err()) {
            return Err(BadExpirationDate.into());
        }
        if req.get("apns-id").is_some_and(|id| !is_canonical_uuid(id)) {
            return Err(BadMessageId.into());
        }
        if req.get("apns-collapse-id").is_some_and(|c| c.len() > 64) {
            return Err(BadCollapseId.into());
        }
        if req.body.is_empty() {
            return Err(PayloadEmpty.into());
        }
        let limit = if push_type == "voip" { MAX_VOIP_PAYLOAD } else { MAX_PAYLOAD };
        if req.body.len() > limit {
            return Err(PayloadTooLarge.into());
        }
        let payload: serde_json::Value = match serde_json::from_slice(&req.body) {
            Ok(v @ serde_json::Value::Object(_)) if v.get("aps").is_some_and(|a| a.is_object()) => v,
            _ => return Err(BadPayload.into()),
        };
        let Some(issued) = self.dir.token(token) else {
            // Unknown here: malformed, or issued by the other environment.
            return Err(BadDeviceToken.into());
        };
        if issued.app != topic.trim_end_matches(".voip") {
            return Err(DeviceTokenNotForTopic.into());
        }
        if let Some(at) = issued.revoked_at {
            return Err(Rejected { reason: Unregistered, revoked_at: Some(at) });
        }
        let id = match req.get("apns-id") {
            Some(id) => id.to_owned(),
            None => {
                self.next_id += 1;
                uuid_from(self.env, self.next_id - 1)
            }
        };
        Ok(DeviceNotification { id, app: issued.app.clone(), payload, delivery: 0 })
    }
}

/// A refused request: the reason, and for a revoked token when it was revoked.
struct Rejected {
    reason: Reason,
    revoked_at: Option<Millis>,
}

impl From<Reason> for Rejected {
    fn from(reason: Reason) -> Rejected {
        Rejected { reason, revoked_at: None }
    }
}

/// APNs tokens: 32 random bytes as 64 lower-case hex characters.
fn make_token(rng: &mut ChaCha8Rng) -> String {
    random_string(rng, b"0123456789abcdef", 64)
}

/// A deterministic canonical UUID for APNs-generated IDs.
fn uuid_from(env: Environment, n: u64) -> String {
    let e = match env {
        Environment::Development => 0xd,
        Environment::Production => 0xf,
    };
    format!("a9500000-0000-4000-8{e:03x}-{n:012x}")
}

/// Apple's `apns-id` rule: lower-case 8-4-4-4-12 hexadecimal.
pub fn is_canonical_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

impl VendorApi for Apns {
    fn is_send(&self, req: &HttpRequest) -> bool {
        req.path.starts_with("/3/device/")
    }

    fn failure(&self, status: u16) -> HttpResponse {
        let reason = match status {
            500 => Reason::InternalServerError,
            429 => Reason::TooManyRequests,
            _ => Reason::ServiceUnavailable,
        };
        HttpResponse::json(status, &serde_json::json!({ "reason": reason.as_str() }))
    }

    fn answer(&mut self, req: &HttpRequest, _now: Millis) -> HttpResponse {
        self.respond(req)
    }

    fn token_env(&self, _project: Option<&str>) -> Result<Environment, String> {
        Ok(self.env)
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
