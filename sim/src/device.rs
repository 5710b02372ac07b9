//! A simulated handset: the OS (its push channels to the vendors, the notification tray)
//! and the app process (which runs an SDK and its connection to the ZIM server). The app can
//! be killed and launched; the SDK's local data survives that, the process state does not.
//!
//! A running app is in the foreground, in the background (it still runs) or frozen: the OS
//! suspended it, so it runs no code and what its sockets and the OS hold for it waits until
//! it comes back to the foreground. iOS freezes a backgrounded app after
//! [`IOS_SUSPEND_AFTER`]; any app can be frozen by a `freeze` step. Where a notification goes
//! (the tray, the app, or both) is the vendor's rule for the app's state
//! ([`push_services::presentation`]); a tap on one in the tray opens the app and hands it
//! the payload.
//!
//! The handset's network can be turned off: its connections then go dead without a word to
//! the other side (they sit in `limbo`, read and written by no one, until the network
//! returns and the OS drops them), and new ones fail at once.
//!
//! One task per device; devices live as tasks inside a farm host (turmoil's per-step cost
//! grows with the number of hosts, not tasks).

use crate::framed::{pump, write_frame};
use crate::net::Connector;
use crate::scenario::{Action, DeviceStep};
use crate::trace::{Env, Event, Source};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use zimsim_reference::client::{AppState, ClientSdk, Notification, SdkConfig, SdkFactory, SdkInput, SdkOutput};
use zimsim_reference::ids::DeviceId;
use zimsim_reference::push_services::{self, DeviceNotification, DeviceToVendor, VendorToDevice};
use zimsim_reference::pushid::{TokenKind, Vendor};
use zimsim_reference::topology::{self, Endpoint, VendorHost};
use zimsim_reference::wire::{ClientFrame, Platform, ServerFrame};

/// How long a connect may hang (a crashed host never answers) before it counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Delay before the OS reopens a broken push channel.
const CHANNEL_RETRY: Duration = Duration::from_secs(1);
/// How long iOS lets a backgrounded app run before suspending it (reference policy: an app
/// with no background mode gets a few seconds; docs/policies.md).
pub const IOS_SUSPEND_AFTER: Duration = Duration::from_secs(10);
/// How many of the app's notifications the tray keeps (Android's per-app limit; the oldest
/// goes first).
const TRAY_LIMIT: usize = 50;

/// Where the device's OS and app connect.
#[derive(Clone, Debug)]
pub struct DeviceSetup {
    pub id: DeviceId,
    pub platform: Platform,
    /// The app's bundle ID / package name.
    pub app: String,
    /// The push services the OS offers the app (decided by platform, brand and build).
    pub push_services: Vec<PushService>,
    /// The user does not let the app show notifications (answered "Don't Allow", or turned
    /// them off in Settings): the OS shows none.
    pub notifications_denied: bool,
    pub sdk: SdkConfig,
}

/// One push service of the OS: where its channel goes, and what this build's tokens are
/// asked under (the FCM project, an Android vendor's app ID or key; nothing for APNs).
#[derive(Clone, Debug)]
pub struct PushService {
    pub host: VendorHost,
    pub project: Option<String>,
}

/// Events from the device's I/O tasks to its main loop. ZIM connections and push
/// channels are numbered, so events of an old one are ignored.
enum IoEvent {
    ZimUp(u64, mpsc::UnboundedSender<ClientFrame>),
    ZimFrame(u64, ServerFrame),
    ZimDown(u64),
    ChannelUp(u64, mpsc::UnboundedSender<DeviceToVendor>),
    Vendor(u64, VendorToDevice),
    ChannelDown(u64),
    /// Time to reopen the push channel to this vendor.
    ChannelRetry(Vendor),
    /// iOS's grace for a backgrounded app is over (for the background spell numbered so).
    Suspend(u64),
}

/// A connection's task and, once connected, its writer.
type Link<T> = (u64, Option<mpsc::UnboundedSender<T>>, JoinHandle<()>);

