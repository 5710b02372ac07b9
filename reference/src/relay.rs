//! The ZPNs relay core: takes the ZIM server's [`PushRequest`]s, routes each by its PushID
//! to the vendor endpoint of the PushID's environment, maps the push config to that vendor's
//! payload, and interprets the vendor's answer.
//!
//! Routing table (reference policy, docs/policies.md): a PushID goes to its vendor's host
//! ([`topology::vendor_host`]; APNs has one per environment) with the credentials of its
//! environment ([`PushApps`]): the sandbox or production provider token, the debug or
//! release FCM project, HMS / Xiaomi / OPPO / vivo app.
//!
//! FCM, HMS, OPPO and vivo sends carry an access token from the vendor's token endpoint.
//! The relay fetches one per vendor and environment when the first push needs it, holds
//! the pushes that wait for it, reuses it until [`AUTH_REFRESH_FRACTION`] of its lifetime
//! has passed, and drops it when a send is refused for it (a re-auth verdict).
//!
//! Each vendor's `contract` builds the request and sorts the answer into a [`Verdict`];
//! the relay owns what to do about each class (the retry rule lives here only):
//!
//! - delivered: done;
//! - dead token: done, and the PushID is reported to ZIM ([`DeadToken`]), which unbinds it;
//! - retry (5xx, 429, flow control, no answer, no answer within [`REQUEST_TIMEOUT_MS`])
//!   and re-auth: again after an exponential
//!   backoff with seeded jitter, at least the vendor's `Retry-After`, at most
//!   [`MAX_ATTEMPTS`] times and never past [`RETRY_DEADLINE_MS`] after the first try; the
//!   retry is the same request, so its idempotency key (`apns-id`, vivo's `requestId`) is
//!   the same and a vendor that did deliver does not deliver twice;
//! - failed (payload, topic, parameters, credentials): done, and the binding is kept.
//!
//! A try the vendor has not answered within [`REQUEST_TIMEOUT_MS`] is given up
//! ([`RelayOutput::TimedOut`]): its slot is freed, the retry rule applies, and its answer,
//! if it comes after all, is ignored (the vendor may have delivered it: the retry's key is
//! what keeps that from showing twice). Answers name their try, so a late one is told
//! from the answer to the retry.
//!
//! At most [`MAX_IN_FLIGHT`] vendor requests are outstanding; the rest wait their turn.
//! The relay keeps the [`Core`] contract, which is the seam the built-in mutants plug into.

use crate::core::{ApiRequest, ApiResponse, Core};
use crate::http::{HttpRequest, HttpResponse};
use crate::ids::MessageId;
use crate::push_services::apps::PushApps;
use crate::push_services::Verdict;
use crate::push_services::{apns, fcm, hms, mi, oppo, vivo};
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
    /// The app at every vendor, in both environments.
    pub apps: PushApps,
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
            apps: PushApps::default(),
            epoch_unix_ms: crate::time::SIM_EPOCH_UNIX_MS,
            ttl_s: 86_400,
            boot: 0,
            seed: 0,
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
    /// The vendor answered try `attempt` of call `call`.
    VendorResponse {
        call: u64,
        attempt: u32,
        response: HttpResponse,
    },
    /// The vendor could not be reached for try `attempt` of call `call`.
    VendorUnreachable {
        call: u64,
        attempt: u32,
    },
    /// The ZIM server answered report `id` (`ok`: with a 2xx).
    ZimAnswered {
        id: u64,
        ok: bool,
    },
    /// The token endpoint answered access-token request `id` (`None`: no answer).
    AuthAnswered {
        id: u64,
        response: Option<HttpResponse>,
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
    /// A push of a hand-over was refused outright (for the trace). The reference relay
    /// serves every vendor and refuses none; the variant is part of the relay contract a
    /// relay mutant or another relay may use.
    Rejected { message_id: MessageId, push_id: PushId, error: String },
    /// Send this request to the ZIM server's API ([`topology::ZIM_API`]) and feed back
    /// [`RelayInput::ZimAnswered`]: a dead-token report.
    ToZim { id: u64, request: HttpRequest },
    /// Send this access-token request to `host`'s provider API and feed back
    /// [`RelayInput::AuthAnswered`].
    Auth { id: u64, host: String, request: HttpRequest },
    /// An access-token request ended (for the trace).
    Authorized(AuthOutcome),
    /// A try got no answer within [`REQUEST_TIMEOUT_MS`] and was given up (for the trace
    /// and stats); the retry rule decides what follows.
    TimedOut(TimedOut),
}

