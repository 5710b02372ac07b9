//! The push vocabulary of the wire: what a sender asks to be shown (`ZIMPushConfig`), a
//! user's offline-push rule, and the ZIM server's hand-over of pushes to the ZPNs relay.

use super::Platform;
use crate::ids::{ConvKey, MessageId, UserId};
use crate::pushid::PushId;
use serde::{Deserialize, Serialize};

/// `ZIMUserOfflinePushRule`: while the user is online on any of `online_platforms`, their
/// installs on `not_to_receive_offline_push_platforms` get no offline push (ZIM: it needs
/// the multi-device login policy, under which a user is online on several platforms).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OfflinePushRule {
    pub online_platforms: Vec<Platform>,
    pub not_to_receive_offline_push_platforms: Vec<Platform>,
}

/// What the sender asks the server to show if the recipient is offline (`ZIMPushConfig`),
/// carried as one value from the sender to the relay, which maps it per vendor.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PushConfig {
    pub title: String,
    pub content: String,
    /// Pass-through data, delivered to the receiving app in the vendor extras as `payload`.
    pub payload: String,
    /// A push strategy configured in ZEGO's console (at most 32 characters).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resources_id: String,
    /// Whether the notification sets the app's icon badge.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub enable_badge: bool,
    /// How much the receiver's badge grows with this notification (with `enable_badge`).
    #[serde(skip_serializing_if = "is_zero")]
    pub badge_increment: u32,
    /// A call invitation's VoIP details (iOS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voip: Option<VoipConfig>,
}

/// `ZIMVoIPConfig`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VoipConfig {
    /// `ZIMCXHandleType`: 1 generic, 2 phone number, 3 email address.
    pub handle_type: u8,
    pub handle_value: String,
    pub has_video: bool,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl PushConfig {
    /// A push config with a title, a body and a payload.
    pub fn new(title: impl Into<String>, content: impl Into<String>, payload: impl Into<String>) -> PushConfig {
        PushConfig { title: title.into(), content: content.into(), payload: payload.into(), ..PushConfig::default() }
    }

    /// Bytes the push config puts into a vendor payload.
    pub fn len(&self) -> usize {
        self.title.len() + self.content.len() + self.payload.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The ZIM server's request to the ZPNs relay: notify one PushID about one message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    pub push_id: PushId,
    /// The user the PushID is bound to (the notification is for this user).
    pub user_id: UserId,
    pub message_id: MessageId,
    pub conv: ConvKey,
    pub from: UserId,
    /// The sender's push config, whole.
    pub push: PushConfig,
    /// The badge the notification sets (the install's badge after this push), when the
    /// push config enables it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge: Option<u32>,
}

/// The ZIM server's hand-over to the ZPNs relay: `POST` [`PushBatch::PATH`] with this JSON
/// body. The relay answers 202 with one [`PushVerdict`] per push, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushBatch {
    pub pushes: Vec<PushRequest>,
}

/// The relay's answer to one push of a [`PushBatch`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushVerdict {
    Accepted,
    Rejected { error: String },
}

impl PushBatch {
    /// The relay's hand-over endpoint.
    pub const PATH: &'static str = "/v1/push";

    pub fn to_http(&self) -> crate::http::HttpRequest {
        let body = serde_json::to_vec(self).expect("push batches serialize");
        crate::http::HttpRequest::post(Self::PATH, body).header("content-type", "application/json")
    }

    /// Reads a hand-over request, naming what is wrong with one that is not.
    pub fn from_http(req: &crate::http::HttpRequest) -> Result<PushBatch, String> {
        if req.method != "POST" || req.path != Self::PATH {
            return Err(format!("no route for {} {}", req.method, req.path));
        }
        serde_json::from_slice(&req.body).map_err(|e| format!("bad push batch: {e}"))
    }
}