/// The app process, while it runs.
struct App {
    sdk: Box<dyn ClientSdk>,
    /// The live ZIM connection.
    link: Option<Link<ClientFrame>>,
    /// Foreground, background or frozen.
    state: AppState,
    /// What reached the app while it was frozen, handed over in order when it thaws.
    held: Vec<SdkInput>,
}

/// A notification in the OS's tray.
struct Shown {
    id: String,
    vendor: Vendor,
    payload: serde_json::Value,
    replace_key: Option<String>,
}

/// A connection cut off by the network going away: nobody reads or writes it, and it
/// stays open (the far side hears nothing) until the network returns.
enum Dead {
    Zim(Link<ClientFrame>),
    Channel(Link<DeviceToVendor>),
}

struct Device<C: Connector> {
    setup: DeviceSetup,
    connector: C,
    env: Rc<dyn Env>,
    factory: Rc<dyn SdkFactory>,
    io_tx: mpsc::UnboundedSender<IoEvent>,
    app: Option<App>,
    /// The SDK's local data as of the last kill (its on-device database).
    disk: Option<serde_json::Value>,
    /// The OS's channel to each of its push services (`None` while down).
    channels: BTreeMap<Vendor, (PushService, Option<Link<DeviceToVendor>>)>,
    /// Token requests not yet answered (resent if the channel reconnects), the kind of
    /// token each asks for (alert, or iOS's PushKit VoIP token), and whether each asks for
    /// a new token (a refresh) rather than the current one.
    token_requests: Vec<(u64, Vendor, TokenKind, bool)>,
    /// The vendors that issued the app a token, and of which kind.
    tokens: BTreeSet<(Vendor, TokenKind)>,
    /// Vendors not yet told of an uninstall (told when their channel is up).
    revoke_pending: BTreeSet<Vendor>,
    /// The app was deleted and not installed again.
    deleted: bool,
    /// Vendor deliveries the OS has handled: a notification redelivered after a broken
    /// channel is acknowledged again but shown once.
    seen: BTreeSet<(Vendor, u64)>,
    /// The app's notifications in the tray, oldest first.
    tray: VecDeque<Shown>,
    /// The OS already asked the user for the notification permission.
    permission_asked: bool,
    /// Counts background spells, so a suspension meant for an earlier one is ignored.
    background_spell: u64,
    network: bool,
    limbo: Vec<Dead>,
    next_req: u64,
    next_link: u64,
}

/// Runs one device until `commands` closes and the simulation ends.
pub async fn run<C: Connector>(
    setup: DeviceSetup,
    connector: C,
    factory: Rc<dyn SdkFactory>,
    mut commands: mpsc::UnboundedReceiver<Action>,
    env: Rc<dyn Env>,
) {
    let (io_tx, mut io_rx) = mpsc::unbounded_channel();
    let channels = setup.push_services.iter().map(|s| (s.host.vendor, (s.clone(), None))).collect();
    let mut d = Device {
        setup,
        connector,
        env,
        factory,
        io_tx,
        app: None,
        disk: None,
        channels,
        token_requests: Vec::new(),
        tokens: BTreeSet::new(),
        revoke_pending: BTreeSet::new(),
        deleted: false,
        seen: BTreeSet::new(),
        tray: VecDeque::new(),
        permission_asked: false,
        background_spell: 0,
        network: true,
        limbo: Vec::new(),
        next_req: 1,
        next_link: 1,
    };
    let vendors: Vec<Vendor> = d.channels.keys().copied().collect();
    for vendor in vendors {
        d.open_channel(vendor);
    }
    let mut commands_open = true;
    loop {
        // A frozen app's timers do not fire.
        let timer = d.app.as_ref().filter(|a| a.state != AppState::Frozen).and_then(|a| a.sdk.poll_timeout());
        let sleep = timer.map(|t| Duration::from_millis(t.since(d.env.now())));
        tokio::select! {
            biased;
            cmd = commands.recv(), if commands_open => match cmd {
                Some(cmd) => d.on_command(cmd),
                None => commands_open = false,
            },
            Some(ev) = io_rx.recv() => d.on_io(ev),
            _ = tokio::time::sleep(sleep.unwrap_or_default()), if sleep.is_some() => d.feed(SdkInput::Tick),
        }
    }
}

