//! The wire types: the ZIM client protocol (frames between SDK and server) and the
//! length-prefixed JSON framing that carries frames over a byte stream; the push vocabulary
//! (push configs, push rules, the server's hand-over to the ZPNs relay) is in `wire/push.rs`.
//! See docs/protocol.md for the byte-level description.

use crate::error::{FrameError, ZimErrorCode};
use crate::ids::{
    validate_group_id, validate_room_id, validate_user_id, ConvKey, ConversationType, DeviceId, GroupId, MessageId,
    RoomId, UserId,
};
use crate::pushid::PushId;
use crate::time::Millis;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

mod push;
pub use push::{
    DeadToken, Notification, OfflinePushRule, PushBatch, PushConfig, PushRequest, PushVerdict, VoipConfig, ZimExtras,
    ZimExtrasOf,
};

/// Largest frame either side accepts. A server answers a bigger frame from a logged-in
/// client with 6000001 and skips it (see [`MAX_SKIPPABLE_FRAME_LEN`]); otherwise it closes.
pub const MAX_FRAME_LEN: usize = 1 << 20;

/// Past this length prefix the bytes are taken for garbage rather than an oversized frame:
/// the connection is closed instead of reading that much to skip it.
pub const MAX_SKIPPABLE_FRAME_LEN: usize = 64 << 20;

/// What a client may send, as ZIM documents it (docs/policies.md). The SDK checks these
/// before anything leaves the device and the server checks them again on receipt, both
/// through [`check_send`], so the two can never disagree.
pub mod limits {
    /// A push config's `resources_id`.
    pub const RESOURCES_ID_MAX_CHARS: usize = 32;
    /// The most a text (or custom) message may ever carry: ZIM's client limit, and the most
    /// a server can be configured to accept (its default is 2 KB,
    /// `ServerConfig::max_text_bytes`).
    pub const TEXT_MAX_BYTES: usize = 32 * 1024;
    /// A command message's data.
    pub const COMMAND_MAX_BYTES: usize = 5 * 1024;
    /// A message's `extendedData`.
    pub const EXTENDED_DATA_MAX_BYTES: usize = 1024;
    /// A custom message's `subType` is `0..=CUSTOM_SUB_TYPE_MAX`.
    pub const CUSTOM_SUB_TYPE_MAX: u32 = 200;
    /// A custom message's `searchedContent`.
    pub const SEARCHED_CONTENT_MAX_BYTES: usize = 64;
    /// Sends a client may make in any one second (ZIM: 10 per second per client).
    pub const SENDS_PER_SECOND: usize = 10;
    /// `ZIMMessagePriority`: Low = 1 (the default), Medium = 2, High = 3.
    pub const PRIORITIES: std::ops::RangeInclusive<u8> = 1..=3;
    /// A push config's title, content and payload together (reference policy: the vendor
    /// payload built from them, with ZIM's own fields, stays within APNs' and FCM's 4 KB).
    pub const PUSH_CONFIG_MAX_BYTES: usize = 2 * 1024;
}

/// The platform a client runs on (ZIM's `ZIMPlatformType` names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Ios,
    Android,
    Web,
}

/// Message content, by ZIM message type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessageBody {
    /// Type 1: stored, delivered in order, pushed when asked.
    Text { text: String },
    /// Type 2: signalling. Never stored and never pushed: delivered to whoever is online.
    Command { data: String },
    /// Type 200: the app's own format, stored like text.
    Custom {
        message: String,
        #[serde(default)]
        sub_type: u32,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        searched_content: String,
    },
}

impl MessageBody {
    /// ZIM's `ZIMMessageType` number.
    pub fn message_type(&self) -> u32 {
        match self {
            MessageBody::Text { .. } => 1,
            MessageBody::Command { .. } => 2,
            MessageBody::Custom { .. } => 200,
        }
    }

    /// Whether the server keeps it (and so syncs it and may push it).
    pub fn is_stored(&self) -> bool {
        !matches!(self, MessageBody::Command { .. })
    }
}

/// A message as stored by the server and delivered to clients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub conv: ConvKey,
    /// Position in the conversation, 1-based and gap-free; 0 for a message that is not
    /// stored (room and command messages).
    pub seq: u64,
    pub from: UserId,
    pub body: MessageBody,
    /// Server accept time.
    pub sent_at: Millis,
    /// The sender's `extendedData` (at most 1 KB), passed through.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub extended_data: String,
}