/// A vendor try the relay gave up waiting for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedOut {
    pub call: u64,
    pub attempt: u32,
    pub push_id: PushId,
    pub message_id: MessageId,
}

/// How one access-token request ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthOutcome {
    pub vendor: Vendor,
    pub env: Environment,
    /// The new token's lifetime, when one was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
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
    /// Access tokens, by vendor and environment.
    sessions: BTreeMap<(Vendor, Environment), Session>,
    /// The APNs signing key, and the provider token minted with it with its `iat` (s).
    apns_key: apns::ProviderKey,
    provider_token: Option<(String, u64)>,
    /// APNs refused the last provider token as expired: mint the next one off the grid.
    provider_token_refused: bool,
    /// Access-token requests under way.
    auths: BTreeMap<u64, (Vendor, Environment)>,
    next_auth: u64,
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
    host: &'static str,
    /// Minted once (`apns-id`, vivo's `requestId`): every try of the call carries it, so a
    /// vendor that did deliver an earlier try does not deliver again. Empty for the vendors
    /// whose API takes none.
    key: String,
    attempt: u32,
    first_at: Millis,
    /// While try `attempt` is with the vendor: when the relay stops waiting for it.
    deadline: Option<Millis>,
}

/// The relay's access token at one vendor for one environment.
#[derive(Debug, Default)]
struct Session {
    /// The token and when to stop using it.
    token: Option<(String, Millis)>,
    /// The token request under way, if any.
    fetching: Option<u64>,
    /// Calls waiting for a token, in order.
    waiting: Vec<u64>,
}

/// What a send needs of the relay's credentials before it goes out.
#[derive(Debug)]
enum SendAccess {
    /// It goes now, with this bearer (`None`: the vendor takes none).
    Ready(Option<String>),
    /// It waits for its vendor's access token to be fetched.
    NotYet,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Retry(u64),
    Report(u64),
    /// The deadline of the try of call `.0` that is with the vendor.
    Answer(u64),
}

/// How long the relay remembers a push it accepted, to answer a retry of it without a
/// second vendor call.
pub const DEDUP_WINDOW_MS: u64 = 10 * 60 * 1000;
/// How long the relay waits for a vendor's answer to one try (reference policy, docs/
/// policies.md). Past it the try counts as failed with a retry verdict: the answer is
/// lost, though the vendor may have delivered.
pub const REQUEST_TIMEOUT_MS: u64 = 10_000;
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
/// An access token is replaced once this fraction of its lifetime has passed, so a send
/// never goes out with one about to expire.
pub const AUTH_REFRESH_FRACTION: (u64, u64) = (9, 10);
/// A new APNs provider token is minted when the current one is this old: inside Apple's
/// window (at most one new token per 20 minutes, each valid for an hour). Tokens are minted
/// on this grid of Unix time (`iat` a multiple of it), so a relay that restarts mints the
/// very token it had, not a new one APNs would refuse as a second update within 20 minutes.
pub const PROVIDER_TOKEN_REMINT_S: u64 = 40 * 60;

