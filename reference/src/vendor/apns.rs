//! Fake APNs (provider API `POST /3/device/<token>` over HTTP/2). One instance is one
//! environment: the sandbox and production hosts each run their own, with their own tokens,
//! so a token sent to the other environment gets `400 BadDeviceToken` as on the real service.
//!
//! Checked, in Apple's order of the reason table: method, path, device token, provider
//! authorization, repeated headers, `apns-push-type`, `apns-topic`, `apns-priority`,
//! `apns-expiration`, `apns-id`, `apns-collapse-id`, payload presence, size and shape, then
//! the token's environment and topic. (ES256 provider-token verification comes with the
//! credentials issue; for now a bearer must be present.)

use super::{random_string, DeviceNotification, DeviceToVendor, Directory, StorePolicy, VendorApi, VendorEvent};
use crate::http::{HttpRequest, HttpResponse};
use crate::ids::ConnId;
use crate::pushid::Environment;
use crate::time::Millis;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Payload limit for every push type but VoIP.
pub const MAX_PAYLOAD: usize = 4096;
/// Payload limit for `apns-push-type: voip`.
pub const MAX_VOIP_PAYLOAD: usize = 5120;

const PUSH_TYPES: [&str; 11] = [
    "alert",
    "background",
    "location",
    "voip",
    "complication",
    "fileprovider",
    "mdm",
    "liveactivity",
    "pushtotalk",
    "widgets",
    "controls",
];

/// One APNs environment.
#[derive(Debug)]
pub struct Apns {
    env: Environment,
    rng: ChaCha8Rng,
    dir: Directory,
    next_id: u64,
}

impl Apns {
    pub fn new(env: Environment, seed: u64) -> Apns {
        Apns {
            env,
            rng: ChaCha8Rng::seed_from_u64(seed),
            dir: Directory::new(Some(env), StorePolicy::NewestPerApp),
            next_id: 1,
        }
    }

    pub fn env(&self) -> Environment {
        self.env
    }

    fn token_frame(&mut self, channel: ConnId, frame: DeviceToVendor) {
        let env = self.env;
        self.dir.on_channel_frame(channel, frame, &mut self.rng, make_token, |_| Ok(env));
    }

    /// Answers one provider API request, delivering the notification if it is accepted.
    fn respond(&mut self, req: &HttpRequest, _now: Millis) -> HttpResponse {
        let token = req.path.strip_prefix("/3/device/").map(str::to_owned);
        let (status, reason, apns_id) = match self.check(req) {
            Ok(n) => {
                let id = n.id.clone();
                let device = self
                    .dir
                    .token(token.as_deref().unwrap_or_default())
                    .map(|t| t.device.clone())
                    .expect("check() accepted a known token");
                self.dir.deliver(&device, n);
                (200, None, Some(id))
            }
            Err((status, reason)) => (status, Some(reason), None),
        };
        self.dir.event(VendorEvent::Request {
            env: Some(self.env),
            token: token.filter(|t| !t.is_empty()),
            status,
            reason: reason.map(str::to_owned),
        });
        match reason {
            None => HttpResponse::new(status).header("apns-id", apns_id.unwrap_or_default()),
            Some(reason) => HttpResponse::json(status, &serde_json::json!({ "reason": reason })),
        }
    }

    fn check(&mut self, req: &HttpRequest) -> Result<DeviceNotification, (u16, &'static str)> {
        if req.method != "POST" {
            return Err((405, "MethodNotAllowed"));
        }
        let Some(token) = req.path.strip_prefix("/3/device/") else {
            return Err((404, "BadPath"));
        };
        if token.is_empty() {
            return Err((400, "MissingDeviceToken"));
        }
        let bearer = req.get("authorization").and_then(|a| {
            let (scheme, rest) = a.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(rest)
        });
        if bearer.is_none_or(str::is_empty) {
            return Err((403, "MissingProviderToken"));
        }
        if req.duplicate_header().is_some() {
            return Err((400, "DuplicateHeaders"));
        }
        let push_type = req.get("apns-push-type").unwrap_or("alert");
        if !PUSH_TYPES.contains(&push_type) {
            return Err((400, "InvalidPushType"));
        }
        let Some(topic) = req.get("apns-topic") else {
            return Err((400, "MissingTopic"));
        };
        let priority = req.get("apns-priority").unwrap_or("10");
        if !["10", "5", "1"].contains(&priority) || (push_type == "background" && priority == "10") {
            return Err((400, "BadPriority"));
        }
        if req.get("apns-expiration").is_some_and(|e| e.parse::<u64>().is_err()) {
            return Err((400, "BadExpirationDate"));
        }
        if req.get("apns-id").is_some_and(|id| !is_canonical_uuid(id)) {
            return Err((400, "BadMessageId"));
        }
        if req.get("apns-collapse-id").is_some_and(|c| c.len() > 64) {
            return Err((400, "BadCollapseId"));
        }
        if req.body.is_empty() {
            return Err((400, "PayloadEmpty"));
        }
        let limit = if push_type == "voip" { MAX_VOIP_PAYLOAD } else { MAX_PAYLOAD };
        if req.body.len() > limit {
            return Err((413, "PayloadTooLarge"));
        }
        let payload: serde_json::Value = match serde_json::from_slice(&req.body) {
            Ok(v @ serde_json::Value::Object(_)) if v.get("aps").is_some_and(|a| a.is_object()) => v,
            // Apple documents no reason for a body that is not a JSON object with `aps`;
            // the reference answers BadPayload (docs/policies.md).
            _ => return Err((400, "BadPayload")),
        };
        let Some(issued) = self.dir.token(token) else {
            // Unknown here: malformed, or issued by the other environment.
            return Err((400, "BadDeviceToken"));
        };
        if issued.app != topic.trim_end_matches(".voip") {
            return Err((400, "DeviceTokenNotForTopic"));
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
