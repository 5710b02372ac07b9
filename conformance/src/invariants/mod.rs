//! Invariant checkers. Each reads a finished trace and returns a [`Verdict`]: held,
//! violated (with the records that show it) or vacuous (nothing it guards happened), and how
//! many individual checks it made. Names are fixed by the spec and used in reports.
//!
//! - [`logout_clears_pushid`]: a logout acknowledged to the app leaves no binding behind and
//!   no notification for later messages.
//! - [`debug_pushid_isolation`]: a token only ever travels through its own environment.
//! - [`exactly_once_delivery`]: every message reaches every device of its recipient once.
//! - [`no_cross_user_leak`]: an install shows and surfaces only its own user's messages.
//! - [`offline_push_notified`]: every push the server decided on reaches its install.
//! - [`push_decisions`]: no push to an online install, to the sender, for a room message,
//!   or without a push config.
//! - [`ownership`]: one owner per PushID; a login kicks out what the login policy says.
//! - [`ordering`]: conversations in order; no message surfaced twice.
//! - [`notification_settings`]: do-not-disturb is honoured; badges add up.
//! - [`push_rules`]: a user's offline-push rule silences the platforms it names.
//! - [`dead_tokens`]: a token its vendor revoked is unbound; a live one never is.
//! - [`notifications`]: one notification per message on a device; the documented ZPNs
//!   callback for each vendor and app state.

pub mod dead_tokens;
pub mod debug_pushid_isolation;
pub mod disabled_vendor;
pub mod exactly_once_delivery;
pub mod logout_clears_pushid;
pub mod no_cross_user_leak;
pub mod notification_settings;
pub mod notifications;
pub mod offline_push_notified;
pub mod ordering;
pub mod ownership;
pub mod push_decisions;
pub mod push_rules;
#[cfg(test)]
pub(crate) mod testkit;

use serde::{Deserialize, Serialize};
use zimsim_reference::Millis;
use zimsim_sim::trace::{to_human, Record};

/// When an invariant is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Over the whole trace, faults included (safety).
    Always,
    /// At the end of the run, after heal-and-settle (liveness).
    Eventually,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Held,
    Violated,
    /// Nothing this invariant guards happened: not a pass.
    Vacuous,
}

/// One way the trace breaks an invariant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub at_ms: u64,
    pub detail: String,
    /// The records that show it, in the trace's human form.
    pub excerpt: Vec<String>,
    /// Their positions in the trace (0-based), so a timeline can mark them.
    pub records: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub name: String,
    pub kind: Kind,
    pub status: Status,
    pub checks: u64,
    pub violations: Vec<Violation>,
}

/// A checker over a finished trace.
pub trait Invariant {
    fn name(&self) -> &'static str;
    fn kind(&self) -> Kind;
    fn check(&self, trace: &[Record]) -> Verdict;
}

/// Every implemented invariant, in report order.
pub fn all() -> Vec<Box<dyn Invariant>> {
    vec![
        Box::new(logout_clears_pushid::LogoutClearsPushId),
        Box::new(debug_pushid_isolation::DebugPushIdIsolation),
        Box::new(disabled_vendor::DisabledVendorUnused),
        Box::new(exactly_once_delivery::ExactlyOnceDelivery),
        Box::new(no_cross_user_leak::NoCrossUserLeak),
        Box::new(offline_push_notified::OfflinePushNotified),
        Box::new(push_decisions::NoPushToOnlineDevice),
        Box::new(push_decisions::NoSelfPush),
        Box::new(push_decisions::RoomMessagesNeverPushed),
        Box::new(push_decisions::PushRequiresPushConfig),
        Box::new(ownership::SingleDeviceKickout),
        Box::new(ownership::PushIdSingleOwner),
        Box::new(ordering::ConversationOrder),
        Box::new(ordering::AtMostOnceDelivery),
        Box::new(notification_settings::DndSuppressesPush),
        Box::new(notification_settings::BadgeArithmetic),
        Box::new(push_rules::PushRuleRespected),
        Box::new(dead_tokens::DeadTokenUnbound),
        Box::new(dead_tokens::LiveTokenRetained),
        Box::new(notifications::AtMostOneNotification),
        Box::new(notifications::CallbackPerVendor),
    ]
}

/// Checks every invariant against a trace.
pub fn check_all(trace: &[Record]) -> Vec<Verdict> {
    all().iter().map(|i| i.check(trace)).collect()
}

