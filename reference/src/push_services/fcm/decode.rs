//! What an Android SDK reads out of an FCM message (`RemoteMessage`): the `notification`
//! title and body, the string `data` map (`payload`, and the ZIM fields as a JSON string
//! under `zim`), and the badge count. A data message (no `notification`, see
//! [`is_data_message`]) carries title, body and badge in `data` instead.

use crate::wire::{Notification, ZimExtras};
use serde_json::Value;

/// Decodes a delivered FCM message; `None` if it is not one.
pub fn decode(message: &Value) -> Option<Notification> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
    let data = message.get("data");
    if message.get("notification").is_none() && data.is_none() {
        return None;
    }
    let zim = data.and_then(|d| d.get("zim")).and_then(Value::as_str).and_then(ZimExtras::from_json_str);
    let field = |key: &str| data.and_then(|d| d.get(key));
    let (title, body, badge) = if is_data_message(message) {
        let badge = field("badge").and_then(Value::as_str).and_then(|b| b.parse::<u32>().ok());
        (text(field("title")), text(field("body")), badge)
    } else {
        let badge = message
            .pointer("/android/notification/notification_count")
            .and_then(Value::as_u64)
            .map(|b| b.min(u32::MAX as u64) as u32);
        (text(message.pointer("/notification/title")), text(message.pointer("/notification/body")), badge)
    };
    Some(Notification::new(title, body, text(field("payload")), zim, badge))
}

/// Whether a delivered FCM message is a data message: one without a `notification` for
/// the system to show (neither the common one nor Android's), which Android hands to the
/// app's `onMessageReceived` whatever the app's state.
pub fn is_data_message(message: &Value) -> bool {
    message.get("notification").is_none() && message.pointer("/android/notification").is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::MessageId;
    use serde_json::json;

    #[test]
    fn notification_and_string_data_yield_title_body_payload_and_the_zim_fields() {
        let zim = r#"{"message_id":12,"to":"bob","from":"alice","conv":{"type":"peer","a":"alice","b":"bob"}}"#;
        let message = json!({
            "token": "t",
            "notification": {"title": "T", "body": "B"},
            "data": {"payload": "p", "zim": zim},
        });
        let n = decode(&message).expect("an FCM message");
        assert_eq!((n.title.as_str(), n.content.as_str(), n.payload.as_str()), ("T", "B", "p"));
        assert_eq!((n.message_id, n.to_user.as_ref().map(|u| u.as_str())), (Some(MessageId(12)), Some("bob")));
    }

    #[test]
    fn a_data_message_yields_title_body_and_badge_from_its_data() {
        let zim = r#"{"message_id":7,"to":"bob","from":"alice","conv":{"type":"peer","a":"alice","b":"bob"}}"#;
        let message = json!({"data": {"title": "T", "body": "B", "payload": "p", "badge": "3", "zim": zim}});
        assert!(is_data_message(&message));
        let n = decode(&message).expect("an FCM message");
        assert_eq!((n.title.as_str(), n.content.as_str(), n.payload.as_str()), ("T", "B", "p"));
        assert_eq!((n.message_id, n.badge), (Some(MessageId(7)), Some(3)));
        // With a notification anywhere it is a notification message, whatever `data` holds.
        assert!(!is_data_message(&json!({"notification": {}, "data": {"title": "T"}})));
        assert!(!is_data_message(&json!({"android": {"notification": {"tag": "1"}}, "data": {}})));
    }

    #[test]
    fn a_message_without_zim_fields_has_no_message_and_a_foreign_value_is_not_decoded() {
        let n = decode(&json!({"notification": {"title": "x"}})).expect("an FCM message");
        assert_eq!((n.message_id, n.to_user), (None, None));
        assert_eq!(decode(&json!({"aps": {}})), None);
    }
}
