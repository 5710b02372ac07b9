//! What an Android SDK's MiPush integration reads out of a delivered message
//! (`MiPushMessage`): `title`, `description` (the shown content), `payload` (its
//! `getContent()`), and the `extra` map holding the ZIM fields as a JSON string under `zim`
//! and the badge under `badge`. Source: https://dev.mi.com/xiaomihyperos/documentation/detail?pId=1559

use crate::wire::{Notification, ZimExtras};
use serde_json::Value;

/// Decodes a delivered MiPush message; `None` if it is not one (every MiPush message says
/// whether it is `pass_through`).
pub fn decode(message: &Value) -> Option<Notification> {
    message.get("pass_through")?;
    let text = |k: &str| message.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let extra = |k: &str| message.get("extra").and_then(|e| e.get(k)).and_then(Value::as_str);
    let zim = extra("zim").and_then(ZimExtras::from_json_str);
    let badge = extra("badge").and_then(|b| b.parse::<u32>().ok());
    Some(Notification::new(text("title"), text("description"), text("payload"), zim, badge))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::MessageId;
    use serde_json::json;

    #[test]
    fn a_mipush_message_yields_title_description_payload_badge_and_the_zim_fields() {
        let zim = r#"{"message_id":12,"to":"bob","from":"alice","conv":{"type":"peer","a":"alice","b":"bob"}}"#;
        let message = json!({
            "title": "T", "description": "D", "payload": "p", "pass_through": 0,
            "extra": {"zim": zim, "badge": "4"},
        });
        let n = decode(&message).expect("a MiPush message");
        assert_eq!((n.title.as_str(), n.content.as_str(), n.payload.as_str()), ("T", "D", "p"));
        assert_eq!((n.message_id, n.to_user.as_ref().map(|u| u.as_str())), (Some(MessageId(12)), Some("bob")));
        assert_eq!(n.badge, Some(4));
    }

    #[test]
    fn a_message_without_extras_has_no_zim_fields_and_a_foreign_value_is_not_decoded() {
        let n = decode(&json!({"pass_through": 1, "payload": "p"})).expect("a MiPush message");
        assert_eq!((n.message_id, n.to_user, n.badge), (None, None, None));
        assert_eq!(decode(&json!({"aps": {}})), None);
    }
}
