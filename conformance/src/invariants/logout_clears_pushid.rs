//! `logout-clears-pushid`: once the app is told a logout succeeded, the server holds no
//! binding of that user to any PushID the device registered, and no notification for a
//! message accepted after that (until the user logs in there again) reaches the device.

use super::{Invariant, Kind, Tally, Verdict};
use std::collections::{BTreeMap, BTreeSet};
use zimsim_reference::client::AppEvent;
use zimsim_reference::ids::{DeviceId, MessageId, UserId};
use zimsim_reference::pushid::PushId;
use zimsim_reference::server::ServerEvent;
use zimsim_sim::trace::{Event, Record};

#[derive(Clone, Copy, Debug, Default)]
pub struct LogoutClearsPushId;

/// A (device, user) logged out at trace index `ack` and not logged in again before `until`.
struct Window {
    device: DeviceId,
    user: UserId,
    ack: usize,
    until: Option<usize>,
}

impl Invariant for LogoutClearsPushId {
    fn name(&self) -> &'static str {
        "logout-clears-pushid"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        let mut bindings: BTreeMap<&PushId, (&UserId, usize)> = BTreeMap::new();
        let mut registered: BTreeMap<DeviceId, BTreeSet<&PushId>> = BTreeMap::new();
        let mut accepted: BTreeMap<MessageId, usize> = BTreeMap::new();
        let mut windows: Vec<Window> = Vec::new();
        let mut notifications = Vec::new();

        for (i, r) in trace.iter().enumerate() {
            match &r.event {
                Event::Server { event: ServerEvent::Bound { user, push_id } } => {
                    bindings.insert(push_id, (user, i));
                }
                Event::Server { event: ServerEvent::Unbound { push_id, .. } } => {
                    bindings.remove(push_id);
                }
                Event::Server { event: ServerEvent::MessageAccepted { id, .. } } => {
                    accepted.insert(*id, i);
                }
                Event::App { event: AppEvent::Registered { push_id: Some(p), .. } } => {
                    registered.entry(DeviceId::new(r.src.clone())).or_default().insert(p);
                }
                Event::App { event: AppEvent::LoggedIn { user } } => {
                    let device = DeviceId::new(r.src.clone());
                    for w in windows.iter_mut().filter(|w| w.device == device && &w.user == user) {
                        w.until.get_or_insert(i);
                    }
                }
                Event::App { event: AppEvent::LoggedOut { user } } => {
                    let device = DeviceId::new(r.src.clone());
                    for p in registered.get(&device).into_iter().flatten() {
                        tally.check();
                        if let Some((owner, bound_at)) = bindings.get(p).filter(|(owner, _)| *owner == user) {
                            tally.violation(
                                r.t,
                                format!("logout of {user} acknowledged on {device}, but {owner} is still bound to {p}"),
                                &[*bound_at, i],
                            );
                        }
                    }
                    windows.push(Window { device, user: user.clone(), ack: i, until: None });
                }
                Event::Notification { .. } => notifications.push((i, r)),
                _ => {}
            }
        }

        // A notification breaks the rule if its message was accepted inside a logout window
        // of the same device and user.
        for (i, r) in notifications {
            let Event::Notification { notification, .. } = &r.event else { continue };
            let (Some(user), Some(m)) = (&notification.to_user, notification.message_id) else { continue };
            let device = DeviceId::new(r.src.clone());
            let Some(&accepted_at) = accepted.get(&m) else { continue };
            for w in windows.iter().filter(|w| w.device == device && &w.user == user) {
                tally.check();
                if accepted_at > w.ack && w.until.is_none_or(|u| accepted_at < u) {
                    tally.violation(
                        r.t,
                        format!("{device} was notified of {m} for {user}, accepted after {user} logged out there"),
                        &[w.ack, accepted_at, i],
                    );
                }
            }
        }
        tally.verdict(self)
    }
}
