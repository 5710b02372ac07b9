//! Built-in mutants: deliberately broken variants of a reference part, each reproducing a
//! bug class real SDK or relay teams hit. Every mutant names the invariant it breaks, and a
//! test shows that invariant turning `violated` when the mutant runs. They are built as
//! wrappers around the reference parts through the same plug-in traits a foreign SDK or
//! relay would use.

use serde::Serialize;
use std::rc::Rc;
use zimsim_reference::client::{
    AppCall, AppEvent, ClientSdk, ReferenceSdk, SdkConfig, SdkFactory, SdkInput, SdkOutput, ZpnsConfig,
};
use zimsim_reference::core::{ApiRequest, Core};
use zimsim_reference::pushid::{Environment, Vendor};
use zimsim_reference::relay::{Relay, RelayInput, RelayOutput, VendorCall};
use zimsim_reference::wire::{ClientFrame, DeadToken, PushBatch, PushRequest, ServerFrame};
use zimsim_reference::Millis;
use zimsim_sim::generate::FaultMix;
use zimsim_sim::world::Parts;

/// One built-in broken variant.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Mutant {
    pub name: &'static str,
    /// The part it replaces: `sdk`, `relay` or `server`.
    pub part: &'static str,
    /// The invariant it is expected to break.
    pub breaks: &'static str,
    /// The built-in scenario that shows the break (`zimsim run --mutant` plays it).
    pub scenario: &'static str,
    /// The faults generated worlds need to show the break (a flaw in failure handling
    /// shows only when something fails).
    #[serde(skip)]
    pub faults: FaultMix,
    pub description: &'static str,
    #[serde(skip)]
    install: fn(&mut Parts),
}

impl Mutant {
    /// Replaces the part this mutant breaks.
    pub fn install(&self, parts: &mut Parts) {
        (self.install)(parts)
    }
}

