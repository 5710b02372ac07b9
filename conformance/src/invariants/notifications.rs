//! What the phone shows and what the app hears of a push, read from the device's side.
//!
//! - `at-most-one-notification` (always): a device shows at most one notification per
//!   message. A notification that takes the place of one of the same message still in the
//!   tray (same collapse identifier) is the same notification; one shown again after the
//!   first was tapped away, or shown beside it, is a second.
//! - `callback-per-vendor` (always): the app hears of a push through the ZPNs callback
//!   ZEGO documents for the vendor that brought it and the state the app was in:
//!   `notificationArrived` for APNs in the foreground and for Mi while the app runs,
//!   `throughMessageReceived` for FCM in the foreground, nothing from HMS, OPPO or vivo,
//!   and `notificationClicked` for a tap, carrying what the notification said (vivo's without
//!   its payload). An FCM data message raises `throughMessageReceived` in every state of a
//!   running app (a frozen app's when it thaws; one killed first never hears it). Each
//!   arrival callback has a hand-over behind it and each tap its click; a hand-over for the
//!   install's user raises its callback once per message, never twice.
//!
//! The vendor table is restated here from ZEGO's documentation rather than taken from the
//! reference's `push_services::presentation`, so that a wrong table there is caught.

use super::{device_of, Invariant, Kind, Tally, Verdict};
use std::collections::{BTreeMap, BTreeSet};
use zimsim_reference::client::{AppCall, AppEvent, AppState, ConnectionEvent, Notification};
use zimsim_reference::ids::{DeviceId, MessageId, UserId};
use zimsim_reference::push_services::MessageKind;
use zimsim_reference::pushid::Vendor;
use zimsim_sim::scenario::Action;
use zimsim_sim::trace::{Event, Record};

#[derive(Clone, Copy, Debug, Default)]
pub struct AtMostOneNotification;

impl Invariant for AtMostOneNotification {
    fn name(&self) -> &'static str {
        "at-most-one-notification"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        // Per device: the message of each notification shown (by the OS's ID), and the
        // trace index of each message's first showing.
        let mut shown: BTreeMap<DeviceId, BTreeMap<String, MessageId>> = BTreeMap::new();
        let mut first: BTreeMap<(DeviceId, MessageId), usize> = BTreeMap::new();
        for (i, r) in trace.iter().enumerate() {
            let Event::Notification { id, shown: true, replaced, notification, .. } = &r.event else { continue };
            let Some(message) = notification.message_id else { continue };
            let device = device_of(r);
            let on_device = shown.entry(device.clone()).or_default();
            on_device.insert(id.clone(), message);
            tally.check();
            let in_place = replaced.as_ref().and_then(|old| on_device.get(old)) == Some(&message);
            match first.get(&(device.clone(), message)) {
                Some(&at) if !in_place => {
                    let detail = format!("{device} showed a second notification for {message}");
                    tally.violation(r.t, detail, &[at, i]);
                }
                Some(_) => {}
                None => {
                    first.insert((device, message), i);
                }
            }
        }
        tally.verdict(self)
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct CallbackPerVendor;

/// The callback ZEGO documents for a push of `kind` `vendor` delivers to an app in
/// `state` (`None`: the app is not told). A data message is only ever for the app: ZEGO's
/// "only triggers relevant callbacks".
fn documented(vendor: Vendor, state: AppState, kind: MessageKind) -> Option<&'static str> {
    match (vendor, state, kind) {
        (Vendor::Fcm, AppState::NotRunning, MessageKind::Data) => None,
        (Vendor::Fcm, _, MessageKind::Data) => Some("throughMessageReceived"),
        (Vendor::Apns, AppState::Foreground, _) => Some("notificationArrived"),
        (Vendor::Mi, AppState::Foreground | AppState::Background, _) => Some("notificationArrived"),
        (Vendor::Fcm, AppState::Foreground, _) => Some("throughMessageReceived"),
        _ => None,
    }
}

/// A notification as the OS received it.
struct Received<'t> {
    index: usize,
    vendor: Vendor,
    app: AppState,
    kind: MessageKind,
    notification: &'t Notification,
}

/// A hand-over that must raise a callback.
struct Owed {
    message: MessageId,
    callback: &'static str,
    index: usize,
    /// Handed to a frozen app that has not thawed since: it dies with the process.
    while_frozen: bool,
}

