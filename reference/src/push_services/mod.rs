//! Fake push vendors. Each is a sans-IO core with two faces:
//! - the provider API (what the ZPNs relay calls), as an [`HttpRequest`] -> [`HttpResponse`]
//!   handler that checks the vendor's real request shape and answers with its real errors;
//! - the device channel (what the phone's OS keeps open to the vendor), framed JSON over TCP,
//!   on which devices get tokens and notifications.
//!
//! This module owns what the vendors share: the channel frames, device-token issuing, the
//! access tokens of vendors with a token endpoint, the store-and-forward of notifications
//! to devices that are not connected, and the [`Verdict`] classes the relay acts on.
//!
//! Each vendor has one folder, and each folder owns three things about its vendor: the fake
//! (`mod.rs`: the checks as a reason enum, the answers), the `contract` (the request the
//! relay builds, and how the relay reads the answer) and the `decode`r of what reaches the
//! device (used by the SDK, as a real SDK parses its vendor's payload).
//!
//! - [`apns`]: APNs, one instance per environment (sandbox, production).
//! - [`fcm`]: FCM HTTP v1, with one project per environment.
//! - [`hms`]: Huawei Push Kit (OAuth and send API), with one app ID per environment.
//! - [`mi`]: Xiaomi MiPush (`/v3/message/regid`), with one app per environment.
//! - [`oppo`]: OPPO Push, with one app key per environment.
//! - [`vivo`]: vivo Push, with one app ID per environment.
//!
//! [`apps`] holds the app's IDs and credentials at every vendor, and builds each fake;
//! [`resources`] the console's push strategies a push config's `resourcesID` names.

pub mod apns;
pub mod apps;
pub mod fcm;
pub mod hms;
mod jwt;
pub mod mi;
pub mod oppo;
pub mod resources;
pub mod vivo;

use crate::client::AppState;
use crate::core::{ApiRequest, ApiResponse, Core};
use crate::http::{HttpRequest, HttpResponse};
use crate::ids::{ConnId, DeviceId};
use crate::pushid::{Environment, TokenKind, Vendor};
use crate::time::Millis;
use crate::wire::Notification;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// What reaches a vendor fake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VendorInput {
    /// A provider API request (what the ZPNs relay calls).
    Api(ApiRequest),
    /// A device opened a channel to the vendor.
    ChannelOpen {
        channel: ConnId,
    },
    ChannelFrame {
        channel: ConnId,
        frame: DeviceToVendor,
    },
    ChannelClose {
        channel: ConnId,
    },
    /// The vendor's front end (re)started: every device channel is gone. Tokens and stored
    /// notifications live in the vendor's durable storage and survive.
    Restart,
    /// The next `count` sends fail with HTTP `status` (and `Retry-After` when given), in
    /// the vendor's own error shape; `count` 0 ends a failure in force. A fault the world
    /// injects: token endpoints and device channels are not affected.
    Fail {
        status: u16,
        count: u32,
        retry_after_s: Option<u64>,
    },
    /// The next `count` sends are answered `ms` late: the vendor carries each out at once
    /// (a notification goes to the device, an injected failure is decided) but holds its
    /// HTTP answer back, as a vendor behind an overloaded front end does. `count` 0 ends
    /// it. Combined with [`VendorInput::Fail`], the failures are the slow answers.
    Slow {
        ms: u64,
        count: u32,
    },
    Tick,
}

/// Any vendor fake, as its shell drives it.
pub type DynVendor = Box<dyn Core<Input = VendorInput, Output = VendorOutput>>;

/// What one vendor fake adds to the machinery every vendor shares: its provider API and
/// its token rules. Every `VendorApi` is a [`Core`] through the [`Directory`] it holds.
pub trait VendorApi {
    /// Answers one provider API request at `now`.
    fn answer(&mut self, req: &HttpRequest, now: Millis) -> HttpResponse;
    /// Whether `req` is a send (what an injected failure hits), not a token-endpoint call.
    fn is_send(&self, req: &HttpRequest) -> bool;
    /// The answer to a send while the service fails with `status`: the vendor's own error
    /// body (the relay reads these as it reads real ones).
    fn failure(&self, status: u16) -> HttpResponse {
        HttpResponse::new(status)
    }
    /// The environment whose credentials reach tokens issued for `project` (the FCM sender
    /// project, an Android vendor's app ID; APNs serves one environment per instance), or
    /// why no token can be issued for it.
    fn token_env(&self, project: Option<&str>) -> Result<Environment, String>;
    /// Whether the vendor issues VoIP (PushKit) tokens besides alert tokens: APNs alone.
    fn issues_voip_tokens(&self) -> bool {
        false
    }
    /// Draws a new device token in the vendor's format.
    fn new_token(rng: &mut ChaCha8Rng) -> String
    where
        Self: Sized;
    fn directory(&mut self) -> &mut Directory;
    fn directory_ref(&self) -> &Directory;
}

impl<V: VendorApi> Core for V {
    type Input = VendorInput;
    type Output = VendorOutput;

