//! `push-rule-respected` (always): while a user is online on any platform their offline-push
//! rule names in `online_platforms`, no push of theirs goes to an install on a platform in
//! `not_to_receive_offline_push_platforms` (ZIM's custom offline-push rules). The rule in
//! force is the user's last `push_rule_set`; who is online where comes from the server's
//! sessions, and the platform of a PushID's install from the session it logged in with.

use super::{device_of, Invariant, Kind, Tally, Verdict};
use std::collections::BTreeMap;
use zimsim_reference::client::AppEvent;
use zimsim_reference::ids::{DeviceId, UserId};
use zimsim_reference::pushid::PushId;
use zimsim_reference::server::ServerEvent;
use zimsim_reference::wire::{OfflinePushRule, Platform};
use zimsim_sim::trace::{Event, Record};

#[derive(Clone, Copy, Debug, Default)]
pub struct PushRuleRespected;

impl Invariant for PushRuleRespected {
    fn name(&self) -> &'static str {
        "push-rule-respected"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        // user -> their rule and the trace index that set it
        let mut rules: BTreeMap<&UserId, (&OfflinePushRule, usize)> = BTreeMap::new();
        // user -> install -> (platform, trace index) of their open sessions
        let mut online: BTreeMap<&UserId, BTreeMap<&DeviceId, (Platform, usize)>> = BTreeMap::new();
        let mut platform_of: BTreeMap<&DeviceId, Platform> = BTreeMap::new();
        let mut registered_by: BTreeMap<&PushId, DeviceId> = BTreeMap::new();
        for (i, r) in trace.iter().enumerate() {
            match &r.event {
                Event::App { event: AppEvent::Registered { push_id: Some(p), .. } } => {
                    registered_by.insert(p, device_of(r));
                }
                Event::Server { event: ServerEvent::SessionOpened { user, device, platform, .. } } => {
                    platform_of.insert(device, *platform);
                    online.entry(user).or_default().insert(device, (*platform, i));
                }
                Event::Server { event: ServerEvent::SessionEnded { user, device, .. } } => {
                    if let Some(held) = online.get_mut(user) {
                        held.remove(device);
                    }
                }
                Event::Server { event: ServerEvent::PushRuleSet { user, rule } } => {
                    rules.insert(user, (rule, i));
                }
                Event::Server { event: ServerEvent::PushRouted { id, user, push_id, .. } } => {
                    let Some((rule, set_at)) = rules.get(user) else { continue };
                    if rule.not_to_receive_offline_push_platforms.is_empty() {
                        continue;
                    }
                    tally.check(); // a push for a user with a rule in force
                    let Some(target) = registered_by.get(push_id).and_then(|d| platform_of.get(d)) else { continue };
                    if !rule.not_to_receive_offline_push_platforms.contains(target) {
                        continue;
                    }
                    let sessions = online.get(user).into_iter().flatten();
                    let named =
                        sessions.filter(|(_, (p, _))| rule.online_platforms.contains(p)).min_by_key(|(_, (_, at))| *at);
                    if let Some((there, (platform, at))) = named {
                        let detail = format!(
                            "{id} for {user} was pushed to {push_id} ({target:?}) while {user} was online on {there} ({platform:?}), which their rule silences"
                        );
                        tally.violation(r.t, detail, &[*set_at, *at, i]);
                    }
                }
                _ => {}
            }
        }
        tally.verdict(self)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::super::{Invariant, Status};
    use super::*;
    use zimsim_reference::ids::ConnId;

    fn opened(user: &str, device: &str, platform: Platform) -> Event {
        Event::Server {
            event: ServerEvent::SessionOpened { user: user.into(), device: device.into(), platform, conn: ConnId(1) },
        }
    }

    fn rule_set(user: &str) -> Event {
        let rule = OfflinePushRule {
            online_platforms: vec![Platform::Web],
            not_to_receive_offline_push_platforms: vec![Platform::Ios],
        };
        Event::Server { event: ServerEvent::PushRuleSet { user: user.into(), rule } }
    }

    /// Bob's phone (iOS) and tablet (Android) registered and timed out; he is on the web.
    fn bob_on_the_web() -> Vec<Record> {
        let (phone, tablet) = (push_id("phone"), push_id("tablet"));
        vec![
            rec(0, "bob-phone", registered(&phone)),
            rec(0, "bob-tablet", registered(&tablet)),
            rec(10, ZIM, opened("bob", "bob-phone", Platform::Ios)),
            rec(10, ZIM, opened("bob", "bob-tablet", Platform::Android)),
            rec(20, ZIM, opened("bob", "bob-web", Platform::Web)),
            rec(30, ZIM, rule_set("bob")),
            rec(40_000, ZIM, session_ended("bob", "bob-phone", zimsim_reference::server::SessionEnd::Timeout)),
            rec(40_000, ZIM, session_ended("bob", "bob-tablet", zimsim_reference::server::SessionEnd::Timeout)),
        ]
    }

    #[test]
    fn a_push_to_a_platform_the_rule_does_not_name_holds() {
        let mut trace = bob_on_the_web();
        trace.push(rec(41_000, ZIM, push_routed(1, "bob", &push_id("tablet"))));
        assert_verdict(&PushRuleRespected.check(&trace), Status::Held, 1);
    }

    #[test]
    fn a_push_to_a_silenced_platform_while_online_on_a_named_one_is_caught() {
        let mut trace = bob_on_the_web();
        trace.push(rec(41_000, ZIM, push_routed(1, "bob", &push_id("phone"))));
        let v = PushRuleRespected.check(&trace);
        assert_mentions(&single_violation(&v).detail, &["m1 for bob", "online on bob-web", "rule silences"]);
    }

    #[test]
    fn once_the_user_is_off_the_named_platforms_the_silenced_one_is_pushed_again() {
        let mut trace = bob_on_the_web();
        trace.push(rec(50_000, ZIM, session_ended("bob", "bob-web", zimsim_reference::server::SessionEnd::Logout)));
        trace.push(rec(51_000, ZIM, push_routed(1, "bob", &push_id("phone"))));
        assert_verdict(&PushRuleRespected.check(&trace), Status::Held, 1);
    }

    #[test]
    fn without_a_rule_it_is_vacuous() {
        let mut trace = bob_on_the_web();
        trace.remove(5);
        trace.push(rec(41_000, ZIM, push_routed(1, "bob", &push_id("phone"))));
        assert_verdict(&PushRuleRespected.check(&trace), Status::Vacuous, 0);
    }
}