impl Message {
    /// Whether this message is part of its conversation's stored sequence. Room and command
    /// messages are not: they carry `seq` 0 and reach only whoever is online.
    pub fn is_stored(&self) -> bool {
        self.seq > 0
    }
}

/// How far a client has read one conversation: every seq up to `seq` is held locally.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub conv: ConvKey,
    pub seq: u64,
}

/// Client to server. Requests carry `req`, echoed by the reply so the SDK can match them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    Login {
        req: u64,
        user_id: UserId,
        token: String,
        device_id: DeviceId,
        platform: Platform,
        /// The device's current PushID, bound to the user on success.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        push_id: Option<PushId>,
    },
    Logout {
        req: u64,
    },
    Heartbeat,
    /// Bind a PushID that became available after login, or the install's VoIP PushID
    /// (`zp1.apns.voip.…`), which the server keeps beside its alert PushID.
    BindPush {
        req: u64,
        push_id: PushId,
    },
    /// `unregisterPush`: remove this device's PushID binding (answered by `BindOk`).
    UnbindPush {
        req: u64,
    },
    /// `sendMessage(message, toConversationID, conversationType, config)`.
    Send {
        req: u64,
        #[serde(flatten)]
        message: Outgoing,
    },
    /// `createGroup`: the creator becomes its owner and first member; `members` join too.
    /// Without `group_id` the server names the group (`#…`).
    CreateGroup {
        req: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group_id: Option<GroupId>,
        #[serde(default)]
        name: String,
        #[serde(default)]
        members: Vec<UserId>,
    },
    JoinGroup {
        req: u64,
        group_id: GroupId,
    },
    LeaveGroup {
        req: u64,
        group_id: GroupId,
    },
    /// Only the owner may dismiss a group.
    DismissGroup {
        req: u64,
        group_id: GroupId,
    },
    /// `setConversationNotificationStatus`: do-not-disturb on a conversation.
    SetNotificationStatus {
        req: u64,
        to: String,
        #[serde(default)]
        conv_type: ConversationType,
        status: NotificationStatus,
    },
    /// `setBadge`: the app reports its icon badge (a negative one is refused).
    SetBadge {
        req: u64,
        badge: i64,
    },
    /// `updateUserOfflinePushRule`: the user's rule for which platforms go without offline
    /// pushes while they are online elsewhere.
    UpdateOfflinePushRule {
        req: u64,
        rule: OfflinePushRule,
    },
    /// Enter a room (created if it does not exist). Room membership lasts while the
    /// session does.
    EnterRoom {
        req: u64,
        room_id: RoomId,
    },
    LeaveRoom {
        req: u64,
        room_id: RoomId,
    },
    /// `renewToken`: replace the session's token with a fresh one before it expires.
    RenewToken {
        req: u64,
        token: String,
    },
    /// The client has stored an online-delivered message.
    Ack {
        id: MessageId,
    },
    /// Everything after these cursors (conversations not listed: from the start), in
    /// conversation order, at most `limit` messages per reply.
    Sync {
        req: u64,
        cursors: Vec<Cursor>,
        limit: u32,
    },
}

/// Server to client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    LoginOk {
        req: u64,
    },
    LogoutOk {
        req: u64,
    },
    Pong,
    BindOk {
        req: u64,
    },
    SendOk {
        req: u64,
        message: Message,
    },
    /// An online delivery; the client answers with `Ack`.
    Deliver {
        message: Message,
    },
    SyncBatch {
        req: u64,
        messages: Vec<Message>,
        /// More messages remain after this batch: sync again from the new cursors.
        more: bool,
    },
    /// The session was ended by the server: another device logged in as this user.
    KickedOut,
    RenewTokenOk {
        req: u64,
    },
    /// A group request succeeded (`group_id` names the group, generated or given).
    GroupOk {
        req: u64,
        group_id: GroupId,
    },
    RoomOk {
        req: u64,
        room_id: RoomId,
    },
    /// A setting (notification status, badge) was stored.
    SettingOk {
        req: u64,
    },
    /// Group membership changed (sent to the group's members who are online).
    GroupChanged {
        group_id: GroupId,
        change: GroupChange,
    },
    /// Another session of the user changed their offline-push rule (`onUserRuleUpdated`).
    UserRuleUpdated {
        rule: OfflinePushRule,
    },
    /// The session's token expires in `second` seconds (`onTokenWillExpire`): renew it.
    TokenWillExpire {
        second: u64,
    },
    /// The session's token expired: the session is over and the connection closes.
    TokenExpired,
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<u64>,
        code: ZimErrorCode,
        message: String,
    },
}

