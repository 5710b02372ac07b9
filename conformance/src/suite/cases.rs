//! The conformance cases: each a scenario, the invariants it must check (hold with at
//! least one check, in every variation) and the documented behaviour or reference policy
//! behind it. IDs are stable: CI baselines and bug reports name them.
//!
//! The built-in scenarios each make one case; every push service also gets the same four
//! stories told on its own phones (environments, a dead token, an outage, the app states),
//! so an SDK's handling of one vendor cannot stand in for another's.

use super::Case;
use zimsim_reference::client::{Brand, Build};
use zimsim_reference::pushid::Vendor;
use zimsim_reference::topology::{self, VendorHost};
use zimsim_reference::wire::{Platform, PushConfig};
use zimsim_sim::catalog::{self, only, ScenarioBuilder};
use zimsim_sim::scenario::{Action, Scenario, WorldStep};

/// Every case, in report order.
pub fn all() -> Vec<Case> {
    let mut cases: Vec<Case> = BUILT_IN
        .iter()
        .map(|&(id, scenario, checks, holds)| {
            Case::new(id, catalog::builtin(scenario).expect("a built-in scenario"), checks, holds)
        })
        .collect();
    cases.push(Case::new(
        "lifecycle/uninstall-reinstall",
        reinstall(),
        "an app deleted and installed again gets a new token: the old one is dead and unbound, the new one bound at the next login and pushed (vendors: token lifecycle; policies: uninstall and token refresh)",
        &["dead-token-unbound", "offline-push-notified", "pushid-single-owner"],
    ));
    for vendor in Vendor::ALL {
        cases.extend(per_vendor(vendor));
    }
    cases
}

/// The case called `id`.
pub fn find(id: &str) -> Option<Case> {
    all().into_iter().find(|c| c.id == id)
}

