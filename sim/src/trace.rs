//! The trace: every observable event of a run as a structured, timestamped record, its
//! stable hash, and its human-readable form. Records are decoded, application-level events
//! (frames, HTTP exchanges, bindings, app callbacks), never raw bytes, so a trace is
//! byte-identical for the same seed even where the transport is randomised.

use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;
use zimsim_reference::client::{AppEvent, AppState, Notification};
use zimsim_reference::ids::{ConnId, DeviceId, MessageId};
use zimsim_reference::push_services::resources::PushResource;
use zimsim_reference::push_services::{MessageKind, VendorEvent};
use zimsim_reference::pushid::{PushId, TokenKind, Vendor};
use zimsim_reference::relay::{AuthOutcome, PushOutcome, PushResult, TimedOut, VendorCall};
use zimsim_reference::server::ServerEvent;
use zimsim_reference::wire::{ClientFrame, ServerFrame};
use zimsim_reference::{topology, Millis};

use crate::scenario::Action;

/// One event, with the simulated time it happened and the host or device that saw it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub t: Millis,
    pub src: Source,
    #[serde(flatten)]
    pub event: Event,
}

/// Who recorded an event. In JSON it is the plain name (`"zim"`, `"d3-ios-debug"`,
/// `"world"`); scenarios keep device IDs apart from host names, so the name alone says
/// which kind it is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// A host of the topology (`zim`, `zpns`, a vendor).
    Host(&'static str),
    /// A handset: its OS and its app.
    Device(DeviceId),
    /// The scenario's world steps (faults and repairs).
    World,
}

impl Source {
    /// The source named `name`: a topology host, `world`, or else a device.
    pub fn parse(name: &str) -> Source {
        match topology::hosts().into_iter().find(|h| *h == name) {
            Some(host) => Source::Host(host),
            None if name == Source::WORLD => Source::World,
            None => Source::Device(DeviceId::from(name)),
        }
    }

    pub const WORLD: &'static str = "world";

    pub fn as_str(&self) -> &str {
        match self {
            Source::Host(h) => h,
            Source::Device(d) => d.as_str(),
            Source::World => Source::WORLD,
        }
    }

    /// The device, when a device recorded it.
    pub fn device(&self) -> Option<&DeviceId> {
        match self {
            Source::Device(d) => Some(d),
            _ => None,
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str()) // honours widths: the human trace aligns its columns
    }
}

impl PartialEq<&str> for Source {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Source, D::Error> {
        let name = String::deserialize(d)?;
        Ok(Source::parse(&name))
    }
}

/// Everything the trace can say. Grouped by who records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    // --- ZIM server ---
    ConnOpened {
        conn: ConnId,
    },
    ConnClosed {
        conn: ConnId,
    },
    FrameIn {
        conn: ConnId,
        frame: ClientFrame,
    },
    FrameOut {
        conn: ConnId,
        frame: ServerFrame,
    },
    /// Bytes that did not decode; the connection is closed.
    BadFrame {
        conn: ConnId,
        error: String,
    },
    /// A frame over the size limit, skipped unread (`req` as its first bytes show it).
    FrameTooLarge {
        conn: ConnId,
        len: usize,
        req: Option<u64>,
    },
    Server {
        event: ServerEvent,
    },

    // --- ZPNs relay ---
    /// The relay refused one push of a hand-over outright.
    RelayRejected {
        message_id: MessageId,
        push_id: PushId,
        error: String,
    },
    VendorCall {
        call: VendorCall,
    },
    VendorOutcome {
        outcome: PushOutcome,
    },
    /// The relay's access-token request to a vendor ended.
    RelayAuth {
        outcome: AuthOutcome,
    },
    /// The relay gave up waiting for a vendor's answer to one try.
    VendorTimeout {
        timeout: TimedOut,
    },

    // --- vendors ---
    Vendor {
        event: VendorEvent,
    },

    // --- the app's backend ---
    /// The ZIM server's answer to a backend call (`None`: no answer came).
    BackendAnswer {
        answer: Option<zimsim_reference::server_api::Answer>,
    },

    // --- devices ---
    /// A scenario step as the device (or, for world steps, the world) carried it out.
    Step {
        action: Action,
    },

    AppLaunched,
    AppKilled,
    /// The app was uninstalled: its process and local data are gone.
    AppUninstalled,
    /// The vendor told the OS it threw away notifications it held for the app (FCM's
    /// `onDeletedMessages`).
    DeletedMessages {
        vendor_host: String,
        app: String,
    },
    App {
        event: AppEvent,
    },
    /// The OS received a push from `vendor` while the app was in state `app`: a
    /// notification, or with `message_kind: data` a data message for the app alone; `shown` when
    /// the OS put it in the tray (in place of `replaced`, one with the same replace key).
    /// Whether it also went to the app follows from the vendor, the state and the kind.
    Notification {
        id: String,
        vendor: Vendor,
        #[serde(default, skip_serializing_if = "is_not_running")]
        app: AppState,
        #[serde(default, skip_serializing_if = "is_notification")]
        message_kind: MessageKind,
        shown: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replaced: Option<String>,
        notification: Notification,
    },
    /// The push resources ZEGO's console holds for the app (recorded at the start of a run
    /// that configures any): what each `resourcesID` asks of each vendor.
    PushResources {
        resources: BTreeMap<String, PushResource>,
    },
    /// The running app went to the background, froze or came back to the foreground.
    AppState {
        state: AppState,
    },
    /// The user tapped the notification `id` in the tray.
    NotificationTapped {
        id: String,
    },
    /// The OS asked the user whether the app may show notifications.
    PermissionPrompt {
        granted: bool,
    },
    /// The device's OS registered with a vendor and holds this token.
    OsToken {
        vendor_host: String,
        token: String,
        /// A VoIP (PushKit) token; left out for an alert token. (Not `kind`: that names
        /// the record's variant.)
        #[serde(default, skip_serializing_if = "TokenKind::is_alert")]
        token_kind: TokenKind,
    },
}

