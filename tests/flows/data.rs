//! Pushes the console makes FCM data messages (`data-messages`): what each phone shows,
//! what its app hears and when, and what the relay asked FCM and APNs for.

use crate::phone::{app_events, shown_log, texts_on};
use crate::run;
use serde_json::Value;
use zimsim_reference::client::AppEvent;
use zimsim_sim::trace::{Event, Record};

const SEEDS: std::ops::Range<u64> = 1..4;

/// (device, user, what its tray shows).
const PHONES: [(&str, &str, &[&str]); 6] = [
    ("carol-pixel", "carol", &[]),
    ("dan-pixel", "dan", &[]),
    ("erin-pixel", "erin", &[]),
    ("frank-pixel", "frank", &["for frank"]),
    ("bob-iphone", "bob", &["for bob"]),
    ("grace-xiaomi", "grace", &["for grace"]),
];

/// (time, content) of each `throughMessageReceived` on `device`.
fn heard(trace: &[Record], device: &str) -> Vec<(u64, String)> {
    app_events(trace, device)
        .filter_map(|(t, e)| match e {
            AppEvent::ThroughMessageReceived { notification } => Some((t, notification.content.clone())),
            AppEvent::NotificationArrived { notification } => Some((t, format!("arrived: {}", notification.content))),
            _ => None,
        })
        .collect()
}

/// The body of the relay's request for the push to `user`.
fn request_for(trace: &[Record], user: &str) -> Value {
    trace
        .iter()
        .find_map(|r| match &r.event {
            Event::VendorCall { call } => {
                let body: Value = serde_json::from_slice(&call.request.body).ok()?;
                let zim = body.pointer("/message/data/zim").and_then(Value::as_str).map(str::to_owned);
                let zim: Value = match zim {
                    Some(s) => serde_json::from_str(&s).ok()?,
                    None => body.get("zim")?.clone(),
                };
                (zim["to"] == user).then_some(body)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no vendor request for {user}"))
}

#[test]
fn a_data_message_is_never_shown_and_reaches_only_a_running_app() {
    for (seed, trace) in run::builtin("data-messages", SEEDS) {
        let trace: &[Record] = &trace;
        for (device, user, tray) in PHONES {
            let shown: Vec<String> = shown_log(trace, device).into_iter().map(|s| s.content).collect();
            assert_eq!(shown, tray, "seed {seed}: {device}'s tray");
            assert_eq!(texts_on(trace, device), [format!("for {user}")], "seed {seed}: {device} reads it once");
        }
        // carol's frozen app hears it when she brings it to the front at 50 s; dan's app in
        // the background as soon as FCM hands it over (his phone is back at 45 s).
        let carol = heard(trace, "carol-pixel");
        assert!(matches!(&carol[..], [(t, c)] if *t >= 50_000 && c == "for carol"), "seed {seed}: {carol:?}");
        let dan = heard(trace, "dan-pixel");
        assert!(matches!(&dan[..], [(t, c)] if *t >= 45_000 && c == "for dan"), "seed {seed}: {dan:?}");
        // erin's stopped app is never told; frank's killed one neither (a notification).
        assert_eq!(heard(trace, "erin-pixel"), [], "seed {seed}");
        assert_eq!(heard(trace, "frank-pixel"), [], "seed {seed}");
    }
}

#[test]
fn the_relay_maps_each_resource_per_vendor() {
    let (_, trace) = run::builtin("data-messages", 1..2).remove(0);
    let trace: &[Record] = &trace;
    // "silent" at FCM: no notification anywhere; what would be shown travels in `data`.
    let carol = request_for(trace, "carol");
    assert_eq!(carol.pointer("/message/notification"), None, "{carol}");
    assert_eq!(carol.pointer("/message/android/notification"), None, "{carol}");
    assert_eq!(carol.pointer("/message/data/body"), Some(&Value::from("for carol")), "{carol}");
    // "ring" at FCM: a notification with its channel and sound.
    let frank = request_for(trace, "frank");
    assert_eq!(frank.pointer("/message/notification/body"), Some(&Value::from("for frank")), "{frank}");
    assert_eq!(frank.pointer("/message/android/notification/channel_id"), Some(&Value::from("chat")), "{frank}");
    assert_eq!(frank.pointer("/message/android/notification/sound"), Some(&Value::from("ring")), "{frank}");
    // "silent" names no APNs sound: bob's alert keeps the default one.
    let bob = request_for(trace, "bob");
    assert_eq!(bob.pointer("/aps/sound"), Some(&Value::from("default")), "{bob}");
    assert_eq!(bob.pointer("/aps/alert/body"), Some(&Value::from("for bob")), "{bob}");
}
