//! `disabled-vendor-unused` (always): an app registers for pushes only through a vendor
//! channel it enabled. On Android and the Web, every PushID the SDK hands the app
//! (`registered`) names a vendor the app's `setPushConfig` enabled in the same run of the
//! app (the push config lives in the process; a launch starts with every channel off, and
//! a call made while the app is not running reaches nobody).
//! APNs needs no flag. Which enabled channel a phone picks is reference policy, not part of
//! this rule.

use super::{device_of, Invariant, Kind, Tally, Verdict};
use std::collections::BTreeMap;
use zimsim_reference::client::{AppCall, AppEvent, ZpnsConfig};
use zimsim_reference::ids::DeviceId;
use zimsim_reference::pushid::Vendor;
use zimsim_sim::scenario::{Action, DeviceStep};
use zimsim_sim::trace::{Event, Record};

#[derive(Clone, Copy, Debug, Default)]
pub struct DisabledVendorUnused;

/// Whether `config` turns on `vendor`'s channel, restated from ZPNs' flags.
fn enabled(config: &ZpnsConfig, vendor: Vendor) -> bool {
    match vendor {
        Vendor::Apns => true,
        Vendor::Fcm => config.enable_fcm_push,
        Vendor::Hms => config.enable_hw_push,
        Vendor::Mi => config.enable_mi_push,
        Vendor::Oppo => config.enable_oppo_push,
        Vendor::Vivo => config.enable_vivo_push,
    }
}

impl Invariant for DisabledVendorUnused {
    fn name(&self) -> &'static str {
        "disabled-vendor-unused"
    }

    fn kind(&self) -> Kind {
        Kind::Always
    }

    fn check(&self, trace: &[Record]) -> Verdict {
        let mut tally = Tally::new(trace);
        // The push config of each device's running app, with the index of the call. Steps
        // are recorded as the device is told of them, before it carries them out, so a
        // launch is read from its step (an `app_launched` may follow the next steps).
        let mut config: BTreeMap<DeviceId, (ZpnsConfig, Option<usize>)> = BTreeMap::new();
        for (i, r) in trace.iter().enumerate() {
            match &r.event {
                Event::Step { action: Action::Device(DeviceStep::LaunchApp) } => {
                    config.entry(device_of(r)).or_insert((ZpnsConfig::default(), None));
                }
                Event::AppKilled | Event::AppUninstalled => {
                    config.remove(&device_of(r));
                }
                Event::Step { action: Action::App(AppCall::SetPushConfig { config: c }) } => {
                    // A call to an app that is not running reaches nobody.
                    if let Some(running) = config.get_mut(&device_of(r)) {
                        *running = (*c, Some(i));
                    }
                }
                Event::App { event: AppEvent::Registered { push_id: Some(push_id), .. } } => {
                    let device = device_of(r);
                    let (c, set_at) = config.get(&device).cloned().unwrap_or_default();
                    tally.check();
                    if !enabled(&c, push_id.vendor) {
                        let detail = format!(
                            "{device} registered a {} PushID although its push config leaves {} off",
                            push_id.vendor, push_id.vendor
                        );
                        let mut at: Vec<usize> = set_at.into_iter().collect();
                        at.push(i);
                        tally.violation(r.t, detail, &at);
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
    use super::super::{Invariant, Status, Verdict};
    use super::DisabledVendorUnused;
    use zimsim_reference::client::{AppCall, ZpnsConfig};
    use zimsim_reference::pushid::{Environment, PushId, Vendor};
    use zimsim_sim::scenario::Action;
    use zimsim_sim::trace::{Event, Record};

    fn check(trace: &[Record]) -> Verdict {
        DisabledVendorUnused.check(trace)
    }

    fn launch() -> Event {
        Event::Step { action: Action::LAUNCH_APP }
    }

    fn set(config: ZpnsConfig) -> Event {
        Event::Step { action: Action::App(AppCall::SetPushConfig { config }) }
    }

    fn pid(vendor: Vendor) -> PushId {
        PushId::new(vendor, Environment::Production, "tok")
    }

    const MI_AND_FCM: ZpnsConfig = ZpnsConfig {
        enable_fcm_push: true,
        enable_hw_push: false,
        enable_mi_push: true,
        enable_oppo_push: false,
        enable_vivo_push: false,
    };

    #[test]
    fn holds_when_each_registration_uses_an_enabled_channel_and_apns_needs_none() {
        let trace = vec![
            rec(0, "xiaomi", launch()),
            rec(10, "xiaomi", set(MI_AND_FCM)),
            rec(300, "xiaomi", registered(&pid(Vendor::Mi))),
            rec(0, "iphone", launch()),
            rec(300, "iphone", registered(&pid(Vendor::Apns))),
        ];
        assert_verdict(&check(&trace), Status::Held, 2);
    }

    #[test]
    fn is_vacuous_without_registrations() {
        let trace = vec![rec(0, "xiaomi", launch()), rec(10, "xiaomi", set(MI_AND_FCM))];
        assert_verdict(&check(&trace), Status::Vacuous, 0);
    }

    #[test]
    fn is_violated_by_a_registration_through_a_channel_left_off() {
        let trace = vec![
            rec(0, "huawei", launch()),
            rec(10, "huawei", set(MI_AND_FCM)),
            rec(300, "huawei", registered(&pid(Vendor::Hms))),
        ];
        let v = check(&trace);
        assert_verdict(&v, Status::Violated, 1);
        let violation = single_violation(&v);
        assert_mentions(&violation.detail, &["huawei registered a hms PushID", "leaves hms off"]);
        assert_eq!(violation.excerpt, excerpt(&trace, &[1, 2]));
    }

    #[test]
    fn a_push_config_set_while_the_app_is_not_running_counts_for_nothing() {
        let trace = vec![
            rec(10, "pixel", set(MI_AND_FCM)),
            rec(20, "pixel", launch()),
            rec(30, "pixel", Event::AppLaunched),
            rec(300, "pixel", registered(&pid(Vendor::Fcm))),
        ];
        assert_verdict(&check(&trace), Status::Violated, 1);
    }

    #[test]
    fn a_relaunch_forgets_the_push_config_of_the_last_run() {
        let trace = vec![
            rec(0, "pixel", launch()),
            rec(10, "pixel", set(MI_AND_FCM)),
            rec(300, "pixel", registered(&pid(Vendor::Fcm))),
            rec(5_000, "pixel", Event::AppKilled),
            rec(6_000, "pixel", launch()),
            rec(6_300, "pixel", registered(&pid(Vendor::Fcm))),
        ];
        let v = check(&trace);
        assert_verdict(&v, Status::Violated, 2);
        assert_eq!(single_violation(&v).at_ms, 6_300);
    }
}