fn is_not_running(state: &AppState) -> bool {
    *state == AppState::NotRunning
}

fn is_notification(kind: &MessageKind) -> bool {
    *kind == MessageKind::Notification
}

/// Where shells send records and read the time. The simulation implements it over
/// turmoil's clock; live mode will implement it over the process clock.
pub trait Env {
    fn now(&self) -> Millis;
    fn record(&self, src: Source, event: Event);
}

/// The simulation's [`Env`]: one shared, ordered record list and turmoil's global clock.
#[derive(Clone, Debug, Default)]
pub struct SimEnv {
    records: Rc<RefCell<Vec<Record>>>,
}

impl SimEnv {
    /// Records from outside any host (the driver loop), at the simulation's time `t`.
    pub fn record_at(&self, t: Millis, src: Source, event: Event) {
        let r = Record { t, src, event };
        log(&r);
        self.records.borrow_mut().push(r);
    }

    pub fn take(&self) -> Vec<Record> {
        std::mem::take(&mut self.records.borrow_mut())
    }
}

/// The simulated time, when called from inside a simulated host (for log lines).
pub fn sim_now() -> Option<Millis> {
    turmoil::sim_elapsed().map(|d| Millis(d.as_millis() as u64))
}

/// Mirrors a record to the log (`RUST_LOG=zimsim::trace=debug`). Logs are for people
/// watching a run; they are never part of the trace or its hash.
fn log(r: &Record) {
    tracing::debug!(target: "zimsim::trace", t = %r.t, src = %r.src, "{}", serde_json::to_string(&r.event).unwrap_or_default());
}

impl Env for SimEnv {
    fn now(&self) -> Millis {
        sim_now().unwrap_or_default()
    }

    fn record(&self, src: Source, event: Event) {
        let r = Record { t: self.now(), src, event };
        log(&r);
        self.records.borrow_mut().push(r);
    }
}

/// An [`Env`] on the process clock, for shells running on real sockets. Times are
/// milliseconds since the env was created.
#[derive(Clone, Debug)]
pub struct RealEnv {
    start: tokio::time::Instant,
    records: Rc<RefCell<Vec<Record>>>,
}

impl RealEnv {
    pub fn new() -> RealEnv {
        RealEnv { start: tokio::time::Instant::now(), records: Rc::default() }
    }

    pub fn take(&self) -> Vec<Record> {
        std::mem::take(&mut self.records.borrow_mut())
    }
}

impl Default for RealEnv {
    fn default() -> Self {
        RealEnv::new()
    }
}

impl Env for RealEnv {
    fn now(&self) -> Millis {
        Millis(self.start.elapsed().as_millis() as u64)
    }

    fn record(&self, src: Source, event: Event) {
        let r = Record { t: self.now(), src, event };
        log(&r);
        self.records.borrow_mut().push(r);
    }
}

