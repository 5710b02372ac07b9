//! Pushes that outlive their lifetime: what six locked phones off the network show when
//! they come back, and that their users still read every message.

use crate::phone::{shown_log, texts_on};
use crate::run;
use zimsim_reference::push_services::{DropReason, VendorEvent};
use zimsim_sim::trace::Event;

const SEEDS: std::ops::Range<u64> = 1..4;

/// (device, user, what its tray shows after the two minutes away).
const PHONES: [(&str, &str, &[&str]); 6] = [
    ("bob-iphone", "bob", &["second for bob"]),
    ("carol-pixel", "carol", &["second for carol"]),
    ("dan-huawei", "dan", &["second for dan"]),
    ("erin-xiaomi", "erin", &["second for erin"]),
    ("frank-oppo", "frank", &["first for frank", "second for frank"]),
    ("grace-vivo", "grace", &["second for grace"]),
];

#[test]
fn a_push_older_than_its_ttl_is_dropped_by_the_vendor_and_read_through_the_sync_instead() {
    for (seed, trace) in &run::builtin("push-expiry", SEEDS) {
        for (device, user, expected) in PHONES {
            let shown: Vec<String> = shown_log(trace, device).into_iter().map(|s| s.content).collect();
            assert_eq!(shown, expected, "seed {seed}: {device}'s tray");
            // Back in the app, the user reads both messages, each once.
            let mut read = texts_on(trace, device);
            read.sort();
            assert_eq!(read, [format!("first for {user}"), format!("second for {user}")], "seed {seed}: {device}");
        }
        // Each vendor but OPPO says why "first" never showed.
        let mut expired: Vec<&str> = trace
            .iter()
            .filter_map(|r| match &r.event {
                Event::Vendor { event: VendorEvent::Dropped { device, reason: DropReason::Expired, .. } } => {
                    Some(device.as_str())
                }
                _ => None,
            })
            .collect();
        expired.sort();
        let expected: Vec<&str> = PHONES.iter().map(|p| p.0).filter(|d| *d != "frank-oppo").collect();
        assert_eq!(expired, expected, "seed {seed}");
    }
}
