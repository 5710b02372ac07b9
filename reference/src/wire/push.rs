//! The push vocabulary of the wire: what a sender asks to be shown (`ZIMPushConfig`), a
//! user's offline-push rule, and the ZIM server's hand-over of pushes to the ZPNs relay.

use super::Platform;
use crate::ids::{ConvKey, MessageId, UserId};
use crate::pushid::PushId;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

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
///
/// The parts every push of one message has in common are shared (`Arc`), so a fan-out to
/// many members copies no text but each recipient's own IDs; on the wire each is a plain
/// JSON value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    pub push_id: PushId,
    /// The user the PushID is bound to (the notification is for this user).
    pub user_id: UserId,
    pub message_id: MessageId,
    pub conv: Arc<ConvKey>,
    pub from: Arc<UserId>,
    /// The sender's push config, whole.
    pub push: Arc<PushConfig>,
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
        Self::request(&self.pushes)
    }

    /// The hand-over request of `pushes`, encoded from them where they are (the server's
    /// batch is not copied to be sent).
    pub fn request(pushes: &[PushRequest]) -> crate::http::HttpRequest {
        #[derive(Serialize)]
        struct Batch<'a> {
            pushes: &'a [PushRequest],
        }
        let body = serde_json::to_vec(&Batch { pushes }).expect("push batches serialize");
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

/// The relay's report that a vendor called a token dead: `POST` [`DeadToken::PATH`] on
/// the ZIM server's API with this JSON body; the server unbinds the PushID (if still bound)
/// and answers 204. The relay resends the report until it is answered, so it is idempotent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadToken {
    pub push_id: PushId,
    /// The vendor's name for it (`Unregistered`, `UNREGISTERED`, `80300007`, ...).
    pub reason: String,
}

impl DeadToken {
    /// The ZIM server's endpoint for dead-token reports (internal: ZPNs to ZIM).
    pub const PATH: &'static str = "/internal/zpns/dead-token";

    pub fn to_http(&self) -> crate::http::HttpRequest {
        let body = serde_json::to_vec(self).expect("dead-token reports serialize");
        crate::http::HttpRequest::post(Self::PATH, body).header("content-type", "application/json")
    }

    /// Reads a report, naming what is wrong with one that is not.
    pub fn from_http(req: &crate::http::HttpRequest) -> Result<DeadToken, String> {
        if req.method != "POST" {
            return Err(format!("{} takes POST, not {}", Self::PATH, req.method));
        }
        serde_json::from_slice(&req.body).map_err(|e| format!("bad dead-token report: {e}"))
    }
}

/// The ZIM fields the relay puts into every notification, whatever the vendor, so the
/// receiving SDK can tie it to a message and a user; also the parts of the push config no
/// vendor field takes (reference policy, docs/protocol.md). Each vendor's contract decides
/// where in its payload this travels; its decoder reads it back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZimExtras {
    pub message_id: MessageId,
    /// The user the notification is for.
    pub to: UserId,
    pub from: UserId,
    pub conv: ConvKey,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resources_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voip: Option<VoipConfig>,
}

impl ZimExtras {
    pub fn of(req: &PushRequest) -> ZimExtras {
        ZimExtras {
            message_id: req.message_id,
            to: req.user_id.clone(),
            from: (*req.from).clone(),
            conv: (*req.conv).clone(),
            resources_id: req.push.resources_id.clone(),
            voip: req.push.voip.clone(),
        }
    }

    /// As a JSON value (for vendors whose payload takes objects).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("ZIM extras serialize")
    }

    /// As a JSON string (for vendors whose custom fields are strings).
    pub fn to_json_string(&self) -> String {
        self.to_json().to_string()
    }

    pub fn from_json(v: &serde_json::Value) -> Option<ZimExtras> {
        serde_json::from_value(v.clone()).ok()
    }

    pub fn from_json_str(s: &str) -> Option<ZimExtras> {
        serde_json::from_str(s).ok()
    }

    /// The JSON string of `req`'s ZIM fields, encoded from the request where it is: the
    /// same bytes as `ZimExtras::of(req).to_json_string()`.
    pub fn json_string_of(req: &PushRequest) -> String {
        serde_json::to_string(&ZimExtrasOf::new(req)).expect("ZIM extras serialize")
    }
}