/// The SHA-256 of the trace's JSON lines, in hex: equal hashes mean identical traces.
pub fn hash(records: &[Record]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for r in records {
        h.update(serde_json::to_vec(r).expect("records serialize"));
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// The trace as JSON lines (the `--trace FILE` format).
pub fn to_json_lines(records: &[Record]) -> String {
    let mut out = String::new();
    for r in records {
        out.push_str(&serde_json::to_string(r).expect("records serialize"));
        out.push('\n');
    }
    out
}

/// One line per record: time, source, kind, then the rest of the event as compact JSON.
pub fn to_human(records: &[Record]) -> String {
    let mut out = String::new();
    for r in records {
        let mut v = serde_json::to_value(&r.event).expect("events serialize");
        let kind = v
            .as_object_mut()
            .and_then(|o| o.remove("kind"))
            .and_then(|k| k.as_str().map(str::to_owned))
            .unwrap_or_default();
        let rest = match v.as_object() {
            Some(o) if o.is_empty() => String::new(),
            Some(o) if o.len() == 1 => o.values().next().map(|x| x.to_string()).unwrap_or_default(),
            _ => v.to_string(),
        };
        let _ = writeln!(out, "{:>9} {:<16} {:<15} {}", r.t.to_string(), r.src, kind, rest);
    }
    out
}

/// Counts over a trace: the `stats` of the run report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Messages the ZIM server stored.
    pub messages_accepted: u64,
    /// `message_received` events on devices (each message once per device and user).
    pub messages_surfaced: u64,
    /// Pushes the ZIM server handed to the relay.
    pub pushes_submitted: u64,
    /// Requests the relay sent to vendors.
    pub vendor_requests: u64,
    /// Vendor requests that were rejected or got no answer.
    pub vendor_errors: u64,
    /// Notifications the OS displayed (app not running).
    pub notifications_shown: u64,
    /// Notifications handed to a running app instead.
    pub notifications_to_app: u64,
    pub bindings_added: u64,
    pub bindings_removed: u64,
    /// Client protocol frames in and out of the ZIM server.
    pub frames: u64,
    /// Trace records in all.
    pub records: u64,
    /// The push path per vendor (`apns`, `fcm`, ...), for vendors the run used.
    #[serde(default)]
    pub vendors: BTreeMap<Vendor, VendorStats>,
}

/// One vendor's share of the push path: what the relay sent it and how each call ended.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorStats {
    /// Requests sent, retries included.
    pub requests: u64,
    /// Of those, retries of an earlier request.
    pub retries: u64,
    /// Tries the relay gave up waiting for (each then retried, or the call unreachable).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub timeouts: u64,
    /// Calls the vendor accepted.
    pub delivered: u64,
    /// Calls that found the token dead (each one reported to ZIM).
    pub dead_tokens: u64,
    /// Calls that ended refused or unanswered, by the vendor's reason (`unreachable` for
    /// no answer).
    pub failed: BTreeMap<String, u64>,
}

impl Stats {
    pub fn of(records: &[Record]) -> Stats {
        let mut s = Stats { records: records.len() as u64, ..Stats::default() };
        for r in records {
            match &r.event {
                Event::Server { event: ServerEvent::MessageAccepted { .. } } => s.messages_accepted += 1,
                Event::Server { event: ServerEvent::Bound { .. } } => s.bindings_added += 1,
                Event::Server { event: ServerEvent::Unbound { .. } } => s.bindings_removed += 1,
                Event::App { event: AppEvent::MessageReceived { .. } } => s.messages_surfaced += 1,
                Event::Server { event: ServerEvent::PushSubmitted { .. } } => s.pushes_submitted += 1,
                Event::VendorCall { call } => {
                    s.vendor_requests += 1;
                    let v = s.vendors.entry(call.push_id.vendor).or_default();
                    v.requests += 1;
                    v.retries += u64::from(call.attempt > 1);
                }
                Event::VendorTimeout { timeout } => s.vendors.entry(timeout.push_id.vendor).or_default().timeouts += 1,
                Event::VendorOutcome { outcome } => {
                    s.vendor_errors += u64::from(outcome.result != PushResult::Accepted);
                    let v = s.vendors.entry(outcome.push_id.vendor).or_default();
                    match &outcome.result {
                        PushResult::Accepted => v.delivered += 1,
                        PushResult::DeadToken { .. } => v.dead_tokens += 1,
                        PushResult::Rejected { reason, .. } => *v.failed.entry(reason.clone()).or_default() += 1,
                        PushResult::Unreachable => *v.failed.entry("unreachable".into()).or_default() += 1,
                    }
                }
                Event::Notification { shown: true, .. } => s.notifications_shown += 1,
                Event::Notification { shown: false, .. } => s.notifications_to_app += 1,
                Event::FrameIn { .. } | Event::FrameOut { .. } => s.frames += 1,
                _ => {}
            }
        }
        s
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
