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
//! Each vendor's `contract` builds the request and sorts the answer into a [`Verdict`];
//! the relay owns what to do about each class (the retry rule lives here only):
//!
//! - delivered: done;
//! - dead token: done, and the PushID is reported to ZIM ([`DeadToken`]), which unbinds it;
//! - retry (5xx, 429, flow control, no answer) and re-auth: again after an exponential
//!   backoff with seeded jitter, at least the vendor's `Retry-After`, at most
//!   [`MAX_ATTEMPTS`] times and never past [`RETRY_DEADLINE_MS`] after the first try; the
//!   retry is the same request, so its idempotency key (`apns-id`, vivo's `requestId`) is
//!   the same and a vendor that did deliver does not deliver twice;
//! - failed (payload, topic, parameters, credentials): done, and the binding is kept.
//!
//! At most [`MAX_IN_FLIGHT`] vendor requests are outstanding; the rest wait their turn.
//! The relay keeps the [`Core`] contract, which is the seam the built-in mutants plug into.

use crate::core::{ApiRequest, ApiResponse, Core};
use crate::http::{HttpRequest, HttpResponse};
use crate::ids::MessageId;
use crate::push_services::Verdict;
use crate::push_services::{apns, fcm};
use crate::pushid::{Environment, PushId, Vendor};
use crate::time::Millis;
use crate::topology;
use crate::wire::{DeadToken, PushBatch, PushRequest, PushVerdict};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
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
    /// Seeds the retry jitter.
    pub seed: u64,
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
            seed: 0,
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
    /// 1 for the first try of this call, then 2, 3, ... for its retries.
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    pub host: String,
    pub push_id: PushId,
    pub message_id: MessageId,
    pub request: HttpRequest,
}

fn first_attempt() -> u32 {
    1
}

/// How one call ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum PushResult {
    Accepted,
    /// Refused for good (or still refused when the retries ran out); the binding is kept.
    Rejected {
        status: u16,
        reason: String,
    },
    /// The vendor called the token dead; the PushID is reported to ZIM.
    DeadToken {
        status: u16,
        reason: String,
    },
    /// No answer, still, when the retries ran out.
    Unreachable,
}

/// Final outcome of one call, for the trace and stats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushOutcome {
    pub call: u64,
    /// Tries it took (1 when the first answer was final).
    #[serde(default = "first_attempt")]
    pub attempts: u32,
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
    /// The ZIM server answered report `id` (`ok`: with a 2xx).
    ZimAnswered {
        id: u64,
        ok: bool,
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
    /// Send this request to the ZIM server's API ([`topology::ZIM_API`]) and feed back
    /// [`RelayInput::ZimAnswered`]: a dead-token report.
    ToZim { id: u64, request: HttpRequest },
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
    rng: ChaCha8Rng,
    /// Every call not yet finished, whether in flight, waiting for a slot or for a retry.
    calls: BTreeMap<u64, Call>,
    /// Calls waiting for an in-flight slot, in order.
    ready: VecDeque<u64>,
    in_flight: usize,
    /// Retries and report resends, by due time.
    timers: BTreeSet<(Millis, Timer)>,
    /// Dead-token reports ZIM has not yet answered.
    reports: BTreeMap<u64, (DeadToken, u32)>,
    /// Pushes accepted in the last [`DEDUP_WINDOW_MS`], oldest first: the ZIM server retries
    /// a hand-over it got no answer to, and a retry must not notify the device twice.
    accepted: VecDeque<(Millis, MessageId, PushId)>,
    accepted_keys: BTreeSet<(MessageId, PushId)>,
    next_call: u64,
    next_report: u64,
    outputs: VecDeque<RelayOutput>,
}

/// One push on its way to a vendor.
#[derive(Debug)]
struct Call {
    push: PushRequest,
    host: String,
    /// Built once: a retry resends it unchanged, idempotency key and all.
    request: HttpRequest,
    attempt: u32,
    first_at: Millis,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Retry(u64),
    Report(u64),
}

