//! The ZPNs relay core: takes the ZIM server's [`PushRequest`]s, routes each by its PushID
//! to the vendor endpoint of the PushID's environment, maps the push config to that vendor's
//! payload, and interprets the vendor's answer.
//!
//! Routing table (reference policy, docs/policies.md):
//!
//! | PushID            | endpoint host       | credentials                      |
//! |-------------------|---------------------|----------------------------------|
//! | `apns.development`| `apns-sandbox`      | the sandbox provider token       |
//! | `apns.production` | `apns-production`   | the production provider token    |
//! | `fcm.development` | `fcm`               | the debug sender project         |
//! | `fcm.production`  | `fcm`               | the release sender project       |
//!
//! Retries, dead-token reports and the other vendors arrive in later issues. The relay
//! keeps the [`Core`] contract, which is the seam the built-in mutants plug into.

use crate::core::{ApiRequest, ApiResponse, Core};
use crate::http::{HttpRequest, HttpResponse};
use crate::ids::MessageId;
use crate::pushid::{Environment, PushId, Vendor};
use crate::time::Millis;
use crate::topology;
use crate::wire::{PushBatch, PushRequest, PushVerdict};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Credentials and app identity the relay pushes with (what ZEGO's console holds).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayConfig {
    /// The iOS bundle ID, sent as `apns-topic`.
    pub apns_topic: String,
    pub apns_sandbox_token: String,
    pub apns_production_token: String,
    pub fcm_debug_project: String,
    pub fcm_release_project: String,
    pub fcm_access_token: String,
    /// Unix time (ms) of the simulation epoch, for vendor expiry fields.
    pub epoch_unix_ms: u64,
    /// How long a vendor may hold a notification for an offline device.
    pub ttl_s: u64,
    /// Which start of the relay process this is (0 the first): the `apns-id`s it mints
    /// stay unique across restarts.
    pub boot: u64,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            apns_topic: "im.zego.zimsim.demo".into(),
            apns_sandbox_token: "sandbox-provider-token".into(),
            apns_production_token: "production-provider-token".into(),
            fcm_debug_project: "zimsim-debug".into(),
            fcm_release_project: "zimsim-release".into(),
            fcm_access_token: "ya29.zimsim-access-token".into(),
            epoch_unix_ms: crate::time::SIM_EPOCH_UNIX_MS,
            ttl_s: 86_400,
            boot: 0,
        }
    }
}

impl RelayConfig {
    /// The FCM sender projects and the environment each one's credentials belong to (what
    /// the fake FCM is configured with).
    pub fn fcm_projects(&self) -> BTreeMap<String, Environment> {
        [
            (self.fcm_debug_project.clone(), Environment::Development),
            (self.fcm_release_project.clone(), Environment::Production),
        ]
        .into()
    }

    pub fn fcm_project(&self, env: Environment) -> &str {
        match env {
            Environment::Development => &self.fcm_debug_project,
            Environment::Production => &self.fcm_release_project,
        }
    }
}

/// One outgoing vendor request. `host` is the endpoint's name (a turmoil host, or a key
/// into the live-mode address table).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorCall {
    pub call: u64,
    pub host: String,
    pub push_id: PushId,
    pub message_id: MessageId,
    pub request: HttpRequest,
}

/// What the vendor said about one call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum PushResult {
    Accepted,
    Rejected {
        status: u16,
        reason: String,
    },
    /// No answer: the connection failed or the request timed out.
    Unreachable,
}

/// Final outcome of one call, for the trace and stats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushOutcome {
    pub call: u64,
    pub push_id: PushId,
    pub message_id: MessageId,
    #[serde(flatten)]
    pub result: PushResult,
}

/// What reaches the relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelayInput {
    /// An HTTP request to the relay's API: the ZIM server's hand-over
    /// (`POST /v1/push`, a [`PushBatch`]).
    Api(ApiRequest),
    /// The vendor answered call `call`.
    VendorResponse {
        call: u64,
        response: HttpResponse,
    },
    /// The vendor could not be reached for call `call`.
    VendorUnreachable {
        call: u64,
    },
    Tick,
}

/// What the relay asks its shell to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelayOutput {
    /// Answer an API request.
    Respond(ApiResponse),
    /// Make this vendor call and feed back its answer.
    Call(VendorCall),
    /// A call ended (for the trace and stats).
    Outcome(PushOutcome),
    /// A push of a hand-over was refused outright (for the trace).
    Rejected { message_id: MessageId, push_id: PushId, error: String },
}