/// A push's [`ZimExtras`], borrowed from its request for encoding into a vendor payload
/// without a copy. Its keys come out sorted, as [`ZimExtras::to_json`]'s map keeps them,
/// so both forms give the same bytes (vendor payloads stay byte for byte what they were).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ZimExtrasOf<'a> {
    conv: SortedConv<'a>,
    from: &'a UserId,
    message_id: MessageId,
    #[serde(skip_serializing_if = "str::is_empty")]
    resources_id: &'a str,
    to: &'a UserId,
    #[serde(skip_serializing_if = "Option::is_none")]
    voip: Option<&'a VoipConfig>,
}

impl<'a> ZimExtrasOf<'a> {
    pub fn new(req: &'a PushRequest) -> ZimExtrasOf<'a> {
        ZimExtrasOf {
            conv: SortedConv(&req.conv),
            from: &req.from,
            message_id: req.message_id,
            resources_id: &req.push.resources_id,
            to: &req.user_id,
            voip: req.push.voip.as_ref(),
        }
    }
}

/// A [`ConvKey`] with its keys in sorted order (`type` last).
#[derive(Clone, Copy, Debug)]
struct SortedConv<'a>(&'a ConvKey);

impl Serialize for SortedConv<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(3))?;
        match self.0 {
            ConvKey::Peer { a, b } => {
                map.serialize_entry("a", a)?;
                map.serialize_entry("b", b)?;
            }
            ConvKey::Group { id } => map.serialize_entry("id", id)?,
            ConvKey::Room { id } => map.serialize_entry("id", id)?,
        }
        map.serialize_entry("type", &self.0.kind())?;
        map.end()
    }
}

/// A notification as the receiving SDK decodes it from its vendor's payload
/// (`ZPNsMessage`: title, content, `extras.payload`), with the ZIM fields it carried.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub title: String,
    pub content: String,
    pub payload: String,
    pub message_id: Option<MessageId>,
    /// The user the notification is for.
    pub to_user: Option<UserId>,
    /// The icon badge the notification sets, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge: Option<u32>,
}

impl Notification {
    /// A notification with the shown texts and the ZIM fields of `zim`, if it had them.
    pub fn new(title: String, content: String, payload: String, zim: Option<ZimExtras>, badge: Option<u32>) -> Self {
        Notification {
            title,
            content,
            payload,
            message_id: zim.as_ref().map(|z| z.message_id),
            to_user: zim.map(|z| z.to),
            badge,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{GroupId, RoomId};
    use crate::pushid::{Environment, Vendor};

    #[test]
    fn zim_extras_encoded_in_place_are_the_bytes_of_the_json_map() {
        let voip = VoipConfig { handle_type: 2, handle_value: "+44 20".into(), has_video: true };
        let convs = [
            ConvKey::peer(&"alice".into(), &"bob".into()),
            ConvKey::Group { id: GroupId::new("team") },
            ConvKey::Room { id: RoomId::new("lobby") },
        ];
        for (i, conv) in convs.into_iter().enumerate() {
            let mut push = PushConfig::new("t", "c\"q", "p");
            if i > 0 {
                push.resources_id = "promo".into();
                push.voip = Some(voip.clone());
            }
            let req = PushRequest {
                push_id: PushId::new(Vendor::Fcm, Environment::Production, "tok"),
                user_id: "bob".into(),
                message_id: MessageId(9),
                conv: Arc::new(conv),
                from: Arc::new("alice".into()),
                push: Arc::new(push),
                badge: None,
            };
            assert_eq!(ZimExtras::json_string_of(&req), ZimExtras::of(&req).to_json_string());
        }
    }
}