impl<C: Connector> Device<C> {
    fn record(&self, event: Event) {
        self.env.record(Source::Device(self.setup.id.clone()), event);
    }

    fn on_command(&mut self, action: Action) {
        match action {
            Action::Device(DeviceStep::LaunchApp) => self.launch(),
            Action::Device(DeviceStep::Background) => {
                if let Some(app) = self.app.as_mut().filter(|a| a.state == AppState::Foreground) {
                    app.state = AppState::Background;
                    self.background_spell += 1;
                    self.record(Event::AppState { state: AppState::Background });
                    if self.setup.platform == Platform::Ios {
                        let (spell, events) = (self.background_spell, self.io_tx.clone());
                        tokio::task::spawn_local(async move {
                            tokio::time::sleep(IOS_SUSPEND_AFTER).await;
                            let _ = events.send(IoEvent::Suspend(spell));
                        });
                    }
                }
            }
            Action::Device(DeviceStep::Freeze) => self.freeze(),
            Action::Device(DeviceStep::Foreground) => self.bring_to_front(),
            Action::Device(DeviceStep::TapNotification) => self.tap(),
            Action::Device(DeviceStep::KillApp) => {
                if let Some(app) = self.app.take() {
                    self.disk = Some(app.sdk.persisted());
                    if let Some((_, _, task)) = app.link {
                        task.abort(); // the OS closes the app's sockets
                    }
                    self.record(Event::AppKilled);
                }
            }
            Action::Device(DeviceStep::UninstallApp) => {
                if let Some(app) = self.app.take() {
                    if let Some((_, _, task)) = app.link {
                        task.abort();
                    }
                }
                self.disk = None;
                self.deleted = true;
                self.tray.clear();
                self.permission_asked = false;
                self.token_requests.clear();
                // One revocation per vendor takes every kind of the app's tokens there.
                self.revoke_pending.extend(std::mem::take(&mut self.tokens).into_iter().map(|(v, _)| v));
                self.tell_revoke();
                self.record(Event::AppUninstalled);
            }
            Action::Device(DeviceStep::RefreshPushToken) => {
                // Each vendor that gave the app a token replaces it (a VoIP token too).
                for (vendor, kind) in self.tokens.clone() {
                    let req = self.next_req;
                    self.next_req += 1;
                    self.token_requests.push((req, vendor, kind, true));
                    self.to_vendor(vendor, self.token_request(req, vendor, kind, true));
                }
            }
            Action::Device(DeviceStep::NetworkOff) => {
                if !self.network {
                    return;
                }
                self.network = false;
                for (_, link) in self.channels.values_mut() {
                    if let Some(link) = link.take() {
                        self.limbo.push(Dead::Channel(link));
                    }
                }
                if let Some(link) = self.app.as_mut().and_then(|a| a.link.take()) {
                    self.limbo.push(Dead::Zim(link));
                    // The OS tells the app its network is gone.
                    self.feed(SdkInput::Disconnected);
                }
            }
            Action::Device(DeviceStep::NetworkOn) => {
                if self.network {
                    return;
                }
                self.network = true;
                // The dead connections' far sides learn of it now, if they still care.
                for dead in self.limbo.drain(..) {
                    let (Dead::Zim((_, _, task)) | Dead::Channel((_, _, task))) = dead;
                    task.abort();
                }
                let vendors: Vec<Vendor> = self.channels.keys().copied().collect();
                for vendor in vendors {
                    self.open_channel(vendor);
                }
            }
            Action::App(call) => self.feed(SdkInput::App { call }),
            // The world carries these out itself; the farm never sends one to a device.
            Action::World(_) | Action::Backend(_) => {}
        }
    }