/// One device's story so far.
#[derive(Default)]
struct Phone<'t> {
    /// Every notification the OS received, by its ID.
    received: BTreeMap<&'t str, Received<'t>>,
    /// Hand-overs that must raise a callback.
    owed: Vec<Owed>,
    /// Messages an arrival callback was raised for on this install.
    called: BTreeSet<MessageId>,
    /// Taps not yet answered by a click: the tapped notification's ID and the tap's index.
    taps: Vec<(&'t str, usize)>,
    /// Whose notifications the install surely takes: its user since a login the app saw
    /// succeed, until a logout, a kick-out, or another login attempt (which may move the
    /// install to another user before the app hears of it).
    user: Option<UserId>,
}

impl Invariant for CallbackPerVendor {
    fn name(&self) -> &'static str {
        "callback-per-vendor"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        let mut phones: BTreeMap<DeviceId, Phone> = BTreeMap::new();
        for (i, r) in trace.iter().enumerate() {
            let device = device_of(r);
            match &r.event {
                Event::AppUninstalled => {
                    let phone = phones.entry(device).or_default();
                    phone.owed.retain(|o| !o.while_frozen);
                    phone.called.clear();
                    phone.user = None;
                }
                Event::AppKilled => phones.entry(device).or_default().owed.retain(|o| !o.while_frozen),
                Event::AppState { state } if *state != AppState::Frozen => {
                    phones.entry(device).or_default().owed.iter_mut().for_each(|o| o.while_frozen = false)
                }
                Event::Notification { id, vendor, app, message_kind: kind, notification, .. } => {
                    let phone = phones.entry(device).or_default();
                    let received = Received { index: i, vendor: *vendor, app: *app, kind: *kind, notification };
                    phone.received.insert(id, received);
                    let (Some(callback), Some(message)) = (documented(*vendor, *app, *kind), notification.message_id)
                    else {
                        continue;
                    };
                    let ours = phone.user.is_some() && notification.to_user == phone.user;
                    if ours && !phone.called.contains(&message) {
                        let while_frozen = *app == AppState::Frozen;
                        phone.owed.push(Owed { message, callback, index: i, while_frozen });
                    }
                }
                Event::NotificationTapped { id } => phones.entry(device).or_default().taps.push((id, i)),
                Event::Step { action: Action::App(AppCall::Login { .. }) } => {
                    phones.entry(device).or_default().user = None
                }
                Event::App { event } => {
                    let phone = phones.entry(device.clone()).or_default();
                    match event {
                        AppEvent::LoggedIn { user } => phone.user = Some(user.clone()),
                        AppEvent::LoggedOut { .. } | AppEvent::LoginFailed { .. } => phone.user = None,
                        AppEvent::ConnectionStateChanged { cause: ConnectionEvent::KickedOut, .. } => phone.user = None,
                        AppEvent::NotificationArrived { notification } => {
                            arrival(&mut tally, phone, &device, i, r, "notificationArrived", notification)
                        }
                        AppEvent::ThroughMessageReceived { notification } => {
                            arrival(&mut tally, phone, &device, i, r, "throughMessageReceived", notification)
                        }
                        AppEvent::NotificationClicked { notification } => {
                            click(&mut tally, phone, &device, i, r, notification)
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        let end = trace.last().map(|r| r.t).unwrap_or_default();
        for (device, phone) in &phones {
            for Owed { message, callback, index, .. } in &phone.owed {
                tally.check();
                let detail = format!("{device} was handed {message} but never raised {callback}");
                tally.violation(end, detail, &[*index]);
            }
        }
        tally.verdict(self)
    }
}

/// An arrival callback: it must answer a hand-over of that message by a vendor that raises
/// this callback, and be the first for the message on this install.
fn arrival(
    tally: &mut Tally,
    phone: &mut Phone,
    device: &DeviceId,
    i: usize,
    r: &Record,
    raised: &'static str,
    notification: &Notification,
) {
    tally.check();
    let Some(message) = notification.message_id else {
        return tally.violation(r.t, format!("{device} raised {raised} without a message ID"), &[i]);
    };
    let handed = phone.received.values().filter(|n| n.notification.message_id == Some(message)).max_by_key(|n| n.index);
    let Some(handed) = handed else {
        return tally.violation(
            r.t,
            format!("{device} raised {raised} for {message}, which no vendor delivered"),
            &[i],
        );
    };
    if !phone.called.insert(message) {
        return tally.violation(r.t, format!("{device} raised a second arrival callback for {message}"), &[i]);
    }
    phone.owed.retain(|o| o.message != message);
    let expected = documented(handed.vendor, handed.app, handed.kind);
    if expected != Some(raised) {
        let should = expected.unwrap_or("no callback");
        let state =
            serde_json::to_value(handed.app).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let detail =
            format!("{device} raised {raised} for {message} from {} ({state}), which raises {should}", handed.vendor);
        tally.violation(r.t, detail, &[handed.index, i]);
    }
}

/// A click: it must answer a tap on a notification of that message, and carry what it said.
fn click(tally: &mut Tally, phone: &mut Phone, device: &DeviceId, i: usize, r: &Record, clicked: &Notification) {
    tally.check();
    let tapped = phone
        .taps
        .iter()
        .position(|(id, _)| phone.received.get(id).is_some_and(|n| n.notification.message_id == clicked.message_id));
    let Some(pos) = tapped else {
        let detail = format!("{device} raised notificationClicked for {:?} with no tap on it", clicked.message_id);
        return tally.violation(r.t, detail, &[i]);
    };
    let (id, tap) = phone.taps.remove(pos);
    let shown = &phone.received[id];
    let mut expected = shown.notification.clone();
    if shown.vendor == Vendor::Vivo {
        expected.payload.clear(); // vivo hands the payload to the launched activity only
    }
    if *clicked != expected {
        let detail = format!("{device}'s notificationClicked says {clicked:?}, the tapped notification {expected:?}");
        tally.violation(r.t, detail, &[shown.index, tap, i]);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::super::{Invariant, Status};
    use super::{AtMostOneNotification, CallbackPerVendor};
    use zimsim_reference::client::{AppEvent, AppState};
    use zimsim_reference::push_services::MessageKind;
    use zimsim_reference::pushid::Vendor;
    use zimsim_sim::trace::{Event, Record};

    fn delivered(id: &str, vendor: Vendor, app: AppState, shown: bool, message: u64) -> Event {
        let Event::Notification { notification, .. } = notification("bob", message) else { unreachable!() };
        Event::Notification {
            id: id.into(),
            vendor,
            app,
            message_kind: MessageKind::Notification,
            shown,
            replaced: None,
            notification,
        }
    }

    /// An FCM data message about `message`, delivered while the app was in `app`.
    fn data(id: &str, app: AppState, message: u64) -> Event {
        let mut e = delivered(id, Vendor::Fcm, app, false, message);
        if let Event::Notification { message_kind, .. } = &mut e {
            *message_kind = MessageKind::Data;
        }
        e
    }

    fn replacing(id: &str, old: &str, message: u64) -> Event {
        let mut e = delivered(id, Vendor::Apns, AppState::NotRunning, true, message);
        if let Event::Notification { replaced, .. } = &mut e {
            *replaced = Some(old.into());
        }
        e
    }

    fn through(message: u64) -> Event {
        let Event::App { event: AppEvent::NotificationArrived { notification } } = notification_arrived("bob", message)
        else {
            unreachable!()
        };
        Event::App { event: AppEvent::ThroughMessageReceived { notification } }
    }

    fn clicked(message: u64, payload: &str) -> Event {
        let Event::App { event: AppEvent::NotificationArrived { mut notification } } =
            notification_arrived("bob", message)
        else {
            unreachable!()
        };
        notification.payload = payload.into();
        Event::App { event: AppEvent::NotificationClicked { notification } }
    }

    fn logged_in() -> Event {
        Event::App { event: AppEvent::LoggedIn { user: "bob".into() } }
    }

    fn status(inv: &dyn Invariant, trace: &[Record]) -> Status {
        inv.check(trace).status
    }

    #[test]
    fn one_notification_per_message_holds_and_a_collapse_replacement_is_the_same_one() {
        let trace = vec![
            rec(10, "bob-phone", delivered("n1", Vendor::Apns, AppState::NotRunning, true, 1)),
            rec(20, "bob-phone", replacing("n2", "n1", 1)),
            rec(30, "bob-phone", delivered("n3", Vendor::Apns, AppState::NotRunning, true, 2)),
            rec(30, "carol-phone", delivered("n4", Vendor::Apns, AppState::NotRunning, true, 1)),
        ];
        let v = AtMostOneNotification.check(&trace);
        assert_eq!((v.status, v.checks), (Status::Held, 4), "{v:?}");
        assert_eq!(status(&AtMostOneNotification, &trace[..0]), Status::Vacuous);
    }

    #[test]
    fn a_second_notification_for_a_message_is_a_violation_even_after_a_tap() {
        let beside = vec![
            rec(10, "bob-phone", delivered("n1", Vendor::Vivo, AppState::NotRunning, true, 1)),
            rec(20, "bob-phone", delivered("n2", Vendor::Vivo, AppState::NotRunning, true, 1)),
        ];
        let v = AtMostOneNotification.check(&beside);
        assert_eq!(v.status, Status::Violated, "{v:?}");
        assert!(v.violations[0].detail.contains("second notification for m1"), "{v:?}");
        // A replacement of another message's notification is no excuse.
        let other = vec![
            rec(10, "bob-phone", delivered("n1", Vendor::Apns, AppState::NotRunning, true, 1)),
            rec(15, "bob-phone", delivered("n9", Vendor::Apns, AppState::NotRunning, true, 9)),
            rec(20, "bob-phone", replacing("n2", "n9", 1)),
        ];
        assert_eq!(status(&AtMostOneNotification, &other), Status::Violated);
        // Not shown (handed to the app) is not a second notification.
        let handed = vec![
            rec(10, "bob-phone", delivered("n1", Vendor::Apns, AppState::NotRunning, true, 1)),
            rec(20, "bob-phone", delivered("n2", Vendor::Apns, AppState::Foreground, false, 1)),
        ];
        assert_eq!(status(&AtMostOneNotification, &handed), Status::Held);
    }

    #[test]
    fn the_documented_callback_for_each_vendor_holds() {
        let trace = vec![
            rec(1, "bob-phone", logged_in()),
            rec(10, "bob-phone", delivered("n1", Vendor::Apns, AppState::Foreground, false, 1)),
            rec(10, "bob-phone", notification_arrived("bob", 1)),
            rec(20, "bob-phone", delivered("n2", Vendor::Fcm, AppState::Foreground, false, 2)),
            rec(20, "bob-phone", through(2)),
            rec(30, "bob-phone", delivered("n3", Vendor::Mi, AppState::Background, true, 3)),
            rec(30, "bob-phone", notification_arrived("bob", 3)),
            // HMS tells the app nothing; a redelivery of message 3 owes nothing more.
            rec(40, "bob-phone", delivered("n4", Vendor::Hms, AppState::Foreground, true, 4)),
            rec(45, "bob-phone", delivered("n5", Vendor::Mi, AppState::Foreground, true, 3)),
        ];
        let v = CallbackPerVendor.check(&trace);
        assert_eq!((v.status, v.checks), (Status::Held, 3), "{v:?}");
    }

    #[test]
    fn notification_arrived_for_fcm_is_a_violation() {
        let trace = vec![
            rec(1, "bob-phone", logged_in()),
            rec(20, "bob-phone", delivered("n2", Vendor::Fcm, AppState::Foreground, false, 2)),
            rec(20, "bob-phone", notification_arrived("bob", 2)),
        ];
        let v = CallbackPerVendor.check(&trace);
        assert_eq!(v.status, Status::Violated, "{v:?}");
        assert!(v.violations[0].detail.contains("from fcm (foreground), which raises throughMessageReceived"), "{v:?}");
    }

    #[test]
    fn a_data_message_raises_through_message_received_in_every_running_state() {
        let thaw = Event::AppState { state: AppState::Foreground };
        let trace = vec![
            rec(1, "bob-phone", logged_in()),
            rec(10, "bob-phone", data("n1", AppState::Background, 1)),
            rec(10, "bob-phone", through(1)),
            // A frozen app hears it when it thaws.
            rec(20, "bob-phone", data("n2", AppState::Frozen, 2)),
            rec(30, "bob-phone", thaw.clone()),
            rec(30, "bob-phone", through(2)),
            // A stopped app is not told.
            rec(40, "bob-phone", data("n3", AppState::NotRunning, 3)),
        ];
        let v = CallbackPerVendor.check(&trace);
        assert_eq!((v.status, v.checks), (Status::Held, 2), "{v:?}");
        // Without the callback in the background, or after the thaw, it is owed.
        let mut silent = trace.clone();
        silent.remove(2);
        assert!(CallbackPerVendor.check(&silent).violations[0].detail.contains("never raised throughMessageReceived"));
        let mut after_thaw = trace.clone();
        after_thaw.remove(5);
        assert_eq!(status(&CallbackPerVendor, &after_thaw), Status::Violated);
        // A frozen app killed before it thaws dies with the message unheard: nothing owed.
        let mut killed = trace[..4].to_vec();
        killed.push(rec(25, "bob-phone", Event::AppKilled));
        assert_eq!(status(&CallbackPerVendor, &killed), Status::Held);
        // ... but killed after the thaw without the callback, it was owed.
        let mut late = trace[..5].to_vec();
        late.push(rec(35, "bob-phone", Event::AppKilled));
        assert_eq!(status(&CallbackPerVendor, &late), Status::Violated);
        // notificationArrived for a data message is the wrong callback.
        let wrong = vec![
            rec(1, "bob-phone", logged_in()),
            rec(10, "bob-phone", data("n1", AppState::Background, 1)),
            rec(10, "bob-phone", notification_arrived("bob", 1)),
        ];
        assert_eq!(status(&CallbackPerVendor, &wrong), Status::Violated);
    }

    #[test]
    fn a_missing_a_doubled_or_an_unprompted_callback_is_a_violation() {
        let missing = vec![
            rec(1, "bob-phone", logged_in()),
            rec(20, "bob-phone", delivered("n2", Vendor::Fcm, AppState::Foreground, false, 2)),
        ];
        let v = CallbackPerVendor.check(&missing);
        assert!(v.violations[0].detail.contains("never raised throughMessageReceived"), "{v:?}");
        // Not owed when the install is nobody's (logged out).
        assert_eq!(status(&CallbackPerVendor, &missing[1..]), Status::Vacuous);
        let doubled = vec![
            rec(1, "bob-phone", logged_in()),
            rec(20, "bob-phone", delivered("n2", Vendor::Fcm, AppState::Foreground, false, 2)),
            rec(20, "bob-phone", through(2)),
            rec(25, "bob-phone", delivered("n3", Vendor::Fcm, AppState::Foreground, false, 2)),
            rec(25, "bob-phone", through(2)),
        ];
        let v = CallbackPerVendor.check(&doubled);
        assert!(v.violations[0].detail.contains("second arrival callback"), "{v:?}");
        let unprompted = vec![rec(1, "bob-phone", logged_in()), rec(20, "bob-phone", through(2))];
        let v = CallbackPerVendor.check(&unprompted);
        assert!(v.violations[0].detail.contains("which no vendor delivered"), "{v:?}");
    }

    #[test]
    fn a_click_answers_a_tap_and_says_what_the_notification_said() {
        let tap = |id: &str| Event::NotificationTapped { id: id.into() };
        let good = vec![
            rec(10, "bob-phone", delivered("n1", Vendor::Apns, AppState::NotRunning, true, 1)),
            rec(20, "bob-phone", tap("n1")),
            rec(21, "bob-phone", clicked(1, "")),
            rec(30, "bob-phone", delivered("n2", Vendor::Vivo, AppState::NotRunning, true, 2)),
            rec(40, "bob-phone", tap("n2")),
            rec(41, "bob-phone", clicked(2, "")),
        ];
        let v = CallbackPerVendor.check(&good);
        assert_eq!((v.status, v.checks), (Status::Held, 2), "{v:?}");
        let mut wrong = good.clone();
        wrong[2] = rec(21, "bob-phone", clicked(1, "made up"));
        let v = CallbackPerVendor.check(&wrong);
        assert!(v.violations[0].detail.contains("notificationClicked says"), "{v:?}");
        let untapped = vec![good[0].clone(), good[2].clone()];
        let v = CallbackPerVendor.check(&untapped);
        assert!(v.violations[0].detail.contains("with no tap on it"), "{v:?}");
    }
}
