//! `zimsim replay`: the timeline of one run with the invariant verdicts written onto it. The
//! human form is the trace, one line a record, with every record a violation points at
//! marked and explained; the mermaid form is a `sequenceDiagram` of who said what to whom.

use crate::invariants::{Status, Verdict};
use crate::report::RunReport;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use zimsim_reference::client::AppEvent;
use zimsim_reference::ids::ConnId;
use zimsim_reference::server::ServerEvent;
use zimsim_reference::vendor::VendorEvent;
use zimsim_reference::wire::{ClientFrame, ServerFrame};
use zimsim_sim::trace::{to_human, Event, Record};

/// Trace index -> the (invariant, detail) of every violation that points at it (`all`), or
/// only of those it completes (the last record a violation points at).
fn marks(verdicts: &[Verdict], all: bool) -> BTreeMap<usize, Vec<(&str, &str)>> {
    let mut marks: BTreeMap<usize, Vec<(&str, &str)>> = BTreeMap::new();
    for v in verdicts.iter().filter(|v| v.status == Status::Violated) {
        for violation in &v.violations {
            let at = if all {
                &violation.records[..]
            } else {
                violation.records.last().map(std::slice::from_ref).unwrap_or_default()
            };
            for &i in at {
                let entry = marks.entry(i).or_default();
                let mark = (v.name.as_str(), violation.detail.as_str());
                if !entry.contains(&mark) {
                    entry.push(mark);
                }
            }
        }
    }
    marks
}

/// The timeline for a person: every record, the violating ones marked `>>` and followed by
/// what they break, then the report.
pub fn human(report: &RunReport, trace: &[Record]) -> String {
    let marks = marks(&report.invariants, true);
    let mut o = String::new();
    for (i, line) in to_human(trace).lines().enumerate() {
        match marks.get(&i) {
            None => {
                let _ = writeln!(o, "   {line}");
            }
            Some(why) => {
                let _ = writeln!(o, ">> {line}");
                for (name, detail) in why {
                    let _ = writeln!(o, "   {:>9} ^ {name}: {detail}", "");
                }
            }
        }
    }
    o.push('\n');
    o.push_str(&report.to_human());
    o
}

/// The timeline as JSON: the report, every record, and which records each violation marks.
pub fn json(report: &RunReport, trace: &[Record]) -> String {
    #[derive(Serialize)]
    struct Replay<'a> {
        report: &'a RunReport,
        trace: &'a [Record],
        marks: BTreeMap<usize, Vec<&'a str>>,
    }
    let marks = marks(&report.invariants, true)
        .into_iter()
        .map(|(i, v)| (i, v.into_iter().map(|(n, _)| n).collect()))
        .collect();
    serde_json::to_string_pretty(&Replay { report, trace, marks }).expect("replays serialize")
}