    fn handle(&mut self, now: Millis, input: VendorInput) {
        match input {
            VendorInput::Api(ApiRequest { id, request }) => {
                let send = self.is_send(&request);
                let failing = send.then(|| self.directory().failing.take()).flatten();
                let response = match failing {
                    Some(f) => {
                        if f.count > 1 {
                            self.directory().failing = Some(Failing { count: f.count - 1, ..f });
                        }
                        let mut response = self.failure(f.status);
                        if let Some(s) = f.retry_after_s {
                            response = response.header("retry-after", s.to_string());
                        }
                        let token = None;
                        let reason = Some(format!("injected {}", f.status));
                        // The service's own failure, never a refusal of the token.
                        let event =
                            VendorEvent::Request { env: None, token, status: f.status, reason, token_refused: false };
                        self.directory().event(event);
                        response
                    }
                    None => self.answer(&request, now),
                };
                let dir = self.directory();
                match send.then(|| dir.slow.take()).flatten() {
                    Some((ms, count)) => {
                        dir.slow = (count > 1).then_some((ms, count - 1));
                        dir.held.insert((now.plus(ms), id), response);
                    }
                    None => dir.outputs.push_back(VendorOutput::Respond(ApiResponse { id, response })),
                }
            }
            VendorInput::Fail { status, count, retry_after_s } => {
                self.directory().failing = (count > 0).then_some(Failing { status, count, retry_after_s });
            }
            VendorInput::Slow { ms, count } => self.directory().slow = (count > 0).then_some((ms, count)),
            VendorInput::ChannelOpen { channel } => self.directory().on_channel_open(channel),
            VendorInput::ChannelFrame { channel, frame } => {
                let env = match &frame {
                    DeviceToVendor::RequestToken { project, .. } | DeviceToVendor::RefreshToken { project, .. } => {
                        Some(self.token_env(project.as_deref()))
                    }
                    DeviceToVendor::RequestVoipToken { .. } | DeviceToVendor::RefreshVoipToken { .. } => {
                        Some(match self.issues_voip_tokens() {
                            true => self.token_env(None),
                            false => Err("this push service issues no VoIP tokens".into()),
                        })
                    }
                    _ => None,
                };
                self.directory().on_channel_frame(now, channel, frame, env, Self::new_token);
            }
            VendorInput::ChannelClose { channel } => self.directory().on_channel_close(now, channel),
            VendorInput::Restart => self.directory().restart(now),
            VendorInput::Tick => {
                let dir = self.directory();
                while let Some(entry) = dir.held.first_entry() {
                    if entry.key().0 > now {
                        break;
                    }
                    let ((_, id), response) = entry.remove_entry();
                    dir.outputs.push_back(VendorOutput::Respond(ApiResponse { id, response }));
                }
            }
        }
    }

    fn poll_output(&mut self) -> Option<VendorOutput> {
        self.directory().outputs.pop_front()
    }

    /// When the first answer held back by [`VendorInput::Slow`] is due.
    fn poll_timeout(&self) -> Option<Millis> {
        self.directory_ref().held.keys().next().map(|(due, _)| *due)
    }
}

/// Device (OS push daemon) to vendor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DeviceToVendor {
    /// First frame on a channel: who is connecting. Stored notifications follow.
    Hello { device: DeviceId },
    /// A token for `app` (bundle ID / package name); FCM also needs the sender `project`.
    RequestToken {
        req: u64,
        app: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        project: Option<String>,
    },
    /// The OS was told the current token of this install is stale (FCM's `onNewToken`, an
    /// APNs token change after a restore): the old token is revoked, a new one issued.
    RefreshToken {
        req: u64,
        app: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        project: Option<String>,
    },
    /// A VoIP token for `app` (iOS PushKit's `PKPushRegistry`): a token of its own, apart
    /// from the app's alert token, that APNs takes only for `voip` pushes.
    RequestVoipToken { req: u64, app: String },
    /// The OS replaces the app's VoIP token: the old one is revoked, a new one issued.
    RefreshVoipToken { req: u64, app: String },
    /// The app was uninstalled (or unregistered from the vendor): its tokens (alert and
    /// VoIP) are revoked, and the provider API answers the vendor's dead-token error for
    /// them from now on.
    Revoke {
        app: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        project: Option<String>,
    },
    /// The device has the notification of this `delivery`: the vendor may forget it.
    /// Until then it is redelivered on the device's next channel, so a channel that breaks
    /// loses nothing.
    Ack { delivery: u64 },
}

/// Vendor to device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VendorToDevice {
    Token {
        req: u64,
        token: String,
    },
    TokenError {
        req: u64,
        reason: String,
    },
    Notification(DeviceNotification),
    /// Notifications for `app` were discarded while the device was away (FCM's
    /// `onDeletedMessages`): the app should sync in full.
    DeletedMessages {
        app: String,
    },
}