impl Relay {
    pub fn new(config: RelayConfig) -> Relay {
        let rng = ChaCha8Rng::seed_from_u64(crate::sub_seed(config.seed, &format!("relay-{}", config.boot)));
        let apns_key = config.apps.apns_signing_key();
        Relay {
            config,
            rng,
            calls: BTreeMap::new(),
            ready: VecDeque::new(),
            in_flight: 0,
            timers: BTreeSet::new(),
            reports: BTreeMap::new(),
            sessions: BTreeMap::new(),
            apns_key,
            provider_token: None,
            provider_token_refused: false,
            auths: BTreeMap::new(),
            next_auth: 1,
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

    /// Sends waiting calls while there are free slots. A call whose vendor needs an
    /// access token it does not have waits for one (and has it fetched).
    fn pump(&mut self, now: Millis) {
        while self.in_flight < MAX_IN_FLIGHT {
            let Some(call) = self.ready.pop_front() else { break };
            let Some(c) = self.calls.get(&call) else { continue };
            let (vendor, env) = (c.push.push_id.vendor, c.push.push_id.env);
            let access = match self.send_access(vendor, env, now) {
                SendAccess::Ready(access) => access,
                SendAccess::NotYet => {
                    self.sessions.entry((vendor, env)).or_default().waiting.push(call);
                    self.fetch_token(vendor, env, now);
                    continue;
                }
            };
            let c = &self.calls[&call];
            let request = self.request(c, access.as_deref());
            let deadline = now.plus(REQUEST_TIMEOUT_MS);
            self.timers.insert((deadline, Timer::Answer(call)));
            let c = self.calls.get_mut(&call).expect("looked up above");
            c.deadline = Some(deadline);
            self.in_flight += 1;
            self.outputs.push_back(RelayOutput::Call(VendorCall {
                call,
                attempt: c.attempt,
                host: c.host.to_owned(),
                push_id: c.push.push_id.clone(),
                message_id: c.push.message_id,
                request,
            }));
        }
    }

    /// The APNs provider token to send with now: the current one, or a new one once the
    /// current one is [`PROVIDER_TOKEN_REMINT_S`] old, issued at the last grid point. After
    /// APNs called the grid token expired (its clock is ahead of ours) the new one is
    /// issued now instead.
    fn provider_token(&mut self, now: Millis) -> String {
        let now_s = (self.config.epoch_unix_ms + now.0) / 1000;
        match &self.provider_token {
            Some((token, iat)) if now_s < iat + PROVIDER_TOKEN_REMINT_S => token.clone(),
            _ => {
                let iat = match std::mem::take(&mut self.provider_token_refused) {
                    true => now_s,
                    false => now_s - now_s % PROVIDER_TOKEN_REMINT_S,
                };
                let token = apns::contract::provider_token(&self.apns_key, iat);
                self.provider_token = Some((token.clone(), iat));
                token
            }
        }
    }

    /// What a send to `vendor` in `env` goes out with now: the APNs provider token (minted
    /// if due), the access token the relay holds still fresh for a vendor that takes one,
    /// or nothing (Xiaomi signs with its app secret); not yet, while that access token is
    /// still to be fetched.
    fn send_access(&mut self, vendor: Vendor, env: Environment, now: Millis) -> SendAccess {
        if vendor == Vendor::Apns {
            return SendAccess::Ready(Some(self.provider_token(now)));
        }
        if !crate::push_services::takes_access_token(vendor) {
            return SendAccess::Ready(None);
        }
        let session = self.sessions.get(&(vendor, env));
        match session.and_then(|s| s.token.as_ref()).filter(|(_, until)| now < *until) {
            Some((token, _)) => SendAccess::Ready(Some(token.clone())),
            None => SendAccess::NotYet,
        }
    }

    /// Asks `vendor`'s token endpoint for a token for `env`, unless a request is under way.
    fn fetch_token(&mut self, vendor: Vendor, env: Environment, now: Millis) {
        let session = self.sessions.entry((vendor, env)).or_default();
        if session.fetching.is_some() {
            return;
        }
        let Some(request) = self.config.apps.auth_request(vendor, env, self.config.epoch_unix_ms + now.0) else {
            return;
        };
        let id = self.next_auth;
        self.next_auth += 1;
        session.fetching = Some(id);
        self.auths.insert(id, (vendor, env));
        let host = topology::vendor_host(vendor, env).name.to_owned();
        self.outputs.push_back(RelayOutput::Auth { id, host, request });
    }

    /// A token request ended: the waiting calls go out with the new token, or, without
    /// one, each is a failed try under the retry rule.
    fn on_auth(&mut self, now: Millis, id: u64, response: Option<HttpResponse>) {
        let Some((vendor, env)) = self.auths.remove(&id) else { return };
        let answer = match &response {
            Some(r) => crate::push_services::auth_answer(vendor, r),
            None => Err("no answer".into()),
        };
        let session = self.sessions.entry((vendor, env)).or_default();
        session.fetching = None;
        let waiting = std::mem::take(&mut session.waiting);
        let outcome = match answer {
            Ok((token, lifetime_ms)) => {
                let (part, whole) = AUTH_REFRESH_FRACTION;
                session.token = Some((token, now.plus(lifetime_ms / whole * part)));
                // They were ready before any call that came after them.
                for call in waiting.into_iter().rev() {
                    self.ready.push_front(call);
                }
                AuthOutcome { vendor, env, lifetime_ms: Some(lifetime_ms), error: None }
            }
            Err(error) => {
                let status = response.as_ref().map_or(0, |r| r.status);
                for call in waiting {
                    if !self.retry(now, call, None) {
                        self.finish(call, PushResult::Rejected { status, reason: format!("auth: {error}") });
                    }
                }
                AuthOutcome { vendor, env, lifetime_ms: None, error: Some(error) }
            }
        };
        self.outputs.push_back(RelayOutput::Authorized(outcome));
        self.pump(now);
    }

    /// Whether try `attempt` of `call` is with the vendor; if so it is no longer (its
    /// deadline is dropped and its slot freed). An answer to a try that is not (a call
    /// already finished, a try already given up) is late and changes nothing.
    fn take_try(&mut self, call: u64, attempt: u32) -> bool {
        let Some(c) = self.calls.get_mut(&call) else { return false };
        let Some(deadline) = c.deadline.filter(|_| c.attempt == attempt) else { return false };
        c.deadline = None;
        self.timers.remove(&(deadline, Timer::Answer(call)));
        self.in_flight = self.in_flight.saturating_sub(1);
        true
    }

    /// Try `attempt` of `call` ended with `verdict` (`None`: no answer).
    fn on_answer(&mut self, now: Millis, call: u64, attempt: u32, status: u16, verdict: Option<Verdict>) {
        if !self.take_try(call, attempt) {
            return; // a late answer: the call finished, or this try was given up
        }
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
            // The token was refused: forget it, so the next try fetches a fresh one.
            Some(Verdict::Reauth { reason }) => {
                self.forget_token(call);
                match self.retry(now, call, None) {
                    true => return,
                    false => PushResult::Rejected { status, reason },
                }
            }
            None => match self.retry(now, call, None) {
                true => return,
                false => PushResult::Unreachable,
            },
        };
        self.finish(call, result);
        self.pump(now);
    }

    /// Drops the access token (or APNs provider token) `call`'s vendor refused, so its next
    /// try fetches or mints a new one.
    fn forget_token(&mut self, call: u64) {
        let id = &self.calls[&call].push.push_id;
        if id.vendor == Vendor::Apns {
            self.provider_token = None;
            self.provider_token_refused = true;
        }
        if let Some(session) = self.sessions.get_mut(&(id.vendor, id.env)) {
            session.token = None;
        }
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
        true
    }

    fn report(&mut self, report: DeadToken) {
        let id = self.next_report;
        self.next_report += 1;
        self.outputs.push_back(RelayOutput::ToZim { id, request: report.to_http() });
        self.reports.insert(id, (report, 1));
    }

    /// The send request of one try of `c` (`access`: the access token, for the vendors
    /// that take one). Every try of a call is the same request but for a renewed token.
    fn request(&self, c: &Call, access: Option<&str>) -> HttpRequest {
        let (push, env) = (&c.push, c.push.push_id.env);
        let (apps, ttl_s) = (&self.config.apps, self.config.ttl_s);
        let access = access.unwrap_or_default();
        let resource = apps.resource(&push.push.resources_id);
        match push.push_id.vendor {
            Vendor::Apns => apns::contract::request(&apns::contract::Send {
                push,
                topic: &apps.bundle,
                provider_token: access,
                apns_id: c.key.clone(),
                expiration_unix_s: (self.config.epoch_unix_ms + c.first_at.0) / 1000 + ttl_s,
                strategy: &resource.apns,
            }),
            Vendor::Fcm => fcm::contract::request(&fcm::contract::Send {
                push,
                project: apps.fcm.get(env),
                access_token: access,
                ttl_s,
                strategy: &resource.fcm,
            }),
            Vendor::Hms => hms::contract::request(&hms::contract::Send {
                push,
                app_id: &apps.hms.get(env).id,
                access_token: access,
                ttl_s,
            }),
            Vendor::Mi => mi::contract::request(&mi::contract::Send {
                push,
                package: &apps.bundle,
                app_secret: &apps.mi.get(env).secret,
                ttl_s,
            }),
            Vendor::Oppo => oppo::contract::request(&oppo::contract::Send { push, auth_token: access, ttl_s }),
            Vendor::Vivo => vivo::contract::request(&vivo::contract::Send {
                push,
                app_id: &apps.vivo.get(env).id,
                auth_token: access,
                request_id: c.key.clone(),
                ttl_s,
            }),
        }
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
                        // Every vendor is served: each push of a well-formed batch is taken on.
                        let verdicts: Vec<PushVerdict> = batch
                            .pushes
                            .into_iter()
                            .map(|push| {
                                self.accept(push, now);
                                PushVerdict::Accepted
                            })
                            .collect();
                        HttpResponse::json(202, &json!({ "results": verdicts }))
                    }
                    Err(e) if e.starts_with("no route") => HttpResponse::json(404, &json!({ "error": e })),
                    Err(e) => HttpResponse::json(400, &json!({ "error": e })),
                };
                self.outputs.push_back(RelayOutput::Respond(ApiResponse { id, response }));
            }
            RelayInput::VendorResponse { call, attempt, response } => {
                let vendor = self.calls.get(&call).map(|c| c.push.push_id.vendor);
                let verdict = vendor.map(|v| crate::push_services::verdict(v, &response));
                self.on_answer(now, call, attempt, response.status, verdict);
            }
            RelayInput::VendorUnreachable { call, attempt } => self.on_answer(now, call, attempt, 0, None),
            RelayInput::AuthAnswered { id, response } => self.on_auth(now, id, response),
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
                        Timer::Answer(call) => self.give_up(now, call),
                        Timer::Report(id) => {
                            if let Some((report, _)) = self.reports.get(&id) {
                                let request = report.to_http();
                                self.outputs.push_back(RelayOutput::ToZim { id, request });
                            }
                        }
                    }
                }
                self.pump(now);
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
    pub fn accept(&mut self, req: PushRequest, now: Millis) {
        if self.seen(&req, now) {
            return; // a retry of a push already under way
        }
        let call = self.next_call;
        self.next_call += 1;
        let host = topology::vendor_host(req.push_id.vendor, req.push_id.env).name;
        let key = match req.push_id.vendor {
            Vendor::Vivo => format!("zpns-{}-{call}", self.config.boot),
            Vendor::Apns => format!("{:08x}-0000-4000-8000-{call:012x}", 0x2100_0000 + self.config.boot),
            Vendor::Fcm | Vendor::Hms | Vendor::Mi | Vendor::Oppo => String::new(),
        };
        self.calls.insert(call, Call { push: req, host, key, attempt: 1, first_at: now, deadline: None });
        self.ready.push_back(call);
        self.pump(now);
    }

    /// The try of `call` with the vendor is past its deadline: it counts as a failed try
    /// with a retry verdict, and its answer, should it come, as late.
    fn give_up(&mut self, now: Millis, call: u64) {
        let Some(c) = self.calls.get(&call) else { return };
        let (attempt, push_id, message_id) = (c.attempt, c.push.push_id.clone(), c.push.message_id);
        if !self.take_try(call, attempt) {
            return;
        }
        self.outputs.push_back(RelayOutput::TimedOut(TimedOut { call, attempt, push_id, message_id }));
        if !self.retry(now, call, None) {
            self.finish(call, PushResult::Unreachable);
        }
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
