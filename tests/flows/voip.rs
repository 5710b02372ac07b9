//! iOS VoIP pushes seen from the phone: an app that registers with `enableIOSVoIP` holds a
//! PushKit token apart from its alert token, a call invitation reaches the killed app
//! through the VoIP token (push type `voip` on the `.voip` topic) and a chat message
//! through the alert token; once the app is deleted, both tokens are found dead and
//! unbound.

use crate::phone::shown;
use crate::run;
use zimsim_reference::client::{AppEvent, Build, IosEnvironment};
use zimsim_reference::pushid::{Environment, PushId, TokenKind, Vendor};
use zimsim_reference::relay::PushResult;
use zimsim_reference::server::{ServerEvent, UnbindReason};
use zimsim_reference::wire::{Platform, PushConfig, VoipConfig};
use zimsim_sim::catalog::{self, ScenarioBuilder};
use zimsim_sim::scenario::{Action, Scenario};
use zimsim_sim::trace::{Event, Record};

const SEEDS: std::ops::Range<u64> = 1..4;
const ALICE: &str = "alice-phone";

/// bob calls alice (a call invitation with a VoIP config) and then writes to her while her
/// app is killed; later she deletes the app and bob calls and writes again.
fn voip_call() -> Scenario {
    let call = |n: u32| {
        let voip = VoipConfig { handle_type: 1, handle_value: "bob".into(), has_video: n % 2 == 0 };
        let push = PushConfig { voip: Some(voip), ..PushConfig::new("bob", format!("call {n}"), "invite") };
        Action::send("alice", format!("call {n}"), Some(push))
    };
    ScenarioBuilder::new("voip-call")
        .device(ALICE, Platform::Ios, Build::Debug)
        .device("bob-phone", Platform::Android, Build::Release)
        .at(100, ALICE, Action::LAUNCH_APP)
        .at(200, ALICE, Action::register_push_with_voip(IosEnvironment::Automatic))
        .at(500, ALICE, catalog::login("alice"))
        .sign_in(100, "bob-phone", "bob")
        .at(3_000, ALICE, Action::KILL_APP)
        .at(25_000, "bob-phone", call(1))
        .at(26_000, "bob-phone", catalog::send("alice", "are you there?"))
        .at(30_000, ALICE, Action::UNINSTALL_APP)
        .at(31_000, "bob-phone", call(2))
        .at(32_000, "bob-phone", catalog::send("alice", "never mind"))
        .build()
}

/// The tokens alice's phone got from APNs: (alert, VoIP).
fn tokens(trace: &[Record]) -> (String, String) {
    let of = |want: TokenKind| {
        let found = trace.iter().filter(|r| r.src == ALICE).filter_map(|r| match &r.event {
            Event::OsToken { token, token_kind, .. } if *token_kind == want => Some(token.clone()),
            _ => None,
        });
        let found: Vec<String> = found.collect();
        assert_eq!(found.len(), 1, "one {want:?} token: {found:?}");
        found[0].clone()
    };
    (of(TokenKind::Alert), of(TokenKind::Voip))
}