/// The invariants the canonical story (`Scenario::canonical`, and the live flow, which tells
/// the same story on real sockets) leaves vacuous: it has no room, no message without a
/// push config, no kick-out, no muted chat and no push rule, nobody deletes the app, and no
/// app is pushed while it runs. Every other invariant must hold there and check something.
/// The one list the CLI test, the canonical tests and the live test compare against.
pub const VACUOUS_IN_CANONICAL: &[&str] = &[
    "room-messages-never-pushed",
    "push-requires-push-config",
    "single-device-kickout",
    "dnd-suppresses-push",
    "push-rule-respected",
    "dead-token-unbound",
    "live-token-retained",
    "callback-per-vendor",
];

/// When each device could not reach the ZIM server, from the faults the trace records: the
/// server crashed (until its bounce or the heal), the phones' link to it partitioned or
/// slowed (until the repair or the heal), the device's own network off, or its app frozen
/// (it runs no code). Checkers that give an SDK time to reach the server count only the
/// time it could.
#[derive(Debug, Default)]
pub(crate) struct Outages {
    /// Outages of every device, and of single devices: `[start, end)`, `end` `None` while open.
    all: Vec<(Millis, Option<Millis>)>,
    of: std::collections::BTreeMap<zimsim_reference::ids::DeviceId, Vec<(Millis, Option<Millis>)>>,
    /// When each device's app was frozen (apart from `of`: the two may overlap).
    frozen: std::collections::BTreeMap<zimsim_reference::ids::DeviceId, Vec<(Millis, Option<Millis>)>>,
}

impl Outages {
    pub(crate) fn of(trace: &[Record]) -> Outages {
        use zimsim_sim::scenario::{Action, DeviceStep, WorldStep};
        use zimsim_sim::trace::Event;
        let zim = zimsim_reference::topology::ZIM.host;
        // Conservative: a cut between any farm and the server counts for every phone.
        let is_farm = zimsim_reference::topology::is_farm;
        let cuts_phones = |a: &str, b: &str| (is_farm(a) && b == zim) || (a == zim && is_farm(b));
        let mut o = Outages::default();
        let close = |list: &mut Vec<(Millis, Option<Millis>)>, t: Millis| {
            if let Some(last) = list.last_mut().filter(|l| l.1.is_none()) {
                last.1 = Some(t);
            }
        };
        let open = |list: &mut Vec<(Millis, Option<Millis>)>, t: Millis| {
            if list.last().is_none_or(|l| l.1.is_some()) {
                list.push((t, None));
            }
        };
        // Global faults can overlap: count them, and keep one interval while any is on.
        let mut on: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        for r in trace {
            let action = match (&r.event, r.src.device()) {
                (Event::Step { action }, _) => action,
                (Event::AppState { state: zimsim_reference::client::AppState::Frozen }, Some(d)) => {
                    open(o.frozen.entry(d.clone()).or_default(), r.t);
                    continue;
                }
                (Event::AppState { .. } | Event::AppKilled | Event::AppUninstalled, Some(d)) => {
                    close(o.frozen.entry(d.clone()).or_default(), r.t);
                    continue;
                }
                _ => continue,
            };
            match (action, r.src.device()) {
                (Action::World(w), None) => {
                    let key = match w {
                        WorldStep::Crash { host } | WorldStep::Bounce { host } if host == zim => {
                            Some("crash".to_owned())
                        }
                        WorldStep::Partition { a, b } | WorldStep::Repair { a, b } if cuts_phones(a, b) => {
                            Some("partition".to_owned())
                        }
                        WorldStep::Latency { a, b, .. } if cuts_phones(a, b) => Some("latency".to_owned()),
                        _ => None,
                    };
                    match (w, key) {
                        (WorldStep::Heal, _) => on.clear(),
                        (
                            WorldStep::Crash { .. } | WorldStep::Partition { .. } | WorldStep::Latency { .. },
                            Some(k),
                        ) => {
                            on.insert(k);
                        }
                        (WorldStep::Bounce { .. } | WorldStep::Repair { .. }, Some(k)) => {
                            on.remove(&k);
                        }
                        _ => {}
                    }
                    if on.is_empty() {
                        close(&mut o.all, r.t);
                    } else {
                        open(&mut o.all, r.t);
                    }
                }
                (Action::Device(DeviceStep::NetworkOff), Some(d)) => open(o.of.entry(d.clone()).or_default(), r.t),
                (Action::Device(DeviceStep::NetworkOn), Some(d)) => close(o.of.entry(d.clone()).or_default(), r.t),
                _ => {}
            }
        }
        o
    }