/// A notification as it reaches the device: the app it is for and the vendor payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceNotification {
    /// Vendor-assigned ID (APNs `apns-id`, FCM message name).
    pub id: String,
    pub app: String,
    pub payload: serde_json::Value,
    /// The vendor's own number for this delivery (0 until the vendor takes it on): the
    /// device acknowledges it, and a redelivery after a broken channel carries the same
    /// one. Unlike `id`, which the provider may choose, it is unique per vendor.
    #[serde(default)]
    pub delivery: u64,
    /// The key a shown notification is replaced by: the phone shows a notification with the
    /// same key in place of the one already in its tray. APNs `apns-collapse-id`, FCM and HMS
    /// `android.notification.tag`, Mi `notify_id` (absent means 0: Xiaomi shows one
    /// notification at a time unless the sender numbers them); OPPO and vivo carry none here
    /// (they deliver a retried send once instead, see [`dedups_retries`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace_key: Option<String>,
}

/// Facts a vendor establishes, for the trace and the checkers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum VendorEvent {
    TokenIssued {
        device: DeviceId,
        app: String,
        token: String,
        /// The environment whose credentials can reach this token.
        env: Environment,
        /// A VoIP token (left out for an alert token).
        #[serde(default, skip_serializing_if = "TokenKind::is_alert")]
        kind: TokenKind,
    },
    /// The token stopped working for good (uninstall, refresh): sends to it now get the
    /// vendor's dead-token answer.
    TokenRevoked { device: DeviceId, app: String, token: String },
    /// One provider API request and the vendor's verdict on it.
    Request {
        /// The environment of the endpoint / credentials the request came in on, if known.
        env: Option<Environment>,
        token: Option<String>,
        status: u16,
        reason: Option<String>,
        /// The vendor refused the send because of `token` (unknown, revoked, another app's or
        /// environment's), not because of the credentials, the payload or its own state: its
        /// dead-token answer. Each fake's `Reason::refuses_token` decides; an injected
        /// failure never is one. Left out when false.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        token_refused: bool,
    },
    /// A notification went out on a device channel, or was stored for later.
    Notified { device: DeviceId, id: String, stored: bool },
    /// A stored notification was replaced by a newer one (APNs keeps one per app; a
    /// collapse key keeps one per key).
    Coalesced { device: DeviceId, id: String },
    /// A notification for a device that was not connected was not kept: its lifetime was
    /// over (`expired`), or it asked not to be stored (`apns-expiration: 0`, a TTL of 0).
    Dropped { device: DeviceId, id: String, reason: DropReason },
    /// Past its storage limit the vendor threw away all `count` notifications it held for
    /// the device (FCM), and will tell it so when it connects.
    Discarded { device: DeviceId, count: usize },
}

/// Why a vendor did not keep a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    NotStored,
    Expired,
}

/// How long a vendor may hold one notification for a device that is not connected, and
/// what it replaces.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keep {
    /// Until when it may be held (`None`: as long as the vendor's policy allows; a time
    /// not after now: delivered now or never).
    pub until: Option<Millis>,
    /// A newer notification with the same key replaces it while stored (FCM's
    /// `collapse_key`).
    pub collapse_key: Option<String>,
}

impl Keep {
    /// Held for `ms` from `now` (0: delivered now or never), replacing nothing.
    pub fn for_ms(now: Millis, ms: u64) -> Keep {
        Keep { until: Some(now.plus(ms)), collapse_key: None }
    }
}

/// What the shell must do after feeding a vendor core.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VendorOutput {
    /// Answer a provider API request.
    Respond(ApiResponse),
    ToDevice {
        channel: ConnId,
        frame: VendorToDevice,
    },
    Event(VendorEvent),
}

/// How a vendor holds notifications for a device that is not connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorePolicy {
    /// Only the newest notification per app (APNs).
    NewestPerApp,
    /// Up to this many per device, oldest dropped first.
    Queue(usize),
    /// Up to this many per device; one more and all are thrown away, and the device is told
    /// on its next connection (FCM's 100 non-collapsible messages).
    DiscardAll(usize),
}

/// A failure the world injected: what the next sends get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failing {
    pub status: u16,
    pub count: u32,
    pub retry_after_s: Option<u64>,
}

/// Token issuing, device channels and store-and-forward, shared by every vendor fake.
#[derive(Debug)]
pub struct Directory {
    failing: Option<Failing>,
    /// Slow answers in force ([`VendorInput::Slow`]): how late, and for how many sends.
    slow: Option<(u64, u32)>,
    /// Answers held back by a slow fault, by (due time, request ID).
    held: BTreeMap<(Millis, u64), HttpResponse>,
    rng: ChaCha8Rng,
    policy: StorePolicy,
    /// token -> (device, app, project)
    tokens: BTreeMap<String, IssuedToken>,
    /// (device, app, project, kind) -> token: the same install asking again for the same
    /// kind gets the same token.
    by_install: BTreeMap<InstallKey, String>,
    channels: BTreeMap<ConnId, Option<DeviceId>>,
    online: BTreeMap<DeviceId, ConnId>,
    /// Notifications sent on a channel and not yet acknowledged by the device, with how
    /// long they may be held.
    unacked: BTreeMap<ConnId, Vec<(DeviceNotification, Keep)>>,
    next_delivery: u64,
    stored: BTreeMap<DeviceId, VecDeque<(DeviceNotification, Keep)>>,
    /// (device, app) whose stored notifications were discarded, to tell at its next hello.
    discarded: BTreeSet<(DeviceId, String)>,
    outputs: VecDeque<VendorOutput>,
}

