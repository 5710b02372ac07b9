//! What a phone shows and what its app hears, read back from a run's trace: the helpers the
//! flow tests judge phones by. Each takes the trace and, where it is about one phone, the
//! device's ID; each keeps the trace's order.

use zimsim_reference::client::AppEvent;
use zimsim_sim::trace::{Event, Record};

/// (time in ms, event) of every callback `device`'s app heard.
pub fn app_events<'t>(trace: &'t [Record], device: &'t str) -> impl Iterator<Item = (u64, &'t AppEvent)> + 't {
    trace.iter().filter(move |r| r.src == device).filter_map(|r| match &r.event {
        Event::App { event } => Some((r.t.0, event)),
        _ => None,
    })
}

/// The texts of the messages `device`'s app received (online or by sync); a message
/// surfaced twice would be listed twice.
pub fn texts_on(trace: &[Record], device: &str) -> Vec<String> {
    app_events(trace, device)
        .filter_map(|(_, e)| match e {
            AppEvent::MessageReceived { message, .. } => {
                serde_json::to_value(&message.body).ok()?["text"].as_str().map(str::to_owned)
            }
            _ => None,
        })
        .collect()
}

/// Every notification the phones' OSes received, put in the tray or only handed to the
/// app: (device, content).
pub fn notifications(trace: &[Record]) -> Vec<(&str, String)> {
    trace
        .iter()
        .filter_map(|r| match &r.event {
            Event::Notification { notification, .. } => Some((r.src.as_str(), notification.content.clone())),
            _ => None,
        })
        .collect()
}

/// The contents of the notifications `device`'s OS received, in the tray or only handed to
/// the app.
pub fn notifications_on(trace: &[Record], device: &str) -> Vec<String> {
    notifications(trace).into_iter().filter(|(d, _)| *d == device).map(|(_, content)| content).collect()
}

/// One notification a phone's OS put in its tray.
#[derive(Debug)]
pub struct Shown {
    /// The vendor's ID for this delivery.
    pub id: String,
    /// The ZIM message it is about (0 if it names none).
    pub message: u64,
    pub content: String,
    /// The notification it took the place of (same collapse ID, tag or notify_id).
    pub replaced: Option<String>,
}

/// The notifications `device`'s OS showed in its tray (not those only handed to the app),
/// in order; one shown twice is listed twice.
pub fn shown_log(trace: &[Record], device: &str) -> Vec<Shown> {
    trace
        .iter()
        .filter(|r| r.src == device)
        .filter_map(|r| match &r.event {
            Event::Notification { id, shown: true, notification, replaced, .. } => Some(Shown {
                id: id.clone(),
                message: notification.message_id.map_or(0, |m| m.0),
                content: notification.content.clone(),
                replaced: replaced.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// The message IDs of the notifications `device`'s OS showed in its tray.
pub fn shown(trace: &[Record], device: &str) -> Vec<u64> {
    shown_log(trace, device).into_iter().map(|s| s.message).collect()
}
