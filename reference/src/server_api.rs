//! The ZIM server REST API as an app's backend sees it (ZEGO's "Server API"): the signed
//! query every request carries, the actions zimsim serves, their bodies and answers, and
//! the documented result codes. The server core answers with it (`server/api.rs`); tests
//! and tools build requests with it, so the contract has one owner.
//!
//! A request is `GET` or `POST` to `/?Action=<name>&AppId=..&SignatureNonce=..&Timestamp=..
//! &Signature=..&SignatureVersion=2.0`, where `Signature` is the lower-case hex MD5 of the
//! app ID, the nonce, the server secret and the timestamp (unix seconds) written one after
//! the other. Every answer is HTTP 200 with `{Code, Message, RequestId, ...}`: `Code` 0 is
//! success, anything else names the problem.

use crate::http::HttpRequest;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

/// The only signature version ZEGO defines.
pub const SIGNATURE_VERSION: &str = "2.0";
/// How far a request's timestamp may be from the server's clock, either way (10 minutes).
pub const MAX_CLOCK_SKEW_S: i64 = 600;
/// Most users one `SendPeerMessage` or `QueryUserOnlineState` may name.
pub const MAX_USERS_PER_CALL: usize = 100;

/// ZEGO's `Signature`: md5(AppId ‖ SignatureNonce ‖ ServerSecret ‖ Timestamp), lower-case hex.
pub fn signature(app_id: u32, nonce: &str, server_secret: &str, timestamp: i64) -> String {
    hex::encode(Md5::digest(format!("{app_id}{nonce}{server_secret}{timestamp}")))
}

/// The result codes of the server API that zimsim answers with (`Code`, and `SubCode` in
/// an `ErrorList`).
pub mod codes {
    pub const SUCCESS: u32 = 0;
    pub const BAD_PARAMETER: u32 = 2;
    pub const QPS_EXCEEDED: u32 = 7;
    /// The user never logged in (nor was registered).
    pub const USER_DOES_NOT_EXIST: u32 = 51_102;
    pub const APP_ID_INVALID: u32 = 100_000_001;
    pub const TIMESTAMP_EMPTY: u32 = 100_000_002;
    pub const TIMESTAMP_INVALID: u32 = 100_000_003;
    /// The timestamp is more than 10 minutes from the server's clock.
    pub const SIGNATURE_EXPIRED: u32 = 100_000_004;
    pub const SIGNATURE_INVALID: u32 = 100_000_005;
    pub const ACTION_EMPTY: u32 = 100_000_006;
    pub const ACTION_UNSUPPORTED: u32 = 100_000_007;
    pub const NONCE_EMPTY: u32 = 100_000_008;
    pub const SIGNATURE_EMPTY: u32 = 100_000_009;
    pub const BODY_UNREADABLE: u32 = 100_000_012;
    pub const SIGNATURE_VERSION_EMPTY: u32 = 100_000_013;
    pub const SIGNATURE_VERSION_UNSUPPORTED: u32 = 100_000_014;
    /// More users than one call may name (`QueryUserOnlineState`).
    pub const TOO_MANY_USERS: u32 = 660_000_011;
}

/// The actions zimsim serves, each with its documented rate limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    SendPeerMessage,
    SendGroupMessage,
    QueryUserOnlineState,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::SendPeerMessage, Action::SendGroupMessage, Action::QueryUserOnlineState];

    pub fn name(self) -> &'static str {
        match self {
            Action::SendPeerMessage => "SendPeerMessage",
            Action::SendGroupMessage => "SendGroupMessage",
            Action::QueryUserOnlineState => "QueryUserOnlineState",
        }
    }

    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Calls per second the app may make (ZEGO's per-action QPS).
    pub fn per_second(self) -> usize {
        match self {
            Action::SendPeerMessage | Action::QueryUserOnlineState => 20,
            Action::SendGroupMessage => 10,
        }
    }

    pub fn method(self) -> &'static str {
        match self {
            Action::SendPeerMessage | Action::SendGroupMessage => "POST",
            Action::QueryUserOnlineState => "GET",
        }
    }
}

/// What an app's backend signs its requests with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub app_id: u32,
    pub server_secret: String,
}