/// An install's token of one kind at a vendor: device, app, project, token kind.
type InstallKey = (DeviceId, String, Option<String>, TokenKind);

/// Who a token was issued to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedToken {
    pub device: DeviceId,
    pub app: String,
    pub project: Option<String>,
    /// An alert token, or a VoIP token (APNs takes it only on the `<app>.voip` topic).
    pub kind: TokenKind,
    /// When the token stopped working (uninstall, refresh), if it has.
    pub revoked_at: Option<Millis>,
}

impl Directory {
    /// A directory whose tokens are drawn from `seed`, storing notifications by `policy`.
    pub fn new(seed: u64, policy: StorePolicy) -> Directory {
        Directory {
            failing: None,
            slow: None,
            held: BTreeMap::new(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            policy,
            tokens: BTreeMap::new(),
            by_install: BTreeMap::new(),
            channels: BTreeMap::new(),
            online: BTreeMap::new(),
            unacked: BTreeMap::new(),
            next_delivery: 1,
            stored: BTreeMap::new(),
            discarded: BTreeSet::new(),
            outputs: VecDeque::new(),
        }
    }

    pub fn token(&self, token: &str) -> Option<&IssuedToken> {
        self.tokens.get(token)
    }

    pub fn event(&mut self, e: VendorEvent) {
        self.outputs.push_back(VendorOutput::Event(e));
    }

    pub fn on_channel_open(&mut self, channel: ConnId) {
        self.channels.insert(channel, None);
    }

    /// A channel closed: what it carried without an acknowledgement goes to the device's
    /// other channel if it has one, else back into storage. Until the device acknowledges
    /// it, a notification keeps its lifetime: one sent into a dead connection expires as if
    /// it had been stored (reference policy, docs/vendors.md).
    pub fn on_channel_close(&mut self, now: Millis, channel: ConnId) {
        let unacked = self.unacked.remove(&channel).unwrap_or_default();
        if let Some(Some(device)) = self.channels.remove(&channel) {
            if self.online.get(&device) == Some(&channel) {
                self.online.remove(&device);
            }
            for (n, keep) in unacked {
                if keep.until.is_some_and(|until| until <= now) {
                    let reason = DropReason::Expired;
                    self.event(VendorEvent::Dropped { device: device.clone(), id: n.id, reason });
                    continue;
                }
                self.deliver(&device, n, now, keep);
            }
        }
    }

    /// Every channel is gone at once (the front end restarted), and with the process the
    /// answers it was holding back: their connections are gone too.
    pub fn restart(&mut self, now: Millis) {
        self.held.clear();
        let channels: Vec<ConnId> = self.channels.keys().copied().collect();
        for channel in channels {
            self.on_channel_close(now, channel);
        }
        self.outputs.retain(|o| matches!(o, VendorOutput::Event(_) | VendorOutput::Respond(_)));
    }

    /// Handles a channel frame. `env` is the vendor's answer to [`VendorApi::token_env`]
    /// for a token request; `new_token` draws a token in the vendor's format.
    pub fn on_channel_frame(
        &mut self,
        now: Millis,
        channel: ConnId,
        frame: DeviceToVendor,
        env: Option<Result<Environment, String>>,
        new_token: fn(&mut ChaCha8Rng) -> String,
    ) {
        let device = self.channels.get(&channel).cloned().flatten();
        let refresh = matches!(frame, DeviceToVendor::RefreshToken { .. } | DeviceToVendor::RefreshVoipToken { .. });
        match frame {
            DeviceToVendor::Hello { device } => {
                self.channels.insert(channel, Some(device.clone()));
                self.online.insert(device.clone(), channel);
                let told: Vec<String> =
                    self.discarded.iter().filter(|(d, _)| *d == device).map(|(_, app)| app.clone()).collect();
                for app in told {
                    self.discarded.remove(&(device.clone(), app.clone()));
                    self.send_to_device(channel, VendorToDevice::DeletedMessages { app });
                }
                for (n, keep) in self.stored.remove(&device).unwrap_or_default() {
                    if keep.until.is_some_and(|until| until <= now) {
                        let reason = DropReason::Expired;
                        self.event(VendorEvent::Dropped { device: device.clone(), id: n.id, reason });
                        continue;
                    }
                    self.send_notification(channel, n, keep);
                }
            }
            DeviceToVendor::Ack { delivery } => {
                if let Some(pending) = self.unacked.get_mut(&channel) {
                    pending.retain(|(n, _)| n.delivery != delivery);
                }
            }
            DeviceToVendor::RequestToken { req, app, project } | DeviceToVendor::RefreshToken { req, app, project } => {
                self.issue(now, channel, device, (req, app, project, TokenKind::Alert), refresh, env, new_token);
            }
            DeviceToVendor::RequestVoipToken { req, app } | DeviceToVendor::RefreshVoipToken { req, app } => {
                self.issue(now, channel, device, (req, app, None, TokenKind::Voip), refresh, env, new_token);
            }
            DeviceToVendor::Revoke { app, project } => {
                if let Some(device) = device {
                    // Both kinds go with the app; the alert token first, as before VoIP.
                    for kind in [TokenKind::Alert, TokenKind::Voip] {
                        self.revoke(now, &(device.clone(), app.clone(), project.clone(), kind));
                    }
                }
            }
        }
    }

    /// Answers a token request (`refresh`: replace the current token) of `kind` from
    /// `device` on `channel`: the install's current token of that kind, or a new one.
    #[allow(clippy::too_many_arguments)]
    fn issue(
        &mut self,
        now: Millis,
        channel: ConnId,
        device: Option<DeviceId>,
        (req, app, project, kind): (u64, String, Option<String>, TokenKind),
        refresh: bool,
        env: Option<Result<Environment, String>>,
        new_token: fn(&mut ChaCha8Rng) -> String,
    ) {
        let Some(device) = device else {
            let reason = "send hello before requesting a token".into();
            return self.send_to_device(channel, VendorToDevice::TokenError { req, reason });
        };
        let env = match env.unwrap_or_else(|| Err("no token rules".into())) {
            Ok(env) => env,
            Err(reason) => return self.send_to_device(channel, VendorToDevice::TokenError { req, reason }),
        };
        let key = (device.clone(), app.clone(), project.clone(), kind);
        if refresh {
            self.revoke(now, &key);
        }
        let token = match self.by_install.get(&key) {
            Some(t) => t.clone(),
            None => {
                let token = new_token(&mut self.rng);
                self.by_install.insert(key, token.clone());
                let issued = IssuedToken { device: device.clone(), app: app.clone(), project, kind, revoked_at: None };
                self.tokens.insert(token.clone(), issued);
                self.event(VendorEvent::TokenIssued { device, app, token: token.clone(), env, kind });
                token
            }
        };
        self.send_to_device(channel, VendorToDevice::Token { req, token });
    }

    /// Revokes the token of an install, if it has one: later sends to it get the vendor's
    /// dead-token answer, and the install's next request draws a new token.
    fn revoke(&mut self, now: Millis, key: &InstallKey) {
        let Some(token) = self.by_install.remove(key) else { return };
        if let Some(issued) = self.tokens.get_mut(&token) {
            issued.revoked_at = Some(now);
        }
        self.event(VendorEvent::TokenRevoked { device: key.0.clone(), app: key.1.clone(), token });
    }

    /// Sends a notification to the device now, or, at `now`, stores it under the vendor's
    /// policy and `keep` (or drops it, when it may not be held).
    pub fn deliver(&mut self, device: &DeviceId, mut n: DeviceNotification, now: Millis, keep: Keep) {
        if n.delivery == 0 {
            n.delivery = self.next_delivery;
            self.next_delivery += 1;
        }
        if let Some(&channel) = self.online.get(device) {
            self.event(VendorEvent::Notified { device: device.clone(), id: n.id.clone(), stored: false });
            return self.send_notification(channel, n, keep);
        }
        if keep.until.is_some_and(|until| until <= now) {
            let reason = DropReason::NotStored;
            return self.event(VendorEvent::Dropped { device: device.clone(), id: n.id, reason });
        }
        self.event(VendorEvent::Notified { device: device.clone(), id: n.id.clone(), stored: true });
        let queue = self.stored.entry(device.clone()).or_default();
        let mut dropped = Vec::new();
        let mut discarded = 0;
        let same = |old: &(DeviceNotification, Keep)| match (&keep.collapse_key, &old.1.collapse_key) {
            (Some(k), Some(o)) => old.0.app == n.app && k == o,
            _ => false,
        };
        queue.retain(|old| {
            let replaced = same(old);
            if replaced {
                dropped.push(old.0.id.clone());
            }
            !replaced
        });
        let app = n.app.clone();
        match self.policy {
            StorePolicy::NewestPerApp => {
                queue.retain(|old| {
                    let keep = old.0.app != n.app;
                    if !keep {
                        dropped.push(old.0.id.clone());
                    }
                    keep
                });
                queue.push_back((n, keep));
            }
            StorePolicy::Queue(max) => {
                queue.push_back((n, keep));
                while queue.len() > max {
                    dropped.extend(queue.pop_front().map(|o| o.0.id));
                }
            }
            StorePolicy::DiscardAll(max) => {
                queue.push_back((n, keep));
                if queue.len() > max {
                    discarded = queue.len();
                    queue.clear();
                }
            }
        }
        for id in dropped {
            self.event(VendorEvent::Coalesced { device: device.clone(), id });
        }
        if discarded > 0 {
            self.discarded.insert((device.clone(), app));
            self.event(VendorEvent::Discarded { device: device.clone(), count: discarded });
        }
    }

    fn send_notification(&mut self, channel: ConnId, n: DeviceNotification, keep: Keep) {
        self.unacked.entry(channel).or_default().push((n.clone(), keep));
        self.send_to_device(channel, VendorToDevice::Notification(n));
    }

    fn send_to_device(&mut self, channel: ConnId, frame: VendorToDevice) {
        self.outputs.push_back(VendorOutput::ToDevice { channel, frame });
    }
}

/// How the relay must treat one answer of a vendor's send API. Each vendor's contract sorts
/// its own answers into these classes; the relay owns what to do about each (retry rule,
/// unbinding), so the two never disagree per vendor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Delivered,
    /// The token will never work again with these credentials: stop, and have ZIM unbind it.
    DeadToken {
        reason: String,
    },
    /// Worth another try later (5xx, flow control, rate limits); `after_ms` is the vendor's
    /// `Retry-After`, when it sent one.
    Retry {
        reason: String,
        after_ms: Option<u64>,
    },
    /// The access token expired or was refused: fetch a new one, then try again.
    Reauth {
        reason: String,
    },
    /// The request itself is wrong (payload, topic, parameters, quota for the day): no
    /// retry, and the binding is kept.
    Failed {
        reason: String,
    },
}

