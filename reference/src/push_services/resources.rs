//! The push resources of ZEGO's console: the per-vendor strategies a push config's
//! `resourcesID` names. ZEGO documents what a resource can set: for Apple the sound and
//! `mutable-content`, for FCM the sound, the Android notification channel and the push
//! type, a *notification message* (the system shows it) or a *data message* ("only
//! triggers relevant callbacks and does not trigger system notifications").
//! Source: zegocloud.com/docs/zim-ios/offline-push-notifications/resourcesid-introduction.
//!
//! The relay reads this table ([`super::apps::PushApps::resource`]) and each vendor's
//! contract maps its part. A `resourcesID` the console does not know, or none, gets the
//! defaults: an alert with the default sound, a notification message (reference policy,
//! docs/policies.md; ZEGO documents no error for it).

use serde::{Deserialize, Serialize};

/// ZEGO's console keeps at most this many push resources per project by default.
pub const MAX_RESOURCES: usize = 10;

/// One console push resource: its strategy for each vendor that has one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushResource {
    pub apns: ApnsStrategy,
    pub fcm: FcmStrategy,
}

/// What a resource sets on an APNs alert.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApnsStrategy {
    /// The sound file (`aps.sound`); `default` when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sound: Option<String>,
}

/// What a resource sets on an FCM message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FcmStrategy {
    pub push_type: FcmPushType,
    /// `android.notification.sound` (notification messages only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sound: Option<String>,
    /// `android.notification.channel_id` (notification messages only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
}

/// How FCM carries a push: as a notification message the phone's system shows, or as a
/// data message handed only to the app.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FcmPushType {
    #[default]
    Notification,
    Data,
}

impl PushResource {
    /// A resource that sends FCM pushes as data messages and changes nothing else.
    pub fn data_message() -> PushResource {
        PushResource { fcm: FcmStrategy { push_type: FcmPushType::Data, ..FcmStrategy::default() }, ..Self::default() }
    }
}
