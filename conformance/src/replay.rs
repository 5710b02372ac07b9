//! `zimsim replay`: the timeline of one run with the invariant verdicts written onto it. The
//! human form is the trace, one line a record, with every record a violation points at
//! marked and explained; the mermaid form is a `sequenceDiagram` of who said what to whom;
//! the HTML form is one self-contained page (no script, no network) with a lane per host
//! and device and the violating records highlighted.

use crate::invariants::{Status, Verdict};
use crate::report::RunReport;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use zimsim_reference::client::{AppEvent, AppState};
use zimsim_reference::ids::ConnId;
use zimsim_reference::push_services::{self, MessageKind, VendorEvent};
use zimsim_reference::pushid::Vendor;
use zimsim_reference::server::ServerEvent;
use zimsim_reference::wire::{ClientFrame, ServerFrame};
use zimsim_sim::scenario::{Action, DeviceStep, WorldStep};
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
        let src = lane(r.src.as_str());
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
            Event::Notification { vendor, app, message_kind: kind, shown, notification, .. } => {
                let how = handling(*vendor, *app, *kind, *shown);
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

/// The timeline as one self-contained HTML page: a column (lane) per host and device, a row
/// per record in its source's lane, arrows named in the cell (`→ zpns`), and every record a
/// violation points at highlighted, with the violations listed on top and linked to them.
pub fn html(report: &RunReport, trace: &[Record]) -> String {
    let marks = marks(&report.invariants, true);
    let mut lanes: Vec<&str> = Vec::new();
    for r in trace {
        if !lanes.contains(&r.src.as_str()) {
            lanes.push(r.src.as_str());
        }
    }
    let mut o = String::new();
    let title = format!("zimsim replay: {} seed {}", report.scenario, report.seed);
    let _ = write!(
        o,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title><style>\
         body{{font:13px system-ui,sans-serif;margin:16px}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ddd;padding:2px 6px;vertical-align:top;max-width:28em;overflow-wrap:anywhere}}\
         th{{position:sticky;top:0;background:#f4f4f4}}td.t{{color:#666;white-space:nowrap}}\
         tr.v td{{background:#ffd6d6}}tr.v td.hit{{background:#ff9b9b;font-weight:600}}\
         .held{{color:#176b2c}}.violated{{color:#b00020;font-weight:700}}.vacuous{{color:#777}}\
         li a{{color:#b00020}}td.band{{background:#ffd98a;color:#6b4500;font-size:11px}}\
         tr.f td{{background:#fff3cf}}</style></head><body><h1>{}</h1><p>trace {} · {} records · {} ms simulated · <b>{}</b></p><ul>",
        escape(&title),
        escape(&title),
        report.trace_hash,
        trace.len(),
        report.sim_time_ms,
        report.outcome
    );
    for v in &report.invariants {
        let status = format!("{:?}", v.status).to_lowercase();
        let _ = write!(o, "<li><span class=\"{status}\">{status}</span> {} ({} checks)", escape(&v.name), v.checks);
        if !v.violations.is_empty() {
            o.push_str("<ul>");
            for violation in &v.violations {
                let target = violation.records.last().copied().unwrap_or(0);
                let _ = write!(
                    o,
                    "<li><a href=\"#r{target}\">at {} ms: {}</a></li>",
                    violation.at_ms,
                    escape(&violation.detail)
                );
            }
            o.push_str("</ul>");
        }
        o.push_str("</li>");
    }
    o.push_str("</ul><table><tr><th>time</th><th>faults</th>");
    for l in &lanes {
        let _ = write!(o, "<th>{}</th>", escape(l));
    }
    o.push_str("</tr>");
    let lines: Vec<String> = to_human(trace).lines().map(str::to_owned).collect();
    let bands = fault_bands(trace);
    for (i, r) in trace.iter().enumerate() {
        let hit = marks.get(&i);
        let is_fault =
            matches!(&r.event, Event::Step { action: Action::World(_) | Action::NETWORK_OFF | Action::NETWORK_ON });
        let class = match (hit.is_some(), is_fault) {
            (true, _) => " class=\"v\"",
            (false, true) => " class=\"f\"",
            _ => "",
        };
        let _ = write!(o, "<tr id=\"r{i}\"{class}><td class=\"t\">{}</td>", r.t);
        // The faults in force: a band down the column while any lasts, named where it changes.
        match &bands[i] {
            (active, _) if active.is_empty() => o.push_str("<td></td>"),
            (active, changed) => {
                let all = active.join(", ");
                let text = if *changed { escape(&all) } else { String::new() };
                let _ = write!(o, "<td class=\"band\" title=\"{}\">{text}</td>", escape(&all));
            }
        }
        let full = lines.get(i).map(String::as_str).unwrap_or_default();
        for l in &lanes {
            if *l == r.src.as_str() {
                let cell = if hit.is_some() { " class=\"hit\"" } else { "" };
                let arrow = arrow(r).map(|a| format!("<b>{}</b> ", escape(&a))).unwrap_or_default();
                let _ = write!(o, "<td{cell} title=\"{}\">{arrow}{}", escape(full), escape(&label(r)));
                for (name, detail) in hit.into_iter().flatten() {
                    let _ = write!(o, "<br>✗ {}: {}", escape(name), escape(detail));
                }
                o.push_str("</td>");
            } else {
                o.push_str("<td></td>");
            }
        }
        o.push_str("</tr>");
    }
    o.push_str("</table></body></html>\n");
    o
}

/// For each record, the faults in force just after it (partitions, crashed hosts, slow
/// links, phones off the network) and whether that set changed there.
fn fault_bands(trace: &[Record]) -> Vec<(Vec<String>, bool)> {
    let mut active: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(trace.len());
    for r in trace {
        let before = active.clone();
        let link = |a: &str, b: &str| if a <= b { format!("{a}–{b}") } else { format!("{b}–{a}") };
        if let Event::Step { action } = &r.event {
            let (add, remove) = match action {
                Action::World(WorldStep::Partition { a, b }) => (Some(format!("partition {}", link(a, b))), None),
                Action::World(WorldStep::Repair { a, b }) => (None, Some(format!("partition {}", link(a, b)))),
                Action::World(WorldStep::Crash { host }) => (Some(format!("{host} down")), None),
                Action::World(WorldStep::Bounce { host }) => (None, Some(format!("{host} down"))),
                Action::World(WorldStep::Latency { a, b, ms }) => (Some(format!("{} {ms} ms", link(a, b))), None),
                Action::World(WorldStep::Heal) => {
                    active.retain(|f| f.ends_with(" offline"));
                    (None, None)
                }
                Action::Device(DeviceStep::NetworkOff) => (Some(format!("{} offline", r.src)), None),
                Action::Device(DeviceStep::NetworkOn) => (None, Some(format!("{} offline", r.src))),
                _ => (None, None),
            };
            if let Some(f) = add.filter(|f| !active.contains(f)) {
                active.push(f);
            }
            if let Some(f) = remove {
                active.retain(|x| *x != f);
            }
        }
        let changed = active != before || (out.is_empty() && !active.is_empty());
        out.push((active.clone(), changed));
    }
    out
}

/// A few words for a record (the whole record is the cell's tooltip).
fn label(r: &Record) -> String {
    let tag = |v: serde_json::Value, key: &str| v.get(key).and_then(|t| t.as_str()).unwrap_or("?").to_owned();
    match &r.event {
        Event::Step { action } => format!("step {}", short(action)),
        Event::App { event } => {
            app_note(event).unwrap_or_else(|| tag(serde_json::to_value(event).unwrap_or_default(), "event"))
        }
        Event::FrameIn { conn, frame } => format!("in #{} {}", conn.0, short(frame)),
        Event::FrameOut { conn, frame } => format!("out #{} {}", conn.0, short(frame)),
        Event::Server { event: ServerEvent::PushSubmitted { request, status } } => {
            format!("push {} handed over ({status:?})", request.message_id)
        }
        Event::Server { event } => {
            let v = serde_json::to_value(event).unwrap_or_default();
            let user = v.get("user").and_then(|u| u.as_str()).map(|u| format!(" {u}")).unwrap_or_default();
            let id = v.get("id").and_then(|i| i.as_u64()).map(|i| format!(" m{i}")).unwrap_or_default();
            format!("{}{id}{user}", tag(v, "event"))
        }
        Event::Vendor { event } => tag(serde_json::to_value(event).unwrap_or_default(), "event"),
        Event::VendorCall { call } => format!("request {}", call.message_id),
        Event::VendorOutcome { outcome } => format!("{} {:?}", outcome.message_id, outcome.result),
        Event::Notification { vendor, app, message_kind: kind, shown, notification, .. } => {
            let m = notification.message_id.map(|m| m.to_string()).unwrap_or_default();
            let to = notification.to_user.as_ref().map(|u| u.to_string()).unwrap_or_default();
            format!("notification {m} for {to} {}", handling(*vendor, *app, *kind, *shown))
        }
        other => tag(serde_json::to_value(other).unwrap_or_default(), "kind"),
    }
}

/// Where a record's message goes, for the lanes view.
fn arrow(r: &Record) -> Option<String> {
    match &r.event {
        Event::Server { event: ServerEvent::PushRouted { .. } } => Some("→ zpns".into()),
        Event::VendorCall { call } => Some(format!("→ {}", call.host)),
        Event::Vendor { event: VendorEvent::Notified { device, .. } } => Some(format!("→ {device}")),
        _ => None,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// What became of a delivered push: shown, handed to the app, or neither.
fn handling(vendor: Vendor, app: AppState, kind: MessageKind, shown: bool) -> &'static str {
    match (shown, push_services::presentation(vendor, app, kind).to_app, kind) {
        (true, true, _) => "shown and to the app",
        (true, false, _) => "shown",
        (false, true, MessageKind::Data) => "data, to the app",
        (false, true, _) => "to the app",
        (false, false, MessageKind::Data) => "data, dropped",
        (false, false, _) => "not shown",
    }
}