impl Verdict {
    /// The vendor's name for what happened (empty for a delivery).
    pub fn reason(&self) -> &str {
        match self {
            Verdict::Delivered => "",
            Verdict::DeadToken { reason }
            | Verdict::Retry { reason, .. }
            | Verdict::Reauth { reason }
            | Verdict::Failed { reason } => reason,
        }
    }
}

/// Decodes a payload `vendor` delivered, as the SDK's integration of that vendor does;
/// `None` when it is not that vendor's payload.
pub fn decode(vendor: Vendor, payload: &serde_json::Value) -> Option<Notification> {
    match vendor {
        Vendor::Apns => apns::decode::decode(payload),
        Vendor::Fcm => fcm::decode::decode(payload),
        Vendor::Hms => hms::decode::decode(payload),
        Vendor::Mi => mi::decode::decode(payload),
        Vendor::Oppo => oppo::decode::decode(payload),
        Vendor::Vivo => vivo::decode::decode(payload),
    }
}

/// What a vendor delivered: a notification for the system to show, or a data message
/// for the app alone (FCM's data messages, which a console strategy asks for).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    #[default]
    Notification,
    Data,
}

impl std::fmt::Display for MessageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MessageKind::Notification => "a notification",
            MessageKind::Data => "a data message",
        })
    }
}

