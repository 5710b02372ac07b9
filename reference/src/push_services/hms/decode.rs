//! What an Android SDK's HMS integration reads out of a delivered Push Kit message
//! (`RemoteMessage`): title and body from `android.notification`, falling back to the
//! cross-platform `notification`; the `data` string (`android.data` wins over `data`, as on
//! Android devices) holding `{"payload", "zim"}`; the badge from `badge.set_num`.
//! Source: https://developer.huawei.com/consumer/en/doc/HMSCore-References/https-send-api-0000001050986197/

use crate::wire::{Notification, ZimExtras};
use serde_json::Value;

/// Decodes a delivered Push Kit message; `None` if it is not one (no notification and no
/// data string).
pub fn decode(message: &Value) -> Option<Notification> {
    let android = message.get("android");
    let shown = android.and_then(|a| a.get("notification"));
    let data = android.and_then(|a| a.get("data")).or_else(|| message.get("data")).and_then(Value::as_str);
    if shown.is_none() && message.get("notification").is_none() && data.is_none() {
        return None;
    }
    let text = |key: &str| {
        shown
            .and_then(|n| n.get(key))
            .or_else(|| message.get("notification").and_then(|n| n.get(key)))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let data: Option<Value> = data.and_then(|d| serde_json::from_str(d).ok());
    let payload = data.as_ref().and_then(|d| d.get("payload")).and_then(Value::as_str).unwrap_or_default();
    let zim = data.as_ref().and_then(|d| d.get("zim")).and_then(ZimExtras::from_json);
    let badge =
        shown.and_then(|n| n.pointer("/badge/set_num")).and_then(Value::as_u64).map(|b| b.min(u32::MAX as u64) as u32);
    Some(Notification::new(text("title"), text("body"), payload.to_owned(), zim, badge))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::MessageId;
    use serde_json::json;

    const ZIM: &str = r#"{"message_id":12,"to":"bob","from":"alice","conv":{"type":"peer","a":"alice","b":"bob"}}"#;

    #[test]
    fn android_notification_and_the_data_string_yield_title_body_payload_badge_and_zim_fields() {
        let data = format!(r#"{{"payload":"p","zim":{ZIM}}}"#);
        let message = json!({
            "data": data,
            "android": {"notification": {"title": "T", "body": "B", "badge": {"set_num": 3}}},
        });
        let n = decode(&message).expect("an HMS message");
        assert_eq!((n.title.as_str(), n.content.as_str(), n.payload.as_str()), ("T", "B", "p"));
        assert_eq!((n.message_id, n.to_user.as_ref().map(|u| u.as_str())), (Some(MessageId(12)), Some("bob")));
        assert_eq!(n.badge, Some(3));
    }

    #[test]
    fn the_cross_platform_notification_and_android_data_are_read_too() {
        let message = json!({
            "notification": {"title": "T", "body": "B"},
            "data": r#"{"payload":"outer"}"#,
            "android": {"data": r#"{"payload":"inner"}"#},
        });
        let n = decode(&message).expect("an HMS message");
        assert_eq!((n.title.as_str(), n.content.as_str(), n.payload.as_str()), ("T", "B", "inner"));
        assert_eq!((n.message_id, n.badge), (None, None));
    }

    #[test]
    fn a_foreign_value_is_not_decoded() {
        assert_eq!(decode(&json!({"aps": {}})), None);
        assert_eq!(decode(&json!({"data": {"payload": "an FCM map"}})), None);
    }
}
