//! Builders for small hand-written traces, shared by the checkers' unit tests. Each builder
//! returns one [`Event`]; [`rec`] stamps it with a time and a source. Sources follow the
//! real traces: `zim` for the server, a vendor host for vendor facts, a device name for
//! everything a device saw.

use super::{Status, Verdict, Violation};
use zimsim_reference::client::{AppEvent, AppState, ConnectionEvent, ConnectionState, Notification, Via};
use zimsim_reference::ids::{ConnId, ConvKey, DeviceId, MessageId, UserId};
use zimsim_reference::push_services::{MessageKind, VendorEvent};
use zimsim_reference::pushid::{Environment, PushId, Vendor};
use zimsim_reference::relay::{PushOutcome, PushResult};
use zimsim_reference::server::{ServerEvent, SessionEnd, UnbindReason};
use zimsim_reference::wire::{ClientFrame, Message, MessageBody, Platform};
use zimsim_reference::Millis;
use zimsim_sim::scenario::Action;
use zimsim_sim::trace::{to_human, Event, Record, Source};

/// The server's source name.
pub(crate) const ZIM: &str = "zim";

pub(crate) fn rec(t: u64, src: &str, event: Event) -> Record {
    Record { t: Millis(t), src: Source::parse(src), event }
}

/// An APNs sandbox PushID for `token`.
pub(crate) fn push_id(token: &str) -> PushId {
    PushId::new(Vendor::Apns, Environment::Development, token)
}

// --- server ---

pub(crate) fn bound(user: &str, push_id: &PushId) -> Event {
    Event::Server { event: ServerEvent::Bound { user: UserId::new(user), push_id: push_id.clone() } }
}

pub(crate) fn unbound(user: &str, push_id: &PushId) -> Event {
    Event::Server {
        event: ServerEvent::Unbound { user: UserId::new(user), push_id: push_id.clone(), reason: UnbindReason::Logout },
    }
}

pub(crate) fn session_opened(user: &str, device: &str) -> Event {
    Event::Server {
        event: ServerEvent::SessionOpened {
            user: UserId::new(user),
            device: DeviceId::new(device),
            platform: Platform::Ios,
            conn: ConnId(1),
        },
    }
}

pub(crate) fn session_ended(user: &str, device: &str, reason: SessionEnd) -> Event {
    Event::Server {
        event: ServerEvent::SessionEnded { user: UserId::new(user), device: DeviceId::new(device), reason },
    }
}

/// The server decided to push message `id` for `user` to `push_id`.
pub(crate) fn push_routed(id: u64, user: &str, push_id: &PushId) -> Event {
    Event::Server {
        event: ServerEvent::PushRouted {
            id: MessageId(id),
            user: UserId::new(user),
            push_id: push_id.clone(),
            badge: None,
            resources_id: String::new(),
        },
    }
}

/// The server accepted message `id` from `from` for `to`.
pub(crate) fn accepted(id: u64, from: &str, to: &str) -> Event {
    let (from, to) = (UserId::new(from), UserId::new(to));
    Event::Server {
        event: ServerEvent::MessageAccepted {
            id: MessageId(id),
            conv: ConvKey::peer(&from, &to),
            seq: id,
            from,
            to: vec![to],
            push: true,
            stored: true,
            badge_increment: None,
        },
    }
}

// --- device ---

pub(crate) fn registered(push_id: &PushId) -> Event {
    Event::App { event: AppEvent::Registered { error_code: 0, push_id: Some(push_id.clone()), message: String::new() } }
}

pub(crate) fn logged_in(user: &str) -> Event {
    Event::App { event: AppEvent::LoggedIn { user: UserId::new(user) } }
}

pub(crate) fn login_failed(user: &str, code: u32) -> Event {
    Event::App { event: AppEvent::LoginFailed { user: UserId::new(user), code, message: String::new() } }
}

pub(crate) fn logged_out(user: &str) -> Event {
    Event::App { event: AppEvent::LoggedOut { user: UserId::new(user) } }
}

pub(crate) fn disconnected() -> Event {
    Event::App {
        event: AppEvent::ConnectionStateChanged {
            state: ConnectionState::Disconnected,
            cause: ConnectionEvent::KickedOut,
        },
    }
}

/// Message `id` from `from` surfaced to the app of `user`.
pub(crate) fn received(user: &str, id: u64, from: &str, via: Via) -> Event {
    let (to, from) = (UserId::new(user), UserId::new(from));
    let message = Message {
        id: MessageId(id),
        conv: ConvKey::peer(&from, &to),
        seq: id,
        from,
        body: MessageBody::Text { text: format!("message {id}") },
        sent_at: Millis(0),
        extended_data: String::new(),
    };
    Event::App { event: AppEvent::MessageReceived { user: to, message, via } }
}