/// What happened to a group's membership.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum GroupChange {
    Joined { users: Vec<UserId> },
    Left { users: Vec<UserId> },
    Dismissed,
}

fn low_priority() -> u8 {
    1
}

/// `ZIMConversationNotificationStatus`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    #[default]
    Notify,
    DoNotDisturb,
}

/// A message as the sender hands it over: `sendMessage(message, toConversationID,
/// conversationType, config{priority, pushConfig})`, which the `send` frame carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    /// `toConversationID`: the other user of a peer chat, or the group or room ID.
    pub to: String,
    #[serde(default)]
    pub conv_type: ConversationType,
    pub body: MessageBody,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub extended_data: String,
    /// `ZIMMessagePriority` (1..=3).
    #[serde(default = "low_priority")]
    pub priority: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push: Option<PushConfig>,
}

impl Outgoing {
    /// A low-priority text to user `to`.
    pub fn text(to: impl Into<String>, text: impl Into<String>, push: Option<PushConfig>) -> Outgoing {
        Outgoing {
            to: to.into(),
            conv_type: ConversationType::Peer,
            body: MessageBody::Text { text: text.into() },
            extended_data: String::new(),
            priority: 1,
            push,
        }
    }

    /// The conversation `from` sends this to.
    pub fn conv(&self, from: &UserId) -> ConvKey {
        ConvKey::named(from, &self.to, self.conv_type)
    }
}

/// Checks a message before it is sent (SDK) or stored (server), naming the rule it breaks;
/// both sides answer a breach with 6000001 (`ParamInvalid`). `max_text` is the receiving
/// server's text limit (at most [`limits::TEXT_MAX_BYTES`]).
pub fn check_send(from: &UserId, m: &Outgoing, max_text: usize) -> Result<(), String> {
    match m.conv_type {
        ConversationType::Peer => {
            validate_user_id(&m.to)?;
            if from.as_str() == m.to {
                return Err("a message cannot be sent to yourself (toConversationID is your own userID)".into());
            }
        }
        // A server-generated group ID starts with `#`; the rest follows the rule.
        ConversationType::Group => validate_group_id(m.to.strip_prefix('#').unwrap_or(&m.to))?,
        ConversationType::Room => validate_room_id(&m.to)?,
    }
    let within = |what: &str, len: usize, max: usize| {
        if len == 0 || len > max {
            Err(format!("{what} is {len} bytes; it must be 1..={max} bytes"))
        } else {
            Ok(())
        }
    };
    match &m.body {
        MessageBody::Text { text } => within("text", text.len(), max_text)?,
        MessageBody::Command { data } => within("command data", data.len(), limits::COMMAND_MAX_BYTES)?,
        MessageBody::Custom { message, sub_type, searched_content } => {
            within("custom message", message.len(), max_text)?;
            if *sub_type > limits::CUSTOM_SUB_TYPE_MAX {
                return Err(format!("subType {sub_type} is out of 0..={}", limits::CUSTOM_SUB_TYPE_MAX));
            }
            if searched_content.len() > limits::SEARCHED_CONTENT_MAX_BYTES {
                return Err(format!(
                    "searchedContent is {} bytes; the limit is {}",
                    searched_content.len(),
                    limits::SEARCHED_CONTENT_MAX_BYTES
                ));
            }
        }
    }
    if m.extended_data.len() > limits::EXTENDED_DATA_MAX_BYTES {
        return Err(format!(
            "extendedData is {} bytes; the limit is {}",
            m.extended_data.len(),
            limits::EXTENDED_DATA_MAX_BYTES
        ));
    }
    if !limits::PRIORITIES.contains(&m.priority) {
        return Err(format!("priority {} is not 1 (low), 2 (medium) or 3 (high)", m.priority));
    }
    if let Some(push) = m.push.as_ref().filter(|p| p.resources_id.chars().count() > limits::RESOURCES_ID_MAX_CHARS) {
        return Err(format!(
            "resourcesID is {} characters; the limit is {}",
            push.resources_id.chars().count(),
            limits::RESOURCES_ID_MAX_CHARS
        ));
    }
    if let Some(push) = m.push.as_ref().filter(|p| p.len() > limits::PUSH_CONFIG_MAX_BYTES) {
        return Err(format!(
            "push config title, content and payload are {} bytes together; the limit is {}",
            push.len(),
            limits::PUSH_CONFIG_MAX_BYTES
        ));
    }
    Ok(())
}

