//! What an iOS SDK reads out of an APNs payload: `aps.alert` (a dictionary with `title` and
//! `body`, or a plain string body), `aps.badge`, and the top-level custom keys the relay
//! added (`payload`, `zim`).

use crate::wire::{Notification, ZimExtras};
use serde_json::Value;

/// Decodes a delivered APNs payload; `None` if it is not an APNs payload at all.
pub fn decode(payload: &Value) -> Option<Notification> {
    let aps = payload.get("aps")?.as_object()?;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
    let (title, content) = match aps.get("alert") {
        Some(Value::String(body)) => (String::new(), body.clone()),
        Some(alert) => (text(alert.get("title")), text(alert.get("body"))),
        None => (String::new(), String::new()),
    };
    let zim = payload.get("zim").and_then(ZimExtras::from_json);
    let badge = aps.get("badge").and_then(Value::as_u64).map(|b| b.min(u32::MAX as u64) as u32);
    Some(Notification::new(title, content, text(payload.get("payload")), zim, badge))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::MessageId;
    use serde_json::json;

    #[test]
    fn an_alert_dictionary_yields_title_body_payload_and_the_zim_fields() {
        let payload = json!({
            "aps": {"alert": {"title": "New message", "body": "hi"}, "badge": 3},
            "zim": {"message_id": 7, "to": "alice", "from": "bob", "conv": {"type": "peer", "a": "alice", "b": "bob"}},
            "payload": "p7",
        });
        let n = decode(&payload).expect("an APNs payload");
        assert_eq!((n.title.as_str(), n.content.as_str(), n.payload.as_str()), ("New message", "hi", "p7"));
        assert_eq!(
            (n.message_id, n.to_user.as_ref().map(|u| u.as_str()), n.badge),
            (Some(MessageId(7)), Some("alice"), Some(3))
        );
    }

    #[test]
    fn a_plain_string_alert_is_the_body_and_a_payload_without_zim_fields_has_no_message() {
        let n = decode(&json!({"aps": {"alert": "hello"}})).expect("an APNs payload");
        assert_eq!((n.title.as_str(), n.content.as_str(), n.message_id), ("", "hello", None));
        assert_eq!(decode(&json!({"notification": {}})), None);
    }
}
