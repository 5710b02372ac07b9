//! What an Android SDK reads out of a vivo notification (`UPSNotificationMessage`): the fake
//! delivers the shown `title` and `content`, the click fields, and `clientCustomMap` (string
//! values: the sender `payload`, and the ZIM fields as a JSON string under `zim`). vivo
//! carries no badge. Fields: https://dev.vivo.com.cn/documentCenter/doc/362

use crate::wire::{Notification, ZimExtras};
use serde_json::Value;

/// Decodes a delivered vivo notification; `None` if it has no `title` and `content`.
pub fn decode(notification: &Value) -> Option<Notification> {
    let title = notification.get("title")?.as_str()?;
    let content = notification.get("content")?.as_str()?;
    let custom = notification.get("clientCustomMap");
    let field = |k: &str| custom.and_then(|m| m.get(k)).and_then(Value::as_str);
    let zim = field("zim").and_then(ZimExtras::from_json_str);
    let payload = field("payload").unwrap_or_default().to_owned();
    Some(Notification::new(title.to_owned(), content.to_owned(), payload, zim, None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::MessageId;
    use serde_json::json;

    #[test]
    fn title_content_and_the_custom_map_yield_the_notification_and_the_zim_fields() {
        let zim = r#"{"message_id":5,"to":"bob","from":"alice","conv":{"type":"peer","a":"alice","b":"bob"}}"#;
        let n = decode(&json!({
            "title": "T", "content": "C", "skipType": 1, "clientCustomMap": {"payload": "p", "zim": zim},
        }))
        .expect("a vivo notification");
        assert_eq!((n.title.as_str(), n.content.as_str(), n.payload.as_str()), ("T", "C", "p"));
        assert_eq!(
            (n.message_id, n.to_user.as_ref().map(|u| u.as_str()), n.badge),
            (Some(MessageId(5)), Some("bob"), None)
        );
    }

    #[test]
    fn a_notification_without_the_map_has_no_message_and_a_foreign_value_is_not_decoded() {
        let n = decode(&json!({"title": "T", "content": "C"})).expect("a vivo notification");
        assert_eq!((n.payload.as_str(), n.message_id, n.to_user), ("", None, None));
        let not_a_string = json!({"title": "T", "content": "C", "clientCustomMap": {"zim": {"message_id": 5}}});
        assert_eq!(decode(&not_a_string).expect("decoded").message_id, None);
        assert_eq!(decode(&json!({"aps": {}})), None);
    }
}