type BuiltIn = (&'static str, &'static str, &'static str, &'static [&'static str]);

/// (case, built-in scenario, what it checks, invariants it must check).
const BUILT_IN: &[BuiltIn] = &[
    (
        "push/register-bind-and-offline-routing",
        "canonical",
        "registerPush yields a PushID bound at login; an offline user is pushed, an online one is not; logout unbinds (ZPNs integration guide; SPEC §2)",
        &["offline-push-notified", "no-push-to-online-device", "logout-clears-pushid", "debug-pushid-isolation", "exactly-once-delivery", "at-most-once-delivery", "no-self-push"],
    ),
    (
        "login/user-switch-without-logout",
        "user-switch",
        "a second user logging in on an install without logout takes it over: the first user's pushes stop (ZIM: call logout before switching users; policies: one install serves one user)",
        &["no-cross-user-leak", "pushid-single-owner"],
    ),
    (
        "login/user-switch-with-push",
        "switch-with-push",
        "a PushID re-registered by another user belongs to that user alone (policies: one owner per PushID)",
        &["pushid-single-owner", "no-cross-user-leak"],
    ),
    (
        "login/logout-then-kill",
        "logout-then-kill",
        "a logout cut short by a kill is finished by the next launch (policies: logout cut short by a kill)",
        &["logout-clears-pushid"],
    ),
    (
        "login/relogin-killed",
        "relogin-killed",
        "a login the app dies in is picked up cleanly at the next launch (policies: PushID across launches)",
        &["logout-clears-pushid", "exactly-once-delivery"],
    ),
    (
        "sync/reconnect-gap-fill",
        "phone-offline",
        "a phone back on the network reconnects and syncs every message it missed, once (ZIM: message sync after reconnect; policies: sync)",
        &["exactly-once-delivery", "at-most-once-delivery", "conversation-order"],
    ),
    (
        "lifecycle/server-crash",
        "server-crash",
        "messages and PushID bindings survive a server restart; clients reconnect and sync (policies: server crash)",
        &["exactly-once-delivery", "offline-push-notified"],
    ),
    (
        "login/token-expiry-and-renew",
        "token-expiry",
        "tokenWillExpire, renewToken keeps the session; an expired token ends it and the user is pushed (ZIM: token expiry)",
        &["exactly-once-delivery", "offline-push-notified"],
    ),
    (
        "group/fan-out-and-rooms",
        "group-chat",
        "a group message reaches every member and pushes the offline ones, never the sender; room messages are never stored or pushed (ZIM: groups, rooms)",
        &["no-self-push", "room-messages-never-pushed", "offline-push-notified", "exactly-once-delivery"],
    ),
    (
        "login/kick-out",
        "kick-out",
        "a login elsewhere kicks the old session out and its install gets none of the user's pushes after (ZIM: single-device login)",
        &["single-device-kickout", "no-cross-user-leak"],
    ),
    (
        "push/dnd-and-badges",
        "settings",
        "a muted conversation is not pushed; badges add each push's increment to the reported count (ZIM: setConversationNotificationStatus, setBadge)",
        &["dnd-suppresses-push", "badge-arithmetic"],
    ),
    (
        "push/backend-send",
        "backend-send",
        "messages the app's backend sends through the REST API are delivered online and pushed offline (ZIM server API)",
        &["offline-push-notified", "exactly-once-delivery"],
    ),
    (
        "vendor/dead-tokens-in-a-group",
        "dead-tokens",
        "a dead token is unbound and never stops the other members' pushes; a rotated token is bound again; 5xx is retried, not a dead token (vendors: dead-token answers)",
        &["dead-token-unbound", "live-token-retained", "offline-push-notified"],
    ),
    (
        "vendor/android-channels",
        "android-vendors",
        "an Android install registers with its maker's service when the app enabled it, else FCM; a disabled vendor is never used (ZPNs setPushConfig; policies: which Android channel)",
        &["disabled-vendor-unused", "offline-push-notified"],
    ),
    (
        "push/callbacks-per-app-state",
        "app-states",
        "the right ZPNs callback per vendor and app state; a tap raises notificationClicked with the payload; denied permission shows nothing; unregisterPush stops pushes (ZPNs callbacks)",
        &["callback-per-vendor", "at-most-one-notification", "offline-push-notified"],
    ),
    (
        "vendor/slow-answer-retry",
        "slow-vendor",
        "a vendor answering past the relay's timeout is retried with the same idempotency and replace keys: the phone shows the message once (vendors: retries)",
        &["at-most-one-notification", "offline-push-notified"],
    ),
    (
        "vendor/storage-and-expiry",
        "push-expiry",
        "each vendor keeps pushes for an offline phone as it documents, and lets them expire (vendors: storage)",
        &["offline-push-notified", "exactly-once-delivery"],
    ),
    (
        "push/data-messages",
        "data-messages",
        "a console resource making FCM pushes data messages: nothing shown, throughMessageReceived in a running app (ZPNs resourcesID)",
        &["offline-push-notified", "callback-per-vendor"],
    ),
    (
        "push/push-rules-multi-device",
        "multi-device",
        "an offline-push rule silences the platforms it names while the user is online on another (ZIM: updateUserOfflinePushRule)",
        &["push-rule-respected", "no-push-to-online-device"],
    ),
];

/// The four stories told on `vendor`'s phones.
fn per_vendor(vendor: Vendor) -> Vec<Case> {
    let (v, service, phone) = (vendor.as_str(), service(vendor), phone_name(vendor));
    vec![
        Case::new(
            format!("vendor/{v}/environments"),
            environments(vendor),
            format!(
                "a debug build on {phone} is pushed through {service}'s development credentials and a release build through production, never crossed (ZPNs: enableDebug / iOS environment)"
            ),
            &["debug-pushid-isolation", "offline-push-notified"],
        ),
        Case::new(
            format!("vendor/{v}/dead-token"),
            dead_token(vendor),
            format!(
                "an app deleted from {phone} leaves a dead {service} token: the relay tells ZIM, which unbinds it (vendors: dead-token answers)"
            ),
            &["dead-token-unbound"],
        ),
        Case::new(
            format!("vendor/{v}/outage-retry"),
            outage(vendor),
            format!(
                "{service} failing with 503 and Retry-After is retried; the push reaches {phone} and its token stays bound (vendors: retries)"
            ),
            &["offline-push-notified", "at-most-one-notification"],
        ),
        Case::new(
            format!("vendor/{v}/app-states"),
            app_states(vendor),
            format!(
                "a {service} push held for {phone} off the network reaches the app in the foreground with {service}'s callback; one for a frozen app is shown and a tap opens it with the payload (ZPNs callbacks)"
            ),
            &["callback-per-vendor", "offline-push-notified", "at-most-one-notification"],
        ),
    ]
}

/// The push service's name, as its maker writes it.
fn service(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Apns => "APNs",
        Vendor::Fcm => "FCM",
        Vendor::Hms => "HMS Push",
        Vendor::Mi => "MiPush",
        Vendor::Oppo => "OPPO Push",
        Vendor::Vivo => "vivo Push",
    }
}

/// The phone the cases use it on.
fn phone_name(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Apns => "an iPhone",
        Vendor::Fcm => "a Pixel",
        Vendor::Hms => "a Huawei phone",
        Vendor::Mi => "a Xiaomi phone",
        Vendor::Oppo => "an OPPO phone",
        Vendor::Vivo => "a vivo phone",
    }
}