/// Every built-in mutant.
pub fn all() -> Vec<Mutant> {
    vec![
        Mutant {
            name: "sdk-skips-unbind-on-logout",
            part: "sdk",
            breaks: "logout-clears-pushid",
            scenario: "canonical",
            faults: FaultMix::None,
            description: "logout only tears down the local session: it reports success to the app without \
                          telling the server, so the PushID stays bound",
            install: |p| p.sdk = Rc::new(Wrap("sdk-skips-unbind-on-logout", SdkFlaw::SkipUnbind)),
        },
        Mutant {
            name: "relay-ignores-environment",
            part: "relay",
            breaks: "debug-pushid-isolation",
            scenario: "canonical",
            faults: FaultMix::None,
            description: "the relay ignores the PushID's environment and pushes everything through production \
                          endpoints and credentials",
            install: |p| p.relay = Rc::new(|c| Box::new(RewritePushes(Relay::new(c), ignore_environment))),
        },
        Mutant {
            name: "sdk-skips-sync",
            part: "sdk",
            breaks: "exactly-once-delivery",
            scenario: "canonical",
            faults: FaultMix::None,
            description: "the SDK never syncs after login, so messages sent while it was offline are never \
                          surfaced (only their notifications are)",
            install: |p| p.sdk = Rc::new(Wrap("sdk-skips-sync", SdkFlaw::SkipSync)),
        },
        Mutant {
            name: "sdk-forgets-logout-on-kill",
            part: "sdk",
            breaks: "logout-clears-pushid",
            scenario: "logout-then-kill",
            faults: FaultMix::None,
            description: "the SDK keeps a pending logout in memory only: an app killed before the logout \
                          left forgets it, and the PushID stays bound",
            install: |p| p.sdk = Rc::new(Wrap("sdk-forgets-logout-on-kill", SdkFlaw::ForgetLogout)),
        },
        Mutant {
            name: "relay-drops-pushes",
            part: "relay",
            breaks: "offline-push-notified",
            scenario: "canonical",
            faults: FaultMix::None,
            description: "the relay answers every push request with success and never calls a vendor, so \
                          offline users are silently never notified",
            install: |p| p.relay = Rc::new(|c| Box::new(RewritePushes(Relay::new(c), |_| None))),
        },
        Mutant {
            name: "server-keeps-other-users-bindings",
            part: "server",
            breaks: "no-cross-user-leak",
            scenario: "user-switch",
            faults: FaultMix::None,
            description: "a login from an install leaves other users' PushIDs from that install bound, \
                          trusting the app to have logged them out",
            install: |p| p.tune_server = |c| c.one_user_per_install = false,
        },
        Mutant {
            name: "server-pushes-online-users",
            part: "server",
            breaks: "no-push-to-online-device",
            scenario: "group-chat",
            faults: FaultMix::None,
            description: "the server pushes every message with a push config, also to recipients whose \
                          session is live (the phone shows a notification for a chat on screen)",
            install: |p| p.tune_server = |c| c.defects.push_online_users = true,
        },
        Mutant {
            name: "server-pushes-the-sender",
            part: "server",
            breaks: "no-self-push",
            scenario: "canonical",
            faults: FaultMix::None,
            description: "the server pushes a message to its sender's own PushIDs as well",
            install: |p| p.tune_server = |c| c.defects.push_the_sender = true,
        },
        Mutant {
            name: "server-pushes-room-messages",
            part: "server",
            breaks: "room-messages-never-pushed",
            scenario: "group-chat",
            faults: FaultMix::None,
            description: "the server honours the push config of room messages, pushing members whose \
                          session times out before they read it",
            install: |p| p.tune_server = |c| c.defects.push_room_messages = true,
        },
        Mutant {
            name: "server-pushes-without-config",
            part: "server",
            breaks: "push-requires-push-config",
            scenario: "kick-out",
            faults: FaultMix::None,
            description: "the server pushes messages sent without a push config, with an empty notification",
            install: |p| p.tune_server = |c| c.defects.push_without_config = true,
        },
        Mutant {
            name: "server-keeps-kicked-bindings",
            part: "server",
            breaks: "single-device-kickout",
            scenario: "kick-out",
            faults: FaultMix::None,
            description: "a login from another install kicks the old session out but leaves that install's \
                          PushID bound, so it keeps getting the user's pushes",
            install: |p| p.tune_server = |c| c.defects.keep_kicked_bindings = true,
        },
        Mutant {
            name: "server-stale-owner-index",
            part: "server",
            breaks: "pushid-single-owner",
            scenario: "switch-with-push",
            faults: FaultMix::None,
            description: "when another user takes a PushID (a user switch without logout), the old owner's \
                          pushes still go to it",
            install: |p| {
                p.tune_server = |c| {
                    c.one_user_per_install = false;
                    c.defects.stale_owner_index = true;
                }
            },
        },
        Mutant {
            name: "server-ignores-dnd",
            part: "server",
            breaks: "dnd-suppresses-push",
            scenario: "settings",
            faults: FaultMix::None,
            description: "the server pushes conversations the recipient set to do-not-disturb",
            install: |p| p.tune_server = |c| c.defects.ignore_dnd = true,
        },
        Mutant {
            name: "server-badge-forgets-count",
            part: "server",
            breaks: "badge-arithmetic",
            scenario: "settings",
            faults: FaultMix::None,
            description: "the server sets an install's badge to each push's increment instead of adding it \
                          to the count",
            install: |p| p.tune_server = |c| c.defects.badge_forgets_count = true,
        },
        Mutant {
            name: "server-ignores-push-rule",
            part: "server",
            breaks: "push-rule-respected",
            scenario: "multi-device",
            faults: FaultMix::None,
            description: "the server pushes every offline install, whatever the user's offline-push rule says",
            install: |p| p.tune_server = |c| c.defects.ignore_push_rule = true,
        },
        Mutant {
            name: "sdk-loses-local-store-on-kill",
            part: "sdk",
            breaks: "at-most-once-delivery",
            scenario: "kick-out",
            faults: FaultMix::None,
            description: "the SDK keeps its message cursors and seen IDs in memory only: after an app kill it \
                          syncs from the start and shows every message again",
            install: |p| p.sdk = Rc::new(Wrap("sdk-loses-local-store-on-kill", SdkFlaw::ForgetMessages)),
        },
        Mutant {
            name: "sdk-surfaces-sync-backwards",
            part: "sdk",
            breaks: "conversation-order",
            scenario: "canonical",
            faults: FaultMix::None,
            description: "the SDK hands the app each sync batch newest first",
            install: |p| p.sdk = Rc::new(Wrap("sdk-surfaces-sync-backwards", SdkFlaw::ReverseSync)),
        },
        Mutant {
            name: "sdk-ignores-push-config",
            part: "sdk",
            breaks: "disabled-vendor-unused",
            scenario: "android-vendors",
            faults: FaultMix::None,
            description: "the SDK reads setPushConfig as if every channel were on: a Xiaomi phone whose app \
                          left MiPush off registers with MiPush, an app without FCM registers with FCM",
            install: |p| p.sdk = Rc::new(Wrap("sdk-ignores-push-config", SdkFlaw::EnableEveryVendor)),
        },
        Mutant {
            name: "sdk-arrived-for-every-vendor",
            part: "sdk",
            breaks: "callback-per-vendor",
            scenario: "app-states",
            faults: FaultMix::None,
            description: "the SDK raises notificationArrived for whatever the OS hands it, so an app in the \
                          foreground hears of an FCM push through the wrong callback",
            install: |p| p.sdk = Rc::new(Wrap("sdk-arrived-for-every-vendor", SdkFlaw::ArrivedForEveryVendor)),
        },
        Mutant {
            name: "relay-ignores-dead-tokens",
            part: "relay",
            breaks: "dead-token-unbound",
            scenario: "dead-tokens",
            faults: FaultMix::None,
            description: "the relay logs a vendor's dead-token answer and moves on: it never tells ZIM, so the \
                          dead PushID stays bound and every later message is pushed to it in vain",
            install: |p| p.relay = Rc::new(|c| Box::new(DeadTokenFlaw::new(Relay::new(c), DeadTokenFlaw::SILENT))),
        },
        Mutant {
            name: "relay-unbinds-on-5xx",
            part: "relay",
            breaks: "live-token-retained",
            scenario: "dead-tokens",
            faults: FaultMix::Light,
            description: "the relay reads a vendor's 5xx or 429 as a dead token and has ZIM unbind a live \
                          PushID, so one bad minute at a vendor silences its users for good",
            install: |p| p.relay = Rc::new(|c| Box::new(DeadTokenFlaw::new(Relay::new(c), DeadTokenFlaw::ON_5XX))),
        },
        Mutant {
            name: "relay-retries-without-idempotency-key",
            part: "relay",
            breaks: "at-most-one-notification",
            scenario: "slow-vendor",
            faults: FaultMix::Light,
            description: "the relay mints a new idempotency key (apns-id, vivo requestId) for every retry, so a \
                          vendor that delivered a try whose answer was lost delivers the retry too, and the \
                          phone shows the message twice",
            install: |p| {
                p.relay = Rc::new(|c| Box::new(RewriteCalls { relay: Relay::new(c), rewrite: fresh_key_on_retry }))
            },
        },
        Mutant {
            name: "relay-without-replace-keys",
            part: "relay",
            breaks: "at-most-one-notification",
            scenario: "slow-vendor",
            faults: FaultMix::Light,
            description: "the relay sends no replace key (apns-collapse-id, FCM and HMS tag, Xiaomi notify_id), \
                          so when a vendor delivers a retried send again the phone shows the message twice",
            install: |p| {
                p.relay = Rc::new(|c| Box::new(RewriteCalls { relay: Relay::new(c), rewrite: strip_replace_keys }))
            },
        },
        Mutant {
            name: "relay-ignores-push-resources",
            part: "relay",
            breaks: "offline-push-notified",
            scenario: "data-messages",
            faults: FaultMix::None,
            description: "the relay maps every push with the default strategy, whatever resourcesID it names: a \
                          push the console makes an FCM data message goes out as a notification, and the phone \
                          shows what was meant for the app alone",
            install: |p| {
                p.relay = Rc::new(|mut c| {
                    c.apps.resources.clear();
                    Box::new(Relay::new(c))
                })
            },
        },
    ]
}