/// Why the relay refused a push request outright.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RelayError {
    #[error("vendor {0} is not supported by this relay yet")]
    UnsupportedVendor(Vendor),
}

/// Any relay core: the reference relay and the relay mutants.
pub type DynRelay = Box<dyn Core<Input = RelayInput, Output = RelayOutput>>;

/// The reference relay.
#[derive(Debug)]
pub struct Relay {
    config: RelayConfig,
    in_flight: BTreeMap<u64, (PushId, MessageId)>,
    /// Pushes accepted in the last [`DEDUP_WINDOW_MS`], oldest first: the ZIM server retries
    /// a hand-over it got no answer to, and a retry must not notify the device twice.
    accepted: VecDeque<(Millis, MessageId, PushId)>,
    accepted_keys: BTreeSet<(MessageId, PushId)>,
    next_call: u64,
    outputs: VecDeque<RelayOutput>,
}

/// How long the relay remembers a push it accepted, to answer a retry of it without a
/// second vendor call.
pub const DEDUP_WINDOW_MS: u64 = 10 * 60 * 1000;

impl Relay {
    pub fn new(config: RelayConfig) -> Relay {
        Relay {
            config,
            in_flight: BTreeMap::new(),
            accepted: VecDeque::new(),
            accepted_keys: BTreeSet::new(),
            next_call: 1,
            outputs: VecDeque::new(),
        }
    }

    /// Whether this push was accepted within the window; remembers it if not.
    fn seen(&mut self, req: &PushRequest, now: Millis) -> bool {
        while self.accepted.front().is_some_and(|(at, _, _)| now.since(*at) >= DEDUP_WINDOW_MS) {
            let (_, m, p) = self.accepted.pop_front().expect("checked");
            self.accepted_keys.remove(&(m, p));
        }
        let key = (req.message_id, req.push_id.clone());
        if self.accepted_keys.contains(&key) {
            return true;
        }
        self.accepted.push_back((now, key.0, key.1.clone()));
        self.accepted_keys.insert(key);
        false
    }

    fn apns_request(&self, req: &PushRequest, call: u64, now: Millis) -> (String, HttpRequest) {
        let bearer = match req.push_id.env {
            Environment::Development => &self.config.apns_sandbox_token,
            Environment::Production => &self.config.apns_production_token,
        };
        let host = topology::apns(req.push_id.env).name;
        let mut aps = json!({
            "alert": {"title": req.push.title, "body": req.push.content},
            "sound": "default",
            "mutable-content": 1,
        });
        if let Some(badge) = req.badge {
            aps["badge"] = json!(badge);
        }
        let body = json!({"aps": aps, "zim": zim_extras(req), "payload": req.push.payload});
        let expires_s = (self.config.epoch_unix_ms + now.0) / 1000 + self.config.ttl_s;
        let request = HttpRequest::post(format!("/3/device/{}", req.push_id.token), body.to_string().into_bytes())
            .header("authorization", format!("bearer {bearer}"))
            .header("apns-push-type", "alert")
            .header("apns-topic", self.config.apns_topic.clone())
            .header("apns-priority", "10")
            .header("apns-expiration", expires_s.to_string())
            .header("apns-id", format!("{:08x}-0000-4000-8000-{call:012x}", 0x2100_0000 + self.config.boot))
            .header("apns-collapse-id", req.message_id.to_string())
            .header("content-type", "application/json");
        (host.to_owned(), request)
    }

    fn fcm_request(&self, req: &PushRequest) -> (String, HttpRequest) {
        let project = self.config.fcm_project(req.push_id.env);
        let zim = zim_extras(req);
        let mut android = json!({"priority": "HIGH", "ttl": format!("{}s", self.config.ttl_s)});
        if let Some(badge) = req.badge {
            android["notification"] = json!({"notification_count": badge});
        }
        // FCM data values are strings: the ZIM extras travel as one JSON string.
        let body = json!({
            "message": {
                "token": req.push_id.token,
                "notification": {"title": req.push.title, "body": req.push.content},
                "data": {
                    "payload": req.push.payload,
                    "zim_message_id": zim["message_id"].to_string(),
                    "zim_to": req.user_id,
                    "zim_from": req.from,
                    "zim": zim.to_string(),
                },
                "android": android,
            }
        });
        let request = HttpRequest::post(format!("/v1/projects/{project}/messages:send"), body.to_string().into_bytes())
            .header("authorization", format!("Bearer {}", self.config.fcm_access_token))
            .header("content-type", "application/json");
        (topology::FCM.name.to_owned(), request)
    }
}

