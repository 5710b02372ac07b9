//! The wire types: the ZIM client protocol (frames between SDK and server), the ZIM server's
//! call to the ZPNs relay, and the length-prefixed JSON framing that carries frames over a
//! byte stream. See docs/protocol.md for the byte-level description.

use crate::error::{FrameError, ZimErrorCode};
use crate::ids::{ConvKey, DeviceId, MessageId, UserId};
use crate::pushid::PushId;
use crate::time::Millis;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

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
    /// The most a text message may ever carry: ZIM's client limit, and the most a server
    /// can be configured to accept (its default is 2 KB, `ServerConfig::max_text_bytes`).
    pub const TEXT_MAX_BYTES: usize = 32 * 1024;
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

impl PushConfig {
    /// Bytes the push config puts into a vendor payload.
    pub fn len(&self) -> usize {
        self.title.len() + self.content.len() + self.payload.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
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

/// Checks a peer message before it is sent (SDK) or stored (server), naming the rule it
/// breaks; both sides answer a breach with 6000001 (`ParamInvalid`). `max_text` is the
/// receiving server's text limit (at most [`limits::TEXT_MAX_BYTES`]).
pub fn check_send(
    from: &UserId,
    to: &UserId,
    body: &MessageBody,
    push: Option<&PushConfig>,
    max_text: usize,
) -> Result<(), String> {
    crate::ids::validate_user_id(to.as_str())?;
    if from == to {
        return Err("a message cannot be sent to yourself (toConversationID is your own userID)".into());
    }
    let MessageBody::Text { text } = body;
    if text.is_empty() || text.len() > max_text {
        return Err(format!("text is {} bytes; it must be 1..={max_text} bytes", text.len()));
    }
    if let Some(push) = push.filter(|p| p.len() > limits::PUSH_CONFIG_MAX_BYTES) {
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