    /// When `device` has had `grace` ms of reach to the server counted from `from`, or
    /// `None` if an outage it is in never ends.
    pub(crate) fn deadline(
        &self,
        device: &zimsim_reference::ids::DeviceId,
        from: Millis,
        grace: u64,
    ) -> Option<Millis> {
        let mut cuts: Vec<(Millis, Option<Millis>)> = self.all.clone();
        cuts.extend(self.of.get(device).into_iter().flatten().copied());
        cuts.extend(self.frozen.get(device).into_iter().flatten().copied());
        cuts.sort();
        let (mut t, mut left) = (from, grace);
        for (start, end) in cuts {
            if end.is_some_and(|e| e <= t) {
                continue;
            }
            if start > t {
                let reach = start.since(t);
                if reach >= left {
                    break;
                }
                left -= reach;
            }
            t = end?.max(t);
        }
        Some(t.plus(left))
    }
}

/// The device that recorded `r` (device events only ever come from devices).
pub(crate) fn device_of(r: &Record) -> zimsim_reference::ids::DeviceId {
    r.src.device().cloned().unwrap_or_else(|| zimsim_reference::ids::DeviceId::new(r.src.as_str()))
}

/// Accumulates checks and violations while a checker walks the trace.
#[derive(Debug)]
pub(crate) struct Tally<'t> {
    trace: &'t [Record],
    checks: u64,
    violations: Vec<Violation>,
}

impl<'t> Tally<'t> {
    pub(crate) fn new(trace: &'t [Record]) -> Self {
        Tally { trace, checks: 0, violations: Vec::new() }
    }

    pub(crate) fn check(&mut self) {
        self.checks += 1;
    }

    /// Records a violation shown by the records at `indices` (trace positions).
    pub(crate) fn violation(&mut self, at: Millis, detail: String, indices: &[usize]) {
        let mut idx = indices.to_vec();
        idx.sort_unstable();
        idx.dedup();
        let records: Vec<Record> = idx.iter().filter_map(|&i| self.trace.get(i).cloned()).collect();
        let excerpt = to_human(&records).lines().map(str::to_owned).collect();
        let records = idx.into_iter().filter(|&i| i < self.trace.len()).collect();
        self.violations.push(Violation { at_ms: at.0, detail, excerpt, records });
    }

    pub(crate) fn verdict(self, inv: &dyn Invariant) -> Verdict {
        let status = if !self.violations.is_empty() {
            Status::Violated
        } else if self.checks == 0 {
            Status::Vacuous
        } else {
            Status::Held
        };
        Verdict {
            name: inv.name().to_owned(),
            kind: inv.kind(),
            status,
            checks: self.checks,
            violations: self.violations,
        }
    }
}

#[cfg(test)]
mod outage_tests {
    use super::testkit::rec;
    use super::Outages;
    use zimsim_reference::ids::DeviceId;
    use zimsim_reference::Millis;
    use zimsim_sim::scenario::{Action, WorldStep};
    use zimsim_sim::trace::Event;

    fn world(step: WorldStep) -> Event {
        Event::Step { action: Action::World(step) }
    }

    #[test]
    fn grace_counts_only_time_the_device_could_reach_the_server() {
        let trace = vec![
            rec(1_000, "world", world(WorldStep::Crash { host: "zim".into() })),
            rec(4_000, "world", world(WorldStep::Bounce { host: "zim".into() })),
            rec(6_000, "phone", Event::Step { action: Action::NETWORK_OFF }),
            rec(9_000, "phone", Event::Step { action: Action::NETWORK_ON }),
            rec(20_000, "world", world(WorldStep::Partition { a: "farm-0".into(), b: "zim".into() })),
        ];
        let o = Outages::of(&trace);
        let (phone, other) = (DeviceId::from("phone"), DeviceId::from("other"));
        // From 0: 1 s of reach, down 1..4, 2 s more (to 6), the phone off 6..9, then 7 s.
        assert_eq!(o.deadline(&phone, Millis(0), 10_000), Some(Millis(16_000)));
        // Another phone is only cut off by the server's crash.
        assert_eq!(o.deadline(&other, Millis(0), 10_000), Some(Millis(13_000)));
        // Inside an outage that never ends, there is no deadline.
        assert_eq!(o.deadline(&phone, Millis(19_000), 10_000), None);
        assert_eq!(o.deadline(&phone, Millis(10_000), 5_000), Some(Millis(15_000)));
    }

    #[test]
    fn overlapping_faults_and_the_heal_end_together() {
        let trace = vec![
            rec(1_000, "world", world(WorldStep::Crash { host: "zim".into() })),
            rec(2_000, "world", world(WorldStep::Latency { a: "zim".into(), b: "farm-0".into(), ms: 900 })),
            rec(3_000, "world", world(WorldStep::Bounce { host: "zim".into() })),
            rec(5_000, "world", world(WorldStep::Heal)),
        ];
        let o = Outages::of(&trace);
        assert_eq!(o.deadline(&DeviceId::from("phone"), Millis(0), 2_000), Some(Millis(6_000)));
    }
}