/// How the phone's OS reads the kind of a payload `vendor` delivered.
pub fn message_kind(vendor: Vendor, payload: &serde_json::Value) -> MessageKind {
    match vendor {
        Vendor::Fcm if fcm::decode::is_data_message(payload) => MessageKind::Data,
        _ => MessageKind::Notification,
    }
}

/// What a phone's OS does with a push `vendor` delivers for an app in `state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Presentation {
    /// The OS shows it in the notification tray (if the app may show notifications).
    pub display: bool,
    /// The OS hands the payload to the app's SDK, which raises [`arrival`]. A frozen app
    /// gets it when it thaws.
    pub to_app: bool,
}

/// The phone's handling of a delivered push, by vendor, app state and kind (ZEGO's table
/// of which vendor raises which ZPNs callback, with the vendors' own rules; docs/vendors.md):
/// - APNs: an app in the foreground gets it (`willPresent`) and nothing is shown; otherwise
///   iOS shows it and the app hears nothing until a tap.
/// - FCM (notification + data): the same, through `onMessageReceived`.
/// - Mi: MiPush shows its notification messages itself in every state, and tells an app
///   whose process runs (foreground or background).
/// - HMS, OPPO, vivo: the system shows them; the app hears of one only when it is tapped.
///
/// A frozen app runs no code, so it is never handed a notification.
///
/// A data message is never shown. Android hands it to a running app in any state (a
/// frozen one gets it when it thaws); an app that is not running gets nothing (reference policy, docs/policies.md: the simulator's stopped app is
/// Android's stopped state, to which FCM delivers nothing until the user opens it).
pub fn presentation(vendor: Vendor, state: AppState, kind: MessageKind) -> Presentation {
    if kind == MessageKind::Data {
        return Presentation { display: false, to_app: state.is_running() };
    }
    let (display, to_app) = match (vendor, state) {
        (Vendor::Apns | Vendor::Fcm, AppState::Foreground) => (false, true),
        (Vendor::Mi, AppState::Foreground | AppState::Background) => (true, true),
        _ => (true, false),
    };
    Presentation { display, to_app }
}

/// The ZPNs callback a notification handed to the running app raises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    NotificationArrived,
    ThroughMessageReceived,
}

/// Which callback `vendor`'s hand-over raises: `notificationArrived` for APNs and Mi,
/// `throughMessageReceived` for FCM; HMS, OPPO and vivo hand nothing over (ZEGO documents
/// no arrival callback for them).
pub fn arrival(vendor: Vendor) -> Option<Arrival> {
    match vendor {
        Vendor::Apns | Vendor::Mi => Some(Arrival::NotificationArrived),
        Vendor::Fcm => Some(Arrival::ThroughMessageReceived),
        Vendor::Hms | Vendor::Oppo | Vendor::Vivo => None,
    }
}

/// Whether a tap's `notificationClicked` carries the payload: vivo hands its custom fields
/// to the launched activity, not to the click callback (ZEGO: payload through `ZPNsMessage`
/// for every vendor but vivo).
pub fn click_carries_payload(vendor: Vendor) -> bool {
    vendor != Vendor::Vivo
}