impl Credentials {
    /// A signed request for `action` at unix second `timestamp` with `nonce` (ZEGO: 16 hex
    /// characters), carrying `query` after the public parameters and `body` as JSON.
    pub fn request(
        &self,
        action: Action,
        nonce: &str,
        timestamp: i64,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> HttpRequest {
        let sig = signature(self.app_id, nonce, &self.server_secret, timestamp);
        let mut q = form_urlencoded::Serializer::for_suffix(String::from("/?"), 2);
        let (app, ts) = (self.app_id.to_string(), timestamp.to_string());
        q.append_pair("Action", action.name())
            .append_pair("AppId", &app)
            .append_pair("SignatureNonce", nonce)
            .append_pair("Timestamp", &ts)
            .append_pair("Signature", &sig)
            .append_pair("SignatureVersion", SIGNATURE_VERSION);
        for (k, v) in query {
            q.append_pair(k, v);
        }
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let mut request = HttpRequest { method: action.method().into(), path: q.finish(), headers: Vec::new(), body };
        if !request.body.is_empty() {
            request = request.header("content-type", "application/json");
        }
        request
    }
}

/// `MessageBody` of the send actions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct MessageBody {
    pub message: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub extended_data: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline_push: Option<OfflinePush>,
}

/// `OfflinePush`: `Enable` 1 asks for an offline push (0, the default, for none).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct OfflinePush {
    pub enable: u8,
    pub title: String,
    pub content: String,
    pub payload: String,
}

/// The body of `SendPeerMessage`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendPeerMessage {
    pub from_user_id: String,
    pub to_user_id: Vec<String>,
    /// 1 text, 2 command, 200 custom.
    pub message_type: u32,
    #[serde(default = "low")]
    pub priority: u8,
    pub message_body: MessageBody,
    #[serde(default)]
    pub sub_msg_type: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub searched_content: String,
    /// 1: the sender's own clients are not told (zimsim's sender learns by sync anyway).
    #[serde(default)]
    pub sender_unaware: u8,
}

impl SendPeerMessage {
    /// A low-priority text from `from` to each of `to`, with an offline push or not.
    pub fn text(from: &str, to: Vec<String>, text: &str, offline_push: Option<OfflinePush>) -> SendPeerMessage {
        SendPeerMessage {
            from_user_id: from.to_owned(),
            to_user_id: to,
            message_type: 1,
            priority: 1,
            message_body: MessageBody { message: text.to_owned(), extended_data: String::new(), offline_push },
            sub_msg_type: 0,
            searched_content: String::new(),
            sender_unaware: 0,
        }
    }
}

/// The body of `SendGroupMessage`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendGroupMessage {
    pub from_user_id: String,
    pub group_id: String,
    pub message_type: u32,
    #[serde(default = "low")]
    pub priority: u8,
    pub message_body: MessageBody,
    #[serde(default)]
    pub sub_msg_type: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub searched_content: String,
}

fn low() -> u8 {
    1
}

/// Every answer: `Code` 0 for success, with the action's `Result` and per-item `ErrorList`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Answer {
    pub code: u32,
    pub message: String,
    pub request_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Vec<OnlineState>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_list: Vec<ItemError>,
}

/// One user's state in `QueryUserOnlineState`'s result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OnlineState {
    pub user_id: String,
    /// `Online` or `Offline`.
    pub status: String,
}

/// A user a call could not serve, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ItemError {
    pub user_id: String,
    pub sub_code: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_md5_of_the_four_parts_in_lower_case_hex() {
        // Expected values computed with Python's hashlib, not with this code.
        let sig = signature(1_234_567_890, "abcdef0123456789", "secret", 1_700_000_000);
        assert_eq!(sig, "40e994bafd0fa18b4f78765ca562ff13");
        assert_eq!(signature(1, "", "", 0), "d3d9446802a44259755d38e6d163e820");
    }

    #[test]
    fn a_request_carries_the_public_parameters_then_the_action_s_own() {
        let creds = Credentials { app_id: 7, server_secret: "s".into() };
        let r = creds.request(Action::QueryUserOnlineState, "n0", 99, &[("UserId[]", "a b")], None);
        assert_eq!(r.method, "GET");
        assert_eq!(
            r.path,
            format!(
                "/?Action=QueryUserOnlineState&AppId=7&SignatureNonce=n0&Timestamp=99&Signature={}&SignatureVersion=2.0&UserId%5B%5D=a+b",
                signature(7, "n0", "s", 99)
            )
        );
        assert!(r.body.is_empty());
    }
}