/// The `req` of a frame too large to decode, read from its first bytes (`"req":N` near the
/// start, as every request frame this protocol defines begins), so the error answering it
/// can name the request. `None` when the prefix does not show one.
pub fn peek_request_id(prefix: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(prefix);
    let rest = text.split("\"req\"").nth(1)?.trim_start().strip_prefix(':')?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Encodes one frame: a 4-byte big-endian length, then that many bytes of JSON.
pub fn encode_frame<T: Serialize>(frame: &T) -> Vec<u8> {
    let json = serde_json::to_vec(frame).expect("wire types always serialize");
    let mut out = Vec::with_capacity(4 + json.len());
    out.extend_from_slice(&(json.len() as u32).to_be_bytes());
    out.extend_from_slice(&json);
    out
}

/// Decodes the first frame in `buf`. `Ok(None)` means more bytes are needed; on success it
/// returns the frame and how many bytes it used.
pub fn decode_frame<T: DeserializeOwned>(buf: &[u8]) -> Result<Option<(T, usize)>, FrameError> {
    let Some(prefix) = buf.get(..4) else {
        return Ok(None);
    };
    let len = u32::from_be_bytes(prefix.try_into().expect("4 bytes")) as usize;
    if len > MAX_FRAME_LEN {
        return Err(FrameError::TooLarge { len, max: MAX_FRAME_LEN });
    }
    let Some(body) = buf.get(4..4 + len) else {
        return Ok(None);
    };
    let frame = serde_json::from_slice(body).map_err(|e| FrameError::Malformed(e.to_string()))?;
    Ok(Some((frame, 4 + len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_through_the_codec() {
        let push = Some(PushConfig { title: "t".into(), ..PushConfig::default() });
        let f = ClientFrame::Send { req: 3, message: Outgoing { priority: 2, ..Outgoing::text("bob", "hi", push) } };
        let bytes = encode_frame(&f);
        assert_eq!(decode_frame::<ClientFrame>(&bytes[..5]), Ok(None));
        assert_eq!(decode_frame(&bytes), Ok(Some((f, bytes.len()))));
    }

    #[test]
    fn bad_bytes_give_a_named_error_not_a_panic() {
        let mut big = (MAX_FRAME_LEN as u32 + 1).to_be_bytes().to_vec();
        big.extend_from_slice(b"{}");
        assert!(matches!(decode_frame::<ClientFrame>(&big), Err(FrameError::TooLarge { .. })));
        let bad = encode_frame(&serde_json::json!({"type": "launch_missiles"}));
        assert!(matches!(decode_frame::<ClientFrame>(&bad), Err(FrameError::Malformed(_))));
    }

    #[test]
    fn a_frame_of_exactly_max_frame_len_bytes_decodes_and_one_byte_more_is_too_large() {
        // A heartbeat padded with JSON whitespace to exactly `len` body bytes.
        let frame_of = |len: usize| {
            let mut buf = (len as u32).to_be_bytes().to_vec();
            buf.extend_from_slice(br#"{"type":"heartbeat"}"#);
            buf.resize(4 + len, b' ');
            buf
        };
        let max = frame_of(MAX_FRAME_LEN);
        assert_eq!(decode_frame::<ClientFrame>(&max), Ok(Some((ClientFrame::Heartbeat, 4 + MAX_FRAME_LEN))));
        let over = frame_of(MAX_FRAME_LEN + 1);
        let too_large = || FrameError::TooLarge { len: MAX_FRAME_LEN + 1, max: MAX_FRAME_LEN };
        assert_eq!(decode_frame::<ClientFrame>(&over), Err(too_large()));
        // The length prefix alone is enough to refuse it.
        assert_eq!(decode_frame::<ClientFrame>(&over[..4]), Err(too_large()));
    }

    #[test]
    fn error_codes_serialize_as_their_documented_numbers() {
        let e = ServerFrame::Error { req: Some(1), code: ZimErrorCode::TokenExpired, message: "expired".into() };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], 6_000_106);
        assert_eq!(serde_json::from_value::<ServerFrame>(v).unwrap(), e);
    }
}