/// How long the relay remembers a push it accepted, to answer a retry of it without a
/// second vendor call.
pub const DEDUP_WINDOW_MS: u64 = 10 * 60 * 1000;
/// Tries per call, the first included.
pub const MAX_ATTEMPTS: u32 = 5;
/// No retry is made later than this after the first try: a notification that late is
/// worth less than the sync the app will do anyway.
pub const RETRY_DEADLINE_MS: u64 = 60_000;
/// The first retry's delay; each next one doubles, up to [`MAX_BACKOFF_MS`].
pub const BASE_BACKOFF_MS: u64 = 1_000;
pub const MAX_BACKOFF_MS: u64 = 16_000;
/// Vendor requests outstanding at once (sygnal's `inflight_request_limit`).
pub const MAX_IN_FLIGHT: usize = 64;

impl Relay {
    pub fn new(config: RelayConfig) -> Relay {
        let rng = ChaCha8Rng::seed_from_u64(crate::sub_seed(config.seed, &format!("relay-{}", config.boot)));
        Relay {
            config,
            rng,
            calls: BTreeMap::new(),
            ready: VecDeque::new(),
            in_flight: 0,
            timers: BTreeSet::new(),
            reports: BTreeMap::new(),
            accepted: VecDeque::new(),
            accepted_keys: BTreeSet::new(),
            next_call: 1,
            next_report: 1,
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

    /// The delay before try `attempt + 1`: exponential, with jitter in its upper half so
    /// that pushes failed together do not come back together.
    fn backoff(&mut self, attempt: u32, retry_after_ms: Option<u64>) -> u64 {
        let full = BASE_BACKOFF_MS.saturating_mul(1 << (attempt - 1).min(16)).min(MAX_BACKOFF_MS);
        let jittered = full / 2 + self.rng.random_range(0..=full / 2);
        jittered.max(retry_after_ms.unwrap_or(0))
    }

    /// Sends waiting calls while there are free slots.
    fn pump(&mut self) {
        while self.in_flight < MAX_IN_FLIGHT {
            let Some(call) = self.ready.pop_front() else { break };
            let Some(c) = self.calls.get(&call) else { continue };
            self.in_flight += 1;
            self.outputs.push_back(RelayOutput::Call(VendorCall {
                call,
                attempt: c.attempt,
                host: c.host.clone(),
                push_id: c.push.push_id.clone(),
                message_id: c.push.message_id,
                request: c.request.clone(),
            }));
        }
    }

    /// A call's try ended with `verdict` (`None`: no answer).
    fn on_answer(&mut self, now: Millis, call: u64, status: u16, verdict: Option<Verdict>) {
        if !self.calls.contains_key(&call) {
            return; // a late answer to a call already finished
        }
        self.in_flight = self.in_flight.saturating_sub(1);
        let result = match verdict {
            Some(Verdict::Delivered) => PushResult::Accepted,
            Some(Verdict::DeadToken { reason }) => {
                let push_id = self.calls[&call].push.push_id.clone();
                self.report(DeadToken { push_id, reason: reason.clone() });
                PushResult::DeadToken { status, reason }
            }
            Some(Verdict::Failed { reason }) => PushResult::Rejected { status, reason },
            Some(Verdict::Retry { reason, after_ms }) => match self.retry(now, call, after_ms) {
                true => return,
                false => PushResult::Rejected { status, reason },
            },
            // Credentials are static for now: a fresh token is the same token, so a re-auth
            // is one more try under the retry rule.
            Some(Verdict::Reauth { reason }) => match self.retry(now, call, None) {
                true => return,
                false => PushResult::Rejected { status, reason },
            },
            None => match self.retry(now, call, None) {
                true => return,
                false => PushResult::Unreachable,
            },
        };
        self.finish(call, result);
        self.pump();
    }

    /// Schedules the next try of `call`, if the retry rule allows one.
    fn retry(&mut self, now: Millis, call: u64, after_ms: Option<u64>) -> bool {
        let (attempt, first_at) = {
            let c = &self.calls[&call];
            (c.attempt, c.first_at)
        };
        let delay = self.backoff(attempt, after_ms);
        let due = now.plus(delay);
        if attempt >= MAX_ATTEMPTS || due.since(first_at) > RETRY_DEADLINE_MS {
            return false;
        }
        if let Some(c) = self.calls.get_mut(&call) {
            c.attempt += 1;
        }
        self.timers.insert((due, Timer::Retry(call)));
        self.pump();
        true
    }

    fn report(&mut self, report: DeadToken) {
        let id = self.next_report;
        self.next_report += 1;
        self.outputs.push_back(RelayOutput::ToZim { id, request: report.to_http() });
        self.reports.insert(id, (report, 1));
    }

    fn apns_request(&self, req: &PushRequest, call: u64, now: Millis) -> (String, HttpRequest) {
        let provider_token = match req.push_id.env {
            Environment::Development => &self.config.apns_sandbox_token,
            Environment::Production => &self.config.apns_production_token,
        };
        let send = apns::contract::Send {
            push: req,
            topic: &self.config.apns_topic,
            provider_token,
            apns_id: format!("{:08x}-0000-4000-8000-{call:012x}", 0x2100_0000 + self.config.boot),
            expiration_unix_s: (self.config.epoch_unix_ms + now.0) / 1000 + self.config.ttl_s,
        };
        (topology::apns(req.push_id.env).name.to_owned(), apns::contract::request(&send))
    }

    fn fcm_request(&self, req: &PushRequest) -> (String, HttpRequest) {
        let send = fcm::contract::Send {
            push: req,
            project: self.config.fcm_project(req.push_id.env),
            access_token: &self.config.fcm_access_token,
            ttl_s: self.config.ttl_s,
        };
        (topology::FCM.name.to_owned(), fcm::contract::request(&send))
    }
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
                let vendor = self.calls.get(&call).map(|c| c.push.push_id.vendor);
                let verdict = vendor.map(|v| crate::push_services::verdict(v, &response));
                self.on_answer(now, call, response.status, verdict);
            }
            RelayInput::VendorUnreachable { call } => self.on_answer(now, call, 0, None),
            RelayInput::ZimAnswered { id, ok } => {
                if ok {
                    self.reports.remove(&id);
                } else if let Some((_, tries)) = self.reports.get_mut(&id) {
                    *tries += 1;
                    let tries = *tries;
                    let due = now.plus(self.backoff(tries.min(5), None));
                    self.timers.insert((due, Timer::Report(id)));
                }
            }
            RelayInput::Tick => {
                while let Some(&(due, timer)) = self.timers.first() {
                    if due > now {
                        break;
                    }
                    self.timers.pop_first();
                    match timer {
                        Timer::Retry(call) => self.ready.push_back(call),
                        Timer::Report(id) => {
                            if let Some((report, _)) = self.reports.get(&id) {
                                let request = report.to_http();
                                self.outputs.push_back(RelayOutput::ToZim { id, request });
                            }
                        }
                    }
                }
                self.pump();
            }
        }
    }

    fn poll_output(&mut self) -> Option<RelayOutput> {
        self.outputs.pop_front()
    }

    fn poll_timeout(&self) -> Option<Millis> {
        self.timers.first().map(|(due, _)| *due)
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
        self.calls.insert(call, Call { push: req, host, request, attempt: 1, first_at: now });
        self.ready.push_back(call);
        self.pump();
        Ok(())
    }

    fn finish(&mut self, call: u64, result: PushResult) {
        if let Some(c) = self.calls.remove(&call) {
            self.outputs.push_back(RelayOutput::Outcome(PushOutcome {
                call,
                attempts: c.attempt,
                push_id: c.push.push_id,
                message_id: c.push.message_id,
                result,
            }));
        }
    }
}

#[cfg(test)]
mod tests;