    /// Opens the OS's channel to `vendor` (if the network is up).
    fn open_channel(&mut self, vendor: Vendor) {
        if !self.network {
            return;
        }
        let n = self.next_link;
        self.next_link += 1;
        let Some((service, link)) = self.channels.get_mut(&vendor) else { return };
        let task = tokio::task::spawn_local(push_channel(
            n,
            self.setup.id.clone(),
            service.host,
            self.connector.clone(),
            self.io_tx.clone(),
        ));
        if let Some((_, _, old)) = link.replace((n, None, task)) {
            old.abort();
        }
    }

    /// The vendor whose current channel is number `n`.
    fn channel_vendor(&self, n: u64) -> Option<Vendor> {
        self.channels.iter().find(|(_, (_, link))| link.as_ref().is_some_and(|(l, _, _)| *l == n)).map(|(v, _)| *v)
    }

    fn on_io(&mut self, ev: IoEvent) {
        match ev {
            IoEvent::ZimUp(link, tx) => {
                if let Some(App { link: Some((l, writer, _)), .. }) = &mut self.app {
                    if *l == link {
                        *writer = Some(tx);
                        self.feed(SdkInput::Connected);
                    }
                }
            }
            IoEvent::ZimFrame(link, frame) => {
                if self.current_link() == Some(link) {
                    self.feed(SdkInput::Frame { frame });
                }
            }
            IoEvent::ZimDown(link) => {
                if self.current_link() == Some(link) {
                    if let Some(app) = &mut self.app {
                        app.link = None;
                    }
                    self.feed(SdkInput::Disconnected);
                }
            }
            IoEvent::ChannelUp(n, tx) => {
                let Some(vendor) = self.channel_vendor(n) else { return };
                if let Some((_, Some((_, writer, _)))) = self.channels.get_mut(&vendor) {
                    *writer = Some(tx.clone());
                }
                // A revocation goes first: a token asked for since must be a new one.
                self.tell_revoke();
                for (req, _, kind, refresh) in self.token_requests.iter().filter(|(_, v, _, _)| *v == vendor) {
                    let _ = tx.send(self.token_request(*req, vendor, *kind, *refresh));
                }
            }
            IoEvent::Suspend(spell) => {
                if spell == self.background_spell && self.app.as_ref().is_some_and(|a| a.state == AppState::Background)
                {
                    self.freeze();
                }
            }
            IoEvent::ChannelDown(n) => {
                let Some(vendor) = self.channel_vendor(n) else { return };
                tracing::debug!(device = %self.setup.id, %vendor, "push channel down; reopening in {CHANNEL_RETRY:?}");
                if let Some((_, link)) = self.channels.get_mut(&vendor) {
                    *link = None;
                }
                let retry = self.io_tx.clone();
                tokio::task::spawn_local(async move {
                    tokio::time::sleep(CHANNEL_RETRY).await;
                    let _ = retry.send(IoEvent::ChannelRetry(vendor));
                });
            }
            IoEvent::ChannelRetry(vendor) => {
                if self.channels.get(&vendor).is_some_and(|(_, link)| link.is_none()) {
                    self.open_channel(vendor);
                }
            }
            IoEvent::Vendor(n, frame) => {
                let Some(vendor) = self.channel_vendor(n) else { return };
                self.on_vendor_frame(vendor, frame);
            }
        }
    }

