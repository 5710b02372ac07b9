//! Unit tests of the reference SDK.

use super::*;
use crate::wire::{MessageBody, Outgoing};

fn ios_debug() -> SdkConfig {
    SdkConfig::new("phone".into(), Platform::Ios, Build::Debug)
}

fn drain(sdk: &mut ReferenceSdk) -> Vec<SdkOutput> {
    std::iter::from_fn(|| sdk.poll_output()).collect()
}

fn feed(sdk: &mut ReferenceSdk, now: u64, input: SdkInput) -> Vec<SdkOutput> {
    sdk.handle(Millis(now), input);
    drain(sdk)
}

fn app(sdk: &mut ReferenceSdk, now: u64, command: AppCall) -> Vec<SdkOutput> {
    feed(sdk, now, SdkInput::App { call: command })
}

fn server(sdk: &mut ReferenceSdk, now: u64, frame: ServerFrame) -> Vec<SdkOutput> {
    feed(sdk, now, SdkInput::Frame { frame })
}

fn tick(sdk: &mut ReferenceSdk, now: u64) -> Vec<SdkOutput> {
    feed(sdk, now, SdkInput::Tick)
}

fn ev(event: AppEvent) -> SdkOutput {
    SdkOutput::Event { event }
}

fn out(frame: ClientFrame) -> SdkOutput {
    SdkOutput::Send { frame }
}

fn state(state: ConnectionState, cause: ConnectionEvent) -> SdkOutput {
    ev(AppEvent::ConnectionStateChanged { state, cause })
}

fn conv() -> ConvKey {
    ConvKey::peer(&"alice".into(), &"bob".into())
}

fn msg(id: u64, seq: u64) -> Message {
    Message {
        id: MessageId(id),
        conv: conv(),
        seq,
        from: "bob".into(),
        body: MessageBody::Text { text: format!("m{id}") },
        sent_at: Millis(id),
        extended_data: String::new(),
    }
}

fn received(m: Message, via: Via) -> SdkOutput {
    ev(AppEvent::MessageReceived { user: "alice".into(), message: m, via })
}

fn login_command() -> AppCall {
    AppCall::Login { user: "alice".into(), token: Some("tok".into()) }
}

/// Logs "alice" in at time 0; the initial sync (req 2) is left outstanding.
/// `n` as APNs delivers it to the app: the payload the relay built, as the OS hands it over.
fn apns_delivery(n: &Notification) -> SdkInput {
    let zim = n.message_id.zip(n.to_user.clone()).map(|(message_id, to)| {
        let from = crate::ids::UserId::from("bob");
        crate::wire::ZimExtras {
            message_id,
            conv: ConvKey::peer(&to, &from),
            to,
            from,
            resources_id: String::new(),
            voip: None,
        }
        .to_json()
    });
    let mut payload = serde_json::json!({
        "aps": {"alert": {"title": n.title, "body": n.content}},
        "payload": n.payload,
    });
    if let Some(zim) = zim {
        payload["zim"] = zim;
    }
    if let Some(badge) = n.badge {
        payload["aps"]["badge"] = badge.into();
    }
    SdkInput::Notification { vendor: Vendor::Apns, payload }
}

fn logged_in(config: SdkConfig) -> ReferenceSdk {
    let mut sdk = ReferenceSdk::new(config, None);
    app(&mut sdk, 0, login_command());
    feed(&mut sdk, 0, SdkInput::Connected);
    let o = server(&mut sdk, 0, ServerFrame::LoginOk { req: 1 });
    assert!(matches!(o.last(), Some(SdkOutput::Send { frame: ClientFrame::Sync { req: 2, .. } })), "{o:?}");
    sdk
}

/// alice taps Log out and the app dies before anything reaches the server: what the next
/// launch finds on disk.
fn killed_right_after_logout() -> serde_json::Value {
    let mut sdk = logged_in(ios_debug());
    assert_eq!(app(&mut sdk, 1, AppCall::Logout), vec![out(ClientFrame::Logout { req: 3 })]);
    sdk.persisted()
}

mod connection;
mod login;
mod logout;
mod messages;
mod requests;
mod token;
mod zpns;