/// The phone maker whose phones use `vendor` (FCM: a Pixel); `None` for APNs (an iPhone).
fn brand(vendor: Vendor) -> Option<Brand> {
    match vendor {
        Vendor::Apns => None,
        Vendor::Fcm => Some(Brand::Google),
        Vendor::Hms => Some(Brand::Huawei),
        Vendor::Mi => Some(Brand::Xiaomi),
        Vendor::Oppo => Some(Brand::Oppo),
        Vendor::Vivo => Some(Brand::Vivo),
    }
}

/// A phone of `vendor` for `user`, signed in at `at` (app launched, push set up for that
/// vendor alone, registered, logged in).
fn phone(b: ScenarioBuilder, vendor: Vendor, id: &str, user: &str, build: Build, at: u64) -> ScenarioBuilder {
    sign_in(phone_only(b, vendor, id, build), vendor, id, user, at)
}

fn phone_only(b: ScenarioBuilder, vendor: Vendor, id: &str, build: Build) -> ScenarioBuilder {
    match brand(vendor) {
        None => b.device(id, Platform::Ios, build),
        Some(brand) => b.android(id, brand, build),
    }
}

fn sign_in(b: ScenarioBuilder, vendor: Vendor, id: &str, user: &str, at: u64) -> ScenarioBuilder {
    match vendor {
        Vendor::Apns => b.sign_in(at, id, user),
        _ => b.sign_in_with(at, id, user, only(&[vendor])),
    }
}

/// The API host of `vendor` in the environment of `build`.
fn host(vendor: Vendor, build: Build) -> VendorHost {
    topology::vendor_host(vendor, build.environment())
}

/// alice (an iPhone, or a Pixel when the vendor is APNs) writes.
fn sender(b: ScenarioBuilder, vendor: Vendor) -> ScenarioBuilder {
    match vendor {
        Vendor::Apns => b.device("alice-phone", Platform::Android, Build::Release).sign_in(100, "alice-phone", "alice"),
        _ => b.device("alice-phone", Platform::Ios, Build::Release).sign_in(100, "alice-phone", "alice"),
    }
}

fn text(to: &str, text: &str) -> Action {
    let push = PushConfig::new("New message", text, format!("{{\"chat\":\"{to}\"}}"));
    Action::send(to, text, Some(push))
}