/// The OS got a vendor notification for `to_user` about message `id`.
pub(crate) fn notification(to_user: &str, id: u64) -> Event {
    Event::Notification {
        id: format!("n{id}"),
        vendor: Vendor::Apns,
        app: AppState::NotRunning,
        message_kind: MessageKind::Notification,
        shown: true,
        replaced: None,
        notification: Notification {
            title: "New message".into(),
            content: format!("message {id}"),
            payload: String::new(),
            message_id: Some(MessageId(id)),
            to_user: Some(UserId::new(to_user)),
            badge: None,
        },
    }
}

/// The SDK handed the running app a notification for `to_user` about message `id`.
pub(crate) fn notification_arrived(to_user: &str, id: u64) -> Event {
    let Event::Notification { notification, .. } = notification(to_user, id) else { unreachable!() };
    Event::App { event: AppEvent::NotificationArrived { notification } }
}

/// The app asked the SDK to log in as `user` (a scenario step).
pub(crate) fn login_step(user: &str) -> Event {
    Event::Step { action: Action::login(user) }
}

/// The app asked the SDK to log out (a scenario step).
pub(crate) fn logout_step() -> Event {
    Event::Step { action: Action::LOGOUT }
}

/// A frame the server received on connection `conn`.
pub(crate) fn frame_in(conn: u64, frame: ClientFrame) -> Event {
    Event::FrameIn { conn: ConnId(conn), frame }
}

// --- relay ---

/// The server handed message `id` for `push_id` (to alice, from bob) to the relay.
pub(crate) fn push_submitted(id: u64, push_id: &PushId, status: u16) -> Event {
    Event::Server {
        event: zimsim_reference::server::ServerEvent::PushSubmitted {
            request: zimsim_reference::wire::PushRequest {
                push_id: push_id.clone(),
                user_id: UserId::new("alice"),
                message_id: MessageId(id),
                conv: std::sync::Arc::new(zimsim_reference::ids::ConvKey::peer(
                    &UserId::new("alice"),
                    &UserId::new("bob"),
                )),
                from: std::sync::Arc::new(UserId::new("bob")),
                push: std::sync::Arc::new(zimsim_reference::wire::PushConfig::new("t", "c", "")),
                badge: None,
            },
            status: Some(status),
        },
    }
}

/// The vendor refused the relay's request for message `id` to `push_id`.
pub(crate) fn vendor_rejected(id: u64, push_id: &PushId) -> Event {
    Event::VendorOutcome {
        outcome: PushOutcome {
            call: 1,
            attempts: 1,
            push_id: push_id.clone(),
            message_id: MessageId(id),
            result: PushResult::Rejected { status: 400, reason: "BadDeviceToken".into() },
        },
    }
}

// --- vendors ---

pub(crate) fn token_issued(device: &str, token: &str, env: Environment) -> Event {
    Event::Vendor {
        event: VendorEvent::TokenIssued {
            device: DeviceId::new(device),
            app: "im.zego.zimsim.demo".into(),
            token: token.into(),
            env,
            kind: Default::default(),
        },
    }
}

/// A provider request that came in on `env`'s endpoint for `token`.
pub(crate) fn request(env: Option<Environment>, token: Option<&str>) -> Event {
    let token = token.map(str::to_owned);
    Event::Vendor { event: VendorEvent::Request { env, token, status: 200, reason: None, token_refused: false } }
}

// --- assertions ---

/// Asserts the verdict's status and check count, showing the whole verdict if not.
#[track_caller]
pub(crate) fn assert_verdict(v: &Verdict, status: Status, checks: u64) {
    assert_eq!((v.status, v.checks), (status, checks), "{v:#?}");
    if status != Status::Violated {
        assert!(v.violations.is_empty(), "{v:#?}");
    }
}

/// The only violation of a verdict.
#[track_caller]
pub(crate) fn single_violation(v: &Verdict) -> &Violation {
    assert_eq!(v.status, Status::Violated, "{v:#?}");
    assert_eq!(v.violations.len(), 1, "{v:#?}");
    &v.violations[0]
}

/// The excerpt a violation showing the records at `indices` of `trace` should carry.
pub(crate) fn excerpt(trace: &[Record], indices: &[usize]) -> Vec<String> {
    let records: Vec<Record> = indices.iter().map(|&i| trace[i].clone()).collect();
    to_human(&records).lines().map(str::to_owned).collect()
}

/// Asserts `detail` names every one of `words`.
#[track_caller]
pub(crate) fn assert_mentions(detail: &str, words: &[&str]) {
    for w in words {
        assert!(detail.contains(w), "detail {detail:?} does not mention {w:?}");
    }
}
