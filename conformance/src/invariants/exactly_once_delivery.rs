//! `exactly-once-delivery` (eventually): every message the server accepted for a user is
//! surfaced exactly once on every device logged in as that user at the end of the run,
//! whether it arrived online or by sync.

use super::{Invariant, Kind, Tally, Verdict};
use std::collections::BTreeMap;
use zimsim_reference::client::{AppEvent, ConnectionState};
use zimsim_reference::ids::{DeviceId, MessageId, UserId};
use zimsim_reference::server::ServerEvent;
use zimsim_sim::trace::{Event, Record};

#[derive(Clone, Copy, Debug, Default)]
pub struct ExactlyOnceDelivery;

impl Invariant for ExactlyOnceDelivery {
    fn name(&self) -> &'static str {
        "exactly-once-delivery"
    }

    fn kind(&self) -> Kind {
        Kind::Eventually
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        // message -> (recipients, trace index of acceptance)
        let mut accepted: BTreeMap<MessageId, (&[UserId], usize)> = BTreeMap::new();
        // device -> user logged in there now (and the index of that login)
        let mut logged_in: BTreeMap<DeviceId, (&UserId, usize)> = BTreeMap::new();
        // (device, user, message) -> indices where it was surfaced
        let mut surfaced: BTreeMap<(DeviceId, &UserId, MessageId), Vec<usize>> = BTreeMap::new();

        for (i, r) in trace.iter().enumerate() {
            let device = || DeviceId::new(r.src.clone());
            match &r.event {
                Event::Server { event: ServerEvent::MessageAccepted { id, to, .. } } => {
                    accepted.insert(*id, (to, i));
                }
                Event::App { event: AppEvent::LoggedIn { user } } => {
                    logged_in.insert(device(), (user, i));
                }
                Event::App { event: AppEvent::LoggedOut { .. } }
                | Event::App { event: AppEvent::ConnectionStateChanged { state: ConnectionState::Disconnected, .. } }
                | Event::AppKilled => {
                    logged_in.remove(&device());
                }
                Event::App { event: AppEvent::MessageReceived { user, message, .. } } => {
                    surfaced.entry((device(), user, message.id)).or_default().push(i);
                }
                _ => {}
            }
        }

        let end = trace.last().map(|r| r.t).unwrap_or_default();
        for (device, (user, login_at)) in &logged_in {
            for (id, (to, accepted_at)) in &accepted {
                if !to.contains(user) {
                    continue;
                }
                tally.check();
                let seen = surfaced.get(&(device.clone(), *user, *id)).map(Vec::as_slice).unwrap_or_default();
                match seen.len() {
                    1 => {}
                    0 => tally.violation(
                        end,
                        format!("{id} for {user} never surfaced on {device}, which is logged in as {user} at the end"),
                        &[*accepted_at, *login_at],
                    ),
                    n => {
                        let mut shown = vec![*accepted_at];
                        shown.extend_from_slice(seen);
                        tally.violation(end, format!("{id} for {user} surfaced {n} times on {device}"), &shown)
                    }
                }
            }
        }
        tally.verdict(self)
    }
}