    fn on_vendor_frame(&mut self, vendor: Vendor, frame: VendorToDevice) {
        match frame {
            VendorToDevice::Token { req, token } => {
                let Some((vendor, kind)) = self.take_token_request(req) else { return };
                self.tokens.insert((vendor, kind));
                let vendor_host = self.channels[&vendor].0.host.name.to_owned();
                self.record(Event::OsToken { vendor_host, token: token.clone(), token_kind: kind });
                match kind {
                    TokenKind::Alert => self.feed(SdkInput::VendorToken { vendor, token }),
                    TokenKind::Voip => self.feed(SdkInput::VoipToken { token }),
                }
            }
            VendorToDevice::TokenError { req, reason } => {
                let Some((vendor, kind)) = self.take_token_request(req) else { return };
                match kind {
                    TokenKind::Alert => self.feed(SdkInput::VendorTokenFailed { vendor, reason }),
                    TokenKind::Voip => self.feed(SdkInput::VoipTokenFailed { reason }),
                }
            }
            VendorToDevice::DeletedMessages { app } => {
                let vendor_host = self.channels[&vendor].0.host.name.to_owned();
                self.record(Event::DeletedMessages { vendor_host, app });
            }
            VendorToDevice::Notification(n) => {
                self.to_vendor(vendor, DeviceToVendor::Ack { delivery: n.delivery });
                // A delivery for an app the phone no longer has is dropped, and the OS
                // tells the vendor again that the app is gone: the first word may have been
                // lost with a crashed vendor host.
                if self.seen.insert((vendor, n.delivery)) {
                    if self.deleted {
                        self.revoke_pending.insert(vendor);
                        self.tell_revoke();
                    } else {
                        self.on_notification(vendor, n);
                    }
                }
            }
        }
    }

    /// Removes the pending token request `req`, returning the vendor and kind it was for.
    fn take_token_request(&mut self, req: u64) -> Option<(Vendor, TokenKind)> {
        let i = self.token_requests.iter().position(|(r, _, _, _)| *r == req)?;
        let (_, vendor, kind, _) = self.token_requests.remove(i);
        Some((vendor, kind))
    }

    /// Tells the vendors of an uninstall, each once its channel can carry it.
    fn tell_revoke(&mut self) {
        for vendor in self.revoke_pending.clone() {
            let project = self.channels.get(&vendor).and_then(|(s, _)| s.project.clone());
            let frame = DeviceToVendor::Revoke { app: self.setup.app.clone(), project };
            if self.to_vendor(vendor, frame) {
                self.revoke_pending.remove(&vendor);
            }
        }
    }

    fn current_link(&self) -> Option<u64> {
        self.app.as_ref().and_then(|a| a.link.as_ref()).map(|(l, _, _)| *l)
    }

    /// The vendor's rule for the app's state decides whether the OS shows the notification
    /// (if the user allows it), hands the payload to the app's SDK, or both. One shown with
    /// the collapse identifier of one in the tray takes its place. The trace records what
    /// the payload says (the OS's reading, by the vendor's decoder), whoever handles it.
    fn on_notification(&mut self, vendor: Vendor, n: DeviceNotification) {
        let notification = push_services::decode(vendor, &n.payload)
            .unwrap_or_else(|| Notification::new(String::new(), String::new(), String::new(), None, None));
        let app = self.app.as_ref().map_or(AppState::NotRunning, |a| a.state);
        let kind = push_services::message_kind(vendor, &n.payload);
        let how = push_services::presentation(vendor, app, kind);
        let shown = how.display && !self.setup.notifications_denied;
        let mut replaced = None;
        if shown {
            let same = |s: &Shown| s.vendor == vendor && s.replace_key.is_some() && s.replace_key == n.replace_key;
            if let Some(i) = self.tray.iter().position(same) {
                replaced = self.tray.remove(i).map(|s| s.id);
            }
            if self.tray.len() == TRAY_LIMIT {
                self.tray.pop_front();
            }
            let entry = Shown { id: n.id.clone(), vendor, payload: n.payload.clone(), replace_key: n.replace_key };
            self.tray.push_back(entry);
        }
        self.record(Event::Notification { id: n.id, vendor, app, message_kind: kind, shown, replaced, notification });
        if how.to_app {
            self.feed(SdkInput::Notification { vendor, payload: n.payload });
        }
    }

    fn launch(&mut self) {
        if self.app.is_none() {
            self.deleted = false; // launching a deleted app installs it again
            let sdk = self.factory.launch(self.setup.sdk.clone(), self.disk.clone());
            self.app = Some(App { sdk, link: None, state: AppState::Foreground, held: Vec::new() });
            self.record(Event::AppLaunched);
            // A new SDK may have work at once (a logout the last run left pending).
            self.drain();
        }
    }

