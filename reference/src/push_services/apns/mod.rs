//! Fake APNs (provider API `POST /3/device/<token>` over HTTP/2). One instance is one
//! environment: the sandbox and production hosts each run their own, with their own tokens,
//! so a token sent to the other environment gets `400 BadDeviceToken` as on the real service.
//!
//! Checked, in Apple's order of the reason table: method, path, device token, provider
//! authorization, repeated headers, `apns-push-type`, `apns-topic`, `apns-priority`,
//! `apns-expiration`, `apns-id`, `apns-collapse-id`, payload presence, size and shape, then
//! the token: the environment, the topic, and whether it was revoked (`410 Unregistered`
//! with the revocation time in ms, which clients such as PyAPNs2 read on every 410).
//!
//! VoIP: the directory issues an app two kinds of token, alert and VoIP (PushKit). A `voip`
//! push must name the `<bundle>.voip` topic and only a `voip` push may (`400 BadTopic`,
//! *policy*: Apple requires the suffix but names no reason for its absence); an alert token
//! belongs to the topic `<bundle>` and a VoIP token to `<bundle>.voip`, so either one sent
//! on the other's topic gets `400 DeviceTokenNotForTopic`.
//!
//! Provider authorization against the keys given to [`Apns::new`]: the
//! bearer must be an ES256 JWT of a registered key, whose `iss` is that key's team, at
//! most an hour old, and a new one per key at most every 20 minutes (developer.apple.com,
//! "Establishing a token-based connection to APNs"). See [`Apns::check_provider_token`].
//!
//! - `contract`: the request the relay builds and how it reads the answer.
//! - `jwt`: the provider's signing key and the public half the fake registers.
//! - `decode`: what the iOS SDK reads out of a delivered payload.

pub mod contract;
pub mod decode;
pub mod jwt;

use super::{random_string, DeviceNotification, Directory, Keep, StorePolicy, VendorApi, VendorEvent};
use crate::http::{HttpRequest, HttpResponse};
use crate::pushid::{Environment, TokenKind};
use crate::time::{Millis, SIM_EPOCH_UNIX_MS};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};

pub use contract::{MAX_PAYLOAD, MAX_VOIP_PAYLOAD, PUSH_TYPES, VOIP_TOPIC_SUFFIX};
pub use contract::{PROVIDER_TOKEN_LIFETIME_S, PROVIDER_TOKEN_MAX_SKEW_S, PROVIDER_TOKEN_REFRESH_S};
pub use jwt::{ProviderKey, ProviderPublicKey};

/// Every `reason` the fake answers with: Apple's names and statuses
/// (developer.apple.com, "Handling notification responses from APNs").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    BadCollapseId,
    BadDeviceToken,
    BadExpirationDate,
    BadMessageId,
    BadPriority,
    /// The topic does not fit the push type: `voip` without the `.voip` suffix, or the
    /// suffix on another push type.
    BadTopic,
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
    pub const ALL: [Reason; 26] = [
        Reason::BadCollapseId,
        Reason::BadDeviceToken,
        Reason::BadExpirationDate,
        Reason::BadMessageId,
        Reason::BadPriority,
        Reason::BadTopic,
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
            BadTopic => "BadTopic",
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

    /// Whether this refuses the send because of its device token (APNs' dead-token answers):
    /// unknown to this environment, of another topic, revoked or expired. Every other reason
    /// is about the request, the provider token or the service.
    pub fn refuses_token(self) -> bool {
        use Reason::*;
        matches!(self, BadDeviceToken | DeviceTokenNotForTopic | Unregistered | ExpiredToken)
    }
}

/// One APNs environment.
#[derive(Debug)]
pub struct Apns {
    env: Environment,
    dir: Directory,
    next_id: u64,
    /// Registered provider keys by key ID. `None` only in unit tests of other checks
    /// ([`Apns::unchecked`]): any non-empty bearer passes.
    keys: Option<BTreeMap<String, ProviderPublicKey>>,
    /// Tokens whose form and signature already checked out, with their key ID and `iat`,
    /// so a token is verified once and not on every send (the time rules still apply each time).
    verified: BTreeMap<String, (String, u64)>,
    /// Per key ID, the tokens accepted so far, for the refresh limit.
    key_use: BTreeMap<String, KeyUse>,
}