/// How the relay must treat `vendor`'s answer to a send, by that vendor's contract.
pub fn verdict(vendor: Vendor, resp: &HttpResponse) -> Verdict {
    match vendor {
        Vendor::Apns => apns::contract::verdict(resp),
        Vendor::Fcm => fcm::contract::verdict(resp),
        Vendor::Hms => hms::contract::verdict(resp),
        Vendor::Mi => mi::contract::verdict(resp),
        Vendor::Oppo => oppo::contract::verdict(resp),
        Vendor::Vivo => vivo::contract::verdict(resp),
    }
}

/// Whether `vendor`'s fake delivers a send once however often it is retried, by a key the
/// relay sends: vivo's `requestId`, OPPO's `app_message_id`. APNs (`apns-id` is only a
/// name for the notification), FCM, HMS and Xiaomi deliver every accepted send.
pub fn dedups_retries(vendor: Vendor) -> bool {
    matches!(vendor, Vendor::Oppo | Vendor::Vivo)
}

/// Whether `vendor`'s send API takes an access token from its token endpoint.
pub fn takes_access_token(vendor: Vendor) -> bool {
    matches!(vendor, Vendor::Fcm | Vendor::Hms | Vendor::Oppo | Vendor::Vivo)
}

/// The access token and its lifetime (ms) out of `vendor`'s token-endpoint answer, or why
/// there is none (see [`apps::PushApps::auth_request`] for who has one).
pub fn auth_answer(vendor: Vendor, resp: &HttpResponse) -> Result<(String, u64), String> {
    match vendor {
        Vendor::Fcm | Vendor::Hms => oauth_answer(resp),
        Vendor::Oppo => oppo::contract::auth_answer(resp),
        Vendor::Vivo => vivo::contract::auth_answer(resp),
        Vendor::Apns | Vendor::Mi => Err(format!("{vendor} has no token endpoint")),
    }
}

/// The access token and its lifetime in ms out of an OAuth 2.0 token-endpoint answer (FCM's
/// and HMS's: `access_token` and `expires_in`, RFC 6749 §5.1), or why there is none: the
/// RFC 6749 §5.2 error as `error: error_description`, as Google's auth libraries report it
/// (an `error` that is no string, like HMS's numeric ones, in its JSON form).
pub fn oauth_answer(resp: &HttpResponse) -> Result<(String, u64), String> {
    use serde_json::Value;
    let body = resp.body_json();
    let token = body.get("access_token").and_then(Value::as_str).filter(|t| !t.is_empty());
    let lifetime_s = body.get("expires_in").and_then(Value::as_u64);
    match (resp.is_success(), token, lifetime_s) {
        (true, Some(token), Some(s)) => Ok((token.to_owned(), s * 1000)),
        _ => {
            let error = body.get("error").map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned));
            let description = body.get("error_description").and_then(Value::as_str);
            Err(match (error, description) {
                (Some(e), Some(d)) => format!("{e}: {d}"),
                (Some(e), None) => e,
                _ => format!("HTTP {} without an access token", resp.status),
            })
        }
    }
}

/// An HTTP `Retry-After` given in seconds, as milliseconds.
pub fn retry_after_ms(resp: &HttpResponse) -> Option<u64> {
    resp.get("retry-after").and_then(|s| s.trim().parse::<u64>().ok()).map(|s| s * 1000)
}

/// Access tokens a vendor's token endpoint issued (HMS, OPPO, vivo, FCM's OAuth): who they
/// are for and when they stop working.
#[derive(Debug, Default)]
pub struct AccessTokens {
    issued: BTreeMap<String, (String, Millis)>,
    next: u64,
}

/// What a presented access token is worth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// Valid, for this client (app ID, client ID or project).
    Valid(String),
    Expired,
    Unknown,
}

impl AccessTokens {
    /// Issues a token for `client`, valid for `lifetime_ms` from `now`. Tokens are
    /// `prefix` and a serial number: deterministic, and unique per vendor.
    pub fn issue(&mut self, prefix: &str, client: &str, now: Millis, lifetime_ms: u64) -> String {
        self.next += 1;
        let token = format!("{prefix}{:016x}", self.next);
        self.issued.insert(token.clone(), (client.to_owned(), now.plus(lifetime_ms)));
        token
    }

    pub fn check(&self, token: &str, now: Millis) -> Access {
        match self.issued.get(token) {
            None => Access::Unknown,
            Some((_, expires)) if now >= *expires => Access::Expired,
            Some((client, _)) => Access::Valid(client.clone()),
        }
    }
}

/// Draws `n` characters from `alphabet`.
pub(crate) fn random_string(rng: &mut ChaCha8Rng, alphabet: &[u8], n: usize) -> String {
    (0..n).map(|_| alphabet[rng.random_range(0..alphabet.len())] as char).collect()
}

/// The inputs the vendor and relay tests feed, spelled as calls.
/// Everything a vendor core has to say, in order (tests).
#[cfg(test)]
pub(crate) fn drain<V: VendorApi>(vendor: &mut V) -> Vec<VendorOutput> {
    std::iter::from_fn(|| vendor.poll_output()).collect()
}