    /// The OS suspends the running app.
    fn freeze(&mut self) {
        if let Some(app) = self.app.as_mut().filter(|a| a.state != AppState::Frozen) {
            app.state = AppState::Frozen;
            self.record(Event::AppState { state: AppState::Frozen });
        }
    }

    /// The app comes to the front; a frozen one first gets, in order, what waited for it.
    fn bring_to_front(&mut self) {
        let Some(app) = self.app.as_mut().filter(|a| a.state != AppState::Foreground) else { return };
        app.state = AppState::Foreground;
        let held = std::mem::take(&mut app.held);
        self.background_spell += 1;
        self.record(Event::AppState { state: AppState::Foreground });
        for input in held {
            self.feed(input);
        }
        self.feed(SdkInput::Tick);
    }

    /// The user taps the newest notification in the tray: it leaves the tray, the app
    /// opens (launched if it was not running) and its SDK gets the payload.
    fn tap(&mut self) {
        let Some(Shown { id, vendor, payload, .. }) = self.tray.pop_back() else { return };
        self.record(Event::NotificationTapped { id });
        self.launch();
        self.bring_to_front();
        self.feed(SdkInput::NotificationTapped { vendor, payload });
    }

    /// Sends `frame` on `vendor`'s channel, if it is up (returns whether it was).
    fn to_vendor(&self, vendor: Vendor, frame: DeviceToVendor) -> bool {
        match self.channels.get(&vendor) {
            Some((_, Some((_, Some(writer), _)))) => writer.send(frame).is_ok(),
            _ => false,
        }
    }

    fn token_request(&self, req: u64, vendor: Vendor, kind: TokenKind, refresh: bool) -> DeviceToVendor {
        let app = self.setup.app.clone();
        let project = self.channels.get(&vendor).and_then(|(s, _)| s.project.clone());
        match (kind, refresh) {
            (TokenKind::Alert, true) => DeviceToVendor::RefreshToken { req, app, project },
            (TokenKind::Alert, false) => DeviceToVendor::RequestToken { req, app, project },
            (TokenKind::Voip, true) => DeviceToVendor::RefreshVoipToken { req, app },
            (TokenKind::Voip, false) => DeviceToVendor::RequestVoipToken { req, app },
        }
    }

    /// Feeds the running app's SDK and carries out its outputs. Input to a killed app is
    /// dropped, as the OS would; a frozen app's waits (time passing is no input to it).
    fn feed(&mut self, input: SdkInput) {
        let now = self.env.now();
        let Some(app) = &mut self.app else { return };
        if app.state == AppState::Frozen {
            if input != SdkInput::Tick {
                app.held.push(input);
            }
            return;
        }
        app.sdk.handle(now, input);
        self.drain();
    }

    /// Carries out everything the running SDK asks for.
    fn drain(&mut self) {
        while let Some(out) = self.app.as_mut().and_then(|a| a.sdk.poll_output()) {
            self.carry_out(out);
        }
    }

