//! The wire types: the ZIM client protocol (frames between SDK and server), the ZIM server's
//! call to the ZPNs relay, and the length-prefixed JSON framing that carries frames over a
//! byte stream. See docs/protocol.md for the byte-level description.

use crate::error::{FrameError, ZimErrorCode};
use crate::ids::{ConvKey, DeviceId, MessageId, UserId};
use crate::pushid::PushId;
use crate::time::Millis;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Largest frame either side accepts; a bigger length prefix closes the connection.
pub const MAX_FRAME_LEN: usize = 1 << 20;

/// The platform a client runs on (ZIM's `ZIMPlatformType` names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Ios,
    Android,
    Web,
}

/// What the sender asks the server to show if the recipient is offline (`ZIMPushConfig`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushConfig {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub content: String,
    /// Pass-through data, delivered to the receiving app in the vendor extras as `payload`.
    #[serde(default)]
    pub payload: String,
}

/// Message content. Only text exists in the walking skeleton; other ZIM types extend this.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessageBody {
    Text { text: String },
}

/// A message as stored by the server and delivered to clients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub conv: ConvKey,
    /// Position in the conversation, 1-based and gap-free.
    pub seq: u64,
    pub from: UserId,
    pub body: MessageBody,
    /// Server accept time.
    pub sent_at: Millis,
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
    /// Bind a PushID that became available after login.
    BindPush {
        req: u64,
        push_id: PushId,
    },
    /// A peer message to `to`.
    Send {
        req: u64,
        to: UserId,
        body: MessageBody,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        push: Option<PushConfig>,
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
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<u64>,
        code: ZimErrorCode,
        message: String,
    },
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
    pub title: String,
    pub content: String,
    pub payload: String,
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
        let f = ClientFrame::Send {
            req: 3,
            to: "bob".into(),
            body: MessageBody::Text { text: "hi".into() },
            push: Some(PushConfig { title: "t".into(), ..PushConfig::default() }),
        };
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
    fn error_codes_serialize_as_their_documented_numbers() {
        let e = ServerFrame::Error { req: Some(1), code: ZimErrorCode::TokenExpired, message: "expired".into() };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], 6_000_106);
        assert_eq!(serde_json::from_value::<ServerFrame>(v).unwrap(), e);
    }
}