/// dana's debug build and rita's release build, both locked, are written to; both come back.
fn environments(vendor: Vendor) -> Scenario {
    let v = vendor.as_str();
    let mut b = sender(ScenarioBuilder::new(&format!("{v}-environments")), vendor);
    for (id, user, build) in [("dana-debug", "dana", Build::Debug), ("rita-release", "rita", Build::Release)] {
        b = phone(b, vendor, id, user, build, 100).at(3_000, id, Action::KILL_APP);
        b = sign_in(b, vendor, id, user, 60_000);
    }
    b.at(30_000, "alice-phone", text("dana", "for the debug build"))
        .at(30_500, "alice-phone", text("rita", "for the release build"))
        .build()
}

/// bob deletes the app; alice writes twice: the first push meets the dead token, and ZIM
/// unbinds it before the second.
fn dead_token(vendor: Vendor) -> Scenario {
    let v = vendor.as_str();
    let b = sender(ScenarioBuilder::new(&format!("{v}-dead-token")), vendor);
    phone(b, vendor, "bob-phone", "bob", Build::Release, 100)
        .at(3_000, "bob-phone", Action::UNINSTALL_APP)
        .at(25_000, "alice-phone", text("bob", "are you there?"))
        .at(40_000, "alice-phone", text("bob", "hello?"))
        .build()
}

/// bob deletes the app from his iPhone; alice writes (the push meets the dead token); bob
/// installs the app again and logs in, then locks the phone; alice writes again, and bob
/// comes back to read.
fn reinstall() -> Scenario {
    let b = sender(ScenarioBuilder::new("uninstall-reinstall"), Vendor::Apns);
    let b = phone(b, Vendor::Apns, "bob-phone", "bob", Build::Release, 100)
        .at(3_000, "bob-phone", Action::UNINSTALL_APP)
        .at(25_000, "alice-phone", text("bob", "did you delete the app?"));
    sign_in(b, Vendor::Apns, "bob-phone", "bob", 40_000)
        .at(45_000, "bob-phone", Action::KILL_APP)
        .at(70_000, "alice-phone", text("bob", "welcome back"))
        .sign_in(90_000, "bob-phone", "bob")
        .build()
}

/// bob's phone is locked; the vendor fails its next two sends with 503 and `Retry-After: 1`
/// as alice writes, so the relay retries; bob comes back and reads.
fn outage(vendor: Vendor) -> Scenario {
    let v = vendor.as_str();
    let b = sender(ScenarioBuilder::new(&format!("{v}-outage-retry")), vendor);
    let host = host(vendor, Build::Release).name.to_owned();
    let outage = WorldStep::VendorFail { host, status: Some(503), count: 2, retry_after_s: Some(1), slow_ms: None };
    let b = phone(b, vendor, "bob-phone", "bob", Build::Release, 100)
        .at(3_000, "bob-phone", Action::KILL_APP)
        .world(25_000, outage)
        .at(25_500, "alice-phone", text("bob", "through the outage"));
    sign_in(b, vendor, "bob-phone", "bob", 60_000).build()
}

/// bob's phone loses its network in the foreground; alice writes; the push the vendor held
/// reaches the app in front when the network is back. Later the app is frozen in the
/// background, alice writes again, and bob taps the notification.
fn app_states(vendor: Vendor) -> Scenario {
    let v = vendor.as_str();
    let b = sender(ScenarioBuilder::new(&format!("{v}-app-states")), vendor);
    phone(b, vendor, "bob-phone", "bob", Build::Release, 100)
        .at(3_000, "bob-phone", Action::NETWORK_OFF)
        .at(25_000, "alice-phone", text("bob", "while you were away"))
        .at(35_000, "bob-phone", Action::NETWORK_ON)
        .at(45_000, "bob-phone", Action::BACKGROUND)
        .at(45_100, "bob-phone", Action::FREEZE)
        .at(70_000, "alice-phone", text("bob", "tap me"))
        .at(80_000, "bob-phone", Action::TAP_NOTIFICATION)
        .build()
}
