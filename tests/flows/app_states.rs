//! App states seen from the phone: for each message, whether the phone showed it, what the
//! app heard (ZEGO's callback per vendor and state), and what a tap opened, checked over
//! several seeds on the built-in `app-states` scenario.

use crate::phone::texts_on;
use crate::run;
use zimsim_reference::client::{AppEvent, AppState};
use zimsim_reference::pushid::Vendor;
use zimsim_reference::server::{ServerEvent, UnbindReason};
use zimsim_sim::trace::{Event, Record};

const SEEDS: std::ops::Range<u64> = 1..6;

/// What `device`'s user saw of each push, in order: the OS's handling of each delivery
/// (`"<app state> shown|silent: <content>"`) and each ZPNs callback the app heard.
fn story(trace: &[Record], device: &str) -> Vec<String> {
    let state = |s: AppState| serde_json::to_value(s).expect("serializes").as_str().expect("a name").to_owned();
    trace
        .iter()
        .filter(|r| r.src == device)
        .filter_map(|r| match &r.event {
            Event::Notification { app, shown, notification, .. } => {
                let how = if *shown { "shown" } else { "silent" };
                Some(format!("{} {how}: {}", state(*app), notification.content))
            }
            Event::App { event: AppEvent::NotificationArrived { notification } } => {
                Some(format!("arrived: {}", notification.content))
            }
            Event::App { event: AppEvent::ThroughMessageReceived { notification } } => {
                Some(format!("through: {}", notification.content))
            }
            Event::App { event: AppEvent::NotificationClicked { notification } } => {
                Some(format!("clicked: {} {}", notification.content, notification.payload))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn each_phone_shows_and_tells_its_app_what_its_vendor_does_in_each_app_state() {
    for (seed, trace) in run::builtin("app-states", SEEDS) {
        // bob's iPhone froze behind another app: iOS showed the message; his tap opened the
        // app with it, payload and all. Offline in front later, the held APNs push arrived
        // with the app open: nothing shown, `notificationArrived`.
        assert_eq!(
            story(&trace, "bob-iphone"),
            [
                "frozen shown: bob, frozen",
                r#"clicked: bob, frozen {"chat":"bob"}"#,
                "foreground silent: bob, offline in front",
                "arrived: bob, offline in front",
            ],
            "seed {seed}"
        );
        assert_eq!(texts_on(&trace, "bob-iphone"), ["bob, frozen", "bob, offline in front"], "seed {seed}");

        // carol's Pixel in front: FCM hands the app the message (`throughMessageReceived`)
        // and shows nothing. After `unregisterPush`, her next message is not pushed at all.
        assert_eq!(
            story(&trace, "carol-pixel"),
            ["foreground silent: carol, offline in front", "through: carol, offline in front"],
            "seed {seed}"
        );
        assert_eq!(texts_on(&trace, "carol-pixel"), ["carol, offline in front", "carol, unregistered"], "seed {seed}");

        // dan's Xiaomi: MiPush shows the message and tells the app running behind others;
        // frozen, the app hears nothing.
        assert_eq!(
            story(&trace, "dan-xiaomi"),
            [
                "background shown: dan, in the background",
                "arrived: dan, in the background",
                "frozen shown: dan, frozen"
            ],
            "seed {seed}"
        );
        assert_eq!(texts_on(&trace, "dan-xiaomi"), ["dan, in the background", "dan, frozen"], "seed {seed}");

        // erin said no: APNs delivered, the phone showed nothing, and she reads it in the app.
        assert_eq!(story(&trace, "erin-iphone"), ["not_running silent: erin, who said no"], "seed {seed}");
        assert_eq!(texts_on(&trace, "erin-iphone"), ["erin, who said no"], "seed {seed}");

        // The permission prompts: bob allowed, erin did not.
        let prompts: Vec<(&str, bool)> = trace
            .iter()
            .filter_map(|r| match &r.event {
                Event::PermissionPrompt { granted } => Some((r.src.as_str(), *granted)),
                _ => None,
            })
            .collect();
        assert_eq!(prompts, [("bob-iphone", true), ("erin-iphone", false)], "seed {seed}");

        // carol's unregistration unbound her PushID at the server and revoked her FCM token.
        let unregistered: Vec<&str> = trace
            .iter()
            .filter_map(|r| match &r.event {
                Event::Server { event: ServerEvent::Unbound { user, reason: UnbindReason::Unregister, .. } } => {
                    Some(user.as_str())
                }
                _ => None,
            })
            .collect();
        assert_eq!(unregistered, ["carol"], "seed {seed}");
        let vendors: Vec<Vendor> = trace
            .iter()
            .filter(|r| r.src == "carol-pixel")
            .filter_map(|r| match &r.event {
                Event::Notification { vendor, .. } => Some(*vendor),
                _ => None,
            })
            .collect();
        assert_eq!(vendors, [Vendor::Fcm], "seed {seed}");
    }
}
