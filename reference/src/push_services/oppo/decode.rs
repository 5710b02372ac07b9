//! What an Android SDK reads out of an OPPO notification: the fake delivers the unicast's
//! `notification` object, whose `title` and `content` are shown, and whose
//! `action_parameters` (a JSON string, handed to the app on tap) holds the sender `payload`
//! and the ZIM fields under `zim`. OPPO carries no badge. Fields:
//! https://open.oppomobile.com/new/developmentDoc/info?id=11236

use crate::wire::{Notification, ZimExtras};
use serde_json::Value;

/// Decodes a delivered OPPO notification; `None` if it has no `title` and `content`.
pub fn decode(notification: &Value) -> Option<Notification> {
    let title = notification.get("title")?.as_str()?;
    let content = notification.get("content")?.as_str()?;
    let params: Value = notification
        .get("action_parameters")
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    let payload = params.get("payload").and_then(Value::as_str).unwrap_or_default();
    let zim = params.get("zim").and_then(ZimExtras::from_json);
    Some(Notification::new(title.to_owned(), content.to_owned(), payload.to_owned(), zim, None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::MessageId;
    use serde_json::json;

    #[test]
    fn title_content_and_action_parameters_yield_the_notification_and_the_zim_fields() {
        let params = json!({
            "payload": "p",
            "zim": {"message_id": 9, "to": "bob", "from": "alice", "conv": {"type": "peer", "a": "alice", "b": "bob"}},
        });
        let n = decode(&json!({"title": "T", "content": "C", "action_parameters": params.to_string()}))
            .expect("an OPPO notification");
        assert_eq!((n.title.as_str(), n.content.as_str(), n.payload.as_str()), ("T", "C", "p"));
        assert_eq!(
            (n.message_id, n.to_user.as_ref().map(|u| u.as_str()), n.badge),
            (Some(MessageId(9)), Some("bob"), None)
        );
    }

    #[test]
    fn missing_or_unparsable_parameters_leave_no_message_and_a_foreign_value_is_not_decoded() {
        let n = decode(&json!({"title": "T", "content": "C", "action_parameters": "not json"})).expect("decoded");
        assert_eq!((n.payload.as_str(), n.message_id, n.to_user), ("", None, None));
        assert_eq!(decode(&json!({"aps": {"alert": "x"}})), None);
        assert_eq!(decode(&json!({"notification": {"title": "T", "body": "B"}})), None);
    }
}