    fn carry_out(&mut self, out: SdkOutput) {
        match out {
            SdkOutput::Event { event } => self.record(Event::App { event }),
            SdkOutput::Connect => {
                let link = self.next_link;
                self.next_link += 1;
                let events = self.io_tx.clone();
                let task = if self.network {
                    tokio::task::spawn_local(zim_link(link, self.connector.clone(), events))
                } else {
                    // No network: the connect fails at once, as the OS would fail it.
                    tokio::task::spawn_local(async move {
                        let _ = events.send(IoEvent::ZimDown(link));
                    })
                };
                if let Some(app) = &mut self.app {
                    if let Some((_, _, old)) = app.link.replace((link, None, task)) {
                        old.abort();
                    }
                }
            }
            SdkOutput::Close => {
                if let Some((_, _, task)) = self.app.as_mut().and_then(|a| a.link.take()) {
                    task.abort();
                }
            }
            SdkOutput::Send { frame } => {
                let writer = self.app.as_ref().and_then(|a| a.link.as_ref()).and_then(|(_, w, _)| w.clone());
                if let Some(w) = writer {
                    let _ = w.send(frame);
                }
            }
            SdkOutput::DeleteVendorToken { vendor } => {
                // The vendor revokes every token of the install (alert and VoIP alike).
                let held = self.tokens.len();
                self.tokens.retain(|(v, _)| *v != vendor);
                if self.tokens.len() < held {
                    self.revoke_pending.insert(vendor);
                    self.tell_revoke();
                }
            }
            SdkOutput::RequestNotificationPermission => {
                // iOS asks once per install; Android apps are granted it at install here.
                if self.setup.platform == Platform::Ios && !self.permission_asked {
                    self.permission_asked = true;
                    self.record(Event::PermissionPrompt { granted: !self.setup.notifications_denied });
                }
            }
            SdkOutput::RequestVendorToken { vendor } => {
                if !self.channels.contains_key(&vendor) {
                    let reason = format!("this device has no {vendor} push service");
                    return self.feed(SdkInput::VendorTokenFailed { vendor, reason });
                }
                let req = self.next_req;
                self.next_req += 1;
                self.token_requests.push((req, vendor, TokenKind::Alert, false));
                self.to_vendor(vendor, self.token_request(req, vendor, TokenKind::Alert, false));
            }
            SdkOutput::RequestVoipToken => {
                // PushKit: an iPhone's OS asks APNs, over the channel it already keeps.
                let vendor = Vendor::Apns;
                if self.setup.platform != Platform::Ios || !self.channels.contains_key(&vendor) {
                    let reason = "this device has no PushKit (VoIP pushes are iOS only)".into();
                    return self.feed(SdkInput::VoipTokenFailed { reason });
                }
                let req = self.next_req;
                self.next_req += 1;
                self.token_requests.push((req, vendor, TokenKind::Voip, false));
                self.to_vendor(vendor, self.token_request(req, vendor, TokenKind::Voip, false));
            }
        }
    }
}

/// One connection to the ZIM server: connects, then pumps frames both ways until either
/// side closes or the task is aborted (which drops the socket).
async fn zim_link<C: Connector>(link: u64, connector: C, events: mpsc::UnboundedSender<IoEvent>) {
    let stream =
        match tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(topology::ZIM.host, topology::ZIM.port)).await {
            Ok(Ok(s)) => s,
            _ => {
                let _ = events.send(IoEvent::ZimDown(link));
                return;
            }
        };
    let (read, write) = tokio::io::split(stream);
    let (tx, rx) = mpsc::unbounded_channel::<ClientFrame>();
    let _ = events.send(IoEvent::ZimUp(link, tx));
    pump(read, write, rx, |f: ServerFrame| {
        let _ = events.send(IoEvent::ZimFrame(link, f));
    })
    .await;
    let _ = events.send(IoEvent::ZimDown(link));
}

/// One connection of the OS to its push vendor: says hello, then pumps frames until it
/// breaks (the device reopens it after [`CHANNEL_RETRY`]).
async fn push_channel<C: Connector>(
    n: u64,
    device: DeviceId,
    service: VendorHost,
    connector: C,
    events: mpsc::UnboundedSender<IoEvent>,
) {
    let Endpoint { host, port } = service.devices;
    if let Ok(Ok(stream)) = tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(host, port)).await {
        let (read, mut write) = tokio::io::split(stream);
        let (tx, rx) = mpsc::unbounded_channel::<DeviceToVendor>();
        if write_frame(&mut write, &DeviceToVendor::Hello { device }).await.is_ok()
            && events.send(IoEvent::ChannelUp(n, tx)).is_ok()
        {
            pump(read, write, rx, |f: VendorToDevice| {
                let _ = events.send(IoEvent::Vendor(n, f));
            })
            .await;
        }
    }
    let _ = events.send(IoEvent::ChannelDown(n));
}
