//! The ZPNs half of the SDK: which vendor and environment an install registers with,
//! the PushID built from the OS token (and bound to the logged-in user), the VoIP PushID
//! built from PushKit's token on an iPhone whose app enabled VoIP (bound beside it), and
//! which notifications reach the app.

use super::*;
use crate::push_services::{self, Arrival};

impl ReferenceSdk {
    /// `registerPush`: ask the OS for a token from this install's vendor, and on an
    /// iPhone with `enable_ios_voip` for its VoIP token too. VoIP stays on for the rest of
    /// this launch once asked for (turning it off again is not modelled).
    pub(super) fn register_push(&mut self, ios_environment: IosEnvironment, enable_ios_voip: bool) {
        self.ios_environment = ios_environment;
        self.unbind_pending = false;
        match self.vendor() {
            Some(vendor) => self.outputs.push_back(SdkOutput::RequestVendorToken { vendor }),
            None => self.emit(AppEvent::Registered {
                error_code: 1,
                push_id: None,
                message: "no push vendor enabled for this platform (see setPushConfig)".into(),
            }),
        }
        if enable_ios_voip && self.config.platform == Platform::Ios {
            self.ios_voip = true;
            self.outputs.push_back(SdkOutput::RequestVoipToken);
        }
    }

    /// The vendor this install registers with ([`ZpnsConfig::channel`]).
    pub(super) fn vendor(&self) -> Option<Vendor> {
        self.zpns.channel(self.config.platform, self.config.brand)
    }

    pub(super) fn environment(&self) -> Environment {
        let from_build = self.config.build.environment();
        match (self.config.platform, self.ios_environment) {
            (Platform::Ios, IosEnvironment::Automatic) => from_build,
            (Platform::Ios, IosEnvironment::Development) => Environment::Development,
            (Platform::Ios, IosEnvironment::Production) => Environment::Production,
            _ if self.debug => Environment::Development,
            _ => Environment::Production,
        }
    }

    /// `unregisterPush`: forget the PushID, have the OS delete the vendor token, and unbind
    /// at the server now if a session is up, else as soon as one is.
    pub(super) fn unregister_push(&mut self) {
        if let Some(push_id) = self.push_id.take() {
            self.outputs.push_back(SdkOutput::DeleteVendorToken { vendor: push_id.vendor });
        }
        // The VoIP PushID goes with it (the server unbinds every PushID of the install).
        (self.ios_voip, self.voip_push_id) = (false, None);
        match self.zim {
            Zim::LoggedIn { .. } if self.connected => self.unbind_push(),
            _ => self.unbind_pending = true,
        }
    }

    pub(super) fn unbind_push(&mut self) {
        let req = self.req();
        (self.server_push_id, self.server_voip_push_id) = (None, None);
        self.send(ClientFrame::UnbindPush { req });
    }

    pub(super) fn bind_push(&mut self) {
        let Some(push_id) = self.push_id.clone() else { return };
        let req = self.req();
        self.server_push_id = Some(push_id.clone());
        self.send(ClientFrame::BindPush { req, push_id });
    }

    pub(super) fn bind_voip_push(&mut self) {
        let Some(push_id) = self.voip_push_id.clone() else { return };
        let req = self.req();
        self.server_voip_push_id = Some(push_id.clone());
        self.send(ClientFrame::BindPush { req, push_id });
    }

    /// PushKit's token, as `setVoipToken` hands it over: the VoIP PushID, reported to the
    /// app as registered and bound beside the alert PushID (a `bind_push` of a VoIP PushID;
    /// the server keeps one of each kind per install). Ignored unless the app enabled VoIP.
    pub(super) fn on_voip_token(&mut self, token: String) {
        if !self.ios_voip {
            return;
        }
        let push_id = PushId::voip(self.environment(), token);
        self.voip_push_id = Some(push_id.clone());
        self.emit(AppEvent::Registered { error_code: 0, push_id: Some(push_id), message: String::new() });
        if matches!(self.zim, Zim::LoggedIn { .. }) && self.voip_push_id != self.server_voip_push_id {
            self.bind_voip_push();
        }
    }

    /// A token from the OS: an answer to `registerPush`, or a rotation the OS announces
    /// on its own. Only a token of the vendor this run of the app registers with is used:
    /// a rotation announced by a channel the push config leaves off is none of its business.
    pub(super) fn on_vendor_token(&mut self, vendor: Vendor, token: String) {
        if self.vendor() != Some(vendor) {
            return;
        }
        let push_id = PushId::new(vendor, self.environment(), token);
        self.push_id = Some(push_id.clone());
        self.emit(AppEvent::Registered { error_code: 0, push_id: Some(push_id), message: String::new() });
        if matches!(self.zim, Zim::LoggedIn { .. }) && self.push_id != self.server_push_id {
            self.bind_push();
        }
    }

    /// A notification the OS handed the running app: the vendor's callback
    /// (`notificationArrived` or `throughMessageReceived`, by [`push_services::arrival`]),
    /// once per message however often it is delivered.
    pub(super) fn on_notification(&mut self, vendor: Vendor, payload: &serde_json::Value) {
        let Some(notification) = self.read_notification(vendor, payload) else { return };
        let Some(arrival) = push_services::arrival(vendor) else { return };
        if notification.message_id.is_some_and(|id| !self.store.notify_once(id)) {
            return;
        }
        self.emit(match arrival {
            Arrival::NotificationArrived => AppEvent::NotificationArrived { notification },
            Arrival::ThroughMessageReceived => AppEvent::ThroughMessageReceived { notification },
        });
    }

    /// A tap on one of the app's notifications: `notificationClicked`, without the payload
    /// where the vendor keeps it from the callback (vivo).
    pub(super) fn on_notification_tapped(&mut self, vendor: Vendor, payload: &serde_json::Value) {
        let Some(mut notification) = self.read_notification(vendor, payload) else { return };
        if !push_services::click_carries_payload(vendor) {
            notification.payload.clear();
        }
        self.emit(AppEvent::NotificationClicked { notification });
    }

    /// Reads the vendor's payload, for the user logged in here (or whose login is under
    /// way, or who last logged in) only: another user's notification would show one
    /// account's message to whoever holds the phone (one install serves one user). A
    /// payload the vendor's decoder cannot read is dropped.
    fn read_notification(&self, vendor: Vendor, payload: &serde_json::Value) -> Option<Notification> {
        let notification = push_services::decode(vendor, payload)?;
        let here = self.user().or_else(|| self.store.last_login.clone())?;
        if notification.to_user.as_ref().is_some_and(|to| *to != here) {
            return None;
        }
        Some(notification)
    }
}