/// The provider tokens of one key that APNs has accepted.
#[derive(Debug, Default)]
struct KeyUse {
    /// `iat`s of accepted tokens that have not expired: each keeps working for its hour.
    iats: BTreeSet<u64>,
    /// When the newest of them was first accepted: the next new one waits 20 minutes.
    last_new_at: Option<Millis>,
}

impl Apns {
    /// An APNs of `env` that takes provider tokens signed by `keys` (by key ID), and no
    /// other bearer.
    pub fn new(env: Environment, seed: u64, keys: impl IntoIterator<Item = ProviderPublicKey>) -> Apns {
        Apns {
            env,
            dir: Directory::new(seed, StorePolicy::NewestPerApp),
            next_id: 1,
            keys: Some(keys.into_iter().map(|k| (k.key_id.clone(), k)).collect()),
            verified: BTreeMap::new(),
            key_use: BTreeMap::new(),
        }
    }

    /// An APNs that takes any non-empty bearer: for the unit tests of its other checks.
    #[cfg(test)]
    pub(crate) fn unchecked(env: Environment, seed: u64) -> Apns {
        Apns { keys: None, ..Apns::new(env, seed, []) }
    }

    pub fn env(&self) -> Environment {
        self.env
    }

    /// Answers one provider API request, delivering the notification if it is accepted.
    /// How long it may be stored is `apns-expiration`'s: a Unix time, or 0 for "deliver now
    /// or never" (without the header the fake keeps it, as for the newest per app).
    fn respond(&mut self, req: &HttpRequest, now: Millis) -> HttpResponse {
        let token = req.path.strip_prefix("/3/device/").map(str::to_owned);
        let (status, reason, response) = match self.check(req, now) {
            Ok(n) => {
                let id = n.id.clone();
                let device = self
                    .dir
                    .token(token.as_deref().unwrap_or_default())
                    .map(|t| t.device.clone())
                    .expect("check() accepted a known token");
                self.dir.deliver(&device, n, now, keep(req));
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
            token_refused: reason.is_some_and(Reason::refuses_token),
        });
        response
    }