/// The timeline as a mermaid `sequenceDiagram`: devices, the ZIM server, the relay and the
/// vendors as lanes; frames, pushes, vendor calls and notifications as arrows; steps and app
/// events as notes; violations as red notes on the lane where they happened. Heartbeats are
/// left out.
pub fn mermaid(report: &RunReport, trace: &[Record]) -> String {
    let marks = marks(&report.invariants, false);
    let mut lanes: Vec<String> = Vec::new();
    let mut lane = |name: &str| -> String {
        let i = lanes.iter().position(|l| l == name).unwrap_or_else(|| {
            lanes.push(name.to_owned());
            lanes.len() - 1
        });
        format!("P{i}")
    };
    // Which device each server connection belongs to (from its login frame).
    let mut device_of: BTreeMap<ConnId, String> = BTreeMap::new();
    let mut body = String::new();
    for (i, r) in trace.iter().enumerate() {
        let t = r.t;
        let src = lane(&r.src);
        let line = match &r.event {
            Event::Step { action } => Some(format!("Note over {src}: {t} step {}", short(action))),
            Event::AppLaunched => Some(format!("Note over {src}: {t} app launched")),
            Event::AppKilled => Some(format!("Note over {src}: {t} app killed")),
            Event::App { event } => app_note(event).map(|what| format!("Note over {src}: {t} {what}")),
            Event::FrameIn { conn, frame } => {
                if let ClientFrame::Login { device_id, .. } = frame {
                    device_of.insert(*conn, device_id.to_string());
                }
                match (frame, device_of.get(conn)) {
                    (ClientFrame::Heartbeat | ClientFrame::Ack { .. }, _) | (_, None) => None,
                    (frame, Some(d)) => Some(format!("{}->>{src}: {t} {}", lane(&d.clone()), short(frame))),
                }
            }
            Event::FrameOut { conn, frame } => match (frame, device_of.get(conn)) {
                (ServerFrame::Pong, _) | (_, None) => None,
                (frame, Some(d)) => Some(format!("{src}->>{}: {t} {}", lane(&d.clone()), short(frame))),
            },
            Event::Server { event: ServerEvent::PushRouted { id, user, .. } } => {
                Some(format!("{src}->>{}: {t} push {id} for {user}", lane("zpns")))
            }
            Event::Server { event: ServerEvent::Bound { user, .. } } => {
                Some(format!("Note over {src}: {t} bound {user}"))
            }
            Event::Server { event: ServerEvent::Unbound { user, reason, .. } } => {
                Some(format!("Note over {src}: {t} unbound {user} ({reason:?})"))
            }
            Event::VendorCall { call } => {
                Some(format!("{src}->>{}: {t} {} {}", lane(&call.host), call.message_id, "request"))
            }
            Event::Vendor { event: VendorEvent::Notified { device, stored, .. } } => {
                let what = if *stored { "stored" } else { "notify" };
                Some(format!("{src}-->>{}: {t} {what}", lane(device.as_str())))
            }
            Event::Notification { shown, notification, .. } => {
                let how = if *shown { "shown" } else { "to the app" };
                let m = notification.message_id.map(|m| m.to_string()).unwrap_or_default();
                let to = notification.to_user.as_ref().map(|u| u.to_string()).unwrap_or_default();
                Some(format!("Note over {src}: {t} notification {m} for {to} {how}"))
            }
            _ => None,
        };
        if let Some(line) = line {
            let _ = writeln!(body, "    {}", line.replace([';', '#'], " "));
        }
        for (name, detail) in marks.get(&i).into_iter().flatten() {
            let _ = writeln!(body, "    rect rgb(255, 200, 200)");
            let _ = writeln!(body, "    Note over {src}: VIOLATED {name}: {}", detail.replace([';', '#'], " "));
            let _ = writeln!(body, "    end");
        }
    }
    let mut o = String::from("sequenceDiagram\n");
    for (i, l) in lanes.iter().enumerate() {
        let _ = writeln!(o, "    participant P{i} as {l}");
    }
    o.push_str(&body);
    o
}

/// An action, frame or other tagged value by its tag (`{"do": ..}` / `{"type": ..}`).
fn short<T: Serialize>(value: &T) -> String {
    let v = serde_json::to_value(value).unwrap_or_default();
    let tag = v.get("do").or_else(|| v.get("type")).and_then(|t| t.as_str()).unwrap_or("?");
    let user = v.get("user").or_else(|| v.get("user_id")).or_else(|| v.get("to")).and_then(|u| u.as_str());
    match user {
        Some(u) => format!("{tag} {u}"),
        None => tag.to_owned(),
    }
}

fn app_note(event: &AppEvent) -> Option<String> {
    Some(match event {
        AppEvent::LoggedIn { user } => format!("logged in {user}"),
        AppEvent::LoggedOut { user } => format!("logged out {user}"),
        AppEvent::LoginFailed { user, code, .. } => format!("login {user} failed {code}"),
        AppEvent::LogoutFailed { code, .. } => format!("logout failed {code}"),
        AppEvent::MessageReceived { user, message, via } => format!("{} for {user} ({via:?})", message.id),
        AppEvent::SendFailed { code, .. } => format!("send failed {code}"),
        AppEvent::NotificationArrived { notification } => {
            format!("notification arrived {}", notification.message_id.map(|m| m.to_string()).unwrap_or_default())
        }
        _ => return None,
    })
}