/// The message ID the server gave the text `text` (as its sender's app was told).
fn message_id(trace: &[Record], text: &str) -> u64 {
    trace
        .iter()
        .find_map(|r| match &r.event {
            Event::App { event: AppEvent::MessageSent { message } } => {
                let body = serde_json::to_value(&message.body).ok()?;
                (body["text"] == text).then_some(message.id.0)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("{text:?} was sent"))
}

/// (PushID, push type, topic, vendor status) of every APNs call the relay made for message `id`.
fn apns_calls(trace: &[Record], id: u64) -> Vec<(PushId, String, String, Option<u16>)> {
    trace
        .iter()
        .filter_map(|r| match &r.event {
            Event::VendorCall { call } if call.message_id.0 == id => {
                let header = |h: &str| call.request.get(h).unwrap_or_default().to_owned();
                let status = trace.iter().find_map(|o| match &o.event {
                    Event::VendorOutcome { outcome } if outcome.call == call.call => match &outcome.result {
                        PushResult::Accepted => Some(200),
                        PushResult::Rejected { status, .. } | PushResult::DeadToken { status, .. } => Some(*status),
                        _ => None,
                    },
                    _ => None,
                });
                Some((call.push_id.clone(), header("apns-push-type"), header("apns-topic"), status))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_call_invitation_reaches_a_killed_iphone_through_its_voip_token_and_a_chat_message_through_its_alert_token() {
    for (seed, trace) in &run::scenario(&voip_call(), SEEDS) {
        let (alert, voip) = tokens(trace);
        assert_ne!(alert, voip, "seed {seed}: PushKit's token is not the alert token");
        let bundle = "im.zego.zimsim.demo";
        let alert_id = PushId::new(Vendor::Apns, Environment::Development, &alert);
        let voip_id = PushId::voip(Environment::Development, &voip);
        // The server learned both, for alice.
        for p in [&alert_id, &voip_id] {
            assert!(
                trace.iter().any(|r| matches!(&r.event,
                    Event::Server { event: ServerEvent::Bound { user, push_id } } if user.as_str() == "alice" && push_id == p)),
                "seed {seed}: {p} bound to alice"
            );
        }

        let call = message_id(trace, "call 1");
        assert_eq!(
            apns_calls(trace, call),
            vec![(voip_id.clone(), "voip".into(), format!("{bundle}.voip"), Some(200))],
            "seed {seed}: the call invitation goes to the VoIP token only"
        );
        assert!(shown(trace, ALICE).contains(&call), "seed {seed}: the killed phone got the call");

        let text = message_id(trace, "are you there?");
        assert_eq!(
            apns_calls(trace, text),
            vec![(alert_id.clone(), "alert".into(), bundle.to_owned(), Some(200))],
            "seed {seed}: a chat message goes to the alert token only"
        );
        assert!(shown(trace, ALICE).contains(&text), "seed {seed}: the killed phone showed the message");

        // After the app is deleted, APNs answers 410 for each token, and each is unbound.
        let late_call = message_id(trace, "call 2");
        assert_eq!(
            apns_calls(trace, late_call),
            vec![(voip_id.clone(), "voip".into(), format!("{bundle}.voip"), Some(410))],
            "seed {seed}"
        );
        let late_text = message_id(trace, "never mind");
        assert_eq!(
            apns_calls(trace, late_text),
            vec![(alert_id.clone(), "alert".into(), bundle.to_owned(), Some(410))],
            "seed {seed}"
        );
        for p in [&voip_id, &alert_id] {
            assert!(
                trace.iter().any(|r| matches!(&r.event,
                    Event::Server { event: ServerEvent::Unbound { push_id, reason: UnbindReason::DeadToken, .. } } if push_id == p)),
                "seed {seed}: {p} unbound as dead"
            );
        }
    }
}

#[test]
fn a_call_invitation_to_an_iphone_that_bound_no_voip_token_falls_back_to_an_alert_push() {
    let call = {
        let voip = VoipConfig { handle_type: 1, handle_value: "bob".into(), has_video: false };
        let push = PushConfig { voip: Some(voip), ..PushConfig::new("bob", "call", "invite") };
        Action::send("alice", "call", Some(push))
    };
    let scenario = catalog::alice_and_bob("voip-fallback")
        .at(3_000, ALICE, Action::KILL_APP)
        .at(25_000, "bob-phone", call)
        .build();
    let (report, out) = zimsim_conformance::run_with_trace(1, &scenario, None).expect("run completes");
    assert!(report.passed(), "{}", report.to_human());
    let trace = &out.trace;
    let id = message_id(trace, "call");
    let calls = apns_calls(trace, id);
    assert!(
        matches!(calls.as_slice(), [(p, push_type, topic, Some(200))]
            if !p.is_voip() && push_type == "alert" && topic == "im.zego.zimsim.demo"),
        "{calls:?}"
    );
    assert!(shown(trace, ALICE).contains(&id));
}

#[test]
fn generated_worlds_call_iphones_through_their_voip_tokens_and_the_phones_show_the_calls() {
    use zimsim_sim::generate::{generate, FaultMix, Profile};
    // (worlds with a call shown, calls shown) over the seeds.
    let (mut worlds, mut calls) = (0, 0);
    for seed in 0..60 {
        let scenario = generate(seed, Profile::Default, FaultMix::None);
        let (report, out) = zimsim_conformance::run_with_trace(seed, &scenario, None).expect("run completes");
        assert!(report.passed(), "seed {seed}: {}", report.to_human());
        let trace = &out.trace;
        // Which phone holds each VoIP token.
        let holder = |token: &str| {
            trace.iter().find_map(|r| match &r.event {
                Event::OsToken { token: t, token_kind: TokenKind::Voip, .. } if t == token => Some(r.src.as_str()),
                _ => None,
            })
        };
        // (phone, message) of each call a phone showed.
        let mut shown_here = std::collections::BTreeSet::new();
        for r in trace {
            let Event::VendorCall { call } = &r.event else { continue };
            if !call.push_id.is_voip() {
                continue;
            }
            // Sent as a VoIP push: APNs's `voip` push type on the `.voip` topic.
            assert_eq!(call.request.get("apns-push-type"), Some("voip"), "seed {seed}");
            assert!(call.request.get("apns-topic").is_some_and(|t| t.ends_with(".voip")), "seed {seed}");
            let device = holder(&call.push_id.token).expect("a phone holds the token");
            if shown(trace, device).contains(&call.message_id.0) {
                shown_here.insert((device, call.message_id.0));
            }
        }
        worlds += usize::from(!shown_here.is_empty());
        calls += shown_here.len();
    }
    assert!(worlds >= 3 && calls >= 4, "{calls} calls shown in {worlds} worlds");
}