    fn check(&mut self, req: &HttpRequest, now: Millis) -> Result<DeviceNotification, Rejected> {
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
        self.check_provider_token(bearer, now)?;
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
        if (push_type == "voip") != topic.ends_with(VOIP_TOPIC_SUFFIX) {
            return Err(BadTopic.into());
        }
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
        // Each token serves one topic: the bundle ID for an alert token, the bundle ID
        // with `.voip` for a VoIP token.
        let token_topic = match issued.kind {
            TokenKind::Alert => issued.app.clone(),
            TokenKind::Voip => format!("{}{VOIP_TOPIC_SUFFIX}", issued.app),
        };
        if topic != token_topic {
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
        let replace_key = req.get("apns-collapse-id").map(str::to_owned);
        Ok(DeviceNotification { id, app: issued.app.clone(), payload, delivery: 0, replace_key })
    }
}

impl Apns {
    /// The provider-token rules, at `now`:
    /// - no bearer, or an empty one: `MissingProviderToken`;
    /// - not a compact JWT, `alg` not `ES256`, a `kid` or `iss` that is not 10 characters, an
    ///   unknown `kid`, an `iss` other than that key's team, no integer `iat`, or a signature
    ///   that does not verify: `InvalidProviderToken`;
    /// - `iat` more than [`PROVIDER_TOKEN_LIFETIME_S`] before `now` (exactly that old still
    ///   passes): `ExpiredProviderToken`;
    /// - `iat` more than [`PROVIDER_TOKEN_MAX_SKEW_S`] after `now`: `InvalidProviderToken`
    ///   (*policy*: Apple does not say; a clock that far ahead is a provider bug);
    /// - a token with an `iat` this key has not used yet, less than
    ///   [`PROVIDER_TOKEN_REFRESH_S`] after the key's previous new token was first accepted:
    ///   `TooManyProviderTokenUpdates`. Tokens accepted before keep working until they expire.
    ///
    /// In unit tests without registered keys any non-empty bearer passes (see `keys`).
    fn check_provider_token(&mut self, bearer: Option<&str>, now: Millis) -> Result<(), Reason> {
        let Some(token) = bearer.filter(|b| !b.is_empty()) else {
            return Err(Reason::MissingProviderToken);
        };
        let Some(keys) = &self.keys else { return Ok(()) };
        let (kid, iat) = match self.verified.get(token) {
            Some(known) => known.clone(),
            None => {
                let checked = verify(keys, token).ok_or(Reason::InvalidProviderToken)?;
                self.verified.insert(token.to_owned(), checked.clone());
                checked
            }
        };
        let now_unix_ms = SIM_EPOCH_UNIX_MS + now.0;
        let iat_unix_ms = iat.saturating_mul(1000);
        if now_unix_ms > iat_unix_ms.saturating_add(PROVIDER_TOKEN_LIFETIME_S * 1000) {
            return Err(Reason::ExpiredProviderToken);
        }
        if iat_unix_ms > now_unix_ms + PROVIDER_TOKEN_MAX_SKEW_S * 1000 {
            return Err(Reason::InvalidProviderToken);
        }
        let key_use = self.key_use.entry(kid).or_default();
        if key_use.iats.contains(&iat) {
            return Ok(());
        }
        if key_use.last_new_at.is_some_and(|at| now.since(at) < PROVIDER_TOKEN_REFRESH_S * 1000) {
            return Err(Reason::TooManyProviderTokenUpdates);
        }
        let oldest_live_s = (now_unix_ms / 1000).saturating_sub(PROVIDER_TOKEN_LIFETIME_S + 1);
        key_use.iats.retain(|&i| i >= oldest_live_s);
        key_use.iats.insert(iat);
        key_use.last_new_at = Some(now);
        Ok(())
    }
}

/// The key ID and `iat` of a provider token whose form and signature check out against
/// `keys`, or `None` (everything here is `InvalidProviderToken`).
fn verify(keys: &BTreeMap<String, ProviderPublicKey>, token: &str) -> Option<(String, u64)> {
    use crate::push_services::jwt::{parse, secs_field, str_field};
    let parsed = parse(token)?;
    let kid = str_field(&parsed.header, "kid").filter(|k| k.len() == 10)?;
    let iss = str_field(&parsed.claims, "iss").filter(|i| i.len() == 10)?;
    let key = keys.get(kid)?;
    let iat = secs_field(&parsed.claims, "iat")?;
    let ok = str_field(&parsed.header, "alg") == Some("ES256")
        && iss == key.team_id
        && key.verifies(parsed.signing_input.as_bytes(), &parsed.signature);
    ok.then(|| (kid.to_owned(), iat))
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

    fn answer(&mut self, req: &HttpRequest, now: Millis) -> HttpResponse {
        self.respond(req, now)
    }

    fn token_env(&self, _project: Option<&str>) -> Result<Environment, String> {
        Ok(self.env)
    }

    fn issues_voip_tokens(&self) -> bool {
        true
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

/// What `apns-expiration` allows: `0` delivers now or never; a Unix time (s) keeps the
/// notification until then (check() has refused any other value).
fn keep(req: &HttpRequest) -> Keep {
    let until = req.get("apns-expiration").and_then(|e| e.parse::<u64>().ok()).map(|unix_s| match unix_s {
        0 => Millis::ZERO,
        s => Millis(s.saturating_mul(1000).saturating_sub(crate::time::SIM_EPOCH_UNIX_MS)),
    });
    Keep { until, collapse_key: None }
}