/// The ZIM fields every notification carries, so the receiving SDK can tie the
/// notification to a message and a user, and the parts of the push config no vendor field
/// takes (reference policy).
fn zim_extras(req: &PushRequest) -> serde_json::Value {
    let mut zim = json!({"message_id": req.message_id.0, "to": req.user_id, "from": req.from, "conv": req.conv});
    if !req.push.resources_id.is_empty() {
        zim["resources_id"] = json!(req.push.resources_id);
    }
    if let Some(voip) = &req.push.voip {
        zim["voip"] = json!(voip);
    }
    zim
}

impl Core for Relay {
    type Input = RelayInput;
    type Output = RelayOutput;

    fn handle(&mut self, now: Millis, input: RelayInput) {
        match input {
            RelayInput::Api(ApiRequest { id, request }) => {
                let response = match PushBatch::from_http(&request) {
                    Ok(batch) => {
                        let verdicts: Vec<PushVerdict> = batch
                            .pushes
                            .into_iter()
                            .map(|push| match self.accept(push.clone(), now) {
                                Ok(()) => PushVerdict::Accepted,
                                Err(e) => {
                                    let (message_id, push_id, error) = (push.message_id, push.push_id, e.to_string());
                                    self.outputs.push_back(RelayOutput::Rejected { message_id, push_id, error });
                                    PushVerdict::Rejected { error: e.to_string() }
                                }
                            })
                            .collect();
                        HttpResponse::json(202, &json!({ "results": verdicts }))
                    }
                    Err(e) if e.starts_with("no route") => HttpResponse::json(404, &json!({ "error": e })),
                    Err(e) => HttpResponse::json(400, &json!({ "error": e })),
                };
                self.outputs.push_back(RelayOutput::Respond(ApiResponse { id, response }));
            }
            RelayInput::VendorResponse { call, response } => {
                let result = if response.is_success() {
                    PushResult::Accepted
                } else {
                    PushResult::Rejected { status: response.status, reason: vendor_reason(&response.body_json()) }
                };
                self.finish(call, result);
            }
            RelayInput::VendorUnreachable { call } => self.finish(call, PushResult::Unreachable),
            RelayInput::Tick => {}
        }
    }

    fn poll_output(&mut self) -> Option<RelayOutput> {
        self.outputs.pop_front()
    }

    fn poll_timeout(&self) -> Option<Millis> {
        None // retries and token refresh arrive with the push-path issue
    }
}

impl Relay {
    /// Takes one push: routes it to its vendor and queues the call (a retry of a push
    /// already accepted within [`DEDUP_WINDOW_MS`] is answered without a second call).
    pub fn accept(&mut self, req: PushRequest, now: Millis) -> Result<(), RelayError> {
        if matches!(req.push_id.vendor, Vendor::Apns | Vendor::Fcm) && self.seen(&req, now) {
            return Ok(()); // a retry of a push already under way
        }
        let call = self.next_call;
        let (host, request) = match req.push_id.vendor {
            Vendor::Apns => self.apns_request(&req, call, now),
            Vendor::Fcm => self.fcm_request(&req),
            other => return Err(RelayError::UnsupportedVendor(other)),
        };
        self.next_call += 1;
        self.in_flight.insert(call, (req.push_id.clone(), req.message_id));
        self.outputs.push_back(RelayOutput::Call(VendorCall {
            call,
            host,
            push_id: req.push_id,
            message_id: req.message_id,
            request,
        }));
        Ok(())
    }

    fn finish(&mut self, call: u64, result: PushResult) {
        if let Some((push_id, message_id)) = self.in_flight.remove(&call) {
            self.outputs.push_back(RelayOutput::Outcome(PushOutcome { call, push_id, message_id, result }));
        }
    }
}

/// The vendor's error name: APNs `reason`, or FCM's `errorCode` falling back to `status`.
pub fn vendor_reason(body: &serde_json::Value) -> String {
    let fcm_code = body
        .pointer("/error/details")
        .and_then(|d| d.as_array())
        .and_then(|d| d.iter().find_map(|x| x.get("errorCode")))
        .or_else(|| body.pointer("/error/status"));
    body.get("reason").or(fcm_code).and_then(|r| r.as_str()).unwrap_or("unknown").to_owned()
}

#[cfg(test)]
mod tests;