/// The mutant called `name`.
pub fn find(name: &str) -> Option<Mutant> {
    all().into_iter().find(|m| m.name == name)
}

/// An SDK factory that launches the reference SDK with one flaw.
struct Wrap(&'static str, SdkFlaw);

impl SdkFactory for Wrap {
    fn name(&self) -> String {
        format!("mutant:{}", self.0)
    }

    fn launch(&self, config: SdkConfig, persisted: Option<serde_json::Value>) -> Box<dyn ClientSdk> {
        Box::new(FlawedSdk { inner: ReferenceSdk::new(config, persisted), flaw: self.1, now: Millis::ZERO })
    }
}

/// What a mutant SDK does wrong.
#[derive(Clone, Copy, Debug)]
enum SdkFlaw {
    /// Swallows the `Logout` frame and answers it itself, as if the server had.
    SkipUnbind,
    /// Drops every `Sync` frame.
    SkipSync,
    /// Leaves the pending logout out of the SDK's durable data.
    ForgetLogout,
    /// Leaves the message store (cursors, seen IDs) out of the SDK's durable data.
    ForgetMessages,
    /// Reverses each sync batch before the SDK reads it.
    ReverseSync,
    /// Turns every vendor channel of a `setPushConfig` on.
    EnableEveryVendor,
    /// Raises `notificationArrived` where the vendor's callback is `throughMessageReceived`.
    ArrivedForEveryVendor,
}

/// The reference SDK with one flaw, behind the same contract a foreign SDK keeps.
struct FlawedSdk {
    inner: ReferenceSdk,
    flaw: SdkFlaw,
    now: Millis,
}

impl Core for FlawedSdk {
    type Input = SdkInput;
    type Output = SdkOutput;

    fn handle(&mut self, now: Millis, mut input: SdkInput) {
        self.now = now;
        if let (SdkFlaw::ReverseSync, SdkInput::Frame { frame: ServerFrame::SyncBatch { messages, .. } }) =
            (self.flaw, &mut input)
        {
            messages.reverse();
        }
        if let (SdkFlaw::EnableEveryVendor, SdkInput::App { call: AppCall::SetPushConfig { config } }) =
            (self.flaw, &mut input)
        {
            *config = ZpnsConfig::all();
        }
        self.inner.handle(now, input);
    }

    fn poll_output(&mut self) -> Option<SdkOutput> {
        loop {
            match (self.flaw, self.inner.poll_output()?) {
                (SdkFlaw::SkipUnbind, SdkOutput::Send { frame: ClientFrame::Logout { req } }) => {
                    self.inner.handle(self.now, SdkInput::Frame { frame: ServerFrame::LogoutOk { req } });
                }
                (SdkFlaw::SkipSync, SdkOutput::Send { frame: ClientFrame::Sync { .. } }) => {}
                (
                    SdkFlaw::ArrivedForEveryVendor,
                    SdkOutput::Event { event: AppEvent::ThroughMessageReceived { notification } },
                ) => return Some(SdkOutput::Event { event: AppEvent::NotificationArrived { notification } }),
                (_, other) => return Some(other),
            }
        }
    }

    fn poll_timeout(&self) -> Option<Millis> {
        self.inner.poll_timeout()
    }
}

impl ClientSdk for FlawedSdk {
    fn persisted(&self) -> serde_json::Value {
        let mut data = self.inner.persisted();
        match (self.flaw, data.as_object_mut()) {
            (SdkFlaw::ForgetLogout, Some(map)) => {
                map.remove("pending_logout");
            }
            (SdkFlaw::ForgetMessages, Some(map)) => {
                map.insert("users".into(), serde_json::json!({}));
            }
            _ => {}
        }
        data
    }
}

/// The reference relay behind a broken front door: `rewrite` sees every push of a
/// hand-over first and passes on a changed one, or swallows it (`None`) while the relay
/// still answers 202.
struct RewritePushes(Relay, fn(PushRequest) -> Option<PushRequest>);

impl Core for RewritePushes {
    type Input = RelayInput;
    type Output = RelayOutput;

    fn handle(&mut self, now: Millis, input: RelayInput) {
        let input = match input {
            RelayInput::Api(ApiRequest { id, request }) => match PushBatch::from_http(&request) {
                Ok(batch) => {
                    let pushes = batch.pushes.into_iter().filter_map(self.1).collect();
                    RelayInput::Api(ApiRequest { id, request: PushBatch { pushes }.to_http() })
                }
                Err(_) => RelayInput::Api(ApiRequest { id, request }),
            },
            other => other,
        };
        self.0.handle(now, input);
    }

    fn poll_output(&mut self) -> Option<RelayOutput> {
        self.0.poll_output()
    }

    fn poll_timeout(&self) -> Option<Millis> {
        self.0.poll_timeout()
    }
}

/// Every PushID goes out as a production one.
fn ignore_environment(mut request: PushRequest) -> Option<PushRequest> {
    request.push_id.env = Environment::Production;
    Some(request)
}

/// The reference relay with its dead-token reports broken: `silent` drops every report to
/// ZIM; `on_5xx` adds a report for every 5xx or 429 answer a vendor gives.
struct DeadTokenFlaw {
    relay: Relay,
    silent: bool,
    on_5xx: bool,
    /// Which PushID each call is for, from the calls the relay made.
    calls: std::collections::BTreeMap<u64, zimsim_reference::pushid::PushId>,
    extra: std::collections::VecDeque<RelayOutput>,
    next_report: u64,
}

impl DeadTokenFlaw {
    const SILENT: (bool, bool) = (true, false);
    const ON_5XX: (bool, bool) = (false, true);

    fn new(relay: Relay, (silent, on_5xx): (bool, bool)) -> DeadTokenFlaw {
        DeadTokenFlaw {
            relay,
            silent,
            on_5xx,
            calls: Default::default(),
            extra: Default::default(),
            next_report: 1 << 40,
        }
    }
}

impl Core for DeadTokenFlaw {
    type Input = RelayInput;
    type Output = RelayOutput;

    fn handle(&mut self, now: Millis, input: RelayInput) {
        match &input {
            RelayInput::VendorResponse { call, response, .. }
                if self.on_5xx && (response.status >= 500 || response.status == 429) =>
            {
                if let Some(push_id) = self.calls.get(call) {
                    let report = DeadToken { push_id: push_id.clone(), reason: format!("HTTP {}", response.status) };
                    self.extra.push_back(RelayOutput::ToZim { id: self.next_report, request: report.to_http() });
                    self.next_report += 1;
                }
            }
            RelayInput::ZimAnswered { id, .. } if *id >= 1 << 40 => return, // one of ours
            _ => {}
        }
        self.relay.handle(now, input);
    }

    fn poll_output(&mut self) -> Option<RelayOutput> {
        if let Some(out) = self.extra.pop_front() {
            return Some(out);
        }
        loop {
            let out = self.relay.poll_output()?;
            match &out {
                RelayOutput::ToZim { .. } if self.silent => continue,
                RelayOutput::Call(c) => {
                    self.calls.insert(c.call, c.push_id.clone());
                }
                _ => {}
            }
            return Some(out);
        }
    }

    fn poll_timeout(&self) -> Option<Millis> {
        self.relay.poll_timeout()
    }
}

/// The reference relay with each vendor call it makes rewritten on the way out.
struct RewriteCalls {
    relay: Relay,
    rewrite: fn(&mut VendorCall),
}

impl Core for RewriteCalls {
    type Input = RelayInput;
    type Output = RelayOutput;

    fn handle(&mut self, now: Millis, input: RelayInput) {
        self.relay.handle(now, input);
    }

    fn poll_output(&mut self) -> Option<RelayOutput> {
        match self.relay.poll_output()? {
            RelayOutput::Call(mut call) => {
                (self.rewrite)(&mut call);
                Some(RelayOutput::Call(call))
            }
            other => Some(other),
        }
    }

    fn poll_timeout(&self) -> Option<Millis> {
        self.relay.poll_timeout()
    }
}

/// Every retry goes out under a fresh idempotency key: a new `apns-id` for APNs, a new
/// `requestId` for vivo. The vendor cannot tell the retry from a new send, so one whose
/// earlier try it carried out (the answer lost or late) delivers again.
fn fresh_key_on_retry(call: &mut VendorCall) {
    let (n, attempt) = (call.call, call.attempt);
    if attempt == 1 {
        return;
    }
    let request = &mut call.request;
    match call.push_id.vendor {
        Vendor::Apns => {
            let fresh = format!("{:08x}-0000-4000-9000-{n:012x}", 0x3100_0000 + attempt);
            for (name, value) in &mut request.headers {
                if name.eq_ignore_ascii_case("apns-id") {
                    *value = fresh.clone();
                }
            }
        }
        Vendor::Vivo => {
            if let Ok(mut body) = serde_json::from_slice::<serde_json::Value>(&request.body) {
                body["requestId"] = serde_json::json!(format!("retry-{n}-{attempt}"));
                request.body = body.to_string().into_bytes();
            }
        }
        _ => {}
    }
}

/// No replace key: no `apns-collapse-id`, no FCM or HMS `android.notification.tag`, no
/// Xiaomi `notify_id`. A second delivery of the same push is then a second notification.
fn strip_replace_keys(call: &mut VendorCall) {
    let request = &mut call.request;
    match call.push_id.vendor {
        Vendor::Apns => request.headers.retain(|(name, _)| !name.eq_ignore_ascii_case("apns-collapse-id")),
        Vendor::Fcm | Vendor::Hms => {
            if let Ok(mut body) = serde_json::from_slice::<serde_json::Value>(&request.body) {
                if let Some(n) = body.pointer_mut("/message/android/notification").and_then(|n| n.as_object_mut()) {
                    n.remove("tag");
                }
                request.body = body.to_string().into_bytes();
            }
        }
        Vendor::Mi => {
            let form = form_urlencoded::parse(&request.body).filter(|(k, _)| k != "notify_id");
            let form = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
            request.body = form.into_bytes();
        }
        Vendor::Oppo | Vendor::Vivo => {}
    }
}