/// The notifications a device was sent among `outputs` (tests).
#[cfg(test)]
pub(crate) fn delivered(outputs: Vec<VendorOutput>) -> Vec<DeviceNotification> {
    outputs
        .into_iter()
        .filter_map(|o| match o {
            VendorOutput::ToDevice { frame: VendorToDevice::Notification(n), .. } => Some(n),
            _ => None,
        })
        .collect()
}

/// What `device` is sent when it opens `channel` and says hello at `now` (tests).
#[cfg(test)]
pub(crate) fn reconnect<V: VendorApi>(
    vendor: &mut V,
    channel: ConnId,
    device: &str,
    now: Millis,
) -> Vec<DeviceNotification> {
    vendor.handle(now, VendorInput::ChannelOpen { channel });
    vendor.handle(now, VendorInput::ChannelFrame { channel, frame: DeviceToVendor::Hello { device: device.into() } });
    delivered(drain(vendor))
}

/// Sends `req` at `now` and tells, for each provider request the vendor recorded, whether
/// it refused the send because of the token (tests).
#[cfg(test)]
pub(crate) fn token_refusals<V: VendorApi>(vendor: &mut V, req: &HttpRequest, now: Millis) -> Vec<bool> {
    vendor.call(req, now);
    drain(vendor)
        .into_iter()
        .filter_map(|o| match o {
            VendorOutput::Event(VendorEvent::Request { token_refused, .. }) => Some(token_refused),
            _ => None,
        })
        .collect()
}

/// The token a device was sent among `outputs` (tests).
#[cfg(test)]
pub(crate) fn token_in(outputs: &[VendorOutput]) -> String {
    outputs
        .iter()
        .find_map(|o| match o {
            VendorOutput::ToDevice { frame: VendorToDevice::Token { token, .. }, .. } => Some(token.clone()),
            _ => None,
        })
        .expect("a Token frame")
}

/// The first `max` characters of `s`: how a contract shortens a text to a vendor's limit
/// rather than have the whole push refused.
pub fn first_chars(s: &str, max: usize) -> &str {
    s.char_indices().nth(max).map_or(s, |(at, _)| &s[..at])
}

#[cfg(test)]
pub(crate) trait Drive {
    /// Feeds one provider API request and takes its answer out of the outputs, leaving
    /// the rest (channel frames, events) to be drained.
    fn call(&mut self, req: &HttpRequest, now: Millis) -> HttpResponse;
    fn on_channel_open(&mut self, channel: ConnId);
    fn on_channel_frame(&mut self, channel: ConnId, frame: DeviceToVendor);
    fn on_channel_close(&mut self, channel: ConnId);
}

#[cfg(test)]
impl<V: VendorApi> Drive for V {
    fn call(&mut self, req: &HttpRequest, now: Millis) -> HttpResponse {
        self.handle(now, VendorInput::Api(ApiRequest { id: u64::MAX, request: req.clone() }));
        let outputs = &mut self.directory().outputs;
        let at = outputs
            .iter()
            .position(|o| matches!(o, VendorOutput::Respond(r) if r.id == u64::MAX))
            .expect("a vendor answers every request at once");
        match outputs.remove(at) {
            Some(VendorOutput::Respond(r)) => r.response,
            _ => unreachable!("found above"),
        }
    }
    fn on_channel_open(&mut self, channel: ConnId) {
        self.handle(Millis::ZERO, VendorInput::ChannelOpen { channel });
    }
    fn on_channel_frame(&mut self, channel: ConnId, frame: DeviceToVendor) {
        self.handle(Millis::ZERO, VendorInput::ChannelFrame { channel, frame });
    }
    fn on_channel_close(&mut self, channel: ConnId) {
        self.handle(Millis::ZERO, VendorInput::ChannelClose { channel });
    }
}

#[cfg(test)]
mod presentation_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_data_message_is_never_shown_and_goes_to_any_running_app() {
        let data = json!({"token": "t", "data": {"title": "T", "body": "B"}});
        assert_eq!(message_kind(Vendor::Fcm, &data), MessageKind::Data);
        // Only FCM has data messages: the same shape from another vendor is its notification.
        assert_eq!(message_kind(Vendor::Hms, &data), MessageKind::Notification);
        assert_eq!(message_kind(Vendor::Fcm, &json!({"notification": {}, "data": {}})), MessageKind::Notification);
        for state in [AppState::Foreground, AppState::Background, AppState::Frozen] {
            let p = presentation(Vendor::Fcm, state, MessageKind::Data);
            assert_eq!((p.display, p.to_app), (false, true), "{state:?}");
        }
        let stopped = presentation(Vendor::Fcm, AppState::NotRunning, MessageKind::Data);
        assert_eq!((stopped.display, stopped.to_app), (false, false));
        // A notification message to the same app in the background is shown, not handed over.
        let shown = presentation(Vendor::Fcm, AppState::Background, MessageKind::Notification);
        assert_eq!((shown.display, shown.to_app), (true, false));
    }
}
